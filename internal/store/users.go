package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// loginLockRow is locked by every attempt on its bucket while it counts.
type loginLockRow struct {
	Bucket string `gorm:"primaryKey"`
	At     int64
}

func (loginLockRow) TableName() string { return "login_locks" }

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
	var s deviceSessionRow
	err := db.r.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", tokenHash, db.now()).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, time.Time{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "the session has expired or was ended; log in again")
	} else if err != nil {
		return nil, time.Time{}, internal("read session", err)
	}
	if db.sessionStale(s.LastUsedAt) {
		if err := db.touchSession(ctx, tokenHash); err != nil {
			return nil, time.Time{}, err
		}
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

// ReserveLogin counts, for each bucket (an account, an address...), the
// login attempts since a time: wait(i, n, oldest, latest) says how long
// bucket i makes the next attempt wait. When none makes it wait, one attempt
// is recorded in every bucket, as a failure until ReleaseLogin says it
// succeeded, and their ids are returned; otherwise nothing is recorded and
// the longest wait is returned with its bucket. Counting and recording happen
// in one transaction that first locks each bucket's row, so that parallel
// attempts, on one process or several, never pass a limit together.
func (db *DB) ReserveLogin(ctx context.Context, now, since time.Time, buckets []string,
	wait func(i int, n int64, oldest, latest time.Time) time.Duration) ([]int64, int, time.Duration, error) {
	var (
		ids     []int64
		blocked int
		longest time.Duration
	)
	at := micros(now)
	err := db.transact(ctx, func(tx *gorm.DB) error {
		ids, blocked, longest = nil, -1, 0
		// Locks are taken in one order: two attempts sharing buckets never deadlock.
		for _, b := range slices.Sorted(slices.Values(buckets)) {
			lock := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "bucket"}}, DoUpdates: clause.AssignmentColumns([]string{"at"})})
			if err := lock.Create(&loginLockRow{Bucket: b, At: at}).Error; err != nil {
				return err
			}
		}
		for i, b := range buckets {
			if err := tx.Where("bucket = ? AND at < ?", b, micros(since)).Delete(&loginFailureRow{}).Error; err != nil {
				return err
			}
			var res struct {
				N              int64
				Oldest, Latest *int64
			}
			if err := tx.Model(&loginFailureRow{}).Select("COUNT(*) AS n, MIN(at) AS oldest, MAX(at) AS latest").
				Where("bucket = ?", b).Scan(&res).Error; err != nil {
				return err
			}
			var oldest, latest time.Time
			if res.N > 0 {
				oldest, latest = fromMicros(*res.Oldest), fromMicros(*res.Latest)
			}
			if w := wait(i, res.N, oldest, latest); w > longest {
				blocked, longest = i, w
			}
		}
		if longest > 0 {
			return nil
		}
		for _, b := range buckets {
			row := loginFailureRow{Bucket: b, At: at}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			ids = append(ids, row.ID)
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, internal("reserve login", err)
	}
	if rand.IntN(64) == 0 {
		// Now and then, forget the locks of buckets that have been quiet for a window.
		if err := db.w.WithContext(ctx).Where("at < ?", micros(since)).Delete(&loginLockRow{}).Error; err != nil && !isRetryable(err) {
			return nil, 0, 0, internal("prune login locks", err)
		}
	}
	return ids, blocked, longest, nil
}

// ReleaseLogin takes back reserved attempts that succeeded and forgets every
// failure of the clear buckets.
func (db *DB) ReleaseLogin(ctx context.Context, ids []int64, clear []string) error {
	err := db.transact(ctx, func(tx *gorm.DB) error {
		if len(ids) > 0 {
			if err := tx.Where("id IN ?", ids).Delete(&loginFailureRow{}).Error; err != nil {
				return err
			}
		}
		if len(clear) > 0 {
			return tx.Where("bucket IN ?", clear).Delete(&loginFailureRow{}).Error
		}
		return nil
	})
	return internal("release login", err)
}
