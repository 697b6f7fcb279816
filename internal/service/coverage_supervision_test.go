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

// supervisionFixture is the district's supervision in January 2027, the
// fixture's communities made on 1 December 2026: December is the first
// past month they were graded in.
type supervisionFixture struct {
	*fixture
	s                  *service.Supervision
	clock              *time.Time
	district           *gatehouse.Principal
	streetA, streetB   *gatehouse.Principal
	policeA, policeB   *gatehouse.Principal
	managerA, managerB *gatehouse.Principal
}

var inJanuary = time.Date(2027, 1, 15, 2, 0, 0, 0, time.UTC) // 10:00 in Beijing

func newSupervision(t *testing.T, db *store.DB) *supervisionFixture {
	t.Helper()
	f := newFixture(t, db)
	clock := inJanuary
	db.Now = func() time.Time { return clock }
	sf := &supervisionFixture{fixture: f, clock: &clock,
		s: &service.Supervision{Store: db, Audit: auditLog{db}, Now: func() time.Time { return clock }, TZ: "Asia/Shanghai"}}
	as := func(role gatehouse.Role, communities ...int64) *gatehouse.Principal {
		return &gatehouse.Principal{UserID: f.admin.UserID, Username: string(role), Role: role, Communities: communities}
	}
	sf.district = as(gatehouse.RoleDistrict)
	sf.streetA, sf.streetB = as(gatehouse.RoleStreet, f.a.ID), as(gatehouse.RoleStreet, f.b.ID)
	sf.policeA, sf.policeB = as(gatehouse.RolePolice, f.a.ID), as(gatehouse.RolePolice, f.b.ID)
	sf.managerA, sf.managerB = as(gatehouse.RoleManager, f.a.ID), as(gatehouse.RoleManager, f.b.ID)
	return sf
}

