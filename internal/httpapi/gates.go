package httpapi

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
)

type gateRequest struct {
	CommunityID int64  `json:"community_id"`
	Name        string `json:"name"`
}

type gatePatchRequest struct {
	Name     *string `json:"name"`
	Disabled *bool   `json:"disabled"`
}

type gateResponse struct {
	ID          int64      `json:"id"`
	CommunityID int64      `json:"community_id"`
	Name        string     `json:"name"`
	KeyPrefix   string     `json:"key_prefix"`
	Disabled    bool       `json:"disabled"`
	DisabledAt  *time.Time `json:"disabled_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// DeviceKey is shown once: when the gate is made and when its key is rotated.
	DeviceKey string `json:"device_key,omitempty"`
}

func gateBody(g *gatehouse.Gate) gateResponse {
	return gateResponse{ID: g.ID, CommunityID: g.CommunityID, Name: g.Name, KeyPrefix: g.KeyPrefix,
		Disabled: g.DisabledAt != nil, DisabledAt: g.DisabledAt, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

func validateGateName(name string) string { return gatehouse.ValidateGateName(name) }

// newDeviceKey returns a fresh device key, its stored hash and the prefix
// shown in lists so that a manager can tell keys apart.
func newDeviceKey() (key, hash, prefix string) {
	key, hash = newSecret(deviceKeyPrefix)
	return key, hash, key[:len(deviceKeyPrefix)+6]
}

func (s *Server) createGate(c *gin.Context) {
	var req gateRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	var p gatehouse.Problems
	p.Check(req.CommunityID > 0, "community_id", "is required")
	if msg := validateGateName(req.Name); msg != "" {
		p.Add("name", msg)
	}
	if err := p.Err(); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.scopedCommunity(c, req.CommunityID); err != nil {
		s.fail(c, err)
		return
	}
	key, hash, prefix := newDeviceKey()
	g := &gatehouse.Gate{CommunityID: req.CommunityID, Name: strings.TrimSpace(req.Name), KeyPrefix: prefix}
	if err := s.Store.CreateGate(c.Request.Context(), g, hash); err != nil {
		s.fail(c, err)
		return
	}
	body := gateBody(g)
	body.DeviceKey = key
	c.JSON(201, body)
}

func (s *Server) scopedGate(c *gin.Context) (*gatehouse.Gate, error) {
	id, err := idParam(c, "id", "gate")
	if err != nil {
		return nil, err
	}
	g, err := s.Store.Gate(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if !principal(c).InCommunity(g.CommunityID) {
		return nil, gatehouse.NotFound("gate")
	}
	return g, nil
}

func (s *Server) getGate(c *gin.Context) {
	g, err := s.scopedGate(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, gateBody(g))
}

func (s *Server) listGates(c *gin.Context) {
	p := principal(c)
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
	items, next, err := s.Store.Gates(c.Request.Context(), p.ScopeCommunities(cid), pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gateResponse, len(items))
	for i, g := range items {
		out[i] = gateBody(g)
	}
	c.JSON(200, list(out, next))
}

func (s *Server) updateGate(c *gin.Context) {
	var req gatePatchRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	g, err := s.scopedGate(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.Name != nil {
		if msg := validateGateName(*req.Name); msg != "" {
			s.fail(c, gatehouse.FieldError("name", msg))
			return
		}
		n := strings.TrimSpace(*req.Name)
		req.Name = &n
	}
	g, err = s.Store.UpdateGate(c.Request.Context(), g.ID, gatehouse.GatePatch{Name: req.Name, Disabled: req.Disabled})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, gateBody(g))
}

// rotateGateKey issues a new device key; the old one stops working at once.
func (s *Server) rotateGateKey(c *gin.Context) {
	g, err := s.scopedGate(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	key, hash, prefix := newDeviceKey()
	g, err = s.Store.UpdateGate(c.Request.Context(), g.ID, gatehouse.GatePatch{KeyHash: &hash, KeyPrefix: &prefix})
	if err != nil {
		s.fail(c, err)
		return
	}
	body := gateBody(g)
	body.DeviceKey = key
	c.JSON(200, body)
}
