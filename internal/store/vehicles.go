package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

// vehicleRow is a resident's vehicle; Active is 1 until it is deleted, NULL
// after, so that a plate is unique among the vehicles not deleted of a
// community.
type vehicleRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	ResidentID  int64
	Plate       string
	PlateColor  string
	Label       string
	ValidUntil  *int64
	Active      *bool
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
	DeletedAt   *int64
	DeletedBy   *int64
}

func (vehicleRow) TableName() string { return "vehicles" }

func (r *vehicleRow) domain() *gatehouse.Vehicle {
	return &gatehouse.Vehicle{ID: r.ID, CommunityID: r.CommunityID, ResidentID: r.ResidentID, Plate: r.Plate,
		PlateColor: gatehouse.PlateColor(r.PlateColor), Label: r.Label, ValidUntil: fromMicrosPtr(r.ValidUntil),
		CreatedBy: r.CreatedBy, CreatedAt: fromMicros(r.CreatedAt), DeletedAt: fromMicrosPtr(r.DeletedAt)}
}

var errDuplicateVehicle = &gatehouse.Error{Code: gatehouse.ECONFLICT,
	Message: "plate: this plate is already registered to a resident of this community; delete it there first",
	Fields:  map[string]string{"plate": "this plate is already registered to a resident of this community; delete it there first"}}

// CreateVehicle stores a validated vehicle of a present resident. A vehicle
// still registered to a resident who moved out is deleted first: the plate
// may come back with a new owner.
func (db *DB) CreateVehicle(ctx context.Context, v *gatehouse.Vehicle) error {
	now := db.now()
	active := true
	row := vehicleRow{CommunityID: v.CommunityID, ResidentID: v.ResidentID, Plate: v.Plate, PlateColor: string(v.PlateColor),
		Label: v.Label, Active: &active, CreatedBy: v.CreatedBy, CreatedAt: now}
	if v.ValidUntil != nil {
		u := micros(*v.ValidUntil)
		row.ValidUntil = &u
	}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		err := tx.Model(&vehicleRow{}).Where("community_id = ? AND plate = ? AND active = 1", v.CommunityID, v.Plate).
			Where("resident_id IN (?)", tx.Model(&residentRow{}).Select("id").Where("community_id = ? AND active IS NULL", v.CommunityID)).
			Updates(map[string]any{"active": nil, "deleted_at": now, "deleted_by": v.CreatedBy}).Error
		if err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if isDuplicate(err) {
		return errDuplicateVehicle
	} else if isForeignKey(err) {
		return gatehouse.NotFound("resident")
	} else if err != nil {
		return internal("create vehicle", err)
	}
	*v = *row.domain()
	return nil
}

// Vehicle reads one vehicle (deleted or not), or ENOTFOUND.
func (db *DB) Vehicle(ctx context.Context, id int64) (*gatehouse.Vehicle, error) {
	var r vehicleRow
	err := db.r.WithContext(ctx).Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("vehicle")
	} else if err != nil {
		return nil, internal("read vehicle", err)
	}
	return r.domain(), nil
}

