package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// Posters are listed, read and revoked by managers of their community (and
// admin); another community's poster is not found; a revoked poster's
// token opens nothing, at once, while the community's other posters work.
func TestPostersAreListedReadAndRevokedByTheirCommunitysManagers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := visitsOf(f, &heard{}, &clock)
		ctx := context.Background()
		atGate, err := s.CreatePoster(ctx, f.manager, f.a.ID, f.gateA.ID)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := s.CreatePoster(ctx, f.admin, f.a.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		managerB := &gatehouse.Principal{UserID: f.manager.UserID, Username: "mgr-b", Role: gatehouse.RoleManager, Communities: []int64{f.b.ID}}

		for role, p := range map[string]*gatehouse.Principal{"guard": f.guard, "resident": f.resident, "police": f.police, "device": f.device} {
			_, err := s.Posters(ctx, p, f.a.ID)
			wantCode(t, role+" lists posters", err, gatehouse.EFORBIDDEN)
			_, _, err = s.Poster(ctx, p, atGate.ID)
			wantCode(t, role+" reads a poster", err, gatehouse.EFORBIDDEN)
			wantCode(t, role+" revokes a poster", s.RevokePoster(ctx, p, atGate.ID), gatehouse.EFORBIDDEN)
		}
		_, err = s.Posters(ctx, managerB, f.a.ID)
		wantCode(t, "another community's manager lists", err, gatehouse.ENOTFOUND)
		_, _, err = s.Poster(ctx, managerB, atGate.ID)
		wantCode(t, "another community's manager reads", err, gatehouse.ENOTFOUND)
		wantCode(t, "another community's manager revokes", s.RevokePoster(ctx, managerB, atGate.ID), gatehouse.ENOTFOUND)
		_, _, err = s.Poster(ctx, f.manager, whole.ID+1000)
		wantCode(t, "a poster that does not exist", err, gatehouse.ENOTFOUND)

		list, err := s.Posters(ctx, f.manager, f.a.ID)
		if err != nil || len(list) != 2 || list[0].ID != whole.ID || list[1].ID != atGate.ID || list[1].GateID != f.gateA.ID {
			t.Fatalf("posters of A, newest first: %+v %v", list, err)
		}
		if list, err := s.Posters(ctx, f.admin, f.b.ID); err != nil || len(list) != 0 {
			t.Errorf("posters of B: %+v %v", list, err)
		}
		p, com, err := s.Poster(ctx, f.manager, atGate.ID)
		if err != nil || p.CommunityID != f.a.ID || p.GateID != f.gateA.ID || com.ID != f.a.ID || com.Name != f.a.Name {
			t.Fatalf("poster for printing: %+v %+v %v", p, com, err)
		}

		// The registration page says where the poster hangs.
		page, err := s.Page(ctx, atGate.Token)
		if err != nil || page.Community.ID != f.a.ID || page.Gate == nil || page.Gate.ID != f.gateA.ID || page.Poster.ID != atGate.ID {
			t.Fatalf("the gate poster's page: %+v %v", page, err)
		}
		if page, err := s.Page(ctx, whole.Token); err != nil || page.Gate != nil {
			t.Fatalf("the community poster's page: %+v %v", page, err)
		}
		for what, token := range map[string]string{"no token": "", "a token of 65 characters": strings.Repeat("a", 65), "a made-up token": "made-up"} {
			_, err := s.Page(ctx, token)
			wantCode(t, what, err, gatehouse.ENOTFOUND)
		}

		if err := s.RevokePoster(ctx, f.manager, atGate.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.Page(ctx, atGate.Token)
		wantCode(t, "a revoked poster's page", err, gatehouse.ENOTFOUND)
		_, _, err = s.Submit(ctx, atGate.Token, goodRegistration(), "192.0.2.1")
		wantCode(t, "a registration through a revoked poster", err, gatehouse.ENOTFOUND)
		if _, _, err := s.Submit(ctx, whole.Token, goodRegistration(), "192.0.2.1"); err != nil {
			t.Errorf("the community's other poster stops too: %v", err)
		}
		list, err = s.Posters(ctx, f.manager, f.a.ID)
		if err != nil || len(list) != 2 || list[1].RevokedAt == nil || list[0].RevokedAt != nil {
			t.Errorf("after revoking: %+v %v", list, err)
		}
	})
}

