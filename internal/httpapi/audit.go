package httpapi

import (
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/i18n"
	"gatehouse/internal/service"
)

type auditResponse struct {
	ID          int64          `json:"id"`
	Seq         int64          `json:"seq"`
	ActorID     int64          `json:"actor_id"`
	ActorName   string         `json:"actor_name"`
	ActorRole   gatehouse.Role `json:"actor_role"`
	Action      string         `json:"action"`
	CommunityID int64          `json:"community_id,omitempty"`
	CaseRef     string         `json:"case_ref,omitempty"`
	Target      string         `json:"target,omitempty"`
	Detail      string         `json:"detail,omitempty"`
	// Target and detail in the client's language (Accept-Language): how
	// they read, while target and detail stay as recorded and hashed.
	TargetText string    `json:"target_text,omitempty"`
	DetailText string    `json:"detail_text,omitempty"`
	At         time.Time `json:"at"`
	Hash       string    `json:"hash"`
}

// listAudit shows who read or exported what, newest first, with filters.
func (s *Server) listAudit(c *gin.Context) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	q := service.AuditQuery{Action: c.Query("action"), CaseRef: c.Query("case_ref"), From: c.Query("from"), To: c.Query("to")}
	if q.ActorID, err = queryID(c, "actor_id"); err != nil {
		s.fail(c, err)
		return
	}
	if q.CommunityID, err = queryID(c, "community_id"); err != nil {
		s.fail(c, err)
		return
	}
	evs, next, err := s.audits.List(c.Request.Context(), principal(c), q, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Times in a detail are shown in the district's zone (that of new communities).
	loc, err := time.LoadLocation(s.DefaultTZ)
	if err != nil {
		loc = time.UTC
	}
	out := make([]auditResponse, len(evs))
	for i, a := range evs {
		out[i] = auditResponse{ID: a.ID, Seq: a.Seq, ActorID: a.ActorID, ActorName: a.ActorName, ActorRole: a.ActorRole, Action: a.Action,
			CommunityID: a.CommunityID, CaseRef: a.CaseRef, Target: a.Target, Detail: a.Detail, At: a.At, Hash: a.Hash}
		out[i].TargetText, out[i].DetailText = i18n.Audit(lang(c), loc, a.Target, a.Detail)
	}
	c.JSON(200, list(out, next))
}

func (s *Server) verifyAudit(c *gin.Context) {
	rep, err := s.audits.Verify(c.Request.Context(), principal(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, rep)
}
