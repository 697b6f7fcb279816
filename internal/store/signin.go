package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/internal/gatehouse"
)

// deviceSessionRow is a session with its device columns (00012).
type deviceSessionRow struct {
	TokenHash  string `gorm:"primaryKey"`
	UserID     int64
	CreatedAt  int64 `gorm:"autoCreateTime:false"`
	ExpiresAt  int64
	DeviceName string
	Method     string
	Remember   bool
	LastUsedAt *int64
	RenewFor   int64
}

func (deviceSessionRow) TableName() string { return "sessions" }

type activationLetterRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	ResidentID  int64
	CodeHash    string
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
	ExpiresAt   int64
	UsedAt      *int64
	UserID      *int64
}

func (activationLetterRow) TableName() string { return "activation_letters" }

type smsCodeRow struct {
	ID        int64 `gorm:"primaryKey"`
	PhoneHash string
	CodeHash  string
	SentAt    int64
	ExpiresAt int64
	Tries     int
	UsedAt    *int64
}

func (smsCodeRow) TableName() string { return "sms_codes" }

// touchEvery is how stale a session's last use may get before a request
// records it (and renews a remembered device): not a write per request.
const touchEvery = 5 * time.Minute

// CreateDeviceSession stores a session with the device it was opened on.
func (db *DB) CreateDeviceSession(ctx context.Context, s gatehouse.NewSession) error {
	now := db.now()
	row := deviceSessionRow{TokenHash: s.TokenHash, UserID: s.UserID, CreatedAt: now, ExpiresAt: micros(s.ExpiresAt),
		DeviceName: s.DeviceName, Method: s.Method, Remember: s.Remember, LastUsedAt: &now, RenewFor: s.RenewFor.Microseconds()}
	return internal("create session", db.w.WithContext(ctx).Create(&row).Error)
}

// touchSession records a session's use when the last one is older than
// touchEvery, and then moves a renewable session's end: a remembered device
// stays signed in while it is used.
func (db *DB) touchSession(ctx context.Context, tokenHash string) error {
	now := db.now()
	set := map[string]any{"last_used_at": now,
		"expires_at": gorm.Expr("CASE WHEN renew_for > 0 THEN ? + renew_for ELSE expires_at END", now)}
	err := db.w.WithContext(ctx).Model(&deviceSessionRow{}).
		Where("token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)", tokenHash, now-touchEvery.Microseconds()).
		Updates(set).Error
	if err != nil && isRetryable(err) {
		return nil // another request of the same session touched it
	}
	return internal("touch session", err)
}

// sessionStale reports whether a session's last use should be recorded.
func (db *DB) sessionStale(lastUsed *int64) bool {
	return lastUsed == nil || *lastUsed < db.now()-touchEvery.Microseconds()
}

// Devices lists a user's live sessions, the most recently used first.
func (db *DB) Devices(ctx context.Context, userID int64) ([]*gatehouse.Device, error) {
	var rows []deviceSessionRow
	err := db.r.WithContext(ctx).Where("user_id = ? AND expires_at > ?", userID, db.now()).
		Order("last_used_at DESC").Order("created_at DESC").Find(&rows).Error
	if err != nil {
		return nil, internal("list devices", err)
	}
	out := make([]*gatehouse.Device, len(rows))
	for i, r := range rows {
		d := &gatehouse.Device{ID: r.TokenHash[:gatehouse.DeviceIDLength], Name: r.DeviceName, Method: r.Method, Remember: r.Remember,
			CreatedAt: fromMicros(r.CreatedAt), LastUsedAt: fromMicros(r.CreatedAt), ExpiresAt: fromMicros(r.ExpiresAt)}
		if r.LastUsedAt != nil {
			d.LastUsedAt = fromMicros(*r.LastUsedAt)
		}
		out[i] = d
	}
	return out, nil
}

// DeleteDevice ends the session of a user's device, or answers ENOTFOUND.
func (db *DB) DeleteDevice(ctx context.Context, userID int64, id string) error {
	if len(id) != gatehouse.DeviceIDLength {
		return gatehouse.NotFound("device")
	}
	res := db.w.WithContext(ctx).Where("user_id = ? AND token_hash LIKE ?", userID, id+"%").Delete(&deviceSessionRow{})
	if res.Error != nil {
		return internal("delete device", res.Error)
	}
	if res.RowsAffected == 0 {
		return gatehouse.NotFound("device")
	}
	return nil
}

// CreateActivationLetter stores a letter by the hash of its code; the
// resident's earlier letters not yet used stop working: only the newest
// printed letter opens the account.
func (db *DB) CreateActivationLetter(ctx context.Context, l *gatehouse.ActivationLetter, codeHash string) error {
	now := db.now()
	row := activationLetterRow{CommunityID: l.CommunityID, ResidentID: l.ResidentID, CodeHash: codeHash, CreatedBy: l.CreatedBy,
		CreatedAt: now, ExpiresAt: micros(l.ExpiresAt)}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("resident_id = ? AND used_at IS NULL", l.ResidentID).Delete(&activationLetterRow{}).Error; err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return internal("create activation letter", err)
	}
	l.ID, l.CreatedAt = row.ID, fromMicros(now)
	return nil
}

