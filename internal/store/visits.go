package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/internal/gatehouse"
)

// purposePosterToken seals a poster's token, so that a manager can print
// the poster again; lookups use its hash.
const purposePosterToken = "gatehouse/poster-token/v1"

type posterRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	GateID      int64
	TokenHash   string
	TokenEnc    []byte
	RevokedAt   *int64
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
}

func (posterRow) TableName() string { return "posters" }

func (db *DB) posterDomain(r *posterRow) *gatehouse.Poster {
	p := &gatehouse.Poster{ID: r.ID, CommunityID: r.CommunityID, GateID: r.GateID, RevokedAt: fromMicrosPtr(r.RevokedAt),
		CreatedBy: r.CreatedBy, CreatedAt: fromMicros(r.CreatedAt)}
	if t, err := db.keys.Open(purposePosterToken, r.TokenEnc); err == nil {
		p.Token = string(t)
	}
	return p
}

// CreatePoster stores a new poster, its token hashed (for lookup) and
// sealed (for printing again).
func (db *DB) CreatePoster(ctx context.Context, p *gatehouse.Poster, tokenHash string) error {
	row := posterRow{CommunityID: p.CommunityID, GateID: p.GateID, TokenHash: tokenHash,
		TokenEnc: db.keys.Seal(purposePosterToken, []byte(p.Token)), CreatedBy: p.CreatedBy, CreatedAt: db.now()}
	if err := db.w.WithContext(ctx).Create(&row).Error; err != nil {
		return internal("create poster", err)
	}
	p.ID, p.CreatedAt = row.ID, fromMicros(row.CreatedAt)
	return nil
}

// Poster returns one poster, or ENOTFOUND.
func (db *DB) Poster(ctx context.Context, id int64) (*gatehouse.Poster, error) {
	var row posterRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("poster")
	} else if err != nil {
		return nil, internal("read poster", err)
	}
	return db.posterDomain(&row), nil
}

// PosterByTokenHash returns the poster of a token that is not revoked, or
// ENOTFOUND.
func (db *DB) PosterByTokenHash(ctx context.Context, h string) (*gatehouse.Poster, error) {
	var row posterRow
	err := db.r.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", h).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("registration page")
	} else if err != nil {
		return nil, internal("read poster", err)
	}
	return db.posterDomain(&row), nil
}

// Posters lists a community's posters, newest first.
func (db *DB) Posters(ctx context.Context, communityID int64) ([]*gatehouse.Poster, error) {
	var rows []posterRow
	if err := db.r.WithContext(ctx).Where("community_id = ?", communityID).Order("id DESC").Limit(gatehouse.MaxPageLimit).Find(&rows).Error; err != nil {
		return nil, internal("list posters", err)
	}
	out := make([]*gatehouse.Poster, len(rows))
	for i := range rows {
		out[i] = db.posterDomain(&rows[i])
	}
	return out, nil
}

