package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
)

func TestResidentCodesGoStaleAndDieOnMovingOut(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		codePath := fmt.Sprintf("/api/v1/residents/%d/code", w.host.ID)
		var old struct {
			Code         string
			RefreshAfter int    `json:"refresh_after_seconds"`
			QRPNG        string `json:"qr_png"`
		}
		e.expect("GET", codePath, w.hostTok, nil, 200, &old)
		if !strings.HasPrefix(old.QRPNG, "data:image/png;base64,") || old.RefreshAfter < 1 || old.RefreshAfter > 30 {
			t.Fatalf("code answer %+v", old)
		}
		e.clock.Advance(2 * time.Minute)
		if s := w.scan(w.gate.DeviceKey, old.Code, "in"); s.Reason != "stale_code" {
			t.Fatalf("a code from two minutes ago: %+v", s)
		}
		var fresh struct{ Code string }
		e.expect("GET", codePath, w.hostTok, nil, 200, &fresh)
		e.clock.Advance(40 * time.Second) // still within 60 s of its step
		if s := w.scan(w.gate.DeviceKey, fresh.Code, "in"); s.Reason != "granted" {
			t.Fatalf("a fresh code: %+v", s)
		}
		// Another resident cannot get this resident's code.
		neighbour := e.resident(w.mgr, w.A, "赵磊", 9, "3栋", "2单元", "503")
		e.mustUser("zhaolei", gatehouse.RoleResident, []int64{w.A}, neighbour.ID)
		if res := e.do("GET", codePath, e.login("zhaolei"), nil); res.Status != 404 {
			t.Fatalf("a neighbour reads the code: %d", res.Status)
		}
		// Moving out kills the code at once.
		e.expect("GET", codePath, w.hostTok, nil, 200, &fresh)
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, nil, 204, nil)
		if s := w.scan(w.gate.DeviceKey, fresh.Code, "out"); s.Reason != "revoked" {
			t.Fatalf("code of a moved-out resident: %+v", s)
		}
	})
}

func TestScheduleAcrossMidnightInShanghai(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		// The clock: Friday 2026-11-27 17:00 in Shanghai (09:00 UTC). A night
		// cleaner's pass: Fridays 22:00 to 06:00 the next morning.
		p := w.invite(map[string]any{"max_entries": 10, "valid_until": e.clock.Now().Add(6 * 24 * time.Hour).Format(time.RFC3339),
			"schedule": map[string]any{"days": []int{5}, "start": "22:00", "end": "06:00"}})
		for _, tc := range []struct {
			local string
			want  string
		}{
			{"2026-11-27T21:59:00+08:00", "outside_schedule"}, // Friday, just before
			{"2026-11-27T22:00:00+08:00", "granted"},          // Friday night
			{"2026-11-28T05:59:00+08:00", "granted"},          // Saturday morning: Friday's window
			{"2026-11-28T06:00:00+08:00", "outside_schedule"}, // Saturday, window over
			{"2026-11-28T23:00:00+08:00", "outside_schedule"}, // Saturday night: not a Friday
			{"2026-11-29T02:00:00+08:00", "outside_schedule"}, // Sunday morning: Saturday's window, none
		} {
			at, _ := time.Parse(time.RFC3339, tc.local)
			e.clock.Advance(at.Sub(e.clock.Now()))
			s := w.scan(w.gate.DeviceKey, p.Code, "in")
			if s.Reason != tc.want {
				t.Errorf("%s: %s, want %s", tc.local, s.Reason, tc.want)
			}
			if s.Reason == "granted" {
				w.scan(w.gate.DeviceKey, p.Code, "out")
			}
		}
	})
}

type eventsOut struct {
	Recorded   []string `json:"recorded"`
	Duplicates []string `json:"duplicates"`
	Rejected   []struct {
		Index   int    `json:"index"`
		EventID string `json:"event_id"`
		Reason  string `json:"reason"`
	} `json:"rejected"`
}

