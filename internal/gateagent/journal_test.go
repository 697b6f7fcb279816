package gateagent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func mustOpenJournal(t testing.TB, path string) *Journal {
	t.Helper()
	j, err := OpenJournal(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func event(id string, passID int64, d gatehouse.Decision) *Event {
	return &Event{EventID: id, Code: "GH1" + id, Direction: gatehouse.In, OccurredAt: time.Now().UTC(), Decision: d,
		Reason: gatehouse.Granted, PassID: passID, PassUntil: time.Now().Add(time.Hour).Unix()}
}

func pendingIDs(j *Journal) string {
	var ids []string
	for _, e := range j.Pending(1000) {
		ids = append(ids, e.EventID)
	}
	return strings.Join(ids, ",")
}

func TestJournalKeepsPendingEventsAndDoneMarksAcrossReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j := mustOpenJournal(t, path)
	for _, id := range []string{"a", "b", "c"} {
		if err := j.Append(event(id, 1, gatehouse.Grant)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.MarkDone([]string{"b"}, DoneUploaded); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(j); got != "a,c" {
		t.Fatalf("pending %q", got)
	}
	if err := j.Append(event("a", 1, gatehouse.Grant)); err == nil {
		t.Fatal("an event id was journaled twice")
	}
	j.Close()

	again := mustOpenJournal(t, path)
	if got := pendingIDs(again); got != "a,c" {
		t.Fatalf("after reopening: pending %q, want a,c", got)
	}
	if n := again.Uses(1); n != 3 {
		t.Fatalf("uses of pass 1: %d, want 3 (uploaded events still count)", n)
	}
	all, pending, err := ReadJournal(path)
	if err != nil || len(all) != 3 || len(pending) != 2 {
		t.Fatalf("ReadJournal: %d events, %d pending, %v", len(all), len(pending), err)
	}
}

func TestJournalDropsALastLineCutShortByACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j := mustOpenJournal(t, path)
	if err := j.Append(event("a", 1, gatehouse.Grant)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A write that a kill -9 interrupted: never acknowledged, so the door
	// never opened for it.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"t":"event","event":{"event_id":"b","co`)
	f.Close()

	again := mustOpenJournal(t, path)
	if got := pendingIDs(again); got != "a" {
		t.Fatalf("pending %q, want a", got)
	}
	if err := again.Append(event("c", 2, gatehouse.Grant)); err != nil {
		t.Fatal(err)
	}
	again.Close()
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte(`"co{`)) || bytes.Count(b, []byte("\n")) != 2 {
		t.Fatalf("the torn line was not cut off before appending:\n%s", b)
	}
	if got := pendingIDs(mustOpenJournal(t, path)); got != "a,c" {
		t.Fatalf("pending %q, want a,c", got)
	}
}

func TestJournalSkipsADamagedLineAndKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j := mustOpenJournal(t, path)
	j.Append(event("a", 1, gatehouse.Grant))
	j.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\x00\x00garbage\n")
	f.Close()
	j = mustOpenJournal(t, path)
	j.Append(event("b", 1, gatehouse.Grant))
	j.Close()
	if got := pendingIDs(mustOpenJournal(t, path)); got != "a,b" {
		t.Fatalf("pending %q, want a,b", got)
	}
}

func TestJournalCompactionKeepsPendingEventsAndLiveUseCounts(t *testing.T) {
	now := time.Now()
	path := filepath.Join(t.TempDir(), "journal")
	j, err := OpenJournal(path, func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.CompactAfter = 19
	for i := range 15 {
		if err := j.Append(event(fmt.Sprintf("e%02d", i), int64(1+i%2), gatehouse.Grant)); err != nil {
			t.Fatal(err)
		}
	}
	j.Append(event("denied", 1, gatehouse.Deny)) // a deny uses nothing
	j.RecordUse(3, now.Add(time.Hour))           // granted online
	j.RecordUse(4, now.Add(-time.Hour))          // a pass that has ended: forgotten
	var done []string
	for i := range 12 {
		done = append(done, fmt.Sprintf("e%02d", i))
	}
	if err := j.MarkDone(done[:6], DoneUploaded); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkDone(done[6:], DoneUploaded); err != nil { // the 20th line: compacts
		t.Fatal(err)
	}
	j.Close()
	b, _ := os.ReadFile(path)
	if lines := bytes.Count(b, []byte("\n")); lines != 7 {
		t.Fatalf("after compaction the journal has %d lines, want 4 pending events and 3 use counts:\n%s", lines, b)
	}
	again := mustOpenJournal(t, path)
	if got := pendingIDs(again); got != "e12,e13,e14,denied" {
		t.Fatalf("pending %q", got)
	}
	for pass, want := range map[int64]int{1: 8, 2: 7, 3: 1, 4: 0} {
		if got := again.Uses(pass); got != want {
			t.Errorf("uses of pass %d: %d, want %d", pass, got, want)
		}
	}
}

func TestJournalWritesEveryRecordToDiskBeforeReturning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j := mustOpenJournal(t, path)
	if err := j.Append(event("a", 1, gatehouse.Grant)); err != nil {
		t.Fatal(err)
	}
	// Another reader (as after a kill -9) sees it at once: nothing is buffered.
	_, pending, err := ReadJournal(path)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending %v, %v", pending, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode %v: it holds codes, so only its owner may read it", fi.Mode().Perm())
	}
}
