package gateagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// fakeController is a board behind the Controller interface: its cards and
// events in memory, and a count of each call.
type fakeController struct {
	cards    map[uint32]BoardCard
	events   []*BoardEvent // events[i] has index i+1; nil: overwritten
	failAt   uint32        // Event fails at this index (once)
	puts     []uint32
	deletes  []uint32
	opened   []uint8
	stateErr error
	clock    time.Time   // the board's wall clock, as SetClock set it
	clocks   []time.Time // each SetClock
}

func newFakeController() *fakeController { return &fakeController{cards: map[uint32]BoardCard{}} }

func (f *fakeController) Kind() string { return "fake" }
func (f *fakeController) ID() string   { return "7" }
func (f *fakeController) OpenDoor(d uint8) error {
	f.opened = append(f.opened, d)
	return nil
}
func (f *fakeController) PutCard(c BoardCard) error {
	f.puts = append(f.puts, c.Number)
	f.cards[c.Number] = c
	return nil
}
func (f *fakeController) DeleteCard(n uint32) error {
	f.deletes = append(f.deletes, n)
	delete(f.cards, n)
	return nil
}
func (f *fakeController) Cards() ([]BoardCard, error) {
	var out []BoardCard
	for _, c := range f.cards {
		out = append(out, c)
	}
	return out, nil
}
func (f *fakeController) Event(i uint32) (*BoardEvent, error) {
	if i == f.failAt {
		f.failAt = 0
		return nil, errors.New("timeout")
	}
	if i < 1 || int(i) > len(f.events) {
		return nil, fmt.Errorf("no event %d", i)
	}
	return f.events[i-1], nil
}
func (f *fakeController) State() (ControllerState, error) {
	return ControllerState{LastEvent: uint32(len(f.events)), DoorOpen: map[uint8]bool{1: true}, Clock: f.clock}, f.stateErr
}
func (f *fakeController) SetClock(wall time.Time) error {
	f.clock = wall
	f.clocks = append(f.clocks, wall)
	return nil
}
func (f *fakeController) Listen(ctx context.Context, _ func()) error { <-ctx.Done(); return nil }

func (f *fakeController) swipe(card uint32, door uint8, granted bool) {
	f.events = append(f.events, &BoardEvent{Index: uint32(len(f.events) + 1), Kind: BoardSwipe, Door: door, Card: card, Granted: granted,
		At: time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)})
}

