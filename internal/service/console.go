package service

import (
	"context"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
)

// ConsoleStore is what the guard console needs of storage.
type ConsoleStore interface {
	CommunityReader
	Gate(ctx context.Context, id int64) (*gatehouse.Gate, error)
	Onsite(ctx context.Context, communityIDs []int64) ([]*gatehouse.OnsitePerson, error)
}

// ConsoleEngine lets people in by a guard's decision and logs it.
type ConsoleEngine interface {
	Override(ctx context.Context, req access.OverrideRequest) (*access.Outcome, error)
	WalkIn(ctx context.Context, p *gatehouse.Pass, gateID, guardID int64) (*access.Outcome, error)
}

// Console is the guard console: walk-ins, overrides and who is on site.
// Guards and managers of the gate's community act there; admin reads who
// is on site.
type Console struct {
	Store  ConsoleStore
	Engine ConsoleEngine
	Passes *Passes
	Now    func() time.Time
}

func mayActAtGate(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleGuard && pr.Role != gatehouse.RoleManager) {
		return forbidden("only guards and managers act at a gate's console")
	}
	return nil
}

// gate is the gate a console names; a gate outside the caller's communities
// is not found, a disabled one refuses.
func (s *Console) gate(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Gate, error) {
	if id == 0 {
		return nil, gatehouse.FieldError("gate_id", "is required: which gate is this console at?")
	}
	g, err := s.Store.Gate(ctx, id)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && !pr.InCommunity(g.CommunityID)) {
		return nil, gatehouse.NotFound("gate")
	} else if err != nil {
		return nil, err
	}
	if g.DisabledAt != nil {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this gate is disabled")
	}
	return g, nil
}

// WalkInInput is a walk-in as the guard types it.
type WalkInInput struct {
	GateID         int64
	HostResidentID int64
	Visitor        VisitorInput
	Purpose        string
	ValidUntil     string // default 8 hours from now
	MaxEntries     *int   // default 1
}

// WalkIn registers a walk-in visitor and lets them in, in one action: a
// pass for the gate's community and its first entry, granted with method
// walkin. A watchlisted visitor is refused (logged) and the pass revoked.
func (s *Console) WalkIn(ctx context.Context, pr *gatehouse.Principal, in WalkInInput) (*access.Outcome, error) {
	if err := mayActAtGate(pr); err != nil {
		return nil, err
	}
	g, err := s.gate(ctx, pr, in.GateID)
	if err != nil {
		return nil, err
	}
	if in.ValidUntil == "" {
		in.ValidUntil = s.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)
	}
	p, err := s.Passes.Create(ctx, pr, PassInput{CommunityID: g.CommunityID, HostResidentID: in.HostResidentID, Visitor: in.Visitor,
		ValidUntil: in.ValidUntil, MaxEntries: in.MaxEntries, Purpose: in.Purpose}, gatehouse.PassWalkIn)
	if err != nil {
		return nil, err
	}
	out, err := s.Engine.WalkIn(ctx, p, g.ID, pr.UserID)
	if err != nil || out.Entry.Decision == gatehouse.Grant {
		return out, err
	}
	// Refused (the watchlist): the pass just issued must not open a door
	// elsewhere. The refusal is logged already.
	if err := s.Passes.Store.RevokePass(ctx, p.ID, pr.UserID); err != nil {
		return nil, err
	}
	return out, s.refresh(ctx, out)
}

// refresh rereads a walk-in's pass after it was revoked.
func (s *Console) refresh(ctx context.Context, out *access.Outcome) error {
	p, err := s.Passes.Store.Pass(ctx, out.Pass.ID)
	if err != nil {
		return err
	}
	out.Pass = p
	return nil
}

// OverrideInput is a guard's manual decision as typed.
type OverrideInput struct {
	GateID         int64
	Direction      gatehouse.Direction
	Reason         string
	PassID         int64
	ResidentID     int64
	Visitor        *VisitorInput
	HostResidentID int64
}

