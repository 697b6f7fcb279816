// Package passcode is the format of Gatehouse codes: visitor passes and
// residents' rotating codes, signed with Ed25519 so that a door controller can
// verify them offline with the public keys of GET /api/v1/keys, and drawn as
// QR PNGs.
//
// A code is "GH2" followed by Base45 (RFC 9285) of payload || signature:
// every character is in QR's alphanumeric set, so a pass (8 gates and a
// schedule included) fits QR version 6 and a resident code version 5 at
// error correction M. The payload is a header byte, unsigned varints and, for
// a schedule, 4 packed bytes; times are whole minutes. Codes of the first
// format, "GH1" + base64url(payload || signature), still verify until their
// key is removed. Codes are at most 160 characters; Format spells out both.
package passcode

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"gatehouse/internal/passcode/base45"
)

// Prefixes of the two formats.
const (
	Prefix   = "GH2" // codes made now
	PrefixV1 = "GH1" // the first format: still verified; made only for a code too long for GH2
)

// MaxLen is the longest code Gatehouse makes or accepts.
const MaxLen = 160

// MaxGates bounds the gates a pass may name, so that its code fits MaxLen.
const MaxGates = 8

// Signature contexts separate Gatehouse code signatures from any other use
// of a key, and the two formats from each other.
const (
	signContext   = "gatehouse-code-v2\x00"
	signContextV1 = "gatehouse-code-v1\x00"
)

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

// Format tells a verifier how to read and check both formats, byte by byte
// (served by GET /api/v1/keys).
const Format = `code = "GH2" + Base45(payload || signature) (RFC 9285; characters 0-9 A-Z space $ % * + - . / :, ` +
	`never a space first or last), at most 160 characters; ` +
	`signature = Ed25519 over "gatehouse-code-v2\x00" || payload with the key of kid; ` +
	`payload = a header byte, then unsigned LEB128 varints (shortest form): kid, id, community_id; ` +
	`header bits 7-6 = kind (0 pass, 1 resident; the other bits 0 for a resident); for a pass bit 5 = has a schedule, bit 4 = 0, bits 3-0 = gate count (0-8); ` +
	`a pass adds valid_from (whole minutes since 2025-01-01T00:00:00Z), valid_for (minutes), max_entries, ` +
	`the first gate id and each next gate id minus the previous one minus 1 (ascending, distinct), ` +
	`and with a schedule 4 bytes big-endian: days << 22 | start << 11 | end (days bit 0 Monday .. bit 6 Sunday, not 0; ` +
	`start and end minutes of the community's local day, 0-1440; an end before the start crosses midnight); ` +
	`a resident code adds its step (Unix time / 30), current for 60 seconds. ` +
	`Also valid until their key is removed: code = "GH1" + base64url(payload || signature) (no padding); ` +
	`signature over "gatehouse-code-v1\x00" || payload; payload = kind byte ('P' pass, 'R' resident) then varints: ` +
	`kid, id, community_id; a pass adds valid_from (seconds since 2025-01-01T00:00:00Z), valid_for (seconds), max_entries, ` +
	`gate count, gate ids, a schedule byte of days (bit 0 Monday) and, if not 0, start and end minutes; a resident code adds its step.`

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

// Encode signs c with s and returns the code string, in the GH2 format; a
// code that would not fit in MaxLen that way (large ids on many scattered
// gates) is made in the GH1 format, which spells such payloads shorter.
// Pass times are truncated to the minute, and gates come back sorted.
func Encode(c *Code, s Signer) (string, error) {
	c.KeyID = s.KeyID()
	payload, err := c.marshal()
	if err != nil {
		return "", err
	}
	if len(Prefix)+base45.EncodedLen(len(payload)+ed25519.SignatureSize) > MaxLen {
		return EncodeV1(c, s)
	}
	sig := s.Sign(signedMessage(signContext, payload))
	return Prefix + base45.Encode(append(payload, sig...)), nil
}

