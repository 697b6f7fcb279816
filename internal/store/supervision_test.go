package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
	"gatehouse/internal/supervision"
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

// The month's entries are read as the indicators tell them apart: the
// direction and the decision as they are, the method only as manual,
// walk-in or none given, the reason only as watchlisted or none given; a
// resident's own entry is not read, nor, after the month, anything but a
// visitor's way out and a guard's first actions.
func TestSupervisionFactsReadWhatTheIndicatorsTellApart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := mustCommunity(t, db)
		from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		monthEnd := from.AddDate(0, 1, 0)
		type in struct {
			visitor, guard, resident int64
			dir                      gatehouse.Direction
			dec                      gatehouse.Decision
			method                   gatehouse.Method
			reason                   gatehouse.Reason
			at                       time.Time
		}
		type want struct {
			dir    gatehouse.Direction
			dec    gatehouse.Decision
			method gatehouse.Method
			reason gatehouse.Reason
		}
		day := from.Add(9 * time.Hour)
		cases := []struct {
			in   in
			want *want // nil: not read
		}{
			{in{visitor: 1, dir: gatehouse.In, dec: gatehouse.Grant, method: gatehouse.MethodQR, reason: gatehouse.Granted, at: day},
				&want{gatehouse.In, gatehouse.Grant, "", ""}},
			{in{visitor: 2, dir: gatehouse.In, dec: gatehouse.Deny, method: gatehouse.MethodQR, reason: gatehouse.Watchlisted, at: day.Add(time.Minute)},
				&want{gatehouse.In, gatehouse.Deny, "", gatehouse.Watchlisted}},
			{in{visitor: 2, guard: 7, dir: gatehouse.In, dec: gatehouse.Grant, method: gatehouse.MethodManual, reason: gatehouse.ManualOverride, at: day.Add(2 * time.Minute)},
				&want{gatehouse.In, gatehouse.Grant, gatehouse.MethodManual, ""}},
			{in{visitor: 3, guard: 7, dir: gatehouse.In, dec: gatehouse.Grant, method: gatehouse.MethodWalkIn, reason: gatehouse.Granted, at: day.Add(3 * time.Minute)},
				&want{gatehouse.In, gatehouse.Grant, gatehouse.MethodWalkIn, ""}},
			{in{visitor: 1, dir: gatehouse.Out, dec: gatehouse.Deny, method: gatehouse.MethodOffline, reason: gatehouse.AntiPassback, at: day.Add(4 * time.Minute)},
				&want{gatehouse.Out, gatehouse.Deny, "", ""}},
			{in{resident: 5, dir: gatehouse.In, dec: gatehouse.Grant, method: gatehouse.MethodQR, reason: gatehouse.Granted, at: day.Add(5 * time.Minute)}, nil},
			// After the month: a visitor's way out and a guard's action within 15 minutes are read, nothing else.
			{in{visitor: 9, guard: 7, dir: gatehouse.In, dec: gatehouse.Grant, method: gatehouse.MethodManual, reason: gatehouse.ManualOverride, at: monthEnd.Add(5 * time.Minute)},
				&want{gatehouse.In, gatehouse.Grant, gatehouse.MethodManual, ""}},
			{in{visitor: 1, dir: gatehouse.Out, dec: gatehouse.Grant, method: gatehouse.MethodQR, reason: gatehouse.Granted, at: monthEnd.Add(time.Hour)},
				&want{gatehouse.Out, gatehouse.Grant, "", ""}},
			{in{visitor: 4, dir: gatehouse.In, dec: gatehouse.Grant, method: gatehouse.MethodQR, reason: gatehouse.Granted, at: monthEnd.Add(2 * time.Hour)}, nil},
		}
		var wants []want
		for i, tc := range cases {
			e := &gatehouse.Entry{CommunityID: c.ID, GateID: 1, VisitorID: tc.in.visitor, GuardID: tc.in.guard, ResidentID: tc.in.resident,
				Direction: tc.in.dir, Decision: tc.in.dec, Reason: tc.in.reason, ServerDecision: tc.in.dec, Method: tc.in.method,
				OccurredAt: tc.in.at, RecordedAt: tc.in.at, PersonName: fmt.Sprintf("访客%d", i)}
			if err := db.InScanTx(ctx, c.ID, func(tx gatehouse.ScanTx) error { return tx.Append(e, "") }); err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				wants = append(wants, *tc.want)
			}
		}
		var got []want
		err := db.SupervisionFacts(ctx, []int64{c.ID}, from, monthEnd, monthEnd.Add(48*time.Hour), func(id int64, facts []supervision.Fact) error {
			if id != c.ID {
				t.Errorf("facts of community %d, want %d", id, c.ID)
			}
			for _, f := range facts {
				got = append(got, want{f.Direction, f.Decision, f.Method, f.Reason})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(wants) {
			t.Errorf("facts read:\n%v\nwant\n%v", got, wants)
		}
	})
}
