package service_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// signInAt is the sign-in services on a clock the test moves (the store's
// too), with small limits.
func signInAt(db *store.DB, clock *time.Time) *signIn {
	now := func() time.Time { return *clock }
	db.Now = now
	sessions := &service.Sessions{Store: db, Now: now, TTL: 12 * time.Hour, RememberTTL: 30 * 24 * time.Hour, Window: 15 * time.Minute,
		PerAccount: 5, PerAccountAll: 30, PerAddress: 50, FirstDelay: time.Second, MaxDelay: time.Minute}
	sent := &sentCodes{}
	return &signIn{sessions: sessions, sent: sent,
		act: &service.Activation{Store: db, Passwords: plainHasher{}, Sessions: sessions, Now: now, Valid: 14 * 24 * time.Hour,
			Window: 15 * time.Minute, PerAddress: 8, PerCode: 3},
		sms: &service.SMSLogin{Store: db, Sender: sent, Sessions: sessions, Now: now, CodeTTL: 5 * time.Minute, MaxTries: 3,
			ResendAfter: time.Minute, PerPhone: 3, PerAddress: 6, VerifyPerAddress: 5, VerifyWindow: 15 * time.Minute}}
}

// loosely is a letter's code as a person may type it: lower case, no
// dashes, O for 0 and l or I for 1.
func loosely(code string) string {
	return strings.NewReplacer("-", "", "0", "o", "1", "l").Replace(strings.ToLower(code))
}

func TestALettersCodePreviewsItsDwellingAndNothingOfThePerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		l, err := s.act.Issue(ctx, f.manager, f.hostA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Resident.ID != f.hostA.ID || l.Community.ID != f.a.ID || !l.Letter.ExpiresAt.Equal(now.Add(14*24*time.Hour)) {
			t.Errorf("issued %+v", l)
		}
		want := service.LetterPreview{Community: f.a.Name, Household: f.hostA.Household(), ExpiresAt: now.Add(14 * 24 * time.Hour)}
		for _, code := range []string{l.Code, loosely(l.Code), " " + strings.ReplaceAll(l.Code, "-", " ") + " "} {
			p, wait, err := s.act.Preview(ctx, code, "192.0.2.9")
			if err != nil || wait != 0 || p.Community != want.Community || p.Household != want.Household || !p.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("preview of %q: %+v %s %v, want %+v", code, p, wait, err, want)
			}
		}
		for what, code := range map[string]string{"too short": "ABCD-EFGH", "a U, not in the alphabet": "UUUU-UUUU-UUUU", "empty": ""} {
			_, _, err := s.act.Preview(ctx, code, "192.0.2.10")
			wantCode(t, what, err, gatehouse.ENOTFOUND)
		}

		// A new letter replaces the resident's earlier one.
		l2, err := s.act.Issue(ctx, f.admin, f.hostA.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.act.Preview(ctx, l.Code, "192.0.2.11")
		wantCode(t, "the replaced letter", err, gatehouse.ENOTFOUND)
		clock = now.Add(14 * 24 * time.Hour)
		_, _, err = s.act.Preview(ctx, l2.Code, "192.0.2.11")
		if outcome(err) != gatehouse.ECONFLICT || !strings.Contains(gatehouse.ErrorMessage(err), "expired on 2026-12-15") {
			t.Errorf("a letter at its expiry: %v", err)
		}
		_, _, err = s.act.Activate(ctx, l2.Code, "13800138000", "Lychee-Harbour-42", "192.0.2.11", service.DeviceInfo{})
		wantCode(t, "activating an expired letter", err, gatehouse.ECONFLICT)
	})
}

