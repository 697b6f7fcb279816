package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"time"

	"gatehouse/internal/gatehouse"
)

// SessionStore is what logging in needs of storage.
type SessionStore interface {
	UserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	ReserveLogin(ctx context.Context, now, since time.Time, buckets []string, wait func(i int, n int64, oldest, latest time.Time) time.Duration) ([]int64, int, time.Duration, error)
	ReleaseLogin(ctx context.Context, ids []int64, clear []string) error
	CreateDeviceSession(ctx context.Context, s gatehouse.NewSession) error
	DeleteSession(ctx context.Context, tokenHash string) error
	Devices(ctx context.Context, userID int64) ([]*gatehouse.Device, error)
	DeleteDevice(ctx context.Context, userID int64, id string) error
	KnownSignIn(ctx context.Context, userID int64, network string, deviceHashes []string, since time.Time) (bool, string, error)
	RememberSignIn(ctx context.Context, userID int64, network, deviceHash string, at, forget time.Time) error
}

// PasswordChecker checks a login attempt against a stored hash ("" for an
// unknown user: it still takes the time of a real check).
type PasswordChecker interface {
	Check(hash, pw string) bool
}

// Sessions logs users in and out.
//
// Every attempt is reserved in its buckets (the client's network, the
// account, the account from that network) in one locked transaction before
// the password is checked, so that parallel guesses, on one process or
// several, cannot pass a limit together. A network is an IPv4 address or an
// IPv6 /64. Per network: PerAddress failures in Window. Per account from one
// network (PerAccount free failures) and from all networks together
// (PerAccountAll): growing delays, each failure doubling the wait before the
// next attempt is checked, from FirstDelay up to MaxDelay. Attempts refused
// as too many are not counted, so they never lengthen the wait.
//
// The account-wide limit never holds back the owner where the owner is
// known (see known): from a network the account signed in from within
// KnownFor, an attempt is limited per account and network only; with a
// remembered-device token of the account, per device only. So an attacker
// elsewhere can delay strangers' attempts at an account, not its owner's.
type Sessions struct {
	Store         SessionStore
	Passwords     PasswordChecker
	Now           func() time.Time
	TTL           time.Duration // how long a session lives
	RememberTTL   time.Duration // how long a remembered device stays signed in after its last use
	Window        time.Duration
	PerAccount    int
	PerAccountAll int
	PerAddress    int
	FirstDelay    time.Duration
	MaxDelay      time.Duration
	KnownFor      time.Duration // how long a sign-in's network and device stay known; 0: DefaultKnownFor
}

// DefaultKnownFor is how long a network or device an account signed in
// from stays known.
const DefaultKnownFor = 30 * 24 * time.Hour

// Session is a logged-in user's bearer token (shown once) and when it ends.
type Session struct {
	Token     string
	ExpiresAt time.Time
	User      *gatehouse.User
	Remember  bool // a remembered device (renewed while used)
	// DeviceToken is the remembered-device token of this sign-in's device
	// (the one it presented, if it was the account's, else a new one): the
	// client keeps it and presents it at its next sign-in.
	DeviceToken string
}

// Token prefixes tell a user's bearer token from a gate's device key.
const (
	UserTokenPrefix   = "ght_"
	DeviceKeyPrefix   = "ghk_"
	DeviceTokenPrefix = "ghd_" // a remembered-device token: no credential, it only exempts from the account-wide limit
)

// NewSecret returns prefix + 32 random bytes in base64url, and its SHA-256
// (hex), the only form stored.
func NewSecret(prefix string) (secret, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, SecretHash(secret)
}

// SecretHash is the stored form of a bearer secret. Secrets carry 256 random
// bits, so a fast hash is enough: no one can guess a preimage.
func SecretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

var errBadLogin = gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "wrong username or password")

// growingDelay is how long after the latest of n failures the next attempt
// waits, once free failures are used up.
func (s *Sessions) growingDelay(n int64, free int, latest, now time.Time) time.Duration {
	if n < int64(free) {
		return 0
	}
	d := s.MaxDelay
	if k := n - int64(free); k < 6 {
		d = min(s.FirstDelay<<k, s.MaxDelay)
	}
	return latest.Add(d).Sub(now)
}

// Login checks a password from a client address and opens a session. Too
// many attempts answer ERATELIMITED with how long to wait.
func (s *Sessions) Login(ctx context.Context, username, password, clientIP string, dev DeviceInfo) (*Session, time.Duration, error) {
	var p gatehouse.Problems
	if username == "" {
		p.Add("username", "is required")
	} else if msg := gatehouse.ValidateUsername(username); msg != "" {
		p.Add("username", msg) // no account can have such a name: nothing is looked up
	}
	p.Check(password != "", "password", "is required")
	if err := p.Err(); err != nil {
		return nil, 0, err
	}
	u, err := s.Store.UserByUsername(ctx, username)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		u = nil
	case err != nil:
		return nil, 0, err
	}
	if wait, err := s.check(ctx, u, username, password, clientIP, dev.Tokens); err != nil {
		return nil, wait, err
	}
	sess, err := s.openFrom(ctx, u, dev, gatehouse.SignInPassword, clientIP)
	return sess, 0, err
}

// check checks a password for an account (u nil: an unknown username)
// from a client address, which may present remembered-device tokens, under
// the login limits: the attempt is reserved in its buckets first and stays
// as a failure unless the password is right. Too many attempts answer
// ERATELIMITED with how long to wait.
func (s *Sessions) check(ctx context.Context, u *gatehouse.User, username, password, clientIP string, tokens []string) (time.Duration, error) {
	now := s.Now()
	hash, account, userID := "", "", int64(0)
	if u != nil {
		hash, account, userID = u.PasswordHash, "account:"+strconv.FormatInt(u.ID, 10), u.ID
	} else {
		// An unknown name is limited like an account, so that limits do not
		// tell whether it exists. Buckets are hashed: the table names no one.
		account = "name:" + SecretHash(username)
	}
	// An unknown name is looked up too (as user 0, never known): the same work.
	k, err := s.known(ctx, userID, network(clientIP), tokens, now)
	if err != nil {
		return 0, err
	}
	buckets, rules := s.buckets(account, k, now)
	ids, blocked, wait, err := s.Store.ReserveLogin(ctx, now, now.Add(-s.Window), buckets,
		func(i int, n int64, oldest, latest time.Time) time.Duration { return rules[i](n, oldest, latest) })
	if err != nil {
		return 0, err
	}
	if wait > 0 {
		wait = time.Duration(max(1, int(math.Ceil(wait.Seconds())))) * time.Second
		what := "this account"
		if blocked == 0 {
			what = "this address"
		}
		return wait, gatehouse.Errorf(gatehouse.ERATELIMITED, "too many failed logins for %s; try again in %s", what, wait.String())
	}
	if !s.Passwords.Check(hash, password) {
		return 0, errBadLogin // the reserved attempt stays, as a failure
	}
	// The right password: this attempt is no failure, and the failures on
	// the account from this network (or device) are forgiven, not others'.
	return 0, s.Store.ReleaseLogin(ctx, ids, buckets[2:])
}

// Logout ends the session of a token (by its stored hash).
func (s *Sessions) Logout(ctx context.Context, tokenHash string) error {
	return s.Store.DeleteSession(ctx, tokenHash)
}
