package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// cameraGates is the fixture's gates service understanding one vendor,
// with camera tokens numbered so a test can name them.
func cameraGates(f *fixture) (*service.Gates, *int) {
	n := 0
	g := *f.gates
	g.CameraVendor = func(v string) bool { return v == "vzenith" }
	g.NewCameraToken = func() (string, string) {
		n++
		token := fmt.Sprintf("camtoken-%d", n)
		return token, service.SecretHash(token)
	}
	return &g, &n
}

// A gate becomes a vehicle gate with a camera by a manager of its
// community: each bad field named; the first camera gets its push URL's
// token, shown once; a new serial keeps it; rotating replaces it.
func TestAVehicleGatesCameraIsRegisteredAndItsTokenRotated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		gates, _ := cameraGates(f)
		vehicle, pedestrian := "vehicle", "pedestrian"
		cam := &service.CameraInput{Vendor: "vzenith", Serial: "e5f0a1b2-3c4d5e6f"}
		for role, p := range map[string]*gatehouse.Principal{"guard": f.guard, "resident": f.resident, "device": f.device} {
			_, _, err := gates.Change(ctx, p, f.gateA.ID, service.GateChange{Kind: &vehicle, Camera: cam})
			wantCode(t, role+" registers a camera", err, gatehouse.EFORBIDDEN)
			_, _, err = gates.RotateCameraToken(ctx, p, f.gateA.ID)
			wantCode(t, role+" rotates a token", err, gatehouse.EFORBIDDEN)
		}
		_, _, err := gates.Change(ctx, f.manager, f.gateB.ID, service.GateChange{Kind: &vehicle, Camera: cam})
		wantCode(t, "A's manager at B's gate", err, gatehouse.ENOTFOUND)
		_, _, err = gates.RotateCameraToken(ctx, f.manager, f.gateA.ID)
		wantCode(t, "rotating before a camera", err, gatehouse.ECONFLICT)
		for _, tc := range []struct {
			what   string
			in     service.GateChange
			fields []string
		}{
			{"a kind that is none", service.GateChange{Kind: ptr("car")}, []string{"kind"}},
			{"a camera on a pedestrian gate", service.GateChange{Camera: cam}, []string{"camera"}},
			{"a vendor not understood", service.GateChange{Kind: &vehicle, Camera: &service.CameraInput{Vendor: "hikvision", Serial: "x1"}}, []string{"camera.vendor"}},
			{"no serial", service.GateChange{Kind: &vehicle, Camera: &service.CameraInput{Vendor: "vzenith"}}, []string{"camera.serial"}},
			{"a lane that is none", service.GateChange{Kind: &vehicle, Camera: &service.CameraInput{Vendor: "vzenith", Serial: "x1", Lane: "up"}}, []string{"camera.lane"}},
			{"an empty name", service.GateChange{Name: ptr(" ")}, []string{"name"}},
		} {
			_, _, err := gates.Change(ctx, f.manager, f.gateA.ID, tc.in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}

		g, token, err := gates.Change(ctx, f.manager, f.gateA.ID, service.GateChange{Name: ptr(" 车库入口 "), Kind: &vehicle, Camera: cam})
		if err != nil || token != "camtoken-1" || g.Name != "车库入口" || g.Kind != gatehouse.GateVehicle || g.Camera == nil ||
			g.Camera.Vendor != "vzenith" || g.Camera.Serial != "e5f0a1b2-3c4d5e6f" || g.Camera.Lane != gatehouse.In || !g.Camera.TokenSet {
			t.Fatalf("the camera registered: %+v %+v %q %v", g, g.Camera, token, err)
		}
		g, token, err = gates.Change(ctx, f.manager, f.gateA.ID, service.GateChange{Camera: &service.CameraInput{Vendor: "vzenith", Serial: "e5f0-new", Lane: " out "}})
		if err != nil || token != "" || g.Camera.Serial != "e5f0-new" || g.Camera.Lane != gatehouse.Out {
			t.Fatalf("a new camera on the gate: %+v %q %v", g, token, err)
		}
		if gt, err := db.GateByCameraToken(ctx, service.SecretHash("camtoken-1")); err != nil || gt.ID != f.gateA.ID {
			t.Errorf("the first token after a new serial: %+v %v", gt, err)
		}
		g, token, err = gates.RotateCameraToken(ctx, f.admin, f.gateA.ID)
		if err != nil || token != "camtoken-2" || g.ID != f.gateA.ID {
			t.Fatalf("rotating: %+v %q %v", g, token, err)
		}
		if _, err := db.GateByCameraToken(ctx, service.SecretHash("camtoken-1")); err == nil {
			t.Error("the old token still names the gate")
		}
		if gt, err := db.GateByCameraToken(ctx, service.SecretHash("camtoken-2")); err != nil || gt.ID != f.gateA.ID {
			t.Errorf("the new token: %+v %v", gt, err)
		}
		// Back to a pedestrian gate: the camera no longer pushes.
		if _, _, err := gates.Change(ctx, f.manager, f.gateA.ID, service.GateChange{Kind: &pedestrian}); err != nil {
			t.Fatal(err)
		}
		_, _, err = gates.RotateCameraToken(ctx, f.manager, f.gateA.ID)
		wantCode(t, "rotating at a pedestrian gate", err, gatehouse.ECONFLICT)
	})
}

