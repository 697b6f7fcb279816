package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

// call sends a request to the other process's API.
func (o *otherProcess) call(method, path, token string, body any) response {
	o.t.Helper()
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	o.api.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header()}
}

// nextVisit waits up to 5 s for a visit request event of a stream.
func nextVisit(t *testing.T, sub *events.Sub, what string) *gatehouse.VisitEvent {
	t.Helper()
	select {
	case ev := <-sub.V:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no visit request event within 5 s", what)
		return nil
	}
}

// noMoreVisits fails when a stream carries another visit request event
// within a few polls of the hub.
func noMoreVisits(t *testing.T, sub *events.Sub, what string) {
	t.Helper()
	select {
	case ev := <-sub.V:
		t.Fatalf("%s: a second event %+v (status %s)", what, ev, ev.Request.Status)
	case <-time.After(300 * time.Millisecond): // six polls of the test hub
	}
}

// A visitor registers through one server process; the resident, whose
// live stream is served by another process on the same database, hears of
// it, and of its approval on that process, once each.
func TestAVisitRequestReachesAResidentOnAnotherProcess(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		other := newOtherProcess(t, e)
		// The resident's stream, as GET /live on e watches it.
		home := gatehouse.Household{CommunityID: w.cid, Building: "3栋", Unit: "2单元", Room: "502"}
		pr := &gatehouse.Principal{UserID: 77, Role: gatehouse.RoleResident, Communities: []int64{w.cid}, ResidentID: w.residentID, Household: &home}
		sub, stop, err := e.hub.Subscribe(pr.UserID, w.cid, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		e.hub.WatchVisits(sub, service.WatchVisits(pr))
		time.Sleep(120 * time.Millisecond) // the hub's poller has met the stream's community

		res := other.call("POST", "/api/v1/register/"+w.token, "", registration(1, "3栋", "2单元", "502"))
		if res.Status != 202 {
			t.Fatalf("registration on the other process: %d %s", res.Status, res.Body)
		}
		var r registered
		json.Unmarshal(res.Body, &r)
		ev := nextVisit(t, sub, "a registration on the other process")
		if ev.Request.ID != r.RequestID || ev.Request.Status != gatehouse.VisitPending || ev.Request.Visitor.Name != "张伟" {
			t.Fatalf("the resident heard %+v", ev.Request)
		}
		noMoreVisits(t, sub, "the registration")
		if res := other.call("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.res, nil); res.Status != 200 {
			t.Fatalf("approval on the other process: %d %s", res.Status, res.Body)
		}
		if ev := nextVisit(t, sub, "an approval on the other process"); ev.Request.ID != r.RequestID || ev.Request.Status != gatehouse.VisitApproved {
			t.Fatalf("after the approval the resident heard %+v", ev.Request)
		}
		noMoreVisits(t, sub, "the approval")

		// A change on this process is heard at once, and not again from the poller.
		mine := w.submit(2, "3栋", "2单元", "502")
		if ev := nextVisit(t, sub, "a registration on this process"); ev.Request.ID != mine.RequestID {
			t.Fatalf("heard %+v", ev.Request)
		}
		noMoreVisits(t, sub, "a registration on this process")
		// An expiry swept by the other process reaches this one's stream.
		e.clock.Advance(10*time.Minute + time.Second)
		if _, err := other.api.SweepVisits(t.Context()); err != nil {
			t.Fatal(err)
		}
		if ev := nextVisit(t, sub, "an expiry swept by the other process"); ev.Request.ID != mine.RequestID || ev.Request.Status != gatehouse.VisitExpired {
			t.Fatalf("after the sweep the resident heard %+v", ev.Request)
		}
	})
}

