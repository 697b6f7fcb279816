package gateagent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gatehouse/internal/gatehouse"
)

// Event is one decision made without the server, as journaled and uploaded.
type Event struct {
	EventID    string              `json:"event_id"`
	Code       string              `json:"code"`
	Method     gatehouse.Method    `json:"method,omitempty"` // card: a swipe its controller decided
	Card       string              `json:"card,omitempty"`
	Direction  gatehouse.Direction `json:"direction"`
	OccurredAt time.Time           `json:"occurred_at"`
	Decision   gatehouse.Decision  `json:"decision"`
	Reason     gatehouse.Reason    `json:"reason"`               // the controller's own reason, for its log
	PassID     int64               `json:"pass_id,omitempty"`    // the visitor pass, when the code verified
	PassUntil  int64               `json:"pass_until,omitempty"` // end of the pass (Unix s): its uses matter until then
	// A door event (not a person's entry): its kind and door; uploaded to
	// POST /gates/{id}/door-events.
	Kind gatehouse.GateEventKind `json:"kind,omitempty"`
	Door int                     `json:"door,omitempty"`
}

// countsUse reports whether the event used one entry of a pass.
func (e *Event) countsUse() bool {
	return e.PassID != 0 && e.Decision == gatehouse.Grant && e.Direction == gatehouse.In
}

// Record kinds: a line of the journal is one JSON record.
const (
	recEvent = "event" // an offline decision, to be uploaded
	recDone  = "done"  // events the server has (uploaded) or will never take (rejected)
	recUse   = "use"   // uses of a pass seen at this gate, for counting uses offline
)

// Outcomes of a done record.
const (
	DoneUploaded = "uploaded"
	DoneRejected = "rejected"
)

type record struct {
	T      string   `json:"t"`
	Event  *Event   `json:"event,omitempty"`
	IDs    []string `json:"ids,omitempty"`
	How    string   `json:"how,omitempty"`
	PassID int64    `json:"pass,omitempty"`
	N      int      `json:"n,omitempty"`
	Until  int64    `json:"until,omitempty"`
}

type passUses struct {
	n     int
	until int64
}

// Journal is the controller's durable memory: an append-only file of JSON
// lines, each written with one write and fsync'd before the call returns.
// An event is journaled before the door opens, and marked done only after
// the server has answered for it, so a kill -9 anywhere loses no decision;
// one uploaded twice is a duplicate the server ignores by its event id.
// Safe for concurrent use.
type Journal struct {
	// CompactAfter is how many lines the file may reach before it is rewritten
	// with only what still matters (pending events and live use counts).
	CompactAfter int

	mu      sync.Mutex
	path    string
	f       *os.File
	now     func() time.Time
	log     *slog.Logger
	lines   int
	pending []*Event
	index   map[string]int // event id -> position in pending
	uses    map[int64]*passUses
}

// OpenJournal opens (or creates) the journal at path and replays it. A
// last line cut short by a crash is dropped: its write never returned, so
// nothing acted on it.
func OpenJournal(path string, now func() time.Time, log *slog.Logger) (*Journal, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// The new file's name must survive a power cut too.
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, err
		}
	}
	j := &Journal{CompactAfter: 10000, path: path, f: f, now: now, log: log}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if cut := bytes.LastIndexByte(data, '\n') + 1; cut < len(data) {
		log.Warn("journal: dropping a last line cut short by a crash", "bytes", len(data)-cut)
		if err := f.Truncate(int64(cut)); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		data = data[:cut]
	}
	j.replay(data)
	return j, nil
}

// replay rebuilds the pending events and use counts from the file's lines.
func (j *Journal) replay(data []byte) {
	j.pending, j.index, j.uses, j.lines = nil, map[string]int{}, map[int64]*passUses{}, 0
	done := map[string]bool{}
	var events []*Event
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		j.lines++
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			// Only a disk fault makes this: each line is one write.
			j.log.Error("journal: skipping a damaged line", "line", n+1, "err", err.Error())
			continue
		}
		switch r.T {
		case recEvent:
			if r.Event != nil && r.Event.EventID != "" {
				events = append(events, r.Event)
			}
		case recDone:
			for _, id := range r.IDs {
				done[id] = true
			}
		case recUse:
			j.addUse(r.PassID, r.N, r.Until)
		}
	}
	for _, e := range events {
		if e.countsUse() {
			j.addUse(e.PassID, 1, e.PassUntil)
		}
		if !done[e.EventID] {
			if _, dup := j.index[e.EventID]; !dup {
				j.index[e.EventID] = len(j.pending)
				j.pending = append(j.pending, e)
			}
		}
	}
}

