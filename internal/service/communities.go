package service

import (
	"context"
	"fmt"
	"strings"

	"gatehouse/internal/gatehouse"
)

// CommunityStore is what managing communities needs of storage.
type CommunityStore interface {
	CommunityReader
	CreateCommunity(ctx context.Context, c *gatehouse.Community) error
	Communities(ctx context.Context, ids []int64, page gatehouse.Page) ([]*gatehouse.Community, int64, error)
	UpdateCommunity(ctx context.Context, c *gatehouse.Community) error
}

// URLChecker refuses a webhook URL the server may not post to.
type URLChecker interface {
	CheckURL(raw string) error
}

// Communities creates communities (admin) and keeps their settings (admin
// and their managers); every role reads the communities in its scope.
type Communities struct {
	Store     CommunityStore
	Webhooks  URLChecker
	DefaultTZ string
}

// CommunityInput is a community's fields as typed; nil fields stay.
type CommunityInput struct {
	Name, Address, AntiPassback, TimeZone *string
	MaxPassDays, OnsiteThresholdHours     *int
	PlateMinConfidence                    *int
	VisitRequestMinutes                   *int
	VisitPassHours, VisitPassEntries      *int
	WebhookURL, WebhookSecret             *string
}

// apply copies the set fields onto a community and validates it; a webhook
// URL being set must also be one the server may post to.
func (s *Communities) apply(in CommunityInput, c *gatehouse.Community) error {
	var p gatehouse.Problems
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Name, in.Name)
	set(&c.Address, in.Address)
	set(&c.TimeZone, in.TimeZone)
	if in.AntiPassback != nil {
		switch *in.AntiPassback {
		case "on":
			c.AntiPassback = true
		case "off":
			c.AntiPassback = false
		default:
			p.Add("anti_passback", `must be "on" or "off"`)
		}
	}
	if in.MaxPassDays != nil {
		c.MaxPassDays = *in.MaxPassDays
	}
	if in.OnsiteThresholdHours != nil {
		c.OnsiteThresholdHours = *in.OnsiteThresholdHours
	}
	if in.PlateMinConfidence != nil {
		c.PlateMinConfidence = *in.PlateMinConfidence
	}
	if in.VisitRequestMinutes != nil {
		c.VisitRequestMinutes = *in.VisitRequestMinutes
		p.Check(c.VisitRequestMinutes >= 1, "visit_request_minutes", "must be between 1 and 1440")
	}
	// 0 is stored as "the default"; asked for, it is refused.
	if in.VisitPassHours != nil {
		if c.VisitPassHours = *in.VisitPassHours; c.VisitPassHours < 1 {
			p.Add("visit_pass_hours", fmt.Sprintf("must be from 1 to %d", 24*c.MaxPassDays))
		}
	}
	if in.VisitPassEntries != nil {
		if c.VisitPassEntries = *in.VisitPassEntries; c.VisitPassEntries < 1 {
			p.Add("visit_pass_entries", fmt.Sprintf("must be from 1 to %d", gatehouse.MaxEntriesLimit))
		}
	}
	if in.WebhookURL != nil {
		c.WebhookURL = strings.TrimSpace(*in.WebhookURL)
		if c.WebhookURL == "" {
			c.WebhookSecret = ""
		}
	}
	set(&c.WebhookSecret, in.WebhookSecret)
	p.Merge("", c.Validate())
	if in.WebhookURL != nil && c.WebhookURL != "" && !p.Has("webhook_url") {
		if err := s.Webhooks.CheckURL(c.WebhookURL); err != nil {
			p.Add("webhook_url", err.Error())
		}
	}
	return p.Err()
}

// Create makes a community: admin only.
func (s *Communities) Create(ctx context.Context, pr *gatehouse.Principal, in CommunityInput) (*gatehouse.Community, error) {
	if pr.IsGate() || pr.Role != gatehouse.RoleAdmin {
		return nil, forbidden("only admin creates communities")
	}
	com := &gatehouse.Community{TimeZone: s.DefaultTZ, MaxPassDays: gatehouse.DefaultMaxPassDays, OnsiteThresholdHours: gatehouse.DefaultOnsiteThresholdHours,
		PlateMinConfidence:  gatehouse.DefaultPlateMinConfidence,
		VisitRequestMinutes: gatehouse.DefaultVisitRequestMinutes, VisitPassHours: gatehouse.DefaultVisitPassHours, VisitPassEntries: gatehouse.DefaultVisitPassEntries}
	if in.Name == nil {
		in.Name = new(string)
	}
	if err := s.apply(in, com); err != nil {
		return nil, err
	}
	if err := s.Store.CreateCommunity(ctx, com); err != nil {
		return nil, err
	}
	return com, nil
}

// SeesWebhook is the rule for a community's webhook settings (the URL may
// carry a receiver's key in its query): admin and the community's managers
// see them, no other role.
func SeesWebhook(pr *gatehouse.Principal, communityID int64) bool {
	return !pr.IsGate() && (pr.Role == gatehouse.RoleAdmin || (pr.Role == gatehouse.RoleManager && pr.InCommunity(communityID)))
}

// Get is a community in the principal's scope, else ENOTFOUND.
func (s *Communities) Get(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Community, error) {
	if pr.IsGate() {
		return nil, forbidden("a gate device may only scan, sync and upload events")
	}
	return scopedCommunity(ctx, s.Store, pr, id)
}

// List is the communities in the principal's scope.
func (s *Communities) List(ctx context.Context, pr *gatehouse.Principal, page gatehouse.Page) ([]*gatehouse.Community, int64, error) {
	if pr.IsGate() {
		return nil, 0, forbidden("a gate device may only scan, sync and upload events")
	}
	scope := pr.ScopeCommunities(0)
	if everything(pr) {
		scope = nil // admin and the district supervise every community: they list them all (their settings; no person)
	}
	return s.Store.Communities(ctx, scope, page)
}

// Update changes a community's settings: admin, and managers of it.
func (s *Communities) Update(ctx context.Context, pr *gatehouse.Principal, id int64, in CommunityInput) (*gatehouse.Community, error) {
	if pr.IsGate() || (pr.Role != gatehouse.RoleAdmin && pr.Role != gatehouse.RoleManager) {
		return nil, forbidden("only admin and managers change a community's settings")
	}
	com, err := scopedCommunity(ctx, s.Store, pr, id)
	if err != nil {
		return nil, err
	}
	if err := s.apply(in, com); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateCommunity(ctx, com); err != nil {
		return nil, err
	}
	return com, nil
}
