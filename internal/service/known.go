package service

import (
	"context"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// knownClient is what an attempt's client is to the account it tries: a
// stranger, or where the owner signed in lately.
type knownClient struct {
	network string // the client's network (network())
	known   bool   // the account signed in from this network within KnownFor
	device  string // the hash of a remembered-device token of the account ("" for none)
}

// maxDeviceTokens is how many remembered-device tokens a client may present
// (a browser shared by several accounts keeps one for each).
const maxDeviceTokens = 5

// deviceHashes are the stored forms of the well-formed tokens a client
// presented, at most maxDeviceTokens; by its hash, the token.
func deviceHashes(tokens []string) ([]string, map[string]string) {
	hashes, raw := []string{}, map[string]string{}
	for _, t := range tokens {
		if len(hashes) == maxDeviceTokens {
			break
		}
		if strings.HasPrefix(t, DeviceTokenPrefix) && len(t) <= 64 {
			h := SecretHash(t)
			hashes, raw[h] = append(hashes, h), t
		}
	}
	return hashes, raw
}

func (s *Sessions) knownFor() time.Duration {
	if s.KnownFor > 0 {
		return s.KnownFor
	}
	return DefaultKnownFor
}

// known says whether the account userID (0: an unknown name, never known)
// signed in lately from a network or on a device whose token is presented.
func (s *Sessions) known(ctx context.Context, userID int64, network string, tokens []string, now time.Time) (knownClient, error) {
	hashes, _ := deviceHashes(tokens)
	known, device, err := s.Store.KnownSignIn(ctx, userID, network, hashes, now.Add(-s.knownFor()))
	return knownClient{network: network, known: known, device: device}, err
}

// limitRule is how long a bucket with n failures (the oldest and latest at
// those times) makes the next attempt wait.
type limitRule func(n int64, oldest, latest time.Time) time.Duration

// buckets are where an attempt at account from a client is counted, each
// with its rule; the third is the one a success clears. A stranger: the
// network (PerAddress in Window), the account from everywhere
// (PerAccountAll, then growing delays) and the account from this network
// (PerAccount, then growing delays). A known network: the same, but the
// account-wide bucket only counts. A remembered device: the device alone
// limits (as the account from one network would), the network and the
// account only count, so that an attacker on the owner's network (a shared
// NAT address) does not hold back the owner's device either.
func (s *Sessions) buckets(account string, c knownClient, now time.Time) ([]string, []limitRule) {
	perNetwork := func(n int64, oldest, _ time.Time) time.Duration {
		if n >= int64(s.PerAddress) {
			return oldest.Add(s.Window).Sub(now)
		}
		return 0
	}
	growing := func(free int) limitRule {
		return func(n int64, _, latest time.Time) time.Duration { return s.growingDelay(n, free, latest, now) }
	}
	countOnly := func(int64, time.Time, time.Time) time.Duration { return 0 }
	address := "address:" + SecretHash(c.network)
	pair := "pair:" + SecretHash(account+"\x00"+c.network)
	switch {
	case c.device != "":
		return []string{address, account, "device:" + c.device}, []limitRule{countOnly, countOnly, growing(s.PerAccount)}
	case c.known:
		return []string{address, account, pair}, []limitRule{perNetwork, countOnly, growing(s.PerAccount)}
	}
	return []string{address, account, pair}, []limitRule{perNetwork, growing(s.PerAccountAll), growing(s.PerAccount)}
}

// openFrom opens a session for u, signed in from clientIP, and remembers
// where: the client's network, and its device by a remembered-device token
// (one it presented that is the account's, else a new one), which the
// session carries for the client to keep.
func (s *Sessions) openFrom(ctx context.Context, u *gatehouse.User, dev DeviceInfo, method, clientIP string) (*Session, error) {
	sess, err := s.open(ctx, u, dev, method)
	if err != nil {
		return nil, err
	}
	now, net := s.Now(), network(clientIP)
	since := now.Add(-s.knownFor())
	hashes, raw := deviceHashes(dev.Tokens)
	_, device, err := s.Store.KnownSignIn(ctx, u.ID, net, hashes, since)
	if err != nil {
		return nil, err
	}
	token := raw[device]
	if token == "" {
		token, device = NewSecret(DeviceTokenPrefix)
	}
	if err := s.Store.RememberSignIn(ctx, u.ID, net, device, now, since); err != nil {
		return nil, err
	}
	sess.DeviceToken = token
	return sess, nil
}
