package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/testproc"
)

// binaries builds gatehouse and gatehouse-gate once per test run, with the
// race detector as the tests run, and returns their paths.
func binaries(t *testing.T) (server, gate string) {
	t.Helper()
	return testproc.Binary(t, "gatehouse/cmd/gatehouse"), testproc.Binary(t, "gatehouse/cmd/gatehouse-gate")
}

// freePort finds a port to reuse across a server's restarts.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// server is a `gatehouse serve` on a fixed port, restartable on its data.
type server struct {
	t    *testing.T
	bin  string
	vars map[string]string
	URL  string
	p    *testproc.Proc
}

func newServer(t *testing.T, bin string) *server {
	dir := t.TempDir()
	port := freePort(t)
	s := &server{t: t, bin: bin, URL: fmt.Sprintf("http://127.0.0.1:%d", port), vars: map[string]string{
		"GATEHOUSE_ADDR":           fmt.Sprintf("127.0.0.1:%d", port),
		"GATEHOUSE_DB_DSN":         filepath.Join(dir, "gatehouse.db"),
		"GATEHOUSE_KEY_DIR":        filepath.Join(dir, "keys"),
		"GATEHOUSE_ADMIN_PASSWORD": "admin-password-1",
		"GATEHOUSE_LOG_LEVEL":      "info",
	}}
	s.Start()
	return s
}

// Start runs the server on its database and key directory, and waits
// until it listens.
func (s *server) Start() {
	s.t.Helper()
	s.p = testproc.Start(s.t, s.bin, []string{"serve"}, s.vars)
	s.p.Listening(s.t)
}

// Stop stops the server as systemd would, and waits for it to end.
func (s *server) Stop() {
	s.p.Signal(syscall.SIGTERM)
}

// gate is a gatehouse-gate whose scanner is its standard input.
type gate struct {
	t    *testing.T
	p    *testproc.Proc
	next int // the log line after the last one waited for
}

func startGate(t *testing.T, bin string, args ...string) *gate {
	t.Helper()
	return &gate{t: t, p: testproc.Start(t, bin, args, nil)}
}

// scan feeds a code to the scanner and returns the decision logged for it.
func (g *gate) scan(code string) map[string]any {
	g.t.Helper()
	if _, err := io.WriteString(g.p.Stdin, code+"\r\n"); err != nil {
		g.t.Fatal(err)
	}
	return g.waitFor("a decision", func(m map[string]any) bool { return m["msg"] == "decision" })
}

// waitFor waits for a log line after the last one waited for.
func (g *gate) waitFor(what string, match func(m map[string]any) bool) map[string]any {
	g.t.Helper()
	m, next := g.p.WaitJSON(g.t, g.next, what, match)
	g.next = next
	return m
}

