// Package lpr speaks the HTTP pushes of licence-plate cameras. Each vendor
// is one file: an Adapter that reads the vendor's push into a
// gatehouse.PlateRead and writes the answer that tells the camera whether
// to raise the barrier, registered under the vendor's name (the {vendor} of
// POST /api/v1/lpr/{vendor}/{token}).
package lpr

import (
	"sort"

	"gatehouse/internal/gatehouse"
)

// Adapter is one vendor's push protocol.
type Adapter interface {
	// Read parses one push body. A body that is not the vendor's push is a
	// *gatehouse.Error naming the field at fault.
	Read(body []byte) (gatehouse.PlateRead, error)
	// Answer is the reply (content type and body) that tells the camera the
	// decision on read: open raises the barrier.
	Answer(read gatehouse.PlateRead, open bool) (contentType string, body []byte)
}

var adapters = map[string]Adapter{}

// register makes a vendor's adapter known; each vendor's file calls it.
func register(vendor string, a Adapter) { adapters[vendor] = a }

// Lookup returns a vendor's adapter.
func Lookup(vendor string) (Adapter, bool) {
	a, ok := adapters[vendor]
	return a, ok
}

// Known reports whether a vendor's push is understood.
func Known(vendor string) bool {
	_, ok := adapters[vendor]
	return ok
}

// Vendors lists the vendors understood, by name.
func Vendors() []string {
	out := make([]string, 0, len(adapters))
	for v := range adapters {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Poller is an adapter whose cameras also poll the server (a heartbeat the
// server may answer with a command): the server then tells a camera to read
// again when a guard has just admitted the car waiting at its barrier.
type Poller interface {
	// Poll recognises a poll among the pushes to a camera's URL and returns
	// the serial number it carries; ok is false for anything else.
	Poll(body []byte, contentType string) (serial string, ok bool)
	// PollAnswer is the reply to a poll: recognise again (the car waiting
	// at the barrier is read anew, and its read decided), or nothing to do.
	PollAnswer(readAgain bool) (contentType string, body []byte)
}
