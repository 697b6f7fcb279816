package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/keys"
	"gatehouse/internal/store"
)

func TestBackupCopiesALiveDatabaseAndItsKeysWhileScansGoOn(t *testing.T) {
	ctx := context.Background()
	vars := sqliteEnv(t)
	srv := startServe(t, vars)
	c := newClient(t, srv.URL)
	s := newSite(c, "admin-password-1")
	_, code := s.invite(c, "E7654321", 1000)

	// A gate keeps scanning for the whole backup: each scan appends an entry.
	var scans atomic.Int64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var r scanResult
			st, err := c.call("POST", "/api/v1/scan", s.GateKey, map[string]string{"code": code, "direction": []string{"in", "out"}[i%2]}, &r)
			if err == nil && st == 200 && r.EntryID > 0 {
				scans.Add(1)
			}
		}
	}()
	backupWait(t, func() bool { return scans.Load() >= 20 })

	dir := filepath.Join(t.TempDir(), "backup-1")
	var out logBuffer
	if err := run(ctx, []string{"backup", dir}, env(vars), &out, &logBuffer{}); err != nil {
		t.Fatalf("backup of a serving database: %v", err)
	}
	during := scans.Load()
	backupWait(t, func() bool { return scans.Load() >= during+10 }) // the server kept on writing
	close(stop)
	<-stopped
	if !strings.Contains(out.String(), "backed up the database") {
		t.Fatalf("backup said %q", out.String())
	}

	// What was written: the database, the keys (0600) and checksums of both.
	for _, name := range []string{"gatehouse.db", "keys/data.key", "keys/lookup.key", "SHA256SUMS"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("backup lacks %s: %v", name, err)
		}
		if strings.HasPrefix(name, "keys/") && fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	for _, name := range []string{"data.key", "lookup.key"} {
		a, _ := os.ReadFile(filepath.Join(vars["GATEHOUSE_KEY_DIR"], name))
		b, _ := os.ReadFile(filepath.Join(dir, "keys", name))
		if len(a) == 0 || string(a) != string(b) {
			t.Fatalf("keys/%s is not a copy of the key directory's", name)
		}
	}
	checkBackupSums(t, dir)

	// The copy opens with the copied keys alone: schema current, every chain
	// whole, and the resident's sealed ID number readable.
	k, err := keys.Load(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.SQLite, filepath.Join(dir, "gatehouse.db"), k)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatalf("schema of the copy: %v", err)
	}
	rep, err := db.VerifyChains(ctx, nil)
	if err != nil || !rep.OK {
		t.Fatalf("chains of the copy: %+v %v", rep, err)
	}
	t.Logf("the copy holds %d entries; %d scans had answered when the backup returned, %d by the end", rep.Checked, during, scans.Load())
	if rep.Checked < 20 || rep.Checked > during+1 {
		t.Fatalf("the copy holds %d entries; %d scans had answered when the backup returned", rep.Checked, during)
	}
	r, err := db.Resident(ctx, s.HostID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "王芳" || !r.IDNumber.Same(gatehouse.NewIDNumber("11010519491231002X")) || r.Building != "3栋" {
		t.Fatalf("resident in the copy: %+v", r)
	}
	if ks, err := db.SigningKeys(ctx); err != nil || len(ks) == 0 {
		t.Fatalf("signing keys of the copy: %d, %v", len(ks), err)
	}

	// A second backup into the same directory is refused: backups never mix.
	err = run(ctx, []string{"backup", dir}, env(vars), &logBuffer{}, &logBuffer{})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("backup into a used directory: %v", err)
	}
}