// RevokePoster stops a poster's token (once).
func (db *DB) RevokePoster(ctx context.Context, id int64) error {
	res := db.w.WithContext(ctx).Model(&posterRow{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", db.now())
	return internal("revoke poster", res.Error)
}

type visitRequestRow struct {
	ID            int64 `gorm:"primaryKey"`
	CommunityID   int64
	PosterID      int64
	GateID        int64
	VisitorName   string
	IDType        string
	IDEnc         []byte
	IDHash        string
	IDMasked      string
	Phone         string
	PhoneHash     string
	Plate         string
	Building      string
	Unit          string
	Room          string
	Purpose       string
	ConsentID     bool `gorm:"column:consent_id"`
	NoticeVersion string
	ConsentAt     int64
	Status        string
	StatusHash    string
	ClientIP      string `gorm:"column:client_ip"`
	Watchlisted   bool
	ExpiresAt     int64
	DecidedAt     *int64
	DecidedBy     int64
	DenyReason    string
	PassID        int64
	ErasedAt      *int64
	CreatedAt     int64 `gorm:"autoCreateTime:false"`
}

func (visitRequestRow) TableName() string { return "visit_requests" }

// visitChangeRow is one change of a visit request, for other processes'
// live streams.
type visitChangeRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	RequestID   int64
	Status      string
	Alert       bool
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
}

func (visitChangeRow) TableName() string { return "visit_request_changes" }

// visitLockRow is locked by each registration that counts its bucket.
type visitLockRow struct {
	Bucket string `gorm:"primaryKey"`
	At     int64
}

func (visitLockRow) TableName() string { return "visit_limit_locks" }

// recordVisitChange writes a change of a request and returns its id.
func recordVisitChange(tx *gorm.DB, r *visitRequestRow, status string, alert bool, now int64) (int64, error) {
	c := visitChangeRow{CommunityID: r.CommunityID, RequestID: r.ID, Status: status, Alert: alert, CreatedAt: now}
	err := tx.Create(&c).Error
	return c.ID, err
}

// lockVisitBuckets locks the rows of the limits r counts in (its phone, its
// dwelling, its address), in one order so that two registrations never
// deadlock: parallel registrations through other posters, or on other
// processes, then count one after another.
func lockVisitBuckets(tx *gorm.DB, r *gatehouse.VisitRequest, now int64) error {
	h := r.Household
	dwelling := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s\x00%s", h.CommunityID, h.Building, h.Unit, h.Room)))
	buckets := []string{"phone:" + r.PhoneHash, "dwelling:" + hex.EncodeToString(dwelling[:]), "address:" + r.ClientIP}
	slices.Sort(buckets)
	for _, b := range buckets {
		lock := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "bucket"}}, DoUpdates: clause.AssignmentColumns([]string{"at"})})
		if err := lock.Create(&visitLockRow{Bucket: b, At: now}).Error; err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) visitDomain(r *visitRequestRow) *gatehouse.VisitRequest {
	v := &gatehouse.VisitRequest{ID: r.ID, CommunityID: r.CommunityID, PosterID: r.PosterID, GateID: r.GateID,
		Visitor: gatehouse.Visitor{Name: r.VisitorName, IDType: gatehouse.IDType(r.IDType), IDNumber: gatehouse.StoredIDNumber("", r.IDMasked),
			IDHash: r.IDHash, Phone: r.Phone, Plate: r.Plate},
		PhoneHash: r.PhoneHash, Household: gatehouse.Household{CommunityID: r.CommunityID, Building: r.Building, Unit: r.Unit, Room: r.Room},
		Purpose: r.Purpose, Consent: gatehouse.Consent{IDNumber: r.ConsentID, NoticeVersion: r.NoticeVersion, At: fromMicros(r.ConsentAt)},
		Status: r.Status, StatusHash: r.StatusHash, ClientIP: r.ClientIP, Watchlisted: r.Watchlisted, ExpiresAt: fromMicros(r.ExpiresAt),
		DecidedAt: fromMicrosPtr(r.DecidedAt), DecidedBy: r.DecidedBy, DenyReason: r.DenyReason, PassID: r.PassID,
		ErasedAt: fromMicrosPtr(r.ErasedAt), CreatedAt: fromMicros(r.CreatedAt)}
	if r.IDEnc != nil {
		if n, err := db.keys.OpenID(r.IDEnc); err == nil {
			v.Visitor.IDNumber = gatehouse.StoredIDNumber(n, r.IDMasked)
		}
	}
	return v
}

// countSince counts a query's rows and gives when the oldest of them stops
// counting (its column plus d).
func countSince(q *gorm.DB, col string, d time.Duration) (int64, time.Time, error) {
	var res struct {
		N      int64
		Oldest *int64
	}
	if err := q.Select("COUNT(*) AS n, MIN(" + col + ") AS oldest").Scan(&res).Error; err != nil {
		return 0, time.Time{}, err
	}
	if res.Oldest == nil {
		return res.N, time.Time{}, nil
	}
	return res.N, fromMicros(*res.Oldest).Add(d), nil
}

