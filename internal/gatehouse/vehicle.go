package gatehouse

import (
	"fmt"
	"strings"
	"time"
)

// Vehicle is a resident's car: its plate opens the community's vehicle
// gates while the resident lives there.
type Vehicle struct {
	ID          int64
	CommunityID int64
	ResidentID  int64
	Plate       string // normalised (NormalizePlate)
	PlateColor  PlateColor
	Label       string
	ValidUntil  *time.Time // nil: until deleted or the resident moves out
	CreatedBy   int64
	CreatedAt   time.Time
	DeletedAt   *time.Time
}

// PlateColor is the colour of a mainland plate, as cameras report it.
type PlateColor string

// Plate colours: blue (small cars), yellow (large vehicles), white (police,
// armed police), black (foreign, Hong Kong and Macao), green (new energy),
// yellow_green (large new-energy vehicles).
const (
	PlateUnknown     PlateColor = ""
	PlateBlue        PlateColor = "blue"
	PlateYellow      PlateColor = "yellow"
	PlateWhite       PlateColor = "white"
	PlateBlack       PlateColor = "black"
	PlateGreen       PlateColor = "green"
	PlateYellowGreen PlateColor = "yellow_green"
)

// Valid reports whether c is a known colour or none.
func (c PlateColor) Valid() bool {
	switch c {
	case PlateUnknown, PlateBlue, PlateYellow, PlateWhite, PlateBlack, PlateGreen, PlateYellowGreen:
		return true
	}
	return false
}

// Normalize canonicalises the typed fields.
func (v *Vehicle) Normalize() {
	v.Plate = NormalizePlate(v.Plate)
	v.PlateColor = PlateColor(strings.TrimSpace(string(v.PlateColor)))
	v.Label = strings.TrimSpace(v.Label)
}

// Validate checks a new vehicle's fields, naming each one at fault.
func (v *Vehicle) Validate(now time.Time) error {
	var p Problems
	if v.Plate == "" {
		p.Add("plate", "is required")
	} else if msg := ValidatePlate(v.Plate); msg != "" {
		p.Add("plate", msg)
	}
	p.Check(v.PlateColor.Valid(), "plate_color", "must be one of blue, yellow, white, black, green, yellow_green")
	if msg := ValidateText(v.Label, 64); msg != "" {
		p.Add("label", msg)
	}
	if v.ValidUntil != nil && !v.ValidUntil.After(now) {
		p.Add("valid_until", "must be a time in the future")
	}
	return p.Err()
}

// VehicleReason is the judgement of a resident's vehicle at t, its owner r:
// Granted, or why it no longer opens the barrier.
func VehicleReason(v *Vehicle, r *Resident, t time.Time) Reason {
	switch {
	case v.DeletedAt != nil || r == nil || r.MovedOutAt != nil:
		return Revoked
	case v.ValidUntil != nil && !t.Before(*v.ValidUntil):
		return Expired
	}
	return Granted
}

// GateKind says what passes a gate: people or vehicles.
type GateKind string

// Gate kinds.
const (
	GatePedestrian GateKind = "pedestrian"
	GateVehicle    GateKind = "vehicle"
)

// Camera is the licence-plate camera registered to a vehicle gate: the
// vendor whose push it speaks, its serial number (which every push must
// carry), and which way its lane goes.
type Camera struct {
	Vendor   string
	Serial   string
	Lane     Direction // in: an entry lane; out: an exit lane
	TokenSet bool      // a push URL token has been issued
}

// MaxCameraSerialLen bounds a camera serial number.
const MaxCameraSerialLen = 64

// ValidateCameraSerial says what is wrong with a camera's serial number.
func ValidateCameraSerial(s string) string {
	if s == "" {
		return "is required: the serial number the camera sends (serialno)"
	}
	if len(s) > MaxCameraSerialLen {
		return fmt.Sprintf("must be at most %d characters", MaxCameraSerialLen)
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == ':' || r == '.') {
			return "must be letters, digits and - _ : . only"
		}
	}
	return ""
}

// PlateRead is one recognition a camera pushed, in the vendor's terms
// translated: what any vendor's adapter hands to the decision.
type PlateRead struct {
	Serial     string // the camera's serial number, as pushed
	Plate      string // normalised; "" when the camera saw no plate
	Color      PlateColor
	Confidence int       // 0-100
	EventID    string    // the camera's id of this read: a retry carries the same one
	OccurredAt time.Time // zero: now
	Offline    bool      // a record the camera kept while it could not reach us
}

// MethodPlate is an entry decided on a plate a vehicle gate's camera read.
const MethodPlate Method = "plate"

// Reasons of plate decisions.
const (
	UnknownPlate  Reason = "unknown_plate"  // no resident's vehicle, pass or admission bears the plate: the guard decides
	LowConfidence Reason = "low_confidence" // the camera was not sure enough of its read: the guard decides
)

// DefaultPlateMinConfidence is the recognition confidence (of 100) below
// which no plate opens a barrier by itself.
const DefaultPlateMinConfidence = 80

// VehicleSubject is the presence subject of a vehicle: entry and exit
// lanes pair into a stay by plate, whoever drives.
func VehicleSubject(plate string) Subject { return Subject("c" + plate) }

// PlateOfSubject returns the plate of a vehicle subject.
func PlateOfSubject(s Subject) (string, bool) {
	if strings.HasPrefix(string(s), "c") {
		return string(s)[1:], true
	}
	return "", false
}

// confusable groups characters a camera mistakes for one another.
var confusable = map[rune]rune{
	'0': '0', 'O': '0', 'D': '0', 'Q': '0', 'U': '0',
	'8': '8', 'B': '8',
	'1': '1', 'I': '1', 'L': '1', 'T': '1',
	'2': '2', 'Z': '2',
	'5': '5', 'S': '5',
	'6': '6', 'G': '6',
	'7': '7', 'Y': '7',
	'4': '4', 'A': '4',
}

func confusableClass(r rune) rune {
	if c, ok := confusable[r]; ok {
		return c
	}
	return r
}

// CloseMatch reports whether plate b could be a misread of a (or a of b):
// of the same length, differing in at most two places, each a pair of
// characters cameras confuse (0/D/O, 8/B, 1/I, 2/Z, 5/S …). Such a read
// never opens a barrier by itself; the guard sees the match.
func CloseMatch(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) || a == b {
		return false
	}
	diff := 0
	for i := range ra {
		if ra[i] == rb[i] {
			continue
		}
		if confusableClass(ra[i]) != confusableClass(rb[i]) {
			return false
		}
		diff++
	}
	return diff > 0 && diff <= 2
}

// PlateAdmission is a guard's one-tap admission of a plate the camera did
// not know (登记放行): the car's host and purpose. The plate's next read at
// an entry lane of the community opens the barrier, once, within
// PlateAdmissionTTL.
type PlateAdmission struct {
	ID             int64
	CommunityID    int64
	GateID         int64
	Plate          string
	HostResidentID int64
	Purpose        string
	GuardID        int64
	CreatedAt      time.Time
	ValidUntil     time.Time
	EntryID        int64 // the entry that used it; 0: not used yet
}

// PlateAdmissionTTL is how long an admission waits for its car's next read.
const PlateAdmissionTTL = 30 * time.Minute

// WatchedPlate is a plate on a community's watchlist: on the way in it is
// refused and the guards are alerted, whoever drives.
type WatchedPlate struct {
	ID          int64
	CommunityID int64
	Plate       string
	Reason      string
	CreatedBy   int64
	CreatedAt   time.Time
}
