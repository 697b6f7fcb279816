package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// world is a community A with a manager, a guard, a resident host with an
// account, and two gates; and a community B with one gate.
type world struct {
	*env
	A, B         int64
	mgr, guard   string
	host         residentOut
	hostTok      string
	gate, gate2  gateOut
	gateB        gateOut
	visitorIDNum string
}

type gateOut struct {
	ID        int64  `json:"id"`
	DeviceKey string `json:"device_key"`
}

type passOut struct {
	ID               int64  `json:"id"`
	Code             string `json:"code"`
	QRURL            string `json:"qr_url"`
	Status           string `json:"status"`
	RemainingEntries int    `json:"remaining_entries"`
	Visitor          struct {
		Name     string `json:"name"`
		IDNumber string `json:"id_number"`
	} `json:"visitor"`
	Host struct {
		Building, Unit, Room string
	} `json:"host"`
}

type scanOut struct {
	Decision         string `json:"decision"`
	Reason           string `json:"reason"`
	EntryID          int64  `json:"entry_id"`
	RemainingEntries *int   `json:"remaining_entries"`
	Visitor          *struct{ Name string }
	Host             *struct{ Building, Unit, Room string }
}

func newWorld(t testing.TB, e *env) *world {
	t.Helper()
	w := &world{env: e, A: e.community("翠竹苑"), B: e.community("东门花园"), visitorIDNum: validID(100)}
	e.mustUser("mgr", gatehouse.RoleManager, []int64{w.A}, 0)
	e.mustUser("guard", gatehouse.RoleGuard, []int64{w.A}, 0)
	w.mgr, w.guard = e.login("mgr"), e.login("guard")
	w.host = e.resident(w.mgr, w.A, "王芳", 1, "3栋", "2单元", "502")
	e.mustUser("wangfang", gatehouse.RoleResident, []int64{w.A}, w.host.ID)
	w.hostTok = e.login("wangfang")
	e.expect("POST", "/api/v1/gates", w.mgr, map[string]any{"community_id": w.A, "name": "南门"}, 201, &w.gate)
	e.expect("POST", "/api/v1/gates", w.mgr, map[string]any{"community_id": w.A, "name": "北门"}, 201, &w.gate2)
	e.expect("POST", "/api/v1/gates", e.admin, map[string]any{"community_id": w.B, "name": "东门"}, 201, &w.gateB)
	return w
}

// invite has the host resident invite a guest; extra fields override.
func (w *world) invite(extra map[string]any) passOut {
	w.t.Helper()
	body := map[string]any{
		"visitor":     map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": w.visitorIDNum, "phone": "13912345678", "plate": "粤B12345"},
		"valid_until": w.clock.Now().Add(24 * time.Hour).Format(time.RFC3339),
		"max_entries": 1,
	}
	for k, v := range extra {
		body[k] = v
	}
	var p passOut
	w.expect("POST", "/api/v1/passes", w.hostTok, body, 201, &p)
	return p
}

func (w *world) scan(key, code, dir string) scanOut {
	w.t.Helper()
	var s scanOut
	w.expect("POST", "/api/v1/scan", key, map[string]any{"code": code, "direction": dir}, 200, &s)
	return s
}