// visitCounts counts what the limits of r look at, as of now.
func visitCounts(tx *gorm.DB, r *gatehouse.VisitRequest, now int64) (gatehouse.VisitCounts, error) {
	var c gatehouse.VisitCounts
	hourAgo := now - time.Hour.Microseconds()
	m := func() *gorm.DB { return tx.Model(&visitRequestRow{}) }
	pending := func() *gorm.DB { return m().Where("status = ? AND expires_at > ?", gatehouse.VisitPending, now) }
	var err error
	if c.PosterHour, c.PosterFree, err = countSince(m().Where("poster_id = ? AND created_at > ?", r.PosterID, hourAgo), "created_at", time.Hour); err != nil {
		return c, err
	}
	if c.AddressHour, c.AddressFree, err = countSince(m().Where("client_ip = ? AND created_at > ?", r.ClientIP, hourAgo), "created_at", time.Hour); err != nil {
		return c, err
	}
	if c.PhonePending, c.PhoneFree, err = countSince(pending().Where("phone_hash = ?", r.PhoneHash), "expires_at", 0); err != nil {
		return c, err
	}
	h := r.Household
	c.HouseholdPending, c.HouseholdFree, err = countSince(pending().Where("community_id = ? AND building = ? AND unit = ? AND room = ?",
		h.CommunityID, h.Building, h.Unit, h.Room), "expires_at", 0)
	return c, err
}

// onWatchlist reports whether a self-registered number may be a listed
// person's: the same number, or one showing a listed number's masked form.
// The registrant typed the number and the household, guards and webhooks
// see the mark, so an exact match alone would tell anyone with a poster
// which of a masked number's candidates is listed; a match of the visible
// digits tells nothing the masked watchlist does not (two real people
// sharing them are rare: that visitor registers at the gate in person).
func onWatchlist(tx *gorm.DB, communityID int64, idHash, masked string) (bool, error) {
	var n int64
	q := tx.Model(&watchlistRow{}).Where("community_id = ?", communityID)
	if masked != "" {
		q = q.Where("(id_hash = ? OR id_masked = ?)", idHash, masked)
	} else {
		q = q.Where("id_hash = ?", idHash)
	}
	err := q.Count(&n).Error
	return n > 0, err
}

// SubmitVisitRequest stores a visitor's request unless check refuses the
// counts of its limits, and returns the id of its change. The poster's row
// and the rows of the request's limit buckets (phone, dwelling, address)
// are locked meanwhile, so parallel submissions, through any poster and on
// any process, are counted one after another. The request's Watchlisted is
// set from the community's watchlist.
func (db *DB) SubmitVisitRequest(ctx context.Context, r *gatehouse.VisitRequest, check func(gatehouse.VisitCounts) error) (int64, error) {
	now := db.now()
	sealed, hash, masked := r.Visitor.IDNumber.Protect(db.keys)
	row := visitRequestRow{CommunityID: r.CommunityID, PosterID: r.PosterID, GateID: r.GateID, VisitorName: r.Visitor.Name,
		IDType: string(r.Visitor.IDType), IDEnc: sealed, IDHash: hash, IDMasked: masked, Phone: r.Visitor.Phone,
		PhoneHash: db.keys.LookupHash("phone:" + r.Visitor.Phone), Plate: r.Visitor.Plate,
		Building: r.Household.Building, Unit: r.Household.Unit, Room: r.Household.Room, Purpose: r.Purpose,
		ConsentID: r.Consent.IDNumber, NoticeVersion: r.Consent.NoticeVersion, ConsentAt: now, Status: gatehouse.VisitPending,
		StatusHash: r.StatusHash, ClientIP: r.ClientIP, ExpiresAt: micros(r.ExpiresAt), CreatedAt: now}
	r.PhoneHash = row.PhoneHash
	var seq int64
	err := db.transact(ctx, func(tx *gorm.DB) error {
		var p posterRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ? AND revoked_at IS NULL", r.PosterID).Take(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return gatehouse.NotFound("registration page")
			}
			return err
		}
		if err := lockVisitBuckets(tx, r, now); err != nil {
			return err
		}
		counts, err := visitCounts(tx, r, now)
		if err != nil {
			return err
		}
		if err := check(counts); err != nil {
			return err
		}
		if row.Watchlisted, err = onWatchlist(tx, r.CommunityID, hash, masked); err != nil {
			return err
		}
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		seq, err = recordVisitChange(tx, &row, gatehouse.VisitPending, row.Watchlisted, now)
		return err
	})
	if err != nil {
		return 0, internal("submit visit request", err)
	}
	*r = *db.visitDomain(&row)
	return seq, nil
}

