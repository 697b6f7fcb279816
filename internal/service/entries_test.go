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

// A resident's From is never before it moved in; staff ask as they like.
func TestAResidentsEntriesStartWhenItMovedIn(t *testing.T) {
	movedIn := now.Add(-10 * 24 * time.Hour)
	h := gatehouse.Household{CommunityID: 1, Building: "3", Unit: "2", Room: "502"}
	resident := &gatehouse.Principal{UserID: 5, Role: gatehouse.RoleResident, Communities: []int64{1}, ResidentID: 9, Household: &h, MovedInAt: movedIn}
	guard := &gatehouse.Principal{UserID: 3, Role: gatehouse.RoleGuard, Communities: []int64{1}}
	later := now.Add(-24 * time.Hour)
	cases := []struct {
		who      *gatehouse.Principal
		from     string
		wantFrom time.Time
	}{
		{resident, "", movedIn},
		{resident, rfc(now.Add(-365 * 24 * time.Hour)), movedIn},
		{resident, rfc(later), later},
		{guard, "", time.Time{}},
		{guard, rfc(now.Add(-365 * 24 * time.Hour)), now.Add(-365 * 24 * time.Hour)},
	}
	for _, tc := range cases {
		f, err := service.EntryQuery{From: tc.from, To: rfc(now)}.Filter(tc.who)
		if err != nil || !f.From.Equal(tc.wantFrom) || !f.To.Equal(now) {
			t.Errorf("%s from %q: %s to %s, %v; want from %s", tc.who.Role, tc.from, f.From, f.To, err, tc.wantFrom)
		}
		if (tc.who == resident) != (f.Household != nil) {
			t.Errorf("%s: household %+v", tc.who.Role, f.Household)
		}
	}
	for _, tc := range []struct {
		q     service.EntryQuery
		field string
	}{
		{service.EntryQuery{From: "today"}, "from"},
		{service.EntryQuery{To: "2026-12-01"}, "to"},
		{service.EntryQuery{Decision: "allow"}, "decision"},
	} {
		_, err := tc.q.Filter(guard)
		wantProblems(t, tc.field, err, gatehouse.EBADREQUEST, tc.field)
	}
	f, err := service.EntryQuery{IDNumber: " 11010519491231002x ", Decision: "deny", CommunityID: 2}.Filter(guard)
	if err != nil || f.IDNumber.Masked() != gatehouse.MaskIDNumber("11010519491231002X") || f.Decision != gatehouse.Deny || len(f.CommunityIDs) != 0 {
		t.Errorf("a guard's filter: %+v, %v", f, err)
	}
}

// A newcomer to a flat sees none of the entries of the household before it.
func TestANewOccupantSeesNoEntriesFromBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.walkIn(t, f.gateA, f.hostA.ID, visitor("张伟", 14))
		f.walkIn(t, f.gateA, f.neighbourA.ID, visitor("李娜", 22))
		es, _, err := f.entries.List(ctx, f.resident, service.EntryQuery{}, gatehouse.Page{Limit: 10})
		if err != nil || len(es) != 1 || es[0].HostResidentID != f.hostA.ID {
			t.Fatalf("the household's entries: %+v, %v", es, err)
		}
		if err := f.residents.MoveOut(ctx, f.manager, f.hostA.ID); err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return now.Add(time.Hour) }
		newcomer, err := f.residents.Create(ctx, f.manager, residentInput(f.a.ID, "陈晨", "11010519491231002X", "502"))
		if err != nil {
			t.Fatal(err)
		}
		h := newcomer.Household()
		pr := &gatehouse.Principal{UserID: 99, Role: gatehouse.RoleResident, Communities: []int64{f.a.ID}, ResidentID: newcomer.ID,
			Household: &h, MovedInAt: newcomer.CreatedAt}
		es, _, err = f.entries.List(ctx, pr, service.EntryQuery{From: rfc(now.Add(-time.Hour))}, gatehouse.Page{Limit: 10})
		if err != nil || len(es) != 0 {
			t.Errorf("the newcomer sees: %+v, %v", es, err)
		}
	})
}

// entryLog records when the log is read.
type entryLog struct {
	service.EntryStore
	steps *steps
}

func (s entryLog) Entries(ctx context.Context, f gatehouse.EntryFilter, page gatehouse.Page) ([]*gatehouse.Entry, int64, error) {
	s.steps.add("search")
	return s.EntryStore.Entries(ctx, f, page)
}

