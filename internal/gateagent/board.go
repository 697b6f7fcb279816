package gateagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"gatehouse/internal/gatehouse"
)

// How often the agent checks its board, reads its whole card list, and
// sets its clock.
const (
	boardPoll      = 10 * time.Second
	boardReconcile = time.Hour
	boardClock     = 24 * time.Hour
)

// Board is the agent's side of a controller board, whatever its vendor: it
// opens the door on a QR grant, keeps the board's card list equal to the
// server's, and reports each event of the board once, by its index. It is
// the door Output of the agent.
type Board struct {
	c     Controller
	doors []uint8 // the first opens on a QR grant; cards open all
	log   *slog.Logger
	state string // file of what survives a restart: the cards and the last event index

	mu      sync.Mutex
	cards   map[string]SyncCard // the server's cards, by number
	onBoard map[uint32]bool     // cards this agent put on the board
	last    uint32              // the last event index journaled
	met     bool                // events are taken: last is meaningful
	status  BoardStatus

	nextReconcile time.Time // when the card list is next read in full
}

// BoardStatus is what the agent knows of its board.
type BoardStatus struct {
	Online     bool // it answered the last check
	LastEvent  uint32
	DoorOpen   bool
	ClockDrift time.Duration // the board's clock minus the agent's
	CheckedAt  time.Time     // when it last answered; zero: not since the agent started
}

// boardState is the board's state file.
type boardState struct {
	Cards     map[string]SyncCard `json:"cards"`
	LastEvent uint32              `json:"last_event"`
	Met       bool                `json:"met"` // events of the board are taken after LastEvent
}

// newBoard drives c's doors; state is its state file.
func newBoard(c Controller, doors []uint8, state string, log *slog.Logger) (*Board, error) {
	b := &Board{c: c, doors: doors, log: log, state: state, cards: map[string]SyncCard{}, onBoard: map[uint32]bool{}}
	data, err := os.ReadFile(state)
	if err == nil {
		var st boardState
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("%s: %v", state, err)
		}
		if st.Cards != nil {
			b.cards = st.Cards
		}
		b.last, b.met = st.LastEvent, st.Met
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return b, nil
}

func (b *Board) save() error {
	data, _ := json.Marshal(boardState{Cards: b.cards, LastEvent: b.last, Met: b.met})
	return writeFileAtomic(b.state, data)
}

// name is the board as logs and event ids show it: KIND-ID.
func (b *Board) name() string { return b.c.Kind() + "-" + b.c.ID() }

// Open opens the agent's door (the first of its doors) on a QR grant; the
// board holds it open for its own door delay.
func (b *Board) Open(_ context.Context, _ time.Duration) error {
	if err := b.c.OpenDoor(b.doors[0]); err != nil {
		return fmt.Errorf("controller %s: open door %d: %w", b.name(), b.doors[0], err)
	}
	return nil
}

// Close releases nothing: the board keeps deciding cards by itself.
func (b *Board) Close() error { return nil }

// ApplySync takes the card changes of one sync page.
func (b *Board) ApplySync(p *SyncPage) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.CardsComplete {
		b.cards = map[string]SyncCard{}
	}
	for _, c := range p.CardsRemoved {
		if have, ok := b.cards[c.Number]; ok && have.ID == c.ID {
			delete(b.cards, c.Number)
		}
	}
	for _, c := range p.Cards {
		b.cards[c.Number] = c
	}
	return b.save()
}

// wanted is the card list the board must hold at now: the server's cards
// not expired, each on this agent's doors with its dates.
func (b *Board) wanted(now time.Time, loc *time.Location) map[uint32]BoardCard {
	out := map[uint32]BoardCard{}
	for _, c := range b.cards {
		n, err := strconv.ParseUint(c.Number, 10, 32)
		if err != nil || n == 0 || n == 0xffffffff || n == 0x00ffffff {
			continue // not a number a board can hold
		}
		if c.ValidUntil != nil && !now.Before(*c.ValidUntil) {
			continue
		}
		to := time.Date(2099, 12, 31, 0, 0, 0, 0, loc)
		if c.ValidUntil != nil {
			to = c.ValidUntil.In(loc)
		}
		out[uint32(n)] = BoardCard{Number: uint32(n), From: day(c.ValidFrom.In(loc)), To: day(to), Doors: slices.Sorted(slices.Values(b.doors))}
	}
	return out
}

