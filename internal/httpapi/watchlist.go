package httpapi

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
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
	var probs gatehouse.Problems
	probs.Check(req.CommunityID > 0, "community_id", "is required")
	if req.IDType == "" {
		req.IDType = gatehouse.IDResident
	}
	n := gatehouse.NormalizeIDNumber(req.IDNumber)
	if !req.IDType.Valid() {
		probs.Add("id_type", "must be one of resident_id, passport, hk_macao_permit, taiwan_permit, other")
	} else if msg := gatehouse.ValidateIDNumber(req.IDType, n); msg != "" {
		probs.Add("id_number", msg)
	}
	req.Reason = strings.TrimSpace(req.Reason)
	probs.Check(req.Reason != "", "reason", "is required: guards see it")
	probs.Check(utf8.RuneCountInString(req.Reason) <= 200, "reason", "must be at most 200 characters")
	probs.Check(utf8.RuneCountInString(req.Name) <= 64, "name", "must be at most 64 characters")
	if err := probs.Err(); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.scopedCommunity(c, req.CommunityID); err != nil {
		s.fail(c, err)
		return
	}
	w := &gatehouse.WatchlistEntry{CommunityID: req.CommunityID, Name: strings.TrimSpace(req.Name), Reason: req.Reason, CreatedBy: principal(c).UserID}
	if err := s.Store.AddToWatchlist(c.Request.Context(), w, n); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, watchlistBody(w))
}

func (s *Server) listWatchlist(c *gin.Context) {
	pr := principal(c)
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cid, err := communityQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next, err := s.Store.Watchlist(c.Request.Context(), pr.ScopeCommunities(cid), pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]watchlistResponse, len(items))
	for i, w := range items {
		out[i] = watchlistBody(w)
	}
	c.JSON(200, list(out, next))
}

func (s *Server) removeFromWatchlist(c *gin.Context) {
	id, err := idParam(c, "id", "watchlist entry")
	if err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.Store.WatchlistEntry(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !principal(c).InCommunity(w.CommunityID) {
		s.fail(c, gatehouse.NotFound("watchlist entry"))
		return
	}
	if err := s.Store.RemoveFromWatchlist(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}
