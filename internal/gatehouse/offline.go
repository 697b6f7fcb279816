package gatehouse

import (
	"regexp"
	"time"
)

// OfflineEvent is a decision a door controller made without the server.
type OfflineEvent struct {
	EventID    string
	Code       string
	Direction  Direction
	OccurredAt time.Time
	Decision   Decision // what the controller did
	// Method is "" for a code the agent decided, MethodCard for a card swipe
	// the controller decided itself (then Card is its number, Code empty).
	Method Method
	Card   string
}

var eventIDRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// MaxOfflineAge is how old an uploaded event may be.
const MaxOfflineAge = 90 * 24 * time.Hour

// ValidateEventID says what is wrong with an event id, "" if nothing.
func ValidateEventID(id string) string {
	if !eventIDRe.MatchString(id) {
		return "1 to 64 letters, digits or . _ : -"
	}
	return ""
}

// ValidateOfflineEvent says what is wrong with one event, "" if nothing.
func ValidateOfflineEvent(e *OfflineEvent, now time.Time) string {
	if msg := ValidateEventID(e.EventID); msg != "" {
		return "event_id: " + msg
	}
	if msg := validateCredential(e); msg != "" {
		return msg
	}
	switch {
	case !e.Direction.Valid():
		return `direction: must be "in" or "out"`
	case e.Decision != Grant && e.Decision != Deny:
		return `decision: must be "grant" or "deny"`
	case e.OccurredAt.IsZero():
		return "occurred_at: must be an RFC 3339 time"
	case e.OccurredAt.After(now.Add(5 * time.Minute)):
		return "occurred_at: lies in the future (is the controller's clock right?)"
	case e.OccurredAt.Before(now.Add(-MaxOfflineAge)):
		return "occurred_at: older than 90 days"
	}
	return ""
}

// validateCredential checks what was presented: a code, or a card swipe.
func validateCredential(e *OfflineEvent) string {
	switch e.Method {
	case "":
		switch {
		case e.Card != "":
			return `card: only with method "card"`
		case e.Code == "":
			return "code: is required"
		case len(e.Code) > 1024:
			return "code: too long"
		}
	case MethodCard:
		if e.Code != "" {
			return `code: a card swipe has no code (send the card's number as "card")`
		}
		if msg := ValidateCardNumber(e.Card); msg != "" {
			return "card: " + msg
		}
	default:
		return `method: must be "card" or left out`
	}
	return ""
}

// CodeChange is one change an offline controller must learn.
type CodeChange struct {
	ID        int64  // the sync cursor after this change
	SubjectID int64  // a pass; for moved_out a resident; for card a card
	Kind      string // revoked, exhausted, moved_out or card
}

// Change kinds besides the pass statuses revoked and exhausted.
const ChangeMovedOut = "moved_out"

// OnsitePerson is someone recorded inside a community.
type OnsitePerson struct {
	Presence
	Visitor  *Visitor  // a visitor, or
	Resident *Resident // a resident (own code)
	Host     *Resident // whom a visitor visits
	Pass     *Pass
}
