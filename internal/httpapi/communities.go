package httpapi

import (
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

type communityRequest struct {
	Name                 *string `json:"name"`
	Address              *string `json:"address"`
	AntiPassback         *string `json:"anti_passback"`
	TimeZone             *string `json:"time_zone"`
	MaxPassDays          *int    `json:"max_pass_days"`
	OnsiteThresholdHours *int    `json:"onsite_threshold_hours"`
	PlateMinConfidence   *int    `json:"plate_min_confidence"`
	VisitRequestMinutes  *int    `json:"visit_request_minutes"`
	VisitPassHours       *int    `json:"visit_pass_hours"`
	VisitPassEntries     *int    `json:"visit_pass_entries"`
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
	PlateMinConfidence   int       `json:"plate_min_confidence"`
	VisitRequestMinutes  int       `json:"visit_request_minutes"`
	VisitPassHours       int       `json:"visit_pass_hours"`
	VisitPassEntries     int       `json:"visit_pass_entries"`
	WebhookURL           *string   `json:"webhook_url,omitempty"`        // admin and the community's managers only
	WebhookSecretSet     *bool     `json:"webhook_secret_set,omitempty"` // likewise
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// communityBody is a community as pr may see it: its webhook settings only
// for admin and its managers (service.SeesWebhook).
func communityBody(pr *gatehouse.Principal, c *gatehouse.Community) communityResponse {
	ap := "off"
	if c.AntiPassback {
		ap = "on"
	}
	hours, entries := c.VisitPassDefaults()
	out := communityResponse{ID: c.ID, Name: c.Name, Address: c.Address, AntiPassback: ap, TimeZone: c.TimeZone,
		MaxPassDays: c.MaxPassDays, OnsiteThresholdHours: c.OnsiteThresholdHours, PlateMinConfidence: c.PlateMinConfidence,
		VisitRequestMinutes: int(c.VisitRequestTTL() / time.Minute), VisitPassHours: int(hours / time.Hour), VisitPassEntries: entries,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if service.SeesWebhook(pr, c.ID) {
		url, set := c.WebhookURL, c.WebhookSecret != ""
		out.WebhookURL, out.WebhookSecretSet = &url, &set
	}
	return out
}

func (req *communityRequest) input() service.CommunityInput {
	return service.CommunityInput{Name: req.Name, Address: req.Address, AntiPassback: req.AntiPassback, TimeZone: req.TimeZone,
		MaxPassDays: req.MaxPassDays, OnsiteThresholdHours: req.OnsiteThresholdHours, PlateMinConfidence: req.PlateMinConfidence, VisitRequestMinutes: req.VisitRequestMinutes,
		VisitPassHours: req.VisitPassHours, VisitPassEntries: req.VisitPassEntries, WebhookURL: req.WebhookURL, WebhookSecret: req.WebhookSecret}
}

func (s *Server) createCommunity(c *gin.Context) {
	var req communityRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	com, err := s.communities.Create(c.Request.Context(), principal(c), req.input())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, communityBody(principal(c), com))
}

func (s *Server) getCommunity(c *gin.Context) {
	id, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	com, err := s.communities.Get(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, communityBody(principal(c), com))
}

func (s *Server) listCommunities(c *gin.Context) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next, err := s.communities.List(c.Request.Context(), principal(c), pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]communityResponse, len(items))
	for i, com := range items {
		out[i] = communityBody(principal(c), com)
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
	com, err := s.communities.Update(c.Request.Context(), principal(c), id, req.input())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, communityBody(principal(c), com))
}
