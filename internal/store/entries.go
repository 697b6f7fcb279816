package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

type chainHeadRow struct {
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
	Seq         int64
	Hash        string
	Epoch       int64 // moves when the community's settings, gates or watchlist change
}

func (chainHeadRow) TableName() string { return "chain_heads" }

type entryRow struct {
	ID             int64 `gorm:"primaryKey"`
	CommunityID    int64
	Seq            int64
	GateID         int64
	PassID         int64
	ResidentID     int64
	VisitorID      int64
	HostResidentID int64
	Direction      string
	Decision       string
	Reason         string
	ServerDecision string
	Method         string
	GuardID        int64
	EventID        *string
	OccurredAt     int64
	RecordedAt     int64
	PersonName     string
	IDHash         string `gorm:"column:id_hash"`
	Plate          string
	Note           string
	ErasedAt       *int64
	PersonalDigest string
	PrevHash       string
	Hash           string
}

func (entryRow) TableName() string { return "entries" }

func (r *entryRow) domain() *gatehouse.Entry {
	e := &gatehouse.Entry{
		ID: r.ID, CommunityID: r.CommunityID, Seq: r.Seq, GateID: r.GateID, PassID: r.PassID, ResidentID: r.ResidentID,
		VisitorID: r.VisitorID, HostResidentID: r.HostResidentID, Direction: gatehouse.Direction(r.Direction),
		Decision: gatehouse.Decision(r.Decision), Reason: gatehouse.Reason(r.Reason), ServerDecision: gatehouse.Decision(r.ServerDecision),
		Method: gatehouse.Method(r.Method), GuardID: r.GuardID, OccurredAt: fromMicros(r.OccurredAt), RecordedAt: fromMicros(r.RecordedAt),
		PersonName: r.PersonName, IDHash: r.IDHash, Plate: r.Plate, Note: r.Note, ErasedAt: fromMicrosPtr(r.ErasedAt),
		PersonalDigest: r.PersonalDigest, PrevHash: r.PrevHash, Hash: r.Hash,
	}
	if r.EventID != nil {
		e.EventID = *r.EventID
	}
	return e
}

type presenceRow struct {
	CommunityID int64  `gorm:"primaryKey;autoIncrement:false"`
	Subject     string `gorm:"primaryKey"`
	Inside      bool
	PassID      int64
	EntryID     int64
	Since       int64
}

func (presenceRow) TableName() string { return "presence" }

type watchlistRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	IDHash      string `gorm:"column:id_hash"`
	IDMasked    string
	Name        string
	Reason      string
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
}

func (watchlistRow) TableName() string { return "watchlist" }

