package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

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
	cid, filter, err := service.Watch(pr, cid)
	if err != nil {
		s.fail(c, err)
		return
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
	s.Hub.WatchVisits(sub, service.WatchVisits(pr))
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
	resident := pr.Role == gatehouse.RoleResident
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
			// The stream lives only as long as the session and the household
			// it was opened for: a disabled user, a resident who moved out or
			// moved to another dwelling stops receiving at the next heartbeat
			// (the browser reconnects as what the account is now).
			if !s.stillWatching(ctx, c.GetString(ctxToken), pr) {
				return
			}
			fmt.Fprint(c.Writer, ": heartbeat\n\n")
		case ev := <-sub.V:
			if resident && !s.stillWatching(ctx, c.GetString(ctxToken), pr) {
				return
			}
			fmt.Fprintf(c.Writer, "event: visit_request\ndata: %s\n\n", liveVisitEvent(pr, ev))
		case ev := <-sub.C:
			// A resident's events are its household's: each is checked against
			// where the resident lives now, before it is sent.
			if resident && !s.stillWatching(ctx, c.GetString(ctxToken), pr) {
				return
			}
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

// stillWatching reports whether the stream opened as pr may go on: its
// session is live, the account enabled, and a resident still lives where it
// did when the stream opened (service.StillWatching).
func (s *Server) stillWatching(ctx context.Context, token string, pr *gatehouse.Principal) bool {
	now, err := s.sessionPrincipal(ctx, token)
	return err == nil && service.StillWatching(pr, now)
}
