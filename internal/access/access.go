// Package access is the decision engine: it verifies codes, and in one
// atomic step per scan reads the pass, decides, consumes a use and appends
// the entry to the community's hash chain.
package access

import (
	"context"
	"errors"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
)

// Store is what the engine needs of storage.
type Store interface {
	gatehouse.ScanStore
	SigningKeys(ctx context.Context) ([]passcode.Key, error)
}

// Notifier hears of every decision once it is committed. It must not block.
type Notifier interface {
	Publish(ev *gatehouse.DecisionEvent)
}

// Notifiers tells several notifiers.
type Notifiers []Notifier

// Publish tells each notifier.
func (ns Notifiers) Publish(ev *gatehouse.DecisionEvent) {
	for _, n := range ns {
		n.Publish(ev)
	}
}

// Engine decides scans. It is safe for concurrent use.
type Engine struct {
	store  Store
	keys   *passcode.Keyring
	now    func() time.Time
	notify Notifier

	reloadMu   sync.Mutex
	lastReload time.Time

	// Caches of the scan path. Community settings and watchlists are kept
	// with the community's settings epoch, which every scan reads with the
	// chain head it locks: a change made by any process is seen by the next
	// scan. Verified codes are kept with the keyring's generation.
	states sync.Map // community id -> *communityState
	codes  *lru.Cache[string, verified]
	// passes keeps what never changes of a pass once issued (its visitor,
	// host, window, gates, schedule); uses and revocation are read in every
	// scan's transaction. Entries expire, so that retention's erasure of a
	// long-ended pass is not outlived by a cached copy.
	passes *lru.Cache[int64, cachedPass]
}

// cachedPass is a pass's unchanging part and when it was read.
type cachedPass struct {
	pass *gatehouse.Pass
	read time.Time
}

// passTTL bounds how long a pass's unchanging part is kept: retention's
// erasure of a long-ended pass is not outlived by a cached copy.
const passTTL = 10 * time.Minute

// communityState is what a scan needs of its community, as of an epoch.
type communityState struct {
	epoch     int64
	community *gatehouse.Community
	watchlist map[string]bool
}

// verified is a code whose signature was checked under a keyring generation.
type verified struct {
	gen  uint64
	code *passcode.Code
}

// New returns an engine over store that verifies with keys.
func New(store Store, keys *passcode.Keyring, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	codes, _ := lru.New[string, verified](20000)
	passes, _ := lru.New[int64, cachedPass](50000)
	return &Engine{store: store, keys: keys, now: now, codes: codes, passes: passes}
}

// state returns the community's settings and watchlist as of the scan's
// epoch, reading them in the transaction when the cached copy is older.
func (e *Engine) state(tx gatehouse.ScanTx, communityID int64) (*communityState, error) {
	if v, ok := e.states.Load(communityID); ok && v.(*communityState).epoch == tx.Epoch() {
		return v.(*communityState), nil
	}
	c, err := tx.Community()
	if err != nil {
		return nil, err
	}
	w, err := tx.Watchlist()
	if err != nil {
		return nil, err
	}
	st := &communityState{epoch: tx.Epoch(), community: c, watchlist: w}
	e.states.Store(communityID, st)
	return st, nil
}

// NotifyTo sets who hears of committed decisions (the live event hub).
func (e *Engine) NotifyTo(n Notifier) { e.notify = n }

// published tells the notifier of a committed outcome.
func (e *Engine) published(out *Outcome) {
	if e.notify == nil || out == nil || out.Entry == nil {
		return
	}
	ev := &gatehouse.DecisionEvent{Entry: out.Entry, Resident: out.Resident, Host: out.Host}
	if out.Pass != nil {
		ev.Host = out.Pass.Host
		rem := out.Pass.Remaining()
		ev.RemainingEntries = &rem
	}
	e.notify.Publish(ev)
}

// Keys returns the engine's keyring.
func (e *Engine) Keys() *passcode.Keyring { return e.keys }

// ReloadKeys reads the signing keys from the store: a rotation made by
// another process (or `gatehouse keys rotate`) takes effect here.
func (e *Engine) ReloadKeys(ctx context.Context) error {
	ks, err := e.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	e.keys.Set(ks)
	return nil
}

