package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/store/storetest"
)

// BenchmarkScan drives POST /scan through the handler (no network), to
// profile the scan path: go test -bench Scan -cpuprofile cpu.out.
func BenchmarkScan(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			db := storetest.MustOpen(b, d)
			e := newEnv(b, db)
			w := newWorld(b, e)
			var codes []string
			for i := 0; i < 50; i++ {
				var p passOut
				e.expect("POST", "/api/v1/passes", w.hostTok, map[string]any{"max_entries": 1000,
					"visitor":     map[string]any{"name": "张伟", "id_type": "passport", "id_number": fmt.Sprintf("E%07d", i)},
					"valid_until": e.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)}, 201, &p)
				codes = append(codes, p.Code)
			}
			var n atomic.Int64
			b.SetParallelism(32) // 64 clients at once, as a district's gates are
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					dir := []string{"in", "out"}[i%2]
					req := httptest.NewRequest("POST", "/api/v1/scan", strings.NewReader(fmt.Sprintf(`{"code":%q,"direction":%q}`, codes[i%int64(len(codes))], dir)))
					req.Header.Set("Authorization", "Bearer "+w.gate.DeviceKey)
					rec := httptest.NewRecorder()
					e.api.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("scan: %d %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}
