// Package gateagent is a door controller for Gatehouse: it reads codes from
// a scanner, asks the server for each decision, and when the server does
// not answer in time decides by itself with what it last synced, journals
// the decision durably, and uploads it once the server is back.
package gateagent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
)

// Options adjust an agent; the zero value is for production.
type Options struct {
	Now    func() time.Time // the clock; time.Now if nil
	Output Output           // the door, instead of the one the config names
}

// Agent is one door controller at one reader of one gate.
type Agent struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	client  *Client
	journal *Journal
	cache   *Cache
	door    Output
	board   *Board // the controller, with --controller
	unlock  func()

	uploading chan struct{} // a semaphore: one upload at a time, waited for with a deadline
	kick      chan struct{} // asks the background loop to sync now

	stateMu      sync.Mutex
	state        int // stateUnknown, stateOnline or stateOffline
	since        time.Time
	lastErr      string
	clockSkew    bool
	serverOffset time.Duration // the server's clock minus this agent's, at the last sync
	serverKnown  bool          // a sync has told the server's time
	warnedComm   bool
	warnedPinned bool // the community-id or tz setting differs from the server's
	noEventIDs   bool // the server is too old to take event_id on a scan
}

const (
	stateUnknown = iota
	stateOnline
	stateOffline
)

// New opens the journal, the cache and the door output of cfg. Close it.
func New(cfg Config, log *slog.Logger, opt Options) (*Agent, error) {
	a := &Agent{cfg: cfg, log: log, now: opt.Now, uploading: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
	if a.now == nil {
		a.now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Journal), 0o700); err != nil {
		return nil, &ConfigError{"journal", oneLine(err.Error())}
	}
	unlock, err := lockFile(cfg.Journal + ".lock")
	if err != nil {
		return nil, &ConfigError{"journal", err.Error()}
	}
	a.unlock = unlock
	fail := func(err error) (*Agent, error) {
		a.Close()
		return nil, err
	}
	if a.journal, err = OpenJournal(cfg.Journal, a.now, log); err != nil {
		return fail(&ConfigError{"journal", oneLine(err.Error())})
	}
	if a.cache, err = LoadCache(cfg.Journal+".cache", cfg.CommunityID); err != nil {
		return fail(&ConfigError{"journal", oneLine(err.Error())})
	}
	a.door = opt.Output
	if cfg.Controller != "" {
		spec, err := ParseController(cfg.Controller, cfg.Door, cfg.Listen)
		if err != nil {
			return fail(&ConfigError{"controller", err.Error()})
		}
		if a.board, err = NewBoard(spec, cfg.Journal+".board", max(cfg.Timeout, 2*time.Second), log); err != nil {
			return fail(&ConfigError{"journal", oneLine(err.Error())})
		}
		if a.door == nil {
			a.door = a.board
		}
	}
	if a.door == nil {
		spec, err := ParseOutput(cfg.Output)
		if err != nil {
			return fail(&ConfigError{"output", err.Error()})
		}
		env := []string{"GATEHOUSE_GATE_ID=" + strconv.FormatInt(cfg.GateID, 10), "GATEHOUSE_DIRECTION=" + string(cfg.Direction)}
		if a.door, err = NewOutput(spec, log, env); err != nil {
			return fail(&ConfigError{"output", oneLine(err.Error())})
		}
	}
	a.client = NewClient(cfg.Server, cfg.DeviceKey, cfg.GateID)
	return a, nil
}

// Close closes the door and releases the journal.
func (a *Agent) Close() error {
	var errs []error
	if a.door != nil {
		errs = append(errs, a.door.Close())
	}
	if a.journal != nil {
		errs = append(errs, a.journal.Close())
	}
	if a.unlock != nil {
		a.unlock()
	}
	return errors.Join(errs...)
}

// Result is one decision, as logged and as --once prints it.
type Result struct {
	Decision gatehouse.Decision
	Reason   gatehouse.Reason
	Online   bool   // decided by the server
	PassID   int64  // the visitor pass, when known
	EntryID  int64  // the server's entry (online)
	EventID  string // the scan's event id: the server's entry's (online) or the journaled event's (offline)
	Err      error  // the server refused the request, or the journal failed: the door stays shut
}

