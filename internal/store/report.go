package store

import (
	"context"
	"time"

	"gatehouse/internal/gatehouse"
)

// ResidentsByBuilding counts present residents per community and building.
func (db *DB) ResidentsByBuilding(ctx context.Context, communityIDs []int64) ([]gatehouse.BuildingCount, error) {
	var out []gatehouse.BuildingCount
	q := db.r.WithContext(ctx).Model(&residentRow{}).Select("community_id, building, COUNT(*) AS residents").Where("active = 1")
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	if err := q.Group("community_id, building").Order("community_id, building").Scan(&out).Error; err != nil {
		return nil, internal("count residents", err)
	}
	return out, nil
}

// RegisteredVisitors counts the passes issued in a period and the distinct
// visitors they were for.
func (db *DB) RegisteredVisitors(ctx context.Context, communityIDs []int64, from, to time.Time) (passes, visitors int64, err error) {
	var res struct {
		Passes   int64
		Visitors int64
	}
	q := db.r.WithContext(ctx).Model(&passRow{}).Select("COUNT(*) AS passes, COUNT(DISTINCT visitor_id) AS visitors").
		Where("created_at >= ? AND created_at < ?", micros(from), micros(to))
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	if err := q.Scan(&res).Error; err != nil {
		return 0, 0, internal("count passes", err)
	}
	return res.Passes, res.Visitors, nil
}

// PassesByKind counts the passes issued in a period by kind (guest,
// walkin, self).
func (db *DB) PassesByKind(ctx context.Context, communityIDs []int64, from, to time.Time) (map[gatehouse.PassKind]int64, error) {
	var rows []struct {
		Kind string
		N    int64
	}
	q := db.r.WithContext(ctx).Model(&passRow{}).Select("kind, COUNT(*) AS n").Where("created_at >= ? AND created_at < ?", micros(from), micros(to))
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	if err := q.Group("kind").Scan(&rows).Error; err != nil {
		return nil, internal("count passes by kind", err)
	}
	out := map[gatehouse.PassKind]int64{}
	for _, r := range rows {
		out[gatehouse.PassKind(r.Kind)] = r.N
	}
	return out, nil
}

type entryFactRow struct {
	ID             int64
	CommunityID    int64
	GateID         int64
	PassID         int64
	VisitorID      int64
	ResidentID     int64
	HostResidentID int64
	Direction      string
	Decision       string
	Reason         string
	OccurredAt     int64
	PersonName     string
	Method         string
	Plate          string
}

// EntryFacts streams the report's view of the entries of communities in
// [from, to), oldest first, to fn: only the columns a report counts.
func (db *DB) EntryFacts(ctx context.Context, communityIDs []int64, from, to time.Time, fn func(gatehouse.EntryFact) error) error {
	q := db.r.WithContext(ctx).Model(&entryRow{}).
		Select("id, community_id, gate_id, pass_id, visitor_id, resident_id, host_resident_id, direction, decision, reason, occurred_at, person_name, method, plate").
		Where("occurred_at >= ? AND occurred_at < ?", micros(from), micros(to))
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	rows, err := q.Order("occurred_at, id").Rows()
	if err != nil {
		return internal("read entries for a report", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r entryFactRow
		if err := db.r.ScanRows(rows, &r); err != nil {
			return internal("read entries for a report", err)
		}
		if err := fn(gatehouse.EntryFact{ID: r.ID, CommunityID: r.CommunityID, GateID: r.GateID, PassID: r.PassID, VisitorID: r.VisitorID,
			ResidentID: r.ResidentID, HostResidentID: r.HostResidentID, Direction: gatehouse.Direction(r.Direction),
			Decision: gatehouse.Decision(r.Decision), Reason: gatehouse.Reason(r.Reason), OccurredAt: fromMicros(r.OccurredAt),
			PersonName: r.PersonName, Method: gatehouse.Method(r.Method), Plate: r.Plate}); err != nil {
			return err
		}
	}
	return internal("read entries for a report", rows.Err())
}
