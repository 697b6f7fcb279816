package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func residentInput(cid int64, name, idn, room string) service.ResidentInput {
	idt := gatehouse.IDResident
	return service.ResidentInput{CommunityID: &cid, Name: &name, IDType: &idt, IDNumber: &idn, Phone: ptr("138 0013 8000"),
		Building: ptr(" 3 "), Unit: ptr("2"), Room: &room}
}

func TestAResidentIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cases := []struct {
			what   string
			edit   func(*service.ResidentInput)
			fields []string
		}{
			{"no community", func(in *service.ResidentInput) { in.CommunityID = nil }, []string{"community_id"}},
			{"no name", func(in *service.ResidentInput) { in.Name = ptr("  ") }, []string{"name"}},
			{"a bad check digit", func(in *service.ResidentInput) { in.IDNumber = ptr("110105194912310021") }, []string{"id_number"}},
			{"an unknown document", func(in *service.ResidentInput) { x := gatehouse.IDType("card"); in.IDType = &x }, []string{"id_type"}},
			{"no phone", func(in *service.ResidentInput) { in.Phone = nil }, []string{"phone"}},
			{"a bad phone", func(in *service.ResidentInput) { in.Phone = ptr("phone") }, []string{"phone"}},
			{"no building, unit, room", func(in *service.ResidentInput) { in.Building, in.Unit, in.Room = nil, ptr(""), ptr(" ") },
				[]string{"building", "unit", "room"}},
			{"a long room", func(in *service.ResidentInput) { in.Room = ptr(strings.Repeat("5", 33)) }, []string{"room"}},
		}
		for _, tc := range cases {
			in := residentInput(f.a.ID, "林新", "11010519491231002X", "601")
			tc.edit(&in)
			_, err := f.residents.Create(ctx, f.manager, in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		_, err := f.residents.Create(ctx, f.manager, residentInput(f.b.ID, "林新", "11010519491231002X", "601"))
		wantCode(t, "a resident of another company's community", err, gatehouse.ENOTFOUND)
		r, err := f.residents.Create(ctx, f.manager, residentInput(f.a.ID, " 林新 ", "11010519491231002x", "６０１"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != "林新" || r.Room != "601" || r.Building != "3" || r.Phone != "13800138000" || r.IDNumber.Masked() == "" {
			t.Errorf("normalized: %+v", r)
		}
	})
}

// A resident sees the present members of its own household; moved-out
// members and the neighbours are not there, whatever it asks for.
func TestAResidentSeesItsPresentHousehold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		mate, err := f.residents.Create(ctx, f.manager, residentInput(f.a.ID, "王强", "11010519491231002X", "502"))
		if err != nil {
			t.Fatal(err)
		}
		gone, err := f.residents.Create(ctx, f.manager, residentInput(f.a.ID, "王老", "440524188001010014", "502"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.residents.MoveOut(ctx, f.manager, gone.ID); err != nil {
			t.Fatal(err)
		}
		rs, _, err := f.residents.List(ctx, f.resident, service.ResidentQuery{IncludeMovedOut: true}, gatehouse.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		if !sameIDs(ids, f.hostA.ID, mate.ID) {
			t.Errorf("the household: %v, want %d and %d", ids, f.hostA.ID, mate.ID)
		}
		if _, err := f.residents.Get(ctx, f.resident, gone.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("a member who moved out: %v", err)
		}
		// A newcomer to the flat after everyone left sees no one from before.
		for _, id := range []int64{f.hostA.ID, mate.ID} {
			if err := f.residents.MoveOut(ctx, f.manager, id); err != nil {
				t.Fatal(err)
			}
		}
		db.Now = func() time.Time { return now.Add(time.Hour) }
		newcomer, err := f.residents.Create(ctx, f.manager, residentInput(f.a.ID, "陈晨", "110105194912310038", "502"))
		if err != nil {
			t.Fatal(err)
		}
		h := newcomer.Household()
		pr := &gatehouse.Principal{UserID: 99, Role: gatehouse.RoleResident, Communities: []int64{f.a.ID}, ResidentID: newcomer.ID,
			Household: &h, MovedInAt: newcomer.CreatedAt}
		rs, _, err = f.residents.List(ctx, pr, service.ResidentQuery{IncludeMovedOut: true}, gatehouse.Page{Limit: 50})
		if err != nil || len(rs) != 1 || rs[0].ID != newcomer.ID {
			t.Errorf("the newcomer's household: %v, %v", rs, err)
		}
		for _, id := range []int64{f.hostA.ID, mate.ID, gone.ID} {
			if _, err := f.residents.Get(ctx, pr, id); outcome(err) != gatehouse.ENOTFOUND {
				t.Errorf("the newcomer reads resident %d of before: %v", id, err)
			}
		}
		// Staff still list those who left when asked.
		rs, _, err = f.residents.List(ctx, f.manager, service.ResidentQuery{CommunityID: f.a.ID, Building: "3", IncludeMovedOut: true}, gatehouse.Page{Limit: 50})
		if err != nil || len(rs) != 5 {
			t.Errorf("the manager's list of building 3 with those who left: %d, %v", len(rs), err)
		}
	})
}

// residentLog records the order of the store's reads and the audit.
type residentLog struct {
	service.ResidentStore
	steps *steps
}

func (s residentLog) Residents(ctx context.Context, f gatehouse.ResidentFilter, page gatehouse.Page) ([]*gatehouse.Resident, int64, error) {
	s.steps.add("search")
	return s.ResidentStore.Residents(ctx, f, page)
}

// A q that is an ID number is an ID search: refused to roles that see
// numbers masked, else on record before it runs, the record never holding
// the number.
func TestSearchingResidentsByIDNumberIsAuditedFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		st := &steps{}
		audit := &recordingAudit{steps: st, db: db}
		svc := &service.Residents{Store: residentLog{db, st}, Audit: audit, Codes: f.eng, Now: func() time.Time { return now }}
		number := f.hostA.IDNumber
		typed := strings.ToLower(idNumber("44030319900101", 1)) // as typed, lower-case x and all
		for _, pr := range []*gatehouse.Principal{f.manager, f.guard, f.resident} {
			_, _, err := svc.List(ctx, pr, service.ResidentQuery{CommunityID: f.a.ID, Q: typed}, gatehouse.Page{})
			wantProblems(t, "an ID search by "+string(pr.Role), err, gatehouse.EFORBIDDEN, "id_number")
		}
		if st.String() != "" {
			t.Errorf("refused searches reached the audit or the store: %s", st)
		}
		rs, _, err := svc.List(ctx, f.police, service.ResidentQuery{CommunityID: f.a.ID, Q: typed}, gatehouse.Page{})
		if err != nil || len(rs) != 1 || rs[0].ID != f.hostA.ID {
			t.Fatalf("the police's ID search: %v, %v", rs, err)
		}
		if st.String() != "audit id.search, search" {
			t.Errorf("steps: %s, want the audit before the search", st)
		}
		ev := audit.events[0]
		if ev.ActorID != f.police.UserID || ev.CommunityID != f.a.ID || ev.Target != "id_number" {
			t.Errorf("the event: %+v", ev)
		}
		stored := f.auditEvents(t)
		if len(stored) != 1 || stored[0].Action != gatehouse.AuditIDSearch {
			t.Errorf("stored events: %+v", stored)
		}
		for _, s := range []string{ev.Detail, ev.Target, ev.CaseRef, stored[0].Detail} {
			if strings.Contains(s, number.Masked()) || strings.Contains(strings.ToUpper(s), strings.ToUpper(typed)) || strings.Contains(s, typed[6:14]) {
				t.Errorf("the audit holds the number: %q", s)
			}
		}
		// A failing audit: no search.
		st.log, audit.failWith = nil, errors.New("disk full")
		if _, _, err := svc.List(ctx, f.admin, service.ResidentQuery{Q: typed}, gatehouse.Page{}); err == nil || st.String() != "audit id.search" {
			t.Errorf("with the audit failing: %v, steps %s", err, st)
		}
		// A name, a phone or a room is no ID search.
		audit.failWith = nil
		for _, q := range []string{"王芳", "13800138000", "502"} {
			st.log = nil
			rs, _, err := svc.List(ctx, f.guard, service.ResidentQuery{Q: q}, gatehouse.Page{})
			if err != nil || len(rs) == 0 || st.String() != "search" {
				t.Errorf("q=%s by a guard: %d, %v, steps %s", q, len(rs), err, st)
			}
		}
	})
}

