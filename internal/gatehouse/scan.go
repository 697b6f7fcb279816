package gatehouse

import (
	"context"
	"strconv"
	"time"
)

// Subject names a person for presence: a visitor or a resident.
type Subject string

// VisitorSubject is the presence subject of a visitor.
func VisitorSubject(id int64) Subject { return Subject("v" + strconv.FormatInt(id, 10)) }

// ResidentSubject is the presence subject of a resident.
func ResidentSubject(id int64) Subject { return Subject("r" + strconv.FormatInt(id, 10)) }

// ScanTx is what one decision reads and writes, inside one atomic step
// bound to one community: whatever it reads cannot change until the step
// commits, so two gates (or two server processes) scanning one single-use
// pass give one grant.
type ScanTx interface {
	// Epoch is the community's settings epoch, read with its chain head: it
	// moves whenever the community's settings, gates or watchlist change.
	Epoch() int64
	// Community reads the community's settings.
	Community() (*Community, error)
	// Watchlist returns the keyed ID hashes on the community's watchlist.
	Watchlist() (map[string]bool, error)
	// Gate reads a gate with the hash of its device key, or ENOTFOUND.
	Gate(id int64) (*Gate, string, error)
	// Pass returns a pass with its visitor and host, or ENOTFOUND.
	Pass(id int64) (*Pass, error)
	// PassState returns what changes of a pass once issued: its uses and
	// its revocation (the rest may be cached), or ENOTFOUND.
	PassState(id int64) (uses int, revokedAt *time.Time, err error)
	// Resident returns a resident (present or moved out), or ENOTFOUND.
	Resident(id int64) (*Resident, error)
	// Inside reports whether the subject's last granted passage was "in".
	Inside(s Subject) (bool, error)
	// ConsumeUse counts one entry against a pass. Offline uses (force) count
	// even past max_entries: they happened.
	ConsumeUse(p *Pass, force bool) error
	// EventEntry returns the entry a gate logged under an event id (an
	// offline event, or a scan sent with one), or ENOTFOUND.
	EventEntry(gateID int64, eventID string) (*Entry, error)
	// IDHash is the keyed hash of an ID number, for an entry's exact search;
	// the store holds the key, and no one else.
	IDHash(n IDNumber) string
	// Append adds e to the community's chain and sets its ID, Seq and hashes;
	// a granted passage also updates the person's presence, unless a later
	// passage is already recorded (offline events arrive late).
	Append(e *Entry, s Subject) error
}

// ScanStore runs atomic scan steps for a community.
type ScanStore interface {
	InScanTx(ctx context.Context, communityID int64, fn func(tx ScanTx) error) error
}

// Presence is one person recorded inside a community.
type Presence struct {
	CommunityID int64
	Subject     Subject
	PassID      int64
	EntryID     int64
	Since       time.Time
}

// DecisionEvent is a logged decision with what its watchers need: guards
// and managers of the community, and the host's household for its guests.
type DecisionEvent struct {
	Entry            *Entry
	Host             *Resident // the host of a visitor
	Resident         *Resident // the resident whose own code was scanned
	RemainingEntries *int
}
