package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// sharedReceiver is one webhook host that two communities' URLs point at:
// each path answers with its own status, and what reaches it is kept.
type sharedReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	status map[string]int // by path; 200 when unset
	got    map[string][]string
	calls  map[string]int
}

func newSharedReceiver(t *testing.T) *sharedReceiver {
	r := &sharedReceiver{status: map[string]int{}, got: map[string][]string{}, calls: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		code := r.status[req.URL.Path]
		r.calls[req.URL.Path]++
		if code == 0 || code == 200 {
			r.got[req.URL.Path] = append(r.got[req.URL.Path], string(body))
		}
		r.mu.Unlock()
		if code != 0 {
			w.WriteHeader(code)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *sharedReceiver) answer(path string, code int) {
	r.mu.Lock()
	r.status[path] = code
	r.mu.Unlock()
}

func (r *sharedReceiver) count(path string) (calls, delivered int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[path], len(r.got[path])
}

// until polls cond for up to 5 s.
func until(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// denyAt scans a code no one issued at a gate: a denial, logged and sent to
// the community's webhook.
func (w *world) denyAt(key string) int64 {
	w.t.Helper()
	s := w.scan(key, "GH2NOT-A-CODE", "in")
	if s.Decision != "deny" {
		w.t.Fatalf("a made-up code: %+v", s)
	}
	return s.EntryID
}

func TestOneCommunitysFailingWebhookNeverPausesAnothersAtTheSameHost(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		r := newSharedReceiver(t)
		r.answer("/a", 503)
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, map[string]any{"webhook_url": r.URL + "/a", "webhook_secret": "a-very-secret-secret"}, 200, nil)
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.B), e.admin, map[string]any{"webhook_url": r.URL + "/b", "webhook_secret": "another-secret-secret"}, 200, nil)
		for range 3 {
			w.denyAt(w.gate.DeviceKey)
		}
		// Five answers of 503 in a row pause community A's deliveries there.
		if !until(func() bool { return strings.Contains(e.logs.String(), "deliveries to it pause") }) {
			calls, _ := r.count("/a")
			t.Fatalf("A's breaker did not open (%d calls to A's receiver)", calls)
		}
		callsA, _ := r.count("/a")
		entry := w.denyAt(w.gateB.DeviceKey)
		if !until(func() bool { _, n := r.count("/b"); return n == 1 }) {
			calls, n := r.count("/b")
			t.Fatalf("community B's delivery to the same host was held back by A's failures: %d calls, %d delivered", calls, n)
		}
		r.mu.Lock()
		body := r.got["/b"][0]
		r.mu.Unlock()
		if !strings.Contains(body, fmt.Sprintf(`"entry_id":%d,`, entry)) {
			t.Fatalf("B's delivery: %s", body)
		}
		// A stays paused: its later decisions do not reach the host meanwhile.
		w.denyAt(w.gate.DeviceKey)
		time.Sleep(300 * time.Millisecond)
		if calls, _ := r.count("/a"); calls != callsA {
			t.Fatalf("A's receiver was called %d times while A's breaker was open, want %d", calls, callsA)
		}
	})
}

func TestAWebhookAnswering4xxIsNotPaused(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		r := newSharedReceiver(t)
		r.answer("/hook", 401) // say, the receiver expects another secret
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, map[string]any{"webhook_url": r.URL + "/hook", "webhook_secret": "a-very-secret-secret"}, 200, nil)
		w.denyAt(w.gate.DeviceKey)
		// Its delivery is tried six times, each answered 401, then given up.
		if !until(func() bool { return strings.Contains(e.logs.String(), "giving up") }) {
			calls, _ := r.count("/hook")
			t.Fatalf("the delivery was not given up (%d calls)", calls)
		}
		if calls, _ := r.count("/hook"); calls != 6 || strings.Contains(e.logs.String(), "deliveries to it pause") {
			t.Fatalf("%d calls, paused: %v; want 6 attempts and no pause: a 401 says the receiver is up", calls, strings.Contains(e.logs.String(), "deliveries to it pause"))
		}
		// The receiver is fixed: the next decision reaches it at once.
		r.answer("/hook", 200)
		entry := w.denyAt(w.gate.DeviceKey)
		if !until(func() bool { _, n := r.count("/hook"); return n == 1 }) {
			t.Fatal("after six 401 answers, the next delivery was held back")
		}
		r.mu.Lock()
		body := r.got["/hook"][0]
		r.mu.Unlock()
		if !strings.Contains(body, fmt.Sprintf(`"entry_id":%d,`, entry)) {
			t.Fatalf("delivered: %s", body)
		}
	})
}
