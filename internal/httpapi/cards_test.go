package httpapi_test

import (
	"fmt"
	"testing"
	"time"
)

type cardOut struct {
	ID         int64      `json:"id"`
	ResidentID int64      `json:"resident_id"`
	Number     string     `json:"number"`
	Label      string     `json:"label"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until"`
}

type syncCardsOut struct {
	Cursor string `json:"cursor"`
	Cards  []struct {
		ID         int64  `json:"id"`
		Number     string `json:"number"`
		ResidentID int64  `json:"resident_id"`
	} `json:"cards"`
	CardsRemoved []struct {
		ID     int64  `json:"id"`
		Number string `json:"number"`
	} `json:"cards_removed"`
	CardsComplete bool `json:"cards_complete"`
}

func (s syncCardsOut) numbers() (live, removed string) {
	for _, c := range s.Cards {
		live += c.Number + " "
	}
	for _, c := range s.CardsRemoved {
		removed += c.Number + " "
	}
	return live, removed
}

func TestManagersRegisterCardsAndResidentsSeeTheirOwn(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		cards := fmt.Sprintf("/api/v1/residents/%d/cards", w.host.ID)
		var c cardOut
		e.expect("POST", cards, w.mgr, map[string]any{"number": "3922570474", "label": "蓝色门卡"}, 201, &c)
		if c.ResidentID != w.host.ID || c.Number != "3922570474" || c.ValidFrom.IsZero() || c.ValidUntil != nil {
			t.Fatalf("card: %+v", c)
		}
		// Bad input names its field.
		res := e.expect("POST", cards, w.mgr, map[string]any{"number": "12a4", "valid_from": "tomorrow"}, 422, nil)
		if _, _, f := res.Err(); f["number"] == "" || f["valid_from"] == "" {
			t.Fatalf("fields: %v", f)
		}
		until := e.clock.Now().Add(-time.Hour).Format(time.RFC3339)
		res = e.expect("POST", cards, w.mgr, map[string]any{"number": "77", "valid_until": until}, 422, nil)
		if _, _, f := res.Err(); f["valid_until"] == "" {
			t.Fatalf("fields: %v", f)
		}
		// One number, one card in a community.
		other := e.resident(w.mgr, w.A, "李雷", 2, "3栋", "2单元", "503")
		res = e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/cards", other.ID), w.mgr, map[string]any{"number": "3922570474"}, 409, nil)
		if _, _, f := res.Err(); f["number"] == "" {
			t.Fatalf("duplicate: %v", f)
		}
		// The resident sees its own cards; a guard and other residents do not.
		var mine struct{ Items []cardOut }
		e.expect("GET", cards, w.hostTok, nil, 200, &mine)
		if len(mine.Items) != 1 || mine.Items[0].ID != c.ID {
			t.Fatalf("own cards: %+v", mine)
		}
		e.expect("GET", cards, w.guard, nil, 403, nil)
		e.expect("POST", cards, w.hostTok, map[string]any{"number": "5"}, 403, nil)
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d/cards", other.ID), w.hostTok, nil, 404, nil)
		// Another community's manager does not find the card.
		e.mustUser("mgrB", "manager", []int64{w.B}, 0)
		e.expect("DELETE", fmt.Sprintf("/api/v1/cards/%d", c.ID), e.login("mgrB"), nil, 404, nil)
		e.expect("DELETE", fmt.Sprintf("/api/v1/cards/%d", c.ID), w.mgr, nil, 204, nil)
		e.expect("DELETE", fmt.Sprintf("/api/v1/cards/%d", c.ID), w.mgr, nil, 404, nil)
		e.expect("GET", cards, w.hostTok, nil, 200, &mine)
		if len(mine.Items) != 0 {
			t.Fatalf("a deleted card is listed: %+v", mine)
		}
		// The number is free again.
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/cards", other.ID), w.mgr, map[string]any{"number": "3922570474"}, 201, nil)
	})
}

