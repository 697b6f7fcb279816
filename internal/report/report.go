// Package report builds population-information reports from the entry log:
// residents by building, registered visitors, visits and unique visitors
// per local day and hour, entries by gate and decision, frequent visitors
// and visitors on site beyond the temporary-residence line; as JSON for the
// UI and as CSV and XLSX for download.
package report

import (
	"context"
	"sort"
	"time"

	"gatehouse/internal/gatehouse"
)

// Source is what a report reads.
type Source interface {
	ResidentsByBuilding(ctx context.Context, communityIDs []int64) ([]gatehouse.BuildingCount, error)
	RegisteredVisitors(ctx context.Context, communityIDs []int64, from, to time.Time) (passes, visitors int64, err error)
	PassesByKind(ctx context.Context, communityIDs []int64, from, to time.Time) (map[gatehouse.PassKind]int64, error)
	EntryFacts(ctx context.Context, communityIDs []int64, from, to time.Time, fn func(gatehouse.EntryFact) error) error
	VisitorsByID(ctx context.Context, ids []int64) (map[int64]*gatehouse.Visitor, error)
	ResidentsByID(ctx context.Context, ids []int64) (map[int64]*gatehouse.Resident, error)
	Gates(ctx context.Context, communityIDs []int64, page gatehouse.Page) ([]*gatehouse.Gate, int64, error)
	Onsite(ctx context.Context, communityIDs []int64) ([]*gatehouse.OnsitePerson, error)
}

// Options shape a report.
type Options struct {
	From, To       time.Time
	MinVisits      int // a frequent visitor has at least this many visits (default 5)
	ThresholdHours int // a long stay lasts at least this long (default: the community's, or 72)
	Now            time.Time
}

// Lookback is how far before the period visits are followed, so that a stay
// that began before it is still seen.
const Lookback = 31 * 24 * time.Hour

// Report is a population-information report.
type Report struct {
	Communities        []CommunityRef `json:"communities"`
	From               time.Time      `json:"from"`
	To                 time.Time      `json:"to"`
	TimeZone           string         `json:"time_zone"`
	GeneratedAt        time.Time      `json:"generated_at"`
	Residents          Residents      `json:"residents"`
	RegisteredVisitors Registered     `json:"registered_visitors"`
	Visits             Visits         `json:"visits"`
	Entries            Entries        `json:"entries"`
	FrequentVisitors   Frequent       `json:"frequent_visitors"`
	LongStays          LongStays      `json:"long_stays"`
	VehicleStays       VehicleStays   `json:"vehicle_stays"`
}

// CommunityRef names a community of the report.
type CommunityRef struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
}

// Residents counts present residents.
type Residents struct {
	Total      int64         `json:"total"`
	ByBuilding []BuildingRow `json:"by_building"`
}

// BuildingRow is one building's count.
type BuildingRow struct {
	CommunityID int64  `json:"community_id"`
	Building    string `json:"building"`
	Residents   int64  `json:"residents"`
}

// Registered counts passes issued in the period and the people they are for.
type Registered struct {
	Passes   int64 `json:"passes"`
	Visitors int64 `json:"visitors"`
	// ByKind counts the passes by how they came to be: guest (invited by a
	// resident), walkin (registered by a guard), self (the visitor's own
	// registration, approved by the household).
	ByKind map[gatehouse.PassKind]int64 `json:"by_kind"`
}

// Visits counts granted entries ("in") of visitors.
type Visits struct {
	Total          int64     `json:"total"`
	UniqueVisitors int64     `json:"unique_visitors"`
	ByDay          []DayRow  `json:"by_day"`
	ByHour         []HourRow `json:"by_hour"`
}

// DayRow is one local day.
type DayRow struct {
	Date           string `json:"date"`
	Visits         int64  `json:"visits"`
	UniqueVisitors int64  `json:"unique_visitors"`
}

// HourRow is one hour of the local day, over the whole period.
type HourRow struct {
	Hour   int   `json:"hour"`
	Visits int64 `json:"visits"`
}

