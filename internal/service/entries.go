package service

import (
	"context"

	"gatehouse/internal/gatehouse"
)

// EntryStore is what reading the entry log needs of storage.
type EntryStore interface {
	CommunityReader
	Entries(ctx context.Context, f gatehouse.EntryFilter, page gatehouse.Page) ([]*gatehouse.Entry, int64, error)
	VerifyChains(ctx context.Context, communityIDs []int64) (*gatehouse.ChainReport, error)
}

// Entries reads and verifies the entry log.
type Entries struct {
	Store EntryStore
	Audit Auditor
}

// EntryQuery narrows the log as a caller asks; times are RFC 3339.
type EntryQuery struct {
	CommunityID    int64
	From, To       string
	IDNumber       string // an ID search (gatehouse.SearchByID)
	Name, Plate    string
	GateID, PassID int64
	Decision       string
}

// Filter is the query within the principal's scope: a resident sees its
// household's entries since it moved in, nothing older.
func (q EntryQuery) Filter(pr *gatehouse.Principal) (gatehouse.EntryFilter, error) {
	f := gatehouse.EntryFilter{CommunityIDs: pr.ScopeCommunities(q.CommunityID), Name: q.Name, Plate: q.Plate, GateID: q.GateID, PassID: q.PassID}
	var probs gatehouse.Problems
	if pr.Role == gatehouse.RoleResident {
		f.Household = pr.Household
	}
	if q.From != "" {
		f.From = ParseTime(&probs, "from", q.From)
	}
	if q.To != "" {
		f.To = ParseTime(&probs, "to", q.To)
	}
	if pr.Role == gatehouse.RoleResident && f.From.Before(pr.MovedInAt) {
		f.From = pr.MovedInAt
	}
	if q.IDNumber != "" {
		f.IDNumber = gatehouse.NewIDNumber(gatehouse.NormalizeIDNumber(q.IDNumber))
	}
	switch d := gatehouse.Decision(q.Decision); d {
	case "", gatehouse.Grant, gatehouse.Deny:
		f.Decision = d
	default:
		probs.Add("decision", `must be "grant" or "deny"`)
	}
	if err := probs.Err(); err != nil {
		e := err.(*gatehouse.Error)
		e.Code = gatehouse.EBADREQUEST
		return f, e
	}
	return f, nil
}

// List reads the log within the principal's scope; a search by ID number is
// for admin and police only, audited before it runs.
func (s *Entries) List(ctx context.Context, pr *gatehouse.Principal, q EntryQuery, page gatehouse.Page) ([]*gatehouse.Entry, int64, error) {
	f, err := q.Filter(pr)
	if err != nil {
		return nil, 0, err
	}
	if !f.IDNumber.IsZero() {
		ev, err := gatehouse.SearchByID(pr, q.CommunityID, "GET /entries id_number")
		if err != nil {
			return nil, 0, err
		}
		if err := s.Audit.Audit(ctx, ev); err != nil {
			return nil, 0, err
		}
	}
	if withoutHousehold(pr) {
		return []*gatehouse.Entry{}, 0, nil
	}
	return s.Store.Entries(ctx, f, page)
}

// Verify checks the hash chains of one community or every one in scope:
// admin and police.
func (s *Entries) Verify(ctx context.Context, pr *gatehouse.Principal, communityID int64) (*gatehouse.ChainReport, error) {
	if pr.IsGate() || (pr.Role != gatehouse.RoleAdmin && pr.Role != gatehouse.RolePolice) {
		return nil, forbidden("only admin and police verify the entry log")
	}
	if communityID != 0 {
		if _, err := scopedCommunity(ctx, s.Store, pr, communityID); err != nil {
			return nil, err
		}
	}
	return s.Store.VerifyChains(ctx, pr.ScopeCommunities(communityID))
}