// company registers a company and assigns communities to it from November.
func (sf *supervisionFixture) company(t *testing.T, name, code string, communities ...int64) *gatehouse.Company {
	t.Helper()
	ctx := context.Background()
	c, err := sf.s.CreateCompany(ctx, sf.district, service.CompanyInput{Name: &name, CreditCode: &code})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range communities {
		if _, err := sf.s.Assign(ctx, sf.district, id, service.AssignInput{CompanyID: c.ID, DeclaredDwellings: intOf(300), Street: ptr("翠竹街道"), From: &from}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

var allItems = []string{"cameras", "access_control", "guard_trained", "drill", "fire_exits"}

func TestWhoKeepsTheDistrictsCompaniesAndAssignments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sf := newSupervision(t, db)
		ctx := context.Background()
		name, code := "深圳市万厦居业有限公司", "9144030071526726XG"
		for who, p := range map[string]*gatehouse.Principal{"a street office": sf.streetA, "police": sf.policeA, "a manager": sf.managerA,
			"a guard": sf.guard, "a gate": sf.device} {
			_, err := sf.s.CreateCompany(ctx, p, service.CompanyInput{Name: &name, CreditCode: &code})
			wantCode(t, who+" registers a company", err, gatehouse.EFORBIDDEN)
			_, err = sf.s.Assign(ctx, p, sf.a.ID, service.AssignInput{CompanyID: 1})
			wantCode(t, who+" assigns a community", err, gatehouse.EFORBIDDEN)
		}
		_, err := sf.s.CreateCompany(ctx, sf.district, service.CompanyInput{Name: &name, CreditCode: ptr("9144030071526726XH")})
		wantProblems(t, "a wrong check character", err, gatehouse.EINVALID, "credit_code")
		c, err := sf.s.CreateCompany(ctx, sf.district, service.CompanyInput{Name: ptr(" " + name + " "), CreditCode: ptr("9144 0300 7152 6726xg")})
		if err != nil || c.ID == 0 || c.Name != name || c.CreditCode != code {
			t.Fatalf("a company: %+v %v", c, err)
		}
		other, err := sf.s.CreateCompany(ctx, sf.admin, service.CompanyInput{Name: ptr("华润物业"), CreditCode: ptr("91440300715267018Y")})
		if err != nil {
			t.Fatalf("admin registers a company: %v", err)
		}
		_, err = sf.s.UpdateCompany(ctx, sf.streetA, c.ID, service.CompanyInput{Contact: ptr("x")})
		wantCode(t, "a street office changes a company", err, gatehouse.EFORBIDDEN)
		_, err = sf.s.UpdateCompany(ctx, sf.district, c.ID, service.CompanyInput{Name: ptr(" ")})
		wantProblems(t, "a company's name removed", err, gatehouse.EINVALID, "name")
		if u, err := sf.s.UpdateCompany(ctx, sf.district, c.ID, service.CompanyInput{Contact: ptr(" 张经理 0755-88881234 ")}); err != nil ||
			u.Contact != "张经理 0755-88881234" || u.Name != name {
			t.Errorf("a new contact: %+v %v", u, err)
		}
		_, err = sf.s.Companies(ctx, sf.guard)
		wantCode(t, "a guard lists companies", err, gatehouse.EFORBIDDEN)
		if list, err := sf.s.Companies(ctx, sf.managerA); err != nil || len(list) != 2 {
			t.Errorf("a manager lists the companies: %d %v", len(list), err)
		}
		if got, err := sf.s.Company(ctx, sf.policeA, other.ID); err != nil || got.Name != "华润物业" {
			t.Errorf("police read a company: %+v %v", got, err)
		}
		_, err = sf.s.Company(ctx, sf.resident, other.ID)
		wantCode(t, "a resident reads a company", err, gatehouse.EFORBIDDEN)

		_, err = sf.s.Assign(ctx, sf.district, sf.b.ID+1000, service.AssignInput{CompanyID: c.ID})
		wantCode(t, "a community that does not exist", err, gatehouse.ENOTFOUND)
		for _, tc := range []struct {
			what   string
			in     service.AssignInput
			fields []string
		}{
			{"no company", service.AssignInput{}, []string{"company_id"}},
			{"a company that does not exist", service.AssignInput{CompanyID: other.ID + 1000}, []string{"company_id"}},
			{"negative dwellings", service.AssignInput{CompanyID: c.ID, DeclaredDwellings: intOf(-1)}, []string{"declared_dwellings"}},
			{"too many dwellings", service.AssignInput{CompanyID: c.ID, DeclaredDwellings: intOf(100001)}, []string{"declared_dwellings"}},
			{"a street with a newline", service.AssignInput{CompanyID: c.ID, Street: ptr("翠竹\n街道")}, []string{"street"}},
		} {
			_, err := sf.s.Assign(ctx, sf.district, sf.a.ID, tc.in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		first, err := sf.s.Assign(ctx, sf.district, sf.a.ID, service.AssignInput{CompanyID: c.ID, DeclaredDwellings: intOf(300), Street: ptr(" 翠竹街道 "), From: &from})
		if err != nil || first.Street != "翠竹街道" || first.DeclaredDwellings != 300 || !first.From.Equal(from) {
			t.Fatalf("the first assignment: %+v %v", first, err)
		}
		// A new company from now on keeps the street and the dwellings declared.
		second, err := sf.s.Assign(ctx, sf.district, sf.a.ID, service.AssignInput{CompanyID: other.ID})
		if err != nil || second.Street != "翠竹街道" || second.DeclaredDwellings != 300 || !second.From.Equal(inJanuary) || second.CompanyID != other.ID {
			t.Fatalf("the second assignment: %+v %v", second, err)
		}
		if hist, err := sf.s.Assignments(ctx, sf.streetA, sf.a.ID); err != nil || len(hist) != 2 || hist[0].CompanyID != c.ID || hist[1].CompanyID != other.ID {
			t.Errorf("A's history: %+v %v", hist, err)
		}
		_, err = sf.s.Assignments(ctx, sf.streetB, sf.a.ID)
		wantCode(t, "B's street office reads A's history", err, gatehouse.ENOTFOUND)
		_, err = sf.s.Assignments(ctx, sf.guard, sf.a.ID)
		wantCode(t, "a guard reads a history", err, gatehouse.EFORBIDDEN)
	})
}

// The district puts a new version of the scheme in force from this month or
// a later one; a past month keeps the scheme it was computed with.
func TestTheSchemeIsTheDistrictsAndVersionedByMonth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sf := newSupervision(t, db)
		ctx := context.Background()
		if sc, err := sf.s.Scheme(ctx, sf.streetA, ""); err != nil || sc.Version != 0 || sc.Grades.Excellent != 90 {
			t.Fatalf("the default scheme: %+v %v", sc, err)
		}
		_, err := sf.s.Scheme(ctx, sf.streetA, "2027-13")
		wantProblems(t, "a month that is none", err, gatehouse.EINVALID, "month")
		_, err = sf.s.Scheme(ctx, sf.guard, "")
		wantCode(t, "a guard reads the scheme", err, gatehouse.EFORBIDDEN)

		strict := gatehouse.DefaultScheme()
		strict.EffectiveFrom, strict.Grades.Excellent = "", 95
		_, err = sf.s.PutScheme(ctx, sf.admin, strict)
		wantCode(t, "admin puts a scheme", err, gatehouse.EFORBIDDEN)
		past := gatehouse.DefaultScheme()
		past.EffectiveFrom = "2026-12"
		_, err = sf.s.PutScheme(ctx, sf.district, past)
		wantProblems(t, "a scheme for a past month", err, gatehouse.EINVALID, "effective_from")
		bad := gatehouse.DefaultScheme()
		bad.Weights.Incidents = 0
		_, err = sf.s.PutScheme(ctx, sf.district, bad)
		wantProblems(t, "weights of 90", err, gatehouse.EINVALID, "weights")

		got, err := sf.s.PutScheme(ctx, sf.district, strict)
		if err != nil || got.Version != 1 || got.EffectiveFrom != "2027-01" {
			t.Fatalf("a stricter scheme from this month: %+v %v", got, err)
		}
		later := gatehouse.DefaultScheme()
		later.EffectiveFrom, later.RectificationDays = "2027-03", 10
		if got, err := sf.s.PutScheme(ctx, sf.district, later); err != nil || got.Version != 2 {
			t.Fatalf("a scheme from March: %+v %v", got, err)
		}
		// A second version from the same month replaces the first.
		again := gatehouse.DefaultScheme()
		again.EffectiveFrom = "2027-03"
		if got, err := sf.s.PutScheme(ctx, sf.district, again); err != nil || got.Version != 3 {
			t.Fatalf("another scheme from March: %+v %v", got, err)
		}
		for month, want := range map[string]int{"2026-12": 0, "2027-01": 1, "2027-02": 1, "2027-03": 3, "2027-09": 3} {
			if sc, err := sf.s.Scheme(ctx, sf.managerA, month); err != nil || sc.Version != want {
				t.Errorf("the scheme of %s: version %d %v, want %d", month, sc.Version, err, want)
			}
		}
	})
}