// Entries counts every entry of the period, grant or deny, in or out.
type Entries struct {
	Total    int64       `json:"total"`
	Granted  int64       `json:"granted"`
	Denied   int64       `json:"denied"`
	ByGate   []GateRow   `json:"by_gate"`
	ByReason []ReasonRow `json:"by_reason"`
}

// GateRow is one gate's count.
type GateRow struct {
	GateID      int64  `json:"gate_id"`
	GateName    string `json:"gate_name"`
	CommunityID int64  `json:"community_id"`
	Granted     int64  `json:"granted"`
	Denied      int64  `json:"denied"`
}

// ReasonRow is one reason's count.
type ReasonRow struct {
	Reason   gatehouse.Reason `json:"reason"`
	Decision string           `json:"decision"`
	Count    int64            `json:"count"`
}

// Frequent lists visitors with many visits.
type Frequent struct {
	MinVisits int           `json:"min_visits"`
	Items     []FrequentRow `json:"items"`
}

// FrequentRow is one frequent visitor.
type FrequentRow struct {
	VisitorID int64      `json:"visitor_id"`
	Name      string     `json:"name"`
	IDNumber  string     `json:"id_number"` // masked
	Visits    int64      `json:"visits"`
	Hosts     []Dwelling `json:"hosts"`
}

// Dwelling is a host's home.
type Dwelling struct {
	ResidentID  int64  `json:"resident_id"`
	CommunityID int64  `json:"community_id"`
	Name        string `json:"name"`
	Building    string `json:"building"`
	Unit        string `json:"unit"`
	Room        string `json:"room"`
}

// LongStays lists stays beyond the threshold.
type LongStays struct {
	ThresholdHours int       `json:"threshold_hours"`
	Items          []StayRow `json:"items"`
}

// StayRow is one long stay.
type StayRow struct {
	VisitorID   int64      `json:"visitor_id"`
	CommunityID int64      `json:"community_id"`
	Name        string     `json:"name"`
	IDNumber    string     `json:"id_number"` // masked
	Since       time.Time  `json:"since"`
	Until       *time.Time `json:"until,omitempty"` // absent: still on site
	Hours       float64    `json:"hours"`
	OnSite      bool       `json:"on_site"`
	Host        *Dwelling  `json:"host,omitempty"`
}

// stay follows one visitor's presence in one community.
type stay struct {
	visitor, community, host int64
	name                     string
	since                    time.Time
	until                    time.Time // zero: still inside
}

