package httpapi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
)

type visitorRequest struct {
	Name     string           `json:"name"`
	IDType   gatehouse.IDType `json:"id_type"`
	IDNumber string           `json:"id_number"`
	Phone    string           `json:"phone"`
	Plate    string           `json:"plate"`
}

type scheduleBody struct {
	Days  []int  `json:"days"`  // 1 = Monday ... 7 = Sunday
	Start string `json:"start"` // HH:MM, local time of the community
	End   string `json:"end"`   // HH:MM; before start: the window crosses midnight
}

type passRequest struct {
	CommunityID    int64          `json:"community_id"`
	HostResidentID int64          `json:"host_resident_id"`
	Visitor        visitorRequest `json:"visitor"`
	ValidFrom      string         `json:"valid_from"`
	ValidUntil     string         `json:"valid_until"`
	MaxEntries     *int           `json:"max_entries"`
	GateIDs        []int64        `json:"gate_ids"`
	Schedule       *scheduleBody  `json:"schedule"`
	Purpose        string         `json:"purpose"`
}

type visitorResponse struct {
	ID       int64            `json:"id,omitempty"`
	Name     string           `json:"name"`
	IDType   gatehouse.IDType `json:"id_type"`
	IDNumber string           `json:"id_number"`
	IDMasked bool             `json:"id_number_masked"`
	Phone    string           `json:"phone"`
	Plate    string           `json:"plate"`
}

type hostResponse struct {
	ResidentID int64  `json:"resident_id"`
	Name       string `json:"name"`
	Building   string `json:"building"`
	Unit       string `json:"unit"`
	Room       string `json:"room"`
}

type passResponse struct {
	ID               int64              `json:"id"`
	Code             string             `json:"code"`
	QRURL            string             `json:"qr_url"`
	Status           string             `json:"status"`
	Kind             gatehouse.PassKind `json:"kind"`
	CommunityID      int64              `json:"community_id"`
	HostResidentID   int64              `json:"host_resident_id"`
	Host             *hostResponse      `json:"host,omitempty"`
	Visitor          *visitorResponse   `json:"visitor,omitempty"`
	ValidFrom        time.Time          `json:"valid_from"`
	ValidUntil       time.Time          `json:"valid_until"`
	MaxEntries       int                `json:"max_entries"`
	Uses             int                `json:"uses"`
	RemainingEntries int                `json:"remaining_entries"`
	GateIDs          []int64            `json:"gate_ids"`
	Schedule         *scheduleBody      `json:"schedule,omitempty"`
	Purpose          string             `json:"purpose"`
	RevokedAt        *time.Time         `json:"revoked_at,omitempty"`
	CreatedAt        time.Time          `json:"created_at"`
}

var dayNames = []string{"", "mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func hostBody(r *gatehouse.Resident) *hostResponse {
	if r == nil {
		return nil
	}
	return &hostResponse{ResidentID: r.ID, Name: r.Name, Building: r.Building, Unit: r.Unit, Room: r.Room}
}

// visitorBody shows a pass's visitor as the disclosure allows; the visitor's
// id (one per ID number) only with the whole number (see entryBodies).
func visitorBody(d *gatehouse.Disclosure, p *gatehouse.Principal, v *gatehouse.Visitor) *visitorResponse {
	if v == nil {
		return nil
	}
	b := &visitorResponse{Name: v.Name, IDType: v.IDType, Phone: v.Phone, Plate: v.Plate}
	b.IDNumber, b.IDMasked = d.ID(v.IDNumber)
	if gatehouse.MaySeeWhole(p) {
		b.ID = v.ID
	}
	return b
}

func scheduleOut(s gatehouse.Schedule) *scheduleBody {
	if s.IsZero() {
		return nil
	}
	b := &scheduleBody{Start: hhmm(s.StartMinute), End: hhmm(s.EndMinute)}
	for d := 1; d <= 7; d++ {
		if s.Days&(1<<(d-1)) != 0 {
			b.Days = append(b.Days, d)
		}
	}
	return b
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseHHMM(s string, allow24 bool) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hi, err1 := strconv.Atoi(h)
	mi, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || mi < 0 || mi > 59 || hi < 0 || hi > 24 || (hi == 24 && (mi != 0 || !allow24)) {
		return 0, false
	}
	return hi*60 + mi, true
}

func (s *Server) passBody(c *gin.Context, d *gatehouse.Disclosure, p *gatehouse.Pass) (passResponse, error) {
	code, err := s.Engine.PassCode(p)
	if err != nil {
		return passResponse{}, err
	}
	gates := p.GateIDs
	if gates == nil {
		gates = []int64{}
	}
	return passResponse{
		ID: p.ID, Code: code, QRURL: fmt.Sprintf("/api/v1/passes/%d/qr.png", p.ID), Status: p.Status(s.Now()), Kind: p.Kind,
		CommunityID: p.CommunityID, HostResidentID: p.HostResidentID, Host: hostBody(p.Host), Visitor: visitorBody(d, principal(c), p.Visitor),
		ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil, MaxEntries: p.MaxEntries, Uses: p.Uses, RemainingEntries: p.Remaining(),
		GateIDs: gates, Schedule: scheduleOut(p.Schedule), Purpose: p.Purpose, RevokedAt: p.RevokedAt, CreatedAt: p.CreatedAt,
	}, nil
}