// ActivationLetter finds a letter by its code's hash (used or not, expired
// or not), or answers ENOTFOUND.
func (db *DB) ActivationLetter(ctx context.Context, codeHash string) (*gatehouse.ActivationLetter, error) {
	var row activationLetterRow
	err := db.r.WithContext(ctx).Where("code_hash = ?", codeHash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("activation letter")
	} else if err != nil {
		return nil, internal("read activation letter", err)
	}
	return &gatehouse.ActivationLetter{ID: row.ID, CommunityID: row.CommunityID, ResidentID: row.ResidentID, CreatedBy: row.CreatedBy,
		CreatedAt: fromMicros(row.CreatedAt), ExpiresAt: fromMicros(row.ExpiresAt), UsedAt: fromMicrosPtr(row.UsedAt)}, nil
}

// errLetterUsed is a letter used, expired or replaced meanwhile.
var errLetterUsed = gatehouse.Errorf(gatehouse.ECONFLICT, "this activation letter has already been used or has expired; ask the property office for a new one")

// ActivateResident uses a letter once and gives its resident an account
// named username with a password hash, in one transaction: the resident's
// existing account (one a manager made) is renamed and gets the new
// password, its sessions ended; else a resident account is created. A
// username taken by another account is ECONFLICT on field.
func (db *DB) ActivateResident(ctx context.Context, letterID int64, username, passwordHash, field string) (*gatehouse.User, error) {
	now := db.now()
	var userID int64
	err := db.transact(ctx, func(tx *gorm.DB) error {
		var l activationLetterRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&l, letterID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return errLetterUsed
		} else if err != nil {
			return err
		}
		res := tx.Model(&activationLetterRow{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", letterID, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errLetterUsed
		}
		var r residentRow
		if err := tx.Where("id = ? AND active = 1", l.ResidentID).Take(&r).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "this resident has moved out; the letter no longer opens an account")
		} else if err != nil {
			return err
		}
		var u userRow
		err := tx.Where("resident_id = ? AND role = ?", r.ID, string(gatehouse.RoleResident)).Order("id").Take(&u).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			u = userRow{Username: username, PasswordHash: passwordHash, Role: string(gatehouse.RoleResident), ResidentID: &r.ID, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&u).Error; err != nil {
				return err
			}
			if err := tx.Create(&userCommunityRow{UserID: u.ID, CommunityID: r.CommunityID}).Error; err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			err := tx.Model(&userRow{}).Where("id = ?", u.ID).
				Updates(map[string]any{"username": username, "password_hash": passwordHash, "disabled": false, "updated_at": now}).Error
			if err != nil {
				return err
			}
			if err := tx.Where("user_id = ?", u.ID).Delete(&deviceSessionRow{}).Error; err != nil {
				return err
			}
		}
		userID = u.ID
		return tx.Model(&activationLetterRow{}).Where("id = ?", letterID).Update("user_id", u.ID).Error
	})
	if isDuplicate(err) {
		return nil, &gatehouse.Error{Code: gatehouse.ECONFLICT, Message: field + ": another account already signs in with this number; ask the property office",
			Fields: map[string]string{field: "another account already signs in with this number; ask the property office"}}
	} else if err != nil {
		return nil, internal("activate resident", err)
	}
	return db.User(ctx, userID)
}

// PhoneKey is the keyed hash that names a phone number in storage and in
// rate-limit buckets: the number itself is never stored for a sign-in.
func (db *DB) PhoneKey(phone string) string { return db.keys.LookupHash("sms-phone:" + phone) }

func (db *DB) smsCodeHash(phone, code string) string {
	return db.keys.LookupHash("sms-code:" + phone + ":" + code)
}

// CreateSMSCode stores a one-time code for a phone (both only hashed); the
// phone's earlier codes stop working.
func (db *DB) CreateSMSCode(ctx context.Context, phone, code string, expires time.Time) error {
	now := db.now()
	key := db.PhoneKey(phone)
	err := db.transact(ctx, func(tx *gorm.DB) error {
		// Codes of any phone that ended a day ago are of no use to anyone.
		if err := tx.Where("expires_at < ?", now-(24*time.Hour).Microseconds()).Delete(&smsCodeRow{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&smsCodeRow{}).Where("phone_hash = ? AND used_at IS NULL", key).Update("used_at", now).Error; err != nil {
			return err
		}
		return tx.Create(&smsCodeRow{PhoneHash: key, CodeHash: db.smsCodeHash(phone, code), SentAt: now, ExpiresAt: micros(expires)}).Error
	})
	return internal("create sms code", err)
}

// CheckSMSCode counts one try of a code against the phone's live code (sent
// last, not used, not expired, fewer than maxTries tries) and reports
// whether it matched; a match uses the code up. The try is counted under a
// row lock, so parallel guesses cannot pass maxTries together.
func (db *DB) CheckSMSCode(ctx context.Context, phone, code string, maxTries int) (bool, error) {
	now := db.now()
	key, want := db.PhoneKey(phone), db.smsCodeHash(phone, code)
	ok := false
	err := db.transact(ctx, func(tx *gorm.DB) error {
		ok = false
		var row smsCodeRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("phone_hash = ? AND used_at IS NULL AND expires_at > ? AND tries < ?", key, now, maxTries).
			Order("sent_at DESC").Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		set := map[string]any{"tries": row.Tries + 1}
		if subtle.ConstantTimeCompare([]byte(row.CodeHash), []byte(want)) == 1 {
			ok = true
			set["used_at"] = now
		}
		return tx.Model(&smsCodeRow{}).Where("id = ?", row.ID).Updates(set).Error
	})
	return ok, internal("check sms code", err)
}
