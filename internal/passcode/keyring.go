package passcode

import (
	"crypto/ed25519"
	"errors"
	"sort"
	"sync/atomic"
	"time"
)

// Key is one signing key. Private is nil where only verification is needed.
type Key struct {
	ID        uint32
	Public    ed25519.PublicKey
	Private   ed25519.PrivateKey
	CreatedAt time.Time
}

// KeyID makes Key a Signer.
func (k Key) KeyID() uint32 { return k.ID }

// Sign signs msg with the private key.
func (k Key) Sign(msg []byte) []byte { return ed25519.Sign(k.Private, msg) }

// Keyring holds the keys codes are signed and verified with. The newest key
// signs; every key in the ring verifies, so old codes keep working after a
// rotation until their key is removed. Safe for concurrent use; Set swaps the
// whole ring at once.
type Keyring struct {
	ring atomic.Pointer[ring]
	gen  atomic.Uint64
}

type ring struct {
	byID    map[uint32]Key
	current *Key
	sorted  []Key
}

// NewKeyring returns a ring holding keys.
func NewKeyring(keys []Key) *Keyring {
	k := &Keyring{}
	k.Set(keys)
	return k
}

// Set replaces the keys.
func (k *Keyring) Set(keys []Key) {
	r := &ring{byID: make(map[uint32]Key, len(keys))}
	for _, key := range keys {
		r.byID[key.ID] = key
		r.sorted = append(r.sorted, key)
	}
	sort.Slice(r.sorted, func(i, j int) bool { return r.sorted[i].ID < r.sorted[j].ID })
	for i := len(r.sorted) - 1; i >= 0; i-- {
		if r.sorted[i].Private != nil {
			cur := r.sorted[i]
			r.current = &cur
			break
		}
	}
	k.ring.Store(r)
	k.gen.Add(1)
}

// Generation moves on every Set: what was verified under an older
// generation must be verified again.
func (k *Keyring) Generation() uint64 { return k.gen.Load() }

// PublicKey makes Keyring a KeyLookup.
func (k *Keyring) PublicKey(kid uint32) (ed25519.PublicKey, bool) {
	key, ok := k.ring.Load().byID[kid]
	return key.Public, ok
}

// ErrNoSigningKey means no key with a private half is loaded.
var ErrNoSigningKey = errors.New("no signing key: run `gatehouse keys rotate`")

// Signer returns the current signing key.
func (k *Keyring) Signer() (Signer, error) {
	cur := k.ring.Load().current
	if cur == nil {
		return nil, ErrNoSigningKey
	}
	return *cur, nil
}

// Signing returns the key of id, if it can still sign (to re-make a pass's code).
func (k *Keyring) Signing(kid uint32) (Signer, bool) {
	key, ok := k.ring.Load().byID[kid]
	if !ok || key.Private == nil {
		return nil, false
	}
	return key, true
}

// Keys returns every key, oldest first.
func (k *Keyring) Keys() []Key { return k.ring.Load().sorted }

// CurrentID is the id of the signing key, 0 if none.
func (k *Keyring) CurrentID() uint32 {
	if cur := k.ring.Load().current; cur != nil {
		return cur.ID
	}
	return 0
}