func TestOfflineBatchesAreRecordedExactlyOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		single := w.invite(nil)
		revoked := w.invite(map[string]any{"visitor": map[string]any{"name": "李娜", "id_type": "passport", "id_number": "G87654321"}})
		e.expect("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", revoked.ID), w.hostTok, nil, 200, nil)
		e.clock.Advance(30 * time.Minute) // the gate was offline for the last 20 minutes
		at := func(d time.Duration) string { return e.clock.Now().Add(d).Format(time.RFC3339) }
		path := fmt.Sprintf("/api/v1/gates/%d/events", w.gate.ID)
		batch := map[string]any{"events": []map[string]any{
			{"event_id": "g1-0001", "code": single.Code, "direction": "in", "occurred_at": at(-10 * time.Minute), "decision": "grant"},
			{"event_id": "g1-0002", "code": single.Code, "direction": "in", "occurred_at": at(-9 * time.Minute), "decision": "grant"}, // a second use: offline miscount
			{"event_id": "g1-0003", "code": revoked.Code, "direction": "in", "occurred_at": at(-8 * time.Minute), "decision": "deny"},
			{"event_id": "g1-0004", "code": single.Code, "direction": "sideways", "occurred_at": at(-7 * time.Minute), "decision": "grant"},
			{"event_id": "g1-0005", "code": single.Code, "direction": "out", "occurred_at": "yesterday", "decision": "grant"},
			{"event_id": "g1-0006", "code": single.Code, "direction": "out", "occurred_at": at(-6 * time.Minute), "decision": "grant", "extra": 1},
		}}
		var first eventsOut
		e.expect("POST", path, w.gate.DeviceKey, batch, 200, &first)
		if strings.Join(first.Recorded, ",") != "g1-0001,g1-0002,g1-0003" || len(first.Duplicates) != 0 {
			t.Fatalf("first upload: %+v", first)
		}
		if len(first.Rejected) != 3 || first.Rejected[0].Index != 3 || !strings.Contains(first.Rejected[0].Reason, "direction") ||
			first.Rejected[1].Index != 4 || !strings.Contains(first.Rejected[1].Reason, "occurred_at") ||
			first.Rejected[2].Index != 5 || !strings.Contains(first.Rejected[2].Reason, "extra") {
			t.Fatalf("rejections: %+v", first.Rejected)
		}
		var again eventsOut
		e.expect("POST", path, w.gate.DeviceKey, batch, 200, &again)
		if len(again.Recorded) != 0 || strings.Join(again.Duplicates, ",") != "g1-0001,g1-0002,g1-0003" {
			t.Fatalf("second upload of the same batch: %+v", again)
		}
		// An overlapping batch records only what is new.
		overlap := map[string]any{"events": []map[string]any{
			{"event_id": "g1-0003", "code": revoked.Code, "direction": "in", "occurred_at": at(-8 * time.Minute), "decision": "deny"},
			{"event_id": "g1-0007", "code": single.Code, "direction": "out", "occurred_at": at(-5 * time.Minute), "decision": "grant"},
		}}
		var third eventsOut
		e.expect("POST", path, w.gate.DeviceKey, overlap, 200, &third)
		if strings.Join(third.Recorded, ",") != "g1-0007" || strings.Join(third.Duplicates, ",") != "g1-0003" {
			t.Fatalf("overlapping upload: %+v", third)
		}
		var entries struct {
			Items []struct {
				EventID        string `json:"event_id"`
				Method         string
				Decision       string
				Reason         string
				ServerDecision string `json:"server_decision"`
			}
		}
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d", w.A), w.mgr, nil, 200, &entries)
		if len(entries.Items) != 4 {
			t.Fatalf("%d entries, want 4", len(entries.Items))
		}
		byEvent := map[string]int{}
		for i, it := range entries.Items {
			byEvent[it.EventID] = i
			if it.Method != "offline" {
				t.Errorf("entry %s has method %s", it.EventID, it.Method)
			}
		}
		// The second offline use was granted at the gate; the server would
		// have refused it: both are in the entry.
		second := entries.Items[byEvent["g1-0002"]]
		if second.Decision != "grant" || second.ServerDecision != "deny" || second.Reason != "exhausted" {
			t.Errorf("the over-use: %+v", second)
		}
		// Both offline uses count: the pass is used up online too.
		if s := w.scan(w.gate.DeviceKey, single.Code, "in"); s.Reason != "exhausted" {
			t.Errorf("online scan after offline uses: %+v", s)
		}
		var rep struct{ OK bool }
		e.expect("GET", "/api/v1/entries/verify", e.admin, nil, 200, &rep)
		if !rep.OK {
			t.Fatal("the chain does not verify after offline uploads")
		}
		// A gate may upload only its own events.
		if res := e.do("POST", fmt.Sprintf("/api/v1/gates/%d/events", w.gate2.ID), w.gate.DeviceKey, batch); res.Status != 404 {
			t.Fatalf("uploading as another gate: %d", res.Status)
		}
	})
}

