package httpapi

import (
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

type watchlistRequest struct {
	CommunityID int64            `json:"community_id"`
	IDType      gatehouse.IDType `json:"id_type"`
	IDNumber    string           `json:"id_number"`
	Name        string           `json:"name"`
	Reason      string           `json:"reason"`
}

type watchlistResponse struct {
	ID          int64     `json:"id"`
	CommunityID int64     `json:"community_id"`
	IDNumber    string    `json:"id_number"`
	Name        string    `json:"name"`
	Reason      string    `json:"reason"`
	CreatedBy   int64     `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func watchlistBody(w *gatehouse.WatchlistEntry) watchlistResponse {
	return watchlistResponse{ID: w.ID, CommunityID: w.CommunityID, IDNumber: w.IDMasked, Name: w.Name, Reason: w.Reason,
		CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt}
}

// addToWatchlist puts a person on a community's watchlist: their passes are
// refused with "watchlisted" from the next scan on.
func (s *Server) addToWatchlist(c *gin.Context) {
	var req watchlistRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.watchlist.Add(c.Request.Context(), principal(c), service.WatchInput{CommunityID: req.CommunityID, IDType: req.IDType,
		IDNumber: req.IDNumber, Name: req.Name, Reason: req.Reason})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, watchlistBody(w))
}

func (s *Server) listWatchlist(c *gin.Context) {
	listInCommunity(s, c, s.watchlist.List, watchlistBody)
}

func (s *Server) removeFromWatchlist(c *gin.Context) {
	id, err := idParam(c, "id", "watchlist entry")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.watchlist.Remove(c.Request.Context(), principal(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}