// Each change of a visit request is POSTed to the community's webhook,
// signed, with the dwelling and status but no name, phone or ID number,
// each under its own delivery id.
func TestVisitRequestsReachTheCommunitysWebhook(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		type hit struct {
			event, delivery string
			body            events.VisitWebhookEvent
			raw             string
		}
		var mu sync.Mutex
		var hits []hit
		receiver := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Gatehouse-Signature") != events.Sign("a-very-secret-secret", raw) {
				t.Errorf("bad signature %q", r.Header.Get("X-Gatehouse-Signature"))
			}
			var b events.VisitWebhookEvent
			json.Unmarshal(raw, &b)
			mu.Lock()
			hits = append(hits, hit{r.Header.Get("X-Gatehouse-Event"), r.Header.Get("X-Gatehouse-Delivery"), b, string(raw)})
			mu.Unlock()
		}))
		defer receiver.Close()
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.cid), w.mgr,
			map[string]any{"webhook_url": receiver.URL, "webhook_secret": "a-very-secret-secret"}, 200, nil)
		r := w.submit(1, "3栋", "2单元", "502")
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.res, nil, 200, nil)
		got := func() []hit {
			mu.Lock()
			defer mu.Unlock()
			return append([]hit(nil), hits...)
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(got()) < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		hs := got()
		if len(hs) != 2 {
			t.Fatalf("the webhook got %d deliveries, want 2: %+v", len(hs), hs)
		}
		if hs[0].body.Status == gatehouse.VisitApproved {
			hs[0], hs[1] = hs[1], hs[0] // one lane, two workers: either may come first
		}
		for i, want := range []string{gatehouse.VisitPending, gatehouse.VisitApproved} {
			h := hs[i]
			if h.event != "visit_request" || h.body.Event != "visit_request" || h.body.RequestID != r.RequestID || h.body.Status != want ||
				h.body.Building != "3栋" || h.body.Room != "502" {
				t.Errorf("delivery %d: %+v, want the request %s", i, h, want)
			}
			if strings.Contains(h.raw, "张伟") || strings.Contains(h.raw, "13900000001") || strings.Contains(h.raw, validID(101)[:6]) {
				t.Errorf("delivery %d names the visitor: %s", i, h.raw)
			}
		}
		if hs[0].delivery == "" || hs[0].delivery == hs[1].delivery {
			t.Errorf("delivery ids %q and %q: each change needs its own, or a receiver that drops repeats loses the approval", hs[0].delivery, hs[1].delivery)
		}
	})
}

// Approvals that name no validity or entries take the community's
// visit_pass_hours and visit_pass_entries (8 hours and 1 entry unless set).
func TestApprovalsTakeTheCommunitysDefaults(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		path := fmt.Sprintf("/api/v1/communities/%d", w.cid)
		var com struct {
			Hours   int `json:"visit_pass_hours"`
			Entries int `json:"visit_pass_entries"`
		}
		e.expect("GET", path, w.mgr, nil, 200, &com)
		if com.Hours != 8 || com.Entries != 1 {
			t.Fatalf("defaults: %+v, want 8 hours and 1 entry", com)
		}
		type approved struct {
			Pass struct {
				ValidUntil       time.Time `json:"valid_until"`
				MaxEntries       int       `json:"max_entries"`
				RemainingEntries int       `json:"remaining_entries"`
			}
		}
		var a approved
		r := w.submit(1, "3栋", "2单元", "502")
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.res, nil, 200, &a)
		if !a.Pass.ValidUntil.Equal(e.clock.Now().Add(8*time.Hour).Truncate(time.Minute)) || a.Pass.MaxEntries != 1 {
			t.Fatalf("approved by default: %+v", a.Pass)
		}
		for _, bad := range []map[string]any{{"visit_pass_hours": 0}, {"visit_pass_hours": 24*7 + 1}, {"visit_pass_entries": 0}, {"visit_pass_entries": gatehouse.MaxEntriesLimit + 1}} {
			res := e.expect("PATCH", path, w.mgr, bad, 422, nil)
			for k := range bad {
				if _, _, f := res.Err(); f[k] == "" {
					t.Errorf("%v: %s, want a problem with %s", bad, res.Body, k)
				}
			}
		}
		e.expect("PATCH", path, w.mgr, map[string]any{"visit_pass_hours": 3, "visit_pass_entries": 2}, 200, &com)
		if com.Hours != 3 || com.Entries != 2 {
			t.Fatalf("set: %+v", com)
		}
		r = w.submit(2, "3栋", "2单元", "502")
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.guard, map[string]any{}, 200, &a)
		if !a.Pass.ValidUntil.Equal(e.clock.Now().Add(3*time.Hour).Truncate(time.Minute)) || a.Pass.MaxEntries != 2 || a.Pass.RemainingEntries != 2 {
			t.Fatalf("approved with the community's defaults: %+v", a.Pass)
		}
		// The approver may still say otherwise.
		r = w.submit(3, "3栋", "2单元", "502")
		e.expect("POST", fmt.Sprintf("/api/v1/visit-requests/%d/approve", r.RequestID), w.res, map[string]any{"max_entries": 5}, 200, &a)
		if a.Pass.MaxEntries != 5 {
			t.Fatalf("approved with 5 entries: %+v", a.Pass)
		}
	})
}

