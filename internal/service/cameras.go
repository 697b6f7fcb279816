package service

import (
	"context"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
)

// GateChange is a PATCH of a gate: nil fields stay.
type GateChange struct {
	Name     *string
	Disabled *bool
	Kind     *string
	Camera   *CameraInput // a vehicle gate's camera
}

// CameraInput registers a licence-plate camera: the vendor whose push it
// speaks, its serial number, and its lane's direction (in by default).
type CameraInput struct {
	Vendor string
	Serial string
	Lane   string
}

// Change renames, disables, enables a gate, sets its kind and registers its
// camera. The first camera registered gets its push URL's token, returned
// this once (""otherwise); later ones keep theirs (RotateCameraToken).
func (s *Gates) Change(ctx context.Context, pr *gatehouse.Principal, id int64, in GateChange) (*gatehouse.Gate, string, error) {
	if err := mayManageGates(pr); err != nil {
		return nil, "", err
	}
	g, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, "", err
	}
	patch := gatehouse.GatePatch{Disabled: in.Disabled}
	var probs gatehouse.Problems
	if in.Name != nil {
		if msg := gatehouse.ValidateGateName(*in.Name); msg != "" {
			probs.Add("name", msg)
		}
		n := strings.TrimSpace(*in.Name)
		patch.Name = &n
	}
	kind := g.Kind
	if in.Kind != nil {
		kind = gatehouse.GateKind(strings.TrimSpace(*in.Kind))
		probs.Check(kind == gatehouse.GatePedestrian || kind == gatehouse.GateVehicle, "kind", `must be "pedestrian" or "vehicle"`)
		patch.Kind = &kind
	}
	if c := in.Camera; c != nil {
		patch.Camera = s.camera(&probs, c)
		probs.Check(kind == gatehouse.GateVehicle, "camera", `only a vehicle gate has a camera: set kind to "vehicle"`)
	}
	if err := probs.Err(); err != nil {
		return nil, "", err
	}
	token := ""
	if patch.Camera != nil && (g.Camera == nil || !g.Camera.TokenSet) {
		var hash string
		token, hash = s.cameraToken()
		patch.CameraToken = &hash
	}
	g, err = s.Store.UpdateGate(ctx, g.ID, patch)
	if err != nil {
		return nil, "", err
	}
	return g, token, nil
}

// camera checks a camera's registration.
func (s *Gates) camera(probs *gatehouse.Problems, c *CameraInput) *gatehouse.Camera {
	cam := &gatehouse.Camera{Vendor: strings.TrimSpace(c.Vendor), Serial: strings.TrimSpace(c.Serial), Lane: gatehouse.Direction(strings.TrimSpace(c.Lane))}
	if cam.Lane == "" {
		cam.Lane = gatehouse.In
	}
	probs.Check(s.CameraVendor != nil && s.CameraVendor(cam.Vendor), "camera.vendor", "is not a camera vendor this server understands (vzenith)")
	if msg := gatehouse.ValidateCameraSerial(cam.Serial); msg != "" {
		probs.Add("camera.serial", msg)
	}
	probs.Check(cam.Lane.Valid(), "camera.lane", `must be "in" (an entry lane) or "out" (an exit lane)`)
	return cam
}

func (s *Gates) cameraToken() (token, hash string) {
	if s.NewCameraToken != nil {
		return s.NewCameraToken()
	}
	token, hash, _ = s.NewKey()
	return token, hash
}

// RotateCameraToken issues a vehicle gate's camera a new push URL token,
// shown this once: the old URL stops working at once.
func (s *Gates) RotateCameraToken(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Gate, string, error) {
	if err := mayManageGates(pr); err != nil {
		return nil, "", err
	}
	g, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, "", err
	}
	if g.Kind != gatehouse.GateVehicle || g.Camera == nil {
		return nil, "", gatehouse.Errorf(gatehouse.ECONFLICT, "this gate has no camera: register one first (kind vehicle, camera vendor and serial)")
	}
	token, hash := s.cameraToken()
	g, err = s.Store.UpdateGate(ctx, g.ID, gatehouse.GatePatch{CameraToken: &hash})
	if err != nil {
		return nil, "", err
	}
	return g, token, nil
}

