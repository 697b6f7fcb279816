package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/passcode"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// scanOnce scans a code at a gate and returns the decision's reason and entry.
func scanOnce(c *client, key, code, dir string) (scanResult, int, error) {
	var r scanResult
	st, err := c.call("POST", "/api/v1/scan", key, map[string]string{"code": code, "direction": dir}, &r)
	return r, st, err
}

func mustScan(t *testing.T, c *client, key, code, dir, want string) {
	t.Helper()
	r, st, err := scanOnce(c, key, code, dir)
	if err != nil || st != 200 || r.Reason != want {
		t.Fatalf("scan %s: %d %+v %v, want %s", dir, st, r, err, want)
	}
}

func TestTwoProcessesShareAntiPassbackLoginLimitsTheChainAndKeyRotation(t *testing.T) {
	requireMySQL(t)
	vars := mysqlVars(t, storetest.NewMySQLDatabase(t))
	p1, p2 := startProcess(t, vars), startProcess(t, vars)
	c1, c2 := newClient(t, p1.URL), newClient(t, p2.URL)
	s := newSite(c1, "admin-password-1")

	// Anti-passback: in at one process, refused in again at the other.
	c1.must("PATCH", fmt.Sprintf("/api/v1/communities/%d", s.Community), s.Admin, map[string]any{"anti_passback": "on"}, 200, nil)
	_, code := s.invite(c1, "E5550001", 10)
	mustScan(t, c1, s.GateKey, code, "in", "granted")
	mustScan(t, c2, s.GateKey, code, "in", "anti_passback")
	mustScan(t, c2, s.GateKey, code, "out", "granted")
	mustScan(t, c1, s.GateKey, code, "out", "anti_passback")

	// Login limiting counts failures of both processes together: after five,
	// the account waits 2 s from the last one, even with the right password.
	// (On a machine so busy that the next request comes later than that, the
	// wait is over and nothing can be told: the check is skipped, not failed.)
	var last time.Time
	for i := 0; i < 5; i++ {
		c := []*client{c1, c2}[i%2]
		last = time.Now() // the attempt is counted when it starts, before its password is checked
		if st, _ := c.call("POST", "/api/v1/auth/login", "", map[string]string{"username": "mgr", "password": "wrong-password"}, nil); st != 401 {
			t.Fatalf("failed login %d: %d", i, st)
		}
	}
	for _, c := range []*client{c1, c2} {
		sent := time.Now()
		st, _ := c.call("POST", "/api/v1/auth/login", "", map[string]string{"username": "mgr", "password": "manager-pass"}, nil)
		if st == 429 {
			continue
		}
		if sent.Sub(last) < 1500*time.Millisecond {
			t.Fatalf("after 5 failures over two processes: %d, want 429", st)
		}
		t.Logf("the machine is too slow to tell: %v passed from the fifth failure's start to the next try", sent.Sub(last))
		break
	}

	// One chain per community, whichever process appends.
	_, multi := s.invite(c1, "E5550002", 1000)
	c1.must("PATCH", fmt.Sprintf("/api/v1/communities/%d", s.Community), s.Admin, map[string]any{"anti_passback": "off"}, 200, nil)
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scanOnce([]*client{c1, c2}[i%2], s.GateKey, multi, []string{"in", "out"}[i%2])
		}()
	}
	wg.Wait()
	var rep struct {
		OK      bool
		Checked int
	}
	c2.must("GET", "/api/v1/entries/verify", s.Admin, nil, 200, &rep)
	if !rep.OK || rep.Checked != 204 {
		t.Fatalf("verify after scans on both processes: %+v", rep)
	}

	// Key rotation: made by the command line, picked up by both processes.
	_, oldCode := s.invite(c1, "E5550003", 10)
	oldKid, _ := passcode.KeyIDOf(oldCode)
	var out logBuffer
	if err := run(context.Background(), []string{"keys", "rotate"}, env(vars), &out, &logBuffer{}); err != nil {
		t.Fatal(err)
	}
	var newCode string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, newCode = s.invite(c1, fmt.Sprintf("E56%05d", rand.IntN(100000)), 10)
		if kid, _ := passcode.KeyIDOf(newCode); kid != oldKid {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if kid, _ := passcode.KeyIDOf(newCode); kid == oldKid {
		t.Fatal("process 1 never signed with the rotated key")
	}
	mustScan(t, c2, s.GateKey, newCode, "in", "granted") // process 2 learns the new key on meeting it
	mustScan(t, c2, s.GateKey, oldCode, "in", "granted") // old codes keep working
	if err := run(context.Background(), []string{"keys", "remove", fmt.Sprint(oldKid)}, env(vars), &out, &logBuffer{}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		r1, _, _ := scanOnce(c1, s.GateKey, oldCode, "out")
		r2, _, _ := scanOnce(c2, s.GateKey, oldCode, "out")
		if r1.Reason == "invalid_code" && r2.Reason == "invalid_code" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a removed key's code still works: %s / %s", r1.Reason, r2.Reason)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// load scans codes from many clients until stop is closed, and returns every
// answer it received.
type answer struct {
	code  string
	r     scanResult
	state int
}

func load(t *testing.T, c *client, key string, codes []string, stop <-chan struct{}) []answer {
	var mu sync.Mutex
	var out []answer
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				code := codes[(w*7919+i)%len(codes)]
				r, st, err := scanOnce(c, key, code, "in")
				if err != nil {
					continue // the server went away mid-request: no answer, no claim
				}
				mu.Lock()
				out = append(out, answer{code: code, r: r, state: st})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// checkAfterCrash proves that every grant a client received is in the log,
// that the chain verifies and that no single-use pass was granted twice.
func checkAfterCrash(t *testing.T, c *client, s *site, answers []answer, single map[string]bool) {
	t.Helper()
	var rep struct {
		OK      bool
		Checked int
	}
	c.must("GET", "/api/v1/entries/verify", s.Admin, nil, 200, &rep)
	if !rep.OK {
		t.Fatal("the chain does not verify after the crash")
	}
	logged := map[int64]string{}
	grantsPerPass := map[int64]int{}
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID       int64  `json:"id"`
				PassID   int64  `json:"pass_id"`
				Decision string `json:"decision"`
			}
			NextCursor *string `json:"next_cursor"`
		}
		c.must("GET", "/api/v1/entries?limit=500"+cursor, s.Manager, nil, 200, &page)
		for _, it := range page.Items {
			logged[it.ID] = it.Decision
			if it.Decision == "grant" {
				grantsPerPass[it.PassID]++
			}
		}
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	if len(logged) != rep.Checked {
		t.Fatalf("listed %d entries, verify checked %d", len(logged), rep.Checked)
	}
	grants := 0
	for _, a := range answers {
		if a.state == 200 && a.r.Decision == "grant" {
			grants++
			if logged[a.r.EntryID] != "grant" {
				t.Fatalf("a client was granted entry %d, which the log does not hold as a grant", a.r.EntryID)
			}
		}
	}
	if grants == 0 {
		t.Fatal("no grant was received before the crash: the test proved nothing")
	}
	for id, n := range grantsPerPass {
		if n > 1 && single[fmt.Sprint(id)] {
			t.Fatalf("single-use pass %d was granted %d times", id, n)
		}
	}
	t.Logf("%d answers before the crash, %d grants, all in a log of %d entries", len(answers), grants, len(logged))
}

func TestAServerKilledMidLoadLosesNoGrantAndGrantsNoPassTwice(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			vars := sqliteEnv(t)
			if d == store.MySQL {
				vars = mysqlVars(t, storetest.NewMySQLDatabase(t))
			}
			p := startProcess(t, vars)
			c := newClient(t, p.URL)
			s := newSite(c, "admin-password-1")
			var codes []string
			single := map[string]bool{}
			for i := 0; i < 60; i++ {
				max := 1
				if i%6 == 0 {
					max = 100
				}
				id, code := s.invite(c, fmt.Sprintf("K%08d", i), max)
				codes = append(codes, code)
				if max == 1 {
					single[fmt.Sprint(id)] = true
				}
			}
			stop := make(chan struct{})
			done := make(chan []answer)
			go func() { done <- load(t, c, s.GateKey, codes, stop) }()
			time.Sleep(700 * time.Millisecond)
			p.Signal(syscall.SIGKILL)
			close(stop)
			answers := <-done
			p2 := startProcess(t, vars)
			checkAfterCrash(t, newClient(t, p2.URL), s, answers, single)
		})
	}
}

func TestSIGTERMFinishesInFlightScans(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			vars := sqliteEnv(t)
			if d == store.MySQL {
				vars = mysqlVars(t, storetest.NewMySQLDatabase(t))
			}
			p := startProcess(t, vars)
			c := newClient(t, p.URL)
			s := newSite(c, "admin-password-1")
			var codes []string
			for i := 0; i < 20; i++ {
				_, code := s.invite(c, fmt.Sprintf("T%08d", i), 1000)
				codes = append(codes, code)
			}
			stop := make(chan struct{})
			done := make(chan []answer)
			go func() { done <- load(t, c, s.GateKey, codes, stop) }()
			time.Sleep(500 * time.Millisecond)
			p.Signal(syscall.SIGTERM)
			close(stop)
			answers := <-done
			if !strings.Contains(p.Log(), `"msg":"stopped"`) {
				t.Fatalf("serve did not stop cleanly:\n%s", p.Log())
			}
			p2 := startProcess(t, vars)
			checkAfterCrash(t, newClient(t, p2.URL), s, answers, map[string]bool{})
		})
	}
}
