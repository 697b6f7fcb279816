package main

import (
	"fmt"
	"sort"
	"time"
)

// latencies collects request durations.
type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q * float64(len(s)-1))
	return s[i]
}

func (l latencies) max() time.Duration { return l.quantile(1) }

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// row is one line of the results table.
type row struct {
	Section, Name         string
	RPS                   float64
	P50, P99, Max         time.Duration
	Ratio                 string // to the bare gin run
	CPU                   string
	PeakRSS               string
	Target, Verdict, Note string
}
