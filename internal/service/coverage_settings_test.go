package service_test

import (
	"context"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// Self-registration's settings: a request's wait (1 to 1440 minutes) and an
// approval's pass (1 hour to max_pass_days, 1 to 1000 entries). 0 is how a
// community stored before the settings says "the default"; asked for, it is
// refused. A new community starts with the defaults written out.
func TestACommunitysSelfRegistrationSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := &service.Communities{Store: db, Webhooks: allowList{}, DefaultTZ: "Asia/Shanghai"}
		for _, tc := range []struct {
			what       string
			in         service.CommunityInput
			field, msg string
		}{
			{"no wait", service.CommunityInput{VisitRequestMinutes: intOf(0)}, "visit_request_minutes", "must be between 1 and 1440"},
			{"a wait over a day", service.CommunityInput{VisitRequestMinutes: intOf(1441)}, "visit_request_minutes", "must be between 1 and 1440"},
			{"a pass of no hours", service.CommunityInput{VisitPassHours: intOf(0)}, "visit_pass_hours", "must be from 1 to 168"},
			{"a pass longer than max_pass_days", service.CommunityInput{VisitPassHours: intOf(169)}, "visit_pass_hours", "must be from 1 to 168"},
			{"two days' pass with passes of a day", service.CommunityInput{MaxPassDays: intOf(1), VisitPassHours: intOf(48)}, "visit_pass_hours", "must be from 1 to 24"},
			{"a pass of no entries", service.CommunityInput{VisitPassEntries: intOf(0)}, "visit_pass_entries", "must be from 1 to 1000"},
			{"a pass of 1001 entries", service.CommunityInput{VisitPassEntries: intOf(1001)}, "visit_pass_entries", "must be from 1 to 1000"},
		} {
			_, err := svc.Update(ctx, f.manager, f.a.ID, tc.in)
			e, ok := err.(*gatehouse.Error)
			if !ok || e.Code != gatehouse.EINVALID || len(e.Fields) != 1 || e.Fields[tc.field] != tc.msg {
				t.Errorf("%s: %v, want %s: %s", tc.what, err, tc.field, tc.msg)
			}
		}
		if _, err := svc.Update(ctx, f.manager, f.a.ID, service.CommunityInput{AntiPassback: ptr("on")}); err != nil {
			t.Fatal(err)
		}
		c, err := svc.Update(ctx, f.manager, f.a.ID, service.CommunityInput{AntiPassback: ptr("off"), VisitRequestMinutes: intOf(30),
			VisitPassHours: intOf(168), VisitPassEntries: intOf(1000)})
		if err != nil || c.AntiPassback || c.VisitRequestMinutes != 30 || c.VisitPassHours != 168 || c.VisitPassEntries != 1000 {
			t.Fatalf("settings at their bounds: %+v, %v", c, err)
		}
		stored, err := db.Community(ctx, f.a.ID)
		if err != nil || stored.AntiPassback || stored.VisitRequestMinutes != 30 || stored.VisitPassHours != 168 || stored.VisitPassEntries != 1000 {
			t.Errorf("stored: %+v, %v", stored, err)
		}
		// Shortening passes below the approval's pass names the setting that no longer fits.
		_, err = svc.Update(ctx, f.manager, f.a.ID, service.CommunityInput{MaxPassDays: intOf(6)})
		wantProblems(t, "max_pass_days below visit_pass_hours", err, gatehouse.EINVALID, "visit_pass_hours")

		n, err := svc.Create(ctx, f.admin, service.CommunityInput{Name: ptr("碧水湾")})
		if err != nil || n.VisitRequestMinutes != gatehouse.DefaultVisitRequestMinutes || n.VisitPassHours != gatehouse.DefaultVisitPassHours ||
			n.VisitPassEntries != gatehouse.DefaultVisitPassEntries || n.AntiPassback {
			t.Errorf("a new community's settings: %+v, %v", n, err)
		}
	})
}
