package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// The guest link's page reads its card with no log-in, by the code in the
// body; the card names the dwelling and never the host or a number. A scan
// of a pass that has not started says when it starts.
func TestTheGuestCardIsPublicByCodeAndAScanSaysWhenAPassStarts(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		A := e.community("翠竹苑")
		e.mustUser("mgr", gatehouse.RoleManager, []int64{A}, 0)
		mgr := e.login("mgr")
		host := e.resident(mgr, A, "王芳", 1, "3栋", "2单元", "502")
		var gate struct {
			ID        int64  `json:"id"`
			DeviceKey string `json:"device_key"`
		}
		e.expect("POST", "/api/v1/gates", mgr, map[string]any{"community_id": A, "name": "南门"}, 201, &gate)
		now := e.clock.Now()
		var pass struct {
			ID   int64
			Code string
		}
		e.expect("POST", "/api/v1/passes", mgr, map[string]any{"community_id": A, "host_resident_id": host.ID,
			"visitor":    map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": validID(100), "phone": "13912345678"},
			"valid_from": now.Add(2 * time.Hour).Format(time.RFC3339), "valid_until": now.Add(5 * time.Hour).Format(time.RFC3339)}, 201, &pass)

		var card map[string]any
		res := e.expect("POST", "/api/v1/guest/card", "", map[string]any{"code": pass.Code}, 200, &card)
		if card["status"] != "pending" || card["usable"] != true || card["community"] != "翠竹苑" || card["room"] != "502" || card["guest_name"] != "张伟" {
			t.Errorf("the card: %s", res.Body)
		}
		for _, secret := range []string{"王芳", "13912345678", "13800138000", validID(100)[:6]} {
			if strings.Contains(string(res.Body), secret) {
				t.Errorf("the card reveals %q: %s", secret, res.Body)
			}
		}
		e.expect("POST", "/api/v1/guest/card", "", map[string]any{"code": "GH1nonsense-code"}, 404, nil)
		e.expect("POST", "/api/v1/guest/card", "", map[string]any{}, 422, nil)

		var d struct {
			Reason    string     `json:"reason"`
			ValidFrom *time.Time `json:"valid_from"`
		}
		e.expect("POST", "/api/v1/scan", gate.DeviceKey, map[string]any{"code": pass.Code, "direction": "in"}, 200, &d)
		if d.Reason != "not_yet_valid" || d.ValidFrom == nil || !d.ValidFrom.Equal(now.Add(2*time.Hour).Truncate(time.Second)) {
			t.Errorf("the scan of a pass not started: %s, valid_from %v", d.Reason, d.ValidFrom)
		}
		e.expect("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", pass.ID), mgr, nil, 200, nil)
		e.expect("POST", "/api/v1/guest/card", "", map[string]any{"code": pass.Code}, 200, &card)
		if card["status"] != "revoked" || card["usable"] != false {
			t.Errorf("the revoked pass's card: %v", card)
		}
	})
}

// An override of a visitor without a pass answers, as a scan does, the
// visitor and the host's dwelling, for the guard's decision screen.
func TestAnOverrideOfAVisitorNamesTheVisitorAndTheHost(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		A := e.community("翠竹苑")
		e.mustUser("mgr", gatehouse.RoleManager, []int64{A}, 0)
		mgr := e.login("mgr")
		host := e.resident(mgr, A, "王芳", 1, "3栋", "2单元", "502")
		var gate struct{ ID int64 }
		e.expect("POST", "/api/v1/gates", mgr, map[string]any{"community_id": A, "name": "南门"}, 201, &gate)
		var d struct {
			Visitor *struct{ Name, Plate string }
			Host    *struct{ Room string }
		}
		e.expect("POST", "/api/v1/entries/manual", mgr, map[string]any{"gate_id": gate.ID, "direction": "in", "reason": "业主电话确认",
			"host_resident_id": host.ID, "visitor": map[string]any{"name": "周杰", "id_type": "resident_id", "id_number": validID(23), "plate": "粤B12345"}}, 201, &d)
		if d.Visitor == nil || d.Visitor.Name != "周杰" || d.Visitor.Plate != "粤B12345" || d.Host == nil || d.Host.Room != "502" {
			t.Errorf("the override's answer: visitor %+v, host %+v", d.Visitor, d.Host)
		}
	})
}
