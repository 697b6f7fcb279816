package gateagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uhppoted/uhppote-core/types"
	"github.com/uhppoted/uhppote-core/uhppote"

	"gatehouse/internal/gatehouse"
)

// ControllerSpec is a parsed --controller, --door and --listen: which
// board, which of its doors this agent serves, and where it hears events.
type ControllerSpec struct {
	DeviceID uint32
	Addr     netip.AddrPort // the board, never a broadcast address
	Doors    []uint8        // the first opens on a QR grant; cards open all
	Listen   netip.AddrPort // where the board sends its events
}

// ParseController reads "uhppote:DEVICE_ID@HOST:PORT", the door list
// ("1" or "1,2") and the listen address (HOST:PORT, IPv4).
func ParseController(controller, doors, listen string) (ControllerSpec, error) {
	var spec ControllerSpec
	kind, rest, _ := strings.Cut(controller, ":")
	if kind != "uhppote" {
		return spec, fmt.Errorf("%q: the only controller kind is uhppote, e.g. uhppote:405419896@192.168.1.100:60000", controller)
	}
	id, addr, ok := strings.Cut(rest, "@")
	n, err := strconv.ParseUint(id, 10, 32)
	if !ok || err != nil || n == 0 {
		return spec, fmt.Errorf("%q: want uhppote:DEVICE_ID@HOST:PORT, the device id being the board's serial number", controller)
	}
	spec.DeviceID = uint32(n)
	if spec.Addr, err = netip.ParseAddrPort(addr); err != nil || !spec.Addr.Addr().Is4() || spec.Addr.Port() == 0 ||
		spec.Addr.Addr().IsUnspecified() || spec.Addr.Addr() == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return spec, fmt.Errorf("%q: the board's address must be its IPv4 address and port, e.g. 192.168.1.100:60000", controller)
	}
	for _, d := range strings.Split(doors, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(d), 10, 8)
		if err != nil || n < 1 || n > 4 {
			return spec, fmt.Errorf("door %q: doors are numbered 1 to 4, e.g. --door 1 or --door 1,2", d)
		}
		spec.Doors = append(spec.Doors, uint8(n))
	}
	if spec.Listen, err = netip.ParseAddrPort(listen); err != nil || !spec.Listen.Addr().Is4() || spec.Listen.Port() == 0 {
		return spec, fmt.Errorf("listen %q: want this computer's IPv4 address and a port on the board's network, e.g. 192.168.1.10:60001", listen)
	}
	return spec, nil
}

// Board drives one UHPPOTE (微耕) controller: it opens a door on a QR
// grant, keeps the board's card list equal to the server's, and reports
// each event of the board once. It is the door Output of the agent.
type Board struct {
	spec  ControllerSpec
	u     uhppote.IUHPPOTE
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
	Online     bool
	LastEvent  uint32
	DoorOpen   bool
	ClockDrift time.Duration // the board's clock minus the server's
	CheckedAt  time.Time
}

// boardState is the board's state file.
type boardState struct {
	Cards     map[string]SyncCard `json:"cards"`
	LastEvent uint32              `json:"last_event"`
	Met       bool                `json:"met"` // events of the board are taken after LastEvent
}

