package gateagent

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"gatehouse/internal/passcode"
)

// Cache is what the controller knows for deciding offline, learned from
// GET /gates/{id}/sync and kept on disk (replaced atomically) so that it
// survives a restart during an outage. Safe for concurrent use.
type Cache struct {
	mu        sync.RWMutex
	path      string
	st        cacheState
	pinned    int64 // the community set in the config, if any
	keys      *passcode.Keyring
	revoked   map[int64]bool
	exhausted map[int64]bool
	movedOut  map[int64]bool
}

type cacheState struct {
	Cursor       string    `json:"cursor"`
	CommunityID  int64     `json:"community_id,omitempty"`
	TimeZone     string    `json:"time_zone,omitempty"`     // the community's, from sync
	AntiPassback string    `json:"anti_passback,omitempty"` // the community's, from sync: on or off
	Keys         []SyncKey `json:"keys"`
	Revoked      []int64   `json:"revoked"`
	Exhausted    []int64   `json:"exhausted"`
	MovedOut     []int64   `json:"moved_out_residents"`
	SyncedAt     time.Time `json:"synced_at"`
}

// LoadCache reads the cache at path; a missing file is an empty cache.
// pinnedCommunity (0: none) overrides the community learned online.
func LoadCache(path string, pinnedCommunity int64) (*Cache, error) {
	c := &Cache{path: path, pinned: pinnedCommunity, keys: passcode.NewKeyring(nil)}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		if err := json.Unmarshal(b, &c.st); err != nil {
			return nil, fmt.Errorf("%s: %v (delete it; the next sync rebuilds it)", path, err)
		}
	}
	if err := c.index(); err != nil {
		return nil, fmt.Errorf("%s: %v (delete it; the next sync rebuilds it)", path, err)
	}
	return c, nil
}

// index rebuilds the lookup sets and the keyring from the state.
func (c *Cache) index() error {
	set := func(ids []int64) map[int64]bool {
		m := make(map[int64]bool, len(ids))
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	c.revoked, c.exhausted, c.movedOut = set(c.st.Revoked), set(c.st.Exhausted), set(c.st.MovedOut)
	var ks []passcode.Key
	for _, k := range c.st.Keys {
		pub, err := decodeKey(k)
		if err != nil {
			return err
		}
		ks = append(ks, passcode.Key{ID: k.KeyID, Public: pub, CreatedAt: k.CreatedAt})
	}
	c.keys.Set(ks)
	return nil
}

func decodeKey(k SyncKey) (ed25519.PublicKey, error) {
	if k.Algorithm != "Ed25519" {
		return nil, fmt.Errorf("key %d: algorithm %q is not Ed25519", k.KeyID, k.Algorithm)
	}
	b, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("key %d: not a base64 Ed25519 public key", k.KeyID)
	}
	return ed25519.PublicKey(b), nil
}

// SyncSummary says what the cache holds after a sync, for the log.
type SyncSummary struct {
	Changed                            bool // the cache was saved
	KeysChanged                        bool // the server's keys differ from those cached
	New                                int  // revocations, used-up passes and move-outs new to this gate
	Revoked, Exhausted, MovedOut, Keys int  // what the cache holds now
	// SettingsChanged is set when the sync brought news of the community:
	// its id, time zone or anti-passback setting.
	SettingsChanged bool
	// BadTimeZone is a time zone the server sent that this controller
	// cannot load; the cache keeps the one it had.
	BadTimeZone string
}

