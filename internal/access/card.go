package access

import (
	"context"
	"time"

	"gatehouse/internal/gatehouse"
)

// CardFinder finds the card a controller read: the one that bore the
// number in the community when it was swiped, or ENOTFOUND.
type CardFinder interface {
	CardAt(ctx context.Context, communityID int64, number string, t time.Time) (*gatehouse.Card, error)
}

// cardOf resolves a card swipe's number; nil when no card bore it.
func (e *Engine) cardOf(ctx context.Context, communityID int64, ev *gatehouse.OfflineEvent) (*gatehouse.Card, error) {
	cf, ok := e.store.(CardFinder)
	if !ok {
		return nil, nil
	}
	c, err := cf.CardAt(ctx, communityID, ev.Card, ev.OccurredAt)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, nil
	}
	return c, err
}

// decideCard fills a card swipe's entry with its resident and returns the
// server's own judgement of it; the controller's decision stands.
func decideCard(tx gatehouse.ScanTx, card *gatehouse.Card, at time.Time, entry *gatehouse.Entry, out *Outcome) (gatehouse.Reason, gatehouse.Subject, error) {
	if card == nil {
		return gatehouse.UnknownCard, "", nil
	}
	r, err := tx.Resident(card.ResidentID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return gatehouse.UnknownCard, "", nil
	} else if err != nil {
		return "", "", err
	}
	out.Resident = r
	entry.ResidentID, entry.PersonName, entry.IDHash = r.ID, r.Name, r.IDHash
	return gatehouse.CardReason(card, r, at), gatehouse.ResidentSubject(r.ID), nil
}

// sameCardSwipe reports whether a logged entry is this card swipe (an
// upload sent again), rather than another event under a reused id.
func sameCardSwipe(prev *gatehouse.Entry, ev *gatehouse.OfflineEvent, card *gatehouse.Card, at time.Time) bool {
	var resident int64
	if card != nil {
		resident = card.ResidentID
	}
	return prev.Method == gatehouse.MethodCard && prev.Direction == ev.Direction && prev.Decision == ev.Decision &&
		prev.OccurredAt.Equal(at) && prev.ResidentID == resident && prev.PassID == 0
}
