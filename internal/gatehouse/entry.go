package gatehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Direction is which way a person passes a gate.
type Direction string

// Directions.
const (
	In  Direction = "in"
	Out Direction = "out"
)

// Valid reports whether d is in or out.
func (d Direction) Valid() bool { return d == In || d == Out }

// Decision is what a gate is told to do.
type Decision string

// Decisions.
const (
	Grant Decision = "grant"
	Deny  Decision = "deny"
)

// Reason is why; its strings are stable: door controllers and UIs match them.
type Reason string

// Reasons: stable strings that door controllers and UIs match.
const (
	Granted         Reason = "granted"
	InvalidCode     Reason = "invalid_code"
	UnknownPass     Reason = "unknown_pass"
	NotYetValid     Reason = "not_yet_valid"
	Expired         Reason = "expired"
	Revoked         Reason = "revoked"
	Exhausted       Reason = "exhausted"
	WrongCommunity  Reason = "wrong_community"
	GateNotAllowed  Reason = "gate_not_allowed"
	OutsideSchedule Reason = "outside_schedule"
	AntiPassback    Reason = "anti_passback"
	Watchlisted     Reason = "watchlisted"
	StaleCode       Reason = "stale_code"
	ManualOverride  Reason = "manual_override"
)

// Decision is the decision a reason leads to.
func (r Reason) Decision() Decision {
	if r == Granted || r == ManualOverride {
		return Grant
	}
	return Deny
}

// Method is how an entry was decided.
type Method string

// Methods.
const (
	MethodQR      Method = "qr"      // a scanned code, decided online
	MethodManual  Method = "manual"  // a guard's override
	MethodWalkIn  Method = "walkin"  // a walk-in registered and let in by a guard
	MethodOffline Method = "offline" // decided by a door controller offline, uploaded later
)

// Entry is one line of the entry log: every scan, grant or deny, and every
// override. Entries of a community form a hash chain.
type Entry struct {
	ID             int64
	CommunityID    int64
	Seq            int64 // position in the community's chain, from 1
	GateID         int64
	PassID         int64
	ResidentID     int64 // the resident whose own code was scanned
	VisitorID      int64
	HostResidentID int64
	Direction      Direction
	Decision       Decision // what the gate did
	Reason         Reason   // the server's reason
	ServerDecision Decision // the server's own decision; differs from Decision only offline
	Method         Method
	GuardID        int64
	EventID        string // offline event id, unique per gate
	OccurredAt     time.Time
	RecordedAt     time.Time

	// Personal fields: erased after the retention period. The chain covers
	// their digest, so it still verifies once they are gone.
	PersonName string
	IDHash     string
	Plate      string
	Note       string // an override's reason, in the guard's words
	ErasedAt   *time.Time

	PersonalDigest string
	PrevHash       string
	Hash           string
}

// ComputePersonalDigest is the SHA-256 of the personal fields.
func (e *Entry) ComputePersonalDigest() string {
	h := sha256.New()
	for _, f := range []string{"gatehouse-personal-v1", e.PersonName, e.IDHash, e.Plate, e.Note} {
		h.Write([]byte(strconv.Quote(f)))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ComputeHash is the SHA-256 of the entry's content, its personal digest and
// the previous entry's hash. Times count in microseconds, as stored.
func (e *Entry) ComputeHash() string {
	var b strings.Builder
	b.Grow(512)
	add := func(s string) { b.WriteString(strconv.Quote(s)); b.WriteByte('\n') }
	num := func(n int64) { b.WriteString(strconv.FormatInt(n, 10)); b.WriteByte('\n') }
	add("gatehouse-entry-v1")
	num(e.CommunityID)
	num(e.Seq)
	num(e.GateID)
	num(e.PassID)
	num(e.ResidentID)
	num(e.VisitorID)
	num(e.HostResidentID)
	add(string(e.Direction))
	add(string(e.Decision))
	add(string(e.Reason))
	add(string(e.ServerDecision))
	add(string(e.Method))
	num(e.GuardID)
	add(e.EventID)
	num(e.OccurredAt.UnixMicro())
	num(e.RecordedAt.UnixMicro())
	add(e.PersonalDigest)
	add(e.PrevHash)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// GenesisHash is the "previous hash" of a community's first entry.
func GenesisHash(communityID int64) string {
	sum := sha256.Sum256([]byte("gatehouse-genesis-v1\n" + strconv.FormatInt(communityID, 10)))
	return hex.EncodeToString(sum[:])
}

// ChainBreak names the first entry at which a community's chain fails.
type ChainBreak struct {
	CommunityID int64  `json:"community_id"`
	EntryID     int64  `json:"entry_id,omitempty"`
	Seq         int64  `json:"seq"`
	Problem     string `json:"problem"`
}

// ChainReport is the result of verifying chains.
type ChainReport struct {
	OK          bool        `json:"ok"`
	Checked     int64       `json:"checked"`
	FirstBroken *ChainBreak `json:"first_broken,omitempty"`
}
