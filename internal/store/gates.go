package store

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

type gateRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	Name        string
	KeyHash     string
	KeyPrefix   string
	DisabledAt  *int64
	LastSeenAt  *int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
	UpdatedAt   int64 `gorm:"autoUpdateTime:false"`
	// A vehicle gate's camera (migration 00016).
	Kind            string
	CameraVendor    string
	CameraSerial    string
	CameraLane      string
	CameraTokenHash *string
}

func (gateRow) TableName() string { return "gates" }

func (r *gateRow) domain() *gatehouse.Gate {
	return &gatehouse.Gate{
		ID: r.ID, CommunityID: r.CommunityID, Name: r.Name, KeyPrefix: r.KeyPrefix,
		DisabledAt: fromMicrosPtr(r.DisabledAt), LastSeenAt: fromMicrosPtr(r.LastSeenAt),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt), Kind: gatehouse.GateKind(r.Kind),
		Camera: r.camera(),
	}
}

// camera is the gate's registered camera, nil when none is.
func (r *gateRow) camera() *gatehouse.Camera {
	if r.CameraVendor == "" {
		return nil
	}
	return &gatehouse.Camera{Vendor: r.CameraVendor, Serial: r.CameraSerial, Lane: gatehouse.Direction(r.CameraLane),
		TokenSet: r.CameraTokenHash != nil}
}

// CreateGate stores a gate with the hash of its device key.
func (db *DB) CreateGate(ctx context.Context, g *gatehouse.Gate, keyHash string) error {
	now := db.now()
	row := gateRow{CommunityID: g.CommunityID, Name: g.Name, KeyHash: keyHash, KeyPrefix: g.KeyPrefix, CreatedAt: now, UpdatedAt: now,
		Kind: string(gatehouse.GatePedestrian), CameraLane: string(gatehouse.In)}
	err := db.w.WithContext(ctx).Create(&row).Error
	if isForeignKey(err) {
		return gatehouse.FieldError("community_id", "no such community")
	} else if err != nil {
		return internal("create gate", err)
	}
	*g = *row.domain()
	return nil
}

// Gate returns one gate, or ENOTFOUND.
func (db *DB) Gate(ctx context.Context, id int64) (*gatehouse.Gate, error) {
	var row gateRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("gate")
	} else if err != nil {
		return nil, internal("read gate", err)
	}
	return row.domain(), nil
}

// GateByKeyHash returns the enabled gate whose device key hashes to h, or
// EUNAUTHORIZED.
func (db *DB) GateByKeyHash(ctx context.Context, h string) (*gatehouse.Gate, error) {
	var row gateRow
	err := db.r.WithContext(ctx).Where("key_hash = ? AND disabled_at IS NULL", h).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "unknown or disabled device key")
	} else if err != nil {
		return nil, internal("read gate by key", err)
	}
	return row.domain(), nil
}

// Gates lists gates of communities (nil: all) in id order.
func (db *DB) Gates(ctx context.Context, communityIDs []int64, page gatehouse.Page) ([]*gatehouse.Gate, int64, error) {
	if communityIDs != nil && len(communityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&gateRow{}).Where("id > ?", page.After)
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	limit := pageLimit(page)
	var rows []gateRow
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list gates", err)
	}
	out := make([]*gatehouse.Gate, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	out, next := cut(out, limit, func(g *gatehouse.Gate) int64 { return g.ID })
	return out, next, nil
}

// UpdateGate applies a patch and returns the gate as stored.
func (db *DB) UpdateGate(ctx context.Context, id int64, p gatehouse.GatePatch) (*gatehouse.Gate, error) {
	now := db.now()
	set := map[string]any{"updated_at": now}
	if p.Name != nil {
		set["name"] = *p.Name
	}
	if p.Disabled != nil {
		if *p.Disabled {
			set["disabled_at"] = gorm.Expr("COALESCE(disabled_at, ?)", now)
		} else {
			set["disabled_at"] = nil
		}
	}
	if p.KeyHash != nil {
		set["key_hash"], set["key_prefix"] = *p.KeyHash, *p.KeyPrefix
	}
	patchCamera(set, p)
	var row gateRow
	err := db.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&gateRow{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return gatehouse.NotFound("gate")
		}
		if err := tx.Take(&row, id).Error; err != nil {
			return err
		}
		// A disabled gate or a rotated key stops working at once, everywhere.
		return bumpEpoch(tx, row.CommunityID)
	})
	if err != nil {
		return nil, internal("update gate", err)
	}
	return row.domain(), nil
}

// patchCamera adds a patch's kind and camera to the columns set.
func patchCamera(set map[string]any, p gatehouse.GatePatch) {
	if p.Kind != nil {
		set["kind"] = string(*p.Kind)
	}
	if c := p.Camera; c != nil {
		set["camera_vendor"], set["camera_serial"], set["camera_lane"] = c.Vendor, c.Serial, string(c.Lane)
	}
	if p.CameraToken != nil {
		if *p.CameraToken == "" {
			set["camera_token_hash"] = nil
		} else {
			set["camera_token_hash"] = *p.CameraToken
		}
	}
}

// GateAuth returns the enabled gate whose device key hashes to h and its
// community's settings epoch (with which a cached key is re-checked in every
// scan), or EUNAUTHORIZED.
//
// The epoch is read in the same query as the gate: a key disabled or rotated
// in between cannot be cached under the epoch that recorded the change.
func (db *DB) GateAuth(ctx context.Context, h string) (*gatehouse.Gate, int64, error) {
	var row gateRow
	var epoch int64
	err := db.r.WithContext(ctx).Raw(`SELECT g.id, g.community_id, g.name, g.key_prefix, g.created_at, g.updated_at, h.epoch
		FROM gates g JOIN chain_heads h ON h.community_id = g.community_id WHERE g.key_hash = ? AND g.disabled_at IS NULL`, h).
		Row().Scan(&row.ID, &row.CommunityID, &row.Name, &row.KeyPrefix, &row.CreatedAt, &row.UpdatedAt, &epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "unknown or disabled device key")
	} else if err != nil {
		return nil, 0, internal("read gate by key", err)
	}
	return row.domain(), epoch, nil
}

// GateNames returns the names of the gates with the given ids.
func (db *DB) GateNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []gateRow
	if err := db.r.WithContext(ctx).Select("id, name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, internal("read gate names", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
