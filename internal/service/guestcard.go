package service

import (
	"context"
	"slices"
	"time"

	"gatehouse/internal/gatehouse"
)

// GuestCardStore is what the guest's card needs of storage.
type GuestCardStore interface {
	CommunityReader
	Pass(ctx context.Context, id int64) (*gatehouse.Pass, error)
	Gates(ctx context.Context, communityIDs []int64, page gatehouse.Page) ([]*gatehouse.Gate, int64, error)
}

// PassCodeReader checks a code's signature and names the pass it is for;
// any code that is not a well-signed pass code is an error.
type PassCodeReader interface {
	PassOfCode(code string) (passID, communityID int64, err error)
}

// GuestCards shows a guest, who has only the code, the card of its pass.
type GuestCards struct {
	Store GuestCardStore
	Codes PassCodeReader
	Now   func() time.Time
}

// GuestCard is all a guest link reveals of a pass: where to go, for whom
// (the dwelling, never the host's name or anyone's ID number or phone), and
// whether the pass still opens a gate.
type GuestCard struct {
	Status           string // gatehouse.PassActive ... PassRevoked
	CommunityName    string
	CommunityAddress string
	TimeZone         string
	Gates            []string // the gates it opens: its own list, else every gate of the community
	Building         string
	Unit             string
	Room             string
	GuestName        string
	ValidFrom        time.Time
	ValidUntil       time.Time
	MaxEntries       int
	RemainingEntries int
	Usable           bool // active, or pending: a QR is worth showing
	HostMoved        bool // the host moved after inviting: no dwelling is shown (it is not where the guest was asked to)
}

// Card reads the card of the pass a code names. It needs no principal: the
// signed code is the guest's proof. A code that is not a valid pass code, or
// whose pass is gone, is ENOTFOUND.
func (s *GuestCards) Card(ctx context.Context, code string) (*GuestCard, error) {
	id, communityID, err := s.Codes.PassOfCode(code)
	if err != nil {
		return nil, gatehouse.NotFound("pass")
	}
	p, err := s.Store.Pass(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.CommunityID != communityID {
		return nil, gatehouse.NotFound("pass")
	}
	com, err := s.Store.Community(ctx, p.CommunityID)
	if err != nil {
		return nil, err
	}
	gates, _, err := s.Store.Gates(ctx, []int64{p.CommunityID}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	c := &GuestCard{Status: p.Status(s.Now()), CommunityName: com.Name, CommunityAddress: com.Address, TimeZone: com.TimeZone,
		Gates: []string{}, ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil, MaxEntries: p.MaxEntries, RemainingEntries: p.Remaining()}
	c.Usable = c.Status == gatehouse.PassActive || c.Status == gatehouse.PassPending
	for _, g := range gates {
		if g.DisabledAt == nil && (len(p.GateIDs) == 0 || slices.Contains(p.GateIDs, g.ID)) {
			c.Gates = append(c.Gates, g.Name)
		}
	}
	if p.Visitor != nil {
		c.GuestName = p.Visitor.Name
	}
	// The dwelling the host invited to: a host who moved since has another
	// one, which the card does not show (it may be someone else's by now).
	if h := p.Host; h != nil && p.CreatedAt.Before(h.MovedInAt) {
		c.HostMoved = true
	} else if h != nil {
		c.Building, c.Unit, c.Room = h.Building, h.Unit, h.Room
	}
	return c, nil
}
