package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"gatehouse/internal/gatehouse"
)

// CommunityReader finds a community's webhook settings.
type CommunityReader interface {
	Community(ctx context.Context, id int64) (*gatehouse.Community, error)
}

// Meter counts what streams and webhooks do; *metrics.Metrics is one.
type Meter interface {
	LiveStreams(open int)
	LiveStreamLimited(action string)
	WebhookDelivery(outcome, reason string)
	WebhookRetry(reason string)
}

// Outcomes and reasons of webhook deliveries, as counted.
const (
	outcomeOK      = "ok"
	outcomeFailed  = "failed"
	outcomeDropped = "dropped"

	reasonDelivered   = "delivered"
	reasonQueueFull   = "queue_full"
	reasonRefusedURL  = "refused_url"     // scheme, host or literal address not allowed
	reasonRefusedAddr = "refused_address" // the name resolved to a refused address
	reasonRedirect    = "redirect"        // a 3xx: never followed
	reasonStatus4xx   = "status_4xx"
	reasonStatus5xx   = "status_5xx"
	reasonTimeout     = "timeout"
	reasonConnect     = "connect"
	reasonCircuitOpen = "circuit_open"
	reasonSettings    = "settings" // the community's settings could not be read
)

// Webhooks POSTs every decision of this process to its community's webhook,
// signed with HMAC-SHA-256 of the body (header X-Gatehouse-Signature:
// sha256=<hex>). Delivery is asynchronous and never slows a scan. Each
// community has its own bounded queue and its own workers, so a slow or
// dead receiver delays only its own community. Each community's
// destination (scheme, host and port) has a circuit breaker of its own, so
// one community's failures at a shared host never pause another's
// deliveries there, and only failures that say the destination is down
// count towards it (see breaker). A failed delivery is retried with
// exponential backoff. Only the addresses and schemes the AllowList permits
// are reached, checked when connecting; redirects are never followed.
// Deliveries pending when the process stops are lost: the entry log
// remains the record.
type Webhooks struct {
	store  CommunityReader
	log    *slog.Logger
	allow  *AllowList
	client *http.Client

	// Metrics, when set, counts deliveries by outcome and reason.
	Metrics Meter
	// Now is the clock of the circuit breakers.
	Now func() time.Time

	// Attempts is how many times one delivery is tried; Backoff the wait
	// before the second try, doubling after each failure; Timeout bounds
	// one attempt, from connecting to the answer's status.
	Attempts int
	Backoff  time.Duration
	Timeout  time.Duration
	// SettingsTTL is how long a community's webhook settings are cached: a
	// changed webhook URL takes effect within it.
	SettingsTTL time.Duration
	// QueueSize bounds one community's pending deliveries (queued or
	// waiting to be retried); a new one past it is dropped and counted.
	QueueSize int
	// BreakAfter consecutive attempts that find a community's destination
	// down stop that community's deliveries to it for BreakFor; then one
	// trial decides whether to resume.
	BreakAfter int
	BreakFor   time.Duration

	wg       sync.WaitGroup
	mu       sync.Mutex
	ctx      context.Context // set by Run; workers start only after it
	workers  int             // per community
	settings map[int64]webhookSettings
	lanes    map[int64]*lane
	breakers map[breakerKey]*breaker
}

// breakerKey names one community's destination: a breaker is never shared
// between communities, even when their webhooks point at one host.
type breakerKey struct {
	communityID int64
	target      string // scheme://host[:port]
}

// lane is one community's queue; w.mu guards its counters.
type lane struct {
	queue   chan delivery
	pending int // queued, being tried, or waiting to be retried
	running int // workers
}

// laneIdle is how long a community's worker waits for work before it ends.
const laneIdle = time.Minute

type webhookSettings struct {
	url, secret string
	read        time.Time
}

// target returns a community's webhook URL and secret, cached.
func (w *Webhooks) target(ctx context.Context, communityID int64) (string, string, error) {
	w.mu.Lock()
	s, ok := w.settings[communityID]
	w.mu.Unlock()
	if ok && time.Since(s.read) < w.SettingsTTL {
		return s.url, s.secret, nil
	}
	c, err := w.store.Community(ctx, communityID)
	if err != nil {
		return "", "", err
	}
	s = webhookSettings{url: c.WebhookURL, secret: c.WebhookSecret, read: time.Now()}
	w.mu.Lock()
	w.settings[communityID] = s
	w.mu.Unlock()
	return s.url, s.secret, nil
}

