package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/password"
)

// countingHasher counts password checks: each is one bcrypt evaluation.
type countingHasher struct {
	password.Hasher
	checks atomic.Int64
}

func (h *countingHasher) Check(hash, pw string) bool {
	h.checks.Add(1)
	return h.Hasher.Check(hash, pw)
}

func (e *env) countChecks() *countingHasher {
	h := &countingHasher{Hasher: password.Hasher{Cost: bcrypt.MinCost}}
	e.api.Passwords = h
	return h
}

// loginFrom tries a login from a client address.
func (e *env) loginFrom(addr, username, pw string) response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": pw})
	req := httptest.NewRequest("POST", "/api/v1/auth/login", bytes.NewReader(body))
	req.RemoteAddr = addr + ":4000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req)
	return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
}

// parallel sends n logins at once and counts the answers by status.
func parallel(e *env, n int, try func(i int) response) map[int]int {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		statuses = map[int]int{}
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := try(i)
			mu.Lock()
			statuses[res.Status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

func TestParallelWrongPasswordsAreCheckedOnlyUpToTheLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		h := e.countChecks()
		got := parallel(e, 100, func(int) response { return e.loginFrom("198.51.100.7", "guard", "not the password") })
		if n := h.checks.Load(); n > 5 || n < 1 {
			t.Fatalf("%d of 100 parallel guesses had their password checked, want 1 to 5 (statuses %v)", n, got)
		}
		if got[401] != int(h.checks.Load()) || got[429] != 100-got[401] {
			t.Fatalf("statuses %v: want one 401 per checked guess and 429 for the rest", got)
		}
	})
}

func TestParallelGuessesAtManyNamesStopAtTheAddressLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		h := e.countChecks()
		got := parallel(e, 100, func(i int) response {
			return e.loginFrom("198.51.100.8", fmt.Sprintf("nobody%d", i), "not the password")
		})
		if n := h.checks.Load(); n > 50 {
			t.Fatalf("%d of 100 parallel guesses from one address were checked, want at most 50 (statuses %v)", n, got)
		}
		if got[429] < 50 {
			t.Fatalf("statuses %v: want at least 50 answered 429", got)
		}
	})
}

func TestFailedLoginsGrowTheWaitAndTheOwnerIsNotKeptOut(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		const attacker, owner = "203.0.113.66", "198.51.100.20"
		h := e.countChecks()
		for i := 1; i <= 5; i++ {
			if res := e.loginFrom(attacker, "guard", "guess"); res.Status != 401 {
				t.Fatalf("failure %d: %d, want 401 (the first five are free)", i, res.Status)
			}
		}
		// Then each failure doubles the wait before the next guess is checked.
		for _, wait := range []int{2, 4, 8, 16, 32, 60, 60} {
			res := e.loginFrom(attacker, "guard", testPassword) // even the right password waits
			code, msg, _ := res.Err()
			if res.Status != 429 || code != "rate_limited" || res.Header.Get("Retry-After") != fmt.Sprint(wait) ||
				!strings.Contains(msg, "too many failed logins for this account; try again in") {
				t.Fatalf("during the wait of %ds: %d Retry-After %q %s", wait, res.Status, res.Header.Get("Retry-After"), res.Body)
			}
			e.clock.Advance(time.Duration(wait-1) * time.Second)
			if res := e.loginFrom(attacker, "guard", "guess"); res.Status != 429 {
				t.Fatalf("a second before the wait of %ds ends: %d, want 429", wait, res.Status)
			}
			e.clock.Advance(time.Second)
			if res := e.loginFrom(attacker, "guard", "guess"); res.Status != 401 {
				t.Fatalf("after the wait of %ds: %d, want 401", wait, res.Status)
			}
		}
		if n := h.checks.Load(); n != 12 {
			t.Fatalf("%d passwords checked, want 12: refused attempts must not be checked", n)
		}
		// The owner, at another address, is not delayed by one attacker's guesses.
		e.expect("POST", "/api/v1/auth/login", "", map[string]string{"username": "guard", "password": testPassword}, 200, nil)
		if res := e.loginFrom(owner, "guard", testPassword); res.Status != 200 {
			t.Fatalf("the owner from another address: %d %s", res.Status, res.Body)
		}
		// At the attacker's address, the right password gets in a minute after the last guess.
		e.clock.Advance(time.Minute)
		if res := e.loginFrom(attacker, "guard", testPassword); res.Status != 200 {
			t.Fatalf("a minute after the last guess: %d %s", res.Status, res.Body)
		}
		// Success forgives that address's failures: five free again.
		for i := 1; i <= 5; i++ {
			if res := e.loginFrom(attacker, "guard", "guess"); res.Status != 401 {
				t.Fatalf("failure %d after a success: %d, want 401", i, res.Status)
			}
		}
	})
}

