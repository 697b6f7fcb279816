package httpapi

import (
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
)

// passCodes reads pass codes with the engine's public keys.
type passCodes struct{ keys passcode.KeyLookup }

func (p passCodes) PassOfCode(code string) (int64, int64, error) {
	c, err := passcode.Parse(code, p.keys)
	if err != nil {
		return 0, 0, err
	}
	if c.Kind != passcode.KindPass {
		return 0, 0, passcode.ErrInvalid
	}
	return c.ID, c.CommunityID, nil
}

type guestCardRequest struct {
	Code string `json:"code"`
}

type guestCardResponse struct {
	Status           string    `json:"status"`
	Usable           bool      `json:"usable"`
	Community        string    `json:"community"`
	Address          string    `json:"address"`
	TimeZone         string    `json:"time_zone"`
	Gates            []string  `json:"gates"`
	Building         string    `json:"building"`
	Unit             string    `json:"unit"`
	Room             string    `json:"room"`
	GuestName        string    `json:"guest_name"`
	ValidFrom        time.Time `json:"valid_from"`
	ValidUntil       time.Time `json:"valid_until"`
	MaxEntries       int       `json:"max_entries"`
	RemainingEntries int       `json:"remaining_entries"`
	HostMoved        bool      `json:"host_moved"`
}

// guestCard answers the guest link: the card of the pass whose code is
// posted (in the body, so that the code stays out of URLs and access logs).
func (s *Server) guestCard(c *gin.Context) {
	var req guestCardRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Code == "" {
		s.fail(c, gatehouse.FieldError("code", "is required"))
		return
	}
	card, err := s.guestCards.Card(c.Request.Context(), req.Code)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, guestCardResponse{Status: card.Status, Usable: card.Usable, Community: card.CommunityName, Address: card.CommunityAddress,
		TimeZone: card.TimeZone, Gates: card.Gates, Building: card.Building, Unit: card.Unit, Room: card.Room, GuestName: card.GuestName,
		ValidFrom: card.ValidFrom, ValidUntil: card.ValidUntil, MaxEntries: card.MaxEntries, RemainingEntries: card.RemainingEntries,
		HostMoved: card.HostMoved})
}