// Build makes the report of communities over opt's period: one pass over
// the entries accumulates the facts, then the answer is assembled from them.
func Build(ctx context.Context, src Source, communities []*gatehouse.Community, opt Options) (*Report, error) {
	opt = withDefaults(opt, communities)
	rep, ids, loc := header(communities, opt)
	buildings, err := src.ResidentsByBuilding(ctx, ids)
	if err != nil {
		return nil, err
	}
	rep.Residents = residents(buildings)
	if rep.RegisteredVisitors.Passes, rep.RegisteredVisitors.Visitors, err = src.RegisteredVisitors(ctx, ids, opt.From, opt.To); err != nil {
		return nil, err
	}
	kinds, err := src.PassesByKind(ctx, ids, opt.From, opt.To)
	if err != nil {
		return nil, err
	}
	rep.RegisteredVisitors.ByKind = map[gatehouse.PassKind]int64{gatehouse.PassGuest: 0, gatehouse.PassWalkIn: 0, gatehouse.PassSelf: 0}
	for k, n := range kinds {
		rep.RegisteredVisitors.ByKind[k] = n
	}
	f := newFacts(opt, communities)
	if err := src.EntryFacts(ctx, ids, opt.From.Add(-Lookback), opt.To, f.add); err != nil {
		return nil, err
	}
	rep.Visits = f.visitRows(loc)
	gl, _, err := src.Gates(ctx, ids, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	rep.Entries = f.entryRows(gl)
	// Who is inside now and came in before the entries read above: the
	// longest stays of all, known from the presence table.
	if !opt.To.Before(opt.Now) {
		inside, err := src.Onsite(ctx, ids)
		if err != nil {
			return nil, err
		}
		f.addOnsite(inside)
	}
	long := f.longStays()
	vids, hids := f.people(long)
	visitors, err := src.VisitorsByID(ctx, vids)
	if err != nil {
		return nil, err
	}
	hosts, err := src.ResidentsByID(ctx, hids)
	if err != nil {
		return nil, err
	}
	rep.FrequentVisitors = f.frequentRows(visitors, hosts)
	rep.LongStays = f.stayRows(long, visitors, hosts)
	rep.VehicleStays = f.cars.rows(f.opt.From, f.end(), f.opt.ThresholdHours)
	return rep, nil
}

// withDefaults fills the options a caller left zero: 5 visits, and the first
// community's threshold that is set, else the default.
func withDefaults(opt Options, communities []*gatehouse.Community) Options {
	if opt.MinVisits <= 0 {
		opt.MinVisits = 5
	}
	for _, c := range communities {
		if opt.ThresholdHours <= 0 && c.OnsiteThresholdHours > 0 {
			opt.ThresholdHours = c.OnsiteThresholdHours
		}
	}
	if opt.ThresholdHours <= 0 {
		opt.ThresholdHours = gatehouse.DefaultOnsiteThresholdHours
	}
	return opt
}

// header starts the report with its communities and period; days are those
// of the first community's time zone.
func header(communities []*gatehouse.Community, opt Options) (rep *Report, ids []int64, loc *time.Location) {
	rep = &Report{From: opt.From, To: opt.To, GeneratedAt: opt.Now.UTC()}
	ids = make([]int64, len(communities))
	for i, c := range communities {
		ids[i] = c.ID
		rep.Communities = append(rep.Communities, CommunityRef{ID: c.ID, Name: c.Name, TimeZone: c.TimeZone})
	}
	loc = time.UTC
	if len(communities) > 0 {
		loc, rep.TimeZone = communities[0].Location(), communities[0].TimeZone
	}
	return rep, ids, loc
}

func residents(buildings []gatehouse.BuildingCount) Residents {
	r := Residents{ByBuilding: []BuildingRow{}}
	for _, b := range buildings {
		r.Total += b.Residents
		r.ByBuilding = append(r.ByBuilding, BuildingRow(b))
	}
	return r
}

// facts is what one pass over the entries gathers: counts of the period, and
// stays followed from the lookback on.
type facts struct {
	opt  Options
	locs map[int64]*time.Location // each community's time zone

	total, granted, denied int64
	gates                  map[int64]*GateRow
	reasons                map[gatehouse.Reason]int64

	visits    map[int64]int64 // granted "in" of each visitor
	dayVisits map[string]int64
	dayUnique map[string]map[int64]bool
	hours     [24]int64
	hostsOf   map[int64]map[int64]bool
	names     map[int64]string

	open  map[[2]int64]*stay // community, visitor
	stays []*stay
	cars  cars // vehicles read at vehicle gates
}

func newFacts(opt Options, communities []*gatehouse.Community) *facts {
	f := &facts{opt: opt, locs: map[int64]*time.Location{}, gates: map[int64]*GateRow{}, reasons: map[gatehouse.Reason]int64{},
		visits: map[int64]int64{}, dayVisits: map[string]int64{}, dayUnique: map[string]map[int64]bool{},
		hostsOf: map[int64]map[int64]bool{}, names: map[int64]string{}, open: map[[2]int64]*stay{}}
	for _, c := range communities {
		f.locs[c.ID] = c.Location()
	}
	return f
}

// add takes one entry of the lookback or the period, in log order.
func (f *facts) add(e gatehouse.EntryFact) error {
	granted := e.Decision == gatehouse.Grant
	if e.VisitorID != 0 && granted && e.Method != gatehouse.MethodPlate {
		f.follow(e)
	}
	if e.Method == gatehouse.MethodPlate && granted {
		f.cars.follow(e)
	}
	if e.OccurredAt.Before(f.opt.From) {
		return nil
	}
	f.count(e, granted)
	if e.VisitorID != 0 && granted && e.Direction == gatehouse.In {
		f.visit(e)
	}
	return nil
}

// follow opens a visitor's stay on the way in and closes it on the way out.
func (f *facts) follow(e gatehouse.EntryFact) {
	key := [2]int64{e.CommunityID, e.VisitorID}
	if e.Direction != gatehouse.In {
		if s := f.open[key]; s != nil {
			s.until = e.OccurredAt
			delete(f.open, key)
		}
		return
	}
	if f.open[key] == nil {
		s := &stay{visitor: e.VisitorID, community: e.CommunityID, host: e.HostResidentID, name: e.PersonName, since: e.OccurredAt}
		f.open[key] = s
		f.stays = append(f.stays, s)
	}
}

// count counts an entry of the period by decision, gate and reason.
func (f *facts) count(e gatehouse.EntryFact, granted bool) {
	f.total++
	g := f.gates[e.GateID]
	if g == nil {
		g = &GateRow{GateID: e.GateID, CommunityID: e.CommunityID}
		f.gates[e.GateID] = g
	}
	if granted {
		f.granted++
		g.Granted++
	} else {
		f.denied++
		g.Denied++
	}
	f.reasons[e.Reason]++
}

// visit counts a visitor's granted entry by local day and hour, and whom it visited.
func (f *facts) visit(e gatehouse.EntryFact) {
	local := e.OccurredAt.In(f.locs[e.CommunityID])
	day := local.Format("2006-01-02")
	f.dayVisits[day]++
	addTo(f.dayUnique, day, e.VisitorID)
	f.hours[local.Hour()]++
	f.visits[e.VisitorID]++
	if e.PersonName != "" {
		f.names[e.VisitorID] = e.PersonName
	}
	if e.HostResidentID != 0 {
		addTo(f.hostsOf, e.VisitorID, e.HostResidentID)
	}
}

// addTo adds v to the set m[k], making it when missing.
func addTo[K comparable](m map[K]map[int64]bool, k K, v int64) {
	if m[k] == nil {
		m[k] = map[int64]bool{}
	}
	m[k][v] = true
}

// addOnsite follows the stays of visitors inside since before the lookback.
func (f *facts) addOnsite(inside []*gatehouse.OnsitePerson) {
	for _, o := range inside {
		if o.Visitor == nil || !o.Since.Before(f.opt.From.Add(-Lookback)) {
			continue
		}
		st := &stay{visitor: o.Visitor.ID, community: o.CommunityID, name: o.Visitor.Name, since: o.Since}
		if o.Host != nil {
			st.host = o.Host.ID
		}
		f.stays = append(f.stays, st)
	}
}

// end is when stays still open are measured to: the period's end, or now.
func (f *facts) end() time.Time {
	if f.opt.Now.Before(f.opt.To) {
		return f.opt.Now
	}
	return f.opt.To
}

// frequent reports whether a visitor's visits make them a frequent visitor.
func (f *facts) frequent(visits int64) bool { return visits >= int64(f.opt.MinVisits) }

// longStays returns the stays reaching into the period that last at least the threshold.
func (f *facts) longStays() []*stay {
	threshold := time.Duration(f.opt.ThresholdHours) * time.Hour
	var long []*stay
	for _, s := range f.stays {
		until := s.until
		if until.IsZero() {
			until = f.end()
		}
		if until.Before(f.opt.From) || until.Sub(s.since) < threshold {
			continue
		}
		long = append(long, s)
	}
	return long
}

// people returns the visitors and hosts the report names.
func (f *facts) people(long []*stay) (vids, hids []int64) {
	for v, n := range f.visits {
		if f.frequent(n) {
			vids = append(vids, v)
			for h := range f.hostsOf[v] {
				hids = append(hids, h)
			}
		}
	}
	for _, s := range long {
		vids, hids = append(vids, s.visitor), append(hids, s.host)
	}
	return vids, hids
}

func (f *facts) visitRows(loc *time.Location) Visits {
	vs := Visits{UniqueVisitors: int64(len(f.visits)), ByDay: []DayRow{}, ByHour: make([]HourRow, 24)}
	for _, n := range f.visits {
		vs.Total += n
	}
	for d := dayStart(f.opt.From.In(loc)); d.Before(f.opt.To); d = d.AddDate(0, 0, 1) {
		date := d.Format("2006-01-02")
		vs.ByDay = append(vs.ByDay, DayRow{Date: date, Visits: f.dayVisits[date], UniqueVisitors: int64(len(f.dayUnique[date]))})
	}
	for h := range f.hours {
		vs.ByHour[h] = HourRow{Hour: h, Visits: f.hours[h]}
	}
	return vs
}

// entryRows lays out the counts by gate, named from gl, and by reason.
func (f *facts) entryRows(gl []*gatehouse.Gate) Entries {
	for _, g := range gl {
		if row := f.gates[g.ID]; row != nil {
			row.GateName = g.Name
		}
	}
	es := Entries{Total: f.total, Granted: f.granted, Denied: f.denied, ByGate: []GateRow{}, ByReason: []ReasonRow{}}
	for _, g := range f.gates {
		es.ByGate = append(es.ByGate, *g)
	}
	sort.Slice(es.ByGate, func(i, j int) bool { return es.ByGate[i].GateID < es.ByGate[j].GateID })
	for r, n := range f.reasons {
		es.ByReason = append(es.ByReason, ReasonRow{Reason: r, Decision: string(r.Decision()), Count: n})
	}
	sort.Slice(es.ByReason, func(i, j int) bool {
		a, b := es.ByReason[i], es.ByReason[j]
		return a.Count > b.Count || a.Count == b.Count && a.Reason < b.Reason
	})
	return es
}

func (f *facts) frequentRows(visitors map[int64]*gatehouse.Visitor, hosts map[int64]*gatehouse.Resident) Frequent {
	fr := Frequent{MinVisits: f.opt.MinVisits, Items: []FrequentRow{}}
	for v, n := range f.visits {
		if !f.frequent(n) {
			continue
		}
		row := FrequentRow{VisitorID: v, Name: f.names[v], IDNumber: masked(visitors, v), Visits: n, Hosts: []Dwelling{}}
		for h := range f.hostsOf[v] {
			if d := dwelling(hosts[h]); d != nil {
				row.Hosts = append(row.Hosts, *d)
			}
		}
		sort.Slice(row.Hosts, func(i, j int) bool { return row.Hosts[i].ResidentID < row.Hosts[j].ResidentID })
		fr.Items = append(fr.Items, row)
	}
	sort.Slice(fr.Items, func(i, j int) bool {
		a, b := fr.Items[i], fr.Items[j]
		return a.Visits > b.Visits || a.Visits == b.Visits && a.VisitorID < b.VisitorID
	})
	return fr
}

func (f *facts) stayRows(long []*stay, visitors map[int64]*gatehouse.Visitor, hosts map[int64]*gatehouse.Resident) LongStays {
	ls := LongStays{ThresholdHours: f.opt.ThresholdHours, Items: []StayRow{}}
	for _, s := range long {
		row := StayRow{VisitorID: s.visitor, CommunityID: s.community, Name: s.name, IDNumber: masked(visitors, s.visitor), Since: s.since,
			OnSite: s.until.IsZero(), Host: dwelling(hosts[s.host])}
		until := f.end()
		if !row.OnSite {
			until = s.until
			row.Until = &until
		}
		row.Hours = float64(int(until.Sub(s.since).Hours()*10)) / 10
		ls.Items = append(ls.Items, row)
	}
	sort.Slice(ls.Items, func(i, j int) bool { return ls.Items[i].Since.Before(ls.Items[j].Since) })
	return ls
}

// masked is a visitor's masked ID number, "" when unknown.
func masked(visitors map[int64]*gatehouse.Visitor, id int64) string {
	if v := visitors[id]; v != nil {
		return v.IDNumber.Masked()
	}
	return ""
}

func dwelling(r *gatehouse.Resident) *Dwelling {
	if r == nil {
		return nil
	}
	return &Dwelling{ResidentID: r.ID, CommunityID: r.CommunityID, Name: r.Name, Building: r.Building, Unit: r.Unit, Room: r.Room}
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
