package gateagent

import (
	"context"
	"time"
)

// How often the agent checks its board, reads its whole card list, and
// sets its clock.
const (
	boardPoll      = 10 * time.Second
	boardReconcile = time.Hour
	boardClock     = 24 * time.Hour
)

// reconcileDue reports whether the board's card list is due to be read in
// full (at start, then hourly).
func (b *Board) reconcileDue(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.nextReconcile)
}

// location is the community's time zone: the board keeps local time.
func (a *Agent) location() *time.Location {
	loc, err := time.LoadLocation(a.timeZone())
	if err != nil {
		return time.UTC
	}
	return loc
}

// driveBoard makes the board's cards equal to what was just synced: in full
// (its whole list read) when the sync fetched every card, else the changes.
func (a *Agent) driveBoard(full bool) {
	now, loc := a.now(), a.location()
	var err error
	if full {
		if err = a.board.Reconcile(now, loc); err == nil {
			a.board.mu.Lock()
			a.board.nextReconcile = now.Add(boardReconcile)
			a.board.mu.Unlock()
		}
	} else {
		err = a.board.Push(now, loc)
	}
	if err != nil {
		a.logOnce("the controller's card list could not be updated; it is tried again at the next sync", err)
	}
}

// runBoard listens for the board's events and polls it, journaling each of
// its events once and uploading them; it sets the board's clock daily.
func (a *Agent) runBoard(ctx context.Context) {
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	if err := a.board.SetListener(); err != nil {
		a.log.Error("the controller cannot be told where to send its events; they are fetched every 10s instead", "err", err.Error())
	}
	go func() {
		if err := a.board.Listen(ctx, poke); err != nil {
			a.log.Error("cannot listen for controller events; they are fetched every 10s instead", "err", err.Error())
		}
	}()
	var clockSet time.Time
	t := time.NewTicker(boardPoll)
	defer t.Stop()
	for {
		now, loc := a.now(), a.location()
		if a.cache.TimeZone() != "" || a.cfg.TimeZone != "" {
			// Set only once the community's time zone is known.
			if now.Sub(clockSet) >= boardClock {
				if err := a.board.SetClock(now, loc); err != nil {
					a.logOnce("the controller's clock could not be set", err)
				} else {
					clockSet = now
					a.log.Info("controller clock set", "controller", a.board.spec.DeviceID, "time_zone", loc.String())
				}
			}
			st, err := a.board.Status(now, loc)
			if err != nil {
				a.logOnce("the controller does not answer", err)
			} else if err := a.board.Collect(st.LastEvent, loc, a.journalBoardEvent); err != nil {
				a.logOnce("controller events could not be read", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// journalBoardEvent journals a board's event for upload and asks for an
// upload now.
func (a *Agent) journalBoardEvent(e *Event) error {
	if err := a.journal.Append(e); err != nil {
		return err
	}
	a.log.Info("card swipe", "event_id", e.EventID, "card", e.Card, "decision", string(e.Decision), "direction", string(e.Direction))
	select {
	case a.kick <- struct{}{}:
	default:
	}
	return nil
}