func TestWhoIsIssuedAnActivationLetter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		for role, p := range map[string]*gatehouse.Principal{"guard": f.guard, "police": f.police, "device": f.device} {
			_, err := s.act.Issue(ctx, p, f.hostA.ID)
			wantCode(t, role+" issues", err, gatehouse.EFORBIDDEN)
		}
		if l, err := s.act.Issue(ctx, service.System(), f.hostB.ID); err != nil || l.Resident.ID != f.hostB.ID || l.Letter.CreatedBy != 0 {
			t.Errorf("the command line issues for any community: %+v %v", l, err)
		}
		_, err := s.act.Issue(ctx, f.manager, f.hostA.ID+1000)
		wantCode(t, "a resident that does not exist", err, gatehouse.ENOTFOUND)
		if err := db.MoveOutResident(ctx, f.neighbourA.ID, f.manager.UserID); err != nil {
			t.Fatal(err)
		}
		_, err = s.act.Issue(ctx, f.manager, f.neighbourA.ID)
		wantCode(t, "a resident who moved out", err, gatehouse.ENOTFOUND)
	})
}

// Wrong activation attempts are counted per code (a letter found in a
// mailbox cannot be tried against every phone) and per address; a right
// preview counts nothing.
func TestWrongActivationAttemptsAreLimitedPerCodeAndPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		l, err := s.act.Issue(ctx, f.manager, f.hostA.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, _, err := s.act.Preview(ctx, l.Code, "192.0.2.20"); err != nil {
				t.Fatalf("preview %d: %v", i, err)
			}
		}
		// PerCode is 3: three wrong phones, each from its own address.
		for i, ip := range []string{"192.0.2.21", "192.0.2.22", "192.0.2.23"} {
			_, _, err := s.act.Activate(ctx, l.Code, "13900139000", "Lychee-Harbour-42", ip, service.DeviceInfo{})
			wantProblems(t, "a phone not the resident's, try "+itoa(int64(i+1)), err, gatehouse.EINVALID, "phone")
		}
		_, wait, err := s.act.Activate(ctx, l.Code, "13800138000", "Lychee-Harbour-42", "192.0.2.24", service.DeviceInfo{})
		if outcome(err) != gatehouse.ERATELIMITED || wait != 15*time.Minute || !strings.Contains(gatehouse.ErrorMessage(err), "this code") {
			t.Fatalf("the right phone after three wrong ones: %s %v", wait, err)
		}
		clock = clock.Add(15 * time.Minute)
		if sess, _, err := s.act.Activate(ctx, l.Code, "138 0013 8000", "Lychee-Harbour-42", "192.0.2.24", service.DeviceInfo{}); err != nil || sess.User.ResidentID != f.hostA.ID {
			t.Fatalf("the right phone once the window passed: %v", err)
		}

		// PerAddress is 8: made-up codes from one address.
		for i := range 8 {
			_, _, err := s.act.Preview(ctx, "ABCD-EFGH-JK"+string(rune('A'+i))+"M", "192.0.2.30")
			wantCode(t, "a made-up code", err, gatehouse.ENOTFOUND)
		}
		l2, err := s.act.Issue(ctx, f.manager, f.neighbourA.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, wait, err = s.act.Preview(ctx, l2.Code, "192.0.2.30")
		if outcome(err) != gatehouse.ERATELIMITED || wait <= 0 || !strings.Contains(gatehouse.ErrorMessage(err), "this address") {
			t.Errorf("a real code from an address that guessed: %s %v", wait, err)
		}
		if _, _, err := s.act.Preview(ctx, l2.Code, "198.51.100.1"); err != nil {
			t.Errorf("the same code from another address: %v", err)
		}
	})
}

// failingSender fails every send, as an SMS gateway that is down.
type failingSender struct{ tried []string }

func (s *failingSender) Send(_ context.Context, phone, _ string, _ time.Duration) error {
	s.tried = append(s.tried, phone)
	return errors.New("gateway down")
}