func TestAResidentIsChangedInPlaceUntilItMovesOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		_, err := f.residents.Update(ctx, f.manager, f.hostA.ID, service.ResidentInput{CommunityID: &f.b.ID})
		wantProblems(t, "moving between communities", err, gatehouse.EINVALID, "community_id")
		_, err = f.residents.Update(ctx, f.manager, f.hostA.ID, service.ResidentInput{Phone: ptr("555")})
		wantProblems(t, "a bad phone", err, gatehouse.EINVALID, "phone")
		_, err = f.residents.Update(ctx, f.manager, f.hostB.ID, service.ResidentInput{Phone: ptr("13900139000")})
		wantCode(t, "a resident of another community", err, gatehouse.ENOTFOUND)
		r, err := f.residents.Update(ctx, f.manager, f.hostA.ID, service.ResidentInput{CommunityID: &f.a.ID, Phone: ptr("139 0013 9000")})
		if err != nil || r.Phone != "13900139000" || r.Name != "王芳" {
			t.Fatalf("a new phone: %+v, %v", r, err)
		}
		if err := f.residents.MoveOut(ctx, f.guard, f.hostA.ID); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("a guard moving out: %v", err)
		}
		if err := f.residents.MoveOut(ctx, f.manager, f.hostA.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.residents.Update(ctx, f.manager, f.hostA.ID, service.ResidentInput{Phone: ptr("13900139001")})
		wantCode(t, "changing one who moved out", err, gatehouse.ECONFLICT)
		_, err = f.passes.Create(ctx, f.guard, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: visitor("张伟", 14),
			ValidUntil: rfc(now.Add(time.Hour))}, gatehouse.PassWalkIn)
		wantProblems(t, "a pass for one who moved out", err, gatehouse.EINVALID, "host_resident_id")
	})
}