// A guard at a gate sees the requests made through that gate's posters and
// the community's own, not those of another gate.
func TestAGuardSeesTheRequestsOfItsGate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		var north struct{ ID int64 }
		e.expect("POST", "/api/v1/gates", w.mgr, map[string]any{"community_id": w.cid, "name": "北门"}, 201, &north)
		var northPoster, whole struct{ Token string }
		e.expect("POST", fmt.Sprintf("/api/v1/communities/%d/posters", w.cid), w.mgr, map[string]any{"gate_id": north.ID}, 201, &northPoster)
		e.expect("POST", fmt.Sprintf("/api/v1/communities/%d/posters", w.cid), w.mgr, map[string]any{}, 201, &whole)
		at := func(token string, n int) int64 {
			var r registered
			res := w.submitWith(token, fmt.Sprintf("198.51.100.%d", n), registration(n, "3栋", "2单元", "502"))
			if res.Status != 202 || json.Unmarshal(res.Body, &r) != nil {
				t.Fatalf("registration: %d %s", res.Status, res.Body)
			}
			return r.RequestID
		}
		south, northReq, anywhere := at(w.token, 1), at(northPoster.Token, 2), at(whole.Token, 3)
		ids := func(q string) []int64 {
			var list struct{ Items []struct{ ID int64 } }
			e.expect("GET", "/api/v1/visit-requests?status=pending"+q, w.guard, nil, 200, &list)
			var out []int64
			for _, it := range list.Items {
				out = append(out, it.ID)
			}
			return out
		}
		if got := fmt.Sprint(ids(fmt.Sprintf("&gate_id=%d", w.gateID))); got != fmt.Sprint([]int64{anywhere, south}) {
			t.Errorf("the south gate's guard sees %s, want %v", got, []int64{anywhere, south})
		}
		if got := fmt.Sprint(ids(fmt.Sprintf("&gate_id=%d&community_id=%d", north.ID, w.cid))); got != fmt.Sprint([]int64{anywhere, northReq}) {
			t.Errorf("the north gate's guard sees %s, want %v", got, []int64{anywhere, northReq})
		}
		if got := len(ids("")); got != 3 {
			t.Errorf("without a gate the guard sees %d requests, want 3", got)
		}
		// A gate of another community is not found.
		other := e.community("别处")
		var far struct{ ID int64 }
		e.expect("POST", "/api/v1/gates", e.admin, map[string]any{"community_id": other, "name": "西门"}, 201, &far)
		e.expect("GET", fmt.Sprintf("/api/v1/visit-requests?gate_id=%d", far.ID), w.guard, nil, 404, nil)
		e.expect("GET", "/api/v1/visit-requests?gate_id=x", w.guard, nil, 400, nil)
	})
}
