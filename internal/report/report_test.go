package report

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// fakeSource answers a report from hand-built lists and records what it was asked.
type fakeSource struct {
	buildings        []gatehouse.BuildingCount
	passes, visitors int64
	facts            []gatehouse.EntryFact
	visitorsByID     map[int64]*gatehouse.Visitor
	residentsByID    map[int64]*gatehouse.Resident
	gates            []*gatehouse.Gate
	onsite           []*gatehouse.OnsitePerson
	fail             string // the method that fails

	factsFrom, factsTo time.Time
	onsiteAsked        bool
}

var errBroken = errors.New("broken source")

func (f *fakeSource) err(method string) error {
	if f.fail == method {
		return errBroken
	}
	return nil
}

func (f *fakeSource) ResidentsByBuilding(context.Context, []int64) ([]gatehouse.BuildingCount, error) {
	return f.buildings, f.err("ResidentsByBuilding")
}

func (f *fakeSource) PassesByKind(context.Context, []int64, time.Time, time.Time) (map[gatehouse.PassKind]int64, error) {
	return map[gatehouse.PassKind]int64{gatehouse.PassGuest: 3, gatehouse.PassSelf: 1}, nil
}

func (f *fakeSource) RegisteredVisitors(context.Context, []int64, time.Time, time.Time) (int64, int64, error) {
	return f.passes, f.visitors, f.err("RegisteredVisitors")
}

