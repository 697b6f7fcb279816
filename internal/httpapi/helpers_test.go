package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"gatehouse/internal/access"
	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/httpapi"
	"gatehouse/internal/metrics"
	"gatehouse/internal/passcode"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// clock is a settable clock shared by the store and the API under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is one API under test on one database.
type env struct {
	t      testing.TB
	db     *store.DB
	api    *httpapi.Server
	clock  *clock
	engine *access.Engine
	hub    *events.Hub
	logs   *syncBuffer // everything the server logged
	admin  string      // the admin's token
}

// syncBuffer is a buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv builds an API on db with an admin account, logged in.
func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	key, err := db.CreateSigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	engine := access.New(db, passcode.NewKeyring([]passcode.Key{key}), clk.Now)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The test receivers listen on loopback, which only the allow-list lets
	// webhooks reach (over plain http).
	allow, err := events.ParseAllowList("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	webhooks := events.NewWebhooks(db, allow, log)
	webhooks.Backoff = 20 * time.Millisecond
	hub := events.NewHub(db, webhooks, log)
	hub.PollEvery = 50 * time.Millisecond
	m := metrics.New()
	m.CountScanRetries(db.ScanRetries)
	engine.NotifyTo(access.Notifiers{hub, m})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go webhooks.Run(ctx, 2)
	go hub.Run(ctx)
	api := httpapi.New(httpapi.Config{
		Store:        db,
		Engine:       engine,
		Hub:          hub,
		Metrics:      m,
		WebhookAllow: allow,
		Logger:       log,
		Passwords:    password.Hasher{Cost: bcrypt.MinCost},
		Now:          clk.Now,
	})
	e := &env{t: t, db: db, api: api, clock: clk, engine: engine, hub: hub, logs: logs}
	e.mustUser("admin", gatehouse.RoleAdmin, nil, 0)
	e.admin = e.login("admin")
	return e
}

const testPassword = "correct horse battery"

// mustUser stores a user directly, with testPassword.
func (e *env) mustUser(name string, role gatehouse.Role, communities []int64, residentID int64) *gatehouse.User {
	e.t.Helper()
	h, _ := password.Hasher{Cost: bcrypt.MinCost}.Hash(testPassword)
	u := &gatehouse.User{Username: name, PasswordHash: h, Role: role, Communities: communities, ResidentID: residentID}
	if err := e.db.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// login logs a user in with testPassword and returns the token.
func (e *env) login(name string) string {
	e.t.Helper()
	var out struct{ Token string }
	e.expect("POST", "/api/v1/auth/login", "", map[string]string{"username": name, "password": testPassword}, 200, &out)
	return out.Token
}

// response is what a request returned.
type response struct {
	Status int
	Body   []byte
	Header http.Header
}

// Err decodes an error body.
func (r response) Err() (code, message string, fields map[string]string) {
	var b struct {
		Error struct {
			Code    string
			Message string
			Fields  map[string]string
		}
	}
	json.Unmarshal(r.Body, &b)
	return b.Error.Code, b.Error.Message, b.Error.Fields
}

// do sends a request; body is JSON-encoded unless it is a string or []byte.
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = "192.0.2.1:4000"
	req.Header.Set("Accept-Language", "en") // tests read English messages; lang_test reads the Chinese default
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		if _, ok := body.(string); !ok {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req)
	return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
}

// expect sends a request, fails unless the status is want, and decodes the
// body into out (when not nil).
func (e *env) expect(method, path, token string, body any, want int, out any) response {
	e.t.Helper()
	res := e.do(method, path, token, body)
	if res.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.Status, want, res.Body)
	}
	if out != nil {
		if err := json.Unmarshal(res.Body, out); err != nil {
			e.t.Fatalf("%s %s: body %s: %v", method, path, res.Body, err)
		}
	}
	return res
}

// community creates a community through the API and returns its id.
func (e *env) community(name string) int64 {
	e.t.Helper()
	var c struct{ ID int64 }
	e.expect("POST", "/api/v1/communities", e.admin, map[string]any{"name": name, "address": name + "路1号", "anti_passback": "off"}, 201, &c)
	return c.ID
}

// validID returns a valid resident ID number whose serial part is n.
func validID(n int) string {
	first := fmt.Sprintf("44030319900101%03d", n%1000)
	return first + string(gatehouse.ResidentIDCheckChar(first))
}

type residentOut struct {
	ID             int64  `json:"id"`
	CommunityID    int64  `json:"community_id"`
	Name           string `json:"name"`
	IDNumber       string `json:"id_number"`
	IDNumberMasked bool   `json:"id_number_masked"`
	Building       string `json:"building"`
	Unit           string `json:"unit"`
	Room           string `json:"room"`
}

// resident creates a resident through the API as token.
func (e *env) resident(token string, community int64, name string, n int, building, unit, room string) residentOut {
	e.t.Helper()
	var r residentOut
	e.expect("POST", "/api/v1/residents", token, map[string]any{
		"community_id": community, "name": name, "id_type": "resident_id", "id_number": validID(n),
		"phone": "13800138000", "building": building, "unit": unit, "room": room,
	}, 201, &r)
	return r
}

// eachDB runs a test against a fresh API on every dialect.
func eachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db)) })
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// otherProcess is a second API on the same database, with its own engine
// and hub, as another server process would have.
type otherProcess struct {
	t   *testing.T
	api *httpapi.Server
}

func newOtherProcess(t *testing.T, e *env) *otherProcess {
	t.Helper()
	ks, err := e.db.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	engine := access.New(e.db, passcode.NewKeyring(ks), e.clock.Now)
	api := httpapi.New(httpapi.Config{Store: e.db, Engine: engine,
		Passwords: password.Hasher{Cost: bcrypt.MinCost}, Now: e.clock.Now})
	return &otherProcess{t: t, api: api}
}

// scan scans in at the gate of key and returns the entry id.
func (o *otherProcess) scan(key, code string) int64 {
	o.t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/scan", strings.NewReader(`{"code":"`+code+`","direction":"in"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	o.api.ServeHTTP(w, req)
	var out struct {
		EntryID int64 `json:"entry_id"`
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &out) != nil {
		o.t.Fatalf("scan on the other process: %d %s", w.Code, w.Body)
	}
	return out.EntryID
}

func (o *otherProcess) post(key, code string) (int, string) {
	req := httptest.NewRequest("POST", "/api/v1/scan", strings.NewReader(`{"code":"`+code+`","direction":"in"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	o.api.ServeHTTP(w, req)
	var out struct {
		Reason string `json:"reason"`
	}
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out.Reason
}

func (o *otherProcess) scanReason(key, code string) string {
	_, r := o.post(key, code)
	return r
}

func (o *otherProcess) scanStatus(key, code string) int {
	st, _ := o.post(key, code)
	return st
}
