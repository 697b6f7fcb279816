package gateagent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gatehouse/internal/gatehouse"
)

// Client calls the three routes a door controller uses, with the gate's
// device key.
type Client struct {
	base   string
	key    string
	gateID int64
	hc     *http.Client
}

// NewClient returns a client of the server at base (no trailing slash).
func NewClient(base, deviceKey string, gateID int64) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// A restarted server leaves dead keep-alive connections; do not hold
	// them long, so a scan rarely meets one.
	tr.IdleConnTimeout = 30 * time.Second
	return &Client{base: base, key: deviceKey, gateID: gateID, hc: &http.Client{Transport: tr}}
}

// ErrUnreachable wraps every failure that means "the server did not
// answer": a network error, a timeout, or a 5xx (a proxy in front of a
// stopped server). Only these let the controller decide offline.
var ErrUnreachable = errors.New("server unreachable")

// APIError is an answer of the server that refuses the request (4xx).
type APIError struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string // what is wrong with which field, when the server says
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.Status, e.Code, e.Message)
}

// do sends a JSON request and decodes a 200 answer into out.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%w: reading the answer: %v", ErrUnreachable, err)
	}
	if res.StatusCode >= 500 {
		return fmt.Errorf("%w: %s %s answered %d", ErrUnreachable, method, path, res.StatusCode)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Code, Message string
				Fields        map[string]string
			}
		}
		_ = json.Unmarshal(b, &e)
		return &APIError{Status: res.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Fields: e.Error.Fields}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer: %v", method, path, err)
	}
	return nil
}

// ScanResult is the server's decision on one scan.
type ScanResult struct {
	Decision   gatehouse.Decision `json:"decision"`
	Reason     gatehouse.Reason   `json:"reason"`
	EntryID    int64              `json:"entry_id"`
	PassID     int64              `json:"pass_id"`
	ValidUntil *time.Time         `json:"valid_until"`
}

// Scan asks the server to decide a code at this gate. A non-empty eventID
// makes the scan idempotent: the server logs the entry under it, once.
func (c *Client) Scan(ctx context.Context, code string, dir gatehouse.Direction, eventID string) (*ScanResult, error) {
	var out ScanResult
	body := map[string]string{"code": code, "direction": string(dir)}
	if eventID != "" {
		body["event_id"] = eventID
	}
	err := c.do(ctx, "POST", "/api/v1/scan", body, &out)
	if err != nil {
		return nil, err
	}
	if out.Decision != gatehouse.Grant && out.Decision != gatehouse.Deny {
		return nil, fmt.Errorf("POST /api/v1/scan: unexpected decision %q", out.Decision)
	}
	return &out, nil
}

// SyncKey is one public key as the server publishes it.
type SyncKey struct {
	KeyID     uint32    `json:"kid"`
	Algorithm string    `json:"alg"`
	PublicKey string    `json:"public_key"` // base64, standard alphabet
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
}

// SyncPage is one answer of GET /gates/{id}/sync. The community's settings
// are zero from a server older than them.
type SyncPage struct {
	CommunityID       int64      `json:"community_id"`
	TimeZone          string     `json:"time_zone"`
	AntiPassback      string     `json:"anti_passback"` // "on" or "off"
	Cursor            string     `json:"cursor"`
	More              bool       `json:"more"`
	Revoked           []int64    `json:"revoked"`
	Exhausted         []int64    `json:"exhausted"`
	MovedOutResidents []int64    `json:"moved_out_residents"`
	Keys              []SyncKey  `json:"keys"`
	ServerTime        time.Time  `json:"server_time"`
	Cards             []SyncCard `json:"cards"`
	CardsRemoved      []SyncCard `json:"cards_removed"`
	CardsComplete     bool       `json:"cards_complete"` // Cards is every card: drop any other
}

// SyncCard is a resident's card as sync sends it.
type SyncCard struct {
	ID         int64      `json:"id"`
	Number     string     `json:"number"`
	ResidentID int64      `json:"resident_id,omitempty"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

// Sync fetches what changed after cursor ("" for everything); allCards
// asks for every card too, for a controller's full reconcile.
func (c *Client) Sync(ctx context.Context, cursor string, allCards bool) (*SyncPage, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if allCards {
		q.Set("cards", "all")
	}
	path := "/api/v1/gates/" + strconv.FormatInt(c.gateID, 10) + "/sync"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out SyncPage
	if err := c.do(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UploadEvent is one offline decision as the server takes it.
type UploadEvent struct {
	EventID    string              `json:"event_id"`
	Code       string              `json:"code,omitempty"`
	Method     gatehouse.Method    `json:"method,omitempty"` // card: a swipe the controller decided
	Card       string              `json:"card,omitempty"`
	Direction  gatehouse.Direction `json:"direction"`
	OccurredAt string              `json:"occurred_at"`
	Decision   gatehouse.Decision  `json:"decision"`
}

// UploadResult says what became of each uploaded event.
type UploadResult struct {
	Recorded   []string `json:"recorded"`
	Duplicates []string `json:"duplicates"`
	Rejected   []struct {
		Index   int    `json:"index"`
		EventID string `json:"event_id"`
		Reason  string `json:"reason"`
	} `json:"rejected"`
}

// MaxUploadBatch is the most events the server takes at once.
const MaxUploadBatch = 1000

// Upload sends offline decisions; the server logs each once by its event id.
func (c *Client) Upload(ctx context.Context, events []UploadEvent) (*UploadResult, error) {
	var out UploadResult
	path := "/api/v1/gates/" + strconv.FormatInt(c.gateID, 10) + "/events"
	if err := c.do(ctx, "POST", path, map[string]any{"events": events}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DoorEvent is one door event as the server takes it.
type DoorEvent struct {
	EventID    string                  `json:"event_id"`
	Kind       gatehouse.GateEventKind `json:"kind"`
	Door       int                     `json:"door"`
	OccurredAt string                  `json:"occurred_at"`
}

// UploadDoorEvents sends door events (the exit button, a forced door); the
// server logs each once by its event id.
func (c *Client) UploadDoorEvents(ctx context.Context, events []DoorEvent) (*UploadResult, error) {
	var out UploadResult
	path := "/api/v1/gates/" + strconv.FormatInt(c.gateID, 10) + "/door-events"
	if err := c.do(ctx, "POST", path, map[string]any{"events": events}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Heartbeat is what the agent reports of itself and its controller.
type Heartbeat struct {
	Version         string               `json:"version"`
	IntervalSeconds int                  `json:"interval_seconds"`
	LastSync        string               `json:"last_sync,omitempty"`
	Pending         int                  `json:"pending"`
	Controller      *ControllerHeartbeat `json:"controller,omitempty"`
}

// ControllerHeartbeat is the controller board as the agent last saw it.
type ControllerHeartbeat struct {
	Kind              string `json:"kind"`
	DeviceID          int64  `json:"device_id,omitempty"`
	Online            bool   `json:"online"`
	SilentSeconds     *int64 `json:"silent_seconds,omitempty"` // since it last answered; absent: not since the agent started
	LastEventIndex    int64  `json:"last_event_index"`
	DoorOpen          bool   `json:"door_open"`
	ClockDriftSeconds int64  `json:"clock_drift_seconds"`
}

// SendHeartbeat reports the agent's state.
func (c *Client) SendHeartbeat(ctx context.Context, hb Heartbeat) error {
	var out json.RawMessage
	return c.do(ctx, "POST", "/api/v1/gates/"+strconv.FormatInt(c.gateID, 10)+"/status", hb, &out)
}