func TestEveryReasonOfTheDecision(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		now := e.clock.Now()
		at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
		// A second visitor, on the watchlist of A.
		watched := validID(200)
		e.expect("POST", "/api/v1/watchlist", w.mgr, map[string]any{"community_id": w.A, "id_number": watched, "reason": "盗窃嫌疑"}, 201, nil)
		// A pass of community B.
		var hostB residentOut
		e.expect("POST", "/api/v1/residents", e.admin, map[string]any{"community_id": w.B, "name": "周杰", "id_type": "resident_id",
			"id_number": validID(300), "phone": "13800138000", "building": "1", "unit": "1", "room": "1"}, 201, &hostB)
		var passB passOut
		e.expect("POST", "/api/v1/passes", e.admin, map[string]any{"community_id": w.B, "host_resident_id": hostB.ID,
			"visitor": map[string]any{"name": "刘洋", "id_type": "passport", "id_number": "E12345678"}, "valid_until": at(time.Hour)}, 201, &passB)

		single := w.invite(nil)
		used := w.invite(nil)
		w.scan(w.gate.DeviceKey, used.Code, "in") // its only entry
		later := w.invite(map[string]any{"valid_from": at(2 * time.Hour), "valid_until": at(5 * time.Hour)})
		short := w.invite(map[string]any{"valid_until": at(time.Hour)})
		revoked := w.invite(nil)
		e.expect("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", revoked.ID), w.hostTok, nil, 200, nil)
		northOnly := w.invite(map[string]any{"gate_ids": []int64{w.gate2.ID}})
		onWatchlist := w.invite(map[string]any{"visitor": map[string]any{"name": "黑名单", "id_type": "resident_id", "id_number": watched}})
		// Weekends 10:00-12:00 only; the clock says Friday 17:00 in Shanghai.
		weekend := w.invite(map[string]any{"max_entries": 5, "schedule": map[string]any{"days": []int{6, 7}, "start": "10:00", "end": "12:00"}})
		// The same visitor twice in with anti-passback on.
		twice := w.invite(map[string]any{"max_entries": 5, "visitor": map[string]any{"name": "李娜", "id_type": "passport", "id_number": "G87654321"}})
		unknown := w.invite(nil)
		// Residents' codes: one current, one from two minutes ago.
		var fresh struct{ Code string }
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d/code", w.host.ID), w.hostTok, nil, 200, &fresh)
		e.clock.Advance(-2 * time.Minute)
		var old struct{ Code string }
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d/code", w.host.ID), w.hostTok, nil, 200, &old)
		e.clock.Advance(2 * time.Minute)
		// Make "unknown" a pass the server does not have: its code stays signed.
		if err := deletePass(e, unknown.ID); err != nil {
			t.Fatal(err)
		}
		tampered := single.Code[:20] + string(rune(single.Code[20]^1)) + single.Code[21:]

		e.clock.Advance(90 * time.Minute) // "short" has expired; "later" is not valid yet
		for _, tc := range []struct {
			name, code, gateKey, dir string
			want                     gatehouse.Reason
			setup                    func()
		}{
			{"granted", single.Code, w.gate.DeviceKey, "in", gatehouse.Granted, nil},
			{"invalid_code: a changed character", tampered, w.gate.DeviceKey, "in", gatehouse.InvalidCode, nil},
			{"invalid_code: garbage", "hello, gate", w.gate.DeviceKey, "in", gatehouse.InvalidCode, nil},
			{"unknown_pass", unknown.Code, w.gate.DeviceKey, "in", gatehouse.UnknownPass, nil},
			{"not_yet_valid", later.Code, w.gate.DeviceKey, "in", gatehouse.NotYetValid, nil},
			{"expired", short.Code, w.gate.DeviceKey, "in", gatehouse.Expired, nil},
			{"revoked", revoked.Code, w.gate.DeviceKey, "in", gatehouse.Revoked, nil},
			{"exhausted", used.Code, w.gate.DeviceKey, "in", gatehouse.Exhausted, nil},
			{"wrong_community", passB.Code, w.gate.DeviceKey, "in", gatehouse.WrongCommunity, nil},
			{"gate_not_allowed", northOnly.Code, w.gate.DeviceKey, "in", gatehouse.GateNotAllowed, nil},
			{"watchlisted", onWatchlist.Code, w.gate.DeviceKey, "in", gatehouse.Watchlisted, nil},
			{"outside_schedule", weekend.Code, w.gate.DeviceKey, "in", gatehouse.OutsideSchedule, nil},
			{"anti_passback", twice.Code, w.gate.DeviceKey, "in", gatehouse.AntiPassback, func() {
				e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, map[string]any{"anti_passback": "on"}, 200, nil)
				if s := w.scan(w.gate.DeviceKey, twice.Code, "in"); s.Reason != "granted" {
					t.Fatalf("first entry with anti-passback: %+v", s)
				}
			}},
			{"stale_code", old.Code, w.gate.DeviceKey, "in", gatehouse.StaleCode, func() {
				e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, map[string]any{"anti_passback": "off"}, 200, nil)
			}},
		} {
			if tc.setup != nil {
				tc.setup()
			}
			got := w.scan(tc.gateKey, tc.code, tc.dir)
			if got.Reason != string(tc.want) || got.Decision != string(tc.want.Decision()) || got.EntryID == 0 {
				t.Errorf("%s: got %s/%s (entry %d), want %s", tc.name, got.Decision, got.Reason, got.EntryID, tc.want)
			}
		}
		// The fresh resident code was made 90 minutes before the scans: stale too;
		// a code made now is granted.
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d/code", w.host.ID), w.hostTok, nil, 200, &fresh)
		if got := w.scan(w.gate.DeviceKey, fresh.Code, "in"); got.Reason != "granted" {
			t.Errorf("a current resident code: %+v", got)
		}
		// Every scan is in the log, and the log verifies.
		var entries struct{ Items []struct{ Reason string } }
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d&limit=100", w.A), w.mgr, nil, 200, &entries)
		if len(entries.Items) != 17 {
			t.Errorf("the log holds %d entries, want 17", len(entries.Items))
		}
		var rep struct {
			OK      bool
			Checked int
		}
		e.expect("GET", "/api/v1/entries/verify", e.admin, nil, 200, &rep)
		if !rep.OK || rep.Checked != 17 {
			t.Errorf("verify: %+v", rep)
		}
	})
}

