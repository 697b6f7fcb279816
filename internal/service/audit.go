package service

import (
	"context"

	"gatehouse/internal/gatehouse"
)

// AuditStore is what reading the access audit needs of storage.
type AuditStore interface {
	AuditEvents(ctx context.Context, f gatehouse.AuditFilter, page gatehouse.Page) ([]*gatehouse.AuditEvent, int64, error)
	VerifyAudit(ctx context.Context) (*gatehouse.ChainReport, error)
}

// AccessAudit reads the access audit: who read or exported what. Only admin.
type AccessAudit struct {
	Store AuditStore
}

// AuditQuery narrows the audit as a caller asks; times are RFC 3339.
type AuditQuery struct {
	ActorID, CommunityID int64
	Action, CaseRef      string
	From, To             string
}

func mayReadAudit(pr *gatehouse.Principal) error {
	if pr.IsGate() || pr.Role != gatehouse.RoleAdmin {
		return forbidden("only admin reads the access audit")
	}
	return nil
}

// List is the audit, newest first.
func (s *AccessAudit) List(ctx context.Context, pr *gatehouse.Principal, q AuditQuery, page gatehouse.Page) ([]*gatehouse.AuditEvent, int64, error) {
	if err := mayReadAudit(pr); err != nil {
		return nil, 0, err
	}
	f := gatehouse.AuditFilter{ActorID: q.ActorID, CommunityID: q.CommunityID, Action: q.Action, CaseRef: q.CaseRef}
	var probs gatehouse.Problems
	if q.From != "" {
		f.From = ParseTime(&probs, "from", q.From)
	}
	if q.To != "" {
		f.To = ParseTime(&probs, "to", q.To)
	}
	if err := probs.Err(); err != nil {
		e := err.(*gatehouse.Error)
		e.Code = gatehouse.EBADREQUEST
		return nil, 0, e
	}
	return s.Store.AuditEvents(ctx, f, page)
}

// Verify checks the audit's own hash chain.
func (s *AccessAudit) Verify(ctx context.Context, pr *gatehouse.Principal) (*gatehouse.ChainReport, error) {
	if err := mayReadAudit(pr); err != nil {
		return nil, err
	}
	return s.Store.VerifyAudit(ctx)
}
