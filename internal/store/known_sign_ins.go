package store

import (
	"context"
	"math/rand/v2"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// knownSignInRow is a network or a remembered device an account signed in
// from, with its last sign-in there.
type knownSignInRow struct {
	UserID  int64  `gorm:"primaryKey;autoIncrement:false"`
	Kind    string `gorm:"primaryKey"`
	KeyHash string `gorm:"primaryKey"`
	LastAt  int64
}

func (knownSignInRow) TableName() string { return "known_sign_ins" }

// Kinds of known sign-ins.
const (
	knownNetwork = "network"
	knownDevice  = "device"
)

// networkKey names a network in storage: a keyed hash, so that the table
// does not say where anyone signs in from.
func (db *DB) networkKey(network string) string {
	return db.keys.LookupHash("signin-network:" + network)
}

// KnownSignIn reports whether userID signed in from network since a time,
// and which of deviceHashes (hashes of remembered-device tokens) it signed
// in on since then ("" for none). A user id of 0 (an unknown username) has
// none, and costs the same query.
func (db *DB) KnownSignIn(ctx context.Context, userID int64, network string, deviceHashes []string, since time.Time) (bool, string, error) {
	var rows []knownSignInRow
	q := db.r.WithContext(ctx).Where("user_id = ? AND last_at >= ?", userID, micros(since))
	if len(deviceHashes) > 0 {
		q = q.Where("(kind = ? AND key_hash = ?) OR (kind = ? AND key_hash IN ?)", knownNetwork, db.networkKey(network), knownDevice, deviceHashes)
	} else {
		q = q.Where("kind = ? AND key_hash = ?", knownNetwork, db.networkKey(network))
	}
	if err := q.Find(&rows).Error; err != nil {
		return false, "", internal("read known sign-ins", err)
	}
	known, device := false, ""
	for _, r := range rows {
		if r.Kind == knownNetwork {
			known = true
		} else {
			device = r.KeyHash
		}
	}
	return known, device, nil
}

// RememberSignIn records that userID signed in at a time from network, on
// the remembered device of deviceHash, and forgets the user's sign-ins
// older than forget (now and then everyone's).
func (db *DB) RememberSignIn(ctx context.Context, userID int64, network, deviceHash string, at, forget time.Time) error {
	rows := []knownSignInRow{{UserID: userID, Kind: knownNetwork, KeyHash: db.networkKey(network), LastAt: micros(at)}}
	if deviceHash != "" {
		rows = append(rows, knownSignInRow{UserID: userID, Kind: knownDevice, KeyHash: deviceHash, LastAt: micros(at)})
	}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		upsert := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}, {Name: "kind"}, {Name: "key_hash"}},
			DoUpdates: clause.AssignmentColumns([]string{"last_at"})})
		if err := upsert.Create(&rows).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ? AND last_at < ?", userID, micros(forget)).Delete(&knownSignInRow{}).Error
	})
	if err != nil {
		return internal("remember sign-in", err)
	}
	if rand.IntN(64) == 0 {
		if err := db.w.WithContext(ctx).Where("last_at < ?", micros(forget)).Delete(&knownSignInRow{}).Error; err != nil && !isRetryable(err) {
			return internal("prune known sign-ins", err)
		}
	}
	return nil
}