// deletePass removes a pass row behind the server's back (as if restored
// from an older backup), so its still-valid code names an unknown pass.
func deletePass(e *env, id int64) error {
	return e.db.ExecForTest(context.Background(), "DELETE FROM passes WHERE id = ?", id)
}

func TestTheScanAnswerCarriesWhatAGuardNeeds(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(map[string]any{"max_entries": 3})
		s := w.scan(w.gate.DeviceKey, p.Code, "in")
		if s.Visitor == nil || s.Visitor.Name != "张伟" || s.Host == nil || s.Host.Building != "3栋" || s.Host.Room != "502" ||
			s.RemainingEntries == nil || *s.RemainingEntries != 2 {
			t.Fatalf("scan answer %+v", s)
		}
		// A guard at the console scans with the gate's id.
		var g scanOut
		e.expect("POST", "/api/v1/scan", w.guard, map[string]any{"code": p.Code, "direction": "out", "gate_id": w.gate.ID}, 200, &g)
		if g.Reason != "granted" || *g.RemainingEntries != 2 {
			t.Fatalf("leaving does not use an entry: %+v", g)
		}
		// A guard cannot scan at another community's gate; a bad direction is a field error.
		if res := e.do("POST", "/api/v1/scan", w.guard, map[string]any{"code": p.Code, "direction": "in", "gate_id": w.gateB.ID}); res.Status != 404 {
			t.Fatalf("guard at B's gate: %d", res.Status)
		}
		res := e.do("POST", "/api/v1/scan", w.gate.DeviceKey, map[string]any{"code": p.Code, "direction": "sideways"})
		if _, _, f := res.Err(); res.Status != 422 || f["direction"] == "" {
			t.Fatalf("bad direction: %d %s", res.Status, res.Body)
		}
	})
}

func TestFiftyConcurrentScansOfASingleUsePassGiveOneGrant(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(nil)
		var wg sync.WaitGroup
		results := make([]scanOut, 50)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := w.gate.DeviceKey
				if i%2 == 1 {
					key = w.gate2.DeviceKey
				}
				res := e.do("POST", "/api/v1/scan", key, map[string]any{"code": p.Code, "direction": "in"})
				if res.Status != 200 {
					t.Errorf("scan %d: %d %s", i, res.Status, res.Body)
					return
				}
				if err := jsonUnmarshal(res.Body, &results[i]); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		count := map[string]int{}
		for _, r := range results {
			count[r.Reason]++
		}
		if count["granted"] != 1 || count["exhausted"] != 49 {
			t.Fatalf("reasons %v, want 1 granted and 49 exhausted", count)
		}
		var rep struct {
			OK      bool
			Checked int
		}
		e.expect("GET", "/api/v1/entries/verify", e.admin, nil, 200, &rep)
		if !rep.OK || rep.Checked != 50 {
			t.Fatalf("verify after the race: %+v", rep)
		}
	})
}

func TestPassQRDecodesToItsCode(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is not installed (Debian package zbar-tools; `make test` installs it)")
	}
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(nil)
		res := e.expect("GET", p.QRURL, w.hostTok, nil, 200, nil)
		if res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("content type %q", res.Header.Get("Content-Type"))
		}
		path := filepath.Join(t.TempDir(), "pass.png")
		os.WriteFile(path, res.Body, 0o600)
		out, err := exec.Command(zbar, "--raw", "-q", path).Output()
		if err != nil {
			t.Fatalf("zbarimg: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != p.Code {
			t.Fatalf("QR reads %q, want %q", got, p.Code)
		}
		// Another household cannot fetch it.
		neighbour := e.resident(w.mgr, w.A, "赵磊", 9, "3栋", "2单元", "503")
		e.mustUser("zhaolei", gatehouse.RoleResident, []int64{w.A}, neighbour.ID)
		if res := e.do("GET", p.QRURL, e.login("zhaolei"), nil); res.Status != 404 {
			t.Fatalf("neighbour fetching the QR: %d", res.Status)
		}
	})
}

