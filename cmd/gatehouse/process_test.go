package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/testproc"
)

// proc is a `gatehouse serve` in its own process.
type proc struct {
	*testproc.Proc
	URL string
}

// startProcess runs `gatehouse serve` with vars and waits until it listens.
func startProcess(t *testing.T, vars map[string]string) *proc {
	t.Helper()
	env := map[string]string{}
	for k, v := range vars {
		env[k] = v
	}
	env["GATEHOUSE_LOG_LEVEL"] = "info"
	p := testproc.Start(t, testproc.Binary(t, "gatehouse/cmd/gatehouse"), []string{"serve"}, env)
	return &proc{Proc: p, URL: "http://" + p.Listening(t)}
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
