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

func TestACardIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cases := []struct {
			what   string
			in     service.CardInput
			fields []string
		}{
			{"no number", service.CardInput{}, []string{"number"}},
			{"letters", service.CardInput{Number: "12AB"}, []string{"number"}},
			{"zeros", service.CardInput{Number: "000"}, []string{"number"}},
			{"a long label", service.CardInput{Number: "3735928559", Label: strings.Repeat("卡", 65)}, []string{"label"}},
			{"a from that is no time", service.CardInput{Number: "3735928559", ValidFrom: "now"}, []string{"valid_from"}},
			{"an until before from", service.CardInput{Number: "3735928559", ValidUntil: rfc(now.Add(-time.Hour))}, []string{"valid_until"}},
		}
		for _, tc := range cases {
			c, err := f.cards.Create(ctx, f.manager, f.hostA.ID, tc.in)
			if c != nil {
				t.Errorf("%s: registered %+v", tc.what, c)
			}
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		_, err := f.cards.Create(ctx, f.manager, f.hostB.ID, service.CardInput{Number: "3735928559"})
		wantCode(t, "a card of B's resident", err, gatehouse.ENOTFOUND)
		_, err = f.cards.Create(ctx, f.guard, f.hostA.ID, service.CardInput{Number: "3735928559"})
		wantCode(t, "a guard's card", err, gatehouse.EFORBIDDEN)
		if err := f.residents.MoveOut(ctx, f.manager, f.neighbourA.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.cards.Create(ctx, f.manager, f.neighbourA.ID, service.CardInput{Number: "3735928559"})
		wantCode(t, "a card of one who moved out", err, gatehouse.ECONFLICT)
		c, err := f.cards.Create(ctx, f.manager, f.hostA.ID, service.CardInput{Number: "3735928559", Label: "主卡"})
		if err != nil || !c.ValidFrom.Equal(now) || c.ValidUntil != nil || c.CommunityID != f.a.ID || c.CreatedBy != f.manager.UserID {
			t.Errorf("a card: %+v, %v", c, err)
		}
	})
}

// A resident reads its own cards only; a deleted card is gone.
func TestACardIsSeenByItsResidentAndDeletedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.cards.Create(ctx, f.manager, f.hostA.ID, service.CardInput{Number: "3735928559"})
		if err != nil {
			t.Fatal(err)
		}
		if cs, err := f.cards.List(ctx, f.resident, f.hostA.ID); err != nil || len(cs) != 1 {
			t.Errorf("the resident's own cards: %d, %v", len(cs), err)
		}
		if _, err := f.cards.List(ctx, f.resident, f.neighbourA.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("the neighbour's cards: %v", err)
		}
		if _, err := f.cards.List(ctx, f.guard, f.hostA.ID); outcome(err) != gatehouse.EFORBIDDEN {
			t.Errorf("a guard reading cards: %v", err)
		}
		if _, err := f.cards.List(ctx, f.device, f.hostA.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("a gate reading cards: %v", err)
		}
		managerB := &gatehouse.Principal{UserID: f.manager.UserID, Role: gatehouse.RoleManager, Communities: []int64{f.b.ID}}
		if err := f.cards.Delete(ctx, managerB, c.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("B's manager deleting: %v", err)
		}
		if err := f.cards.Delete(ctx, f.manager, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.cards.Delete(ctx, f.manager, c.ID); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

// A gate learns every live card on a complete sync, else only the cards
// of the changes, a card whose resident left being removed.
func TestAGateLearnsItsCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		mine, err := f.cards.Create(ctx, f.manager, f.hostA.ID, service.CardInput{Number: "1001"})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := f.cards.Create(ctx, f.manager, f.neighbourA.ID, service.CardInput{Number: "1002"})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := f.cards.Create(ctx, f.manager, f.neighbourA.ID, service.CardInput{Number: "1003", ValidUntil: rfc(now.Add(time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		all, err := f.cards.ForGate(ctx, f.a.ID, nil, true)
		if err != nil || !all.Complete || len(all.Live) != 3 || len(all.Removed) != 0 {
			t.Errorf("a complete sync: %+v, %v", all, err)
		}
		if err := f.residents.MoveOut(ctx, f.manager, f.neighbourA.ID); err != nil {
			t.Fatal(err)
		}
		f.cards.Now = func() time.Time { return now.Add(2 * time.Hour) }
		changes := []gatehouse.CodeChange{{SubjectID: mine.ID, Kind: gatehouse.ChangeCard}, {SubjectID: theirs.ID, Kind: gatehouse.ChangeCard},
			{SubjectID: mine.ID, Kind: gatehouse.ChangeCard}, {SubjectID: 7, Kind: gatehouse.PassRevoked}, {SubjectID: gone.ID, Kind: gatehouse.ChangeCard}}
		got, err := f.cards.ForGate(ctx, f.a.ID, changes, false)
		if err != nil || got.Complete {
			t.Fatalf("a sync page: %+v, %v", got, err)
		}
		if len(got.Live) != 1 || got.Live[0].ID != mine.ID || len(got.Removed) != 2 {
			t.Errorf("live %v, removed %v; want card %d live, %d (moved out) and %d (expired) removed", cardIDs(got.Live), cardIDs(got.Removed), mine.ID, theirs.ID, gone.ID)
		}
		got, err = f.cards.ForGate(ctx, f.a.ID, []gatehouse.CodeChange{{SubjectID: f.neighbourA.ID, Kind: gatehouse.ChangeMovedOut}}, false)
		if err != nil || len(got.Live) != 0 || len(got.Removed) != 2 {
			t.Errorf("the neighbour's moving out: live %v, removed %v, %v", cardIDs(got.Live), cardIDs(got.Removed), err)
		}
		got, err = f.cards.ForGate(ctx, f.a.ID, []gatehouse.CodeChange{{SubjectID: 7, Kind: gatehouse.PassRevoked}}, false)
		if err != nil || len(got.Live) != 0 || len(got.Removed) != 0 {
			t.Errorf("no card changes: %+v, %v", got, err)
		}
	})
}

func cardIDs(cs []*gatehouse.Card) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
