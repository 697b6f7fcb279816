package gateagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uhppoted/uhppote-core/types"
	"github.com/uhppoted/uhppote-core/uhppote"
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

// NewBoard drives the UHPPOTE board of spec; state is its state file.
func NewBoard(spec ControllerSpec, state string, timeout time.Duration, log *slog.Logger) (*Board, error) {
	addr := types.ControllerAddr{AddrPort: spec.Addr}
	dev := uhppote.NewDevice("gate", spec.DeviceID, addr, "udp", []string{"1", "2", "3", "4"}, time.Local)
	// Requests go to the board's own address only (never broadcast): the
	// bind and broadcast addresses are set for that.
	bind := types.BindAddr{AddrPort: netip.AddrPortFrom(spec.Listen.Addr(), 0)}
	bcast := types.BroadcastAddr{AddrPort: spec.Addr}
	listen := types.ListenAddr{AddrPort: spec.Listen}
	c := &uhppoteController{id: spec.DeviceID, listen: spec.Listen, log: log,
		u: uhppote.NewUHPPOTE(bind, bcast, listen, timeout, []uhppote.Device{dev}, false)}
	return newBoard(c, spec.Doors, state, log)
}

// uhppoteController is the Controller of a 微耕/UHPPOTE board, through
// uhppoted's uhppote-core.
type uhppoteController struct {
	id     uint32
	listen netip.AddrPort
	u      uhppote.IUHPPOTE
	log    *slog.Logger
}

var _ Controller = (*uhppoteController)(nil)

func (c *uhppoteController) Kind() string { return "uhppote" }
func (c *uhppoteController) ID() string   { return strconv.FormatUint(uint64(c.id), 10) }

func (c *uhppoteController) OpenDoor(door uint8) error {
	r, err := c.u.OpenDoor(c.id, door)
	if err != nil {
		return err
	}
	if !r.Succeeded {
		return errors.New("the board refused")
	}
	return nil
}

func (c *uhppoteController) PutCard(card BoardCard) error {
	doors := map[uint8]uint8{}
	for _, d := range card.Doors {
		doors[d] = 1 // 1: at any time
	}
	ok, err := c.u.PutCard(c.id, types.Card{CardNumber: card.Number, From: types.Date(card.From), To: types.Date(card.To), Doors: doors})
	if err == nil && !ok {
		err = errors.New("the board refused it (is its card memory full?)")
	}
	return err
}

func (c *uhppoteController) DeleteCard(number uint32) error {
	_, err := c.u.DeleteCard(c.id, number)
	return err
}

// Cards reads the board's list by index: deleted cards leave holes in it,
// so it reads on until every card counted is found, within a bound.
func (c *uhppoteController) Cards() ([]BoardCard, error) {
	n, err := c.u.GetCards(c.id)
	if err != nil {
		return nil, fmt.Errorf("get cards: %w", err)
	}
	var out []BoardCard
	for i := uint32(1); uint32(len(out)) < n && i <= n+1024; i++ {
		card, err := c.u.GetCardByIndex(c.id, i)
		if err != nil {
			return nil, fmt.Errorf("get card %d: %w", i, err)
		}
		if card == nil {
			continue
		}
		bc := BoardCard{Number: card.CardNumber, From: time.Time(card.From), To: time.Time(card.To)}
		for d := uint8(1); d <= 4; d++ {
			if card.Doors[d] != 0 {
				bc.Doors = append(bc.Doors, d)
			}
		}
		out = append(out, bc)
	}
	return out, nil
}

// UHPPOTE event types and reasons this agent acts on.
const (
	eventSwipe       = 0x01 // a card read (denied ones at least)
	eventDoor        = 0x02 // a door event; with reasonSwipe, a granted card
	reasonSwipe      = 0x01
	reasonPushButton = 0x14
	reasonForced     = 0x26
)

func (c *uhppoteController) Event(index uint32) (*BoardEvent, error) {
	ev, err := c.u.GetEvent(c.id, index)
	if err != nil && strings.Contains(err.Error(), "overwritten") {
		return nil, nil
	}
	if err != nil || ev == nil {
		return nil, err
	}
	out := &BoardEvent{Index: ev.Index, Door: ev.Door, Card: ev.CardNumber, Granted: ev.Granted, Out: ev.Direction == 2,
		At: time.Time(ev.Timestamp)}
	switch {
	case ev.CardNumber != 0 && (ev.Type == eventSwipe || (ev.Type == eventDoor && ev.Reason == reasonSwipe)):
		out.Kind = BoardSwipe
	case ev.Reason == reasonPushButton:
		out.Kind = BoardButton
	case ev.Reason == reasonForced:
		out.Kind = BoardForced
	}
	return out, nil
}

func (c *uhppoteController) State() (ControllerState, error) {
	st, err := c.u.GetStatus(c.id)
	if err != nil {
		return ControllerState{}, err
	}
	out := ControllerState{LastEvent: st.Event.Index, DoorOpen: map[uint8]bool{}}
	for d, open := range st.DoorState {
		out.DoorOpen[d] = open
	}
	if !st.SystemDateTime.IsZero() {
		out.Clock = time.Time(st.SystemDateTime)
	}
	return out, nil
}

func (c *uhppoteController) SetClock(wall time.Time) error {
	_, err := c.u.SetTime(c.id, time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.Local))
	return err
}

// Listen addresses the board's events to this agent (a failure is logged:
// they are then read every 10s), has it record door events, and calls wake
// for each event, until ctx ends.
func (c *uhppoteController) Listen(ctx context.Context, wake func()) error {
	ok, err := c.u.SetListener(c.id, c.listen, 0)
	if err == nil && !ok {
		err = errors.New("the board refused it")
	}
	if err != nil {
		c.log.Error("the controller cannot be told where to send its events; they are fetched every 10s instead",
			"controller", c.id, "listen", c.listen.String(), "err", err.Error())
	}
	// Door-button and forced-door events are "special events": recorded
	// only when asked for.
	if ok, err := c.u.RecordSpecialEvents(c.id, true); err != nil || !ok {
		c.log.Warn("the controller does not record door-button and forced-door events", "controller", c.id, "err", fmt.Sprint(err))
	}
	q := make(chan os.Signal)
	go func() {
		<-ctx.Done()
		close(q)
	}()
	return c.u.Listen(uhppoteListener{c: c, wake: wake}, q)
}

type uhppoteListener struct {
	c    *uhppoteController
	wake func()
}

func (l uhppoteListener) OnConnected() {
	l.c.log.Info("listening for controller events", "listen", l.c.listen.String())
}

func (l uhppoteListener) OnEvent(s *types.Status) {
	if uint32(s.SerialNumber) == l.c.id {
		l.wake()
	}
}

func (l uhppoteListener) OnError(err error) bool {
	l.c.log.Warn("controller event not understood", "err", err.Error())
	return true
}
