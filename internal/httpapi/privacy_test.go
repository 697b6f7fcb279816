package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// auditCount counts the audit events of one action.
func (e *env) auditCount(action string) int {
	e.t.Helper()
	evs, _, err := e.db.AuditEvents(context.Background(), gatehouse.AuditFilter{Action: action}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(evs)
}

// A guard who sees 440524********5009 used to loop GET /entries?id_number=
// over the birth dates that fit and find the number; a manager did the same
// with GET /residents?q=. Exact search by ID number is a disclosure.
func TestExactSearchByIDNumberIsForAdminAndPoliceOnlyAndAudited(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(nil)
		w.scan(w.gate.DeviceKey, p.Code, "in")
		e.mustUser("police", gatehouse.RolePolice, []int64{w.A}, 0)
		police := e.login("police")
		q := url.QueryEscape(w.visitorIDNum)
		for who, tok := range map[string]string{"guard": w.guard, "manager": w.mgr, "resident": w.hostTok} {
			res := e.do("GET", "/api/v1/entries?id_number="+q, tok, nil)
			if code, _, fields := res.Err(); res.Status != 403 || code != "forbidden" || fields["id_number"] == "" {
				t.Errorf("%s searching entries by ID number: %d %s, want 403 naming id_number", who, res.Status, res.Body)
			}
		}
		for who, tok := range map[string]string{"guard": w.guard, "manager": w.mgr} {
			if res := e.do("GET", "/api/v1/residents?q="+validID(1), tok, nil); res.Status != 403 {
				t.Errorf("%s searching residents by ID number: %d %s, want 403", who, res.Status, res.Body)
			}
		}
		// Other searches still work for them: a name, a phone, a room.
		var rs struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents?q=502", w.mgr, nil, 200, &rs)
		if len(rs.Items) != 1 {
			t.Fatalf("a room search: %+v", rs.Items)
		}
		if n := e.auditCount(gatehouse.AuditIDSearch); n != 0 {
			t.Fatalf("refused searches wrote %d id.search events", n)
		}
		var found struct{ Items []entryOut }
		e.expect("GET", "/api/v1/entries?id_number="+q, e.admin, nil, 200, &found)
		e.expect("GET", "/api/v1/entries?id_number="+q, police, nil, 200, nil)
		e.expect("GET", "/api/v1/residents?q="+validID(1), e.admin, nil, 200, &rs)
		if len(found.Items) != 1 || len(rs.Items) != 1 {
			t.Fatalf("admin's searches found %d entries and %d residents, want 1 and 1", len(found.Items), len(rs.Items))
		}
		if n := e.auditCount(gatehouse.AuditIDSearch); n != 3 {
			t.Fatalf("%d id.search events for 3 searches", n)
		}
		evs, _, _ := e.db.AuditEvents(context.Background(), gatehouse.AuditFilter{Action: gatehouse.AuditIDSearch}, gatehouse.Page{Limit: 10})
		for _, ev := range evs {
			if strings.Contains(ev.Detail, w.visitorIDNum) || strings.Contains(ev.Target, w.visitorIDNum) {
				t.Fatalf("the audit holds the number searched for: %+v", ev)
			}
		}
	})
}

