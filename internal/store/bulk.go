package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// Bulk writes synthetic data fast for `gatehouse bench-data`: plain
// multi-row INSERTs in large transactions, with ID numbers sealed and
// hashed as the server does. It is not used by the server.
type Bulk struct {
	db  *DB
	sql *sql.DB
}

// Bulk returns the bulk writer. On SQLite it gives the writer connection a
// large page cache and no fsync at commit: synthetic data can be made again,
// a crash mid-load only means loading again. It also checkpoints the WAL
// itself after each large commit (the server's writer leaves that to a
// background checkpointer, which a loader writing without pause outran: the
// WAL of a 10-million-entry load grew until the disk was full).
func (db *DB) Bulk() (*Bulk, error) {
	s, err := db.w.DB()
	if err != nil {
		return nil, err
	}
	if db.dialect == SQLite {
		for _, p := range []string{"PRAGMA cache_size = -524288", "PRAGMA synchronous = OFF",
			"PRAGMA wal_autocheckpoint = 16384", "PRAGMA journal_size_limit = 268435456"} {
			if _, err := s.Exec(p); err != nil {
				return nil, err
			}
		}
	}
	return &Bulk{db: db, sql: s}, nil
}

// insert writes rows of cols into table inside tx, in multi-row INSERTs of
// up to per rows. SQLite's driver prepares each statement anew and binds in
// time quadratic in its parameters, so its statements stay small.
func (b *Bulk) insert(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, per int) error {
	if b.db.dialect == SQLite {
		per = max(1, 400/len(cols))
	}
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ","))
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteString(ph)
			args = append(args, rows[i]...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// perStatement sizes MySQL's multi-row INSERTs (about 10,000 parameters).
func perStatement(cols int) int { return max(1, 10000/cols) }

// Writers is how many transactions may load at once: SQLite has one writer.
func (b *Bulk) Writers() int {
	if b.db.dialect == SQLite {
		return 1
	}
	return 3
}

// Tx runs fn in one transaction. On MySQL the session skips unique and
// foreign-key checks, which the generator's own ids make needless.
func (b *Bulk) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := b.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if b.db.dialect == MySQL {
		if _, err := tx.ExecContext(ctx, "SET SESSION unique_checks = 0, foreign_key_checks = 0"); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// createdAt is a row's given creation time, or now when none is given.
func (b *Bulk) createdAt(t time.Time) int64 {
	if t.IsZero() {
		return b.db.now()
	}
	return micros(t)
}

// Community inserts a community (with its id) and its empty chain head; it
// was created at c.CreatedAt (now if zero: a district's past months count
// only the communities that existed then).
func (b *Bulk) Community(ctx context.Context, tx *sql.Tx, c *gatehouse.Community) error {
	now := b.createdAt(c.CreatedAt)
	if _, err := tx.ExecContext(ctx, "INSERT INTO communities (id, name, address, anti_passback, time_zone, max_pass_days, onsite_threshold_hours, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
		c.ID, c.Name, c.Address, c.AntiPassback, c.TimeZone, c.MaxPassDays, c.OnsiteThresholdHours, now, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO chain_heads (community_id, seq, hash) VALUES (?, 0, '')", c.ID)
	return err
}

// Gates inserts gates (with their ids and creation times, now if zero) and
// the given key hashes.
func (b *Bulk) Gates(ctx context.Context, tx *sql.Tx, gs []*gatehouse.Gate, keyHashes []string) error {
	for i, g := range gs {
		now := b.createdAt(g.CreatedAt)
		if _, err := tx.ExecContext(ctx, "INSERT INTO gates (id, community_id, name, key_hash, key_prefix, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
			g.ID, g.CommunityID, g.Name, keyHashes[i], g.KeyPrefix, now, now); err != nil {
			return err
		}
	}
	return nil
}

// Residents inserts residents with their ids and creation times (now if
// zero).
func (b *Bulk) Residents(ctx context.Context, tx *sql.Tx, rs []*gatehouse.Resident) error {
	k := b.db.keys
	rows := make([][]any, len(rs))
	for i, r := range rs {
		sealed, hash, masked := r.IDNumber.Protect(k)
		now := b.createdAt(r.CreatedAt)
		rows[i] = []any{r.ID, r.CommunityID, r.Name, string(r.IDType), sealed, hash, masked,
			r.Phone, r.Building, r.Unit, r.Room, 1, now, now}
	}
	cols := []string{"id", "community_id", "name", "id_type", "id_enc", "id_hash", "id_masked", "phone", "building", "unit", "room", "active", "created_at", "updated_at"}
	return b.insert(ctx, tx, "residents", cols, rows, perStatement(len(cols)))
}

// Visitors inserts visitor identities with their ids, and sets their hashes.
func (b *Bulk) Visitors(ctx context.Context, tx *sql.Tx, vs []*gatehouse.Visitor) error {
	now := b.db.now()
	k := b.db.keys
	rows := make([][]any, len(vs))
	for i, v := range vs {
		sealed, hash, masked := v.IDNumber.Protect(k)
		v.IDHash = hash
		rows[i] = []any{v.ID, string(v.IDType), sealed, hash, masked, now, now}
	}
	cols := []string{"id", "id_type", "id_enc", "id_hash", "id_masked", "created_at", "updated_at"}
	return b.insert(ctx, tx, "visitors", cols, rows, perStatement(len(cols)))
}

// Passes inserts passes with their ids.
func (b *Bulk) Passes(ctx context.Context, tx *sql.Tx, ps []*gatehouse.Pass) error {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.ID, p.CommunityID, p.HostResidentID, p.VisitorID, p.Visitor.Name, p.Visitor.Phone, p.Visitor.Plate, string(p.Kind),
			micros(p.ValidFrom), micros(p.ValidUntil), p.MaxEntries, p.Uses, p.KeyID, p.CreatedBy, micros(p.CreatedAt), micros(p.CreatedAt)}
	}
	cols := []string{"id", "community_id", "host_resident_id", "visitor_id", "visitor_name", "visitor_phone", "visitor_plate", "kind",
		"valid_from", "valid_until", "max_entries", "uses", "key_id", "created_by", "created_at", "updated_at"}
	return b.insert(ctx, tx, "passes", cols, rows, perStatement(len(cols)))
}

// Entries appends entries of one community to its chain, in order: it
// computes their sequence numbers and hashes from the current head.
func (b *Bulk) Entries(ctx context.Context, tx *sql.Tx, communityID int64, es []*gatehouse.Entry) error {
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM chain_heads WHERE community_id = ?", communityID).Scan(&seq, &prev); err != nil {
		return err
	}
	if prev == "" {
		prev = gatehouse.GenesisHash(communityID)
	}
	rows := make([][]any, len(es))
	for i, e := range es {
		seq++
		e.CommunityID, e.Seq, e.PrevHash = communityID, seq, prev
		e.PersonalDigest = e.ComputePersonalDigest()
		e.Hash = e.ComputeHash()
		prev = e.Hash
		rows[i] = []any{communityID, e.Seq, e.GateID, e.PassID, e.ResidentID, e.VisitorID, e.HostResidentID, string(e.Direction), string(e.Decision),
			string(e.Reason), string(e.ServerDecision), string(e.Method), micros(e.OccurredAt), micros(e.RecordedAt), e.PersonName, e.IDHash, e.Plate,
			e.PersonalDigest, e.PrevHash, e.Hash}
	}
	cols := []string{"community_id", "seq", "gate_id", "pass_id", "resident_id", "visitor_id", "host_resident_id", "direction", "decision",
		"reason", "server_decision", "method", "occurred_at", "recorded_at", "person_name", "id_hash", "plate", "personal_digest", "prev_hash", "hash"}
	if err := b.insert(ctx, tx, "entries", cols, rows, min(1000, perStatement(len(cols)))); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE chain_heads SET seq = ?, hash = ? WHERE community_id = ?", seq, prev, communityID)
	return err
}

