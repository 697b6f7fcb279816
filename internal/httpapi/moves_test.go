package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// A resident's open /live stream kept its old household after a move: the
// guest of 3-2-502's new occupant reached the stream of the resident moved
// to 601, name, plate and host.
func TestAMovedResidentsLiveStreamEndsAndCarriesNothingOfTheOldDwelling(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		srv := httptest.NewServer(e.api)
		t.Cleanup(srv.Close)
		stream := openLive(t, srv, w.hostTok, w.A, 200)
		e.clock.Advance(time.Minute)
		e.expect("PATCH", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, map[string]any{"room": "601"}, 200, nil)
		newcomer := e.resident(w.mgr, w.A, "林新", 40, "3栋", "2单元", "502")
		e.mustUser("linxin", gatehouse.RoleResident, []int64{w.A}, newcomer.ID)
		tok := e.login("linxin")
		var p passOut
		e.expect("POST", "/api/v1/passes", tok, map[string]any{
			"visitor":     map[string]any{"name": "周敏", "id_type": "resident_id", "id_number": validID(41), "plate": "粤B54321"},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, 201, &p)
		w.scan(w.gate.DeviceKey, p.Code, "in")
		ended, body := stream.rest(3 * time.Second)
		if strings.Contains(body, "周敏") || strings.Contains(body, "粤B54321") || strings.Contains(body, "502") {
			t.Errorf("the moved resident's stream carried the new occupant's guest: %q", body)
		}
		if !ended {
			t.Errorf("the moved resident's stream is still open after the move: %q", body)
		}
		// Reconnected, the stream is the resident's new household's.
		again := openLive(t, srv, w.hostTok, w.A, 200)
		var q passOut
		e.expect("POST", "/api/v1/passes", w.hostTok, map[string]any{
			"visitor":     map[string]any{"name": "郑洁", "id_type": "resident_id", "id_number": validID(42)},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, 201, &q)
		w.scan(w.gate.DeviceKey, q.Code, "in")
		if ended, body := again.rest(time.Second); ended || !strings.Contains(body, "郑洁") {
			t.Errorf("the resident's new stream: ended %v, carried %q; want open with its own guest", ended, body)
		}
	})
}

// After 王芳 moved from 502 into 601, 赵六 of 601 saw the pass she issued in
// 502 (with a working code and QR) and its entry: a household view showed a
// member's history from before the member came to the dwelling.
func TestAMoversHistoryFromBeforeTheMoveIsNotShownToItsNewHousehold(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		zhao := e.resident(w.mgr, w.A, "赵六", 50, "3栋", "2单元", "601")
		e.mustUser("zhaoliu", gatehouse.RoleResident, []int64{w.A}, zhao.ID)
		zhaoTok := e.login("zhaoliu")
		e.clock.Advance(time.Hour)
		old := w.invite(map[string]any{"max_entries": 10})
		w.scan(w.gate.DeviceKey, old.Code, "in")
		e.clock.Advance(time.Hour)
		e.expect("PATCH", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, map[string]any{"room": "601"}, 200, nil)
		moverTok := e.login("wangfang")
		for who, tok := range map[string]string{"赵六": zhaoTok, "王芳 (the mover)": moverTok} {
			var passes, entries struct{ Items []map[string]any }
			e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
			e.expect("GET", "/api/v1/entries", tok, nil, 200, &entries)
			if len(passes.Items) != 0 || len(entries.Items) != 0 {
				t.Errorf("%s in 601 sees %d passes and %d entries from before 王芳 moved in: %+v %+v", who, len(passes.Items), len(entries.Items), passes.Items, entries.Items)
			}
			for _, path := range []string{fmt.Sprintf("/api/v1/passes/%d", old.ID), fmt.Sprintf("/api/v1/passes/%d/qr.png", old.ID)} {
				if res := e.do("GET", path, tok, nil); res.Status != 404 {
					t.Errorf("GET %s as %s: %d, want 404", path, who, res.Status)
				}
			}
		}
		// What 王芳 does in 601 is the household's to see.
		var mine passOut
		e.expect("POST", "/api/v1/passes", moverTok, map[string]any{
			"visitor":     map[string]any{"name": "周敏", "id_type": "resident_id", "id_number": validID(41)},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, 201, &mine)
		w.scan(w.gate.DeviceKey, mine.Code, "in")
		for who, tok := range map[string]string{"赵六": zhaoTok, "王芳 (the mover)": moverTok} {
			var passes, entries struct{ Items []map[string]any }
			e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
			e.expect("GET", "/api/v1/entries", tok, nil, 200, &entries)
			if len(passes.Items) != 1 || len(entries.Items) != 1 {
				t.Errorf("%s sees %d passes and %d entries of 王芳's guest in 601, want 1 and 1", who, len(passes.Items), len(entries.Items))
			}
			e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", mine.ID), tok, nil, 200, nil)
		}
	})
}

// The guest card of a pass made before its host moved showed the host's new
// dwelling: a guest asked to 502 was shown 601.
func TestTheGuestCardOfAPassFromBeforeTheHostMovedShowsNoDwelling(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		old := w.invite(map[string]any{"max_entries": 5})
		e.clock.Advance(time.Hour)
		e.expect("PATCH", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, map[string]any{"room": "601"}, 200, nil)
		type card struct {
			Building, Unit, Room string
			HostMoved            bool `json:"host_moved"`
		}
		var got card
		res := e.expect("POST", "/api/v1/guest/card", "", map[string]any{"code": old.Code}, 200, &got)
		if got != (card{HostMoved: true}) || strings.Contains(string(res.Body), "601") {
			t.Errorf("the card of a pass from before the host moved: %s; want no dwelling and host_moved", res.Body)
		}
		tok := e.login("wangfang")
		var fresh passOut
		e.expect("POST", "/api/v1/passes", tok, map[string]any{
			"visitor":     map[string]any{"name": "周敏", "id_type": "resident_id", "id_number": validID(41)},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, 201, &fresh)
		e.expect("POST", "/api/v1/guest/card", "", map[string]any{"code": fresh.Code}, 200, &got)
		if got != (card{Building: "3栋", Unit: "2单元", Room: "601"}) {
			t.Errorf("the card of a pass made after the move: %+v, want 3栋 2单元 601", got)
		}
	})
}
