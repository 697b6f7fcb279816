package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

// visitWorld is a community with a gate, a poster at it, a manager, a
// guard, and a resident of 3-2-502 with an account.
type visitWorld struct {
	e               *env
	cid             int64
	mgr, guard, res string
	gateID          int64
	gateKey         string
	posterID        int64
	token           string
	residentID      int64
	neighbour       string // a resident of another dwelling
	posterURL       string
}

func newVisitWorld(t *testing.T, e *env) *visitWorld {
	t.Helper()
	w := &visitWorld{e: e}
	w.cid = e.community("翠竹苑")
	e.mustUser("mgr", gatehouse.RoleManager, []int64{w.cid}, 0)
	w.mgr = e.login("mgr")
	u := e.mustUser("guard", gatehouse.RoleGuard, []int64{w.cid}, 0)
	_ = u
	w.guard = e.login("guard")
	r := e.resident(w.mgr, w.cid, "王芳", 1, "3栋", "2单元", "502")
	w.residentID = r.ID
	e.mustUser("wangfang", gatehouse.RoleResident, nil, r.ID)
	w.res = e.login("wangfang")
	n := e.resident(w.mgr, w.cid, "李雷", 2, "4栋", "1单元", "101")
	e.mustUser("lilei", gatehouse.RoleResident, nil, n.ID)
	w.neighbour = e.login("lilei")
	var g struct {
		ID        int64  `json:"id"`
		DeviceKey string `json:"device_key"`
	}
	e.expect("POST", "/api/v1/gates", w.mgr, map[string]any{"community_id": w.cid, "name": "南门"}, 201, &g)
	w.gateID, w.gateKey = g.ID, g.DeviceKey
	var p struct {
		ID     int64  `json:"id"`
		Token  string `json:"token"`
		URL    string `json:"url"`
		GateID *int64 `json:"gate_id"`
	}
	e.expect("POST", fmt.Sprintf("/api/v1/communities/%d/posters", w.cid), w.mgr, map[string]any{"gate_id": g.ID}, 201, &p)
	if p.GateID == nil || *p.GateID != g.ID || !strings.HasSuffix(p.URL, "/v/"+p.Token) || len(p.Token) < 20 {
		t.Fatalf("poster: %+v", p)
	}
	w.posterID, w.token, w.posterURL = p.ID, p.Token, p.URL
	return w
}

// registration is a visitor's form; n varies the person and phone.
func registration(n int, building, unit, room string) map[string]any {
	return map[string]any{
		"visitor":  map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": validID(100 + n), "phone": fmt.Sprintf("139%08d", n), "plate": ""},
		"building": building, "unit": unit, "room": room, "purpose": "探亲",
		"consent": map[string]any{"id_number": true, "notice_version": gatehouse.VisitNoticeVersion},
	}
}

type registered struct {
	RequestID   int64  `json:"request_id"`
	StatusToken string `json:"status_token"`
	Status      string `json:"status"`
}

// submitFrom posts a registration from a client address.
func (w *visitWorld) submitFrom(addr string, body any) response {
	w.e.t.Helper()
	j, _ := json.Marshal(body)
	req := httptest.NewRequest("POST", "/api/v1/register/"+w.token, bytes.NewReader(j))
	req.RemoteAddr = addr + ":4000"
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.e.api.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header()}
}

func (w *visitWorld) submit(n int, building, unit, room string) registered {
	w.e.t.Helper()
	var r registered
	w.e.expect("POST", "/api/v1/register/"+w.token, "", registration(n, building, unit, room), 202, &r)
	return r
}

type visitStatus struct {
	Status string `json:"status"`
	Pass   *struct {
		Code             string `json:"code"`
		QRURL            string `json:"qr_url"`
		RemainingEntries int    `json:"remaining_entries"`
	} `json:"pass"`
}

func (w *visitWorld) status(r registered) visitStatus {
	w.e.t.Helper()
	var st visitStatus
	w.e.expect("GET", fmt.Sprintf("/api/v1/register/requests/%d?token=%s", r.RequestID, r.StatusToken), "", nil, 200, &st)
	return st
}

