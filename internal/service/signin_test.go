package service_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// sentCodes records what an SMS sender was asked to send.
type sentCodes struct{ to, codes []string }

func (s *sentCodes) Send(_ context.Context, phone, code string, _ time.Duration) error {
	s.to, s.codes = append(s.to, phone), append(s.codes, code)
	return nil
}

type signIn struct {
	sessions *service.Sessions
	act      *service.Activation
	sms      *service.SMSLogin
	sent     *sentCodes
}

func newSignIn(db *store.DB) *signIn {
	now := db.Now
	sessions := &service.Sessions{Store: db, Now: now, TTL: 12 * time.Hour, RememberTTL: 30 * 24 * time.Hour, Window: 15 * time.Minute,
		PerAccount: 5, PerAccountAll: 30, PerAddress: 50, FirstDelay: time.Second, MaxDelay: time.Minute}
	sent := &sentCodes{}
	return &signIn{sessions: sessions, sent: sent,
		act: &service.Activation{Store: db, Passwords: plainHasher{}, Sessions: sessions, Now: now, Valid: 14 * 24 * time.Hour,
			Window: 15 * time.Minute, PerAddress: 20, PerCode: 5},
		sms: &service.SMSLogin{Store: db, Sender: sent, Sessions: sessions, Now: now, CodeTTL: 5 * time.Minute, MaxTries: 5,
			ResendAfter: time.Minute, PerPhone: 5, PerAddress: 20, VerifyPerAddress: 30, VerifyWindow: 15 * time.Minute}}
}

func TestActivationLettersWhoIssuesAndWhatTheyOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, s := newFixture(t, db), newSignIn(db)
		ctx := context.Background()
		_, err := s.act.Issue(ctx, f.resident, f.hostA.ID)
		wantCode(t, "a resident issues", err, gatehouse.EFORBIDDEN)
		_, err = s.act.Issue(ctx, f.manager, f.hostB.ID)
		wantCode(t, "a manager issues for another community", err, gatehouse.ENOTFOUND)
		l, err := s.act.Issue(ctx, f.manager, f.hostA.ID)
		if err != nil || !regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(l.Code) {
			t.Fatalf("issue: %+v %v", l, err)
		}
		_, _, err = s.act.Activate(ctx, l.Code, "", "", "192.0.2.9", service.DeviceInfo{})
		wantProblems(t, "nothing typed", err, gatehouse.EINVALID, "phone", "password")
		sess, _, err := s.act.Activate(ctx, l.Code, "13800138000", "Lychee-Harbour-42", "192.0.2.9", service.DeviceInfo{Name: "手机", Remember: true})
		if err != nil || sess.User.Username != "13800138000" || sess.User.ResidentID != f.hostA.ID || !sess.Remember {
			t.Fatalf("activate: %+v %v", sess, err)
		}
		_, _, err = s.act.Activate(ctx, l.Code, "13800138000", "Lychee-Harbour-42", "192.0.2.9", service.DeviceInfo{})
		wantCode(t, "a used letter", err, gatehouse.ECONFLICT)
		// The neighbour shares the phone number: its letter cannot take the number another account signs in with.
		l2, err := s.act.Issue(ctx, f.manager, f.neighbourA.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.act.Activate(ctx, l2.Code, "13800138000", "Lychee-Harbour-43", "192.0.2.9", service.DeviceInfo{})
		wantProblems(t, "a phone taken by another account", err, gatehouse.ECONFLICT, "phone")
	})
}

func TestSMSSendsOnlyToAccountsAndAnswersAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, s := newSignIn(db), newFixture(t, db)
		ctx := context.Background()
		l, err := f.act.Issue(ctx, s.manager, s.hostA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.act.Activate(ctx, l.Code, "13800138000", "Lychee-Harbour-42", "192.0.2.9", service.DeviceInfo{}); err != nil {
			t.Fatal(err)
		}
		r1, w1, err1 := f.sms.Request(ctx, "13800138000", "192.0.2.9")
		r2, w2, err2 := f.sms.Request(ctx, "13900000000", "192.0.2.9")
		if r1 != r2 || w1 != w2 || err1 != nil || err2 != nil {
			t.Errorf("known %v %v %v, unknown %v %v %v: the answers differ", r1, w1, err1, r2, w2, err2)
		}
		if len(f.sent.to) != 1 || f.sent.to[0] != "13800138000" || !regexp.MustCompile(`^\d{6}$`).MatchString(f.sent.codes[0]) {
			t.Fatalf("sent %v %v, want one 6-digit code to 13800138000", f.sent.to, f.sent.codes)
		}
		_, _, err = f.sms.Verify(ctx, "13900000000", "000000", "192.0.2.9", service.DeviceInfo{})
		wantCode(t, "an unknown phone", err, gatehouse.EUNAUTHORIZED)
		sess, _, err := f.sms.Verify(ctx, "13800138000", f.sent.codes[0], "192.0.2.9", service.DeviceInfo{Name: "手机"})
		if err != nil || sess.User.ResidentID != s.hostA.ID {
			t.Fatalf("verify: %+v %v", sess, err)
		}
		ds, err := f.sessions.Devices(ctx, &gatehouse.Principal{UserID: sess.User.ID}, service.SecretHash(sess.Token))
		if err != nil || len(ds) != 2 || (ds[0].Current == ds[1].Current) {
			t.Errorf("devices: %+v %v, want two, one of them current", ds, err)
		}
		wantCode(t, "another user's device", f.sessions.SignOutDevice(ctx, s.manager, ds[0].ID), gatehouse.ENOTFOUND)
	})
}
