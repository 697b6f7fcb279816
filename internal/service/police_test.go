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

// walkIn lets a visitor in at a gate, as a guard of its community.
func (f *fixture) walkIn(t *testing.T, gate *gatehouse.Gate, host int64, v service.VisitorInput) *gatehouse.Entry {
	t.Helper()
	guard := &gatehouse.Principal{UserID: f.guard.UserID, Username: "guard", Role: gatehouse.RoleGuard, Communities: []int64{gate.CommunityID}}
	out, err := f.console.WalkIn(context.Background(), guard, service.WalkInInput{GateID: gate.ID, HostResidentID: host, Visitor: v})
	if err != nil {
		t.Fatal(err)
	}
	return out.Entry
}

func TestAPoliceQueryIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		good := func() service.PoliceQueryInput {
			return service.PoliceQueryInput{CaseRef: "罗公(刑)字[2026]1号", Purpose: "盗窃案", CommunityIDs: []int64{f.a.ID},
				From: rfc(now.Add(-24 * time.Hour)), To: rfc(now.Add(time.Hour)), Name: "张伟"}
		}
		cases := []struct {
			what   string
			edit   func(*service.PoliceQueryInput)
			fields []string
		}{
			{"no case", func(in *service.PoliceQueryInput) { in.CaseRef = " " }, []string{"case_ref"}},
			{"no purpose", func(in *service.PoliceQueryInput) { in.Purpose = "" }, []string{"purpose"}},
			{"a long purpose", func(in *service.PoliceQueryInput) { in.Purpose = strings.Repeat("案", 301) }, []string{"purpose"}},
			{"no community", func(in *service.PoliceQueryInput) { in.CommunityIDs = nil }, []string{"community_ids"}},
			{"no from", func(in *service.PoliceQueryInput) { in.From = "" }, []string{"from"}},
			{"no to", func(in *service.PoliceQueryInput) { in.To = "" }, []string{"to"}},
			{"a from that is no time", func(in *service.PoliceQueryInput) { in.From = "yesterday" }, []string{"from"}},
			{"to before from", func(in *service.PoliceQueryInput) { in.From, in.To = in.To, in.From }, []string{"to"}},
			{"more than a year", func(in *service.PoliceQueryInput) { in.From = rfc(now.Add(-367 * 24 * time.Hour)) }, []string{"to"}},
			{"no criterion", func(in *service.PoliceQueryInput) { in.Name = " " }, []string{"id_number"}},
			{"a long plate", func(in *service.PoliceQueryInput) { in.Plate = strings.Repeat("粤", 17) }, []string{"plate"}},
		}
		for _, tc := range cases {
			in := good()
			tc.edit(&in)
			q, entries, ev, err := f.police_.Create(ctx, f.police, in)
			if q != nil || entries != nil || ev != nil {
				t.Errorf("%s: ran", tc.what)
			}
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		in := good()
		in.CommunityIDs = []int64{f.a.ID, f.b.ID}
		_, _, _, err := f.police_.Create(ctx, f.police, in)
		wantCode(t, "a community outside the jurisdiction", err, gatehouse.ENOTFOUND)
		if qs, _, err := db.PoliceQueries(ctx, 0, gatehouse.Page{Limit: 10}); err != nil || len(qs) != 0 {
			t.Errorf("refused queries stored: %d, %v", len(qs), err)
		}
		if evs := f.auditEvents(t); len(evs) != 0 {
			t.Errorf("refused queries audited: %+v", evs)
		}
	})
}