// Override logs a guard's manual grant with the guard's reason, method
// manual and the guard's id.
func (s *Console) Override(ctx context.Context, pr *gatehouse.Principal, in OverrideInput) (*access.Outcome, error) {
	if err := mayActAtGate(pr); err != nil {
		return nil, err
	}
	g, err := s.gate(ctx, pr, in.GateID)
	if err != nil {
		return nil, err
	}
	or := access.OverrideRequest{CommunityID: g.CommunityID, GateID: g.ID, GuardID: pr.UserID, Direction: in.Direction,
		Note: in.Reason, PassID: in.PassID, ResidentID: in.ResidentID, HostID: in.HostResidentID}
	if v := in.Visitor; v != nil {
		or.Visitor = &gatehouse.Visitor{Name: v.Name, IDType: v.IDType, IDNumber: gatehouse.NewIDNumber(v.IDNumber), Phone: v.Phone, Plate: v.Plate}
		or.Visitor.Normalize()
		if or.Visitor.Validate() == nil {
			if err := s.Passes.Guesses.Check(ctx, pr, g.CommunityID, or.Visitor.IDNumber, "visitor.id_number"); err != nil {
				return nil, err
			}
		}
	}
	return s.Engine.Override(ctx, or)
}

// OnsiteRow is a visitor inside a community, and for how long.
type OnsiteRow struct {
	*gatehouse.OnsitePerson
	Hours         float64 // to a tenth of an hour
	OverThreshold bool    // on site for the community's threshold or longer
}

// Onsite lists every visitor who entered and has not left, longest first:
// the guard's roll-call for an evacuation; then the vehicles read in at a
// vehicle gate and not out (a car's plate is its subject). Guards, managers
// and admin.
func (s *Console) Onsite(ctx context.Context, pr *gatehouse.Principal, communityID int64) ([]OnsiteRow, error) {
	if pr.IsGate() || (pr.Role != gatehouse.RoleGuard && pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return nil, forbidden("only guards, managers and admin see who is on site")
	}
	people, err := s.Store.Onsite(ctx, pr.ScopeCommunities(communityID))
	if err != nil {
		return nil, err
	}
	thresholds := map[int64]float64{}
	now := s.Now()
	out, cars := []OnsiteRow{}, []OnsiteRow{}
	for _, o := range people {
		_, car := gatehouse.PlateOfSubject(o.Subject)
		if o.Visitor == nil && !car {
			continue
		}
		th, ok := thresholds[o.CommunityID]
		if !ok {
			com, err := s.Store.Community(ctx, o.CommunityID)
			if err != nil {
				return nil, err
			}
			th = float64(com.OnsiteThresholdHours)
			thresholds[o.CommunityID] = th
		}
		hours := now.Sub(o.Since).Hours()
		row := OnsiteRow{OnsitePerson: o, Hours: float64(int(hours*10)) / 10, OverThreshold: hours >= th}
		if car {
			cars = append(cars, row)
		} else {
			out = append(out, row)
		}
	}
	return append(out, cars...), nil
}

// Scanner decides a scan and logs it.
type Scanner interface {
	Scan(ctx context.Context, req access.ScanRequest) (*access.Outcome, error)
}

// ScanInput is one scan: a code, a direction, optionally the event id that
// makes it idempotent; a console names its gate, a device's key names it.
type ScanInput struct {
	Code      string
	Direction gatehouse.Direction
	EventID   string
	GateID    int64
	// A device's cached key: re-checked in the scan's transaction when the
	// community's epoch has moved since it was read.
	GateEpoch   int64
	GateKeyHash string
}

// Scan decides one code at one gate: a gate device scans at its own gate; a
// guard or manager names the gate of the console, of its community. The
// answer is a decision even for a bad code; only a malformed request or a
// failing database is an error.
func (s *Console) Scan(ctx context.Context, sc Scanner, pr *gatehouse.Principal, in ScanInput) (*access.Outcome, access.ScanRequest, error) {
	sr := access.ScanRequest{Code: in.Code, Direction: in.Direction, EventID: in.EventID}
	if pr.IsGate() {
		if in.GateID != 0 && in.GateID != pr.GateID {
			return nil, sr, gatehouse.FieldError("gate_id", "a gate device scans at its own gate; leave gate_id out")
		}
		sr.GateID, sr.CommunityID = pr.GateID, pr.CommunityID
		sr.CheckGate, sr.GateEpoch, sr.GateKeyHash = true, in.GateEpoch, in.GateKeyHash
	} else {
		if err := mayActAtGate(pr); err != nil {
			return nil, sr, err
		}
		g, err := s.gate(ctx, pr, in.GateID)
		if err != nil {
			return nil, sr, err
		}
		sr.GateID, sr.CommunityID, sr.GuardID = g.ID, g.CommunityID, pr.UserID
	}
	out, err := sc.Scan(ctx, sr)
	return out, sr, err
}
