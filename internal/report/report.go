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

// Build makes the report of communities over opt's period.
func Build(ctx context.Context, src Source, communities []*gatehouse.Community, opt Options) (*Report, error) {
	if opt.MinVisits <= 0 {
		opt.MinVisits = 5
	}
	ids := make([]int64, len(communities))
	locs := map[int64]*time.Location{}
	rep := &Report{From: opt.From, To: opt.To, GeneratedAt: opt.Now.UTC()}
	for i, c := range communities {
		ids[i] = c.ID
		locs[c.ID] = c.Location()
		rep.Communities = append(rep.Communities, CommunityRef{ID: c.ID, Name: c.Name, TimeZone: c.TimeZone})
		if opt.ThresholdHours <= 0 && c.OnsiteThresholdHours > 0 {
			opt.ThresholdHours = c.OnsiteThresholdHours
		}
	}
	if opt.ThresholdHours <= 0 {
		opt.ThresholdHours = gatehouse.DefaultOnsiteThresholdHours
	}
	loc := time.UTC
	if len(communities) > 0 {
		loc, rep.TimeZone = communities[0].Location(), communities[0].TimeZone
	}

	buildings, err := src.ResidentsByBuilding(ctx, ids)
	if err != nil {
		return nil, err
	}
	rep.Residents.ByBuilding = []BuildingRow{}
	for _, b := range buildings {
		rep.Residents.Total += b.Residents
		rep.Residents.ByBuilding = append(rep.Residents.ByBuilding, BuildingRow(b))
	}
	if rep.RegisteredVisitors.Passes, rep.RegisteredVisitors.Visitors, err = src.RegisteredVisitors(ctx, ids, opt.From, opt.To); err != nil {
		return nil, err
	}

	// One pass over the entries: counts of the period, and stays followed
	// from the lookback on.
	dayVisits := map[string]int64{}
	dayUnique := map[string]map[int64]bool{}
	unique := map[int64]bool{}
	var hours [24]int64
	gates := map[int64]*GateRow{}
	reasons := map[gatehouse.Reason]int64{}
	visits := map[int64]int64{}
	hostsOf := map[int64]map[int64]bool{}
	names := map[int64]string{}
	open := map[[2]int64]*stay{} // community, visitor
	var stays []*stay
	err = src.EntryFacts(ctx, ids, opt.From.Add(-Lookback), opt.To, func(e gatehouse.EntryFact) error {
		inPeriod := !e.OccurredAt.Before(opt.From)
		granted := e.Decision == gatehouse.Grant
		if e.VisitorID != 0 && granted {
			key := [2]int64{e.CommunityID, e.VisitorID}
			if e.Direction == gatehouse.In {
				if open[key] == nil {
					s := &stay{visitor: e.VisitorID, community: e.CommunityID, host: e.HostResidentID, name: e.PersonName, since: e.OccurredAt}
					open[key] = s
					stays = append(stays, s)
				}
			} else if s := open[key]; s != nil {
				s.until = e.OccurredAt
				delete(open, key)
			}
		}
		if !inPeriod {
			return nil
		}
		rep.Entries.Total++
		g := gates[e.GateID]
		if g == nil {
			g = &GateRow{GateID: e.GateID, CommunityID: e.CommunityID}
			gates[e.GateID] = g
		}
		if granted {
			rep.Entries.Granted++
			g.Granted++
		} else {
			rep.Entries.Denied++
			g.Denied++
		}
		reasons[e.Reason]++
		if e.VisitorID == 0 || !granted || e.Direction != gatehouse.In {
			return nil
		}
		local := e.OccurredAt.In(locs[e.CommunityID])
		day := local.Format("2006-01-02")
		rep.Visits.Total++
		unique[e.VisitorID] = true
		dayVisits[day]++
		if dayUnique[day] == nil {
			dayUnique[day] = map[int64]bool{}
		}
		dayUnique[day][e.VisitorID] = true
		hours[local.Hour()]++
		visits[e.VisitorID]++
		if e.PersonName != "" {
			names[e.VisitorID] = e.PersonName
		}
		if e.HostResidentID != 0 {
			if hostsOf[e.VisitorID] == nil {
				hostsOf[e.VisitorID] = map[int64]bool{}
			}
			hostsOf[e.VisitorID][e.HostResidentID] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Visits.UniqueVisitors = int64(len(unique))
	rep.Visits.ByDay = []DayRow{}
	for d := dayStart(opt.From.In(loc)); d.Before(opt.To); d = d.AddDate(0, 0, 1) {
		date := d.Format("2006-01-02")
		rep.Visits.ByDay = append(rep.Visits.ByDay, DayRow{Date: date, Visits: dayVisits[date], UniqueVisitors: int64(len(dayUnique[date]))})
	}
	rep.Visits.ByHour = make([]HourRow, 24)
	for h := range hours {
		rep.Visits.ByHour[h] = HourRow{Hour: h, Visits: hours[h]}
	}

	// Gate names.
	gl, _, err := src.Gates(ctx, ids, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	for _, g := range gl {
		if row := gates[g.ID]; row != nil {
			row.GateName = g.Name
		}
	}
	rep.Entries.ByGate = []GateRow{}
	for _, g := range gates {
		rep.Entries.ByGate = append(rep.Entries.ByGate, *g)
	}
	sort.Slice(rep.Entries.ByGate, func(i, j int) bool { return rep.Entries.ByGate[i].GateID < rep.Entries.ByGate[j].GateID })
	rep.Entries.ByReason = []ReasonRow{}
	for r, n := range reasons {
		rep.Entries.ByReason = append(rep.Entries.ByReason, ReasonRow{Reason: r, Decision: string(r.Decision()), Count: n})
	}
	sort.Slice(rep.Entries.ByReason, func(i, j int) bool {
		a, b := rep.Entries.ByReason[i], rep.Entries.ByReason[j]
		return a.Count > b.Count || a.Count == b.Count && a.Reason < b.Reason
	})

	// Frequent visitors and long stays, with masked IDs and hosts.
	var vids, hids []int64
	rep.FrequentVisitors = Frequent{MinVisits: opt.MinVisits, Items: []FrequentRow{}}
	for v, n := range visits {
		if n >= int64(opt.MinVisits) {
			vids = append(vids, v)
			for h := range hostsOf[v] {
				hids = append(hids, h)
			}
		}
	}
	threshold := time.Duration(opt.ThresholdHours) * time.Hour
	end := opt.To
	if opt.Now.Before(end) {
		end = opt.Now
	}
	// Who is inside now and came in before the entries read above: the
	// longest stays of all, known from the presence table.
	if !opt.To.Before(opt.Now) {
		inside, err := src.Onsite(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, o := range inside {
			if o.Visitor == nil || !o.Since.Before(opt.From.Add(-Lookback)) {
				continue
			}
			st := &stay{visitor: o.Visitor.ID, community: o.CommunityID, name: o.Visitor.Name, since: o.Since}
			if o.Host != nil {
				st.host = o.Host.ID
			}
			stays = append(stays, st)
		}
	}
	var long []*stay
	for _, s := range stays {
		until := s.until
		if until.IsZero() {
			until = end
		}
		if until.Before(opt.From) || until.Sub(s.since) < threshold {
			continue
		}
		long = append(long, s)
		vids, hids = append(vids, s.visitor), append(hids, s.host)
	}
	visitors, err := src.VisitorsByID(ctx, vids)
	if err != nil {
		return nil, err
	}
	hosts, err := src.ResidentsByID(ctx, hids)
	if err != nil {
		return nil, err
	}
	masked := func(id int64) string {
		if v := visitors[id]; v != nil {
			return v.IDNumber.Masked()
		}
		return ""
	}
	for v, n := range visits {
		if n < int64(opt.MinVisits) {
			continue
		}
		row := FrequentRow{VisitorID: v, Name: names[v], IDNumber: masked(v), Visits: n, Hosts: []Dwelling{}}
		for h := range hostsOf[v] {
			if d := dwelling(hosts[h]); d != nil {
				row.Hosts = append(row.Hosts, *d)
			}
		}
		sort.Slice(row.Hosts, func(i, j int) bool { return row.Hosts[i].ResidentID < row.Hosts[j].ResidentID })
		rep.FrequentVisitors.Items = append(rep.FrequentVisitors.Items, row)
	}
	sort.Slice(rep.FrequentVisitors.Items, func(i, j int) bool {
		a, b := rep.FrequentVisitors.Items[i], rep.FrequentVisitors.Items[j]
		return a.Visits > b.Visits || a.Visits == b.Visits && a.VisitorID < b.VisitorID
	})
	rep.LongStays = LongStays{ThresholdHours: opt.ThresholdHours, Items: []StayRow{}}
	for _, s := range long {
		row := StayRow{VisitorID: s.visitor, CommunityID: s.community, Name: s.name, IDNumber: masked(s.visitor), Since: s.since,
			OnSite: s.until.IsZero(), Host: dwelling(hosts[s.host])}
		until := s.until
		if row.OnSite {
			until = end
		} else {
			u := s.until
			row.Until = &u
		}
		row.Hours = float64(int(until.Sub(s.since).Hours()*10)) / 10
		rep.LongStays.Items = append(rep.LongStays.Items, row)
	}
	sort.Slice(rep.LongStays.Items, func(i, j int) bool { return rep.LongStays.Items[i].Since.Before(rep.LongStays.Items[j].Since) })
	return rep, nil
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