// Count returns the number of rows of a table (bench-data checks what exists).
func (b *Bulk) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := b.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}

// Companies inserts property companies with their ids.
func (b *Bulk) Companies(ctx context.Context, tx *sql.Tx, cs []*gatehouse.Company) error {
	now := b.db.now()
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.ID, c.Name, c.CreditCode, c.Contact, now, now}
	}
	cols := []string{"id", "name", "credit_code", "contact", "created_at", "updated_at"}
	return b.insert(ctx, tx, "companies", cols, rows, perStatement(len(cols)))
}

// Scheme inserts a version of the assessment scheme (its Version and
// EffectiveFrom as given).
func (b *Bulk) Scheme(ctx context.Context, tx *sql.Tx, s *gatehouse.Scheme) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO supervision_schemes (version, effective_from, body, created_by, created_at) VALUES (?,?,?,?,?)",
		s.Version, s.EffectiveFrom, string(body), s.CreatedBy, b.db.now())
	return err
}

// Assignments inserts which company runs each community from when.
func (b *Bulk) Assignments(ctx context.Context, tx *sql.Tx, as []*gatehouse.Assignment) error {
	now := b.db.now()
	rows := make([][]any, len(as))
	for i, a := range as {
		rows[i] = []any{a.CommunityID, a.CompanyID, a.Street, a.DeclaredDwellings, micros(a.From), a.CreatedBy, now}
	}
	cols := []string{"community_id", "company_id", "street", "declared_dwellings", "from_at", "created_by", "created_at"}
	return b.insert(ctx, tx, "community_assignments", cols, rows, perStatement(len(cols)))
}

