package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
	"gatehouse/internal/supervision"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// set puts the clock at a moment.
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type monthRow struct {
	CommunityID int64   `json:"community_id"`
	CompanyID   int64   `json:"company_id"`
	Score       float64 `json:"score"`
	Grade       string  `json:"grade"`
	Card        *string `json:"card"`
	Capped      bool    `json:"capped"`
	Parts       struct{ Measured, Inspection, Incidents float64 }
	Indicators  []struct {
		Key       string   `json:"key"`
		Value     *float64 `json:"value"`
		Num       int64    `json:"numerator"`
		Den       int64    `json:"denominator"`
		Points    float64  `json:"points"`
		MaxPoints float64  `json:"max_points"`
		Formula   string   `json:"formula"`
	} `json:"indicators"`
}

type monthOut struct {
	Month         string `json:"month"`
	SchemeVersion int    `json:"scheme_version"`
	Published     *struct{ Version int }
	Items         []monthRow `json:"items"`
}

type companyMonthRow struct {
	CompanyID    int64   `json:"company_id"`
	Score        float64 `json:"score"`
	Grade        string  `json:"grade"`
	Card         *string `json:"card"`
	Households   int     `json:"households"`
	LongTermPoor bool    `json:"long_term_poor"`
	PoorMonths   int     `json:"poor_months"`
}

func card(c *string) string {
	if c == nil {
		return "none"
	}
	return *c
}

// district is the district of the done-when test: two companies, four
// communities, and October 2026 of entries, inspections and incidents,
// all made through the API (and gate heartbeats through the store).
type district struct {
	*env
	c            [4]int64
	x, y         int64
	dist, street string
	police, mgr2 string
	gate1, gate2 gateOut  // C1's gate, with an agent, and C2's
	people       []string // every name, ID number, phone and plate of a person used
}