// String is the line --once prints.
func (r Result) String() string {
	mode := "offline"
	if r.Online {
		mode = "online"
	}
	s := fmt.Sprintf("%s %s (%s", r.Decision, r.Reason, mode)
	if r.PassID != 0 {
		s += fmt.Sprintf(", pass %d", r.PassID)
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s + ")"
}

// Handle decides one scanned code, logs the decision and opens the door on
// a grant. The server decides when it answers within the timeout; otherwise
// the agent decides, journals the decision (before the door opens) and
// uploads it later.
//
// Every scan has one event id, made before the server is asked and sent
// with the scan; an offline decision is journaled under that same id. So a
// scan the server logged but answered too late is uploaded as a duplicate
// of its own entry, and logged once. The id needs no journal record of its
// own before it is sent: a kill -9 after sending and before journaling
// leaves nothing on this side that could be uploaded (the server has the
// scan once, or not at all, and the door stayed shut); after journaling,
// the event goes up under the id the server may already have, whatever
// happens next.
func (a *Agent) Handle(ctx context.Context, code string) Result {
	start := a.now()
	eventID := newEventID(start)
	res, sentID, err := a.askServer(ctx, code, eventID)
	var r Result
	switch {
	case err == nil:
		a.setOnline(true, nil)
		r = Result{Decision: res.Decision, Reason: res.Reason, Online: true, PassID: res.PassID, EntryID: res.EntryID, EventID: sentID}
		a.learnCommunity(code, res)
	case errors.Is(err, ErrUnreachable):
		if ctx.Err() == nil {
			a.setOnline(false, err)
		}
		r = a.decideOffline(code, eventID, start)
	default:
		// The server answered and refused (a disabled gate, a rotated device
		// key): deciding offline would get round that.
		r = Result{Decision: gatehouse.Deny, Online: true, Err: err}
		a.logOnce("the server refused this scan; the door stays shut", err)
	}
	a.logDecision(code, r, a.now().Sub(start))
	if r.Decision != gatehouse.Grant {
		return r
	}
	if err := a.door.Open(ctx, a.cfg.OpenFor); err != nil {
		a.log.Error("door output failed", "err", err.Error())
	}
	if r.Online && r.PassID != 0 && a.cfg.Direction == gatehouse.In {
		until := a.now().Add(24 * time.Hour)
		if res.ValidUntil != nil {
			until = *res.ValidUntil
		}
		if err := a.journal.RecordUse(r.PassID, until); err != nil {
			a.log.Error("journal write failed", "err", err.Error())
		}
	}
	return r
}

// askServer uploads offline decisions still pending (the server must count
// an offline use before it judges the same pass again), then asks for the
// decision under eventID, all within the scan timeout. It returns the event
// id the server logged the scan under: "" from a server too old to take one.
func (a *Agent) askServer(ctx context.Context, code, eventID string) (*ScanResult, string, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	if a.journal.PendingCount() > 0 {
		if err := a.upload(ctx); errors.Is(err, ErrUnreachable) {
			return nil, "", err
		} else if err != nil {
			a.logOnce("uploading offline decisions failed", err)
		}
	}
	a.stateMu.Lock()
	if a.noEventIDs {
		eventID = ""
	}
	a.stateMu.Unlock()
	res, err := a.client.Scan(ctx, code, a.cfg.Direction, eventID)
	if eventID != "" && unknownField(err, "event_id") {
		// The server is older than event ids and refused the scan without
		// logging it: ask again without one, and from now on.
		a.stateMu.Lock()
		a.noEventIDs = true
		a.stateMu.Unlock()
		a.log.Warn("the server does not take event ids on scans (upgrade it): a scan answered after the timeout is logged twice, online and offline")
		eventID = ""
		res, err = a.client.Scan(ctx, code, a.cfg.Direction, "")
	}
	return res, eventID, err
}

// unknownField reports whether err is the server refusing a request for
// an unknown field name.
func unknownField(err error, name string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusBadRequest && ae.Fields[name] == "unknown field"
}

// decideOffline judges a code with the cache and journals the decision
// under the scan's event id; a decision that cannot be journaled is a deny,
// since it could never be accounted for.
func (a *Agent) decideOffline(code, eventID string, now time.Time) Result {
	v := DecideOffline(OfflineScan{Code: code, Direction: a.cfg.Direction, GateID: a.cfg.GateID, Now: now,
		TimeZone: a.timeZone(), Uses: a.journal.Uses}, a.cache)
	if v.UnknownCommunity {
		a.stateMu.Lock()
		warn := !a.warnedComm
		a.warnedComm = true
		a.stateMu.Unlock()
		if warn {
			a.log.Warn("offline, and this gate does not know its community yet: refusing every code; set community-id, or let it sync with the server once")
		}
	}
	ev := Event{EventID: eventID, Code: code, Direction: a.cfg.Direction, OccurredAt: now.UTC(),
		Decision: v.Decision, Reason: v.Reason}
	if v.Code != nil && v.Code.Kind == passcode.KindPass {
		ev.PassID, ev.PassUntil = v.Code.ID, v.Code.ValidUntil
	}
	r := Result{Decision: v.Decision, Reason: v.Reason, PassID: ev.PassID, EventID: ev.EventID}
	if err := a.journal.Append(&ev); err != nil {
		r.Decision, r.EventID, r.Err = gatehouse.Deny, "", fmt.Errorf("not journaled, so refused: %w", err)
	}
	return r
}

// timeZone is the one pass schedules are judged in offline: the tz setting,
// else the community's from the last sync, else the server's default.
func (a *Agent) timeZone() string {
	if a.cfg.TimeZone != "" {
		return a.cfg.TimeZone
	}
	if tz := a.cache.TimeZone(); tz != "" {
		return tz
	}
	return DefaultTimeZone
}

// learnCommunity remembers the gate's community from the first decision of
// the server that names it, for a server too old to send it in sync: every
// reason but invalid_code and wrong_community means the code is of this
// gate's community.
func (a *Agent) learnCommunity(code string, res *ScanResult) {
	if res.Reason == gatehouse.InvalidCode || res.Reason == gatehouse.WrongCommunity || a.cache.LearnedCommunityID() != 0 {
		return
	}
	c, err := passcode.Parse(code, a.cache)
	if err != nil {
		return // keys not synced yet: learn from a later scan
	}
	if news, err := a.cache.LearnCommunity(c.CommunityID); err != nil {
		a.log.Error("saving the cache failed", "err", err.Error())
	} else if news {
		a.log.Info("learned this gate's community from the server", "community_id", c.CommunityID)
		a.checkSettings()
	}
}

func (a *Agent) logDecision(code string, r Result, took time.Duration) {
	mode := "offline"
	if r.Online {
		mode = "online"
	}
	attrs := []any{"decision", string(r.Decision), "reason", string(r.Reason), "mode", mode,
		"direction", string(a.cfg.Direction), "code", CodePrefix(code), "ms", took.Milliseconds()}
	if r.PassID != 0 {
		attrs = append(attrs, "pass_id", r.PassID)
	}
	if r.EntryID != 0 {
		attrs = append(attrs, "entry_id", r.EntryID)
	}
	if r.EventID != "" {
		attrs = append(attrs, "event_id", r.EventID)
	}
	if r.Err != nil {
		attrs = append(attrs, "err", r.Err.Error())
		a.log.Error("decision", attrs...)
		return
	}
	a.log.Info("decision", attrs...)
}

// CodePrefix is as much of a code as a log may show.
func CodePrefix(code string) string {
	if len(code) <= 8 {
		return code
	}
	return code[:8] + "..."
}

func newEventID(now time.Time) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on Linux
	return now.UTC().Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(b)
}

