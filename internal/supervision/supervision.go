// Package supervision computes the district's monthly assessment of
// communities and property companies: the measured indicators from
// Gatehouse's own entry log and gate heartbeats, their points on the
// scheme's curves, inspections and incidents, the score, the grade and the
// card. It counts; it never names a person. The store gathers the facts,
// the service decides who may see which figures.
package supervision

import (
	"math"
	"sort"
	"time"

	"gatehouse/internal/gatehouse"
)

// Fact is what the indicators read of one entry: no name, no ID number.
// The store gives the method only as manual, walk-in or none given, and the
// reason only as watchlisted or none given (what the indicators tell
// apart): an indicator that needs another value must have the store's
// month read give it first.
type Fact struct {
	VisitorID int64 // 0 for a resident's own code or card, or a code that named no pass
	GuardID   int64 // the guard or manager who logged it; 0 for a gate's own decision
	PassKind  gatehouse.PassKind
	Method    gatehouse.Method
	Direction gatehouse.Direction
	Decision  gatehouse.Decision
	Reason    gatehouse.Reason
	At        time.Time
}

// The windows the indicators use.
const (
	FollowUp        = 24 * time.Hour   // an overstay beyond the threshold must be resolved within this
	WatchlistAnswer = 15 * time.Minute // a watchlist hit is answered if a guard acts within this
	OverrideWindow  = 30 * time.Minute // a denial followed by an override within this was overridden
)

// Input is one community's month: its facts and counts.
type Input struct {
	From, To       time.Time // the local month
	AsOf           time.Time // now: an overstay whose follow-up time has not come is not yet counted
	ThresholdHours int       // the community's onsite threshold
	// Facts are the entries from From until To + threshold + FollowUp
	// (departures after the month resolve its overstays), oldest first.
	Facts []Fact
	// GateHours is the hours of the month each gate with an agent existed
	// (summed over gates, until AsOf); OnlineHours those with a heartbeat.
	GateHours, OnlineHours int64
	// Dwellings with at least one registered resident at the month's end,
	// and the dwellings the company declared.
	Dwellings, Declared int64
}

// Figure is one measured indicator: Num ÷ Den, or no value when there was
// nothing to measure (Den 0).
type Figure struct {
	Key   string   `json:"key"`
	Value *float64 `json:"value"`
	Num   int64    `json:"numerator"`
	Den   int64    `json:"denominator"`
	// Apart are the counts shown beside a figure (walk-ins and overrides
	// beside registration coverage; the median minutes to answer a hit).
	Apart map[string]float64 `json:"apart,omitempty"`
}

func figure(key string, num, den int64) Figure {
	f := Figure{Key: key, Num: num, Den: den}
	if den > 0 {
		v := float64(num) / float64(den)
		f.Value = &v
	}
	return f
}

// Formulas say how each indicator is computed (the README and the
// scorecard show them beside the figure).
var Formulas = map[string]string{
	gatehouse.IndRegistration:   "visitor entries through a registered pass (a resident's invitation or a self-registration) ÷ all granted visitor entries in; walk-ins and guards' overrides are counted apart",
	gatehouse.IndOverrides:      "granted visitor entries by a guard's manual override ÷ all granted visitor entries in",
	gatehouse.IndOverstays:      "visitor entries not followed by a departure within the onsite threshold + 24 h ÷ visitor entries whose threshold + 24 h has passed",
	gatehouse.IndGateOffline:    "gate-hours with no heartbeat from the gate's agent (or its board offline) ÷ gate-hours of the month, for gates with an agent, from their creation until they were disabled",
	gatehouse.IndRegistry:       "dwellings with at least one registered resident at the month's end ÷ dwellings the company declared",
	gatehouse.IndWatchlist:      "watchlist hits a guard acted on within 15 minutes (a guard's logged action at the community) ÷ watchlist hits",
	gatehouse.IndDeniedOverride: "denied visitor entries followed within 30 minutes by a guard's override for the same visitor ÷ denied visitor entries",
}

// Measure computes the seven indicators of a community's month.
func Measure(in Input) []Figure { return TallyFacts(in).Figures(in) }

// Tally is what a community's facts give the indicators, counted before
// its gate-hours and dwellings are known (the store reads them at once).
type Tally struct {
	v              visitCounts
	hits, answered int64
	waits          []float64
}

// TallyFacts counts the facts of in (its From, To, AsOf, ThresholdHours and
// Facts).
func TallyFacts(in Input) Tally {
	t := Tally{v: visits(in)}
	t.hits, t.answered, t.waits = watchlistHits(in)
	return t
}

