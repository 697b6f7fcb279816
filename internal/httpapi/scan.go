package httpapi

import (
	"encoding/base64"
	"errors"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/i18n"
	"gatehouse/internal/passcode"
	"gatehouse/internal/service"
)

type scanRequest struct {
	Code      string              `json:"code"`
	Direction gatehouse.Direction `json:"direction"`
	GateID    int64               `json:"gate_id"`
	EventID   string              `json:"event_id"` // optional: makes the scan idempotent
}

type personResponse struct {
	Name  string `json:"name"`
	Plate string `json:"plate,omitempty"`
}

type scanResponse struct {
	Decision         gatehouse.Decision  `json:"decision"`
	Reason           gatehouse.Reason    `json:"reason"`
	Message          string              `json:"message"`
	EntryID          int64               `json:"entry_id"`
	Direction        gatehouse.Direction `json:"direction"`
	GateID           int64               `json:"gate_id"`
	OccurredAt       time.Time           `json:"occurred_at"`
	PassID           int64               `json:"pass_id,omitempty"`
	Visitor          *personResponse     `json:"visitor,omitempty"`
	Host             *hostResponse       `json:"host,omitempty"`
	Resident         *hostResponse       `json:"resident,omitempty"`
	RemainingEntries *int                `json:"remaining_entries,omitempty"`
	ValidFrom        *time.Time          `json:"valid_from,omitempty"`
	ValidUntil       *time.Time          `json:"valid_until,omitempty"`
	EventID          string              `json:"event_id,omitempty"`
	Replayed         bool                `json:"replayed,omitempty"` // the event id was seen before: this is its decision
}

// reasonText says a reason in plain words, in English; scanBody gives them
// in the caller's language (the catalogue of internal/i18n).
var reasonText = map[gatehouse.Reason]string{
	gatehouse.Granted:         "Welcome.",
	gatehouse.InvalidCode:     "This is not a valid Gatehouse code.",
	gatehouse.UnknownPass:     "This pass does not exist.",
	gatehouse.NotYetValid:     "This pass is not valid yet.",
	gatehouse.Expired:         "This pass has expired.",
	gatehouse.Revoked:         "This pass was revoked.",
	gatehouse.Exhausted:       "This pass has no entries left.",
	gatehouse.WrongCommunity:  "This pass is for another community.",
	gatehouse.GateNotAllowed:  "This pass is not valid at this gate.",
	gatehouse.OutsideSchedule: "This pass is not valid at this time of day.",
	gatehouse.AntiPassback:    "Already inside (or not inside): anti-passback.",
	gatehouse.Watchlisted:     "This person is on the watchlist: call the property manager.",
	gatehouse.StaleCode:       "This code is too old: refresh it on the phone.",
	gatehouse.ManualOverride:  "Let in by a guard.",
}

func scanBody(c *gin.Context, o *access.Outcome) scanResponse {
	e := o.Entry
	b := scanResponse{Decision: e.Decision, Reason: e.Reason, Message: i18n.Text(lang(c), reasonText[e.Reason]), EntryID: e.ID, Direction: e.Direction,
		GateID: e.GateID, OccurredAt: e.OccurredAt, PassID: e.PassID, EventID: e.EventID, Replayed: o.Replayed}
	if p := o.Pass; p != nil {
		if p.Visitor != nil {
			b.Visitor = &personResponse{Name: p.Visitor.Name, Plate: p.Visitor.Plate}
		}
		b.Host = hostBody(p.Host)
		rem := p.Remaining()
		b.RemainingEntries = &rem
		from, until := p.ValidFrom, p.ValidUntil
		b.ValidFrom, b.ValidUntil = &from, &until
	}
	if r := o.Resident; r != nil {
		b.Resident = hostBody(r)
	}
	if o.Host != nil && o.Pass == nil {
		// An override of a visitor without a pass: whom and whose guest, as for a pass.
		b.Host = hostBody(o.Host)
		b.Visitor = &personResponse{Name: e.PersonName, Plate: e.Plate}
	}
	return b
}

// scan decides one code at one gate: a gate device scans at its own gate, a
// guard names the gate of the console. The answer is a decision (200) even
// for a bad code; only a malformed request is an error.
func (s *Server) scan(c *gin.Context) {
	start := time.Now()
	defer func() { s.Metrics.ScanTook(time.Since(start)) }()
	var req scanRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	in := service.ScanInput{Code: req.Code, Direction: req.Direction, EventID: req.EventID, GateID: req.GateID,
		GateEpoch: c.GetInt64(ctxGateEpoch), GateKeyHash: c.GetString(ctxToken)}
	out, sr, err := s.console.Scan(c.Request.Context(), s.Engine, principal(c), in)
	if err != nil {
		if errors.Is(err, access.ErrGateKeyRevoked) {
			s.gates.Remove(sr.GateKeyHash)
		}
		s.fail(c, err)
		return
	}
	if sr.CheckGate && out.Epoch != sr.GateEpoch {
		// The key was re-checked at this epoch: no need to again until it moves.
		s.gates.Add(sr.GateKeyHash, gateAuth{gateID: sr.GateID, communityID: sr.CommunityID, epoch: out.Epoch})
	}
	c.JSON(200, scanBody(c, out))
}

type keyResponse struct {
	KeyID     uint32    `json:"kid"`
	Algorithm string    `json:"alg"`
	PublicKey string    `json:"public_key"`
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
}

type keysResponse struct {
	Keys   []keyResponse `json:"keys"`
	Format string        `json:"format"`
}

// keys publishes the public keys that verify codes, for offline controllers.
func (s *Server) keys(c *gin.Context) {
	ring := s.Engine.Keys()
	cur := ring.CurrentID()
	out := keysResponse{Keys: []keyResponse{}, Format: passcode.Format}
	for _, k := range ring.Keys() {
		out.Keys = append(out.Keys, keyResponse{KeyID: k.ID, Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(k.Public),
			Current: k.ID == cur, CreatedAt: k.CreatedAt})
	}
	c.JSON(200, out)
}
