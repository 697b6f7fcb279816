package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// The district table reads all communities at once, several hundred ids
// to a query: a district larger than one list still counts every one.
func TestSupervisionCountsEveryCommunityOfALargeDistrict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var ids []int64
		for range 1001 {
			ids = append(ids, mustCommunity(t, db).ID)
		}
		// The first list's first, the second's first, the third's: one
		// dwelling, two, and one where two residents live.
		homes := map[int][]string{0: {"101"}, 500: {"101", "102"}, 1000: {"101", "101"}}
		for at, rooms := range homes {
			for j, room := range rooms {
				r := &gatehouse.Resident{CommunityID: ids[at], Name: fmt.Sprintf("住户%d", j), IDType: gatehouse.IDPassport,
					IDNumber: gatehouse.NewIDNumber(fmt.Sprintf("E%08d", j)), Phone: "13800138000", Building: "1", Unit: "1", Room: room}
				if err := db.CreateResident(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := db.DwellingsWithResidents(ctx, ids, time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[ids[0]] != 1 || got[ids[500]] != 2 || got[ids[1000]] != 1 {
			t.Errorf("dwellings lived in: %v; want %d:1, %d:2, %d:1", got, ids[0], ids[500], ids[1000])
		}
		if got, err := db.DwellingsWithResidents(ctx, ids, time.Now().Add(-time.Hour)); err != nil || len(got) != 0 {
			t.Errorf("an hour before anyone moved in: %v %v", got, err)
		}
	})
}
