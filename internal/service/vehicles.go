package service

import (
	"context"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// VehicleStore is what the vehicle use cases need of storage.
type VehicleStore interface {
	CommunityReader
	Resident(ctx context.Context, id int64) (*gatehouse.Resident, error)
	Gate(ctx context.Context, id int64) (*gatehouse.Gate, error)
	CreateVehicle(ctx context.Context, v *gatehouse.Vehicle) error
	Vehicle(ctx context.Context, id int64) (*gatehouse.Vehicle, error)
	ResidentVehicles(ctx context.Context, residentID int64) ([]*gatehouse.Vehicle, error)
	DeleteVehicle(ctx context.Context, id, by int64) error
	CommunityPlates(ctx context.Context, communityID int64, now time.Time) ([]string, error)
	WatchPlate(ctx context.Context, w *gatehouse.WatchedPlate) error
	WatchedPlates(ctx context.Context, communityIDs []int64) ([]*gatehouse.WatchedPlate, error)
	WatchedPlate(ctx context.Context, id int64) (*gatehouse.WatchedPlate, error)
	UnwatchPlate(ctx context.Context, id int64) error
	AdmitPlate(ctx context.Context, a *gatehouse.PlateAdmission) error
}

// Vehicles registers residents' vehicles, watchlisted plates and guards'
// admissions of plates the cameras did not know.
type Vehicles struct {
	Store VehicleStore
	Now   func() time.Time
}

// VehicleInput is a vehicle as typed; valid_until (RFC 3339) is optional.
type VehicleInput struct {
	Plate      string
	PlateColor string
	Label      string
	ValidUntil string
}

// mayManageVehicles is the rule for changing vehicles and watched plates:
// managers of the community and admin.
func mayManageVehicles(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only managers and admin register and delete vehicles")
	}
	return nil
}