// Apply merges one sync page and saves the cache when anything changed.
func (c *Cache) Apply(p *SyncPage, now time.Time) (SyncSummary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.st
	next.Revoked, next.Exhausted, next.MovedOut = slices.Clone(c.st.Revoked), slices.Clone(c.st.Exhausted), slices.Clone(c.st.MovedOut)
	var sum SyncSummary
	add := func(list *[]int64, have map[int64]bool, ids []int64) {
		seen := map[int64]bool{}
		for _, id := range ids {
			if !have[id] && !seen[id] {
				seen[id] = true
				*list = append(*list, id)
				sum.New++
			}
		}
	}
	add(&next.Revoked, c.revoked, p.Revoked)
	add(&next.Exhausted, c.exhausted, p.Exhausted)
	add(&next.MovedOut, c.movedOut, p.MovedOutResidents)
	for _, k := range p.Keys {
		if _, err := decodeKey(k); err != nil {
			return sum, err
		}
	}
	sum.KeysChanged = !sameKeys(c.st.Keys, p.Keys)
	if sum.KeysChanged {
		next.Keys = slices.Clone(p.Keys)
	}
	// An older server sends no settings: keep what was learned.
	if p.CommunityID > 0 && p.CommunityID != next.CommunityID {
		next.CommunityID, sum.SettingsChanged = p.CommunityID, true
	}
	if p.TimeZone != "" && p.TimeZone != next.TimeZone {
		if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "Local" {
			sum.BadTimeZone = p.TimeZone
		} else {
			next.TimeZone, sum.SettingsChanged = p.TimeZone, true
		}
	}
	if (p.AntiPassback == "on" || p.AntiPassback == "off") && p.AntiPassback != next.AntiPassback {
		next.AntiPassback, sum.SettingsChanged = p.AntiPassback, true
	}
	sum.Changed = sum.New > 0 || sum.KeysChanged || sum.SettingsChanged || next.Cursor != p.Cursor
	next.Cursor = p.Cursor
	next.SyncedAt = now.UTC()
	if sum.Changed || c.st.SyncedAt.IsZero() {
		if err := c.save(next); err != nil {
			return sum, err
		}
	} else {
		c.st.SyncedAt = next.SyncedAt
	}
	sum.Revoked, sum.Exhausted, sum.MovedOut, sum.Keys = len(c.st.Revoked), len(c.st.Exhausted), len(c.st.MovedOut), len(c.st.Keys)
	return sum, nil
}

func sameKeys(a, b []SyncKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].KeyID != b[i].KeyID || a[i].PublicKey != b[i].PublicKey || a[i].Algorithm != b[i].Algorithm {
			return false
		}
	}
	return true
}

// save writes next to disk, then makes it the cache's state.
func (c *Cache) save(next cacheState) error {
	b, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(c.path, b); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	old := c.st
	c.st = next
	if err := c.index(); err != nil {
		c.st = old
		_ = c.index()
		return err
	}
	return nil
}

// LearnCommunity remembers the gate's community, learned from a decision
// of a server too old to send it in sync. It reports whether that was news.
func (c *Cache) LearnCommunity(id int64) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id <= 0 || c.st.CommunityID == id {
		return false, nil
	}
	next := c.st
	next.CommunityID = id
	return true, c.save(next)
}

// Cursor is where the next sync starts.
func (c *Cache) Cursor() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.Cursor
}

// SyncedAt is when the last sync succeeded; zero if never.
func (c *Cache) SyncedAt() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.SyncedAt
}

// PublicKey makes Cache a passcode.KeyLookup.
func (c *Cache) PublicKey(kid uint32) (ed25519.PublicKey, bool) { return c.keys.PublicKey(kid) }

// KeyCount is how many verification keys are cached.
func (c *Cache) KeyCount() int { return len(c.keys.Keys()) }

// CommunityID is the gate's community: pinned in the config, else learned
// from the server (its sync, or a decision); 0 while unknown.
func (c *Cache) CommunityID() int64 {
	if c.pinned != 0 {
		return c.pinned
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.CommunityID
}

// LearnedCommunityID is the community learned from the server, whatever is
// pinned.
func (c *Cache) LearnedCommunityID() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.CommunityID
}

// TimeZone is the community's time zone as the last sync sent it; "" if
// the server has not sent one.
func (c *Cache) TimeZone() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.TimeZone
}

// AntiPassback is the community's anti-passback setting as the last sync
// sent it ("on" or "off"); "" if the server has not sent one.
func (c *Cache) AntiPassback() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.AntiPassback
}

// Revoked reports whether a pass was revoked.
func (c *Cache) Revoked(passID int64) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.revoked[passID]
}

// Exhausted reports whether a pass has no entries left on the server.
func (c *Cache) Exhausted(passID int64) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.exhausted[passID]
}

// MovedOut reports whether a resident moved out (its codes stop working).
func (c *Cache) MovedOut(residentID int64) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.movedOut[residentID]
}
