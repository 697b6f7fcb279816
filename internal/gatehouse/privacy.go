package gatehouse

import (
	"encoding/json"
	"fmt"
	"time"
)

// IDNumber is a person's identity-document number, sensitive personal
// information. Its whole form leaves the domain only through a Disclosure (to
// a caller allowed to see it, after the audit event is written) or through
// Protect (to storage, sealed and hashed). Printed, logged or encoded as JSON
// it is masked, so a forgotten field can never leak it.
type IDNumber struct {
	whole  string // empty when not known: erased, or never read back
	masked string
}

// NewIDNumber wraps a number as typed or read from a document.
func NewIDNumber(whole string) IDNumber {
	return IDNumber{whole: whole, masked: MaskIDNumber(whole)}
}

// StoredIDNumber wraps a number read back from storage: whole is empty when
// it was erased or not unsealed.
func StoredIDNumber(whole, masked string) IDNumber {
	if masked == "" && whole != "" {
		masked = MaskIDNumber(whole)
	}
	return IDNumber{whole: whole, masked: masked}
}

// Masked is the form every role may see (440303********1234).
func (n IDNumber) Masked() string { return n.masked }

// IsZero reports whether there is no number at all.
func (n IDNumber) IsZero() bool { return n.whole == "" && n.masked == "" }

// Known reports whether the whole number is held (not erased).
func (n IDNumber) Known() bool { return n.whole != "" }

// Same reports whether two numbers are the same whole number.
func (n IDNumber) Same(o IDNumber) bool { return n.whole != "" && n.whole == o.whole }

// String is the masked form: a number printed by mistake stays masked.
func (n IDNumber) String() string { return n.masked }

// GoString keeps %#v masked too.
func (n IDNumber) GoString() string { return fmt.Sprintf("gatehouse.IDNumber(%q)", n.masked) }

// MarshalJSON encodes the masked form: only a Disclosure shows it whole.
func (n IDNumber) MarshalJSON() ([]byte, error) { return json.Marshal(n.masked) }

// IDProtector seals a whole number for storage and hashes it for exact
// lookup (the key directory's keys).
type IDProtector interface {
	SealID(plain string) []byte
	LookupHash(plain string) string
}

// Protect gives storage what it keeps of the number: sealed, its keyed hash
// and its masked form. It is the only way out of the domain besides a
// Disclosure.
func (n IDNumber) Protect(p IDProtector) (sealed []byte, hash, masked string) {
	return p.SealID(n.whole), p.LookupHash(n.whole), n.masked
}

// Hash is the keyed hash of the whole number for exact lookup, "" when the
// number is not known.
func (n IDNumber) Hash(h interface{ LookupHash(string) string }) string {
	if n.whole == "" || h == nil {
		return ""
	}
	return h.LookupHash(n.whole)
}

// Disclosure is one answer's showing of ID numbers to one caller. It shows a
// number whole only to a role allowed to see it, counts every number so
// shown, and gives the audit event that must be written before the answer is
// sent. Handlers get whole numbers from nowhere else.
type Disclosure struct {
	p           *Principal
	communityID int64
	target      string
	shown       int
}

// Disclose starts the disclosure of one answer about target ("entries",
// "resident:12") in a community (0 for several).
func Disclose(p *Principal, communityID int64, target string) *Disclosure {
	return &Disclosure{p: p, communityID: communityID, target: target}
}

// MaySeeWhole reports whether the principal is shown ID numbers whole: admin
// and police users, never a gate device.
func MaySeeWhole(p *Principal) bool {
	return p != nil && !p.IsGate() && p.Role.SeesFullIDs()
}

// ID returns the form of n the caller may see, and whether it is masked.
func (d *Disclosure) ID(n IDNumber) (shown string, masked bool) {
	if n.whole != "" && MaySeeWhole(d.p) {
		d.shown++
		return n.whole, false
	}
	return n.masked, true
}

// Shown is how many numbers were shown whole so far.
func (d *Disclosure) Shown() int { return d.shown }

