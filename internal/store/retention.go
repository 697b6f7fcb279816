package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

const eraseBatch = 5000

// ErasePersonalData erases the personal fields of entries that occurred
// before cutoff, of passes that ended before it, and the sealed ID numbers
// of visitors with no pass after it. Counts, ids, decisions and the entry
// chain (which covers a digest of the erased fields) stay, so reports keep
// their figures and verify still passes. It works in small batches so that
// scans are never held up for long; running it twice is harmless.
func (db *DB) ErasePersonalData(ctx context.Context, cutoff time.Time) (gatehouse.Erased, error) {
	var out gatehouse.Erased
	c := micros(cutoff)
	now := db.now()
	n, err := db.eraseInBatches(ctx, &entryRow{}, "occurred_at < ? AND erased_at IS NULL", c,
		map[string]any{"person_name": "", "id_hash": "", "plate": "", "note": "", "erased_at": now})
	out.Entries = n
	if err != nil {
		return out, internal("erase entries", err)
	}
	// Passes too in batches picked on a read connection: one UPDATE over the
	// whole table held the one writer (and every gate's scan) until it was done.
	n, err = db.eraseInBatches(ctx, &passRow{}, "valid_until < ? AND visitor_name <> ''", c,
		map[string]any{"visitor_name": "", "visitor_phone": "", "visitor_plate": "", "purpose": "", "updated_at": now})
	out.Passes = n
	if err != nil {
		return out, internal("erase passes", err)
	}
	// A visitor's keyed hash is replaced by a random value too: with the
	// lookup key it would still tell whether a given number ever visited.
	recent := db.r.Model(&passRow{}).Select("visitor_id").Where("valid_until >= ?", c)
	for {
		var ids []int64
		if err := db.r.WithContext(ctx).Model(&visitorRow{}).Where("erased_at IS NULL AND id NOT IN (?)", recent).
			Limit(eraseBatch).Pluck("id", &ids).Error; err != nil {
			return out, internal("find visitors to erase", err)
		}
		if len(ids) == 0 {
			break
		}
		err := db.transact(ctx, func(tx *gorm.DB) error {
			for _, id := range ids {
				// Re-checked here: a pass issued since the ids were picked keeps its visitor.
				if err := tx.Model(&visitorRow{}).Where("id = ? AND erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM passes WHERE passes.visitor_id = visitors.id AND passes.valid_until >= ?)", id, c).Updates(map[string]any{
					"id_enc": nil, "id_masked": "", "id_hash": randomHex(32), "erased_at": now, "updated_at": now}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return out, internal("erase visitors", err)
		}
		out.Visitors += int64(len(ids))
		if len(ids) < eraseBatch {
			break
		}
	}
	if db.dialect == SQLite && out.Entries+out.Passes+out.Visitors > 0 {
		// The WAL still holds the rows as they were before the erasure:
		// fold it into the database (whose freed space secure_delete has
		// zeroed) and empty it. This waits for every reader and holds the
		// writer meanwhile (two seconds under a full load of scans): only
		// when something was erased, not on every run.
		if err := db.w.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			return out, internal("checkpoint after erasing", err)
		}
	}
	return out, nil
}

// eraseInBatches sets updates on the rows of model matching where (with its
// one argument, rechecked at the update), eraseBatch ids at a time picked on
// a read connection, each batch a short write of its own so that scans go
// on between them. It returns how many rows it changed.
func (db *DB) eraseInBatches(ctx context.Context, model any, where string, arg any, updates map[string]any) (int64, error) {
	var n int64
	for {
		var ids []int64
		if err := db.r.WithContext(ctx).Model(model).Where(where, arg).Limit(eraseBatch).Pluck("id", &ids).Error; err != nil {
			return n, err
		}
		if len(ids) == 0 {
			return n, nil
		}
		res := db.w.WithContext(ctx).Model(model).Where("id IN ?", ids).Where(where, arg).Updates(updates)
		if res.Error != nil {
			return n, res.Error
		}
		n += res.RowsAffected
		if len(ids) < eraseBatch {
			return n, nil
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
