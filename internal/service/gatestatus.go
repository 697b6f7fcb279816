package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// GateStatusStore is what gates' heartbeats and door events need of storage.
type GateStatusStore interface {
	Gate(ctx context.Context, id int64) (*gatehouse.Gate, error)
	SaveGateStatus(ctx context.Context, st *gatehouse.GateStatus) error
	GateStatuses(ctx context.Context, gateIDs []int64) (map[int64]*gatehouse.GateStatus, error)
	EnabledGateStatuses(ctx context.Context) ([]*gatehouse.GateStatus, error)
	RecordGateEvent(ctx context.Context, e *gatehouse.GateEvent) (bool, error)
	GateEvents(ctx context.Context, f gatehouse.GateEventFilter, page gatehouse.Page) ([]*gatehouse.GateEvent, int64, error)
}

// GateMonitor keeps what gates' agents report: a heartbeat of the agent and
// its controller board, and door events (the exit button, a door forced
// open). A device reports for its own gate; guards, managers and admin read
// their communities'.
type GateMonitor struct {
	Store GateStatusStore
	Now   func() time.Time
}

// HeartbeatInput is what an agent reports of itself and its controller.
type HeartbeatInput struct {
	Version         string
	IntervalSeconds int
	LastSyncAt      *time.Time
	Pending         int
	Controller      *ControllerInput // nil: no controller board
}

// ControllerInput is a controller board as its agent saw it.
type ControllerInput struct {
	Kind              string
	DeviceID          int64
	Online            bool
	SilentSeconds     *int64 // since the board last answered; nil: not since the agent started
	LastEventIndex    int64
	DoorOpen          bool
	ClockDriftSeconds int64
}

func (in *HeartbeatInput) check() error {
	var p gatehouse.Problems
	if msg := gatehouse.ValidateText(in.Version, 64); msg != "" {
		p.Add("version", msg)
	}
	maxIv := int(gatehouse.MaxHeartbeatInterval / time.Second)
	p.Check(in.IntervalSeconds >= 1 && in.IntervalSeconds <= maxIv, "interval_seconds",
		fmt.Sprintf("must be how often the agent beats: 1 to %d seconds", maxIv))
	p.Check(in.Pending >= 0, "pending", "must not be negative")
	if c := in.Controller; c != nil {
		if msg := gatehouse.ValidateControllerKind(c.Kind); msg != "" {
			p.Add("controller.kind", msg)
		}
		p.Check(c.DeviceID >= 0, "controller.device_id", "must not be negative")
		p.Check(c.SilentSeconds == nil || *c.SilentSeconds >= 0, "controller.silent_seconds", "must not be negative")
		p.Check(c.LastEventIndex >= 0, "controller.last_event_index", "must not be negative")
		p.Check(c.ClockDriftSeconds > -100*365*86400 && c.ClockDriftSeconds < 100*365*86400, "controller.clock_drift_seconds", "must be within a century")
	}
	return p.Err()
}

// Heartbeat keeps a gate's latest report, heard now.
func (s *GateMonitor) Heartbeat(ctx context.Context, pr *gatehouse.Principal, gateID int64, in HeartbeatInput) (*gatehouse.GateStatus, error) {
	if err := ownGate(pr, gateID); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	st := &gatehouse.GateStatus{GateID: gateID, CommunityID: pr.CommunityID, SeenAt: now, Interval: time.Duration(in.IntervalSeconds) * time.Second,
		Version: strings.TrimSpace(in.Version), LastSyncAt: in.LastSyncAt, Pending: in.Pending}
	if c := in.Controller; c != nil {
		st.Controller = &gatehouse.ControllerStatus{Kind: c.Kind, DeviceID: c.DeviceID, Online: c.Online, LastEventIndex: c.LastEventIndex,
			DoorOpen: c.DoorOpen, ClockDrift: time.Duration(c.ClockDriftSeconds) * time.Second}
		if c.SilentSeconds != nil {
			seen := now.Add(-time.Duration(*c.SilentSeconds) * time.Second)
			st.Controller.SeenAt = &seen
		}
	}
	if err := s.Store.SaveGateStatus(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}

// Statuses is the latest heartbeat of each of gates (read by the caller
// already), by gate id; a gate never heard from has none.
func (s *GateMonitor) Statuses(ctx context.Context, pr *gatehouse.Principal, gates []*gatehouse.Gate) (map[int64]*gatehouse.GateStatus, error) {
	if err := mayReadGates(pr); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(gates))
	for _, g := range gates {
		if pr.InCommunity(g.CommunityID) {
			ids = append(ids, g.ID)
		}
	}
	return s.Store.GateStatuses(ctx, ids)
}

