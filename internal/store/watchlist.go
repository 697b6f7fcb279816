package store

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

func (r *watchlistRow) domain() *gatehouse.WatchlistEntry {
	return &gatehouse.WatchlistEntry{ID: r.ID, CommunityID: r.CommunityID, IDHash: r.IDHash, IDMasked: r.IDMasked, Name: r.Name,
		Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: fromMicros(r.CreatedAt)}
}

// AddToWatchlist puts a person (by ID number) on a community's watchlist.
func (db *DB) AddToWatchlist(ctx context.Context, w *gatehouse.WatchlistEntry, idNumber string) error {
	row := watchlistRow{CommunityID: w.CommunityID, IDHash: db.keys.LookupHash(idNumber), IDMasked: gatehouse.MaskIDNumber(idNumber),
		Name: w.Name, Reason: w.Reason, CreatedBy: w.CreatedBy, CreatedAt: db.now()}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return bumpEpoch(tx, row.CommunityID)
	})
	if err != nil {
		return internal("add to watchlist", err)
	}
	*w = *row.domain()
	return nil
}

// Watchlist lists a community's watchlist, newest first.
func (db *DB) Watchlist(ctx context.Context, communityIDs []int64, page gatehouse.Page) ([]*gatehouse.WatchlistEntry, int64, error) {
	if communityIDs != nil && len(communityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&watchlistRow{})
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	if page.After > 0 {
		q = q.Where("id < ?", page.After)
	}
	limit := pageLimit(page)
	var rows []watchlistRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list watchlist", err)
	}
	out := make([]*gatehouse.WatchlistEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	out, next := cut(out, limit, func(w *gatehouse.WatchlistEntry) int64 { return w.ID })
	return out, next, nil
}

// WatchlistEntry returns one watchlist entry, or ENOTFOUND.
func (db *DB) WatchlistEntry(ctx context.Context, id int64) (*gatehouse.WatchlistEntry, error) {
	var row watchlistRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("watchlist entry")
	} else if err != nil {
		return nil, internal("read watchlist", err)
	}
	return row.domain(), nil
}

// RemoveFromWatchlist deletes a watchlist entry.
func (db *DB) RemoveFromWatchlist(ctx context.Context, id int64) error {
	err := db.transact(ctx, func(tx *gorm.DB) error {
		var row watchlistRow
		if err := tx.Take(&row, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return gatehouse.NotFound("watchlist entry")
		} else if err != nil {
			return err
		}
		if err := tx.Delete(&watchlistRow{}, id).Error; err != nil {
			return err
		}
		return bumpEpoch(tx, row.CommunityID)
	})
	return internal("remove from watchlist", err)
}
