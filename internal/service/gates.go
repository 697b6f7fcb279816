package service

import (
	"context"
	"strings"

	"gatehouse/internal/gatehouse"
)

// GateStore is what managing gates needs of storage.
type GateStore interface {
	CommunityReader
	CreateGate(ctx context.Context, g *gatehouse.Gate, keyHash string) error
	Gate(ctx context.Context, id int64) (*gatehouse.Gate, error)
	Gates(ctx context.Context, communityIDs []int64, page gatehouse.Page) ([]*gatehouse.Gate, int64, error)
	UpdateGate(ctx context.Context, id int64, p gatehouse.GatePatch) (*gatehouse.Gate, error)
}

// Gates manages a community's gates and their device keys: managers and
// admin change them, guards read them.
type Gates struct {
	Store GateStore
	// NewKey makes a device key, its stored hash and the prefix shown in lists.
	NewKey func() (key, hash, prefix string)
	// NewCameraToken makes the secret of a camera's push URL and its stored
	// hash; nil: a device key serves.
	NewCameraToken func() (token, hash string)
	// CameraVendor reports whether a vendor's push is understood; nil: none is.
	CameraVendor func(vendor string) bool
}

func mayManageGates(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only managers and admin create and change gates")
	}
	return nil
}

// Create adds a gate to a community in scope and returns its device key,
// shown this once.
func (s *Gates) Create(ctx context.Context, pr *gatehouse.Principal, communityID int64, name string) (*gatehouse.Gate, string, error) {
	if err := mayManageGates(pr); err != nil {
		return nil, "", err
	}
	var p gatehouse.Problems
	p.Check(communityID > 0, "community_id", "is required")
	if msg := gatehouse.ValidateGateName(name); msg != "" {
		p.Add("name", msg)
	}
	if err := p.Err(); err != nil {
		return nil, "", err
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, communityID); err != nil {
		return nil, "", err
	}
	key, hash, prefix := s.NewKey()
	g := &gatehouse.Gate{CommunityID: communityID, Name: strings.TrimSpace(name), KeyPrefix: prefix}
	if err := s.Store.CreateGate(ctx, g, hash); err != nil {
		return nil, "", err
	}
	return g, key, nil
}

// Get is a gate of a community in scope (staff), else ENOTFOUND.
func (s *Gates) Get(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Gate, error) {
	if err := mayReadGates(pr); err != nil {
		return nil, err
	}
	g, err := s.Store.Gate(ctx, id)
	if err != nil {
		return nil, err
	}
	if !pr.InCommunity(g.CommunityID) {
		return nil, gatehouse.NotFound("gate")
	}
	return g, nil
}

func mayReadGates(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleGuard && pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only guards, managers and admin read gates")
	}
	return nil
}

// List is the gates of the communities in scope.
func (s *Gates) List(ctx context.Context, pr *gatehouse.Principal, communityID int64, page gatehouse.Page) ([]*gatehouse.Gate, int64, error) {
	if err := mayReadGates(pr); err != nil {
		return nil, 0, err
	}
	return s.Store.Gates(ctx, pr.ScopeCommunities(communityID), page)
}

// Update renames, disables or enables a gate.
func (s *Gates) Update(ctx context.Context, pr *gatehouse.Principal, id int64, name *string, disabled *bool) (*gatehouse.Gate, error) {
	if err := mayManageGates(pr); err != nil {
		return nil, err
	}
	g, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if name != nil {
		if msg := gatehouse.ValidateGateName(*name); msg != "" {
			return nil, gatehouse.FieldError("name", msg)
		}
		n := strings.TrimSpace(*name)
		name = &n
	}
	return s.Store.UpdateGate(ctx, g.ID, gatehouse.GatePatch{Name: name, Disabled: disabled})
}

// RotateKey issues a gate a new device key, shown this once; the old one
// stops working at once.
func (s *Gates) RotateKey(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Gate, string, error) {
	if err := mayManageGates(pr); err != nil {
		return nil, "", err
	}
	g, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, "", err
	}
	key, hash, prefix := s.NewKey()
	g, err = s.Store.UpdateGate(ctx, g.ID, gatehouse.GatePatch{KeyHash: &hash, KeyPrefix: &prefix})
	if err != nil {
		return nil, "", err
	}
	return g, key, nil
}
