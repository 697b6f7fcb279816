package httpapi

import (
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

type userRequest struct {
	Username     string         `json:"username"`
	Password     string         `json:"password"`
	Role         gatehouse.Role `json:"role"`
	CommunityIDs []int64        `json:"community_ids"`
	ResidentID   *int64         `json:"resident_id"`
}

type userPatchRequest struct {
	Password *string `json:"password"`
	Disabled *bool   `json:"disabled"`
}

type userResponse struct {
	ID           int64          `json:"id"`
	Username     string         `json:"username"`
	Role         gatehouse.Role `json:"role"`
	CommunityIDs []int64        `json:"community_ids"`
	ResidentID   *int64         `json:"resident_id,omitempty"`
	Disabled     bool           `json:"disabled"`
	CreatedAt    time.Time      `json:"created_at"`
}

func userBody(u *gatehouse.User) userResponse {
	b := userResponse{ID: u.ID, Username: u.Username, Role: u.Role, CommunityIDs: u.Communities, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
	if u.ResidentID != 0 {
		id := u.ResidentID
		b.ResidentID = &id
	}
	return b
}

func (s *Server) createUser(c *gin.Context) {
	var req userRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.users.Create(c.Request.Context(), principal(c), service.UserInput{Username: req.Username, Password: req.Password,
		Role: req.Role, CommunityIDs: req.CommunityIDs, ResidentID: req.ResidentID})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, userBody(u))
}

func (s *Server) listUsers(c *gin.Context) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	users, next, err := s.users.List(c.Request.Context(), principal(c), service.UserQuery{CommunityID: cid, Role: gatehouse.Role(c.Query("role"))}, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]userResponse, 0, len(users))
	for _, u := range users {
		out = append(out, userBody(u))
	}
	c.JSON(200, list(out, next))
}

func (s *Server) getUser(c *gin.Context) {
	id, err := idParam(c, "id", "user")
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.users.Get(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, userBody(u))
}

func (s *Server) updateUser(c *gin.Context) {
	var req userPatchRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	id, err := idParam(c, "id", "user")
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.users.Update(c.Request.Context(), principal(c), id, service.UserChange{Password: req.Password, Disabled: req.Disabled})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, userBody(u))
}

// uniq returns ids without repeats (an empty list for none).
func uniq(ids []int64) []int64 {
	out := []int64{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
