package gatehouse_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestAGateIsOfflineAfterFourMissedHeartbeatsAtMostTwoMinutes(t *testing.T) {
	for _, tc := range []struct {
		interval, want time.Duration
	}{
		{0, gatehouse.GateSilentAfter}, // an agent that did not say
		{-time.Second, gatehouse.GateSilentAfter},
		{10 * time.Second, 40 * time.Second}, // a short interval is noticed sooner
		{30 * time.Second, 2 * time.Minute},
		{time.Minute, gatehouse.GateSilentAfter}, // four minutes, but never more than two
	} {
		s := &gatehouse.GateStatus{Interval: tc.interval}
		if got := s.OfflineAfter(); got != tc.want {
			t.Errorf("interval %s: offline after %s, want %s", tc.interval, got, tc.want)
		}
	}
}

func TestAGateIsOnlineWhenItsAgentAndItsControllerWereHeardLately(t *testing.T) {
	now := decideNow
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		what             string
		status           *gatehouse.GateStatus
		agent, ctl, want bool
	}{
		{"no heartbeat ever", nil, false, false, false},
		{"an agent without a controller, heard 10 s ago",
			&gatehouse.GateStatus{SeenAt: now.Add(-10 * time.Second), Interval: 10 * time.Second}, true, true, true},
		{"an agent heard 40 s ago at 10 s beats (four missed)",
			&gatehouse.GateStatus{SeenAt: now.Add(-40 * time.Second), Interval: 10 * time.Second}, false, true, false},
		{"an agent heard 39 s ago at 10 s beats",
			&gatehouse.GateStatus{SeenAt: now.Add(-39 * time.Second), Interval: 10 * time.Second}, true, true, true},
		{"a controller that answered 5 s ago",
			&gatehouse.GateStatus{SeenAt: now, Interval: 10 * time.Second, Controller: &gatehouse.ControllerStatus{Kind: "uhppote", SeenAt: ago(5 * time.Second)}}, true, true, true},
		{"a controller never heard since the agent started",
			&gatehouse.GateStatus{SeenAt: now, Interval: 10 * time.Second, Controller: &gatehouse.ControllerStatus{Kind: "uhppote"}}, true, false, false},
		{"a controller silent for a minute",
			&gatehouse.GateStatus{SeenAt: now, Interval: 10 * time.Second, Controller: &gatehouse.ControllerStatus{Kind: "uhppote", SeenAt: ago(time.Minute)}}, true, false, false},
		{"a silent agent with a controller it heard",
			&gatehouse.GateStatus{SeenAt: now.Add(-3 * time.Minute), Controller: &gatehouse.ControllerStatus{SeenAt: ago(3 * time.Minute)}}, false, false, false},
	} {
		if got := tc.status.Online(now); got != tc.want {
			t.Errorf("%s: online %v, want %v", tc.what, got, tc.want)
		}
		if tc.status == nil {
			continue
		}
		if got := tc.status.AgentOnline(now); got != tc.agent {
			t.Errorf("%s: agent online %v, want %v", tc.what, got, tc.agent)
		}
		if got := tc.status.ControllerOnline(now); got != tc.ctl {
			t.Errorf("%s: controller online %v, want %v", tc.what, got, tc.ctl)
		}
	}
}

func TestControllerKindsAreAdapterNames(t *testing.T) {
	for k, ok := range map[string]bool{
		"uhppote": true, "zk-teco2": true, "a": true, strings.Repeat("a", 16): true,
		"": false, "UHPPOTE": false, "2uhppote": false, "-x": false, "uh ppote": false, strings.Repeat("a", 17): false, "微耕": false,
	} {
		got := gatehouse.ValidateControllerKind(k)
		if (got == "") != ok {
			t.Errorf("controller kind %q: %q, want ok %v", k, got, ok)
		}
		if !ok && got != "must be the adapter's name: lower-case letters, digits and -, at most 16 (e.g. uhppote)" {
			t.Errorf("controller kind %q: message %q", k, got)
		}
	}
}

