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

func rfc(t time.Time) string { return t.Format(time.RFC3339) }

func intp(n int) *int { return &n }

// Every problem of a new pass is reported on its own field, and nothing is
// stored.
func TestAPassIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		moved := &gatehouse.Resident{CommunityID: f.a.ID, Name: "搬走", IDType: gatehouse.IDPassport, IDNumber: gatehouse.NewIDNumber("E12345678"),
			Phone: "13800138000", Building: "9", Unit: "1", Room: "101"}
		if err := db.CreateResident(ctx, moved); err != nil {
			t.Fatal(err)
		}
		if err := f.residents.MoveOut(ctx, f.manager, moved.ID); err != nil {
			t.Fatal(err)
		}
		sched := func(start, end string, days ...int) *service.ScheduleInput {
			return &service.ScheduleInput{Days: days, Start: start, End: end}
		}
		good := func() service.PassInput {
			return service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: visitor("张伟", 14), ValidUntil: rfc(now.Add(2 * time.Hour))}
		}
		nine := []int64{}
		for i := int64(1); i <= 9; i++ {
			nine = append(nine, f.gateA.ID+i*1000)
		}
		cases := []struct {
			what   string
			edit   func(*service.PassInput)
			fields []string
		}{
			{"no community", func(in *service.PassInput) { in.CommunityID = 0 }, []string{"community_id"}},
			{"no host", func(in *service.PassInput) { in.HostResidentID = 0 }, []string{"host_resident_id"}},
			{"no valid_until", func(in *service.PassInput) { in.ValidUntil = "" }, []string{"valid_until"}},
			{"valid_until not a time", func(in *service.PassInput) { in.ValidUntil = "tomorrow" }, []string{"valid_until"}},
			{"valid_until without a zone", func(in *service.PassInput) { in.ValidUntil = "2026-12-01T14:00:00" }, []string{"valid_until"}},
			{"valid_from not a time", func(in *service.PassInput) { in.ValidFrom = "2026-12-01" }, []string{"valid_from"}},
			{"until before from", func(in *service.PassInput) {
				in.ValidFrom, in.ValidUntil = rfc(now.Add(3*time.Hour)), rfc(now.Add(2*time.Hour))
			}, []string{"valid_until"}},
			{"until in the past", func(in *service.PassInput) {
				in.ValidFrom, in.ValidUntil = rfc(now.Add(-3*time.Hour)), rfc(now.Add(-time.Hour))
			}, []string{"valid_until"}},
			{"longer than the community allows", func(in *service.PassInput) { in.ValidUntil = rfc(now.Add(8 * 24 * time.Hour)) }, []string{"valid_until"}},
			{"from two days ago", func(in *service.PassInput) { in.ValidFrom = rfc(now.Add(-48 * time.Hour)) }, []string{"valid_from"}},
			{"no entries", func(in *service.PassInput) { in.MaxEntries = intp(0) }, []string{"max_entries"}},
			{"too many entries", func(in *service.PassInput) { in.MaxEntries = intp(gatehouse.MaxEntriesLimit + 1) }, []string{"max_entries"}},
			{"a long purpose", func(in *service.PassInput) { in.Purpose = strings.Repeat("访", 201) }, []string{"purpose"}},
			{"a start that is not HH:MM", func(in *service.PassInput) { in.Schedule = sched("8:00", "20:00", 1) }, []string{"schedule.start"}},
			{"a start at 24:00", func(in *service.PassInput) { in.Schedule = sched("24:00", "08:00", 1) }, []string{"schedule.start"}},
			{"an end past 24:00", func(in *service.PassInput) { in.Schedule = sched("08:00", "24:30", 1) }, []string{"schedule.end"}},
			{"minutes past 59", func(in *service.PassInput) { in.Schedule = sched("08:60", "20:00", 1) }, []string{"schedule.start"}},
			{"no days", func(in *service.PassInput) { in.Schedule = sched("08:00", "20:00") }, []string{"schedule.days"}},
			{"day 0", func(in *service.PassInput) { in.Schedule = sched("08:00", "20:00", 0) }, []string{"schedule.days"}},
			{"day 8", func(in *service.PassInput) { in.Schedule = sched("08:00", "20:00", 1, 8) }, []string{"schedule.days"}},
			{"an empty window", func(in *service.PassInput) { in.Schedule = sched("08:00", "08:00", 1) }, []string{"schedule.end"}},
			{"a gate of another community", func(in *service.PassInput) { in.GateIDs = []int64{f.gateA.ID, f.gateB.ID} }, []string{"gate_ids"}},
			{"no such gate", func(in *service.PassInput) { in.GateIDs = []int64{f.gateA.ID + 1000} }, []string{"gate_ids"}},
			{"nine gates", func(in *service.PassInput) { in.GateIDs = nine }, []string{"gate_ids"}},
			{"a host of another community", func(in *service.PassInput) { in.HostResidentID = f.hostB.ID }, []string{"host_resident_id"}},
			{"no such host", func(in *service.PassInput) { in.HostResidentID = f.hostB.ID + 1000 }, []string{"host_resident_id"}},
			{"a host who moved out", func(in *service.PassInput) { in.HostResidentID = moved.ID }, []string{"host_resident_id"}},
			{"a visitor without a name", func(in *service.PassInput) { in.Visitor.Name = " " }, []string{"visitor.name"}},
			{"a visitor's bad number", func(in *service.PassInput) { in.Visitor.IDNumber = "440524188001010015" }, []string{"visitor.id_number"}},
			{"a visitor's bad phone", func(in *service.PassInput) { in.Visitor.Phone = "12345" }, []string{"visitor.phone"}},
			{"a visitor's unknown document", func(in *service.PassInput) { in.Visitor.IDType = "driving_licence" }, []string{"visitor.id_type"}},
			{"two problems at once", func(in *service.PassInput) { in.MaxEntries, in.Purpose = intp(0), strings.Repeat("访", 201) }, []string{"max_entries", "purpose"}},
		}
		for _, tc := range cases {
			in := good()
			tc.edit(&in)
			p, err := f.passes.Create(ctx, f.manager, in, gatehouse.PassWalkIn)
			if p != nil {
				t.Errorf("%s: a pass was issued: %+v", tc.what, p)
			}
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		passes, _, err := db.Passes(ctx, gatehouse.PassFilter{}, gatehouse.Page{Limit: 10})
		if err != nil || len(passes) != 0 {
			t.Errorf("passes stored after refusals: %d, %v", len(passes), err)
		}
		// The edges that are allowed.
		for what, edit := range map[string]func(*service.PassInput){
			"a window to midnight":     func(in *service.PassInput) { in.Schedule = sched("20:00", "24:00", 6, 7) },
			"a window across midnight": func(in *service.PassInput) { in.Schedule = sched("22:00", "06:00", 5) },
			"from a day ago":           func(in *service.PassInput) { in.ValidFrom = rfc(now.Add(-23 * time.Hour)) },
			"exactly the longest":      func(in *service.PassInput) { in.ValidUntil = rfc(now.Add(7 * 24 * time.Hour)) },
			"the most entries":         func(in *service.PassInput) { in.MaxEntries = intp(gatehouse.MaxEntriesLimit) },
			"eight gates":              func(in *service.PassInput) { in.GateIDs = []int64{f.gateA.ID, f.gateA.ID} },
		} {
			in := good()
			edit(&in)
			if _, err := f.passes.Create(ctx, f.manager, in, gatehouse.PassWalkIn); err != nil {
				t.Errorf("%s: %v", what, err)
			}
		}
	})
}

