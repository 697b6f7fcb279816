package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

type gateStatusOut struct {
	ID     int64 `json:"id"`
	Status *struct {
		Online              bool       `json:"online"`
		LastSeen            *time.Time `json:"last_seen"`
		OfflineAfterSeconds int        `json:"offline_after_seconds"`
		Version             string     `json:"version"`
		Pending             int        `json:"pending"`
		Controller          *struct {
			Kind              string     `json:"kind"`
			Online            bool       `json:"online"`
			LastSeen          *time.Time `json:"last_seen"`
			LastEventIndex    int64      `json:"last_event_index"`
			DoorOpen          bool       `json:"door_open"`
			ClockDriftSeconds int64      `json:"clock_drift_seconds"`
		} `json:"controller"`
	} `json:"status"`
}

func heartbeat(extra map[string]any) map[string]any {
	b := map[string]any{"version": "gatehouse-gate v1.4.0", "interval_seconds": 30, "pending": 2,
		"controller": map[string]any{"kind": "uhppote", "device_id": 405419896, "online": true, "silent_seconds": 0,
			"last_event_index": 41, "door_open": true, "clock_drift_seconds": -3}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// A gate's agent reports a heartbeat with its device key; guards and
// managers see the gate online, then offline once the agent, or its
// controller, has been silent for two minutes; /metrics counts it.
func TestAGateIsOnlineWhileItsAgentAndControllerReport(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		status := fmt.Sprintf("/api/v1/gates/%d/status", w.gate.ID)
		get := func(tok string) gateStatusOut {
			t.Helper()
			var g gateStatusOut
			e.expect("GET", fmt.Sprintf("/api/v1/gates/%d", w.gate.ID), tok, nil, 200, &g)
			return g
		}
		// Never heard from: offline, no last_seen.
		if g := get(w.guard); g.Status == nil || g.Status.Online || g.Status.LastSeen != nil {
			t.Fatalf("a gate never heard from: %+v", g.Status)
		}
		// Only the gate's own device key reports, for its own gate.
		e.expect("POST", status, w.mgr, heartbeat(nil), 403, nil)
		e.expect("POST", status, w.gate2.DeviceKey, heartbeat(nil), 404, nil)
		// Bad input names its fields.
		res := e.expect("POST", status, w.gate.DeviceKey, heartbeat(map[string]any{"interval_seconds": 0, "pending": -1,
			"controller": map[string]any{"kind": "微耕", "silent_seconds": -5}}), 422, nil)
		if _, _, f := res.Err(); f["interval_seconds"] == "" || f["pending"] == "" || f["controller.kind"] == "" || f["controller.silent_seconds"] == "" {
			t.Fatalf("fields: %v", f)
		}
		res = e.expect("POST", status, w.gate.DeviceKey, heartbeat(map[string]any{"last_sync": "yesterday"}), 422, nil)
		if _, _, f := res.Err(); f["last_sync"] == "" {
			t.Fatalf("fields: %v", f)
		}
		e.expect("POST", status, w.gate.DeviceKey, heartbeat(nil), 200, nil)
		for _, tok := range []string{w.guard, w.mgr} {
			g := get(tok)
			c := g.Status.Controller
			if !g.Status.Online || g.Status.LastSeen == nil || !g.Status.LastSeen.Equal(e.clock.Now()) || g.Status.Version != "gatehouse-gate v1.4.0" ||
				g.Status.OfflineAfterSeconds != 120 || c == nil || !c.Online || c.LastEventIndex != 41 || !c.DoorOpen || c.ClockDriftSeconds != -3 {
				t.Fatalf("a gate just heard from: %+v %+v", g.Status, c)
			}
		}
		var list struct{ Items []gateStatusOut }
		e.expect("GET", fmt.Sprintf("/api/v1/gates?community_id=%d", w.A), w.guard, nil, 200, &list)
		online := map[int64]bool{}
		for _, g := range list.Items {
			online[g.ID] = g.Status != nil && g.Status.Online
		}
		if !online[w.gate.ID] || online[w.gate2.ID] || len(online) != 2 {
			t.Fatalf("the list: %v", online)
		}
		metric := func(want string) {
			t.Helper()
			body := string(e.expect("GET", "/metrics", "", nil, 200, nil).Body)
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		metric(fmt.Sprintf(`gatehouse_gates_offline{community_id="%d"} 0`, w.A))
		metric(fmt.Sprintf(`gatehouse_gates_reporting{community_id="%d"} 1`, w.A))
		// Silent for two minutes: offline.
		e.clock.Advance(119 * time.Second)
		if g := get(w.guard); !g.Status.Online {
			t.Fatal("offline before two minutes")
		}
		e.clock.Advance(time.Second)
		if g := get(w.guard); g.Status.Online {
			t.Fatal("still online after two minutes of silence")
		}
		metric(fmt.Sprintf(`gatehouse_gates_offline{community_id="%d"} 1`, w.A))
		// The agent beats, but its controller has not answered for 2 minutes.
		e.expect("POST", status, w.gate.DeviceKey, heartbeat(map[string]any{"controller": map[string]any{"kind": "uhppote", "online": false,
			"silent_seconds": 120}}), 200, nil)
		if g := get(w.mgr); g.Status.Online || g.Status.Controller.Online {
			t.Fatalf("a silent controller: %+v %+v", g.Status, g.Status.Controller)
		}
		// A controller never heard since the agent started is offline too.
		e.expect("POST", status, w.gate.DeviceKey, heartbeat(map[string]any{"controller": map[string]any{"kind": "uhppote"}}), 200, nil)
		if g := get(w.mgr); g.Status.Online {
			t.Fatal("a controller never heard from, and the gate online")
		}
		// An agent without a controller that beats every 5s is offline after 20s.
		e.expect("POST", status, w.gate.DeviceKey, map[string]any{"version": "v", "interval_seconds": 5}, 200, nil)
		if g := get(w.mgr); !g.Status.Online || g.Status.Controller != nil || g.Status.OfflineAfterSeconds != 20 {
			t.Fatalf("an agent alone: %+v", g.Status)
		}
		e.clock.Advance(20 * time.Second)
		if g := get(w.mgr); g.Status.Online {
			t.Fatal("online after four missed heartbeats")
		}
		// Another community's manager does not see it.
		e.expect("GET", fmt.Sprintf("/api/v1/gates/%d", w.gateB.ID), w.mgr, nil, 404, nil)
	})
}

type doorEventOut struct {
	GateID  int64  `json:"gate_id"`
	EventID string `json:"event_id"`
	Kind    string `json:"kind"`
	Door    int    `json:"door"`
}

// Door-button and forced-door events are logged once by their event id as
// gate events (not entries), listed for guards and managers.
func TestDoorEventsAreLoggedOnceAndListedForStaff(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		path := fmt.Sprintf("/api/v1/gates/%d/door-events", w.gate.ID)
		at := e.clock.Now().Add(-time.Minute).Format(time.RFC3339)
		batch := map[string]any{"events": []map[string]any{
			{"event_id": "uhppote-1-7", "kind": "door_button", "door": 1, "occurred_at": at},
			{"event_id": "uhppote-1-8", "kind": "door_forced", "door": 1, "occurred_at": at},
			{"event_id": "uhppote-1-9", "kind": "door_open", "door": 1, "occurred_at": at},
			{"event_id": "uhppote-1-10", "kind": "door_forced", "door": 0, "occurred_at": at},
			{"event_id": "uhppote-1-11", "kind": "door_forced", "door": 1, "occurred_at": "now"},
			{"event_id": "uhppote-1-12", "kind": "door_forced", "door": 1, "occurred_at": at, "card": "1"},
		}}
		var first struct {
			Recorded, Duplicates []string
			Rejected             []struct {
				Index  int
				Reason string
			}
		}
		e.expect("POST", path, w.guard, batch, 403, nil)
		e.expect("POST", path, w.gate2.DeviceKey, batch, 404, nil)
		e.expect("POST", path, w.gate.DeviceKey, map[string]any{}, 422, nil)
		e.expect("POST", path, w.gate.DeviceKey, batch, 200, &first)
		if strings.Join(first.Recorded, " ") != "uhppote-1-7 uhppote-1-8" || len(first.Rejected) != 4 {
			t.Fatalf("first upload: %+v", first)
		}
		for i, want := range []string{"kind:", "door:", "occurred_at:", "card"} {
			if r := first.Rejected[i]; r.Index != i+2 || !strings.Contains(r.Reason, want) {
				t.Errorf("rejection %d: %+v, want index %d about %s", i, r, i+2, want)
			}
		}
		// Sent again: duplicates; the same id for another event: rejected.
		var again struct {
			Recorded, Duplicates []string
			Rejected             []struct{ Reason string }
		}
		e.expect("POST", path, w.gate.DeviceKey, map[string]any{"events": []map[string]any{
			{"event_id": "uhppote-1-7", "kind": "door_button", "door": 1, "occurred_at": at},
			{"event_id": "uhppote-1-8", "kind": "door_button", "door": 1, "occurred_at": at},
		}}, 200, &again)
		if len(again.Recorded) != 0 || strings.Join(again.Duplicates, " ") != "uhppote-1-7" || len(again.Rejected) != 1 || again.Rejected[0].Reason != "event_id_reused" {
			t.Fatalf("again: %+v", again)
		}
		// Another gate may use the same event id.
		e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/door-events", w.gate2.ID), w.gate2.DeviceKey, map[string]any{"events": []map[string]any{
			{"event_id": "uhppote-1-7", "kind": "door_forced", "door": 2, "occurred_at": at}}}, 200, nil)
		// Listed newest first for guards and managers; filtered by gate and kind.
		var list struct{ Items []doorEventOut }
		e.expect("GET", "/api/v1/door-events", w.guard, nil, 200, &list)
		if len(list.Items) != 3 || list.Items[0].GateID != w.gate2.ID || list.Items[2].Kind != "door_button" {
			t.Fatalf("all: %+v", list.Items)
		}
		e.expect("GET", fmt.Sprintf("/api/v1/door-events?gate_id=%d&kind=door_forced", w.gate.ID), w.mgr, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].EventID != "uhppote-1-8" || list.Items[0].Door != 1 {
			t.Fatalf("forced at gate 1: %+v", list.Items)
		}
		res := e.expect("GET", "/api/v1/door-events?kind=fire", w.guard, nil, 400, nil)
		if _, _, f := res.Err(); f["kind"] == "" {
			t.Fatalf("fields: %v", f)
		}
		e.expect("GET", fmt.Sprintf("/api/v1/door-events?gate_id=%d", w.gateB.ID), w.guard, nil, 404, nil)
		e.expect("GET", "/api/v1/door-events", w.hostTok, nil, 403, nil)
		// Not person entries.
		var entries struct{ Items []any }
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d", w.A), w.mgr, nil, 200, &entries)
		if len(entries.Items) != 0 {
			t.Fatalf("door events in the entry log: %d", len(entries.Items))
		}
	})
}

