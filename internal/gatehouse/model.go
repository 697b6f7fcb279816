package gatehouse

import (
	"net/url"

	"golang.org/x/text/unicode/norm"
	"strings"
	"sync"
	"time"
)

// Role is what a user may do; every role but admin is scoped to communities.
type Role string

// The roles: who uses Gatehouse, and for what.
const (
	RoleAdmin    Role = "admin"    // the district: communities, managers, police, audit
	RoleManager  Role = "manager"  // a property company's manager of some communities
	RoleGuard    Role = "guard"    // works a gate house
	RoleResident Role = "resident" // lives in a household of one community
	RolePolice   Role = "police"   // a police station with communities in its jurisdiction
)

// Roles lists every Role.
var Roles = []Role{RoleAdmin, RoleManager, RoleGuard, RoleResident, RolePolice}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// SeesFullIDs reports whether the role is shown unmasked ID numbers.
func (r Role) SeesFullIDs() bool { return r == RoleAdmin || r == RolePolice }

// Principal is who is calling: a logged-in user or a gate device.
type Principal struct {
	UserID      int64
	Username    string
	Role        Role
	Communities []int64 // communities in scope; empty for admin (all)
	ResidentID  int64   // for a resident: the resident record the user is
	Household   *Household
	MovedInAt   time.Time // for a resident: when it was registered in its household; it sees nothing older
	System      bool      // the command line on the server (an operator with the database and its keys), acting as admin
	GateID      int64     // for a gate device: the gate
	CommunityID int64     // for a gate device: its community
}

// IsGate reports whether the principal is a gate device rather than a user.
func (p *Principal) IsGate() bool { return p.GateID != 0 }

// InCommunity reports whether the principal's scope covers community id.
func (p *Principal) InCommunity(id int64) bool {
	if p.IsGate() {
		return p.CommunityID == id
	}
	if p.Role == RoleAdmin {
		return true
	}
	for _, c := range p.Communities {
		if c == id {
			return true
		}
	}
	return false
}

// ScopeCommunities narrows a requested community filter to the principal's
// scope. nil means "all communities" (admin only); an empty non-nil slice
// means "none".
func (p *Principal) ScopeCommunities(requested int64) []int64 {
	if requested != 0 {
		if p.InCommunity(requested) {
			return []int64{requested}
		}
		return []int64{}
	}
	if p.Role == RoleAdmin && !p.IsGate() {
		return nil
	}
	if p.IsGate() {
		return []int64{p.CommunityID}
	}
	out := make([]int64, len(p.Communities))
	copy(out, p.Communities)
	return out
}

// Household is one dwelling: where a resident lives, and the unit of privacy
// for residents.
type Household struct {
	CommunityID int64
	Building    string
	Unit        string
	Room        string
}

// Community is a residential compound run by a property company.
type Community struct {
	ID                   int64
	Name                 string
	Address              string
	AntiPassback         bool
	TimeZone             string
	MaxPassDays          int
	OnsiteThresholdHours int
	PlateMinConfidence   int    // a licence-plate read below it (of 100) opens no barrier by itself
	VisitRequestMinutes  int    // a visitor's own registration expires unanswered after this
	VisitPassHours       int    // an approved registration's pass lasts this long unless the approver says otherwise
	VisitPassEntries     int    // and gives this many entries
	WebhookURL           string // every decision is POSTed here when set
	WebhookSecret        string // signs webhook bodies (HMAC-SHA-256); never shown
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Default community settings.
const (
	DefaultMaxPassDays          = 7
	DefaultOnsiteThresholdHours = 72
)

// Location returns the community's time zone, or UTC if it cannot be loaded
// (it was validated when set, so that only happens on a broken tz database).
func (c *Community) Location() *time.Location {
	if loc, ok := locations.Load(c.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	locations.Store(c.TimeZone, loc)
	return loc
}

// locations keeps the time zones loaded: time.LoadLocation reads the tz
// database's file on every call, and a scan asks for its community's zone.
var locations sync.Map

// Validate checks a community before it is stored.
func (c *Community) Validate() error {
	var p Problems
	c.Name = strings.TrimSpace(c.Name)
	c.Address = strings.TrimSpace(c.Address)
	p.Check(c.Name != "", "name", "is required")
	if msg := ValidateText(c.Name, 100); msg != "" {
		p.Add("name", msg)
	}
	if msg := ValidateText(c.Address, 200); msg != "" {
		p.Add("address", msg)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" || c.TimeZone == "Local" {
		p.Add("time_zone", "must be an IANA time zone such as Asia/Shanghai")
	}
	p.Check(c.MaxPassDays >= 1 && c.MaxPassDays <= 366, "max_pass_days", "must be between 1 and 366")
	p.Check(c.OnsiteThresholdHours >= 1 && c.OnsiteThresholdHours <= 24*366, "onsite_threshold_hours", "must be between 1 and 8784")
	p.Check(c.PlateMinConfidence >= 0 && c.PlateMinConfidence <= 100, "plate_min_confidence", "must be from 0 to 100 (a camera's confidence)")
	p.Check(c.VisitRequestMinutes >= 0 && c.VisitRequestMinutes <= MaxVisitRequestMinutes, "visit_request_minutes", "must be between 1 and 1440")
	c.validateVisitPass(&p)
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			p.Add("webhook_url", "must be an http or https URL")
		case ValidateText(c.WebhookURL, 500) != "":
			p.Add("webhook_url", ValidateText(c.WebhookURL, 500))
		case len(c.WebhookSecret) < 16:
			p.Add("webhook_secret", "set a secret of at least 16 characters to sign the webhook's bodies")
		}
	}
	return p.Err()
}

