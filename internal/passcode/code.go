// Package passcode is the format of Gatehouse codes: visitor passes and
// residents' rotating codes, signed with Ed25519 so that a door controller can
// verify them offline with the public keys of GET /api/v1/keys, and drawn as
// QR PNGs.
//
// A code is "GH1" followed by base64url (no padding) of payload || signature.
// The payload is a kind byte and unsigned varints; the signature covers a
// fixed context string and the payload. Codes are at most 160 characters.
package passcode

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// Prefix starts every code of this format version.
const Prefix = "GH1"

// MaxLen is the longest code Gatehouse makes or accepts.
const MaxLen = 160

// MaxGates bounds the gates a pass may name, so that its code fits MaxLen.
const MaxGates = 8

// signContext separates Gatehouse code signatures from any other use of a key.
const signContext = "gatehouse-code-v1\x00"

// Kinds of code.
const (
	KindPass     byte = 'P' // a visitor pass
	KindResident byte = 'R' // a resident's rotating code
)

// epoch is where code times start (2025-01-01T00:00:00Z): times before it
// cannot be encoded, and each encoded time is a byte shorter than Unix time.
const epoch = 1735689600

// ResidentStep is how long one resident code is current.
const ResidentStep = 30 // seconds

// ErrInvalid is every reason a code is refused before any lookup: bad shape,
// unknown key, bad signature. Callers answer invalid_code.
var ErrInvalid = errors.New("invalid code")

// Schedule limits a pass to days of the week and a time of day, judged in the
// community's time zone. Days is a bit set: bit 0 is Monday ... bit 6 Sunday.
type Schedule struct {
	Days        uint8
	StartMinute uint16 // minutes after local midnight, inclusive
	EndMinute   uint16 // exclusive; an end before the start crosses midnight
}

// IsZero reports whether there is no schedule (any time of the validity window).
func (s Schedule) IsZero() bool { return s.Days == 0 }

// Code is what a code says once its signature is verified.
type Code struct {
	Kind        byte
	KeyID       uint32
	ID          int64 // pass id or resident id
	CommunityID int64

	// Passes.
	ValidFrom  int64 // Unix seconds
	ValidUntil int64 // Unix seconds
	MaxEntries uint32
	GateIDs    []int64
	Schedule   Schedule

	// Resident codes: the 30-second step the code was made for.
	Step int64
}

// Signer makes codes with one private key.
type Signer interface {
	KeyID() uint32
	Sign(msg []byte) []byte
}

// Encode signs c with s and returns the code string.
func Encode(c *Code, s Signer) (string, error) {
	c.KeyID = s.KeyID()
	payload, err := c.marshal()
	if err != nil {
		return "", err
	}
	sig := s.Sign(signedMessage(payload))
	raw := append(payload, sig...)
	out := Prefix + base64.RawURLEncoding.EncodeToString(raw)
	if len(out) > MaxLen {
		return "", fmt.Errorf("code would be %d characters, more than %d", len(out), MaxLen)
	}
	return out, nil
}

func signedMessage(payload []byte) []byte {
	msg := make([]byte, 0, len(signContext)+len(payload))
	return append(append(msg, signContext...), payload...)
}

func (c *Code) marshal() ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, c.Kind)
	b = binary.AppendUvarint(b, uint64(c.KeyID))
	if c.ID <= 0 || c.CommunityID <= 0 {
		return nil, errors.New("code needs an id and a community")
	}
	b = binary.AppendUvarint(b, uint64(c.ID))
	b = binary.AppendUvarint(b, uint64(c.CommunityID))
	switch c.Kind {
	case KindPass:
		if c.ValidFrom < epoch || c.ValidUntil < c.ValidFrom {
			return nil, errors.New("code validity window is reversed or before 2025")
		}
		if len(c.GateIDs) > MaxGates {
			return nil, fmt.Errorf("a code names at most %d gates", MaxGates)
		}
		b = binary.AppendUvarint(b, uint64(c.ValidFrom-epoch))
		b = binary.AppendUvarint(b, uint64(c.ValidUntil-c.ValidFrom))
		b = binary.AppendUvarint(b, uint64(c.MaxEntries))
		b = binary.AppendUvarint(b, uint64(len(c.GateIDs)))
		for _, g := range c.GateIDs {
			if g <= 0 {
				return nil, errors.New("gate ids are positive")
			}
			b = binary.AppendUvarint(b, uint64(g))
		}
		b = append(b, c.Schedule.Days)
		if c.Schedule.Days != 0 {
			b = binary.AppendUvarint(b, uint64(c.Schedule.StartMinute))
			b = binary.AppendUvarint(b, uint64(c.Schedule.EndMinute))
		}
	case KindResident:
		if c.Step <= 0 {
			return nil, errors.New("resident code needs a step")
		}
		b = binary.AppendUvarint(b, uint64(c.Step))
	default:
		return nil, fmt.Errorf("unknown code kind %q", c.Kind)
	}
	return b, nil
}