// GateCount is how many enabled gates of a community have an agent that
// reports, and how many of those are offline now.
type GateCount struct{ Reporting, Offline int }

// Counts is every community's GateCount, for /metrics (the system's view).
func (s *GateMonitor) Counts(ctx context.Context) (map[int64]GateCount, error) {
	all, err := s.Store.EnabledGateStatuses(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := map[int64]GateCount{}
	for _, st := range all {
		c := out[st.CommunityID]
		c.Reporting++
		if !st.Online(now) {
			c.Offline++
		}
		out[st.CommunityID] = c
	}
	return out, nil
}

// GateEventRejection is a door event not logged, by its index in the batch.
type GateEventRejection struct {
	Index   int
	EventID string
	Reason  string
}

// GateEventsResult says what became of each event of a batch.
type GateEventsResult struct {
	Recorded, Duplicates []string
	Rejected             []GateEventRejection
}

// MaxGateEventBatch bounds one upload of door events.
const MaxGateEventBatch = 1000

// RecordEvents logs a batch of a gate's door events, each once by its event
// id: the same event sent again is a duplicate, another event under a used
// id is rejected (event_id_reused), a malformed one is rejected with its
// problem; the rest are logged. received is how many the device sent.
func (s *GateMonitor) RecordEvents(ctx context.Context, pr *gatehouse.Principal, gateID int64, received int, events []*gatehouse.GateEvent) (*GateEventsResult, error) {
	if err := ownGate(pr, gateID); err != nil {
		return nil, err
	}
	if received > MaxGateEventBatch {
		return nil, gatehouse.FieldError("events", fmt.Sprintf("send at most %d events at a time", MaxGateEventBatch))
	}
	now := s.Now().UTC()
	res := &GateEventsResult{Recorded: []string{}, Duplicates: []string{}, Rejected: []GateEventRejection{}}
	for i, e := range events {
		if msg := gatehouse.ValidateGateEvent(e, now); msg != "" {
			res.Rejected = append(res.Rejected, GateEventRejection{Index: i, EventID: e.EventID, Reason: msg})
			continue
		}
		e.GateID, e.CommunityID, e.ReceivedAt = gateID, pr.CommunityID, now
		fresh, err := s.Store.RecordGateEvent(ctx, e)
		switch {
		case gatehouse.ErrorCode(err) == gatehouse.ECONFLICT:
			res.Rejected = append(res.Rejected, GateEventRejection{Index: i, EventID: e.EventID, Reason: "event_id_reused"})
		case err != nil:
			return nil, err
		case fresh:
			res.Recorded = append(res.Recorded, e.EventID)
		default:
			res.Duplicates = append(res.Duplicates, e.EventID)
		}
	}
	return res, nil
}

// Events lists door events of the communities in scope (of one community
// and one gate when asked), newest first.
func (s *GateMonitor) Events(ctx context.Context, pr *gatehouse.Principal, communityID, gateID int64, kind gatehouse.GateEventKind, page gatehouse.Page) ([]*gatehouse.GateEvent, int64, error) {
	if err := mayReadGates(pr); err != nil {
		return nil, 0, err
	}
	if kind != "" && !kind.Valid() {
		return nil, 0, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "kind: must be door_button or door_forced",
			Fields: map[string]string{"kind": "must be door_button or door_forced"}}
	}
	f := gatehouse.GateEventFilter{CommunityIDs: pr.ScopeCommunities(communityID), GateID: gateID, Kind: kind}
	if gateID != 0 {
		g, err := s.Store.Gate(ctx, gateID)
		if err != nil {
			return nil, 0, err
		}
		if !pr.InCommunity(g.CommunityID) || (communityID != 0 && g.CommunityID != communityID) {
			return nil, 0, gatehouse.NotFound("gate")
		}
	}
	return s.Store.GateEvents(ctx, f, page)
}