// User is an account that logs in.
type User struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         Role
	Communities  []int64
	ResidentID   int64
	Disabled     bool
	CreatedAt    time.Time
}

// ValidateUsername checks the shape of a user name.
func ValidateUsername(s string) string {
	if len(s) < 3 || len(s) > 64 {
		return "must be 3 to 64 characters"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return "may contain only letters, digits and . _ - @"
		}
	}
	return ""
}

// Resident is a person who lives in a community.
type Resident struct {
	ID          int64
	CommunityID int64
	Name        string
	IDType      IDType
	IDNumber    IDNumber // shown whole only through a Disclosure
	IDHash      string   // keyed hash of the ID number, set when read from the store
	Phone       string
	Building    string
	Unit        string
	Room        string
	MovedOutAt  *time.Time
	MovedInAt   time.Time // when it came to its present dwelling: it sees its household's history from then on
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Household returns the resident's dwelling.
func (r *Resident) Household() Household {
	return Household{CommunityID: r.CommunityID, Building: r.Building, Unit: r.Unit, Room: r.Room}
}

// Normalize trims and canonicalizes the resident's fields before validation.
// The name is NFKC (full-width Ｌｉ is Li, e and a combining diaeresis ë),
// the one form names are compared in: a present resident is unique by
// dwelling and name, exactly, on every database.
func (r *Resident) Normalize() {
	r.Name = strings.TrimSpace(norm.NFKC.String(r.Name))
	r.IDNumber = NewIDNumber(NormalizeIDNumber(r.IDNumber.whole))
	r.Phone = strings.TrimSpace(r.Phone)
	r.Building = NormalizeDwelling(r.Building)
	r.Unit = NormalizeDwelling(r.Unit)
	r.Room = NormalizeDwelling(r.Room)
}

// NormalizeDwelling is the one spelling of a building, unit or room: NFKC
// (full-width ５０２ is 502), upper case, no surrounding space. Households are
// compared byte for byte, in Go and in SQL alike.
func NormalizeDwelling(s string) string {
	return strings.ToUpper(norm.NFKC.String(strings.TrimSpace(s)))
}

// Validate checks a normalized resident. The phone is normalized when valid.
func (r *Resident) Validate() error {
	var p Problems
	p.Check(r.CommunityID > 0, "community_id", "is required")
	if msg := ValidateName(r.Name); msg != "" {
		p.Add("name", msg)
	}
	if !r.IDType.Valid() {
		p.Add("id_type", "must be one of resident_id, passport, hk_macao_permit, taiwan_permit, other")
	} else if msg := ValidateIDNumber(r.IDType, r.IDNumber.whole); msg != "" {
		p.Add("id_number", msg)
	}
	if r.Phone == "" {
		p.Add("phone", "is required")
	} else if msg := ValidatePhone(r.Phone); msg != "" {
		p.Add("phone", msg)
	} else {
		r.Phone = NormalizePhone(r.Phone)
	}
	for _, f := range []struct{ name, v string }{{"building", r.Building}, {"unit", r.Unit}, {"room", r.Room}} {
		if f.v == "" {
			p.Add(f.name, "is required")
		} else if msg := ValidateText(f.v, 32); msg != "" {
			p.Add(f.name, msg)
		}
	}
	return p.Err()
}

// Gate is a door or barrier of a community with a controller that scans codes.
type Gate struct {
	ID          int64
	CommunityID int64
	Name        string
	KeyPrefix   string // the first characters of the device key, to tell keys apart
	Kind        GateKind
	Camera      *Camera // a vehicle gate's licence-plate camera; nil: none registered
	DisabledAt  *time.Time
	LastSeenAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ValidateGateName checks a gate's name as guards read it on screen.
func ValidateGateName(name string) string {
	if strings.TrimSpace(name) == "" {
		return "is required"
	}
	return ValidateText(strings.TrimSpace(name), 64)
}

// Page asks for one page of a list.
type Page struct {
	After int64 // the cursor: continue after this id
	Limit int
}

// Paging limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)
