package access_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// clock is a settable time, safe for concurrent scans.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// heard records the decisions the engine publishes.
type heard struct {
	mu     sync.Mutex
	events []*gatehouse.DecisionEvent
}

func (h *heard) Publish(ev *gatehouse.DecisionEvent) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *heard) count() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.events) }

// world is one community with a gate, a host and an engine on a real store.
type world struct {
	t     *testing.T
	db    *store.DB
	eng   *access.Engine
	clock *clock
	c     *gatehouse.Community
	gate  *gatehouse.Gate
	host  *gatehouse.Resident
	heard *heard
}

// A Monday, 10:00 in Beijing.
var monday = time.Date(2025, 6, 2, 2, 0, 0, 0, time.UTC)

const zhangWeiID = "440524188001010014"

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, db: db, clock: &clock{t: monday}, heard: &heard{}}
	w.c = w.community("翠竹苑")
	w.gate = &gatehouse.Gate{CommunityID: w.c.ID, Name: "南门"}
	if err := db.CreateGate(ctx, w.gate, "hash-of-the-south-gate-key"); err != nil {
		t.Fatal(err)
	}
	w.host = w.resident(w.c.ID, "王芳", "11010519491231002X")
	k, err := db.CreateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.eng = access.New(db, passcode.NewKeyring([]passcode.Key{k}), w.clock.Now)
	w.eng.NotifyTo(access.Notifiers{w.heard})
	return w
}

func (w *world) community(name string) *gatehouse.Community {
	w.t.Helper()
	c := &gatehouse.Community{Name: name, TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72}
	if err := w.db.CreateCommunity(context.Background(), c); err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) resident(communityID int64, name, idNumber string) *gatehouse.Resident {
	w.t.Helper()
	r := &gatehouse.Resident{CommunityID: communityID, Name: name, IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(idNumber),
		Building: "3栋", Unit: "2单元", Room: "502"}
	if err := w.db.CreateResident(context.Background(), r); err != nil {
		w.t.Fatal(err)
	}
	return r
}

// pass issues a one-entry pass for 张伟, valid from an hour ago for a day,
// changed by edit, and returns it with its code.
func (w *world) pass(edit func(p *gatehouse.Pass)) (*gatehouse.Pass, string) {
	w.t.Helper()
	now := w.clock.Now()
	p := &gatehouse.Pass{CommunityID: w.c.ID, HostResidentID: w.host.ID, Kind: gatehouse.PassGuest,
		ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(24 * time.Hour), MaxEntries: 1,
		Visitor: &gatehouse.Visitor{Name: "张伟", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(zhangWeiID), Plate: "粤B12345"}}
	if edit != nil {
		edit(p)
	}
	if err := w.eng.AssignKey(p); err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.CreatePass(context.Background(), p); err != nil {
		w.t.Fatal(err)
	}
	code, err := w.eng.PassCode(p)
	if err != nil {
		w.t.Fatal(err)
	}
	return p, code
}

