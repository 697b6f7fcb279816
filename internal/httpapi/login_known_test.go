package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// loginWith tries a login from a client address with the browser's device
// cookie ("" for none) and returns the answer and the cookie it set ("" for
// none).
func (e *env) loginWith(addr, cookie, username, pw string) (response, string) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": pw})
	req := httptest.NewRequest("POST", "/api/v1/auth/login", bytes.NewReader(body))
	if strings.Contains(addr, ":") {
		req.RemoteAddr = "[" + addr + "]:4000"
	} else {
		req.RemoteAddr = addr + ":4000"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "gatehouse_device", Value: cookie})
	}
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req)
	set := ""
	for _, c := range w.Result().Cookies() {
		if c.Name == "gatehouse_device" {
			set = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/" || c.MaxAge != 30*24*3600 {
				e.t.Fatalf("device cookie %+v: want HttpOnly, SameSite=Strict, Path=/api/v1/, 30 days", c)
			}
		}
	}
	return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}, set
}

// attack sends n wrong passwords for username, alternating between IPv4
// addresses and addresses of one IPv6 /64, one every 3 seconds (so that
// some get past the account's growing delays and keep them going);
// it returns the answers by status.
func (e *env) attack(username string, n int) map[int]int {
	e.t.Helper()
	statuses := map[int]int{}
	for i := range n {
		addr := fmt.Sprintf("203.0.113.%d", i%250+1)
		if i%2 == 1 {
			addr = fmt.Sprintf("2001:db8:66:1::%x", i)
		}
		res, _ := e.loginWith(addr, "", username, fmt.Sprintf("guess-%d", i))
		statuses[res.Status]++
		e.clock.Advance(3 * time.Second)
	}
	return statuses
}

func TestAnAttackerElsewhereNeverKeepsTheOwnerOut(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		const home, home6, mobile = "198.51.100.20", "2001:db8:aaaa:1::5", "198.18.7.7"
		res, cookie := e.loginWith(home, "", "guard", testPassword)
		if res.Status != 200 {
			t.Fatalf("the owner signs in at home: %d", res.Status)
		}
		if res, _ := e.loginWith(home6, "", "guard", testPassword); res.Status != 200 {
			t.Fatalf("the owner at home over IPv6: %d", res.Status)
		}
		e.clock.Advance(7 * 24 * time.Hour)

		got := e.attack("guard", 400)
		if got[401] < 30 || got[401]+got[429] != 400 {
			t.Fatalf("400 guesses from other addresses: %v; want 401s past the free 30, then 429s", got)
		}
		// A stranger's attempt now waits: the account is under attack.
		if res, _ := e.loginWith("192.0.2.77", "", "guard", testPassword); res.Status != 429 {
			t.Fatalf("a new address during the attack: %d, want 429", res.Status)
		}
		// The owner is not kept out: from home (IPv4, or any address of the
		// home /64), or from a new address in the browser that signed in before.
		for _, c := range []struct{ what, addr, cookie string }{
			{"home", home, ""},
			{"home over IPv6, another address of its /64", "2001:db8:aaaa:1:8d2e:11ff:fe0a:77", ""},
			{"a new address, the browser of an earlier sign-in", mobile, cookie},
		} {
			if c.cookie == "" && c.addr == mobile || c.cookie != "" && !strings.HasPrefix(c.cookie, "ghd_") {
				t.Fatalf("the sign-in at home set the device cookie %q", c.cookie)
			}
			res, set := e.loginWith(c.addr, c.cookie, "guard", testPassword)
			if res.Status != 200 {
				t.Fatalf("the owner from %s during the attack: %d %s", c.what, res.Status, res.Body)
			}
			if c.cookie != "" && !strings.HasPrefix(set, c.cookie) {
				t.Fatalf("the browser's cookie %q became %q; want its token kept first", c.cookie, set)
			}
			got := e.attack("guard", 20) // and the attack goes on
			if got[401] == 0 {
				t.Fatalf("the attack stopped being counted: %v", got)
			}
		}
		// A network stays known for 30 days after the last sign-in there.
		e.clock.Advance(31 * 24 * time.Hour)
		e.attack("guard", 100)
		if res, _ := e.loginWith(home, "", "guard", testPassword); res.Status != 429 {
			t.Fatalf("home, 31 days after its last sign-in, during an attack: %d, want 429", res.Status)
		}
	})
}

