package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"gatehouse/internal/gatehouse"
)

// changePassword posts a change of one's own password with a device's
// User-Agent and a client address.
func (e *env) changePassword(token, addr, current, next string) response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"current_password": current, "new_password": next})
	req := httptest.NewRequest("POST", "/api/v1/auth/password", bytes.NewReader(body))
	req.RemoteAddr = addr + ":4000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req)
	return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
}

func TestAResidentChangesTheirOwnPasswordAndEveryOtherDeviceIsSignedOut(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		mgr, res := signInSite(e)
		var u struct{ ID int64 }
		e.expect("POST", "/api/v1/users", mgr, map[string]any{"username": "wangfang", "password": testPassword, "role": "resident",
			"resident_id": res.ID}, 201, &u)
		var phone, desk signedIn
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "wangfang", "password": testPassword, "remember": true,
			"device_name": "iPhone · Safari"}, 200, &phone)
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "wangfang", "password": testPassword}, 200, &desk)

		// Problems are named by their fields, and the caller stays signed in.
		for _, c := range []struct{ current, next, field string }{
			{"", newPassword, "current_password"},
			{testPassword, "", "new_password"},
			{testPassword, "password123", "new_password"},        // a common password
			{testPassword, "wangfang2024!", "new_password"},      // the username with digits
			{testPassword, testPassword, "new_password"},         // no change
			{"not my password", newPassword, "current_password"}, // wrong: 422, never 401
			{"not my password", "password123", "new_password"},   // the policy is checked first
		} {
			r := e.changePassword(phone.Token, "198.51.100.30", c.current, c.next)
			if _, _, f := r.Err(); r.Status != 422 || f[c.field] == "" {
				t.Errorf("current %q new %q: %d %s, want 422 on %s", c.current, c.next, r.Status, r.Body, c.field)
			}
		}
		e.expect("GET", "/api/v1/auth/me", phone.Token, nil, 200, nil)

		r := e.changePassword(phone.Token, "198.51.100.30", testPassword, newPassword)
		var changed signedIn
		if r.Status != 200 || json.Unmarshal(r.Body, &changed) != nil || changed.Token == "" || changed.Token == phone.Token ||
			!changed.Remember || changed.User.ID != u.ID {
			t.Fatalf("the change: %d %s, want a new remembered token for the same user", r.Status, r.Body)
		}
		// Every earlier session ended, this device's included; its new token works.
		for name, tok := range map[string]string{"the phone's old token": phone.Token, "the other device": desk.Token} {
			if r := e.do("GET", "/api/v1/auth/me", tok, nil); r.Status != 401 {
				t.Errorf("%s after the change: %d, want 401", name, r.Status)
			}
		}
		var devices struct {
			Items []struct {
				Name     string
				Remember bool
				Current  bool
			}
		}
		e.expect("GET", "/api/v1/auth/devices", changed.Token, nil, 200, &devices)
		if len(devices.Items) != 1 || devices.Items[0].Name != "iPhone · Safari" || !devices.Items[0].Remember || !devices.Items[0].Current {
			t.Errorf("devices after the change: %+v, want only this phone, remembered, by its name", devices.Items)
		}
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "wangfang", "password": testPassword}, 401, nil)
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "wangfang", "password": newPassword}, 200, nil)
	})
}

func TestWrongCurrentPasswordsCountAsFailedLogins(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		tok := e.login("guard")
		const addr = "203.0.113.70"
		for i := 1; i <= 5; i++ {
			if r := e.changePassword(tok, addr, "guess", newPassword); r.Status != 422 {
				t.Fatalf("wrong current password %d: %d %s, want 422", i, r.Status, r.Body)
			}
		}
		// A session left open does not let anyone guess on: the account's limits apply.
		r := e.changePassword(tok, addr, testPassword, newPassword)
		if code, _, _ := r.Err(); r.Status != 429 || code != "rate_limited" || r.Header.Get("Retry-After") != "2" {
			t.Fatalf("after five wrong current passwords: %d Retry-After %q %s, want 429 with Retry-After 2", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		if r := e.loginFrom(addr, "guard", testPassword); r.Status != 429 {
			t.Fatalf("a log-in from the same address during the wait: %d, want 429", r.Status)
		}
		e.expect("GET", "/api/v1/auth/me", tok, nil, 200, nil)
	})
}

func TestAGateDeviceKeyCannotChangeAPassword(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := e.community("翠竹苑")
		e.mustUser("mgr", gatehouse.RoleManager, []int64{c}, 0)
		var g struct {
			DeviceKey string `json:"device_key"`
		}
		e.expect("POST", "/api/v1/gates", e.login("mgr"), map[string]any{"community_id": c, "name": "南门"}, 201, &g)
		e.expect("POST", "/api/v1/auth/password", g.DeviceKey, map[string]string{"current_password": "x", "new_password": newPassword}, 403, nil)
	})
}

func TestOpenAPIBodiesOfChangingOnesOwnPassword(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := &oapiChecker{t: t, e: e, d: loadOpenAPI(t), covered: map[string]bool{}}
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		tok := e.login("guard")
		c.call("POST", "/api/v1/auth/password", tok, map[string]any{"current_password": testPassword, "new_password": "password123"}, 422)
		c.call("POST", "/api/v1/auth/password", tok, map[string]any{"current_password": testPassword, "new": newPassword}, 400)
		c.call("POST", "/api/v1/auth/password", tok, map[string]any{"current_password": testPassword, "new_password": newPassword}, 200)
		c.call("POST", "/api/v1/auth/password", tok, map[string]any{"current_password": newPassword, "new_password": testPassword}, 401)
	})
}
