package service_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestAReportsPeriodIsReadInTheCommunitysZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, shanghai) }
	cases := []struct {
		from, to         string
		wantFrom, wantTo time.Time
		field            string
	}{
		{"", "", now.AddDate(0, 0, -30), now, ""},
		{"2026-11-01", "2026-11-08", day(2026, 11, 1), day(2026, 11, 8), ""},
		{"2026-11-01T00:00:00Z", "", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), now, ""},
		{"", "2026-11-20", day(2026, 10, 21), day(2026, 11, 20), ""},
		{"2025-11-29", "2026-11-30", day(2025, 11, 29), day(2026, 11, 30), ""},
		{"2025-11-28", "2026-11-30", time.Time{}, time.Time{}, "to"},
		{"2026-11-08", "2026-11-01", time.Time{}, time.Time{}, "to"},
		{"2026-11-01", "2026-11-01", time.Time{}, time.Time{}, "to"},
		{"1 Nov", "", time.Time{}, time.Time{}, "from"},
		{"", "2026-13-01", time.Time{}, time.Time{}, "to"},
		{"2026/11/01", "tomorrow", time.Time{}, time.Time{}, "from"},
	}
	for _, tc := range cases {
		from, to, err := service.Period(tc.from, tc.to, shanghai, now)
		if tc.field != "" {
			fields := []string{tc.field}
			if tc.to == "tomorrow" {
				fields = append(fields, "to")
			}
			wantProblems(t, tc.from+" to "+tc.to, err, gatehouse.EINVALID, fields...)
			continue
		}
		if err != nil || !from.Equal(tc.wantFrom) || !to.Equal(tc.wantTo) {
			t.Errorf("%q to %q: %s to %s, %v; want %s to %s", tc.from, tc.to, from, to, err, tc.wantFrom, tc.wantTo)
		}
	}
}

func TestAReportsNumbersAreWholeAndBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, q := range []service.ReportQuery{{MinVisits: "0"}, {MinVisits: "many"}, {MinVisits: "10001"}, {ThresholdHours: "1.5"}, {ThresholdHours: "8785"}} {
			q.CommunityID = f.a.ID
			field := "min_visits"
			if q.ThresholdHours != "" {
				field = "threshold_hours"
			}
			_, err := f.reports.Population(ctx, f.manager, q)
			wantProblems(t, q.MinVisits+q.ThresholdHours, err, gatehouse.EBADREQUEST, field)
		}
		_, err := f.reports.Population(ctx, f.manager, service.ReportQuery{CommunityID: f.a.ID, From: "2026-11-08", To: "2026-11-01"})
		wantProblems(t, "a period backwards", err, gatehouse.EINVALID, "to")
		_, err = f.reports.Population(ctx, f.device, service.ReportQuery{CommunityID: f.a.ID})
		wantCode(t, "a gate", err, gatehouse.EFORBIDDEN)
		nowhere := &gatehouse.Principal{UserID: f.manager.UserID, Role: gatehouse.RoleManager, Communities: []int64{}}
		_, err = f.reports.Population(ctx, nowhere, service.ReportQuery{})
		wantCode(t, "a manager of no community", err, gatehouse.ENOTFOUND)
		rep, err := f.reports.Population(ctx, f.admin, service.ReportQuery{})
		if err != nil || len(rep.Communities) != 2 || rep.Residents.Total != 3 {
			t.Errorf("admin's report of every community: %+v, %v", rep, err)
		}
	})
}

