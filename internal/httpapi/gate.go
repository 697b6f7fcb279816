package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/access"
	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
)

// deviceGate checks that a gate device names its own gate in the path.
func (s *Server) deviceGate(c *gin.Context) (*gatehouse.Principal, error) {
	pr := principal(c)
	id, err := idParam(c, "id", "gate")
	if err != nil {
		return nil, err
	}
	if id != pr.GateID {
		return nil, gatehouse.NotFound("gate")
	}
	return pr, nil
}

type syncResponse struct {
	CommunityID       int64         `json:"community_id"`
	TimeZone          string        `json:"time_zone"`
	AntiPassback      string        `json:"anti_passback"`
	Cursor            string        `json:"cursor"`
	More              bool          `json:"more"`
	Revoked           []int64       `json:"revoked"`
	Exhausted         []int64       `json:"exhausted"`
	MovedOutResidents []int64       `json:"moved_out_residents"`
	Keys              []keyResponse `json:"keys"`
	ServerTime        time.Time     `json:"server_time"`
	// Residents' cards: added or changed, and removed, since the cursor; every
	// card that opens the gate's doors when cards_complete (a first sync, or
	// ?cards=all for a controller's full reconcile).
	Cards         []syncCard        `json:"cards"`
	CardsRemoved  []syncRemovedCard `json:"cards_removed"`
	CardsComplete bool              `json:"cards_complete"`
}

