package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// request is one scan to send.
type request struct {
	key       string // the gate's device key
	body      []byte
	single    int64 // the single-use pass it names, if any
	community int   // which of the set-up communities (0 the first)
}

// mix picks requests: mostly multi-use passes, some single-use ones (scanned
// again and again: one grant each, then exhausted), some codes that are no
// codes at all.
type mix struct {
	multi, single, bad []request
}

func (m *mix) pick(r *rand.Rand) request {
	switch n := r.IntN(100); {
	case n < 80:
		return m.multi[r.IntN(len(m.multi))]
	case n < 90:
		return m.single[r.IntN(len(m.single))]
	default:
		return m.bad[r.IntN(len(m.bad))]
	}
}

// result is what one load run saw.
type result struct {
	lat      latencies
	reasons  map[string]int64
	grants   map[int64]int64 // grants per single-use pass
	errors   int64
	firstErr string
	elapsed  time.Duration
}

func (r *result) rps() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

type recorder struct {
	mu sync.Mutex
	r  *result
}

func (rec *recorder) add(d time.Duration, reason string, single int64, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		rec.r.errors++
		if rec.r.firstErr == "" {
			rec.r.firstErr = err.Error()
		}
		return
	}
	rec.r.lat = append(rec.r.lat, d)
	rec.r.reasons[reason]++
	if single != 0 && reason == "granted" {
		rec.r.grants[single]++
	}
}

// send posts one request and returns the decision's reason.
func send(ctx context.Context, hc *http.Client, url string, q request) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(q.body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if q.key != "" {
		req.Header.Set("Authorization", "Bearer "+q.key)
	}
	res, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return "", err
	}
	if res.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %.200s", res.StatusCode, b)
	}
	var out struct {
		Reason string `json:"reason"`
	}
	if len(b) > 0 && b[0] == '{' {
		json.Unmarshal(b, &out)
	}
	return out.Reason, nil
}

func httpClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		MaxConnsPerHost: conns, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// closedLoop runs conns clients that each send a request as soon as the
// last one is answered, for d; client i talks to urls[i % len(urls)].
func closedLoop(ctx context.Context, urls []string, m *mix, conns int, d time.Duration) *result {
	rec := &recorder{r: &result{reasons: map[string]int64{}, grants: map[int64]int64{}}}
	hc := httpClient(conns)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 99))
			url := urls[int(seed)%len(urls)]
			for ctx.Err() == nil {
				q := m.pick(r)
				t := time.Now()
				// A request under way when the run ends still counts: it was decided.
				reason, err := send(context.Background(), hc, url, q)
				rec.add(time.Since(t), reason, q.single, err)
			}
		}(uint64(i + 1))
	}
	wg.Wait()
	rec.r.elapsed = time.Since(start)
	hc.CloseIdleConnections()
	return rec.r
}

// openLoop sends rate requests a second for d whatever the answers do, and
// measures each from when it was due (so a stall shows as latency, not as
// fewer requests).
func openLoop(ctx context.Context, url string, m *mix, rate int, d time.Duration) *result {
	rec := &recorder{r: &result{reasons: map[string]int64{}, grants: map[int64]int64{}}}
	conns := 512
	hc := httpClient(conns)
	jobs := make(chan time.Time, rate) // due times
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 7))
			for due := range jobs {
				q := m.pick(r)
				reason, err := send(ctx, hc, url, q)
				rec.add(time.Since(due), reason, q.single, err)
			}
		}(uint64(i + 1))
	}
	start := time.Now()
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	for i := 0; i < n && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		jobs <- due
	}
	close(jobs)
	wg.Wait()
	rec.r.elapsed = time.Since(start)
	hc.CloseIdleConnections()
	return rec.r
}