func TestInspectionsAndIncidentsAreRecordedInScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sf := newSupervision(t, db)
		ctx := context.Background()
		good := func() service.InspectionInput {
			return service.InspectionInput{CommunityID: sf.a.ID, Date: "2027-01-10", Inspector: "翠竹街道办", ItemsMet: []string{"cameras"}}
		}
		for who, p := range map[string]*gatehouse.Principal{"the district": sf.district, "a manager": sf.managerA, "admin": sf.admin} {
			_, err := sf.s.RecordInspection(ctx, p, good())
			wantCode(t, who+" records an inspection", err, gatehouse.EFORBIDDEN)
		}
		in := good()
		in.CommunityID = sf.b.ID
		_, err := sf.s.RecordInspection(ctx, sf.streetA, in)
		wantCode(t, "A's street office inspects B", err, gatehouse.ENOTFOUND)
		photo := gatehouse.InspectionPhoto{ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff jpeg")}
		for _, tc := range []struct {
			what   string
			edit   func(in *service.InspectionInput)
			fields []string
		}{
			{"no community", func(in *service.InspectionInput) { in.CommunityID = 0 }, []string{"community_id"}},
			{"a day to come", func(in *service.InspectionInput) { in.Date = "2027-01-16" }, []string{"date"}},
			{"a day written otherwise", func(in *service.InspectionInput) { in.Date = "10/01/2027" }, []string{"date"}},
			{"a day before 2000", func(in *service.InspectionInput) { in.Date = "1999-12-31" }, []string{"date"}},
			{"no inspector", func(in *service.InspectionInput) { in.Inspector = " " }, []string{"inspector"}},
			{"notes with a bidi override", func(in *service.InspectionInput) { in.Notes = "正常\u202e" }, []string{"notes"}},
			{"an item not on the checklist", func(in *service.InspectionInput) { in.ItemsMet = []string{"cameras", "sauna"} }, []string{"items_met[1]"}},
			{"six photos", func(in *service.InspectionInput) { in.Photos = make([]gatehouse.InspectionPhoto, 6) }, []string{"photos"}},
		} {
			in := good()
			tc.edit(&in)
			_, err := sf.s.RecordInspection(ctx, sf.streetA, in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		in = good()
		in.ItemsMet, in.Notes, in.Photos = []string{"fire_exits", "cameras", "cameras"}, " 消防通道畅通 ", []gatehouse.InspectionPhoto{photo}
		rec, err := sf.s.RecordInspection(ctx, sf.streetA, in)
		if err != nil || strings.Join(rec.ItemsMet, ",") != "cameras,fire_exits" || rec.Notes != "消防通道畅通" || rec.CreatedRole != gatehouse.RoleStreet {
			t.Fatalf("an inspection: %+v %v", rec, err)
		}
		// Today in Beijing (15 January) is not in the future.
		in = good()
		in.Date = "2027-01-15"
		if _, err := sf.s.RecordInspection(ctx, sf.policeA, in); err != nil {
			t.Errorf("the police's inspection today: %v", err)
		}

		_, err = sf.s.InspectionPhoto(ctx, sf.managerA, rec.ID, 1)
		wantCode(t, "a manager reads a photo", err, gatehouse.EFORBIDDEN)
		_, err = sf.s.InspectionPhoto(ctx, sf.streetB, rec.ID, 1)
		wantCode(t, "B's street office reads A's photo", err, gatehouse.ENOTFOUND)
		_, err = sf.s.InspectionPhoto(ctx, sf.streetA, rec.ID, 2)
		wantCode(t, "a second photo that was not taken", err, gatehouse.ENOTFOUND)
		if p, err := sf.s.InspectionPhoto(ctx, sf.district, rec.ID, 1); err != nil || p.ContentType != "image/jpeg" || string(p.Data) != string(photo.Data) {
			t.Errorf("the district reads the photo: %+v %v", p, err)
		}

		goodCase := func() service.IncidentInput {
			return service.IncidentInput{CommunityID: sf.a.ID, Date: "2027-01-05", Category: "theft", CaseRef: "罗公(刑)字[2027]1号"}
		}
		_, err = sf.s.RecordIncident(ctx, sf.streetA, goodCase())
		wantCode(t, "a street office records an incident", err, gatehouse.EFORBIDDEN)
		inc := goodCase()
		inc.CommunityID = sf.b.ID
		_, err = sf.s.RecordIncident(ctx, sf.policeA, inc)
		wantCode(t, "A's police record one in B", err, gatehouse.ENOTFOUND)
		for _, tc := range []struct {
			what   string
			edit   func(in *service.IncidentInput)
			fields []string
		}{
			{"a category not in the scheme", func(in *service.IncidentInput) { in.Category = "jaywalking" }, []string{"category"}},
			{"no case", func(in *service.IncidentInput) { in.CaseRef = "" }, []string{"case_ref"}},
			{"a day to come", func(in *service.IncidentInput) { in.Date = "2027-02-01" }, []string{"date"}},
		} {
			in := goodCase()
			tc.edit(&in)
			_, err := sf.s.RecordIncident(ctx, sf.policeA, in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		if rec, err := sf.s.RecordIncident(ctx, sf.policeA, goodCase()); err != nil || rec.Category != "theft" || rec.Month() != "2027-01" {
			t.Errorf("an incident: %+v %v", rec, err)
		}
	})
}

// December is graded from its data: A inspected with every item met is
// excellent; B, with a burglary (a serious incident) and no inspection, is
// poor. Publishing freezes the month, audited first, and opens one order
// for B; publishing again needs a reason and opens no second order.
func TestAMonthIsGradedPublishedAndItsOrdersOpened(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sf := newSupervision(t, db)
		ctx := context.Background()
		co := sf.company(t, "深圳市万厦居业有限公司", "9144030071526726XG", sf.a.ID, sf.b.ID)
		if _, err := sf.s.RecordInspection(ctx, sf.streetA, service.InspectionInput{CommunityID: sf.a.ID, Date: "2026-12-10", Inspector: "翠竹街道办", ItemsMet: allItems}); err != nil {
			t.Fatal(err)
		}
		if _, err := sf.s.RecordIncident(ctx, sf.policeB, service.IncidentInput{CommunityID: sf.b.ID, Date: "2026-12-20", Category: "burglary", CaseRef: "2026-88"}); err != nil {
			t.Fatal(err)
		}
		_, err := sf.s.Results(ctx, sf.guard, "2026-12")
		wantCode(t, "a guard reads results", err, gatehouse.EFORBIDDEN)
		_, err = sf.s.Results(ctx, sf.district, "2027-02")
		wantProblems(t, "a month to come", err, gatehouse.EINVALID, "month")
		grades := func(m *service.Month) map[int64]string {
			out := map[int64]string{}
			for _, r := range m.Communities {
				out[r.CommunityID] = string(r.Grade) + "/" + string(r.Card)
			}
			return out
		}
		m, err := sf.s.Results(ctx, sf.district, "2026-12")
		if err != nil || m.Published != nil {
			t.Fatalf("December computed: %+v %v", m, err)
		}
		if g := grades(m); len(g) != 2 || g[sf.a.ID] != "excellent/red" || g[sf.b.ID] != "poor/black" {
			t.Errorf("December's grades: %v, want A excellent/red, B poor/black", g)
		}
		if len(m.Companies) != 1 || m.Companies[0].CompanyID != co.ID || m.Companies[0].Communities != 2 || m.Companies[0].CreditCode != co.CreditCode {
			t.Errorf("December's companies: %+v", m.Companies)
		}
		if mine, err := sf.s.Results(ctx, sf.streetA, "2026-12"); err != nil || len(mine.Communities) != 1 || mine.Communities[0].CommunityID != sf.a.ID {
			t.Errorf("A's street office sees %+v %v, want A only", mine, err)
		}
		// November: the communities did not exist yet.
		if nov, err := sf.s.Results(ctx, sf.district, "2026-11"); err != nil || len(nov.Communities) != 0 {
			t.Errorf("November: %+v %v", nov, err)
		}

		_, err = sf.s.Publish(ctx, sf.streetA, "2026-12", service.PublishInput{})
		wantCode(t, "a street office publishes", err, gatehouse.EFORBIDDEN)
		_, err = sf.s.Publish(ctx, sf.district, "2027-01", service.PublishInput{})
		wantProblems(t, "this month", err, gatehouse.EINVALID, "month")
		_, err = sf.s.PublicResults(ctx, "2026-12")
		wantCode(t, "the public before publication", err, gatehouse.ENOTFOUND)
		_, err = sf.s.PublicResults(ctx, "December")
		wantProblems(t, "the public asking for no month", err, gatehouse.EINVALID, "month")

		pub, err := sf.s.Publish(ctx, sf.district, "2026-12", service.PublishInput{})
		if err != nil || pub.Published == nil || pub.Published.Version != 1 {
			t.Fatalf("publishing December: %+v %v", pub, err)
		}
		evs := sf.auditEvents(t)
		if len(evs) == 0 || evs[0].Action != gatehouse.AuditPublish || evs[0].Target != "supervision_month:2026-12" ||
			!strings.Contains(evs[0].Detail, "2 communities, 1 companies, 1 rectification orders") {
			t.Errorf("the audit of the publication: %+v", evs)
		}
		orders, err := sf.s.Rectifications(ctx, sf.district, service.RectificationQuery{})
		if err != nil || len(orders) != 1 || orders[0].CommunityID != sf.b.ID || orders[0].Month != "2026-12" || orders[0].CompanyID != co.ID ||
			orders[0].Status != gatehouse.RectOpen || !orders[0].Deadline.Equal(inJanuary.AddDate(0, 0, 30)) {
			t.Fatalf("orders after publishing: %+v %v", orders, err)
		}

		_, err = sf.s.Publish(ctx, sf.district, "2026-12", service.PublishInput{})
		wantCode(t, "publishing again without saying so", err, gatehouse.ECONFLICT)
		_, err = sf.s.Publish(ctx, sf.district, "2026-12", service.PublishInput{Republish: true, Reason: " "})
		wantProblems(t, "publishing again without a reason", err, gatehouse.EINVALID, "reason")
		// Published again with B still poor: B keeps its one order.
		if _, err := sf.s.Publish(ctx, sf.district, "2026-12", service.PublishInput{Republish: true, Reason: "更正公司名称"}); err != nil {
			t.Fatal(err)
		}
		if orders, _ := sf.s.Rectifications(ctx, sf.district, service.RectificationQuery{}); len(orders) != 1 {
			t.Errorf("publishing again opened a second order for B: %d orders", len(orders))
		}
		// B's inspection comes in late; the published month does not change until it is published again.
		if _, err := sf.s.RecordInspection(ctx, sf.streetB, service.InspectionInput{CommunityID: sf.b.ID, Date: "2026-12-28", Inspector: "莲塘街道办", ItemsMet: allItems}); err != nil {
			t.Fatal(err)
		}
		frozen, err := sf.s.Results(ctx, sf.district, "2026-12")
		if err != nil || frozen.Published == nil || frozen.Published.Version != 2 || grades(frozen)[sf.b.ID] != "poor/black" {
			t.Errorf("the published month after a late inspection: %+v %v", frozen, err)
		}
		again, err := sf.s.Publish(ctx, sf.district, "2026-12", service.PublishInput{Republish: true, Reason: "莲塘街道补录检查"})
		if err != nil || again.Published.Version != 3 || again.Published.Reason != "莲塘街道补录检查" || grades(again)[sf.b.ID] != "pass/" {
			t.Fatalf("publishing again: %+v %v", again, err)
		}
		if orders, _ := sf.s.Rectifications(ctx, sf.district, service.RectificationQuery{}); len(orders) != 1 {
			t.Errorf("publishing B as pass opened %d orders, want the one", len(orders))
		}

		public, err := sf.s.PublicResults(ctx, "2026-12")
		if err != nil || public.Version != 3 || len(public.Communities) != 2 || len(public.Companies) != 1 || public.Companies[0].CreditCode != co.CreditCode {
			t.Fatalf("the public's December: %+v %v", public, err)
		}
		byName := map[string]service.PublicRow{}
		for _, r := range public.Communities {
			byName[r.Community+"/"+string(r.Grade)] = r
		}
		if r, ok := byName["翠竹苑/excellent"]; !ok || r.Card != gatehouse.CardRed || r.Company != co.Name || r.Street != "翠竹街道" {
			t.Errorf("the public's rows: %+v", public.Communities)
		}
		zh, en := public.Sheets(true), public.Sheets(false)
		if len(zh) != 2 || zh[0].Name != "小区" || zh[0].Header[4] != "等级" || len(zh[0].Rows) != 2 || zh[1].Header[2] != "统一社会信用代码" || zh[1].Rows[0][5] != "" {
			t.Errorf("the Chinese sheets: %+v", zh)
		}
		words := map[string]bool{}
		for _, row := range zh[0].Rows {
			words[row[4]+row[5]] = true
		}
		if !words["优秀红牌"] || !words["合格"] {
			t.Errorf("the Chinese grades and cards: %v", words)
		}
		if en[0].Name != "communities" || en[1].Header[5] != "long-term poor (recommended for disqualification)" || en[1].Rows[0][1] != co.Name {
			t.Errorf("the English sheets: %+v", en)
		}
	})
}