func TestSyncTellsControllersWhatChanged(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		path := fmt.Sprintf("/api/v1/gates/%d/sync", w.gate.ID)
		var s0 struct {
			Cursor string
			Keys   []struct {
				Kid       int    `json:"kid"`
				PublicKey string `json:"public_key"`
			}
		}
		e.expect("GET", path, w.gate.DeviceKey, nil, 200, &s0)
		if len(s0.Keys) != 1 || s0.Keys[0].PublicKey == "" {
			t.Fatalf("sync without keys: %+v", s0)
		}
		a, b := w.invite(nil), w.invite(map[string]any{"max_entries": 1})
		e.expect("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", a.ID), w.hostTok, nil, 200, nil)
		w.scan(w.gate.DeviceKey, b.Code, "in")
		var s1 struct {
			Cursor            string
			Revoked           []int64
			Exhausted         []int64
			MovedOutResidents []int64 `json:"moved_out_residents"`
		}
		e.expect("GET", path+"?cursor="+s0.Cursor, w.gate.DeviceKey, nil, 200, &s1)
		if len(s1.Revoked) != 1 || s1.Revoked[0] != a.ID || len(s1.Exhausted) != 1 || s1.Exhausted[0] != b.ID {
			t.Fatalf("sync: %+v", s1)
		}
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, nil, 204, nil)
		var s2 struct {
			Revoked           []int64
			MovedOutResidents []int64 `json:"moved_out_residents"`
		}
		e.expect("GET", path+"?cursor="+s1.Cursor, w.gate.DeviceKey, nil, 200, &s2)
		if len(s2.Revoked) != 0 || len(s2.MovedOutResidents) != 1 || s2.MovedOutResidents[0] != w.host.ID {
			t.Fatalf("sync after a move-out: %+v", s2)
		}
		if res := e.do("GET", fmt.Sprintf("/api/v1/gates/%d/sync", w.gateB.ID), w.gate.DeviceKey, nil); res.Status != 404 {
			t.Fatalf("syncing another gate: %d", res.Status)
		}
		if res := e.do("GET", path, w.mgr, nil); res.Status != 403 {
			t.Fatalf("a manager syncing: %d", res.Status)
		}
	})
}

type onsiteOut struct {
	Items []struct {
		Name          string
		PassID        int64 `json:"pass_id"`
		Host          *struct{ Building, Unit, Room string }
		OverThreshold bool `json:"over_threshold"`
	}
}