// Only the resident itself gets its rotating code.
func TestAResidentsCodeIsItsOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		code, until, err := f.residents.Code(ctx, f.resident, f.hostA.ID)
		if err != nil || code == "" || !until.After(now) {
			t.Errorf("the resident's own code: %q until %s, %v", code, until, err)
		}
		for who, pr := range map[string]*gatehouse.Principal{"a manager": f.manager, "admin": f.admin} {
			if _, _, err := f.residents.Code(ctx, pr, f.hostA.ID); outcome(err) != gatehouse.ENOTFOUND {
				t.Errorf("%s asking for a resident's code: %v", who, err)
			}
		}
		if _, _, err := f.residents.Code(ctx, f.device, f.hostA.ID); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("a gate asking for a resident's code: %v", err)
		}
	})
}

// A resident principal made without its household (by a caller other than
// the HTTP login) sees nothing, never its whole community.
func TestAResidentWithoutAHouseholdSeesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.walkIn(t, f.gateA, f.hostA.ID, visitor("张伟", 14))
		pr := &gatehouse.Principal{UserID: f.resident.UserID, Username: "wangfang", Role: gatehouse.RoleResident, Communities: []int64{f.a.ID}, ResidentID: f.hostA.ID}
		rs, _, err := f.residents.List(ctx, pr, service.ResidentQuery{}, gatehouse.Page{Limit: 10})
		if err != nil || len(rs) != 0 {
			t.Errorf("residents: %d, %v", len(rs), err)
		}
		ps, _, err := f.passes.List(ctx, pr, service.PassQuery{}, gatehouse.Page{Limit: 10})
		if err != nil || len(ps) != 0 {
			t.Errorf("passes: %d, %v", len(ps), err)
		}
		es, _, err := f.entries.List(ctx, pr, service.EntryQuery{}, gatehouse.Page{Limit: 10})
		if err != nil || len(es) != 0 {
			t.Errorf("entries: %d, %v", len(es), err)
		}
	})
}