// verify parses a code; a code signed by a key this process has not loaded
// yet triggers one reload (at most once a second) and a second try.
func (e *Engine) verify(ctx context.Context, s string) (*passcode.Code, error) {
	gen := e.keys.Generation()
	if v, ok := e.codes.Get(s); ok && v.gen == gen {
		return v.code, nil
	}
	c, err := passcode.Parse(s, e.keys)
	if err == nil {
		e.codes.Add(s, verified{gen: gen, code: c})
		return c, nil
	}
	kid, ok := passcode.KeyIDOf(s)
	if !ok {
		return nil, err
	}
	if _, known := e.keys.PublicKey(kid); known {
		return nil, err
	}
	e.reloadMu.Lock()
	if e.now().Sub(e.lastReload) >= time.Second {
		e.lastReload = e.now()
		if rerr := e.ReloadKeys(ctx); rerr != nil {
			e.reloadMu.Unlock()
			return nil, rerr
		}
	}
	e.reloadMu.Unlock()
	return passcode.Parse(s, e.keys)
}

// ScanRequest is one code presented at one gate.
type ScanRequest struct {
	CommunityID int64 // the gate's community
	GateID      int64
	Code        string
	Direction   gatehouse.Direction
	GuardID     int64 // a guard scanning at the console; 0 for a device

	// EventID (optional) makes the scan idempotent: a scan sent again with
	// the same id (a controller that timed out and retries, or uploads its
	// offline decision later) gets the decision already logged, and nothing
	// is logged twice.
	EventID string

	// A gate device authenticated from a cache: its key is re-checked in
	// the scan's transaction unless the community's epoch is still GateEpoch.
	CheckGate   bool
	GateEpoch   int64
	GateKeyHash string
}

// ErrGateKeyRevoked answers a scan by a device key that was rotated or
// whose gate was disabled since it was cached.
var ErrGateKeyRevoked = gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "unknown or disabled device key")

// Outcome is a decision with what a guard needs on screen.
type Outcome struct {
	Entry    *gatehouse.Entry
	Pass     *gatehouse.Pass     // the pass scanned, if it exists in this community
	Resident *gatehouse.Resident // the resident whose own code was scanned
	Host     *gatehouse.Resident // whom a visitor without a pass visits (an override)
	Epoch    int64               // the community's settings epoch the decision was made under
	Replayed bool                // the scan's event id was logged before: this is that decision
}

// Scan decides one scan and logs it; the answer is a decision, never an
// error, unless the database fails (then nothing was granted).
func (e *Engine) Scan(ctx context.Context, req ScanRequest) (*Outcome, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	now := e.now().UTC().Truncate(time.Microsecond)
	code, verr := e.verify(ctx, req.Code)
	if verr != nil && !errors.Is(verr, passcode.ErrInvalid) {
		return nil, verr
	}
	out := &Outcome{}
	err := e.store.InScanTx(ctx, req.CommunityID, func(tx gatehouse.ScanTx) error {
		*out = Outcome{Epoch: tx.Epoch()}
		if err := req.checkGate(tx); err != nil {
			return err
		}
		if replayed, err := replay(tx, req, code, out); replayed || err != nil {
			return err
		}
		st, err := e.state(tx, req.CommunityID)
		if err != nil {
			return err
		}
		entry := &gatehouse.Entry{CommunityID: req.CommunityID, GateID: req.GateID, Direction: req.Direction,
			Method: gatehouse.MethodQR, GuardID: req.GuardID, OccurredAt: now, EventID: req.EventID}
		reason, subject, err := e.decide(tx, st, req, code, now, entry, out)
		if err != nil {
			return err
		}
		entry.Reason, entry.Decision, entry.ServerDecision = reason, reason.Decision(), reason.Decision()
		return commit(tx, out, entry, subject, false)
	})
	if err != nil {
		return nil, err
	}
	if !out.Replayed {
		e.published(out)
	}
	return out, nil
}

// validate names every field of a scan request at fault.
func (req *ScanRequest) validate() error {
	var p gatehouse.Problems
	p.Check(req.Direction.Valid(), "direction", `must be "in" or "out"`)
	p.Check(req.Code != "", "code", "is required")
	if req.EventID != "" {
		if msg := gatehouse.ValidateEventID(req.EventID); msg != "" {
			p.Add("event_id", msg)
		}
	}
	return p.Err()
}

