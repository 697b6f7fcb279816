package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// submitWith posts a registration through a poster's token from a client
// address.
func (w *visitWorld) submitWith(token, addr string, body any) response {
	j, _ := json.Marshal(body)
	req := httptest.NewRequest("POST", "/api/v1/register/"+token, bytes.NewReader(j))
	req.RemoteAddr = addr + ":4000"
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.e.api.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header()}
}

// parallel sends n registrations at once, body(i) from address addr(i)
// through poster token(i), and counts the answers by status.
func (w *visitWorld) parallel(n int, token func(i int) string, addr func(i int) string, body func(i int) map[string]any) map[int]int {
	w.e.t.Helper()
	var (
		mu     sync.Mutex
		counts = map[int]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := w.submitWith(token(i), addr(i), body(i))
			mu.Lock()
			counts[res.Status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// Limits hold under parallel registrations through two posters of the
// community (the gate's and the whole community's), as from phones at two
// gates at once, on one process or several: never more than 20 pending for
// one dwelling, 5 pending for one phone, 30 an hour from one address.
func TestRegistrationLimitsHoldUnderParallelRequests(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		var second struct{ Token string }
		e.expect("POST", fmt.Sprintf("/api/v1/communities/%d/posters", w.cid), w.mgr, map[string]any{}, 201, &second)
		tokens := []string{w.token, second.Token}
		either := func(i int) string { return tokens[i%2] }

		// One dwelling, from 60 phones at 60 addresses.
		got := w.parallel(60, either, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) },
			func(i int) map[string]any { return registration(1000+i, "3栋", "2单元", "502") })
		if got[202] != 20 || got[429] != 40 {
			t.Errorf("60 parallel requests for one dwelling: %v, want 20 accepted and 40 refused with 429", got)
		}
		// One phone, to 20 dwellings from 20 addresses.
		got = w.parallel(20, either, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) },
			func(i int) map[string]any { return registration(7, "6栋", "1单元", fmt.Sprint(100+i)) })
		if got[202] != 5 || got[429] != 15 {
			t.Errorf("20 parallel requests of one phone: %v, want 5 accepted and 15 refused with 429", got)
		}
		// One address, 45 phones to 45 dwellings.
		got = w.parallel(45, either, func(int) string { return "192.0.2.9" },
			func(i int) map[string]any { return registration(2000+i, "7栋", "1单元", fmt.Sprint(100+i)) })
		if got[202] != 30 || got[429] != 15 {
			t.Errorf("45 parallel requests from one address: %v, want 30 accepted and 15 refused with 429", got)
		}
	})
}

// One poster takes 120 registrations an hour, whoever sends them: the
// 121st, from yet another phone and address for yet another dwelling, is
// refused with Retry-After, and an hour later the poster works again.
func TestAPosterTakes120RegistrationsAnHour(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newVisitWorld(t, e)
		for i := range 120 {
			res := w.submitFrom(fmt.Sprintf("10.%d.%d.1", i/200, i%200), registration(3000+i, "8栋", "1单元", fmt.Sprint(1000+i)))
			if res.Status != 202 {
				t.Fatalf("registration %d: %d %s", i+1, res.Status, res.Body)
			}
		}
		res := w.submitFrom("10.9.9.9", registration(4000, "9栋", "1单元", "101"))
		if res.Status != 429 || res.Header.Get("Retry-After") != "3600" {
			t.Fatalf("the poster's 121st registration in an hour: %d (Retry-After %q) %s, want 429 with Retry-After 3600",
				res.Status, res.Header.Get("Retry-After"), res.Body)
		}
		e.clock.Advance(time.Hour + time.Second)
		if res := w.submitFrom("10.9.9.9", registration(4001, "9栋", "1单元", "101")); res.Status != 202 {
			t.Fatalf("an hour later: %d %s", res.Status, res.Body)
		}
	})
}