func newDistrict(t *testing.T, e *env) *district {
	d := &district{env: e}
	// May 1: four communities; company Y runs C3 and C4 from now.
	d.at(time.Date(2026, 5, 1, 9, 0, 0, 0, shanghai))
	for i, name := range []string{"翠竹苑", "东门花园", "莲花北村", "景田小区"} {
		d.c[i] = e.community(name)
	}
	e.mustUser("district", gatehouse.RoleDistrict, nil, 0)
	e.mustUser("street", gatehouse.RoleStreet, d.c[:], 0)
	e.mustUser("police", gatehouse.RolePolice, d.c[:], 0)
	e.mustUser("mgr2", gatehouse.RoleManager, []int64{d.c[1]}, 0)
	d.dist, d.street, d.police, d.mgr2 = e.login("district"), e.login("street"), e.login("police"), e.login("mgr2")
	var co struct{ ID int64 }
	e.expect("POST", "/api/v1/companies", d.dist, map[string]any{"name": "鹏城物业", "credit_code": "91440300MA5DC4JL0N", "contact": "0755-8888"}, 201, &co)
	d.x = co.ID
	e.expect("POST", "/api/v1/companies", d.dist, map[string]any{"name": "福田物业", "credit_code": "91350100M000100Y43"}, 201, &co)
	d.y = co.ID
	e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[2]), d.dist, map[string]any{"company_id": d.y, "declared_dwellings": 1, "street": "莲花街道"}, 200, nil)
	e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[3]), d.dist, map[string]any{"company_id": d.y, "declared_dwellings": 3, "street": "莲花街道"}, 200, nil)

	// October 1: company X takes C1 and C2; residents, gates, accounts.
	d.at(time.Date(2026, 10, 1, 9, 0, 0, 0, shanghai))
	e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[0]), d.dist, map[string]any{"company_id": d.x, "declared_dwellings": 4, "street": "园岭街道"}, 200, nil)
	e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[1]), d.dist, map[string]any{"company_id": d.x, "declared_dwellings": 2, "street": "园岭街道"}, 200, nil)
	e.mustUser("mgr1", gatehouse.RoleManager, []int64{d.c[0]}, 0)
	mgr1 := e.login("mgr1")
	var host residentOut
	for i, room := range []string{"101", "102", "201", "202"} { // C1: all 4 declared dwellings lived in
		r := e.resident(mgr1, d.c[0], fmt.Sprintf("住户%d", i), 10+i, "1栋", "1单元", room)
		if i == 0 {
			host = r
		}
		d.people = append(d.people, r.Name, validID(10+i))
	}
	hostC2 := e.resident(d.mgr2, d.c[1], "周杰", 20, "2栋", "1单元", "301") // C2: 1 of 2
	e.resident(e.admin, d.c[2], "李娜", 21, "3栋", "1单元", "101")          // C3: 1 of 1; C4: 0 of 3
	d.people = append(d.people, "周杰", "李娜", validID(20), validID(21), "13800138000")
	var gate1, gate2 gateOut
	e.expect("POST", "/api/v1/gates", mgr1, map[string]any{"community_id": d.c[0], "name": "南门"}, 201, &gate1)
	e.expect("POST", "/api/v1/gates", d.mgr2, map[string]any{"community_id": d.c[1], "name": "北门"}, 201, &gate2)
	d.gate1, d.gate2 = gate1, gate2
	// C1's gate agent reports in every hour of October from its creation.
	e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/status", gate1.ID), gate1.DeviceKey, map[string]any{"interval_seconds": 30, "version": "1.0"}, 200, nil)
	for h := time.Date(2026, 10, 1, 10, 0, 0, 0, shanghai); h.Before(time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)); h = h.Add(time.Hour) {
		if err := e.db.SaveGateStatus(context.Background(), &gatehouse.GateStatus{GateID: gate1.ID, CommunityID: d.c[0], SeenAt: h, Interval: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	e.mustUser("host1", gatehouse.RoleResident, []int64{d.c[0]}, host.ID)
	e.mustUser("guard2", gatehouse.RoleGuard, []int64{d.c[1]}, 0)

	// October 5: two invited guests come and go at C1.
	d.at(time.Date(2026, 10, 5, 10, 0, 0, 0, shanghai))
	hostTok := e.login("host1")
	for i, name := range []string{"张伟", "王强"} {
		var p passOut
		e.expect("POST", "/api/v1/passes", hostTok, map[string]any{"visitor": map[string]any{"name": name, "id_type": "resident_id",
			"id_number": validID(100 + i), "phone": "13912345678", "plate": "粤B12345"}, "valid_until": e.clock.Now().Add(24 * time.Hour).Format(time.RFC3339),
			"max_entries": 2}, 201, &p)
		d.people = append(d.people, name, validID(100+i))
		for _, dir := range []string{"in", "out"} {
			var s scanOut
			e.expect("POST", "/api/v1/scan", gate1.DeviceKey, map[string]any{"code": p.Code, "direction": dir}, 200, &s)
			if s.Decision != "grant" {
				t.Fatalf("scan %s: %+v", dir, s)
			}
		}
	}
	d.people = append(d.people, "13912345678", "粤B12345")
	// October 10: a walk-in at C2 who is never seen leaving.
	d.at(time.Date(2026, 10, 10, 10, 0, 0, 0, shanghai))
	guard2 := e.login("guard2")
	e.expect("POST", "/api/v1/walkins", guard2, map[string]any{"gate_id": gate2.ID, "host_resident_id": hostC2.ID, "purpose": "送快递",
		"visitor": map[string]any{"name": "李强", "id_type": "resident_id", "id_number": validID(150), "plate": "粤B88888"}}, 201, nil)
	d.people = append(d.people, "李强", validID(150), "粤B88888")

	// October 20: inspections and incidents.
	d.at(time.Date(2026, 10, 20, 10, 0, 0, 0, shanghai))
	all := []string{"cameras", "access_control", "guard_trained", "drill", "fire_exits"}
	e.expect("POST", "/api/v1/inspections", d.street, map[string]any{"community_id": d.c[0], "date": "2026-10-15", "inspector": "园岭街道办", "items_met": all}, 201, nil)
	e.expect("POST", "/api/v1/inspections", d.police, map[string]any{"community_id": d.c[1], "date": "2026-10-16", "inspector": "园岭派出所",
		"items_met": []string{"cameras", "access_control"}, "notes": "门卫未培训"}, 201, nil)
	e.expect("POST", "/api/v1/inspections", d.street, map[string]any{"community_id": d.c[2], "date": "2026-10-17", "inspector": "莲花街道办", "items_met": all}, 201, nil)
	e.expect("POST", "/api/v1/incidents", d.police, map[string]any{"community_id": d.c[2], "date": "2026-10-12", "category": "burglary", "case_ref": "福公(刑)字[2026]12号"}, 201, nil)
	e.expect("POST", "/api/v1/incidents", d.police, map[string]any{"community_id": d.c[3], "date": "2026-10-13", "category": "theft", "case_ref": "福公(刑)字[2026]13号"}, 201, nil)

	d.at(time.Date(2026, 11, 27, 17, 0, 0, 0, shanghai))
	return d
}

// at moves the clock and logs everyone in again (sessions last 12 hours).
func (d *district) at(t time.Time) {
	d.clock.set(t)
	d.admin = d.login("admin")
	if d.dist != "" {
		d.dist, d.street, d.police, d.mgr2 = d.login("district"), d.login("street"), d.login("police"), d.login("mgr2")
	}
}

func (d *district) october(t *testing.T, token string) (map[int64]monthRow, monthOut) {
	t.Helper()
	var out monthOut
	d.expect("GET", "/api/v1/supervision/months/2026-10/communities", token, nil, 200, &out)
	rows := map[int64]monthRow{}
	for _, r := range out.Items {
		rows[r.CommunityID] = r
	}
	return rows, out
}

// The done-when test: October's indicators, points and grades of four
// communities and two companies equal the hand calculation written here.
func TestADistrictMonthEqualsAHandCalculation(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := newDistrict(t, e)
		rows, out := d.october(t, d.dist)
		// Default scheme: measured 50 (7 indicators × 10 points), inspection 40, incidents 10.
		// C1: every indicator at its best (2 of 2 guests registered, none overridden, both left, the gate's
		//     agent heard every hour, 4 of 4 dwellings, no hits, no denials): 70/70 → 50; all 5 items → 40;
		//     no incident → 10. 100, excellent, red card.
		// C2: registration 0/1 (a walk-in) → 0; overrides 0/1 → 10; overstays 1/1 (never left) → 0; no gate
		//     agent → 10; dwellings 1/2 → 0; hits, denials none → 10 + 10. 40/70 × 50 = 28.6;
		//     cameras + access control = 20/40 × 40 = 20; 10. 58.6, poor, black card.
		// C3: no entries → 60 of 60 + dwellings 1/1 → 10: 50; 40; a burglary 10 - 5 = 5. 95, capped at pass.
		// C4: no entries, 0/3 dwellings: 60/70 × 50 = 42.9; no inspection 0; a theft 10 - 3 = 7. 49.9, poor.
		want := []struct {
			score         float64
			grade, card   string
			capped        bool
			company       int64
			measured, ins float64
		}{{100, "excellent", "red", false, d.x, 50, 40}, {58.6, "poor", "black", false, d.x, 28.6, 20},
			{95, "pass", "none", true, d.y, 50, 40}, {49.9, "poor", "black", false, d.y, 42.9, 0}}
		if len(out.Items) != 4 || out.SchemeVersion != 0 {
			t.Fatalf("October: %d communities, scheme %d; want 4, the default (0)", len(out.Items), out.SchemeVersion)
		}
		for i, w := range want {
			r := rows[d.c[i]]
			if r.Score != w.score || r.Grade != w.grade || card(r.Card) != w.card || r.Capped != w.capped || r.CompanyID != w.company ||
				r.Parts.Measured != w.measured || r.Parts.Inspection != w.ins {
				t.Errorf("C%d: %+v; want score %v %s %s capped %v company %d, measured %v inspection %v", i+1, r, w.score, w.grade, w.card, w.capped, w.company, w.measured, w.ins)
			}
		}
		figures := map[string][2]int64{}
		for _, ind := range rows[d.c[1]].Indicators {
			figures[ind.Key] = [2]int64{ind.Num, ind.Den}
			if ind.Formula == "" {
				t.Errorf("%s has no formula beside it", ind.Key)
			}
		}
		if figures["registration_coverage"] != [2]int64{0, 1} || figures["unresolved_overstays"] != [2]int64{1, 1} || figures["registry_completeness"] != [2]int64{1, 2} {
			t.Errorf("C2's figures: %v", figures)
		}
		for _, ind := range rows[d.c[0]].Indicators {
			if ind.Key == "gate_offline" && (ind.Num != 0 || ind.Den != 735) {
				t.Errorf("C1's gate: %d of %d hours offline, want 0 of 735 (Oct 1 09:00 to Nov 1 00:00)", ind.Num, ind.Den)
			}
		}
		// Companies: X (C1 4 dwellings, C2 2): (100×4 + 58.6×2)/6 = 86.2, good; Y (C3 1, C4 3):
		// (95 + 49.9×3)/4 = 61.2, pass, but poor May to September (no data, 52.9 each), so 5 of the
		// last 6 months: long-term poor. X ran nothing before October: never poor.
		var cos struct{ Items []companyMonthRow }
		e.expect("GET", "/api/v1/supervision/months/2026-10/companies", d.dist, nil, 200, &cos)
		byID := map[int64]companyMonthRow{}
		for _, c := range cos.Items {
			byID[c.CompanyID] = c
		}
		if x := byID[d.x]; x.Score != 86.2 || x.Grade != "good" || card(x.Card) != "none" || x.Households != 6 || x.LongTermPoor || x.PoorMonths != 0 {
			t.Errorf("company X: %+v", x)
		}
		if y := byID[d.y]; y.Score != 61.2 || y.Grade != "pass" || !y.LongTermPoor || y.PoorMonths != 5 {
			t.Errorf("company Y: %+v", y)
		}
		var sep struct{ Items []companyMonthRow }
		e.expect("GET", "/api/v1/supervision/months/2026-09/companies", d.dist, nil, 200, &sep)
		if len(sep.Items) != 1 || sep.Items[0].CompanyID != d.y || sep.Items[0].Score != 52.9 || sep.Items[0].Grade != "poor" || sep.Items[0].PoorMonths != 5 {
			t.Errorf("September's companies: %+v; want Y alone, 52.9 poor, poor in May to September", sep.Items)
		}

		// A company replaced in November keeps October's score.
		e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[3]), d.dist, map[string]any{"company_id": d.x}, 200, nil)
		if rows, _ := d.october(t, d.dist); rows[d.c[3]].CompanyID != d.y {
			t.Errorf("C4 in October after its company changed in November: company %d, want Y", rows[d.c[3]].CompanyID)
		}

		// The street office sees its communities; a manager its own; others may not.
		e.mustUser("street2", gatehouse.RoleStreet, []int64{d.c[0], d.c[1]}, 0)
		if rows, _ := d.october(t, e.login("street2")); len(rows) != 2 || rows[d.c[0]].Score != 100 {
			t.Errorf("a street office of C1 and C2 sees %v", rows)
		}
		if rows, _ := d.october(t, d.mgr2); len(rows) != 1 || rows[d.c[1]].Score != 58.6 {
			t.Errorf("C2's manager sees %v", rows)
		}
		e.mustUser("guardx", gatehouse.RoleGuard, []int64{d.c[0]}, 0)
		e.expect("GET", "/api/v1/supervision/months/2026-10/communities", e.login("guardx"), nil, 403, nil)
		e.expect("GET", "/api/v1/supervision/months/2026-12/communities", d.dist, nil, 422, nil)
	})
}