func TestGuardOverrideWalkInAndOnsite(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		// A walk-in, registered and let in with one action.
		var walk struct {
			Pass  passOut
			Entry scanOut
		}
		e.expect("POST", "/api/v1/walkins", w.guard, map[string]any{"gate_id": w.gate.ID, "host_resident_id": w.host.ID, "purpose": "送快递",
			"visitor": map[string]any{"name": "快递员", "id_type": "resident_id", "id_number": validID(500), "plate": "粤B99999"}}, 201, &walk)
		if walk.Entry.Decision != "grant" || walk.Pass.RemainingEntries != 0 {
			t.Fatalf("walk-in: %+v", walk)
		}
		var on onsiteOut
		e.expect("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", w.A), w.guard, nil, 200, &on)
		if len(on.Items) != 1 || on.Items[0].Name != "快递员" || on.Items[0].Host.Room != "502" {
			t.Fatalf("on site after the walk-in: %+v", on)
		}
		// A guest scans in: two on site; the walk-in leaves: one.
		p := w.invite(nil)
		w.scan(w.gate.DeviceKey, p.Code, "in")
		e.expect("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", w.A), w.guard, nil, 200, &on)
		if len(on.Items) != 2 {
			t.Fatalf("on site: %+v", on)
		}
		w.scan(w.gate.DeviceKey, walk.Pass.Code, "out")
		e.expect("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", w.A), w.guard, nil, 200, &on)
		if len(on.Items) != 1 || on.Items[0].Name != "张伟" {
			t.Fatalf("after the walk-in left: %+v", on)
		}
		// Past the threshold (72 h) the visitor is flagged.
		e.clock.Advance(73 * time.Hour)
		w.mgr, w.guard = e.login("mgr"), e.login("guard") // their sessions ended meanwhile
		e.expect("GET", "/api/v1/onsite", w.mgr, nil, 200, &on)
		if len(on.Items) != 1 || !on.Items[0].OverThreshold {
			t.Fatalf("after 73 hours: %+v", on)
		}
		// An override needs a reason; it is logged with the guard and the reason.
		res := e.do("POST", "/api/v1/entries/manual", w.guard, map[string]any{"gate_id": w.gate.ID, "direction": "in", "pass_id": p.ID})
		if _, _, f := res.Err(); res.Status != 422 || f["reason"] == "" {
			t.Fatalf("override without a reason: %d %s", res.Status, res.Body)
		}
		var ov scanOut
		e.expect("POST", "/api/v1/entries/manual", w.guard, map[string]any{"gate_id": w.gate.ID, "direction": "in",
			"resident_id": w.host.ID, "reason": "业主手机没电"}, 201, &ov)
		var entries struct {
			Items []struct {
				ID      int64
				Method  string
				Reason  string
				Note    string
				GuardID int64 `json:"guard_id"`
			}
		}
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d&limit=1", w.A), w.mgr, nil, 200, &entries)
		got := entries.Items[0]
		guard, _ := e.db.UserByUsername(t.Context(), "guard")
		if got.ID != ov.EntryID || got.Method != "manual" || got.Reason != "manual_override" || got.Note != "业主手机没电" || got.GuardID != guard.ID {
			t.Fatalf("override in the log: %+v (guard %d)", got, guard.ID)
		}
		// Another community's guard cannot see this on-site list.
		e.mustUser("guard-b", gatehouse.RoleGuard, []int64{w.B}, 0)
		if res := e.do("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", w.A), e.login("guard-b"), nil); res.Status != 404 {
			t.Fatalf("guard of B reads A's on-site list: %d", res.Status)
		}
	})
}

func TestLiveStreamDeliversEachDecision(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		srv := httptest.NewServer(e.api)
		t.Cleanup(srv.Close) // after the streams' bodies are closed
		open := func(token string) *bufio.Reader {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", fmt.Sprintf("%s/api/v1/live?community_id=%d&access_token=%s", srv.URL, w.A, token), nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("open stream: %v %v", res, err)
			}
			t.Cleanup(func() { res.Body.Close() })
			r := bufio.NewReader(res.Body)
			r.ReadString('\n') // ": connected"
			return r
		}
		guardStream := open(w.guard)
		hostStream := open(w.hostTok)
		p := w.invite(nil)
		s := w.scan(w.gate.DeviceKey, p.Code, "in")
		w.scan(w.gate.DeviceKey, "garbage", "in")
		next := func(r *bufio.Reader) string {
			done := make(chan string, 1)
			go func() {
				var data string
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						done <- "error: " + err.Error()
						return
					}
					if strings.HasPrefix(line, "data: ") {
						data = line
					}
					if line == "\n" && data != "" {
						done <- data
						return
					}
				}
			}()
			select {
			case d := <-done:
				return d
			case <-time.After(5 * time.Second):
				t.Fatal("no event within 5 s")
				return ""
			}
		}
		if d := next(guardStream); !strings.Contains(d, fmt.Sprintf(`"entry_id":%d`, s.EntryID)) || !strings.Contains(d, `"reason":"granted"`) {
			t.Fatalf("guard stream: %s", d)
		}
		if d := next(guardStream); !strings.Contains(d, `"reason":"invalid_code"`) {
			t.Fatalf("guard stream, second event: %s", d)
		}
		// The host hears of its guest's arrival, and of nothing else.
		if d := next(hostStream); !strings.Contains(d, `"person_name":"张伟"`) {
			t.Fatalf("host stream: %s", d)
		}
		// A decision made by another process reaches the stream through the log.
		other := newOtherProcess(t, e)
		q := w.invite(map[string]any{"max_entries": 2})
		o := other.scan(w.gate.DeviceKey, q.Code)
		if d := next(guardStream); !strings.Contains(d, fmt.Sprintf(`"entry_id":%d`, o)) {
			t.Fatalf("guard stream, decision of another process: %s", d)
		}
	})
}

