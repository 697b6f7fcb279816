// Package events carries committed decisions to those watching them: live
// Server-Sent Events streams of guards, managers and hosts, and per-community
// webhooks. Decisions of other server processes reach this one's streams
// through a poller over the entry log, and changes of visit requests through
// a poller over their changes, so no watcher depends on which process its
// gate, or the visitor, talked to.
package events

import (
	"context"
	"log/slog"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"gatehouse/internal/gatehouse"
)

// Store is what the poller reads.
type Store interface {
	EntriesAfter(ctx context.Context, communityIDs []int64, afterID int64, limit int) ([]*gatehouse.Entry, error)
	ResidentsByID(ctx context.Context, ids []int64) (map[int64]*gatehouse.Resident, error)
	MaxEntryID(ctx context.Context) (int64, error)
	VisitChangesAfter(ctx context.Context, communityIDs []int64, afterID int64, limit int, seen func(seq int64) bool) ([]*gatehouse.VisitEvent, int64, error)
	MaxVisitChangeID(ctx context.Context) (int64, error)
}

// Sub is one watcher of one community.
type Sub struct {
	C           chan *gatehouse.DecisionEvent
	communityID int64
	accountID   int64
	filter      func(*gatehouse.DecisionEvent) bool
	gone        chan struct{}
	// V carries the visit requests its visits filter picks (none until
	// WatchVisits sets one).
	V      chan *gatehouse.VisitEvent
	visits func(*gatehouse.VisitEvent) bool
}

// Gone is closed when the hub ends the stream to make room for a newer one
// of the same account.
func (s *Sub) Gone() <-chan struct{} { return s.gone }

// StreamRetryAfter is what a refused stream is told to wait.
const StreamRetryAfter = 30 * time.Second

// Hub fans committed decisions out to subscribers. Safe for concurrent use.
type Hub struct {
	store    Store
	log      *slog.Logger
	webhooks *Webhooks

	mu       sync.Mutex
	subs     map[int64]map[*Sub]struct{}
	accounts map[int64][]*Sub // each account's streams, oldest first
	open     int
	seen     *lru.Cache[int64, struct{}] // entry ids already delivered
	seenV    *lru.Cache[int64, struct{}] // visit request change ids already delivered

	// PollEvery is how often the entry log is read for other processes'
	// decisions; Slack is how many ids back each poll looks, for
	// transactions that committed out of id order.
	PollEvery time.Duration
	Slack     int64
	// MaxPerAccount streams of one account are kept (a newer one closes
	// the oldest); past MaxStreams in all, a new stream is refused. Each
	// stream holds a connection, so these bound what watchers can take.
	MaxPerAccount int
	MaxStreams    int
	// Metrics, when set, counts open streams and the limits' actions.
	Metrics Meter
}

// NewHub returns a hub; Run must be started for cross-process delivery.
func NewHub(store Store, webhooks *Webhooks, log *slog.Logger) *Hub {
	seen, _ := lru.New[int64, struct{}](100_000)
	seenV, _ := lru.New[int64, struct{}](20_000)
	return &Hub{store: store, log: log, webhooks: webhooks, subs: map[int64]map[*Sub]struct{}{},
		accounts: map[int64][]*Sub{}, seen: seen, seenV: seenV, PollEvery: time.Second, Slack: 1000, MaxPerAccount: 3, MaxStreams: 1000}
}

// Subscribe starts watching a community for an account; filter (if not
// nil) picks events. An account at MaxPerAccount loses its oldest stream
// (whose Gone closes); at MaxStreams the answer is an ERATELIMITED error.
// Call the returned function to stop.
func (h *Hub) Subscribe(accountID, communityID int64, filter func(*gatehouse.DecisionEvent) bool) (*Sub, func(), error) {
	s := &Sub{C: make(chan *gatehouse.DecisionEvent, 64), communityID: communityID, accountID: accountID,
		filter: filter, gone: make(chan struct{}), V: make(chan *gatehouse.VisitEvent, 16)}
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.accounts[accountID]) >= max(1, h.MaxPerAccount) {
		oldest := h.accounts[accountID][0]
		h.remove(oldest)
		close(oldest.gone)
		h.limited("replaced")
	}
	if h.open >= h.MaxStreams {
		h.limited("refused")
		return nil, nil, gatehouse.Errorf(gatehouse.ERATELIMITED,
			"this server already serves %d live streams, its limit; try again in %s", h.open, StreamRetryAfter)
	}
	if h.subs[communityID] == nil {
		h.subs[communityID] = map[*Sub]struct{}{}
	}
	h.subs[communityID][s] = struct{}{}
	h.accounts[accountID] = append(h.accounts[accountID], s)
	h.open++
	h.gauge()
	return s, func() {
		h.mu.Lock()
		h.remove(s)
		h.mu.Unlock()
	}, nil
}