// VisitRequest returns one request, its ID number whole while it is kept,
// or ENOTFOUND.
func (db *DB) VisitRequest(ctx context.Context, id int64) (*gatehouse.VisitRequest, error) {
	var row visitRequestRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("visit request")
	} else if err != nil {
		return nil, internal("read visit request", err)
	}
	return db.visitDomain(&row), nil
}

// VisitRequests lists requests, newest first.
func (db *DB) VisitRequests(ctx context.Context, f gatehouse.VisitFilter, page gatehouse.Page) ([]*gatehouse.VisitRequest, int64, error) {
	if f.CommunityIDs != nil && len(f.CommunityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&visitRequestRow{})
	if f.CommunityIDs != nil {
		q = q.Where("community_id IN ?", f.CommunityIDs)
	}
	if h := f.Household; h != nil {
		q = q.Where("community_id = ? AND building = ? AND unit = ? AND room = ?", h.CommunityID, h.Building, h.Unit, h.Room)
	}
	if f.GateID != 0 {
		q = q.Where("gate_id IN ?", []int64{0, f.GateID})
	}
	now := micros(f.Now)
	switch f.Status {
	case "":
	case gatehouse.VisitPending:
		q = q.Where("status = ? AND expires_at > ?", gatehouse.VisitPending, now)
	case gatehouse.VisitExpired:
		q = q.Where("status = ? OR (status = ? AND expires_at <= ?)", gatehouse.VisitExpired, gatehouse.VisitPending, now)
	default:
		q = q.Where("status = ?", f.Status)
	}
	if page.After > 0 {
		q = q.Where("id < ?", page.After)
	}
	limit := pageLimit(page)
	var rows []visitRequestRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list visit requests", err)
	}
	out := make([]*gatehouse.VisitRequest, len(rows))
	for i := range rows {
		out[i] = db.visitDomain(&rows[i])
	}
	out, next := cut(out, limit, func(v *gatehouse.VisitRequest) int64 { return v.ID })
	return out, next, nil
}

// pendingForUpdate locks a request that must still be pending.
func pendingForUpdate(tx *gorm.DB, id, now int64) (*visitRequestRow, error) {
	var row visitRequestRow
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&row, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, gatehouse.NotFound("visit request")
		}
		return nil, err
	}
	status := row.Status
	if status == gatehouse.VisitPending && row.ExpiresAt <= now {
		status = gatehouse.VisitExpired
	}
	if status != gatehouse.VisitPending {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this visit request is %s, no longer pending", status)
	}
	return &row, nil
}

// ErrWatchlisted refuses the approval of a watchlisted visitor.
var ErrWatchlisted = &gatehouse.Error{Code: gatehouse.ECONFLICT,
	Message: "this visitor is on the community's watchlist: the request cannot be approved; the guards have been alerted",
	Fields:  map[string]string{"reason": "watchlisted"}}