// A request is denied by the household's residents or a guard, with a
// reason the visitor does not see; once decided it cannot be decided again.
func TestARequestIsDeniedByItsHouseholdOrAGuard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		h := &heard{}
		s := visitsOf(f, h, &clock)
		ctx := context.Background()
		poster, err := s.CreatePoster(ctx, f.manager, f.a.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, _, err := s.Submit(ctx, poster.Token, goodRegistration(), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		// The reason is checked before anything is looked up.
		_, err = s.Deny(ctx, f.guard, r.ID+1000, strings.Repeat("因", 201))
		wantProblems(t, "a reason of 201 characters", err, gatehouse.EINVALID, "reason")
		_, err = s.Deny(ctx, f.guard, r.ID, "不认识\u202e")
		wantProblems(t, "a reason with a bidi override", err, gatehouse.EINVALID, "reason")

		neighbourHome := f.neighbourA.Household()
		neighbour := &gatehouse.Principal{UserID: 9, Role: gatehouse.RoleResident, Communities: []int64{f.a.ID}, ResidentID: f.neighbourA.ID, Household: &neighbourHome}
		guardB := &gatehouse.Principal{UserID: f.guard.UserID, Role: gatehouse.RoleGuard, Communities: []int64{f.b.ID}}
		for what, tc := range map[string]struct {
			p    *gatehouse.Principal
			code string
		}{
			"a manager":                 {f.manager, gatehouse.EFORBIDDEN},
			"admin":                     {f.admin, gatehouse.EFORBIDDEN},
			"police":                    {f.police, gatehouse.EFORBIDDEN},
			"a gate device":             {f.device, gatehouse.EFORBIDDEN},
			"the neighbour":             {neighbour, gatehouse.ENOTFOUND},
			"another community's guard": {guardB, gatehouse.ENOTFOUND},
		} {
			_, err := s.Deny(ctx, tc.p, r.ID, "")
			wantCode(t, what+" denies", err, tc.code)
		}
		_, err = s.Deny(ctx, f.guard, r.ID+1000, "")
		wantCode(t, "a request that does not exist", err, gatehouse.ENOTFOUND)

		got, err := s.Deny(ctx, f.guard, r.ID, "  住户说不认识  ")
		if err != nil || got.Status != gatehouse.VisitDenied || got.DenyReason != "住户说不认识" || got.DecidedBy != f.guard.UserID || got.DecidedAt == nil {
			t.Fatalf("denied by the guard: %+v %v", got, err)
		}
		if h.statuses() != "pending,denied" {
			t.Errorf("watchers heard %s", h.statuses())
		}
		_, _, err = s.Approve(ctx, f.resident, r.ID, service.ApproveInput{})
		wantCode(t, "approving a denied request", err, gatehouse.ECONFLICT)
		_, err = s.Deny(ctx, f.resident, r.ID, "")
		wantCode(t, "denying it again", err, gatehouse.ECONFLICT)
		st, err := s.Status(ctx, r.ID, r.StatusToken)
		if err != nil || st.Status != gatehouse.VisitDenied || st.Pass != nil {
			t.Errorf("the visitor's status: %+v %v", st, err)
		}
		if h.statuses() != "pending,denied" {
			t.Errorf("refused decisions told the watchers: %s", h.statuses())
		}
	})
}