func TestRectificationOrdersAreAnsweredByTheCompanyAndClosedByTheStreet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sf := newSupervision(t, db)
		ctx := context.Background()
		co := sf.company(t, "深圳市万厦居业有限公司", "9144030071526726XG", sf.a.ID)
		good := func() service.RectificationInput {
			return service.RectificationInput{CommunityID: sf.a.ID, Reason: "消防通道堵塞"}
		}
		for who, p := range map[string]*gatehouse.Principal{"a manager": sf.managerA, "police": sf.policeA, "admin": sf.admin} {
			_, err := sf.s.OpenRectification(ctx, p, good())
			wantCode(t, who+" opens an order", err, gatehouse.EFORBIDDEN)
		}
		in := good()
		in.CommunityID = sf.b.ID
		_, err := sf.s.OpenRectification(ctx, sf.streetA, in)
		wantCode(t, "A's street office orders B", err, gatehouse.ENOTFOUND)
		yesterday := inJanuary.Add(-24 * time.Hour)
		for _, tc := range []struct {
			what   string
			edit   func(in *service.RectificationInput)
			fields []string
		}{
			{"no reason", func(in *service.RectificationInput) { in.Reason = " " }, []string{"reason"}},
			{"a reason of 501 characters", func(in *service.RectificationInput) { in.Reason = strings.Repeat("堵", 501) }, []string{"reason"}},
			{"a month that is none", func(in *service.RectificationInput) { in.Month = "2027-1" }, []string{"month"}},
			{"a deadline past", func(in *service.RectificationInput) { in.Deadline = &yesterday }, []string{"deadline"}},
		} {
			in := good()
			tc.edit(&in)
			_, err := sf.s.OpenRectification(ctx, sf.streetA, in)
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		order, err := sf.s.OpenRectification(ctx, sf.streetA, good())
		if err != nil || order.Month != "2027-01" || order.CompanyID != co.ID || order.Status != gatehouse.RectOpen || !order.Deadline.Equal(inJanuary.AddDate(0, 0, 30)) {
			t.Fatalf("an order: %+v %v", order, err)
		}
		soon := inJanuary.Add(48 * time.Hour)
		second, err := sf.s.OpenRectification(ctx, sf.district, service.RectificationInput{CommunityID: sf.a.ID, Month: "2026-12", Reason: "门卫未培训", Deadline: &soon})
		if err != nil {
			t.Fatal(err)
		}

		_, err = sf.s.Rectifications(ctx, sf.guard, service.RectificationQuery{})
		wantCode(t, "a guard lists orders", err, gatehouse.EFORBIDDEN)
		_, err = sf.s.Rectifications(ctx, sf.managerA, service.RectificationQuery{Status: "pending"})
		wantProblems(t, "an unknown status", err, gatehouse.EBADREQUEST, "status")
		_, err = sf.s.Rectifications(ctx, sf.managerA, service.RectificationQuery{CommunityID: sf.b.ID})
		wantCode(t, "A's manager asks for B's", err, gatehouse.ENOTFOUND)
		if list, err := sf.s.Rectifications(ctx, sf.managerB, service.RectificationQuery{}); err != nil || len(list) != 0 {
			t.Errorf("B's manager sees %+v %v", list, err)
		}
		if list, err := sf.s.Rectifications(ctx, sf.managerA, service.RectificationQuery{CommunityID: sf.a.ID}); err != nil || !sameIDs(ids(list), order.ID, second.ID) {
			t.Errorf("A's manager sees %+v %v", list, err)
		}
		*sf.clock = inJanuary.Add(72 * time.Hour)
		if list, err := sf.s.Rectifications(ctx, sf.streetA, service.RectificationQuery{Overdue: true}); err != nil || !sameIDs(ids(list), second.ID) {
			t.Errorf("overdue three days later: %+v %v, want the one due in two", list, err)
		}

		for who, p := range map[string]*gatehouse.Principal{"a guard": sf.guard, "police": sf.policeA} {
			_, err := sf.s.ChangeRectification(ctx, p, order.ID, service.RectificationChange{Status: gatehouse.RectClosed})
			wantCode(t, who+" closes an order", err, gatehouse.EFORBIDDEN)
		}
		_, err = sf.s.ChangeRectification(ctx, sf.streetB, order.ID, service.RectificationChange{Status: gatehouse.RectClosed})
		wantCode(t, "B's street office closes A's order", err, gatehouse.ENOTFOUND)
		_, err = sf.s.ChangeRectification(ctx, sf.managerA, order.ID, service.RectificationChange{Status: gatehouse.RectClosed})
		wantProblems(t, "a manager closes its own order", err, gatehouse.EINVALID, "status")
		_, err = sf.s.ChangeRectification(ctx, sf.managerA, order.ID, service.RectificationChange{Status: gatehouse.RectAnswered, Answer: ptr(" ")})
		wantProblems(t, "an empty answer", err, gatehouse.EINVALID, "answer")
		_, err = sf.s.ChangeRectification(ctx, sf.streetA, order.ID, service.RectificationChange{Status: gatehouse.RectAnswered, Answer: ptr("x")})
		wantProblems(t, "a street office answers", err, gatehouse.EINVALID, "status")
		answered, err := sf.s.ChangeRectification(ctx, sf.managerA, order.ID, service.RectificationChange{Status: gatehouse.RectAnswered, Answer: ptr(" 已清理通道 ")})
		if err != nil || answered.Status != gatehouse.RectAnswered || answered.Answer != "已清理通道" || answered.AnsweredAt == nil {
			t.Fatalf("the company's answer: %+v %v", answered, err)
		}
		_, err = sf.s.ChangeRectification(ctx, sf.streetA, order.ID, service.RectificationChange{Status: gatehouse.RectClosed, Note: ptr("复查\x00")})
		wantProblems(t, "a note with a NUL", err, gatehouse.EINVALID, "note")
		closed, err := sf.s.ChangeRectification(ctx, sf.streetA, order.ID, service.RectificationChange{Status: gatehouse.RectClosed, Note: ptr("复查合格")})
		if err != nil || closed.Status != gatehouse.RectClosed || closed.ClosedAt == nil || closed.Note != "复查合格" {
			t.Fatalf("closed: %+v %v", closed, err)
		}
		_, err = sf.s.ChangeRectification(ctx, sf.district, order.ID, service.RectificationChange{Status: gatehouse.RectEscalated})
		wantCode(t, "changing a closed order", err, gatehouse.ECONFLICT)
		esc, err := sf.s.ChangeRectification(ctx, sf.district, second.ID, service.RectificationChange{Status: gatehouse.RectEscalated, Note: ptr("逾期未整改")})
		if err != nil || esc.Status != gatehouse.RectEscalated || esc.ClosedAt != nil {
			t.Errorf("escalated: %+v %v", esc, err)
		}
		if list, err := sf.s.Rectifications(ctx, sf.district, service.RectificationQuery{Status: gatehouse.RectClosed}); err != nil || !sameIDs(ids(list), order.ID) {
			t.Errorf("closed orders: %+v %v", list, err)
		}
	})
}

