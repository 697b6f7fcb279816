package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/gateagent"
)

// offlineEntries returns the offline entries by event id, failing on any
// event id logged twice.
func offlineEntries(t *testing.T, entries []entry) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	for _, e := range entries {
		if e.Method != "offline" {
			continue
		}
		if _, dup := out[e.EventID]; dup {
			t.Fatalf("event %s is in the log twice", e.EventID)
		}
		out[e.EventID] = e
	}
	return out
}

// sameEvents fails unless the server's offline entries are exactly the
// journal's events, each with the decision the gate made.
func sameEvents(t *testing.T, journal []gateagent.Event, logged map[string]entry) {
	t.Helper()
	if len(logged) != len(journal) {
		t.Fatalf("%d offline entries on the server, %d events in the journal", len(logged), len(journal))
	}
	for _, ev := range journal {
		e, ok := logged[ev.EventID]
		if !ok {
			t.Fatalf("event %s (%s %s) is missing from the server's log", ev.EventID, ev.Decision, ev.Reason)
		}
		if e.Decision != string(ev.Decision) {
			t.Fatalf("event %s: the server logged %s, the gate decided %s", ev.EventID, e.Decision, ev.Decision)
		}
	}
}

func TestTheGateKeepsWorkingThroughAServerOutageAndUploadsItsJournalOnce(t *testing.T) {
	serverBin, gateBin := binaries(t)
	srv := newServer(t, serverBin)
	c := &client{t: t, url: srv.URL}
	s := newSite(c)
	multi := s.invite(c, "E1000001", 5)    // granted online, and again offline
	toRevoke := s.invite(c, "E1000002", 5) // revoked before the outage
	single := s.invite(c, "E1000003", 1)   // used offline: opens once
	dir := t.TempDir()
	door := filepath.Join(dir, "door-opened")
	args := gateArgs(t, srv, s, dir, "--output", "command:echo \"$GATEHOUSE_DIRECTION $GATEHOUSE_OPEN_FOR_MS\" >> "+door)

	// An installer's check: --once prints the decision (and exits 1 on a deny).
	onceArgs := gateArgs(t, srv, s, filepath.Join(dir, "once"), "--output", "log")
	out, err := exec.Command(gateBin, append(onceArgs, "--once", "GH1AAAAnot-a-code")...).Output()
	if code := exitStatus(err); string(out) != "deny invalid_code (online)\n" || code != 1 {
		t.Fatalf("--once on garbage: %q, exit status %d", out, code)
	}

	g := startGate(t, gateBin, args...)
	g.waitFor("the first sync", msg("synced"))

	// Online: the server decides.
	wantDecision(t, g.scan(multi.Code), "grant", "granted", "online")
	wantDecision(t, g.scan("GH1-this-is-not-a-code"), "deny", "invalid_code", "online")

	// A pass revoked before the outage, once a sync has brought the news.
	c.must("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", toRevoke.ID), s.Host, nil, 200, nil)
	g.waitFor("a sync with the revocation", func(m map[string]any) bool { return m["msg"] == "synced" && m["revoked"] == 1.0 })

	srv.Stop()
	wantDecision(t, g.scan(multi.Code), "grant", "granted", "offline")
	if !g.saw(msg("offline: the server does not answer; deciding locally and journaling")) {
		t.Fatalf("no log line for going offline:\n%s", g.p.Log())
	}
	wantDecision(t, g.scan(toRevoke.Code), "deny", "revoked", "offline")
	wantDecision(t, g.scan(single.Code), "grant", "granted", "offline")
	wantDecision(t, g.scan(single.Code), "deny", "exhausted", "offline")
	eventually(t, "the door to open for the three grants", func() bool { return countLines(t, door) == 3 })
	if b, _ := os.ReadFile(door); !strings.HasPrefix(string(b), "in 200\n") {
		t.Fatalf("the door command was run with %q", b)
	}
	journal := filepath.Join(dir, "state", "journal")
	all, pending, err := gateagent.ReadJournal(journal)
	if err != nil || len(all) != 4 || len(pending) != 4 {
		t.Fatalf("journal: %d events, %d pending, %v; want 4 and 4", len(all), len(pending), err)
	}

	// The server comes back on the same database, keys and port.
	srv.Start()
	g.waitFor("the journal to be uploaded", uploadedAll)
	if !g.saw(msg("online: the server answers")) {
		t.Fatalf("no log line for coming back online:\n%s", g.p.Log())
	}
	entries := s.entries(c)
	logged := offlineEntries(t, entries)
	sameEvents(t, all, logged)
	var reasons []string
	for _, e := range logged {
		reasons = append(reasons, fmt.Sprintf("%d:%s/%s", e.PassID, e.Decision, e.Reason))
	}
	sort.Strings(reasons)
	want := []string{
		fmt.Sprintf("%d:grant/granted", multi.ID), fmt.Sprintf("%d:deny/revoked", toRevoke.ID),
		fmt.Sprintf("%d:grant/granted", single.ID), fmt.Sprintf("%d:deny/exhausted", single.ID)}
	sort.Strings(want)
	if strings.Join(reasons, " ") != strings.Join(want, " ") {
		t.Fatalf("offline entries %v, want %v", reasons, want)
	}
	if len(entries) != 7 {
		t.Fatalf("%d entries, want 3 online (one from --once) and 4 offline", len(entries))
	}
	s.verify(c, 7)

	// Uploading the same events again adds nothing.
	var events []map[string]any
	for _, e := range all {
		events = append(events, map[string]any{"event_id": e.EventID, "code": e.Code, "direction": e.Direction,
			"occurred_at": e.OccurredAt, "decision": e.Decision})
	}
	var res struct {
		Recorded, Duplicates []string
		Rejected             []any
	}
	c.must("POST", fmt.Sprintf("/api/v1/gates/%d/events", s.GateID), s.GateKey, map[string]any{"events": events}, 200, &res)
	if len(res.Recorded) != 0 || len(res.Duplicates) != 4 || len(res.Rejected) != 0 {
		t.Fatalf("uploading again: %+v", res)
	}
	if n := len(s.entries(c)); n != 7 {
		t.Fatalf("%d entries after uploading again, want 7", n)
	}
	s.verify(c, 7)

	// Back online, the server knows the single-use pass was used offline.
	wantDecision(t, g.scan(single.Code), "deny", "exhausted", "online")
	g.p.Stdin.Close() // the scanner's input ends: the agent stops cleanly
	<-g.p.Exited()
	if g.p.Err() != nil {
		t.Fatalf("gatehouse-gate exited with %v:\n%s", g.p.Err(), g.p.Log())
	}
	if _, pending, _ := gateagent.ReadJournal(journal); len(pending) != 0 {
		t.Fatalf("%d events still pending", len(pending))
	}
	assertNoWholeCodes(t, g.p.Log(), multi.Code, toRevoke.Code, single.Code)
}