// A guard approves on the household's behalf: the pass is hosted by a
// present resident of the dwelling, with the community's defaults. A
// dwelling where no one lives, and a request past its expiry, cannot be
// approved.
func TestAGuardApprovesOnTheHouseholdsBehalf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.a.VisitPassHours, f.a.VisitPassEntries = 2, 3
		if err := db.UpdateCommunity(ctx, f.a); err != nil {
			t.Fatal(err)
		}
		clock := now
		h := &heard{}
		s := visitsOf(f, h, &clock)
		poster, err := s.CreatePoster(ctx, f.manager, f.a.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		submit := func(room string, n int) *gatehouse.VisitRequest {
			t.Helper()
			in := goodRegistration()
			in.Room, in.Visitor = room, service.VisitorInput{Name: "张伟", IDType: gatehouse.IDResident, IDNumber: idNumber("44052418800101", n), Phone: "13912345678"}
			r, _, err := s.Submit(ctx, poster.Token, in, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// 503 is the neighbour's: its id is not community A's.
		home, empty, late := submit("503", 1), submit("999", 2), submit("502", 3)

		got, pass, err := s.Approve(ctx, f.guard, home.ID, service.ApproveInput{})
		if err != nil || got.Status != gatehouse.VisitApproved || got.DecidedBy != f.guard.UserID || got.PassID != pass.ID {
			t.Fatalf("approved by the guard: %+v %v", got, err)
		}
		if pass.HostResidentID != f.neighbourA.ID || pass.Kind != gatehouse.PassSelf || pass.CreatedBy != f.guard.UserID ||
			!pass.ValidUntil.Equal(now.Add(2*time.Hour)) || pass.MaxEntries != 3 || pass.Purpose != "探亲" {
			t.Errorf("the pass: %+v, want hosted by %d, 2 hours, 3 entries", pass, f.neighbourA.ID)
		}
		st, err := s.Status(ctx, home.ID, home.StatusToken)
		if err != nil || st.Status != gatehouse.VisitApproved || st.Pass == nil || st.Pass.ID != pass.ID {
			t.Errorf("the visitor's status: %+v %v", st, err)
		}
		_, _, err = s.Approve(ctx, f.guard, home.ID, service.ApproveInput{})
		wantCode(t, "approving twice", err, gatehouse.ECONFLICT)

		_, _, err = s.Approve(ctx, f.guard, empty.ID, service.ApproveInput{})
		if outcome(err) != gatehouse.ECONFLICT || !strings.Contains(gatehouse.ErrorMessage(err), "3-2-999") {
			t.Errorf("a dwelling where no one lives: %v", err)
		}
		if _, err := s.Deny(ctx, f.guard, empty.ID, "无人居住"); err != nil {
			t.Errorf("denying it: %v", err)
		}

		clock = now.Add(10 * time.Minute) // the community's default wait
		_, _, err = s.Approve(ctx, f.guard, late.ID, service.ApproveInput{})
		if outcome(err) != gatehouse.ECONFLICT || !strings.Contains(gatehouse.ErrorMessage(err), "expired") {
			t.Errorf("a request past its expiry: %v", err)
		}
		if h.statuses() != "pending,pending,pending,approved,denied" {
			t.Errorf("watchers heard %s", h.statuses())
		}
	})
}

