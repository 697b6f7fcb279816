// Package password hashes and checks login passwords with bcrypt, whose cost
// bounds memory per login (argon2id's would multiply under concurrent logins).
package password

import (
	"errors"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes with a fixed bcrypt cost; tests use bcrypt.MinCost.
type Hasher struct{ Cost int }

// Default is the production cost (about 50 ms a check on these machines).
var Default = Hasher{Cost: 11}

// dummies are checked against when a user does not exist, so that a wrong
// username takes as long as a wrong password: one hash per cost.
var dummies sync.Map // cost -> []byte

func (h Hasher) dummy() []byte {
	if b, ok := dummies.Load(h.Cost); ok {
		return b.([]byte)
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("gatehouse-dummy-password"), h.Cost)
	dummies.Store(h.Cost, b)
	return b
}

// Hash returns the bcrypt hash of a password.
func (h Hasher) Hash(pw string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(pw), h.Cost)
	return string(b), err
}

// Check reports whether pw matches hash. An empty hash (no such user) costs as
// much as a real check and never matches.
func (h Hasher) Check(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(h.dummy(), []byte(pw))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	if err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return false
	}
	return err == nil
}