// Roles that see numbers masked get visitors numbered 1, 2 … in the
// report, the same visitor the same number in every section; admin and
// police get the visitors' record ids.
func TestMaskedRolesGetPseudonymousVisitorNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.walkIn(t, f.gateB, f.hostB.ID, visitor("赵六", 30)) // visitor record 1, in B
		zhang := f.walkIn(t, f.gateA, f.hostA.ID, visitor("张伟", 14))
		f.walkIn(t, f.gateA, f.neighbourA.ID, visitor("张伟", 14))
		li := f.walkIn(t, f.gateA, f.hostA.ID, visitor("李娜", 22))
		f.reports.Now = func() time.Time { return now.Add(3 * time.Hour) }
		q := service.ReportQuery{CommunityID: f.a.ID, MinVisits: "1", ThresholdHours: "2"}
		ids := func(rep *service.PopulationReport) map[string]map[int64]bool {
			byName := map[string]map[int64]bool{}
			add := func(name string, id int64) {
				if byName[name] == nil {
					byName[name] = map[int64]bool{}
				}
				byName[name][id] = true
			}
			for _, r := range rep.FrequentVisitors.Items {
				add(r.Name, r.VisitorID)
			}
			for _, r := range rep.LongStays.Items {
				add(r.Name, r.VisitorID)
			}
			return byName
		}
		for _, pr := range []*gatehouse.Principal{f.admin, f.police, f.manager} {
			rep, err := f.reports.Population(ctx, pr, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.FrequentVisitors.Items) != 2 || len(rep.LongStays.Items) != 2 {
				t.Fatalf("%s: %d frequent visitors, %d long stays; want 2 and 2", pr.Role, len(rep.FrequentVisitors.Items), len(rep.LongStays.Items))
			}
			got := ids(rep)
			want := map[string]int64{"张伟": zhang.VisitorID, "李娜": li.VisitorID}
			if pr.Role == gatehouse.RoleManager {
				if len(got["张伟"]) != 1 || len(got["李娜"]) != 1 {
					t.Fatalf("the manager's numbers differ between sections: %v", got)
				}
				one, two := onlyKey(got["张伟"]), onlyKey(got["李娜"])
				if one+two != 3 || one*two != 2 {
					t.Errorf("the manager's visitor numbers: 张伟 %d, 李娜 %d; want 1 and 2", one, two)
				}
				continue
			}
			for name, id := range want {
				if len(got[name]) != 1 || !got[name][id] {
					t.Errorf("%s sees %s as %v, want record %d", pr.Role, name, got[name], id)
				}
			}
		}
		if zhang.VisitorID < 2 || li.VisitorID < 2 {
			t.Fatalf("the test needs record ids that are not 1 and 2: %d, %d", zhang.VisitorID, li.VisitorID)
		}
	})
}

func onlyKey(m map[int64]bool) int64 {
	for k := range m {
		return k
	}
	return 0
}

// A download is on record before it is returned; reading on screen is not.
func TestAReportDownloadIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := f.reports.Population(ctx, f.manager, service.ReportQuery{CommunityID: f.a.ID}); err != nil {
			t.Fatal(err)
		}
		if evs := f.auditEvents(t); len(evs) != 0 {
			t.Errorf("a report read on screen audited: %+v", evs)
		}
		rep, err := f.reports.Population(ctx, f.manager, service.ReportQuery{CommunityID: f.a.ID, From: "2026-11-01", To: "2026-11-30", Download: "xlsx"})
		if err != nil {
			t.Fatal(err)
		}
		evs := f.auditEvents(t)
		if len(evs) != 1 {
			t.Fatalf("events: %+v", evs)
		}
		ev := evs[0]
		if ev.Action != gatehouse.AuditReportDownload || ev.ActorID != f.manager.UserID || ev.CommunityID != f.a.ID || ev.Target != "report:population" ||
			ev.Detail != "format xlsx; from "+rep.From.Format(time.RFC3339)+" to "+rep.To.Format(time.RFC3339)+"; 1 communities" {
			t.Errorf("the event: %+v", ev)
		}
		f.reports.Audit = &recordingAudit{steps: &steps{}, failWith: errTest}
		if rep, err := f.reports.Population(ctx, f.manager, service.ReportQuery{CommunityID: f.a.ID, Download: "csv"}); err == nil || rep != nil {
			t.Errorf("a download with the audit failing: %v, %v", rep, err)
		}
	})
}
