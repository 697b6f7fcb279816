package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// changePasswordFrom sends POST /auth/password as token from a client
// address, with the browser's device cookie ("" for none).
func (e *env) changePasswordFrom(addr, cookie, token, current, next string) response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"current_password": current, "new_password": next})
	req := httptest.NewRequest("POST", "/api/v1/auth/password", bytes.NewReader(body))
	req.RemoteAddr = addr + ":4000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Authorization", "Bearer "+token)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "gatehouse_device", Value: cookie})
	}
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req)
	return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
}

// 120 wrong passwords from rotating networks kept the signed-in owner from
// changing its password (429) in the browser it had signed in with, while a
// login from the same network and browser answered 200: the change's check
// did not have the login's device and network exemptions.
func TestAnAttackElsewhereDoesNotBlockTheOwnersPasswordChangeInItsBrowser(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		const home, mobile = "198.51.100.20", "198.18.7.7"
		res, cookie := e.loginWith(home, "", "guard", testPassword)
		if res.Status != 200 || cookie == "" {
			t.Fatalf("the owner signs in at home: %d, cookie %q", res.Status, cookie)
		}
		var sess struct{ Token string }
		if err := json.Unmarshal(res.Body, &sess); err != nil || sess.Token == "" {
			t.Fatalf("login body %s: %v", res.Body, err)
		}
		e.clock.Advance(time.Minute)
		if got := e.attack("guard", 120); got[429] == 0 {
			t.Fatalf("120 guesses from rotating networks: %v, want some 429", got)
		}
		// A stranger's browser on a new network waits, as a login would.
		if res := e.changePasswordFrom("192.0.2.77", "", sess.Token, testPassword, "Mango-Quarry-77"); res.Status != 429 {
			t.Fatalf("a password change from a new network without the device cookie: %d, want 429", res.Status)
		}
		// A login in the owner's browser from another new network passes (it
		// makes that network known, so the change below is tried from a third).
		if res, _ := e.loginWith("198.18.9.9", cookie, "guard", testPassword); res.Status != 200 {
			t.Fatalf("a login from a new network in the owner's browser: %d %s", res.Status, res.Body)
		}
		if res := e.changePasswordFrom(mobile, cookie, sess.Token, testPassword, "Mango-Quarry-77"); res.Status != 200 {
			t.Fatalf("the owner's password change in its browser from a new network: %d %s, want 200", res.Status, res.Body)
		}
	})
}