func ids(rs []*gatehouse.Rectification) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// A scorecard holds a community's last months, newest last: a month before
// the community existed is an empty row; a published month is as published.
func TestAScorecardShowsACommunitysLastMonths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sf := newSupervision(t, db)
		ctx := context.Background()
		sf.company(t, "深圳市万厦居业有限公司", "9144030071526726XG", sf.a.ID)
		if _, err := sf.s.RecordInspection(ctx, sf.streetA, service.InspectionInput{CommunityID: sf.a.ID, Date: "2026-12-10", Inspector: "翠竹街道办", ItemsMet: allItems}); err != nil {
			t.Fatal(err)
		}
		if _, err := sf.s.Publish(ctx, sf.district, "2026-12", service.PublishInput{}); err != nil {
			t.Fatal(err)
		}
		_, err := sf.s.Scorecards(ctx, sf.managerB, sf.a.ID, 3)
		wantCode(t, "B's manager reads A's scorecard", err, gatehouse.ENOTFOUND)
		_, err = sf.s.Scorecards(ctx, sf.guard, sf.a.ID, 3)
		wantCode(t, "a guard reads a scorecard", err, gatehouse.EFORBIDDEN)
		card, err := sf.s.Scorecards(ctx, sf.managerA, sf.a.ID, 3)
		if err != nil || card.Name != sf.a.Name || len(card.Months) != 3 || len(card.Inspections) != 1 {
			t.Fatalf("A's scorecard: %+v %v", card, err)
		}
		nov, dec, jan := card.Months[0], card.Months[1], card.Months[2]
		if nov.Month != "2026-11" || nov.Grade != "" || nov.CommunityID != sf.a.ID {
			t.Errorf("November, before A existed: %+v", nov)
		}
		if dec.Month != "2026-12" || dec.Grade != gatehouse.GradeExcellent || dec.Inspections != 1 || dec.CompanyName == "" {
			t.Errorf("December, published: %+v", dec)
		}
		if jan.Month != "2027-01" || jan.Inspections != 0 || jan.Grade == "" {
			t.Errorf("January, so far: %+v", jan)
		}
		for n, want := range map[int]int{0: 12, 25: 12, 24: 24} {
			if card, err := sf.s.Scorecards(ctx, sf.district, sf.a.ID, n); err != nil || len(card.Months) != want {
				t.Errorf("a scorecard of %d months: %d %v, want %d", n, len(card.Months), err, want)
			}
		}
	})
}

