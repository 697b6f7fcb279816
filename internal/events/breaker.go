package events

import "time"

// breaker stops deliveries to a target that keeps failing: after `after`
// consecutive failures it opens for `pause`, then lets one trial through
// (half-open); the trial's success closes it, its failure opens it again.
// Its owner's mutex guards it.
type breaker struct {
	fails     int
	openUntil time.Time
	trial     bool // a half-open trial is under way
}

// allow reports whether a delivery may be tried now.
func (b *breaker) allow(now time.Time, after int) bool {
	switch {
	case b.fails < after:
		return true
	case now.Before(b.openUntil) || b.trial:
		return false
	default:
		b.trial = true
		return true
	}
}

// record notes an attempt's result; it reports whether the breaker opened.
func (b *breaker) record(ok bool, now time.Time, after int, pause time.Duration) bool {
	b.trial = false
	if ok {
		b.fails = 0
		return false
	}
	b.fails++
	if b.fails >= after {
		b.openUntil = now.Add(pause)
		return true
	}
	return false
}