// CameraStore finds the gate a camera's push URL names, and the guards'
// admissions waiting at it.
type CameraStore interface {
	GateByCameraToken(ctx context.Context, hash string) (*gatehouse.Gate, error)
	PendingAdmissions(ctx context.Context, gateID int64, since time.Time) ([]int64, error)
}

// PlateEngine decides plates at vehicle gates.
type PlateEngine interface {
	Plate(ctx context.Context, req access.PlateRequest) (*access.PlateOutcome, error)
}

// Cameras takes the plates licence-plate cameras push. A camera cannot send
// our headers: its URL's secret token names its gate, and the serial number
// in every push must be the one registered to that gate.
type Cameras struct {
	Store  CameraStore
	Engine PlateEngine
	Now    func() time.Time

	asked sync.Map // admission id -> true: the camera was asked to read again for it
}

// ReadAgainWithin is how recent a guard's admission must be for the gate's
// camera to be asked, at its next poll, to read the waiting car again.
const ReadAgainWithin = 2 * time.Minute

// PlateAnswer is what the camera is told.
type PlateAnswer struct {
	Open    bool                 // raise the barrier
	Outcome *access.PlateOutcome // nil when the camera read no plate (nothing is logged)
}

// Push decides a plate a camera read. An unknown token, or a camera of
// another vendor, is not found (404); a serial number other than the
// gate's is refused (401). Nothing is logged for either.
func (s *Cameras) Push(ctx context.Context, vendor, tokenHash string, read gatehouse.PlateRead) (*PlateAnswer, error) {
	g, err := s.camera(ctx, vendor, tokenHash, read.Serial)
	if err != nil {
		return nil, err
	}
	if read.Plate == "" || gatehouse.ValidatePlate(read.Plate) != "" {
		return &PlateAnswer{}, nil // no plate seen (无牌车): the guard decides by the camera's picture
	}
	out, err := s.Engine.Plate(ctx, access.PlateRequest{CommunityID: g.CommunityID, GateID: g.ID, Direction: g.Camera.Lane, Read: read})
	if err != nil {
		return nil, err
	}
	return &PlateAnswer{Open: out.Entry.Decision == gatehouse.Grant && !read.Offline, Outcome: out}, nil
}

// camera is the vehicle gate a push URL names, if the push's serial number
// is its camera's: an unknown token or another vendor is not found, another
// serial unauthorized.
func (s *Cameras) camera(ctx context.Context, vendor, tokenHash, serial string) (*gatehouse.Gate, error) {
	g, err := s.Store.GateByCameraToken(ctx, tokenHash)
	if gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED || (err == nil && (g.Camera == nil || g.Camera.Vendor != vendor)) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "no camera has this push URL (was its token rotated?)")
	} else if err != nil {
		return nil, err
	}
	if serial != g.Camera.Serial {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "this camera's serial number is not the one registered to the gate")
	}
	return g, nil
}

// Poll answers a camera's poll: read again (once per admission) when a
// guard admitted a car at its gate within ReadAgainWithin and the car's
// read has not used it yet, so that the car waiting at the barrier is read
// anew and let in without backing up.
func (s *Cameras) Poll(ctx context.Context, vendor, tokenHash, serial string) (readAgain bool, err error) {
	g, err := s.camera(ctx, vendor, tokenHash, serial)
	if err != nil {
		return false, err
	}
	ids, err := s.Store.PendingAdmissions(ctx, g.ID, s.Now().Add(-ReadAgainWithin))
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		if _, asked := s.asked.LoadOrStore(id, true); !asked {
			readAgain = true
		}
	}
	return readAgain, nil
}
