package service

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/password"
)

// DeviceInfo is the device a session is opened on, as the client tells it.
type DeviceInfo struct {
	Name     string // e.g. "iPhone Safari"; cut to 64 characters
	Remember bool   // "remember this device": RememberTTL, renewed while used
	// Tokens are the remembered-device tokens the client kept from earlier
	// sign-ins (Session.DeviceToken); one of the account's spares its owner
	// the account-wide login limit.
	Tokens []string
}

// open starts a session for u on a device.
func (s *Sessions) open(ctx context.Context, u *gatehouse.User, dev DeviceInfo, method string) (*Session, error) {
	if u.Disabled {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "this account is disabled; ask your property manager")
	}
	token, hashed := NewSecret(UserTokenPrefix)
	ns := gatehouse.NewSession{TokenHash: hashed, UserID: u.ID, DeviceName: deviceName(dev.Name), Method: method}
	ttl := s.TTL
	if dev.Remember && s.RememberTTL > 0 {
		ttl, ns.Remember, ns.RenewFor = s.RememberTTL, true, s.RememberTTL
	}
	ns.ExpiresAt = s.Now().Add(ttl).UTC().Truncate(time.Second)
	if err := s.Store.CreateDeviceSession(ctx, ns); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: ns.ExpiresAt, User: u, Remember: ns.Remember}, nil
}

// deviceName keeps a device's name printable and at most 64 characters.
func deviceName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64])
	}
	return s
}

// Devices lists the signed-in devices of the caller; current is the hash of
// the caller's own token, marked as such.
func (s *Sessions) Devices(ctx context.Context, pr *gatehouse.Principal, current string) ([]*gatehouse.Device, error) {
	ds, err := s.Store.Devices(ctx, pr.UserID)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		d.Current = strings.HasPrefix(current, d.ID)
	}
	return ds, nil
}

// SignOutDevice ends one of the caller's sessions; another user's device
// is ENOTFOUND.
func (s *Sessions) SignOutDevice(ctx context.Context, pr *gatehouse.Principal, id string) error {
	return s.Store.DeleteDevice(ctx, pr.UserID, strings.ToLower(id))
}

// reserve records one attempt in buckets unless a limit makes it wait, as
// logins do; the wait is rounded up to whole seconds.
func reserve(ctx context.Context, st interface {
	ReserveLogin(ctx context.Context, now, since time.Time, buckets []string, wait func(i int, n int64, oldest, latest time.Time) time.Duration) ([]int64, int, time.Duration, error)
}, now time.Time, window time.Duration, buckets []string, wait func(i int, n int64, oldest, latest time.Time) time.Duration) ([]int64, int, time.Duration, error) {
	ids, blocked, w, err := st.ReserveLogin(ctx, now, now.Add(-window), buckets, wait)
	if w > 0 {
		w = time.Duration(max(1, int(math.Ceil(w.Seconds())))) * time.Second
	}
	return ids, blocked, w, err
}

// atMost is a bucket's wait when n attempts in the window may be made.
func atMost(limit int, window time.Duration, now time.Time) func(n int64, oldest time.Time) time.Duration {
	return func(n int64, oldest time.Time) time.Duration {
		if n >= int64(limit) {
			return oldest.Add(window).Sub(now)
		}
		return 0
	}
}

// ActivationStore is what activation letters need of storage.
type ActivationStore interface {
	CommunityReader
	Resident(ctx context.Context, id int64) (*gatehouse.Resident, error)
	CreateActivationLetter(ctx context.Context, l *gatehouse.ActivationLetter, codeHash string) error
	ActivationLetter(ctx context.Context, codeHash string) (*gatehouse.ActivationLetter, error)
	ActivateResident(ctx context.Context, letterID int64, username, passwordHash, field string) (*gatehouse.User, error)
	ReserveLogin(ctx context.Context, now, since time.Time, buckets []string, wait func(i int, n int64, oldest, latest time.Time) time.Duration) ([]int64, int, time.Duration, error)
	ReleaseLogin(ctx context.Context, ids []int64, clear []string) error
}

// Activation issues activation letters and lets residents open their
// account with one: the letter names its resident, and the phone number
// typed must be the one the property office has for that resident (so a
// letter found in a mailbox is not enough). The account's username is that
// phone number; a resident's older account (made by a manager) is renamed
// to it. Guesses are limited per address and per code, as logins are.
type Activation struct {
	Store      ActivationStore
	Passwords  PasswordHasher
	Sessions   *Sessions
	Now        func() time.Time
	Valid      time.Duration // how long a letter works (14 days)
	Window     time.Duration // the window of counting failures
	PerAddress int           // failures from one address in the window before 429
	PerCode    int           // failures on one code in the window before 429
}