// Adding a duplicate used to answer 409 for a number already stored: an
// oracle for a masked number the caller can see.
func TestNoAnswerConfirmsAGuessedIDNumber(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		// Another visitor first, so that the one below is not visitor 1.
		e.expect("POST", "/api/v1/passes", e.admin, map[string]any{"community_id": w.A, "host_resident_id": w.host.ID,
			"visitor":     map[string]any{"name": "刘洋", "id_type": "passport", "id_number": "E12345678"},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, 201, nil)
		// A resident with the number of a present resident, elsewhere: stored, nothing said.
		e.resident(w.mgr, w.A, "王小芳", 1, "9栋", "1单元", "101")
		// The same number twice on the watchlist: both stored.
		for range 2 {
			e.expect("POST", "/api/v1/watchlist", w.mgr, map[string]any{"community_id": w.A, "id_number": validID(7), "reason": "盗窃嫌疑"}, 201, nil)
		}
		// An import line with a present resident's number: imported.
		csv := "name,id_type,id_number,phone,building,unit,room\n王芳芳,resident_id," + validID(1) + ",13800138001,8栋,1单元,101\n"
		e.expect("POST", fmt.Sprintf("/api/v1/residents/import?community_id=%d", w.A), w.mgr, csv, 201, nil)
		// A visitor's record id (one per number) would confirm a guess by
		// comparing it with an entry's: shown to admin and police only.
		p := w.invite(nil)
		w.scan(w.gate.DeviceKey, p.Code, "in")
		walkin := map[string]any{"gate_id": w.gate.ID, "host_resident_id": w.host.ID, "purpose": "送快递",
			"visitor": map[string]any{"name": "李强", "id_type": "resident_id", "id_number": w.visitorIDNum}}
		for who, tok := range map[string]string{"guard": w.guard, "manager": w.mgr, "resident": w.hostTok} {
			for _, path := range []string{"/api/v1/entries", fmt.Sprintf("/api/v1/passes/%d", p.ID), "/api/v1/passes"} {
				if res := e.do("GET", path, tok, nil); res.Status != 200 || strings.Contains(string(res.Body), `"visitor_id"`) ||
					strings.Contains(string(res.Body), `"visitor":{"id"`) {
					t.Errorf("%s GET %s shows a visitor id: %d %s", who, path, res.Status, res.Body)
				}
			}
			if who == "resident" {
				continue
			}
			res := e.do("POST", "/api/v1/walkins", tok, walkin)
			if res.Status != 201 || strings.Contains(string(res.Body), `"visitor":{"id"`) {
				t.Errorf("%s's walk-in shows a visitor id: %d %s", who, res.Status, res.Body)
			}
		}
		var admin struct {
			Visitor struct{ ID int64 } `json:"visitor"`
		}
		e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", p.ID), e.admin, nil, 200, &admin)
		if admin.Visitor.ID < 2 {
			t.Fatalf("admin sees visitor id %d, want the second visitor's", admin.Visitor.ID)
		}
		// Reports number visitors 1, 2, 3 … for roles that see numbers masked.
		var rep struct {
			FrequentVisitors struct {
				Items []struct {
					VisitorID int64 `json:"visitor_id"`
				}
			} `json:"frequent_visitors"`
		}
		e.clock.Advance(time.Minute)
		path := fmt.Sprintf("/api/v1/reports/population?community_id=%d&min_visits=1", w.A)
		e.expect("GET", path, w.mgr, nil, 200, &rep)
		if len(rep.FrequentVisitors.Items) != 1 || rep.FrequentVisitors.Items[0].VisitorID != 1 {
			t.Fatalf("the manager's report: %+v, want one visitor numbered 1", rep.FrequentVisitors.Items)
		}
		e.expect("GET", path, e.admin, nil, 200, &rep)
		if len(rep.FrequentVisitors.Items) != 1 || rep.FrequentVisitors.Items[0].VisitorID != admin.Visitor.ID {
			t.Fatalf("admin's report: %+v, want visitor %d", rep.FrequentVisitors.Items, admin.Visitor.ID)
		}
	})
}

// DELETE /residents/{id} answered 204, and the moved-out resident's guest
// pass still granted with 98 entries left.
func TestMovingOutRevokesTheResidentsGuestPasses(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		many := w.invite(map[string]any{"max_entries": 100})
		later := w.invite(map[string]any{"valid_from": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})
		if s := w.scan(w.gate.DeviceKey, many.Code, "in"); s.Decision != "grant" {
			t.Fatalf("before the move-out: %+v", s)
		}
		var before struct{ Cursor string }
		e.expect("GET", fmt.Sprintf("/api/v1/gates/%d/sync", w.gate.ID), w.gate.DeviceKey, nil, 200, &before)
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, nil, 204, nil)
		for _, p := range []passOut{many, later} {
			var got passOut
			e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", p.ID), w.mgr, nil, 200, &got)
			if got.Status != gatehouse.PassRevoked {
				t.Errorf("pass %d after its host moved out: %s, want revoked", p.ID, got.Status)
			}
		}
		e.clock.Advance(2 * time.Hour)
		for _, p := range []passOut{many, later} {
			if s := w.scan(w.gate.DeviceKey, p.Code, "in"); s.Decision != "deny" || s.Reason != string(gatehouse.Revoked) {
				t.Errorf("pass %d scanned after its host moved out: %+v, want deny revoked", p.ID, s)
			}
		}
		// Offline gates learn it at their next sync.
		var sync struct {
			Revoked           []int64 `json:"revoked"`
			MovedOutResidents []int64 `json:"moved_out_residents"`
		}
		e.expect("GET", fmt.Sprintf("/api/v1/gates/%d/sync?cursor=%s", w.gate.ID, before.Cursor), w.gate.DeviceKey, nil, 200, &sync)
		if len(sync.Revoked) != 2 || len(sync.MovedOutResidents) != 1 {
			t.Fatalf("sync after the move-out: %+v, want both passes revoked and the resident moved out", sync)
		}
	})
}

