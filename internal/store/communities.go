package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/keys"
)

type communityRow struct {
	ID                   int64 `gorm:"primaryKey"`
	Name                 string
	Address              string
	AntiPassback         bool
	TimeZone             string
	MaxPassDays          int
	OnsiteThresholdHours int
	PlateMinConfidence   int
	VisitRequestMinutes  int
	VisitPassHours       int
	VisitPassEntries     int
	WebhookURL           string
	WebhookSecretEnc     []byte
	CreatedAt            int64 `gorm:"autoCreateTime:false"`
	UpdatedAt            int64 `gorm:"autoUpdateTime:false"`
}

func (communityRow) TableName() string { return "communities" }

func (db *DB) communityDomain(r *communityRow) *gatehouse.Community {
	c := &gatehouse.Community{
		ID: r.ID, Name: r.Name, Address: r.Address, AntiPassback: r.AntiPassback,
		TimeZone: r.TimeZone, MaxPassDays: r.MaxPassDays, OnsiteThresholdHours: r.OnsiteThresholdHours, PlateMinConfidence: r.PlateMinConfidence,
		VisitRequestMinutes: r.VisitRequestMinutes, WebhookURL: r.WebhookURL, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
		VisitPassHours: r.VisitPassHours, VisitPassEntries: r.VisitPassEntries,
	}
	if r.WebhookSecretEnc != nil && db.keys != nil {
		if s, err := db.keys.Open(keys.PurposeWebhook, r.WebhookSecretEnc); err == nil {
			c.WebhookSecret = string(s)
		}
	}
	return c
}

func (db *DB) sealWebhookSecret(s string) []byte {
	if s == "" {
		return nil
	}
	return db.keys.Seal(keys.PurposeWebhook, []byte(s))
}

// CreateCommunity stores a validated community and sets its ID and times.
func (db *DB) CreateCommunity(ctx context.Context, c *gatehouse.Community) error {
	now := db.now()
	row := communityRow{
		Name: c.Name, Address: c.Address, AntiPassback: c.AntiPassback, TimeZone: c.TimeZone,
		MaxPassDays: c.MaxPassDays, OnsiteThresholdHours: c.OnsiteThresholdHours, PlateMinConfidence: c.PlateMinConfidence,
		VisitRequestMinutes: int(c.VisitRequestTTL() / time.Minute),
		WebhookURL:          c.WebhookURL, WebhookSecretEnc: db.sealWebhookSecret(c.WebhookSecret),
		CreatedAt: now, UpdatedAt: now,
	}
	hours, entries := c.VisitPassDefaults()
	row.VisitPassHours, row.VisitPassEntries = int(hours/time.Hour), entries
	err := db.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		// The community's entry chain starts empty, with a row to lock.
		return tx.Create(&chainHeadRow{CommunityID: row.ID}).Error
	})
	if err != nil {
		return internal("create community", err)
	}
	*c = *db.communityDomain(&row)
	return nil
}

// Community returns one community, or ENOTFOUND.
func (db *DB) Community(ctx context.Context, id int64) (*gatehouse.Community, error) {
	var row communityRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("community")
	} else if err != nil {
		return nil, internal("read community", err)
	}
	return db.communityDomain(&row), nil
}

// Communities lists communities by id; ids nil means all, empty means none.
func (db *DB) Communities(ctx context.Context, ids []int64, page gatehouse.Page) ([]*gatehouse.Community, int64, error) {
	if ids != nil && len(ids) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&communityRow{})
	if ids != nil {
		q = q.Where("id IN ?", ids)
	}
	var rows []communityRow
	limit := pageLimit(page)
	if err := q.Where("id > ?", page.After).Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list communities", err)
	}
	out := make([]*gatehouse.Community, 0, len(rows))
	for i := range rows {
		out = append(out, db.communityDomain(&rows[i]))
	}
	out, next := cut(out, limit, func(c *gatehouse.Community) int64 { return c.ID })
	return out, next, nil
}

// UpdateCommunity stores changed settings of a validated community.
func (db *DB) UpdateCommunity(ctx context.Context, c *gatehouse.Community) error {
	now := db.now()
	hours, entries := c.VisitPassDefaults()
	err := db.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&communityRow{}).Where("id = ?", c.ID).Updates(map[string]any{
			"name": c.Name, "address": c.Address, "anti_passback": c.AntiPassback, "time_zone": c.TimeZone,
			"max_pass_days": c.MaxPassDays, "onsite_threshold_hours": c.OnsiteThresholdHours, "plate_min_confidence": c.PlateMinConfidence, "updated_at": now,
			"visit_request_minutes": int(c.VisitRequestTTL() / time.Minute),
			"visit_pass_hours":      int(hours / time.Hour), "visit_pass_entries": entries,
			"webhook_url": c.WebhookURL, "webhook_secret_enc": db.sealWebhookSecret(c.WebhookSecret),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gatehouse.NotFound("community")
		}
		// Its time zone and onsite threshold shape its computed months.
		if err := db.supervisionChanged(gormExec(tx), c.ID, now); err != nil {
			return err
		}
		return bumpEpoch(tx, c.ID)
	})
	if err != nil {
		return internal("update community", err)
	}
	c.UpdatedAt = fromMicros(now)
	return nil
}

// pageLimit returns the page size, within bounds.
func pageLimit(p gatehouse.Page) int {
	switch {
	case p.Limit <= 0:
		return gatehouse.DefaultPageLimit
	case p.Limit > gatehouse.MaxPageLimit:
		return gatehouse.MaxPageLimit
	}
	return p.Limit
}

// cut drops the extra row fetched to learn whether another page follows and
// returns the cursor of that next page (0: none).
func cut[T any](items []T, limit int, id func(T) int64) ([]T, int64) {
	if len(items) <= limit {
		return items, 0
	}
	items = items[:limit]
	return items, id(items[len(items)-1])
}

// bumpEpoch moves a community's settings epoch: every process's caches of
// its settings, gates and watchlist are stale from the next scan on.
func bumpEpoch(tx *gorm.DB, communityID int64) error {
	return tx.Model(&chainHeadRow{}).Where("community_id = ?", communityID).Update("epoch", gorm.Expr("epoch + 1")).Error
}