// A query finds the entries of its criteria in its communities, counts them
// all, and is on record with its criteria named, never their values.
func TestAPoliceQueryFindsAndCountsItsEntriesOnRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		suspect := visitor("张伟", 14)
		suspect.Plate = "粤B12345"
		f.walkIn(t, f.gateA, f.hostA.ID, suspect)
		f.walkIn(t, f.gateA, f.neighbourA.ID, suspect)
		f.walkIn(t, f.gateB, f.hostB.ID, suspect)
		f.walkIn(t, f.gateA, f.hostA.ID, visitor("李娜", 22))
		both := &gatehouse.Principal{UserID: f.police.UserID, Username: "police", Role: gatehouse.RolePolice, Communities: []int64{f.a.ID, f.b.ID}}
		in := service.PoliceQueryInput{CaseRef: " 罗公(刑)字[2026]1号 ", Purpose: "盗窃案", CommunityIDs: []int64{f.a.ID, f.a.ID},
			From: rfc(now.Add(-time.Hour)), To: rfc(now.Add(time.Hour)), IDNumber: strings.ToLower(suspect.IDNumber)}
		q, entries, ev, err := f.police_.Create(ctx, f.police, in)
		if err != nil {
			t.Fatal(err)
		}
		if q.ResultCount != 2 || len(entries) != 2 || len(q.CommunityIDs) != 1 || q.CaseRef != "罗公(刑)字[2026]1号" || q.MaxEntryID == 0 {
			t.Errorf("by ID number in A: %+v, %d entries", q, len(entries))
		}
		for _, e := range entries {
			if e.CommunityID != f.a.ID || e.PersonName != "张伟" {
				t.Errorf("an entry found: %+v", e)
			}
		}
		if ev.Action != gatehouse.AuditPoliceQuery || ev.CaseRef != q.CaseRef || ev.CommunityID != f.a.ID || ev.ActorID != f.police.UserID ||
			!strings.Contains(ev.Detail, "[id_number]") || !strings.Contains(ev.Detail, "2 entries") {
			t.Errorf("the event: %+v", ev)
		}
		stored := f.auditEvents(t)
		if len(stored) != 1 || stored[0].Detail != ev.Detail {
			t.Errorf("stored events: %+v", stored)
		}
		if strings.Contains(ev.Detail, suspect.IDNumber) || strings.Contains(ev.Detail, "张伟") {
			t.Errorf("the audit holds the criteria's values: %s", ev.Detail)
		}
		// By plate and name over both communities: one event for several.
		in = service.PoliceQueryInput{CaseRef: "2", Purpose: "盗窃案", CommunityIDs: []int64{f.a.ID, f.b.ID},
			From: rfc(now.Add(-time.Hour)), To: rfc(now.Add(time.Hour)), Plate: "粤b 12345", Name: "张"}
		q, entries, ev, err = f.police_.Create(ctx, both, in)
		if err != nil || q.ResultCount != 3 || len(entries) != 3 || ev.CommunityID != 0 || !strings.Contains(ev.Detail, "[name plate]") {
			t.Errorf("by plate and name in A and B: %+v, %d entries, %+v, %v", q, len(entries), ev, err)
		}
		// Outside the period: nothing.
		in.From, in.To = rfc(now.Add(time.Hour)), rfc(now.Add(2*time.Hour))
		if q, _, _, err = f.police_.Create(ctx, both, in); err != nil || q.ResultCount != 0 {
			t.Errorf("a later period: %+v, %v", q, err)
		}
	})
}

// pagedEntries hands out the log two entries at a time.
type pagedEntries struct{ service.PoliceStore }

func (s pagedEntries) Entries(ctx context.Context, f gatehouse.EntryFilter, page gatehouse.Page) ([]*gatehouse.Entry, int64, error) {
	page.Limit = min(page.Limit, 2)
	return s.PoliceStore.Entries(ctx, f, page)
}

// fakeExport records what an export was given.
type fakeExport struct {
	steps     *steps
	q         *gatehouse.PoliceQuery
	heads     []service.ChainHead
	entries   []*gatehouse.Entry
	finishErr error
}

func (w *fakeExport) Begin(q *gatehouse.PoliceQuery, heads []service.ChainHead) error {
	w.steps.add("begin")
	w.q, w.heads = q, heads
	return nil
}

func (w *fakeExport) Entries(es []*gatehouse.Entry) error {
	w.steps.add("entries")
	w.entries = append(w.entries, es...)
	return nil
}

func (w *fakeExport) Finish() (int, string, error) {
	w.steps.add("finish")
	return len(w.entries), "c0ffee", w.finishErr
}