// Decide refuses a pass whose host moved out even if it was not revoked
// (defence in depth: a pass read before the move-out).
func TestDecideRefusesAPassWhoseHostMovedOut(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	moved := now.Add(-time.Minute)
	f := gatehouse.ScanFacts{Now: now, Community: &gatehouse.Community{ID: 1, TimeZone: "Asia/Shanghai"}, GateID: 1, Direction: gatehouse.In,
		PassCode: true, Pass: &gatehouse.Pass{CommunityID: 1, ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(time.Hour), MaxEntries: 5,
			Host: &gatehouse.Resident{ID: 3, CommunityID: 1}}}
	if r := gatehouse.Decide(f); r != gatehouse.Granted {
		t.Fatalf("host present: %s", r)
	}
	f.Pass.Host.MovedOutAt = &moved
	if r := gatehouse.Decide(f); r != gatehouse.Revoked {
		t.Fatalf("host moved out: %s, want revoked", r)
	}
	f.Direction = gatehouse.Out
	if r := gatehouse.Decide(f); r != gatehouse.Granted {
		t.Fatalf("a guest of a moved-out host leaving: %s, want granted", r)
	}
}

// A new occupant of 3-2-502 saw the moved-out tenant's name and phone, their
// guest's pass with a working code, and its entries.
func TestANewOccupantSeesNothingOfThePreviousOnes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		old := w.invite(map[string]any{"max_entries": 10, "valid_until": e.clock.Now().Add(72 * time.Hour).Format(time.RFC3339)})
		w.scan(w.gate.DeviceKey, old.Code, "in")
		w.scan(w.gate.DeviceKey, old.Code, "out")
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, nil, 204, nil)
		e.clock.Advance(time.Hour)
		newcomer := e.resident(w.mgr, w.A, "林新", 40, "3栋", "2单元", "502")
		e.mustUser("linxin", gatehouse.RoleResident, []int64{w.A}, newcomer.ID)
		tok := e.login("linxin")

		var rs struct{ Items []residentOut }
		for _, path := range []string{"/api/v1/residents", "/api/v1/residents?include_moved_out=true"} {
			e.expect("GET", path, tok, nil, 200, &rs)
			if len(rs.Items) != 1 || rs.Items[0].ID != newcomer.ID {
				t.Errorf("GET %s as the new occupant: %+v, want only themselves", path, rs.Items)
			}
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/residents/%d", w.host.ID), fmt.Sprintf("/api/v1/passes/%d", old.ID),
			fmt.Sprintf("/api/v1/passes/%d/qr.png", old.ID)} {
			if res := e.do("GET", path, tok, nil); res.Status != 404 {
				t.Errorf("GET %s as the new occupant: %d, want 404", path, res.Status)
			}
		}
		var passes, entries struct{ Items []map[string]any }
		e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
		e.expect("GET", "/api/v1/entries", tok, nil, 200, &entries)
		if len(passes.Items) != 0 || len(entries.Items) != 0 {
			t.Fatalf("the new occupant sees %d passes and %d entries of the previous one", len(passes.Items), len(entries.Items))
		}
		// What the new occupant does is theirs to see.
		body := map[string]any{"visitor": map[string]any{"name": "周敏", "id_type": "resident_id", "id_number": validID(41)},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}
		var mine passOut
		e.expect("POST", "/api/v1/passes", tok, body, 201, &mine)
		w.scan(w.gate.DeviceKey, mine.Code, "in")
		e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
		e.expect("GET", "/api/v1/entries", tok, nil, 200, &entries)
		if len(passes.Items) != 1 || len(entries.Items) != 1 {
			t.Fatalf("the new occupant's own: %d passes and %d entries, want 1 and 1", len(passes.Items), len(entries.Items))
		}
	})
}