func TestPassWindowsAndVisitorsAreValidated(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		now := e.clock.Now()
		at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
		for _, tc := range []struct {
			name  string
			extra map[string]any
			field string
		}{
			{"ends before it starts", map[string]any{"valid_from": at(5 * time.Hour), "valid_until": at(2 * time.Hour)}, "valid_until"},
			{"in the past", map[string]any{"valid_from": at(-5 * time.Hour), "valid_until": at(-time.Hour)}, "valid_until"},
			{"longer than the community allows", map[string]any{"valid_until": at(8 * 24 * time.Hour)}, "valid_until"},
			{"not a time", map[string]any{"valid_until": "tomorrow"}, "valid_until"},
			{"no entries", map[string]any{"max_entries": 0}, "max_entries"},
			{"gate of another community", map[string]any{"gate_ids": []int64{w.gateB.ID}}, "gate_ids"},
			{"bad visitor ID", map[string]any{"visitor": map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": "110105194912310021"}}, "visitor.id_number"},
			{"visitor without name", map[string]any{"visitor": map[string]any{"id_type": "passport", "id_number": "E1234567"}}, "visitor.name"},
			{"another host", map[string]any{"host_resident_id": w.host.ID + 1000}, "host_resident_id"},
		} {
			body := map[string]any{
				"visitor":     map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": w.visitorIDNum},
				"valid_until": at(24 * time.Hour),
			}
			for k, v := range tc.extra {
				body[k] = v
			}
			res := e.do("POST", "/api/v1/passes", w.hostTok, body)
			if _, _, f := res.Err(); res.Status != 422 || f[tc.field] == "" {
				t.Errorf("%s: %d %s, want 422 naming %s", tc.name, res.Status, res.Body, tc.field)
			}
		}
		var list struct{ Items []passOut }
		e.expect("GET", "/api/v1/passes", w.hostTok, nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("refused passes were stored: %d", len(list.Items))
		}
	})
}

func TestAVisitorIsStoredOncePerIDNumber(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		a := w.invite(nil)
		b := w.invite(map[string]any{"visitor": map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": strings.ToLower(w.visitorIDNum), "phone": "13700000000"}})
		var pa, pb struct{ Visitor struct{ ID int64 } }
		e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", a.ID), e.admin, nil, 200, &pa)
		e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", b.ID), e.admin, nil, 200, &pb)
		if pa.Visitor.ID == 0 || pa.Visitor.ID != pb.Visitor.ID {
			t.Fatalf("two visitor records for one ID number: %d and %d", pa.Visitor.ID, pb.Visitor.ID)
		}
		if a.Visitor.IDNumber == w.visitorIDNum {
			t.Fatalf("a resident sees the visitor's full ID number")
		}
	})
}

func TestPassesAreScopedAndRevocable(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(nil)
		neighbour := e.resident(w.mgr, w.A, "赵磊", 9, "3栋", "2单元", "503")
		e.mustUser("zhaolei", gatehouse.RoleResident, []int64{w.A}, neighbour.ID)
		nt := e.login("zhaolei")
		var list struct{ Items []passOut }
		e.expect("GET", "/api/v1/passes", nt, nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("a neighbour lists %d passes", len(list.Items))
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/passes/%d", p.ID)} {
			if res := e.do("GET", path, nt, nil); res.Status != 404 {
				t.Fatalf("neighbour reads the pass: %d", res.Status)
			}
		}
		if res := e.do("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", p.ID), nt, nil); res.Status != 404 {
			t.Fatalf("neighbour revokes: %d", res.Status)
		}
		e.mustUser("mgr-b", gatehouse.RoleManager, []int64{w.B}, 0)
		if res := e.do("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", p.ID), e.login("mgr-b"), nil); res.Status != 404 {
			t.Fatalf("manager of B revokes: %d", res.Status)
		}
		e.expect("GET", "/api/v1/passes", w.hostTok, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Status != "active" {
			t.Fatalf("host lists %+v", list.Items)
		}
		var revoked passOut
		e.expect("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", p.ID), w.guard, nil, 200, &revoked)
		if revoked.Status != "revoked" {
			t.Fatalf("after revoke: %+v", revoked)
		}
		if s := w.scan(w.gate.DeviceKey, p.Code, "in"); s.Reason != "revoked" {
			t.Fatalf("scan after revoke: %+v", s)
		}
	})
}
