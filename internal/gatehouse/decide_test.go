package gatehouse_test

import (
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// A Monday, 10:00 in Beijing.
var decideNow = time.Date(2025, 6, 2, 2, 0, 0, 0, time.UTC)

func decideCommunity() *gatehouse.Community {
	return &gatehouse.Community{ID: 1, TimeZone: "Asia/Shanghai", AntiPassback: true}
}

// goodPass is a pass every rule lets in at decideNow through gate 3.
func goodPass() gatehouse.ScanFacts {
	return gatehouse.ScanFacts{Now: decideNow, Community: decideCommunity(), GateID: 3, Direction: gatehouse.In, PassCode: true,
		Pass: &gatehouse.Pass{ID: 9, CommunityID: 1, ValidFrom: decideNow.Add(-time.Hour), ValidUntil: decideNow.Add(time.Hour),
			MaxEntries: 2, Uses: 1, GateIDs: []int64{3, 4},
			Schedule: gatehouse.Schedule{Days: 1, StartMinute: 9 * 60, EndMinute: 17 * 60}}} // Mondays 09:00-17:00
}

// goodResident is a resident's fresh code every rule lets in.
func goodResident() gatehouse.ScanFacts {
	return gatehouse.ScanFacts{Now: decideNow, Community: decideCommunity(), GateID: 3, Direction: gatehouse.In,
		Resident: &gatehouse.Resident{ID: 5, CommunityID: 1}, CodeIssuedAt: decideNow.Add(-10 * time.Second)}
}

// fault breaks one rule of a scan's facts.
type fault struct {
	reason gatehouse.Reason
	apply  func(f *gatehouse.ScanFacts)
}

// precedence starts from facts that break every rule at once and takes the
// faults away one by one, in the order Decide must see them: each time, the
// answer is the first fault left.
func precedence(t *testing.T, good func() gatehouse.ScanFacts, faults []fault) {
	t.Helper()
	for first := range faults {
		f := good()
		for _, ft := range faults[first:] {
			ft.apply(&f)
		}
		if got := gatehouse.Decide(f); got != faults[first].reason {
			t.Errorf("with every fault from %s on: %s, want %s", faults[first].reason, got, faults[first].reason)
		}
	}
	if got := gatehouse.Decide(good()); got != gatehouse.Granted {
		t.Errorf("with no fault: %s, want granted", got)
	}
}

// The faults of a pass, in the order Decide checks them. The pass is
// changed last-to-first, so a fault that replaces the pass comes first.
var passFaults = []fault{
	{gatehouse.UnknownPass, func(f *gatehouse.ScanFacts) { f.Pass = nil }},
	{gatehouse.WrongCommunity, func(f *gatehouse.ScanFacts) { f.Pass.CommunityID = 2 }},
	{gatehouse.Revoked, func(f *gatehouse.ScanFacts) { at := decideNow.Add(-time.Minute); f.Pass.RevokedAt = &at }},
	{gatehouse.GateNotAllowed, func(f *gatehouse.ScanFacts) { f.GateID = 7 }},
	{gatehouse.Watchlisted, func(f *gatehouse.ScanFacts) { f.Watchlisted = true }},
	{gatehouse.NotYetValid, func(f *gatehouse.ScanFacts) { f.Pass.ValidFrom = decideNow.Add(time.Minute) }},
	{gatehouse.Expired, func(f *gatehouse.ScanFacts) { f.Pass.ValidUntil = decideNow }},
	{gatehouse.OutsideSchedule, func(f *gatehouse.ScanFacts) { f.Pass.Schedule.StartMinute = 11 * 60 }},
	{gatehouse.AntiPassback, func(f *gatehouse.ScanFacts) { f.Inside = true }},
	{gatehouse.Exhausted, func(f *gatehouse.ScanFacts) { f.Pass.Uses = 2 }},
}

func TestDecideAPassChecksItsRulesInOrder(t *testing.T) {
	// Faults are applied in list order, so UnknownPass (which drops the pass)
	// must be applied after the others: reverse them for the build.
	reversed := make([]fault, len(passFaults))
	for i, f := range passFaults {
		reversed[len(passFaults)-1-i] = f
	}
	for first := range passFaults {
		f := goodPass()
		for _, ft := range reversed[:len(passFaults)-first] {
			ft.apply(&f)
		}
		if got := gatehouse.Decide(f); got != passFaults[first].reason {
			t.Errorf("with every fault from %s on: %s, want %s", passFaults[first].reason, got, passFaults[first].reason)
		}
	}
	if got := gatehouse.Decide(goodPass()); got != gatehouse.Granted {
		t.Errorf("a good pass: %s, want granted", got)
	}
}

func TestDecideAResidentCodeChecksItsRulesInOrder(t *testing.T) {
	precedence(t, goodResident, []fault{
		{gatehouse.WrongCommunity, func(f *gatehouse.ScanFacts) { f.Resident.CommunityID = 2 }},
		{gatehouse.Revoked, func(f *gatehouse.ScanFacts) { at := decideNow.Add(-time.Hour); f.Resident.MovedOutAt = &at }},
		{gatehouse.StaleCode, func(f *gatehouse.ScanFacts) { f.CodeIssuedAt = decideNow.Add(-61 * time.Second) }},
		{gatehouse.AntiPassback, func(f *gatehouse.ScanFacts) { f.Inside = true }},
	})
	precedence(t, goodResident, []fault{
		{gatehouse.InvalidCode, func(f *gatehouse.ScanFacts) { f.CodeIssuedAt = decideNow.Add(61 * time.Second) }},
		{gatehouse.AntiPassback, func(f *gatehouse.ScanFacts) { f.Inside = true }},
	})
	f := goodResident()
	f.Resident = nil
	f.Community.AntiPassback, f.Inside = true, true
	if got := gatehouse.Decide(f); got != gatehouse.UnknownPass {
		t.Errorf("no such resident: %s, want unknown_pass", got)
	}
}

func TestDecideEachReason(t *testing.T) {
	at := func(d time.Duration) *time.Time { t := decideNow.Add(d); return &t }
	cases := []struct {
		name string
		good func() gatehouse.ScanFacts
		edit func(f *gatehouse.ScanFacts)
		want gatehouse.Reason
	}{
		{"a good pass", goodPass, func(f *gatehouse.ScanFacts) {}, gatehouse.Granted},
		{"a pass that does not exist", goodPass, func(f *gatehouse.ScanFacts) { f.Pass = nil }, gatehouse.UnknownPass},
		{"a pass of another community", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.CommunityID = 2 }, gatehouse.WrongCommunity},
		{"a revoked pass", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.RevokedAt = at(-time.Minute) }, gatehouse.Revoked},
		{"a pass for other gates", goodPass, func(f *gatehouse.ScanFacts) { f.GateID = 7 }, gatehouse.GateNotAllowed},
		{"a pass for every gate", goodPass, func(f *gatehouse.ScanFacts) { f.GateID, f.Pass.GateIDs = 7, nil }, gatehouse.Granted},
		{"a watchlisted visitor", goodPass, func(f *gatehouse.ScanFacts) { f.Watchlisted = true }, gatehouse.Watchlisted},
		{"a pass from the next minute", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.ValidFrom = decideNow.Add(time.Minute) }, gatehouse.NotYetValid},
		{"a pass from this instant", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.ValidFrom = decideNow }, gatehouse.Granted},
		{"a pass that ends at this instant", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.ValidUntil = decideNow }, gatehouse.Expired},
		{"a pass for Sundays", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.Schedule.Days = 1 << 6 }, gatehouse.OutsideSchedule},
		{"a pass for the afternoon", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.Schedule.StartMinute = 14 * 60 }, gatehouse.OutsideSchedule},
		{"a pass with no schedule", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.Schedule = gatehouse.Schedule{} }, gatehouse.Granted},
		{"in again without going out", goodPass, func(f *gatehouse.ScanFacts) { f.Inside = true }, gatehouse.AntiPassback},
		{"in again, anti-passback off", goodPass, func(f *gatehouse.ScanFacts) { f.Inside, f.Community.AntiPassback = true, false }, gatehouse.Granted},
		{"a used-up pass", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.Uses = 2 }, gatehouse.Exhausted},

		// Leaving is refused only for who the holder is.
		{"out on a revoked, expired, used-up pass off schedule", goodPass, func(f *gatehouse.ScanFacts) {
			f.Direction, f.Inside, f.Watchlisted = gatehouse.Out, true, true
			f.Pass.RevokedAt, f.Pass.ValidUntil, f.Pass.Uses, f.Pass.Schedule.Days = at(-time.Hour), decideNow.Add(-time.Minute), 2, 1<<6
		}, gatehouse.Granted},
		{"out on a pass not valid yet", goodPass, func(f *gatehouse.ScanFacts) {
			f.Direction, f.Inside, f.Pass.ValidFrom = gatehouse.Out, true, decideNow.Add(time.Hour)
		}, gatehouse.Granted},
		{"out on a pass of another community", goodPass, func(f *gatehouse.ScanFacts) { f.Direction, f.Pass.CommunityID = gatehouse.Out, 2 }, gatehouse.WrongCommunity},
		{"out at a gate the pass does not name", goodPass, func(f *gatehouse.ScanFacts) { f.Direction, f.Inside, f.GateID = gatehouse.Out, true, 7 }, gatehouse.GateNotAllowed},
		{"out without having come in", goodPass, func(f *gatehouse.ScanFacts) { f.Direction = gatehouse.Out }, gatehouse.AntiPassback},
		{"out of a pass that does not exist", goodPass, func(f *gatehouse.ScanFacts) { f.Direction, f.Pass = gatehouse.Out, nil }, gatehouse.UnknownPass},

		// Offline events are judged as of when they happened: the facts'
		// Now is the event's time, and a use the door already let through
		// may stand past max_entries.
		{"offline: valid when it happened, expired since", goodPass, func(f *gatehouse.ScanFacts) {
			f.Now = decideNow.Add(-30 * time.Minute)
			f.Pass.ValidUntil = decideNow.Add(-time.Minute)
		}, gatehouse.Granted},
		{"offline: before the pass began", goodPass, func(f *gatehouse.ScanFacts) { f.Now = decideNow.Add(-2 * time.Hour) }, gatehouse.NotYetValid},
		{"offline: outside the schedule when it happened", goodPass, func(f *gatehouse.ScanFacts) {
			f.Now = decideNow.Add(-90 * time.Minute) // 08:30 in Beijing
			f.Pass.ValidFrom = decideNow.Add(-3 * time.Hour)
		}, gatehouse.OutsideSchedule},
		{"offline: uses forced past the limit", goodPass, func(f *gatehouse.ScanFacts) { f.Pass.Uses = 5 }, gatehouse.Exhausted},
		{"offline: a resident code as old as the event", goodResident, func(f *gatehouse.ScanFacts) {
			f.Now, f.CodeIssuedAt = decideNow.Add(-48*time.Hour), decideNow.Add(-48*time.Hour-20*time.Second)
		}, gatehouse.Granted},

		{"a resident's fresh code", goodResident, func(f *gatehouse.ScanFacts) {}, gatehouse.Granted},
		{"a resident code exactly 60 s old", goodResident, func(f *gatehouse.ScanFacts) { f.CodeIssuedAt = decideNow.Add(-gatehouse.ResidentCodeMaxAge) }, gatehouse.Granted},
		{"no such resident", goodResident, func(f *gatehouse.ScanFacts) { f.Resident = nil }, gatehouse.UnknownPass},
		{"a resident of another community", goodResident, func(f *gatehouse.ScanFacts) { f.Resident.CommunityID = 2 }, gatehouse.WrongCommunity},
		{"a resident who moved out", goodResident, func(f *gatehouse.ScanFacts) { f.Resident.MovedOutAt = at(-time.Hour) }, gatehouse.Revoked},
		{"a moved-out resident leaving", goodResident, func(f *gatehouse.ScanFacts) {
			f.Direction, f.Inside, f.Resident.MovedOutAt = gatehouse.Out, true, at(-time.Hour)
		}, gatehouse.Revoked},
		{"a stale resident code", goodResident, func(f *gatehouse.ScanFacts) { f.CodeIssuedAt = decideNow.Add(-61 * time.Second) }, gatehouse.StaleCode},
		{"a resident code from the future", goodResident, func(f *gatehouse.ScanFacts) { f.CodeIssuedAt = decideNow.Add(61 * time.Second) }, gatehouse.InvalidCode},
		{"a resident code a little ahead (clock skew)", goodResident, func(f *gatehouse.ScanFacts) { f.CodeIssuedAt = decideNow.Add(30 * time.Second) }, gatehouse.Granted},
		{"a resident in again", goodResident, func(f *gatehouse.ScanFacts) { f.Inside = true }, gatehouse.AntiPassback},
		{"a resident out", goodResident, func(f *gatehouse.ScanFacts) { f.Direction, f.Inside = gatehouse.Out, true }, gatehouse.Granted},
	}
	for _, tc := range cases {
		f := tc.good()
		tc.edit(&f)
		if got := gatehouse.Decide(f); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
		if got, want := gatehouse.Decide(f).Decision(), tc.want.Decision(); got != want {
			t.Errorf("%s: decision %s, want %s", tc.name, got, want)
		}
	}
}

func TestEveryReasonLeadsToItsDecision(t *testing.T) {
	for _, r := range []gatehouse.Reason{gatehouse.Granted, gatehouse.ManualOverride} {
		if r.Decision() != gatehouse.Grant {
			t.Errorf("%s: %s, want grant", r, r.Decision())
		}
	}
	for _, r := range []gatehouse.Reason{gatehouse.InvalidCode, gatehouse.UnknownPass, gatehouse.NotYetValid, gatehouse.Expired,
		gatehouse.Revoked, gatehouse.Exhausted, gatehouse.WrongCommunity, gatehouse.GateNotAllowed, gatehouse.OutsideSchedule,
		gatehouse.AntiPassback, gatehouse.Watchlisted, gatehouse.StaleCode} {
		if r.Decision() != gatehouse.Deny {
			t.Errorf("%s: %s, want deny", r, r.Decision())
		}
	}
}