// saw reports whether any line logged so far matches.
func (g *gate) saw(match func(m map[string]any) bool) bool {
	for _, line := range strings.Split(g.p.Log(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && match(m) {
			return true
		}
	}
	return false
}

func msg(s string) func(m map[string]any) bool {
	return func(m map[string]any) bool { return m["msg"] == s }
}

// uploadedAll matches the log line of an upload that left nothing pending.
func uploadedAll(m map[string]any) bool {
	return m["msg"] == "uploaded offline decisions" && m["pending"] == 0.0
}

func wantDecision(t *testing.T, m map[string]any, decision, reason, mode string) {
	t.Helper()
	if m["decision"] != decision || m["reason"] != reason || m["mode"] != mode {
		t.Fatalf("decision %v %v %v, want %s %s %s: %v", m["decision"], m["reason"], m["mode"], decision, reason, mode, m)
	}
}

// client calls the API of one server.
type client struct {
	t   *testing.T
	url string
}

func (c *client) call(method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// must calls and fails the test unless the status is want.
func (c *client) must(method, path, token string, body any, want int, out any) {
	c.t.Helper()
	st, b, err := c.call(method, path, token, body)
	if err != nil || st != want {
		c.t.Fatalf("%s %s: status %d (%v), want %d: %s", method, path, st, err, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *client) login(user, pw string) string {
	c.t.Helper()
	var out struct{ Token string }
	c.must("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw}, 200, &out)
	return out.Token
}

// site is a community with a manager, a resident host and a gate.
type site struct {
	Admin, Manager, Host string
	Community, GateID    int64
	GateKey              string
}

func newSite(c *client) *site {
	c.t.Helper()
	s := &site{Admin: c.login("admin", "admin-password-1")}
	var com struct{ ID int64 }
	c.must("POST", "/api/v1/communities", s.Admin, map[string]any{"name": "翠竹苑", "anti_passback": "off"}, 201, &com)
	s.Community = com.ID
	c.must("POST", "/api/v1/users", s.Admin, map[string]any{"username": "mgr", "password": "manager-pass", "role": "manager", "community_ids": []int64{com.ID}}, 201, nil)
	s.Manager = c.login("mgr", "manager-pass")
	var r struct{ ID int64 }
	c.must("POST", "/api/v1/residents", s.Manager, map[string]any{"community_id": com.ID, "name": "王芳", "id_type": "resident_id",
		"id_number": "11010519491231002X", "phone": "13800138000", "building": "3栋", "unit": "2单元", "room": "502"}, 201, &r)
	c.must("POST", "/api/v1/users", s.Manager, map[string]any{"username": "wangfang", "password": "resident-pass", "role": "resident", "resident_id": r.ID}, 201, nil)
	s.Host = c.login("wangfang", "resident-pass")
	var g struct {
		ID        int64  `json:"id"`
		DeviceKey string `json:"device_key"`
	}
	c.must("POST", "/api/v1/gates", s.Manager, map[string]any{"community_id": com.ID, "name": "南门"}, 201, &g)
	s.GateID, s.GateKey = g.ID, g.DeviceKey
	return s
}

type pass struct {
	ID   int64
	Code string
}

// invite makes a guest pass for a day with max entries.
func (s *site) invite(c *client, idNumber string, maxEntries int) pass {
	c.t.Helper()
	var p pass
	c.must("POST", "/api/v1/passes", s.Host, map[string]any{
		"visitor":     map[string]any{"name": "张伟", "id_type": "passport", "id_number": idNumber},
		"valid_until": time.Now().Add(24 * time.Hour).Format(time.RFC3339), "max_entries": maxEntries,
	}, 201, &p)
	return p
}

type entry struct {
	ID             int64  `json:"id"`
	PassID         int64  `json:"pass_id"`
	Decision       string `json:"decision"`
	Reason         string `json:"reason"`
	ServerDecision string `json:"server_decision"`
	Method         string `json:"method"`
	EventID        string `json:"event_id"`
	ResidentID     int64  `json:"resident_id"`
	PersonName     string `json:"person_name"`
	Direction      string `json:"direction"`
}

// entries lists the community's entry log.
func (s *site) entries(c *client) []entry {
	c.t.Helper()
	var out struct{ Items []entry }
	c.must("GET", fmt.Sprintf("/api/v1/entries?community_id=%d&limit=500", s.Community), s.Manager, nil, 200, &out)
	return out.Items
}

// verify checks the entry log's hash chain.
func (s *site) verify(c *client, wantChecked int) {
	c.t.Helper()
	var rep struct {
		OK      bool `json:"ok"`
		Checked int  `json:"checked"`
	}
	c.must("GET", "/api/v1/entries/verify", s.Admin, nil, 200, &rep)
	if !rep.OK || rep.Checked != wantChecked {
		c.t.Fatalf("verify: %+v, want ok with %d entries checked", rep, wantChecked)
	}
}

// gateArgs are the flags of a gatehouse-gate at s's gate, with its files in dir.
func gateArgs(t *testing.T, srv *server, s *site, dir string, extra ...string) []string {
	t.Helper()
	keyFile := filepath.Join(dir, "device.key")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(s.GateKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--server", srv.URL, "--device-key-file", keyFile, "--gate-id", strconv.FormatInt(s.GateID, 10),
		"--journal", filepath.Join(dir, "state", "journal"), "--timeout", "800ms", "--sync-interval", "300ms",
		"--open-for", "200ms", "--log-format", "json"}
	return append(args, extra...)
}

// countLines counts the lines of a file, 0 if it does not exist.
func countLines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// eventually retries cond for up to 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// lateProxy stands between a gate and its server: it passes every request
// on and the answer back, but while a lag is set it holds the answers of
// scans that long, after the server has decided and logged them: a server
// that answers after the gate's timeout. An upload waits for the scans in
// flight to reach the server first, however slow the server is.
type lateProxy struct {
	URL      string
	inflight sync.RWMutex // scans on their way to the server hold it for reading
	mu       sync.Mutex
	lag      time.Duration
}

func newLateProxy(t *testing.T, upstream string) *lateProxy {
	t.Helper()
	p := &lateProxy{}
	hc := &http.Client{Timeout: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Not the gate's context: the server finishes the request even
		// after the gate gives up on it.
		req, err := http.NewRequest(r.Method, upstream+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		if r.URL.Path == "/api/v1/scan" {
			p.inflight.RLock()
		} else {
			p.inflight.Lock()
		}
		res, err := hc.Do(req)
		if r.URL.Path == "/api/v1/scan" {
			p.inflight.RUnlock()
		} else {
			p.inflight.Unlock()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		answer, _ := io.ReadAll(res.Body)
		res.Body.Close()
		p.mu.Lock()
		lag := p.lag
		p.mu.Unlock()
		if r.URL.Path == "/api/v1/scan" && lag > 0 {
			select {
			case <-time.After(lag):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
		w.WriteHeader(res.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// setLag makes the answers of scans from now on come lag late.
func (p *lateProxy) setLag(lag time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lag = lag
}