func (j *Journal) addUse(passID int64, n int, until int64) {
	if passID == 0 || n <= 0 {
		return
	}
	u := j.uses[passID]
	if u == nil {
		u = &passUses{}
		j.uses[passID] = u
	}
	u.n += n
	if until > u.until {
		u.until = until
	}
}

// write appends one record and waits until it is on disk.
func (j *Journal) write(r record) error {
	if j.f == nil {
		return errors.New("journal is closed")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: fsync: %w", err)
	}
	j.lines++
	return nil
}

// Append journals an offline decision; it is on disk when Append returns.
func (j *Journal) Append(e *Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, dup := j.index[e.EventID]; dup {
		return fmt.Errorf("journal: event %s is journaled already", e.EventID)
	}
	cp := *e
	if err := j.write(record{T: recEvent, Event: &cp}); err != nil {
		return err
	}
	j.index[cp.EventID] = len(j.pending)
	j.pending = append(j.pending, &cp)
	if cp.countsUse() {
		j.addUse(cp.PassID, 1, cp.PassUntil)
	}
	return nil
}

// RecordUse remembers a use of a pass granted by the server at this gate,
// so that a single-use pass used just before an outage does not open again
// offline.
func (j *Journal) RecordUse(passID int64, until time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.write(record{T: recUse, PassID: passID, N: 1, Until: until.Unix()}); err != nil {
		return err
	}
	j.addUse(passID, 1, until.Unix())
	return nil
}

// Uses is how many entries of a pass this gate has seen used.
func (j *Journal) Uses(passID int64) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if u := j.uses[passID]; u != nil {
		return u.n
	}
	return 0
}

// Pending returns up to max events not yet done, oldest first.
func (j *Journal) Pending(max int) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := min(max, len(j.pending))
	out := make([]Event, n)
	for i := range n {
		out[i] = *j.pending[i]
	}
	return out
}

// PendingCount is how many events await upload.
func (j *Journal) PendingCount() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.pending)
}

// MarkDone records durably that the server has these events (uploaded) or
// will never take them (rejected); they are not sent again.
func (j *Journal) MarkDone(ids []string, how string) error {
	if len(ids) == 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.write(record{T: recDone, IDs: ids, How: how}); err != nil {
		return err
	}
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	kept := j.pending[:0]
	j.index = map[string]int{}
	for _, e := range j.pending {
		if !drop[e.EventID] {
			j.index[e.EventID] = len(kept)
			kept = append(kept, e)
		}
	}
	clear(j.pending[len(kept):])
	j.pending = kept
	if j.CompactAfter > 0 && j.lines > j.CompactAfter {
		if err := j.compact(); err != nil {
			// The journal is still whole: compaction only ever replaces it.
			j.log.Warn("journal: compaction failed; will try again", "err", err.Error())
		}
	}
	return nil
}

// compact rewrites the journal with only the pending events and the use
// counts of passes still valid, then swaps it in with a rename: a crash
// leaves either the old file or the new one, both whole.
func (j *Journal) compact() error {
	now := j.now().Unix()
	fromPending := map[int64]int{}
	var buf bytes.Buffer
	for _, e := range j.pending {
		if e.countsUse() {
			fromPending[e.PassID]++
		}
	}
	lines := 0
	for id, u := range j.uses {
		if u.until != 0 && u.until < now {
			delete(j.uses, id)
			continue
		}
		if n := u.n - fromPending[id]; n > 0 {
			b, _ := json.Marshal(record{T: recUse, PassID: id, N: n, Until: u.until})
			buf.Write(append(b, '\n'))
			lines++
		}
	}
	for _, e := range j.pending {
		b, _ := json.Marshal(record{T: recEvent, Event: e})
		buf.Write(append(b, '\n'))
		lines++
	}
	if err := writeFileAtomic(j.path, buf.Bytes()); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	j.f.Close()
	j.f, j.lines = f, lines
	j.log.Info("journal: compacted", "pending", len(j.pending), "passes_counted", len(j.uses))
	return nil
}

// Close closes the file; everything written is already on disk.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// ReadJournal reads a journal without opening it for writing: every event
// it holds, and those not yet done. For tests and inspection.
func ReadJournal(path string) (all, pending []Event, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if cut := bytes.LastIndexByte(data, '\n') + 1; cut < len(data) {
		data = data[:cut]
	}
	j := &Journal{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	j.replay(data)
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		var r record
		if json.Unmarshal(line, &r) == nil && r.T == recEvent && r.Event != nil {
			all = append(all, *r.Event)
		}
	}
	for _, e := range j.pending {
		pending = append(pending, *e)
	}
	return all, pending, nil
}

// writeFileAtomic replaces path with data: written and fsync'd beside it,
// renamed over it, and the directory fsync'd so the rename is durable.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
