package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/internal/gatehouse"
)

type auditRow struct {
	ID          int64 `gorm:"primaryKey"`
	Seq         int64
	ActorID     int64
	ActorName   string
	ActorRole   string
	Action      string
	CommunityID int64
	CaseRef     string
	Target      string
	Detail      string
	At          int64
	PrevHash    string
	Hash        string
}

func (auditRow) TableName() string { return "audit_events" }

type auditHeadRow struct {
	ID   int `gorm:"primaryKey;autoIncrement:false"`
	Seq  int64
	Hash string
}

func (auditHeadRow) TableName() string { return "audit_head" }

func (r *auditRow) domain() *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{ID: r.ID, Seq: r.Seq, ActorID: r.ActorID, ActorName: r.ActorName, ActorRole: gatehouse.Role(r.ActorRole),
		Action: r.Action, CommunityID: r.CommunityID, CaseRef: r.CaseRef, Target: r.Target, Detail: r.Detail, At: fromMicros(r.At),
		PrevHash: r.PrevHash, Hash: r.Hash}
}

// appendAudit adds an event to the audit chain inside tx.
func (db *DB) appendAudit(tx *gorm.DB, a *gatehouse.AuditEvent) error {
	var head auditHeadRow
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = 1").Take(&head).Error; err != nil {
		return err
	}
	a.Seq, a.PrevHash = head.Seq+1, head.Hash
	if a.PrevHash == "" {
		a.PrevHash = gatehouse.AuditGenesis()
	}
	a.At = fromMicros(db.now())
	a.Detail = truncate(a.Detail, 2000)
	a.Target = truncate(a.Target, 200)
	a.Hash = a.ComputeHash()
	row := auditRow{Seq: a.Seq, ActorID: a.ActorID, ActorName: a.ActorName, ActorRole: string(a.ActorRole), Action: a.Action,
		CommunityID: a.CommunityID, CaseRef: a.CaseRef, Target: a.Target, Detail: a.Detail, At: micros(a.At), PrevHash: a.PrevHash, Hash: a.Hash}
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	a.ID = row.ID
	return tx.Model(&auditHeadRow{}).Where("id = 1").Updates(map[string]any{"seq": a.Seq, "hash": a.Hash}).Error
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Audit records who read or exported what. Callers must not show the data
// if it fails.
func (db *DB) Audit(ctx context.Context, a *gatehouse.AuditEvent) error {
	return internal("audit", db.transact(ctx, func(tx *gorm.DB) error { return db.appendAudit(tx, a) }))
}

// auditQuery selects the audit events f names.
func (db *DB) auditQuery(ctx context.Context, f gatehouse.AuditFilter) *gorm.DB {
	q := db.r.WithContext(ctx).Model(&auditRow{})
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.CommunityID != 0 {
		q = q.Where("community_id = ?", f.CommunityID)
	}
	if f.CaseRef != "" {
		q = q.Where("case_ref = ?", f.CaseRef)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", micros(f.To))
	}
	return q
}

// CountAudit counts the audit events f names.
func (db *DB) CountAudit(ctx context.Context, f gatehouse.AuditFilter) (int64, error) {
	var n int64
	if err := db.auditQuery(ctx, f).Count(&n).Error; err != nil {
		return 0, internal("count audit", err)
	}
	return n, nil
}

// AuditEvents lists audit events, newest first.
func (db *DB) AuditEvents(ctx context.Context, f gatehouse.AuditFilter, page gatehouse.Page) ([]*gatehouse.AuditEvent, int64, error) {
	q := db.auditQuery(ctx, f)
	if page.After > 0 {
		q = q.Where("id < ?", page.After)
	}
	limit := pageLimit(page)
	var rows []auditRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list audit", err)
	}
	out := make([]*gatehouse.AuditEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	out, next := cut(out, limit, func(a *gatehouse.AuditEvent) int64 { return a.ID })
	return out, next, nil
}

// VerifyAudit walks the audit chain and reports its first broken event.
func (db *DB) VerifyAudit(ctx context.Context) (*gatehouse.ChainReport, error) {
	rep := &gatehouse.ChainReport{OK: true}
	err := db.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var head auditHeadRow
		if err := tx.Where("id = 1").Take(&head).Error; err != nil {
			return err
		}
		prev, seq := gatehouse.AuditGenesis(), int64(0)
		for {
			var rows []auditRow
			if err := tx.Where("seq > ?", seq).Order("seq").Limit(2000).Find(&rows).Error; err != nil {
				return err
			}
			for i := range rows {
				a := rows[i].domain()
				rep.Checked++
				problem := ""
				switch {
				case a.Seq > head.Seq:
					problem = "this event is not in the chain"
				case a.Seq != seq+1:
					problem = fmt.Sprintf("event %d is missing before this one", seq+1)
				case a.PrevHash != prev:
					problem = "its link to the previous event is broken"
				case a.ComputeHash() != a.Hash:
					problem = "its content does not match its hash"
				}
				if problem != "" {
					rep.OK, rep.FirstBroken = false, &gatehouse.ChainBreak{EntryID: a.ID, Seq: a.Seq, Problem: problem}
					return nil
				}
				prev, seq = a.Hash, a.Seq
			}
			if len(rows) < 2000 {
				break
			}
		}
		if seq < head.Seq || (seq > 0 && prev != head.Hash) {
			rep.OK, rep.FirstBroken = false, &gatehouse.ChainBreak{Seq: seq + 1, Problem: "the last audit events were removed"}
		}
		return nil
	})
	if err != nil {
		return nil, internal("verify audit", err)
	}
	return rep, nil
}