// setOnline records whether the server answers, logging each change.
func (a *Agent) setOnline(ok bool, err error) {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	now := a.now()
	switch {
	case ok && a.state != stateOnline:
		attrs := []any{"server", a.cfg.Server, "pending", a.journal.PendingCount()}
		if a.state == stateOffline {
			attrs = append(attrs, "offline_for", now.Sub(a.since).Round(time.Second).String())
			select {
			case a.kick <- struct{}{}:
			default:
			}
		}
		a.log.Info("online: the server answers", attrs...)
		a.state, a.since, a.lastErr = stateOnline, now, ""
	case !ok && a.state != stateOffline:
		a.log.Warn("offline: the server does not answer; deciding locally and journaling", "server", a.cfg.Server, "err", err.Error())
		a.state, a.since = stateOffline, now
	}
}

// Online reports whether the server answered last time.
func (a *Agent) Online() bool {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	return a.state == stateOnline
}

// logOnce logs an error of the server unless it is the same as last time.
func (a *Agent) logOnce(msg string, err error) {
	a.stateMu.Lock()
	same := a.lastErr == err.Error()
	a.lastErr = err.Error()
	a.stateMu.Unlock()
	if !same {
		a.log.Error(msg, "err", err.Error())
	}
}

// upload sends pending offline decisions, a batch at a time, and marks
// what the server answered for: recorded now or before (a duplicate), or
// rejected for good. Only then are they marked, so a crash in between
// sends them again and the server answers "duplicate".
func (a *Agent) upload(ctx context.Context) error {
	select {
	case a.uploading <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: another upload is in progress", ErrUnreachable)
	}
	defer func() { <-a.uploading }()
	for {
		batch := a.journal.Pending(MaxUploadBatch)
		if len(batch) == 0 {
			return nil
		}
		var entries, doors []Event
		for _, e := range batch {
			if e.Kind != "" {
				doors = append(doors, e)
			} else {
				entries = append(entries, e)
			}
		}
		if err := a.uploadEntries(ctx, entries); err != nil {
			return err
		}
		if err := a.uploadDoorEvents(ctx, doors); err != nil {
			return err
		}
	}
}