func TestVisitorRegistersAndTheHouseholdApproves(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		var page struct {
			Community struct{ Name string }
			Gate      *struct{ Name string }
			Notice    struct {
				Version       string
				Text          string
				RetentionDays int `json:"retention_days"`
			}
		}
		e.expect("GET", "/api/v1/register/"+w.token, "", nil, 200, &page)
		if page.Community.Name != "翠竹苑" || page.Gate == nil || page.Gate.Name != "南门" || page.Notice.Version != gatehouse.VisitNoticeVersion ||
			!strings.Contains(page.Notice.Text, "180 天") {
			t.Fatalf("registration page: %+v", page)
		}
		r := w.submit(1, "3栋", "2单元", "502")
		if r.Status != "pending" || r.RequestID == 0 || !strings.HasPrefix(r.StatusToken, "ghv_") {
			t.Fatalf("submission: %+v", r)
		}
		if st := w.status(r); st.Status != "pending" || st.Pass != nil {
			t.Fatalf("status before approval: %+v", st)
		}
		var pending struct {
			Items []struct {
				ID      int64
				Status  string
				Visitor struct {
					Name     string
					IDNumber string `json:"id_number"`
				}
			}
		}
		e.expect("GET", "/api/v1/visit-requests?status=pending", w.res, nil, 200, &pending)
		if len(pending.Items) != 1 || pending.Items[0].ID != r.RequestID || pending.Items[0].Visitor.Name != "张伟" ||
			pending.Items[0].Visitor.IDNumber == validID(101) {
			t.Fatalf("the household's pending list: %+v", pending)
		}
		// Another household sees nothing of it, and cannot decide it.
		e.expect("GET", "/api/v1/visit-requests", w.neighbour, nil, 200, &pending)
		if len(pending.Items) != 0 {
			t.Fatalf("a neighbour sees %+v", pending.Items)
		}
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.neighbour, nil, 404, nil)
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.mgr, nil, 403, nil)

		var approved struct {
			Status    string
			DecidedBy int64 `json:"decided_by"`
			Pass      struct {
				Kind string
				Code string
			}
		}
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.res, map[string]any{"max_entries": 2}, 200, &approved)
		if approved.Status != "approved" || approved.Pass.Kind != "self" || approved.Pass.Code == "" {
			t.Fatalf("approved: %+v", approved)
		}
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/deny", r.RequestID), w.res, nil, 409, nil)
		st := w.status(r)
		if st.Status != "approved" || st.Pass == nil || st.Pass.Code != approved.Pass.Code || st.Pass.RemainingEntries != 2 {
			t.Fatalf("status after approval: %+v", st)
		}
		if res := e.do("GET", st.Pass.QRURL, "", nil); res.Status != 200 || !bytes.HasPrefix(res.Body, []byte("\x89PNG")) {
			t.Fatalf("the pass's QR: %d", res.Status)
		}
		var scan struct{ Decision, Reason string }
		e.expect("POST", "/api/v1/scan", w.gateKey, map[string]any{"code": st.Pass.Code, "direction": "in"}, 200, &scan)
		if scan.Decision != "grant" {
			t.Fatalf("scan of the self-registered pass: %+v", scan)
		}
		var rep struct {
			RegisteredVisitors struct {
				Passes int64
				ByKind map[string]int64 `json:"by_kind"`
			} `json:"registered_visitors"`
		}
		e.expect("GET", fmt.Sprintf("/api/v1/reports/population?community_id=%d&from=2026-11-01&to=2026-12-01", w.cid), w.mgr, nil, 200, &rep)
		if rep.RegisteredVisitors.ByKind["self"] != 1 || rep.RegisteredVisitors.ByKind["guest"] != 0 {
			t.Fatalf("report: %+v", rep.RegisteredVisitors)
		}
	})
}

func TestARegistrationNeedsSeparateConsentToTheIDNumber(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		body := registration(1, "3栋", "2单元", "502")
		body["consent"] = map[string]any{"id_number": false, "notice_version": gatehouse.VisitNoticeVersion}
		res := e.expect("POST", "/api/v1/register/"+w.token, "", body, 422, nil)
		if _, _, f := res.Err(); f["consent.id_number"] == "" {
			t.Fatalf("no consent: %s", res.Body)
		}
		body["consent"] = map[string]any{"id_number": true, "notice_version": "2020-old"}
		res = e.expect("POST", "/api/v1/register/"+w.token, "", body, 422, nil)
		if _, _, f := res.Err(); f["consent.notice_version"] == "" {
			t.Fatalf("an old notice: %s", res.Body)
		}
		body = registration(1, "", "2单元", "502")
		body["visitor"].(map[string]any)["id_number"] = "440303199001010011"
		res = e.expect("POST", "/api/v1/register/"+w.token, "", body, 422, nil)
		if _, _, f := res.Err(); f["building"] == "" || f["visitor.id_number"] == "" {
			t.Fatalf("bad fields: %s", res.Body)
		}
		big := registration(1, "3栋", "2单元", "502")
		big["purpose"] = strings.Repeat("x", 17<<10)
		e.expect("POST", "/api/v1/register/"+w.token, "", big, 413, nil)
	})
}

func TestRegistrationLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		// 5 pending per phone.
		for i := 0; i < 5; i++ {
			body := registration(1, "3栋", "2单元", fmt.Sprintf("%d", 600+i))
			if res := w.submitFrom("198.51.100.1", body); res.Status != 202 {
				t.Fatalf("request %d: %d %s", i, res.Status, res.Body)
			}
		}
		res := w.submitFrom("198.51.100.1", registration(1, "3栋", "2单元", "700"))
		if res.Status != 429 || res.Header.Get("Retry-After") == "" {
			t.Fatalf("a 6th pending request of one phone: %d %s", res.Status, res.Body)
		}
		// 20 pending per household, from many phones and addresses.
		for i := 0; i < 20; i++ {
			if res := w.submitFrom(fmt.Sprintf("203.0.113.%d", i), registration(10+i, "3栋", "2单元", "502")); res.Status != 202 {
				t.Fatalf("household request %d: %d %s", i, res.Status, res.Body)
			}
		}
		res = w.submitFrom("203.0.113.99", registration(50, "3栋", "2单元", "502"))
		if res.Status != 429 || res.Header.Get("Retry-After") == "" {
			t.Fatalf("a 21st pending request of one household: %d %s", res.Status, res.Body)
		}
		// 30 an hour per address; an hour later it may ask again.
		for i := 0; i < 30; i++ {
			if res := w.submitFrom("192.0.2.77", registration(100+i, "5栋", "1单元", fmt.Sprintf("%d", i))); res.Status != 202 {
				t.Fatalf("address request %d: %d %s", i, res.Status, res.Body)
			}
		}
		res = w.submitFrom("192.0.2.77", registration(200, "5栋", "1单元", "99"))
		if res.Status != 429 {
			t.Fatalf("a 31st request of one address in an hour: %d %s", res.Status, res.Body)
		}
		if ra := res.Header.Get("Retry-After"); ra != "3600" {
			t.Fatalf("Retry-After %q, want 3600", ra)
		}
		e.clock.Advance(time.Hour + time.Second)
		if res := w.submitFrom("192.0.2.77", registration(201, "5栋", "1单元", "99")); res.Status != 202 {
			t.Fatalf("an hour later: %d %s", res.Status, res.Body)
		}
	})
}

func TestStatusTokensShowOnlyTheirRequest(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		a := w.submit(1, "3栋", "2单元", "502")
		b := w.submit(2, "3栋", "2单元", "502")
		for _, path := range []string{
			fmt.Sprintf("/api/v1/register/requests/%d?token=%s", a.RequestID, b.StatusToken),
			fmt.Sprintf("/api/v1/register/requests/%d", a.RequestID),
			fmt.Sprintf("/api/v1/register/requests/%d?token=%s", a.RequestID, w.token),
			fmt.Sprintf("/api/v1/register/requests/%d/qr.png?token=%s", a.RequestID, b.StatusToken),
			fmt.Sprintf("/api/v1/register/requests/%d/events?token=%s", a.RequestID, b.StatusToken),
			fmt.Sprintf("/api/v1/register/requests/%d?token=%s", a.RequestID+100, a.StatusToken),
		} {
			if res := e.do("GET", path, "", nil); res.Status != 404 {
				t.Errorf("%s: %d %s", path, res.Status, res.Body)
			}
		}
		// The status token is no session: it reads nothing else.
		if res := e.do("GET", "/api/v1/visit-requests", a.StatusToken, nil); res.Status != 401 {
			t.Fatalf("a status token as a bearer: %d", res.Status)
		}
		// A poster token reads no request list either.
		if res := e.do("GET", "/api/v1/visit-requests", w.token, nil); res.Status != 401 {
			t.Fatalf("a poster token as a bearer: %d", res.Status)
		}
		if w.status(a).Status != "pending" {
			t.Fatal("its own token")
		}
	})
}

