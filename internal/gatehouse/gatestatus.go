package gatehouse

import (
	"fmt"
	"regexp"
	"time"
)

// GateSilentAfter is how long a gate's agent, or its controller, may be
// silent before guards see the gate offline.
const GateSilentAfter = 2 * time.Minute

// MaxHeartbeatInterval is the slowest heartbeat an agent may promise.
const MaxHeartbeatInterval = time.Minute

// GateStatus is the latest heartbeat of a gate's agent, as the server keeps
// it: when it was heard, and what it said of itself and its controller.
type GateStatus struct {
	GateID      int64
	CommunityID int64
	SeenAt      time.Time     // the server's time of the last heartbeat
	Interval    time.Duration // how often the agent beats
	Version     string
	LastSyncAt  *time.Time // the agent's last sync, by its clock
	Pending     int        // decisions and events journaled, awaiting upload
	Controller  *ControllerStatus
}

// ControllerStatus is a door controller board as its agent last saw it.
type ControllerStatus struct {
	Kind           string // the adapter, e.g. uhppote
	DeviceID       int64
	Online         bool       // it answered the agent's last check
	SeenAt         *time.Time // the server's time of its last answer; nil: never since the agent started
	LastEventIndex int64
	DoorOpen       bool
	ClockDrift     time.Duration // the board's clock minus the agent's
}

// OfflineAfter is how long the gate may be silent: four heartbeats, at most
// GateSilentAfter (a short interval is noticed sooner).
func (s *GateStatus) OfflineAfter() time.Duration {
	if s.Interval <= 0 {
		return GateSilentAfter
	}
	return min(GateSilentAfter, 4*s.Interval)
}

// AgentOnline reports whether the agent was heard within OfflineAfter.
func (s *GateStatus) AgentOnline(now time.Time) bool {
	return now.Sub(s.SeenAt) < s.OfflineAfter()
}

// ControllerOnline reports whether the controller, when there is one,
// answered its agent within OfflineAfter.
func (s *GateStatus) ControllerOnline(now time.Time) bool {
	c := s.Controller
	return c == nil || (c.SeenAt != nil && now.Sub(*c.SeenAt) < s.OfflineAfter())
}

// Online reports whether the gate is working as far as the server knows:
// its agent and its controller both heard from lately.
func (s *GateStatus) Online(now time.Time) bool {
	return s != nil && s.AgentOnline(now) && s.ControllerOnline(now)
}

// GateEventKind is what happened at a door that is not a person's entry.
type GateEventKind string

// Door events a controller reports.
const (
	DoorButton GateEventKind = "door_button" // opened from inside by its exit button
	DoorForced GateEventKind = "door_forced" // opened without a grant or the button: an alarm
)

// Valid reports whether k is a known kind.
func (k GateEventKind) Valid() bool { return k == DoorButton || k == DoorForced }

// GateEvent is a door event logged for guards, once by its event id.
type GateEvent struct {
	ID          int64
	CommunityID int64
	GateID      int64
	EventID     string
	Kind        GateEventKind
	Door        int
	OccurredAt  time.Time // the controller's time
	ReceivedAt  time.Time
}

// Same reports whether e records the same event as o (a resend).
func (e *GateEvent) Same(o *GateEvent) bool {
	return e.Kind == o.Kind && e.Door == o.Door && e.OccurredAt.Equal(o.OccurredAt)
}

// GateEventFilter selects door events.
type GateEventFilter struct {
	CommunityIDs []int64 // nil: all
	GateID       int64   // 0: every gate
	Kind         GateEventKind
}

var controllerKind = regexp.MustCompile(`^[a-z][a-z0-9-]{0,15}$`)

// ValidateControllerKind checks the name of a controller's adapter.
func ValidateControllerKind(k string) string {
	if !controllerKind.MatchString(k) {
		return "must be the adapter's name: lower-case letters, digits and -, at most 16 (e.g. uhppote)"
	}
	return ""
}

// ValidateGateEvent checks a door event from a controller at now, as
// "field: problem".
func ValidateGateEvent(e *GateEvent, now time.Time) string {
	if msg := ValidateEventID(e.EventID); msg != "" {
		return "event_id: " + msg
	}
	switch {
	case !e.Kind.Valid():
		return fmt.Sprintf("kind: must be %q or %q", DoorButton, DoorForced)
	case e.Door < 1 || e.Door > 255:
		return "door: must be the controller's door number, 1 to 255"
	case e.OccurredAt.IsZero():
		return "occurred_at: must be an RFC 3339 time"
	case e.OccurredAt.After(now.Add(5 * time.Minute)):
		return "occurred_at: lies in the future (is the controller's clock right?)"
	case e.OccurredAt.Before(now.Add(-MaxOfflineAge)):
		return "occurred_at: older than 90 days"
	}
	return ""
}
