package main

import (
	"strings"
	"testing"
	"time"
)

// answers makes a result of n answers over a second, each taking each.
func answers(n int, each time.Duration) *result {
	r := &result{reasons: map[string]int64{"granted": int64(n)}, elapsed: time.Second}
	for range n {
		r.lat = append(r.lat, each)
	}
	return r
}

// A missed target says by how much; a closed loop's rate is a floor, an
// open loop may answer 2 % less than it offers.
func TestALoadRowSaysByHowMuchATargetIsMissed(t *testing.T) {
	maria := dbRun{name: "MariaDB"}
	for _, tc := range []struct {
		name    string
		r       *result
		verdict string
		note    string
	}{
		{"closed loop, 16 connections", answers(3500, 5*time.Millisecond), "met", ""},
		{"closed loop, 16 connections", answers(3465, 5*time.Millisecond), "MISSED", "35/s short (1%)"},
		{"closed loop, 16 connections", answers(2800, 40*time.Millisecond), "MISSED", "700/s short (20%), p99 15 ms over"},
		{"open loop, 3000/s", answers(2950, 5*time.Millisecond), "met", ""},
		{"one busy community, closed loop, 16 connections", answers(1000, 5*time.Millisecond), "MISSED", "1000/s short (50%)"},
	} {
		row := loadRow(maria, tc.name, tc.r, time.Second, 50<<20, 30000)
		if row.Verdict != tc.verdict || (tc.note != "" && !strings.HasSuffix(row.Note, "; "+tc.note)) || (tc.note == "" && strings.Contains(row.Note, "short")) {
			t.Errorf("%s at %.0f/s: %s, %q; want %s, %q", tc.name, tc.r.rps(), row.Verdict, row.Note, tc.verdict, tc.note)
		}
	}
}
