package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/internal/gatehouse"
)

// reportWorld is a small community with hand-countable traffic over two
// local days in Shanghai (see the comments for each scan).
type reportWorld struct {
	*world
	v1, v2, v3 passOut
	police     string
}

func at(e *env, local string) {
	t, err := time.Parse(time.RFC3339, local)
	if err != nil {
		panic(err)
	}
	e.clock.Advance(t.Sub(e.clock.Now()))
}

func newReportWorld(t *testing.T, e *env) *reportWorld {
	t.Helper()
	w := &reportWorld{world: newWorld(t, e)}
	e.resident(w.mgr, w.A, "刘备", 20, "5栋", "1单元", "101")
	at(e, "2026-11-26T08:00:00+08:00")
	until := e.clock.Now().Add(3 * 24 * time.Hour).Format(time.RFC3339)
	w.v1 = w.invite(map[string]any{"max_entries": 10, "valid_until": until})
	w.v2 = w.invite(map[string]any{"valid_until": until, "visitor": map[string]any{"name": "李娜", "id_type": "passport", "id_number": "G87654321"}})
	w.v3 = w.invite(map[string]any{"max_entries": 5, "valid_until": until, "visitor": map[string]any{"name": "王五", "id_type": "resident_id", "id_number": validID(600)}})
	scan := func(local, key, code, dir, want string) {
		at(e, local)
		if s := w.scan(key, code, dir); s.Reason != want {
			t.Fatalf("%s %s: %s, want %s", local, dir, s.Reason, want)
		}
	}
	scan("2026-11-26T09:00:00+08:00", w.gate.DeviceKey, w.v3.Code, "in", "granted") // V3 in, never leaves
	scan("2026-11-26T10:00:00+08:00", w.gate.DeviceKey, w.v1.Code, "in", "granted") // V1's first visit
	scan("2026-11-26T12:00:00+08:00", w.gate.DeviceKey, w.v1.Code, "out", "granted")
	scan("2026-11-26T23:30:00+08:00", w.gate.DeviceKey, w.v1.Code, "in", "granted")  // before midnight ...
	scan("2026-11-27T00:30:00+08:00", w.gate.DeviceKey, w.v1.Code, "out", "granted") // ... and out after
	scan("2026-11-27T09:15:00+08:00", w.gate2.DeviceKey, w.v2.Code, "in", "granted")
	scan("2026-11-27T09:20:00+08:00", w.gate2.DeviceKey, w.v2.Code, "in", "exhausted")
	scan("2026-11-27T10:00:00+08:00", w.gate.DeviceKey, "not a code", "in", "invalid_code")
	at(e, "2026-11-27T12:00:00+08:00")
	e.mustUser("police-a", gatehouse.RolePolice, []int64{w.A}, 0)
	w.police = e.login("police-a")
	w.mgr = e.login("mgr")
	return w
}

type reportOut struct {
	Residents struct {
		Total      int
		ByBuilding []struct {
			Building  string
			Residents int
		} `json:"by_building"`
	}
	RegisteredVisitors struct{ Passes, Visitors int } `json:"registered_visitors"`
	Visits             struct {
		Total          int
		UniqueVisitors int `json:"unique_visitors"`
		ByDay          []struct {
			Date           string
			Visits         int
			UniqueVisitors int `json:"unique_visitors"`
		} `json:"by_day"`
		ByHour []struct{ Hour, Visits int } `json:"by_hour"`
	}
	Entries struct {
		Total, Granted, Denied int
		ByGate                 []struct {
			GateID          int64 `json:"gate_id"`
			Granted, Denied int
		} `json:"by_gate"`
		ByReason []struct {
			Reason string
			Count  int
		} `json:"by_reason"`
	}
	FrequentVisitors struct {
		Items []struct {
			Name     string
			IDNumber string `json:"id_number"`
			Visits   int
			Hosts    []struct{ Room string }
		}
	} `json:"frequent_visitors"`
	LongStays struct {
		Items []struct {
			Name   string
			Hours  float64
			OnSite bool `json:"on_site"`
			Host   *struct{ Room string }
		}
	} `json:"long_stays"`
}

const reportQuery = "/api/v1/reports/population?community_id=%d&from=2026-11-26&to=2026-11-28&min_visits=2&threshold_hours=24"

