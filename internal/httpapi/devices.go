package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
)

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

// syncGate tells an offline-capable controller what changed since its
// cursor: passes revoked or used up, residents moved out, residents' cards,
// and the keys.
func (s *Server) syncGate(c *gin.Context) {
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	var after int64
	if v := c.Query("cursor"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil {
			after = -1 // the service names the field
		}
	}
	sy, err := s.devices.Sync(c.Request.Context(), principal(c), id, after, c.Query("cards") == "all")
	if err != nil {
		s.fail(c, err)
		return
	}
	out := syncResponse{CommunityID: sy.Community.ID, TimeZone: sy.Community.TimeZone, AntiPassback: communityBody(principal(c), sy.Community).AntiPassback,
		Cursor: strconv.FormatInt(sy.Cursor, 10), Revoked: sy.Revoked, Exhausted: sy.Exhausted, MovedOutResidents: sy.MovedOut,
		More: sy.More, ServerTime: s.Now().UTC(), CardsComplete: sy.Cards.Complete,
		Cards: make([]syncCard, len(sy.Cards.Live)), CardsRemoved: make([]syncRemovedCard, len(sy.Cards.Removed))}
	for i, k := range sy.Cards.Live {
		out.Cards[i] = syncCard{ID: k.ID, Number: k.Number, ResidentID: k.ResidentID, ValidFrom: k.ValidFrom, ValidUntil: k.ValidUntil}
	}
	for i, k := range sy.Cards.Removed {
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
	id, err := idParam(c, "id", "gate")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req eventsRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
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
	res, err := s.devices.Upload(c.Request.Context(), principal(c), id, len(req.Events), good)
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