func TestAGateKilledBetweenDecidingAndUploadingLosesAndDuplicatesNothing(t *testing.T) {
	serverBin, gateBin := binaries(t)
	srv := newServer(t, serverBin)
	c := &client{t: t, url: srv.URL}
	s := newSite(c)
	multi := s.invite(c, "E2000001", 5)
	single := s.invite(c, "E2000002", 1)
	dir := t.TempDir()
	args := gateArgs(t, srv, s, dir, "--output", "log")
	journal := filepath.Join(dir, "state", "journal")

	g := startGate(t, gateBin, args...)
	g.waitFor("the first sync", msg("synced"))
	wantDecision(t, g.scan(multi.Code), "grant", "granted", "online")
	srv.Stop()
	wantDecision(t, g.scan(multi.Code), "grant", "granted", "offline")
	wantDecision(t, g.scan(single.Code), "grant", "granted", "offline")
	wantDecision(t, g.scan(single.Code), "deny", "exhausted", "offline")
	// Decided and journaled, not uploaded: kill -9.
	g.p.Signal(syscall.SIGKILL)
	all, pending, err := gateagent.ReadJournal(journal)
	if err != nil || len(all) != 3 || len(pending) != 3 {
		t.Fatalf("journal after kill -9: %d events, %d pending, %v; want 3 and 3", len(all), len(pending), err)
	}

	srv.Start()
	g = startGate(t, gateBin, args...)
	g.waitFor("the journal to be uploaded after the restart", uploadedAll)
	sameEvents(t, all, offlineEntries(t, s.entries(c)))
	s.verify(c, 4)

	// The narrowest window: the server recorded the batch, but the kill
	// came before the "uploaded" mark reached the disk. That leaves the
	// journal exactly as it was before the mark was appended.
	g.p.Signal(syscall.SIGKILL)
	unmark(t, journal)
	if _, pending, _ := gateagent.ReadJournal(journal); len(pending) != 3 {
		t.Fatalf("%d pending after removing the marks, want 3", len(pending))
	}
	g = startGate(t, gateBin, args...)
	up := g.waitFor("the journal to be uploaded again", uploadedAll)
	if up["recorded"] != 0.0 || up["duplicates"] != 3.0 {
		t.Fatalf("the second upload: %v, want 0 recorded and 3 duplicates", up)
	}
	entries := s.entries(c)
	sameEvents(t, all, offlineEntries(t, entries))
	if len(entries) != 4 {
		t.Fatalf("%d entries, want 1 online and 3 offline", len(entries))
	}
	s.verify(c, 4)
	// A single-use pass opened once offline is used up on the server too.
	wantDecision(t, g.scan(single.Code), "deny", "exhausted", "online")
}

// unmark removes the journal's "done" records.
func unmark(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasPrefix(line, `{"t":"done"`) {
			kept = append(kept, line)
		}
	}
	if len(kept) == len(strings.SplitAfter(string(b), "\n")) {
		t.Fatalf("the journal has no done records:\n%s", b)
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "")), 0o600); err != nil {
		t.Fatal(err)
	}
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// assertNoWholeCodes fails if a log shows more of a code than its prefix.
func assertNoWholeCodes(t *testing.T, log string, codes ...string) {
	t.Helper()
	for _, code := range codes {
		if strings.Contains(log, code[:12]) {
			t.Fatalf("the log shows a code beyond its first 8 characters:\n%s", log)
		}
	}
}