// ApproveVisitRequest issues p (a validated pass of kind self for the
// request's visitor, with its key assigned) and marks the request approved,
// in one transaction: of two approvers, one wins and the other is told the
// request is no longer pending. A visitor on the community's watchlist (now)
// is refused with ErrWatchlisted (and the refusal recorded as an alert). The
// request's sealed ID number is dropped: the pass's visitor holds it from
// now on. It returns the id of the change (the approval, or the alert).
func (db *DB) ApproveVisitRequest(ctx context.Context, id, by int64, p *gatehouse.Pass) (int64, error) {
	now := db.now()
	var row passRow
	var seq int64
	err := db.transact(ctx, func(tx *gorm.DB) error {
		req, err := pendingForUpdate(tx, id, now)
		if err != nil {
			return err
		}
		if listed, err := onWatchlist(tx, req.CommunityID, req.IDHash, req.IDMasked); err != nil {
			return err
		} else if listed {
			return ErrWatchlisted
		}
		if err := db.upsertVisitor(tx, p.Visitor, now); err != nil {
			return err
		}
		row = newPassRow(p, now)
		row.VisitorID = p.Visitor.ID
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Model(&visitRequestRow{}).Where("id = ?", id).Updates(map[string]any{"status": gatehouse.VisitApproved,
			"decided_at": now, "decided_by": by, "pass_id": row.ID, "id_enc": nil}).Error; err != nil {
			return err
		}
		seq, err = recordVisitChange(tx, req, gatehouse.VisitApproved, false, now)
		return err
	})
	if errors.Is(err, ErrWatchlisted) {
		// The transaction rolled back; the flag and the alert are kept all the same.
		err := db.transact(ctx, func(tx *gorm.DB) error {
			var req visitRequestRow
			if err := tx.Take(&req, id).Error; err != nil {
				return err
			}
			if err := tx.Model(&visitRequestRow{}).Where("id = ?", id).Update("watchlisted", true).Error; err != nil {
				return err
			}
			var err error
			seq, err = recordVisitChange(tx, &req, gatehouse.VisitPending, true, now)
			return err
		})
		if err != nil {
			return 0, internal("flag a watchlisted visit request", err)
		}
		return seq, ErrWatchlisted
	}
	if err != nil {
		return 0, internal("approve visit request", err)
	}
	p.ID, p.VisitorID, p.CreatedAt, p.UpdatedAt = row.ID, row.VisitorID, fromMicros(now), fromMicros(now)
	return seq, nil
}

// DenyVisitRequest marks a pending request denied and returns the id of
// the change.
func (db *DB) DenyVisitRequest(ctx context.Context, id, by int64, reason string) (int64, error) {
	now := db.now()
	var seq int64
	err := db.transact(ctx, func(tx *gorm.DB) error {
		req, err := pendingForUpdate(tx, id, now)
		if err != nil {
			return err
		}
		if err := tx.Model(&visitRequestRow{}).Where("id = ?", id).Updates(map[string]any{"status": gatehouse.VisitDenied,
			"decided_at": now, "decided_by": by, "deny_reason": reason}).Error; err != nil {
			return err
		}
		seq, err = recordVisitChange(tx, req, gatehouse.VisitDenied, false, now)
		return err
	})
	if err != nil {
		return 0, internal("deny visit request", err)
	}
	return seq, nil
}

