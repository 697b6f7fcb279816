package httpapi

import (
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/password"
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

// managedRoles are the accounts a manager keeps for its communities.
var managedRoles = []gatehouse.Role{gatehouse.RoleGuard, gatehouse.RoleResident}

func (s *Server) createUser(c *gin.Context) {
	var req userRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	p := principal(c)
	var probs gatehouse.Problems
	if msg := gatehouse.ValidateUsername(req.Username); msg != "" {
		probs.Add("username", msg)
	}
	if msg := password.Validate(req.Password, req.Username); msg != "" {
		probs.Add("password", msg)
	}
	switch {
	case !req.Role.Valid():
		probs.Add("role", "must be one of admin, manager, guard, resident, police")
	case p.Role == gatehouse.RoleManager && !slices.Contains(managedRoles, req.Role):
		s.fail(c, gatehouse.Errorf(gatehouse.EFORBIDDEN, "a manager creates only guard and resident accounts"))
		return
	}
	u := &gatehouse.User{Username: req.Username, Role: req.Role, Communities: uniq(req.CommunityIDs)}
	switch req.Role {
	case gatehouse.RoleAdmin:
		probs.Check(len(u.Communities) == 0, "community_ids", "an admin covers every community; leave it empty")
		probs.Check(req.ResidentID == nil, "resident_id", "only a resident account has a resident_id")
	case gatehouse.RoleResident:
		if req.ResidentID == nil {
			probs.Add("resident_id", "is required for a resident account")
			break
		}
		r, err := s.Store.Resident(ctx, *req.ResidentID)
		if err != nil || !p.InCommunity(r.CommunityID) || r.MovedOutAt != nil {
			if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				s.fail(c, err)
				return
			}
			s.fail(c, gatehouse.NotFound("resident"))
			return
		}
		probs.Check(len(u.Communities) == 0 || (len(u.Communities) == 1 && u.Communities[0] == r.CommunityID),
			"community_ids", "a resident belongs to its own community only; leave it empty")
		u.Communities, u.ResidentID = []int64{r.CommunityID}, r.ID
	case gatehouse.RoleManager, gatehouse.RoleGuard, gatehouse.RolePolice:
		probs.Check(len(u.Communities) > 0, "community_ids", "list at least one community")
		probs.Check(req.ResidentID == nil, "resident_id", "only a resident account has a resident_id")
	}
	if err := probs.Err(); err != nil {
		s.fail(c, err)
		return
	}
	for _, id := range u.Communities {
		if _, err := s.scopedCommunity(c, id); err != nil {
			s.fail(c, err)
			return
		}
	}
	hash, err := s.Passwords.Hash(req.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	u.PasswordHash = hash
	if err := s.Store.CreateUser(ctx, u); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, userBody(u))
}

// userFilter is the set of accounts the caller may see.
func userFilter(p *gatehouse.Principal) gatehouse.UserFilter {
	if p.Role == gatehouse.RoleAdmin {
		return gatehouse.UserFilter{}
	}
	return gatehouse.UserFilter{CommunityIDs: p.ScopeCommunities(0), Roles: managedRoles}
}

// visibleUser reports whether p may see and change u: a manager only
// guards and residents whose every community is its own, so that it cannot
// take over an account that also opens another company's gates.
func visibleUser(p *gatehouse.Principal, u *gatehouse.User) bool {
	if p.Role == gatehouse.RoleAdmin {
		return true
	}
	if !slices.Contains(managedRoles, u.Role) || len(u.Communities) == 0 {
		return false
	}
	for _, c := range u.Communities {
		if !p.InCommunity(c) {
			return false
		}
	}
	return true
}

func (s *Server) listUsers(c *gin.Context) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := userFilter(principal(c))
	if cid, err := queryID(c, "community_id"); err != nil {
		s.fail(c, err)
		return
	} else if cid != 0 {
		if !principal(c).InCommunity(cid) {
			s.fail(c, gatehouse.NotFound("community"))
			return
		}
		f.CommunityIDs = []int64{cid}
	}
	if r := gatehouse.Role(c.Query("role")); r != "" {
		if !r.Valid() {
			s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "role: unknown role", Fields: map[string]string{"role": "must be one of admin, manager, guard, resident, police"}})
			return
		}
		if f.Roles != nil && !slices.Contains(f.Roles, r) {
			c.JSON(200, list([]userResponse{}, 0))
			return
		}
		f.Roles = []gatehouse.Role{r}
	}
	users, next, err := s.Store.Users(c.Request.Context(), f, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]userResponse, 0, len(users))
	for _, u := range users {
		if visibleUser(principal(c), u) {
			out = append(out, userBody(u))
		}
	}
	c.JSON(200, list(out, next))
}

func (s *Server) scopedUser(c *gin.Context) (*gatehouse.User, error) {
	id, err := idParam(c, "id", "user")
	if err != nil {
		return nil, err
	}
	u, err := s.Store.User(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if !visibleUser(principal(c), u) {
		return nil, gatehouse.NotFound("user")
	}
	return u, nil
}

func (s *Server) getUser(c *gin.Context) {
	u, err := s.scopedUser(c)
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
	u, err := s.scopedUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var patch gatehouse.UserPatch
	if req.Password != nil {
		if msg := password.Validate(*req.Password, u.Username); msg != "" {
			s.fail(c, gatehouse.FieldError("password", msg))
			return
		}
		h, err := s.Passwords.Hash(*req.Password)
		if err != nil {
			s.fail(c, err)
			return
		}
		patch.PasswordHash = &h
	}
	if req.Disabled != nil {
		if *req.Disabled && u.ID == principal(c).UserID {
			s.fail(c, gatehouse.FieldError("disabled", "you cannot disable your own account"))
			return
		}
		patch.Disabled = req.Disabled
	}
	if err := s.Store.UpdateUser(c.Request.Context(), u.ID, patch); err != nil {
		s.fail(c, err)
		return
	}
	u, err = s.Store.User(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, userBody(u))
}

func uniq(ids []int64) []int64 {
	out := []int64{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
