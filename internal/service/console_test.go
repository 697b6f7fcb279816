package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// A walk-in is a pass of the gate's community, by default for one entry and
// eight hours, and its first entry, by the guard.
func TestAWalkInIsAPassAndItsFirstEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		out, err := f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: visitor("张伟", 14), Purpose: "送货"})
		if err != nil {
			t.Fatal(err)
		}
		p, e := out.Pass, out.Entry
		switch {
		case p.Kind != gatehouse.PassWalkIn || p.MaxEntries != 1 || p.Uses != 1 || !p.ValidUntil.Equal(now.Add(8*time.Hour)) || p.CommunityID != f.a.ID:
			t.Errorf("the pass: %+v", p)
		case e.Method != gatehouse.MethodWalkIn || e.Decision != gatehouse.Grant || e.GuardID != f.guard.UserID || e.GateID != f.gateA.ID ||
			e.Direction != gatehouse.In || e.PassID != p.ID || e.Note != "送货":
			t.Errorf("the entry: %+v", e)
		}
		out, err = f.console.WalkIn(ctx, f.manager, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: visitor("李娜", 22),
			ValidUntil: rfc(now.Add(time.Hour)), MaxEntries: intp(3)})
		if err != nil || out.Pass.MaxEntries != 3 || out.Pass.Remaining() != 2 || !out.Pass.ValidUntil.Equal(now.Add(time.Hour)) {
			t.Errorf("a walk-in for three entries within the hour: %+v, %v", out, err)
		}
	})
}

func TestAConsoleRefusesOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		walkIn := func(in service.WalkInInput) error {
			_, err := f.console.WalkIn(ctx, f.guard, in)
			return err
		}
		override := func(in service.OverrideInput) error {
			_, err := f.console.Override(ctx, f.guard, in)
			return err
		}
		v := visitor("张伟", 14)
		bad := visitor("", 14)
		wantProblems(t, "a walk-in at no gate", walkIn(service.WalkInInput{HostResidentID: f.hostA.ID, Visitor: v}), gatehouse.EINVALID, "gate_id")
		wantCode(t, "a walk-in at B's gate", walkIn(service.WalkInInput{GateID: f.gateB.ID, HostResidentID: f.hostA.ID, Visitor: v}), gatehouse.ENOTFOUND)
		wantCode(t, "a walk-in at no such gate", walkIn(service.WalkInInput{GateID: f.gateB.ID + 100, HostResidentID: f.hostA.ID, Visitor: v}), gatehouse.ENOTFOUND)
		wantProblems(t, "a walk-in without a name", walkIn(service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: bad}),
			gatehouse.EINVALID, "visitor.name")
		wantProblems(t, "a walk-in for no one", walkIn(service.WalkInInput{GateID: f.gateA.ID, Visitor: v}), gatehouse.EINVALID, "host_resident_id")
		wantProblems(t, "a walk-in until yesterday", walkIn(service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: v,
			ValidUntil: rfc(now.Add(-24 * time.Hour))}), gatehouse.EINVALID, "valid_until")
		ok := service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "住户忘带手机", ResidentID: f.hostA.ID}
		cases := []struct {
			what   string
			edit   func(*service.OverrideInput)
			fields []string
		}{
			{"no reason", func(in *service.OverrideInput) { in.Reason = "  " }, []string{"reason"}},
			{"a long reason", func(in *service.OverrideInput) { in.Reason = strings.Repeat("因", 201) }, []string{"reason"}},
			{"no direction", func(in *service.OverrideInput) { in.Direction = "" }, []string{"direction"}},
			{"no one", func(in *service.OverrideInput) { in.ResidentID = 0 }, []string{"person"}},
			{"two people", func(in *service.OverrideInput) { in.PassID = 1 }, []string{"person"}},
			{"a visitor without a host", func(in *service.OverrideInput) { in.ResidentID, in.Visitor = 0, &v }, []string{"host_resident_id"}},
			{"a visitor without a name", func(in *service.OverrideInput) { in.ResidentID, in.Visitor, in.HostResidentID = 0, &bad, f.hostA.ID },
				[]string{"visitor.name"}},
			{"a visitor of B's host", func(in *service.OverrideInput) { in.ResidentID, in.Visitor, in.HostResidentID = 0, &v, f.hostB.ID },
				[]string{"host_resident_id"}},
			{"no gate", func(in *service.OverrideInput) { in.GateID = 0 }, []string{"gate_id"}},
		}
		for _, tc := range cases {
			in := ok
			tc.edit(&in)
			wantProblems(t, tc.what, override(in), gatehouse.EINVALID, tc.fields...)
		}
		in := ok
		in.ResidentID = f.hostB.ID
		wantCode(t, "an override for B's resident", override(in), gatehouse.ENOTFOUND)
		// A disabled gate refuses both.
		yes := true
		if _, err := f.gates.Update(ctx, f.manager, f.gateA.ID, nil, &yes); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "a walk-in at a disabled gate", walkIn(service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: v}), gatehouse.ECONFLICT)
		wantCode(t, "an override at a disabled gate", override(ok), gatehouse.ECONFLICT)
		if entries, _, err := db.Entries(ctx, gatehouse.EntryFilter{}, gatehouse.Page{Limit: 10}); err != nil || len(entries) != 0 {
			t.Errorf("refusals logged: %d, %v", len(entries), err)
		}
	})
}

