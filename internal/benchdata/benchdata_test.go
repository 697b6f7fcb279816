package benchdata_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/internal/benchdata"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func BenchmarkFill(b *testing.B) {
	for i := 0; i < b.N; i++ {
		db := storetest.MustOpen(b, store.SQLite)
		o := benchdata.Defaults()
		o.Communities, o.Entries, o.Visitors, o.Residents, o.Now = 20, 100000, 4000, 150, time.Now()
		if _, err := benchdata.New(o).Fill(context.Background(), db); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFillMakesVerifiableChains(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o := benchdata.Defaults()
		o.Communities, o.Entries, o.Visitors, o.Residents, o.Now = 5, 4000, 200, 20, time.Now()
		res, err := benchdata.New(o).Fill(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if res.Entries != 4000 || res.Communities != 5 {
			t.Fatalf("filled %+v", res)
		}
		rep, err := db.VerifyChains(context.Background(), nil)
		if err != nil || !rep.OK || rep.Checked != 4000 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

// The supervision's part of the data: a small district whose last month
// the district's table grades whole.
func TestFillGivesEveryCommunityACompanyAndLastMonthAGrade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		o := benchdata.Defaults()
		o.Communities, o.Companies, o.Entries, o.Visitors, o.Residents, o.Days, o.AgentDays, o.Now = 12, 5, 6000, 200, 20, 120, 70, now
		res, err := benchdata.New(o).Fill(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if res.Companies != 5 || res.Inspections == 0 || res.GateHours == 0 {
			t.Fatalf("filled %+v", res)
		}

		cs, err := db.Companies(ctx)
		if err != nil || len(cs) != 5 {
			t.Fatalf("companies: %d %v", len(cs), err)
		}
		codes := map[string]bool{}
		for _, c := range cs {
			if msg := gatehouse.ValidateCreditCode(c.CreditCode); msg != "" || codes[c.CreditCode] {
				t.Errorf("company %d's credit code %s: %q (seen before: %v)", c.ID, c.CreditCode, msg, codes[c.CreditCode])
			}
			codes[c.CreditCode] = true
			cp := *c
			if err := cp.Validate(); err != nil {
				t.Errorf("company %d: %v", c.ID, err)
			}
		}

		as, err := db.Assignments(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		byCommunity, runs := map[int64]int{}, map[int64]int{}
		for _, a := range as {
			byCommunity[a.CommunityID]++
			runs[a.CompanyID]++
			if a.CompanyID < 1 || a.CompanyID > 5 || a.Street == "" || a.DeclaredDwellings < 1 {
				t.Errorf("assignment %+v", a)
			}
		}
		for id := int64(1); id <= 12; id++ {
			if byCommunity[id] != 1 {
				t.Errorf("community %d has %d assignments, want 1", id, byCommunity[id])
			}
		}
		for id := int64(1); id <= 5; id++ {
			if runs[id] == 0 {
				t.Errorf("company %d runs no community", id)
			}
		}

		schemes, err := db.Schemes(ctx)
		if err != nil || len(schemes) != 1 || schemes[0].Version != 1 {
			t.Fatalf("schemes: %+v %v", schemes, err)
		}
		ins, err := db.Inspections(ctx, nil, "2026-08", "2026-12")
		if err != nil || int64(len(ins)) != res.Inspections {
			t.Fatalf("inspections: %d of %d, %v", len(ins), res.Inspections, err)
		}
		for _, in := range ins {
			if in.Date > "2026-12-03" || in.Date < "2026-08-05" {
				t.Errorf("inspection on %s, outside the data", in.Date)
			}
		}

		sup := &service.Supervision{Store: db, Now: func() time.Time { return now }, TZ: "Asia/Shanghai"}
		m, err := sup.Results(ctx, &gatehouse.Principal{UserID: 1, Username: "district", Role: gatehouse.RoleDistrict}, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Communities) != 12 || len(m.Companies) != 5 || m.SchemeVersion != 1 {
			t.Fatalf("2026-11 graded %d communities and %d companies with scheme %d, want 12 and 5 with 1",
				len(m.Communities), len(m.Companies), m.SchemeVersion)
		}
		for _, r := range m.Communities {
			if r.CompanyID == 0 || r.Households == 0 {
				t.Errorf("community %d: company %d, households %d", r.CommunityID, r.CompanyID, r.Households)
			}
			for _, f := range r.Indicators {
				if (f.Key == gatehouse.IndGateOffline || f.Key == gatehouse.IndRegistry || f.Key == gatehouse.IndRegistration) && f.Den == 0 {
					t.Errorf("community %d: %s measured nothing", r.CommunityID, f.Key)
				}
			}
		}
	})
}
