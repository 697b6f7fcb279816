package access

import (
	"context"
	"errors"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
)

// OverrideRequest is a guard letting someone through by hand.
type OverrideRequest struct {
	CommunityID int64
	GateID      int64
	GuardID     int64
	Direction   gatehouse.Direction
	Note        string // why: required, in the guard's words
	PassID      int64  // the pass the person holds, if any
	ResidentID  int64  // a resident of the community (a forgotten phone), if that is who it is
	Visitor     *gatehouse.Visitor
	HostID      int64
}

// Override logs a guard's manual grant with its reason and the guard. A
// pass named here is not used up: the guard decided, not the pass. A
// watchlisted person is refused on the way in, and the refusal logged.
func (e *Engine) Override(ctx context.Context, req OverrideRequest) (*Outcome, error) {
	var p gatehouse.Problems
	req.Note = strings.TrimSpace(req.Note)
	p.Check(req.Direction.Valid(), "direction", `must be "in" or "out"`)
	p.Check(req.Note != "", "reason", "is required: say why the guard let this person through")
	if msg := gatehouse.ValidateText(req.Note, 200); msg != "" {
		p.Add("reason", msg)
	}
	who := 0
	for _, set := range []bool{req.PassID != 0, req.ResidentID != 0, req.Visitor != nil} {
		if set {
			who++
		}
	}
	p.Check(who == 1, "person", "name exactly one of pass_id, resident_id or visitor")
	if req.Visitor != nil {
		req.Visitor.Normalize()
		p.Merge("visitor.", req.Visitor.Validate())
		p.Check(req.HostID != 0, "host_resident_id", "is required: whom does the visitor visit?")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	now := e.now().UTC().Truncate(time.Microsecond)
	out := &Outcome{}
	err := e.store.InScanTx(ctx, req.CommunityID, func(tx gatehouse.ScanTx) error {
		*out = Outcome{}
		entry := &gatehouse.Entry{CommunityID: req.CommunityID, GateID: req.GateID, GuardID: req.GuardID, Direction: req.Direction,
			Method: gatehouse.MethodManual, Reason: gatehouse.ManualOverride, Decision: gatehouse.Grant, ServerDecision: gatehouse.Grant,
			OccurredAt: now, Note: req.Note}
		var subject gatehouse.Subject
		switch {
		case req.PassID != 0:
			pass, err := tx.Pass(req.PassID)
			if err != nil {
				return err
			}
			if pass.CommunityID != req.CommunityID {
				return gatehouse.NotFound("pass")
			}
			out.Pass = pass
			subject = visitorEntry(entry, pass)
		case req.ResidentID != 0:
			r, err := tx.Resident(req.ResidentID)
			if err != nil {
				return err
			}
			if r.CommunityID != req.CommunityID {
				return gatehouse.NotFound("resident")
			}
			out.Resident = r
			subject = residentEntry(entry, r)
		default:
			host, err := tx.Resident(req.HostID)
			if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && host.CommunityID != req.CommunityID) {
				return gatehouse.FieldError("host_resident_id", "no such resident in this community")
			} else if err != nil {
				return err // not a refusal: a deadlock is tried again, a lost connection fails the scan
			}
			v := req.Visitor
			entry.HostResidentID, entry.PersonName, entry.Plate = host.ID, v.Name, v.Plate
			entry.IDHash = tx.IDHash(v.IDNumber)
			out.Host = host
		}
		if req.Direction == gatehouse.In {
			st, err := e.state(tx, req.CommunityID)
			if err != nil {
				return err
			}
			out.Epoch = st.epoch
			refuseIfWatchlisted(st, entry)
		}
		if err := tx.Append(entry, subject); err != nil {
			return err
		}
		out.Entry = entry
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.published(out)
	return out, nil
}

// refuseIfWatchlisted turns a guard's grant on the way in into a logged deny
// when the person is on the community's watchlist: neither a walk-in nor an
// override gets round it (leaving is never refused).
func refuseIfWatchlisted(st *communityState, entry *gatehouse.Entry) {
	if entry.IDHash != "" && st.watchlist[entry.IDHash] {
		entry.Decision, entry.ServerDecision, entry.Reason = gatehouse.Deny, gatehouse.Deny, gatehouse.Watchlisted
	}
}

// WalkIn logs a walk-in's entry on the pass just issued for them: a grant
// with method walkin that uses one of its entries, or a logged deny when the
// visitor is on the community's watchlist.
func (e *Engine) WalkIn(ctx context.Context, pass *gatehouse.Pass, gateID, guardID int64) (*Outcome, error) {
	now := e.now().UTC().Truncate(time.Microsecond)
	out := &Outcome{}
	err := e.store.InScanTx(ctx, pass.CommunityID, func(tx gatehouse.ScanTx) error {
		st, err := e.state(tx, pass.CommunityID)
		if err != nil {
			return err
		}
		p, err := tx.Pass(pass.ID)
		if err != nil {
			return err
		}
		*out = Outcome{Pass: p, Epoch: st.epoch}
		entry := &gatehouse.Entry{CommunityID: p.CommunityID, GateID: gateID, GuardID: guardID, Direction: gatehouse.In,
			Method: gatehouse.MethodWalkIn, Reason: gatehouse.Granted, Decision: gatehouse.Grant, ServerDecision: gatehouse.Grant,
			OccurredAt: now, Note: p.Purpose}
		subject := visitorEntry(entry, p)
		refuseIfWatchlisted(st, entry)
		return commit(tx, out, entry, subject, false)
	})
	if err != nil {
		return nil, err
	}
	e.published(out)
	return out, nil
}

// OfflineResult says what became of each uploaded event.
type OfflineResult struct {
	Recorded   []string // event ids logged now
	Duplicates []string // event ids logged before
	Rejected   []Rejection
}

// Rejection is an event that was not logged, by its index in the batch.
type Rejection struct {
	Index   int    `json:"index"`
	EventID string `json:"event_id,omitempty"`
	Reason  string `json:"reason"`
}

// MaxOfflineBatch bounds one upload.
const MaxOfflineBatch = 1000

// Offline logs a batch of events a controller decided without the server.
// Each is logged once (by gate and event id) with method offline, in the
// chain, with the controller's decision and the server's own judgement at
// the time it happened; a use granted offline counts against the pass.
func (e *Engine) Offline(ctx context.Context, communityID, gateID int64, events []gatehouse.OfflineEvent) (*OfflineResult, error) {
	res := &OfflineResult{Recorded: []string{}, Duplicates: []string{}, Rejected: []Rejection{}}
	now := e.now()
	seen := map[string]*gatehouse.OfflineEvent{}
	for i := range events {
		ev := &events[i]
		if msg := gatehouse.ValidateOfflineEvent(ev, now); msg != "" {
			res.Rejected = append(res.Rejected, Rejection{Index: i, EventID: ev.EventID, Reason: msg})
			continue
		}
		if first, ok := seen[ev.EventID]; ok {
			if sameOfflineEvent(first, ev) {
				res.Duplicates = append(res.Duplicates, ev.EventID)
			} else {
				res.Rejected = append(res.Rejected, Rejection{Index: i, EventID: ev.EventID, Reason: EventIDReused})
			}
			continue
		}
		seen[ev.EventID] = ev
		var code *passcode.Code
		var card *gatehouse.Card
		var err error
		if ev.Method == gatehouse.MethodCard {
			if card, err = e.cardOf(ctx, communityID, ev); err != nil {
				return nil, err
			}
		} else if code, err = e.verify(ctx, ev.Code); err != nil && !isInvalid(err) {
			return nil, err
		}
		dup, out, err := e.offlineOne(ctx, communityID, gateID, ev, offlineCredential{code: code, card: card})
		if errors.Is(err, errEventIDReused) {
			res.Rejected = append(res.Rejected, Rejection{Index: i, EventID: ev.EventID, Reason: EventIDReused})
			continue
		} else if err != nil {
			return nil, err
		}
		if dup {
			res.Duplicates = append(res.Duplicates, ev.EventID)
			continue
		}
		res.Recorded = append(res.Recorded, ev.EventID)
		e.published(out)
	}
	return res, nil
}

// EventIDReused rejects an offline event whose id the gate already used for
// another event: a true retry is the same event and counts as a duplicate.
const EventIDReused = "event_id_reused"

var errEventIDReused = errors.New(EventIDReused)

// sameOfflineEvent reports whether two uploads under one id are one event.
func sameOfflineEvent(a, b *gatehouse.OfflineEvent) bool {
	return a.Code == b.Code && a.Method == b.Method && a.Card == b.Card && a.Direction == b.Direction && a.Decision == b.Decision &&
		a.OccurredAt.UTC().Truncate(time.Microsecond).Equal(b.OccurredAt.UTC().Truncate(time.Microsecond))
}

// sameLoggedEvent reports whether an event is the one already logged under
// its id. An online scan sent with the id (the controller gave up waiting
// and decided offline) is the same event if it is the same code and way:
// the time and the decision are then the controller's own. An offline
// event logged before must match in time and decision too.
func sameLoggedEvent(prev *gatehouse.Entry, ev *gatehouse.OfflineEvent, cred offlineCredential, at time.Time) bool {
	if ev.Method == gatehouse.MethodCard {
		return sameCardSwipe(prev, ev, cred.card, at)
	}
	code := cred.code
	if prev.Method == gatehouse.MethodCard || !sameScan(prev, code, ev.Direction) {
		return false
	}
	if prev.Method != gatehouse.MethodOffline {
		return true
	}
	return prev.OccurredAt.Equal(at) && prev.Decision == ev.Decision
}

func isInvalid(err error) bool { return errors.Is(err, passcode.ErrInvalid) }

// isDuplicateEvent reports the store's answer to an event id logged twice.
func isDuplicateEvent(err error) bool { return gatehouse.ErrorCode(err) == gatehouse.ECONFLICT }

// offlineCredential is what an offline event presented: a verified code
// (nil if invalid), or for a card swipe the card (nil if unknown).
type offlineCredential struct {
	code *passcode.Code
	card *gatehouse.Card
}

func (e *Engine) offlineOne(ctx context.Context, communityID, gateID int64, ev *gatehouse.OfflineEvent, cred offlineCredential) (bool, *Outcome, error) {
	dup := false
	out := &Outcome{}
	at := ev.OccurredAt.UTC().Truncate(time.Microsecond)
	err := e.store.InScanTx(ctx, communityID, func(tx gatehouse.ScanTx) error {
		*out, dup = Outcome{Epoch: tx.Epoch()}, false
		st, err := e.state(tx, communityID)
		if err != nil {
			return err
		}
		if prev, err := tx.EventEntry(gateID, ev.EventID); err == nil {
			if !sameLoggedEvent(prev, ev, cred, at) {
				return errEventIDReused
			}
			dup = true
			return nil
		} else if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return err
		}
		entry := &gatehouse.Entry{CommunityID: communityID, GateID: gateID, Direction: ev.Direction, Method: gatehouse.MethodOffline,
			EventID: ev.EventID, OccurredAt: at}
		var reason gatehouse.Reason
		var subject gatehouse.Subject
		if ev.Method == gatehouse.MethodCard {
			entry.Method = gatehouse.MethodCard
			reason, subject, err = decideCard(tx, cred.card, at, entry, out)
		} else {
			req := ScanRequest{CommunityID: communityID, GateID: gateID, Direction: ev.Direction}
			reason, subject, err = e.decide(tx, st, req, cred.code, at, entry, out)
		}
		if err != nil {
			return err
		}
		entry.Reason, entry.ServerDecision, entry.Decision = reason, reason.Decision(), ev.Decision
		// The door opened: the use happened, whatever the server thinks of it.
		return commit(tx, out, entry, subject, true)
	})
	if isDuplicateEvent(err) {
		// Logged by a concurrent upload between our check and insert: the
		// same event, or another one under its id.
		same := false
		err = e.store.InScanTx(ctx, communityID, func(tx gatehouse.ScanTx) error {
			prev, err := tx.EventEntry(gateID, ev.EventID)
			if err == nil {
				same = sameLoggedEvent(prev, ev, cred, at)
			}
			return err
		})
		if err == nil && !same {
			err = errEventIDReused
		}
		return err == nil, nil, err
	}
	return dup, out, err
}