// Staff lists show the household's phone for a pending request: whole to
// the guard who calls them, its last four to others, nothing to the
// household itself, nothing once the request is decided.
func TestAVisitListShowsTheHouseholdsPhoneToWhoCallsThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now
		s := visitsOf(f, &heard{}, &clock)
		poster, err := s.CreatePoster(ctx, f.manager, f.a.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		pending, _, err := s.Submit(ctx, poster.Token, goodRegistration(), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		in := goodRegistration()
		in.Room = "999" // no one lives there
		nobody, _, err := s.Submit(ctx, poster.Token, in, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		phones := func(p *gatehouse.Principal, status string) map[int64]string {
			t.Helper()
			rows, _, err := s.List(ctx, p, service.VisitQuery{Status: status}, gatehouse.Page{})
			if err != nil {
				t.Fatalf("list by %s: %v", p.Username, err)
			}
			out := map[int64]string{}
			for _, r := range rows {
				out[r.ID] = r.HouseholdPhone
			}
			return out
		}
		for who, tc := range map[string]struct {
			p    *gatehouse.Principal
			want map[int64]string
		}{
			"the guard":     {f.guard, map[int64]string{pending.ID: "13800138000", nobody.ID: ""}},
			"the manager":   {f.manager, map[int64]string{pending.ID: "*******8000", nobody.ID: ""}},
			"admin":         {f.admin, map[int64]string{pending.ID: "*******8000", nobody.ID: ""}},
			"the household": {f.resident, map[int64]string{pending.ID: ""}},
		} {
			got := phones(tc.p, "")
			if len(got) != len(tc.want) {
				t.Errorf("%s sees %v, want %v", who, got, tc.want)
			}
			for id, phone := range tc.want {
				if p, ok := got[id]; !ok || p != phone {
					t.Errorf("%s: request %d shows phone %q (listed %v), want %q", who, id, p, ok, phone)
				}
			}
		}
		if _, err := s.Deny(ctx, f.resident, pending.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := phones(f.guard, gatehouse.VisitDenied); len(got) != 1 || got[pending.ID] != "" {
			t.Errorf("a denied request shows the phone to the guard: %v", got)
		}
		if got := phones(f.guard, gatehouse.VisitPending); len(got) != 1 || got[nobody.ID] != "" {
			t.Errorf("pending requests: %v", got)
		}
		_, _, err = s.List(ctx, f.guard, service.VisitQuery{Status: "waiting"}, gatehouse.Page{})
		wantProblems(t, "an unknown status", err, gatehouse.EBADREQUEST, "status")
	})
}

// A live stream shows a visit request to staff of its community and to its
// household's residents who lived there when it was made, to no one else.
func TestWhoIsToldOfAVisitRequestLive(t *testing.T) {
	home := gatehouse.Household{CommunityID: 1, Building: "3", Unit: "2", Room: "502"}
	next := gatehouse.Household{CommunityID: 1, Building: "3", Unit: "2", Room: "503"}
	elsewhere := home
	elsewhere.CommunityID = 2
	ev := &gatehouse.VisitEvent{Request: &gatehouse.VisitRequest{CommunityID: 1, Household: home, CreatedAt: now}}
	resident := func(h gatehouse.Household, movedIn time.Time) *gatehouse.Principal {
		return &gatehouse.Principal{Role: gatehouse.RoleResident, Communities: []int64{h.CommunityID}, Household: &h, MovedInAt: movedIn}
	}
	for _, tc := range []struct {
		who  string
		p    *gatehouse.Principal
		want bool
	}{
		{"a guard of the community", &gatehouse.Principal{Role: gatehouse.RoleGuard, Communities: []int64{1}}, true},
		{"a manager of the community", &gatehouse.Principal{Role: gatehouse.RoleManager, Communities: []int64{2, 1}}, true},
		{"admin", &gatehouse.Principal{Role: gatehouse.RoleAdmin}, true},
		{"a guard of another community", &gatehouse.Principal{Role: gatehouse.RoleGuard, Communities: []int64{2}}, false},
		{"police of the community", &gatehouse.Principal{Role: gatehouse.RolePolice, Communities: []int64{1}}, false},
		{"the community's gate device", &gatehouse.Principal{GateID: 3, CommunityID: 1}, false},
		{"the household", resident(home, now.Add(-time.Hour)), true},
		{"the household, moved in as it was made", resident(home, now), true},
		{"a newcomer to the household", resident(home, now.Add(time.Second)), false},
		{"the neighbour", resident(next, now.Add(-time.Hour)), false},
		{"the same dwelling in another community", resident(elsewhere, now.Add(-time.Hour)), false},
		{"a resident without its household", &gatehouse.Principal{Role: gatehouse.RoleResident, Communities: []int64{1}}, false},
	} {
		if got := service.WatchVisits(tc.p)(ev); got != tc.want {
			t.Errorf("%s is told: %v, want %v", tc.who, got, tc.want)
		}
	}
}

// Past a limit a registration is refused with how long to wait: until the
// oldest pending request of the phone or dwelling expires, or an hour after
// the oldest request from the network or through the poster. A decided
// request no longer counts as pending; a refused one counts nowhere.
func TestSelfRegistrationLimitsSayHowLongToWait(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now
		db.Now = func() time.Time { return clock }
		s := visitsOf(f, &heard{}, &clock)
		s.Limits = service.VisitLimits{PendingPerPhone: 2, PendingPerHousehold: 3, PerAddressHour: 3, PerPosterHour: 6}
		poster, err := s.CreatePoster(ctx, f.manager, f.a.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		reg := func(phone, room, ip string) (*gatehouse.VisitRequest, time.Duration, error) {
			n++
			in := goodRegistration()
			in.Visitor.Phone, in.Room, in.Visitor.IDNumber = phone, room, idNumber("44052418800101", n)
			return s.Submit(ctx, poster.Token, in, ip)
		}
		refused := func(what string, wait time.Duration, err error, want time.Duration, says string) {
			t.Helper()
			if outcome(err) != gatehouse.ERATELIMITED || wait != want || !strings.Contains(gatehouse.ErrorMessage(err), says) {
				t.Errorf("%s: %s %v, want to wait %s, saying %q", what, wait, err, want, says)
			}
		}
		first, _, err := reg("13900000001", "502", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		clock = now.Add(time.Minute)
		if _, _, err := reg("13900000001", "502", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		clock = now.Add(2 * time.Minute)
		_, wait, err := reg("13900000001", "503", "192.0.2.2")
		refused("a third pending request of one phone", wait, err, 8*time.Minute, "requests are waiting for this phone (2)")
		if _, err := s.Deny(ctx, f.resident, first.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := reg("13900000001", "503", "192.0.2.2"); err != nil {
			t.Errorf("the phone once a request was denied: %v", err)
		}
		for _, phone := range []string{"13900000002", "13900000003"} {
			if _, _, err := reg(phone, "502", "192.0.2.2"); err != nil {
				t.Fatal(err)
			}
		}
		// 502's oldest pending request was made at 1 minute and expires at 11.
		_, wait, err = reg("13900000004", "502", "192.0.2.3")
		refused("a fourth pending request for one dwelling", wait, err, 9*time.Minute, "requests are waiting for this dwelling (3)")
		_, wait, err = reg("13900000005", "504", "192.0.2.2")
		refused("a fourth request from one network", wait, err, time.Hour, "requests came from this network in the last hour (3)")
		if _, _, err := reg("13900000006", "505", "192.0.2.4"); err != nil {
			t.Fatal(err)
		}
		// Six requests went through the poster, the first at 0.
		_, wait, err = reg("13900000007", "506", "192.0.2.5")
		refused("a seventh request through one poster", wait, err, 58*time.Minute, "requests came through this poster in the last hour (6)")
		clock = now.Add(time.Hour)
		if _, _, err := reg("13900000007", "506", "192.0.2.5"); err != nil {
			t.Errorf("an hour after the first request: %v", err)
		}
	})
}

// A guard's list for its gate holds the requests made through that gate's
// posters and the community's own, not another gate's; a gate of another
// community, or none, is not found.
func TestAGuardListsTheRequestsMadeAtItsGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now
		s := visitsOf(f, &heard{}, &clock)
		east, _, err := f.gates.Create(ctx, f.manager, f.a.ID, "东门")
		if err != nil {
			t.Fatal(err)
		}
		submit := func(gateID int64, n int) int64 {
			t.Helper()
			p, err := s.CreatePoster(ctx, f.manager, f.a.ID, gateID)
			if err != nil {
				t.Fatal(err)
			}
			in := goodRegistration()
			in.Visitor.IDNumber = idNumber("44052418800101", n)
			r, _, err := s.Submit(ctx, p.Token, in, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		atSouth, atWhole, atEast := submit(f.gateA.ID, 1), submit(0, 2), submit(east.ID, 3)
		ids := func(q service.VisitQuery) []int64 {
			t.Helper()
			rows, _, err := s.List(ctx, f.guard, q, gatehouse.Page{})
			if err != nil {
				t.Fatalf("list %+v: %v", q, err)
			}
			var out []int64
			for _, r := range rows {
				out = append(out, r.ID)
			}
			return out
		}
		if got := ids(service.VisitQuery{GateID: f.gateA.ID}); !sameIDs(got, atSouth, atWhole) {
			t.Errorf("at the south gate: %v, want %d and %d", got, atSouth, atWhole)
		}
		if got := ids(service.VisitQuery{CommunityID: f.a.ID, GateID: east.ID}); !sameIDs(got, atEast, atWhole) {
			t.Errorf("at the east gate: %v, want %d and %d", got, atEast, atWhole)
		}
		if got := ids(service.VisitQuery{}); !sameIDs(got, atSouth, atWhole, atEast) {
			t.Errorf("every gate: %v", got)
		}
		for what, q := range map[string]service.VisitQuery{
			"another community's gate":   {GateID: f.gateB.ID},
			"a gate that does not exist": {GateID: f.gateB.ID + 1000},
			"A's gate asked for as B's":  {CommunityID: f.b.ID, GateID: f.gateA.ID},
		} {
			_, _, err := s.List(ctx, f.guard, q, gatehouse.Page{})
			wantCode(t, what, err, gatehouse.ENOTFOUND)
		}
		_, _, err = s.List(ctx, f.admin, service.VisitQuery{CommunityID: f.b.ID, GateID: f.gateA.ID}, gatehouse.Page{})
		wantCode(t, "admin asking for A's gate as B's", err, gatehouse.ENOTFOUND)
		_, err = s.Status(ctx, atEast+1000, "ghv_x")
		wantCode(t, "the status of a request that does not exist", err, gatehouse.ENOTFOUND)
	})
}
