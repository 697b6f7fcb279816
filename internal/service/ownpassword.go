package service

import (
	"context"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/password"
)

// OwnPasswordStore is what changing one's own password needs of storage.
type OwnPasswordStore interface {
	User(ctx context.Context, id int64) (*gatehouse.User, error)
	UpdateUser(ctx context.Context, id int64, p gatehouse.UserPatch) error
	Devices(ctx context.Context, userID int64) ([]*gatehouse.Device, error)
}

// OwnPassword lets a signed-in user change their own password. The current
// password is checked under the login limits (a session left open on a
// shared phone does not let anyone guess it), the new one follows the
// password policy; every session of the account then ends, and the device
// the change was made on is signed in again as it was (remembered or not).
type OwnPassword struct {
	Store     OwnPasswordStore
	Passwords PasswordHasher
	Sessions  *Sessions
}

// PasswordChange is a change of one's own password as typed, with the
// remembered-device tokens the browser presents: the current password is
// checked under the same limits as a login from that browser and network.
type PasswordChange struct {
	Current, New string
	DeviceTokens []string
}

// Change sets the caller's new password. tokenHash is the stored hash of
// the caller's token (its device is signed in again); clientIP and the
// change's device tokens count a wrong current password against the login
// limits, with the exemptions a login from there has. A wrong current
// password is a field problem, not EUNAUTHORIZED: the caller stays signed
// in.
func (s *OwnPassword) Change(ctx context.Context, pr *gatehouse.Principal, tokenHash, clientIP string, ch PasswordChange) (*Session, time.Duration, error) {
	if pr.IsGate() || pr.UserID == 0 {
		return nil, 0, forbidden("only a signed-in user changes their own password")
	}
	u, err := s.Store.User(ctx, pr.UserID)
	if err != nil {
		return nil, 0, err
	}
	var probs gatehouse.Problems
	probs.Check(ch.Current != "", "current_password", "is required")
	if ch.New == "" {
		probs.Add("new_password", "is required")
	} else if msg := password.Validate(ch.New, u.Username); msg != "" {
		probs.Add("new_password", msg)
	} else if ch.New == ch.Current {
		probs.Add("new_password", "is your current password; choose a new one")
	}
	if err := probs.Err(); err != nil {
		return nil, 0, err
	}
	if wait, err := s.Sessions.check(ctx, u, u.Username, ch.Current, clientIP, ch.DeviceTokens); err != nil {
		if err == errBadLogin {
			return nil, 0, gatehouse.FieldError("current_password", "is not your current password")
		}
		return nil, wait, err
	}
	dev, err := s.device(ctx, u.ID, tokenHash)
	if err != nil {
		return nil, 0, err
	}
	hash, err := s.Passwords.Hash(ch.New)
	if err != nil {
		return nil, 0, err
	}
	// Every session ends with the old password, this one too.
	if err := s.Store.UpdateUser(ctx, u.ID, gatehouse.UserPatch{PasswordHash: &hash}); err != nil {
		return nil, 0, err
	}
	sess, err := s.Sessions.open(ctx, u, dev, gatehouse.SignInPassword)
	return sess, 0, err
}

// device is the device of the caller's session, to sign it in again as it was.
func (s *OwnPassword) device(ctx context.Context, userID int64, tokenHash string) (DeviceInfo, error) {
	ds, err := s.Store.Devices(ctx, userID)
	if err != nil {
		return DeviceInfo{}, err
	}
	for _, d := range ds {
		if d.ID != "" && strings.HasPrefix(tokenHash, d.ID) {
			return DeviceInfo{Name: d.Name, Remember: d.Remember}, nil
		}
	}
	return DeviceInfo{}, nil
}