// Create registers a vehicle of a present resident: its plate then opens
// the community's vehicle gates.
func (s *Vehicles) Create(ctx context.Context, pr *gatehouse.Principal, residentID int64, in VehicleInput) (*gatehouse.Vehicle, error) {
	if err := mayManageVehicles(pr); err != nil {
		return nil, err
	}
	r, err := scopedResident(ctx, s.Store, pr, residentID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	v := &gatehouse.Vehicle{CommunityID: r.CommunityID, ResidentID: r.ID, Plate: in.Plate, PlateColor: gatehouse.PlateColor(in.PlateColor),
		Label: in.Label, CreatedBy: pr.UserID}
	var probs gatehouse.Problems
	if in.ValidUntil != "" {
		until := ParseTime(&probs, "valid_until", in.ValidUntil).Truncate(time.Second)
		v.ValidUntil = &until
	}
	v.Normalize()
	probs.Merge("", v.Validate(now))
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if r.MovedOutAt != nil {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this resident has moved out; a vehicle cannot be registered to them")
	}
	if err := s.Store.CreateVehicle(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// List is a resident's vehicles: for managers and admin of its community,
// and for the resident itself.
func (s *Vehicles) List(ctx context.Context, pr *gatehouse.Principal, residentID int64) ([]*gatehouse.Vehicle, error) {
	r, err := scopedResident(ctx, s.Store, pr, residentID)
	if err != nil {
		return nil, err
	}
	switch pr.Role {
	case gatehouse.RoleAdmin, gatehouse.RoleManager:
	case gatehouse.RoleResident:
		if pr.ResidentID != r.ID {
			return nil, gatehouse.NotFound("resident")
		}
	default:
		return nil, forbidden("only managers, admin and the resident itself see a resident's vehicles")
	}
	if r.MovedOutAt != nil {
		return []*gatehouse.Vehicle{}, nil // a move-out ends them
	}
	return s.Store.ResidentVehicles(ctx, r.ID)
}

// Delete deletes a vehicle: its plate no longer opens the barrier.
func (s *Vehicles) Delete(ctx context.Context, pr *gatehouse.Principal, id int64) error {
	if err := mayManageVehicles(pr); err != nil {
		return err
	}
	v, err := s.Store.Vehicle(ctx, id)
	if err != nil {
		return err
	}
	if !pr.InCommunity(v.CommunityID) || v.DeletedAt != nil {
		return gatehouse.NotFound("vehicle")
	}
	return s.Store.DeleteVehicle(ctx, id, pr.UserID)
}

// Watch puts a plate on a community's watchlist (managers, admin): on the
// way in it is refused and the guards see why.
func (s *Vehicles) Watch(ctx context.Context, pr *gatehouse.Principal, communityID int64, plate, reason string) (*gatehouse.WatchedPlate, error) {
	if err := mayManageVehicles(pr); err != nil {
		return nil, err
	}
	w := &gatehouse.WatchedPlate{CommunityID: communityID, Plate: gatehouse.NormalizePlate(plate), Reason: strings.TrimSpace(reason), CreatedBy: pr.UserID}
	var probs gatehouse.Problems
	probs.Check(communityID > 0, "community_id", "is required")
	if w.Plate == "" {
		probs.Add("plate", "is required")
	} else if msg := gatehouse.ValidatePlate(w.Plate); msg != "" {
		probs.Add("plate", msg)
	}
	probs.Check(w.Reason != "", "reason", "is required: guards see it")
	if msg := gatehouse.ValidateText(w.Reason, 200); msg != "" {
		probs.Add("reason", msg)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, communityID); err != nil {
		return nil, err
	}
	if err := s.Store.WatchPlate(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// Watched lists the watched plates of the communities in scope (staff).
func (s *Vehicles) Watched(ctx context.Context, pr *gatehouse.Principal, communityID int64) ([]*gatehouse.WatchedPlate, error) {
	if err := mayReadGates(pr); err != nil {
		return nil, err
	}
	return s.Store.WatchedPlates(ctx, pr.ScopeCommunities(communityID))
}

// Unwatch takes a plate off the watchlist.
func (s *Vehicles) Unwatch(ctx context.Context, pr *gatehouse.Principal, id int64) error {
	if err := mayManageVehicles(pr); err != nil {
		return err
	}
	w, err := s.Store.WatchedPlate(ctx, id)
	if err != nil {
		return err
	}
	if !pr.InCommunity(w.CommunityID) {
		return gatehouse.NotFound("watched plate")
	}
	return s.Store.UnwatchPlate(ctx, id)
}

// AdmitInput is a guard's one-tap 登记放行 of a plate the camera did not
// know: the host by dwelling (picked on the console) and the purpose.
type AdmitInput struct {
	GateID         int64
	Plate          string
	HostResidentID int64
	Purpose        string
}

// Admit lets a car the camera did not know in: its plate's next read at an
// entry lane of the gate's community opens the barrier once (logged with
// method plate, the host, the guard and the purpose), within
// gatehouse.PlateAdmissionTTL. A watchlisted plate is refused.
func (s *Vehicles) Admit(ctx context.Context, pr *gatehouse.Principal, in AdmitInput) (*gatehouse.PlateAdmission, error) {
	if err := mayActAtGate(pr); err != nil {
		return nil, err
	}
	plate := gatehouse.NormalizePlate(in.Plate)
	purpose := strings.TrimSpace(in.Purpose)
	var probs gatehouse.Problems
	probs.Check(in.GateID > 0, "gate_id", "is required: which gate is this console at?")
	if plate == "" {
		probs.Add("plate", "is required")
	} else if msg := gatehouse.ValidatePlate(plate); msg != "" {
		probs.Add("plate", msg)
	}
	probs.Check(in.HostResidentID > 0, "host_resident_id", "is required: whom does the car visit?")
	probs.Check(purpose != "", "purpose", "is required")
	if msg := gatehouse.ValidateText(purpose, 200); msg != "" {
		probs.Add("purpose", msg)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	g, err := s.Store.Gate(ctx, in.GateID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && !pr.InCommunity(g.CommunityID)) {
		return nil, gatehouse.NotFound("gate")
	} else if err != nil {
		return nil, err
	}
	host, err := s.Store.Resident(ctx, in.HostResidentID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && (host.CommunityID != g.CommunityID || host.MovedOutAt != nil)) {
		return nil, gatehouse.FieldError("host_resident_id", "no such resident in this community")
	} else if err != nil {
		return nil, err
	}
	watched, err := s.Store.WatchedPlates(ctx, []int64{g.CommunityID})
	if err != nil {
		return nil, err
	}
	for _, w := range watched {
		if w.Plate == plate {
			return nil, &gatehouse.Error{Code: gatehouse.ECONFLICT, Message: "plate: this plate is on the watchlist",
				Fields: map[string]string{"plate": "this plate is on the watchlist"}}
		}
	}
	now := s.Now().UTC()
	a := &gatehouse.PlateAdmission{CommunityID: g.CommunityID, GateID: g.ID, Plate: plate, HostResidentID: host.ID, Purpose: purpose,
		GuardID: pr.UserID, CreatedAt: now, ValidUntil: now.Add(gatehouse.PlateAdmissionTTL)}
	if err := s.Store.AdmitPlate(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Matches are the plates of a community (residents' vehicles, passes not
// ended) that a read could be a misread of: the guard compares them with
// the car, since such a read never opens by itself.
func (s *Vehicles) Matches(ctx context.Context, pr *gatehouse.Principal, communityID int64, plate string) ([]string, error) {
	if err := mayActAtGate(pr); err != nil {
		return nil, err
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, communityID); err != nil {
		return nil, err
	}
	plate = gatehouse.NormalizePlate(plate)
	if msg := gatehouse.ValidatePlate(plate); msg != "" {
		return nil, gatehouse.FieldError("plate", msg)
	}
	all, err := s.Store.CommunityPlates(ctx, communityID, s.Now())
	if err != nil {
		return nil, err
	}
	out := []string{}
	seen := map[string]bool{}
	for _, p := range all {
		if !seen[p] && gatehouse.CloseMatch(plate, p) {
			out = append(out, p)
		}
		seen[p] = true
	}
	return out, nil
}