// syncCard is a card a gate's controller must hold.
type syncCard struct {
	ID         int64      `json:"id"`
	Number     string     `json:"number"`
	ResidentID int64      `json:"resident_id"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
}

// syncRemovedCard is a card a gate's controller must drop.
type syncRemovedCard struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
}

const syncPage = 5000

// syncGate tells an offline-capable controller what changed since its
// cursor: passes revoked or used up, residents moved out, residents' cards,
// and the keys.
func (s *Server) syncGate(c *gin.Context) {
	pr, err := s.deviceGate(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var after int64
	if v := c.Query("cursor"); v != "" {
		after, err = strconv.ParseInt(v, 10, 64)
		if err != nil || after < 0 {
			s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "cursor: must be a cursor from an earlier sync",
				Fields: map[string]string{"cursor": "must be a cursor from an earlier sync"}})
			return
		}
	}
	changes, err := s.Store.CodeChanges(c.Request.Context(), pr.CommunityID, after, syncPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	com, err := s.Store.Community(c.Request.Context(), pr.CommunityID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := syncResponse{CommunityID: com.ID, TimeZone: com.TimeZone, AntiPassback: communityBody(com).AntiPassback,
		Cursor: strconv.FormatInt(after, 10), Revoked: []int64{}, Exhausted: []int64{}, MovedOutResidents: []int64{},
		More: len(changes) == syncPage, ServerTime: s.Now().UTC()}
	for _, ch := range changes {
		switch ch.Kind {
		case gatehouse.PassRevoked:
			out.Revoked = append(out.Revoked, ch.SubjectID)
		case gatehouse.PassExhausted:
			out.Exhausted = append(out.Exhausted, ch.SubjectID)
		case gatehouse.ChangeMovedOut:
			out.MovedOutResidents = append(out.MovedOutResidents, ch.SubjectID)
		}
		out.Cursor = strconv.FormatInt(ch.ID, 10)
	}
	if len(changes) == 0 && after == 0 {
		last, err := s.Store.LastCodeChange(c.Request.Context(), pr.CommunityID)
		if err != nil {
			s.fail(c, err)
			return
		}
		out.Cursor = strconv.FormatInt(last, 10)
	}
	cards, err := s.cards.ForGate(c.Request.Context(), pr.CommunityID, changes, after == 0 || c.Query("cards") == "all")
	if err != nil {
		s.fail(c, err)
		return
	}
	out.Cards, out.CardsRemoved, out.CardsComplete = make([]syncCard, len(cards.Live)), make([]syncRemovedCard, len(cards.Removed)), cards.Complete
	for i, k := range cards.Live {
		out.Cards[i] = syncCard{ID: k.ID, Number: k.Number, ResidentID: k.ResidentID, ValidFrom: k.ValidFrom, ValidUntil: k.ValidUntil}
	}
	for i, k := range cards.Removed {
		out.CardsRemoved[i] = syncRemovedCard{ID: k.ID, Number: k.Number}
	}
	ring := s.Engine.Keys()
	cur := ring.CurrentID()
	for _, k := range ring.Keys() {
		out.Keys = append(out.Keys, keyResponse{KeyID: k.ID, Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(k.Public),
			Current: k.ID == cur, CreatedAt: k.CreatedAt})
	}
	c.JSON(200, out)
}

type eventsRequest struct {
	Events []json.RawMessage `json:"events"`
}

type offlineEvent struct {
	EventID    string              `json:"event_id"`
	Code       string              `json:"code"`
	Direction  gatehouse.Direction `json:"direction"`
	OccurredAt string              `json:"occurred_at"`
	Decision   gatehouse.Decision  `json:"decision"`
	Method     gatehouse.Method    `json:"method"` // "card" for a swipe the controller decided
	Card       string              `json:"card"`   // the card's number, with method "card"
}

type eventsResponse struct {
	Recorded   []string           `json:"recorded"`
	Duplicates []string           `json:"duplicates"`
	Rejected   []access.Rejection `json:"rejected"`
}

// uploadEvents logs a batch of offline decisions, each exactly once. A
// malformed event is rejected by its index with the reason; the rest are
// recorded.
func (s *Server) uploadEvents(c *gin.Context) {
	pr, err := s.deviceGate(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req eventsRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if len(req.Events) > access.MaxOfflineBatch {
		s.fail(c, gatehouse.FieldError("events", fmt.Sprintf("send at most %d events at a time", access.MaxOfflineBatch)))
		return
	}
	var good []gatehouse.OfflineEvent
	var index []int
	var rejected []access.Rejection
	for i, raw := range req.Events {
		var ev offlineEvent
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			rejected = append(rejected, access.Rejection{Index: i, Reason: gatehouse.ErrorMessage(jsonError(err))})
			continue
		}
		t, err := time.Parse(time.RFC3339, ev.OccurredAt)
		if err != nil {
			rejected = append(rejected, access.Rejection{Index: i, EventID: ev.EventID, Reason: "occurred_at: must be an RFC 3339 time"})
			continue
		}
		good = append(good, gatehouse.OfflineEvent{EventID: ev.EventID, Code: ev.Code, Direction: ev.Direction, OccurredAt: t, Decision: ev.Decision,
			Method: ev.Method, Card: ev.Card})
		index = append(index, i)
	}
	res, err := s.Engine.Offline(c.Request.Context(), pr.CommunityID, pr.GateID, good)
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, r := range res.Rejected {
		r.Index = index[r.Index]
		rejected = append(rejected, r)
	}
	if rejected == nil {
		rejected = []access.Rejection{}
	}
	sort.Slice(rejected, func(i, j int) bool { return rejected[i].Index < rejected[j].Index })
	c.JSON(200, eventsResponse{Recorded: res.Recorded, Duplicates: res.Duplicates, Rejected: rejected})
}

// liveEvent is one decision on a live stream.
type liveEvent struct {
	EntryID          int64               `json:"entry_id"`
	CommunityID      int64               `json:"community_id"`
	GateID           int64               `json:"gate_id,omitempty"`
	PassID           int64               `json:"pass_id,omitempty"`
	Direction        gatehouse.Direction `json:"direction"`
	Decision         gatehouse.Decision  `json:"decision"`
	Reason           gatehouse.Reason    `json:"reason"`
	Method           gatehouse.Method    `json:"method"`
	PersonName       string              `json:"person_name"`
	Plate            string              `json:"plate,omitempty"`
	Note             string              `json:"note,omitempty"`
	Host             *hostResponse       `json:"host,omitempty"`
	Resident         *hostResponse       `json:"resident,omitempty"`
	RemainingEntries *int                `json:"remaining_entries,omitempty"`
	OccurredAt       time.Time           `json:"occurred_at"`
}

// live streams decisions as Server-Sent Events: every decision of the
// community for guards and managers, the arrivals of its household's guests
// for a resident. Browsers' EventSource cannot send headers, so this route
// also takes the token as ?access_token=.
func (s *Server) live(c *gin.Context) {
	pr := principal(c)
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if pr.Role == gatehouse.RoleResident && cid == 0 {
		cid = pr.Household.CommunityID
	}
	if cid == 0 {
		s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "community_id: is required", Fields: map[string]string{"community_id": "is required"}})
		return
	}
	if !pr.InCommunity(cid) {
		s.fail(c, gatehouse.NotFound("community"))
		return
	}
	var filter func(*gatehouse.DecisionEvent) bool
	if pr.Role == gatehouse.RoleResident {
		home := *pr.Household
		filter = func(ev *gatehouse.DecisionEvent) bool {
			return ev.Host != nil && ev.Host.Household() == home && ev.Entry.Direction == gatehouse.In && ev.Entry.Decision == gatehouse.Grant
		}
	}
	// Each stream holds a connection: an account keeps its newest few, and
	// the server refuses streams past its limit rather than run out of files.
	sub, stop, err := s.Hub.Subscribe(pr.UserID, cid, filter)
	if err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.ERATELIMITED {
			c.Header("Retry-After", strconv.Itoa(int(events.StreamRetryAfter.Seconds())))
		}
		s.fail(c, err)
		return
	}
	defer stop()
	// A stream outlives the server's write timeout.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(200)
	fmt.Fprint(c.Writer, ": connected\n\n")
	c.Writer.Flush()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	ctx := c.Request.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		case <-sub.Gone():
			// A newer stream of this account took this one's place; the
			// browser is asked not to reconnect at once (and so replace it).
			fmt.Fprint(c.Writer, "retry: 60000\nevent: closed\ndata: {\"reason\":\"replaced\"}\n\n")
			c.Writer.Flush()
			return
		case <-heartbeat.C:
			// The stream lives only as long as the session: a disabled user or
			// a resident who moved out stops receiving at the next heartbeat.
			if u, _, err := s.Store.SessionUser(ctx, c.GetString(ctxToken)); err != nil || u.Disabled {
				return
			}
			fmt.Fprint(c.Writer, ": heartbeat\n\n")
		case ev := <-sub.C:
			e := ev.Entry
			b, _ := json.Marshal(liveEvent{EntryID: e.ID, CommunityID: e.CommunityID, GateID: e.GateID, PassID: e.PassID,
				Direction: e.Direction, Decision: e.Decision, Reason: e.Reason, Method: e.Method, PersonName: e.PersonName,
				Plate: e.Plate, Note: e.Note, Host: hostBody(ev.Host), Resident: hostBody(ev.Resident),
				RemainingEntries: ev.RemainingEntries, OccurredAt: e.OccurredAt})
			fmt.Fprintf(c.Writer, "id: %d\nevent: decision\ndata: %s\n\n", e.ID, b)
		}
		c.Writer.Flush()
	}
}