// A company poor in as many of its last six months as the scheme says is
// long-term poor, which the published sheets say (recommended for
// disqualification from tenders).
func TestALongTermPoorCompanyIsPublishedAsSuch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sf := newSupervision(t, db)
		ctx := context.Background()
		good := sf.company(t, "深圳市万厦居业有限公司", "9144030071526726XG", sf.a.ID)
		poor := sf.company(t, "华润物业", "91440300715267018Y", sf.b.ID)
		once := gatehouse.DefaultScheme()
		once.EffectiveFrom, once.LongTermPoor = "", 1
		if _, err := sf.s.PutScheme(ctx, sf.district, once); err != nil {
			t.Fatal(err)
		}
		if _, err := sf.s.RecordIncident(ctx, sf.policeB, service.IncidentInput{CommunityID: sf.b.ID, Date: "2027-01-05", Category: "burglary", CaseRef: "2027-3"}); err != nil {
			t.Fatal(err)
		}
		for _, day := range []string{"2026-12-10", "2027-01-10"} {
			if _, err := sf.s.RecordInspection(ctx, sf.streetA, service.InspectionInput{CommunityID: sf.a.ID, Date: day, Inspector: "翠竹街道办", ItemsMet: allItems}); err != nil {
				t.Fatal(err)
			}
		}
		// B was good in December: only January's own grade makes its company long-term poor.
		if _, err := sf.s.RecordInspection(ctx, sf.streetB, service.InspectionInput{CommunityID: sf.b.ID, Date: "2026-12-10", Inspector: "莲塘街道办", ItemsMet: allItems}); err != nil {
			t.Fatal(err)
		}
		*sf.clock = time.Date(2027, 2, 3, 2, 0, 0, 0, time.UTC)
		m, err := sf.s.Publish(ctx, sf.district, "2027-01", service.PublishInput{})
		if err != nil || m.SchemeVersion != 1 {
			t.Fatalf("publishing January: %+v %v", m, err)
		}
		long := map[int64]bool{}
		for _, c := range m.Companies {
			long[c.CompanyID] = c.LongTermPoor
		}
		if len(long) != 2 || !long[poor.ID] || long[good.ID] {
			t.Errorf("long-term poor: %v, want only %d", long, poor.ID)
		}
		public, err := sf.s.PublicResults(ctx, "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		for _, chinese := range []bool{true, false} {
			yes := map[bool]string{true: "是", false: "yes"}[chinese]
			for _, row := range public.Sheets(chinese)[1].Rows {
				if want := map[bool]string{true: yes, false: ""}[row[1] == poor.Name]; row[5] != want {
					t.Errorf("%s's long-term-poor cell: %q, want %q", row[1], row[5], want)
				}
			}
		}
	})
}
