package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/internal/gatehouse"
)

type residentRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	Name        string
	IDType      string
	IDEnc       []byte
	IDHash      string
	IDMasked    string
	Phone       string
	Building    string
	Unit        string
	Room        string
	Active      *bool
	MovedOutAt  *int64
	MovedInAt   *int64 // NULL: since created_at
	CreatedAt   int64  `gorm:"autoCreateTime:false"`
	UpdatedAt   int64  `gorm:"autoUpdateTime:false"`
}

func (residentRow) TableName() string { return "residents" }

func (db *DB) residentDomain(r *residentRow) (*gatehouse.Resident, error) {
	plain, err := db.keys.OpenID(r.IDEnc)
	if err != nil {
		return nil, fmt.Errorf("store: resident %d: cannot decrypt the ID number (is the key directory the one this database was made with?): %w", r.ID, err)
	}
	res := &gatehouse.Resident{
		ID: r.ID, CommunityID: r.CommunityID, Name: r.Name, IDType: gatehouse.IDType(r.IDType),
		IDNumber: gatehouse.StoredIDNumber(plain, r.IDMasked), IDHash: r.IDHash, Phone: r.Phone,
		Building: r.Building, Unit: r.Unit, Room: r.Room, MovedOutAt: fromMicrosPtr(r.MovedOutAt),
		MovedInAt: fromMicros(r.CreatedAt), CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
	if r.MovedInAt != nil {
		res.MovedInAt = fromMicros(*r.MovedInAt)
	}
	return res, nil
}

func (db *DB) residentRow(r *gatehouse.Resident, now int64) residentRow {
	active := true
	sealed, hash, masked := r.IDNumber.Protect(db.keys)
	return residentRow{
		CommunityID: r.CommunityID, Name: r.Name, IDType: string(r.IDType),
		IDEnc: sealed, IDHash: hash, IDMasked: masked,
		Phone: r.Phone, Building: r.Building, Unit: r.Unit, Room: r.Room, Active: &active,
		MovedInAt: &now, CreatedAt: now, UpdatedAt: now,
	}
}

// errDuplicateResident is a present resident of the same name in the same
// dwelling. (Never "of the same ID number": that would confirm a guess.)
var errDuplicateResident = &gatehouse.Error{Code: gatehouse.ECONFLICT,
	Message: "a present resident of this name already lives in this dwelling",
	Fields:  map[string]string{"name": "already registered in this dwelling"}}

// CreateResident stores a validated resident, its ID number sealed and hashed.
func (db *DB) CreateResident(ctx context.Context, r *gatehouse.Resident) error {
	row := db.residentRow(r, db.now())
	err := db.w.WithContext(ctx).Create(&row).Error
	if isDuplicate(err) {
		return errDuplicateResident
	} else if isForeignKey(err) {
		return gatehouse.FieldError("community_id", "no such community")
	} else if err != nil {
		return internal("create resident", err)
	}
	r.ID = row.ID
	r.CreatedAt, r.UpdatedAt = fromMicros(row.CreatedAt), fromMicros(row.UpdatedAt)
	return nil
}

// ImportResidents stores all residents in one transaction or none of them.
// Every clash with a present resident (same name, same dwelling) is reported
// in Fields by its 1-based position in rs.
func (db *DB) ImportResidents(ctx context.Context, rs []*gatehouse.Resident) error {
	now := db.now()
	rows := make([]residentRow, len(rs))
	for i, r := range rs {
		rows[i] = db.residentRow(r, now)
	}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		clash := &gatehouse.Error{Code: gatehouse.ECONFLICT, Fields: map[string]string{}}
		for i, r := range rows {
			var n int64
			err := tx.Model(&residentRow{}).Where("community_id = ? AND building = ? AND unit = ? AND room = ? AND name = ? AND active = 1",
				r.CommunityID, r.Building, r.Unit, r.Room, r.Name).Count(&n).Error
			if err != nil {
				return err
			}
			if n > 0 {
				clash.Fields[fmt.Sprint(i+1)] = errDuplicateResident.Fields["name"]
			}
		}
		if len(clash.Fields) > 0 {
			clash.Message = fmt.Sprintf("%d record(s): %s", len(clash.Fields), errDuplicateResident.Message)
			return clash
		}
		for i := range rows {
			if err := tx.Create(&rows[i]).Error; err != nil {
				if isDuplicate(err) {
					return &gatehouse.Error{Code: gatehouse.ECONFLICT, Message: errDuplicateResident.Message,
						Fields: map[string]string{fmt.Sprint(i + 1): errDuplicateResident.Fields["name"]}}
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return internal("import residents", err)
	}
	for i, r := range rs {
		r.ID, r.CreatedAt, r.UpdatedAt = rows[i].ID, fromMicros(now), fromMicros(now)
	}
	return nil
}

// Resident returns one resident (present or moved out), or ENOTFOUND.
func (db *DB) Resident(ctx context.Context, id int64) (*gatehouse.Resident, error) {
	var row residentRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("resident")
	} else if err != nil {
		return nil, internal("read resident", err)
	}
	return db.residentDomain(&row)
}

// Residents lists residents in id order.
func (db *DB) Residents(ctx context.Context, f gatehouse.ResidentFilter, page gatehouse.Page) ([]*gatehouse.Resident, int64, error) {
	if f.CommunityIDs != nil && len(f.CommunityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&residentRow{}).Where("id > ?", page.After)
	if f.CommunityIDs != nil {
		q = q.Where("community_id IN ?", f.CommunityIDs)
	}
	if h := f.Household; h != nil {
		q = q.Where("community_id = ? AND building = ? AND unit = ? AND room = ?", h.CommunityID, h.Building, h.Unit, h.Room)
	}
	if f.Building != "" {
		q = q.Where("building = ?", f.Building)
	}
	if !f.IncludeMovedOut {
		q = q.Where("active = 1")
	}
	if s := strings.TrimSpace(f.Query); s != "" && f.Dwelling != nil {
		d := f.Dwelling
		like := "%" + escapeLike(s) + "%"
		q = q.Where("(LOWER(name) LIKE LOWER(?) ESCAPE '!' OR phone LIKE ? ESCAPE '!' OR room = ? OR (building IN ? AND unit IN ? AND room IN ?))",
			like, like, s, d.Buildings, d.Units, d.Rooms)
	} else if s != "" {
		like := "%" + escapeLike(s) + "%"
		if f.IDNumber.Known() {
			q = q.Where("(LOWER(name) LIKE LOWER(?) ESCAPE '!' OR phone LIKE ? ESCAPE '!' OR room = ? OR id_hash = ?)", like, like, s, f.IDNumber.Hash(db.keys))
		} else {
			q = q.Where("(LOWER(name) LIKE LOWER(?) ESCAPE '!' OR phone LIKE ? ESCAPE '!' OR room = ?)", like, like, s)
		}
	} else if f.IDNumber.Known() {
		q = q.Where("id_hash = ?", f.IDNumber.Hash(db.keys))
	}
	limit := pageLimit(page)
	var rows []residentRow
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list residents", err)
	}
	out := make([]*gatehouse.Resident, 0, len(rows))
	for i := range rows {
		r, err := db.residentDomain(&rows[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	out, next := cut(out, limit, func(r *gatehouse.Resident) int64 { return r.ID })
	return out, next, nil
}

// UpdateResident stores the changed fields of a validated present resident.
func (db *DB) UpdateResident(ctx context.Context, r *gatehouse.Resident) error {
	now := db.now()
	sealed, hash, masked := r.IDNumber.Protect(db.keys)
	set := map[string]any{
		"name": r.Name, "id_type": string(r.IDType), "id_enc": sealed,
		"id_hash": hash, "id_masked": masked,
		"phone": r.Phone, "building": r.Building, "unit": r.Unit, "room": r.Room, "updated_at": now,
	}
	if !r.MovedInAt.IsZero() {
		set["moved_in_at"] = micros(r.MovedInAt)
	}
	res := db.w.WithContext(ctx).Model(&residentRow{}).Where("id = ? AND active = 1", r.ID).Updates(set)
	if isDuplicate(res.Error) {
		return errDuplicateResident
	} else if res.Error != nil {
		return internal("update resident", res.Error)
	} else if res.RowsAffected == 0 {
		return gatehouse.NotFound("resident")
	}
	r.UpdatedAt = fromMicros(now)
	return nil
}

// MoveOutResident marks a resident as moved out: gone from lists, codes dead,
// history kept. In the same transaction every pass the resident issued that
// could still open a door is revoked (by user by, and listed for offline
// gates), and the resident's user accounts are disabled.
func (db *DB) MoveOutResident(ctx context.Context, id, by int64) error {
	now := db.now()
	err := db.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&residentRow{}).Where("id = ? AND active = 1", id).
			Updates(map[string]any{"active": nil, "moved_out_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gatehouse.NotFound("resident")
		}
		var r residentRow
		if err := tx.Take(&r, id).Error; err != nil {
			return err
		}
		// Offline controllers learn that the resident's codes are dead.
		if err := tx.Create(&codeChangeRow{CommunityID: r.CommunityID, SubjectID: id, Kind: gatehouse.ChangeMovedOut, At: now}).Error; err != nil {
			return err
		}
		if err := revokeHostedPasses(tx, r.CommunityID, id, by, now); err != nil {
			return err
		}
		var users []int64
		if err := tx.Model(&userRow{}).Where("resident_id = ?", id).Pluck("id", &users).Error; err != nil {
			return err
		}
		if len(users) == 0 {
			return nil
		}
		if err := tx.Model(&userRow{}).Where("id IN ?", users).Updates(map[string]any{"disabled": true, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.Where("user_id IN ?", users).Delete(&sessionRow{}).Error
	})
	return internal("move out resident", err)
}

// revokeHostedPasses revokes the passes a moved-out resident issued that
// could still open a door (not revoked, not over, not used up), each with its
// change for offline gates.
func revokeHostedPasses(tx *gorm.DB, communityID, hostID, by, now int64) error {
	var ids []int64
	err := tx.Model(&passRow{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("host_resident_id = ? AND revoked_at IS NULL AND valid_until > ? AND uses < max_entries", hostID, now).Order("id").Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return err
	}
	set := map[string]any{"revoked_at": now, "updated_at": now}
	if by != 0 {
		set["revoked_by"] = by
	}
	if err := tx.Model(&passRow{}).Where("id IN ?", ids).Updates(set).Error; err != nil {
		return err
	}
	changes := make([]codeChangeRow, len(ids))
	for i, pid := range ids {
		changes[i] = codeChangeRow{CommunityID: communityID, SubjectID: pid, Kind: gatehouse.PassRevoked, At: now}
	}
	return tx.Create(&changes).Error
}

// escapeLike escapes LIKE wildcards with '!' (the same on both dialects).
func escapeLike(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "Error 1452")
}

// ResidentsByID returns the residents with the given ids, by id.
func (db *DB) ResidentsByID(ctx context.Context, ids []int64) (map[int64]*gatehouse.Resident, error) {
	out := map[int64]*gatehouse.Resident{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []residentRow
	if err := db.r.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, internal("read residents", err)
	}
	for i := range rows {
		r, err := db.residentDomain(&rows[i])
		if err != nil {
			return nil, err
		}
		out[r.ID] = r
	}
	return out, nil
}
