package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// disclosureActions are the audit actions that record a showing of whole ID
// numbers: a read, a search, or a police query or export.
var disclosureActions = []string{gatehouse.AuditIDRead, gatehouse.AuditIDSearch, gatehouse.AuditPoliceQuery, gatehouse.AuditPoliceExport}

func (e *env) disclosures() int {
	n := 0
	for _, a := range disclosureActions {
		n += e.auditCount(a)
	}
	return n
}

// Every route × every role: no answer holds a whole ID number of a test
// person unless the role may see it (admin, police), and every answer that
// does wrote its audit event first. Routes added later are covered by
// walking the router, not a list kept by hand.
func TestNoRouteShowsAWholeIDNumberToARoleThatMayNotSeeIt(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		e.mustUser("police", gatehouse.RolePolice, []int64{w.A}, 0)
		police := e.login("police")
		p := w.invite(map[string]any{"max_entries": 5})
		w.scan(w.gate.DeviceKey, p.Code, "in")
		e.expect("POST", "/api/v1/walkins", w.guard, map[string]any{"gate_id": w.gate.ID, "host_resident_id": w.host.ID, "purpose": "送快递",
			"visitor": map[string]any{"name": "李强", "id_type": "resident_id", "id_number": validID(150)}}, 201, nil)
		e.expect("POST", "/api/v1/watchlist", w.mgr, map[string]any{"community_id": w.A, "id_number": validID(160), "reason": "盗窃嫌疑"}, 201, nil)
		var q struct{ ID int64 }
		e.expect("POST", "/api/v1/police/queries", police, map[string]any{"case_ref": "罗公(刑)字[2026]9号", "purpose": "盗窃案",
			"community_ids": []int64{w.A}, "from": e.clock.Now().Add(-time.Hour).Format(time.RFC3339),
			"to": e.clock.Now().Add(time.Hour).Format(time.RFC3339), "id_number": w.visitorIDNum}, 201, &q)
		whole := []string{validID(1), w.visitorIDNum, validID(150), validID(160)}
		// The district's supervision roles, with something to read: a company
		// running A, an inspection and an order.
		e.mustUser("district", gatehouse.RoleDistrict, nil, 0)
		e.mustUser("street", gatehouse.RoleStreet, []int64{w.A}, 0)
		district, street := e.login("district"), e.login("street")
		var co struct{ ID int64 }
		e.expect("POST", "/api/v1/companies", district, map[string]any{"name": "鹏城物业", "credit_code": "91440300MA5DC4JL0N"}, 201, &co)
		e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", w.A), district, map[string]any{"company_id": co.ID, "declared_dwellings": 10}, 200, nil)
		var insp struct{ ID int64 }
		e.expect("POST", "/api/v1/inspections", street, map[string]any{"community_id": w.A, "date": e.clock.Now().Format("2006-01-02"), "inspector": "街道办",
			"items_met": []string{"cameras"}, "photos": []string{"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}}, 201, &insp)
		var order struct{ ID int64 }
		e.expect("POST", "/api/v1/rectifications", street, map[string]any{"community_id": w.A, "reason": "门岗登记不全"}, 201, &order)
		// What would name a person: names, phones, plates, and ID numbers whole or masked.
		identities := []string{"王芳", "张伟", "李强", "13800138000", "13912345678", "粤B12345", "粤B88888"}
		for _, n := range whole {
			identities = append(identities, n, n[:6]+"********"+n[14:])
		}

		ids := map[string]string{"/communities/": fmt.Sprint(w.A), "/users/": "2", "/residents/": fmt.Sprint(w.host.ID),
			"/gates/": fmt.Sprint(w.gate.ID), "/passes/": fmt.Sprint(p.ID), "/police/queries/": fmt.Sprint(q.ID), "/watchlist/": "1",
			"/companies/": fmt.Sprint(co.ID), "/inspections/": fmt.Sprint(insp.ID), "/rectifications/": fmt.Sprint(order.ID)}
		roles := []struct {
			name  string
			token string
			whole bool
		}{{"admin", e.admin, true}, {"police", police, true}, {"manager", w.mgr, false}, {"guard", w.guard, false},
			{"resident", w.hostTok, false}, {"gate", w.gate.DeviceKey, false}, {"district", district, false}, {"street", street, false}}
		bodies := map[string]any{
			"POST /api/v1/passes": map[string]any{"community_id": w.A, "host_resident_id": w.host.ID, "valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339),
				"visitor": map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": w.visitorIDNum}},
			"POST /api/v1/walkins": map[string]any{"gate_id": w.gate.ID, "host_resident_id": w.host.ID, "purpose": "送快递",
				"visitor": map[string]any{"name": "李强", "id_type": "resident_id", "id_number": validID(150)}},
			"POST /api/v1/passes/:id/revoke": nil,
		}
		shownWhole, checked, supervised := 0, 0, 0
		for _, r := range e.api.Routes() {
			key := r.Method + " " + r.Path
			if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/live" {
				continue // the live stream never ends; it carries no ID numbers (tested in its own test)
			}
			body, isPost := bodies[key]
			if r.Method != http.MethodGet && !isPost {
				continue // changes that answer with no body of people, or that the tests above cover
			}
			path := r.Path
			for prefix, id := range ids {
				if i := strings.Index(path, prefix+":id"); i >= 0 {
					path = path[:i] + prefix + id + path[i+len(prefix)+3:]
				}
			}
			path = strings.NewReplacer(":month", e.clock.Now().Format("2006-01"), ":n", "1").Replace(path)
			path += fmt.Sprintf("?community_id=%d&from=%s", w.A, e.clock.Now().Add(-24*time.Hour).Format("2006-01-02"))
			for _, role := range roles {
				before := e.disclosures()
				res := e.do(r.Method, path, role.token, body)
				checked++
				if (role.name == "district" || role.name == "street") && res.Status == 200 {
					supervised++
				}
				if role.name == "district" || role.name == "street" {
					for _, n := range identities {
						if strings.Contains(string(res.Body), n) {
							t.Errorf("%s as %s (%d) names a person (%s): %.300s", key, role.name, res.Status, n, res.Body)
						}
					}
				}
				var found []string
				for _, n := range whole {
					if strings.Contains(string(res.Body), n) {
						found = append(found, n)
					}
				}
				if len(found) == 0 {
					continue
				}
				if !role.whole {
					t.Errorf("%s as %s (%d) shows whole ID numbers %v: %.300s", key, role.name, res.Status, found, res.Body)
					continue
				}
				shownWhole++
				if e.disclosures() == before {
					t.Errorf("%s as %s shows whole ID numbers %v and wrote no audit event", key, role.name, found)
				}
			}
		}
		if supervised < 18 {
			t.Errorf("the district and street roles read only %d routes: is the walk reaching the supervision's?", supervised)
		}
		if checked < 100 || shownWhole < 8 {
			t.Fatalf("only %d requests checked, %d showing whole numbers: is the walk still reaching the routes?", checked, shownWhole)
		}
	})
}
