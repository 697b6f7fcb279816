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

// A controller syncs and uploads for its own gate only; a sync tells it
// what changed after its cursor, and every card on a first sync.
func TestADeviceSyncsItsOwnGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := &service.Devices{Store: db, Cards: f.cards, Engine: f.eng}
		if _, err := f.cards.Create(ctx, f.manager, f.hostA.ID, service.CardInput{Number: "1001"}); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Sync(ctx, f.guard, f.gateA.ID, 0, false)
		wantCode(t, "a guard syncing", err, gatehouse.EFORBIDDEN)
		_, err = svc.Sync(ctx, f.device, f.gateB.ID, 0, false)
		wantCode(t, "a device syncing another gate", err, gatehouse.ENOTFOUND)
		_, err = svc.Sync(ctx, f.device, f.gateA.ID, -1, false)
		wantProblems(t, "a negative cursor", err, gatehouse.EBADREQUEST, "cursor")
		first, err := svc.Sync(ctx, f.device, f.gateA.ID, 0, false)
		if err != nil || first.Community.ID != f.a.ID || first.More || len(first.Revoked) != 0 || !first.Cards.Complete || len(first.Cards.Live) != 1 {
			t.Fatalf("a first sync: %+v, %v", first, err)
		}
		p, err := f.passes.Create(ctx, f.guard, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: visitor("张伟", 14),
			ValidUntil: rfc(now.Add(time.Hour))}, gatehouse.PassWalkIn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.passes.Revoke(ctx, f.guard, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.residents.MoveOut(ctx, f.manager, f.neighbourA.ID); err != nil {
			t.Fatal(err)
		}
		next, err := svc.Sync(ctx, f.device, f.gateA.ID, first.Cursor, false)
		if err != nil || !sameIDs(next.Revoked, p.ID) || !sameIDs(next.MovedOut, f.neighbourA.ID) || next.Cursor <= first.Cursor || next.Cards.Complete {
			t.Errorf("the next sync: %+v, %v", next, err)
		}
		again, err := svc.Sync(ctx, f.device, f.gateA.ID, next.Cursor, true)
		if err != nil || again.Cursor != next.Cursor || len(again.Revoked) != 0 || !again.Cards.Complete || len(again.Cards.Live) != 1 {
			t.Errorf("a full reconcile with nothing new: %+v, %v", again, err)
		}
		_, err = svc.Upload(ctx, f.device, f.gateA.ID, access.MaxOfflineBatch+1, nil)
		wantProblems(t, "a batch too large", err, gatehouse.EINVALID, "events")
		_, err = svc.Upload(ctx, f.manager, f.gateA.ID, 1, nil)
		wantCode(t, "a manager uploading", err, gatehouse.EFORBIDDEN)
		res, err := svc.Upload(ctx, f.device, f.gateA.ID, 0, nil)
		if err != nil || len(res.Recorded) != 0 {
			t.Errorf("an empty upload: %+v, %v", res, err)
		}
	})
}
