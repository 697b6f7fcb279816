package gatehouse

import (
	"slices"
	"time"
)

// ResidentCodeMaxAge is how old a resident's rotating code may be.
const ResidentCodeMaxAge = 60 * time.Second

// ScanFacts is everything one decision depends on, read inside the atomic
// step that also consumes the use and writes the entry.
type ScanFacts struct {
	Now       time.Time
	Community *Community // the gate's community
	GateID    int64
	Direction Direction

	// A visitor pass (nil Pass with PassCode set: the pass does not exist).
	PassCode    bool
	Pass        *Pass
	Watchlisted bool

	// A resident's own code.
	Resident     *Resident // nil: no such resident
	CodeIssuedAt time.Time // start of the code's 30-second step

	// Anti-passback: whether the person is recorded inside the community.
	Inside bool

	// A plate read by a vehicle gate's camera (Pass above: a pass whose
	// visitor's plate it is).
	PlateRead        bool
	Confidence       int      // of the read, 0-100
	MinConfidence    int      // the community's: below it nothing opens by itself
	PlateWatchlisted bool     // the plate is on the community's watchlist
	Vehicle          *Vehicle // a resident's vehicle bearing the plate
	Owner            *Resident
	Admitted         bool // a guard admitted this plate at the console
}

// Decide applies the rules in a fixed order and returns the reason; the
// decision is Reason.Decision(). Leaving ("out") is refused only for who the
// holder is, never for time or use: a guest whose pass ran out must get out.
func Decide(f ScanFacts) Reason {
	if f.PlateRead {
		return decidePlate(f)
	}
	if f.PassCode {
		return decidePass(f)
	}
	return decideResident(f)
}

// decidePass judges a visitor's pass: who holds it first (existence,
// community, revocation, its host, gate scope, the watchlist), then when
// (window, schedule), then anti-passback and uses.
func decidePass(f ScanFacts) Reason {
	in := f.Direction == In
	p := f.Pass
	switch {
	case p == nil:
		return UnknownPass
	case p.CommunityID != f.Community.ID:
		return WrongCommunity
	case in && p.RevokedAt != nil:
		return Revoked
	case in && p.Host != nil && p.Host.MovedOutAt != nil:
		return Revoked // the host moved out: their guests are no longer expected
	case len(p.GateIDs) > 0 && !slices.Contains(p.GateIDs, f.GateID):
		return GateNotAllowed
	case in && f.Watchlisted:
		return Watchlisted
	}
	if in {
		if r := passTime(f, p); r != "" {
			return r
		}
	}
	switch {
	case f.Community.AntiPassback && in == f.Inside:
		return AntiPassback
	case in && p.Uses >= p.MaxEntries:
		return Exhausted
	}
	return Granted
}

// passTime judges when a pass is used: its window, then its schedule in the
// community's time zone; "" when it may be used now.
func passTime(f ScanFacts, p *Pass) Reason {
	switch {
	case f.Now.Before(p.ValidFrom):
		return NotYetValid
	case !f.Now.Before(p.ValidUntil):
		return Expired
	case !p.Schedule.Allows(f.Now.In(f.Community.Location())):
		return OutsideSchedule
	}
	return ""
}

// decideResident judges a resident's own rotating code.
func decideResident(f ScanFacts) Reason {
	in := f.Direction == In
	r := f.Resident
	switch {
	case r == nil:
		return UnknownPass
	case r.CommunityID != f.Community.ID:
		return WrongCommunity
	case r.MovedOutAt != nil:
		return Revoked
	case f.Now.Sub(f.CodeIssuedAt) > ResidentCodeMaxAge:
		return StaleCode
	case f.CodeIssuedAt.After(f.Now.Add(ResidentCodeMaxAge)):
		return InvalidCode // from the future: a controller's clock is wrong, or a forgery
	case f.Community.AntiPassback && in == f.Inside:
		return AntiPassback
	}
	return Granted
}

// decidePlate judges a plate at a vehicle gate: a read the camera is not
// sure of opens nothing, a watchlisted plate is refused on the way in, then
// a resident's vehicle, a pass bearing the plate (judged as the pass is),
// and a guard's admission. Anything else is an unknown plate: the guard
// decides.
func decidePlate(f ScanFacts) Reason {
	in := f.Direction == In
	switch {
	case f.Confidence < f.MinConfidence:
		return LowConfidence
	case !in && f.Inside:
		return Granted // a car let in may always leave
	case in && f.PlateWatchlisted:
		return Watchlisted
	case f.Vehicle != nil:
		if !in {
			return Granted
		}
		if r := VehicleReason(f.Vehicle, f.Owner, f.Now); r != Granted {
			return r
		}
		if f.Community.AntiPassback && f.Inside {
			return AntiPassback
		}
		return Granted
	case f.Pass != nil:
		return decidePass(f)
	case f.Admitted:
		return Granted
	}
	return UnknownPlate
}
