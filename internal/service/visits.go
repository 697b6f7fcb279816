package service

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/internal/gatehouse"
)

// VisitStore is what visitors' self-registration needs of storage.
type VisitStore interface {
	CommunityReader
	Gate(ctx context.Context, id int64) (*gatehouse.Gate, error)
	Residents(ctx context.Context, f gatehouse.ResidentFilter, page gatehouse.Page) ([]*gatehouse.Resident, int64, error)
	Pass(ctx context.Context, id int64) (*gatehouse.Pass, error)
	CreatePoster(ctx context.Context, p *gatehouse.Poster, tokenHash string) error
	Poster(ctx context.Context, id int64) (*gatehouse.Poster, error)
	PosterByTokenHash(ctx context.Context, h string) (*gatehouse.Poster, error)
	Posters(ctx context.Context, communityID int64) ([]*gatehouse.Poster, error)
	RevokePoster(ctx context.Context, id int64) error
	// The methods that change a request return the id of the change, which
	// its event carries (see VisitEvent.Seq).
	SubmitVisitRequest(ctx context.Context, r *gatehouse.VisitRequest, check func(gatehouse.VisitCounts) error) (int64, error)
	VisitRequest(ctx context.Context, id int64) (*gatehouse.VisitRequest, error)
	VisitRequests(ctx context.Context, f gatehouse.VisitFilter, page gatehouse.Page) ([]*gatehouse.VisitRequest, int64, error)
	ApproveVisitRequest(ctx context.Context, id, by int64, p *gatehouse.Pass) (int64, error)
	DenyVisitRequest(ctx context.Context, id, by int64, reason string) (int64, error)
	SweepVisitRequests(ctx context.Context, eraseBefore time.Time) ([]*gatehouse.VisitEvent, int64, error)
}

// VisitNotifier tells live streams and webhooks about visit requests.
type VisitNotifier interface {
	PublishVisit(ev *gatehouse.VisitEvent)
}

// VisitLimits bound what one poster, address, phone and household may ask.
type VisitLimits struct {
	PerPosterHour, PerAddressHour, PendingPerPhone, PendingPerHousehold int64
}

// DefaultVisitLimits are the limits of the issue: 5 pending per phone, 30
// an hour per address, 20 pending per household, 120 an hour per poster.
var DefaultVisitLimits = VisitLimits{PerPosterHour: 120, PerAddressHour: 30, PendingPerPhone: 5, PendingPerHousehold: 20}

// Visits is visitors' self-registration: managers print posters; a visitor
// with a poster's token registers (no account); the household's present
// residents, or a guard of the community after calling them, approve or
// deny; approved requests become passes of kind self.
type Visits struct {
	Store         VisitStore
	Keys          KeyAssigner
	Notify        VisitNotifier
	Now           func() time.Time
	Limits        VisitLimits
	RetentionDays int
	Guesses       *IDGuesses // an approver who sees numbers masked may not use approvals to guess one
}

// newPosterToken is 144 random bits, short enough for a small QR.
func newPosterToken() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func managesPosters(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only managers and admin print registration posters")
	}
	return nil
}

// CreatePoster makes a poster for a community (and one of its gates):
// managers of it and admin. Its token is in the answer, and in the print.
func (s *Visits) CreatePoster(ctx context.Context, pr *gatehouse.Principal, communityID, gateID int64) (*gatehouse.Poster, error) {
	if err := managesPosters(pr); err != nil {
		return nil, err
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, communityID); err != nil {
		return nil, err
	}
	if gateID != 0 {
		g, err := s.Store.Gate(ctx, gateID)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && g.CommunityID != communityID) {
			return nil, gatehouse.FieldError("gate_id", "no such gate in this community")
		} else if err != nil {
			return nil, err
		}
	}
	p := &gatehouse.Poster{CommunityID: communityID, GateID: gateID, Token: newPosterToken(), CreatedBy: pr.UserID}
	if err := s.Store.CreatePoster(ctx, p, SecretHash(p.Token)); err != nil {
		return nil, err
	}
	return p, nil
}