func (w *world) scan(code string, dir gatehouse.Direction) *access.Outcome {
	w.t.Helper()
	out, err := w.eng.Scan(context.Background(), access.ScanRequest{CommunityID: w.c.ID, GateID: w.gate.ID, Code: code, Direction: dir})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *world) uses(id int64) int {
	w.t.Helper()
	p, err := w.db.Pass(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return p.Uses
}

// entriesByEvent returns the community's entries by their event ids.
func (w *world) entriesByEvent() map[string]*gatehouse.Entry {
	w.t.Helper()
	entries, _, err := w.db.Entries(context.Background(), gatehouse.EntryFilter{CommunityIDs: []int64{w.c.ID}}, gatehouse.Page{Limit: 50})
	if err != nil {
		w.t.Fatal(err)
	}
	byEvent := map[string]*gatehouse.Entry{}
	for _, e := range entries {
		byEvent[e.EventID] = e
	}
	return byEvent
}

// verify checks that the community's hash chain holds n entries and is whole.
func (w *world) verify(n int64) {
	w.t.Helper()
	rep, err := w.db.VerifyChains(context.Background(), []int64{w.c.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	if !rep.OK || rep.Checked != n {
		w.t.Fatalf("chain: %+v, want %d entries, whole", rep, n)
	}
}

func TestScanDecidesEachReasonOnARealStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		other := w.community("松涛苑")
		otherHost := w.resident(other.ID, "赵敏", "440303199001010015")
		signer, err := w.eng.Keys().Signer()
		if err != nil {
			t.Fatal(err)
		}
		forged := func(c *passcode.Code) string {
			s, err := passcode.Encode(c, signer)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		// A valid pass: granted and used up on the way in; its holder may still leave.
		p, code := w.pass(nil)
		if out := w.scan(code, gatehouse.In); out.Entry.Reason != gatehouse.Granted || out.Pass == nil || out.Pass.ID != p.ID {
			t.Fatalf("first scan: %+v", out.Entry)
		} else if e := out.Entry; e.PassID != p.ID || e.VisitorID != p.VisitorID || e.HostResidentID != w.host.ID ||
			e.PersonName != "张伟" || e.Plate != "粤B12345" || e.IDHash == "" || e.Method != gatehouse.MethodQR || e.ServerDecision != gatehouse.Grant {
			t.Errorf("the granted entry names the wrong person: %+v", e)
		}
		if got := w.scan(code, gatehouse.In).Entry.Reason; got != gatehouse.Exhausted {
			t.Errorf("second entry: %s, want exhausted", got)
		}
		if got := w.scan(code, gatehouse.Out).Entry.Reason; got != gatehouse.Granted {
			t.Errorf("leaving on a used-up pass: %s, want granted", got)
		}
		if n := w.uses(p.ID); n != 1 {
			t.Errorf("uses = %d, want 1 (leaving uses nothing)", n)
		}

		_, otherCode := w.pass(func(p *gatehouse.Pass) { p.CommunityID, p.HostResidentID = other.ID, otherHost.ID })
		revoked, revokedCode := w.pass(nil)
		if err := db.RevokePass(ctx, revoked.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, elsewhere := w.pass(func(p *gatehouse.Pass) { p.GateIDs = []int64{w.gate.ID + 100} })
		_, early := w.pass(func(p *gatehouse.Pass) { p.ValidFrom = monday.Add(time.Hour) })
		_, late := w.pass(func(p *gatehouse.Pass) { p.ValidFrom, p.ValidUntil = monday.Add(-48*time.Hour), monday.Add(-time.Hour) })
		_, sundays := w.pass(func(p *gatehouse.Pass) {
			p.Schedule = gatehouse.Schedule{Days: 1 << 6, StartMinute: 9 * 60, EndMinute: 17 * 60}
		})
		otherPass, _ := w.pass(func(p *gatehouse.Pass) { p.CommunityID, p.HostResidentID = other.ID, otherHost.ID })

		cases := []struct {
			name string
			code string
			dir  gatehouse.Direction
			want gatehouse.Reason
		}{
			{"a code that does not verify", "GH1.not-a-code", gatehouse.In, gatehouse.InvalidCode},
			{"a code of another community", otherCode, gatehouse.In, gatehouse.WrongCommunity},
			{"a pass that does not exist", forged(&passcode.Code{Kind: passcode.KindPass, ID: 999999, CommunityID: w.c.ID,
				ValidFrom: monday.Unix(), ValidUntil: monday.Add(time.Hour).Unix(), MaxEntries: 1}), gatehouse.In, gatehouse.UnknownPass},
			{"another community's pass under this community's name", forged(&passcode.Code{Kind: passcode.KindPass, ID: otherPass.ID,
				CommunityID: w.c.ID, ValidFrom: monday.Unix(), ValidUntil: monday.Add(time.Hour).Unix(), MaxEntries: 1}), gatehouse.In, gatehouse.UnknownPass},
			{"a revoked pass", revokedCode, gatehouse.In, gatehouse.Revoked},
			{"leaving on a revoked pass", revokedCode, gatehouse.Out, gatehouse.Granted},
			{"a pass for other gates", elsewhere, gatehouse.In, gatehouse.GateNotAllowed},
			{"a pass not valid yet", early, gatehouse.In, gatehouse.NotYetValid},
			{"an expired pass", late, gatehouse.In, gatehouse.Expired},
			{"leaving on an expired pass", late, gatehouse.Out, gatehouse.Granted},
			{"a pass for Sundays on a Monday", sundays, gatehouse.In, gatehouse.OutsideSchedule},
			{"a resident code that does not exist", forged(&passcode.Code{Kind: passcode.KindResident, ID: 999999, CommunityID: w.c.ID,
				Step: monday.Unix() / passcode.ResidentStep}), gatehouse.In, gatehouse.UnknownPass},
		}
		for _, tc := range cases {
			if got := w.scan(tc.code, tc.dir).Entry.Reason; got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
		if n := w.uses(revoked.ID); n != 0 {
			t.Errorf("a denied pass was used: %d", n)
		}

		// Watchlisted: the visitor's ID number is on the community's list.
		_, listed := w.pass(nil)
		if err := db.AddToWatchlist(ctx, &gatehouse.WatchlistEntry{CommunityID: w.c.ID, Name: "张伟", Reason: "banned"}, zhangWeiID); err != nil {
			t.Fatal(err)
		}
		if got := w.scan(listed, gatehouse.In).Entry.Reason; got != gatehouse.Watchlisted {
			t.Errorf("a watchlisted visitor: %s", got)
		}
		w.verify(int64(3 + len(cases) + 1))
		if w.heard.count() != 3+len(cases)+1 {
			t.Errorf("published %d decisions, want every one", w.heard.count())
		}
	})
}

func TestScanDecidesResidentCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		code, until, err := w.eng.ResidentCode(w.host)
		if err != nil {
			t.Fatal(err)
		}
		if !until.After(monday) || until.Sub(monday) > passcode.ResidentStep*time.Second {
			t.Errorf("code current until %v, want within a step of %v", until, monday)
		}
		out := w.scan(code, gatehouse.In)
		if out.Entry.Reason != gatehouse.Granted || out.Resident == nil || out.Entry.ResidentID != w.host.ID || out.Entry.PersonName != "王芳" {
			t.Fatalf("a resident's own code: %+v", out.Entry)
		}
		w.clock.Set(monday.Add(2 * time.Minute))
		if got := w.scan(code, gatehouse.In).Entry.Reason; got != gatehouse.StaleCode {
			t.Errorf("a two-minute-old code: %s", got)
		}
		w.clock.Set(monday.Add(-5 * time.Minute))
		if got := w.scan(code, gatehouse.In).Entry.Reason; got != gatehouse.InvalidCode {
			t.Errorf("a code from the future: %s", got)
		}
		w.clock.Set(monday)
		if err := db.MoveOutResident(context.Background(), w.host.ID, 0); err != nil {
			t.Fatal(err)
		}
		if got := w.scan(code, gatehouse.In).Entry.Reason; got != gatehouse.Revoked {
			t.Errorf("a resident who moved out: %s", got)
		}
		w.verify(4)
	})
}

