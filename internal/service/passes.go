package service

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// PassStore is what the pass use cases need of storage.
type PassStore interface {
	CommunityReader
	Resident(ctx context.Context, id int64) (*gatehouse.Resident, error)
	Residents(ctx context.Context, f gatehouse.ResidentFilter, page gatehouse.Page) ([]*gatehouse.Resident, int64, error)
	Gates(ctx context.Context, communityIDs []int64, page gatehouse.Page) ([]*gatehouse.Gate, int64, error)
	CreatePass(ctx context.Context, p *gatehouse.Pass) error
	Pass(ctx context.Context, id int64) (*gatehouse.Pass, error)
	Passes(ctx context.Context, f gatehouse.PassFilter, page gatehouse.Page) ([]*gatehouse.Pass, int64, error)
	RevokePass(ctx context.Context, id, by int64) error
}

// KeyAssigner chooses the signing key of a new pass.
type KeyAssigner interface {
	AssignKey(p *gatehouse.Pass) error
}

// Passes issues, lists and revokes visitor passes.
type Passes struct {
	Store   PassStore
	Keys    KeyAssigner
	Now     func() time.Time
	Guesses *IDGuesses // a number entered by a role that sees numbers masked may not be a guess at one
}

// VisitorInput is a visitor as typed.
type VisitorInput struct {
	Name, IDNumber, Phone, Plate string
	IDType                       gatehouse.IDType
}

// ScheduleInput is a weekly window as typed: days 1 (Monday) to 7, HH:MM.
type ScheduleInput struct {
	Days       []int
	Start, End string
}

// PassInput is a new pass as typed; times are RFC 3339 strings, checked here
// so that every caller gets the same field errors.
type PassInput struct {
	CommunityID    int64
	HostResidentID int64
	Visitor        VisitorInput
	ValidFrom      string // default now
	ValidUntil     string
	MaxEntries     *int // default 1
	GateIDs        []int64
	Schedule       *ScheduleInput
	Purpose        string
}

// Create issues a pass. A resident invites its own guests (it is the host,
// and may leave community and host out); a guard, manager or admin issues a
// walk-in pass for a host of a community in its scope. kind is PassWalkIn
// for the walk-in desk; a guest pass by staff becomes a walk-in pass too.
func (s *Passes) Create(ctx context.Context, pr *gatehouse.Principal, in PassInput, kind gatehouse.PassKind) (*gatehouse.Pass, error) {
	switch pr.Role {
	case gatehouse.RoleResident, gatehouse.RoleGuard, gatehouse.RoleManager, gatehouse.RoleAdmin:
	default:
		return nil, forbidden("only residents (for their guests), guards, managers and admin issue passes")
	}
	now := s.Now().UTC()
	var probs gatehouse.Problems
	kind = hostOf(pr, &in, kind, &probs)
	probs.Check(in.CommunityID > 0, "community_id", "is required")
	probs.Check(in.HostResidentID > 0, "host_resident_id", "is required: whom does the visitor visit?")
	v := &gatehouse.Visitor{Name: in.Visitor.Name, IDType: in.Visitor.IDType, IDNumber: gatehouse.NewIDNumber(in.Visitor.IDNumber),
		Phone: in.Visitor.Phone, Plate: in.Visitor.Plate}
	v.Normalize()
	probs.Merge("visitor.", v.Validate())
	p := &gatehouse.Pass{CommunityID: in.CommunityID, HostResidentID: in.HostResidentID, Kind: kind, Purpose: strings.TrimSpace(in.Purpose),
		MaxEntries: 1, Visitor: v, CreatedBy: pr.UserID, GateIDs: uniq(in.GateIDs)}
	if in.MaxEntries != nil {
		p.MaxEntries = *in.MaxEntries
	}
	parseWindow(&probs, p, in, now)
	probs.Check(len(p.GateIDs) <= 8, "gate_ids", "name at most 8 gates, or none for every gate")
	if probs.Has("community_id") || probs.Has("host_resident_id") {
		return nil, probs.Err()
	}
	community, err := scopedCommunity(ctx, s.Store, pr, in.CommunityID)
	if err != nil {
		return nil, err
	}
	if !probs.Has("valid_until") && !probs.Has("valid_from") {
		probs.Merge("", gatehouse.ValidatePass(p, community, now))
	}
	host, err := s.Store.Resident(ctx, in.HostResidentID)
	if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return nil, err
	}
	switch {
	case host == nil || host.CommunityID != community.ID:
		probs.Add("host_resident_id", "no such resident in this community")
	case host.MovedOutAt != nil:
		probs.Add("host_resident_id", "this resident has moved out")
	}
	if err := s.checkGates(ctx, &probs, community.ID, p.GateIDs); err != nil {
		return nil, err
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if err := s.Guesses.Check(ctx, pr, community.ID, v.IDNumber, "visitor.id_number"); err != nil {
		return nil, err
	}
	if err := s.Keys.AssignKey(p); err != nil {
		return nil, err
	}
	if err := s.Store.CreatePass(ctx, p); err != nil {
		return nil, err
	}
	p.Host = host
	return p, nil
}

