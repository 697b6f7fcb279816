package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/internal/gatehouse"
)

// gateStatusRow is the latest heartbeat of one gate.
type gateStatusRow struct {
	GateID             int64 `gorm:"primaryKey;autoIncrement:false"`
	CommunityID        int64
	SeenAt             int64
	IntervalMs         int64
	Version            string
	LastSyncAt         *int64
	Pending            int
	ControllerKind     string
	ControllerDeviceID int64
	ControllerOnline   bool
	ControllerSeenAt   *int64
	LastEventIndex     int64
	DoorOpen           bool
	ClockDriftMs       int64
}

func (gateStatusRow) TableName() string { return "gate_status" }

func (r *gateStatusRow) domain() *gatehouse.GateStatus {
	st := &gatehouse.GateStatus{GateID: r.GateID, CommunityID: r.CommunityID, SeenAt: fromMicros(r.SeenAt),
		Interval: time.Duration(r.IntervalMs) * time.Millisecond, Version: r.Version, LastSyncAt: fromMicrosPtr(r.LastSyncAt), Pending: r.Pending}
	if r.ControllerKind != "" {
		st.Controller = &gatehouse.ControllerStatus{Kind: r.ControllerKind, DeviceID: r.ControllerDeviceID, Online: r.ControllerOnline,
			SeenAt: fromMicrosPtr(r.ControllerSeenAt), LastEventIndex: r.LastEventIndex, DoorOpen: r.DoorOpen,
			ClockDrift: time.Duration(r.ClockDriftMs) * time.Millisecond}
	}
	return st
}

func microsPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := micros(*t)
	return &v
}

// SaveGateStatus keeps a gate's latest heartbeat, replacing the one before.
func (db *DB) SaveGateStatus(ctx context.Context, st *gatehouse.GateStatus) error {
	row := gateStatusRow{GateID: st.GateID, CommunityID: st.CommunityID, SeenAt: micros(st.SeenAt), IntervalMs: st.Interval.Milliseconds(),
		Version: st.Version, LastSyncAt: microsPtr(st.LastSyncAt), Pending: st.Pending}
	if c := st.Controller; c != nil {
		row.ControllerKind, row.ControllerDeviceID, row.ControllerOnline = c.Kind, c.DeviceID, c.Online
		row.ControllerSeenAt, row.LastEventIndex, row.DoorOpen = microsPtr(c.SeenAt), c.LastEventIndex, c.DoorOpen
		row.ClockDriftMs = c.ClockDrift.Milliseconds()
	}
	err := db.w.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "gate_id"}}, UpdateAll: true}).Create(&row).Error
	if err == nil && (st.Controller == nil || st.Controller.Online) {
		// The hour counts as available for the district's gate indicator
		// (migration 00017): the agent reported in and its board answered.
		err = db.recordGateHour(db.w.WithContext(ctx), st.GateID, st.CommunityID, st.SeenAt)
	}
	return internal("save gate status", err)
}

// GateStatuses returns the latest heartbeat of each of the gates that has
// one, by gate id.
func (db *DB) GateStatuses(ctx context.Context, gateIDs []int64) (map[int64]*gatehouse.GateStatus, error) {
	out := map[int64]*gatehouse.GateStatus{}
	if len(gateIDs) == 0 {
		return out, nil
	}
	var rows []gateStatusRow
	if err := db.r.WithContext(ctx).Where("gate_id IN ?", gateIDs).Find(&rows).Error; err != nil {
		return nil, internal("read gate status", err)
	}
	for i := range rows {
		out[rows[i].GateID] = rows[i].domain()
	}
	return out, nil
}

// EnabledGateStatuses returns the latest heartbeat of every enabled gate
// that has reported one (for /metrics).
func (db *DB) EnabledGateStatuses(ctx context.Context) ([]*gatehouse.GateStatus, error) {
	var rows []gateStatusRow
	err := db.r.WithContext(ctx).Where("gate_id IN (?)", db.r.Model(&gateRow{}).Select("id").Where("disabled_at IS NULL")).
		Order("gate_id").Find(&rows).Error
	if err != nil {
		return nil, internal("read gate status", err)
	}
	out := make([]*gatehouse.GateStatus, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// gateEventRow is a door event of a gate.
type gateEventRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	GateID      int64
	EventID     string
	Kind        string
	Door        int
	OccurredAt  int64
	ReceivedAt  int64
}

func (gateEventRow) TableName() string { return "gate_events" }

func (r *gateEventRow) domain() *gatehouse.GateEvent {
	return &gatehouse.GateEvent{ID: r.ID, CommunityID: r.CommunityID, GateID: r.GateID, EventID: r.EventID, Kind: gatehouse.GateEventKind(r.Kind),
		Door: r.Door, OccurredAt: fromMicros(r.OccurredAt), ReceivedAt: fromMicros(r.ReceivedAt)}
}

// ErrGateEventReused is RecordGateEvent's answer to an event id the gate
// already used for another event.
var ErrGateEventReused = gatehouse.Errorf(gatehouse.ECONFLICT, "event_id: the gate already used this id for another event")

// RecordGateEvent logs a door event once by (gate, event_id): it reports
// false when the same event was logged before, and ErrGateEventReused when
// the id was used for another.
func (db *DB) RecordGateEvent(ctx context.Context, e *gatehouse.GateEvent) (bool, error) {
	row := gateEventRow{CommunityID: e.CommunityID, GateID: e.GateID, EventID: e.EventID, Kind: string(e.Kind), Door: e.Door,
		OccurredAt: micros(e.OccurredAt), ReceivedAt: micros(e.ReceivedAt)}
	err := db.w.WithContext(ctx).Create(&row).Error
	if err == nil {
		*e = *row.domain()
		return true, nil
	}
	if !isDuplicate(err) {
		return false, internal("record gate event", err)
	}
	var have gateEventRow
	err = db.w.WithContext(ctx).Where("gate_id = ? AND event_id = ?", e.GateID, e.EventID).Take(&have).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, internal("record gate event", errors.New("a duplicate event id that cannot be read back"))
	} else if err != nil {
		return false, internal("read gate event", err)
	}
	if !have.domain().Same(e) {
		return false, ErrGateEventReused
	}
	return false, nil
}

// GateEvents lists door events newest first; page.After continues below
// that id.
func (db *DB) GateEvents(ctx context.Context, f gatehouse.GateEventFilter, page gatehouse.Page) ([]*gatehouse.GateEvent, int64, error) {
	if f.CommunityIDs != nil && len(f.CommunityIDs) == 0 {
		return nil, 0, nil
	}
	q := db.r.WithContext(ctx).Model(&gateEventRow{})
	if f.CommunityIDs != nil {
		q = q.Where("community_id IN ?", f.CommunityIDs)
	}
	if f.GateID != 0 {
		q = q.Where("gate_id = ?", f.GateID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", string(f.Kind))
	}
	if page.After > 0 {
		q = q.Where("id < ?", page.After)
	}
	limit := pageLimit(page)
	var rows []gateEventRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, internal("list gate events", err)
	}
	out := make([]*gatehouse.GateEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	out, next := cut(out, limit, func(e *gatehouse.GateEvent) int64 { return e.ID })
	return out, next, nil
}