// remove forgets a stream, once; call it with h.mu held.
func (h *Hub) remove(s *Sub) {
	if _, ok := h.subs[s.communityID][s]; !ok {
		return
	}
	delete(h.subs[s.communityID], s)
	if len(h.subs[s.communityID]) == 0 {
		delete(h.subs, s.communityID)
	}
	list := h.accounts[s.accountID]
	for i, x := range list {
		if x == s {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(h.accounts, s.accountID)
	} else {
		h.accounts[s.accountID] = list
	}
	h.open--
	h.gauge()
}

func (h *Hub) gauge() {
	if h.Metrics != nil {
		h.Metrics.LiveStreams(h.open)
	}
}

func (h *Hub) limited(action string) {
	if h.Metrics != nil {
		h.Metrics.LiveStreamLimited(action)
	}
}

// Publish delivers a decision of this process: to subscribers at once, and
// to the community's webhook. It never blocks a scan: a subscriber whose
// buffer is full misses the event.
func (h *Hub) Publish(ev *gatehouse.DecisionEvent) {
	h.deliver(ev)
	if h.webhooks != nil {
		h.webhooks.Enqueue(ev)
	}
}

// WatchVisits makes a stream carry the visit requests filter picks.
func (h *Hub) WatchVisits(s *Sub, filter func(*gatehouse.VisitEvent) bool) {
	h.mu.Lock()
	s.visits = filter
	h.mu.Unlock()
}

// PublishVisit delivers a change of a visit request of this process to its
// community's streams that watch visits, and to the community's webhook.
// Other processes' streams learn of it from the poller.
func (h *Hub) PublishVisit(ev *gatehouse.VisitEvent) {
	h.deliverVisit(ev)
	if h.webhooks != nil {
		h.webhooks.EnqueueVisit(ev)
	}
}

// deliverVisit hands a change of a visit request to the streams that watch
// it, once (by its Seq; an event without one is always delivered).
func (h *Hub) deliverVisit(ev *gatehouse.VisitEvent) {
	if ev.Seq != 0 {
		if ok, _ := h.seenV.ContainsOrAdd(ev.Seq, struct{}{}); ok {
			return
		}
	}
	h.mu.Lock()
	for s := range h.subs[ev.Request.CommunityID] {
		if s.visits == nil || !s.visits(ev) {
			continue
		}
		select {
		case s.V <- ev:
		default:
			h.log.Warn("a live event stream is too slow; a visit request was dropped", "community_id", ev.Request.CommunityID)
		}
	}
	h.mu.Unlock()
}

func (h *Hub) deliver(ev *gatehouse.DecisionEvent) {
	if ok, _ := h.seen.ContainsOrAdd(ev.Entry.ID, struct{}{}); ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[ev.Entry.CommunityID] {
		if s.filter != nil && !s.filter(ev) {
			continue
		}
		select {
		case s.C <- ev:
		default:
			h.log.Warn("a live event stream is too slow; an event was dropped", "community_id", ev.Entry.CommunityID)
		}
	}
}

func (h *Hub) watched() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]int64, 0, len(h.subs))
	for id := range h.subs {
		ids = append(ids, id)
	}
	return ids
}

// cursor is where a poller is in a log of ids: known once the log's end
// was read, so that a stream never replays the whole log as news.
type cursor struct {
	at    int64
	known bool
}

// Run polls the entry log for decisions, and the changes of visit requests,
// made by other processes until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	var entries, visits cursor
	end := func() {
		if max, err := h.store.MaxEntryID(ctx); err == nil {
			entries = cursor{max, true}
		} else if ctx.Err() == nil {
			h.log.Warn("live events: cannot read the entry log", "err", err.Error())
		}
		if max, err := h.store.MaxVisitChangeID(ctx); err == nil {
			visits = cursor{max, true}
		} else if ctx.Err() == nil {
			h.log.Warn("live events: cannot read the visit requests' changes", "err", err.Error())
		}
	}
	end()
	t := time.NewTicker(h.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		communities := h.watched()
		if len(communities) == 0 || !entries.known || !visits.known {
			end()
			continue
		}
		if next, err := h.poll(ctx, communities, entries.at); err != nil {
			if ctx.Err() == nil {
				h.log.Warn("live events: polling the entry log failed", "err", err.Error())
			}
		} else {
			entries.at = next
		}
		if next, err := h.pollVisits(ctx, communities, visits.at); err != nil {
			if ctx.Err() == nil {
				h.log.Warn("live events: polling the visit requests' changes failed", "err", err.Error())
			}
		} else {
			visits.at = next
		}
	}
}

// pollVisits delivers the changes of visit requests after cursor (less the
// slack, for transactions that committed out of id order) not yet
// delivered, and returns the new cursor.
func (h *Hub) pollVisits(ctx context.Context, communities []int64, cursor int64) (int64, error) {
	changes, newest, err := h.store.VisitChangesAfter(ctx, communities, max(0, cursor-h.Slack), 2000, h.seenV.Contains)
	if err != nil {
		return cursor, err
	}
	for _, ev := range changes {
		h.deliverVisit(ev)
	}
	return max(cursor, newest), nil
}

func (h *Hub) poll(ctx context.Context, communities []int64, cursor int64) (int64, error) {
	entries, err := h.store.EntriesAfter(ctx, communities, max(0, cursor-h.Slack), 2000)
	if err != nil {
		return cursor, err
	}
	var hostIDs []int64
	for _, e := range entries {
		if !h.seen.Contains(e.ID) {
			hostIDs = append(hostIDs, e.HostResidentID, e.ResidentID)
		}
	}
	residents, err := h.store.ResidentsByID(ctx, hostIDs)
	if err != nil {
		return cursor, err
	}
	for _, e := range entries {
		cursor = max(cursor, e.ID)
		if h.seen.Contains(e.ID) {
			continue
		}
		h.deliver(&gatehouse.DecisionEvent{Entry: e, Host: residents[e.HostResidentID], Resident: residents[e.ResidentID]})
	}
	return cursor, nil
}