// Posters lists a community's posters: managers of it and admin.
func (s *Visits) Posters(ctx context.Context, pr *gatehouse.Principal, communityID int64) ([]*gatehouse.Poster, error) {
	if err := managesPosters(pr); err != nil {
		return nil, err
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, communityID); err != nil {
		return nil, err
	}
	return s.Store.Posters(ctx, communityID)
}

// Poster is one poster of a community in scope, with its community (for
// printing), else ENOTFOUND.
func (s *Visits) Poster(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Poster, *gatehouse.Community, error) {
	if err := managesPosters(pr); err != nil {
		return nil, nil, err
	}
	p, err := s.Store.Poster(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	com, err := scopedCommunity(ctx, s.Store, pr, p.CommunityID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, nil, gatehouse.NotFound("poster")
	}
	return p, com, err
}

// RevokePoster stops a poster's token at once (print a new one).
func (s *Visits) RevokePoster(ctx context.Context, pr *gatehouse.Principal, id int64) error {
	p, _, err := s.Poster(ctx, pr, id)
	if err != nil {
		return err
	}
	return s.Store.RevokePoster(ctx, p.ID)
}

// RegisterPage is what a visitor sees before registering.
type RegisterPage struct {
	Community *gatehouse.Community
	Gate      *gatehouse.Gate // nil for a community's poster
	Poster    *gatehouse.Poster
}

// Page is the registration page of a poster's token; a revoked or unknown
// token is not found.
func (s *Visits) Page(ctx context.Context, token string) (*RegisterPage, error) {
	if token == "" || len(token) > 64 {
		return nil, gatehouse.NotFound("registration page")
	}
	p, err := s.Store.PosterByTokenHash(ctx, SecretHash(token))
	if err != nil {
		return nil, err
	}
	com, err := s.Store.Community(ctx, p.CommunityID)
	if err != nil {
		return nil, err
	}
	page := &RegisterPage{Community: com, Poster: p}
	if p.GateID != 0 {
		if page.Gate, err = s.Store.Gate(ctx, p.GateID); err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return nil, err
		}
	}
	return page, nil
}

// RegisterInput is a visitor's registration as typed.
type RegisterInput struct {
	Visitor              VisitorInput
	Building, Unit, Room string
	Purpose              string
	ConsentIDNumber      bool
	NoticeVersion        string
}

