package webui

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

// gatehouseBinary builds cmd/gatehouse once per test run and returns its path.
func gatehouseBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-webui-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gatehouse")
		out, err := exec.Command("go", "build", "-o", binPath, "gatehouse/cmd/gatehouse").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build gatehouse/cmd/gatehouse: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// logBuffer collects a process's output for failure messages.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const adminPassword = "admin-password-1"

// server is a `gatehouse serve` on a fresh SQLite database.
type server struct {
	URL  string // http://127.0.0.1:PORT
	Host string // 127.0.0.1:PORT
	log  *logBuffer
}

// startServer runs `gatehouse serve` on 127.0.0.1:0 and waits for its
// {"msg":"listening","addr":...} line.
func startServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(gatehouseBinary(t), "serve")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"GATEHOUSE_ADDR=127.0.0.1:0",
		"GATEHOUSE_DB_DSN=" + filepath.Join(dir, "gatehouse.db"),
		"GATEHOUSE_KEY_DIR=" + filepath.Join(dir, "keys"),
		"GATEHOUSE_ADMIN_PASSWORD=" + adminPassword,
		"GATEHOUSE_LOG_LEVEL=info",
	}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	s := &server{log: &logBuffer{}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.log.Write([]byte(line + "\n"))
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
				select {
				case addr <- l.Addr:
				default:
				}
			}
		}
	}()
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("gatehouse serve log:\n%s", tail(s.log.String(), 60))
		}
	})
	select {
	case a := <-addr:
		s.Host = a
		s.URL = "http://" + a
	case <-exited:
		t.Fatalf("gatehouse serve exited before listening:\n%s", s.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("gatehouse serve did not listen within 60s:\n%s", s.log.String())
	}
	return s
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
