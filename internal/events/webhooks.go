package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"gatehouse/internal/gatehouse"
)

// CommunityReader finds a community's webhook settings.
type CommunityReader interface {
	Community(ctx context.Context, id int64) (*gatehouse.Community, error)
}

// Webhooks POSTs every decision of this process to its community's webhook,
// signed with HMAC-SHA-256 of the body (header X-Gatehouse-Signature:
// sha256=<hex>). Delivery is asynchronous and never slows a scan; a failed
// delivery is retried with exponential backoff. Deliveries pending when the
// process stops are lost: the entry log remains the record.
type Webhooks struct {
	store  CommunityReader
	log    *slog.Logger
	client *http.Client
	queue  chan delivery

	// Attempts is how many times one delivery is tried; Backoff the wait
	// before the second try, doubling after each failure.
	Attempts int
	Backoff  time.Duration
	// SettingsTTL is how long a community's webhook settings are cached: a
	// changed webhook URL takes effect within it.
	SettingsTTL time.Duration

	wg       sync.WaitGroup
	mu       sync.Mutex
	settings map[int64]webhookSettings
}

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
	entryID     int64
	body        []byte
	attempt     int
}

// NewWebhooks returns a dispatcher; Run delivers.
func NewWebhooks(store CommunityReader, log *slog.Logger) *Webhooks {
	return &Webhooks{store: store, log: log, client: &http.Client{Timeout: 5 * time.Second},
		queue: make(chan delivery, 4096), Attempts: 6, Backoff: time.Second, SettingsTTL: 5 * time.Second,
		settings: map[int64]webhookSettings{}}
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

func (w *Webhooks) push(d delivery) {
	select {
	case w.queue <- d:
	default:
		w.log.Warn("webhook queue full; a delivery was dropped", "community_id", d.communityID, "entry_id", d.entryID)
	}
}

// Run delivers with n workers until ctx ends.
func (w *Webhooks) Run(ctx context.Context, n int) {
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case d := <-w.queue:
					w.attempt(ctx, d)
				}
			}
		}()
	}
	w.wg.Wait()
}

func (w *Webhooks) attempt(ctx context.Context, d delivery) {
	url, secret, err := w.target(ctx, d.communityID)
	if err != nil || url == "" {
		return
	}
	err = w.send(ctx, url, secret, d)
	if err == nil {
		return
	}
	d.attempt++
	if d.attempt >= w.Attempts {
		w.log.Warn("webhook delivery failed; giving up", "community_id", d.communityID, "entry_id", d.entryID, "attempts", d.attempt, "err", err.Error())
		return
	}
	wait := w.Backoff << (d.attempt - 1)
	w.log.Info("webhook delivery failed; will retry", "community_id", d.communityID, "entry_id", d.entryID, "in", wait.String(), "err", err.Error())
	time.AfterFunc(wait, func() {
		if ctx.Err() == nil {
			w.push(d)
		}
	})
}

// Sign is the signature header value of a body under a secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *Webhooks) send(ctx context.Context, url, secret string, d delivery) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(d.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gatehouse-Webhook/1")
	req.Header.Set("X-Gatehouse-Event", "decision")
	req.Header.Set("X-Gatehouse-Delivery", strconv.FormatInt(d.entryID, 10))
	req.Header.Set("X-Gatehouse-Signature", Sign(secret, d.body))
	res, err := w.client.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %d", res.StatusCode)
	}
	return nil
}