// A settled month (its visitors' follow-up time passed) is kept once
// computed, and computed again when something it reads changes: an
// inspection or incident recorded late, an entry uploaded late by a gate
// agent, the community's settings, its company. A gate disabled since
// still counts in the months it served.
func TestASettledMonthIsKeptUntilWhatItReadsChanges(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := newDistrict(t, e)
		ctx := context.Background()
		first, _ := d.october(t, d.dist)
		kept, err := e.db.SupervisionSnapshots(ctx, "2026-10", d.c[:])
		if err != nil || len(kept) != 4 {
			t.Fatalf("October computed on Nov 27: %d communities kept (%v), want 4", len(kept), err)
		}
		// Mark a kept month so that its use shows: the table reads it, not the entry log.
		mark := func(i int) {
			t.Helper()
			var r map[string]any
			if err := jsonUnmarshal(kept[d.c[i]], &r); err != nil {
				t.Fatal(err)
			}
			r["score"] = 12.3
			// As an earlier build would have kept it: its own words for the formulas.
			for _, ind := range r["indicators"].([]any) {
				ind.(map[string]any)["formula"] = "an earlier build's formula"
			}
			b, _ := json.Marshal(r)
			if err := e.db.SaveSupervisionSnapshots(ctx, "2026-10", e.clock.Now(), map[int64][]byte{d.c[i]: b}); err != nil {
				t.Fatal(err)
			}
		}
		score := func(i int) float64 {
			t.Helper()
			rows, _ := d.october(t, d.dist)
			return rows[d.c[i]].Score
		}
		for i := range d.c {
			mark(i)
		}
		if s := score(3); s != 12.3 {
			t.Fatalf("C4 in October after its kept month was marked: %v, want the kept 12.3", s)
		}
		// A kept month is read with this build's formulas.
		rows, _ := d.october(t, d.dist)
		for _, ind := range rows[d.c[3]].Indicators {
			if ind.Formula != supervision.Formulas[ind.Key] || ind.Formula == "" {
				t.Errorf("C4's kept %s is given with the formula %q", ind.Key, ind.Formula)
			}
		}
		d.at(e.clock.Now().Add(time.Minute))
		// An inspection of October recorded in November: C4 is computed again, the others stay kept.
		e.expect("POST", "/api/v1/inspections", d.street, map[string]any{"community_id": d.c[3], "date": "2026-10-25", "inspector": "莲花街道办",
			"items_met": []string{"cameras", "access_control"}}, 201, nil)
		rows, _ = d.october(t, d.dist)
		if r := rows[d.c[3]]; r.Score != 69.9 || r.Parts.Inspection != 20 || r.Grade != "pass" {
			t.Errorf("C4 after a late inspection: %v (inspection %v) %s; want 49.9 + 20 = 69.9, pass", r.Score, r.Parts.Inspection, r.Grade)
		}
		if rows[d.c[2]].Score != 12.3 {
			t.Errorf("C3, unchanged, was computed again: %v", rows[d.c[2]].Score)
		}
		// An incident recorded late: C3 again.
		e.expect("POST", "/api/v1/incidents", d.police, map[string]any{"community_id": d.c[2], "date": "2026-10-28", "category": "theft", "case_ref": "福公(刑)字[2026]99号"}, 201, nil)
		if s := score(2); s != 92 {
			t.Errorf("C3 after a late theft: %v, want 95 - 3 = 92", s)
		}
		// C1's gate agent uploads, in November, an event of October 20 it kept offline.
		path := fmt.Sprintf("/api/v1/gates/%d/events", d.gate1.ID)
		e.expect("POST", path, d.gate1.DeviceKey, map[string]any{"events": []map[string]any{{"event_id": "late-1", "code": "GH1.not-a-code",
			"direction": "in", "occurred_at": time.Date(2026, 10, 20, 8, 0, 0, 0, shanghai).Format(time.RFC3339), "decision": "deny"}}}, 200, nil)
		if s := score(0); s != first[d.c[0]].Score {
			t.Errorf("C1 after a late upload: %v, want computed again (%v)", s, first[d.c[0]].Score)
		}
		// C2's settings change; C1's gate is disabled: October still counts its 735 hours.
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", d.c[1]), e.admin, map[string]any{"onsite_threshold_hours": 48}, 200, nil)
		e.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", d.gate1.ID), e.admin, map[string]any{"disabled": true}, 200, nil)
		mark(0)
		e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[0]), d.dist, map[string]any{"company_id": d.y}, 200, nil)
		rows, _ = d.october(t, d.dist)
		if rows[d.c[1]].Score != first[d.c[1]].Score {
			t.Errorf("C2 after its settings changed: %v, want computed again (%v)", rows[d.c[1]].Score, first[d.c[1]].Score)
		}
		r := rows[d.c[0]]
		if r.Score != 100 || r.CompanyID != d.x {
			t.Errorf("C1 after its company changed in November: %v, company %d; want computed again: 100, still X", r.Score, r.CompanyID)
		}
		for _, ind := range r.Indicators {
			if ind.Key == "gate_offline" && (ind.Num != 0 || ind.Den != 735) {
				t.Errorf("C1's gate, disabled in November: %d of %d hours offline in October, want 0 of 735", ind.Num, ind.Den)
			}
		}
	})
}