// A guard finds a host by the dwelling as people say it, whichever way the
// manager stored building and unit ("3" or "3栋"); an ID number stays
// refused to a guard.
func TestAGuardFindsAHostByItsDwelling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		// The fixture's residents live in "3", "2", "502"/"503"; this one in "7栋", "1单元", "1201".
		idt := gatehouse.IDResident
		spelled, err := f.residents.Create(ctx, f.manager, service.ResidentInput{CommunityID: &f.a.ID, Name: ptr("陈静"), IDType: &idt,
			IDNumber: ptr(idNumber("44030319900101", 9)), Phone: ptr("13900139000"), Building: ptr("7栋"), Unit: ptr("1单元"), Room: ptr("1201")})
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int64{
			"3-2-502": f.hostA.ID, "3栋2单元502": f.hostA.ID, "3/2/502": f.hostA.ID, "3 2 502室": f.hostA.ID, "３－２－５０２": f.hostA.ID,
			"7-1-1201": spelled.ID, "7栋1单元1201": spelled.ID, "7号楼 1单元 1201": spelled.ID,
		} {
			rs, _, err := f.residents.List(ctx, f.guard, service.ResidentQuery{CommunityID: f.a.ID, Q: q}, gatehouse.Page{})
			if err != nil || len(rs) != 1 || rs[0].ID != want {
				t.Errorf("q=%q: %v, %v; want resident %d alone", q, names(rs), err, want)
			}
		}
		// Another dwelling, or another community's, finds nobody.
		for _, q := range []string{"3-2-504", "3-1-502", "7-2-1201"} {
			if rs, _, err := f.residents.List(ctx, f.guard, service.ResidentQuery{Q: q}, gatehouse.Page{}); err != nil || len(rs) != 0 {
				t.Errorf("q=%q: %v, %v; want nobody", q, names(rs), err)
			}
		}
		// Names and phone tails still work; an ID number is still refused.
		for _, q := range []string{"陈静", "9000"} {
			if rs, _, err := f.residents.List(ctx, f.guard, service.ResidentQuery{Q: q}, gatehouse.Page{}); err != nil || len(rs) != 1 || rs[0].ID != spelled.ID {
				t.Errorf("q=%q: %v, %v", q, names(rs), err)
			}
		}
		_, _, err = f.residents.List(ctx, f.guard, service.ResidentQuery{Q: idNumber("44030319900101", 9)}, gatehouse.Page{})
		wantProblems(t, "an ID number typed by a guard", err, gatehouse.EFORBIDDEN, "id_number")
	})
}

func names(rs []*gatehouse.Resident) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Name+" "+r.Building+"-"+r.Unit+"-"+r.Room)
	}
	return out
}

func TestParseDwellingReadsOnlyDwellings(t *testing.T) {
	for q, want := range map[string]string{"3-2-502": "3 2 502", "A座1单元1201室": "A 1 1201", "3栋 2单元 502": "3 2 502", "3 - 2 - 502": "3 2 502"} {
		d := service.ParseDwelling(q)
		if d == nil || d.Buildings[0]+" "+d.Units[0]+" "+d.Rooms[0] != want {
			t.Errorf("ParseDwelling(%q) = %+v, want %s", q, d, want)
		}
	}
	for _, q := range []string{"502", "王芳", "13800138000", "3-502", ""} {
		if d := service.ParseDwelling(q); d != nil {
			t.Errorf("ParseDwelling(%q) = %+v, want none", q, d)
		}
	}
}