func TestARevokedPosterIsNotFound(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		e.expect("DELETE", fmt.Sprintf("/api/v1/posters/%d", w.posterID), w.guard, nil, 403, nil)
		e.expect("DELETE", fmt.Sprintf("/api/v1/posters/%d", w.posterID), w.mgr, nil, 204, nil)
		e.expect("GET", "/api/v1/register/"+w.token, "", nil, 404, nil)
		e.expect("POST", "/api/v1/register/"+w.token, "", registration(1, "3栋", "2单元", "502"), 404, nil)
		e.expect("GET", "/api/v1/register/not-a-token", "", nil, 404, nil)
		e.expect("GET", fmt.Sprintf("/api/v1/posters/%d/print", w.posterID), w.mgr, nil, 409, nil)
		var list struct{ Items []struct{ Revoked bool } }
		e.expect("GET", fmt.Sprintf("/api/v1/communities/%d/posters", w.cid), w.mgr, nil, 200, &list)
		if len(list.Items) != 1 || !list.Items[0].Revoked {
			t.Fatalf("posters: %+v", list)
		}
	})
}

func TestThePosterPrintsItsLink(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		res := e.expect("GET", fmt.Sprintf("/api/v1/posters/%d/print", w.posterID), w.mgr, nil, 200, nil)
		body := string(res.Body)
		if !strings.Contains(body, "翠竹苑") || !strings.Contains(body, "南门") || !strings.Contains(body, w.posterURL) ||
			!strings.Contains(body, "data:image/png;base64,") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("print page: %s", body)
		}
	})
}

func TestAWatchlistedVisitorIsRefusedAndTheGuardsAlerted(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		e.expect("POST", "/api/v1/watchlist", w.mgr, map[string]any{"community_id": w.cid, "id_number": validID(101), "reason": "test"}, 201, nil)
		// The guards' stream, as GET /live watches it.
		pr := &gatehouse.Principal{UserID: 99, Role: gatehouse.RoleGuard, Communities: []int64{w.cid}}
		sub, stop, err := e.hub.Subscribe(pr.UserID, w.cid, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		e.hub.WatchVisits(sub, service.WatchVisits(pr))
		listed := w.submit(1, "3栋", "2单元", "502")
		plain := w.submit(2, "3栋", "2单元", "502")
		if listed.Status != plain.Status {
			t.Fatal("the visitor learns of the watchlist")
		}
		if ev := <-sub.V; !ev.Alert || !ev.Request.Watchlisted {
			t.Fatalf("the guards' first event: %+v", ev)
		}
		<-sub.V
		res := e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", listed.RequestID), w.res, nil, 409, nil)
		if _, msg, f := res.Err(); !strings.Contains(msg, "watchlist") || f["reason"] != "watchlisted" {
			t.Fatalf("refusal: %s", res.Body)
		}
		select {
		case ev := <-sub.V:
			if !ev.Alert {
				t.Fatalf("after the refused approval: %+v", ev)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the guards were not alerted of the refused approval")
		}
		if st := w.status(listed); st.Status != "pending" {
			t.Fatalf("status: %+v", st)
		}
		var list struct{ Items []struct{ Watchlisted bool } }
		e.expect("GET", "/api/v1/visit-requests?status=pending", w.res, nil, 200, &list)
		if len(list.Items) != 2 || !list.Items[1].Watchlisted || list.Items[0].Watchlisted {
			t.Fatalf("the household sees: %+v", list)
		}
	})
}

// keysOf is the sorted keys of a JSON object.
func keysOf(t *testing.T, b []byte) string {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s:%T", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestAMadeUpDwellingGetsTheSameAnswer(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		real := w.submitFrom("198.51.100.7", registration(1, "3栋", "2单元", "502"))
		fake := w.submitFrom("198.51.100.8", registration(2, "99栋", "9单元", "9999"))
		if real.Status != 202 || fake.Status != real.Status || keysOf(t, real.Body) != keysOf(t, fake.Body) {
			t.Fatalf("real %d %s; made up %d %s", real.Status, real.Body, fake.Status, fake.Body)
		}
		var r, f registered
		json.Unmarshal(real.Body, &r)
		json.Unmarshal(fake.Body, &f)
		if a, b := w.status(r), w.status(f); a.Status != b.Status {
			t.Fatalf("statuses differ: %v %v", a, b)
		}
		// Unanswered, both simply expire.
		e.clock.Advance(10*time.Minute + time.Second)
		if a, b := w.status(r), w.status(f); a.Status != "expired" || b.Status != "expired" {
			t.Fatalf("after 10 minutes: %v %v", a, b)
		}
		// A guard calling on the made-up dwelling learns no one lives there.
		e.clock.Advance(-time.Minute)
		res := e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", f.RequestID), w.guard, nil, 409, nil)
		if _, msg, _ := res.Err(); !strings.Contains(msg, "no resident") {
			t.Fatalf("guard on a made-up dwelling: %s", res.Body)
		}
	})
}