// checkReport compares a report with the figures worked out by hand.
func checkReport(t *testing.T, w *reportWorld, r reportOut, names bool, stayHours float64) {
	t.Helper()
	want := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	want("residents", r.Residents.Total, 2)
	want("residents by building", fmt.Sprint(r.Residents.ByBuilding), "[{3栋 1} {5栋 1}]")
	want("passes issued", r.RegisteredVisitors.Passes, 3)
	want("registered visitors", r.RegisteredVisitors.Visitors, 3)
	want("visits", r.Visits.Total, 4)
	want("unique visitors", r.Visits.UniqueVisitors, 3)
	want("by day", fmt.Sprint(r.Visits.ByDay), "[{2026-11-26 3 2} {2026-11-27 1 1}]") // the 23:30 visit is Nov 26's
	hours := map[int]int{}
	for _, h := range r.Visits.ByHour {
		if h.Visits > 0 {
			hours[h.Hour] = h.Visits
		}
	}
	want("by hour", fmt.Sprint(hours), "map[9:2 10:1 23:1]")
	want("entries", fmt.Sprint(r.Entries.Total, r.Entries.Granted, r.Entries.Denied), "8 6 2")
	want("by gate", fmt.Sprint(r.Entries.ByGate), fmt.Sprintf("[{%d 5 1} {%d 1 1}]", w.gate.ID, w.gate2.ID))
	want("by reason", fmt.Sprint(r.Entries.ByReason), "[{granted 6} {exhausted 1} {invalid_code 1}]")
	if len(r.FrequentVisitors.Items) != 1 || r.FrequentVisitors.Items[0].Visits != 2 || r.FrequentVisitors.Items[0].Hosts[0].Room != "502" {
		t.Errorf("frequent visitors: %+v", r.FrequentVisitors.Items)
	} else if names && (r.FrequentVisitors.Items[0].Name != "张伟" || r.FrequentVisitors.Items[0].IDNumber != w.visitorIDNum[:6]+"********"+w.visitorIDNum[14:]) {
		t.Errorf("frequent visitor named %+v", r.FrequentVisitors.Items[0])
	}
	if len(r.LongStays.Items) != 1 || r.LongStays.Items[0].Hours != stayHours || !r.LongStays.Items[0].OnSite || r.LongStays.Items[0].Host.Room != "502" {
		t.Errorf("long stays: %+v", r.LongStays.Items)
	} else if names && r.LongStays.Items[0].Name != "王五" {
		t.Errorf("long stay named %q", r.LongStays.Items[0].Name)
	}
}

func TestReportFiguresEqualTheHandCountedOnes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		var r reportOut
		e.expect("GET", fmt.Sprintf(reportQuery, w.A), w.mgr, nil, 200, &r)
		checkReport(t, w, r, true, 27) // V3 on site since Nov 26 09:00, the report made Nov 27 12:00
		// Police of the community read it too; a manager of another does not.
		e.expect("GET", fmt.Sprintf(reportQuery, w.A), w.police, nil, 200, nil)
		e.mustUser("mgr-b", gatehouse.RoleManager, []int64{w.B}, 0)
		if res := e.do("GET", fmt.Sprintf(reportQuery, w.A), e.login("mgr-b"), nil); res.Status != 404 {
			t.Fatalf("manager of B reads A's report: %d", res.Status)
		}
		if res := e.do("GET", fmt.Sprintf(reportQuery, w.A), w.guard, nil); res.Status != 403 {
			t.Fatalf("a guard reads a report: %d", res.Status)
		}
	})
}

func TestReportDownloadsAsEscapedCSVAndReadableXLSX(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		// A manager names a gate like a formula.
		e.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", w.gate.ID), w.mgr, map[string]any{"name": `=HYPERLINK("http://evil","x")`}, 200, nil)
		res := e.expect("GET", fmt.Sprintf(reportQuery, w.A)+"&format=csv&lang=en", w.mgr, nil, 200, nil)
		body := string(res.Body)
		if !strings.Contains(body, `'=HYPERLINK`) || strings.Contains(body, `,=HYPERLINK`) || strings.Contains(body, "\n=HYPERLINK") {
			t.Fatalf("the formula is not escaped:\n%s", body)
		}
		if !strings.Contains(body, "2026-11-26,3,2") || !strings.Contains(body, "visits,4") {
			t.Fatalf("CSV figures:\n%s", body)
		}
		res = e.expect("GET", fmt.Sprintf(reportQuery, w.A)+"&format=xlsx&lang=en", w.mgr, nil, 200, nil)
		f, err := excelize.OpenReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatalf("excelize cannot read the XLSX: %v", err)
		}
		defer f.Close()
		summary := map[string]string{}
		rows, _ := f.GetRows("Summary")
		for _, r := range rows[2:] {
			summary[r[0]] = r[1]
		}
		if summary["visits"] != "4" || summary["unique_visitors"] != "3" || summary["entries_denied"] != "2" || summary["residents"] != "2" {
			t.Fatalf("XLSX summary %v", summary)
		}
		days, _ := f.GetRows("By day")
		if fmt.Sprint(days[2:]) != "[[2026-11-26 3 2] [2026-11-27 1 1]]" {
			t.Fatalf("XLSX by day %v", days)
		}
		if v, _ := f.GetCellValue("By gate", "B3"); v != `=HYPERLINK("http://evil","x")` && v != `'=HYPERLINK("http://evil","x")` {
			t.Fatalf("XLSX gate name %q", v)
		}
		if formula, _ := f.GetCellFormula("By gate", "B3"); formula != "" {
			t.Fatalf("the XLSX holds a formula: %q", formula)
		}
		// Both downloads are in the audit.
		var audit struct {
			Items []struct{ Action, Detail string }
		}
		e.expect("GET", "/api/v1/audit?action=report.download", e.admin, nil, 200, &audit)
		if len(audit.Items) != 2 || !strings.Contains(audit.Items[0].Detail, "xlsx") || !strings.Contains(audit.Items[1].Detail, "csv") {
			t.Fatalf("audit of downloads: %+v", audit.Items)
		}
	})
}

