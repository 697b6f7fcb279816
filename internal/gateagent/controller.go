package gateagent

import (
	"context"
	"time"
)

// Controller is a vendor's door controller board as the agent drives it:
// the agent keeps its cards equal to the server's, opens its door on a QR
// grant, reads its events by index and its state. uhppote.go implements it
// for 微耕/UHPPOTE boards; another vendor's adapter (Hikvision ISAPI,
// ZKTeco PUSH) implements these same methods and Board does the rest.
type Controller interface {
	// Kind names the adapter ("uhppote") and ID the board (its serial):
	// an event's id is KIND-ID-INDEX, unique and stable across restarts.
	Kind() string
	ID() string
	OpenDoor(door uint8) error
	PutCard(c BoardCard) error // adds the card or replaces the one of its number
	DeleteCard(number uint32) error
	Cards() ([]BoardCard, error) // every card the board holds
	// Event is the board's event at index (1, 2, ...); nil, nil when the
	// board no longer has it (overwritten).
	Event(index uint32) (*BoardEvent, error)
	State() (ControllerState, error)
	SetClock(wall time.Time) error // the board's local time, as a wall clock
	// Listen has the board send its events here and calls wake for each,
	// until ctx ends; the agent then reads them by index.
	Listen(ctx context.Context, wake func()) error
}

// BoardCard is a card as a board holds it: valid on whole days, at doors.
type BoardCard struct {
	Number   uint32
	From, To time.Time // days, in the community's time zone
	Doors    []uint8   // sorted
}

// BoardEventKind is what a board's event was.
type BoardEventKind int

// Kinds of board events the agent acts on; others are skipped.
const (
	BoardOther  BoardEventKind = iota
	BoardSwipe                 // a card read, granted or denied by the board
	BoardButton                // the door opened by its exit button
	BoardForced                // the door opened without a grant or the button
)

// BoardEvent is one event of a board.
type BoardEvent struct {
	Index   uint32
	Kind    BoardEventKind
	Door    uint8
	Card    uint32    // with BoardSwipe
	Granted bool      // with BoardSwipe: the board's decision
	Out     bool      // the reader is the exit's
	At      time.Time // the board's wall clock (its fields, whatever the location)
}

// ControllerState is what a board says of itself.
type ControllerState struct {
	LastEvent uint32         // the newest event's index
	DoorOpen  map[uint8]bool // by door
	Clock     time.Time      // the board's wall clock; zero when unknown
}