// A pass as issued: its defaults, its kind by who issued it, and its
// schedule in bits.
func TestAPassIsIssuedWithItsDefaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p, err := f.passes.Create(ctx, f.guard, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: visitor(" 张伟 ", 14),
			ValidUntil: "2026-12-01T14:00:00.9+08:00", GateIDs: []int64{f.gateA.ID, f.gateA.ID}, Purpose: " 送货 ",
			Schedule: &service.ScheduleInput{Days: []int{1, 3, 7}, Start: "08:00", End: "24:00"}}, gatehouse.PassGuest)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case p.Kind != gatehouse.PassWalkIn:
			t.Errorf("a guard's guest pass: kind %s, want walkin", p.Kind)
		case p.MaxEntries != 1 || !p.ValidFrom.Equal(now) || !p.ValidUntil.Equal(now.Add(4*time.Hour)):
			t.Errorf("defaults: %d entries, %s to %s", p.MaxEntries, p.ValidFrom, p.ValidUntil)
		case len(p.GateIDs) != 1 || p.Purpose != "送货" || p.Visitor.Name != "张伟" || p.CreatedBy != f.guard.UserID:
			t.Errorf("as typed: gates %v, purpose %q, visitor %q, by %d", p.GateIDs, p.Purpose, p.Visitor.Name, p.CreatedBy)
		case p.Schedule != gatehouse.Schedule{Days: 1 | 1<<2 | 1<<6, StartMinute: 8 * 60, EndMinute: 24 * 60}:
			t.Errorf("schedule: %+v", p.Schedule)
		case p.Host == nil || p.Host.ID != f.hostA.ID:
			t.Errorf("host: %+v", p.Host)
		}
		// A resident leaves community and host out, and always invites a guest.
		p, err = f.passes.Create(ctx, f.resident, service.PassInput{Visitor: visitor("李娜", 22), ValidUntil: rfc(now.Add(time.Hour))}, gatehouse.PassWalkIn)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != gatehouse.PassGuest || p.CommunityID != f.a.ID || p.HostResidentID != f.hostA.ID {
			t.Errorf("a resident's pass: %s in %d for %d", p.Kind, p.CommunityID, p.HostResidentID)
		}
	})
}