// Inspections inserts inspections (without photos).
func (b *Bulk) Inspections(ctx context.Context, tx *sql.Tx, ins []*gatehouse.Inspection) error {
	rows := make([][]any, len(ins))
	for i, in := range ins {
		rows[i] = []any{in.CommunityID, in.Date, in.Month(), in.Inspector, strings.Join(in.ItemsMet, ","), in.Notes, 0,
			in.CreatedBy, string(in.CreatedRole), micros(in.CreatedAt)}
	}
	cols := []string{"community_id", "day", "month", "inspector", "items_met", "notes", "photos", "created_by", "created_role", "created_at"}
	return b.insert(ctx, tx, "inspections", cols, rows, perStatement(len(cols)))
}

// Incidents inserts incidents.
func (b *Bulk) Incidents(ctx context.Context, tx *sql.Tx, ins []*gatehouse.Incident) error {
	rows := make([][]any, len(ins))
	for i, in := range ins {
		rows[i] = []any{in.CommunityID, in.Date, in.Month(), in.Category, in.CaseRef, in.CreatedBy, micros(in.CreatedAt)}
	}
	cols := []string{"community_id", "day", "month", "category", "case_ref", "created_by", "created_at"}
	return b.insert(ctx, tx, "incidents", cols, rows, perStatement(len(cols)))
}

// GateAgent records that a gate has an agent, last seen at seen, and the
// hours (Unix time / 3600) its agent reported in online: what gate
// availability counts.
func (b *Bulk) GateAgent(ctx context.Context, tx *sql.Tx, g *gatehouse.Gate, seen time.Time, hours []int64) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO gate_status (gate_id, community_id, seen_at, interval_ms, version) VALUES (?,?,?,?,?)",
		g.ID, g.CommunityID, micros(seen), 30000, "bench"); err != nil {
		return err
	}
	rows := make([][]any, len(hours))
	for i, h := range hours {
		rows[i] = []any{g.ID, h, g.CommunityID}
	}
	return b.insert(ctx, tx, "gate_hours", []string{"gate_id", "hour", "community_id"}, rows, perStatement(3))
}
