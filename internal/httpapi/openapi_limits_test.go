package httpapi_test

import (
	"fmt"
	"slices"
	"testing"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
)

// refusedEmpty lists, per request schema, the strings the server refuses
// when empty: the document must say minLength 1 for each.
var refusedEmpty = map[string][]string{
	"CommunityCreate":    {"name"},
	"CommunityPatch":     {"name"},
	"ResidentCreate":     {"name", "id_number", "phone", "building", "unit", "room"},
	"ResidentPatch":      {"name", "id_number", "phone", "building", "unit", "room"},
	"GateCreate":         {"name"},
	"GatePatch":          {"name"},
	"VisitorInput":       {"name", "id_number"},
	"ScanRequest":        {"code"},
	"OfflineEvent":       {"event_id", "code"},
	"OverrideRequest":    {"reason"},
	"WatchlistCreate":    {"id_number", "reason"},
	"PoliceQueryRequest": {"case_ref", "purpose"},
}

func TestOpenAPIStatesTheServersLimits(t *testing.T) {
	d := loadOpenAPI(t)
	schema := func(name string) map[string]any {
		t.Helper()
		s := d.deref(map[string]any{"$ref": "#/components/schemas/" + name})
		if s == nil {
			t.Fatalf("no schema %s", name)
		}
		return s
	}
	prop := func(s, p string) map[string]any {
		t.Helper()
		props, _ := schema(s)["properties"].(map[string]any)
		m := d.deref(props[p])
		if m == nil {
			t.Fatalf("%s has no property %s", s, p)
		}
		return m
	}
	for _, s := range []string{"PassCreate", "WalkInRequest"} {
		if got := fmt.Sprint(prop(s, "max_entries")["maximum"]); got != fmt.Sprint(gatehouse.MaxEntriesLimit) {
			t.Errorf("%s.max_entries: maximum %s, the server's is %d", s, got, gatehouse.MaxEntriesLimit)
		}
	}
	if got := fmt.Sprint(prop("EventsUpload", "events")["maxItems"]); got != fmt.Sprint(access.MaxOfflineBatch) {
		t.Errorf("EventsUpload.events: maxItems %s, the server's is %d", got, access.MaxOfflineBatch)
	}
	if req, _ := schema("EventsUpload")["required"].([]any); !slices.Contains(req, any("events")) {
		t.Errorf("EventsUpload: events is not required")
	}
	for s, props := range refusedEmpty {
		for _, p := range props {
			if n, _ := prop(s, p)["minLength"].(int); n < 1 {
				t.Errorf("%s.%s: the server refuses an empty string; the document says minLength %v", s, p, prop(s, p)["minLength"])
			}
		}
	}
}

// The list above is the server's behaviour, not a wish.
func TestEmptyStringsAreRefusedWhereTheDocumentSaysMinLength1(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		resident := map[string]any{"community_id": w.A, "name": "王五", "id_type": "resident_id", "id_number": validID(9),
			"phone": "13800138000", "building": "3栋", "unit": "2单元", "room": "501"}
		for _, f := range refusedEmpty["ResidentCreate"] {
			body := map[string]any{}
			for k, v := range resident {
				body[k] = v
			}
			body[f] = ""
			if res := e.do("POST", "/api/v1/residents", w.mgr, body); res.Status != 422 {
				t.Errorf("resident with an empty %s: %d %s", f, res.Status, res.Body)
			}
			if res := e.do("PATCH", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, map[string]any{f: ""}); res.Status != 422 {
				t.Errorf("resident patched with an empty %s: %d %s", f, res.Status, res.Body)
			}
		}
		for _, tc := range []struct {
			method, path, token string
			body                map[string]any
		}{
			{"POST", "/api/v1/communities", e.admin, map[string]any{"name": ""}},
			{"PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), e.admin, map[string]any{"name": ""}},
			{"POST", "/api/v1/gates", w.mgr, map[string]any{"community_id": w.A, "name": ""}},
			{"PATCH", fmt.Sprintf("/api/v1/gates/%d", w.gate.ID), w.mgr, map[string]any{"name": ""}},
			{"POST", "/api/v1/scan", w.gate.DeviceKey, map[string]any{"code": "", "direction": "in"}},
			{"POST", "/api/v1/entries/manual", w.guard, map[string]any{"gate_id": w.gate.ID, "direction": "in", "reason": "", "resident_id": w.host.ID}},
			{"POST", "/api/v1/watchlist", w.mgr, map[string]any{"community_id": w.A, "id_number": validID(5), "reason": ""}},
			{"POST", "/api/v1/watchlist", w.mgr, map[string]any{"community_id": w.A, "id_number": "", "reason": "x"}},
		} {
			if res := e.do(tc.method, tc.path, tc.token, tc.body); res.Status != 422 {
				t.Errorf("%s %s %v: %d %s", tc.method, tc.path, tc.body, res.Status, res.Body)
			}
		}
	})
}