// day is the day of t, at midnight in t's location.
func day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func sameCard(a, b BoardCard) bool {
	return a.From.Format(time.DateOnly) == b.From.Format(time.DateOnly) && a.To.Format(time.DateOnly) == b.To.Format(time.DateOnly) &&
		slices.Equal(a.Doors, b.Doors)
}

// Push makes the board's cards equal to the server's: PutCard for each
// wanted card not known to be there, DeleteCard for each card put there
// that is no longer wanted.
func (b *Board) Push(now time.Time, loc *time.Location) error {
	b.mu.Lock()
	want := b.wanted(now, loc)
	var put []BoardCard
	var del []uint32
	for n, c := range want {
		if !b.onBoard[n] {
			put = append(put, c)
		}
	}
	for n := range b.onBoard {
		if _, ok := want[n]; !ok {
			del = append(del, n)
		}
	}
	b.mu.Unlock()
	sort.Slice(put, func(i, j int) bool { return put[i].Number < put[j].Number })
	slices.Sort(del)
	var errs []error
	for _, n := range del {
		if err := b.c.DeleteCard(n); err != nil {
			errs = append(errs, fmt.Errorf("delete card %d: %w", n, err))
			continue
		}
		b.mu.Lock()
		delete(b.onBoard, n)
		b.mu.Unlock()
	}
	for _, c := range put {
		if err := b.c.PutCard(c); err != nil {
			errs = append(errs, fmt.Errorf("put card %d: %w", c.Number, err))
			continue
		}
		b.mu.Lock()
		b.onBoard[c.Number] = true
		b.mu.Unlock()
	}
	if len(put)+len(del) > 0 {
		b.log.Info("controller cards updated", "controller", b.name(), "put", len(put), "deleted", len(del), "failed", len(errs))
	}
	return errors.Join(errs...)
}

// Reconcile reads every card on the board and makes the list equal to the
// server's: a card put there by hand, or left by a lost DeleteCard, is
// removed; one with other dates or doors is put again.
func (b *Board) Reconcile(now time.Time, loc *time.Location) error {
	cards, err := b.c.Cards()
	if err != nil {
		return fmt.Errorf("controller %s: %w", b.name(), err)
	}
	b.mu.Lock()
	want := b.wanted(now, loc)
	present := map[uint32]bool{}
	for _, c := range cards {
		w, ok := want[c.Number]
		present[c.Number] = !ok || sameCard(w, c)
	}
	b.onBoard = present
	b.mu.Unlock()
	return b.Push(now, loc)
}

// reconcileDue reports whether the board's card list is due to be read in
// full (at start, then hourly).
func (b *Board) reconcileDue(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.nextReconcile)
}

// SetClock sets the board's clock to now in the community's time zone (the
// board keeps local time).
func (b *Board) SetClock(now time.Time, loc *time.Location) error {
	if err := b.c.SetClock(now.In(loc)); err != nil {
		return fmt.Errorf("controller %s: set time: %w", b.name(), err)
	}
	return nil
}

// boardTime reads a board's wall clock in the community's time zone.
func boardTime(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
}

// Status asks the board for its state: its newest event index, whether
// its door is open and how far its clock is from now plus offset (the
// server's time, when known).
func (b *Board) Status(now time.Time, offset time.Duration, loc *time.Location) (BoardStatus, error) {
	st, err := b.c.State()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.status.Online = false
		return b.status, fmt.Errorf("controller %s: get status: %w", b.name(), err)
	}
	b.status = BoardStatus{Online: true, LastEvent: st.LastEvent, DoorOpen: st.DoorOpen[b.doors[0]], CheckedAt: now}
	if !st.Clock.IsZero() {
		b.status.ClockDrift = boardTime(st.Clock, loc).Sub(now.Add(offset)).Round(time.Second)
	}
	return b.status, nil
}

// LastStatus is the board's state as last checked.
func (b *Board) LastStatus() BoardStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status
}

