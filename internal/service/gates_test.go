package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestAGateIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		_, _, err := f.gates.Create(ctx, f.manager, 0, "东门")
		wantProblems(t, "no community", err, gatehouse.EINVALID, "community_id")
		_, _, err = f.gates.Create(ctx, f.manager, f.a.ID, "  ")
		wantProblems(t, "no name", err, gatehouse.EINVALID, "name")
		_, _, err = f.gates.Create(ctx, f.manager, f.a.ID, strings.Repeat("门", 65))
		wantProblems(t, "a long name", err, gatehouse.EINVALID, "name")
		_, _, err = f.gates.Create(ctx, f.manager, f.b.ID, "东门")
		wantCode(t, "a gate of B", err, gatehouse.ENOTFOUND)
		g, key, err := f.gates.Create(ctx, f.manager, f.a.ID, " 东门 ")
		if err != nil || g.Name != "东门" || key == "" || g.KeyPrefix == "" || g.CommunityID != f.a.ID {
			t.Fatalf("a new gate: %+v, %q, %v", g, key, err)
		}
		_, err = f.gates.Update(ctx, f.manager, g.ID, ptr(""), nil)
		wantProblems(t, "renamed to nothing", err, gatehouse.EINVALID, "name")
		_, err = f.gates.Update(ctx, f.manager, f.gateB.ID, ptr("北门"), nil)
		wantCode(t, "renaming B's gate", err, gatehouse.ENOTFOUND)
		yes := true
		g, err = f.gates.Update(ctx, f.manager, g.ID, ptr(" 北门 "), &yes)
		if err != nil || g.Name != "北门" || g.DisabledAt == nil {
			t.Errorf("renamed and disabled: %+v, %v", g, err)
		}
		gates, _, err := f.gates.List(ctx, f.guard, 0, gatehouse.Page{Limit: 10})
		if err != nil || len(gates) != 2 {
			t.Errorf("A's guard lists %d gates, %v; want 2", len(gates), err)
		}
		if gates, _, err := f.gates.List(ctx, f.guard, f.b.ID, gatehouse.Page{Limit: 10}); err != nil || len(gates) != 0 {
			t.Errorf("A's guard listing B's gates: %d, %v", len(gates), err)
		}
	})
}

// A rotated key is new, and the old one no longer finds the gate.
func TestRotatingAGatesKeyRetiresTheOldOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		n := 0
		f.gates.NewKey = func() (string, string, string) {
			n++
			return fmt.Sprintf("ghk_key%d", n), fmt.Sprintf("%064d", 100+n), fmt.Sprintf("ghk_k%d", n)
		}
		old := fmt.Sprintf("%064d", 0) // gate A's key in the fixture
		if g, err := db.GateByKeyHash(ctx, old); err != nil || g.ID != f.gateA.ID {
			t.Fatalf("the old key before: %+v, %v", g, err)
		}
		_, _, err := f.gates.RotateKey(ctx, f.guard, f.gateA.ID)
		wantCode(t, "a guard rotating", err, gatehouse.EFORBIDDEN)
		_, _, err = f.gates.RotateKey(ctx, f.manager, f.gateB.ID)
		wantCode(t, "rotating B's gate", err, gatehouse.ENOTFOUND)
		g, key, err := f.gates.RotateKey(ctx, f.manager, f.gateA.ID)
		if err != nil || key != "ghk_key1" || g.KeyPrefix != "ghk_k1" || g.ID != f.gateA.ID {
			t.Fatalf("rotated: %+v, %q, %v", g, key, err)
		}
		if _, err := db.GateByKeyHash(ctx, old); outcome(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("the old key after rotation: %v", err)
		}
		if g, err := db.GateByKeyHash(ctx, fmt.Sprintf("%064d", 101)); err != nil || g.ID != f.gateA.ID {
			t.Errorf("the new key: %+v, %v", g, err)
		}
	})
}