// uploadResult marks what the server answered for in batch: recorded now
// or before (a duplicate), or rejected for good. It fails when the server
// left some unanswered: they stay pending.
func (a *Agent) uploadResult(batch []Event, res *UploadResult, what string) error {
	inBatch := map[string]bool{}
	for _, e := range batch {
		inBatch[e.EventID] = true
	}
	var done, rejected []string
	for _, id := range append(res.Recorded, res.Duplicates...) {
		if inBatch[id] {
			done = append(done, id)
			delete(inBatch, id)
		}
	}
	for _, rj := range res.Rejected {
		if rj.Index < 0 || rj.Index >= len(batch) || !inBatch[batch[rj.Index].EventID] {
			continue
		}
		id := batch[rj.Index].EventID
		delete(inBatch, id)
		rejected = append(rejected, id)
		a.log.Error("the server rejected "+what+"; it will not be sent again", "event_id", id, "reason", rj.Reason)
	}
	if err := a.journal.MarkDone(done, DoneUploaded); err != nil {
		return err
	}
	if err := a.journal.MarkDone(rejected, DoneRejected); err != nil {
		return err
	}
	a.log.Info("uploaded "+what+"s", "recorded", len(res.Recorded), "duplicates", len(res.Duplicates),
		"rejected", len(rejected), "pending", a.journal.PendingCount())
	if len(inBatch) > 0 {
		return fmt.Errorf("the server did not answer for %d of %d uploaded events; they stay pending", len(inBatch), len(batch))
	}
	return nil
}

// uploadEntries sends offline decisions and card swipes.
func (a *Agent) uploadEntries(ctx context.Context, batch []Event) error {
	if len(batch) == 0 {
		return nil
	}
	events := make([]UploadEvent, len(batch))
	for i, e := range batch {
		events[i] = UploadEvent{EventID: e.EventID, Code: e.Code, Method: e.Method, Card: e.Card, Direction: e.Direction,
			OccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano), Decision: e.Decision}
	}
	res, err := a.client.Upload(ctx, events)
	if err != nil {
		return err
	}
	return a.uploadResult(batch, res, "offline decision")
}