// An export is the query's entries as the log stood then, all of them, with
// each community's chain head; it is on record once written, before it may
// be sent.
func TestAPoliceExportWritesEveryEntryThenIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		suspect := visitor("张伟", 14)
		for range 5 {
			f.walkIn(t, f.gateA, f.hostA.ID, suspect)
		}
		q, _, _, err := f.police_.Create(ctx, f.police, service.PoliceQueryInput{CaseRef: "罗公(刑)字[2026]1号", Purpose: "盗窃案",
			CommunityIDs: []int64{f.a.ID}, From: rfc(now.Add(-time.Hour)), To: rfc(now.Add(time.Hour)), Name: "张伟"})
		if err != nil {
			t.Fatal(err)
		}
		f.walkIn(t, f.gateA, f.hostA.ID, suspect) // after the query: not in its export
		st := &steps{}
		audit := &recordingAudit{steps: st, db: db}
		svc := &service.Police{Store: pagedEntries{db}, Audit: audit}
		w := &fakeExport{steps: st}
		got, err := svc.Export(ctx, f.police, q.ID, w)
		if err != nil || got.ID != q.ID {
			t.Fatalf("export: %+v, %v", got, err)
		}
		if st.String() != "begin, entries, entries, entries, finish, audit police.export" {
			t.Errorf("steps: %s, want begin, the entries page by page, finish, then the audit", st)
		}
		seq, hash, err := db.ChainHead(ctx, f.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.heads) != 1 || w.heads[0] != (service.ChainHead{CommunityID: f.a.ID, Seq: seq, Hash: hash}) || w.q.ID != q.ID {
			t.Errorf("begun with %+v, %+v; want the head %d %s", w.q, w.heads, seq, hash)
		}
		if len(w.entries) != 5 {
			t.Errorf("%d entries written, want the 5 the query found", len(w.entries))
		}
		ev := audit.events[0]
		if ev.CaseRef != q.CaseRef || ev.Target != "police_query:"+itoa(q.ID) || ev.Detail != "5 entries; sha256 c0ffee" || ev.ActorID != f.police.UserID {
			t.Errorf("the export's event: %+v", ev)
		}
		// Not audited when the writer fails; an error when the audit fails.
		st.log, w.entries, w.finishErr = nil, nil, errors.New("disk full")
		if _, err := svc.Export(ctx, f.police, q.ID, w); err == nil || strings.Contains(st.String(), "audit") {
			t.Errorf("a failing writer: %v, steps %s", err, st)
		}
		st.log, w.entries, w.finishErr, audit.failWith = nil, nil, nil, errors.New("audit down")
		if _, err := svc.Export(ctx, f.police, q.ID, w); err == nil {
			t.Errorf("a failing audit: exported anyway")
		}
		// Only the officer who ran it.
		other := &gatehouse.Principal{UserID: f.police.UserID + 1000, Username: "police2", Role: gatehouse.RolePolice, Communities: []int64{f.a.ID}}
		if _, err := f.police_.Export(ctx, other, q.ID, w); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("another officer's export: %v", err)
		}
		if _, err := f.police_.Export(ctx, f.admin, q.ID, w); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("admin's export: %v", err)
		}
	})
}

// An officer reads its own queries; admin every officer's.
func TestAnOfficerReadsItsOwnQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		other := &gatehouse.User{Username: "police2", PasswordHash: "x", Role: gatehouse.RolePolice, Communities: []int64{f.a.ID}}
		if err := db.CreateUser(ctx, other); err != nil {
			t.Fatal(err)
		}
		op := &gatehouse.Principal{UserID: other.ID, Username: other.Username, Role: gatehouse.RolePolice, Communities: other.Communities}
		in := service.PoliceQueryInput{CaseRef: "1", Purpose: "盗窃案", CommunityIDs: []int64{f.a.ID}, From: rfc(now.Add(-time.Hour)), To: rfc(now), Plate: "粤B12345"}
		mine, _, _, err := f.police_.Create(ctx, f.police, in)
		if err != nil {
			t.Fatal(err)
		}
		theirs, _, _, err := f.police_.Create(ctx, op, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.police_.Get(ctx, f.police, theirs.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("another officer's query: %v", err)
		}
		if q, err := f.police_.Get(ctx, f.police, mine.ID); err != nil || q.Plate != "粤B12345" {
			t.Errorf("its own query: %+v, %v", q, err)
		}
		if q, err := f.police_.Get(ctx, f.admin, theirs.ID); err != nil || q.UserID != other.ID {
			t.Errorf("admin reads any: %+v, %v", q, err)
		}
		for who, c := range map[*gatehouse.Principal]int{f.police: 1, op: 1, f.admin: 2} {
			qs, _, err := f.police_.List(ctx, who, gatehouse.Page{Limit: 10})
			if err != nil || len(qs) != c {
				t.Errorf("%s lists %d queries, %v; want %d", who.Username, len(qs), err, c)
			}
		}
		if _, err := f.police_.Get(ctx, f.manager, mine.ID); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("a manager reading a query: %v", err)
		}
	})
}