func TestAGuardApprovesOnTheHouseholdsBehalf(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		r := w.submit(1, "3栋", "2单元", "502")
		var list struct {
			Items []struct {
				HouseholdPhone string `json:"household_phone"`
			}
		}
		e.expect("GET", "/api/v1/visit-requests?status=pending", w.guard, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].HouseholdPhone != "13800138000" {
			t.Fatalf("guard's list: %+v", list)
		}
		e.expect("GET", "/api/v1/visit-requests?status=pending", w.mgr, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].HouseholdPhone != "*******8000" {
			t.Fatalf("manager's list: %+v", list)
		}
		var out struct {
			DecidedBy int64 `json:"decided_by"`
			Pass      struct {
				HostResidentID int64 `json:"host_resident_id"`
			}
		}
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.guard, nil, 200, &out)
		if out.DecidedBy == 0 || out.Pass.HostResidentID != w.residentID {
			t.Fatalf("guard's approval: %+v", out)
		}
	})
}

func TestDeniedAndExpiredRequestsKeepNoIDNumberAfterADay(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		denied := w.submit(1, "3栋", "2单元", "502")
		expired := w.submit(2, "3栋", "2单元", "502")
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/deny", denied.RequestID), w.res, map[string]any{"reason": "不认识"}, 200, nil)
		if st := w.status(denied); st.Status != "denied" {
			t.Fatalf("denied: %+v", st)
		}
		ctx := context.Background()
		e.clock.Advance(11 * time.Minute)
		if _, err := e.api.SweepVisits(ctx); err != nil {
			t.Fatal(err)
		}
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", expired.RequestID), w.res, nil, 409, nil)
		for _, id := range []int64{denied.RequestID, expired.RequestID} {
			r, err := e.db.VisitRequest(ctx, id)
			if err != nil || !r.Visitor.IDNumber.Known() {
				t.Fatalf("within the day, request %d keeps its number: %v", id, err)
			}
		}
		e.clock.Advance(24 * time.Hour)
		n, err := e.api.SweepVisits(ctx)
		if err != nil || n != 2 {
			t.Fatalf("erased %d, %v", n, err)
		}
		for _, id := range []int64{denied.RequestID, expired.RequestID} {
			r, err := e.db.VisitRequest(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Visitor.IDNumber.Known() || r.Visitor.IDNumber.Masked() != "" || r.Visitor.Name != "" || r.Visitor.Phone != "" || r.Visitor.IDHash == "" || r.ErasedAt == nil {
				t.Fatalf("request %d after a day: %+v", id, r)
			}
		}
	})
}

func TestTheCommunitySetsHowLongARequestWaits(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		path := fmt.Sprintf("/api/v1/communities/%d", w.cid)
		res := e.expect("PATCH", path, w.mgr, map[string]any{"visit_request_minutes": 0}, 422, nil)
		if _, _, f := res.Err(); f["visit_request_minutes"] == "" {
			t.Fatalf("0 minutes: %s", res.Body)
		}
		var com struct {
			Minutes int `json:"visit_request_minutes"`
		}
		e.expect("GET", path, w.mgr, nil, 200, &com)
		if com.Minutes != gatehouse.DefaultVisitRequestMinutes {
			t.Fatalf("default: %d", com.Minutes)
		}
		e.expect("PATCH", path, w.mgr, map[string]any{"visit_request_minutes": 3}, 200, &com)
		r := w.submit(1, "3栋", "2单元", "502")
		e.clock.Advance(2 * time.Minute)
		if st := w.status(r); st.Status != "pending" {
			t.Fatalf("after 2 minutes: %s", st.Status)
		}
		e.clock.Advance(time.Minute)
		if st := w.status(r); st.Status != "expired" {
			t.Fatalf("after 3 minutes: %s", st.Status)
		}
	})
}