// hostOf fills in a resident's own community and host (a resident invites
// as its own host) and says which kind of pass staff issue (a walk-in).
func hostOf(pr *gatehouse.Principal, in *PassInput, kind gatehouse.PassKind, probs *gatehouse.Problems) gatehouse.PassKind {
	if pr.Role != gatehouse.RoleResident {
		if kind == gatehouse.PassGuest {
			return gatehouse.PassWalkIn
		}
		return kind
	}
	if in.CommunityID == 0 && pr.Household != nil {
		in.CommunityID = pr.Household.CommunityID
	}
	if in.HostResidentID == 0 {
		in.HostResidentID = pr.ResidentID
	}
	if in.HostResidentID != pr.ResidentID {
		probs.Add("host_resident_id", "a resident invites guests as their own host; leave it out")
	}
	return gatehouse.PassGuest
}

// parseWindow reads a pass's validity (from now by default) and schedule.
func parseWindow(probs *gatehouse.Problems, p *gatehouse.Pass, in PassInput, now time.Time) {
	p.ValidFrom = now.Truncate(time.Second)
	if in.ValidFrom != "" {
		p.ValidFrom = ParseTime(probs, "valid_from", in.ValidFrom).Truncate(time.Second)
	}
	if in.ValidUntil == "" {
		probs.Add("valid_until", "is required")
	} else {
		p.ValidUntil = ParseTime(probs, "valid_until", in.ValidUntil).Truncate(time.Second)
	}
	if in.Schedule != nil {
		p.Schedule = parseSchedule(probs, in.Schedule)
	}
}

// checkGates adds a problem unless every gate id is a gate of the community.
func (s *Passes) checkGates(ctx context.Context, probs *gatehouse.Problems, communityID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	gates, _, err := s.Store.Gates(ctx, []int64{communityID}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(gates, func(g *gatehouse.Gate) bool { return g.ID == id }) {
			probs.Add("gate_ids", fmt.Sprintf("gate %d is not a gate of this community", id))
			break
		}
	}
	return nil
}

// parseSchedule reads a weekly window, adding a problem per bad field.
func parseSchedule(probs *gatehouse.Problems, sc *ScheduleInput) gatehouse.Schedule {
	var out gatehouse.Schedule
	start, ok1 := ParseHHMM(sc.Start, false)
	end, ok2 := ParseHHMM(sc.End, true)
	probs.Check(ok1, "schedule.start", "must be HH:MM, such as 08:00")
	probs.Check(ok2, "schedule.end", "must be HH:MM, such as 20:00")
	probs.Check(len(sc.Days) > 0, "schedule.days", "list the days, 1 (Monday) to 7 (Sunday)")
	for _, d := range sc.Days {
		if d < 1 || d > 7 {
			probs.Add("schedule.days", "days are 1 (Monday) to 7 (Sunday)")
			break
		}
		out.Days |= 1 << (d - 1)
	}
	probs.Check(!ok1 || !ok2 || start != end, "schedule.end", "must differ from start")
	if probs.Has("schedule.start") || probs.Has("schedule.end") || probs.Has("schedule.days") {
		return gatehouse.Schedule{} // refused field by field; not again as a whole by ValidatePass
	}
	out.StartMinute, out.EndMinute = start, end
	return out
}