// IssuedLetter is a new letter with its code, shown this once.
type IssuedLetter struct {
	Letter    *gatehouse.ActivationLetter
	Code      string // XXXX-XXXX-XXXX
	Resident  *gatehouse.Resident
	Community *gatehouse.Community
}

// LetterPreview is what anyone holding a letter's code may see before
// activating: the community and the dwelling, nothing of the person.
type LetterPreview struct {
	Community string
	Household gatehouse.Household
	ExpiresAt time.Time
}

// codeAlphabet is Crockford's base 32: no I, L, O, U to misread.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newLetterCode returns 12 random characters (60 bits) in groups of four.
func newLetterCode() string {
	var b strings.Builder
	for i := range 12 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b.WriteByte(codeAlphabet[n.Int64()])
	}
	return b.String()
}

// normalizeLetterCode reads a code as typed: any case, with or without
// dashes and spaces, O for 0 and I or L for 1; "" when it cannot be one.
func normalizeLetterCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
	}
	if b.Len() != 12 {
		return ""
	}
	return b.String()
}

func letterHash(normalized string) string { return SecretHash("activation:" + normalized) }

// Issue makes a new letter for a resident (managers and admin, in scope);
// the resident's earlier letters stop working.
func (a *Activation) Issue(ctx context.Context, pr *gatehouse.Principal, residentID int64) (*IssuedLetter, error) {
	if pr.Role != gatehouse.RoleAdmin && pr.Role != gatehouse.RoleManager && !pr.System {
		return nil, forbidden("only managers print activation letters")
	}
	r, err := a.Store.Resident(ctx, residentID)
	if err != nil {
		return nil, err
	}
	if !pr.InCommunity(r.CommunityID) || r.MovedOutAt != nil {
		return nil, gatehouse.NotFound("resident")
	}
	c, err := a.Store.Community(ctx, r.CommunityID)
	if err != nil {
		return nil, err
	}
	code := newLetterCode()
	l := &gatehouse.ActivationLetter{CommunityID: r.CommunityID, ResidentID: r.ID, CreatedBy: pr.UserID,
		ExpiresAt: a.Now().Add(a.Valid).UTC().Truncate(time.Second)}
	if err := a.Store.CreateActivationLetter(ctx, l, letterHash(normalizeLetterCode(code))); err != nil {
		return nil, err
	}
	return &IssuedLetter{Letter: l, Code: code, Resident: r, Community: c}, nil
}

var errNoLetter = gatehouse.Errorf(gatehouse.ENOTFOUND, "no activation letter has this code; check what you typed, or ask the property office for a new letter")

// letter finds a usable letter by its code, after reserving the attempt
// against the limits; ids are the reserved attempts (release them when the
// attempt turns out well).
func (a *Activation) letter(ctx context.Context, code, clientIP string) (*gatehouse.ActivationLetter, []int64, time.Duration, error) {
	now := a.Now()
	n := normalizeLetterCode(code)
	buckets := []string{"activation-address:" + SecretHash(network(clientIP)), "activation-code:" + letterHash(n)}
	ids, blocked, wait, err := reserve(ctx, a.Store, now, a.Window, buckets, func(i int, n int64, oldest, _ time.Time) time.Duration {
		if i == 0 {
			return atMost(a.PerAddress, a.Window, now)(n, oldest)
		}
		return atMost(a.PerCode, a.Window, now)(n, oldest)
	})
	if err != nil {
		return nil, nil, 0, err
	}
	if wait > 0 {
		what := "this code"
		if blocked == 0 {
			what = "this address"
		}
		return nil, nil, wait, gatehouse.Errorf(gatehouse.ERATELIMITED, "too many wrong activation attempts for %s; try again in %s", what, wait.String())
	}
	if n == "" {
		return nil, ids, 0, errNoLetter
	}
	l, err := a.Store.ActivationLetter(ctx, letterHash(n))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		return nil, ids, 0, errNoLetter
	case err != nil:
		return nil, ids, 0, err
	case l.UsedAt != nil:
		return nil, ids, 0, gatehouse.Errorf(gatehouse.ECONFLICT, "this activation letter has already been used; sign in with your phone number, or ask the property office for a new letter")
	case !now.Before(l.ExpiresAt):
		return nil, ids, 0, gatehouse.Errorf(gatehouse.ECONFLICT, "this activation letter expired on %s; ask the property office for a new one", l.ExpiresAt.Format("2006-01-02"))
	}
	return l, ids, 0, nil
}

