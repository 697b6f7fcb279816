package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds gatehouse once per test run (with the race detector, as the
// tests run) and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gatehouse")
		out, err := exec.Command("go", "build", "-race", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a `gatehouse serve` in its own process.
type proc struct {
	URL    string
	cmd    *exec.Cmd
	stderr *logBuffer
	exited chan struct{}
}

// startProcess runs `gatehouse serve` with vars and waits until it listens.
func startProcess(t *testing.T, vars map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "GATEHOUSE_LOG_LEVEL=info")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &logBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
				addr <- l.Addr
			}
		}
	}()
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case <-p.exited:
		t.Fatalf("gatehouse serve exited before listening:\n%s", p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("gatehouse serve did not listen within 30s:\n%s", p.stderr.String())
	}
	return p
}

// kill sends sig and waits for the process to end.
func (p *proc) kill(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// client calls the API of one server.
type client struct {
	t   *testing.T
	url string
	hc  *http.Client
}

func newClient(t *testing.T, url string) *client {
	return &client{t: t, url: url, hc: &http.Client{Timeout: 30 * time.Second}}
}

// call sends a JSON request and decodes the answer into out; it returns the status.
func (c *client) call(method, path, token string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
	}
	return res.StatusCode, nil
}

// must calls and fails the test unless the status is want.
func (c *client) must(method, path, token string, body any, want int, out any) {
	c.t.Helper()
	var raw json.RawMessage
	st, err := c.call(method, path, token, body, &raw)
	if err != nil || st != want {
		c.t.Fatalf("%s %s: status %d (%v), want %d: %s", method, path, st, err, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
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

// site is a community with a manager, a resident host, a gate and a guest pass.
type site struct {
	Admin, Manager, Host string
	Community            int64
	HostID               int64
	GateKey              string
	GateID               int64
}

// newSite creates a community and what a scan needs, through the API.
func newSite(c *client, adminPassword string) *site {
	c.t.Helper()
	s := &site{Admin: c.login("admin", adminPassword)}
	var com struct{ ID int64 }
	c.must("POST", "/api/v1/communities", s.Admin, map[string]any{"name": "翠竹苑", "anti_passback": "off"}, 201, &com)
	s.Community = com.ID
	c.must("POST", "/api/v1/users", s.Admin, map[string]any{"username": "mgr", "password": "manager-pass", "role": "manager", "community_ids": []int64{com.ID}}, 201, nil)
	s.Manager = c.login("mgr", "manager-pass")
	var r struct{ ID int64 }
	c.must("POST", "/api/v1/residents", s.Manager, map[string]any{"community_id": com.ID, "name": "王芳", "id_type": "resident_id",
		"id_number": "11010519491231002X", "phone": "13800138000", "building": "3栋", "unit": "2单元", "room": "502"}, 201, &r)
	s.HostID = r.ID
	c.must("POST", "/api/v1/users", s.Manager, map[string]any{"username": "wangfang", "password": "resident-pass", "role": "resident", "resident_id": r.ID}, 201, nil)
	s.Host = c.login("wangfang", "resident-pass")
	var g struct {
		ID        int64  `json:"id"`
		DeviceKey string `json:"device_key"`
	}
	c.must("POST", "/api/v1/gates", s.Manager, map[string]any{"community_id": com.ID, "name": "南门"}, 201, &g)
	s.GateKey, s.GateID = g.DeviceKey, g.ID
	return s
}

// invite makes a guest pass with max entries and returns its id and code.
func (s *site) invite(c *client, idNumber string, maxEntries int) (int64, string) {
	c.t.Helper()
	var p struct {
		ID   int64
		Code string
	}
	c.must("POST", "/api/v1/passes", s.Host, map[string]any{
		"visitor":     map[string]any{"name": "张伟", "id_type": "passport", "id_number": idNumber},
		"valid_until": time.Now().Add(24 * time.Hour).Format(time.RFC3339), "max_entries": maxEntries,
	}, 201, &p)
	return p.ID, p.Code
}

type scanResult struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	EntryID  int64  `json:"entry_id"`
}

// scanAll sends the same code from n goroutines spread over the clients.
func scanAll(t *testing.T, clients []*client, key, code string, n int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r scanResult
			st, err := clients[i%len(clients)].call("POST", "/api/v1/scan", key, map[string]string{"code": code, "direction": "in"}, &r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || st != 200 {
				count[fmt.Sprintf("error %d %v", st, err)]++
				return
			}
			count[r.Reason]++
		}()
	}
	wg.Wait()
	return count
}

func mysqlVars(t *testing.T, dsn string) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"GATEHOUSE_ADDR":           "127.0.0.1:0",
		"GATEHOUSE_DB_DRIVER":      "mysql",
		"GATEHOUSE_DB_DSN":         dsn,
		"GATEHOUSE_KEY_DIR":        filepath.Join(dir, "keys"),
		"GATEHOUSE_ADMIN_PASSWORD": "admin-password-1",
	}
}

func requireMySQL(t *testing.T) string {
	t.Helper()
	if os.Getenv("GATEHOUSE_TEST_MYSQL_DSN") == "" {
		t.Skip("GATEHOUSE_TEST_MYSQL_DSN is not set: the several-process tests need MySQL (.ci/run sets it)")
	}
	return strings.TrimSpace(os.Getenv("GATEHOUSE_TEST_MYSQL_DSN"))
}