// respondPass sends one pass (with its code) as the answer.
func (s *Server) respondPass(c *gin.Context, status int, p *gatehouse.Pass) {
	d := gatehouse.Disclose(principal(c), p.CommunityID, fmt.Sprintf("pass:%d", p.ID))
	body, err := s.passBody(c, d, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respond(c, status, body, d)
}

// parseTime reads an RFC 3339 time field.
func parseTime(probs *gatehouse.Problems, field, v string) time.Time {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		probs.Add(field, "must be an RFC 3339 time such as 2026-11-27T14:00:00+08:00")
		return time.Time{}
	}
	return t.UTC()
}

// createPass issues a pass: a resident invites its own guest; a guard or a
// manager issues one for a walk-in with a host of the community.
func (s *Server) createPass(c *gin.Context) {
	var req passRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.newPass(c, &req, gatehouse.PassGuest)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondPass(c, 201, p)
}

// newPass validates a pass request, resolves its host and stores it.
func (s *Server) newPass(c *gin.Context, req *passRequest, kind gatehouse.PassKind) (*gatehouse.Pass, error) {
	ctx := c.Request.Context()
	pr := principal(c)
	now := s.Now().UTC()
	var probs gatehouse.Problems
	if pr.Role == gatehouse.RoleResident {
		// A resident invites its own guests: it is the host.
		if req.CommunityID == 0 {
			req.CommunityID = pr.Household.CommunityID
		}
		if req.HostResidentID == 0 {
			req.HostResidentID = pr.ResidentID
		}
		if req.HostResidentID != pr.ResidentID {
			probs.Add("host_resident_id", "a resident invites guests as their own host; leave it out")
		}
		kind = gatehouse.PassGuest
	} else if kind == gatehouse.PassGuest {
		kind = gatehouse.PassWalkIn
	}
	probs.Check(req.CommunityID > 0, "community_id", "is required")
	probs.Check(req.HostResidentID > 0, "host_resident_id", "is required: whom does the visitor visit?")
	v := &gatehouse.Visitor{Name: req.Visitor.Name, IDType: req.Visitor.IDType, IDNumber: gatehouse.NewIDNumber(req.Visitor.IDNumber), Phone: req.Visitor.Phone, Plate: req.Visitor.Plate}
	v.Normalize()
	probs.Merge("visitor.", v.Validate())
	p := &gatehouse.Pass{CommunityID: req.CommunityID, HostResidentID: req.HostResidentID, Kind: kind, Purpose: strings.TrimSpace(req.Purpose),
		MaxEntries: 1, Visitor: v, CreatedBy: pr.UserID, GateIDs: uniq(req.GateIDs)}
	if req.MaxEntries != nil {
		p.MaxEntries = *req.MaxEntries
	}
	p.ValidFrom = now.Truncate(time.Second)
	if req.ValidFrom != "" {
		p.ValidFrom = parseTime(&probs, "valid_from", req.ValidFrom).Truncate(time.Second)
	}
	if req.ValidUntil == "" {
		probs.Add("valid_until", "is required")
	} else {
		p.ValidUntil = parseTime(&probs, "valid_until", req.ValidUntil).Truncate(time.Second)
	}
	if sc := req.Schedule; sc != nil {
		start, ok1 := parseHHMM(sc.Start, false)
		end, ok2 := parseHHMM(sc.End, true)
		probs.Check(ok1, "schedule.start", "must be HH:MM, such as 08:00")
		probs.Check(ok2, "schedule.end", "must be HH:MM, such as 20:00")
		probs.Check(len(sc.Days) > 0, "schedule.days", "list the days, 1 (Monday) to 7 (Sunday)")
		for _, d := range sc.Days {
			if d < 1 || d > 7 {
				probs.Add("schedule.days", "days are 1 (Monday) to 7 (Sunday)")
				break
			}
			p.Schedule.Days |= 1 << (d - 1)
		}
		probs.Check(!ok1 || !ok2 || start != end, "schedule.end", "must differ from start")
		p.Schedule.StartMinute, p.Schedule.EndMinute = start, end
	}
	probs.Check(len(p.GateIDs) <= 8, "gate_ids", "name at most 8 gates, or none for every gate")
	if probs.Has("community_id") || probs.Has("host_resident_id") {
		return nil, probs.Err()
	}
	community, err := s.scopedCommunity(c, req.CommunityID)
	if err != nil {
		return nil, err
	}
	if !probs.Has("valid_until") && !probs.Has("valid_from") {
		probs.Merge("", gatehouse.ValidatePass(p, community, now))
	}
	host, err := s.Store.Resident(ctx, req.HostResidentID)
	if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return nil, err
	}
	switch {
	case host == nil || host.CommunityID != community.ID:
		probs.Add("host_resident_id", "no such resident in this community")
	case host.MovedOutAt != nil:
		probs.Add("host_resident_id", "this resident has moved out")
	}
	if len(p.GateIDs) > 0 {
		gates, _, err := s.Store.Gates(ctx, []int64{community.ID}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
		if err != nil {
			return nil, err
		}
		for _, id := range p.GateIDs {
			if !slices.ContainsFunc(gates, func(g *gatehouse.Gate) bool { return g.ID == id }) {
				probs.Add("gate_ids", fmt.Sprintf("gate %d is not a gate of this community", id))
				break
			}
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if err := s.Engine.AssignKey(p); err != nil {
		return nil, err
	}
	if err := s.Store.CreatePass(ctx, p); err != nil {
		return nil, err
	}
	p.Host = host
	return p, nil
}

// canSeePass reports whether pr may read p: its community for staff; for a
// resident, the guests of its household's present members invited since the
// resident moved in (never a previous occupant's).
func canSeePass(pr *gatehouse.Principal, p *gatehouse.Pass) bool {
	if !pr.InCommunity(p.CommunityID) {
		return false
	}
	if pr.Role == gatehouse.RoleResident {
		return p.Host != nil && pr.Household != nil && p.Host.Household() == *pr.Household &&
			p.Host.MovedOutAt == nil && !p.CreatedAt.Before(pr.MovedInAt)
	}
	return true
}

func (s *Server) scopedPass(c *gin.Context) (*gatehouse.Pass, error) {
	id, err := idParam(c, "id", "pass")
	if err != nil {
		return nil, err
	}
	p, err := s.Store.Pass(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if !canSeePass(principal(c), p) {
		return nil, gatehouse.NotFound("pass")
	}
	return p, nil
}

func (s *Server) getPass(c *gin.Context) {
	p, err := s.scopedPass(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondPass(c, 200, p)
}

func (s *Server) listPasses(c *gin.Context) {
	pr := principal(c)
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cid, err := communityQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := gatehouse.PassFilter{CommunityIDs: pr.ScopeCommunities(cid), Status: c.Query("status")}
	switch f.Status {
	case "", gatehouse.PassActive, gatehouse.PassPending, gatehouse.PassExpired, gatehouse.PassExhausted, gatehouse.PassRevoked:
	default:
		s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "status: unknown status",
			Fields: map[string]string{"status": "must be one of active, pending, expired, exhausted, revoked"}})
		return
	}
	if host, err := queryID(c, "host_resident_id"); err != nil {
		s.fail(c, err)
		return
	} else if host != 0 {
		f.HostResidentIDs = []int64{host}
	}
	if pr.Role == gatehouse.RoleResident {
		members, _, err := s.Store.Residents(c.Request.Context(), gatehouse.ResidentFilter{Household: pr.Household, CommunityIDs: pr.Communities}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
		if err != nil {
			s.fail(c, err)
			return
		}
		var ids []int64
		for _, m := range members {
			if f.HostResidentIDs == nil || slices.Contains(f.HostResidentIDs, m.ID) {
				ids = append(ids, m.ID)
			}
		}
		f.HostResidentIDs, f.CreatedSince = append([]int64{}, ids...), pr.MovedInAt
	}
	items, next, err := s.Store.Passes(c.Request.Context(), f, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]passResponse, 0, len(items))
	d := gatehouse.Disclose(pr, cid, "passes")
	for _, p := range items {
		b, err := s.passBody(c, d, p)
		if err != nil {
			b = passResponse{ID: p.ID, Status: p.Status(s.Now()), CommunityID: p.CommunityID} // its key was removed: no code
		}
		out = append(out, b)
	}
	s.respond(c, 200, list(out, next), d)
}

// passQR serves the pass's QR code as a PNG, drawn once and cached.
func (s *Server) passQR(c *gin.Context) {
	p, err := s.scopedPass(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	code, err := s.Engine.PassCode(p)
	if err != nil {
		s.fail(c, err)
		return
	}
	png, err := s.QR.PNG(code)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(200, "image/png", png)
}

// revokePass lets the host's household, a guard or a manager of the
// community stop a pass at once.
func (s *Server) revokePass(c *gin.Context) {
	p, err := s.scopedPass(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.RevokePass(c.Request.Context(), p.ID, principal(c).UserID); err != nil {
		s.fail(c, err)
		return
	}
	p, err = s.Store.Pass(c.Request.Context(), p.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondPass(c, 200, p)
}