// ResidentVehicles lists a resident's vehicles not deleted, oldest first.
func (db *DB) ResidentVehicles(ctx context.Context, residentID int64) ([]*gatehouse.Vehicle, error) {
	var rows []vehicleRow
	if err := db.r.WithContext(ctx).Where("resident_id = ? AND active = 1", residentID).Order("id").Find(&rows).Error; err != nil {
		return nil, internal("read vehicles", err)
	}
	out := make([]*gatehouse.Vehicle, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// CommunityPlates lists the plates that may open a community's barriers at
// now: its residents' vehicles and its passes that have not ended. The
// console compares an unknown read with them (close matches).
func (db *DB) CommunityPlates(ctx context.Context, communityID int64, now time.Time) ([]string, error) {
	var plates []string
	err := db.r.WithContext(ctx).Model(&vehicleRow{}).Where("community_id = ? AND active = 1", communityID).
		Where("resident_id IN (?)", db.r.Model(&residentRow{}).Select("id").Where("community_id = ? AND active = 1", communityID)).
		Distinct().Pluck("plate", &plates).Error
	if err != nil {
		return nil, internal("read plates", err)
	}
	var passPlates []string
	err = db.r.WithContext(ctx).Table("passes").Where("community_id = ? AND visitor_plate <> '' AND revoked_at IS NULL AND valid_until > ?",
		communityID, micros(now)).Distinct().Pluck("visitor_plate", &passPlates).Error
	if err != nil {
		return nil, internal("read plates", err)
	}
	return append(plates, passPlates...), nil
}

// DeleteVehicle deletes a vehicle (kept for the log): its plate no longer
// opens the barrier.
func (db *DB) DeleteVehicle(ctx context.Context, id, by int64) error {
	now := db.now()
	res := db.w.WithContext(ctx).Model(&vehicleRow{}).Where("id = ? AND active = 1", id).
		Updates(map[string]any{"active": nil, "deleted_at": now, "deleted_by": by})
	if res.Error != nil {
		return internal("delete vehicle", res.Error)
	} else if res.RowsAffected == 0 {
		return gatehouse.NotFound("vehicle")
	}
	return nil
}

// watchedPlateRow is a plate on a community's watchlist.
type watchedPlateRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	Plate       string
	Reason      string
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
}

func (watchedPlateRow) TableName() string { return "watched_plates" }

func (r *watchedPlateRow) domain() *gatehouse.WatchedPlate {
	return &gatehouse.WatchedPlate{ID: r.ID, CommunityID: r.CommunityID, Plate: r.Plate, Reason: r.Reason,
		CreatedBy: r.CreatedBy, CreatedAt: fromMicros(r.CreatedAt)}
}

// WatchPlate puts a plate on a community's watchlist; a plate listed
// already keeps its entry, with the new reason.
func (db *DB) WatchPlate(ctx context.Context, w *gatehouse.WatchedPlate) error {
	now := db.now()
	row := watchedPlateRow{CommunityID: w.CommunityID, Plate: w.Plate, Reason: w.Reason, CreatedBy: w.CreatedBy, CreatedAt: now}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		var prev watchedPlateRow
		err := tx.Where("community_id = ? AND plate = ?", w.CommunityID, w.Plate).Take(&prev).Error
		switch {
		case err == nil:
			row = prev
			row.Reason = w.Reason
			return tx.Model(&watchedPlateRow{}).Where("id = ?", prev.ID).Update("reason", w.Reason).Error
		case errors.Is(err, gorm.ErrRecordNotFound):
			return tx.Create(&row).Error
		}
		return err
	})
	if err != nil {
		return internal("watch plate", err)
	}
	*w = *row.domain()
	return nil
}

// WatchedPlates lists the watched plates of communities (nil: all).
func (db *DB) WatchedPlates(ctx context.Context, communityIDs []int64) ([]*gatehouse.WatchedPlate, error) {
	if communityIDs != nil && len(communityIDs) == 0 {
		return nil, nil
	}
	q := db.r.WithContext(ctx).Order("id")
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	var rows []watchedPlateRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, internal("read watched plates", err)
	}
	out := make([]*gatehouse.WatchedPlate, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// WatchedPlate reads one watched plate, or ENOTFOUND.
func (db *DB) WatchedPlate(ctx context.Context, id int64) (*gatehouse.WatchedPlate, error) {
	var r watchedPlateRow
	err := db.r.WithContext(ctx).Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("watched plate")
	} else if err != nil {
		return nil, internal("read watched plate", err)
	}
	return r.domain(), nil
}

// UnwatchPlate takes a plate off the watchlist.
func (db *DB) UnwatchPlate(ctx context.Context, id int64) error {
	res := db.w.WithContext(ctx).Delete(&watchedPlateRow{}, id)
	if res.Error != nil {
		return internal("unwatch plate", res.Error)
	} else if res.RowsAffected == 0 {
		return gatehouse.NotFound("watched plate")
	}
	return nil
}

// plateAdmissionRow is a guard's admission of a plate.
type plateAdmissionRow struct {
	ID             int64 `gorm:"primaryKey"`
	CommunityID    int64
	GateID         int64
	Plate          string
	HostResidentID int64
	Purpose        string
	GuardID        int64
	CreatedAt      int64 `gorm:"autoCreateTime:false"`
	ValidUntil     int64
	EntryID        *int64
}

func (plateAdmissionRow) TableName() string { return "plate_admissions" }

// AdmitPlate stores a guard's admission of a plate.
func (db *DB) AdmitPlate(ctx context.Context, a *gatehouse.PlateAdmission) error {
	row := plateAdmissionRow{CommunityID: a.CommunityID, GateID: a.GateID, Plate: a.Plate, HostResidentID: a.HostResidentID,
		Purpose: a.Purpose, GuardID: a.GuardID, CreatedAt: micros(a.CreatedAt), ValidUntil: micros(a.ValidUntil)}
	if err := db.w.WithContext(ctx).Create(&row).Error; isForeignKey(err) {
		return gatehouse.FieldError("host_resident_id", "no such resident in this community")
	} else if err != nil {
		return internal("admit plate", err)
	}
	a.ID = row.ID
	return nil
}