func TestWebhooksAreRetriedAndNeverSlowAScan(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		var calls atomic.Int32
		var mu sync.Mutex
		var got []string
		release := make(chan struct{})
		receiver := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			n := calls.Add(1)
			body, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Gatehouse-Signature") != events.Sign("a-very-secret-secret", body) {
				t.Errorf("bad signature %q", r.Header.Get("X-Gatehouse-Signature"))
			}
			if n <= 2 {
				rw.WriteHeader(503) // fails twice, then works
				return
			}
			if n == 3 {
				<-release // then is very slow
			}
			mu.Lock()
			got = append(got, string(body))
			mu.Unlock()
		}))
		defer receiver.Close()
		defer close(release)
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, map[string]any{"webhook_url": receiver.URL, "webhook_secret": "a-very-secret-secret"}, 200, nil)
		p := w.invite(map[string]any{"max_entries": 5})
		s := w.scan(w.gate.DeviceKey, p.Code, "in")
		deadline := time.Now().Add(5 * time.Second)
		for calls.Load() < 3 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if calls.Load() < 3 {
			t.Fatalf("the webhook was tried %d times, want a third try after two failures", calls.Load())
		}
		// The receiver now hangs; scans go on regardless.
		for i := 0; i < 5; i++ {
			dir := []string{"out", "in"}[i%2]
			done := make(chan struct{})
			go func() { w.scan(w.gate.DeviceKey, p.Code, dir); close(done) }()
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				t.Fatal("a scan waited for the webhook")
			}
		}
		release <- struct{}{}
		first := fmt.Sprintf(`"entry_id":%d,`, s.EntryID)
		delivered := func() (bool, []string) {
			mu.Lock()
			defer mu.Unlock()
			for _, b := range got {
				if strings.Contains(b, first) {
					return true, got
				}
			}
			return false, got
		}
		deadline = time.Now().Add(5 * time.Second)
		for ok, _ := delivered(); !ok && time.Now().Before(deadline); ok, _ = delivered() {
			time.Sleep(10 * time.Millisecond)
		}
		ok, all := delivered()
		if !ok || len(all) != 6 {
			t.Fatalf("delivered %d bodies (%v); want all 6 decisions, the first after its retries", len(all), all)
		}
		for _, b := range all {
			if strings.Contains(b, "张伟") || strings.Contains(b, "id_number") {
				t.Fatalf("a webhook body carries personal data: %s", b)
			}
		}
	})
}