func TestAntiPassbackRefusesASecondEntryWithoutAnExit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.c.AntiPassback = true
		if err := db.UpdateCommunity(context.Background(), w.c); err != nil {
			t.Fatal(err)
		}
		p, code := w.pass(func(p *gatehouse.Pass) { p.MaxEntries = 3 })
		want := []struct {
			dir    gatehouse.Direction
			reason gatehouse.Reason
		}{
			{gatehouse.In, gatehouse.Granted}, {gatehouse.In, gatehouse.AntiPassback}, {gatehouse.Out, gatehouse.Granted},
			{gatehouse.Out, gatehouse.AntiPassback}, {gatehouse.In, gatehouse.Granted},
		}
		for i, s := range want {
			if got := w.scan(code, s.dir).Entry.Reason; got != s.reason {
				t.Errorf("scan %d (%s): %s, want %s", i+1, s.dir, got, s.reason)
			}
		}
		if n := w.uses(p.ID); n != 2 {
			t.Errorf("uses = %d, want 2", n)
		}
	})
}

func TestASingleUsePassScannedAtOnceGrantsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		p, code := w.pass(nil)
		const gates = 12
		reasons := make([]gatehouse.Reason, gates)
		errs := make([]error, gates)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range gates {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out, err := w.eng.Scan(context.Background(), access.ScanRequest{CommunityID: w.c.ID, GateID: w.gate.ID, Code: code, Direction: gatehouse.In})
				if errs[i] = err; err == nil {
					reasons[i] = out.Entry.Reason
				}
			}()
		}
		close(start)
		wg.Wait()
		granted := 0
		for i, r := range reasons {
			if errs[i] != nil {
				t.Fatalf("scan %d: %v", i, errs[i])
			}
			switch r {
			case gatehouse.Granted:
				granted++
			case gatehouse.Exhausted:
			default:
				t.Errorf("scan %d: %s", i, r)
			}
		}
		if granted != 1 || w.uses(p.ID) != 1 {
			t.Fatalf("%d grants and %d uses of a single-use pass, want 1 and 1", granted, w.uses(p.ID))
		}
		w.verify(gates)
	})
}

