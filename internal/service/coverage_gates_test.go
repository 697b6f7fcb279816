package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// Gates are read by staff of their community; a gate elsewhere, or none,
// is not found; only managers and admin of a community add gates to it.
func TestWhoReadsAndAddsGates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for role, p := range map[string]*gatehouse.Principal{"resident": f.resident, "police": f.police, "device": f.device} {
			_, err := f.gates.Get(ctx, p, f.gateA.ID)
			wantCode(t, role+" reads a gate", err, gatehouse.EFORBIDDEN)
		}
		for role, p := range map[string]*gatehouse.Principal{"guard": f.guard, "manager": f.manager, "admin": f.admin} {
			if g, err := f.gates.Get(ctx, p, f.gateA.ID); err != nil || g.ID != f.gateA.ID || g.CommunityID != f.a.ID {
				t.Errorf("%s reads gate A: %+v %v", role, g, err)
			}
		}
		_, err := f.gates.Get(ctx, f.manager, f.gateB.ID)
		wantCode(t, "A's manager reads B's gate", err, gatehouse.ENOTFOUND)
		_, err = f.gates.Get(ctx, f.admin, f.gateB.ID+1000)
		wantCode(t, "a gate that does not exist", err, gatehouse.ENOTFOUND)
		_, _, err = f.gates.Create(ctx, f.manager, f.b.ID, "北门")
		wantCode(t, "A's manager adds a gate to B", err, gatehouse.ENOTFOUND)
		g, key, err := f.gates.Create(ctx, f.admin, f.b.ID, " 北门 ")
		if err != nil || g.CommunityID != f.b.ID || g.Name != "北门" || g.KeyPrefix != "ghk_new" || key == "" {
			t.Errorf("admin adds a gate to B: %+v %q %v", g, key, err)
		}
	})
}

// Door events are filtered by a known kind only, and by a gate of the
// community asked for.
func TestDoorEventsAreFilteredByAKnownKindAndAGateInScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := &service.GateMonitor{Store: db, Now: func() time.Time { return now }}
		ev := &gatehouse.GateEvent{EventID: "a", Kind: gatehouse.DoorButton, Door: 1, OccurredAt: now.Add(-time.Minute)}
		if _, err := svc.RecordEvents(ctx, f.device, f.gateA.ID, 1, []*gatehouse.GateEvent{ev}); err != nil {
			t.Fatal(err)
		}
		_, _, err := svc.Events(ctx, f.guard, 0, 0, "door_open", gatehouse.Page{})
		wantProblems(t, "an unknown kind", err, gatehouse.EBADREQUEST, "kind")
		_, _, err = svc.Events(ctx, f.admin, f.b.ID, f.gateA.ID, "", gatehouse.Page{})
		wantCode(t, "A's gate asked for as B's", err, gatehouse.ENOTFOUND)
		list, _, err := svc.Events(ctx, f.guard, f.a.ID, f.gateA.ID, gatehouse.DoorButton, gatehouse.Page{})
		if err != nil || len(list) != 1 || list[0].EventID != "a" {
			t.Errorf("A's exit buttons at gate A: %+v %v", list, err)
		}
		list, _, err = svc.Events(ctx, f.guard, 0, 0, gatehouse.DoorForced, gatehouse.Page{})
		if err != nil || len(list) != 0 {
			t.Errorf("forced doors: %+v %v", list, err)
		}
	})
}

// A controller's first sync starts after the changes it has no use for
// (of passes that ended more than a day ago), not at 0, so that it never
// reads them again; a pass used up is named as exhausted.
func TestAFirstSyncStartsAfterChangesNoGateNeeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := &service.Devices{Store: db, Cards: f.cards, Engine: f.eng}
		once, err := f.passes.Create(ctx, f.guard, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: visitor("张伟", 14),
			ValidUntil: rfc(now.Add(time.Hour))}, gatehouse.PassWalkIn)
		if err != nil {
			t.Fatal(err)
		}
		code, err := f.eng.PassCode(once)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := f.console.Scan(ctx, f.eng, f.device, service.ScanInput{Code: code, Direction: gatehouse.In, GateEpoch: 1, GateKeyHash: gateAKeyHash})
		if err != nil || out.Entry.Decision != gatehouse.Grant {
			t.Fatalf("the pass's one entry: %+v %v", out, err)
		}
		sync, err := svc.Sync(ctx, f.device, f.gateA.ID, 0, false)
		if err != nil || !sameIDs(sync.Exhausted, once.ID) || len(sync.Revoked) != 0 || sync.Cursor == 0 {
			t.Fatalf("a sync after the pass was used up: %+v %v", sync, err)
		}
		last := sync.Cursor

		// Two days later the pass is long over: a new controller learns nothing of it, and starts after it.
		later := now.Add(48 * time.Hour)
		db.Now = func() time.Time { return later }
		fresh, err := svc.Sync(ctx, f.device, f.gateA.ID, 0, false)
		if err != nil || len(fresh.Exhausted) != 0 || fresh.Cursor != last || fresh.More {
			t.Errorf("a first sync two days later: %+v %v, want no changes and cursor %d", fresh, err, last)
		}
	})
}

// gateAKeyHash is the stored hash of gate A's key in the fixture.
var gateAKeyHash = strings.Repeat("0", 64)

// A resident's cards are listed for managers and admin of its community;
// only they delete a card, once.
func TestManagersListAndDeleteAResidentsCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.cards.Create(ctx, f.manager, f.hostA.ID, service.CardInput{Number: "3735928559", Label: "主卡"})
		if err != nil {
			t.Fatal(err)
		}
		for role, p := range map[string]*gatehouse.Principal{"manager": f.manager, "admin": f.admin} {
			if cs, err := f.cards.List(ctx, p, f.hostA.ID); err != nil || len(cs) != 1 || cs[0].ID != c.ID || cs[0].Label != "主卡" {
				t.Errorf("%s lists the resident's cards: %+v %v", role, cs, err)
			}
		}
		managerB := &gatehouse.Principal{UserID: f.manager.UserID, Role: gatehouse.RoleManager, Communities: []int64{f.b.ID}}
		_, err = f.cards.List(ctx, managerB, f.hostA.ID)
		wantCode(t, "B's manager lists A's resident's cards", err, gatehouse.ENOTFOUND)
		for role, p := range map[string]*gatehouse.Principal{"guard": f.guard, "resident": f.resident, "police": f.police} {
			wantCode(t, role+" deletes a card", f.cards.Delete(ctx, p, c.ID), gatehouse.EFORBIDDEN)
		}
		wantCode(t, "a card that does not exist", f.cards.Delete(ctx, f.admin, c.ID+1000), gatehouse.ENOTFOUND)
		if err := f.cards.Delete(ctx, f.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "a card deleted twice", f.cards.Delete(ctx, f.manager, c.ID), gatehouse.ENOTFOUND)
		if cs, err := f.cards.List(ctx, f.manager, f.hostA.ID); err != nil || len(cs) != 0 {
			t.Errorf("cards after the delete: %+v %v", cs, err)
		}
	})
}