func (f *fakeController) reset() { f.puts, f.deletes = nil, nil }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func testBoard(t *testing.T, c *fakeController, state string, doors ...uint8) *Board {
	t.Helper()
	b, err := newBoard(c, doors, state, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The board's card list is made equal to the server's: a full reconcile
// removes a card put by hand and puts again one with other dates; later
// syncs put and delete only what changed; an expired card is removed.
func TestTheBoardsCardsAreMadeEqualToTheServers(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	c := newFakeController()
	b := testBoard(t, c, filepath.Join(t.TempDir(), "board"), 2, 1)
	until := now.Add(48 * time.Hour)
	from := now.Add(-24 * time.Hour)
	c.cards[999] = BoardCard{Number: 999, From: from, To: until, Doors: []uint8{1}}                                       // put by hand
	c.cards[1001] = BoardCard{Number: 1001, From: day(from.In(shanghai)), To: day(until.In(shanghai)), Doors: []uint8{1}} // one door short
	c.cards[1002] = BoardCard{Number: 1002, From: day(from.In(shanghai)), To: day(until.In(shanghai)), Doors: []uint8{1, 2}}
	err := b.ApplySync(&SyncPage{CardsComplete: true, Cards: []SyncCard{
		{ID: 1, Number: "1001", ValidFrom: from, ValidUntil: &until},
		{ID: 2, Number: "1002", ValidFrom: from, ValidUntil: &until},
		{ID: 3, Number: "1003", ValidFrom: from},
		{ID: 4, Number: "12ab", ValidFrom: from},       // not a number a board holds
		{ID: 5, Number: "4294967295", ValidFrom: from}, // nor this
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Reconcile(now, shanghai); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.deletes, []uint32{999}) || !slices.Equal(c.puts, []uint32{1001, 1003}) {
		t.Fatalf("reconcile: deleted %v, put %v; want [999], [1001 1003]", c.deletes, c.puts)
	}
	if got := c.cards[1003]; got.To.Year() != 2099 || !slices.Equal(got.Doors, []uint8{1, 2}) || got.From.Format(time.DateOnly) != "2026-11-26" {
		t.Fatalf("a card without an end: %+v", got)
	}
	// Nothing changed: nothing sent.
	c.reset()
	if err := b.Push(now, shanghai); err != nil || len(c.puts)+len(c.deletes) != 0 {
		t.Fatalf("a push with nothing new: put %v, deleted %v, %v", c.puts, c.deletes, err)
	}
	// A card removed, another added: just those.
	if err := b.ApplySync(&SyncPage{CardsRemoved: []SyncCard{{ID: 2, Number: "1002"}}, Cards: []SyncCard{{ID: 6, Number: "1004", ValidFrom: from}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Push(now, shanghai); err != nil || !slices.Equal(c.deletes, []uint32{1002}) || !slices.Equal(c.puts, []uint32{1004}) {
		t.Fatalf("a push of changes: put %v, deleted %v, %v", c.puts, c.deletes, err)
	}
	// A removal of a number now held by another card (re-registered) keeps it.
	c.reset()
	if err := b.ApplySync(&SyncPage{CardsRemoved: []SyncCard{{ID: 99, Number: "1004"}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Push(now, shanghai); err != nil || len(c.deletes) != 0 {
		t.Fatalf("a stale removal: deleted %v, %v", c.deletes, err)
	}
	// Past its end, a card is taken off the board.
	c.reset()
	if err := b.Push(until, shanghai); err != nil || !slices.Equal(c.deletes, []uint32{1001}) {
		t.Fatalf("an expired card: deleted %v, %v", c.deletes, err)
	}
	// A restarted agent knows the server's cards from its state file and
	// reconciles to the same list.
	c.reset()
	b2 := testBoard(t, c, b.state, 1, 2)
	if err := b2.Reconcile(until, shanghai); err != nil || len(c.puts)+len(c.deletes) != 0 {
		t.Fatalf("after a restart: put %v, deleted %v, %v", c.puts, c.deletes, err)
	}
}

// Events are read by index, each journaled once: a board first met is
// taken from its newest event on; a restart, a failed read or an
// overwritten event loses and repeats nothing; other doors' events and
// other kinds are skipped; the button and a forced door are door events.
func TestBoardEventsAreJournaledOnceByIndex(t *testing.T) {
	c := newFakeController()
	state := filepath.Join(t.TempDir(), "board")
	b := testBoard(t, c, state, 1)
	var got []*Event
	journal := func(e *Event) error { got = append(got, e); return nil }
	c.swipe(1001, 1, true) // before the agent: not its history
	if err := b.Collect(1, shanghai, journal); err != nil || len(got) != 0 {
		t.Fatalf("a board first met: %v, %v", got, err)
	}
	c.swipe(1001, 1, true)  // 2
	c.swipe(2002, 1, false) // 3
	c.swipe(3003, 2, true)  // 4: another agent's door
	c.events = append(c.events, &BoardEvent{Index: 5, Kind: BoardButton, Door: 1, At: time.Date(2026, 11, 27, 17, 1, 0, 0, time.UTC)},
		&BoardEvent{Index: 6, Kind: BoardForced, Door: 1, At: time.Date(2026, 11, 27, 17, 2, 0, 0, time.UTC)},
		&BoardEvent{Index: 7, Kind: BoardOther, Door: 1},
		nil) // 8: overwritten
	c.swipe(1001, 1, true) // 9
	c.failAt = 6
	if err := b.Collect(9, shanghai, journal); err == nil {
		t.Fatal("a failed read reported no error")
	}
	if len(got) != 3 {
		t.Fatalf("up to the failed read: %d events, want 3", len(got))
	}
	// A restart in between: the state file says where to go on.
	b = testBoard(t, c, state, 1)
	if err := b.Collect(9, shanghai, journal); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.EventID)
	}
	if want := []string{"fake-7-2", "fake-7-3", "fake-7-5", "fake-7-6", "fake-7-9"}; !slices.Equal(ids, want) {
		t.Fatalf("journaled %v, want %v", ids, want)
	}
	if e := got[0]; e.Method != gatehouse.MethodCard || e.Card != "1001" || e.Decision != gatehouse.Grant || e.Direction != gatehouse.In ||
		!e.OccurredAt.Equal(time.Date(2026, 11, 27, 17, 0, 0, 0, shanghai)) || e.Kind != "" {
		t.Errorf("a granted swipe: %+v", e)
	}
	if e := got[1]; e.Decision != gatehouse.Deny || e.Card != "2002" {
		t.Errorf("a denied swipe: %+v", e)
	}
	if e := got[2]; e.Kind != gatehouse.DoorButton || e.Door != 1 || e.Method != "" || e.Card != "" {
		t.Errorf("the button: %+v", e)
	}
	if e := got[3]; e.Kind != gatehouse.DoorForced || e.Door != 1 {
		t.Errorf("a forced door: %+v", e)
	}
	// Nothing new: nothing journaled again, also after another restart.
	b = testBoard(t, c, state, 1)
	if err := b.Collect(9, shanghai, journal); err != nil || len(got) != 5 {
		t.Fatalf("again: %d events, %v", len(got), err)
	}
}

// The board's state is read for the heartbeat: online with its newest
// event and door; when it stops answering it is offline, and the time it
// last answered is kept.
func TestTheBoardsStatusKeepsWhenItLastAnswered(t *testing.T) {
	c := newFakeController()
	b := testBoard(t, c, filepath.Join(t.TempDir(), "board"), 1)
	c.swipe(1, 1, true)
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	st, err := b.Status(t0, 0, shanghai)
	if err != nil || !st.Online || st.LastEvent != 1 || !st.DoorOpen || !st.CheckedAt.Equal(t0) {
		t.Fatalf("status: %+v, %v", st, err)
	}
	c.stateErr = errors.New("timeout")
	if _, err := b.Status(t0.Add(time.Minute), 0, shanghai); err == nil {
		t.Fatal("no error from a silent board")
	}
	if st := b.LastStatus(); st.Online || !st.CheckedAt.Equal(t0) {
		t.Fatalf("a silent board: %+v", st)
	}
	if err := b.Open(context.Background(), 0); err != nil || !slices.Equal(c.opened, []uint8{1}) {
		t.Fatalf("open: %v, %v", c.opened, err)
	}
}

// The board's clock is set from the server's time, as the last sync told
// it, not from the agent's own clock: not before a sync has told it, then
// once a day; the heartbeat's drift is the board's clock against the
// server's.
func TestTheBoardsClockIsSetFromTheServersTime(t *testing.T) {
	f := newFakeServer(t)
	const ahead = 90 * time.Second // the server's clock is this far ahead of the agent's
	f.set(func(f *fakeServer) { f.serverAhead = ahead })
	a := startAgent(t, testConfig(t, f))
	c := newFakeController()
	a.board = testBoard(t, c, filepath.Join(t.TempDir(), "board"), 1)
	if set := a.tendBoard(time.Time{}); !set.IsZero() || len(c.clocks) != 0 {
		t.Fatalf("before any sync the board's clock was set: %v", c.clocks)
	}
	if err := a.SyncNow(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	set := a.tendBoard(time.Time{})
	after := time.Now()
	if len(c.clocks) != 1 || set.IsZero() {
		t.Fatalf("after a sync the board's clock was set %d times", len(c.clocks))
	}
	loc := a.location()
	got := boardTime(c.clocks[0], loc)
	if lo, hi := before.Add(ahead-2*time.Second), after.Add(ahead+2*time.Second); got.Before(lo) || got.After(hi) {
		t.Fatalf("the board was set to %s, want the server's time %s (the agent's %s)", got, before.Add(ahead).In(loc), before.In(loc))
	}
	if d := a.board.LastStatus().ClockDrift; d < -2*time.Second || d > 2*time.Second {
		t.Fatalf("a board on the server's time drifts by %s", d)
	}
	// Within the day it is not set again; a day later it is.
	if a.tendBoard(set); len(c.clocks) != 1 {
		t.Fatalf("set %d times within a day", len(c.clocks))
	}
	if a.tendBoard(set.Add(-boardClock)); len(c.clocks) != 2 {
		t.Fatalf("set %d times after a day, want 2", len(c.clocks))
	}
}
