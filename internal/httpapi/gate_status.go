package httpapi

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/metrics"
	"gatehouse/internal/service"
)

type heartbeatRequest struct {
	Version         string               `json:"version"`
	IntervalSeconds int                  `json:"interval_seconds"`
	LastSync        string               `json:"last_sync"` // RFC 3339, the agent's clock
	Pending         int                  `json:"pending"`
	Controller      *controllerHeartbeat `json:"controller"`
}

type controllerHeartbeat struct {
	Kind              string `json:"kind"`
	DeviceID          int64  `json:"device_id"`
	Online            bool   `json:"online"`
	SilentSeconds     *int64 `json:"silent_seconds"`
	LastEventIndex    int64  `json:"last_event_index"`
	DoorOpen          bool   `json:"door_open"`
	ClockDriftSeconds int64  `json:"clock_drift_seconds"`
}

// gateStatusBody is a gate's status as staff see it: online when its agent
// and its controller were heard within offline_after_seconds.
type gateStatusBody struct {
	Online              bool                  `json:"online"`
	LastSeen            *time.Time            `json:"last_seen"`
	OfflineAfterSeconds int                   `json:"offline_after_seconds"`
	Version             string                `json:"version,omitempty"`
	LastSync            *time.Time            `json:"last_sync,omitempty"`
	Pending             int                   `json:"pending"`
	Controller          *controllerStatusBody `json:"controller,omitempty"`
}

type controllerStatusBody struct {
	Kind              string     `json:"kind"`
	DeviceID          int64      `json:"device_id"`
	Online            bool       `json:"online"`
	LastSeen          *time.Time `json:"last_seen"`
	LastEventIndex    int64      `json:"last_event_index"`
	DoorOpen          bool       `json:"door_open"`
	ClockDriftSeconds int64      `json:"clock_drift_seconds"`
}

// gateStatusOf is st at now; a gate never heard from (nil) is offline.
func gateStatusOf(st *gatehouse.GateStatus, now time.Time) *gateStatusBody {
	if st == nil {
		return &gateStatusBody{OfflineAfterSeconds: int(gatehouse.GateSilentAfter / time.Second)}
	}
	seen := st.SeenAt
	b := &gateStatusBody{Online: st.Online(now), LastSeen: &seen, OfflineAfterSeconds: int(st.OfflineAfter() / time.Second),
		Version: st.Version, LastSync: st.LastSyncAt, Pending: st.Pending}
	if c := st.Controller; c != nil {
		b.Controller = &controllerStatusBody{Kind: c.Kind, DeviceID: c.DeviceID, Online: c.Online && st.ControllerOnline(now), LastSeen: c.SeenAt,
			LastEventIndex: c.LastEventIndex, DoorOpen: c.DoorOpen, ClockDriftSeconds: int64(c.ClockDrift / time.Second)}
	}
	return b
}

// gateHeartbeat keeps the latest report of a gate's agent (its device key).
func (s *Server) gateHeartbeat(c *gin.Context) {
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req heartbeatRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	in := service.HeartbeatInput{Version: req.Version, IntervalSeconds: req.IntervalSeconds, Pending: req.Pending}
	if req.LastSync != "" {
		t, err := time.Parse(time.RFC3339, req.LastSync)
		if err != nil {
			s.fail(c, gatehouse.FieldError("last_sync", "must be an RFC 3339 time, e.g. 2026-11-27T09:00:00+08:00"))
			return
		}
		in.LastSyncAt = &t
	}
	if k := req.Controller; k != nil {
		in.Controller = &service.ControllerInput{Kind: k.Kind, DeviceID: k.DeviceID, Online: k.Online, SilentSeconds: k.SilentSeconds,
			LastEventIndex: k.LastEventIndex, DoorOpen: k.DoorOpen, ClockDriftSeconds: k.ClockDriftSeconds}
	}
	st, err := s.gateMonitor.Heartbeat(c.Request.Context(), principal(c), id, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, gateStatusOf(st, s.Now()))
}

type doorEventsRequest struct {
	Events []json.RawMessage `json:"events"`
}