func TestAScanAnsweredAfterTheTimeoutIsLoggedOnceWhenTheGatesOfflineDecisionGoesUp(t *testing.T) {
	serverBin, gateBin := binaries(t)
	srv := newServer(t, serverBin)
	c := &client{t: t, url: srv.URL}
	s := newSite(c)
	multi := s.invite(c, "E3000001", 5)
	proxy := newLateProxy(t, srv.URL)
	dir := t.TempDir()
	g := startGate(t, gateBin, gateArgs(t, &server{URL: proxy.URL}, s, dir, "--output", "log")...)
	g.waitFor("the first sync", msg("synced"))
	wantDecision(t, g.scan(multi.Code), "grant", "granted", "online")

	// The server decides and logs the scan, but its answer comes after the
	// gate's 800 ms: the gate decides offline and journals its decision.
	proxy.setLag(3 * time.Second)
	late := g.scan(multi.Code)
	wantDecision(t, late, "grant", "granted", "offline")
	id, _ := late["event_id"].(string)
	all, _, err := gateagent.ReadJournal(filepath.Join(dir, "state", "journal"))
	if err != nil || len(all) != 1 || all[0].EventID != id {
		t.Fatalf("journal %+v (%v); want one event, %s", all, err, id)
	}
	eventually(t, "the server to log the late scan", func() bool {
		for _, e := range s.entries(c) {
			if e.EventID == id {
				return true
			}
		}
		return false
	})

	// The answers are timely again; the journal goes up, and the scan is in
	// the log once, under the event id the gate sent it with.
	proxy.setLag(0)
	up := g.waitFor("the journal to be uploaded", uploadedAll)
	if up["recorded"] != 0.0 || up["duplicates"] != 1.0 {
		t.Fatalf("the upload: %v, want 0 recorded and 1 duplicate", up)
	}
	entries := s.entries(c)
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2 (one scan answered on time, one late): %+v", len(entries), entries)
	}
	var lateOnes []entry
	for _, e := range entries {
		if e.EventID == id {
			lateOnes = append(lateOnes, e)
		}
	}
	if len(lateOnes) != 1 || lateOnes[0].Method != "qr" || lateOnes[0].Decision != "grant" {
		t.Fatalf("the late scan was logged as %+v, want one qr grant under %s", lateOnes, id)
	}
	s.verify(c, 2)
	// Two scans used two of the pass's five entries.
	var p struct {
		RemainingEntries int `json:"remaining_entries"`
	}
	c.must("GET", fmt.Sprintf("/api/v1/passes/%d", multi.ID), s.Host, nil, 200, &p)
	if p.RemainingEntries != 3 {
		t.Fatalf("%d entries remain, want 3", p.RemainingEntries)
	}
}

func TestAGateThatHasOnlySyncedDecidesOfflineInItsCommunityAndItsTimeZone(t *testing.T) {
	serverBin, gateBin := binaries(t)
	srv := newServer(t, serverBin)
	c := &client{t: t, url: srv.URL}
	s := newSite(c)
	c.must("PATCH", fmt.Sprintf("/api/v1/communities/%d", s.Community), s.Manager, map[string]any{"time_zone": "America/New_York"}, 200, nil)
	plain := s.invite(c, "E4000001", 1)
	// Two hours around now in New York, every day: never now in Shanghai,
	// the time zone a gate would otherwise assume.
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Now().In(ny)
	var scheduled pass
	c.must("POST", "/api/v1/passes", s.Host, map[string]any{
		"visitor":     map[string]any{"name": "李娜", "id_type": "passport", "id_number": "E4000002"},
		"valid_until": time.Now().Add(24 * time.Hour).Format(time.RFC3339), "max_entries": 5,
		"schedule": map[string]any{"days": []int{1, 2, 3, 4, 5, 6, 7}, "start": now.Add(-time.Hour).Format("15:04"),
			"end": now.Add(time.Hour).Format("15:04")},
	}, 201, &scheduled)

	// A new gate, no community-id or tz set, that has never made a decision.
	dir := t.TempDir()
	g := startGate(t, gateBin, gateArgs(t, srv, s, dir, "--output", "log")...)
	synced := g.waitFor("the first sync", msg("synced"))
	srv.Stop()
	wantDecision(t, g.scan(plain.Code), "grant", "granted", "offline")
	wantDecision(t, g.scan(scheduled.Code), "grant", "granted", "offline")
	if synced["community_id"] != float64(s.Community) || synced["time_zone"] != "America/New_York" || synced["anti_passback"] != "off" {
		t.Fatalf("the first sync's log line: %v", synced)
	}

	srv.Start()
	g.waitFor("the journal to be uploaded", uploadedAll)
	logged := offlineEntries(t, s.entries(c))
	if len(logged) != 2 {
		t.Fatalf("%d offline entries, want 2", len(logged))
	}
	for _, e := range logged {
		if e.Decision != "grant" || e.Reason != "granted" {
			t.Fatalf("the server judged an offline grant otherwise: %+v", e)
		}
	}
}
