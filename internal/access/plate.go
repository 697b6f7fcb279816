package access

import (
	"context"
	"errors"
	"time"

	"gatehouse/internal/gatehouse"
)

// PlateTx is what a plate decision reads and writes inside the community's
// scan step, besides gatehouse.ScanTx.
type PlateTx interface {
	gatehouse.ScanTx
	// PlateMinConfidence is the community's confidence threshold.
	PlateMinConfidence() (int, error)
	// VehicleByPlate is the community's vehicle (not deleted) bearing the
	// plate, or ENOTFOUND.
	VehicleByPlate(plate string) (*gatehouse.Vehicle, error)
	// PassByPlate is the pass of the community whose visitor's plate this
	// is, the one that ends last among those not revoked, or ENOTFOUND.
	PassByPlate(plate string, now time.Time) (int64, error)
	// PlateWatched reports whether the plate is on the community's watchlist.
	PlateWatched(plate string) (bool, error)
	// Admission is a guard's unused admission of the plate valid at now, or ENOTFOUND.
	Admission(plate string, now time.Time) (*gatehouse.PlateAdmission, error)
	// UseAdmission marks an admission used by an entry.
	UseAdmission(id, entryID int64) error
}

// PlateRequest is one plate a vehicle gate's camera read.
type PlateRequest struct {
	CommunityID int64
	GateID      int64
	Direction   gatehouse.Direction // the lane's
	Read        gatehouse.PlateRead
}

// PlateOutcome is a plate decision with what the guard console shows.
type PlateOutcome struct {
	Outcome
	Vehicle   *gatehouse.Vehicle        // the resident's vehicle that bore the plate
	Admission *gatehouse.PlateAdmission // the guard's admission that let it in
}

// plateEventPrefix keeps a camera's read ids apart from scanners' event ids.
const plateEventPrefix = "plate:"

// Plate decides a plate read at a vehicle gate through the same Decide and
// entry log as scans (method plate). A read sent again under its event id
// (the camera retries when no answer came) answers the decision already
// logged and logs nothing.
func (e *Engine) Plate(ctx context.Context, req PlateRequest) (*PlateOutcome, error) {
	r := req.Read
	var p gatehouse.Problems
	p.Check(req.Direction.Valid(), "direction", `must be "in" or "out"`)
	p.Check(r.Plate != "", "plate", "is required")
	if r.EventID != "" {
		if msg := gatehouse.ValidateEventID(plateEventPrefix + r.EventID); msg != "" {
			p.Add("event_id", msg)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	now := e.now().UTC().Truncate(time.Microsecond)
	at := now
	if r.Offline && !r.OccurredAt.IsZero() && r.OccurredAt.Before(now) {
		at = r.OccurredAt.UTC().Truncate(time.Microsecond)
	}
	out := &PlateOutcome{}
	err := e.store.InScanTx(ctx, req.CommunityID, func(stx gatehouse.ScanTx) error {
		*out = PlateOutcome{Outcome: Outcome{Epoch: stx.Epoch()}}
		tx, ok := stx.(PlateTx)
		if !ok {
			return errors.New("this store cannot decide plates")
		}
		entry := &gatehouse.Entry{CommunityID: req.CommunityID, GateID: req.GateID, Direction: req.Direction,
			Method: gatehouse.MethodPlate, OccurredAt: at, Plate: r.Plate}
		if r.EventID != "" {
			entry.EventID = plateEventPrefix + r.EventID
			prev, err := tx.EventEntry(req.GateID, entry.EventID)
			if err == nil {
				if prev.Plate != r.Plate || prev.Direction != req.Direction {
					return gatehouse.FieldError("event_id", "this gate already used this event id for another plate")
				}
				out.Entry, out.Replayed = prev, true
				return nil
			} else if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				return err
			}
		}
		st, err := e.state(tx, req.CommunityID)
		if err != nil {
			return err
		}
		reason, subject, err := e.decidePlate(tx, st, req, at, entry, out)
		if err != nil {
			return err
		}
		entry.Reason, entry.Decision, entry.ServerDecision = reason, reason.Decision(), reason.Decision()
		if err := commit(tx, &out.Outcome, entry, subject, false); err != nil {
			return err
		}
		if out.Admission != nil && entry.Decision == gatehouse.Grant {
			return tx.UseAdmission(out.Admission.ID, entry.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !out.Replayed {
		e.published(&out.Outcome)
	}
	return out, nil
}

// decidePlate gathers the facts of a plate read, fills the entry's person
// fields and returns the reason and the vehicle's presence subject.
func (e *Engine) decidePlate(tx PlateTx, st *communityState, req PlateRequest, at time.Time,
	entry *gatehouse.Entry, out *PlateOutcome) (gatehouse.Reason, gatehouse.Subject, error) {
	plate := req.Read.Plate
	facts := gatehouse.ScanFacts{Now: at, Community: st.community, GateID: req.GateID, Direction: req.Direction,
		PlateRead: true, Confidence: req.Read.Confidence}
	var err error
	if facts.MinConfidence, err = tx.PlateMinConfidence(); err != nil {
		return "", "", err
	}
	if facts.PlateWatchlisted, err = tx.PlateWatched(plate); err != nil {
		return "", "", err
	}
	subject := gatehouse.VehicleSubject(plate)
	if facts.Inside, err = tx.Inside(subject); err != nil {
		return "", "", err
	}
	v, err := tx.VehicleByPlate(plate)
	switch {
	case err == nil:
		owner, err := tx.Resident(v.ResidentID)
		if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return "", "", err
		}
		facts.Vehicle, facts.Owner, out.Vehicle, out.Resident = v, owner, v, owner
		if owner != nil {
			entry.ResidentID, entry.PersonName = owner.ID, owner.Name
		}
		return gatehouse.Decide(facts), subject, nil
	case gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND:
		return "", "", err
	}
	passID, err := tx.PassByPlate(plate, at)
	switch {
	case err == nil:
		p, err := e.pass(tx, passID)
		if err != nil {
			return "", "", err
		}
		facts.PassCode, facts.Pass, out.Pass = true, p, p
		visitorEntry(entry, p)
		entry.Plate = plate
		facts.Watchlisted = entry.IDHash != "" && st.watchlist[entry.IDHash]
		return gatehouse.Decide(facts), subject, nil
	case gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND:
		return "", "", err
	}
	if req.Direction == gatehouse.In {
		a, err := tx.Admission(plate, at)
		switch {
		case err == nil:
			host, err := tx.Resident(a.HostResidentID)
			if err != nil {
				return "", "", err
			}
			facts.Admitted, out.Admission, out.Host = true, a, host
			entry.HostResidentID, entry.GuardID, entry.Note = a.HostResidentID, a.GuardID, a.Purpose
		case gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND:
			return "", "", err
		}
	}
	return gatehouse.Decide(facts), subject, nil
}
