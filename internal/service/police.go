package service

import (
	"context"
	"fmt"
	"time"

	"gatehouse/internal/gatehouse"
)

// PoliceStore is what police queries need of storage.
type PoliceStore interface {
	CommunityReader
	MaxEntryID(ctx context.Context) (int64, error)
	Entries(ctx context.Context, f gatehouse.EntryFilter, page gatehouse.Page) ([]*gatehouse.Entry, int64, error)
	CountEntries(ctx context.Context, f gatehouse.EntryFilter) (int64, error)
	ChainHead(ctx context.Context, communityID int64) (int64, string, error)
	CreatePoliceQuery(ctx context.Context, q *gatehouse.PoliceQuery, a *gatehouse.AuditEvent) error
	PoliceQuery(ctx context.Context, id int64) (*gatehouse.PoliceQuery, error)
	PoliceQueries(ctx context.Context, userID int64, page gatehouse.Page) ([]*gatehouse.PoliceQuery, int64, error)
}

// Police runs police officers' case queries of the entry log and their
// exports, each on record in the access audit before anything is shown.
type Police struct {
	Store PoliceStore
	Audit Auditor
}

// MaxPoliceResults bounds the entries one police query returns.
const MaxPoliceResults = gatehouse.MaxPageLimit

// PoliceQueryInput is a query as typed; times are RFC 3339.
type PoliceQueryInput struct {
	CaseRef, Purpose      string
	CommunityIDs          []int64
	From, To              string
	IDNumber, Name, Plate string
}

// Filter is the entry filter a stored query runs with: the log as it stood
// when the query ran.
func PoliceFilter(q *gatehouse.PoliceQuery) gatehouse.EntryFilter {
	return gatehouse.EntryFilter{CommunityIDs: q.CommunityIDs, From: q.From, To: q.To, IDNumber: q.IDNumber, Name: q.Name,
		Plate: q.Plate, MaxID: q.MaxEntryID}
}

// Create runs a query for a case over communities in the officer's
// jurisdiction: only police. The query and its audit event are stored in one
// transaction before its first MaxPoliceResults entries are returned.
func (s *Police) Create(ctx context.Context, pr *gatehouse.Principal, in PoliceQueryInput) (*gatehouse.PoliceQuery, []*gatehouse.Entry, *gatehouse.AuditEvent, error) {
	if pr.IsGate() || pr.Role != gatehouse.RolePolice {
		return nil, nil, nil, forbidden("only police officers query the entry log for a case")
	}
	q := &gatehouse.PoliceQuery{UserID: pr.UserID, CaseRef: in.CaseRef, Purpose: in.Purpose, CommunityIDs: uniq(in.CommunityIDs),
		IDNumber: gatehouse.NewIDNumber(in.IDNumber), Name: in.Name, Plate: in.Plate}
	var probs gatehouse.Problems
	if in.From != "" {
		q.From = ParseTime(&probs, "from", in.From)
	}
	if in.To != "" {
		q.To = ParseTime(&probs, "to", in.To)
	}
	probs.Merge("", q.Validate())
	if err := probs.Err(); err != nil {
		return nil, nil, nil, err
	}
	for _, id := range q.CommunityIDs {
		if _, err := scopedCommunity(ctx, s.Store, pr, id); err != nil {
			return nil, nil, nil, err
		}
	}
	maxID, err := s.Store.MaxEntryID(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	q.MaxEntryID = maxID
	entries, _, err := s.Store.Entries(ctx, PoliceFilter(q), gatehouse.Page{Limit: MaxPoliceResults})
	if err != nil {
		return nil, nil, nil, err
	}
	n, err := s.Store.CountEntries(ctx, PoliceFilter(q))
	if err != nil {
		return nil, nil, nil, err
	}
	q.ResultCount = int(n)
	ev := &gatehouse.AuditEvent{ActorID: pr.UserID, ActorName: pr.Username, ActorRole: pr.Role, Action: gatehouse.AuditPoliceQuery,
		CaseRef: q.CaseRef, Detail: fmt.Sprintf("purpose %q; communities %v; %s to %s; by %s; %d entries", q.Purpose, q.CommunityIDs,
			q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), criteriaNames(q), n)}
	if len(q.CommunityIDs) == 1 {
		ev.CommunityID = q.CommunityIDs[0]
	}
	if err := s.Store.CreatePoliceQuery(ctx, q, ev); err != nil {
		return nil, nil, nil, err
	}
	return q, entries, ev, nil
}