// uploadDoorEvents sends door events. A server that refuses them for good
// (one older than door events answers 404) has them marked rejected, so
// that they do not hold up the entries behind them.
func (a *Agent) uploadDoorEvents(ctx context.Context, batch []Event) error {
	if len(batch) == 0 {
		return nil
	}
	events := make([]DoorEvent, len(batch))
	for i, e := range batch {
		events[i] = DoorEvent{EventID: e.EventID, Kind: e.Kind, Door: e.Door, OccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano)}
	}
	res, err := a.client.UploadDoorEvents(ctx, events)
	var ae *APIError
	if errors.As(err, &ae) {
		res = &UploadResult{}
		for i, e := range batch {
			res.Rejected = append(res.Rejected, struct {
				Index   int    `json:"index"`
				EventID string `json:"event_id"`
				Reason  string `json:"reason"`
			}{i, e.EventID, ae.Error()})
		}
	} else if err != nil {
		return err
	}
	return a.uploadResult(batch, res, "door event")
}

// sync fetches what changed since the cache's cursor, page by page.
func (a *Agent) sync(ctx context.Context) error {
	cursor := a.cache.Cursor()
	first := a.cache.SyncedAt().IsZero()
	news, keysChanged, settings, badTZ := 0, false, false, ""
	var sum SyncSummary
	allCards := a.board != nil && a.board.reconcileDue(a.now())
	full := allCards
	for {
		p, err := a.client.Sync(ctx, cursor, allCards)
		if err != nil {
			return err
		}
		allCards = false
		if sum, err = a.cache.Apply(p, a.now()); err != nil {
			return err
		}
		if a.board != nil {
			if err := a.board.ApplySync(p); err != nil {
				return err
			}
		}
		news += sum.New
		keysChanged = keysChanged || sum.KeysChanged
		settings = settings || sum.SettingsChanged
		if sum.BadTimeZone != "" {
			badTZ = sum.BadTimeZone
		}
		a.checkClock(p.ServerTime)
		if !p.More || p.Cursor == cursor {
			break
		}
		cursor = p.Cursor
	}
	if first || news > 0 || keysChanged || settings {
		attrs := []any{"new", news, "revoked", sum.Revoked, "exhausted", sum.Exhausted,
			"moved_out", sum.MovedOut, "keys", sum.Keys, "cursor", a.cache.Cursor()}
		if id := a.cache.LearnedCommunityID(); id != 0 {
			attrs = append(attrs, "community_id", id)
		}
		if tz := a.cache.TimeZone(); tz != "" {
			attrs = append(attrs, "time_zone", tz)
		}
		if ap := a.cache.AntiPassback(); ap != "" {
			attrs = append(attrs, "anti_passback", ap)
		}
		a.log.Info("synced", attrs...)
	}
	if a.board != nil {
		a.driveBoard(full)
	}
	if badTZ != "" {
		a.logOnce("the server sent a time zone this controller does not know; schedules are judged in "+a.timeZone(),
			fmt.Errorf("time zone %q", badTZ))
	}
	a.checkSettings()
	return nil
}

// checkSettings logs, once, a community-id or tz setting that differs from
// what the server says: the setting wins, but is probably a mistake.
func (a *Agent) checkSettings() {
	learned, tz := a.cache.LearnedCommunityID(), a.cache.TimeZone()
	badComm := a.cfg.CommunityID != 0 && learned != 0 && a.cfg.CommunityID != learned
	badTZ := a.cfg.TimeZone != "" && tz != "" && a.cfg.TimeZone != tz
	a.stateMu.Lock()
	warn := (badComm || badTZ) && !a.warnedPinned
	a.warnedPinned = a.warnedPinned || warn
	a.stateMu.Unlock()
	if !warn {
		return
	}
	if badComm {
		a.log.Error("the community-id setting is wrong: the server has this gate in another community", "setting", a.cfg.CommunityID, "server", learned)
	}
	if badTZ {
		a.log.Warn("the tz setting differs from the community's time zone on the server; offline schedules follow the setting", "setting", a.cfg.TimeZone, "server", tz)
	}
}

