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

// plainChecker checks a password against plainHasher's "hash".
type plainChecker struct{}

func (plainChecker) Check(hash, pw string) bool { return hash != "" && hash == "plain:"+pw }

// ownPasswordAt is changing one's own password on a clock the test moves,
// with the login limits small: two free failures per account and network.
func ownPasswordAt(db *store.DB, clock *time.Time) (*service.OwnPassword, *service.Sessions) {
	now := func() time.Time { return *clock }
	db.Now = now
	sessions := &service.Sessions{Store: db, Passwords: plainChecker{}, Now: now, TTL: 12 * time.Hour, RememberTTL: 30 * 24 * time.Hour,
		Window: 15 * time.Minute, PerAccount: 2, PerAccountAll: 10, PerAddress: 50, FirstDelay: time.Second, MaxDelay: time.Minute}
	return &service.OwnPassword{Store: db, Passwords: plainHasher{}, Sessions: sessions}, sessions
}

// A user changes their own password by typing the current one, limited as
// logins are; a wrong current password keeps them signed in. The change
// ends every session, and signs the device it was made on in again as it
// was (its name, remembered or not).
func TestChangingOnesOwnPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now
		own, sessions := ownPasswordAt(db, &clock)
		u := &gatehouse.User{Username: "lin.xin", PasswordHash: "plain:Lychee-Harbour-42", Role: gatehouse.RoleGuard, Communities: []int64{f.a.ID}}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		me := &gatehouse.Principal{UserID: u.ID, Username: u.Username, Role: gatehouse.RoleGuard, Communities: []int64{f.a.ID}}
		phone, _, err := sessions.Login(ctx, "lin.xin", "Lychee-Harbour-42", "192.0.2.5", service.DeviceInfo{Name: "值班室电脑", Remember: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := sessions.Login(ctx, "lin.xin", "Lychee-Harbour-42", "192.0.2.6", service.DeviceInfo{Name: "手机"}); err != nil {
			t.Fatal(err)
		}
		mine := service.SecretHash(phone.Token)
		devices := func() []*gatehouse.Device {
			t.Helper()
			ds, err := sessions.Devices(ctx, me, mine)
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}

		for what, p := range map[string]*gatehouse.Principal{"a gate device": f.device, "no user": {Role: gatehouse.RoleGuard}} {
			_, _, err := own.Change(ctx, p, mine, "192.0.2.5", service.PasswordChange{Current: "Lychee-Harbour-42", New: "Mango-Quarry-77"})
			wantCode(t, what, err, gatehouse.EFORBIDDEN)
		}
		for _, tc := range []struct {
			what   string
			ch     service.PasswordChange
			fields []string
		}{
			{"nothing typed", service.PasswordChange{}, []string{"current_password", "new_password"}},
			{"a common new password", service.PasswordChange{Current: "Lychee-Harbour-42", New: "password123"}, []string{"new_password"}},
			{"the username with digits", service.PasswordChange{Current: "Lychee-Harbour-42", New: "lin.xin2026"}, []string{"new_password"}},
			{"the same password", service.PasswordChange{Current: "Lychee-Harbour-42", New: "Lychee-Harbour-42"}, []string{"new_password"}},
			{"a wrong current password", service.PasswordChange{Current: "Lychee-Harbour-41", New: "Mango-Quarry-77"}, []string{"current_password"}},
			{"a wrong current password again", service.PasswordChange{Current: "Lychee-Harbour-40", New: "Mango-Quarry-77"}, []string{"current_password"}},
		} {
			_, _, err := own.Change(ctx, me, mine, "192.0.2.5", tc.ch)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		if n := len(devices()); n != 2 {
			t.Fatalf("after refused changes %d devices are signed in, want both", n)
		}
		// Two wrong current passwords were the free ones: the next try waits, even with the right one.
		_, wait, err := own.Change(ctx, me, mine, "192.0.2.5", service.PasswordChange{Current: "Lychee-Harbour-42", New: "Mango-Quarry-77"})
		if outcome(err) != gatehouse.ERATELIMITED || wait != time.Second {
			t.Fatalf("a third try at once: %s %v", wait, err)
		}

		clock = clock.Add(time.Second)
		sess, wait, err := own.Change(ctx, me, mine, "192.0.2.5", service.PasswordChange{Current: "Lychee-Harbour-42", New: "Mango-Quarry-77"})
		if err != nil || wait != 0 || sess.Token == phone.Token || !sess.Remember || !sess.ExpiresAt.Equal(clock.Add(30*24*time.Hour)) {
			t.Fatalf("the change: %+v %s %v", sess, wait, err)
		}
		stored, err := db.User(ctx, u.ID)
		if err != nil || stored.PasswordHash != "plain:Mango-Quarry-77" {
			t.Errorf("the stored password: %+v %v", stored, err)
		}
		ds, err := sessions.Devices(ctx, me, service.SecretHash(sess.Token))
		if err != nil || len(ds) != 1 || !ds[0].Current || ds[0].Name != "值班室电脑" || !ds[0].Remember || ds[0].Method != gatehouse.SignInPassword {
			t.Errorf("devices after the change: %+v %v, want only this one, as it was", ds, err)
		}
		_, _, err = sessions.Login(ctx, "lin.xin", "Lychee-Harbour-42", "192.0.2.7", service.DeviceInfo{})
		wantCode(t, "the old password", err, gatehouse.EUNAUTHORIZED)
		if _, _, err := sessions.Login(ctx, "lin.xin", "Mango-Quarry-77", "192.0.2.7", service.DeviceInfo{}); err != nil {
			t.Errorf("the new password: %v", err)
		}

		// A change from a session the store no longer knows signs in a device of no name, not remembered.
		clock = clock.Add(time.Minute)
		sess, _, err = own.Change(ctx, me, strings.Repeat("f", 64), "192.0.2.5", service.PasswordChange{Current: "Mango-Quarry-77", New: "Pomelo-Canyon-88"})
		if err != nil || sess.Remember || !sess.ExpiresAt.Equal(clock.Add(12*time.Hour)) {
			t.Errorf("a change from an unknown session: %+v %v", sess, err)
		}
	})
}