// ParseTime reads an RFC 3339 time field, adding a problem when it is not one.
func ParseTime(probs *gatehouse.Problems, field, v string) time.Time {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		probs.Add(field, "must be an RFC 3339 time such as 2026-11-27T14:00:00+08:00")
		return time.Time{}
	}
	return t.UTC()
}

// ParseHHMM reads a time of day; 24:00 only as an end.
func ParseHHMM(s string, allow24 bool) (int, bool) {
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

// CanSeePass is the rule for reading a pass: its community for staff; for a
// resident, the guests of its household's present members invited since both
// the resident and the host moved in (never a previous occupant's, nor what a
// member invited before it came to this dwelling).
func CanSeePass(pr *gatehouse.Principal, p *gatehouse.Pass) bool {
	if !pr.InCommunity(p.CommunityID) {
		return false
	}
	if pr.Role == gatehouse.RoleResident {
		return p.Host != nil && pr.Household != nil && p.Host.Household() == *pr.Household &&
			p.Host.MovedOutAt == nil && !p.CreatedAt.Before(pr.MovedInAt) && !p.CreatedAt.Before(p.Host.MovedInAt)
	}
	return true
}

// Get is one pass the principal may see, else ENOTFOUND.
func (s *Passes) Get(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Pass, error) {
	p, err := s.Store.Pass(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanSeePass(pr, p) {
		return nil, gatehouse.NotFound("pass")
	}
	return p, nil
}

// PassQuery narrows a list of passes as a caller asks.
type PassQuery struct {
	CommunityID    int64
	HostResidentID int64
	Status         string
}

// List lists the passes the principal may see: a resident its household's
// present members' guests since it and their host moved in.
func (s *Passes) List(ctx context.Context, pr *gatehouse.Principal, q PassQuery, page gatehouse.Page) ([]*gatehouse.Pass, int64, error) {
	switch q.Status {
	case "", gatehouse.PassActive, gatehouse.PassPending, gatehouse.PassExpired, gatehouse.PassExhausted, gatehouse.PassRevoked:
	default:
		return nil, 0, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "status: unknown status",
			Fields: map[string]string{"status": "must be one of active, pending, expired, exhausted, revoked"}}
	}
	f := gatehouse.PassFilter{CommunityIDs: pr.ScopeCommunities(q.CommunityID), Status: q.Status}
	if q.HostResidentID != 0 {
		f.HostResidentIDs = []int64{q.HostResidentID}
	}
	if withoutHousehold(pr) {
		return []*gatehouse.Pass{}, 0, nil
	}
	if pr.Role == gatehouse.RoleResident {
		members, _, err := s.Store.Residents(ctx, gatehouse.ResidentFilter{Household: pr.Household, CommunityIDs: pr.Communities},
			gatehouse.Page{Limit: gatehouse.MaxPageLimit})
		if err != nil {
			return nil, 0, err
		}
		ids := []int64{}
		for _, m := range members {
			if f.HostResidentIDs == nil || slices.Contains(f.HostResidentIDs, m.ID) {
				ids = append(ids, m.ID)
			}
		}
		f.HostResidentIDs, f.CreatedSince, f.SinceHostMoved = ids, pr.MovedInAt, true
	}
	return s.Store.Passes(ctx, f, page)
}

// Revoke stops a pass at once: the host's household, a guard, a manager or
// admin of its community.
func (s *Passes) Revoke(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Pass, error) {
	switch pr.Role {
	case gatehouse.RoleResident, gatehouse.RoleGuard, gatehouse.RoleManager, gatehouse.RoleAdmin:
	default:
		return nil, forbidden("only the host's household, guards, managers and admin revoke passes")
	}
	p, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if err := s.Store.RevokePass(ctx, p.ID, pr.UserID); err != nil {
		return nil, err
	}
	return s.Store.Pass(ctx, p.ID)
}
