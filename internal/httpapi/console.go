package httpapi

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

type walkInRequest struct {
	GateID         int64          `json:"gate_id"`
	HostResidentID int64          `json:"host_resident_id"`
	Visitor        visitorRequest `json:"visitor"`
	Purpose        string         `json:"purpose"`
	ValidUntil     string         `json:"valid_until"`
	MaxEntries     *int           `json:"max_entries"`
}

type walkInResponse struct {
	Pass  passResponse `json:"pass"`
	Entry scanResponse `json:"entry"`
}

func (v visitorRequest) input() service.VisitorInput {
	return service.VisitorInput{Name: v.Name, IDType: v.IDType, IDNumber: v.IDNumber, Phone: v.Phone, Plate: v.Plate}
}

// walkIn registers a walk-in visitor and lets them in, in one action: a
// pass for the gate's community (by default for the next 8 hours, one
// entry) and its first entry, granted with method walkin.
func (s *Server) walkIn(c *gin.Context) {
	var req walkInRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.console.WalkIn(c.Request.Context(), principal(c), service.WalkInInput{GateID: req.GateID, HostResidentID: req.HostResidentID,
		Visitor: req.Visitor.input(), Purpose: req.Purpose, ValidUntil: req.ValidUntil, MaxEntries: req.MaxEntries})
	if err != nil {
		s.fail(c, err)
		return
	}
	d := gatehouse.Disclose(principal(c), out.Pass.CommunityID, "pass:"+itoa(out.Pass.ID))
	pb, err := s.passBody(c, d, out.Pass)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respond(c, 201, walkInResponse{Pass: pb, Entry: scanBody(c, out)}, d)
}

type overrideRequest struct {
	GateID         int64               `json:"gate_id"`
	Direction      gatehouse.Direction `json:"direction"`
	Reason         string              `json:"reason"`
	PassID         int64               `json:"pass_id"`
	ResidentID     int64               `json:"resident_id"`
	Visitor        *visitorRequest     `json:"visitor"`
	HostResidentID int64               `json:"host_resident_id"`
}

// manualEntry logs a guard's override: a grant with the guard's reason,
// method manual and the guard's id.
func (s *Server) manualEntry(c *gin.Context) {
	var req overrideRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	in := service.OverrideInput{GateID: req.GateID, Direction: req.Direction, Reason: req.Reason, PassID: req.PassID,
		ResidentID: req.ResidentID, HostResidentID: req.HostResidentID}
	if req.Visitor != nil {
		v := req.Visitor.input()
		in.Visitor = &v
	}
	out, err := s.console.Override(c.Request.Context(), principal(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, scanBody(c, out))
}

type onsiteItem struct {
	Kind          string        `json:"kind"` // visitor, or vehicle (read in at a vehicle gate, by plate)
	Name          string        `json:"name"`
	IDNumber      string        `json:"id_number"`
	Plate         string        `json:"plate,omitempty"`
	Phone         string        `json:"phone,omitempty"`
	CommunityID   int64         `json:"community_id"`
	PassID        int64         `json:"pass_id,omitempty"`
	Host          *hostResponse `json:"host,omitempty"`
	Since         time.Time     `json:"since"`
	HoursOnSite   float64       `json:"hours_on_site"`
	OverThreshold bool          `json:"over_threshold"`
	EntryID       int64         `json:"entry_id"`
}

// onsite lists every visitor who entered and has not left, longest first:
// the guard's roll-call for an evacuation.
func (s *Server) onsite(c *gin.Context) {
	pr := principal(c)
	cid, err := communityQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, err := s.console.Onsite(c.Request.Context(), pr, cid)
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]onsiteItem, 0, len(rows))
	d := gatehouse.Disclose(pr, cid, "onsite")
	for _, o := range rows {
		if plate, car := gatehouse.PlateOfSubject(o.Subject); car {
			items = append(items, onsiteItem{Kind: "vehicle", Plate: plate, CommunityID: o.CommunityID, PassID: o.PassID, Host: hostBody(o.Host),
				Since: o.Since, HoursOnSite: o.Hours, OverThreshold: o.OverThreshold, EntryID: o.EntryID})
			continue
		}
		it := onsiteItem{Kind: "visitor", Name: o.Visitor.Name, Plate: o.Visitor.Plate, Phone: o.Visitor.Phone,
			CommunityID: o.CommunityID, PassID: o.PassID, Host: hostBody(o.Host), Since: o.Since,
			HoursOnSite: o.Hours, OverThreshold: o.OverThreshold, EntryID: o.EntryID}
		it.IDNumber, _ = d.ID(o.Visitor.IDNumber)
		items = append(items, it)
	}
	s.respond(c, 200, gin.H{"items": items}, d)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