type policeQueryRow struct {
	ID           int64 `gorm:"primaryKey"`
	UserID       int64
	CaseRef      string
	Purpose      string
	CommunityIDs string `gorm:"column:community_ids"`
	PeriodFrom   int64
	PeriodTo     int64
	CriteriaEnc  []byte
	MaxEntryID   int64
	ResultCount  int
	CreatedAt    int64 `gorm:"autoCreateTime:false"`
}

func (policeQueryRow) TableName() string { return "police_queries" }

type policeCriteria struct {
	IDNumber string `json:"id_number,omitempty"` // written before IDSealed: read still
	IDSealed []byte `json:"id_sealed,omitempty"`
	IDMasked string `json:"id_masked,omitempty"`
	Name     string `json:"name,omitempty"`
	Plate    string `json:"plate,omitempty"`
}

const purposePoliceCriteria = "gatehouse/police-criteria/v1"

// CreatePoliceQuery stores a police query and its audit event in one
// transaction: a query that is not on record did not happen.
func (db *DB) CreatePoliceQuery(ctx context.Context, q *gatehouse.PoliceQuery, a *gatehouse.AuditEvent) error {
	c := policeCriteria{Name: q.Name, Plate: q.Plate}
	if q.IDNumber.Known() {
		c.IDSealed, _, c.IDMasked = q.IDNumber.Protect(db.keys)
	}
	crit, _ := json.Marshal(c)
	now := db.now()
	row := policeQueryRow{UserID: q.UserID, CaseRef: q.CaseRef, Purpose: q.Purpose, CommunityIDs: formatIDs(q.CommunityIDs),
		PeriodFrom: micros(q.From), PeriodTo: micros(q.To), CriteriaEnc: db.keys.Seal(purposePoliceCriteria, crit),
		MaxEntryID: q.MaxEntryID, ResultCount: q.ResultCount, CreatedAt: now}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		a.Target = fmt.Sprintf("police_query:%d", row.ID)
		return db.appendAudit(tx, a)
	})
	if err != nil {
		return internal("create police query", err)
	}
	q.ID, q.CreatedAt = row.ID, fromMicros(now)
	return nil
}

// PoliceQuery returns one police query, or ENOTFOUND.
func (db *DB) PoliceQuery(ctx context.Context, id int64) (*gatehouse.PoliceQuery, error) {
	var row policeQueryRow
	err := db.r.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("police query")
	} else if err != nil {
		return nil, internal("read police query", err)
	}
	return db.policeQueryDomain(&row)
}

func (db *DB) policeQueryDomain(row *policeQueryRow) (*gatehouse.PoliceQuery, error) {
	plain, err := db.keys.Open(purposePoliceCriteria, row.CriteriaEnc)
	if err != nil {
		return nil, fmt.Errorf("store: police query %d: cannot unseal its criteria: %w", row.ID, err)
	}
	var c policeCriteria
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, err
	}
	id := gatehouse.StoredIDNumber(c.IDNumber, "")
	if c.IDSealed != nil {
		n, err := db.keys.OpenID(c.IDSealed)
		if err != nil {
			return nil, fmt.Errorf("store: police query %d: cannot unseal its ID number: %w", row.ID, err)
		}
		id = gatehouse.StoredIDNumber(n, c.IDMasked)
	}
	return &gatehouse.PoliceQuery{ID: row.ID, UserID: row.UserID, CaseRef: row.CaseRef, Purpose: row.Purpose,
		CommunityIDs: parseIDs(row.CommunityIDs), From: fromMicros(row.PeriodFrom), To: fromMicros(row.PeriodTo),
		IDNumber: id, Name: c.Name, Plate: c.Plate, MaxEntryID: row.MaxEntryID, ResultCount: row.ResultCount,
		CreatedAt: fromMicros(row.CreatedAt)}, nil
}

// PoliceQueries lists an officer's queries (all for userID 0), newest first.
func (db *DB) PoliceQueries(ctx context.Context, userID int64, page gatehouse.Page) ([]*gatehouse.PoliceQuery, int64, error) {
	q := db.r.WithContext(ctx).Model(&policeQueryRow{})
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	if page.After > 0 {
		q = q.Where("id < ?", page.After)
	}
	limit := pageLimit(page)
	var rows []policeQueryRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list police queries", err)
	}
	out := make([]*gatehouse.PoliceQuery, 0, len(rows))
	for i := range rows {
		pq, err := db.policeQueryDomain(&rows[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, pq)
	}
	out, next := cut(out, limit, func(q *gatehouse.PoliceQuery) int64 { return q.ID })
	return out, next, nil
}
