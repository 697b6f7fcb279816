package webui

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/testproc"
)

const adminPassword = "admin-password-1"

// server is a `gatehouse serve` on a fresh SQLite database.
type server struct {
	URL  string // http://127.0.0.1:PORT
	Host string // 127.0.0.1:PORT
	DB   string // the SQLite database's file
}

// startServer runs `gatehouse serve` on 127.0.0.1:0 and waits until it
// listens; when the test ends it stops it with SIGTERM and, if the test
// failed, shows the end of its log.
func startServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	p := testproc.Start(t, testproc.Binary(t, "gatehouse/cmd/gatehouse"), []string{"serve"}, map[string]string{
		"HOME":                     dir,
		"GATEHOUSE_ADDR":           "127.0.0.1:0",
		"GATEHOUSE_DB_DSN":         filepath.Join(dir, "gatehouse.db"),
		"GATEHOUSE_KEY_DIR":        filepath.Join(dir, "keys"),
		"GATEHOUSE_ADMIN_PASSWORD": adminPassword,
		"GATEHOUSE_LOG_LEVEL":      "info",
	})
	t.Cleanup(func() {
		p.Signal(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("gatehouse serve log:\n%s", tail(p.Log(), 60))
		}
	})
	addr := p.Listening(t)
	return &server{Host: addr, URL: "http://" + addr, DB: filepath.Join(dir, "gatehouse.db")}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// call sends a JSON request to the API and decodes the answer into out,
// failing the test unless the status is want.
func (s *server) call(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}

func (s *server) login(t *testing.T, user, password string) string {
	t.Helper()
	var out struct{ Token string }
	s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, 200, &out)
	return out.Token
}

// site is what the browser flow needs, made through the API as an admin
// and a manager would: a community, its manager, a resident with an
// account, a gate and a guard.
type site struct {
	CommunityID int64
	ResidentID  int64
	GateID      int64
}

// Accounts of the seeded site (user, password).
var (
	managerAccount  = [2]string{"manager1", "manager-pass-1"}
	residentAccount = [2]string{"wangfang", "resident-pass-1"}
	guardAccount    = [2]string{"guard1", "guard-pass-1"}
)

func seed(t *testing.T, s *server) *site {
	t.Helper()
	admin := s.login(t, "admin", adminPassword)
	var com struct{ ID int64 }
	s.call(t, "POST", "/api/v1/communities", admin, map[string]any{"name": "翠竹苑", "address": "罗湖区翠竹路1号", "anti_passback": "off"}, 201, &com)
	s.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": managerAccount[0], "password": managerAccount[1], "role": "manager",
		"community_ids": []int64{com.ID}}, 201, nil)
	mgr := s.login(t, managerAccount[0], managerAccount[1])
	var res struct{ ID int64 }
	s.call(t, "POST", "/api/v1/residents", mgr, map[string]any{"community_id": com.ID, "name": "王芳", "id_type": "resident_id",
		"id_number": "11010519491231002X", "phone": "13800138000", "building": "3栋", "unit": "2单元", "room": "502"}, 201, &res)
	s.call(t, "POST", "/api/v1/users", mgr, map[string]any{"username": residentAccount[0], "password": residentAccount[1], "role": "resident",
		"resident_id": res.ID}, 201, nil)
	var gate struct{ ID int64 }
	s.call(t, "POST", "/api/v1/gates", mgr, map[string]any{"community_id": com.ID, "name": "南门"}, 201, &gate)
	s.call(t, "POST", "/api/v1/users", mgr, map[string]any{"username": guardAccount[0], "password": guardAccount[1], "role": "guard",
		"community_ids": []int64{com.ID}}, 201, nil)
	return &site{CommunityID: com.ID, ResidentID: res.ID, GateID: gate.ID}
}
