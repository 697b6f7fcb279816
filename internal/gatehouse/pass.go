package gatehouse

import (
	"fmt"
	"strings"
	"time"
)

// Visitor is a person who visits, stored once per identity document (by the
// keyed hash of its number) however many passes they get.
type Visitor struct {
	ID        int64
	Name      string
	IDType    IDType
	IDNumber  IDNumber // shown whole only through a Disclosure
	IDHash    string
	Phone     string
	Plate     string
	ErasedAt  *time.Time // personal fields erased after the retention period
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Normalize canonicalizes a visitor's fields before validation.
func (v *Visitor) Normalize() {
	v.Name = strings.TrimSpace(v.Name)
	v.IDNumber = NewIDNumber(NormalizeIDNumber(v.IDNumber.whole))
	v.Phone = strings.TrimSpace(v.Phone)
	v.Plate = NormalizePlate(v.Plate)
}

// Validate checks a normalized visitor; the phone is normalized when valid.
func (v *Visitor) Validate() error {
	var p Problems
	if msg := ValidateName(v.Name); msg != "" {
		p.Add("name", msg)
	}
	if !v.IDType.Valid() {
		p.Add("id_type", "must be one of resident_id, passport, hk_macao_permit, taiwan_permit, other")
	} else if msg := ValidateIDNumber(v.IDType, v.IDNumber.whole); msg != "" {
		p.Add("id_number", msg)
	}
	if v.Phone != "" {
		if msg := ValidatePhone(v.Phone); msg != "" {
			p.Add("phone", msg)
		} else {
			v.Phone = NormalizePhone(v.Phone)
		}
	}
	if v.Plate != "" {
		if msg := ValidatePlate(v.Plate); msg != "" {
			p.Add("plate", msg)
		}
	}
	return p.Err()
}

// PassKind says how a pass came to be.
type PassKind string

// Kinds of pass.
const (
	PassGuest  PassKind = "guest"  // pre-registered by a resident
	PassWalkIn PassKind = "walkin" // issued at the gate by a guard or manager
)

// Schedule limits a pass to days of the week and a time of day in the
// community's time zone. Days is a bit set: bit 0 is Monday ... bit 6 Sunday;
// zero means no schedule. An end before the start crosses midnight.
type Schedule struct {
	Days        uint8
	StartMinute int
	EndMinute   int
}

// IsZero reports whether there is no schedule.
func (s Schedule) IsZero() bool { return s.Days == 0 }

// Allows reports whether local time t is inside the schedule. A window that
// crosses midnight belongs to the day it starts on.
func (s Schedule) Allows(t time.Time) bool {
	if s.IsZero() {
		return true
	}
	minute := t.Hour()*60 + t.Minute()
	day := weekdayBit(t.Weekday())
	if s.StartMinute <= s.EndMinute {
		return s.Days&day != 0 && minute >= s.StartMinute && minute < s.EndMinute
	}
	// Crosses midnight: the evening part on a scheduled day, or the morning
	// part of the day after one.
	if minute >= s.StartMinute {
		return s.Days&day != 0
	}
	if minute < s.EndMinute {
		yesterday := (t.Weekday() + 6) % 7
		return s.Days&weekdayBit(yesterday) != 0
	}
	return false
}

// weekdayBit maps a weekday to its bit: Monday bit 0 ... Sunday bit 6.
func weekdayBit(d time.Weekday) uint8 {
	return 1 << ((int(d) + 6) % 7)
}

// Pass lets one visitor into one community.
type Pass struct {
	ID             int64
	CommunityID    int64
	HostResidentID int64
	VisitorID      int64
	Kind           PassKind
	Purpose        string
	ValidFrom      time.Time
	ValidUntil     time.Time
	MaxEntries     int
	Uses           int
	GateIDs        []int64
	Schedule       Schedule
	KeyID          uint32 // the key its code is signed with
	RevokedAt      *time.Time
	RevokedBy      int64
	CreatedBy      int64
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Visitor *Visitor  // filled when read with its visitor
	Host    *Resident // filled when read with its host
}

// Pass statuses, as shown in lists.
const (
	PassActive    = "active"
	PassPending   = "pending" // not valid yet
	PassExpired   = "expired"
	PassExhausted = "exhausted"
	PassRevoked   = "revoked"
)

// Status is the pass's state at time now.
func (p *Pass) Status(now time.Time) string {
	switch {
	case p.RevokedAt != nil:
		return PassRevoked
	case p.Uses >= p.MaxEntries:
		return PassExhausted
	case !now.Before(p.ValidUntil):
		return PassExpired
	case now.Before(p.ValidFrom):
		return PassPending
	}
	return PassActive
}

// Remaining is how many entries the pass still allows.
func (p *Pass) Remaining() int { return max(0, p.MaxEntries-p.Uses) }

// MaxEntriesLimit bounds max_entries of one pass.
const MaxEntriesLimit = 1000

// ValidatePass checks a new pass's window, entries and purpose against the
// community's rules at time now.
func ValidatePass(p *Pass, c *Community, now time.Time) error {
	var probs Problems
	if !p.ValidUntil.After(p.ValidFrom) {
		probs.Add("valid_until", "must be after valid_from")
	} else if !p.ValidUntil.After(now) {
		probs.Add("valid_until", "lies in the past")
	} else if p.ValidUntil.Sub(p.ValidFrom) > time.Duration(c.MaxPassDays)*24*time.Hour {
		probs.Add("valid_until", fmt.Sprintf("a pass of this community lasts at most %d days", c.MaxPassDays))
	}
	if p.ValidFrom.Before(now.Add(-24 * time.Hour)) {
		probs.Add("valid_from", "lies more than a day in the past")
	}
	if p.MaxEntries < 1 || p.MaxEntries > MaxEntriesLimit {
		probs.Add("max_entries", fmt.Sprintf("must be from 1 to %d", MaxEntriesLimit))
	}
	if msg := ValidateText(p.Purpose, 200); msg != "" {
		probs.Add("purpose", msg)
	}
	if p.Schedule.Days&0x80 != 0 || p.Schedule.StartMinute < 0 || p.Schedule.StartMinute >= 24*60 ||
		p.Schedule.EndMinute < 0 || p.Schedule.EndMinute > 24*60 || (!p.Schedule.IsZero() && p.Schedule.StartMinute == p.Schedule.EndMinute) {
		probs.Add("schedule", "needs days and a start before or after its end, each HH:MM")
	}
	return probs.Err()
}

// WatchlistEntry is a person a community's guards must not let in.
type WatchlistEntry struct {
	ID          int64
	CommunityID int64
	IDHash      string
	IDMasked    string
	Name        string
	Reason      string
	CreatedBy   int64
	CreatedAt   time.Time
}