// A walk-in's pass scanned again (the visitor went out and came back with
// the printed pass) is still a walk-in, not a registered visit.
func TestAWalkInPassScannedAgainIsAWalkIn(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := newDistrict(t, e)
		d.at(time.Date(2026, 10, 12, 10, 0, 0, 0, shanghai))
		e.mustUser("guard3", gatehouse.RoleGuard, []int64{d.c[1]}, 0)
		var hosts struct{ Items []residentOut }
		e.expect("GET", fmt.Sprintf("/api/v1/residents?community_id=%d", d.c[1]), d.mgr2, nil, 200, &hosts)
		if len(hosts.Items) == 0 {
			t.Fatal("C2 has no resident")
		}
		var w struct{ Pass passOut }
		e.expect("POST", "/api/v1/walkins", e.login("guard3"), map[string]any{"gate_id": d.gate2.ID, "host_resident_id": hosts.Items[0].ID,
			"purpose": "装修", "max_entries": 3, "visitor": map[string]any{"name": "赵六", "id_type": "resident_id", "id_number": validID(160)}}, 201, &w)
		for _, dir := range []string{"out", "in"} {
			d.clock.set(e.clock.Now().Add(time.Hour))
			var sc scanOut
			e.expect("POST", "/api/v1/scan", d.gate2.DeviceKey, map[string]any{"code": w.Pass.Code, "direction": dir}, 200, &sc)
			if sc.Decision != "grant" {
				t.Fatalf("the walk-in's pass scanned %s: %+v", dir, sc)
			}
		}
		d.at(time.Date(2026, 11, 27, 17, 0, 0, 0, shanghai))
		rows, _ := d.october(t, d.dist)
		for _, ind := range rows[d.c[1]].Indicators {
			if ind.Key == "registration_coverage" && (ind.Num != 0 || ind.Den != 3) {
				t.Errorf("C2's registration coverage: %d of %d; want 0 of 3 (two walk-ins and one walk-in's return)", ind.Num, ind.Den)
			}
		}
	})
}

