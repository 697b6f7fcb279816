package service

import (
	"context"
	"slices"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/password"
)

// UserStore is what managing accounts needs of storage.
type UserStore interface {
	CommunityReader
	Resident(ctx context.Context, id int64) (*gatehouse.Resident, error)
	CreateUser(ctx context.Context, u *gatehouse.User) error
	User(ctx context.Context, id int64) (*gatehouse.User, error)
	UserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	Users(ctx context.Context, f gatehouse.UserFilter, page gatehouse.Page) ([]*gatehouse.User, int64, error)
	UpdateUser(ctx context.Context, id int64, p gatehouse.UserPatch) error
}

// PasswordHasher hashes new passwords.
type PasswordHasher interface {
	Hash(pw string) (string, error)
}

// Users manages accounts. Who may create which account is decided in
// Create: admin any; a manager guards and residents of its own communities;
// the command line (the system principal) any, an admin only when asked for
// one explicitly.
type Users struct {
	Store     UserStore
	Passwords PasswordHasher
}

// System is the principal of the command line on the server: the operator
// who holds the database and its keys.
func System() *gatehouse.Principal {
	return &gatehouse.Principal{Username: "system", Role: gatehouse.RoleAdmin, System: true}
}

// ManagedRoles are the accounts a manager keeps for its communities.
var ManagedRoles = []gatehouse.Role{gatehouse.RoleGuard, gatehouse.RoleResident}

// UserInput is a new account as typed.
type UserInput struct {
	Username, Password string
	Role               gatehouse.Role
	CommunityIDs       []int64
	ResidentID         *int64
	// Admin confirms that an admin account is meant, from the command line
	// (--admin): a second admin is never made by a slip of a flag.
	Admin bool
}

// Create makes an account.
func (s *Users) Create(ctx context.Context, pr *gatehouse.Principal, in UserInput) (*gatehouse.User, error) {
	if err := mayCreateAccount(pr, in); err != nil {
		return nil, err
	}
	var probs gatehouse.Problems
	if msg := gatehouse.ValidateUsername(in.Username); msg != "" {
		probs.Add("username", msg)
	}
	if msg := password.Validate(in.Password, in.Username); msg != "" {
		probs.Add("password", msg)
	}
	if !in.Role.Valid() {
		probs.Add("role", "must be one of admin, manager, guard, resident, police, district, street")
	}
	u := &gatehouse.User{Username: in.Username, Role: in.Role, Communities: uniq(in.CommunityIDs)}
	if u.Communities == nil {
		u.Communities = []int64{}
	}
	if err := s.scopeAccount(ctx, pr, in, u, &probs); err != nil {
		return nil, err
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	for _, id := range u.Communities {
		if _, err := scopedCommunity(ctx, s.Store, pr, id); err != nil {
			return nil, err
		}
	}
	hash, err := s.Passwords.Hash(in.Password)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = hash
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// mayCreateAccount is the rule for who creates which account: admin any; a
// manager guards and residents; the command line an admin only when asked
// for one explicitly.
func mayCreateAccount(pr *gatehouse.Principal, in UserInput) error {
	switch {
	case pr.IsGate(), pr.Role != gatehouse.RoleAdmin && pr.Role != gatehouse.RoleManager:
		return forbidden("only admin and managers create accounts")
	case pr.Role == gatehouse.RoleManager && in.Role.Valid() && !slices.Contains(ManagedRoles, in.Role):
		return forbidden("a manager creates only guard and resident accounts")
	case pr.System && in.Role == gatehouse.RoleAdmin && !in.Admin:
		return forbidden("an admin account from the command line needs --admin")
	}
	return nil
}

// scopeAccount sets what a role's account covers: an admin every community;
// a resident account its resident's community; the others the communities
// listed.
func (s *Users) scopeAccount(ctx context.Context, pr *gatehouse.Principal, in UserInput, u *gatehouse.User, probs *gatehouse.Problems) error {
	switch in.Role {
	case gatehouse.RoleAdmin:
		probs.Check(len(u.Communities) == 0, "community_ids", "an admin covers every community; leave it empty")
		probs.Check(in.ResidentID == nil, "resident_id", "only a resident account has a resident_id")
	case gatehouse.RoleDistrict:
		probs.Check(len(u.Communities) == 0, "community_ids", "a district account covers every community; leave it empty")
		probs.Check(in.ResidentID == nil, "resident_id", "only a resident account has a resident_id")
	case gatehouse.RoleResident:
		if in.ResidentID == nil {
			probs.Add("resident_id", "is required for a resident account")
			return nil
		}
		r, err := s.Store.Resident(ctx, *in.ResidentID)
		if err != nil || !pr.InCommunity(r.CommunityID) || r.MovedOutAt != nil {
			if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				return err
			}
			return gatehouse.NotFound("resident")
		}
		probs.Check(len(u.Communities) == 0 || (len(u.Communities) == 1 && u.Communities[0] == r.CommunityID),
			"community_ids", "a resident belongs to its own community only; leave it empty")
		u.Communities, u.ResidentID = []int64{r.CommunityID}, r.ID
	case gatehouse.RoleManager, gatehouse.RoleGuard, gatehouse.RolePolice, gatehouse.RoleStreet:
		probs.Check(len(u.Communities) > 0, "community_ids", "list at least one community")
		probs.Check(in.ResidentID == nil, "resident_id", "only a resident account has a resident_id")
	}
	return nil
}

// CanSeeUser is the rule for seeing and changing an account: admin all; a
// manager only guards and residents whose every community is its own, so
// that it cannot take over an account that also opens another company's
// gates.
func CanSeeUser(pr *gatehouse.Principal, u *gatehouse.User) bool {
	if pr.IsGate() {
		return false
	}
	if pr.Role == gatehouse.RoleAdmin {
		return true
	}
	if pr.Role != gatehouse.RoleManager || !slices.Contains(ManagedRoles, u.Role) || len(u.Communities) == 0 {
		return false
	}
	for _, c := range u.Communities {
		if !pr.InCommunity(c) {
			return false
		}
	}
	return true
}

func mayManageUsers(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleAdmin && pr.Role != gatehouse.RoleManager) {
		return forbidden("only admin and managers manage accounts")
	}
	return nil
}

