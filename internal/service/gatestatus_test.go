package service_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// A device reports the heartbeat of its own gate only; staff read the
// statuses of their communities' gates; a gate is offline once its agent
// or its controller has been silent for two minutes.
func TestAGateReportsItsOwnStatusAndGoesOfflineWhenSilent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := now
		svc := &service.GateMonitor{Store: db, Now: func() time.Time { return clock }}
		zero := int64(0)
		good := service.HeartbeatInput{Version: "v1", IntervalSeconds: 30, Controller: &service.ControllerInput{Kind: "uhppote", Online: true,
			SilentSeconds: &zero, LastEventIndex: 9}}
		_, err := svc.Heartbeat(ctx, f.guard, f.gateA.ID, good)
		wantCode(t, "a guard reporting", err, gatehouse.EFORBIDDEN)
		_, err = svc.Heartbeat(ctx, f.device, f.gateB.ID, good)
		wantCode(t, "a device reporting for another gate", err, gatehouse.ENOTFOUND)
		neg := int64(-1)
		_, err = svc.Heartbeat(ctx, f.device, f.gateA.ID, service.HeartbeatInput{Version: "v\x00", IntervalSeconds: 61, Pending: -1,
			Controller: &service.ControllerInput{Kind: "", DeviceID: -1, SilentSeconds: &neg, LastEventIndex: -1}})
		wantProblems(t, "a bad heartbeat", err, gatehouse.EINVALID, "version", "interval_seconds", "pending", "controller.kind",
			"controller.device_id", "controller.silent_seconds", "controller.last_event_index")
		if _, err := svc.Heartbeat(ctx, f.device, f.gateA.ID, good); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Statuses(ctx, f.device, []*gatehouse.Gate{f.gateA})
		wantCode(t, "a device reading statuses", err, gatehouse.EFORBIDDEN)
		st, err := svc.Statuses(ctx, f.guard, []*gatehouse.Gate{f.gateA, f.gateB})
		if err != nil || len(st) != 1 || !st[f.gateA.ID].Online(clock) || st[f.gateA.ID].Controller.LastEventIndex != 9 {
			t.Fatalf("statuses in scope: %+v, %v", st, err)
		}
		counts, err := svc.Counts(ctx)
		if err != nil || counts[f.a.ID] != (service.GateCount{Reporting: 1}) || len(counts) != 1 {
			t.Fatalf("counts: %+v, %v", counts, err)
		}
		clock = clock.Add(gatehouse.GateSilentAfter)
		st, _ = svc.Statuses(ctx, f.manager, []*gatehouse.Gate{f.gateA})
		if st[f.gateA.ID].Online(clock) {
			t.Error("online after two silent minutes")
		}
		if counts, _ := svc.Counts(ctx); counts[f.a.ID] != (service.GateCount{Reporting: 1, Offline: 1}) {
			t.Errorf("counts when silent: %+v", counts)
		}
		// The agent is back but its board has not answered for two minutes.
		silent := int64(120)
		bad := good
		bad.Controller = &service.ControllerInput{Kind: "uhppote", SilentSeconds: &silent}
		if _, err := svc.Heartbeat(ctx, f.device, f.gateA.ID, bad); err != nil {
			t.Fatal(err)
		}
		st, _ = svc.Statuses(ctx, f.manager, []*gatehouse.Gate{f.gateA})
		if s := st[f.gateA.ID]; s.Online(clock) || !s.AgentOnline(clock) || s.ControllerOnline(clock) {
			t.Errorf("a silent board: %+v", s)
		}
		// A disabled gate is not counted.
		disabled := true
		if _, err := f.gates.Update(ctx, f.manager, f.gateA.ID, nil, &disabled); err != nil {
			t.Fatal(err)
		}
		if counts, _ := svc.Counts(ctx); len(counts) != 0 {
			t.Errorf("counts with the gate disabled: %+v", counts)
		}
	})
}

// Door events are logged once by their event id for the device's own gate,
// and listed for staff of its community only.
func TestDoorEventsOfAGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := &service.GateMonitor{Store: db, Now: func() time.Time { return now }}
		ev := func(id string, kind gatehouse.GateEventKind) *gatehouse.GateEvent {
			return &gatehouse.GateEvent{EventID: id, Kind: kind, Door: 1, OccurredAt: now.Add(-time.Minute)}
		}
		_, err := svc.RecordEvents(ctx, f.device, f.gateA.ID, service.MaxGateEventBatch+1, nil)
		wantProblems(t, "a batch too large", err, gatehouse.EINVALID, "events")
		_, err = svc.RecordEvents(ctx, f.manager, f.gateA.ID, 1, []*gatehouse.GateEvent{ev("a", gatehouse.DoorForced)})
		wantCode(t, "a manager uploading", err, gatehouse.EFORBIDDEN)
		_, err = svc.RecordEvents(ctx, f.device, f.gateB.ID, 1, []*gatehouse.GateEvent{ev("a", gatehouse.DoorForced)})
		wantCode(t, "a device uploading for another gate", err, gatehouse.ENOTFOUND)
		future := ev("c", gatehouse.DoorButton)
		future.OccurredAt = now.Add(time.Hour)
		res, err := svc.RecordEvents(ctx, f.device, f.gateA.ID, 3, []*gatehouse.GateEvent{ev("a", gatehouse.DoorForced), ev("b", gatehouse.DoorButton), future})
		if err != nil || len(res.Recorded) != 2 || len(res.Rejected) != 1 || res.Rejected[0].Index != 2 {
			t.Fatalf("first: %+v, %v", res, err)
		}
		res, err = svc.RecordEvents(ctx, f.device, f.gateA.ID, 2, []*gatehouse.GateEvent{ev("a", gatehouse.DoorForced), ev("b", gatehouse.DoorForced)})
		if err != nil || len(res.Recorded) != 0 || len(res.Duplicates) != 1 || len(res.Rejected) != 1 || res.Rejected[0].Reason != "event_id_reused" {
			t.Fatalf("again: %+v, %v", res, err)
		}
		list, _, err := svc.Events(ctx, f.guard, 0, 0, gatehouse.DoorForced, gatehouse.Page{})
		if err != nil || len(list) != 1 || list[0].EventID != "a" || list[0].GateID != f.gateA.ID || list[0].CommunityID != f.a.ID {
			t.Fatalf("forced events: %+v, %v", list, err)
		}
		_, _, err = svc.Events(ctx, f.guard, 0, f.gateB.ID, "", gatehouse.Page{})
		wantCode(t, "a guard listing another community's gate", err, gatehouse.ENOTFOUND)
		_, _, err = svc.Events(ctx, f.resident, 0, 0, "", gatehouse.Page{})
		wantCode(t, "a resident listing", err, gatehouse.EFORBIDDEN)
		list, _, _ = svc.Events(ctx, f.admin, f.b.ID, 0, "", gatehouse.Page{})
		if len(list) != 0 {
			t.Errorf("community B's events: %+v", list)
		}
	})
}