// EncodeV1 signs c in the first format, "GH1": for codes GH2 cannot hold,
// and for tests of codes issued before GH2.
func EncodeV1(c *Code, s Signer) (string, error) {
	c.KeyID = s.KeyID()
	payload, err := c.marshalV1()
	if err != nil {
		return "", err
	}
	sig := s.Sign(signedMessage(signContextV1, payload))
	raw := append(payload, sig...)
	out := PrefixV1 + base64.RawURLEncoding.EncodeToString(raw)
	if len(out) > MaxLen {
		return "", fmt.Errorf("code would be %d characters, more than %d", len(out), MaxLen)
	}
	return out, nil
}

func signedMessage(context string, payload []byte) []byte {
	msg := make([]byte, 0, len(context)+len(payload))
	return append(append(msg, context...), payload...)
}

// Header bits of a GH2 payload.
const (
	headerKindShift    = 6
	headerKindPass     = 0
	headerKindResident = 1
	headerSchedule     = 1 << 5
	headerReserved     = 1 << 4
	headerGates        = 0x0f
)

// check says what makes c impossible to encode, in either format.
func (c *Code) check() error {
	if c.ID <= 0 || c.CommunityID <= 0 {
		return errors.New("code needs an id and a community")
	}
	switch c.Kind {
	case KindPass:
		if c.ValidFrom < epoch || c.ValidUntil < c.ValidFrom {
			return errors.New("code validity window is reversed or before 2025")
		}
		if len(c.GateIDs) > MaxGates {
			return fmt.Errorf("a code names at most %d gates", MaxGates)
		}
		for _, g := range c.GateIDs {
			if g <= 0 {
				return errors.New("gate ids are positive")
			}
		}
		if sc := c.Schedule; sc.Days&0x80 != 0 || sc.Days != 0 && (sc.StartMinute > 24*60 || sc.EndMinute > 24*60) {
			return errors.New("a schedule has days 1-127 and minutes 0-1440")
		}
	case KindResident:
		if c.Step <= 0 {
			return errors.New("resident code needs a step")
		}
	default:
		return fmt.Errorf("unknown code kind %q", c.Kind)
	}
	return nil
}

// marshal is the GH2 payload of c.
func (c *Code) marshal() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 1, 48)
	b = binary.AppendUvarint(b, uint64(c.KeyID))
	b = binary.AppendUvarint(b, uint64(c.ID))
	b = binary.AppendUvarint(b, uint64(c.CommunityID))
	if c.Kind == KindResident {
		b[0] = headerKindResident << headerKindShift
		return binary.AppendUvarint(b, uint64(c.Step)), nil
	}
	gates := slices.Clone(c.GateIDs)
	slices.Sort(gates)
	gates = slices.Compact(gates)
	b[0] = headerKindPass<<headerKindShift | byte(len(gates))
	from := (c.ValidFrom - epoch) / 60
	b = binary.AppendUvarint(b, uint64(from))
	b = binary.AppendUvarint(b, uint64((c.ValidUntil-epoch)/60-from))
	b = binary.AppendUvarint(b, uint64(c.MaxEntries))
	prev := int64(0)
	for i, g := range gates {
		if i == 0 {
			b = binary.AppendUvarint(b, uint64(g))
		} else {
			b = binary.AppendUvarint(b, uint64(g-prev-1))
		}
		prev = g
	}
	if sc := c.Schedule; sc.Days != 0 {
		b[0] |= headerSchedule
		b = binary.BigEndian.AppendUint32(b, uint32(sc.Days)<<22|uint32(sc.StartMinute)<<11|uint32(sc.EndMinute))
	}
	return b, nil
}

// marshalV1 is the GH1 payload of c.
func (c *Code) marshalV1() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 64)
	b = append(b, c.Kind)
	b = binary.AppendUvarint(b, uint64(c.KeyID))
	b = binary.AppendUvarint(b, uint64(c.ID))
	b = binary.AppendUvarint(b, uint64(c.CommunityID))
	switch c.Kind {
	case KindPass:
		b = binary.AppendUvarint(b, uint64(c.ValidFrom-epoch))
		b = binary.AppendUvarint(b, uint64(c.ValidUntil-c.ValidFrom))
		b = binary.AppendUvarint(b, uint64(c.MaxEntries))
		b = binary.AppendUvarint(b, uint64(len(c.GateIDs)))
		for _, g := range c.GateIDs {
			b = binary.AppendUvarint(b, uint64(g))
		}
		b = append(b, c.Schedule.Days)
		if c.Schedule.Days != 0 {
			b = binary.AppendUvarint(b, uint64(c.Schedule.StartMinute))
			b = binary.AppendUvarint(b, uint64(c.Schedule.EndMinute))
		}
	case KindResident:
		b = binary.AppendUvarint(b, uint64(c.Step))
	}
	return b, nil
}

