package store

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/internal/gatehouse"
)

// visitorRow is a person's identity, one row per ID number for the whole
// district. What inviters wrote of the person (name, phone, plate) is kept
// on each pass instead.
type visitorRow struct {
	ID        int64 `gorm:"primaryKey"`
	IDType    string
	IDEnc     []byte
	IDHash    string
	IDMasked  string
	ErasedAt  *int64
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	UpdatedAt int64 `gorm:"autoUpdateTime:false"`
}

func (visitorRow) TableName() string { return "visitors" }

type passRow struct {
	ID             int64 `gorm:"primaryKey"`
	CommunityID    int64
	HostResidentID int64
	VisitorID      int64
	VisitorName    string
	VisitorPhone   string
	VisitorPlate   string
	Kind           string
	Purpose        string
	ValidFrom      int64
	ValidUntil     int64
	MaxEntries     int
	Uses           int
	GateIDs        string `gorm:"column:gate_ids"`
	ScheduleDays   uint8
	ScheduleStart  int
	ScheduleEnd    int
	KeyID          uint32
	RevokedAt      *int64
	RevokedBy      *int64
	CreatedBy      int64
	CreatedAt      int64 `gorm:"autoCreateTime:false"`
	UpdatedAt      int64 `gorm:"autoUpdateTime:false"`
}

func (passRow) TableName() string { return "passes" }

// codeChangeRow is one change an offline controller must learn: a pass
// revoked or used up, or a resident moved out (SubjectID is the pass or the
// resident). Its id is the sync cursor.
type codeChangeRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	SubjectID   int64
	Kind        string
	At          int64
}

func (codeChangeRow) TableName() string { return "code_changes" }

