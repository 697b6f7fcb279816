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
