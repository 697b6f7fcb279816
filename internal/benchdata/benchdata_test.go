package benchdata_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/internal/benchdata"
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