func TestScanRefusesBadRequestsAndRevokedGateKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		_, code := w.pass(nil)
		ctx := context.Background()
		for _, tc := range []struct {
			req   access.ScanRequest
			field string
		}{
			{access.ScanRequest{CommunityID: w.c.ID, Code: code, Direction: "up"}, "direction"},
			{access.ScanRequest{CommunityID: w.c.ID, Direction: gatehouse.In}, "code"},
			{access.ScanRequest{CommunityID: w.c.ID, Code: code, Direction: gatehouse.In, EventID: "no spaces"}, "event_id"},
		} {
			_, err := w.eng.Scan(ctx, tc.req)
			var ge *gatehouse.Error
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID || !asError(err, &ge) || ge.Fields[tc.field] == "" {
				t.Errorf("%+v: err = %v, want a problem with %s", tc.req, err, tc.field)
			}
		}
		stale := access.ScanRequest{CommunityID: w.c.ID, GateID: w.gate.ID, Code: code, Direction: gatehouse.In,
			CheckGate: true, GateEpoch: -1, GateKeyHash: "hash-of-a-rotated-key"}
		if _, err := w.eng.Scan(ctx, stale); err != access.ErrGateKeyRevoked {
			t.Errorf("a rotated device key: err = %v", err)
		}
		stale.GateKeyHash = "hash-of-the-south-gate-key"
		if out, err := w.eng.Scan(ctx, stale); err != nil || out.Entry.Reason != gatehouse.Granted {
			t.Errorf("the gate's own key, checked afresh: %v, %v", out, err)
		}
		w.verify(1)
	})
}

func TestScanWithAnEventIDIsLoggedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		p, code := w.pass(nil)
		ctx := context.Background()
		req := access.ScanRequest{CommunityID: w.c.ID, GateID: w.gate.ID, Code: code, Direction: gatehouse.In, EventID: "ev-1"}
		first, err := w.eng.Scan(ctx, req)
		if err != nil || first.Entry.Reason != gatehouse.Granted || first.Replayed {
			t.Fatalf("first: %+v, %v", first, err)
		}
		again, err := w.eng.Scan(ctx, req)
		if err != nil || !again.Replayed || again.Entry.ID != first.Entry.ID || again.Entry.Reason != gatehouse.Granted || again.Pass == nil {
			t.Fatalf("the same scan sent again: %+v, %v; want the first decision", again, err)
		}
		req.Direction = gatehouse.Out
		if _, err := w.eng.Scan(ctx, req); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("another scan under a used event id: %v", err)
		}
		if w.uses(p.ID) != 1 || w.heard.count() != 1 {
			t.Errorf("uses %d, published %d; want 1 and 1", w.uses(p.ID), w.heard.count())
		}
		w.verify(1)
	})
}