// KeyLookup finds the public key of a key id.
type KeyLookup interface {
	PublicKey(kid uint32) (ed25519.PublicKey, bool)
}

// Parse checks a code's shape and signature and returns what it says. Every
// failure is ErrInvalid; it never panics, whatever the input.
func Parse(s string, keys KeyLookup) (*Code, error) {
	c, payload, sig, err := decode(s)
	if err != nil {
		return nil, ErrInvalid
	}
	pub, ok := keys.PublicKey(c.KeyID)
	if !ok || !ed25519.Verify(pub, signedMessage(payload), sig) {
		return nil, ErrInvalid
	}
	return c, nil
}

// decode parses a code without checking its signature.
func decode(s string) (*Code, []byte, []byte, error) {
	if len(s) > MaxLen || len(s) < len(Prefix) || s[:len(Prefix)] != Prefix {
		return nil, nil, nil, ErrInvalid
	}
	body := s[len(Prefix):]
	// encoding/base64 skips \r and \n; a code has one spelling, so only the
	// alphabet itself is accepted.
	for i := 0; i < len(body); i++ {
		if !isBase64URL(body[i]) {
			return nil, nil, nil, ErrInvalid
		}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) <= ed25519.SignatureSize {
		return nil, nil, nil, ErrInvalid
	}
	payload, sig := raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	c, err := unmarshal(payload)
	if err != nil {
		return nil, nil, nil, ErrInvalid
	}
	return c, payload, sig, nil
}

// reader reads varints and flags the first error.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint(max uint64) uint64 {
	if r.bad {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > max {
		r.bad = true
		return 0
	}
	// Only the shortest encoding is accepted, so every code has one spelling.
	if n != len(binary.AppendUvarint(nil, v)) {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if r.bad || len(r.b) == 0 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

const (
	maxID   = 1<<53 - 1
	maxTime = 1<<40 - 1
)

func unmarshal(p []byte) (*Code, error) {
	r := &reader{b: p}
	c := &Code{Kind: r.byte()}
	c.KeyID = uint32(r.uvarint(1<<32 - 1))
	c.ID = int64(r.uvarint(maxID))
	c.CommunityID = int64(r.uvarint(maxID))
	switch c.Kind {
	case KindPass:
		c.ValidFrom = epoch + int64(r.uvarint(maxTime))
		c.ValidUntil = c.ValidFrom + int64(r.uvarint(maxTime))
		c.MaxEntries = uint32(r.uvarint(1<<32 - 1))
		n := r.uvarint(MaxGates)
		for i := uint64(0); i < n && !r.bad; i++ {
			g := int64(r.uvarint(maxID))
			if g == 0 {
				r.bad = true
			}
			c.GateIDs = append(c.GateIDs, g)
		}
		c.Schedule.Days = r.byte()
		if c.Schedule.Days&0x80 != 0 {
			r.bad = true
		}
		if c.Schedule.Days != 0 {
			c.Schedule.StartMinute = uint16(r.uvarint(24 * 60))
			c.Schedule.EndMinute = uint16(r.uvarint(24 * 60))
		}
	case KindResident:
		c.Step = int64(r.uvarint(maxTime))
		if c.Step == 0 {
			r.bad = true
		}
	default:
		r.bad = true
	}
	if r.bad || len(r.b) != 0 || c.ID == 0 || c.CommunityID == 0 {
		return nil, ErrInvalid
	}
	return c, nil
}

func isBase64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// KeyIDOf returns the key id a well-formed code claims, without verifying
// it: a verifier that does not know the key can reload its keys and retry.
func KeyIDOf(s string) (uint32, bool) {
	c, _, _, err := decode(s)
	if err != nil {
		return 0, false
	}
	return c.KeyID, true
}