// activated gives hostA an account named by its phone through a letter.
func activated(t *testing.T, f *fixture, s *signIn) *gatehouse.User {
	t.Helper()
	ctx := context.Background()
	l, err := s.act.Issue(ctx, f.manager, f.hostA.ID)
	if err != nil {
		t.Fatal(err)
	}
	sess, _, err := s.act.Activate(ctx, l.Code, "13800138000", "Lychee-Harbour-42", "192.0.2.9", service.DeviceInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return sess.User
}

func TestTextedCodesAreLimitedPerPhoneAndPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		activated(t, f, s)
		for what, phone := range map[string]string{"no phone": "", "a landline": "0755-88881234", "letters": "1380013800O"} {
			_, _, err := s.sms.Request(ctx, phone, "192.0.2.40")
			wantProblems(t, what, err, gatehouse.EINVALID, "phone")
		}
		resend, wait, err := s.sms.Request(ctx, "+86 138-0013-8000", "192.0.2.40")
		if err != nil || resend != time.Minute || wait != 0 || len(s.sent.to) != 1 || s.sent.to[0] != "13800138000" {
			t.Fatalf("first code: %s %s %v, sent %v", resend, wait, err, s.sent.to)
		}
		clock = clock.Add(20 * time.Second)
		_, wait, err = s.sms.Request(ctx, "13800138000", "192.0.2.41")
		if outcome(err) != gatehouse.ERATELIMITED || wait != 40*time.Second || !strings.Contains(gatehouse.ErrorMessage(err), "a moment ago") {
			t.Errorf("asked again after 20 s: %s %v", wait, err)
		}
		// PerPhone is 3 an hour: two more, a minute apart, then a wait for the first to age.
		for i := range 2 {
			clock = clock.Add(time.Minute)
			if _, _, err := s.sms.Request(ctx, "13800138000", "192.0.2.41"); err != nil {
				t.Fatalf("code %d: %v", i+2, err)
			}
		}
		clock = clock.Add(time.Minute)
		_, wait, err = s.sms.Request(ctx, "13800138000", "192.0.2.42")
		if outcome(err) != gatehouse.ERATELIMITED || wait != time.Hour-(20*time.Second+3*time.Minute) {
			t.Errorf("a fourth code in the hour: %s %v", wait, err)
		}
		if len(s.sent.to) != 3 {
			t.Errorf("sent %d codes, want 3", len(s.sent.to))
		}
		// PerAddress is 6 an hour, whatever the phones.
		for i := range 6 {
			if _, _, err := s.sms.Request(ctx, "1390000000"+itoa(int64(i)), "192.0.2.50"); err != nil {
				t.Fatalf("phone %d from one address: %v", i, err)
			}
		}
		_, wait, err = s.sms.Request(ctx, "13900000009", "192.0.2.50")
		if outcome(err) != gatehouse.ERATELIMITED || wait <= 0 || !strings.Contains(gatehouse.ErrorMessage(err), "from this address") {
			t.Errorf("a seventh phone from one address: %s %v", wait, err)
		}
		if len(s.sent.to) != 3 {
			t.Errorf("phones without an account were sent codes: %v", s.sent.to)
		}
	})
}