// check refuses an upload without its list.
func (r *doorEventsRequest) check() error {
	if r.Events == nil {
		return gatehouse.FieldError("events", `is required: send {"events": [...]}, at most 1000 events`)
	}
	return nil
}

type doorEventIn struct {
	EventID    string                  `json:"event_id"`
	Kind       gatehouse.GateEventKind `json:"kind"`
	Door       int                     `json:"door"`
	OccurredAt string                  `json:"occurred_at"`
}

type doorRejection struct {
	Index   int    `json:"index"`
	EventID string `json:"event_id,omitempty"`
	Reason  string `json:"reason"`
}

type doorEventsResponse struct {
	Recorded   []string        `json:"recorded"`
	Duplicates []string        `json:"duplicates"`
	Rejected   []doorRejection `json:"rejected"`
}

// uploadDoorEvents logs a batch of a gate's door events, each once by its
// event id; a malformed one is rejected by its index, the rest logged.
func (s *Server) uploadDoorEvents(c *gin.Context) {
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req doorEventsRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	var good []*gatehouse.GateEvent
	var index []int
	rejected := []doorRejection{}
	for i, raw := range req.Events {
		var ev doorEventIn
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			rejected = append(rejected, doorRejection{Index: i, Reason: gatehouse.ErrorMessage(jsonError(err))})
			continue
		}
		t, err := time.Parse(time.RFC3339, ev.OccurredAt)
		if err != nil {
			rejected = append(rejected, doorRejection{Index: i, EventID: ev.EventID, Reason: "occurred_at: must be an RFC 3339 time"})
			continue
		}
		good = append(good, &gatehouse.GateEvent{EventID: ev.EventID, Kind: ev.Kind, Door: ev.Door, OccurredAt: t})
		index = append(index, i)
	}
	res, err := s.gateMonitor.RecordEvents(c.Request.Context(), principal(c), id, len(req.Events), good)
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, r := range res.Rejected {
		rejected = append(rejected, doorRejection{Index: index[r.Index], EventID: r.EventID, Reason: r.Reason})
	}
	sort.Slice(rejected, func(i, j int) bool { return rejected[i].Index < rejected[j].Index })
	c.JSON(200, doorEventsResponse{Recorded: res.Recorded, Duplicates: res.Duplicates, Rejected: rejected})
}

type doorEventBody struct {
	ID          int64                   `json:"id"`
	CommunityID int64                   `json:"community_id"`
	GateID      int64                   `json:"gate_id"`
	EventID     string                  `json:"event_id"`
	Kind        gatehouse.GateEventKind `json:"kind"`
	Door        int                     `json:"door"`
	OccurredAt  time.Time               `json:"occurred_at"`
	ReceivedAt  time.Time               `json:"received_at"`
}

// listDoorEvents lists door events of the caller's communities, newest
// first (?community_id, ?gate_id, ?kind).
func (s *Server) listDoorEvents(c *gin.Context) {
	gateID, err := queryID(c, "gate_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	kind := gatehouse.GateEventKind(c.Query("kind"))
	fetch := func(ctx context.Context, pr *gatehouse.Principal, cid int64, pg gatehouse.Page) ([]*gatehouse.GateEvent, int64, error) {
		return s.gateMonitor.Events(ctx, pr, cid, gateID, kind, pg)
	}
	listInCommunity(s, c, fetch, func(e *gatehouse.GateEvent) doorEventBody {
		return doorEventBody{ID: e.ID, CommunityID: e.CommunityID, GateID: e.GateID, EventID: e.EventID, Kind: e.Kind, Door: e.Door,
			OccurredAt: e.OccurredAt, ReceivedAt: e.ReceivedAt}
	})
}

// gateCounts counts gates reporting and offline by community, at each
// scrape of /metrics.
func (s *Server) gateCounts(ctx context.Context) (map[int64]metrics.GateCount, error) {
	counts, err := s.gateMonitor.Counts(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]metrics.GateCount, len(counts))
	for id, c := range counts {
		out[id] = metrics.GateCount{Reporting: c.Reporting, Offline: c.Offline}
	}
	return out, nil
}
