package gatehouse

import "time"

// UserFilter narrows a list of users.
type UserFilter struct {
	CommunityIDs []int64 // nil: all; users with any of these communities
	Roles        []Role
}

// UserPatch changes some fields of a user; nil fields stay.
type UserPatch struct {
	PasswordHash *string
	Disabled     *bool
}

// ResidentFilter narrows a list of residents.
type ResidentFilter struct {
	CommunityIDs    []int64    // nil: all; empty: none
	Household       *Household // only this dwelling
	Building        string
	Query           string         // name or phone contains it, or room equals it
	IDNumber        IDNumber       // or the ID number is exactly it (an ID search: SearchByID)
	Dwelling        *DwellingMatch // or the dwelling is this one, in any of its spellings
	IncludeMovedOut bool
}

// DwellingMatch is a dwelling typed as "3-2-502" or "3栋2单元502": the
// spellings its building, unit and room may be stored under ("3", "3栋" ...).
type DwellingMatch struct {
	Buildings, Units, Rooms []string
}

// GatePatch changes some fields of a gate; nil fields stay.
type GatePatch struct {
	Name      *string
	Disabled  *bool
	KeyHash   *string // a new device key: the old one stops working at once
	KeyPrefix *string

	Kind        *GateKind
	Camera      *Camera // vendor, serial and lane; nil: unchanged
	CameraToken *string // the hash of a new camera push token: the old one stops at once
}

// PassFilter narrows a list of passes.
type PassFilter struct {
	CommunityIDs    []int64   // nil: all; empty: none
	HostResidentIDs []int64   // nil: any host; empty: none
	Status          string    // one of the Pass* statuses, or "" for all
	CreatedSince    time.Time // zero: any time (a household member sees nothing from before they moved in)
	SinceHostMoved  bool      // only passes created since their host moved into its present dwelling
}

// EntryFilter narrows the entry log.
type EntryFilter struct {
	CommunityIDs []int64 // nil: all; empty: none
	From, To     time.Time
	IDNumber     IDNumber // exact, any document type
	Name         string   // contains
	Plate        string
	GateID       int64
	PassID       int64
	Decision     Decision
	Household    *Household // a resident: entries of its household's guests and members, each since that member moved in
	MaxID        int64      // only entries up to this id (a police query's log as it stood)
}

// BuildingCount is how many present residents live in one building.
type BuildingCount struct {
	CommunityID int64
	Building    string
	Residents   int64
}

// EntryFact is what a report counts of one entry.
type EntryFact struct {
	ID             int64
	CommunityID    int64
	GateID         int64
	PassID         int64
	VisitorID      int64
	ResidentID     int64
	HostResidentID int64
	Direction      Direction
	Decision       Decision
	Reason         Reason
	OccurredAt     time.Time
	PersonName     string
	Method         Method
	Plate          string // of a vehicle gate's read
}