// A new scheme applies from its month on: October keeps the scheme it was
// computed with; a scheme may not reach back before this month.
func TestChangingTheSchemeDoesNotChangeAnEarlierMonth(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := newDistrict(t, e)
		before, _ := d.october(t, d.dist)
		var sc gatehouse.Scheme
		e.expect("GET", "/api/v1/supervision/scheme", d.dist, nil, 200, &sc)
		sc.Weights = gatehouse.Weights{Measured: 20, Inspection: 70, Incidents: 10}
		sc.Grades.Excellent = 95
		sc.EffectiveFrom = "2026-10"
		e.expect("PUT", "/api/v1/supervision/scheme", d.dist, sc, 422, nil)
		e.expect("PUT", "/api/v1/supervision/scheme", d.street, sc, 403, nil)
		sc.EffectiveFrom = ""
		var saved gatehouse.Scheme
		e.expect("PUT", "/api/v1/supervision/scheme", d.dist, sc, 200, &saved)
		if saved.Version != 1 || saved.EffectiveFrom != "2026-11" {
			t.Fatalf("saved scheme: version %d from %s; want 1 from 2026-11", saved.Version, saved.EffectiveFrom)
		}
		after, out := d.october(t, d.dist)
		for id, r := range before {
			if after[id].Score != r.Score || after[id].Grade != r.Grade || out.SchemeVersion != 0 {
				t.Errorf("community %d in October: %v %s (scheme %d) after the change, was %v %s", id, after[id].Score, after[id].Grade, out.SchemeVersion, r.Score, r.Grade)
			}
		}
		var nov monthOut
		e.expect("GET", "/api/v1/supervision/months/2026-11/communities", d.dist, nil, 200, &nov)
		if nov.SchemeVersion != 1 {
			t.Errorf("November is computed with scheme %d, want 1", nov.SchemeVersion)
		}
		for _, r := range nov.Items {
			if r.CommunityID == d.c[0] && r.Parts.Measured > 20 {
				t.Errorf("C1 in November: measured part %v, more than the new weight 20", r.Parts.Measured)
			}
		}
	})
}

