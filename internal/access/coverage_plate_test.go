package access_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// plate decides a read of plate at the world's gate (its lane dir).
func (w *world) plate(dir gatehouse.Direction, read gatehouse.PlateRead) (*access.PlateOutcome, error) {
	return w.eng.Plate(context.Background(), access.PlateRequest{CommunityID: w.c.ID, GateID: w.gate.ID, Direction: dir, Read: read})
}

func (w *world) decided(what string, dir gatehouse.Direction, read gatehouse.PlateRead, want gatehouse.Reason) *access.PlateOutcome {
	w.t.Helper()
	out, err := w.plate(dir, read)
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
	if out.Entry.Reason != want || out.Entry.Decision != want.Decision() || out.Entry.Method != gatehouse.MethodPlate {
		w.t.Errorf("%s: %s (%s, method %s), want %s", what, out.Entry.Reason, out.Entry.Decision, out.Entry.Method, want)
	}
	return out
}

// A plate read is decided through the same log as scans: a resident's car
// (named in the entry, its read logged once by the camera's id), a sure
// enough read only, a watched plate refused, a visitor's pass bearing the
// plate (its entry used), a guard's admission (once), anything else an
// unknown plate; a record the camera kept offline is logged at its time.
func TestAPlateIsDecidedThroughTheLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.c.PlateMinConfidence = gatehouse.DefaultPlateMinConfidence
		if err := db.UpdateCommunity(ctx, w.c); err != nil {
			t.Fatal(err)
		}
		read := func(plate, id string) gatehouse.PlateRead {
			return gatehouse.PlateRead{Serial: "IVS-1", Plate: plate, Confidence: 95, EventID: id}
		}
		for what, tc := range map[string]struct {
			dir   gatehouse.Direction
			read  gatehouse.PlateRead
			field string
		}{
			"a lane that is none":      {"up", read("粤B66666", "x"), "direction"},
			"no plate":                 {gatehouse.In, read("", "x"), "plate"},
			"an event id with a space": {gatehouse.In, read("粤B66666", "a b"), "event_id"},
		} {
			_, err := w.plate(tc.dir, tc.read)
			if e, ok := err.(*gatehouse.Error); !ok || e.Fields[tc.field] == "" {
				t.Errorf("%s: %v, want a problem with %s", what, err, tc.field)
			}
		}

		car := &gatehouse.Vehicle{CommunityID: w.c.ID, ResidentID: w.host.ID, Plate: "粤B66666", PlateColor: gatehouse.PlateBlue}
		if err := db.CreateVehicle(ctx, car); err != nil {
			t.Fatal(err)
		}
		in := w.decided("the resident's car in", gatehouse.In, read("粤B66666", "r1"), gatehouse.Granted)
		if in.Vehicle == nil || in.Vehicle.ID != car.ID || in.Entry.ResidentID != w.host.ID || in.Entry.PersonName != "王芳" || in.Entry.Plate != "粤B66666" {
			t.Errorf("the car's entry: %+v %+v", in.Entry, in.Vehicle)
		}
		heardBefore := w.heard.count()
		again, err := w.plate(gatehouse.In, read("粤B66666", "r1"))
		if err != nil || !again.Replayed || again.Entry.ID != in.Entry.ID || w.heard.count() != heardBefore {
			t.Errorf("the camera's retry: %+v %v, heard %d more", again, err, w.heard.count()-heardBefore)
		}
		_, err = w.plate(gatehouse.In, read("粤B77777", "r1"))
		if e, ok := err.(*gatehouse.Error); !ok || e.Fields["event_id"] == "" {
			t.Errorf("the read's id for another plate: %v", err)
		}
		w.decided("the car out", gatehouse.Out, read("粤B66666", "r2"), gatehouse.Granted)
		low := read("粤B66666", "r3")
		low.Confidence = 79
		w.decided("a read the camera is not sure of", gatehouse.In, low, gatehouse.LowConfidence)

		if err := db.WatchPlate(ctx, &gatehouse.WatchedPlate{CommunityID: w.c.ID, Plate: "粤D44444", Reason: "盗窃嫌疑"}); err != nil {
			t.Fatal(err)
		}
		w.decided("a watched plate", gatehouse.In, read("粤D44444", "r4"), gatehouse.Watchlisted)

		p, _ := w.pass(nil) // 张伟's pass for 粤B12345, one entry
		visit := w.decided("the visitor's plate", gatehouse.In, read("粤B12345", "r5"), gatehouse.Granted)
		if visit.Pass == nil || visit.Pass.ID != p.ID || visit.Entry.PassID != p.ID || visit.Entry.PersonName != "张伟" || w.uses(p.ID) != 1 {
			t.Errorf("the pass's entry: %+v, uses %d", visit.Entry, w.uses(p.ID))
		}
		w.decided("the visitor's plate out", gatehouse.Out, read("粤B12345", "r6"), gatehouse.Granted)
		w.decided("the visitor's plate in again", gatehouse.In, read("粤B12345", "r7"), gatehouse.Exhausted)

		w.decided("an unknown plate", gatehouse.In, read("粤C00000", "r8"), gatehouse.UnknownPlate)
		now := w.clock.Now()
		adm := &gatehouse.PlateAdmission{CommunityID: w.c.ID, GateID: w.gate.ID, Plate: "粤C00000", HostResidentID: w.host.ID, Purpose: "送货",
			CreatedAt: now, ValidUntil: now.Add(gatehouse.PlateAdmissionTTL)}
		if err := db.AdmitPlate(ctx, adm); err != nil {
			t.Fatal(err)
		}
		w.decided("an admitted plate at the exit", gatehouse.Out, read("粤C00000", "r9"), gatehouse.UnknownPlate)
		admitted := w.decided("the admitted plate", gatehouse.In, read("粤C00000", "r10"), gatehouse.Granted)
		if admitted.Admission == nil || admitted.Admission.ID != adm.ID || admitted.Entry.HostResidentID != w.host.ID || admitted.Entry.Note != "送货" {
			t.Errorf("the admission's entry: %+v", admitted.Entry)
		}
		w.decided("the admitted plate out", gatehouse.Out, read("粤C00000", "r11"), gatehouse.Granted)
		w.decided("the admitted plate a second time", gatehouse.In, read("粤C00000", "r12"), gatehouse.UnknownPlate)

		kept := read("粤B66666", "r13")
		kept.Offline, kept.OccurredAt = true, now.Add(-2*time.Hour)
		off := w.decided("a record kept offline", gatehouse.In, kept, gatehouse.Granted)
		if !off.Entry.OccurredAt.Equal(now.Add(-2 * time.Hour)) {
			t.Errorf("the offline record logged at %s, want two hours ago", off.Entry.OccurredAt)
		}
		w.verify(13) // every read but the retry
	})
}
