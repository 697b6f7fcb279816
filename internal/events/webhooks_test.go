package events_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/metrics"
)

var _ events.Meter = (*metrics.Metrics)(nil)

// communities is a CommunityReader of fixed settings.
type communities map[int64]*gatehouse.Community

func (c communities) Community(_ context.Context, id int64) (*gatehouse.Community, error) {
	if x, ok := c[id]; ok {
		return x, nil
	}
	return nil, gatehouse.NotFound("community")
}

func hook(id int64, url string) *gatehouse.Community {
	return &gatehouse.Community{ID: id, WebhookURL: url, WebhookSecret: "0123456789abcdef"}
}

func decision(id, community int64) *gatehouse.DecisionEvent {
	return &gatehouse.DecisionEvent{Entry: &gatehouse.Entry{ID: id, CommunityID: community}}
}

// meter counts what it is told, by "outcome/reason".
type meter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *meter) add(k string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[k]++
}

func (m *meter) LiveStreams(int)                        {}
func (m *meter) LiveStreamLimited(action string)        { m.add("stream/" + action) }
func (m *meter) WebhookDelivery(outcome, reason string) { m.add(outcome + "/" + reason) }
func (m *meter) WebhookRetry(reason string)             { m.add("retry/" + reason) }

func (m *meter) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[k]
}

// waitFor polls until the meter has counted want of k.
func (m *meter) waitFor(t *testing.T, k string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for m.get(k) < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := m.get(k); got != want {
		m.mu.Lock()
		defer m.mu.Unlock()
		t.Fatalf("%s counted %d times, want %d (all: %v)", k, got, want, m.counts)
	}
}

// startWebhooks runs a dispatcher over store that trusts allow.
func startWebhooks(t *testing.T, store communities, allow string, perCommunity int) (*events.Webhooks, *meter) {
	t.Helper()
	list, err := events.ParseAllowList(allow)
	if err != nil {
		t.Fatal(err)
	}
	w := events.NewWebhooks(store, list, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m := &meter{}
	w.Metrics = m
	w.Backoff = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.Run(ctx, perCommunity)
	return w, m
}

func TestASlowReceiverDelaysOnlyItsOwnCommunity(t *testing.T) {
	hang := make(chan struct{})
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer a.Close()
	defer close(hang)
	got := make(chan time.Time, 10)
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- time.Now() }))
	defer b.Close()
	w, _ := startWebhooks(t, communities{1: hook(1, a.URL), 2: hook(2, b.URL)}, "127.0.0.1", 2)
	for i := int64(1); i <= 6; i++ {
		w.Enqueue(decision(i, 1))
	}
	time.Sleep(50 * time.Millisecond) // A's workers are now stuck
	start := time.Now()
	w.Enqueue(decision(7, 2))
	select {
	case at := <-got:
		t.Logf("B delivered %v after it was enqueued, while A hangs", at.Sub(start))
	case <-time.After(time.Second):
		t.Fatal("community B's delivery waited for community A's hanging receiver")
	}
}

func TestWebhooksNeverConnectToRefusedAddresses(t *testing.T) {
	var calls atomic.Int32
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer r.Close()
	port := r.URL[strings.LastIndex(r.URL, ":")+1:]
	// "localhost" is listed, so plain http passes the URL check; the
	// address it resolves to (loopback) is refused when connecting, as a
	// rebound DNS name would be.
	store := communities{
		1: hook(1, "http://localhost:"+port+"/hook"),
		2: hook(2, r.URL),                             // a literal loopback address, not listed
		3: hook(3, "http://[::ffff:127.0.0.1]:"+port), // the same, IPv4-mapped
		4: hook(4, "http://0x7f000001:"+port),         // inet_aton spellings
		5: hook(5, "http://2130706433:"+port),         //
		6: hook(6, "http://169.254.169.254/latest/meta-data/"),
		7: hook(7, "https://localhost:"+port+"/x"), // https does not lift the address rule
	}
	w, m := startWebhooks(t, store, "localhost", 1)
	for id := range store {
		w.Enqueue(decision(id*10, id))
	}
	m.waitFor(t, "failed/refused_address", 2)
	m.waitFor(t, "failed/refused_url", 5)
	if n := calls.Load(); n != 0 {
		t.Fatalf("the receiver on loopback got %d deliveries", n)
	}
	if m.get("retry/refused_address") != 0 {
		t.Fatal("a refused address was retried")
	}
}