// An override is logged with the guard's reason and the guard, as a manual
// grant; a pass named is not used up.
func TestAnOverrideIsLoggedWithItsReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		out, err := f.console.Override(ctx, f.guard, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.Out, Reason: " 住户忘带手机 ", ResidentID: f.hostA.ID})
		if err != nil {
			t.Fatal(err)
		}
		e := out.Entry
		if e.Method != gatehouse.MethodManual || e.Reason != gatehouse.ManualOverride || e.Note != "住户忘带手机" || e.GuardID != f.guard.UserID ||
			e.ResidentID != f.hostA.ID || e.Direction != gatehouse.Out || e.CommunityID != f.a.ID {
			t.Errorf("the resident's override: %+v", e)
		}
		v := visitor("张伟", 14)
		v.Plate = "粤B12345"
		out, err = f.console.Override(ctx, f.manager, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "快递", Visitor: &v, HostResidentID: f.hostA.ID})
		if err != nil || out.Entry.HostResidentID != f.hostA.ID || out.Entry.PersonName != "张伟" || out.Entry.Plate != "粤B12345" || out.Entry.IDHash == "" {
			t.Errorf("a visitor's override: %+v, %v", out, err)
		}
		p, err := f.passes.Create(ctx, f.guard, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: v, ValidUntil: rfc(now.Add(time.Hour))}, gatehouse.PassWalkIn)
		if err != nil {
			t.Fatal(err)
		}
		out, err = f.console.Override(ctx, f.guard, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "码打不开", PassID: p.ID})
		if err != nil || out.Entry.PassID != p.ID {
			t.Fatalf("a pass's override: %+v, %v", out, err)
		}
		if got, _ := db.Pass(ctx, p.ID); got.Uses != 0 {
			t.Errorf("the override used the pass: %d uses", got.Uses)
		}
	})
}

// Who is on site, longest first, with hours to a tenth and whether the
// community's threshold is reached.
func TestOnsiteCountsHoursAgainstTheCommunitysThreshold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.a.OnsiteThresholdHours = 5
		if err := db.UpdateCommunity(ctx, f.a); err != nil {
			t.Fatal(err)
		}
		f.walkIn(t, f.gateA, f.hostA.ID, visitor("张伟", 14))
		f.walkIn(t, f.gateB, f.hostB.ID, visitor("李娜", 22))
		if _, err := f.console.Override(ctx, f.guard, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "忘带手机", ResidentID: f.hostA.ID}); err != nil {
			t.Fatal(err)
		}
		f.console.Now = func() time.Time { return now.Add(5*time.Hour + 9*time.Minute) }
		rows, err := f.console.Onsite(ctx, f.admin, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("admin sees %d on site, want the 2 visitors (not the resident)", len(rows))
		}
		for _, r := range rows {
			over := r.CommunityID == f.a.ID // 5.15 h: over A's 5, under B's 72
			if r.Hours != 5.1 || r.OverThreshold != over {
				t.Errorf("%s in %d: %.2f h, over %v; want 5.1 h, over %v", r.Visitor.Name, r.CommunityID, r.Hours, r.OverThreshold, over)
			}
		}
		rows, err = f.console.Onsite(ctx, f.guard, 0)
		if err != nil || len(rows) != 1 || rows[0].Visitor.Name != "张伟" {
			t.Errorf("A's guard sees: %+v, %v", rows, err)
		}
		rows, err = f.console.Onsite(ctx, f.guard, f.b.ID)
		if err != nil || len(rows) != 0 {
			t.Errorf("A's guard asking for B: %+v, %v", rows, err)
		}
	})
}