func TestCachedScanPathSeesChangesAtOnceOnEveryProcess(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		other := newOtherProcess(t, e)
		p := w.invite(map[string]any{"max_entries": 20})
		// Both processes have cached the gate's key and the community.
		w.scan(w.gate.DeviceKey, p.Code, "in")
		other.scan(w.gate.DeviceKey, p.Code)
		// A pass revoked here after both processes cached it is refused on both.
		q := w.invite(map[string]any{"max_entries": 20, "visitor": map[string]any{"name": "李娜", "id_type": "passport", "id_number": "G7654321"}})
		w.scan(w.gate.DeviceKey, q.Code, "in")
		other.scanReason(w.gate.DeviceKey, q.Code)
		e.expect("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", q.ID), w.hostTok, nil, 200, nil)
		if r := other.scanReason(w.gate.DeviceKey, q.Code); r != "revoked" {
			t.Fatalf("the other process after a revocation: %s", r)
		}
		if s := w.scan(w.gate.DeviceKey, q.Code, "in"); s.Reason != "revoked" {
			t.Fatalf("this process after a revocation: %s", s.Reason)
		}
		// The watchlist, changed through this process, is seen by the other at once.
		e.expect("POST", "/api/v1/watchlist", w.mgr, map[string]any{"community_id": w.A, "id_number": w.visitorIDNum, "reason": "test"}, 201, nil)
		if r := other.scanReason(w.gate.DeviceKey, p.Code); r != "watchlisted" {
			t.Fatalf("the other process after a watchlist change: %s", r)
		}
		// A disabled gate's key stops at once on both.
		e.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", w.gate.ID), w.mgr, map[string]any{"disabled": true}, 200, nil)
		if res := e.do("POST", "/api/v1/scan", w.gate.DeviceKey, map[string]any{"code": p.Code, "direction": "in"}); res.Status != 401 {
			t.Fatalf("a disabled gate scans here: %d", res.Status)
		}
		if st := other.scanStatus(w.gate.DeviceKey, p.Code); st != 401 {
			t.Fatalf("a disabled gate scans on the other process: %d", st)
		}
		// A rotated key: the old one stops, the new one works, on both.
		var rot struct {
			DeviceKey string `json:"device_key"`
		}
		e.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", w.gate2.ID), w.mgr, map[string]any{"name": "北门2"}, 200, nil)
		w.scan(w.gate2.DeviceKey, p.Code, "out")
		other.scan(w.gate2.DeviceKey, p.Code)
		e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/rotate-key", w.gate2.ID), w.mgr, nil, 200, &rot)
		if st := other.scanStatus(w.gate2.DeviceKey, p.Code); st != 401 {
			t.Fatalf("the old key after rotation, other process: %d", st)
		}
		if st := other.scanStatus(rot.DeviceKey, p.Code); st != 200 {
			t.Fatalf("the new key, other process: %d", st)
		}
	})
}

func TestAScanWithAnEventIDIsLoggedOnceHoweverOftenItIsSent(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(map[string]any{"max_entries": 2})
		send := func() (out struct {
			EntryID  int64 `json:"entry_id"`
			Reason   string
			Replayed bool
		}) {
			e.expect("POST", "/api/v1/scan", w.gate.DeviceKey, map[string]any{"code": p.Code, "direction": "in", "event_id": "g1-00042"}, 200, &out)
			return out
		}
		first, again := send(), send()
		if first.Reason != "granted" || first.Replayed || again.EntryID != first.EntryID || !again.Replayed || again.Reason != "granted" {
			t.Fatalf("first %+v, again %+v", first, again)
		}
		// The controller that timed out uploads the same decision as offline: a duplicate.
		var up eventsOut
		e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/events", w.gate.ID), w.gate.DeviceKey, map[string]any{"events": []map[string]any{
			{"event_id": "g1-00042", "code": p.Code, "direction": "in", "occurred_at": e.clock.Now().Format(time.RFC3339), "decision": "grant"}}}, 200, &up)
		if len(up.Duplicates) != 1 || len(up.Recorded) != 0 {
			t.Fatalf("upload after the online scan: %+v", up)
		}
		// One use was consumed, one entry logged.
		var pass passOut
		e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", p.ID), w.mgr, nil, 200, &pass)
		var entries struct{ Items []any }
		e.expect("GET", "/api/v1/entries", w.mgr, nil, 200, &entries)
		if pass.RemainingEntries != 1 || len(entries.Items) != 1 {
			t.Fatalf("remaining %d, entries %d; want 1 and 1", pass.RemainingEntries, len(entries.Items))
		}
		// The same event id for another scan is refused, not answered with the old decision.
		other := w.invite(map[string]any{"visitor": map[string]any{"name": "李娜", "id_type": "passport", "id_number": "G7654321"}})
		res := e.do("POST", "/api/v1/scan", w.gate.DeviceKey, map[string]any{"code": other.Code, "direction": "in", "event_id": "g1-00042"})
		if _, _, f := res.Err(); res.Status != 422 || f["event_id"] == "" {
			t.Fatalf("a reused event id for another code: %d %s", res.Status, res.Body)
		}
		res = e.do("POST", "/api/v1/scan", w.gate.DeviceKey, map[string]any{"code": p.Code, "direction": "in", "event_id": "no spaces allowed"})
		if _, _, f := res.Err(); res.Status != 422 || f["event_id"] == "" {
			t.Fatalf("a bad event id: %d %s", res.Status, res.Body)
		}
	})
}