// KeyLookup finds the public key of a key id.
type KeyLookup interface {
	PublicKey(kid uint32) (ed25519.PublicKey, bool)
}

// Parse checks a code's shape and signature and returns what it says, in
// either format. Every failure is ErrInvalid; it never panics, whatever the
// input.
func Parse(s string, keys KeyLookup) (*Code, error) {
	c, msg, sig, err := decode(s)
	if err != nil {
		return nil, ErrInvalid
	}
	pub, ok := keys.PublicKey(c.KeyID)
	if !ok || !ed25519.Verify(pub, msg, sig) {
		return nil, ErrInvalid
	}
	return c, nil
}

// decode parses a code without checking its signature, and returns the
// message its signature must cover.
func decode(s string) (c *Code, msg, sig []byte, err error) {
	if len(s) > MaxLen || len(s) < len(Prefix) {
		return nil, nil, nil, ErrInvalid
	}
	var raw []byte
	context, parse := signContext, unmarshal
	switch s[:len(Prefix)] {
	case Prefix:
		raw, err = base45.Decode(s[len(Prefix):])
	case PrefixV1:
		body := s[len(PrefixV1):]
		// encoding/base64 skips \r and \n; a code has one spelling, so only the
		// alphabet itself is accepted.
		for i := 0; i < len(body); i++ {
			if !isBase64URL(body[i]) {
				return nil, nil, nil, ErrInvalid
			}
		}
		raw, err = base64.RawURLEncoding.Strict().DecodeString(body)
		context, parse = signContextV1, unmarshalV1
	default:
		return nil, nil, nil, ErrInvalid
	}
	if err != nil || len(raw) <= ed25519.SignatureSize {
		return nil, nil, nil, ErrInvalid
	}
	payload, sig := raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	if c, err = parse(payload); err != nil {
		return nil, nil, nil, ErrInvalid
	}
	return c, signedMessage(context, payload), sig, nil
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

func (r *reader) uint32() uint32 {
	if r.bad || len(r.b) < 4 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
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

// unmarshal reads a GH2 payload.
func unmarshal(p []byte) (*Code, error) {
	r := &reader{b: p}
	h := r.byte()
	c := &Code{}
	c.KeyID = uint32(r.uvarint(1<<32 - 1))
	c.ID = int64(r.uvarint(maxID))
	c.CommunityID = int64(r.uvarint(maxID))
	switch h >> headerKindShift {
	case headerKindPass:
		c.Kind = KindPass
		c.ValidFrom = epoch + 60*int64(r.uvarint(maxTime/60))
		c.ValidUntil = c.ValidFrom + 60*int64(r.uvarint(maxTime/60))
		c.MaxEntries = uint32(r.uvarint(1<<32 - 1))
		n := int(h & headerGates)
		if h&headerReserved != 0 || n > MaxGates {
			r.bad = true
		}
		g := int64(0)
		for i := 0; i < n && !r.bad; i++ {
			v := int64(r.uvarint(maxID))
			if i == 0 {
				g = v
			} else {
				g += v + 1
			}
			if g == 0 || g > maxID {
				r.bad = true
			}
			c.GateIDs = append(c.GateIDs, g)
		}
		if h&headerSchedule != 0 {
			v := r.uint32()
			c.Schedule = Schedule{Days: uint8(v >> 22), StartMinute: uint16(v >> 11 & 0x7ff), EndMinute: uint16(v & 0x7ff)}
			if v>>22 == 0 || v>>22 > 0x7f || c.Schedule.StartMinute > 24*60 || c.Schedule.EndMinute > 24*60 {
				r.bad = true
			}
		}
	case headerKindResident:
		c.Kind = KindResident
		c.Step = int64(r.uvarint(maxTime))
		if c.Step == 0 || h&^(3<<headerKindShift) != 0 {
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

// unmarshalV1 reads a GH1 payload.
func unmarshalV1(p []byte) (*Code, error) {
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