type policeOut struct {
	ID          int64
	ResultCount int    `json:"result_count"`
	ExportURL   string `json:"export_url"`
	Items       []struct {
		IDNumber       string `json:"id_number"`
		IDNumberMasked bool   `json:"id_number_masked"`
		PersonName     string `json:"person_name"`
	}
}

func TestPoliceQueriesAreScopedAuditedAndExportedWithAChecksum(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		q := map[string]any{"case_ref": "罗公(刑)字[2026]1234号", "purpose": "盗窃案调查", "community_ids": []int64{w.A},
			"from": "2026-11-26T00:00:00+08:00", "to": "2026-11-28T00:00:00+08:00", "id_number": w.visitorIDNum}
		var out policeOut
		e.expect("POST", "/api/v1/police/queries", w.police, q, 201, &out)
		if out.ResultCount != 4 || len(out.Items) != 4 || out.Items[0].IDNumber != w.visitorIDNum || out.Items[0].IDNumberMasked {
			t.Fatalf("police query: %+v", out)
		}
		// Without a case reference: a field error, and nothing on record.
		noCase := map[string]any{}
		for k, v := range q {
			noCase[k] = v
		}
		delete(noCase, "case_ref")
		res := e.do("POST", "/api/v1/police/queries", w.police, noCase)
		if _, _, f := res.Err(); res.Status != 422 || f["case_ref"] == "" {
			t.Fatalf("no case reference: %d %s", res.Status, res.Body)
		}
		// A community outside the station's jurisdiction is not found.
		outside := map[string]any{}
		for k, v := range q {
			outside[k] = v
		}
		outside["community_ids"] = []int64{w.A, w.B}
		if res := e.do("POST", "/api/v1/police/queries", w.police, outside); res.Status != 404 {
			t.Fatalf("a community outside the jurisdiction: %d", res.Status)
		}
		// By plate and by name too.
		var byPlate policeOut
		delete(q, "id_number")
		q["plate"] = "粤b12345"
		e.expect("POST", "/api/v1/police/queries", w.police, q, 201, &byPlate)
		if byPlate.ResultCount != 4 { // only V1 came by car: its four passages
			t.Fatalf("by plate: %d results, want 4", byPlate.ResultCount)
		}
		// The export: its SHA-256 header matches its body, and it names the chain head.
		res = e.expect("GET", out.ExportURL, w.police, nil, 200, nil)
		sum := sha256.Sum256(res.Body)
		if res.Header.Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) {
			t.Fatalf("X-Content-SHA256 %q does not match the body", res.Header.Get("X-Content-SHA256"))
		}
		seq, hash, _ := e.db.ChainHead(context.Background(), w.A)
		body := string(res.Body)
		if !strings.Contains(body, fmt.Sprintf("%d,%d,%s", w.A, seq, hash)) || strings.Count(body, w.visitorIDNum) != 4 {
			t.Fatalf("export:\n%s", body)
		}
		// Another officer cannot read or export this query.
		e.mustUser("police-b", gatehouse.RolePolice, []int64{w.B}, 0)
		if res := e.do("GET", out.ExportURL, e.login("police-b"), nil); res.Status != 404 {
			t.Fatalf("another station exports the query: %d", res.Status)
		}
		// Every query and the export are in the audit, with the case reference.
		var audit struct {
			Items []struct {
				Action, CaseRef, Target string
				ActorName               string `json:"actor_name"`
			}
		}
		e.expect("GET", "/api/v1/audit?case_ref="+urlEscape("罗公(刑)字[2026]1234号"), e.admin, nil, 200, &audit)
		var actions []string
		for _, a := range audit.Items {
			actions = append(actions, a.Action)
			if a.ActorName != "police-a" {
				t.Errorf("audit actor %q", a.ActorName)
			}
		}
		if fmt.Sprint(actions) != "[police.export police.query police.query]" {
			t.Fatalf("audit: %v", actions)
		}
		var rep struct{ OK bool }
		e.expect("GET", "/api/v1/audit/verify", e.admin, nil, 200, &rep)
		if !rep.OK {
			t.Fatal("the audit chain does not verify")
		}
	})
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func TestEveryUnmaskedIDReadIsAudited(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		w.invite(nil)
		count := func() int {
			var audit struct{ Items []any }
			e.expect("GET", "/api/v1/audit?action=id.read", e.admin, nil, 200, &audit)
			return len(audit.Items)
		}
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), w.mgr, nil, 200, nil) // masked: not audited
		e.expect("GET", "/api/v1/entries", w.mgr, nil, 200, nil)
		if n := count(); n != 0 {
			t.Fatalf("masked reads audited: %d", n)
		}
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), e.admin, nil, 200, nil)
		e.expect("GET", "/api/v1/passes", e.admin, nil, 200, nil)
		w.scan(w.gate.DeviceKey, w.invite(map[string]any{"max_entries": 2}).Code, "in")
		e.expect("GET", "/api/v1/entries?id_number="+w.visitorIDNum, e.admin, nil, 200, nil)
		if n := count(); n != 3 {
			t.Fatalf("unmasked reads audited %d times, want 3", n)
		}
		// The audit names the filters, never the ID number searched for.
		var audit struct{ Items []struct{ Detail string } }
		e.expect("GET", "/api/v1/audit?action=id.read", e.admin, nil, 200, &audit)
		if d := audit.Items[0].Detail; !strings.Contains(d, "filters id_number") || strings.Contains(d, w.visitorIDNum) {
			t.Fatalf("audit detail %q", d)
		}
	})
}