// checkGate re-checks a device key authenticated from a cache when the
// community's epoch has moved since: the key may have been rotated, or the
// gate disabled or moved.
func (req *ScanRequest) checkGate(tx gatehouse.ScanTx) error {
	if !req.CheckGate || tx.Epoch() == req.GateEpoch {
		return nil
	}
	g, hash, err := tx.Gate(req.GateID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && (g.DisabledAt != nil || hash != req.GateKeyHash || g.CommunityID != req.CommunityID)) {
		return ErrGateKeyRevoked
	}
	return err
}

// replay fills out with the decision already logged under the scan's event
// id, if there is one (replayed); an id used for another scan is refused.
func replay(tx gatehouse.ScanTx, req ScanRequest, code *passcode.Code, out *Outcome) (replayed bool, err error) {
	if req.EventID == "" {
		return false, nil
	}
	prev, err := tx.EventEntry(req.GateID, req.EventID)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !sameScan(prev, code, req.Direction) {
		return false, gatehouse.FieldError("event_id", "this gate already used this event id for another scan")
	}
	out.Entry, out.Replayed = prev, true
	if prev.PassID != 0 {
		if out.Pass, err = tx.Pass(prev.PassID); err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return false, err
		}
	}
	return true, nil
}

// commit logs an entry and, when the door opened on the way in for a pass,
// counts the use (force: past max_entries too, as an offline use happened).
func commit(tx gatehouse.ScanTx, out *Outcome, entry *gatehouse.Entry, subject gatehouse.Subject, force bool) error {
	if entry.Decision == gatehouse.Grant && entry.Direction == gatehouse.In && out.Pass != nil {
		if err := tx.ConsumeUse(out.Pass, force); err != nil {
			return err
		}
	}
	if err := tx.Append(entry, subject); err != nil {
		return err
	}
	out.Entry = entry
	return nil
}

// visitorEntry names a pass's visitor (and host) in an entry.
func visitorEntry(entry *gatehouse.Entry, p *gatehouse.Pass) gatehouse.Subject {
	entry.PassID, entry.VisitorID, entry.HostResidentID = p.ID, p.VisitorID, p.HostResidentID
	if v := p.Visitor; v != nil {
		entry.PersonName, entry.IDHash, entry.Plate = v.Name, v.IDHash, v.Plate
	}
	return gatehouse.VisitorSubject(p.VisitorID)
}

// residentEntry names a resident in an entry.
func residentEntry(entry *gatehouse.Entry, r *gatehouse.Resident) gatehouse.Subject {
	entry.ResidentID, entry.PersonName, entry.IDHash = r.ID, r.Name, r.IDHash
	return gatehouse.ResidentSubject(r.ID)
}

// decide gathers the facts of one scan inside its transaction, fills the
// entry's person fields and returns the reason.
func (e *Engine) decide(tx gatehouse.ScanTx, st *communityState, req ScanRequest, code *passcode.Code, now time.Time,
	entry *gatehouse.Entry, out *Outcome) (gatehouse.Reason, gatehouse.Subject, error) {
	community := st.community
	if code == nil {
		return gatehouse.InvalidCode, "", nil
	}
	// A code of another community is refused on what it says, before any
	// lookup: nothing of the other community reaches this one's log.
	if code.CommunityID != req.CommunityID {
		return gatehouse.WrongCommunity, "", nil
	}
	facts := gatehouse.ScanFacts{Now: now, Community: community, GateID: req.GateID, Direction: req.Direction}
	var subject gatehouse.Subject
	switch code.Kind {
	case passcode.KindPass:
		facts.PassCode = true
		p, err := e.pass(tx, code.ID)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return gatehouse.Decide(facts), "", nil
		} else if err != nil {
			return "", "", err
		}
		if p.CommunityID != req.CommunityID {
			return gatehouse.UnknownPass, "", nil
		}
		facts.Pass, out.Pass = p, p
		subject = visitorEntry(entry, p)
		facts.Watchlisted = entry.IDHash != "" && st.watchlist[entry.IDHash]
	case passcode.KindResident:
		r, err := tx.Resident(code.ID)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return gatehouse.Decide(facts), "", nil
		} else if err != nil {
			return "", "", err
		}
		facts.Resident, out.Resident = r, r
		facts.CodeIssuedAt = time.Unix(code.Step*passcode.ResidentStep, 0)
		subject = residentEntry(entry, r)
	default:
		return gatehouse.InvalidCode, "", nil
	}
	if community.AntiPassback { // only anti-passback needs to know who is inside
		inside, err := tx.Inside(subject)
		if err != nil {
			return "", "", err
		}
		facts.Inside = inside
	}
	return gatehouse.Decide(facts), subject, nil
}