// Collect journals every event of the board after the last one journaled,
// each once: card swipes as card events (the board decided), the door's
// button and forced openings as door events. It fetches by index, so events
// missed while the agent was down, or lost on the network, are caught up.
func (b *Board) Collect(newest uint32, loc *time.Location, journal func(*Event) error) error {
	b.mu.Lock()
	from := b.last + 1
	if !b.met {
		// A board first met: its history is not this agent's.
		b.last, b.met = newest, true
		err := b.save()
		b.mu.Unlock()
		b.log.Info("controller events are taken from here on", "controller", b.name(), "event_index", newest)
		return err
	}
	b.mu.Unlock()
	for i := from; i <= newest; i++ {
		ev, err := b.c.Event(i)
		if err != nil {
			return fmt.Errorf("controller %s: get event %d: %w", b.name(), i, err)
		}
		if ev != nil {
			if e := b.event(i, ev, loc); e != nil {
				if err := journal(e); err != nil {
					return err
				}
			}
		}
		b.mu.Lock()
		b.last = i
		err = b.save()
		b.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// event is the journal event of the board's event at index: a swipe or a
// door event at one of this agent's doors; nil for anything else.
func (b *Board) event(index uint32, ev *BoardEvent, loc *time.Location) *Event {
	if !slices.Contains(b.doors, ev.Door) {
		return nil
	}
	at := boardTime(ev.At, loc)
	id := fmt.Sprintf("%s-%d", b.name(), index)
	switch ev.Kind {
	case BoardSwipe:
		if ev.Card == 0 {
			return nil
		}
		dir, dec := gatehouse.In, gatehouse.Deny
		if ev.Out {
			dir = gatehouse.Out
		}
		if ev.Granted {
			dec = gatehouse.Grant
		}
		return &Event{EventID: id, Method: gatehouse.MethodCard, Card: strconv.FormatUint(uint64(ev.Card), 10), Direction: dir, OccurredAt: at, Decision: dec}
	case BoardButton:
		return &Event{EventID: id, Kind: gatehouse.DoorButton, Door: int(ev.Door), OccurredAt: at}
	case BoardForced:
		return &Event{EventID: id, Kind: gatehouse.DoorForced, Door: int(ev.Door), OccurredAt: at}
	}
	return nil
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
// its events once and uploading them; it sets the board's clock daily from
// the server's time.
func (a *Agent) runBoard(ctx context.Context) {
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	go func() {
		if err := a.board.c.Listen(ctx, poke); err != nil {
			a.log.Error("cannot listen for controller events; they are fetched every 10s instead", "err", err.Error())
		}
	}()
	var clockSet time.Time
	t := time.NewTicker(boardPoll)
	defer t.Stop()
	for {
		clockSet = a.tendBoard(clockSet)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// tendBoard sets the board's clock to the server's time (once the
// community's time zone and the server's time are known, then daily: clockSet
// is when it was last set, and the answer when it is now), reads the board's
// state and journals its new events.
func (a *Agent) tendBoard(clockSet time.Time) time.Time {
	now, loc := a.now(), a.location()
	if a.cache.TimeZone() == "" && a.cfg.TimeZone == "" {
		return clockSet
	}
	server, known := a.serverNow(now)
	if known && (clockSet.IsZero() || now.Sub(clockSet) >= boardClock) {
		if err := a.board.SetClock(server, loc); err != nil {
			a.logOnce("the controller's clock could not be set", err)
		} else {
			clockSet = now
			a.log.Info("controller clock set to the server's time", "controller", a.board.name(), "time_zone", loc.String(),
				"agent_behind_by", server.Sub(now).Round(time.Second).String())
		}
	}
	st, err := a.board.Status(now, server.Sub(now), loc)
	if err != nil {
		a.logOnce("the controller does not answer", err)
	} else if err := a.board.Collect(st.LastEvent, loc, a.journalBoardEvent); err != nil {
		a.logOnce("controller events could not be read", err)
	}
	return clockSet
}

// journalBoardEvent journals a board's event for upload and asks for an
// upload now.
func (a *Agent) journalBoardEvent(e *Event) error {
	if err := a.journal.Append(e); err != nil {
		return err
	}
	switch e.Kind {
	case "":
		a.log.Info("card swipe", "event_id", e.EventID, "card", e.Card, "decision", string(e.Decision), "direction", string(e.Direction))
	case gatehouse.DoorForced:
		a.log.Warn("door forced open", "event_id", e.EventID, "door", e.Door, "at", e.OccurredAt.Format(time.RFC3339))
	default:
		a.log.Info("door opened by its button", "event_id", e.EventID, "door", e.Door, "at", e.OccurredAt.Format(time.RFC3339))
	}
	select {
	case a.kick <- struct{}{}:
	default:
	}
	return nil
}
