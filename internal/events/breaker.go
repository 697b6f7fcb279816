package events

import "time"

// health is what one attempt says of its destination.
type health int

const (
	healthUnknown health = iota // nothing was learnt (the address was refused before connecting)
	healthUp                    // the destination answered, even if it refused the request (3xx, most 4xx)
	healthDown                  // no connection, a timeout, 5xx, 408 or 429: the destination cannot take deliveries now
)

// breaker stops deliveries to a destination that keeps being down: after
// `after` consecutive attempts that found it down it opens for `pause`,
// then lets one trial through (half-open); a trial that finds the
// destination up closes it, one that finds it down opens it again. An
// answer about the request itself (a 404, a 401) says the destination is
// up. Its owner's mutex guards it.
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

// record notes what an attempt found; it reports whether the breaker opened.
func (b *breaker) record(h health, now time.Time, after int, pause time.Duration) bool {
	b.trial = false
	switch h {
	case healthUp:
		b.fails = 0
	case healthDown:
		b.fails++
		if b.fails >= after {
			b.openUntil = now.Add(pause)
			return true
		}
	}
	return false
}

// idle reports whether the breaker remembers nothing worth keeping.
func (b *breaker) idle() bool { return b.fails == 0 && !b.trial }