// Preview shows the community and dwelling of a letter's code.
func (a *Activation) Preview(ctx context.Context, code, clientIP string) (*LetterPreview, time.Duration, error) {
	l, ids, wait, err := a.letter(ctx, code, clientIP)
	if err != nil {
		return nil, wait, err
	}
	r, err := a.Store.Resident(ctx, l.ResidentID)
	if err != nil {
		return nil, 0, err
	}
	c, err := a.Store.Community(ctx, l.CommunityID)
	if err != nil {
		return nil, 0, err
	}
	if err := a.Store.ReleaseLogin(ctx, ids, nil); err != nil {
		return nil, 0, err
	}
	return &LetterPreview{Community: c.Name, Household: r.Household(), ExpiresAt: l.ExpiresAt}, 0, nil
}

// Activate uses a letter: checks the phone against the resident's, sets
// the password (the password policy, with the phone as the username), and
// opens a session on the device.
func (a *Activation) Activate(ctx context.Context, code, phone, pw, clientIP string, dev DeviceInfo) (*Session, time.Duration, error) {
	var p gatehouse.Problems
	num, msg := MobileOrProblem(phone)
	if msg != "" {
		p.Add("phone", msg)
	}
	if pw == "" {
		p.Add("password", "is required")
	} else if m := password.Validate(pw, num); m != "" {
		p.Add("password", m)
	}
	if err := p.Err(); err != nil {
		return nil, 0, err // nothing was looked up: no attempt is counted
	}
	l, ids, wait, err := a.letter(ctx, code, clientIP)
	if err != nil {
		return nil, wait, err
	}
	r, err := a.Store.Resident(ctx, l.ResidentID)
	if err != nil {
		return nil, 0, err
	}
	if own, _ := gatehouse.MobileNumber(r.Phone); own != num {
		// The reserved attempt stays, as a failure on this code.
		return nil, 0, gatehouse.FieldError("phone", "is not the number the property office has for this household; use that number, or ask them to correct it")
	}
	hash, err := a.Passwords.Hash(pw)
	if err != nil {
		return nil, 0, fmt.Errorf("hash password: %w", err)
	}
	u, err := a.Store.ActivateResident(ctx, l.ID, num, hash, "phone")
	if err != nil {
		return nil, 0, err
	}
	if err := a.Store.ReleaseLogin(ctx, ids, nil); err != nil {
		return nil, 0, err
	}
	sess, err := a.Sessions.openFrom(ctx, u, dev, gatehouse.SignInActivation, clientIP)
	return sess, 0, err
}

// MobileOrProblem reads a sign-in phone number: its 11 digits, or what is
// wrong ("is required" when empty).
func MobileOrProblem(s string) (string, string) {
	if strings.TrimSpace(s) == "" {
		return "", "is required"
	}
	return gatehouse.MobileNumber(s)
}

// SMSSender delivers a one-time code by text message.
type SMSSender interface {
	Send(ctx context.Context, phone, code string, valid time.Duration) error
}

// SMSStore is what signing in by text message needs of storage.
type SMSStore interface {
	UserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	ReserveLogin(ctx context.Context, now, since time.Time, buckets []string, wait func(i int, n int64, oldest, latest time.Time) time.Duration) ([]int64, int, time.Duration, error)
	ReleaseLogin(ctx context.Context, ids []int64, clear []string) error
	CreateSMSCode(ctx context.Context, phone, code string, expires time.Time) error
	CheckSMSCode(ctx context.Context, phone, code string, maxTries int) (bool, error)
	PhoneKey(phone string) string
}

// SMSLogin signs residents in with a one-time code sent to their phone (the
// username an activation letter gave their account). A phone with no
// account is answered exactly as one with an account (same status, same
// limits, a code stored that nothing can match) and is sent nothing, so
// that the answers tell no one who lives here.
type SMSLogin struct {
	Store    SMSStore
	Sender   SMSSender
	Sessions *Sessions
	Now      func() time.Time
	Log      *slog.Logger
	// Background runs a send off the request (so that a phone with an
	// account takes no longer to answer than one without); nil runs it
	// inline (tests).
	Background func(func())

	CodeTTL          time.Duration // 5 minutes
	MaxTries         int           // wrong codes before a code is dead: 5
	ResendAfter      time.Duration // 60 s between codes to one phone
	PerPhone         int           // codes to one phone per hour
	PerAddress       int           // codes asked from one address per hour
	VerifyPerAddress int           // wrong codes from one address per VerifyWindow
	VerifyWindow     time.Duration
}