func TestOverrideAndWalkInAreLoggedInTheChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		p, _ := w.pass(nil)
		base := access.OverrideRequest{CommunityID: w.c.ID, GateID: w.gate.ID, GuardID: 7, Direction: gatehouse.In, Note: " 手机没电 "}

		withPass := base
		withPass.PassID = p.ID
		out, err := w.eng.Override(ctx, withPass)
		if err != nil {
			t.Fatal(err)
		}
		if e := out.Entry; e.Reason != gatehouse.ManualOverride || e.Method != gatehouse.MethodManual || e.Note != "手机没电" ||
			e.PassID != p.ID || e.PersonName != "张伟" || e.Plate != "粤B12345" || e.GuardID != 7 {
			t.Errorf("override of a pass: %+v", e)
		}
		if n := w.uses(p.ID); n != 0 {
			t.Errorf("an override used the pass: %d", n)
		}

		withResident := base
		withResident.ResidentID = w.host.ID
		if out, err := w.eng.Override(ctx, withResident); err != nil || out.Entry.ResidentID != w.host.ID || out.Entry.PersonName != "王芳" {
			t.Errorf("override of a resident: %+v, %v", out, err)
		}

		walkIn := base
		walkIn.Visitor = &gatehouse.Visitor{Name: "李强", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber("440303199001010015")}
		walkIn.HostID = w.host.ID
		out, err = w.eng.Override(ctx, walkIn)
		if err != nil || out.Host == nil || out.Entry.HostResidentID != w.host.ID || out.Entry.IDHash == "" || out.Entry.PersonName != "李强" {
			t.Errorf("override of a visitor without a pass: %+v, %v", out, err)
		}

		for _, tc := range []struct {
			edit func(r *access.OverrideRequest)
			code string
		}{
			{func(r *access.OverrideRequest) { r.PassID, r.Note = p.ID, " " }, gatehouse.EINVALID},
			{func(r *access.OverrideRequest) {}, gatehouse.EINVALID}, // nobody named
			{func(r *access.OverrideRequest) { r.PassID, r.ResidentID = p.ID, w.host.ID }, gatehouse.EINVALID},
			{func(r *access.OverrideRequest) { r.PassID = 999999 }, gatehouse.ENOTFOUND},
			{func(r *access.OverrideRequest) { r.ResidentID = 999999 }, gatehouse.ENOTFOUND},
			{func(r *access.OverrideRequest) { r.Visitor, r.HostID = walkIn.Visitor, 999999 }, gatehouse.EINVALID},
		} {
			r := base
			tc.edit(&r)
			if _, err := w.eng.Override(ctx, r); gatehouse.ErrorCode(err) != tc.code {
				t.Errorf("%+v: err = %v, want %s", r, err, tc.code)
			}
		}

		wp, _ := w.pass(func(p *gatehouse.Pass) { p.Kind, p.Purpose = gatehouse.PassWalkIn, "送快递" })
		out, err = w.eng.WalkIn(ctx, wp, w.gate.ID, 7)
		if err != nil || out.Entry.Method != gatehouse.MethodWalkIn || out.Entry.Note != "送快递" || out.Entry.PersonName != "张伟" {
			t.Fatalf("walk-in: %+v, %v", out, err)
		}
		if n := w.uses(wp.ID); n != 1 {
			t.Errorf("a walk-in's entry used %d of its pass, want 1", n)
		}
		w.verify(4)
		if w.heard.count() != 4 {
			t.Errorf("published %d decisions, want 4", w.heard.count())
		}
	})
}

func TestOfflineEventsAreLoggedOnceAndCountAgainstThePass(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		p, code := w.pass(nil)
		at := monday.Add(-10 * time.Minute)
		events := []gatehouse.OfflineEvent{
			{EventID: "off-1", Code: code, Direction: gatehouse.In, OccurredAt: at, Decision: gatehouse.Grant},
			{EventID: "off-1", Code: code, Direction: gatehouse.In, OccurredAt: at, Decision: gatehouse.Grant},
			{EventID: "off-2", Code: code, Direction: gatehouse.In, OccurredAt: at.Add(time.Minute), Decision: gatehouse.Grant},
			{EventID: "off-3", Code: "GH1.garbage", Direction: gatehouse.In, OccurredAt: at, Decision: gatehouse.Deny},
			{EventID: "bad id", Code: code, Direction: gatehouse.In, OccurredAt: at, Decision: gatehouse.Grant},
		}
		res, err := w.eng.Offline(ctx, w.c.ID, w.gate.ID, events)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Recorded) != 3 || len(res.Duplicates) != 1 || len(res.Rejected) != 1 || res.Rejected[0].Index != 4 {
			t.Fatalf("result: %+v", res)
		}
		// The controller opened twice on a single-use pass: both uses count.
		if n := w.uses(p.ID); n != 2 {
			t.Errorf("uses = %d, want 2", n)
		}
		again, err := w.eng.Offline(ctx, w.c.ID, w.gate.ID, events[:1])
		if err != nil || len(again.Duplicates) != 1 || len(again.Recorded) != 0 {
			t.Errorf("an upload sent again: %+v, %v", again, err)
		}
		byEvent := w.entriesByEvent()
		if e := byEvent["off-2"]; e == nil || e.Method != gatehouse.MethodOffline || e.Decision != gatehouse.Grant || e.Reason != gatehouse.Exhausted {
			t.Errorf("the second offline grant: %+v, want logged as granted by the door, exhausted by the server", e)
		}
		if e := byEvent["off-3"]; e == nil || e.Reason != gatehouse.InvalidCode || e.Decision != gatehouse.Deny {
			t.Errorf("an offline denial of a bad code: %+v", e)
		}
		w.verify(3)
	})
}