// criteriaNames says which criteria a query used, without their values.
func criteriaNames(q *gatehouse.PoliceQuery) string {
	var out []string
	if !q.IDNumber.IsZero() {
		out = append(out, "id_number")
	}
	if q.Name != "" {
		out = append(out, "name")
	}
	if q.Plate != "" {
		out = append(out, "plate")
	}
	return fmt.Sprint(out)
}

// mayRead is the rule for reading queries: police their own, admin all.
func mayReadPolice(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RolePolice && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only police (their own queries) and admin read police queries")
	}
	return nil
}

// Get is an officer's own query (any, for admin), else ENOTFOUND.
func (s *Police) Get(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.PoliceQuery, error) {
	if err := mayReadPolice(pr); err != nil {
		return nil, err
	}
	q, err := s.Store.PoliceQuery(ctx, id)
	if err != nil {
		return nil, err
	}
	if pr.Role != gatehouse.RoleAdmin && q.UserID != pr.UserID {
		return nil, gatehouse.NotFound("police query")
	}
	return q, nil
}

// List is an officer's queries, newest first (every officer's, for admin).
func (s *Police) List(ctx context.Context, pr *gatehouse.Principal, page gatehouse.Page) ([]*gatehouse.PoliceQuery, int64, error) {
	if err := mayReadPolice(pr); err != nil {
		return nil, 0, err
	}
	owner := pr.UserID
	if pr.Role == gatehouse.RoleAdmin {
		owner = 0
	}
	return s.Store.PoliceQueries(ctx, owner, page)
}

// ChainHead is one community's chain head when an export was made.
type ChainHead struct {
	CommunityID int64
	Seq         int64
	Hash        string
}

// ExportWriter encodes an export: the query and chain heads first, then the
// entries page by page; Finish says how many entries it wrote and the
// SHA-256 of what it wrote.
type ExportWriter interface {
	Begin(q *gatehouse.PoliceQuery, heads []ChainHead) error
	Entries(es []*gatehouse.Entry) error
	Finish() (rows int, sha256hex string, err error)
}

// Export writes an officer's own query again, exactly the entries it found
// (the log as it stood then), with each community's chain head; only the
// officer who ran it. The export is on record in the audit before w's
// output may be sent.
func (s *Police) Export(ctx context.Context, pr *gatehouse.Principal, id int64, w ExportWriter) (*gatehouse.PoliceQuery, error) {
	if pr.IsGate() || pr.Role != gatehouse.RolePolice {
		return nil, forbidden("only the officer who ran a query exports it")
	}
	q, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	heads := make([]ChainHead, 0, len(q.CommunityIDs))
	for _, cid := range q.CommunityIDs {
		seq, hash, err := s.Store.ChainHead(ctx, cid)
		if err != nil {
			return nil, err
		}
		heads = append(heads, ChainHead{CommunityID: cid, Seq: seq, Hash: hash})
	}
	if err := w.Begin(q, heads); err != nil {
		return nil, err
	}
	f := PoliceFilter(q)
	pg := gatehouse.Page{Limit: gatehouse.MaxPageLimit}
	for {
		entries, next, err := s.Store.Entries(ctx, f, pg)
		if err != nil {
			return nil, err
		}
		if err := w.Entries(entries); err != nil {
			return nil, err
		}
		if next == 0 {
			break
		}
		pg.After = next
	}
	rows, digest, err := w.Finish()
	if err != nil {
		return nil, err
	}
	ev := &gatehouse.AuditEvent{ActorID: pr.UserID, ActorName: pr.Username, ActorRole: pr.Role, Action: gatehouse.AuditPoliceExport,
		CaseRef: q.CaseRef, Target: fmt.Sprintf("police_query:%d", q.ID), Detail: fmt.Sprintf("%d entries; sha256 %s", rows, digest)}
	if err := s.Audit.Audit(ctx, ev); err != nil {
		return nil, err
	}
	return q, nil
}