// newSMSCode is 6 random digits.
func newSMSCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// Request sends a code to a phone (or, for a phone without an account,
// pretends to) and says how long until another may be asked for. Too many
// requests answer ERATELIMITED with the wait.
func (s *SMSLogin) Request(ctx context.Context, phone, clientIP string) (time.Duration, time.Duration, error) {
	num, msg := MobileOrProblem(phone)
	if msg != "" {
		return 0, 0, gatehouse.FieldError("phone", msg)
	}
	now := s.Now()
	buckets := []string{"sms-address:" + SecretHash(network(clientIP)), "sms-phone:" + s.Store.PhoneKey(num)}
	_, blocked, wait, err := reserve(ctx, s.Store, now, time.Hour, buckets, func(i int, n int64, oldest, latest time.Time) time.Duration {
		if i == 0 {
			return atMost(s.PerAddress, time.Hour, now)(n, oldest)
		}
		if n > 0 && now.Before(latest.Add(s.ResendAfter)) {
			return max(latest.Add(s.ResendAfter).Sub(now), atMost(s.PerPhone, time.Hour, now)(n, oldest))
		}
		return atMost(s.PerPhone, time.Hour, now)(n, oldest)
	})
	if err != nil {
		return 0, 0, err
	}
	if wait > 0 {
		if blocked == 0 {
			return 0, wait, gatehouse.Errorf(gatehouse.ERATELIMITED, "too many codes asked for from this address; try again in %s", wait.String())
		}
		return 0, wait, gatehouse.Errorf(gatehouse.ERATELIMITED, "a code was sent to this number a moment ago; you can ask for another in %s", wait.String())
	}
	code := newSMSCode()
	u, err := s.Store.UserByUsername(ctx, num)
	known := err == nil && !u.Disabled && u.Role == gatehouse.RoleResident
	if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return 0, 0, err
	}
	if !known {
		code = "x" + newSMSCode() // stored, so the phone is limited alike; no typed code matches it
	}
	if err := s.Store.CreateSMSCode(ctx, num, code, now.Add(s.CodeTTL)); err != nil {
		return 0, 0, err
	}
	if known {
		s.deliver(num, code)
	}
	return s.ResendAfter, 0, nil
}

// deliver sends a code; a failure is logged (the phone masked), never told
// to the client, which would tell whether the number has an account.
func (s *SMSLogin) deliver(phone, code string) {
	send := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.Sender.Send(ctx, phone, code, s.CodeTTL); err != nil && s.Log != nil {
			s.Log.Error("sms code not sent", "phone", phone[:3]+"****"+phone[7:], "err", err.Error())
		}
	}
	if s.Background != nil {
		s.Background(send)
		return
	}
	send()
}

var errBadSMSCode = gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "the code is wrong or has expired; ask for a new code")

// Verify checks a code and opens a session on the device. A code takes
// MaxTries wrong guesses, then a new one must be asked for; wrong codes are
// also limited per address.
func (s *SMSLogin) Verify(ctx context.Context, phone, code, clientIP string, dev DeviceInfo) (*Session, time.Duration, error) {
	var p gatehouse.Problems
	num, msg := MobileOrProblem(phone)
	if msg != "" {
		p.Add("phone", msg)
	}
	code = strings.TrimSpace(code)
	if code == "" {
		p.Add("code", "is required")
	} else if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		p.Add("code", "must be the 6 digits of the text message")
	}
	if err := p.Err(); err != nil {
		return nil, 0, err
	}
	now := s.Now()
	buckets := []string{"sms-verify-address:" + SecretHash(network(clientIP))}
	ids, _, wait, err := reserve(ctx, s.Store, now, s.VerifyWindow, buckets, func(_ int, n int64, oldest, _ time.Time) time.Duration {
		return atMost(s.VerifyPerAddress, s.VerifyWindow, now)(n, oldest)
	})
	if err != nil {
		return nil, 0, err
	}
	if wait > 0 {
		return nil, wait, gatehouse.Errorf(gatehouse.ERATELIMITED, "too many wrong codes from this address; try again in %s", wait.String())
	}
	ok, err := s.Store.CheckSMSCode(ctx, num, code, s.MaxTries)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, errBadSMSCode
	}
	if err := s.Store.ReleaseLogin(ctx, ids, nil); err != nil {
		return nil, 0, err
	}
	u, err := s.Store.UserByUsername(ctx, num)
	if err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return nil, 0, errBadSMSCode
		}
		return nil, 0, err
	}
	sess, err := s.Sessions.openFrom(ctx, u, dev, gatehouse.SignInSMS, clientIP)
	return sess, 0, err
}