func TestRetentionErasesPersonalDataButKeepsCountsAndTheChain(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		var before reportOut
		e.expect("GET", fmt.Sprintf(reportQuery, w.A), w.mgr, nil, 200, &before)
		// 200 days later, with a 180-day retention period.
		e.clock.Advance(200 * 24 * time.Hour)
		n, err := e.db.ErasePersonalData(context.Background(), e.clock.Now().AddDate(0, 0, -180))
		if err != nil || n.Entries != 8 || n.Passes != 3 || n.Visitors != 3 {
			t.Fatalf("erased %+v, %v", n, err)
		}
		w.mgr = e.login("mgr")
		admin := e.login("admin")
		var after reportOut
		e.expect("GET", fmt.Sprintf(reportQuery, w.A), w.mgr, nil, 200, &after)
		checkReport(t, w, after, false, 39) // the period is over now: the stay is counted to its end, Nov 28 00:00
		if after.FrequentVisitors.Items[0].Name != "" || after.FrequentVisitors.Items[0].IDNumber != "" {
			t.Fatalf("a name or ID number survived retention: %+v", after.FrequentVisitors.Items[0])
		}
		var entries struct {
			Items []struct {
				PersonName string `json:"person_name"`
				IDNumber   string `json:"id_number"`
				Plate      string
				Erased     bool
			}
		}
		e.expect("GET", "/api/v1/entries?limit=100", admin, nil, 200, &entries)
		for _, it := range entries.Items {
			if it.PersonName != "" || it.IDNumber != "" || it.Plate != "" || !it.Erased {
				t.Fatalf("an entry kept personal data: %+v", it)
			}
		}
		var rep struct{ OK bool }
		e.expect("GET", "/api/v1/entries/verify", admin, nil, 200, &rep)
		if !rep.OK {
			t.Fatal("the chain does not verify after retention")
		}
		// The police can no longer find the person by ID number.
		var pq policeOut
		e.expect("POST", "/api/v1/police/queries", e.login("police-a"), map[string]any{"case_ref": "X-1", "purpose": "test",
			"community_ids": []int64{w.A}, "from": "2026-11-26T00:00:00+08:00", "to": "2026-11-28T00:00:00+08:00", "id_number": w.visitorIDNum}, 201, &pq)
		if pq.ResultCount != 0 {
			t.Fatalf("erased entries still found by ID number: %d", pq.ResultCount)
		}
	})
}