func TestBackupRestoresIntoAServerThatShowsTheData(t *testing.T) {
	ctx := context.Background()
	vars := sqliteEnv(t)
	srv := startServe(t, vars)
	c := newClient(t, srv.URL)
	s := newSite(c, "admin-password-1")
	_, code := s.invite(c, "E1111111", 1)
	dir := filepath.Join(t.TempDir(), "backup")
	if err := run(ctx, []string{"backup", dir}, env(vars), &logBuffer{}, &logBuffer{}); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)

	// Restore as the README says: the copy becomes the database, the copied
	// keys the key directory; the original is gone.
	restored := sqliteEnv(t)
	if err := os.Rename(filepath.Join(dir, "gatehouse.db"), restored["GATEHOUSE_DB_DSN"]); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "keys"), restored["GATEHOUSE_KEY_DIR"]); err != nil {
		t.Fatal(err)
	}
	delete(restored, "GATEHOUSE_ADMIN_PASSWORD")
	srv2 := startServe(t, restored)
	c2 := newClient(t, srv2.URL)
	admin := c2.login("admin", "admin-password-1")
	var res struct {
		Name           string `json:"name"`
		IDNumber       string `json:"id_number"`
		IDNumberMasked bool   `json:"id_number_masked"`
	}
	c2.must("GET", fmt.Sprintf("/api/v1/residents/%d", s.HostID), admin, nil, 200, &res)
	if res.Name != "王芳" || res.IDNumber != "11010519491231002X" || res.IDNumberMasked {
		t.Fatalf("resident after restore: %+v", res)
	}
	var rep struct{ OK bool }
	c2.must("GET", "/api/v1/entries/verify", admin, nil, 200, &rep)
	if !rep.OK {
		t.Fatal("chains do not verify after restore")
	}
	// A pass issued before the backup opens the gate after the restore: the
	// signing keys unseal with the copied keys and the gate's key still works.
	var r scanResult
	c2.must("POST", "/api/v1/scan", s.GateKey, map[string]string{"code": code, "direction": "in"}, 200, &r)
	if r.Reason != "granted" {
		t.Fatalf("scan after restore: %+v", r)
	}
}

func TestBackupRefusesMySQLAndPointsToTheREADME(t *testing.T) {
	vars := map[string]string{
		"GATEHOUSE_DB_DRIVER": "mysql",
		"GATEHOUSE_DB_DSN":    "gatehouse:secret@tcp(127.0.0.1:1)/gatehouse",
		"GATEHOUSE_KEY_DIR":   filepath.Join(t.TempDir(), "keys"),
	}
	dir := filepath.Join(t.TempDir(), "backup")
	err := run(context.Background(), []string{"backup", dir}, env(vars), &logBuffer{}, &logBuffer{})
	if err == nil || !strings.Contains(err.Error(), "mysqldump --single-transaction") || !strings.Contains(err.Error(), "README") {
		t.Fatalf("backup on MySQL: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a refused backup made its directory: %v", err)
	}
}

func TestBackupNeedsADirectoryAndAnExistingDatabase(t *testing.T) {
	vars := sqliteEnv(t)
	err := run(context.Background(), []string{"backup"}, env(vars), &logBuffer{}, &logBuffer{})
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "gatehouse backup DIR") {
		t.Fatalf("backup without DIR: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "backup")
	err = run(context.Background(), []string{"backup", dir}, env(vars), &logBuffer{}, &logBuffer{})
	if err == nil || !strings.HasPrefix(err.Error(), "GATEHOUSE_DB_DSN") {
		t.Fatalf("backup of a database that does not exist: %v", err)
	}
	if _, err := os.Stat(vars["GATEHOUSE_DB_DSN"]); !os.IsNotExist(err) {
		t.Fatal("backup made an empty database where there was none")
	}
}

func TestBackupOpensTheDatabaseReadOnly(t *testing.T) {
	for dsn, want := range map[string]string{
		"data/gatehouse.db":               "file:data/gatehouse.db?mode=ro",
		"/var/lib/gatehouse/gatehouse.db": "file:/var/lib/gatehouse/gatehouse.db?mode=ro",
		"/srv/100%#1/g.db":                "file:/srv/100%25%231/g.db?mode=ro",
		"g.db?_pragma=busy_timeout(5000)": "file:g.db?_pragma=busy_timeout(5000)&mode=ro",
		"file:/data/g.db":                 "file:/data/g.db?mode=ro",
		"file:/data/g.db?cache=shared":    "file:/data/g.db?cache=shared&mode=ro",
	} {
		if got := readOnlyDSN(dsn); got != want {
			t.Errorf("readOnlyDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
}

// checkBackupSums checks SHA256SUMS as `sha256sum -c` would.
func checkBackupSums(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("SHA256SUMS has %d lines, want 3:\n%s", len(lines), b)
	}
	for _, l := range lines {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", l)
		}
		f, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(f)
		if hex.EncodeToString(h[:]) != sum {
			t.Fatalf("SHA256SUMS: %s does not match", name)
		}
	}
}

// backupWait polls cond for up to 30 seconds.
func backupWait(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