// A device scans at its own gate; a console names a gate of its community.
func TestAScanIsAtTheCallersGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p, err := f.passes.Create(ctx, f.guard, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: visitor("张伟", 14),
			ValidUntil: rfc(now.Add(time.Hour)), MaxEntries: intp(5)}, gatehouse.PassWalkIn)
		if err != nil {
			t.Fatal(err)
		}
		code, err := f.eng.PassCode(p)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = f.console.Scan(ctx, f.eng, f.device, service.ScanInput{Code: code, Direction: gatehouse.In, GateID: f.gateB.ID})
		wantProblems(t, "a device naming another gate", err, gatehouse.EINVALID, "gate_id")
		_, _, err = f.console.Scan(ctx, f.eng, f.device, service.ScanInput{Code: code, Direction: gatehouse.In, GateEpoch: 7, GateKeyHash: "stale"})
		wantCode(t, "a device's stale cached key", err, gatehouse.EUNAUTHORIZED)
		hash := fmt.Sprintf("%064d", 0) // gate A's key in the fixture
		out, req, err := f.console.Scan(ctx, f.eng, f.device, service.ScanInput{Code: code, Direction: gatehouse.In, GateEpoch: 7, GateKeyHash: hash})
		if err != nil || out.Entry.Decision != gatehouse.Grant || req.GateID != f.gateA.ID || req.CommunityID != f.a.ID || !req.CheckGate ||
			req.GateEpoch != 7 || req.GateKeyHash != hash || req.GuardID != 0 {
			t.Errorf("a device's scan: %+v, %+v, %v", out, req, err)
		}
		out, req, err = f.console.Scan(ctx, f.eng, f.guard, service.ScanInput{Code: code, Direction: gatehouse.Out, GateID: f.gateA.ID})
		if err != nil || out.Entry.GuardID != f.guard.UserID || req.CheckGate || req.GateID != f.gateA.ID {
			t.Errorf("a console's scan: %+v, %+v, %v", out, req, err)
		}
		_, _, err = f.console.Scan(ctx, f.eng, f.guard, service.ScanInput{Code: code, Direction: gatehouse.In, GateID: f.gateB.ID})
		wantCode(t, "a console naming B's gate", err, gatehouse.ENOTFOUND)
		_, _, err = f.console.Scan(ctx, f.eng, f.police, service.ScanInput{Code: code, Direction: gatehouse.In, GateID: f.gateA.ID})
		wantCode(t, "police scanning", err, gatehouse.EFORBIDDEN)
	})
}

// Neither a walk-in nor a guard's override gets round the watchlist: on the
// way in the person is refused, the refusal is logged, and a walk-in's pass
// is revoked so that it opens no other gate. Leaving is never refused.
func TestTheWatchlistRefusesWalkInsAndOverridesOnTheWayIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		listed := visitor("王五", 66)
		if _, err := f.watchlist.Add(ctx, f.manager, service.WatchInput{CommunityID: f.a.ID, IDNumber: listed.IDNumber, Name: "王五", Reason: "盗窃"}); err != nil {
			t.Fatal(err)
		}
		out, err := f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: listed})
		if err != nil {
			t.Fatal(err)
		}
		if e := out.Entry; e.Decision != gatehouse.Deny || e.Reason != gatehouse.Watchlisted || e.Method != gatehouse.MethodWalkIn || e.ID == 0 {
			t.Errorf("a watchlisted walk-in: %+v", e)
		}
		if out.Pass.RevokedAt == nil || out.Pass.Uses != 0 {
			t.Errorf("the walk-in's pass is still usable: revoked %v, uses %d", out.Pass.RevokedAt, out.Pass.Uses)
		}
		override := service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "说是亲戚",
			Visitor: &listed, HostResidentID: f.hostA.ID}
		o, err := f.console.Override(ctx, f.guard, override)
		if err != nil {
			t.Fatal(err)
		}
		if e := o.Entry; e.Decision != gatehouse.Deny || e.Reason != gatehouse.Watchlisted || e.Method != gatehouse.MethodManual || e.Note != "说是亲戚" {
			t.Errorf("an override of a watchlisted visitor: %+v", e)
		}
		o, err = f.console.Override(ctx, f.guard, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "通行证", PassID: out.Pass.ID})
		if err != nil || o.Entry.Decision != gatehouse.Deny || o.Entry.Reason != gatehouse.Watchlisted {
			t.Errorf("an override by the watchlisted visitor's pass: %+v, %v", o, err)
		}
		override.Direction = gatehouse.Out
		if o, err = f.console.Override(ctx, f.guard, override); err != nil || o.Entry.Decision != gatehouse.Grant {
			t.Errorf("leaving by override: %+v, %v", o, err)
		}
		// Someone not on the list still walks in.
		if out, err = f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: visitor("赵六", 67)}); err != nil ||
			out.Entry.Decision != gatehouse.Grant || out.Pass.RevokedAt != nil {
			t.Errorf("a walk-in not on the list: %+v, %v", out, err)
		}
		entries, _, err := db.Entries(ctx, gatehouse.EntryFilter{CommunityIDs: []int64{f.a.ID}}, gatehouse.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		denied := 0
		for _, e := range entries {
			if e.Reason == gatehouse.Watchlisted {
				denied++
			}
		}
		if len(entries) != 5 || denied != 3 {
			t.Errorf("%d entries logged, %d refused for the watchlist; want 5 and 3", len(entries), denied)
		}
	})
}