func TestDoorEventsAreCheckedFieldByField(t *testing.T) {
	now := decideNow
	good := func() gatehouse.GateEvent {
		return gatehouse.GateEvent{EventID: "uhppote-405419896-17", Kind: gatehouse.DoorForced, Door: 1, OccurredAt: now.Add(-time.Minute)}
	}
	for _, tc := range []struct {
		what string
		edit func(e *gatehouse.GateEvent)
		want string
	}{
		{"a forced door", func(e *gatehouse.GateEvent) {}, ""},
		{"an exit button at door 255", func(e *gatehouse.GateEvent) { e.Kind, e.Door = gatehouse.DoorButton, 255 }, ""},
		{"no event id", func(e *gatehouse.GateEvent) { e.EventID = "" }, "event_id: 1 to 64 letters, digits or . _ : -"},
		{"an event id with a slash", func(e *gatehouse.GateEvent) { e.EventID = "a/b" }, "event_id: 1 to 64 letters, digits or . _ : -"},
		{"an unknown kind", func(e *gatehouse.GateEvent) { e.Kind = "door_open" }, `kind: must be "door_button" or "door_forced"`},
		{"no kind", func(e *gatehouse.GateEvent) { e.Kind = "" }, `kind: must be "door_button" or "door_forced"`},
		{"door 0", func(e *gatehouse.GateEvent) { e.Door = 0 }, "door: must be the controller's door number, 1 to 255"},
		{"door 256", func(e *gatehouse.GateEvent) { e.Door = 256 }, "door: must be the controller's door number, 1 to 255"},
		{"no time", func(e *gatehouse.GateEvent) { e.OccurredAt = time.Time{} }, "occurred_at: must be an RFC 3339 time"},
		{"a clock 4 minutes fast", func(e *gatehouse.GateEvent) { e.OccurredAt = now.Add(4 * time.Minute) }, ""},
		{"a clock 6 minutes fast", func(e *gatehouse.GateEvent) { e.OccurredAt = now.Add(6 * time.Minute) }, "occurred_at: lies in the future (is the controller's clock right?)"},
		{"91 days old", func(e *gatehouse.GateEvent) { e.OccurredAt = now.Add(-91 * 24 * time.Hour) }, "occurred_at: older than 90 days"},
	} {
		e := good()
		tc.edit(&e)
		if got := gatehouse.ValidateGateEvent(&e, now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.what, got, tc.want)
		}
	}
	if gatehouse.GateEventKind("door_open").Valid() || !gatehouse.DoorButton.Valid() || !gatehouse.DoorForced.Valid() {
		t.Error("GateEventKind.Valid")
	}
}

func TestAResentDoorEventIsTheSameEvent(t *testing.T) {
	at := decideNow
	e := &gatehouse.GateEvent{EventID: "x-1", Kind: gatehouse.DoorForced, Door: 1, OccurredAt: at}
	for _, tc := range []struct {
		what string
		o    gatehouse.GateEvent
		want bool
	}{
		{"a resend, received later", gatehouse.GateEvent{Kind: gatehouse.DoorForced, Door: 1, OccurredAt: at.In(time.FixedZone("CST", 8*3600)), ReceivedAt: at.Add(time.Hour)}, true},
		{"another kind", gatehouse.GateEvent{Kind: gatehouse.DoorButton, Door: 1, OccurredAt: at}, false},
		{"another door", gatehouse.GateEvent{Kind: gatehouse.DoorForced, Door: 2, OccurredAt: at}, false},
		{"another time", gatehouse.GateEvent{Kind: gatehouse.DoorForced, Door: 1, OccurredAt: at.Add(time.Second)}, false},
	} {
		if got := e.Same(&tc.o); got != tc.want {
			t.Errorf("%s: same %v, want %v", tc.what, got, tc.want)
		}
	}
}
