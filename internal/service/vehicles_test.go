package service_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestVehiclesAreManagersToRegisterAndEndWithTheMoveOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vs := &service.Vehicles{Store: db, Now: func() time.Time { return now }}
		plate := func(p string) gatehouse.Reason {
			t.Helper()
			out, err := f.eng.Plate(ctx, access.PlateRequest{CommunityID: f.a.ID, GateID: f.gateA.ID, Direction: gatehouse.In,
				Read: gatehouse.PlateRead{Plate: p, Confidence: 95}})
			if err != nil {
				t.Fatal(err)
			}
			return out.Entry.Reason
		}

		// Who may register and read.
		in := service.VehicleInput{Plate: "粤B 66666", PlateColor: "blue", Label: "白色轿车"}
		for _, pr := range []*gatehouse.Principal{f.guard, f.resident, f.police, f.device} {
			_, err := vs.Create(ctx, pr, f.hostA.ID, in)
			wantCode(t, "a "+string(pr.Role)+" registering a vehicle", err, gatehouse.EFORBIDDEN)
		}
		_, err := vs.Create(ctx, f.manager, f.hostB.ID, in)
		wantCode(t, "a vehicle of another community's resident", err, gatehouse.ENOTFOUND)
		for _, tc := range []struct {
			what   string
			in     service.VehicleInput
			fields []string
		}{
			{"no plate", service.VehicleInput{}, []string{"plate"}},
			{"not a plate", service.VehicleInput{Plate: "粤B1"}, []string{"plate"}},
			{"a colour", service.VehicleInput{Plate: "粤B66666", PlateColor: "pink"}, []string{"plate_color"}},
			{"an end past", service.VehicleInput{Plate: "粤B66666", ValidUntil: rfc(now.Add(-time.Hour))}, []string{"valid_until"}},
		} {
			_, err := vs.Create(ctx, f.manager, f.hostA.ID, tc.in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		v, err := vs.Create(ctx, f.manager, f.hostA.ID, in)
		if err != nil || v.Plate != "粤B66666" || v.PlateColor != gatehouse.PlateBlue {
			t.Fatalf("vehicle %+v, %v", v, err)
		}
		_, err = vs.Create(ctx, f.manager, f.neighbourA.ID, service.VehicleInput{Plate: "粤B66666"})
		wantProblems(t, "the plate twice in a community", err, gatehouse.ECONFLICT, "plate")
		mine, err := vs.List(ctx, f.resident, f.hostA.ID)
		if err != nil || len(mine) != 1 {
			t.Fatalf("the resident's own vehicles: %v, %v", mine, err)
		}
		_, err = vs.List(ctx, f.resident, f.neighbourA.ID)
		wantCode(t, "a neighbour's vehicles", err, gatehouse.ENOTFOUND)
		_, err = vs.List(ctx, f.guard, f.hostA.ID)
		wantCode(t, "a guard listing vehicles", err, gatehouse.EFORBIDDEN)
		if r := plate("粤B66666"); r != gatehouse.Granted {
			t.Fatalf("the resident's car: %s", r)
		}

		// The move-out ends it; the plate may then be a new occupant's.
		if err := f.residents.MoveOut(ctx, f.manager, f.hostA.ID); err != nil {
			t.Fatal(err)
		}
		if r := plate("粤B66666"); r != gatehouse.Revoked {
			t.Fatalf("the car of a resident who moved out: %s", r)
		}
		if mine, err = vs.List(ctx, f.manager, f.hostA.ID); err != nil || len(mine) != 0 {
			t.Fatalf("vehicles after the move-out: %v, %v", mine, err)
		}
		if _, err := vs.Create(ctx, f.manager, f.hostA.ID, in); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			t.Fatalf("a vehicle for a resident who moved out: %v", err)
		}
		nv, err := vs.Create(ctx, f.manager, f.neighbourA.ID, service.VehicleInput{Plate: "粤B66666"})
		if err != nil {
			t.Fatalf("the plate for the next owner: %v", err)
		}
		out, err := f.eng.Plate(ctx, access.PlateRequest{CommunityID: f.a.ID, GateID: f.gateA.ID, Direction: gatehouse.In,
			Read: gatehouse.PlateRead{Plate: "粤B66666", Confidence: 95}})
		if err != nil || out.Entry.Decision != gatehouse.Grant || out.Entry.ResidentID != f.neighbourA.ID {
			t.Fatalf("the next owner's car: %+v, %v", out.Entry, err)
		}
		if err := vs.Delete(ctx, f.guard, nv.ID); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
			t.Fatalf("a guard deleting a vehicle: %v", err)
		}
		if err := vs.Delete(ctx, f.manager, nv.ID); err != nil {
			t.Fatal(err)
		}
		if r := plate("粤B66666"); r != gatehouse.UnknownPlate {
			t.Fatalf("a deleted vehicle's plate: %s", r)
		}
	})
}

func TestGuardsAdmitUnknownPlatesOfTheirCommunityOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vs := &service.Vehicles{Store: db, Now: func() time.Time { return now }}
		in := service.AdmitInput{GateID: f.gateA.ID, Plate: "京A00001", HostResidentID: f.hostA.ID, Purpose: "搬家"}
		for _, pr := range []*gatehouse.Principal{f.resident, f.police, f.admin, f.device} {
			_, err := vs.Admit(ctx, pr, in)
			wantCode(t, "an admission by "+string(pr.Role), err, gatehouse.EFORBIDDEN)
		}
		_, err := vs.Admit(ctx, f.guard, service.AdmitInput{GateID: f.gateB.ID, Plate: "京A00001", HostResidentID: f.hostB.ID, Purpose: "搬家"})
		wantCode(t, "another community's gate", err, gatehouse.ENOTFOUND)
		_, err = vs.Admit(ctx, f.guard, service.AdmitInput{GateID: f.gateA.ID, Plate: "京A00001", HostResidentID: f.hostB.ID, Purpose: "搬家"})
		wantProblems(t, "another community's host", err, gatehouse.EINVALID, "host_resident_id")
		_, err = vs.Admit(ctx, f.guard, service.AdmitInput{GateID: f.gateA.ID, Plate: "京A", Purpose: " "})
		wantProblems(t, "nothing right", err, gatehouse.EINVALID, "plate", "host_resident_id", "purpose")
		if _, err := vs.Watch(ctx, f.guard, f.a.ID, "京A00001", "冲卡"); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
			t.Fatalf("a guard watching a plate: %v", err)
		}
		if _, err := vs.Watch(ctx, f.manager, f.a.ID, "京A00001", "冲卡"); err != nil {
			t.Fatal(err)
		}
		_, err = vs.Admit(ctx, f.guard, in)
		wantProblems(t, "a watched plate", err, gatehouse.ECONFLICT, "plate")
		in.Plate = "京A00002"
		a, err := vs.Admit(ctx, f.guard, in)
		if err != nil || a.ValidUntil.Sub(now) != gatehouse.PlateAdmissionTTL || a.GuardID != f.guard.UserID {
			t.Fatalf("admission %+v, %v", a, err)
		}
		if _, err := vs.Matches(ctx, f.resident, f.a.ID, "京A00002"); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
			t.Fatalf("a resident asking for close matches: %v", err)
		}
		if _, err := vs.Matches(ctx, f.guard, f.b.ID, "京A00002"); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			t.Fatalf("close matches in another community: %v", err)
		}
	})
}
