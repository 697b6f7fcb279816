package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
)

// Token prefixes tell a user's bearer token from a gate's device key.
const (
	userTokenPrefix = "ght_"
	deviceKeyPrefix = "ghk_"
)

// newSecret returns prefix + 32 random bytes in base64url, and its SHA-256
// (hex), the only form stored.
func newSecret(prefix string) (secret, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, secretHash(secret)
}

// secretHash is the stored form of a bearer secret. Secrets carry 256 random
// bits, so a fast hash is enough: no one can guess a preimage.
func secretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
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

var errBadLogin = gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "wrong username or password")

// Growing delays per account: after LoginPerAccount failures from one address
// (loginPerAccountAll from all addresses together) each failure doubles the
// wait before the next attempt is evaluated, from loginFirstDelay up to
// loginMaxDelay. Attempts refused with 429 are not counted, so they never
// lengthen the wait; the right owner waits at most loginMaxDelay after the
// last wrong guess, and an address's guesses never delay another address
// until loginPerAccountAll failures, more than one address can make within
// the window, arrive from several.
const (
	loginFirstDelay    = 2 * time.Second
	loginMaxDelay      = time.Minute
	loginPerAccountAll = 30
)

// growingDelay is how long after the latest of n failures the next attempt
// waits, once free failures are used up.
func growingDelay(n int64, free int, latest, now time.Time) time.Duration {
	if n < int64(free) {
		return 0
	}
	d := loginMaxDelay
	if k := n - int64(free); k < 6 {
		d = min(loginFirstDelay<<k, loginMaxDelay)
	}
	return latest.Add(d).Sub(now)
}

// login checks a password and issues a bearer token. Before the password is
// checked, the attempt is reserved in its buckets (the address, the account,
// the account from this address) in one locked transaction, so that parallel
// guesses, on one process or several, cannot pass a limit together.
func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	var p gatehouse.Problems
	if req.Username == "" {
		p.Add("username", "is required")
	} else if msg := gatehouse.ValidateUsername(req.Username); msg != "" {
		// No account can have such a name; nothing is looked up.
		p.Add("username", msg)
	}
	p.Check(req.Password != "", "password", "is required")
	if err := p.Err(); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	now := s.Now()
	u, err := s.Store.UserByUsername(ctx, req.Username)
	hash, account := "", ""
	switch {
	case err == nil:
		hash, account = u.PasswordHash, "account:"+strconv.FormatInt(u.ID, 10)
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		// An unknown name is limited like an account, so that limits do not tell
		// whether it exists. Buckets are hashed: the table names no one.
		account = "name:" + secretHash(req.Username)
	default:
		s.fail(c, err)
		return
	}
	ip := c.ClientIP()
	buckets := []string{"address:" + secretHash(ip), account, "pair:" + secretHash(account+"\x00"+ip)}
	ids, blocked, wait, err := s.Store.ReserveLogin(ctx, now, now.Add(-s.LoginWindow), buckets,
		func(i int, n int64, oldest, latest time.Time) time.Duration {
			switch i {
			case 0:
				if n >= int64(s.LoginPerAddress) {
					return oldest.Add(s.LoginWindow).Sub(now)
				}
				return 0
			case 1:
				return growingDelay(n, loginPerAccountAll, latest, now)
			}
			return growingDelay(n, s.LoginPerAccount, latest, now)
		})
	if err != nil {
		s.fail(c, err)
		return
	}
	if wait > 0 {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		c.Header("Retry-After", strconv.Itoa(secs))
		what := "this account"
		if blocked == 0 {
			what = "this address"
		}
		s.fail(c, gatehouse.Errorf(gatehouse.ERATELIMITED, "too many failed logins for %s; try again in %s", what, (time.Duration(secs)*time.Second).String()))
		return
	}
	if !s.Passwords.Check(hash, req.Password) {
		s.fail(c, errBadLogin) // the reserved attempt stays, as a failure
		return
	}
	// The right password: this attempt is no failure, and this address's
	// failures on the account are forgiven (other addresses' are not).
	if err := s.Store.ReleaseLogin(ctx, ids, buckets[2:]); err != nil {
		s.fail(c, err)
		return
	}
	if u.Disabled {
		s.fail(c, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "this account is disabled; ask your property manager"))
		return
	}
	token, hashed := newSecret(userTokenPrefix)
	expires := now.Add(s.SessionTTL).UTC().Truncate(time.Second)
	if err := s.Store.CreateSession(ctx, hashed, u.ID, expires); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, loginResponse{Token: token, ExpiresAt: expires, User: brief(u)})
}

func (s *Server) logout(c *gin.Context) {
	if err := s.Store.DeleteSession(c.Request.Context(), c.GetString(ctxToken)); err != nil {
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
		u, _, err := s.Store.SessionUser(ctx, hashed)
		if err != nil {
			s.fail(c, err)
			return
		}
		if u.Disabled {
			s.fail(c, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "this account is disabled"))
			return
		}
		p = &gatehouse.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Communities: u.Communities, ResidentID: u.ResidentID}
		if u.Role == gatehouse.RoleResident {
			r, err := s.Store.Resident(ctx, u.ResidentID)
			if err != nil || r.MovedOutAt != nil {
				s.fail(c, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "this resident has moved out"))
				return
			}
			h := r.Household()
			p.Household, p.MovedInAt = &h, r.CreatedAt
			p.Communities = []int64{r.CommunityID}
		}
	}
	c.Set(ctxPrincipal, p)
	c.Set(ctxToken, hashed)
	c.Next()
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
