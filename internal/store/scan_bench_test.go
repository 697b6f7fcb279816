package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store/storetest"
)

// BenchmarkInScanTx measures the store's part of a scan: lock the chain
// head, read the pass, consume a use, append the entry, set presence.
func BenchmarkInScanTx(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			db := storetest.MustOpen(b, d)
			ctx := context.Background()
			var communities []int64
			var passes []*gatehouse.Pass
			for i := 0; i < 10; i++ {
				c := &gatehouse.Community{Name: "c", TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72}
				if err := db.CreateCommunity(ctx, c); err != nil {
					b.Fatal(err)
				}
				r := &gatehouse.Resident{CommunityID: c.ID, Name: "王芳", IDType: gatehouse.IDPassport, IDNumber: gatehouse.NewIDNumber("E1234567"), Phone: "13800138000", Building: "1", Unit: "1", Room: "1"}
				if err := db.CreateResident(ctx, r); err != nil {
					b.Fatal(err)
				}
				p := &gatehouse.Pass{CommunityID: c.ID, HostResidentID: r.ID, Kind: gatehouse.PassGuest, ValidFrom: time.Now(), ValidUntil: time.Now().Add(time.Hour),
					MaxEntries: 1000000, KeyID: 1, Visitor: &gatehouse.Visitor{Name: "v", IDType: gatehouse.IDPassport, IDNumber: gatehouse.NewIDNumber("G1234567")}}
				if err := db.CreatePass(ctx, p); err != nil {
					b.Fatal(err)
				}
				communities, passes = append(communities, c.ID), append(passes, p)
			}
			var n atomic.Int64
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1)) % len(communities)
					err := db.InScanTx(ctx, communities[i], func(tx gatehouse.ScanTx) error {
						p, err := tx.Pass(passes[i].ID)
						if err != nil {
							return err
						}
						if err := tx.ConsumeUse(p, false); err != nil {
							return err
						}
						e := &gatehouse.Entry{CommunityID: communities[i], GateID: 1, PassID: p.ID, VisitorID: p.VisitorID, Direction: gatehouse.In,
							Decision: gatehouse.Grant, Reason: gatehouse.Granted, ServerDecision: gatehouse.Grant, Method: gatehouse.MethodQR, OccurredAt: time.Now()}
						return tx.Append(e, gatehouse.VisitorSubject(p.VisitorID))
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
