package httpapi

import (
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
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

// passInput is what a pass request asks for, as the service takes it.
func (req *passRequest) input() service.PassInput {
	in := service.PassInput{CommunityID: req.CommunityID, HostResidentID: req.HostResidentID, ValidFrom: req.ValidFrom,
		ValidUntil: req.ValidUntil, MaxEntries: req.MaxEntries, GateIDs: req.GateIDs, Purpose: req.Purpose,
		Visitor: service.VisitorInput{Name: req.Visitor.Name, IDType: req.Visitor.IDType, IDNumber: req.Visitor.IDNumber,
			Phone: req.Visitor.Phone, Plate: req.Visitor.Plate}}
	if sc := req.Schedule; sc != nil {
		in.Schedule = &service.ScheduleInput{Days: sc.Days, Start: sc.Start, End: sc.End}
	}
	return in
}

// createPass issues a pass: a resident invites its own guest; a guard or a
// manager issues one for a walk-in with a host of the community.
func (s *Server) createPass(c *gin.Context) {
	var req passRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.passes.Create(c.Request.Context(), principal(c), req.input(), gatehouse.PassGuest)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondPass(c, 201, p)
}

func (s *Server) getPass(c *gin.Context) {
	p, err := s.scopedPass(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondPass(c, 200, p)
}

// scopedPass is the pass of the path that the caller may see.
func (s *Server) scopedPass(c *gin.Context) (*gatehouse.Pass, error) {
	id, err := idParam(c, "id", "pass")
	if err != nil {
		return nil, err
	}
	return s.passes.Get(c.Request.Context(), principal(c), id)
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
	host, err := queryID(c, "host_resident_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next, err := s.passes.List(c.Request.Context(), pr, service.PassQuery{CommunityID: cid, HostResidentID: host, Status: c.Query("status")}, pg)
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
	id, err := idParam(c, "id", "pass")
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.passes.Revoke(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondPass(c, 200, p)
}