// NewBoard drives the board of spec; state is its state file.
func NewBoard(spec ControllerSpec, state string, timeout time.Duration, log *slog.Logger) (*Board, error) {
	addr := types.ControllerAddr{AddrPort: spec.Addr}
	dev := uhppote.NewDevice("gate", spec.DeviceID, addr, "udp", []string{"1", "2", "3", "4"}, time.Local)
	// Requests go to the board's own address only (never broadcast): the
	// bind and broadcast addresses are set for that.
	bind := types.BindAddr{AddrPort: netip.AddrPortFrom(spec.Listen.Addr(), 0)}
	bcast := types.BroadcastAddr{AddrPort: spec.Addr}
	listen := types.ListenAddr{AddrPort: spec.Listen}
	b := &Board{spec: spec, log: log, state: state, cards: map[string]SyncCard{}, onBoard: map[uint32]bool{},
		u: uhppote.NewUHPPOTE(bind, bcast, listen, timeout, []uhppote.Device{dev}, false)}
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

// Open opens the agent's door (the first of its doors) on a QR grant; the
// board holds it open for its own door delay.
func (b *Board) Open(_ context.Context, _ time.Duration) error {
	r, err := b.u.OpenDoor(b.spec.DeviceID, b.spec.Doors[0])
	if err != nil {
		return fmt.Errorf("controller %d: open door %d: %w", b.spec.DeviceID, b.spec.Doors[0], err)
	}
	if !r.Succeeded {
		return fmt.Errorf("controller %d refused to open door %d", b.spec.DeviceID, b.spec.Doors[0])
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
func (b *Board) wanted(now time.Time, loc *time.Location) map[uint32]types.Card {
	out := map[uint32]types.Card{}
	for _, c := range b.cards {
		n, err := strconv.ParseUint(c.Number, 10, 32)
		if err != nil || n == 0 || n == 0xffffffff || n == 0x00ffffff {
			continue // not a number this board can hold
		}
		if c.ValidUntil != nil && !now.Before(*c.ValidUntil) {
			continue
		}
		to := time.Date(2099, 12, 31, 0, 0, 0, 0, loc)
		if c.ValidUntil != nil {
			to = c.ValidUntil.In(loc)
		}
		doors := map[uint8]uint8{}
		for _, d := range b.spec.Doors {
			doors[d] = 1 // 1: at any time
		}
		out[uint32(n)] = types.Card{CardNumber: uint32(n), From: types.Date(c.ValidFrom.In(loc)), To: types.Date(to), Doors: doors}
	}
	return out
}

// Push makes the board's cards equal to the server's: PutCard for each
// wanted card not known to be there, DeleteCard for each card put there
// that is no longer wanted.
func (b *Board) Push(now time.Time, loc *time.Location) error {
	b.mu.Lock()
	want := b.wanted(now, loc)
	var put []types.Card
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
	sort.Slice(put, func(i, j int) bool { return put[i].CardNumber < put[j].CardNumber })
	var errs []error
	for _, n := range del {
		if _, err := b.u.DeleteCard(b.spec.DeviceID, n); err != nil {
			errs = append(errs, fmt.Errorf("delete card %d: %w", n, err))
			continue
		}
		b.mu.Lock()
		delete(b.onBoard, n)
		b.mu.Unlock()
	}
	for _, c := range put {
		ok, err := b.u.PutCard(b.spec.DeviceID, c)
		if err == nil && !ok {
			err = errors.New("the board refused it (is its card memory full?)")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("put card %d: %w", c.CardNumber, err))
			continue
		}
		b.mu.Lock()
		b.onBoard[c.CardNumber] = true
		b.mu.Unlock()
	}
	if len(put)+len(del) > 0 {
		b.log.Info("controller cards updated", "controller", b.spec.DeviceID, "put", len(put), "deleted", len(del), "failed", len(errs))
	}
	return errors.Join(errs...)
}

// Reconcile reads every card on the board (GetCards, then each by index)
// and makes the list equal to the server's: a card put there by hand, or
// left by a lost DeleteCard, is removed.
func (b *Board) Reconcile(now time.Time, loc *time.Location) error {
	n, err := b.u.GetCards(b.spec.DeviceID)
	if err != nil {
		return fmt.Errorf("controller %d: get cards: %w", b.spec.DeviceID, err)
	}
	present := map[uint32]bool{}
	want := func() map[uint32]types.Card { b.mu.Lock(); defer b.mu.Unlock(); return b.wanted(now, loc) }()
	// Deleted cards leave holes in the board's list: read on until every
	// card counted is found, within a bound.
	for i, found := uint32(1), uint32(0); found < n && i <= n+1024; i++ {
		c, err := b.u.GetCardByIndex(b.spec.DeviceID, i)
		if err != nil {
			return fmt.Errorf("controller %d: get card %d: %w", b.spec.DeviceID, i, err)
		}
		if c == nil {
			continue
		}
		found++
		w, ok := want[c.CardNumber]
		// A card with other dates or doors is put again.
		present[c.CardNumber] = !ok || sameCard(w, *c)
	}
	b.mu.Lock()
	b.onBoard = present
	b.mu.Unlock()
	return b.Push(now, loc)
}

func sameCard(a, b types.Card) bool {
	if a.From.String() != b.From.String() || a.To.String() != b.To.String() {
		return false
	}
	for d := uint8(1); d <= 4; d++ {
		if a.Doors[d] != b.Doors[d] {
			return false
		}
	}
	return true
}

// SetClock sets the board's clock to now in the community's time zone (the
// board keeps local time).
func (b *Board) SetClock(now time.Time, loc *time.Location) error {
	local := now.In(loc)
	wall := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, time.Local)
	if _, err := b.u.SetTime(b.spec.DeviceID, wall); err != nil {
		return fmt.Errorf("controller %d: set time: %w", b.spec.DeviceID, err)
	}
	return nil
}

// boardTime reads a board's local time in the community's time zone.
func boardTime(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
}

// Status asks the board for its state: its newest event index, whether
// its door is open and how far its clock is from now.
func (b *Board) Status(now time.Time, loc *time.Location) (BoardStatus, error) {
	st, err := b.u.GetStatus(b.spec.DeviceID)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.status.Online = false
		return b.status, fmt.Errorf("controller %d: get status: %w", b.spec.DeviceID, err)
	}
	b.status = BoardStatus{Online: true, LastEvent: st.Event.Index, DoorOpen: st.DoorState[b.spec.Doors[0]], CheckedAt: now}
	if !st.SystemDateTime.IsZero() {
		b.status.ClockDrift = boardTime(time.Time(st.SystemDateTime), loc).Sub(now).Round(time.Second)
	}
	return b.status, nil
}

