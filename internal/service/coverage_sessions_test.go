package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// loginsAt is logging in on a clock the test moves, with small limits: per
// account from one network 2 free failures, from everywhere 3, per network
// 5 in the window; delays double from 1 s up to 8 s.
func loginsAt(db *store.DB, clock *time.Time) *service.Sessions {
	now := func() time.Time { return *clock }
	db.Now = now
	return &service.Sessions{Store: db, Passwords: plainChecker{}, Now: now, TTL: 12 * time.Hour, RememberTTL: 30 * 24 * time.Hour,
		Window: 15 * time.Minute, PerAccount: 2, PerAccountAll: 3, PerAddress: 5, FirstDelay: time.Second, MaxDelay: 8 * time.Second}
}

func TestALoginNamesTheFieldsItLacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := now
		s := loginsAt(db, &clock)
		ctx := context.Background()
		for _, tc := range []struct {
			what, user, pw string
			fields         []string
		}{
			{"nothing", "", "", []string{"username", "password"}},
			{"a name no account can have", "王芳", "x", []string{"username"}},
			{"a short name", "ab", "x", []string{"username"}},
			{"no password", "wangfang", "", []string{"password"}},
		} {
			_, _, err := s.Login(ctx, tc.user, tc.pw, "192.0.2.1", service.DeviceInfo{})
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
	})
}

// Failures are limited per account from a network and per account from
// everywhere, with growing delays, but the owner is not held back: from a
// network it signed in from lately the account-wide count does not limit
// it, and with its remembered-device token neither does the network's.
// An unknown name is answered and limited exactly as an account.
func TestLoginLimitsHoldBackStrangersNotTheOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now
		s := loginsAt(db, &clock)
		u := &gatehouse.User{Username: "lin.xin", PasswordHash: "plain:Lychee-Harbour-42", Role: gatehouse.RoleGuard, Communities: []int64{f.a.ID}}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		const home, attacker, travel = "198.51.100.7", "203.0.113.9", "192.0.2.99"
		owner, _, err := s.Login(ctx, "lin.xin", "Lychee-Harbour-42", home, service.DeviceInfo{Name: "值班室电脑", Remember: true})
		if err != nil || !strings.HasPrefix(owner.DeviceToken, service.DeviceTokenPrefix) || !owner.Remember {
			t.Fatalf("the owner at home: %+v %v", owner, err)
		}
		try := func(what, user, pw, ip string, tokens []string, code string, wait time.Duration) {
			t.Helper()
			_, w, err := s.Login(ctx, user, pw, ip, service.DeviceInfo{Tokens: tokens})
			if outcome(err) != code || w != wait {
				t.Errorf("%s: %s %s (%v), want %s %s", what, outcome(err), w, err, code, wait)
			}
		}
		ok, unauthorized, limited := "ok", gatehouse.EUNAUTHORIZED, gatehouse.ERATELIMITED
		try("a guess", "lin.xin", "guess-1", attacker, nil, unauthorized, 0)
		try("a second guess", "lin.xin", "guess-2", attacker, nil, unauthorized, 0)
		try("a third guess at once", "lin.xin", "guess-3", attacker, nil, limited, time.Second)
		try("even the right password from there", "lin.xin", "Lychee-Harbour-42", attacker, nil, limited, time.Second)
		clock = clock.Add(time.Second)
		try("a third guess a second later", "lin.xin", "guess-3", attacker, nil, unauthorized, 0)
		// Three failures: the pair waits 2 s, the account 1 s; the longer wait is the answer.
		try("a fourth guess at once", "lin.xin", "guess-4", attacker, nil, limited, 2*time.Second)

		try("the owner at home", "lin.xin", "Lychee-Harbour-42", home, nil, ok, 0)
		try("the owner on a trip, no token", "lin.xin", "Lychee-Harbour-42", travel, nil, limited, time.Second)
		try("the owner on a trip with its device's token", "lin.xin", "Lychee-Harbour-42", travel, []string{owner.DeviceToken}, ok, 0)
		// (The trip's network is known now; a made-up token from yet another one exempts nothing.)
		try("a made-up device token", "lin.xin", "Lychee-Harbour-42", "192.0.2.150", []string{service.DeviceTokenPrefix + "made-up"}, limited, time.Second)

		// An unknown name is limited alike, with the same answers.
		try("a guess at a name", "no.such.user", "guess-1", "203.0.113.50", nil, unauthorized, 0)
		try("a second guess at a name", "no.such.user", "guess-2", "203.0.113.50", nil, unauthorized, 0)
		try("a third guess at a name", "no.such.user", "guess-3", "203.0.113.50", nil, limited, time.Second)

		// Per network: 5 failures in the window, whatever the names.
		for i, name := range []string{"user.a", "user.b", "user.c", "user.d", "user.e"} {
			try("a spray "+itoa(int64(i)), name, "guess", "203.0.113.77", nil, unauthorized, 0)
		}
		_, wait, err := s.Login(ctx, "user.f", "guess", "203.0.113.77", service.DeviceInfo{})
		if outcome(err) != limited || wait != 15*time.Minute || !strings.Contains(gatehouse.ErrorMessage(err), "this address") {
			t.Errorf("a sixth name from one network: %s %v", wait, err)
		}
	})
}

// A disabled account does not sign in even with its password; a session
// ends at logout.
func TestADisabledAccountAndALogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now
		s := loginsAt(db, &clock)
		u := &gatehouse.User{Username: "lin.xin", PasswordHash: "plain:Lychee-Harbour-42", Role: gatehouse.RoleGuard, Communities: []int64{f.a.ID}}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		me := &gatehouse.Principal{UserID: u.ID, Role: gatehouse.RoleGuard}
		a, _, err := s.Login(ctx, "lin.xin", "Lychee-Harbour-42", "192.0.2.1", service.DeviceInfo{Name: "电脑"})
		if err != nil || a.User.ID != u.ID || a.Remember || !a.ExpiresAt.Equal(now.Add(12*time.Hour)) {
			t.Fatalf("a login: %+v %v", a, err)
		}
		b, _, err := s.Login(ctx, "lin.xin", "Lychee-Harbour-42", "192.0.2.1", service.DeviceInfo{Name: "手机"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Logout(ctx, service.SecretHash(a.Token)); err != nil {
			t.Fatal(err)
		}
		ds, err := s.Devices(ctx, me, service.SecretHash(b.Token))
		if err != nil || len(ds) != 1 || ds[0].Name != "手机" || !ds[0].Current {
			t.Errorf("devices after a logout: %+v %v", ds, err)
		}
		disabled := true
		if err := db.UpdateUser(ctx, u.ID, gatehouse.UserPatch{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.Login(ctx, "lin.xin", "Lychee-Harbour-42", "192.0.2.1", service.DeviceInfo{})
		if outcome(err) != gatehouse.EUNAUTHORIZED || !strings.Contains(gatehouse.ErrorMessage(err), "disabled") {
			t.Errorf("a disabled account: %v", err)
		}
	})
}
