package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// allowList lets webhooks post only to hooks.example.
type allowList struct{}

func (allowList) CheckURL(raw string) error {
	if !strings.HasPrefix(raw, "https://hooks.example/") {
		return errors.New("is not on the server's allow-list")
	}
	return nil
}

func intOf(n int) *int { return &n }

func TestACommunitysSettingsAreRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := &service.Communities{Store: db, Webhooks: allowList{}, DefaultTZ: "Asia/Shanghai"}
		secret := ptr(strings.Repeat("s", 16))
		cases := []struct {
			what   string
			in     service.CommunityInput
			fields []string
		}{
			{"no name", service.CommunityInput{Name: ptr(" ")}, []string{"name"}},
			{"anti-passback yes", service.CommunityInput{AntiPassback: ptr("yes")}, []string{"anti_passback"}},
			{"a zone that is none", service.CommunityInput{TimeZone: ptr("Beijing")}, []string{"time_zone"}},
			{"the server's zone", service.CommunityInput{TimeZone: ptr("Local")}, []string{"time_zone"}},
			{"passes of a year and a day", service.CommunityInput{MaxPassDays: intOf(367)}, []string{"max_pass_days"}},
			{"no threshold", service.CommunityInput{OnsiteThresholdHours: intOf(0)}, []string{"onsite_threshold_hours"}},
			{"a webhook that is no URL", service.CommunityInput{WebhookURL: ptr("hooks.example"), WebhookSecret: secret}, []string{"webhook_url"}},
			{"a webhook off the allow-list", service.CommunityInput{WebhookURL: ptr("https://10.0.0.1/hook"), WebhookSecret: secret}, []string{"webhook_url"}},
			{"a webhook without a secret", service.CommunityInput{WebhookURL: ptr("https://hooks.example/a")}, []string{"webhook_secret"}},
		}
		for _, tc := range cases {
			_, err := svc.Update(ctx, f.manager, f.a.ID, tc.in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		if c, _ := db.Community(ctx, f.a.ID); c.Name != "翠竹苑" || c.WebhookURL != "" || c.MaxPassDays != gatehouse.DefaultMaxPassDays {
			t.Errorf("refused changes stored: %+v", c)
		}
		_, err := svc.Update(ctx, f.manager, f.b.ID, service.CommunityInput{Name: ptr("x")})
		wantCode(t, "B's settings by A's manager", err, gatehouse.ENOTFOUND)
		_, err = svc.Update(ctx, f.guard, f.a.ID, service.CommunityInput{Name: ptr("x")})
		wantCode(t, "a guard's change", err, gatehouse.EFORBIDDEN)
		c, err := svc.Update(ctx, f.manager, f.a.ID, service.CommunityInput{AntiPassback: ptr("on"), WebhookURL: ptr(" https://hooks.example/a "), WebhookSecret: secret})
		if err != nil || !c.AntiPassback || c.WebhookURL != "https://hooks.example/a" || c.Name != "翠竹苑" {
			t.Fatalf("anti-passback and a webhook: %+v, %v", c, err)
		}
		c, err = svc.Update(ctx, f.manager, f.a.ID, service.CommunityInput{WebhookURL: ptr("")})
		if err != nil || c.WebhookURL != "" || c.WebhookSecret != "" {
			t.Errorf("the webhook removed: %+v, %v", c, err)
		}
	})
}

func TestOnlyAdminCreatesACommunityAndEachReadsItsOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := &service.Communities{Store: db, Webhooks: allowList{}, DefaultTZ: "Asia/Shanghai"}
		_, err := svc.Create(ctx, f.manager, service.CommunityInput{Name: ptr("碧水湾")})
		wantCode(t, "a manager creating", err, gatehouse.EFORBIDDEN)
		_, err = svc.Create(ctx, f.admin, service.CommunityInput{})
		wantProblems(t, "no name", err, gatehouse.EINVALID, "name")
		c, err := svc.Create(ctx, f.admin, service.CommunityInput{Name: ptr(" 碧水湾 ")})
		if err != nil || c.Name != "碧水湾" || c.TimeZone != "Asia/Shanghai" || c.MaxPassDays != gatehouse.DefaultMaxPassDays ||
			c.OnsiteThresholdHours != gatehouse.DefaultOnsiteThresholdHours || c.ID == 0 {
			t.Fatalf("a new community: %+v, %v", c, err)
		}
		for who, want := range map[*gatehouse.Principal]int{f.admin: 3, f.manager: 1, f.resident: 1} {
			cs, _, err := svc.List(ctx, who, gatehouse.Page{Limit: 10})
			if err != nil || len(cs) != want {
				t.Errorf("%s lists %d communities, %v; want %d", who.Role, len(cs), err, want)
			}
		}
		if _, err := svc.Get(ctx, f.police, c.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("police reading a community outside its jurisdiction: %v", err)
		}
		if _, err := svc.Get(ctx, f.device, f.a.ID); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("a gate reading its community: %v", err)
		}
		if _, _, err := svc.List(ctx, f.device, gatehouse.Page{}); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("a gate listing communities: %v", err)
		}
		if got, err := svc.Get(ctx, f.guard, f.a.ID); err != nil || got.ID != f.a.ID {
			t.Errorf("a guard reading its community: %+v, %v", got, err)
		}
	})
}
