package gateagent

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // as in gatehouse-gate: the tests judge schedules in named time zones

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
)

// fakeServer plays the three routes a controller uses, with the server's
// idempotency by event id, for scans and uploads alike.
type fakeServer struct {
	t   *testing.T
	key passcode.Key
	srv *httptest.Server

	mu          sync.Mutex
	down        bool          // answer 503, as a proxy in front of a stopped server
	delay       time.Duration // before answering anything (a scan given up on is not logged)
	scanLag     time.Duration // log a scan at once, then wait this long before answering it
	scanStatus  int           // 0: 200 with a decision
	old         bool          // a server before event ids on scans and the community's settings in sync
	timeZone    string        // the community's, sent in sync
	revoked     []int64
	loseAnswer  bool                   // record uploaded events, then fail the answer
	recorded    map[string]UploadEvent // uploaded events, by event id
	scanned     map[string]string      // scans logged with an event id: their codes
	scansNoID   int                    // scans logged without one
	calls       []string               // route of each call, in order
	grant       func(code string) gatehouse.Reason
	serverAhead time.Duration // the server's clock minus the real one, in sync's server_time
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, key: newSigner(t, 3), timeZone: "Asia/Shanghai", recorded: map[string]UploadEvent{}, scanned: map[string]string{}}
	f.grant = func(code string) gatehouse.Reason {
		if _, err := passcode.Parse(code, passcode.NewKeyring([]passcode.Key{f.key})); err != nil {
			return gatehouse.InvalidCode
		}
		return gatehouse.Granted
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) set(fn func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	down, delay, status, lose, old, lag, ahead := f.down, f.delay, f.scanStatus, f.loseAnswer, f.old, f.scanLag, f.serverAhead
	f.mu.Unlock()
	if down {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	if r.Header.Get("Authorization") != "Bearer device-key-1" {
		w.WriteHeader(401)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "unauthorized", "message": "bad key"}})
		return
	}
	switch {
	case r.URL.Path == "/api/v1/scan":
		var req struct {
			Code, Direction string
			EventID         *string `json:"event_id"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if status != 0 {
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "conflict", "message": "this gate is disabled"}})
			return
		}
		if old && req.EventID != nil {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "bad_request", "message": "event_id: unknown field",
				"fields": map[string]string{"event_id": "unknown field"}}})
			return
		}
		reason := f.grant(req.Code)
		f.mu.Lock()
		if req.EventID != nil {
			f.scanned[*req.EventID] = req.Code
		} else {
			f.scansNoID++
		}
		f.mu.Unlock()
		select {
		case <-time.After(lag): // logged, but the answer comes late
		case <-r.Context().Done():
			return
		}
		until := time.Now().Add(time.Hour)
		json.NewEncoder(w).Encode(map[string]any{"decision": reason.Decision(), "reason": reason, "entry_id": 77, "pass_id": 10, "valid_until": until})
	case r.URL.Path == "/api/v1/gates/5/sync":
		f.mu.Lock()
		revoked := append([]int64{}, f.revoked...)
		page := SyncPage{Cursor: "9", Revoked: revoked, Exhausted: []int64{}, MovedOutResidents: []int64{},
			Keys:       []SyncKey{{KeyID: f.key.ID, Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(f.key.Public), Current: true}},
			ServerTime: time.Now().Add(ahead)}
		if !f.old {
			page.CommunityID, page.TimeZone, page.AntiPassback = 1, f.timeZone, "off"
		}
		f.mu.Unlock()
		json.NewEncoder(w).Encode(page)
	case r.URL.Path == "/api/v1/gates/5/events":
		var req struct{ Events []UploadEvent }
		json.NewDecoder(r.Body).Decode(&req)
		res := UploadResult{Recorded: []string{}, Duplicates: []string{}}
		f.mu.Lock()
		for _, e := range req.Events {
			_, scanned := f.scanned[e.EventID]
			if _, dup := f.recorded[e.EventID]; dup || scanned {
				res.Duplicates = append(res.Duplicates, e.EventID)
				continue
			}
			f.recorded[e.EventID] = e
			res.Recorded = append(res.Recorded, e.EventID)
		}
		f.mu.Unlock()
		if lose {
			http.Error(w, "the answer was lost", http.StatusBadGateway)
			return
		}
		json.NewEncoder(w).Encode(res)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeServer) recordedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.recorded)
}

// loggedCount is how many entries the server logged: scans and uploaded
// events.
func (f *fakeServer) loggedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.recorded) + len(f.scanned) + f.scansNoID
}

func (f *fakeServer) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.calls...)
}

// pass makes a code of a pass of community 1.
func (f *fakeServer) pass(id int64, maxEntries uint32) string {
	return mustEncode(f.t, passcode.Code{Kind: passcode.KindPass, ID: id, CommunityID: 1, ValidFrom: time.Now().Add(-time.Hour).Unix(),
		ValidUntil: time.Now().Add(time.Hour).Unix(), MaxEntries: maxEntries}, f.key)
}

// fakeDoor counts how often the door was opened.
type fakeDoor struct {
	mu    sync.Mutex
	opens int
}

func (d *fakeDoor) Open(context.Context, time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opens++
	return nil
}
func (d *fakeDoor) Close() error { return nil }
func (d *fakeDoor) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.opens
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testAgent struct {
	*Agent
	door *fakeDoor
	logs *syncBuffer
	cfg  Config
}

func testConfig(t *testing.T, f *fakeServer) Config {
	c := Default()
	c.Server, c.DeviceKey, c.GateID = f.srv.URL, "device-key-1", 5
	c.Timeout = 300 * time.Millisecond
	c.Journal = filepath.Join(t.TempDir(), "journal")
	c.SyncInterval = time.Hour // the tests sync by hand
	c.TimeZone = "UTC"
	return c
}

func startAgent(t *testing.T, cfg Config) *testAgent {
	t.Helper()
	ta := &testAgent{door: &fakeDoor{}, logs: &syncBuffer{}, cfg: cfg}
	a, err := New(cfg, slogJSON(ta.logs), Options{Output: ta.door})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ta.Agent = a
	return ta
}

func TestOnlineTheServerDecidesAndOnlyAGrantOpensTheDoor(t *testing.T) {
	f := newFakeServer(t)
	a := startAgent(t, testConfig(t, f))
	ctx := context.Background()
	if r := a.Handle(ctx, f.pass(10, 1)); r.Decision != gatehouse.Grant || !r.Online || r.EntryID != 77 {
		t.Fatalf("valid code: %+v", r)
	}
	if r := a.Handle(ctx, "not-a-code"); r.Decision != gatehouse.Deny || r.Reason != gatehouse.InvalidCode || !r.Online {
		t.Fatalf("garbage: %+v", r)
	}
	if a.door.count() != 1 {
		t.Fatalf("door opened %d times, want 1", a.door.count())
	}
	if a.journal.PendingCount() != 0 {
		t.Fatal("an online decision was journaled for upload")
	}
	if !strings.Contains(a.logs.String(), `"msg":"online: the server answers"`) {
		t.Fatalf("no online line in the log:\n%s", a.logs)
	}
}

func TestAServerSlowerThanTheTimeoutIsDecidedOfflineThenUploadedBeforeTheNextScan(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(t, f)
	cfg.CommunityID = 1
	a := startAgent(t, cfg)
	ctx := context.Background()
	if err := a.SyncNow(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeServer) { f.delay = time.Second })
	code := f.pass(10, 1)
	start := time.Now()
	r := a.Handle(ctx, code)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the offline decision took %v; the timeout is %v", took, cfg.Timeout)
	}
	if r.Decision != gatehouse.Grant || r.Online || r.EventID == "" {
		t.Fatalf("offline: %+v", r)
	}
	if r := a.Handle(ctx, code); r.Reason != gatehouse.Exhausted || r.Online {
		t.Fatalf("the single-use pass again, offline: %+v", r)
	}
	if a.door.count() != 1 || a.journal.PendingCount() != 2 {
		t.Fatalf("door opened %d times, %d pending; want 1 and 2", a.door.count(), a.journal.PendingCount())
	}
	if !strings.Contains(a.logs.String(), `"msg":"offline: the server does not answer; deciding locally and journaling"`) {
		t.Fatalf("no offline line in the log:\n%s", a.logs)
	}

	f.set(func(f *fakeServer) { f.delay = 0; f.calls = nil })
	if r := a.Handle(ctx, f.pass(11, 1)); !r.Online {
		t.Fatalf("back online: %+v", r)
	}
	calls := f.callLog()
	if len(calls) != 2 || calls[0] != "POST /api/v1/gates/5/events" || calls[1] != "POST /api/v1/scan" {
		t.Fatalf("calls %v: the offline decisions must reach the server before the next scan", calls)
	}
	if f.recordedCount() != 2 || a.journal.PendingCount() != 0 {
		t.Fatalf("server recorded %d, %d pending", f.recordedCount(), a.journal.PendingCount())
	}
}

func TestAServerThatRefusesTheGateIsNotGotRoundByDecidingOffline(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(t, f)
	cfg.CommunityID = 1
	a := startAgent(t, cfg)
	a.SyncNow(context.Background(), time.Second)
	f.set(func(f *fakeServer) { f.scanStatus = 409 })
	r := a.Handle(context.Background(), f.pass(10, 1))
	if r.Decision != gatehouse.Deny || r.Err == nil || a.door.count() != 0 || a.journal.PendingCount() != 0 {
		t.Fatalf("got %+v, door %d, pending %d; want a deny, a shut door, nothing journaled", r, a.door.count(), a.journal.PendingCount())
	}
	cfg.DeviceKey = "wrong-key"
	a.Close()
	b := startAgent(t, cfg)
	if r := b.Handle(context.Background(), f.pass(10, 1)); r.Decision != gatehouse.Deny || b.door.count() != 0 {
		t.Fatalf("a wrong device key: %+v", r)
	}
}

func TestAnUploadWhoseAnswerWasLostIsSentAgainAndNotRecordedTwice(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(t, f)
	cfg.CommunityID = 1
	a := startAgent(t, cfg)
	ctx := context.Background()
	a.SyncNow(ctx, time.Second)
	f.set(func(f *fakeServer) { f.down = true })
	for _, id := range []int64{10, 11, 12} {
		if r := a.Handle(ctx, f.pass(id, 1)); r.Online || r.Decision != gatehouse.Grant {
			t.Fatalf("offline: %+v", r)
		}
	}
	// The server records the batch, but its answer never arrives (the
	// controller could as well have been killed before marking it).
	f.set(func(f *fakeServer) { f.down = false; f.loseAnswer = true })
	if err := a.SyncNow(ctx, time.Second); err == nil {
		t.Fatal("an upload without an answer succeeded")
	}
	if a.journal.PendingCount() != 3 || f.recordedCount() != 3 {
		t.Fatalf("%d pending, server has %d; want 3 and 3", a.journal.PendingCount(), f.recordedCount())
	}
	// After a restart, the same events go up again: duplicates, all marked.
	a.Close()
	b := startAgent(t, cfg)
	f.set(func(f *fakeServer) { f.loseAnswer = false })
	if err := b.SyncNow(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if b.journal.PendingCount() != 0 || f.recordedCount() != 3 {
		t.Fatalf("%d pending, server has %d; want 0 and 3", b.journal.PendingCount(), f.recordedCount())
	}
	if !strings.Contains(b.logs.String(), `"recorded":0,"duplicates":3`) {
		t.Fatalf("the second upload was not answered with duplicates:\n%s", b.logs)
	}
}

func TestWhatASyncTaughtSurvivesARestartDuringAnOutage(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(t, f) // no community pinned: it is learned
	a := startAgent(t, cfg)
	ctx := context.Background()
	a.SyncNow(ctx, time.Second)
	f.set(func(f *fakeServer) { f.revoked = []int64{20} })
	if r := a.Handle(ctx, f.pass(10, 5)); !r.Online || r.Decision != gatehouse.Grant {
		t.Fatalf("online: %+v", r)
	}
	if err := a.SyncNow(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	a.Close()

	f.set(func(f *fakeServer) { f.down = true })
	b := startAgent(t, cfg)
	if r := b.Handle(ctx, f.pass(21, 1)); r.Online || r.Decision != gatehouse.Grant {
		t.Fatalf("a valid pass, offline after a restart: %+v", r)
	}
	if r := b.Handle(ctx, f.pass(20, 1)); r.Reason != gatehouse.Revoked {
		t.Fatalf("a revoked pass, offline after a restart: %+v", r)
	}
	// Pass 10 allows 5 entries; this gate saw one online.
	if got := b.journal.Uses(10); got != 1 {
		t.Fatalf("uses of pass 10: %d, want the 1 granted online", got)
	}
	// Another community's pass (same district, same keys) is refused.
	other := mustEncode(t, passcode.Code{Kind: passcode.KindPass, ID: 30, CommunityID: 2, ValidFrom: time.Now().Unix() - 60,
		ValidUntil: time.Now().Unix() + 60, MaxEntries: 1}, f.key)
	if r := b.Handle(ctx, other); r.Reason != gatehouse.WrongCommunity {
		t.Fatalf("another community's pass: %+v", r)
	}
}

func TestWithAnOldServerTheCommunityIsLearnedFromAnOnlineDecisionAndEveryCodeIsRefusedOfflineUntilThen(t *testing.T) {
	f := newFakeServer(t)
	f.old = true // its sync does not say the community
	a := startAgent(t, testConfig(t, f))
	ctx := context.Background()
	a.SyncNow(ctx, time.Second)
	f.set(func(f *fakeServer) { f.down = true })
	if r := a.Handle(ctx, f.pass(10, 1)); r.Decision != gatehouse.Deny || a.door.count() != 0 {
		t.Fatalf("got %+v", r)
	}
	if !strings.Contains(a.logs.String(), "does not know its community yet") {
		t.Fatalf("no hint in the log:\n%s", a.logs)
	}
	f.set(func(f *fakeServer) { f.down = false })
	if r := a.Handle(ctx, f.pass(11, 1)); !r.Online || r.Decision != gatehouse.Grant {
		t.Fatalf("online: %+v", r)
	}
	f.set(func(f *fakeServer) { f.down = true })
	if r := a.Handle(ctx, f.pass(12, 1)); r.Online || r.Decision != gatehouse.Grant {
		t.Fatalf("offline after one online decision: %+v", r)
	}
}

func TestAScanAnsweredAfterTheTimeoutIsJournaledUnderTheEventIDItWasSentWithAndLoggedOnce(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(t, f)
	cfg.Timeout = time.Second // time enough for the scan to reach the server on a loaded machine
	a := startAgent(t, cfg)
	ctx := context.Background()
	if err := a.SyncNow(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	// The server logs the scan at once, but its answer comes after the
	// controller has given up on it and decided by itself.
	f.set(func(f *fakeServer) { f.scanLag = 3 * time.Second })
	code := f.pass(10, 1)
	r := a.Handle(ctx, code)
	if r.Online || r.Decision != gatehouse.Grant || r.EventID == "" || a.door.count() != 1 {
		t.Fatalf("a late answer: %+v, door %d; want an offline grant", r, a.door.count())
	}
	f.mu.Lock()
	sent, ok := f.scanned[r.EventID]
	f.mu.Unlock()
	if !ok || sent != code {
		t.Fatalf("the server logged the scan under %v, not under the journaled event id %s", f.scanned, r.EventID)
	}
	if p := a.journal.Pending(10); len(p) != 1 || p[0].EventID != r.EventID {
		t.Fatalf("journal pending %+v, want the event %s", p, r.EventID)
	}

	f.set(func(f *fakeServer) { f.scanLag = 0 })
	if err := a.SyncNow(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if n := f.loggedCount(); n != 1 || a.journal.PendingCount() != 0 {
		t.Fatalf("the server logged %d entries for one scan, %d pending; want 1 and 0", n, a.journal.PendingCount())
	}
	if !strings.Contains(a.logs.String(), `"recorded":0,"duplicates":1`) {
		t.Fatalf("the upload was not answered with a duplicate:\n%s", a.logs)
	}
	// Online, the id goes with each scan too, and a new one each time.
	r1, r2 := a.Handle(ctx, f.pass(11, 5)), a.Handle(ctx, f.pass(11, 5))
	if !r1.Online || !r2.Online || r1.EventID == "" || r1.EventID == r2.EventID {
		t.Fatalf("online: %+v and %+v; want two event ids", r1, r2)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.scanned[r1.EventID] == "" || f.scanned[r2.EventID] == "" || f.scansNoID != 0 {
		t.Fatalf("scans logged %v and %d without an id", f.scanned, f.scansNoID)
	}
}

func TestAServerOlderThanEventIDsIsAskedAgainWithoutOne(t *testing.T) {
	f := newFakeServer(t)
	f.old = true
	a := startAgent(t, testConfig(t, f))
	ctx := context.Background()
	for i := range 2 {
		if r := a.Handle(ctx, f.pass(10, 5)); !r.Online || r.Decision != gatehouse.Grant || r.EventID != "" {
			t.Fatalf("scan %d: %+v", i, r)
		}
	}
	// The first scan is refused with its event id and sent again; the
	// second goes without one.
	if calls := f.callLog(); len(calls) != 3 || f.loggedCount() != 2 {
		t.Fatalf("calls %v, %d logged; want 3 calls and 2 entries", calls, f.loggedCount())
	}
	if n := strings.Count(a.logs.String(), "does not take event ids"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, a.logs)
	}
}

func TestAFreshGateLearnsItsCommunityAndTimeZoneFromItsFirstSync(t *testing.T) {
	f := newFakeServer(t)
	f.timeZone = "America/New_York"
	cfg := testConfig(t, f)
	cfg.TimeZone = "" // learned
	a := startAgent(t, cfg)
	ctx := context.Background()
	if err := a.SyncNow(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	// Two hours around now, New York time, every day: never now in Shanghai
	// (12 or 13 hours ahead).
	ny, _ := time.LoadLocation("America/New_York")
	local := time.Now().In(ny)
	minute := local.Hour()*60 + local.Minute()
	scheduled := func(id int64) string {
		return mustEncode(t, passcode.Code{Kind: passcode.KindPass, ID: id, CommunityID: 1, ValidFrom: time.Now().Add(-time.Hour).Unix(),
			ValidUntil: time.Now().Add(time.Hour).Unix(), MaxEntries: 5,
			Schedule: passcode.Schedule{Days: 0x7f, StartMinute: uint16((minute + 1440 - 60) % 1440), EndMinute: uint16((minute + 60) % 1440)}}, f.key)
	}
	other := mustEncode(t, passcode.Code{Kind: passcode.KindPass, ID: 30, CommunityID: 2, ValidFrom: time.Now().Unix() - 60,
		ValidUntil: time.Now().Unix() + 60, MaxEntries: 1}, f.key)
	f.set(func(f *fakeServer) { f.down = true })
	check := func(b *testAgent, what string, id int64) {
		t.Helper()
		if r := b.Handle(ctx, f.pass(id, 1)); r.Online || r.Decision != gatehouse.Grant {
			t.Fatalf("%s: a pass of the gate's community, offline: %+v", what, r)
		}
		if r := b.Handle(ctx, other); r.Reason != gatehouse.WrongCommunity {
			t.Fatalf("%s: another community's pass, offline: %+v", what, r)
		}
		if r := b.Handle(ctx, scheduled(id+1)); r.Reason != gatehouse.Granted {
			t.Fatalf("%s: a pass scheduled for now in New York, offline: %+v", what, r)
		}
	}
	check(a, "after the first sync", 10)
	logs := a.logs.String()
	if !strings.Contains(logs, `"community_id":1,"time_zone":"America/New_York","anti_passback":"off"`) {
		t.Fatalf("the sync's log line does not show the community's settings:\n%s", logs)
	}
	// What the sync taught survives a restart during the outage.
	a.Close()
	b := startAgent(t, cfg)
	check(b, "after a restart", 20)
	b.Close()

	// The settings win over the server's, which the log points out.
	pinned := cfg
	pinned.TimeZone, pinned.CommunityID = "Asia/Shanghai", 2
	f.set(func(f *fakeServer) { f.down = false })
	c := startAgent(t, pinned)
	if err := c.SyncNow(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeServer) { f.down = true })
	if r := c.Handle(ctx, scheduled(30)); r.Reason != gatehouse.WrongCommunity {
		t.Fatalf("community-id pinned to 2: %+v", r)
	}
	logs = c.logs.String()
	if !strings.Contains(logs, "the community-id setting is wrong") || !strings.Contains(logs, "the tz setting differs") {
		t.Fatalf("no warning about the settings:\n%s", logs)
	}
	pinned.CommunityID = 0
	c.Close()
	if r := startAgent(t, pinned).Handle(ctx, scheduled(31)); r.Reason != gatehouse.OutsideSchedule {
		t.Fatalf("tz pinned to Asia/Shanghai: %+v", r)
	}
}

func TestTheLogNeverShowsAWholeCode(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(t, f)
	cfg.CommunityID = 1
	a := startAgent(t, cfg)
	ctx := context.Background()
	a.SyncNow(ctx, time.Second)
	code := f.pass(10, 2)
	a.Handle(ctx, code)
	f.set(func(f *fakeServer) { f.down = true })
	a.Handle(ctx, code)
	logs := a.logs.String()
	if strings.Contains(logs, code[:12]) || !strings.Contains(logs, `"code":"`+code[:8]+`..."`) {
		t.Fatalf("the log shows more than 8 characters of a code (or none):\n%s", logs)
	}
	if n := strings.Count(logs, `"msg":"decision"`); n != 2 {
		t.Fatalf("%d decision lines, want 2:\n%s", n, logs)
	}
}

func TestAJournalIsUsedByOneAgentAtATime(t *testing.T) {
	f := newFakeServer(t)
	cfg := testConfig(t, f)
	startAgent(t, cfg)
	if _, err := New(cfg, slogJSON(&syncBuffer{}), Options{Output: &fakeDoor{}}); err == nil || !strings.Contains(err.Error(), "another gatehouse-gate") {
		t.Fatalf("a second agent on one journal: %v", err)
	}
}

func slogJSON(w *syncBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