func TestGuessesFromManyAddressesDelayTheAccount(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		for i := range 30 {
			if res := e.loginFrom(fmt.Sprintf("203.0.113.%d", i+1), "guard", "guess"); res.Status != 401 {
				t.Fatalf("guess %d: %d, want 401", i+1, res.Status)
			}
		}
		res := e.loginFrom("198.51.100.99", "guard", "guess")
		if res.Status != 429 || res.Header.Get("Retry-After") != "2" {
			t.Fatalf("after 30 failures from 30 addresses: %d Retry-After %q, want 429 and 2", res.Status, res.Header.Get("Retry-After"))
		}
		e.clock.Advance(2 * time.Second)
		e.expect("POST", "/api/v1/auth/login", "", map[string]string{"username": "guard", "password": testPassword}, 200, nil)
	})
}

func TestUnknownNamesAreLimitedLikeAccounts(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		answers := func(name string) []string {
			var out []string
			for range 8 {
				res := e.loginFrom("198.51.100.30", name, "guess")
				_, msg, _ := res.Err()
				out = append(out, fmt.Sprintf("%d %s %s", res.Status, res.Header.Get("Retry-After"), msg))
			}
			return out
		}
		known, unknown := answers("guard"), answers("nosuchguard")
		if strings.Join(known, "\n") != strings.Join(unknown, "\n") {
			t.Fatalf("an existing account and an unknown name are limited differently:\n%q\n%q", known, unknown)
		}
		if !strings.HasPrefix(unknown[5], "429 2 ") {
			t.Fatalf("the sixth guess at an unknown name: %q, want 429", unknown[5])
		}
	})
}

func TestMalformedUsernamesAreRefusedBeforeAnyLookup(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("victimM", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		for range 5 {
			e.loginFrom("203.0.113.5", "victimM", "guess")
		}
		if res := e.loginFrom("203.0.113.5", "victimM", testPassword); res.Status != 429 {
			t.Fatalf("victimM after five failures: %d, want 429", res.Status)
		}
		h := e.countChecks()
		// MySQL's PAD SPACE collations found "victimM " as victimM, with fresh limits.
		for _, name := range []string{"victimM ", " victimM", "victimM\t", "victimM\x00", strings.Repeat("a", 300)} {
			res := e.loginFrom("203.0.113.5", name, testPassword)
			code, _, fields := res.Err()
			if res.Status != 422 || code != "invalid" || fields["username"] == "" {
				t.Fatalf("username %q: %d %s, want 422 with a username field error", name, res.Status, res.Body)
			}
		}
		if n := h.checks.Load(); n != 0 {
			t.Fatalf("%d passwords checked for malformed usernames", n)
		}
		// Another case is another name, not victimM.
		if res := e.loginFrom("198.51.100.5", "VICTIMM", testPassword); res.Status != 401 {
			t.Fatalf("VICTIMM: %d, want 401", res.Status)
		}
	})
}

func TestWeakPasswordsAreRefusedWhereverAPasswordIsSet(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		for pw, want := range map[string]string{
			"12345678":      "must be at least 10 characters",
			"        ":      "must be at least 10 characters",
			"          ":    "fewer than 5 different characters",
			"1234567890":    "most common passwords",
			"Password123":   "most common passwords",
			"iloveyou2026!": "common password with digits or symbols added",
			"guard7-2026!!": "the username with digits or symbols",
		} {
			res := e.do("POST", "/api/v1/users", e.admin, map[string]any{"username": "guard7", "password": pw, "role": "guard", "community_ids": []int64{a}})
			code, msg, fields := res.Err()
			if res.Status != 422 || code != "invalid" || !strings.Contains(fields["password"], want) || !strings.Contains(msg, "password: ") {
				t.Errorf("POST /users with %q: %d %s, want 422 password: %s", pw, res.Status, res.Body, want)
			}
		}
		var u struct{ ID int64 }
		e.expect("POST", "/api/v1/users", e.admin, map[string]any{"username": "guard7", "password": "guard-pass-1", "role": "guard", "community_ids": []int64{a}}, 201, &u)
		res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), e.admin, map[string]any{"password": "qwertyuiop"})
		if _, _, fields := res.Err(); res.Status != 422 || !strings.Contains(fields["password"], "most common passwords") {
			t.Fatalf("PATCH /users with a common password: %d %s", res.Status, res.Body)
		}
		e.expect("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), e.admin, map[string]any{"password": "a-new-password-1"}, 200, nil)
	})
}