func (f *fakeSource) EntryFacts(_ context.Context, _ []int64, from, to time.Time, fn func(gatehouse.EntryFact) error) error {
	f.factsFrom, f.factsTo = from, to
	if err := f.err("EntryFacts"); err != nil {
		return err
	}
	for _, e := range f.facts {
		if e.OccurredAt.Before(from) || !e.OccurredAt.Before(to) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeSource) VisitorsByID(context.Context, []int64) (map[int64]*gatehouse.Visitor, error) {
	return f.visitorsByID, f.err("VisitorsByID")
}

func (f *fakeSource) ResidentsByID(context.Context, []int64) (map[int64]*gatehouse.Resident, error) {
	return f.residentsByID, f.err("ResidentsByID")
}

func (f *fakeSource) Gates(context.Context, []int64, gatehouse.Page) ([]*gatehouse.Gate, int64, error) {
	return f.gates, int64(len(f.gates)), f.err("Gates")
}

func (f *fakeSource) Onsite(context.Context, []int64) ([]*gatehouse.OnsitePerson, error) {
	f.onsiteAsked = true
	return f.onsite, f.err("Onsite")
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr[T any](v T) *T { return &v }

// 翠竹苑 keeps Beijing time (UTC+8): local days and hours below are in it.
var cuizhu = &gatehouse.Community{ID: 1, Name: "翠竹苑", TimeZone: "Asia/Shanghai", OnsiteThresholdHours: 24}

var (
	wangFang = &gatehouse.Resident{ID: 100, CommunityID: 1, Name: "王芳", Building: "3栋", Unit: "2单元", Room: "502"}
	zhaoMin  = &gatehouse.Resident{ID: 101, CommunityID: 1, Name: "赵敏", Building: "5栋", Unit: "1单元", Room: "101"}
	wangHome = Dwelling{ResidentID: 100, CommunityID: 1, Name: "王芳", Building: "3栋", Unit: "2单元", Room: "502"}
	zhaoHome = Dwelling{ResidentID: 101, CommunityID: 1, Name: "赵敏", Building: "5栋", Unit: "1单元", Room: "101"}
)

// visitorFact is a visitor's passage; the others are left zero.
func visitorFact(at string, gate, visitor, host int64, name string, dir gatehouse.Direction, reason gatehouse.Reason) gatehouse.EntryFact {
	return gatehouse.EntryFact{CommunityID: 1, GateID: gate, VisitorID: visitor, HostResidentID: host, PersonName: name,
		Direction: dir, Reason: reason, Decision: reason.Decision(), OccurredAt: utc(at)}
}

func TestBuildCountsAHandBuiltEntryLog(t *testing.T) {
	// The period: 1 and 2 March 2025, Beijing time.
	from, to := utc("2025-02-28T16:00:00Z"), utc("2025-03-02T16:00:00Z")
	src := &fakeSource{
		buildings: []gatehouse.BuildingCount{{CommunityID: 1, Building: "3栋", Residents: 2}, {CommunityID: 1, Building: "5栋", Residents: 1}},
		passes:    4, visitors: 3,
		facts: []gatehouse.EntryFact{
			// Before the period: not counted, but 张伟's stay begins here (10:00 on 27 Feb).
			visitorFact("2025-02-27T02:00:00Z", 1, 10, 100, "张伟", gatehouse.In, gatehouse.Granted),
			// 09:00 on 1 Mar: 张伟 leaves after 47 hours, a long stay (threshold 24).
			visitorFact("2025-03-01T01:00:00Z", 1, 10, 0, "张伟", gatehouse.Out, gatehouse.Granted),
			// 10:30 on 1 Mar: a visit to 王芳, left at 13:00 (2.5 hours).
			visitorFact("2025-03-01T02:30:00Z", 1, 10, 100, "张伟", gatehouse.In, gatehouse.Granted),
			visitorFact("2025-03-01T05:00:00Z", 2, 10, 0, "张伟", gatehouse.Out, gatehouse.Granted),
			// 23:59 on 1 Mar: 李强 comes and stays past the period's end (24 h 1 min).
			visitorFact("2025-03-01T15:59:00Z", 1, 11, 100, "李强", gatehouse.In, gatehouse.Granted),
			// 04:00 on 2 Mar: 张伟 visits 赵敏 and is still inside at the end (20 hours).
			visitorFact("2025-03-01T20:00:00Z", 2, 10, 101, "张伟", gatehouse.In, gatehouse.Granted),
			// 08:00 on 2 Mar: a guard lets resident 5 in by hand.
			{CommunityID: 1, GateID: 1, ResidentID: 5, Direction: gatehouse.In, Reason: gatehouse.ManualOverride,
				Decision: gatehouse.Grant, OccurredAt: utc("2025-03-02T00:00:00Z")},
			// 09:00 on 2 Mar: 李强 tries an expired pass: a denial, not a visit.
			visitorFact("2025-03-02T01:00:00Z", 2, 11, 100, "李强", gatehouse.In, gatehouse.Expired),
			// 11:00 on 2 Mar: a code that does not verify.
			{CommunityID: 1, GateID: 1, Direction: gatehouse.In, Reason: gatehouse.InvalidCode, Decision: gatehouse.Deny,
				OccurredAt: utc("2025-03-02T03:00:00Z")},
			// After the period: not read.
			visitorFact("2025-03-02T16:00:00Z", 1, 11, 100, "李强", gatehouse.Out, gatehouse.Granted),
		},
		visitorsByID: map[int64]*gatehouse.Visitor{
			10: {ID: 10, Name: "张伟", IDNumber: gatehouse.StoredIDNumber("", "440524********0014")},
			11: {ID: 11, Name: "李强", IDNumber: gatehouse.StoredIDNumber("", "440303********0015")},
		},
		residentsByID: map[int64]*gatehouse.Resident{100: wangFang, 101: zhaoMin},
		gates:         []*gatehouse.Gate{{ID: 1, CommunityID: 1, Name: "南门"}, {ID: 2, CommunityID: 1, Name: "北门"}, {ID: 3, CommunityID: 1, Name: "西门"}},
	}
	now := utc("2025-03-10T08:00:00Z")
	rep, err := Build(context.Background(), src, []*gatehouse.Community{cuizhu}, Options{From: from, To: to, MinVisits: 2, Now: now})
	if err != nil {
		t.Fatal(err)
	}

	if !src.factsFrom.Equal(from.Add(-Lookback)) || !src.factsTo.Equal(to) {
		t.Errorf("entries read from %v to %v, want from %v (the lookback) to %v", src.factsFrom, src.factsTo, from.Add(-Lookback), to)
	}
	if src.onsiteAsked {
		t.Error("a period that has ended asked who is on site now")
	}
	hours := make([]HourRow, 24)
	for h := range hours {
		hours[h] = HourRow{Hour: h}
	}
	hours[4].Visits, hours[10].Visits, hours[23].Visits = 1, 1, 1
	want := &Report{
		Communities: []CommunityRef{{ID: 1, Name: "翠竹苑", TimeZone: "Asia/Shanghai"}},
		From:        from, To: to, TimeZone: "Asia/Shanghai", GeneratedAt: now,
		Residents: Residents{Total: 3, ByBuilding: []BuildingRow{{CommunityID: 1, Building: "3栋", Residents: 2}, {CommunityID: 1, Building: "5栋", Residents: 1}}},
		RegisteredVisitors: Registered{Passes: 4, Visitors: 3,
			ByKind: map[gatehouse.PassKind]int64{gatehouse.PassGuest: 3, gatehouse.PassWalkIn: 0, gatehouse.PassSelf: 1}},
		Visits: Visits{Total: 3, UniqueVisitors: 2,
			ByDay:  []DayRow{{Date: "2025-03-01", Visits: 2, UniqueVisitors: 2}, {Date: "2025-03-02", Visits: 1, UniqueVisitors: 1}},
			ByHour: hours},
		Entries: Entries{Total: 8, Granted: 6, Denied: 2,
			ByGate: []GateRow{{GateID: 1, GateName: "南门", CommunityID: 1, Granted: 4, Denied: 1}, {GateID: 2, GateName: "北门", CommunityID: 1, Granted: 2, Denied: 1}},
			ByReason: []ReasonRow{{Reason: gatehouse.Granted, Decision: "grant", Count: 5}, {Reason: gatehouse.Expired, Decision: "deny", Count: 1},
				{Reason: gatehouse.InvalidCode, Decision: "deny", Count: 1}, {Reason: gatehouse.ManualOverride, Decision: "grant", Count: 1}}},
		FrequentVisitors: Frequent{MinVisits: 2, Items: []FrequentRow{
			{VisitorID: 10, Name: "张伟", IDNumber: "440524********0014", Visits: 2, Hosts: []Dwelling{wangHome, zhaoHome}}}},
		LongStays: LongStays{ThresholdHours: 24, Items: []StayRow{
			{VisitorID: 10, CommunityID: 1, Name: "张伟", IDNumber: "440524********0014", Since: utc("2025-02-27T02:00:00Z"),
				Until: ptr(utc("2025-03-01T01:00:00Z")), Hours: 47, Host: &wangHome},
			{VisitorID: 11, CommunityID: 1, Name: "李强", IDNumber: "440303********0015", Since: utc("2025-03-01T15:59:00Z"),
				Hours: 24, OnSite: true, Host: &wangHome}}},
		VehicleStays: VehicleStays{ThresholdHours: 24, Items: []VehicleStayRow{}},
	}
	compareReports(t, rep, want)
}

func TestBuildFollowsWhoIsOnSiteNowAndDefaults(t *testing.T) {
	// A period that has not ended: who came in before the lookback is known
	// only from the presence table.
	from, to := utc("2025-03-01T00:00:00Z"), utc("2025-03-08T00:00:00Z")
	now := utc("2025-03-05T12:00:00Z")
	quiet := &gatehouse.Community{ID: 2, Name: "松涛苑", TimeZone: "UTC"} // no threshold of its own: 72 hours
	src := &fakeSource{
		facts: []gatehouse.EntryFact{
			// In for 84 hours and still inside at now.
			{CommunityID: 2, GateID: 7, VisitorID: 30, PersonName: "陈静", Direction: gatehouse.In, Reason: gatehouse.Granted,
				Decision: gatehouse.Grant, OccurredAt: utc("2025-03-02T00:00:00Z")},
		},
		onsite: []*gatehouse.OnsitePerson{
			{Presence: gatehouse.Presence{CommunityID: 2, Since: utc("2025-01-01T00:00:00Z")}, Visitor: &gatehouse.Visitor{ID: 20, Name: "周杰"},
				Host: &gatehouse.Resident{ID: 200}},
			// Came in after the lookback began: seen in the entries read (here none), not again.
			{Presence: gatehouse.Presence{CommunityID: 2, Since: utc("2025-02-20T00:00:00Z")}, Visitor: &gatehouse.Visitor{ID: 21, Name: "吴磊"}},
			// A resident, not a visitor.
			{Presence: gatehouse.Presence{CommunityID: 2, Since: utc("2024-12-01T00:00:00Z")}, Resident: &gatehouse.Resident{ID: 201}},
		},
		gates: []*gatehouse.Gate{{ID: 7, CommunityID: 2, Name: "东门"}},
	}
	rep, err := Build(context.Background(), src, []*gatehouse.Community{quiet}, Options{From: from, To: to, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !src.onsiteAsked {
		t.Fatal("a period that has not ended did not ask who is on site")
	}
	if rep.FrequentVisitors.MinVisits != 5 || len(rep.FrequentVisitors.Items) != 0 {
		t.Errorf("frequent visitors = %+v, want none at the default of 5 visits", rep.FrequentVisitors)
	}
	want := LongStays{ThresholdHours: 72, Items: []StayRow{
		{VisitorID: 20, CommunityID: 2, Name: "周杰", Since: utc("2025-01-01T00:00:00Z"), Hours: 1524, OnSite: true},
		{VisitorID: 30, CommunityID: 2, Name: "陈静", Since: utc("2025-03-02T00:00:00Z"), Hours: 84, OnSite: true},
	}}
	if !reflect.DeepEqual(rep.LongStays, want) {
		t.Errorf("long stays:\n got %+v\nwant %+v", rep.LongStays, want)
	}
	if len(rep.Visits.ByDay) != 7 || rep.Visits.ByDay[0].Date != "2025-03-01" || rep.Visits.ByDay[6].Date != "2025-03-07" {
		t.Errorf("days = %+v, want 1 to 7 March", rep.Visits.ByDay)
	}
	if rep.Residents.ByBuilding == nil || rep.Entries.ByGate[0].GateName != "东门" {
		t.Errorf("residents %+v, gates %+v: want an empty list and the gate named", rep.Residents, rep.Entries.ByGate)
	}
}

func TestBuildPassesOnTheSourcesError(t *testing.T) {
	for _, method := range []string{"ResidentsByBuilding", "RegisteredVisitors", "EntryFacts", "Gates", "Onsite", "VisitorsByID", "ResidentsByID"} {
		src := &fakeSource{fail: method}
		now := utc("2025-03-05T12:00:00Z")
		_, err := Build(context.Background(), src, []*gatehouse.Community{cuizhu}, Options{From: now.Add(-time.Hour), To: now.Add(time.Hour), Now: now})
		if !errors.Is(err, errBroken) {
			t.Errorf("%s failing: err = %v, want it passed on", method, err)
		}
	}
}

// compareReports names each section that differs.
func compareReports(t *testing.T, got, want *Report) {
	t.Helper()
	sections := []struct {
		name      string
		got, want any
	}{
		{"communities", got.Communities, want.Communities},
		{"period", []any{got.From, got.To, got.TimeZone, got.GeneratedAt}, []any{want.From, want.To, want.TimeZone, want.GeneratedAt}},
		{"residents", got.Residents, want.Residents},
		{"registered visitors", got.RegisteredVisitors, want.RegisteredVisitors},
		{"visits", got.Visits, want.Visits},
		{"entries", got.Entries, want.Entries},
		{"frequent visitors", got.FrequentVisitors, want.FrequentVisitors},
		{"long stays", got.LongStays, want.LongStays},
	}
	for _, s := range sections {
		if !reflect.DeepEqual(s.got, s.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", s.name, s.got, s.want)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the reports differ")
	}
}