// Figures are the seven indicators of the tallied facts with in's
// gate-hours, dwellings and declared dwellings.
func (t Tally) Figures(in Input) []Figure {
	v := t.v
	reg := figure(gatehouse.IndRegistration, v.registered, v.visits)
	reg.Apart = map[string]float64{"walkins": float64(v.walkins), "overrides": float64(v.overrides)}
	wl := figure(gatehouse.IndWatchlist, t.answered, t.hits)
	if len(t.waits) > 0 {
		wl.Apart = map[string]float64{"median_minutes": median(t.waits)}
	}
	return []Figure{
		reg,
		figure(gatehouse.IndOverrides, v.overrides, v.visits),
		figure(gatehouse.IndOverstays, v.unresolved, v.evaluated),
		figure(gatehouse.IndGateOffline, in.GateHours-in.OnlineHours, in.GateHours),
		figure(gatehouse.IndRegistry, min(in.Dwellings, in.Declared), in.Declared),
		wl,
		figure(gatehouse.IndDeniedOverride, v.overridden, v.denials),
	}
}

func (in Input) inMonth(t time.Time) bool { return !t.Before(in.From) && t.Before(in.To) }

// visitCounts are the counts of visitors' entries in a month.
type visitCounts struct {
	visits, registered, walkins, overrides int64
	evaluated, unresolved                  int64
	denials, overridden                    int64
}

// visits counts the visitors' entries: how they came in, whether they left
// in time, and denials followed by an override.
func visits(in Input) visitCounts {
	var c visitCounts
	threshold := time.Duration(in.ThresholdHours)*time.Hour + FollowUp
	pending := map[int64][]time.Time{} // visitor → its entries in awaiting a departure
	denied := map[int64][]time.Time{}  // visitor → its denials awaiting an override
	for _, f := range in.Facts {
		if f.VisitorID == 0 {
			continue
		}
		switch {
		case f.Direction == gatehouse.Out && f.Decision == gatehouse.Grant:
			for _, t := range pending[f.VisitorID] {
				if f.At.Sub(t) > threshold {
					c.unresolved++
				}
				c.evaluated++
			}
			delete(pending, f.VisitorID)
		case f.Direction == gatehouse.In && f.Decision == gatehouse.Grant && in.inMonth(f.At):
			c.visits++
			switch {
			case f.Method == gatehouse.MethodManual:
				c.overrides++
				for _, t := range denied[f.VisitorID] {
					if f.At.Sub(t) <= OverrideWindow {
						c.overridden++
					}
				}
				delete(denied, f.VisitorID)
			case f.Method == gatehouse.MethodWalkIn || f.PassKind == gatehouse.PassWalkIn:
				c.walkins++
			case f.PassKind != "":
				c.registered++
			}
			pending[f.VisitorID] = append(pending[f.VisitorID], f.At)
		case f.Direction == gatehouse.In && f.Decision == gatehouse.Deny && in.inMonth(f.At) && f.Method != gatehouse.MethodManual:
			c.denials++
			denied[f.VisitorID] = append(denied[f.VisitorID], f.At)
		}
	}
	for _, ts := range pending {
		for _, t := range ts {
			if !t.Add(threshold).After(in.AsOf) {
				c.evaluated++
				c.unresolved++
			}
		}
	}
	return c
}

// watchlistHits counts the month's watchlist hits and those a guard acted
// on within WatchlistAnswer, with the minutes each took.
func watchlistHits(in Input) (hits, answered int64, waits []float64) {
	var open []time.Time
	for _, f := range in.Facts {
		if f.GuardID != 0 {
			for _, h := range open {
				if f.At.Sub(h) <= WatchlistAnswer {
					answered++
					waits = append(waits, f.At.Sub(h).Minutes())
				}
			}
			open = open[:0]
		}
		if f.Reason == gatehouse.Watchlisted && f.Decision == gatehouse.Deny && in.inMonth(f.At) {
			hits++
			if f.GuardID != 0 {
				answered++ // refused by the guard at the gate: acted on at once
				waits = append(waits, 0)
			} else {
				open = append(open, f.At)
			}
		}
	}
	return hits, answered, waits
}

func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return round1(v[n/2])
	}
	return round1((v[n/2-1] + v[n/2]) / 2)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// Scored is a figure with the points the scheme gives it.
type Scored struct {
	Figure
	Points    float64 `json:"points"`
	MaxPoints float64 `json:"max_points"`
	Formula   string  `json:"formula"`
}

// Result is a community's assessment for a month.
type Result struct {
	CommunityID   int64               `json:"community_id"`
	CompanyID     int64               `json:"company_id"`
	Street        string              `json:"street"`
	Households    int                 `json:"households"`
	Month         string              `json:"month"`
	SchemeVersion int                 `json:"scheme_version"`
	Indicators    []Scored            `json:"indicators"`
	Parts         Parts               `json:"parts"`
	Inspections   int                 `json:"inspections"`
	Incidents     int                 `json:"incidents"`
	Serious       bool                `json:"serious_incident"`
	Capped        bool                `json:"capped"` // the grade was held at pass by a serious incident
	Score         float64             `json:"score"`
	Grade         gatehouse.Grade     `json:"grade"`
	Card          gatehouse.GradeCard `json:"card"`
}