// PendingAdmissions lists the unused admissions made at a gate since a time.
func (db *DB) PendingAdmissions(ctx context.Context, gateID int64, since time.Time) ([]int64, error) {
	var ids []int64
	err := db.r.WithContext(ctx).Model(&plateAdmissionRow{}).Where("gate_id = ? AND created_at >= ? AND entry_id IS NULL", gateID, micros(since)).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, internal("read admissions", err)
	}
	return ids, nil
}

// GateByCameraToken returns the enabled vehicle gate whose camera push
// token hashes to h, or EUNAUTHORIZED.
func (db *DB) GateByCameraToken(ctx context.Context, h string) (*gatehouse.Gate, error) {
	var row gateRow
	err := db.r.WithContext(ctx).Where("camera_token_hash = ? AND disabled_at IS NULL AND kind = ?", h, string(gatehouse.GateVehicle)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "unknown or disabled camera token")
	} else if err != nil {
		return nil, internal("read gate by camera token", err)
	}
	return row.domain(), nil
}

// The plate reads of the scan step (access.PlateTx).

func (t *scanTx) PlateMinConfidence() (int, error) {
	var n int
	err := t.q.row("SELECT plate_min_confidence FROM communities WHERE id = ?", t.communityID).Scan(&n)
	return n, err
}

func (t *scanTx) VehicleByPlate(plate string) (*gatehouse.Vehicle, error) {
	r := vehicleRow{}
	err := t.q.row(`SELECT id, community_id, resident_id, plate, plate_color, label, valid_until, created_at
		FROM vehicles WHERE community_id = ? AND plate = ? AND active = 1`, t.communityID, plate).
		Scan(&r.ID, &r.CommunityID, &r.ResidentID, &r.Plate, &r.PlateColor, &r.Label, &r.ValidUntil, &r.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("vehicle")
	} else if err != nil {
		return nil, err
	}
	return r.domain(), nil
}

// PassByPlate prefers a pass that may be used now (begun, not ended, uses
// left), then the one that ends last.
func (t *scanTx) PassByPlate(plate string, now time.Time) (int64, error) {
	var id int64
	at := micros(now)
	err := t.q.row(`SELECT id FROM passes WHERE community_id = ? AND visitor_plate = ? AND revoked_at IS NULL
		ORDER BY CASE WHEN valid_from <= ? AND valid_until > ? AND uses < max_entries THEN 0 ELSE 1 END, valid_until DESC, id DESC LIMIT 1`,
		t.communityID, plate, at, at).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, gatehouse.NotFound("pass")
	}
	return id, err
}

func (t *scanTx) PlateWatched(plate string) (bool, error) {
	var n int
	err := t.q.row("SELECT COUNT(*) FROM watched_plates WHERE community_id = ? AND plate = ?", t.communityID, plate).Scan(&n)
	return n > 0, err
}

func (t *scanTx) Admission(plate string, now time.Time) (*gatehouse.PlateAdmission, error) {
	var r plateAdmissionRow
	err := t.q.row(`SELECT id, community_id, gate_id, plate, host_resident_id, purpose, guard_id, created_at, valid_until
		FROM plate_admissions WHERE community_id = ? AND plate = ? AND valid_until > ? AND entry_id IS NULL ORDER BY id DESC LIMIT 1`,
		t.communityID, plate, micros(now)).
		Scan(&r.ID, &r.CommunityID, &r.GateID, &r.Plate, &r.HostResidentID, &r.Purpose, &r.GuardID, &r.CreatedAt, &r.ValidUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("admission")
	} else if err != nil {
		return nil, err
	}
	return &gatehouse.PlateAdmission{ID: r.ID, CommunityID: r.CommunityID, GateID: r.GateID, Plate: r.Plate,
		HostResidentID: r.HostResidentID, Purpose: r.Purpose, GuardID: r.GuardID, CreatedAt: fromMicros(r.CreatedAt),
		ValidUntil: fromMicros(r.ValidUntil)}, nil
}

func (t *scanTx) UseAdmission(id, entryID int64) error {
	return t.q.write("UPDATE plate_admissions SET entry_id = ? WHERE id = ? AND entry_id IS NULL", []any{entryID, id}, nil)
}
