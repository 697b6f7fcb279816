package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/supervision"
)

// The district table reads every community's month at once: one query per
// part for a group of communities (those whose months share their bounds),
// not a query per community, and keeps each settled month once computed.

// idChunk bounds the ids bound in one IN list (well under SQLite's limit
// on bound variables).
const idChunk = 500

func chunks(ids []int64, fn func([]int64) error) error {
	for len(ids) > 0 {
		n := min(len(ids), idChunk)
		if err := fn(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// walkInSpan is how long before a month a walk-in pass used in it may have
// been issued (its validity is hours; a month's margin is plenty).
const walkInSpan = 31 * 24 * time.Hour

// SupervisionFacts gives each community of ids, in id order, what the
// indicators count of its entries in [from, to), oldest first, of a month
// [from, monthEnd) and its follow-up until to: no name, no ID number. A
// community without entries is not given. The pass of an entry is not
// looked up: the walk-in passes of the time are read first (few, through
// passes_kind), every other pass is a registered one. A fact's method is
// only manual, walk-in or none given, its reason watchlisted or none given
// (all the indicators tell apart); the month is read from the community-time
// index alone, which carries every column read.
func (db *DB) SupervisionFacts(ctx context.Context, ids []int64, from, monthEnd, to time.Time, each func(communityID int64, facts []supervision.Fact) error) error {
	return chunks(ids, func(ids []int64) error {
		var walkIns []int64
		err := db.r.WithContext(ctx).Model(&passRow{}).
			Where("kind = ? AND community_id IN ? AND valid_until >= ?", string(gatehouse.PassWalkIn), ids, micros(from.Add(-walkInSpan))).
			Pluck("id", &walkIns).Error
		if err != nil {
			return internal("read walk-in passes", err)
		}
		walkIn := make(map[int64]bool, len(walkIns))
		for _, id := range walkIns {
			walkIn[id] = true
		}
		// Only visitors' entries and guards' actions count (a resident's own
		// code counts for nothing), and after the month only departures and
		// the guards' first actions (the follow-up of its visits and hits).
		rows, err := db.r.WithContext(ctx).Table("entries").
			Select("community_id, visitor_id, guard_id, pass_id, "+factBits+", occurred_at", factBitArgs...).
			Where("community_id IN ? AND occurred_at >= ? AND occurred_at < ?", ids, micros(from), micros(to)).
			Where("visitor_id <> 0 OR guard_id <> 0 OR reason = ?", string(gatehouse.Watchlisted)).
			Where("occurred_at < ? OR (direction = ? AND decision = ? AND visitor_id <> 0) OR (guard_id <> 0 AND occurred_at < ?)",
				micros(monthEnd), string(gatehouse.Out), string(gatehouse.Grant), micros(monthEnd.Add(supervision.WatchlistAnswer))).
			Order("community_id, occurred_at, id").Rows()
		if err != nil {
			return internal("read entries for supervision", err)
		}
		defer rows.Close()
		var (
			cur, com, pass, bits, at int64
			facts                    []supervision.Fact
			f                        supervision.Fact
		)
		flush := func() error {
			if len(facts) == 0 {
				return nil
			}
			err := each(cur, facts)
			facts = nil
			return err
		}
		for rows.Next() {
			if err := rows.Scan(&com, &f.VisitorID, &f.GuardID, &pass, &bits, &at); err != nil {
				return internal("read entries for supervision", err)
			}
			if com != cur {
				if err := flush(); err != nil {
					return err
				}
				cur = com
			}
			switch {
			case pass == 0:
				f.PassKind = ""
			case walkIn[pass]:
				f.PassKind = gatehouse.PassWalkIn
			default:
				f.PassKind = gatehouse.PassGuest
			}
			f.Direction, f.Decision, f.Method, f.Reason = factOf(bits)
			f.At = fromMicros(at)
			facts = append(facts, f)
		}
		if err := rows.Err(); err != nil {
			return internal("read entries for supervision", err)
		}
		return flush()
	})
}

// factBits reads an entry's direction, decision, method and reason as the
// few bits the indicators tell apart, computed by the database: an
// integer column costs a month's million rows far less than four strings.
const factBits = "(direction = ?) + 2 * (decision = ?) + 4 * (method = ?) + 8 * (method = ?) + 16 * (reason = ?)"

var factBitArgs = []any{string(gatehouse.Out), string(gatehouse.Deny), string(gatehouse.MethodManual), string(gatehouse.MethodWalkIn),
	string(gatehouse.Watchlisted)}

// factOf turns factBits back into a fact's values: the method is manual,
// walk-in or none given (any other way of entry), the reason watchlisted
// or none given.
func factOf(bits int64) (gatehouse.Direction, gatehouse.Decision, gatehouse.Method, gatehouse.Reason) {
	dir, dec := gatehouse.In, gatehouse.Grant
	var m gatehouse.Method
	var r gatehouse.Reason
	if bits&1 != 0 {
		dir = gatehouse.Out
	}
	if bits&2 != 0 {
		dec = gatehouse.Deny
	}
	switch {
	case bits&4 != 0:
		m = gatehouse.MethodManual
	case bits&8 != 0:
		m = gatehouse.MethodWalkIn
	}
	if bits&16 != 0 {
		r = gatehouse.Watchlisted
	}
	return dir, dec, m, r
}

// GateHours counts, per community of ids, for its gates that have an agent
// (they sent a heartbeat once) and were not disabled before from, the hours
// of [from, to) each existed and was not disabled, and the hours among them
// its agent reported in while online. A gate disabled later still counts for
// the months it served, so that a past month never changes.
func (db *DB) GateHours(ctx context.Context, ids []int64, from, to time.Time) (map[int64]gatehouse.GateHours, error) {
	out := map[int64]gatehouse.GateHours{}
	if !to.After(from) {
		return out, nil
	}
	err := chunks(ids, func(ids []int64) error {
		var gates []struct {
			ID          int64
			CommunityID int64
			CreatedAt   int64
			DisabledAt  *int64
		}
		err := db.r.WithContext(ctx).Model(&gateRow{}).Select("id, community_id, created_at, disabled_at").
			Where("community_id IN ? AND (disabled_at IS NULL OR disabled_at > ?) AND id IN (?)", ids, micros(from),
				db.r.Model(&gateStatusRow{}).Select("gate_id")).
			Find(&gates).Error
		if err != nil {
			return internal("read gates", err)
		}
		if len(gates) == 0 {
			return nil
		}
		gids := make([]int64, len(gates))
		community := make(map[int64]int64, len(gates))
		for i, g := range gates {
			start := max(from.Unix(), fromMicros(g.CreatedAt).Truncate(time.Hour).Unix())
			end := to.Unix()
			if g.DisabledAt != nil {
				end = min(end, fromMicros(*g.DisabledAt).Unix())
			}
			h := out[g.CommunityID]
			if n := (end - start) / 3600; n > 0 {
				h.Total += n
			}
			out[g.CommunityID] = h
			gids[i], community[g.ID] = g.ID, g.CommunityID
		}
		// By gate alone: the primary key (gate_id, hour) then covers the
		// count, and no row of the table is read.
		rows, err := db.r.WithContext(ctx).Table("gate_hours").Select("gate_id, COUNT(*)").
			Where("gate_id IN ? AND hour >= ? AND hour < ?", gids, from.Unix()/3600, (to.Unix()+3599)/3600).
			Group("gate_id").Rows()
		if err != nil {
			return internal("count gate hours", err)
		}
		defer rows.Close()
		for rows.Next() {
			var gate, n int64
			if err := rows.Scan(&gate, &n); err != nil {
				return internal("count gate hours", err)
			}
			h := out[community[gate]]
			h.Online += n
			out[community[gate]] = h
		}
		return internal("count gate hours", rows.Err())
	})
	for id, h := range out {
		h.Online = min(h.Online, h.Total)
		out[id] = h
	}
	return out, err
}

// recordGateHour notes that a gate's agent reported in, online, this hour
// (once: the hour is the key).
func (db *DB) recordGateHour(tx *gorm.DB, gateID, communityID int64, at time.Time) error {
	verb := "INSERT OR IGNORE"
	if db.dialect == MySQL {
		verb = "INSERT IGNORE"
	}
	return tx.Exec(verb+" INTO gate_hours (gate_id, hour, community_id) VALUES (?, ?, ?)", gateID, at.Unix()/3600, communityID).Error
}

// DwellingsWithResidents counts, per community of ids, the dwellings
// (building, unit, room) where a registered resident lived at moment at.
func (db *DB) DwellingsWithResidents(ctx context.Context, ids []int64, at time.Time) (map[int64]int64, error) {
	out := map[int64]int64{}
	err := chunks(ids, func(ids []int64) error {
		sub := db.r.Model(&residentRow{}).Distinct("community_id", "building", "unit", "room").
			Where("community_id IN ? AND COALESCE(moved_in_at, created_at) < ? AND (moved_out_at IS NULL OR moved_out_at >= ?)",
				ids, micros(at), micros(at))
		rows, err := db.r.WithContext(ctx).Table("(?) AS d", sub).Select("community_id, COUNT(*)").Group("community_id").Rows()
		if err != nil {
			return internal("count dwellings", err)
		}
		defer rows.Close()
		for rows.Next() {
			var com, n int64
			if err := rows.Scan(&com, &n); err != nil {
				return internal("count dwellings", err)
			}
			out[com] = n
		}
		return internal("count dwellings", rows.Err())
	})
	return out, err
}

type supervisionSnapshotRow struct {
	Month        string `gorm:"primaryKey"`
	CommunityID  int64  `gorm:"primaryKey;autoIncrement:false"`
	ComputedFrom int64
	Body         string
}

func (supervisionSnapshotRow) TableName() string { return "supervision_snapshots" }

// SupervisionSnapshots returns the kept computations of a month for the
// communities of ids that nothing has changed since.
func (db *DB) SupervisionSnapshots(ctx context.Context, month string, ids []int64) (map[int64][]byte, error) {
	out := map[int64][]byte{}
	err := chunks(ids, func(ids []int64) error {
		var rows []supervisionSnapshotRow
		err := db.r.WithContext(ctx).Table("supervision_snapshots AS s").Select("s.month, s.community_id, s.computed_from, s.body").
			Joins("LEFT JOIN supervision_changes AS c ON c.community_id = s.community_id").
			Where("s.month = ? AND s.community_id IN ? AND (c.changed_at IS NULL OR c.changed_at < s.computed_from)", month, ids).
			Find(&rows).Error
		if err != nil {
			return internal("read supervision snapshots", err)
		}
		for _, r := range rows {
			out[r.CommunityID] = []byte(r.Body)
		}
		return nil
	})
	return out, err
}

// SaveSupervisionSnapshots keeps computations of a month (community →
// body) made from the data of moment from on: a change to a community at
// or after from makes its snapshot unused.
func (db *DB) SaveSupervisionSnapshots(ctx context.Context, month string, from time.Time, bodies map[int64][]byte) error {
	if len(bodies) == 0 {
		return nil
	}
	rows := make([]supervisionSnapshotRow, 0, len(bodies))
	for id, b := range bodies {
		rows = append(rows, supervisionSnapshotRow{Month: month, CommunityID: id, ComputedFrom: micros(from), Body: string(b)})
	}
	upsert := "INSERT INTO supervision_snapshots (month, community_id, computed_from, body) VALUES (?, ?, ?, ?) " +
		"ON CONFLICT (month, community_id) DO UPDATE SET computed_from = excluded.computed_from, body = excluded.body"
	if db.dialect == MySQL {
		upsert = "INSERT INTO supervision_snapshots (month, community_id, computed_from, body) VALUES (?, ?, ?, ?) " +
			"ON DUPLICATE KEY UPDATE computed_from = VALUES(computed_from), body = VALUES(body)"
	}
	err := db.retry(ctx, func(tx *gorm.DB) error {
		for _, r := range rows {
			if err := tx.Exec(upsert, r.Month, r.CommunityID, r.ComputedFrom, r.Body).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return internal("keep supervision snapshots", err)
}

// supervisionChanged notes that what a community's computed months read
// changed at moment at (micros), in the writer's transaction.
func (db *DB) supervisionChanged(exec func(query string, args ...any) error, communityID, at int64) error {
	upsert := "INSERT INTO supervision_changes (community_id, changed_at) VALUES (?, ?) " +
		"ON CONFLICT (community_id) DO UPDATE SET changed_at = MAX(changed_at, excluded.changed_at)"
	if db.dialect == MySQL {
		upsert = "INSERT INTO supervision_changes (community_id, changed_at) VALUES (?, ?) " +
			"ON DUPLICATE KEY UPDATE changed_at = GREATEST(changed_at, VALUES(changed_at))"
	}
	return exec(upsert, communityID, at)
}

// gormExec adapts a gorm transaction to supervisionChanged.
func gormExec(tx *gorm.DB) func(string, ...any) error {
	return func(q string, args ...any) error { return tx.Exec(q, args...).Error }
}

// ForgetSupervisionMonth drops the kept computations of a month, so that
// its next table is computed from the entry log again (the benchmark times
// that computation, not the reading of what was kept).
func (db *DB) ForgetSupervisionMonth(ctx context.Context, month string) error {
	return internal("forget a supervision month", db.w.WithContext(ctx).Where("month = ?", month).Delete(&supervisionSnapshotRow{}).Error)
}
