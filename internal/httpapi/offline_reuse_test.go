package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestOfflineEventIDsReusedForAnotherEventAreRejected(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p, other := w.invite(map[string]any{"max_entries": 5}), w.invite(nil)
		path := fmt.Sprintf("/api/v1/gates/%d/events", w.gate.ID)
		at := func(d time.Duration) string { return e.clock.Now().Add(d).Format(time.RFC3339) }
		ev := func(id, code, dir, when, decision string) map[string]any {
			return map[string]any{"event_id": id, "code": code, "direction": dir, "occurred_at": when, "decision": decision}
		}
		upload := func(events ...map[string]any) eventsOut {
			t.Helper()
			var out eventsOut
			e.expect("POST", path, w.gate.DeviceKey, map[string]any{"events": events}, 200, &out)
			return out
		}
		first := ev("g1-1", p.Code, "in", at(-10*time.Minute), "grant")
		if out := upload(first); strings.Join(out.Recorded, ",") != "g1-1" {
			t.Fatalf("first upload: %+v", out)
		}
		if out := upload(first); strings.Join(out.Duplicates, ",") != "g1-1" || len(out.Rejected) != 0 {
			t.Fatalf("the same event again: %+v", out)
		}
		for name, changed := range map[string]map[string]any{
			"code":        ev("g1-1", other.Code, "in", at(-10*time.Minute), "grant"),
			"direction":   ev("g1-1", p.Code, "out", at(-10*time.Minute), "grant"),
			"occurred_at": ev("g1-1", p.Code, "in", at(-9*time.Minute), "grant"),
			"decision":    ev("g1-1", p.Code, "in", at(-10*time.Minute), "deny"),
		} {
			out := upload(changed)
			if len(out.Recorded)+len(out.Duplicates) != 0 || len(out.Rejected) != 1 || out.Rejected[0].Reason != "event_id_reused" ||
				out.Rejected[0].EventID != "g1-1" {
				t.Errorf("another %s under a used event id: %+v", name, out)
			}
		}
		// Within one batch too.
		out := upload(ev("g1-2", p.Code, "out", at(-8*time.Minute), "grant"), ev("g1-2", p.Code, "out", at(-8*time.Minute), "grant"),
			ev("g1-2", p.Code, "in", at(-8*time.Minute), "grant"))
		if strings.Join(out.Recorded, ",") != "g1-2" || strings.Join(out.Duplicates, ",") != "g1-2" || len(out.Rejected) != 1 ||
			out.Rejected[0].Index != 2 || out.Rejected[0].Reason != "event_id_reused" {
			t.Errorf("one batch: %+v", out)
		}
		// A scan sent online with an event id, then uploaded by a controller
		// that gave up waiting: its own time and decision, still one event.
		var s scanOut
		e.expect("POST", "/api/v1/scan", w.gate.DeviceKey, map[string]any{"code": p.Code, "direction": "in", "event_id": "g1-3"}, 200, &s)
		if out := upload(ev("g1-3", p.Code, "in", at(-time.Second), "deny")); strings.Join(out.Duplicates, ",") != "g1-3" {
			t.Errorf("an online scan uploaded later: %+v", out)
		}
		if out := upload(ev("g1-3", other.Code, "in", at(-time.Second), "grant")); len(out.Rejected) != 1 || out.Rejected[0].Reason != "event_id_reused" {
			t.Errorf("another code under an online scan's event id: %+v", out)
		}
		var entries struct{ Items []any }
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d", w.A), w.mgr, nil, 200, &entries)
		if len(entries.Items) != 3 {
			t.Fatalf("%d entries, want 3 (g1-1, g1-2, g1-3)", len(entries.Items))
		}
	})
}