// Get is an account the principal may see, else ENOTFOUND.
func (s *Users) Get(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.User, error) {
	if err := mayManageUsers(pr); err != nil {
		return nil, err
	}
	u, err := s.Store.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanSeeUser(pr, u) {
		return nil, gatehouse.NotFound("user")
	}
	return u, nil
}

// UserQuery narrows a list of accounts as a caller asks.
type UserQuery struct {
	CommunityID int64
	Role        gatehouse.Role
}

// List is the accounts the principal may see.
func (s *Users) List(ctx context.Context, pr *gatehouse.Principal, q UserQuery, page gatehouse.Page) ([]*gatehouse.User, int64, error) {
	if err := mayManageUsers(pr); err != nil {
		return nil, 0, err
	}
	f := gatehouse.UserFilter{}
	if pr.Role != gatehouse.RoleAdmin {
		f = gatehouse.UserFilter{CommunityIDs: pr.ScopeCommunities(0), Roles: ManagedRoles}
	}
	if q.CommunityID != 0 {
		if !pr.InCommunity(q.CommunityID) {
			return nil, 0, gatehouse.NotFound("community")
		}
		f.CommunityIDs = []int64{q.CommunityID}
	}
	if q.Role != "" {
		if !q.Role.Valid() {
			return nil, 0, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "role: unknown role", Fields: map[string]string{"role": "must be one of admin, manager, guard, resident, police, district, street"}}
		}
		if f.Roles != nil && !slices.Contains(f.Roles, q.Role) {
			return nil, 0, nil
		}
		f.Roles = []gatehouse.Role{q.Role}
	}
	users, next, err := s.Store.Users(ctx, f, page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*gatehouse.User, 0, len(users))
	for _, u := range users {
		if CanSeeUser(pr, u) {
			out = append(out, u)
		}
	}
	return out, next, nil
}

// UserChange changes an account; nil fields stay.
type UserChange struct {
	Password *string
	Disabled *bool
}

// Update sets an account's password or disables/enables it; nobody
// disables their own account.
func (s *Users) Update(ctx context.Context, pr *gatehouse.Principal, id int64, ch UserChange) (*gatehouse.User, error) {
	u, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	var patch gatehouse.UserPatch
	if ch.Password != nil {
		if msg := password.Validate(*ch.Password, u.Username); msg != "" {
			return nil, gatehouse.FieldError("password", msg)
		}
		h, err := s.Passwords.Hash(*ch.Password)
		if err != nil {
			return nil, err
		}
		patch.PasswordHash = &h
	}
	if ch.Disabled != nil {
		if *ch.Disabled && u.ID == pr.UserID && !pr.System {
			return nil, gatehouse.FieldError("disabled", "you cannot disable your own account")
		}
		patch.Disabled = ch.Disabled
	}
	if err := s.Store.UpdateUser(ctx, u.ID, patch); err != nil {
		return nil, err
	}
	return s.Store.User(ctx, u.ID)
}

// ByUsername is an account the principal may see, by its name.
func (s *Users) ByUsername(ctx context.Context, pr *gatehouse.Principal, username string) (*gatehouse.User, error) {
	u, err := s.Store.UserByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, pr, u.ID)
}