// Publishing freezes a month, opens rectification orders for the poor,
// and the public page shows grades and cards with no person in it.
func TestPublishedMonthsAreFrozenPublicAndOpenRectifications(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := newDistrict(t, e)
		e.expect("GET", "/api/v1/public/grades/2026-10", "", nil, 404, nil)
		e.expect("POST", "/api/v1/supervision/months/2026-11/publish", d.dist, map[string]any{}, 422, nil)
		e.expect("POST", "/api/v1/supervision/months/2026-10/publish", d.street, map[string]any{}, 403, nil)
		var pub monthOut
		e.expect("POST", "/api/v1/supervision/months/2026-10/publish", d.dist, map[string]any{}, 200, &pub)
		if pub.Published == nil || pub.Published.Version != 1 {
			t.Fatalf("published: %+v", pub.Published)
		}
		// The public page and its downloads: grades and cards, no person.
		for _, f := range []string{"", "?format=csv", "?format=csv&lang=en", "?format=xlsx"} {
			res := e.do("GET", "/api/v1/public/grades/2026-10"+f, "", nil)
			if res.Status != 200 {
				t.Fatalf("public %s: %d %s", f, res.Status, res.Body)
			}
			for _, p := range append(d.people, "住户0", "园岭派出所", "福公") {
				if strings.Contains(string(res.Body), p) {
					t.Errorf("the public page %s holds %q", f, p)
				}
			}
			if f == "" && (!strings.Contains(string(res.Body), `"grade":"excellent","card":"red"`) || !strings.Contains(string(res.Body), "翠竹苑")) {
				t.Errorf("the public page: %s", res.Body)
			}
			if f == "?format=csv" && !strings.Contains(string(res.Body), "翠竹苑,鹏城物业,园岭街道,优秀,红牌") {
				t.Errorf("the public CSV: %s", res.Body)
			}
		}
		// Frozen: a late incident changes nothing until the month is published again, with a reason.
		e.expect("POST", "/api/v1/incidents", d.police, map[string]any{"community_id": d.c[0], "date": "2026-10-30", "category": "theft", "case_ref": "园公(刑)字[2026]30号"}, 201, nil)
		if rows, out := d.october(t, d.dist); rows[d.c[0]].Score != 100 || out.Published == nil {
			t.Errorf("C1 after a late incident in a published month: %v", rows[d.c[0]].Score)
		}
		e.expect("POST", "/api/v1/supervision/months/2026-10/publish", d.dist, map[string]any{}, 409, nil)
		e.expect("POST", "/api/v1/supervision/months/2026-10/publish", d.dist, map[string]any{"republish": true}, 422, nil)
		e.expect("POST", "/api/v1/supervision/months/2026-10/publish", d.dist, map[string]any{"republish": true, "reason": "派出所补录案件"}, 200, &pub)
		if rows, out := d.october(t, d.dist); rows[d.c[0]].Score != 97 || out.Published == nil || out.Published.Version != 2 {
			t.Errorf("C1 after republication: %v (version %+v), want 97, version 2", rows[d.c[0]].Score, out.Published)
		}
		if n := e.auditCount(gatehouse.AuditPublish); n != 2 {
			t.Errorf("%d publication audit events, want 2", n)
		}
		// Orders: one per poor community (C2, C4), 30 days; C2's manager answers, the street office closes.
		type order struct {
			ID          int64
			CommunityID int64 `json:"community_id"`
			Status      string
			Overdue     bool
			Deadline    time.Time
		}
		var orders struct{ Items []order }
		e.expect("GET", "/api/v1/rectifications", d.dist, nil, 200, &orders)
		if len(orders.Items) != 2 || !orders.Items[0].Deadline.Equal(e.clock.Now().AddDate(0, 0, 30)) {
			t.Fatalf("orders after publishing: %+v", orders.Items)
		}
		var c2 order
		for _, o := range orders.Items {
			if o.CommunityID == d.c[1] {
				c2 = o
			}
		}
		path := fmt.Sprintf("/api/v1/rectifications/%d", c2.ID)
		e.expect("PATCH", path, d.mgr2, map[string]any{"status": "closed"}, 422, nil)
		e.expect("PATCH", path, d.mgr2, map[string]any{"status": "answered", "answer": "门卫已完成培训"}, 200, nil)
		e.expect("PATCH", path, d.street, map[string]any{"status": "closed", "note": "复查合格"}, 200, nil)
		e.expect("PATCH", path, d.street, map[string]any{"status": "escalated"}, 409, nil)
		var mine struct{ Items []order }
		e.expect("GET", "/api/v1/rectifications", d.mgr2, nil, 200, &mine)
		if len(mine.Items) != 1 || mine.Items[0].Status != "closed" {
			t.Errorf("C2's manager's orders: %+v", mine.Items)
		}
		d.at(e.clock.Now().Add(31 * 24 * time.Hour))
		var overdue struct{ Items []order }
		e.expect("GET", "/api/v1/rectifications?overdue=true", d.dist, nil, 200, &overdue)
		if len(overdue.Items) != 1 || overdue.Items[0].CommunityID != d.c[3] || !overdue.Items[0].Overdue {
			t.Errorf("overdue orders: %+v; want C4's alone", overdue.Items)
		}
	})
}

func TestCompaniesAndSupervisionInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := newDistrict(t, e)
		check := func(body map[string]any, field string) {
			t.Helper()
			res := e.expect("POST", "/api/v1/companies", d.dist, body, 422, nil)
			if _, _, f := res.Err(); f[field] == "" {
				t.Errorf("%v: %v, want a problem with %s", body, f, field)
			}
		}
		check(map[string]any{"name": "甲物业", "credit_code": "91440300MA5DC4JL0X"}, "credit_code") // wrong check character
		check(map[string]any{"name": "甲物业", "credit_code": "9144030OMA5DC4JL0N"}, "credit_code") // an O
		check(map[string]any{"name": "", "credit_code": "91110000600037341L"}, "name")
		e.expect("POST", "/api/v1/companies", d.dist, map[string]any{"name": "乙物业", "credit_code": "91440300MA5DC4JL0N"}, 409, nil)
		e.expect("POST", "/api/v1/companies", d.street, map[string]any{"name": "乙物业", "credit_code": "91110000600037341L"}, 403, nil)
		e.expect("POST", "/api/v1/inspections", d.police, map[string]any{"community_id": d.c[0], "date": "2026-12-01", "inspector": "x",
			"items_met": []string{"flying"}}, 422, nil)
		e.expect("POST", "/api/v1/incidents", d.street, map[string]any{"community_id": d.c[0], "date": "2026-11-01", "category": "theft", "case_ref": "x"}, 403, nil)
		e.expect("POST", "/api/v1/incidents", d.police, map[string]any{"community_id": d.c[0], "date": "2026-11-01", "category": "arson", "case_ref": "x"}, 422, nil)
		e.mustUser("street3", gatehouse.RoleStreet, []int64{d.c[3]}, 0)
		e.expect("POST", "/api/v1/inspections", e.login("street3"), map[string]any{"community_id": d.c[0], "date": "2026-11-01", "inspector": "x"}, 404, nil)
		// A photo is kept with its inspection and read back.
		png := "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
		var in struct{ Photos []string }
		e.expect("POST", "/api/v1/inspections", d.street, map[string]any{"community_id": d.c[0], "date": "2026-11-20", "inspector": "园岭街道办",
			"items_met": []string{"cameras"}, "photos": []string{png}}, 201, &in)
		if len(in.Photos) != 1 {
			t.Fatalf("photos: %v", in.Photos)
		}
		if res := e.do("GET", in.Photos[0], d.dist, nil); res.Status != 200 || !strings.HasPrefix(string(res.Body), "\x89PNG") {
			t.Errorf("photo: %d", res.Status)
		}
		e.expect("POST", "/api/v1/inspections", d.street, map[string]any{"community_id": d.c[0], "date": "2026-11-20", "inspector": "x",
			"photos": []string{"data:image/png;base64,aGVsbG8="}}, 422, nil)
		// The scorecard: 12 months, the inspections with it.
		var sc struct {
			Months      []monthRow
			Inspections []struct{ Date string }
		}
		e.expect("GET", fmt.Sprintf("/api/v1/communities/%d/scorecards", d.c[0]), d.street, nil, 200, &sc)
		if len(sc.Months) != 12 || sc.Months[10].Score != 100 || len(sc.Inspections) != 2 {
			t.Errorf("C1's scorecard: %d months, October %v, %d inspections", len(sc.Months), sc.Months[10].Score, len(sc.Inspections))
		}
		// The district lists every community (to say which company runs it), a street office its own.
		var coms struct {
			Items []struct {
				ID         int64
				WebhookURL *string `json:"webhook_url"`
			}
		}
		e.expect("GET", "/api/v1/communities", d.dist, nil, 200, &coms)
		if len(coms.Items) != len(d.c) {
			t.Errorf("the district lists %d communities, want all %d", len(coms.Items), len(d.c))
		}
		for _, c := range coms.Items {
			if c.WebhookURL != nil {
				t.Errorf("the district sees community %d's webhook", c.ID)
			}
		}
		e.expect("GET", "/api/v1/communities", e.login("street3"), nil, 200, &coms)
		if len(coms.Items) != 1 || coms.Items[0].ID != d.c[3] {
			t.Errorf("street3 lists %+v, want only C4", coms.Items)
		}
		// District and street accounts through the users API.
		e.expect("POST", "/api/v1/users", e.admin, map[string]any{"username": "district2", "password": "Zq7!district-pass", "role": "district"}, 201, nil)
		e.expect("POST", "/api/v1/users", e.admin, map[string]any{"username": "street9", "password": "Zq7!street-pass", "role": "street"}, 422, nil)
		e.expect("POST", "/api/v1/users", e.admin, map[string]any{"username": "street9", "password": "Zq7!street-pass", "role": "street", "community_ids": []int64{d.c[0]}}, 201, nil)
	})
}

