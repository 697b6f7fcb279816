package httpapi

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

// The prefixes of bearer secrets, and their stored form.
const (
	userTokenPrefix = service.UserTokenPrefix
	deviceKeyPrefix = service.DeviceKeyPrefix
)

var newSecret, secretHash = service.NewSecret, service.SecretHash

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	deviceFields
}

type userBrief struct {
	ID           int64          `json:"id"`
	Username     string         `json:"username"`
	Role         gatehouse.Role `json:"role"`
	CommunityIDs []int64        `json:"community_ids"`
	ResidentID   *int64         `json:"resident_id,omitempty"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Remember  bool      `json:"remember"`
	User      userBrief `json:"user"`
}

func brief(u *gatehouse.User) userBrief {
	b := userBrief{ID: u.ID, Username: u.Username, Role: u.Role, CommunityIDs: u.Communities}
	if u.ResidentID != 0 {
		id := u.ResidentID
		b.ResidentID = &id
	}
	return b
}

// login checks a password and issues a bearer token (service.Sessions
// holds the limits).
func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	sess, wait, err := s.sessions.Login(c.Request.Context(), req.Username, req.Password, c.ClientIP(), device(c, req.deviceFields))
	s.signedIn(c, sess, wait, err)
}

func (s *Server) logout(c *gin.Context) {
	if err := s.sessions.Logout(c.Request.Context(), c.GetString(ctxToken)); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}

func (s *Server) me(c *gin.Context) {
	p := principal(c)
	u, err := s.Store.User(c.Request.Context(), p.UserID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, brief(u))
}

// authenticate resolves the bearer credential to a principal: a gate for a
// device key, else a user for a session token.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok && c.FullPath() == "/api/v1/live" {
		// EventSource cannot send headers; the stream takes the token in the query.
		token, ok = c.Query("access_token"), true
	}
	if !ok || token == "" {
		s.fail(c, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "send Authorization: Bearer <token from POST /api/v1/auth/login>"))
		return
	}
	ctx := c.Request.Context()
	hashed := secretHash(strings.TrimSpace(token))
	var p *gatehouse.Principal
	if strings.HasPrefix(token, deviceKeyPrefix) {
		if c.FullPath() == scanRoute {
			// The scan path: a cached key, re-checked inside the scan.
			a, ok := s.gates.Get(hashed)
			if !ok {
				g, epoch, err := s.Store.GateAuth(ctx, hashed)
				if err != nil {
					s.fail(c, err)
					return
				}
				a = gateAuth{gateID: g.ID, communityID: g.CommunityID, epoch: epoch}
				s.gates.Add(hashed, a)
			}
			p = &gatehouse.Principal{GateID: a.gateID, CommunityID: a.communityID}
			c.Set(ctxGateEpoch, a.epoch)
		} else {
			g, err := s.Store.GateByKeyHash(ctx, hashed)
			if err != nil {
				s.fail(c, err)
				return
			}
			p = &gatehouse.Principal{GateID: g.ID, CommunityID: g.CommunityID}
		}
	} else {
		var err error
		if p, err = s.sessionPrincipal(ctx, hashed); err != nil {
			s.fail(c, err)
			return
		}
	}
	c.Set(ctxPrincipal, p)
	c.Set(ctxToken, hashed)
	c.Next()
}

// sessionPrincipal is the user of a live session as it stands now: a
// disabled account or a resident who moved out is EUNAUTHORIZED, and a
// resident's household is its present dwelling.
func (s *Server) sessionPrincipal(ctx context.Context, hashed string) (*gatehouse.Principal, error) {
	u, _, err := s.Store.SessionUser(ctx, hashed)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "this account is disabled")
	}
	p := &gatehouse.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Communities: u.Communities, ResidentID: u.ResidentID}
	if u.Role == gatehouse.RoleResident {
		r, err := s.Store.Resident(ctx, u.ResidentID)
		if err != nil || r.MovedOutAt != nil {
			return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "this resident has moved out")
		}
		h := r.Household()
		p.Household, p.MovedInAt = &h, r.MovedInAt
		p.Communities = []int64{r.CommunityID}
	}
	return p, nil
}

func principal(c *gin.Context) *gatehouse.Principal {
	return c.MustGet(ctxPrincipal).(*gatehouse.Principal)
}

// allow lets only users of the given roles through; gates are refused.
func (s *Server) allow(roles ...gatehouse.Role) gin.HandlerFunc {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	msg := fmt.Sprintf("only %s may do this", strings.Join(names, ", "))
	return func(c *gin.Context) {
		p := principal(c)
		if !p.IsGate() {
			for _, r := range roles {
				if p.Role == r {
					c.Next()
					return
				}
			}
		}
		s.fail(c, gatehouse.Errorf(gatehouse.EFORBIDDEN, "%s", msg))
	}
}

// anyUser lets every logged-in user through and refuses gate devices.
func (s *Server) anyUser(c *gin.Context) {
	if principal(c).IsGate() {
		s.fail(c, gatehouse.Errorf(gatehouse.EFORBIDDEN, "a gate device key may only scan, sync and upload events"))
		return
	}
	c.Next()
}

// gateOr lets gate devices and users of the given roles through.
func (s *Server) gateOr(roles ...gatehouse.Role) gin.HandlerFunc {
	users := s.allow(roles...)
	return func(c *gin.Context) {
		if principal(c).IsGate() {
			c.Next()
			return
		}
		users(c)
	}
}

// gateOnly lets only gate devices through.
func (s *Server) gateOnly(c *gin.Context) {
	if !principal(c).IsGate() {
		s.fail(c, gatehouse.Errorf(gatehouse.EFORBIDDEN, "only a gate device (with its device key) may do this"))
		return
	}
	c.Next()
}