// visitorDomain is a visitor's identity; passVisitor adds what a pass says.
func (db *DB) visitorDomain(r *visitorRow) *gatehouse.Visitor {
	v := &gatehouse.Visitor{ID: r.ID, IDType: gatehouse.IDType(r.IDType), IDNumber: gatehouse.StoredIDNumber("", r.IDMasked), IDHash: r.IDHash,
		ErasedAt: fromMicrosPtr(r.ErasedAt), CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
	if r.IDEnc != nil {
		if n, err := db.keys.OpenID(r.IDEnc); err == nil {
			v.IDNumber = gatehouse.StoredIDNumber(n, r.IDMasked)
		}
	}
	return v
}

// passVisitor is the visitor as this pass describes them.
func (r *passRow) passVisitor(identity *gatehouse.Visitor) *gatehouse.Visitor {
	v := &gatehouse.Visitor{ID: r.VisitorID}
	if identity != nil {
		*v = *identity
	}
	v.Name, v.Phone, v.Plate = r.VisitorName, r.VisitorPhone, r.VisitorPlate
	return v
}

func (r *passRow) domain() *gatehouse.Pass {
	p := &gatehouse.Pass{
		ID: r.ID, CommunityID: r.CommunityID, HostResidentID: r.HostResidentID, VisitorID: r.VisitorID,
		Kind: gatehouse.PassKind(r.Kind), Purpose: r.Purpose, ValidFrom: fromMicros(r.ValidFrom), ValidUntil: fromMicros(r.ValidUntil),
		MaxEntries: r.MaxEntries, Uses: r.Uses, GateIDs: parseIDs(r.GateIDs),
		Schedule: gatehouse.Schedule{Days: r.ScheduleDays, StartMinute: r.ScheduleStart, EndMinute: r.ScheduleEnd},
		KeyID:    r.KeyID, RevokedAt: fromMicrosPtr(r.RevokedAt), CreatedBy: r.CreatedBy,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
	if r.RevokedBy != nil {
		p.RevokedBy = *r.RevokedBy
	}
	return p
}

func formatIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func parseIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// upsertVisitor finds or stores a person's identity by ID number. (An
// identity erased by retention has a random hash: a returning person gets a
// new row.)
func (db *DB) upsertVisitor(tx *gorm.DB, v *gatehouse.Visitor, now int64) error {
	sealed, hash, masked := v.IDNumber.Protect(db.keys)
	var existing visitorRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id_hash = ?", hash).Take(&existing).Error
	if err == nil {
		v.ID, v.CreatedAt = existing.ID, fromMicros(existing.CreatedAt)
	} else if errors.Is(err, gorm.ErrRecordNotFound) {
		row := visitorRow{IDType: string(v.IDType), IDEnc: sealed, IDHash: hash, IDMasked: masked,
			CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err // a duplicate here means another request made the person first: the retry finds it
		}
		v.ID, v.CreatedAt = row.ID, fromMicros(now)
	} else {
		return err
	}
	v.IDHash, v.UpdatedAt = hash, fromMicros(now)
	return nil
}

// CreatePass stores a validated pass and its visitor (found or added by ID
// number) in one transaction.
func (db *DB) CreatePass(ctx context.Context, p *gatehouse.Pass) error {
	now := db.now()
	row := newPassRow(p, now)
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		err = db.transact(ctx, func(tx *gorm.DB) error {
			if err := db.upsertVisitor(tx, p.Visitor, now); err != nil {
				return err
			}
			row.ID, row.VisitorID = 0, p.Visitor.ID
			return tx.Create(&row).Error
		})
		if !isDuplicate(err) {
			break
		}
	}
	if err != nil {
		return internal("create pass", err)
	}
	p.ID, p.VisitorID, p.CreatedAt, p.UpdatedAt = row.ID, row.VisitorID, fromMicros(now), fromMicros(now)
	return nil
}

// newPassRow is a new pass as stored, its visitor not yet found.
func newPassRow(p *gatehouse.Pass, now int64) passRow {
	return passRow{CommunityID: p.CommunityID, HostResidentID: p.HostResidentID, Kind: string(p.Kind), Purpose: p.Purpose,
		VisitorName: p.Visitor.Name, VisitorPhone: p.Visitor.Phone, VisitorPlate: p.Visitor.Plate,
		ValidFrom: micros(p.ValidFrom), ValidUntil: micros(p.ValidUntil), MaxEntries: p.MaxEntries, GateIDs: formatIDs(p.GateIDs),
		ScheduleDays: p.Schedule.Days, ScheduleStart: p.Schedule.StartMinute, ScheduleEnd: p.Schedule.EndMinute,
		KeyID: p.KeyID, CreatedBy: p.CreatedBy, CreatedAt: now, UpdatedAt: now}
}

// Pass returns a pass with its visitor and host, or ENOTFOUND.
func (db *DB) Pass(ctx context.Context, id int64) (*gatehouse.Pass, error) {
	ps, err := db.loadPasses(ctx, db.r.WithContext(ctx).Where("id = ?", id), 1)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, gatehouse.NotFound("pass")
	}
	return ps[0], nil
}