func TestAKeyMadeByAnotherProcessIsLoadedOnFirstUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		k2, err := db.CreateSigningKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := db.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		elsewhere := access.New(db, passcode.NewKeyring(ks), w.clock.Now)
		p := &gatehouse.Pass{CommunityID: w.c.ID, HostResidentID: w.host.ID, Kind: gatehouse.PassGuest,
			ValidFrom: monday.Add(-time.Hour), ValidUntil: monday.Add(time.Hour), MaxEntries: 1,
			Visitor: &gatehouse.Visitor{Name: "张伟", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(zhangWeiID)}}
		if err := elsewhere.AssignKey(p); err != nil || p.KeyID != k2.ID {
			t.Fatalf("signed with key %d (%v), want the newest, %d", p.KeyID, err, k2.ID)
		}
		if err := db.CreatePass(ctx, p); err != nil {
			t.Fatal(err)
		}
		code, err := elsewhere.PassCode(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.scan(code, gatehouse.In).Entry.Reason; got != gatehouse.Granted {
			t.Errorf("a code signed with a key made elsewhere: %s", got)
		}
		if err := db.RemoveSigningKey(ctx, k2.ID); err != nil {
			t.Fatal(err)
		}
		if err := elsewhere.ReloadKeys(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := elsewhere.PassCode(p); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			t.Errorf("the code of a pass whose key was removed: %v", err)
		}
	})
}

func TestAssignKeyRefusesAPassTooLargeForACode(t *testing.T) {
	db := storetest.MustOpen(t, store.SQLite)
	w := newWorld(t, db)
	p := &gatehouse.Pass{CommunityID: w.c.ID, ValidFrom: monday, ValidUntil: monday.Add(time.Hour), MaxEntries: 1}
	for i := range 400 {
		p.GateIDs = append(p.GateIDs, int64(1_000_000+i))
	}
	var ge *gatehouse.Error
	if err := w.eng.AssignKey(p); !asError(err, &ge) || ge.Fields["gate_ids"] == "" {
		t.Errorf("400 gates: %v, want a problem with gate_ids", err)
	}
}

func asError(err error, target **gatehouse.Error) bool { return errors.As(err, target) }

func TestOfflineEventIDsAreNeverReusedForAnotherEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		_, code := w.pass(func(p *gatehouse.Pass) { p.MaxEntries = 5 })
		at := monday.Add(-10 * time.Minute)
		ev := gatehouse.OfflineEvent{EventID: "off-1", Code: code, Direction: gatehouse.In, OccurredAt: at, Decision: gatehouse.Grant}
		other := ev
		other.Direction = gatehouse.Out
		res, err := w.eng.Offline(ctx, w.c.ID, w.gate.ID, []gatehouse.OfflineEvent{ev, other})
		if err != nil || len(res.Recorded) != 1 || len(res.Rejected) != 1 || res.Rejected[0].Reason != access.EventIDReused {
			t.Fatalf("another event under an id of the same batch: %+v, %v", res, err)
		}
		later := ev
		later.OccurredAt = at.Add(time.Minute)
		res, err = w.eng.Offline(ctx, w.c.ID, w.gate.ID, []gatehouse.OfflineEvent{later})
		if err != nil || len(res.Rejected) != 1 || res.Rejected[0].Reason != access.EventIDReused {
			t.Errorf("another event under an id logged before: %+v, %v", res, err)
		}

		// A scan sent online with an event id, then uploaded as decided
		// offline (the controller gave up waiting): one event.
		if _, err := w.eng.Scan(ctx, access.ScanRequest{CommunityID: w.c.ID, GateID: w.gate.ID, Code: code, Direction: gatehouse.Out, EventID: "off-2"}); err != nil {
			t.Fatal(err)
		}
		late := gatehouse.OfflineEvent{EventID: "off-2", Code: code, Direction: gatehouse.Out, OccurredAt: monday.Add(-time.Second), Decision: gatehouse.Grant}
		res, err = w.eng.Offline(ctx, w.c.ID, w.gate.ID, []gatehouse.OfflineEvent{late})
		if err != nil || len(res.Duplicates) != 1 {
			t.Errorf("an online scan uploaded again as offline: %+v, %v", res, err)
		}
		late.Direction = gatehouse.In
		res, err = w.eng.Offline(ctx, w.c.ID, w.gate.ID, []gatehouse.OfflineEvent{late})
		if err != nil || len(res.Rejected) != 1 {
			t.Errorf("another way under an online scan's id: %+v, %v", res, err)
		}
		w.verify(2)
	})
}