// checkClock warns when this controller's clock is far from the server's:
// offline decisions judge validity windows and resident codes by it.
func (a *Agent) checkClock(server time.Time) {
	if server.IsZero() {
		return
	}
	skew := a.now().Sub(server)
	off := skew > 30*time.Second || skew < -30*time.Second
	a.stateMu.Lock()
	changed := off != a.clockSkew
	a.clockSkew = off
	a.serverOffset, a.serverKnown = -skew, true
	a.stateMu.Unlock()
	if changed && off {
		a.log.Warn("this controller's clock is off; offline decisions judge validity and resident codes by it: fix its time (NTP)",
			"ahead_by", skew.Round(time.Second).String())
	} else if changed {
		a.log.Info("this controller's clock agrees with the server's again")
	}
}

// serverNow is the server's time when now is this agent's, as the last
// sync told it (to within that request's round trip); false before any.
func (a *Agent) serverNow(now time.Time) (time.Time, bool) {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	return now.Add(a.serverOffset), a.serverKnown
}

// SyncNow uploads pending decisions and fetches what changed, within
// timeout; it records whether the server answers.
func (a *Agent) SyncNow(ctx context.Context, timeout time.Duration) error {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := a.upload(sctx)
	if err == nil {
		err = a.sync(sctx)
	}
	switch {
	case ctx.Err() != nil:
	case err == nil:
		a.setOnline(true, nil)
	case errors.Is(err, ErrUnreachable):
		a.setOnline(false, err)
	default:
		a.logOnce("sync failed", err)
	}
	return err
}

// backgroundTimeout bounds one background sync and upload.
func (a *Agent) backgroundTimeout() time.Duration { return max(10*time.Second, a.cfg.Timeout) }

// background syncs and uploads every sync interval, and every few seconds
// while offline, so that the journal goes up soon after the server is back.
func (a *Agent) background(ctx context.Context) {
	for {
		_ = a.SyncNow(ctx, a.backgroundTimeout())
		wait := a.cfg.SyncInterval
		if !a.Online() && wait > 5*time.Second {
			wait = 5 * time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// Run decides every code from lines until ctx ends or lines closes, while
// syncing and uploading in the background.
func (a *Agent) Run(ctx context.Context, lines <-chan string) error {
	a.log.Info("gatehouse-gate started", "server", a.cfg.Server, "gate_id", a.cfg.GateID, "direction", string(a.cfg.Direction),
		"output", a.cfg.Output, "input", a.cfg.Input, "journal", a.cfg.Journal, "pending", a.journal.PendingCount(),
		"cached_keys", a.cache.KeyCount(), "community_id", a.cache.CommunityID(), "time_zone", a.timeZone())
	if a.cache.KeyCount() == 0 {
		a.log.Warn("no cached keys yet: until the first sync, codes can only be decided online")
	}
	bctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.background(bctx)
	}()
	if a.board != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.runBoard(bctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.beat(bctx)
	}()
	defer func() {
		stop()
		wg.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			a.log.Info("stopping", "pending", a.journal.PendingCount())
			return nil
		case code, ok := <-lines:
			if !ok {
				stop()
				wg.Wait()
				if a.journal.PendingCount() > 0 {
					_ = a.SyncNow(ctx, a.cfg.Timeout)
				}
				a.log.Info("input ended; stopping", "pending", a.journal.PendingCount())
				return nil
			}
			a.Handle(ctx, code)
		}
	}
}

// Once decides one code as a scan would (the door opens on a grant), after
// a sync bounded by the scan timeout: for installers checking the wiring.
func (a *Agent) Once(ctx context.Context, code string) Result {
	_ = a.SyncNow(ctx, a.cfg.Timeout)
	r := a.Handle(ctx, code)
	if !r.Online && r.EventID != "" {
		_ = a.SyncNow(ctx, a.cfg.Timeout)
	}
	return r
}