// Listener addresses the board's events to this agent.
func (b *Board) SetListener() error {
	ok, err := b.u.SetListener(b.spec.DeviceID, b.spec.Listen, 0)
	if err == nil && !ok {
		err = errors.New("the board refused it")
	}
	if err != nil {
		return fmt.Errorf("controller %d: set event listener %v: %w", b.spec.DeviceID, b.spec.Listen, err)
	}
	return nil
}

// Listen calls wake for each event the board sends, until ctx ends.
func (b *Board) Listen(ctx context.Context, wake func()) error {
	q := make(chan os.Signal)
	go func() {
		<-ctx.Done()
		close(q)
	}()
	return b.u.Listen(boardListener{b: b, wake: wake}, q)
}

type boardListener struct {
	b    *Board
	wake func()
}

func (l boardListener) OnConnected() {
	l.b.log.Info("listening for controller events", "listen", l.b.spec.Listen.String())
}

func (l boardListener) OnEvent(s *types.Status) {
	if uint32(s.SerialNumber) == l.b.spec.DeviceID {
		l.wake()
	}
}

func (l boardListener) OnError(err error) bool {
	l.b.log.Warn("controller event not understood", "err", err.Error())
	return true
}

// Collect journals every event of the board after the last one journaled,
// each once: card swipes as card events (the board decided), the door's
// button and forced openings in the log. It fetches by index, so events
// missed while the agent was down, or lost on the network, are caught up.
func (b *Board) Collect(newest uint32, loc *time.Location, journal func(*Event) error) error {
	b.mu.Lock()
	from := b.last + 1
	if !b.met {
		// A board first met: its history is not this agent's.
		b.last, b.met = newest, true
		b.mu.Unlock()
		b.log.Info("controller events are taken from here on", "controller", b.spec.DeviceID, "event_index", newest)
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.save()
	}
	b.mu.Unlock()
	for i := from; i <= newest; i++ {
		ev, err := b.u.GetEvent(b.spec.DeviceID, i)
		if err != nil && !strings.Contains(err.Error(), "overwritten") {
			return fmt.Errorf("controller %d: get event %d: %w", b.spec.DeviceID, i, err)
		}
		if ev != nil {
			if e := b.event(ev, loc); e != nil {
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

// UHPPOTE event types and reasons this agent acts on.
const (
	eventSwipe       = 0x01 // a card read (denied ones at least)
	eventDoor        = 0x02 // a door event; with reasonSwipe, a granted card
	reasonSwipe      = 0x01
	reasonPushButton = 0x14
	reasonForced     = 0x26
)

// event is the journal event of a board event, nil if it is none of this
// agent's doors' swipes. Button and forced-door events are logged here.
func (b *Board) event(ev *types.Event, loc *time.Location) *Event {
	mine := false
	for _, d := range b.spec.Doors {
		mine = mine || d == ev.Door
	}
	if !mine {
		return nil
	}
	at := boardTime(time.Time(ev.Timestamp), loc)
	switch {
	case ev.CardNumber != 0 && (ev.Type == eventSwipe || (ev.Type == eventDoor && ev.Reason == reasonSwipe)):
		dir := gatehouse.In
		if ev.Direction == 2 {
			dir = gatehouse.Out
		}
		dec := gatehouse.Deny
		if ev.Granted {
			dec = gatehouse.Grant
		}
		return &Event{EventID: fmt.Sprintf("uhppote-%d-%d", b.spec.DeviceID, ev.Index), Method: gatehouse.MethodCard,
			Card: strconv.FormatUint(uint64(ev.CardNumber), 10), Direction: dir, OccurredAt: at, Decision: dec}
	case ev.Reason == reasonPushButton:
		b.log.Info("door opened by its button", "controller", b.spec.DeviceID, "door", ev.Door, "at", at.Format(time.RFC3339))
	case ev.Reason == reasonForced:
		b.log.Warn("door forced open", "controller", b.spec.DeviceID, "door", ev.Door, "at", at.Format(time.RFC3339))
	}
	return nil
}