// A code goes only to an enabled resident's account; the answer is the
// same for any other phone. A failed send is logged with the phone masked
// and never told to the client.
func TestACodeIsSentOnlyToAnEnabledResidentAndAFailureIsLoggedMasked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		u := activated(t, f, s)
		staff := &gatehouse.User{Username: "13700137000", PasswordHash: "x", Role: gatehouse.RoleGuard, Communities: []int64{f.a.ID}}
		if err := db.CreateUser(ctx, staff); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.sms.Request(ctx, "13700137000", "192.0.2.60"); err != nil || len(s.sent.to) != 0 {
			t.Errorf("a guard's account named by a phone: %v, sent %v", err, s.sent.to)
		}
		disabled := true
		if err := db.UpdateUser(ctx, u.ID, gatehouse.UserPatch{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.sms.Request(ctx, "13800138000", "192.0.2.61"); err != nil || len(s.sent.to) != 0 {
			t.Errorf("a disabled account: %v, sent %v", err, s.sent.to)
		}
		enabled := false
		if err := db.UpdateUser(ctx, u.ID, gatehouse.UserPatch{Disabled: &enabled}); err != nil {
			t.Fatal(err)
		}

		var logged bytes.Buffer
		failing := &failingSender{}
		var background []func()
		s.sms.Sender, s.sms.Log = failing, slog.New(slog.NewTextHandler(&logged, nil))
		s.sms.Background = func(send func()) { background = append(background, send) }
		clock = clock.Add(2 * time.Minute)
		resend, wait, err := s.sms.Request(ctx, "13800138000", "192.0.2.62")
		if err != nil || resend != time.Minute || wait != 0 {
			t.Fatalf("a send that will fail: %s %s %v", resend, wait, err)
		}
		if len(background) != 1 || len(failing.tried) != 0 {
			t.Fatalf("the send did not go to the background: %d queued, %d tried", len(background), len(failing.tried))
		}
		background[0]()
		if len(failing.tried) != 1 || !strings.Contains(logged.String(), "sms code not sent") || !strings.Contains(logged.String(), "138****8000") ||
			strings.Contains(logged.String(), "13800138000") {
			t.Errorf("the failure's log: %q", logged.String())
		}
	})
}

func TestATextedCodeTakesAFewTriesAndOpensASessionOnTheDevice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		u := activated(t, f, s)
		for _, tc := range []struct {
			what, phone, code string
			fields            []string
		}{
			{"nothing", "", "", []string{"phone", "code"}},
			{"five digits", "13800138000", "12345", []string{"code"}},
			{"a letter", "13800138000", "12345a", []string{"code"}},
			{"seven digits", "13800138000", "1234567", []string{"code"}},
			{"a bad phone", "1380013800", "123456", []string{"phone"}},
		} {
			_, _, err := s.sms.Verify(ctx, tc.phone, tc.code, "192.0.2.70", service.DeviceInfo{})
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		if _, _, err := s.sms.Request(ctx, "13800138000", "192.0.2.70"); err != nil {
			t.Fatal(err)
		}
		code := s.sent.codes[0]
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		// MaxTries is 3: the third wrong try kills the code, the right one then fails too.
		for i := range 3 {
			_, _, err := s.sms.Verify(ctx, "13800138000", wrong, "192.0.2.7"+itoa(int64(i)), service.DeviceInfo{})
			wantCode(t, "a wrong code", err, gatehouse.EUNAUTHORIZED)
		}
		_, _, err := s.sms.Verify(ctx, "13800138000", code, "192.0.2.80", service.DeviceInfo{})
		wantCode(t, "the right code after three wrong ones", err, gatehouse.EUNAUTHORIZED)

		// A new code, typed with spaces around it, opens a session named as the device says (printable, at most 64 characters).
		clock = clock.Add(time.Minute)
		if _, _, err := s.sms.Request(ctx, "13800138000", "192.0.2.80"); err != nil {
			t.Fatal(err)
		}
		code = s.sent.codes[1]
		name := " 王芳的\tiPhone\x00" + strings.Repeat("机", 70) + " "
		sess, wait, err := s.sms.Verify(ctx, "138 0013 8000", " "+code+" ", "192.0.2.80", service.DeviceInfo{Name: name, Remember: true})
		if err != nil || wait != 0 || sess.User.ID != u.ID || !sess.Remember || !sess.ExpiresAt.Equal(clock.Add(30*24*time.Hour)) {
			t.Fatalf("the right code: %+v %s %v", sess, wait, err)
		}
		_, _, err = s.sms.Verify(ctx, "13800138000", code, "192.0.2.80", service.DeviceInfo{})
		wantCode(t, "a used code", err, gatehouse.EUNAUTHORIZED)
		ds, err := s.sessions.Devices(ctx, &gatehouse.Principal{UserID: u.ID}, service.SecretHash(sess.Token))
		if err != nil {
			t.Fatal(err)
		}
		var mine *gatehouse.Device
		for _, d := range ds {
			if d.Current {
				mine = d
			}
		}
		wantName := "王芳的iPhone" + strings.Repeat("机", 55)
		if mine == nil || mine.Name != wantName || mine.Method != gatehouse.SignInSMS || !mine.Remember {
			t.Errorf("the device: %+v, want named %q", mine, wantName)
		}

		// A code expires after CodeTTL.
		clock = clock.Add(time.Minute)
		if _, _, err := s.sms.Request(ctx, "13800138000", "192.0.2.81"); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(5 * time.Minute)
		_, _, err = s.sms.Verify(ctx, "13800138000", s.sent.codes[2], "192.0.2.81", service.DeviceInfo{})
		wantCode(t, "a code at its expiry", err, gatehouse.EUNAUTHORIZED)
	})
}

