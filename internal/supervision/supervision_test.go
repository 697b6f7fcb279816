package supervision_test

import (
	"math"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/supervision"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// at is a moment of November 2026 in Shanghai.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, shanghai)
}

// f builds facts tersely.
type fb struct{ facts []supervision.Fact }

func (b *fb) add(visitor int64, kind gatehouse.PassKind, method gatehouse.Method, dir gatehouse.Direction, dec gatehouse.Decision,
	reason gatehouse.Reason, guard int64, t time.Time) {
	b.facts = append(b.facts, supervision.Fact{VisitorID: visitor, PassKind: kind, Method: method, Direction: dir,
		Decision: dec, Reason: reason, GuardID: guard, At: t})
}

// communityA is a month of community A's log, built by hand:
//   - 10 granted visitor entries in: visitors 1-7 by an invitation or a
//     self-registration (QR), 8 by a guard's override, 9 and 10 walk-ins;
//   - visitors 1-8 leave within 2 hours; walk-in 9 leaves after 100 hours
//     (beyond 72 h + 24 h); walk-in 10 never leaves;
//   - visitor 8 was denied (expired) at 09:00 before the override at 09:10;
//     visitor 11 was denied twice (invalid code, then expired) and never let in;
//   - two watchlist hits at the gate (visitors 12 and 13): a guard acts 6
//     minutes after the first, and 40 minutes after the second.
func communityA() []supervision.Fact {
	var b fb
	g := gatehouse.Grant
	d := gatehouse.Deny
	b.add(8, gatehouse.PassGuest, gatehouse.MethodQR, gatehouse.In, d, gatehouse.Expired, 0, at(2, 9, 0))
	b.add(8, gatehouse.PassGuest, gatehouse.MethodManual, gatehouse.In, g, gatehouse.ManualOverride, 7, at(2, 9, 10))
	b.add(8, gatehouse.PassGuest, gatehouse.MethodQR, gatehouse.Out, g, gatehouse.Granted, 0, at(2, 10, 0))
	for v := int64(1); v <= 7; v++ {
		kind := gatehouse.PassGuest
		if v == 7 {
			kind = "self"
		}
		b.add(v, kind, gatehouse.MethodQR, gatehouse.In, g, gatehouse.Granted, 0, at(int(v)+3, 8, 0))
		b.add(v, kind, gatehouse.MethodQR, gatehouse.Out, g, gatehouse.Granted, 0, at(int(v)+3, 9, 30))
	}
	b.add(11, gatehouse.PassGuest, gatehouse.MethodQR, gatehouse.In, d, gatehouse.Expired, 0, at(12, 9, 0))
	b.add(11, gatehouse.PassGuest, gatehouse.MethodQR, gatehouse.In, d, gatehouse.Expired, 0, at(12, 9, 1))
	b.add(12, gatehouse.PassGuest, gatehouse.MethodQR, gatehouse.In, d, gatehouse.Watchlisted, 0, at(13, 10, 0))
	b.add(0, "", gatehouse.MethodManual, gatehouse.In, g, gatehouse.ManualOverride, 7, at(13, 10, 6)) // a guard lets a resident in
	b.add(13, gatehouse.PassGuest, gatehouse.MethodQR, gatehouse.In, d, gatehouse.Watchlisted, 0, at(14, 14, 0))
	b.add(0, "", gatehouse.MethodManual, gatehouse.In, g, gatehouse.ManualOverride, 7, at(14, 14, 40))
	b.add(9, gatehouse.PassWalkIn, gatehouse.MethodWalkIn, gatehouse.In, g, gatehouse.Granted, 7, at(20, 8, 0))
	b.add(10, gatehouse.PassWalkIn, gatehouse.MethodWalkIn, gatehouse.In, g, gatehouse.Granted, 7, at(21, 8, 0))
	b.add(9, gatehouse.PassWalkIn, gatehouse.MethodQR, gatehouse.Out, g, gatehouse.Granted, 0, at(24, 12, 0)) // 100 h later
	return b.facts
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestIndicatorsOfAMonthEqualAHandCount(t *testing.T) {
	in := supervision.Input{From: at(1, 0, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai), AsOf: time.Date(2026, 12, 20, 0, 0, 0, 0, shanghai),
		ThresholdHours: 72, Facts: communityA(), GateHours: 720, OnlineHours: 706, Dwellings: 95, Declared: 100}
	got := map[string]supervision.Figure{}
	for _, f := range supervision.Measure(in) {
		got[f.Key] = f
	}
	want := []struct {
		key      string
		num, den int64
	}{
		{gatehouse.IndRegistration, 7, 10},  // 7 of 10 granted visitor entries by a registered pass
		{gatehouse.IndOverrides, 1, 10},     // 1 override of 10
		{gatehouse.IndOverstays, 2, 10},     // walk-in 9 left after 100 h > 96 h; walk-in 10 never left (96 h have passed by Dec 20)
		{gatehouse.IndGateOffline, 14, 720}, // 720 - 706 hours without a heartbeat
		{gatehouse.IndRegistry, 95, 100},    // 95 of 100 declared dwellings
		{gatehouse.IndWatchlist, 1, 2},      // the first hit answered in 6 min, the second after 40 (> 15)
		{gatehouse.IndDeniedOverride, 1, 5}, // denials: visitor 8, visitor 11 twice, the two hits; visitor 8 overridden after 10 min
	}
	for _, w := range want {
		f := got[w.key]
		if f.Num != w.num || f.Den != w.den || f.Value == nil || !near(*f.Value, float64(w.num)/float64(w.den)) {
			t.Errorf("%s: %d/%d (%v), want %d/%d", w.key, f.Num, f.Den, f.Value, w.num, w.den)
		}
	}
	if a := got[gatehouse.IndRegistration].Apart; a["walkins"] != 2 || a["overrides"] != 1 {
		t.Errorf("counted apart: %v, want 2 walk-ins and 1 override", a)
	}
	if a := got[gatehouse.IndWatchlist].Apart; a["median_minutes"] != 6 {
		t.Errorf("median minutes to answer a hit: %v, want 6", a)
	}
	// Before walk-in 10's 96 hours have passed it is not yet counted.
	in.AsOf = time.Date(2026, 11, 24, 0, 0, 0, 0, shanghai)
	for _, f := range supervision.Measure(in) {
		if f.Key == gatehouse.IndOverstays && (f.Num != 1 || f.Den != 9) {
			t.Errorf("overstays before the follow-up time: %d/%d, want 1/9", f.Num, f.Den)
		}
	}
}

func TestPointsScoreAndGradeEqualAHandCalculation(t *testing.T) {
	sc := gatehouse.DefaultScheme()
	in := supervision.Input{From: at(1, 0, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai), AsOf: time.Date(2026, 12, 20, 0, 0, 0, 0, shanghai),
		ThresholdHours: 72, Facts: communityA(), GateHours: 720, OnlineHours: 706, Dwellings: 95, Declared: 100}
	inspections := []*gatehouse.Inspection{
		{Date: "2026-11-05", ItemsMet: []string{"cameras", "access_control", "guard_trained"}},                        // 30 of 40 points
		{Date: "2026-11-25", ItemsMet: []string{"cameras", "access_control", "guard_trained", "drill", "fire_exits"}}, // 40 of 40
	}
	incidents := []*gatehouse.Incident{{Date: "2026-11-09", Category: "theft"}} // 3 points off
	r := supervision.Score(sc, supervision.Measure(in), inspections, incidents)
	// The default curves:
	//   registration 0.7   → at least 0.6: 3 of 10
	//   overrides 0.1      → at most 0.1: 6 of 10
	//   overstays 0.2      → at most 1: 0 of 10
	//   gate offline 0.019 → at most 0.03: 8 of 10
	//   registry 0.95      → at least 0.95: 10 of 10
	//   watchlist 0.5      → below 0.6: 0 of 10
	//   denied→override 0.2 → at most 0.2: 6 of 10
	points := map[string]float64{gatehouse.IndRegistration: 3, gatehouse.IndOverrides: 6, gatehouse.IndOverstays: 0, gatehouse.IndGateOffline: 8,
		gatehouse.IndRegistry: 10, gatehouse.IndWatchlist: 0, gatehouse.IndDeniedOverride: 6}
	for _, s := range r.Indicators {
		if s.Points != points[s.Key] || s.MaxPoints != 10 {
			t.Errorf("%s: %v of %v points, want %v of 10", s.Key, s.Points, s.MaxPoints, points[s.Key])
		}
	}
	// measured 50 × 33/70 = 23.57 → 23.6; inspection 40 × (0.75 + 1)/2 = 35; incidents 10 - 3 = 7.
	if r.Parts.Measured != 23.6 || r.Parts.Inspection != 35 || r.Parts.Incidents != 7 || r.Score != 65.6 || r.Grade != gatehouse.GradePass || r.Card != gatehouse.CardNone {
		t.Errorf("parts %+v, score %v, grade %s, card %q; want 23.6 + 35 + 7 = 65.6, pass, no card", r.Parts, r.Score, r.Grade, r.Card)
	}
}

// full is a month with every indicator at its best: measured 50 points.
func full() []supervision.Figure {
	var out []supervision.Figure
	for _, k := range gatehouse.Indicators {
		v := 0.0
		if gatehouse.HigherIsBetter(k) {
			v = 1
		}
		out = append(out, supervision.Figure{Key: k, Value: &v, Num: 1, Den: 1})
	}
	return out
}

func TestTwoCompaniesFourCommunitiesCardsAndTheSeriousIncidentCap(t *testing.T) {
	sc := gatehouse.DefaultScheme()
	all := []string{"cameras", "access_control", "guard_trained", "drill", "fire_exits"}
	insp := func(items ...string) []*gatehouse.Inspection { return []*gatehouse.Inspection{{ItemsMet: items}} }
	// C1: everything: 50 + 40 + 10 = 100, excellent, red card.
	c1 := supervision.Score(sc, full(), insp(all...), nil)
	// C2: the same with a burglary (serious, 5 off): 95 → capped at pass.
	c2 := supervision.Score(sc, full(), insp(all...), []*gatehouse.Incident{{Category: "burglary"}})
	// C3: no inspection, no incidents: 50 + 0 + 10 = 60, pass.
	c3 := supervision.Score(sc, full(), nil, nil)
	// C4: no inspection, 4 thefts (12 off, at least 0): 50 + 0 + 0 = 50, poor, black card.
	theft := &gatehouse.Incident{Category: "theft"}
	c4 := supervision.Score(sc, full(), nil, []*gatehouse.Incident{theft, theft, theft, theft})
	for _, c := range []struct {
		r     supervision.Result
		score float64
		grade gatehouse.Grade
		card  gatehouse.GradeCard
		cap   bool
	}{{c1, 100, gatehouse.GradeExcellent, gatehouse.CardRed, false}, {c2, 95, gatehouse.GradePass, gatehouse.CardNone, true},
		{c3, 60, gatehouse.GradePass, gatehouse.CardNone, false}, {c4, 50, gatehouse.GradePoor, gatehouse.CardBlack, false}} {
		if c.r.Score != c.score || c.r.Grade != c.grade || c.r.Card != c.card || c.r.Capped != c.cap {
			t.Errorf("score %v grade %s card %q capped %v; want %v %s %q %v", c.r.Score, c.r.Grade, c.r.Card, c.r.Capped, c.score, c.grade, c.card, c.cap)
		}
	}
	// Company X runs C1 (300 households) and C4 (100): (100×300 + 50×100)/400 = 87.5, good.
	c1.Households, c4.Households = 300, 100
	x := supervision.Company(sc, 1, []supervision.Result{c1, c4})
	// Company Y runs C2 (200) and C3 (600): (95×200 + 60×600)/800 = 68.75 → 68.8, pass.
	c2.Households, c3.Households = 200, 600
	y := supervision.Company(sc, 2, []supervision.Result{c2, c3})
	if x.Score != 87.5 || x.Grade != gatehouse.GradeGood || x.Households != 400 || y.Score != 68.8 || y.Grade != gatehouse.GradePass {
		t.Errorf("companies: X %+v, Y %+v; want 87.5 good over 400 households, 68.8 pass", x, y)
	}
	// A company graded on communities that declared no dwellings: the plain mean.
	c1.Households, c4.Households = 0, 0
	if z := supervision.Company(sc, 3, []supervision.Result{c1, c4}); z.Score != 75 || z.Grade != gatehouse.GradeGeneral {
		t.Errorf("company of undeclared communities: %+v, want 75 general", z)
	}
}

func TestLongTermPoorIsThreePoorMonthsOfTheLastSix(t *testing.T) {
	sc := gatehouse.DefaultScheme()
	p, g := gatehouse.GradePoor, gatehouse.GradeGood
	for _, c := range []struct {
		six  []gatehouse.Grade
		n    int
		want bool
	}{{[]gatehouse.Grade{p, g, p, g, g, p}, 3, true}, {[]gatehouse.Grade{p, g, g, g, p, g}, 2, false}, {[]gatehouse.Grade{g, g, g, p, p, p}, 3, true}} {
		if n, got := supervision.LongTermPoor(sc, c.six); n != c.n || got != c.want {
			t.Errorf("%v: %d poor, %v; want %d, %v", c.six, n, got, c.n, c.want)
		}
	}
}

func TestAnIndicatorWithNothingToMeasureEarnsItsMost(t *testing.T) {
	sc := gatehouse.DefaultScheme()
	in := supervision.Input{From: at(1, 0, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai), AsOf: time.Date(2026, 12, 20, 0, 0, 0, 0, shanghai), ThresholdHours: 72}
	r := supervision.Score(sc, supervision.Measure(in), nil, nil)
	for _, s := range r.Indicators {
		if s.Value != nil || s.Points != s.MaxPoints {
			t.Errorf("%s with no data: value %v, %v of %v points", s.Key, s.Value, s.Points, s.MaxPoints)
		}
	}
	if r.Parts.Measured != 50 {
		t.Errorf("measured part with no data: %v, want 50", r.Parts.Measured)
	}
}

func TestCreditCodes(t *testing.T) {
	for code, ok := range map[string]bool{"91350100M000100Y43": true, "91110000600037341L": true, "91440300MA5DC4JL0N": true,
		"91350100M000100Y44": false, "91350100M000100Y4": false, "9135010OM000100Y43": false, "91A50100M000100Y43": false} {
		if msg := gatehouse.ValidateCreditCode(code); (msg == "") != ok {
			t.Errorf("%s: %q, want valid %v", code, msg, ok)
		}
	}
}