// The heartbeat, door events and gates with their status are the bodies
// api/openapi.yaml documents.
func TestOpenAPIBodiesOfGateStatusAndDoorEvents(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		c := &oapiChecker{t: t, e: e, d: loadOpenAPI(t), covered: map[string]bool{}}
		at := e.clock.Now().Add(-time.Minute).Format(time.RFC3339)
		c.call("GET", fmt.Sprintf("/api/v1/gates/%d", w.gate.ID), w.guard, nil, 200)
		c.call("POST", fmt.Sprintf("/api/v1/gates/%d/status", w.gate.ID), w.gate.DeviceKey, heartbeat(map[string]any{"last_sync": at}), 200)
		c.call("POST", fmt.Sprintf("/api/v1/gates/%d/status", w.gate.ID), w.gate.DeviceKey, heartbeat(map[string]any{"interval_seconds": 0}), 422)
		c.call("GET", fmt.Sprintf("/api/v1/gates/%d", w.gate.ID), w.mgr, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/gates?community_id=%d", w.A), w.guard, nil, 200)
		c.call("POST", fmt.Sprintf("/api/v1/gates/%d/door-events", w.gate.ID), w.gate.DeviceKey, map[string]any{"events": []map[string]any{
			{"event_id": "uhppote-1-8", "kind": "door_forced", "door": 1, "occurred_at": at},
			{"event_id": "uhppote-1-8", "kind": "door_button", "door": 1, "occurred_at": at}}}, 200) // the second: event_id_reused
		c.call("POST", fmt.Sprintf("/api/v1/gates/%d/door-events", w.gate.ID), w.gate.DeviceKey, map[string]any{}, 422)
		c.call("GET", "/api/v1/door-events?kind=door_forced", w.guard, nil, 200)
		c.call("GET", "/api/v1/door-events?kind=fire", w.guard, nil, 400)
	})
}
