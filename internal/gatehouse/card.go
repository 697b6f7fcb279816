package gatehouse

import (
	"strings"
	"time"
)

// Card is a resident's IC card: a credential the door controllers check
// themselves, so it opens doors also while the server is down.
type Card struct {
	ID          int64
	CommunityID int64
	ResidentID  int64
	Number      string // decimal, as the reader sends it
	Label       string
	ValidFrom   time.Time
	ValidUntil  *time.Time // nil: until deleted or the resident moves out
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   *time.Time
}

// MethodCard is an entry decided by a door controller on a card swipe and
// uploaded by its agent.
const MethodCard Method = "card"

// UnknownCard is the server's reason for a swipe of a card it does not know.
const UnknownCard Reason = "unknown_card"

// ChangeCard is a code change that tells offline controllers to read a card
// again (added, changed or deleted); its subject is the card.
const ChangeCard = "card"

// MaxCardNumberLen bounds a card number: 20 digits hold any 64-bit number.
const MaxCardNumberLen = 20

// NormalizeCardNumber trims a typed card number.
func NormalizeCardNumber(s string) string { return strings.TrimSpace(s) }

// ValidateCardNumber says what is wrong with a card number, "" if nothing.
func ValidateCardNumber(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > MaxCardNumberLen {
		return "must be at most 20 digits"
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "must be the decimal number the reader sends (digits only)"
		}
	}
	if strings.Trim(s, "0") == "" {
		return "cannot be zero"
	}
	if s[0] == '0' {
		return "must not start with 0 (write the number as the reader sends it)"
	}
	return ""
}

// Normalize trims the typed fields.
func (c *Card) Normalize() {
	c.Number = NormalizeCardNumber(c.Number)
	c.Label = strings.TrimSpace(c.Label)
}

// Validate checks a new card's fields, naming each one that is wrong.
func (c *Card) Validate() error {
	var p Problems
	if msg := ValidateCardNumber(c.Number); msg != "" {
		p.Add("number", msg)
	}
	if msg := ValidateText(c.Label, 64); msg != "" {
		p.Add("label", msg)
	}
	p.Check(!c.ValidFrom.IsZero(), "valid_from", "is required")
	if c.ValidUntil != nil && !c.ValidUntil.After(c.ValidFrom) {
		p.Add("valid_until", "must be after valid_from")
	}
	return p.Err()
}

// CardReason is the server's judgement of a swipe of c at t by r (its
// resident, nil if unknown): Granted, or why the card does not open doors.
func CardReason(c *Card, r *Resident, t time.Time) Reason {
	switch {
	case c == nil || r == nil:
		return UnknownCard
	case c.DeletedAt != nil && !t.Before(*c.DeletedAt):
		return Revoked
	case r.MovedOutAt != nil && !t.Before(*r.MovedOutAt):
		return Revoked
	case t.Before(c.ValidFrom):
		return NotYetValid
	case c.ValidUntil != nil && !t.Before(*c.ValidUntil):
		return Expired
	}
	return Granted
}