// Wrong codes from one address are limited whatever the phones (a guesser
// spreads tries over many numbers); a right code counts nothing.
func TestWrongCodesFromOneAddressAreLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		activated(t, f, s)
		if _, _, err := s.sms.Request(ctx, "13800138000", "192.0.2.90"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.sms.Verify(ctx, "13800138000", s.sent.codes[0], "192.0.2.91", service.DeviceInfo{}); err != nil {
			t.Fatalf("the right code: %v", err)
		}
		// VerifyPerAddress is 5.
		for i := range 5 {
			_, _, err := s.sms.Verify(ctx, "1390000000"+itoa(int64(i)), "123456", "192.0.2.91", service.DeviceInfo{})
			wantCode(t, "a guess", err, gatehouse.EUNAUTHORIZED)
		}
		clock = clock.Add(time.Minute)
		_, wait, err := s.sms.Verify(ctx, "13900000009", "123456", "192.0.2.91", service.DeviceInfo{})
		if outcome(err) != gatehouse.ERATELIMITED || wait != 14*time.Minute || !strings.Contains(gatehouse.ErrorMessage(err), "wrong codes from this address") {
			t.Errorf("a sixth guess: %s %v", wait, err)
		}
		if _, _, err := s.sms.Verify(ctx, "13900000009", "123456", "198.51.100.7", service.DeviceInfo{}); outcome(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("a guess from another address: %v", err)
		}
	})
}

// A code texted before the account was disabled signs no one in; a letter
// sets only a password the policy allows, checked with the phone as the
// username, before anything is looked up.
func TestADisabledAccountAndAWeakPasswordDoNotSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := signInAt(db, &clock)
		ctx := context.Background()
		l, err := s.act.Issue(ctx, f.manager, f.hostA.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, pw := range []string{"short", "password123", "13800138000!!"} {
			_, _, err := s.act.Activate(ctx, l.Code, "13800138000", pw, "192.0.2.9", service.DeviceInfo{})
			wantProblems(t, "the password "+pw, err, gatehouse.EINVALID, "password")
		}
		// Nothing was counted: the letter still takes its PerCode (3) attempts.
		sess, _, err := s.act.Activate(ctx, l.Code, "13800138000", "Lychee-Harbour-42", "192.0.2.9", service.DeviceInfo{})
		if err != nil {
			t.Fatalf("a good password after three weak ones: %v", err)
		}
		if _, _, err := s.sms.Request(ctx, "13800138000", "192.0.2.9"); err != nil || len(s.sent.codes) != 1 {
			t.Fatalf("a code: %v, sent %v", err, s.sent.codes)
		}
		disabled := true
		if err := db.UpdateUser(ctx, sess.User.ID, gatehouse.UserPatch{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.sms.Verify(ctx, "13800138000", s.sent.codes[0], "192.0.2.9", service.DeviceInfo{})
		if outcome(err) != gatehouse.EUNAUTHORIZED || !strings.Contains(gatehouse.ErrorMessage(err), "disabled") {
			t.Errorf("the code of a disabled account: %v", err)
		}
	})
}