// Passes lists passes, newest first.
func (db *DB) Passes(ctx context.Context, f gatehouse.PassFilter, page gatehouse.Page) ([]*gatehouse.Pass, int64, error) {
	if f.CommunityIDs != nil && len(f.CommunityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&passRow{})
	if page.After > 0 {
		q = q.Where("id < ?", page.After)
	}
	if f.CommunityIDs != nil {
		q = q.Where("community_id IN ?", f.CommunityIDs)
	}
	if !f.CreatedSince.IsZero() {
		q = q.Where("created_at >= ?", micros(f.CreatedSince))
	}
	if f.HostResidentIDs != nil {
		if len(f.HostResidentIDs) == 0 {
			return nil, 0, nil
		}
		q = q.Where("host_resident_id IN ?", f.HostResidentIDs)
	}
	if f.SinceHostMoved {
		// Not what a host invited before it came to its present dwelling.
		q = q.Where("host_resident_id IN (?)", db.r.Model(&residentRow{}).Select("id").
			Where("residents.id = passes.host_resident_id AND COALESCE(residents.moved_in_at, residents.created_at) <= passes.created_at"))
	}
	now := db.now()
	switch f.Status {
	case "":
	case gatehouse.PassRevoked:
		q = q.Where("revoked_at IS NOT NULL")
	case gatehouse.PassExhausted:
		q = q.Where("revoked_at IS NULL AND uses >= max_entries")
	case gatehouse.PassExpired:
		q = q.Where("revoked_at IS NULL AND uses < max_entries AND valid_until <= ?", now)
	case gatehouse.PassPending:
		q = q.Where("revoked_at IS NULL AND uses < max_entries AND valid_from > ? AND valid_until > ?", now, now)
	case gatehouse.PassActive:
		q = q.Where("revoked_at IS NULL AND uses < max_entries AND valid_from <= ? AND valid_until > ?", now, now)
	}
	limit := pageLimit(page)
	ps, err := db.loadPasses(ctx, q.Order("id DESC"), limit+1)
	if err != nil {
		return nil, 0, err
	}
	ps, next := cut(ps, limit, func(p *gatehouse.Pass) int64 { return p.ID })
	return ps, next, nil
}

// loadPasses runs q and fills each pass's visitor and host in two queries.
func (db *DB) loadPasses(ctx context.Context, q *gorm.DB, limit int) ([]*gatehouse.Pass, error) {
	var rows []passRow
	if err := q.Limit(limit).Find(&rows).Error; err != nil {
		return nil, internal("list passes", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	vids, hids := make([]int64, 0, len(rows)), make([]int64, 0, len(rows))
	for _, r := range rows {
		vids, hids = append(vids, r.VisitorID), append(hids, r.HostResidentID)
	}
	var vrows []visitorRow
	if err := db.r.WithContext(ctx).Where("id IN ?", vids).Find(&vrows).Error; err != nil {
		return nil, internal("read visitors", err)
	}
	var hrows []residentRow
	if err := db.r.WithContext(ctx).Where("id IN ?", hids).Find(&hrows).Error; err != nil {
		return nil, internal("read hosts", err)
	}
	visitors := map[int64]*gatehouse.Visitor{}
	for i := range vrows {
		visitors[vrows[i].ID] = db.visitorDomain(&vrows[i])
	}
	hosts := map[int64]*gatehouse.Resident{}
	for i := range hrows {
		h, err := db.residentDomain(&hrows[i])
		if err != nil {
			return nil, err
		}
		hosts[h.ID] = h
	}
	out := make([]*gatehouse.Pass, len(rows))
	for i := range rows {
		p := rows[i].domain()
		p.Visitor, p.Host = rows[i].passVisitor(visitors[p.VisitorID]), hosts[p.HostResidentID]
		out[i] = p
	}
	return out, nil
}

// RevokePass marks a pass revoked (once) and records the change for offline
// controllers. Revoking a revoked pass changes nothing.
func (db *DB) RevokePass(ctx context.Context, id, by int64) error {
	now := db.now()
	err := db.transact(ctx, func(tx *gorm.DB) error {
		var row passRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&row, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return gatehouse.NotFound("pass")
			}
			return err
		}
		if row.RevokedAt != nil {
			return nil
		}
		if err := tx.Model(&passRow{}).Where("id = ?", id).
			Updates(map[string]any{"revoked_at": now, "revoked_by": by, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.Create(&codeChangeRow{CommunityID: row.CommunityID, SubjectID: id, Kind: gatehouse.PassRevoked, At: now}).Error
	})
	return internal("revoke pass", err)
}

// VisitorsByID returns the visitors with the given ids, by id.
func (db *DB) VisitorsByID(ctx context.Context, ids []int64) (map[int64]*gatehouse.Visitor, error) {
	out := map[int64]*gatehouse.Visitor{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []visitorRow
	if err := db.r.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, internal("read visitors", err)
	}
	for i := range rows {
		out[rows[i].ID] = db.visitorDomain(&rows[i])
	}
	return out, nil
}