// A push is heard only at its token's gate, from its vendor and serial
// (nothing logged otherwise); no plate opens nothing and logs nothing; a
// resident's car opens, an unknown plate does not; a record the camera
// kept offline is logged but opens nothing now.
func TestACamerasPushIsDecidedByPlate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		gates, _ := cameraGates(f)
		vehicle := "vehicle"
		if _, _, err := gates.Change(ctx, f.manager, f.gateA.ID, service.GateChange{Kind: &vehicle,
			Camera: &service.CameraInput{Vendor: "vzenith", Serial: "IVS-1"}}); err != nil {
			t.Fatal(err)
		}
		vs := &service.Vehicles{Store: db, Now: func() time.Time { return now }}
		if _, err := vs.Create(ctx, f.manager, f.hostA.ID, service.VehicleInput{Plate: "粤B66666", PlateColor: "blue"}); err != nil {
			t.Fatal(err)
		}
		cams := &service.Cameras{Store: db, Engine: f.eng}
		token := service.SecretHash("camtoken-1")
		read := func(plate, id string) gatehouse.PlateRead {
			return gatehouse.PlateRead{Serial: "IVS-1", Plate: plate, Confidence: 95, EventID: id}
		}
		_, err := cams.Push(ctx, "vzenith", service.SecretHash("made-up"), read("粤B66666", "1"))
		wantCode(t, "an unknown token", err, gatehouse.ENOTFOUND)
		_, err = cams.Push(ctx, "hikvision", token, read("粤B66666", "1"))
		wantCode(t, "another vendor's push", err, gatehouse.ENOTFOUND)
		other := read("粤B66666", "1")
		other.Serial = "IVS-2"
		_, err = cams.Push(ctx, "vzenith", token, other)
		wantCode(t, "another serial", err, gatehouse.EUNAUTHORIZED)
		for what, plate := range map[string]string{"no plate": "", "not a plate": "无"} {
			if ans, err := cams.Push(ctx, "vzenith", token, read(plate, "2")); err != nil || ans.Open || ans.Outcome != nil {
				t.Errorf("%s: %+v %v", what, ans, err)
			}
		}
		if n := entryCount(t, f); n != 0 {
			t.Fatalf("refused pushes logged %d entries", n)
		}

		ans, err := cams.Push(ctx, "vzenith", token, read("粤B66666", "3"))
		if err != nil || !ans.Open || ans.Outcome.Entry.Decision != gatehouse.Grant || ans.Outcome.Vehicle == nil || ans.Outcome.Entry.GateID != f.gateA.ID {
			t.Errorf("the resident's car: %+v %v", ans, err)
		}
		ans, err = cams.Push(ctx, "vzenith", token, read("粤B12345", "4"))
		if err != nil || ans.Open || ans.Outcome.Entry.Decision != gatehouse.Deny || ans.Outcome.Entry.Reason != gatehouse.UnknownPlate {
			t.Errorf("an unknown plate: %+v %v", ans, err)
		}
		kept := read("粤B66666", "5")
		kept.Offline, kept.OccurredAt = true, now.Add(-time.Hour)
		ans, err = cams.Push(ctx, "vzenith", token, kept)
		if err != nil || ans.Open || ans.Outcome == nil {
			t.Errorf("a record kept offline: %+v %v", ans, err)
		}
		if n := entryCount(t, f); n != 3 {
			t.Errorf("%d entries logged, want 3", n)
		}
	})
}

// entryCount is how many entries community A's log holds.
func entryCount(t *testing.T, f *fixture) int {
	t.Helper()
	es, _, err := f.db.Entries(context.Background(), gatehouse.EntryFilter{CommunityIDs: []int64{f.a.ID}}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
