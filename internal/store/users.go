package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

type userRow struct {
	ID           int64 `gorm:"primaryKey"`
	Username     string
	PasswordHash string
	Role         string
	ResidentID   *int64
	Disabled     bool
	CreatedAt    int64 `gorm:"autoCreateTime:false"`
	UpdatedAt    int64 `gorm:"autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

type userCommunityRow struct {
	UserID      int64 `gorm:"primaryKey;autoIncrement:false"`
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
}

func (userCommunityRow) TableName() string { return "user_communities" }

type sessionRow struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    int64
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	ExpiresAt int64
}

func (sessionRow) TableName() string { return "sessions" }

type loginFailureRow struct {
	ID     int64 `gorm:"primaryKey"`
	Bucket string
	At     int64
}

func (loginFailureRow) TableName() string { return "login_failures" }

func (r *userRow) domain(communities []int64) *gatehouse.User {
	u := &gatehouse.User{
		ID: r.ID, Username: r.Username, PasswordHash: r.PasswordHash, Role: gatehouse.Role(r.Role),
		Communities: communities, Disabled: r.Disabled, CreatedAt: fromMicros(r.CreatedAt),
	}
	if r.ResidentID != nil {
		u.ResidentID = *r.ResidentID
	}
	if u.Communities == nil {
		u.Communities = []int64{}
	}
	return u
}

// CreateUser stores a user with its communities; a taken username is ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u *gatehouse.User) error {
	now := db.now()
	row := userRow{Username: u.Username, PasswordHash: u.PasswordHash, Role: string(u.Role), Disabled: u.Disabled, CreatedAt: now, UpdatedAt: now}
	if u.ResidentID != 0 {
		row.ResidentID = &u.ResidentID
	}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		for _, c := range u.Communities {
			if err := tx.Create(&userCommunityRow{UserID: row.ID, CommunityID: c}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if isDuplicate(err) {
		return &gatehouse.Error{Code: gatehouse.ECONFLICT, Message: "username is taken", Fields: map[string]string{"username": "is taken"}}
	} else if err != nil {
		return internal("create user", err)
	}
	u.ID, u.CreatedAt = row.ID, fromMicros(now)
	return nil
}

// CountUsers counts every user; 0 means the database is new.
func (db *DB) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.WithContext(ctx).Model(&userRow{}).Count(&n).Error; err != nil {
		return 0, internal("count users", err)
	}
	return n, nil
}

// UserByUsername returns a user by login name, or ENOTFOUND.
func (db *DB) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	var row userRow
	err := db.r.WithContext(ctx).Where("username = ?", username).Take(&row).Error
	return db.userWithCommunities(ctx, &row, err)
}

// User returns a user by id, or ENOTFOUND.
func (db *DB) User(ctx context.Context, id int64) (*gatehouse.User, error) {
	var row userRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	return db.userWithCommunities(ctx, &row, err)
}

func (db *DB) userWithCommunities(ctx context.Context, row *userRow, err error) (*gatehouse.User, error) {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("user")
	} else if err != nil {
		return nil, internal("read user", err)
	}
	var cs []int64
	if err := db.r.WithContext(ctx).Model(&userCommunityRow{}).Where("user_id = ?", row.ID).Order("community_id").Pluck("community_id", &cs).Error; err != nil {
		return nil, internal("read user communities", err)
	}
	return row.domain(cs), nil
}

// Users lists users, newest last, with their communities.
func (db *DB) Users(ctx context.Context, f gatehouse.UserFilter, page gatehouse.Page) ([]*gatehouse.User, int64, error) {
	if f.CommunityIDs != nil && len(f.CommunityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&userRow{}).Where("id > ?", page.After)
	if f.CommunityIDs != nil {
		q = q.Where("id IN (?)", db.r.Model(&userCommunityRow{}).Select("user_id").Where("community_id IN ?", f.CommunityIDs))
	}
	if len(f.Roles) > 0 {
		roles := make([]string, len(f.Roles))
		for i, r := range f.Roles {
			roles[i] = string(r)
		}
		q = q.Where("role IN ?", roles)
	}
	limit := pageLimit(page)
	var rows []userRow
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list users", err)
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	var links []userCommunityRow
	if len(ids) > 0 {
		if err := db.r.WithContext(ctx).Where("user_id IN ?", ids).Order("community_id").Find(&links).Error; err != nil {
			return nil, 0, internal("list user communities", err)
		}
	}
	byUser := map[int64][]int64{}
	for _, l := range links {
		byUser[l.UserID] = append(byUser[l.UserID], l.CommunityID)
	}
	out := make([]*gatehouse.User, len(rows))
	for i := range rows {
		out[i] = rows[i].domain(byUser[rows[i].ID])
	}
	out, next := cut(out, limit, func(u *gatehouse.User) int64 { return u.ID })
	return out, next, nil
}

// UpdateUser applies a patch. Disabling a user or changing its password ends
// its sessions.
func (db *DB) UpdateUser(ctx context.Context, id int64, p gatehouse.UserPatch) error {
	set := map[string]any{"updated_at": db.now()}
	if p.PasswordHash != nil {
		set["password_hash"] = *p.PasswordHash
	}
	if p.Disabled != nil {
		set["disabled"] = *p.Disabled
	}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&userRow{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gatehouse.NotFound("user")
		}
		if p.PasswordHash != nil || (p.Disabled != nil && *p.Disabled) {
			return tx.Where("user_id = ?", id).Delete(&sessionRow{}).Error
		}
		return nil
	})
	return internal("update user", err)
}

// CreateSession stores a login session by the hash of its bearer token.
func (db *DB) CreateSession(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	row := sessionRow{TokenHash: tokenHash, UserID: userID, CreatedAt: db.now(), ExpiresAt: micros(expires)}
	return internal("create session", db.w.WithContext(ctx).Create(&row).Error)
}

// SessionUser returns the user of a live session, or EUNAUTHORIZED.
func (db *DB) SessionUser(ctx context.Context, tokenHash string) (*gatehouse.User, time.Time, error) {
	var s sessionRow
	err := db.r.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", tokenHash, db.now()).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, time.Time{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "the session has expired or was ended; log in again")
	} else if err != nil {
		return nil, time.Time{}, internal("read session", err)
	}
	u, err := db.User(ctx, s.UserID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return nil, time.Time{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "the session's user no longer exists")
	}
	return u, fromMicros(s.ExpiresAt), err
}

// DeleteSession ends a session (logout).
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	return internal("delete session", db.w.WithContext(ctx).Where("token_hash = ?", tokenHash).Delete(&sessionRow{}).Error)
}

// RecordLoginFailure notes one failed login in each bucket (per account, per
// address) and drops failures older than keep, so the table stays small.
func (db *DB) RecordLoginFailure(ctx context.Context, buckets []string, keep time.Duration) error {
	now := db.now()
	err := db.transact(ctx, func(tx *gorm.DB) error {
		for _, b := range buckets {
			if err := tx.Create(&loginFailureRow{Bucket: b, At: now}).Error; err != nil {
				return err
			}
			if err := tx.Where("bucket = ? AND at < ?", b, now-keep.Microseconds()).Delete(&loginFailureRow{}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return internal("record login failure", err)
}

// LoginFailures counts a bucket's failures since a time and returns the
// oldest of them, from which the caller works out when the window ends.
func (db *DB) LoginFailures(ctx context.Context, bucket string, since time.Time) (int64, time.Time, error) {
	var res struct {
		N      int64
		Oldest *int64
	}
	err := db.r.WithContext(ctx).Model(&loginFailureRow{}).Select("COUNT(*) AS n, MIN(at) AS oldest").
		Where("bucket = ? AND at >= ?", bucket, micros(since)).Scan(&res).Error
	if err != nil {
		return 0, time.Time{}, internal("count login failures", err)
	}
	var oldest time.Time
	if res.Oldest != nil {
		oldest = fromMicros(*res.Oldest)
	}
	return res.N, oldest, nil
}

// ClearLoginFailures forgets a bucket's failures after a successful login.
func (db *DB) ClearLoginFailures(ctx context.Context, bucket string) error {
	return internal("clear login failures", db.w.WithContext(ctx).Where("bucket = ?", bucket).Delete(&loginFailureRow{}).Error)
}
