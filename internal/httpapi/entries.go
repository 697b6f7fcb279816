package httpapi

import (
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

type entryResponse struct {
	ID             int64               `json:"id"`
	CommunityID    int64               `json:"community_id"`
	Seq            int64               `json:"seq"`
	GateID         int64               `json:"gate_id,omitempty"`
	GateName       string              `json:"gate_name,omitempty"`
	PassID         int64               `json:"pass_id,omitempty"`
	ResidentID     int64               `json:"resident_id,omitempty"`
	VisitorID      int64               `json:"visitor_id,omitempty"`
	Direction      gatehouse.Direction `json:"direction"`
	Decision       gatehouse.Decision  `json:"decision"`
	Reason         gatehouse.Reason    `json:"reason"`
	ServerDecision gatehouse.Decision  `json:"server_decision"`
	Method         gatehouse.Method    `json:"method"`
	GuardID        int64               `json:"guard_id,omitempty"`
	EventID        string              `json:"event_id,omitempty"`
	Note           string              `json:"note,omitempty"`
	PersonName     string              `json:"person_name"`
	IDNumber       string              `json:"id_number,omitempty"`
	IDMasked       bool                `json:"id_number_masked,omitempty"`
	Plate          string              `json:"plate,omitempty"`
	Host           *hostResponse       `json:"host,omitempty"`
	Erased         bool                `json:"erased,omitempty"`
	OccurredAt     time.Time           `json:"occurred_at"`
	RecordedAt     time.Time           `json:"recorded_at"`
	Hash           string              `json:"hash"`
}

// entryBodies turns entries into responses, with each person's ID number as
// the disclosure allows and each host's dwelling. Visitor ids are shown only
// with whole numbers: a visitor row is one per ID number, so to anyone else
// its id would confirm a guessed number (a walk-in with that number answers
// with the same id).
func (s *Server) entryBodies(c *gin.Context, d *gatehouse.Disclosure, entries []*gatehouse.Entry) ([]entryResponse, error) {
	ctx := c.Request.Context()
	var vids, rids, gids []int64
	for _, e := range entries {
		if e.GateID != 0 {
			gids = append(gids, e.GateID)
		}
		if e.VisitorID != 0 {
			vids = append(vids, e.VisitorID)
		}
		if e.ResidentID != 0 {
			rids = append(rids, e.ResidentID)
		}
		if e.HostResidentID != 0 {
			rids = append(rids, e.HostResidentID)
		}
	}
	visitors, err := s.Store.VisitorsByID(ctx, uniq(vids))
	if err != nil {
		return nil, err
	}
	residents, err := s.Store.ResidentsByID(ctx, uniq(rids))
	if err != nil {
		return nil, err
	}
	gates, err := s.Store.GateNames(ctx, uniq(gids))
	if err != nil {
		return nil, err
	}
	full := gatehouse.MaySeeWhole(principal(c))
	out := make([]entryResponse, len(entries))
	for i, e := range entries {
		b := entryResponse{ID: e.ID, CommunityID: e.CommunityID, Seq: e.Seq, GateID: e.GateID, GateName: gates[e.GateID], PassID: e.PassID, ResidentID: e.ResidentID,
			VisitorID: e.VisitorID, Direction: e.Direction, Decision: e.Decision, Reason: e.Reason, ServerDecision: e.ServerDecision,
			Method: e.Method, GuardID: e.GuardID, EventID: e.EventID, Note: e.Note, PersonName: e.PersonName, Plate: e.Plate,
			Erased: e.ErasedAt != nil, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Hash: e.Hash}
		if !full {
			b.VisitorID = 0
		}
		if e.ErasedAt == nil {
			if v := visitors[e.VisitorID]; v != nil && e.VisitorID != 0 {
				b.IDNumber, b.IDMasked = d.ID(v.IDNumber)
			} else if r := residents[e.ResidentID]; r != nil && e.ResidentID != 0 {
				b.IDNumber, b.IDMasked = d.ID(r.IDNumber)
			}
		}
		if h := residents[e.HostResidentID]; h != nil && e.HostResidentID != 0 {
			b.Host = hostBody(h)
		}
		out[i] = b
	}
	return out, nil
}

func (s *Server) listEntries(c *gin.Context) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cid, err := communityQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	q := service.EntryQuery{CommunityID: cid, From: c.Query("from"), To: c.Query("to"), IDNumber: c.Query("id_number"),
		Name: c.Query("name"), Plate: c.Query("plate"), Decision: c.Query("decision")}
	if q.GateID, err = queryID(c, "gate_id"); err != nil {
		s.fail(c, err)
		return
	}
	if q.PassID, err = queryID(c, "pass_id"); err != nil {
		s.fail(c, err)
		return
	}
	pr := principal(c)
	entries, next, err := s.entries.List(c.Request.Context(), pr, q, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	scope := pr.ScopeCommunities(cid)
	if len(scope) == 1 {
		cid = scope[0]
	}
	d := gatehouse.Disclose(pr, cid, "entries")
	out, err := s.entryBodies(c, d, entries)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respond(c, 200, list(out, next), d)
}

// verifyEntries checks the hash chains of the communities in scope (or one).
func (s *Server) verifyEntries(c *gin.Context) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.entries.Verify(c.Request.Context(), principal(c), cid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, rep)
}
