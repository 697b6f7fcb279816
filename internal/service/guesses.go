package service

import (
	"context"
	"time"

	"gatehouse/internal/gatehouse"
)

// IDGuessStore is what telling guesses at hidden digits needs of storage.
type IDGuessStore interface {
	// IDNumberMatch says whether n is stored (a visitor's, or on the
	// community's watchlist) or only shows a stored number's masked form.
	IDNumberMatch(ctx context.Context, communityID int64, n gatehouse.IDNumber) (exact, near bool, err error)
	CountAudit(ctx context.Context, f gatehouse.AuditFilter) (int64, error)
}

// IDGuesses holds to the rule of gatehouse.GuessedTooOften every ID number
// that a role seeing numbers masked enters for a visitor: a pass, a walk-in,
// a guard's override.
type IDGuesses struct {
	Store IDGuessStore
	Audit Auditor
	Now   func() time.Time
}

// Check audits a near miss before anything is stored, then refuses the
// number (naming field) when the account, or the community's accounts
// together, guessed too often. The near miss is written before it is
// counted, so parallel tries cannot pass the allowance together; a refusal
// of a stored number is written too, so that both refusals cost the same.
func (g *IDGuesses) Check(ctx context.Context, pr *gatehouse.Principal, communityID int64, n gatehouse.IDNumber, field string) error {
	if gatehouse.MaySeeWhole(pr) || !n.Known() {
		return nil
	}
	exact, near, err := g.Store.IDNumberMatch(ctx, communityID, n)
	if err != nil || (!exact && !near) {
		return err
	}
	audit := func(detail string) error {
		return g.Audit.Audit(ctx, &gatehouse.AuditEvent{ActorID: pr.UserID, ActorName: pr.Username, ActorRole: pr.Role,
			Action: gatehouse.AuditIDGuess, CommunityID: communityID, Target: field, Detail: detail + n.Masked()})
	}
	if near {
		if err := audit("masked "); err != nil {
			return err
		}
	}
	since := g.Now().Add(-gatehouse.IDGuessWindow)
	mine, err := g.Store.CountAudit(ctx, gatehouse.AuditFilter{ActorID: pr.UserID, Action: gatehouse.AuditIDGuess, From: since})
	if err != nil {
		return err
	}
	all, err := g.Store.CountAudit(ctx, gatehouse.AuditFilter{CommunityID: communityID, Action: gatehouse.AuditIDGuess, From: since})
	if err != nil {
		return err
	}
	if !gatehouse.GuessedTooOften(exact, near, mine) && !gatehouse.CommunityGuessedTooOften(exact, near, all) {
		return nil
	}
	if exact {
		if err := audit("refused, masked "); err != nil {
			return err
		}
	}
	return gatehouse.TooManyIDGuesses(field)
}