// A resident sees the guests of its household's present members invited
// since it moved in; a new occupant sees nothing of the one before.
func TestAResidentSeesItsHouseholdsPassesSinceItMovedIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		issue := func(pr *gatehouse.Principal, host int64, n int) *gatehouse.Pass {
			t.Helper()
			p, err := f.passes.Create(ctx, pr, service.PassInput{CommunityID: f.a.ID, HostResidentID: host, Visitor: visitor("访客", n),
				ValidUntil: rfc(db.Now().Add(time.Hour))}, gatehouse.PassWalkIn)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		flatmate := &gatehouse.Resident{CommunityID: f.a.ID, Name: "王强", IDType: gatehouse.IDPassport, IDNumber: gatehouse.NewIDNumber("E12345670"),
			Phone: "13800138001", Building: "3", Unit: "2", Room: "502"}
		if err := db.CreateResident(ctx, flatmate); err != nil {
			t.Fatal(err)
		}
		mine, flatmates, neighbours := issue(f.manager, f.hostA.ID, 1), issue(f.manager, flatmate.ID, 2), issue(f.manager, f.neighbourA.ID, 3)
		list := func(pr *gatehouse.Principal, q service.PassQuery) []int64 {
			t.Helper()
			ps, _, err := f.passes.List(ctx, pr, q, gatehouse.Page{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			return ids
		}
		if got := list(f.resident, service.PassQuery{}); !sameIDs(got, mine.ID, flatmates.ID) {
			t.Errorf("the household's passes: %v, want %d and %d", got, mine.ID, flatmates.ID)
		}
		if got := list(f.resident, service.PassQuery{HostResidentID: f.neighbourA.ID}); len(got) != 0 {
			t.Errorf("asking for the neighbour's guests: %v", got)
		}
		if _, err := f.passes.Get(ctx, f.resident, neighbours.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("the neighbour's pass: %v", err)
		}
		if _, err := f.passes.Revoke(ctx, f.resident, neighbours.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("revoking the neighbour's pass: %v", err)
		}
		// Both move out; a new family moves in an hour later.
		for _, r := range []int64{f.hostA.ID, flatmate.ID} {
			if err := f.residents.MoveOut(ctx, f.manager, r); err != nil {
				t.Fatal(err)
			}
		}
		db.Now = func() time.Time { return now.Add(time.Hour) }
		f.passes.Now = db.Now
		newcomer := &gatehouse.Resident{CommunityID: f.a.ID, Name: "陈晨", IDType: gatehouse.IDPassport, IDNumber: gatehouse.NewIDNumber("E12345671"),
			Phone: "13800138002", Building: "3", Unit: "2", Room: "502"}
		if err := db.CreateResident(ctx, newcomer); err != nil {
			t.Fatal(err)
		}
		h := newcomer.Household()
		pr := &gatehouse.Principal{UserID: 99, Username: "chenchen", Role: gatehouse.RoleResident, Communities: []int64{f.a.ID},
			ResidentID: newcomer.ID, Household: &h, MovedInAt: newcomer.CreatedAt}
		if got := list(pr, service.PassQuery{}); len(got) != 0 {
			t.Errorf("a new occupant sees the passes of the one before: %v", got)
		}
		for _, p := range []*gatehouse.Pass{mine, flatmates} {
			if _, err := f.passes.Get(ctx, pr, p.ID); outcome(err) != gatehouse.ENOTFOUND {
				t.Errorf("a new occupant reads pass %d of the one before: %v", p.ID, err)
			}
		}
		ours := issue(pr, newcomer.ID, 4)
		if got := list(pr, service.PassQuery{}); !sameIDs(got, ours.ID) {
			t.Errorf("the new occupant's passes: %v, want %d", got, ours.ID)
		}
		// Staff see every pass of the community.
		if got := list(f.guard, service.PassQuery{CommunityID: f.a.ID}); len(got) != 4 {
			t.Errorf("a guard's list: %v, want 4 passes", got)
		}
	})
}

func sameIDs(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[int64]bool{}
	for _, id := range got {
		seen[id] = true
	}
	for _, id := range want {
		if !seen[id] {
			return false
		}
	}
	return true
}

func TestPassesAreListedByAKnownStatusAndRevokedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		_, _, err := f.passes.List(ctx, f.guard, service.PassQuery{Status: "valid"}, gatehouse.Page{})
		wantProblems(t, "an unknown status", err, gatehouse.EBADREQUEST, "status")
		p, err := f.passes.Create(ctx, f.resident, service.PassInput{Visitor: visitor("张伟", 14), ValidUntil: rfc(now.Add(time.Hour))}, gatehouse.PassGuest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.passes.Revoke(ctx, f.police, p.ID); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("police revoking: %v", err)
		}
		if _, err := f.passes.Get(ctx, f.manager, p.ID+1000); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("no such pass: %v", err)
		}
		got, err := f.passes.Revoke(ctx, f.guard, p.ID)
		if err != nil || got.RevokedAt == nil || got.RevokedBy != f.guard.UserID || got.Status(now) != gatehouse.PassRevoked {
			t.Fatalf("revoked by the guard: %+v, %v", got, err)
		}
		for status, want := range map[string]int{gatehouse.PassRevoked: 1, gatehouse.PassActive: 0} {
			ps, _, err := f.passes.List(ctx, f.resident, service.PassQuery{Status: status}, gatehouse.Page{Limit: 10})
			if err != nil || len(ps) != want {
				t.Errorf("the resident's %s passes: %d, %v; want %d", status, len(ps), err, want)
			}
		}
	})
}