// Every supervision route's bodies are those api/openapi.yaml documents.
func TestSupervisionBodiesAreTheDocumentedOnes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		d := newDistrict(t, e)
		c := &oapiChecker{t: t, e: e, d: loadOpenAPI(t), covered: map[string]bool{}}
		c.call("GET", "/api/v1/companies", d.dist, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/companies/%d", d.x), d.street, nil, 200)
		c.call("PATCH", fmt.Sprintf("/api/v1/companies/%d", d.x), d.dist, map[string]any{"contact": "0755-1234"}, 200)
		c.call("POST", "/api/v1/companies", d.dist, map[string]any{"name": "丙物业", "credit_code": "91110000600037341L"}, 201)
		c.call("GET", fmt.Sprintf("/api/v1/communities/%d/company", d.c[0]), d.dist, nil, 200)
		c.call("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[0]), d.dist, map[string]any{"company_id": d.x, "declared_dwellings": 4}, 200)
		c.call("GET", "/api/v1/supervision/scheme", d.street, nil, 200)
		c.call("GET", "/api/v1/supervision/months/2026-10/communities", d.dist, nil, 200)
		c.call("GET", "/api/v1/supervision/months/2026-10/companies", d.dist, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/communities/%d/scorecards?months=3", d.c[1]), d.mgr2, nil, 200)
		c.call("POST", "/api/v1/supervision/months/2026-10/publish", d.dist, map[string]any{}, 200)
		c.call("GET", "/api/v1/public/grades/2026-10", "", nil, 200)
		c.call("POST", "/api/v1/inspections", d.police, map[string]any{"community_id": d.c[3], "date": "2026-11-02", "inspector": "福田派出所", "items_met": []string{"drill"}}, 201)
		c.call("POST", "/api/v1/incidents", d.police, map[string]any{"community_id": d.c[3], "date": "2026-11-02", "category": "fraud", "case_ref": "福公(刑)字[2026]40号"}, 201)
		_, o := c.call("POST", "/api/v1/rectifications", d.street, map[string]any{"community_id": d.c[0], "reason": "访客登记率低"}, 201)
		c.call("GET", "/api/v1/rectifications?status=open", d.street, nil, 200)
		c.call("PATCH", fmt.Sprintf("/api/v1/rectifications/%v", o["id"]), d.street, map[string]any{"status": "escalated", "note": "逾期未整改"}, 200)
		var sc gatehouse.Scheme
		e.expect("GET", "/api/v1/supervision/scheme", d.dist, nil, 200, &sc)
		sc.EffectiveFrom = ""
		c.call("PUT", "/api/v1/supervision/scheme", d.dist, sc, 200)
	})
}