func TestSyncTellsGatesWhichCardsOpenTheirDoors(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		path := fmt.Sprintf("/api/v1/gates/%d/sync", w.gate.ID)
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/cards", w.host.ID), w.mgr, map[string]any{"number": "1001"}, 201, nil)
		other := e.resident(w.mgr, w.A, "李雷", 2, "3栋", "2单元", "503")
		var deleted, leaving cardOut
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/cards", other.ID), w.mgr, map[string]any{"number": "1002"}, 201, &deleted)
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/cards", other.ID), w.mgr, map[string]any{"number": "1003"}, 201, &leaving)
		// A first sync holds every card.
		var s0 syncCardsOut
		e.expect("GET", path, w.gate.DeviceKey, nil, 200, &s0)
		if live, _ := s0.numbers(); live != "1001 1002 1003 " || !s0.CardsComplete {
			t.Fatalf("first sync: %+v", s0)
		}
		// Then only what changed: a card deleted, a resident moved out, a card added.
		e.expect("DELETE", fmt.Sprintf("/api/v1/cards/%d", deleted.ID), w.mgr, nil, 204, nil)
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", other.ID), w.mgr, nil, 204, nil)
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/cards", w.host.ID), w.mgr, map[string]any{"number": "1004"}, 201, nil)
		var s1 syncCardsOut
		e.expect("GET", path+"?cursor="+s0.Cursor, w.gate.DeviceKey, nil, 200, &s1)
		if live, removed := s1.numbers(); live != "1004 " || removed != "1002 1003 " || s1.CardsComplete {
			t.Fatalf("sync after changes: live %q removed %q (%+v)", live, removed, s1)
		}
		var s2 syncCardsOut
		e.expect("GET", path+"?cursor="+s1.Cursor, w.gate.DeviceKey, nil, 200, &s2)
		if live, removed := s2.numbers(); live != "" || removed != "" {
			t.Fatalf("nothing changed, yet: %+v", s2)
		}
		// A full reconcile: every card that opens doors now.
		var all syncCardsOut
		e.expect("GET", path+"?cards=all&cursor="+s1.Cursor, w.gate.DeviceKey, nil, 200, &all)
		if live, _ := all.numbers(); live != "1001 1004 " || !all.CardsComplete {
			t.Fatalf("full list: %+v", all)
		}
		// Another community's gate knows none of them.
		var b syncCardsOut
		e.expect("GET", fmt.Sprintf("/api/v1/gates/%d/sync", w.gateB.ID), w.gateB.DeviceKey, nil, 200, &b)
		if len(b.Cards) != 0 {
			t.Fatalf("community B's gate: %+v", b)
		}
	})
}

func TestCardSwipesAreLoggedOnceWithTheResident(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/cards", w.host.ID), w.mgr, map[string]any{"number": "1001"}, 201, nil)
		e.clock.Advance(10 * time.Minute)
		at := func(d time.Duration) string { return e.clock.Now().Add(d).Format(time.RFC3339) }
		path := fmt.Sprintf("/api/v1/gates/%d/events", w.gate.ID)
		batch := map[string]any{"events": []map[string]any{
			{"event_id": "uhppote-405419896-1", "method": "card", "card": "1001", "direction": "in", "occurred_at": at(-5 * time.Minute), "decision": "grant"},
			{"event_id": "uhppote-405419896-2", "method": "card", "card": "9999", "direction": "in", "occurred_at": at(-4 * time.Minute), "decision": "deny"},
			{"event_id": "uhppote-405419896-3", "method": "card", "card": "", "direction": "in", "occurred_at": at(-3 * time.Minute), "decision": "deny"},
			{"event_id": "uhppote-405419896-4", "method": "card", "card": "1001", "code": "GH2x", "direction": "in", "occurred_at": at(-3 * time.Minute), "decision": "deny"},
			{"event_id": "uhppote-405419896-5", "method": "face", "code": "x", "direction": "in", "occurred_at": at(-3 * time.Minute), "decision": "deny"},
		}}
		var first eventsOut
		e.expect("POST", path, w.gate.DeviceKey, batch, 200, &first)
		if fmt.Sprint(first.Recorded) != "[uhppote-405419896-1 uhppote-405419896-2]" || len(first.Rejected) != 3 {
			t.Fatalf("first upload: %+v", first)
		}
		for i, field := range []string{"card", "code", "method"} {
			if r := first.Rejected[i].Reason; len(r) < len(field) || r[:len(field)] != field {
				t.Errorf("rejection %d: %q, want it to name %s", i, r, field)
			}
		}
		var again eventsOut
		e.expect("POST", path, w.gate.DeviceKey, batch, 200, &again)
		if len(again.Recorded) != 0 || len(again.Duplicates) != 2 {
			t.Fatalf("the same upload again: %+v", again)
		}
		var entries struct {
			Items []struct {
				EventID    string `json:"event_id"`
				Method     string
				Decision   string
				Reason     string
				ResidentID int64  `json:"resident_id"`
				PersonName string `json:"person_name"`
			}
		}
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d", w.A), w.mgr, nil, 200, &entries)
		if len(entries.Items) != 2 {
			t.Fatalf("%d entries, want 2: %+v", len(entries.Items), entries)
		}
		for _, it := range entries.Items {
			switch it.EventID {
			case "uhppote-405419896-1":
				if it.Method != "card" || it.Decision != "grant" || it.Reason != "granted" || it.PersonName != "王芳" {
					t.Errorf("the resident's swipe: %+v", it)
				}
			case "uhppote-405419896-2":
				if it.Method != "card" || it.Decision != "deny" || it.Reason != "unknown_card" || it.PersonName != "" {
					t.Errorf("an unknown card: %+v", it)
				}
			}
		}
		// After a move-out the server judges the card revoked, whatever the board did.
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, nil, 204, nil)
		late := map[string]any{"events": []map[string]any{
			{"event_id": "uhppote-405419896-6", "method": "card", "card": "1001", "direction": "in", "occurred_at": at(time.Minute), "decision": "grant"},
		}}
		e.clock.Advance(2 * time.Minute)
		e.expect("POST", path, w.gate.DeviceKey, late, 200, &first)
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d", w.A), w.mgr, nil, 200, &entries)
		for _, it := range entries.Items {
			if it.EventID == "uhppote-405419896-6" && (it.Reason != "revoked" || it.Decision != "grant") {
				t.Errorf("a swipe after the move-out: %+v", it)
			}
		}
	})
}