func TestAKnownAddressOrDeviceStillCannotGuess(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		const home = "198.51.100.20"
		_, cookie := e.loginWith(home, "", "guard", testPassword)
		h := e.countChecks()
		// The owner's network (a shared NAT address, say): 5 free failures, then growing waits.
		got := parallel(e, 100, func(int) response { r, _ := e.loginWith(home, "", "guard", "not the password"); return r })
		if n := h.checks.Load(); n > 5 || n < 1 || got[401] != int(n) || got[429] != 100-got[401] {
			t.Fatalf("100 parallel guesses from the owner's network: %d checked, statuses %v; want 1 to 5", n, got)
		}
		if res, _ := e.loginWith(home, "", "guard", "not the password"); res.Status != 429 || res.Header.Get("Retry-After") == "" {
			t.Fatalf("the owner's network after its free failures: %d", res.Status)
		}
		// The owner's browser, at another address: its own 5, then waits.
		h.checks.Store(0)
		got = parallel(e, 100, func(i int) response {
			r, _ := e.loginWith(fmt.Sprintf("192.0.2.%d", i+1), cookie, "guard", "not the password")
			return r
		})
		if n := h.checks.Load(); n > 5 || n < 1 || got[401] != int(n) || got[429] != 100-got[401] {
			t.Fatalf("100 parallel guesses with the owner's device cookie: %d checked, statuses %v; want 1 to 5", n, got)
		}
	})
}

func TestTheAddressesOfOneIPv6Slash64ShareTheirLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		// Many names, a new address of one /64 for each: 50 failures, then 429.
		for i := range 60 {
			res, _ := e.loginWith(fmt.Sprintf("2001:db8:5:6:%x::1", i+1), "", fmt.Sprintf("nobody%d", i), "guess")
			_, msg, _ := res.Err()
			if i < 50 && res.Status != 401 || i >= 50 && (res.Status != 429 || !strings.Contains(msg, "this address")) {
				t.Fatalf("guess %d from the /64: %d %s", i+1, res.Status, msg)
			}
		}
		if res, _ := e.loginWith("2001:db8:5:7::1", "", "nobody99", "guess"); res.Status != 401 {
			t.Fatalf("the next /64: %d, want 401", res.Status)
		}
		// One account, a new address of another /64 each time: 5 free, then waits.
		for i := range 7 {
			res, _ := e.loginWith(fmt.Sprintf("2001:db8:9:9::%x", i+1), "", "guard", "guess")
			if want := map[bool]int{true: 401, false: 429}[i < 5]; res.Status != want {
				t.Fatalf("guess %d at guard from one /64: %d, want %d", i+1, res.Status, want)
			}
		}
		// Texted codes are asked for per network too: 20 an hour.
		for i := range 21 {
			req := httptest.NewRequest("POST", "/api/v1/auth/sms/send", strings.NewReader(fmt.Sprintf(`{"phone":"139%08d"}`, i)))
			req.RemoteAddr = fmt.Sprintf("[2001:db8:5:8::%x]:4000", i+1)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.api.ServeHTTP(w, req)
			if want := map[bool]int{true: 202, false: 429}[i < 20]; w.Code != want {
				t.Fatalf("code %d asked for from one /64: %d %s, want %d", i+1, w.Code, w.Body, want)
			}
		}
	})
}

func TestLimitsNeverTellWhetherAnAccountExistsToAnAttackerWithAnAccount(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := e.community("翠竹苑")
		e.mustUser("guard", gatehouse.RoleGuard, []int64{c}, 0)
		e.mustUser("mallory", gatehouse.RoleGuard, []int64{c}, 0)
		const attacker = "203.0.113.200"
		e.loginWith("198.51.100.20", "", "guard", testPassword) // the owner is known elsewhere
		// The attacker's own account made their address and browser known.
		_, cookie := e.loginWith(attacker, "", "mallory", testPassword)
		answers := func(name string) []string {
			var out []string
			for i := range 45 {
				addr, jar := fmt.Sprintf("192.0.2.%d", i+1), ""
				if i >= 35 {
					addr, jar = attacker, cookie
				}
				res, _ := e.loginWith(addr, jar, name, "guess")
				_, msg, _ := res.Err()
				out = append(out, fmt.Sprintf("%d %s %s", res.Status, res.Header.Get("Retry-After"), msg))
			}
			e.clock.Advance(time.Hour) // every failure is forgotten
			return out
		}
		known, unknown := answers("guard"), answers("nosuchguard")
		if strings.Join(known, "\n") != strings.Join(unknown, "\n") {
			t.Fatalf("an existing account and an unknown name are limited differently:\n%q\n%q", known, unknown)
		}
		if !strings.HasPrefix(unknown[30], "429 ") {
			t.Fatalf("the 31st guess at an unknown name: %q, want 429", unknown[30])
		}
	})
}
