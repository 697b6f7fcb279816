package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// logBuffer collects output safely while the server writes to it.
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

// server is a `gatehouse serve` running in the test process.
type server struct {
	URL    string
	Stdout *logBuffer
	Stderr *logBuffer
	stop   context.CancelFunc
	done   chan struct{} // closed when run has returned
	err    error         // run's result, once done is closed
}

// Stop sends the equivalent of SIGTERM and returns run's result.
func (s *server) Stop(t *testing.T) error {
	t.Helper()
	s.stop()
	select {
	case <-s.done:
		return s.err
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s")
		return nil
	}
}

// env returns getenv over a map.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// sqliteEnv is the environment of a server on a fresh SQLite database.
func sqliteEnv(t *testing.T) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"GATEHOUSE_ADDR":           "127.0.0.1:0",
		"GATEHOUSE_DB_DSN":         filepath.Join(dir, "gatehouse.db"),
		"GATEHOUSE_KEY_DIR":        filepath.Join(dir, "keys"),
		"GATEHOUSE_ADMIN_PASSWORD": "admin-password-1",
		"GATEHOUSE_LOG_LEVEL":      "warn",
	}
}

// startServe runs serve and waits until it listens.
func startServe(t *testing.T, vars map[string]string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{Stdout: &logBuffer{}, Stderr: &logBuffer{}, stop: cancel, done: make(chan struct{})}
	vars["GATEHOUSE_LOG_LEVEL"] = "info"
	go func() {
		s.err = run(ctx, []string{"serve"}, env(vars), s.Stdout, s.Stderr)
		close(s.done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(s.Stderr.String(), "\n") {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
				s.URL = "http://" + l.Addr
				t.Cleanup(func() { cancel(); <-s.done })
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("serve stopped before listening: %v\n%s", s.err, s.Stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not listen within 20s:\n%s", s.Stderr.String())
	return nil
}

func login(t *testing.T, url, user, pw string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	res, err := http.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out.Token
}

func TestServeOnAnEmptyDatabaseMigratesMakesKeysAndCreatesAdmin(t *testing.T) {
	vars := sqliteEnv(t)
	s := startServe(t, vars)
	if st, tok := login(t, s.URL, "admin", "admin-password-1"); st != 200 || tok == "" {
		t.Fatalf("admin login: %d", st)
	}
	res, err := http.Get(s.URL + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	for _, f := range []string{"data.key", "lookup.key"} {
		fi, err := os.Stat(filepath.Join(vars["GATEHOUSE_KEY_DIR"], f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file %s: %v %v, want mode 0600", f, fi, err)
		}
	}
	if err := s.Stop(t); err != nil {
		t.Fatalf("clean stop: %v", err)
	}
	if strings.Contains(s.Stdout.String(), "admin-password-1") || strings.Contains(s.Stderr.String(), "admin-password-1") {
		t.Fatal("a password from the environment was printed")
	}
}

func TestGeneratedAdminPasswordIsPrintedOnce(t *testing.T) {
	vars := sqliteEnv(t)
	delete(vars, "GATEHOUSE_ADMIN_PASSWORD")
	s := startServe(t, vars)
	out := s.Stdout.String()
	_, after, ok := strings.Cut(out, "Created the user admin with password ")
	if !ok {
		t.Fatalf("no password printed: %q", out)
	}
	pw := strings.Fields(after)[0]
	if st, _ := login(t, s.URL, "admin", pw); st != 200 {
		t.Fatalf("login with the printed password: %d", st)
	}
	if strings.Contains(s.Stderr.String(), pw) {
		t.Fatal("the generated password is in the log")
	}
	s.Stop(t)
	again := startServe(t, vars)
	if strings.Contains(again.Stdout.String(), "password") {
		t.Fatalf("second start printed a password again: %q", again.Stdout.String())
	}
}

func TestServeRefusesASchemaThatIsBehind(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			_, dsn := storetest.NewDSN(t, d)
			db, err := store.Open(ctx, d, dsn, storetest.Keys(t))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			s, _ := db.Schema(ctx)
			if err := db.MigrateDownTo(ctx, s.Target-1); err != nil {
				t.Fatal(err)
			}
			db.Close()
			vars := sqliteEnv(t)
			vars["GATEHOUSE_DB_DRIVER"], vars["GATEHOUSE_DB_DSN"] = d, dsn
			err = run(ctx, []string{"serve"}, env(vars), &logBuffer{}, &logBuffer{})
			if err == nil || !strings.Contains(err.Error(), "gatehouse migrate") {
				t.Fatalf("serve on a schema that is behind: %v; want advice to run gatehouse migrate", err)
			}
			// Following the advice makes serve start.
			var out logBuffer
			if err := run(ctx, []string{"migrate"}, env(vars), &out, &logBuffer{}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "applied migrations") {
				t.Fatalf("migrate said %q", out.String())
			}
			startServe(t, vars)
		})
	}
}

func TestBadSettingsStopStartUpWithOneLineNamingThem(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"driver", "GATEHOUSE_DB_DRIVER", "postgres", "GATEHOUSE_DB_DRIVER: "},
		{"mysql dsn syntax", "GATEHOUSE_DB_DSN", "not a dsn", "GATEHOUSE_DB_DSN: "},
		{"mysql unreachable", "GATEHOUSE_DB_DSN", "root@tcp(127.0.0.1:1)/gatehouse", "GATEHOUSE_DB_DSN: "},
		{"address", "GATEHOUSE_ADDR", "8080", "GATEHOUSE_ADDR: "},
		{"time zone", "GATEHOUSE_TZ", "Mars/Olympus", "GATEHOUSE_TZ: "},
		{"retention", "GATEHOUSE_RETENTION_DAYS", "forever", "GATEHOUSE_RETENTION_DAYS: "},
		{"proxies", "GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8,nginx", "GATEHOUSE_TRUSTED_PROXIES: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := sqliteEnv(t)
			vars[tc.key] = tc.value
			if strings.HasPrefix(tc.name, "mysql") {
				vars["GATEHOUSE_DB_DRIVER"] = "mysql"
			}
			err := run(context.Background(), []string{"serve"}, env(vars), &logBuffer{}, &logBuffer{})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %q, want one line starting %q", err, tc.want)
			}
			if exitCode(err) != 2 {
				t.Fatalf("exit code %d, want 2", exitCode(err))
			}
			if _, statErr := os.Stat(vars["GATEHOUSE_KEY_DIR"]); !errors.Is(statErr, os.ErrNotExist) {
				t.Fatalf("a failed start made the key directory")
			}
		})
	}
}

func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	s := startServe(t, sqliteEnv(t))
	type result struct {
		status int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		// A login checks a bcrypt hash at production cost: long enough to be
		// in flight when the stop arrives.
		body := strings.NewReader(`{"username":"admin","password":"admin-password-1"}`)
		res, err := http.Post(s.URL+"/api/v1/auth/login", "application/json", body)
		if err != nil {
			got <- result{err: err}
			return
		}
		res.Body.Close()
		got <- result{status: res.StatusCode}
	}()
	time.Sleep(15 * time.Millisecond)
	if err := s.Stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	r := <-got
	if r.err != nil || r.status != 200 {
		t.Fatalf("in-flight login during shutdown: %+v, want 200", r)
	}
	if _, err := http.Get(s.URL + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after stop")
	}
}