func TestAListedRangeLetsALANReceiverIn(t *testing.T) {
	var calls atomic.Int32
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer r.Close()
	w, m := startWebhooks(t, communities{1: hook(1, r.URL)}, "127.0.0.0/8", 1)
	w.Enqueue(decision(1, 1))
	m.waitFor(t, "ok/delivered", 1)
	if calls.Load() != 1 {
		t.Fatalf("%d deliveries, want 1", calls.Load())
	}
}

func TestARedirectIsAFailedDeliveryAndIsNotFollowed(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer target.Close()
	var tries atomic.Int32
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer r.Close()
	w, m := startWebhooks(t, communities{1: hook(1, r.URL)}, "127.0.0.1", 1)
	w.Enqueue(decision(1, 1))
	m.waitFor(t, "failed/redirect", 1)
	if followed.Load() != 0 || tries.Load() != 1 {
		t.Fatalf("redirect followed %d times, tried %d times; want 0 and 1", followed.Load(), tries.Load())
	}
}

func TestATargetThatKeepsFailingIsPausedThenTriedAgain(t *testing.T) {
	var calls atomic.Int32
	var healthy atomic.Bool
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if !healthy.Load() {
			w.WriteHeader(503)
		}
	}))
	defer r.Close()
	list, _ := events.ParseAllowList("127.0.0.1")
	w := events.NewWebhooks(communities{1: hook(1, r.URL)}, list, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var mu sync.Mutex
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	w.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	m := &meter{}
	w.Metrics, w.Attempts, w.BreakAfter, w.BreakFor = m, 1, 3, time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx, 1)
	for i := int64(1); i <= 10; i++ {
		w.Enqueue(decision(i, 1))
	}
	m.waitFor(t, "failed/status_5xx", 3)
	m.waitFor(t, "failed/circuit_open", 7)
	if calls.Load() != 3 {
		t.Fatalf("the receiver was called %d times; want 3 before the circuit opened", calls.Load())
	}
	// After the pause one trial goes through; it succeeds, so the circuit closes.
	healthy.Store(true)
	mu.Lock()
	now = now.Add(time.Minute + time.Second)
	mu.Unlock()
	w.Enqueue(decision(11, 1))
	w.Enqueue(decision(12, 1))
	m.waitFor(t, "ok/delivered", 2)
	if calls.Load() != 5 {
		t.Fatalf("the receiver was called %d times; want 5", calls.Load())
	}
}

func TestACommunitysQueueIsBoundedAndDropsAreCounted(t *testing.T) {
	hang := make(chan struct{})
	var calls atomic.Int32
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); <-hang }))
	defer r.Close()
	defer close(hang)
	list, _ := events.ParseAllowList("127.0.0.1")
	w := events.NewWebhooks(communities{1: hook(1, r.URL)}, list, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m := &meter{}
	w.Metrics, w.QueueSize = m, 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx, 1)
	for i := int64(1); i <= 10; i++ {
		w.Enqueue(decision(i, 1))
	}
	m.waitFor(t, "dropped/queue_full", 7)
}

func TestAllowListSettings(t *testing.T) {
	for _, bad := range []string{"http://x", "10.0.0.0/33", "-bad-.lan", "2130706433", "a b"} {
		if _, err := events.ParseAllowList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := events.ParseAllowList(" hooks.corp.lan , 192.168.10.0/24,10.1.2.3, fd00::/8 ,"); err != nil {
		t.Fatal(err)
	}
}

func TestCheckURL(t *testing.T) {
	lan, _ := events.ParseAllowList("hooks.corp.lan,192.168.10.0/24")
	cases := []struct {
		allow *events.AllowList
		url   string
		want  string // a part of the problem; "" for none
	}{
		{nil, "https://hooks.example/gatehouse", ""},
		{nil, "https://203.0.113.5/hook", "documentation address"},
		{nil, "https://93.184.216.34/hook", ""},
		{nil, "http://hooks.example/gatehouse", "must use https"},
		{nil, "ftp://hooks.example/", "http or https URL"},
		{nil, "hooks.example/x", "http or https URL"},
		{nil, "https://127.0.0.1/", "loopback address (127.0.0.1)"},
		{nil, "https://127.1/", "not a valid IP address"},
		{nil, "https://0x7f000001/", "not a valid IP address"},
		{nil, "https://2130706433/", "not a valid IP address"},
		{nil, "https://0177.0.0.1/", "not a valid IP address"},
		{nil, "https://[::ffff:127.0.0.1]/", "loopback address (127.0.0.1)"},
		{nil, "https://[::1]/", "loopback address"},
		{nil, "https://[fd12::1]/", "unique local"},
		{nil, "https://[fe80::1%25eth0]/", "link-local"},
		{nil, "https://169.254.169.254/latest", "link-local address"},
		{nil, "https://100.64.1.1/", "CGNAT"},
		{nil, "https://10.0.0.5/", "private address"},
		{nil, "https://172.16.0.1/", "private address"},
		{nil, "https://0.0.0.0/", "unspecified"},
		{nil, "https://224.0.0.1/", "multicast"},
		{nil, "https://255.255.255.255/", "broadcast"},
		{nil, "https://localhost/", "localhost"},
		{nil, "https://app.localhost/", "localhost"},
		{lan, "http://192.168.10.5:8080/hook", ""},
		{lan, "https://192.168.10.5/hook", ""},
		{lan, "http://192.168.11.5/hook", "private address"},
		{lan, "http://hooks.corp.lan/hook", ""},
		{lan, "http://HOOKS.corp.lan./hook", ""},
		{lan, "http://other.corp.lan/hook", "must use https"},
		{lan, "https://other.corp.lan/hook", ""}, // its addresses are checked when connecting
	}
	for _, c := range cases {
		err := c.allow.CheckURL(c.url)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.url, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want a problem with %q", c.url, err, c.want)
		}
	}
}