// Event is the audit event to write before the answer is sent (detail says
// what was asked), or nil when every number shown was masked.
func (d *Disclosure) Event(detail string) *AuditEvent {
	if d.shown == 0 {
		return nil
	}
	return &AuditEvent{ActorID: d.p.UserID, ActorName: d.p.Username, ActorRole: d.p.Role, Action: AuditIDRead,
		CommunityID: d.communityID, Target: d.target, Detail: fmt.Sprintf("%s; %d unmasked ID number(s)", detail, d.shown)}
}

// SearchByID is the rule for a search by a whole ID number, which answers
// "is this the number?" and so discloses it: only roles that may see numbers
// whole may search by one (others get EFORBIDDEN: a guard confirms identity
// from the person's card or code, not by search), and each search is the
// returned audit event, written before the search runs. where names the
// search ("GET /entries id_number").
func SearchByID(p *Principal, communityID int64, where string) (*AuditEvent, error) {
	if !MaySeeWhole(p) {
		return nil, &Error{Code: EFORBIDDEN, Message: "only admin and police may search by ID number; check the person's card or code instead",
			Fields: map[string]string{"id_number": "searching by ID number is for admin and police"}}
	}
	return &AuditEvent{ActorID: p.UserID, ActorName: p.Username, ActorRole: p.Role, Action: AuditIDSearch,
		CommunityID: communityID, Target: "id_number", Detail: where}, nil
}

// A role that sees ID numbers masked could still recover a whole one: enter
// each candidate its masked form leaves (a few thousand for a mainland
// number: the birth date and the check digit) as a visitor's number, and
// watch any answer that depends on whether the number is already stored (a
// report's count of distinct visitors, the on-site list, the watchlist at a
// walk-in). Whatever the channel, each try is a number that shows a stored
// number's masked form without being it: a near miss. Near misses are
// audited (id.guess); past IDGuessAllowance of them in IDGuessWindow the
// account may enter no number that shows a stored masked form at all,
// exact or not, so that the refusal tells nothing either. Two real people
// whose numbers share the visible digits are rare enough that a person at
// work meets the limit almost never.
//
// The allowance is per account and, so that a manager cannot multiply it by
// making guard accounts, per community too (IDGuessCommunityAllowance for
// all its accounts together).
const (
	IDGuessAllowance          = 3
	IDGuessCommunityAllowance = 10
	IDGuessWindow             = 24 * time.Hour
)

// GuessedTooOften reports whether an ID number entered by a role that sees
// numbers masked is refused: exact when it is a stored number, near when it
// only shows a stored one's masked form, guesses the account's near misses
// in the window (this one included when near).
func GuessedTooOften(exact, near bool, guesses int64) bool {
	return overAllowance(exact, near, guesses, IDGuessAllowance)
}

// CommunityGuessedTooOften is GuessedTooOften for the near misses of every
// account in the community.
func CommunityGuessedTooOften(exact, near bool, guesses int64) bool {
	return overAllowance(exact, near, guesses, IDGuessCommunityAllowance)
}

func overAllowance(exact, near bool, guesses, allowance int64) bool {
	return (near && guesses > allowance) || (exact && guesses >= allowance)
}

// TooManyIDGuesses is the refusal of a number entered in field.
func TooManyIDGuesses(field string) error {
	const problem = "this account entered several ID numbers that differ from registered ones only in their hidden digits; for 24 hours it may not enter numbers like them: ask the administrator to register this person"
	return &Error{Code: EFORBIDDEN, Message: field + ": " + problem, Fields: map[string]string{field: problem}}
}

// LooksLikeIDNumber reports whether a normalized search term is an identity
// document's number rather than a name, phone or room: a mainland number
// with its check digit, a Hong Kong/Macao permit, or a passport-like mix of
// letters and at least five digits. Such a term in a free-text search is an
// ID search (SearchByID).
func LooksLikeIDNumber(n string) bool {
	if ValidateIDNumber(IDResident, n) == "" || ValidateIDNumber(IDHKMacaoPermit, n) == "" {
		return true
	}
	if len(n) < 7 || ValidateIDNumber(IDPassport, n) != "" {
		return false
	}
	letters, digits := 0, 0
	for _, r := range n {
		switch {
		case r >= 'A' && r <= 'Z':
			letters++
		case r >= '0' && r <= '9':
			digits++
		}
	}
	return letters > 0 && digits >= 5
}
