package service

import (
	"context"
	"time"

	"gatehouse/internal/gatehouse"
)

// CardStore is what the card use cases need of storage.
type CardStore interface {
	Resident(ctx context.Context, id int64) (*gatehouse.Resident, error)
	CreateCard(ctx context.Context, c *gatehouse.Card) error
	Card(ctx context.Context, id int64) (*gatehouse.Card, error)
	ResidentCards(ctx context.Context, residentID int64) ([]*gatehouse.Card, error)
	DeleteCard(ctx context.Context, id, by int64) error
	LiveCards(ctx context.Context, communityID int64, now time.Time) ([]*gatehouse.Card, error)
	CardsForChanges(ctx context.Context, communityID int64, cardIDs, movedOut []int64) ([]*gatehouse.Card, error)
}

// Cards registers and deletes residents' IC cards, and tells gates which
// cards open their doors.
type Cards struct {
	Store CardStore
	Now   func() time.Time
}

// CardInput is a card as typed: times in RFC 3339, valid_from by default
// now, valid_until by default none (until deleted or moved out).
type CardInput struct {
	Number     string
	Label      string
	ValidFrom  string
	ValidUntil string
}

// mayManageCards is the rule for changing cards: managers of the community
// and admin.
func mayManageCards(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only managers and admin register and delete cards")
	}
	return nil
}

// Create registers a card of a present resident.
func (s *Cards) Create(ctx context.Context, pr *gatehouse.Principal, residentID int64, in CardInput) (*gatehouse.Card, error) {
	if err := mayManageCards(pr); err != nil {
		return nil, err
	}
	r, err := scopedResident(ctx, s.Store, pr, residentID)
	if err != nil {
		return nil, err
	}
	c := &gatehouse.Card{CommunityID: r.CommunityID, ResidentID: r.ID, Number: in.Number, Label: in.Label,
		ValidFrom: s.Now().UTC().Truncate(time.Second), CreatedBy: pr.UserID}
	var probs gatehouse.Problems
	if in.ValidFrom != "" {
		c.ValidFrom = ParseTime(&probs, "valid_from", in.ValidFrom).Truncate(time.Second)
	}
	if in.ValidUntil != "" {
		until := ParseTime(&probs, "valid_until", in.ValidUntil).Truncate(time.Second)
		c.ValidUntil = &until
	}
	c.Normalize()
	probs.Merge("", c.Validate())
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if r.MovedOutAt != nil {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this resident has moved out; a card cannot be registered to them")
	}
	if err := s.Store.CreateCard(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// List is a resident's cards: for managers and admin of its community, and
// for the resident itself.
func (s *Cards) List(ctx context.Context, pr *gatehouse.Principal, residentID int64) ([]*gatehouse.Card, error) {
	r, err := scopedResident(ctx, s.Store, pr, residentID)
	if err != nil {
		return nil, err
	}
	switch pr.Role {
	case gatehouse.RoleAdmin, gatehouse.RoleManager:
	case gatehouse.RoleResident:
		if pr.ResidentID != r.ID {
			return nil, gatehouse.NotFound("resident")
		}
	default:
		return nil, forbidden("only managers, admin and the resident itself see a resident's cards")
	}
	return s.Store.ResidentCards(ctx, r.ID)
}

// Delete deletes a card: it stops opening doors at every gate of its
// community at their next sync.
func (s *Cards) Delete(ctx context.Context, pr *gatehouse.Principal, id int64) error {
	if err := mayManageCards(pr); err != nil {
		return err
	}
	c, err := s.Store.Card(ctx, id)
	if err != nil {
		return err
	}
	if !pr.InCommunity(c.CommunityID) || c.DeletedAt != nil {
		return gatehouse.NotFound("card")
	}
	return s.Store.DeleteCard(ctx, id, pr.UserID)
}

// GateCards are the card changes a gate learns with one sync.
type GateCards struct {
	Live     []*gatehouse.Card // cards that open its doors (added or changed)
	Removed  []*gatehouse.Card // cards that no longer do
	Complete bool              // Live is every such card: a gate removes any other
}

// ForGate is what a gate of a community must learn of cards: every card
// that opens its doors when complete (a first sync, or a full reconcile),
// else those named by the changes of this sync page (cards changed, and
// the cards of residents who moved out).
func (s *Cards) ForGate(ctx context.Context, communityID int64, changes []gatehouse.CodeChange, complete bool) (*GateCards, error) {
	now := s.Now()
	out := &GateCards{Live: []*gatehouse.Card{}, Removed: []*gatehouse.Card{}, Complete: complete}
	if complete {
		live, err := s.Store.LiveCards(ctx, communityID, now)
		if err != nil {
			return nil, err
		}
		out.Live = live
		return out, nil
	}
	var cardIDs, movedOut []int64
	for _, ch := range changes {
		switch ch.Kind {
		case gatehouse.ChangeCard:
			cardIDs = append(cardIDs, ch.SubjectID)
		case gatehouse.ChangeMovedOut:
			movedOut = append(movedOut, ch.SubjectID)
		}
	}
	cards, err := s.Store.CardsForChanges(ctx, communityID, uniq(cardIDs), uniq(movedOut))
	if err != nil || len(cards) == 0 {
		return out, err
	}
	gone := map[int64]bool{}
	for _, id := range movedOut {
		gone[id] = true
	}
	for _, c := range cards {
		dead := c.DeletedAt != nil || gone[c.ResidentID] || (c.ValidUntil != nil && !now.Before(*c.ValidUntil))
		if !dead {
			// A card changed on this page whose resident left on an earlier one.
			r, err := s.Store.Resident(ctx, c.ResidentID)
			if err != nil {
				return nil, err
			}
			dead = r.MovedOutAt != nil
		}
		if dead {
			out.Removed = append(out.Removed, c)
		} else {
			out.Live = append(out.Live, c)
		}
	}
	return out, nil
}
