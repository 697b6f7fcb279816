package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/keys"
	"gatehouse/internal/passcode"
)

type signingKeyRow struct {
	ID         uint32 `gorm:"primaryKey"`
	PublicKey  []byte
	PrivateEnc []byte
	CreatedAt  int64 `gorm:"autoCreateTime:false"`
}

func (signingKeyRow) TableName() string { return "signing_keys" }

// SigningKeys returns every code-signing key, oldest first, with its private
// half unsealed. Keys live in the database (sealed with the key directory's
// data key) so that a rotation reaches every process at once.
func (db *DB) SigningKeys(ctx context.Context) ([]passcode.Key, error) {
	var rows []signingKeyRow
	if err := db.r.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, internal("read signing keys", err)
	}
	out := make([]passcode.Key, 0, len(rows))
	for _, r := range rows {
		priv, err := db.keys.Open(keys.PurposeSigningKey, r.PrivateEnc)
		if err != nil || len(priv) != ed25519.PrivateKeySize || len(r.PublicKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("store: signing key %d cannot be unsealed: is the key directory the one this database was made with?", r.ID)
		}
		out = append(out, passcode.Key{ID: r.ID, Public: ed25519.PublicKey(r.PublicKey), Private: ed25519.PrivateKey(priv), CreatedAt: fromMicros(r.CreatedAt)})
	}
	return out, nil
}

// CreateSigningKey makes a new Ed25519 key; being the newest, it signs from now on.
func (db *DB) CreateSigningKey(ctx context.Context) (passcode.Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return passcode.Key{}, err
	}
	row := signingKeyRow{PublicKey: pub, PrivateEnc: db.keys.Seal(keys.PurposeSigningKey, priv), CreatedAt: db.now()}
	if err := db.w.WithContext(ctx).Create(&row).Error; err != nil {
		return passcode.Key{}, internal("create signing key", err)
	}
	return passcode.Key{ID: row.ID, Public: pub, Private: priv, CreatedAt: fromMicros(row.CreatedAt)}, nil
}

// RemoveSigningKey deletes a key: codes signed with it stop verifying.
func (db *DB) RemoveSigningKey(ctx context.Context, id uint32) error {
	res := db.w.WithContext(ctx).Delete(&signingKeyRow{}, id)
	if res.Error != nil {
		return internal("remove signing key", res.Error)
	}
	if res.RowsAffected == 0 {
		return gatehouse.NotFound("signing key")
	}
	return nil
}