// A search of the log by ID number is for admin and police, on record
// before it runs, the record never holding the number.
func TestSearchingTheLogByIDNumberIsAuditedFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		v := visitor("张伟", 14)
		f.walkIn(t, f.gateA, f.hostA.ID, v)
		f.walkIn(t, f.gateA, f.hostA.ID, visitor("李娜", 22))
		st := &steps{}
		audit := &recordingAudit{steps: st, db: db}
		svc := &service.Entries{Store: entryLog{db, st}, Audit: audit}
		q := service.EntryQuery{CommunityID: f.a.ID, IDNumber: v.IDNumber}
		for _, pr := range []*gatehouse.Principal{f.manager, f.guard, f.resident} {
			_, _, err := svc.List(ctx, pr, q, gatehouse.Page{})
			wantProblems(t, "an ID search by "+string(pr.Role), err, gatehouse.EFORBIDDEN, "id_number")
		}
		if st.String() != "" {
			t.Errorf("refused searches reached the audit or the log: %s", st)
		}
		es, _, err := svc.List(ctx, f.police, q, gatehouse.Page{Limit: 10})
		if err != nil || len(es) != 1 || es[0].PersonName != "张伟" {
			t.Fatalf("the police's search: %+v, %v", es, err)
		}
		if st.String() != "audit id.search, search" {
			t.Errorf("steps: %s, want the audit first", st)
		}
		ev := audit.events[0]
		if ev.ActorID != f.police.UserID || ev.CommunityID != f.a.ID || ev.Action != gatehouse.AuditIDSearch {
			t.Errorf("the event: %+v", ev)
		}
		for _, s := range []string{ev.Detail, ev.Target, ev.CaseRef} {
			if strings.Contains(s, v.IDNumber) || strings.Contains(s, gatehouse.MaskIDNumber(v.IDNumber)) {
				t.Errorf("the audit holds the number: %q", s)
			}
		}
		st.log, audit.failWith = nil, errTest
		if _, _, err := svc.List(ctx, f.admin, q, gatehouse.Page{}); err == nil || st.String() != "audit id.search" {
			t.Errorf("with the audit failing: %v, steps %s", err, st)
		}
		// Without a number, nothing to audit.
		st.log, audit.failWith = nil, nil
		if es, _, err := svc.List(ctx, f.guard, service.EntryQuery{Name: "李"}, gatehouse.Page{Limit: 10}); err != nil || len(es) != 1 || st.String() != "search" {
			t.Errorf("a guard's search by name: %d, %v, steps %s", len(es), err, st)
		}
	})
}

func TestTheLogIsVerifiedWithinScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.walkIn(t, f.gateA, f.hostA.ID, visitor("张伟", 14))
		f.walkIn(t, f.gateB, f.hostB.ID, visitor("张伟", 14))
		if _, err := f.entries.Verify(ctx, f.police, f.b.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("police verifying B: %v", err)
		}
		for who, want := range map[*gatehouse.Principal]int64{f.police: 1, f.admin: 2} {
			rep, err := f.entries.Verify(ctx, who, 0)
			if err != nil || !rep.OK || rep.Checked != want {
				t.Errorf("%s verifies: %+v, %v; want %d checked", who.Role, rep, err, want)
			}
		}
	})
}

// The access audit: admin only, its times checked, its chain whole.
func TestTheAccessAuditIsReadByAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := f.reports.Population(ctx, f.police, service.ReportQuery{CommunityID: f.a.ID, Download: "csv"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.entries.List(ctx, f.admin, service.EntryQuery{IDNumber: "11010519491231002X"}, gatehouse.Page{}); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.audit.List(ctx, f.admin, service.AuditQuery{From: "yesterday", To: "today"}, gatehouse.Page{})
		wantProblems(t, "times that are no times", err, gatehouse.EBADREQUEST, "from", "to")
		evs, _, err := f.audit.List(ctx, f.admin, service.AuditQuery{Action: gatehouse.AuditReportDownload, From: rfc(now.Add(-time.Hour)), To: rfc(now.Add(time.Hour))}, gatehouse.Page{Limit: 10})
		if err != nil || len(evs) != 1 || evs[0].ActorID != f.police.UserID {
			t.Errorf("the downloads: %+v, %v", evs, err)
		}
		rep, err := f.audit.Verify(ctx, f.admin)
		if err != nil || !rep.OK || rep.Checked != 2 {
			t.Errorf("the audit's chain: %+v, %v", rep, err)
		}
		if _, err := f.audit.Verify(ctx, f.police); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("police verifying the audit: %v", err)
		}
	})
}
