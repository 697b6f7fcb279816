package httpapi

import (
	"context"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

type gateRequest struct {
	CommunityID int64  `json:"community_id"`
	Name        string `json:"name"`
}

type gatePatchRequest struct {
	Name     *string        `json:"name"`
	Disabled *bool          `json:"disabled"`
	Kind     *string        `json:"kind"`
	Camera   *cameraRequest `json:"camera"`
}

// cameraRequest registers a vehicle gate's licence-plate camera.
type cameraRequest struct {
	Vendor string `json:"vendor"`
	Serial string `json:"serial"`
	Lane   string `json:"lane"`
}

// cameraBody is a gate's camera; its push URL is shown only when issued.
type cameraBody struct {
	Vendor   string              `json:"vendor"`
	Serial   string              `json:"serial"`
	Lane     gatehouse.Direction `json:"lane"`
	TokenSet bool                `json:"token_set"`
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
	// Status is its agent's latest heartbeat, in GET /gates and GET /gates/{id}.
	Status *gateStatusBody `json:"status,omitempty"`
	// Kind is pedestrian or vehicle; a vehicle gate has its camera.
	Kind   gatehouse.GateKind `json:"kind"`
	Camera *cameraBody        `json:"camera,omitempty"`
	// CameraURL is the camera's push URL with its secret token, shown once:
	// when the first camera is registered and when the token is rotated.
	CameraURL string `json:"camera_url,omitempty"`
}

func gateBody(g *gatehouse.Gate) gateResponse {
	b := gateResponse{ID: g.ID, CommunityID: g.CommunityID, Name: g.Name, KeyPrefix: g.KeyPrefix,
		Disabled: g.DisabledAt != nil, DisabledAt: g.DisabledAt, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, Kind: g.Kind}
	if b.Kind == "" {
		b.Kind = gatehouse.GatePedestrian
	}
	if cam := g.Camera; cam != nil {
		b.Camera = &cameraBody{Vendor: cam.Vendor, Serial: cam.Serial, Lane: cam.Lane, TokenSet: cam.TokenSet}
	}
	return b
}

// cameraURL is the push URL a camera is configured with.
func (s *Server) cameraURL(c *gin.Context, g *gatehouse.Gate, token string) string {
	if token == "" || g.Camera == nil {
		return ""
	}
	return s.publicBase(c) + "/api/v1/lpr/" + url.PathEscape(g.Camera.Vendor) + "/" + url.PathEscape(token)
}

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
	g, key, err := s.gateAdmin.Create(c.Request.Context(), principal(c), req.CommunityID, req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	body := gateBody(g)
	body.DeviceKey = key
	c.JSON(201, body)
}

func (s *Server) getGate(c *gin.Context) {
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	g, err := s.gateAdmin.Get(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.gateMonitor.Statuses(c.Request.Context(), principal(c), []*gatehouse.Gate{g})
	if err != nil {
		s.fail(c, err)
		return
	}
	body := gateBody(g)
	body.Status = gateStatusOf(st[g.ID], s.Now())
	c.JSON(200, body)
}

// listGates lists the gates in scope, each with its status.
func (s *Server) listGates(c *gin.Context) {
	fetch := func(ctx context.Context, pr *gatehouse.Principal, cid int64, pg gatehouse.Page) ([]gateResponse, int64, error) {
		gs, next, err := s.gateAdmin.List(ctx, pr, cid, pg)
		if err != nil {
			return nil, 0, err
		}
		st, err := s.gateMonitor.Statuses(ctx, pr, gs)
		if err != nil {
			return nil, 0, err
		}
		now := s.Now()
		out := make([]gateResponse, len(gs))
		for i, g := range gs {
			out[i] = gateBody(g)
			out[i].Status = gateStatusOf(st[g.ID], now)
		}
		return out, next, nil
	}
	listInCommunity(s, c, fetch, func(b gateResponse) gateResponse { return b })
}

func (s *Server) updateGate(c *gin.Context) {
	var req gatePatchRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	in := service.GateChange{Name: req.Name, Disabled: req.Disabled, Kind: req.Kind}
	if cam := req.Camera; cam != nil {
		in.Camera = &service.CameraInput{Vendor: cam.Vendor, Serial: cam.Serial, Lane: cam.Lane}
	}
	g, token, err := s.gateAdmin.Change(c.Request.Context(), principal(c), id, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	body := gateBody(g)
	body.CameraURL = s.cameraURL(c, g, token)
	c.JSON(200, body)
}

// rotateCameraToken issues a vehicle gate's camera a new push URL; the old
// one stops working at once.
func (s *Server) rotateCameraToken(c *gin.Context) {
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	g, token, err := s.gateAdmin.RotateCameraToken(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	body := gateBody(g)
	body.CameraURL = s.cameraURL(c, g, token)
	c.JSON(200, body)
}

// rotateGateKey issues a new device key; the old one stops working at once.
func (s *Server) rotateGateKey(c *gin.Context) {
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	g, key, err := s.gateAdmin.RotateKey(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	body := gateBody(g)
	body.DeviceKey = key
	c.JSON(200, body)
}