func TestOfflineCardSwipesAreLoggedWithTheirResident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		card := &gatehouse.Card{CommunityID: w.c.ID, ResidentID: w.host.ID, Number: "3735928559", ValidFrom: monday.Add(-24 * time.Hour)}
		if err := db.CreateCard(ctx, card); err != nil {
			t.Fatal(err)
		}
		at := monday.Add(-10 * time.Minute)
		swipe := gatehouse.OfflineEvent{EventID: "card-1", Method: gatehouse.MethodCard, Card: "3735928559", Direction: gatehouse.In,
			OccurredAt: at, Decision: gatehouse.Grant}
		stranger := swipe
		stranger.EventID, stranger.Card, stranger.Decision = "card-2", "12345", gatehouse.Deny
		res, err := w.eng.Offline(ctx, w.c.ID, w.gate.ID, []gatehouse.OfflineEvent{swipe, stranger})
		if err != nil || len(res.Recorded) != 2 {
			t.Fatalf("two swipes: %+v, %v", res, err)
		}
		again, err := w.eng.Offline(ctx, w.c.ID, w.gate.ID, []gatehouse.OfflineEvent{swipe})
		if err != nil || len(again.Duplicates) != 1 {
			t.Errorf("a swipe uploaded again: %+v, %v", again, err)
		}
		reused := swipe
		reused.Card = "12345"
		again, err = w.eng.Offline(ctx, w.c.ID, w.gate.ID, []gatehouse.OfflineEvent{reused})
		if err != nil || len(again.Rejected) != 1 {
			t.Errorf("another card under a swipe's id: %+v, %v", again, err)
		}
		byEvent := w.entriesByEvent()
		if e := byEvent["card-1"]; e == nil || e.Method != gatehouse.MethodCard || e.ResidentID != w.host.ID || e.PersonName != "王芳" || e.Reason != gatehouse.Granted {
			t.Errorf("the resident's swipe: %+v", e)
		}
		if e := byEvent["card-2"]; e == nil || e.Reason != gatehouse.UnknownCard || e.ResidentID != 0 || e.Decision != gatehouse.Deny {
			t.Errorf("an unknown card's swipe: %+v", e)
		}
		w.verify(2)
	})
}

// failingHostReads is the real store, but a read of a resident inside a
// scan fails as a MySQL deadlock or a Galera brute-force abort does (the
// server has rolled the transaction back).
type failingHostReads struct {
	*store.DB
	err error
}

func (s failingHostReads) InScanTx(ctx context.Context, communityID int64, fn func(tx gatehouse.ScanTx) error) error {
	return s.DB.InScanTx(ctx, communityID, func(tx gatehouse.ScanTx) error { return fn(failingResidentTx{tx, s.err}) })
}

type failingResidentTx struct {
	gatehouse.ScanTx
	err error
}

func (t failingResidentTx) Resident(int64) (*gatehouse.Resident, error) { return nil, t.err }

// A guard's walk-in whose host cannot be read (the transaction was rolled
// back under it) fails as what it is, to be tried again or reported; it is
// not a refusal ("no such resident"), which would let the batch it was in
// commit as if nothing had happened.
func TestAWalkInWhoseHostCannotBeReadIsNotRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		failure := errors.New("Error 1213 (40001): Deadlock found when trying to get lock; try restarting transaction")
		eng := access.New(failingHostReads{db, failure}, passcode.NewKeyring(nil), w.clock.Now)
		_, err := eng.Override(context.Background(), access.OverrideRequest{CommunityID: w.c.ID, GateID: w.gate.ID, GuardID: 7,
			Direction: gatehouse.In, Note: "手机没电", HostID: w.host.ID,
			Visitor: &gatehouse.Visitor{Name: "李强", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber("440303199001010015")}})
		if !errors.Is(err, failure) {
			t.Fatalf("err = %v; want the failed read's own error", err)
		}
		w.verify(0)
	})
}