type delivery struct {
	communityID int64
	entryID     int64 // or the id of a visit request's change
	body        []byte
	attempt     int
	event       string // "" for a decision
}

// NewWebhooks returns a dispatcher that reaches only what allow permits
// (nil: https to public addresses); Run delivers.
func NewWebhooks(store CommunityReader, allow *AllowList, log *slog.Logger) *Webhooks {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: allow.control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	client := &http.Client{Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Webhooks{store: store, log: log, allow: allow, client: client, Now: time.Now,
		Attempts: 6, Backoff: time.Second, Timeout: 5 * time.Second, SettingsTTL: 5 * time.Second,
		QueueSize: 1000, BreakAfter: 5, BreakFor: 30 * time.Second,
		settings: map[int64]webhookSettings{}, lanes: map[int64]*lane{}, breakers: map[breakerKey]*breaker{}}
}

// WebhookEvent is the body of a webhook delivery.
type WebhookEvent struct {
	Event            string              `json:"event"` // "decision"
	EntryID          int64               `json:"entry_id"`
	CommunityID      int64               `json:"community_id"`
	GateID           int64               `json:"gate_id,omitempty"`
	PassID           int64               `json:"pass_id,omitempty"`
	Direction        gatehouse.Direction `json:"direction"`
	Decision         gatehouse.Decision  `json:"decision"`
	Reason           gatehouse.Reason    `json:"reason"`
	Method           gatehouse.Method    `json:"method"`
	OccurredAt       time.Time           `json:"occurred_at"`
	Host             *Dwelling           `json:"host,omitempty"`
	RemainingEntries *int                `json:"remaining_entries,omitempty"`
}

// Dwelling is where a host lives; names and ID numbers are not sent.
type Dwelling struct {
	ResidentID int64  `json:"resident_id"`
	Building   string `json:"building"`
	Unit       string `json:"unit"`
	Room       string `json:"room"`
}

// Enqueue schedules a decision for its community's webhook, dropping it
// (with a log line) if the queue is full. A community known to have no
// webhook costs nothing.
func (w *Webhooks) Enqueue(ev *gatehouse.DecisionEvent) {
	e := ev.Entry
	w.mu.Lock()
	s, known := w.settings[e.CommunityID]
	w.mu.Unlock()
	if known && s.url == "" && time.Since(s.read) < w.SettingsTTL {
		return
	}
	body := WebhookEvent{Event: "decision", EntryID: e.ID, CommunityID: e.CommunityID, GateID: e.GateID, PassID: e.PassID,
		Direction: e.Direction, Decision: e.Decision, Reason: e.Reason, Method: e.Method, OccurredAt: e.OccurredAt,
		RemainingEntries: ev.RemainingEntries}
	if h := ev.Host; h != nil {
		body.Host = &Dwelling{ResidentID: h.ID, Building: h.Building, Unit: h.Unit, Room: h.Room}
	}
	b, _ := json.Marshal(body)
	w.push(delivery{communityID: e.CommunityID, entryID: e.ID, body: b})
}

// VisitWebhookEvent is the body of a visit request's webhook: the
// dwelling and status, never the visitor's name, phone or ID number.
type VisitWebhookEvent struct {
	Event       string    `json:"event"` // visit_request
	RequestID   int64     `json:"request_id"`
	CommunityID int64     `json:"community_id"`
	GateID      int64     `json:"gate_id,omitempty"`
	Status      string    `json:"status"`
	Watchlisted bool      `json:"watchlisted"`
	Building    string    `json:"building"`
	Unit        string    `json:"unit"`
	Room        string    `json:"room"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// EnqueueVisit schedules a visit request's change for its community's
// webhook (header X-Gatehouse-Event: visit_request).
func (w *Webhooks) EnqueueVisit(ev *gatehouse.VisitEvent) {
	r := ev.Request
	w.mu.Lock()
	s, known := w.settings[r.CommunityID]
	w.mu.Unlock()
	if known && s.url == "" && time.Since(s.read) < w.SettingsTTL {
		return
	}
	b, _ := json.Marshal(VisitWebhookEvent{Event: "visit_request", RequestID: r.ID, CommunityID: r.CommunityID, GateID: r.GateID,
		Status: r.Status, Watchlisted: r.Watchlisted, Building: r.Household.Building, Unit: r.Household.Unit, Room: r.Household.Room,
		ExpiresAt: r.ExpiresAt})
	w.push(delivery{communityID: r.CommunityID, entryID: ev.Seq, body: b, event: "visit_request"})
}

// push queues a new delivery in its community's lane, or drops it when the
// lane is full.
func (w *Webhooks) push(d delivery) {
	w.mu.Lock()
	l := w.lanes[d.communityID]
	if l == nil {
		l = &lane{queue: make(chan delivery, w.QueueSize)}
		w.lanes[d.communityID] = l
	}
	if l.pending >= cap(l.queue) {
		w.mu.Unlock()
		w.count(outcomeDropped, reasonQueueFull)
		w.log.Warn("webhook queue of a community full; a delivery was dropped", "community_id", d.communityID, "entry_id", d.entryID)
		return
	}
	l.pending++
	l.queue <- d // never blocks: pending bounds what the channel holds
	w.startWorker(d.communityID, l)
	w.mu.Unlock()
}

// retry puts a delivery back in its lane, which it still counts in.
func (w *Webhooks) retry(d delivery) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.lanes[d.communityID]
	l.queue <- d
	w.startWorker(d.communityID, l)
}

// done forgets a delivery that has its outcome.
func (w *Webhooks) done(d delivery) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.lanes[d.communityID]
	l.pending--
	if l.pending == 0 && l.running == 0 {
		delete(w.lanes, d.communityID)
	}
}

// startWorker starts one more worker for a lane that has fewer than its
// share; call it with w.mu held.
func (w *Webhooks) startWorker(communityID int64, l *lane) {
	if w.ctx == nil || w.ctx.Err() != nil || l.running >= w.workers || len(l.queue) == 0 {
		return
	}
	l.running++
	w.wg.Add(1)
	go w.work(w.ctx, communityID, l)
}

// work delivers a community's queue until it has been idle for laneIdle.
func (w *Webhooks) work(ctx context.Context, communityID int64, l *lane) {
	defer w.wg.Done()
	idle := time.NewTimer(laneIdle)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-l.queue:
			w.attempt(ctx, d)
			idle.Reset(laneIdle)
		case <-idle.C:
			w.mu.Lock()
			if len(l.queue) == 0 {
				l.running--
				if l.running == 0 && l.pending == 0 {
					delete(w.lanes, communityID)
				}
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
			idle.Reset(laneIdle)
		}
	}
}

// Run delivers, with up to n concurrent deliveries per community, until
// ctx ends.
func (w *Webhooks) Run(ctx context.Context, n int) {
	w.mu.Lock()
	w.ctx, w.workers = ctx, max(1, n)
	for id, l := range w.lanes {
		for range w.workers {
			w.startWorker(id, l)
		}
	}
	w.mu.Unlock()
	<-ctx.Done()
	w.wg.Wait()
}

func (w *Webhooks) count(outcome, reason string) {
	if w.Metrics != nil {
		w.Metrics.WebhookDelivery(outcome, reason)
	}
}

// failure is why an attempt failed; a permanent one is not retried; what
// it says of the destination feeds the circuit breaker.
type failure struct {
	reason    string
	permanent bool
	health    health
	err       error
}

func (f *failure) Error() string { return f.err.Error() }

func (w *Webhooks) attempt(ctx context.Context, d delivery) {
	f := w.try(ctx, d)
	if f == nil {
		w.done(d)
		w.count(outcomeOK, reasonDelivered)
		return
	}
	if f.reason == "" { // the webhook was removed
		w.done(d)
		return
	}
	d.attempt++
	if f.permanent || d.attempt >= w.Attempts {
		w.done(d)
		w.count(outcomeFailed, f.reason)
		w.log.Warn("webhook delivery failed; giving up", "community_id", d.communityID, "entry_id", d.entryID,
			"attempts", d.attempt, "reason", f.reason, "err", f.Error())
		return
	}
	if w.Metrics != nil {
		w.Metrics.WebhookRetry(f.reason)
	}
	wait := w.Backoff << (d.attempt - 1)
	w.log.Info("webhook delivery failed; will retry", "community_id", d.communityID, "entry_id", d.entryID,
		"in", wait.String(), "reason", f.reason, "err", f.Error())
	time.AfterFunc(wait, func() {
		if ctx.Err() == nil {
			w.retry(d)
		}
	})
}

// try makes one attempt; nil is success, a failure without a reason means
// there is no webhook any more.
func (w *Webhooks) try(ctx context.Context, d delivery) *failure {
	raw, secret, err := w.target(ctx, d.communityID)
	if err != nil {
		return &failure{reason: reasonSettings, err: err}
	}
	if raw == "" {
		return &failure{err: errors.New("no webhook")}
	}
	if err := w.allow.CheckURL(raw); err != nil {
		return &failure{reason: reasonRefusedURL, permanent: true, err: fmt.Errorf("webhook_url %w", err)}
	}
	u, _ := url.Parse(raw) // CheckURL parsed it
	key := breakerKey{communityID: d.communityID, target: u.Scheme + "://" + u.Host}
	now := w.Now()
	w.mu.Lock()
	b := w.breakers[key]
	if b == nil {
		b = &breaker{}
		w.breakers[key] = b
	}
	ok := b.allow(now, w.BreakAfter)
	w.mu.Unlock()
	if !ok {
		return &failure{reason: reasonCircuitOpen, err: fmt.Errorf("%s was down %d times in a row; deliveries to it pause", key.target, w.BreakAfter)}
	}
	f := w.send(ctx, raw, secret, d)
	h := healthUp
	if f != nil {
		h = f.health
	}
	w.mu.Lock()
	opened := b.record(h, w.Now(), w.BreakAfter, w.BreakFor)
	if b.idle() && w.breakers[key] == b {
		delete(w.breakers, key) // a healthy destination needs no memory: the map stays small
	}
	w.mu.Unlock()
	if opened {
		w.log.Warn("webhook target keeps failing; this community's deliveries to it pause", "community_id", d.communityID,
			"target", key.target, "for", w.BreakFor.String())
	}
	return f
}

// Sign is the signature header value of a body under a secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *Webhooks) send(ctx context.Context, url, secret string, d delivery) *failure {
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(d.body))
	if err != nil {
		return &failure{reason: reasonRefusedURL, permanent: true, err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gatehouse-Webhook/1")
	event := d.event
	if event == "" {
		event = "decision"
	}
	req.Header.Set("X-Gatehouse-Event", event)
	req.Header.Set("X-Gatehouse-Delivery", strconv.FormatInt(d.entryID, 10))
	req.Header.Set("X-Gatehouse-Signature", Sign(secret, d.body))
	res, err := w.client.Do(req)
	if err != nil {
		var refused *AddressError
		switch {
		case errors.As(err, &refused):
			return &failure{reason: reasonRefusedAddr, permanent: true, health: healthUnknown, err: refused}
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return &failure{reason: reasonTimeout, health: healthDown, err: err}
		}
		return &failure{reason: reasonConnect, health: healthDown, err: err}
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 4096)) // lets the connection be reused
	res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode <= 299:
		return nil
	case res.StatusCode >= 300 && res.StatusCode <= 399:
		return &failure{reason: reasonRedirect, permanent: true, health: healthUp,
			err: fmt.Errorf("the receiver answered %d (a redirect, not followed: set webhook_url to the final address)", res.StatusCode)}
	case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests:
		// The receiver is there but cannot take deliveries now.
		return &failure{reason: reasonStatus4xx, health: healthDown, err: fmt.Errorf("the receiver answered %d", res.StatusCode)}
	case res.StatusCode >= 400 && res.StatusCode <= 499:
		// An answer about this request (a wrong path or secret): the
		// receiver is up, so the breaker does not count it.
		return &failure{reason: reasonStatus4xx, health: healthUp, err: fmt.Errorf("the receiver answered %d", res.StatusCode)}
	}
	return &failure{reason: reasonStatus5xx, health: healthDown, err: fmt.Errorf("the receiver answered %d", res.StatusCode)}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