// Entries lists entries, newest first.
func (db *DB) Entries(ctx context.Context, f gatehouse.EntryFilter, page gatehouse.Page) ([]*gatehouse.Entry, int64, error) {
	if f.CommunityIDs != nil && len(f.CommunityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.entryQuery(ctx, f)
	if page.After > 0 {
		q = q.Where("id < ?", page.After)
	}
	limit := pageLimit(page)
	var rows []entryRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list entries", err)
	}
	out := make([]*gatehouse.Entry, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	out, next := cut(out, limit, func(e *gatehouse.Entry) int64 { return e.ID })
	return out, next, nil
}

// entryQuery applies a filter to the entries table.
func (db *DB) entryQuery(ctx context.Context, f gatehouse.EntryFilter) *gorm.DB {
	q := db.r.WithContext(ctx).Model(&entryRow{})
	if f.CommunityIDs != nil {
		if len(f.CommunityIDs) == 0 {
			return q.Where("1 = 0")
		}
		q = q.Where("community_id IN ?", f.CommunityIDs)
	}
	if !f.From.IsZero() {
		q = q.Where("occurred_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("occurred_at < ?", micros(f.To))
	}
	if f.IDNumber.Known() {
		q = q.Where("id_hash = ?", f.IDNumber.Hash(db.keys))
	}
	if f.Name != "" {
		q = q.Where("person_name LIKE ? ESCAPE '!'", "%"+escapeLike(strings.TrimSpace(f.Name))+"%")
	}
	if f.Plate != "" {
		q = q.Where("plate = ?", gatehouse.NormalizePlate(f.Plate))
	}
	if f.GateID != 0 {
		q = q.Where("gate_id = ?", f.GateID)
	}
	if f.Decision != "" {
		q = q.Where("decision = ?", string(f.Decision))
	}
	if f.PassID != 0 {
		q = q.Where("pass_id = ?", f.PassID)
	}
	if f.MaxID != 0 {
		q = q.Where("id <= ?", f.MaxID)
	}
	if f.Household != nil {
		q = q.Where("(host_resident_id IN (?) OR resident_id IN (?))", householdIDs(db.r, f.Household), householdIDs(db.r, f.Household))
	}
	return q
}

// householdIDs are the household's members whose entries a household view
// shows: each only from when it moved into this dwelling, so nothing of a
// member's life before it came here is seen there (the member's included).
func householdIDs(g *gorm.DB, h *gatehouse.Household) *gorm.DB {
	return g.Model(&residentRow{}).Select("id").
		Where("community_id = ? AND building = ? AND unit = ? AND room = ?", h.CommunityID, h.Building, h.Unit, h.Room).
		Where("COALESCE(residents.moved_in_at, residents.created_at) <= entries.occurred_at")
}

// VerifyChains walks the chains of the given communities (nil: all) and
// reports the first entry at which one breaks: a changed field, a missing,
// extra or reordered entry, or a head that does not match the last entry.
func (db *DB) VerifyChains(ctx context.Context, communityIDs []int64) (*gatehouse.ChainReport, error) {
	// Every community is walked, with or without a head row: a deleted head
	// is a break, not a chain that is skipped.
	var ids []int64
	q := db.r.WithContext(ctx).Model(&communityRow{}).Order("id")
	if communityIDs != nil {
		q = q.Where("id IN ?", communityIDs)
	}
	if err := q.Pluck("id", &ids).Error; err != nil {
		return nil, internal("read communities", err)
	}
	rep := &gatehouse.ChainReport{OK: true}
	for _, id := range ids {
		brk, n, err := db.verifyChain(ctx, id)
		rep.Checked += n
		if err != nil {
			return nil, err
		}
		if brk != nil {
			rep.OK, rep.FirstBroken = false, brk
			return rep, nil
		}
	}
	return rep, nil
}

// verifyChain checks one community's chain inside one read transaction, so
// that the head and the entries are one consistent snapshot while scans go on.
func (db *DB) verifyChain(ctx context.Context, communityID int64) (brk *gatehouse.ChainBreak, checked int64, err error) {
	err = db.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var head chainHeadRow
		if err := tx.Where("community_id = ?", communityID).Take(&head).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			brk = &gatehouse.ChainBreak{CommunityID: communityID, Problem: "the chain head row of this community is missing"}
			return nil
		} else if err != nil {
			return err
		}
		const batch = 2000
		prev := gatehouse.GenesisHash(communityID)
		var seq int64
		for brk == nil {
			var rows []entryRow
			if err := tx.Where("community_id = ? AND seq > ?", communityID, seq).Order("seq").Limit(batch).Find(&rows).Error; err != nil {
				return err
			}
			for i := range rows {
				e := rows[i].domain()
				broken := func(problem string) *gatehouse.ChainBreak {
					return &gatehouse.ChainBreak{CommunityID: communityID, EntryID: e.ID, Seq: e.Seq, Problem: problem}
				}
				checked++
				switch {
				case e.Seq > head.Seq:
					brk = broken(fmt.Sprintf("this entry is not in the chain, whose head is entry %d", head.Seq))
				case e.Seq != seq+1:
					brk = broken(fmt.Sprintf("entry %d is missing before this one", seq+1))
				case e.PrevHash != prev:
					brk = broken("its link to the previous entry is broken (an entry before it was changed, removed or moved)")
				case e.ErasedAt == nil && e.ComputePersonalDigest() != e.PersonalDigest:
					brk = broken("its personal fields were changed")
				case e.ErasedAt != nil && (e.PersonName != "" || e.IDHash != "" || e.Plate != "" || e.Note != ""):
					brk = broken("it is marked erased but holds personal fields (they were written after the erasure)")
				case e.ComputeHash() != e.Hash:
					brk = broken("its content does not match its hash (the entry was changed)")
				}
				if brk != nil {
					return nil
				}
				prev, seq = e.Hash, e.Seq
			}
			if len(rows) < batch {
				break
			}
		}
		switch {
		case seq < head.Seq:
			brk = &gatehouse.ChainBreak{CommunityID: communityID, Seq: seq + 1,
				Problem: fmt.Sprintf("the chain ends at entry %d but its head records %d: the last entries were removed", seq, head.Seq)}
		case seq > 0 && prev != head.Hash:
			brk = &gatehouse.ChainBreak{CommunityID: communityID, Seq: seq, Problem: "the last entry does not match the chain head"}
		}
		return nil
	}, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, checked, internal("verify chain", err)
	}
	return brk, checked, nil
}

// ChainHead returns a community's last sequence number and hash, which an
// export records so that it can be checked against the log later.
func (db *DB) ChainHead(ctx context.Context, communityID int64) (int64, string, error) {
	var h chainHeadRow
	err := db.r.WithContext(ctx).Where("community_id = ?", communityID).Take(&h).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, "", gatehouse.NotFound("community")
	}
	return h.Seq, h.Hash, internal("read chain head", err)
}

// EntriesAfter returns entries of communities with ids above afterID, in id
// order (for the live event poller).
func (db *DB) EntriesAfter(ctx context.Context, communityIDs []int64, afterID int64, limit int) ([]*gatehouse.Entry, error) {
	var rows []entryRow
	err := db.r.WithContext(ctx).Where("community_id IN ? AND id > ?", communityIDs, afterID).Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, internal("read new entries", err)
	}
	out := make([]*gatehouse.Entry, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// MaxEntryID is the newest entry id, 0 on an empty log.
func (db *DB) MaxEntryID(ctx context.Context) (int64, error) {
	var id *int64
	if err := db.r.WithContext(ctx).Model(&entryRow{}).Select("MAX(id)").Scan(&id).Error; err != nil {
		return 0, internal("read entry ids", err)
	}
	if id == nil {
		return 0, nil
	}
	return *id, nil
}

// CountEntries counts the entries a filter matches.
func (db *DB) CountEntries(ctx context.Context, f gatehouse.EntryFilter) (int64, error) {
	var n int64
	err := db.entryQuery(ctx, f).Count(&n).Error
	return n, internal("count entries", err)
}