// Submit stores a visitor's request for the household of the dwelling
// named and tells its watchers. The answer is the same whether or not
// anyone lives there (a made-up dwelling simply expires): the visitor
// never learns who lives where. Past a limit the answer is ERATELIMITED
// with how long to wait.
func (s *Visits) Submit(ctx context.Context, token string, in RegisterInput, clientIP string) (*gatehouse.VisitRequest, time.Duration, error) {
	page, err := s.Page(ctx, token)
	if err != nil {
		return nil, 0, err
	}
	now := s.Now().UTC()
	r := &gatehouse.VisitRequest{CommunityID: page.Community.ID, PosterID: page.Poster.ID, GateID: page.Poster.GateID,
		Visitor: gatehouse.Visitor{Name: in.Visitor.Name, IDType: in.Visitor.IDType, IDNumber: gatehouse.NewIDNumber(in.Visitor.IDNumber),
			Phone: in.Visitor.Phone, Plate: in.Visitor.Plate},
		Household: gatehouse.Household{CommunityID: page.Community.ID, Building: in.Building, Unit: in.Unit, Room: in.Room},
		Purpose:   in.Purpose, Consent: gatehouse.Consent{IDNumber: in.ConsentIDNumber, NoticeVersion: in.NoticeVersion, At: now},
		ClientIP: network(clientIP), ExpiresAt: now.Add(page.Community.VisitRequestTTL())}
	r.Normalize()
	if err := r.Validate(); err != nil {
		return nil, 0, err
	}
	token, hash := NewSecret("ghv_")
	r.StatusHash = hash
	var wait time.Duration
	seq, err := s.Store.SubmitVisitRequest(ctx, r, func(c gatehouse.VisitCounts) error {
		l := s.Limits
		for _, lim := range []struct {
			n, max int64
			free   time.Time
			what   string
		}{
			{c.PhonePending, l.PendingPerPhone, c.PhoneFree, "requests are waiting for this phone"},
			{c.HouseholdPending, l.PendingPerHousehold, c.HouseholdFree, "requests are waiting for this dwelling"},
			{c.AddressHour, l.PerAddressHour, c.AddressFree, "requests came from this network in the last hour"},
			{c.PosterHour, l.PerPosterHour, c.PosterFree, "requests came through this poster in the last hour"},
		} {
			if lim.max > 0 && lim.n >= lim.max {
				wait = max(time.Second, lim.free.Sub(now).Round(time.Second))
				return gatehouse.Errorf(gatehouse.ERATELIMITED, "too many %s (%d); try again in %s, or ask the guard", lim.what, lim.n, wait)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wait, err
	}
	r.StatusToken = token
	s.Notify.PublishVisit(&gatehouse.VisitEvent{Seq: seq, Request: r, Alert: r.Watchlisted})
	return r, 0, nil
}

// VisitStatus is what the visitor's status token shows: the request's
// status and, once approved, its pass.
type VisitStatus struct {
	Request *gatehouse.VisitRequest
	Status  string
	Pass    *gatehouse.Pass
}

// Status is a request's status for the visitor holding its status token;
// any other token, or none, is not found.
func (s *Visits) Status(ctx context.Context, id int64, token string) (*VisitStatus, error) {
	r, err := s.Store.VisitRequest(ctx, id)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND ||
		(err == nil && subtle.ConstantTimeCompare([]byte(SecretHash(token)), []byte(r.StatusHash)) != 1) {
		return nil, gatehouse.NotFound("visit request")
	} else if err != nil {
		return nil, err
	}
	st := &VisitStatus{Request: r, Status: r.StatusAt(s.Now())}
	if st.Status == gatehouse.VisitApproved && r.PassID != 0 {
		if st.Pass, err = s.Store.Pass(ctx, r.PassID); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// canSeeVisit is the rule for reading a request: its community for staff;
// for a resident, its own household's requests since it moved in.
func canSeeVisit(pr *gatehouse.Principal, r *gatehouse.VisitRequest) bool {
	if pr.IsGate() || !pr.InCommunity(r.CommunityID) {
		return false
	}
	switch pr.Role {
	case gatehouse.RoleResident:
		return pr.Household != nil && *pr.Household == r.Household && !r.CreatedAt.Before(pr.MovedInAt)
	case gatehouse.RoleGuard, gatehouse.RoleManager, gatehouse.RoleAdmin:
		return true
	}
	return false
}

// VisitRow is a request as a list shows it, with the household's phone for
// the guard who calls them (masked to its last 4 for managers and admin).
type VisitRow struct {
	*gatehouse.VisitRequest
	Status         string
	HouseholdPhone string
}

// VisitQuery narrows a list of requests: a community (0: all in scope), a
// gate (0: all; else those through its posters and the community's own, as
// a guard at that gate sees them) and a status ("" for all).
type VisitQuery struct {
	CommunityID, GateID int64
	Status              string
}

// List lists the requests the principal may see: a resident its
// household's, staff their communities'.
func (s *Visits) List(ctx context.Context, pr *gatehouse.Principal, q VisitQuery, page gatehouse.Page) ([]VisitRow, int64, error) {
	communityID, status := q.CommunityID, q.Status
	switch status {
	case "", gatehouse.VisitPending, gatehouse.VisitApproved, gatehouse.VisitDenied, gatehouse.VisitExpired:
	default:
		return nil, 0, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "status: unknown status",
			Fields: map[string]string{"status": "must be one of pending, approved, denied, expired"}}
	}
	if pr.IsGate() || pr.Role == gatehouse.RolePolice {
		return nil, 0, forbidden("only residents, guards, managers and admin see visit requests")
	}
	if withoutHousehold(pr) {
		return []VisitRow{}, 0, nil
	}
	if q.GateID != 0 {
		g, err := s.Store.Gate(ctx, q.GateID)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && (!pr.InCommunity(g.CommunityID) || (communityID != 0 && g.CommunityID != communityID))) {
			return nil, 0, gatehouse.NotFound("gate")
		} else if err != nil {
			return nil, 0, err
		}
	}
	now := s.Now()
	f := gatehouse.VisitFilter{CommunityIDs: pr.ScopeCommunities(communityID), GateID: q.GateID, Status: status, Now: now}
	if pr.Role == gatehouse.RoleResident {
		f.Household = pr.Household
	}
	items, next, err := s.Store.VisitRequests(ctx, f, page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]VisitRow, 0, len(items))
	for _, r := range items {
		if !canSeeVisit(pr, r) {
			continue
		}
		row := VisitRow{VisitRequest: r, Status: r.StatusAt(now)}
		if pr.Role != gatehouse.RoleResident && row.Status == gatehouse.VisitPending {
			if row.HouseholdPhone, err = s.householdPhone(ctx, pr, r.Household); err != nil {
				return nil, 0, err
			}
		}
		out = append(out, row)
	}
	return out, next, nil
}

// householdPhone is the phone of the dwelling's first present resident:
// whole for a guard, who calls them; its last 4 for others; "" when no one
// lives there.
func (s *Visits) householdPhone(ctx context.Context, pr *gatehouse.Principal, h gatehouse.Household) (string, error) {
	rs, _, err := s.Store.Residents(ctx, gatehouse.ResidentFilter{CommunityIDs: []int64{h.CommunityID}, Household: &h}, gatehouse.Page{Limit: 1})
	if err != nil || len(rs) == 0 {
		return "", err
	}
	phone := rs[0].Phone
	if pr.Role == gatehouse.RoleGuard || utf8.RuneCountInString(phone) <= 4 {
		return phone, nil
	}
	return strings.Repeat("*", utf8.RuneCountInString(phone)-4) + phone[len(phone)-4:], nil
}

// decidable is a request the principal may approve or deny: a present
// resident of its household, or a guard of its community (on the
// household's behalf, after calling them). Others who may see it are
// refused; anyone else finds nothing.
func (s *Visits) decidable(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.VisitRequest, error) {
	if pr.IsGate() || (pr.Role != gatehouse.RoleResident && pr.Role != gatehouse.RoleGuard) {
		return nil, forbidden("only the household's residents, or a guard after calling them, approve or deny visit requests")
	}
	r, err := s.Store.VisitRequest(ctx, id)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && !canSeeVisit(pr, r)) {
		return nil, gatehouse.NotFound("visit request")
	}
	return r, err
}

// ApproveInput is an approval as typed: validity and entries, by default
// the community's visit_pass_hours and visit_pass_entries (8 hours, 1
// entry), within the community's pass rules.
type ApproveInput struct {
	ValidUntil string
	MaxEntries *int
}

// Approve issues the visitor's pass (kind self; the approver recorded) and
// marks the request approved. A watchlisted visitor is refused, and the
// guards are alerted.
func (s *Visits) Approve(ctx context.Context, pr *gatehouse.Principal, id int64, in ApproveInput) (*gatehouse.VisitRequest, *gatehouse.Pass, error) {
	r, err := s.decidable(ctx, pr, id)
	if err != nil {
		return nil, nil, err
	}
	if st := r.StatusAt(s.Now()); st != gatehouse.VisitPending {
		return nil, nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this visit request is %s, no longer pending", st)
	}
	host := pr.ResidentID
	if pr.Role != gatehouse.RoleResident {
		rs, _, err := s.Store.Residents(ctx, gatehouse.ResidentFilter{CommunityIDs: []int64{r.CommunityID}, Household: &r.Household}, gatehouse.Page{Limit: 1})
		if err != nil {
			return nil, nil, err
		}
		if len(rs) == 0 {
			return nil, nil, gatehouse.Errorf(gatehouse.ECONFLICT, "no resident lives at %s-%s-%s: deny the request", r.Household.Building, r.Household.Unit, r.Household.Room)
		}
		host = rs[0].ID
	}
	community, err := s.Store.Community(ctx, r.CommunityID)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now().UTC()
	validFor, entries := community.VisitPassDefaults()
	if in.ValidUntil == "" {
		in.ValidUntil = now.Add(validFor).Format(time.RFC3339)
	}
	visitor := r.Visitor
	p := &gatehouse.Pass{CommunityID: r.CommunityID, HostResidentID: host, Kind: gatehouse.PassSelf, Purpose: r.Purpose,
		MaxEntries: entries, Visitor: &visitor, CreatedBy: pr.UserID}
	if in.MaxEntries != nil {
		p.MaxEntries = *in.MaxEntries
	}
	var probs gatehouse.Problems
	parseWindow(&probs, p, PassInput{ValidUntil: in.ValidUntil}, now)
	if !probs.Has("valid_until") {
		probs.Merge("", gatehouse.ValidatePass(p, community, now))
	}
	if err := probs.Err(); err != nil {
		return nil, nil, err
	}
	if !visitor.IDNumber.Known() {
		return nil, nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this request's details were erased")
	}
	if err := s.Guesses.Check(ctx, pr, r.CommunityID, visitor.IDNumber, "id_number"); err != nil {
		return nil, nil, err
	}
	if err := s.Keys.AssignKey(p); err != nil {
		return nil, nil, err
	}
	seq, err := s.Store.ApproveVisitRequest(ctx, r.ID, pr.UserID, p)
	if err != nil {
		if seq != 0 { // refused for the watchlist: the guards are alerted
			r.Watchlisted = true
			s.Notify.PublishVisit(&gatehouse.VisitEvent{Seq: seq, Request: r, Alert: true})
		}
		return nil, nil, err
	}
	if r, err = s.Store.VisitRequest(ctx, r.ID); err != nil {
		return nil, nil, err
	}
	s.Notify.PublishVisit(&gatehouse.VisitEvent{Seq: seq, Request: r})
	p, err = s.Store.Pass(ctx, p.ID)
	return r, p, err
}

// Deny refuses a request, with an optional reason the visitor does not see.
func (s *Visits) Deny(ctx context.Context, pr *gatehouse.Principal, id int64, reason string) (*gatehouse.VisitRequest, error) {
	reason = strings.TrimSpace(reason)
	if msg := gatehouse.ValidateText(reason, 200); msg != "" {
		return nil, gatehouse.FieldError("reason", msg)
	}
	r, err := s.decidable(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	seq, err := s.Store.DenyVisitRequest(ctx, r.ID, pr.UserID, reason)
	if err != nil {
		return nil, err
	}
	if r, err = s.Store.VisitRequest(ctx, r.ID); err != nil {
		return nil, err
	}
	s.Notify.PublishVisit(&gatehouse.VisitEvent{Seq: seq, Request: r})
	return r, nil
}

// Sweep marks unanswered requests expired (telling their watchers) and
// erases what denied, expired and approved requests kept of the visitor
// after 24 hours; it returns how many were erased. Run it every minute.
func (s *Visits) Sweep(ctx context.Context) (int64, error) {
	expired, erased, err := s.Store.SweepVisitRequests(ctx, s.Now().Add(-gatehouse.VisitErasedAfter))
	for _, ev := range expired {
		s.Notify.PublishVisit(ev)
	}
	return erased, err
}

// WatchVisits is the rule for visit requests on a live stream: guards,
// managers and admin see their community's; a resident its household's.
func WatchVisits(pr *gatehouse.Principal) func(*gatehouse.VisitEvent) bool {
	return func(ev *gatehouse.VisitEvent) bool { return canSeeVisit(pr, ev.Request) }
}
