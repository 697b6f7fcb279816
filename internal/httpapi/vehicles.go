package httpapi

import (
	"io"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/lpr"
	"gatehouse/internal/service"
)

// cameraTokenPrefix marks a camera push URL's secret.
const cameraTokenPrefix = "ghc_"

// newCameraToken returns a fresh camera push token and its stored hash.
func newCameraToken() (token, hash string) { return newSecret(cameraTokenPrefix) }

type vehicleRequest struct {
	Plate      string `json:"plate"`
	PlateColor string `json:"plate_color"`
	Label      string `json:"label"`
	ValidUntil string `json:"valid_until"`
}

type vehicleResponse struct {
	ID          int64                `json:"id"`
	CommunityID int64                `json:"community_id"`
	ResidentID  int64                `json:"resident_id"`
	Plate       string               `json:"plate"`
	PlateColor  gatehouse.PlateColor `json:"plate_color,omitempty"`
	Label       string               `json:"label"`
	ValidUntil  *time.Time           `json:"valid_until,omitempty"`
	CreatedAt   time.Time            `json:"created_at"`
}

func vehicleBody(v *gatehouse.Vehicle) vehicleResponse {
	return vehicleResponse{ID: v.ID, CommunityID: v.CommunityID, ResidentID: v.ResidentID, Plate: v.Plate, PlateColor: v.PlateColor,
		Label: v.Label, ValidUntil: v.ValidUntil, CreatedAt: v.CreatedAt}
}

func (s *Server) createVehicle(c *gin.Context) {
	var req vehicleRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	rid, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.vehicles.Create(c.Request.Context(), principal(c), rid,
		service.VehicleInput{Plate: req.Plate, PlateColor: req.PlateColor, Label: req.Label, ValidUntil: req.ValidUntil})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, vehicleBody(v))
}

func (s *Server) listVehicles(c *gin.Context) {
	rid, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return
	}
	vs, err := s.vehicles.List(c.Request.Context(), principal(c), rid)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]vehicleResponse, len(vs))
	for i, v := range vs {
		out[i] = vehicleBody(v)
	}
	c.JSON(200, gin.H{"items": out})
}

func (s *Server) deleteVehicle(c *gin.Context) {
	id, err := idParam(c, "id", "vehicle")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.vehicles.Delete(c.Request.Context(), principal(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}

type watchPlateRequest struct {
	CommunityID int64  `json:"community_id"`
	Plate       string `json:"plate"`
	Reason      string `json:"reason"`
}

type watchedPlateResponse struct {
	ID          int64     `json:"id"`
	CommunityID int64     `json:"community_id"`
	Plate       string    `json:"plate"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
}

func watchedPlateBody(w *gatehouse.WatchedPlate) watchedPlateResponse {
	return watchedPlateResponse{ID: w.ID, CommunityID: w.CommunityID, Plate: w.Plate, Reason: w.Reason, CreatedAt: w.CreatedAt}
}

func (s *Server) watchPlate(c *gin.Context) {
	var req watchPlateRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.vehicles.Watch(c.Request.Context(), principal(c), req.CommunityID, req.Plate, req.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, watchedPlateBody(w))
}

func (s *Server) listWatchedPlates(c *gin.Context) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	ws, err := s.vehicles.Watched(c.Request.Context(), principal(c), cid)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]watchedPlateResponse, len(ws))
	for i, w := range ws {
		out[i] = watchedPlateBody(w)
	}
	c.JSON(200, gin.H{"items": out})
}

func (s *Server) unwatchPlate(c *gin.Context) {
	id, err := idParam(c, "id", "watched plate")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.vehicles.Unwatch(c.Request.Context(), principal(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}

type admitPlateRequest struct {
	GateID         int64  `json:"gate_id"`
	Plate          string `json:"plate"`
	HostResidentID int64  `json:"host_resident_id"`
	Purpose        string `json:"purpose"`
}

type admissionResponse struct {
	ID             int64     `json:"id"`
	CommunityID    int64     `json:"community_id"`
	GateID         int64     `json:"gate_id"`
	Plate          string    `json:"plate"`
	HostResidentID int64     `json:"host_resident_id"`
	Purpose        string    `json:"purpose"`
	ValidUntil     time.Time `json:"valid_until"`
}

// admitPlate is the guard's one-tap 登记放行 of a plate the camera did not know.
func (s *Server) admitPlate(c *gin.Context) {
	var req admitPlateRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.vehicles.Admit(c.Request.Context(), principal(c),
		service.AdmitInput{GateID: req.GateID, Plate: req.Plate, HostResidentID: req.HostResidentID, Purpose: req.Purpose})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, admissionResponse{ID: a.ID, CommunityID: a.CommunityID, GateID: a.GateID, Plate: a.Plate,
		HostResidentID: a.HostResidentID, Purpose: a.Purpose, ValidUntil: a.ValidUntil})
}

// plateMatches lists the community's plates a read could be a misread of.
func (s *Server) plateMatches(c *gin.Context) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	plate := gatehouse.NormalizePlate(c.Query("plate"))
	ms, err := s.vehicles.Matches(c.Request.Context(), principal(c), cid, plate)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, gin.H{"plate": plate, "matches": ms})
}

// cameraPush takes one recognition a licence-plate camera pushed, in its
// vendor's protocol, and answers in it: the answer opens the barrier or not.
// The camera cannot send headers: the token in the path names its gate.
func (s *Server) cameraPush(c *gin.Context) {
	vendor := c.Param("vendor")
	adapter, ok := lpr.Lookup(vendor)
	if !ok {
		s.fail(c, gatehouse.Errorf(gatehouse.ENOTFOUND, "no camera has this push URL (was its token rotated?)"))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, jsonError(err))
		return
	}
	if p, ok := adapter.(lpr.Poller); ok {
		if serial, ok := p.Poll(body, c.GetHeader("Content-Type")); ok {
			again, err := s.cameras.Poll(c.Request.Context(), vendor, secretHash(c.Param("token")), serial)
			if err != nil {
				s.fail(c, err)
				return
			}
			ct, out := p.PollAnswer(again)
			c.Data(200, ct, out)
			return
		}
	}
	read, err := adapter.Read(body)
	if err != nil {
		s.fail(c, err)
		return
	}
	ans, err := s.cameras.Push(c.Request.Context(), vendor, secretHash(c.Param("token")), read)
	if err != nil {
		s.fail(c, err)
		return
	}
	ct, out := adapter.Answer(read, ans.Open)
	c.Data(200, ct, out)
}
