package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestAWatchlistEntryIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		good := service.WatchInput{CommunityID: f.a.ID, IDNumber: "440524188001010014", Name: "张伟", Reason: "盗窃嫌疑"}
		cases := []struct {
			what   string
			edit   func(*service.WatchInput)
			fields []string
		}{
			{"no community", func(in *service.WatchInput) { in.CommunityID = 0 }, []string{"community_id"}},
			{"an unknown document", func(in *service.WatchInput) { in.IDType = "licence" }, []string{"id_type"}},
			{"a bad number", func(in *service.WatchInput) { in.IDNumber = "440524188001010015" }, []string{"id_number"}},
			{"no number", func(in *service.WatchInput) { in.IDNumber = "" }, []string{"id_number"}},
			{"no reason", func(in *service.WatchInput) { in.Reason = " " }, []string{"reason"}},
			{"a long reason", func(in *service.WatchInput) { in.Reason = strings.Repeat("因", 201) }, []string{"reason"}},
			{"a long name", func(in *service.WatchInput) { in.Name = strings.Repeat("张", 65) }, []string{"name"}},
		}
		for _, tc := range cases {
			in := good
			tc.edit(&in)
			_, err := f.watchlist.Add(ctx, f.manager, in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		in := good
		in.CommunityID = f.b.ID
		_, err := f.watchlist.Add(ctx, f.manager, in)
		wantCode(t, "B's watchlist", err, gatehouse.ENOTFOUND)
		if list, _, err := f.watchlist.List(ctx, f.admin, 0, gatehouse.Page{Limit: 10}); err != nil || len(list) != 0 {
			t.Errorf("refusals listed: %d, %v", len(list), err)
		}
	})
}

// A person on the watchlist is refused at the next scan, and let in again
// once taken off; guards read the list with numbers masked.
func TestAWatchlistedVisitorIsRefusedUntilRemoved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		v := visitor("张伟", 14)
		p, err := f.passes.Create(ctx, f.guard, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: v,
			ValidUntil: rfc(now.Add(time.Hour)), MaxEntries: intp(5)}, gatehouse.PassWalkIn)
		if err != nil {
			t.Fatal(err)
		}
		code, err := f.eng.PassCode(p)
		if err != nil {
			t.Fatal(err)
		}
		scan := func() *access.Outcome {
			t.Helper()
			out, err := f.eng.Scan(ctx, access.ScanRequest{CommunityID: f.a.ID, GateID: f.gateA.ID, Code: code, Direction: gatehouse.In})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		w, err := f.watchlist.Add(ctx, f.manager, service.WatchInput{CommunityID: f.a.ID, IDNumber: strings.ToLower(v.IDNumber), Name: " 张伟 ", Reason: " 盗窃嫌疑 "})
		if err != nil {
			t.Fatal(err)
		}
		if w.Name != "张伟" || w.Reason != "盗窃嫌疑" || w.CreatedBy != f.manager.UserID || w.IDMasked == "" || strings.Contains(w.IDMasked, v.IDNumber) {
			t.Errorf("the entry: %+v", w)
		}
		if out := scan(); out.Entry.Decision != gatehouse.Deny || out.Entry.Reason != gatehouse.Watchlisted {
			t.Errorf("a watchlisted visitor's scan: %+v", out.Entry)
		}
		list, _, err := f.watchlist.List(ctx, f.guard, 0, gatehouse.Page{Limit: 10})
		if err != nil || len(list) != 1 || list[0].IDMasked != w.IDMasked {
			t.Errorf("the guard's list: %+v, %v", list, err)
		}
		if list, _, err := f.watchlist.List(ctx, f.guard, f.b.ID, gatehouse.Page{Limit: 10}); err != nil || len(list) != 0 {
			t.Errorf("the guard asking for B's list: %+v, %v", list, err)
		}
		// Not removable by a guard, nor by B's manager.
		if err := f.watchlist.Remove(ctx, f.guard, w.ID); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("a guard removing: %v", err)
		}
		managerB := &gatehouse.Principal{UserID: f.manager.UserID, Role: gatehouse.RoleManager, Communities: []int64{f.b.ID}}
		if err := f.watchlist.Remove(ctx, managerB, w.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("B's manager removing: %v", err)
		}
		if err := f.watchlist.Remove(ctx, f.manager, w.ID+100); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("removing no such entry: %v", err)
		}
		if err := f.watchlist.Remove(ctx, f.manager, w.ID); err != nil {
			t.Fatal(err)
		}
		if out := scan(); out.Entry.Decision != gatehouse.Grant {
			t.Errorf("the scan once removed: %+v", out.Entry)
		}
	})
}