// Parts are the points of the three parts of the score.
type Parts struct {
	Measured   float64 `json:"measured"`
	Inspection float64 `json:"inspection"`
	Incidents  float64 `json:"incidents"`
}

// Score scores a community's month: the measured part (the indicators'
// points ÷ their most, × its weight; an indicator with nothing to measure
// earns its most), the inspection part (the mean share of checklist points
// met over the month's inspections, × its weight; none: 0) and the
// incidents part (its weight less each incident's deduction, at least 0);
// the sum, to one decimal, gives the grade, at best pass with a serious
// incident.
func Score(s *gatehouse.Scheme, figures []Figure, inspections []*gatehouse.Inspection, incidents []*gatehouse.Incident) Result {
	r := Result{SchemeVersion: s.Version}
	var got, most float64
	for _, f := range figures {
		rule, ok := s.Rule(f.Key)
		if !ok {
			continue
		}
		sc := Scored{Figure: f, MaxPoints: rule.MaxPoints(), Formula: Formulas[f.Key]}
		sc.Points = sc.MaxPoints
		if f.Value != nil {
			sc.Points = rule.Points(*f.Value)
		}
		got, most = got+sc.Points, most+sc.MaxPoints
		r.Indicators = append(r.Indicators, sc)
	}
	if most > 0 {
		r.Parts.Measured = round1(s.Weights.Measured * got / most)
	}
	r.Inspections = len(inspections)
	if len(inspections) > 0 {
		total := 0.0
		for _, it := range s.Checklist {
			total += it.Points
		}
		share := 0.0
		for _, in := range inspections {
			met := 0.0
			for _, it := range s.Checklist {
				for _, k := range in.ItemsMet {
					if k == it.Key {
						met += it.Points
					}
				}
			}
			if total > 0 {
				share += met / total
			}
		}
		r.Parts.Inspection = round1(s.Weights.Inspection * share / float64(len(inspections)))
	}
	deduct := 0.0
	for _, in := range incidents {
		c, _ := s.Category(in.Category)
		deduct += c.Deduct
		r.Serious = r.Serious || c.Serious
	}
	r.Incidents = len(incidents)
	r.Parts.Incidents = round1(max(0, s.Weights.Incidents-deduct))
	r.Score = round1(r.Parts.Measured + r.Parts.Inspection + r.Parts.Incidents)
	r.Grade = s.GradeOf(r.Score)
	if r.Serious && rank(r.Grade) < rank(gatehouse.GradePass) {
		r.Grade, r.Capped = gatehouse.GradePass, true
	}
	r.Card = gatehouse.CardOf(r.Grade)
	return r
}

func rank(g gatehouse.Grade) int {
	for i, v := range gatehouse.Grades {
		if v == g {
			return i
		}
	}
	return len(gatehouse.Grades)
}

// CompanyResult is a company's grade for a month.
type CompanyResult struct {
	CompanyID    int64               `json:"company_id"`
	Communities  int                 `json:"communities"`
	Households   int                 `json:"households"`
	Score        float64             `json:"score"`
	Grade        gatehouse.Grade     `json:"grade"`
	Card         gatehouse.GradeCard `json:"card"`
	LongTermPoor bool                `json:"long_term_poor"`
	PoorMonths   int                 `json:"poor_months"` // of the last 6, this one included
}

// Company grades a company: the household-weighted mean of its
// communities' scores (each weighed by its declared dwellings; if none
// declared any, the plain mean), to one decimal, on the scheme's thresholds.
func Company(s *gatehouse.Scheme, companyID int64, communities []Result) CompanyResult {
	c := CompanyResult{CompanyID: companyID, Communities: len(communities)}
	var sum, weights, plain float64
	for _, r := range communities {
		c.Households += r.Households
		sum += r.Score * float64(r.Households)
		weights += float64(r.Households)
		plain += r.Score
	}
	switch {
	case weights > 0:
		c.Score = round1(sum / weights)
	case len(communities) > 0:
		c.Score = round1(plain / float64(len(communities)))
	}
	c.Grade = s.GradeOf(c.Score)
	c.Card = gatehouse.CardOf(c.Grade)
	return c
}

// LongTermPoor counts the poor grades among a company's last six months
// (this one included) and reports whether they reach the scheme's rule.
func LongTermPoor(s *gatehouse.Scheme, lastSix []gatehouse.Grade) (int, bool) {
	n := 0
	for _, g := range lastSix {
		if g == gatehouse.GradePoor {
			n++
		}
	}
	return n, n >= s.LongTermPoor
}
