package httpapi

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
)

type communityRequest struct {
	Name                 *string `json:"name"`
	Address              *string `json:"address"`
	AntiPassback         *string `json:"anti_passback"`
	TimeZone             *string `json:"time_zone"`
	MaxPassDays          *int    `json:"max_pass_days"`
	OnsiteThresholdHours *int    `json:"onsite_threshold_hours"`
	WebhookURL           *string `json:"webhook_url"`
	WebhookSecret        *string `json:"webhook_secret"`
}

type communityResponse struct {
	ID                   int64     `json:"id"`
	Name                 string    `json:"name"`
	Address              string    `json:"address"`
	AntiPassback         string    `json:"anti_passback"`
	TimeZone             string    `json:"time_zone"`
	MaxPassDays          int       `json:"max_pass_days"`
	OnsiteThresholdHours int       `json:"onsite_threshold_hours"`
	WebhookURL           string    `json:"webhook_url"`
	WebhookSecretSet     bool      `json:"webhook_secret_set"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

func communityBody(c *gatehouse.Community) communityResponse {
	ap := "off"
	if c.AntiPassback {
		ap = "on"
	}
	return communityResponse{ID: c.ID, Name: c.Name, Address: c.Address, AntiPassback: ap, TimeZone: c.TimeZone,
		MaxPassDays: c.MaxPassDays, OnsiteThresholdHours: c.OnsiteThresholdHours, WebhookURL: c.WebhookURL,
		WebhookSecretSet: c.WebhookSecret != "", CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// apply copies the set fields of a request onto a community and validates
// it; a webhook_url being set must also pass the webhook allow-list.
func (req *communityRequest) apply(c *gatehouse.Community, allow *events.AllowList) error {
	var p gatehouse.Problems
	if req.Name != nil {
		c.Name = *req.Name
	}
	if req.Address != nil {
		c.Address = *req.Address
	}
	if req.AntiPassback != nil {
		switch *req.AntiPassback {
		case "on":
			c.AntiPassback = true
		case "off":
			c.AntiPassback = false
		default:
			p.Add("anti_passback", `must be "on" or "off"`)
		}
	}
	if req.TimeZone != nil {
		c.TimeZone = *req.TimeZone
	}
	if req.MaxPassDays != nil {
		c.MaxPassDays = *req.MaxPassDays
	}
	if req.OnsiteThresholdHours != nil {
		c.OnsiteThresholdHours = *req.OnsiteThresholdHours
	}
	if req.WebhookURL != nil {
		c.WebhookURL = strings.TrimSpace(*req.WebhookURL)
		if c.WebhookURL == "" {
			c.WebhookSecret = ""
		}
	}
	if req.WebhookSecret != nil {
		c.WebhookSecret = *req.WebhookSecret
	}
	p.Merge("", c.Validate())
	if req.WebhookURL != nil && c.WebhookURL != "" && !p.Has("webhook_url") {
		if err := allow.CheckURL(c.WebhookURL); err != nil {
			p.Add("webhook_url", err.Error())
		}
	}
	return p.Err()
}

func (s *Server) createCommunity(c *gin.Context) {
	var req communityRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	com := &gatehouse.Community{TimeZone: s.DefaultTZ, MaxPassDays: gatehouse.DefaultMaxPassDays, OnsiteThresholdHours: gatehouse.DefaultOnsiteThresholdHours}
	if req.Name == nil {
		req.Name = new(string)
	}
	if err := req.apply(com, s.WebhookAllow); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.CreateCommunity(c.Request.Context(), com); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, communityBody(com))
}

// scopedCommunity reads a community the caller may see, else ENOTFOUND.
func (s *Server) scopedCommunity(c *gin.Context, id int64) (*gatehouse.Community, error) {
	if !principal(c).InCommunity(id) {
		return nil, gatehouse.NotFound("community")
	}
	return s.Store.Community(c.Request.Context(), id)
}

func (s *Server) getCommunity(c *gin.Context) {
	id, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	com, err := s.scopedCommunity(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, communityBody(com))
}

func (s *Server) listCommunities(c *gin.Context) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next, err := s.Store.Communities(c.Request.Context(), principal(c).ScopeCommunities(0), pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]communityResponse, len(items))
	for i, com := range items {
		out[i] = communityBody(com)
	}
	c.JSON(200, list(out, next))
}

func (s *Server) updateCommunity(c *gin.Context) {
	id, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req communityRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	com, err := s.scopedCommunity(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := req.apply(com, s.WebhookAllow); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.UpdateCommunity(c.Request.Context(), com); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, communityBody(com))
}