// sameScan reports whether a logged entry is the scan of code in direction
// (a retry), rather than another scan under a reused event id.
func sameScan(e *gatehouse.Entry, code *passcode.Code, dir gatehouse.Direction) bool {
	if e.Direction != dir {
		return false
	}
	var pass, resident int64
	if code != nil {
		switch code.Kind {
		case passcode.KindPass:
			pass = code.ID
		case passcode.KindResident:
			resident = code.ID
		}
	}
	return e.PassID == pass && e.ResidentID == resident
}

// pass returns a pass as it stands in the transaction: its unchanging part
// from the cache when there, its uses and revocation always read afresh.
func (e *Engine) pass(tx gatehouse.ScanTx, id int64) (*gatehouse.Pass, error) {
	cached, ok := e.passes.Get(id)
	if !ok || time.Since(cached.read) > passTTL {
		p, err := tx.Pass(id)
		if err != nil {
			return nil, err
		}
		c := *p
		e.passes.Add(id, cachedPass{pass: &c, read: time.Now()})
		return p, nil
	}
	uses, revoked, err := tx.PassState(id)
	if err != nil {
		return nil, err
	}
	p := *cached.pass
	p.Uses, p.RevokedAt = uses, revoked
	return &p, nil
}

// PassCode returns the code of a pass, signed again with the key it was
// issued under (Ed25519 signatures are deterministic: the same code each time).
func (e *Engine) PassCode(p *gatehouse.Pass) (string, error) {
	signer, ok := e.keys.Signing(p.KeyID)
	if !ok {
		return "", gatehouse.Errorf(gatehouse.ECONFLICT, "the key this pass was signed with has been removed; issue a new pass")
	}
	return passcode.Encode(passCodeOf(p), signer)
}

func passCodeOf(p *gatehouse.Pass) *passcode.Code {
	return &passcode.Code{Kind: passcode.KindPass, ID: p.ID, CommunityID: p.CommunityID,
		ValidFrom: p.ValidFrom.Unix(), ValidUntil: p.ValidUntil.Unix(), MaxEntries: uint32(p.MaxEntries), GateIDs: p.GateIDs,
		Schedule: passcode.Schedule{Days: p.Schedule.Days, StartMinute: uint16(p.Schedule.StartMinute), EndMinute: uint16(p.Schedule.EndMinute)}}
}

// AssignKey sets the key a new pass is signed with, checking
// that the pass's code can be made (it fits in a code).
func (e *Engine) AssignKey(p *gatehouse.Pass) error {
	signer, err := e.keys.Signer()
	if err != nil {
		return err
	}
	p.KeyID = signer.KeyID()
	// The id is not known yet; check the size with a large placeholder.
	probe := *p
	probe.ID = 1<<35 - 1
	if _, err := passcode.Encode(passCodeOf(&probe), signer); err != nil {
		return gatehouse.FieldError("gate_ids", "too many gates for a pass code; name fewer gates (or none, for every gate)")
	}
	return nil
}

// ResidentCode returns a resident's current rotating code and when it stops
// being current.
func (e *Engine) ResidentCode(r *gatehouse.Resident) (string, time.Time, error) {
	signer, err := e.keys.Signer()
	if err != nil {
		return "", time.Time{}, err
	}
	step := e.now().Unix() / passcode.ResidentStep
	code, err := passcode.Encode(&passcode.Code{Kind: passcode.KindResident, ID: r.ID, CommunityID: r.CommunityID, Step: step}, signer)
	return code, time.Unix((step+1)*passcode.ResidentStep, 0).UTC(), err
}
