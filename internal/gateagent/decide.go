package gateagent

import (
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
)

// Known is what a controller knows without the server: the keys, its
// community, and the revocations, used-up passes and move-outs of the last
// sync.
type Known interface {
	passcode.KeyLookup
	CommunityID() int64 // 0: not known yet
	Revoked(passID int64) bool
	Exhausted(passID int64) bool
	MovedOut(residentID int64) bool
}

var _ Known = (*Cache)(nil)

// OfflineScan is one code presented while the server does not answer.
type OfflineScan struct {
	Code      string
	Direction gatehouse.Direction
	GateID    int64
	Now       time.Time
	TimeZone  string // the community's, for pass schedules
	// Uses is how many entries of a pass this gate has seen used (online or
	// offline); a pass with as many as it allows is exhausted.
	Uses func(passID int64) int
}

// Verdict is an offline decision.
type Verdict struct {
	Decision gatehouse.Decision
	Reason   gatehouse.Reason
	Code     *passcode.Code // what the code says, when its signature verified
	// UnknownCommunity is set when the gate has not learned its community
	// yet (nor has it pinned): every verified code is refused.
	UnknownCommunity bool
}

// DecideOffline judges a code with what the controller knows, by the
// server's own rules (gatehouse.Decide): the signature with the cached keys,
// the community, revocation, gate scope, the validity window, the schedule,
// and uses (the sync's exhausted passes and this gate's own count). For a
// resident's code: move-outs and staleness. What only the server knows (the
// watchlist, anti-passback, other gates' uses) is judged when the event is
// uploaded.
func DecideOffline(s OfflineScan, k Known) Verdict {
	code, err := passcode.Parse(s.Code, k)
	if err != nil {
		return verdict(gatehouse.InvalidCode, nil)
	}
	cid := k.CommunityID()
	if cid == 0 {
		v := verdict(gatehouse.WrongCommunity, code)
		v.UnknownCommunity = true
		return v
	}
	if code.CommunityID != cid {
		return verdict(gatehouse.WrongCommunity, code)
	}
	now := s.Now
	facts := gatehouse.ScanFacts{Now: now, GateID: s.GateID, Direction: s.Direction,
		Community: &gatehouse.Community{ID: cid, TimeZone: s.TimeZone}}
	switch code.Kind {
	case passcode.KindPass:
		p := &gatehouse.Pass{ID: code.ID, CommunityID: code.CommunityID,
			ValidFrom: time.Unix(code.ValidFrom, 0), ValidUntil: time.Unix(code.ValidUntil, 0),
			MaxEntries: int(code.MaxEntries), GateIDs: code.GateIDs,
			Schedule: gatehouse.Schedule{Days: code.Schedule.Days, StartMinute: int(code.Schedule.StartMinute), EndMinute: int(code.Schedule.EndMinute)}}
		if s.Uses != nil {
			p.Uses = s.Uses(code.ID)
		}
		if k.Exhausted(code.ID) && p.Uses < p.MaxEntries {
			p.Uses = p.MaxEntries
		}
		if k.Revoked(code.ID) {
			p.RevokedAt = &now
		}
		facts.PassCode, facts.Pass = true, p
	case passcode.KindResident:
		r := &gatehouse.Resident{ID: code.ID, CommunityID: code.CommunityID}
		if k.MovedOut(code.ID) {
			r.MovedOutAt = &now
		}
		facts.Resident = r
		facts.CodeIssuedAt = time.Unix(code.Step*passcode.ResidentStep, 0)
	default:
		return verdict(gatehouse.InvalidCode, nil)
	}
	return verdict(gatehouse.Decide(facts), code)
}

func verdict(r gatehouse.Reason, c *passcode.Code) Verdict {
	return Verdict{Decision: r.Decision(), Reason: r, Code: c}
}