// SweepVisitRequests marks pending requests past their expiry expired (and
// returns those changes, for the live streams), erases the personal fields
// of requests decided or expired before eraseBefore (only the keyed hashes
// of the ID number and phone stay, for the limits; an approved request's
// visitor lives on in its pass, under the retention of passes), and prunes
// changes and limit locks older than a day.
func (db *DB) SweepVisitRequests(ctx context.Context, eraseBefore time.Time) ([]*gatehouse.VisitEvent, int64, error) {
	now := db.now()
	var rows []visitRequestRow
	if err := db.r.WithContext(ctx).Where("status = ? AND expires_at <= ?", gatehouse.VisitPending, now).Limit(eraseBatch).Find(&rows).Error; err != nil {
		return nil, 0, internal("find expired visit requests", err)
	}
	var expired []*gatehouse.VisitEvent
	for i := range rows {
		var seq int64
		err := db.transact(ctx, func(tx *gorm.DB) error {
			seq = 0
			res := tx.Model(&visitRequestRow{}).Where("id = ? AND status = ?", rows[i].ID, gatehouse.VisitPending).
				Updates(map[string]any{"status": gatehouse.VisitExpired, "decided_at": rows[i].ExpiresAt})
			if res.Error != nil || res.RowsAffected != 1 {
				return res.Error // another process expired it, or it was decided meanwhile
			}
			var err error
			seq, err = recordVisitChange(tx, &rows[i], gatehouse.VisitExpired, false, now)
			return err
		})
		if err != nil {
			return nil, 0, internal("expire visit requests", err)
		}
		if seq != 0 {
			rows[i].Status = gatehouse.VisitExpired
			expired = append(expired, &gatehouse.VisitEvent{Seq: seq, Request: db.visitDomain(&rows[i])})
		}
	}
	dayAgo := now - (24 * time.Hour).Microseconds()
	if err := db.w.WithContext(ctx).Where("created_at < ?", dayAgo).Delete(&visitChangeRow{}).Error; err != nil {
		return expired, 0, internal("prune visit request changes", err)
	}
	if err := db.w.WithContext(ctx).Where("at < ?", dayAgo).Delete(&visitLockRow{}).Error; err != nil {
		return expired, 0, internal("prune visit limit locks", err)
	}
	cut := micros(eraseBefore)
	res := db.w.WithContext(ctx).Model(&visitRequestRow{}).
		Where("status IN ? AND erased_at IS NULL AND COALESCE(decided_at, expires_at) < ?", []string{gatehouse.VisitDenied, gatehouse.VisitExpired, gatehouse.VisitApproved}, cut).
		Updates(map[string]any{"id_enc": nil, "id_masked": "", "visitor_name": "", "phone": "", "plate": "", "purpose": "",
			"deny_reason": "", "client_ip": "", "erased_at": now})
	if res.Error != nil {
		return expired, 0, internal("erase visit requests", res.Error)
	}
	return expired, res.RowsAffected, nil
}

// MaxVisitChangeID is the id of the newest change of any visit request (0
// when none): where a process's live streams start.
func (db *DB) MaxVisitChangeID(ctx context.Context) (int64, error) {
	var max *int64
	if err := db.r.WithContext(ctx).Model(&visitChangeRow{}).Select("MAX(id)").Scan(&max).Error; err != nil {
		return 0, internal("read visit request changes", err)
	}
	if max == nil {
		return 0, nil
	}
	return *max, nil
}

// VisitChangesAfter lists the changes of visit requests of communities
// after a change id, oldest first, leaving out those seen says were
// delivered already; each comes with its request as it is now and the
// status that change made. It also returns the newest change id read.
func (db *DB) VisitChangesAfter(ctx context.Context, communityIDs []int64, afterID int64, limit int,
	seen func(seq int64) bool) ([]*gatehouse.VisitEvent, int64, error) {
	if len(communityIDs) == 0 {
		return nil, afterID, nil
	}
	var all []visitChangeRow
	if err := db.r.WithContext(ctx).Where("id > ? AND community_id IN ?", afterID, communityIDs).Order("id").Limit(limit).Find(&all).Error; err != nil {
		return nil, afterID, internal("list visit request changes", err)
	}
	newest := afterID
	var changes []visitChangeRow
	ids := make([]int64, 0, len(all))
	for _, c := range all {
		newest = max(newest, c.ID)
		if !seen(c.ID) {
			changes = append(changes, c)
			ids = append(ids, c.RequestID)
		}
	}
	if len(changes) == 0 {
		return nil, newest, nil
	}
	var rows []visitRequestRow
	if err := db.r.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, afterID, internal("read visit requests", err)
	}
	byID := make(map[int64]*visitRequestRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	out := make([]*gatehouse.VisitEvent, 0, len(changes))
	for _, c := range changes {
		row, ok := byID[c.RequestID]
		if !ok {
			continue
		}
		r := db.visitDomain(row)
		r.Status = c.Status
		out = append(out, &gatehouse.VisitEvent{Seq: c.ID, Request: r, Alert: c.Alert})
	}
	return out, newest, nil
}
