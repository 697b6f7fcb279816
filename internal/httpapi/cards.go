package httpapi

import (
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

type cardRequest struct {
	Number     string `json:"number"`
	Label      string `json:"label"`
	ValidFrom  string `json:"valid_from"`
	ValidUntil string `json:"valid_until"`
}

type cardResponse struct {
	ID          int64      `json:"id"`
	CommunityID int64      `json:"community_id"`
	ResidentID  int64      `json:"resident_id"`
	Number      string     `json:"number"`
	Label       string     `json:"label"`
	ValidFrom   time.Time  `json:"valid_from"`
	ValidUntil  *time.Time `json:"valid_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

func cardBody(c *gatehouse.Card) cardResponse {
	return cardResponse{ID: c.ID, CommunityID: c.CommunityID, ResidentID: c.ResidentID, Number: c.Number, Label: c.Label,
		ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, CreatedAt: c.CreatedAt}
}

func (s *Server) createCard(c *gin.Context) {
	var req cardRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	rid, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return
	}
	card, err := s.cards.Create(c.Request.Context(), principal(c), rid,
		service.CardInput{Number: req.Number, Label: req.Label, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, cardBody(card))
}

func (s *Server) listCards(c *gin.Context) {
	rid, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return
	}
	cards, err := s.cards.List(c.Request.Context(), principal(c), rid)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]cardResponse, len(cards))
	for i, card := range cards {
		out[i] = cardBody(card)
	}
	c.JSON(200, gin.H{"items": out})
}

func (s *Server) deleteCard(c *gin.Context) {
	id, err := idParam(c, "id", "card")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.cards.Delete(c.Request.Context(), principal(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}