func ExampleAllowList_CheckURL() {
	allow, _ := events.ParseAllowList("192.168.10.0/24")
	fmt.Println(allow.CheckURL("http://192.168.10.5:8080/hook"))
	fmt.Println(allow.CheckURL("http://0x7f000001/"))
	// Output:
	// <nil>
	// has a host that is not a valid IP address; write IPv4 addresses as four decimal numbers, such as 203.0.113.10
}

// breakerWebhooks runs a dispatcher on a fixed clock that tries each
// delivery once and opens a breaker after 3 attempts that find its
// destination down.
func breakerWebhooks(t *testing.T, store communities) (*events.Webhooks, *meter) {
	t.Helper()
	list, _ := events.ParseAllowList("127.0.0.1")
	w := events.NewWebhooks(store, list, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	w.Now = func() time.Time { return now }
	m := &meter{}
	w.Metrics, w.Attempts, w.BreakAfter, w.BreakFor = m, 1, 3, time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.Run(ctx, 1)
	return w, m
}

func TestAnAnswerAboutTheRequestDoesNotOpenTheBreaker(t *testing.T) {
	var calls atomic.Int32
	var status atomic.Int32
	status.Store(404)
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer r.Close()
	w, m := breakerWebhooks(t, communities{1: hook(1, r.URL)})
	for i, code := range []int{404, 401, 403, 400, 422, 410} {
		status.Store(int32(code))
		w.Enqueue(decision(int64(i+1), 1))
		m.waitFor(t, "failed/status_4xx", i+1)
	}
	if calls.Load() != 6 || m.get("failed/circuit_open") != 0 {
		t.Fatalf("six 4xx answers: the receiver was called %d times and %d deliveries found the circuit open; want 6 and 0",
			calls.Load(), m.get("failed/circuit_open"))
	}
	// 429 and 408 say the receiver cannot take deliveries now: they count.
	for i, code := range []int{429, 408, 429} {
		status.Store(int32(code))
		w.Enqueue(decision(int64(10+i), 1))
		m.waitFor(t, "failed/status_4xx", 7+i)
	}
	w.Enqueue(decision(20, 1))
	m.waitFor(t, "failed/circuit_open", 1)
	if calls.Load() != 9 {
		t.Fatalf("the receiver was called %d times; want 9 (the circuit opened after 429, 408, 429)", calls.Load())
	}
}

func TestOneCommunitysFailuresDoNotPauseAnothersDeliveriesToTheSameHost(t *testing.T) {
	var toA, toB atomic.Int32
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			toA.Add(1)
			w.WriteHeader(503)
			return
		}
		toB.Add(1)
	}))
	defer r.Close()
	w, m := breakerWebhooks(t, communities{1: hook(1, r.URL+"/a"), 2: hook(2, r.URL+"/b")})
	for i := int64(1); i <= 6; i++ {
		w.Enqueue(decision(i, 1))
	}
	m.waitFor(t, "failed/status_5xx", 3)
	m.waitFor(t, "failed/circuit_open", 3)
	for i := int64(1); i <= 3; i++ {
		w.Enqueue(decision(100+i, 2))
	}
	m.waitFor(t, "ok/delivered", 3)
	if toA.Load() != 3 || toB.Load() != 3 || m.get("failed/circuit_open") != 3 {
		t.Fatalf("A's receiver called %d times, B's %d, %d deliveries found the circuit open; want 3, 3 and 3 (A's only)",
			toA.Load(), toB.Load(), m.get("failed/circuit_open"))
	}
}