// A resident moved by PATCH /residents to another dwelling saw everything
// its previous occupants' guests did there: a change of dwelling is a move
// in, and the mover sees its new household's history from that moment.
func TestAResidentMovedToAnotherDwellingSeesNothingOfItsPreviousOccupants(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		old := w.invite(map[string]any{"max_entries": 10, "valid_until": e.clock.Now().Add(72 * time.Hour).Format(time.RFC3339)})
		w.scan(w.gate.DeviceKey, old.Code, "in")
		w.scan(w.gate.DeviceKey, old.Code, "out")
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, nil, 204, nil)
		// A resident registered long ago in 1-1-101 moves to 3-2-502.
		mover := e.resident(w.mgr, w.A, "林新", 40, "1栋", "1单元", "101")
		e.mustUser("linxin", gatehouse.RoleResident, []int64{w.A}, mover.ID)
		e.clock.Advance(time.Hour)
		e.expect("PATCH", fmt.Sprintf("/api/v1/residents/%d", mover.ID), w.mgr, map[string]any{"phone": "13700137000"}, 200, nil)
		tok := e.login("linxin")
		var passes, entries struct{ Items []map[string]any }
		body := map[string]any{"visitor": map[string]any{"name": "周敏", "id_type": "resident_id", "id_number": validID(41)},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}
		var before passOut
		e.expect("POST", "/api/v1/passes", tok, body, 201, &before)
		e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
		if len(passes.Items) != 1 {
			t.Fatalf("a change of phone is not a move: the resident sees %d of its passes, want 1", len(passes.Items))
		}
		e.clock.Advance(time.Hour)
		e.expect("PATCH", fmt.Sprintf("/api/v1/residents/%d", mover.ID), w.mgr, map[string]any{"building": "3栋", "unit": "2单元", "room": "502"}, 200, nil)
		tok = e.login("linxin")
		e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
		e.expect("GET", "/api/v1/entries", tok, nil, 200, &entries)
		if len(passes.Items) != 0 || len(entries.Items) != 0 {
			t.Fatalf("after moving to 3-2-502 the resident sees %d passes and %d entries of before its move", len(passes.Items), len(entries.Items))
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/passes/%d", old.ID), fmt.Sprintf("/api/v1/residents/%d", w.host.ID)} {
			if res := e.do("GET", path, tok, nil); res.Status != 404 {
				t.Errorf("GET %s after the move: %d, want 404", path, res.Status)
			}
		}
		var mine passOut
		body["valid_until"] = e.clock.Now().Add(time.Hour).Format(time.RFC3339)
		e.expect("POST", "/api/v1/passes", tok, body, 201, &mine)
		w.scan(w.gate.DeviceKey, mine.Code, "in")
		e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
		e.expect("GET", "/api/v1/entries", tok, nil, 200, &entries)
		if len(passes.Items) != 1 || len(entries.Items) != 1 {
			t.Fatalf("after the move, its own: %d passes and %d entries, want 1 and 1", len(passes.Items), len(entries.Items))
		}
	})
}

// GET /police/queries/{id} as admin showed the ID number searched for, with
// no audit record.
func TestPoliceQueryCriteriaAreAuditedWhenShown(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		e.mustUser("police", gatehouse.RolePolice, []int64{w.A}, 0)
		police := e.login("police")
		var q struct{ ID int64 }
		e.expect("POST", "/api/v1/police/queries", police, map[string]any{"case_ref": "罗公(刑)字[2026]77号", "purpose": "盗窃案",
			"community_ids": []int64{w.A}, "from": e.clock.Now().Add(-24 * time.Hour).Format(time.RFC3339),
			"to": e.clock.Now().Add(time.Hour).Format(time.RFC3339), "id_number": w.visitorIDNum}, 201, &q)
		before := e.auditCount(gatehouse.AuditIDRead)
		for _, path := range []string{fmt.Sprintf("/api/v1/police/queries/%d", q.ID), "/api/v1/police/queries"} {
			res := e.expect("GET", path, e.admin, nil, 200, nil)
			if !strings.Contains(string(res.Body), w.visitorIDNum) {
				t.Fatalf("GET %s: the criteria are not shown: %s", path, res.Body)
			}
		}
		if n := e.auditCount(gatehouse.AuditIDRead) - before; n != 2 {
			t.Fatalf("%d id.read events for two answers showing the number", n)
		}
	})
}

type entryOut struct {
	ID       int64  `json:"id"`
	IDNumber string `json:"id_number"`
}
