package service_test

import (
	"context"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// Only admin and managers read accounts; a manager's list narrowed to a
// role it keeps holds only that role; a gate's key sees no account,
// whatever role it is given.
func TestWhoReadsAccountsAndByWhichRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for role, p := range map[string]*gatehouse.Principal{"guard": f.guard, "resident": f.resident, "police": f.police, "device": f.device} {
			_, err := f.users.Get(ctx, p, f.guard.UserID)
			wantCode(t, role+" reads an account", err, gatehouse.EFORBIDDEN)
		}
		if u, err := f.users.Get(ctx, f.manager, f.guard.UserID); err != nil || u.Username != "guard" {
			t.Errorf("the manager reads its guard: %+v %v", u, err)
		}
		for _, tc := range []struct {
			p    *gatehouse.Principal
			role gatehouse.Role
			want []string
		}{
			{f.manager, gatehouse.RoleGuard, []string{"guard"}},
			{f.manager, gatehouse.RoleResident, []string{"wangfang"}},
			{f.admin, gatehouse.RolePolice, []string{"police"}},
			{f.admin, gatehouse.RoleManager, []string{"mgr"}},
		} {
			list, _, err := f.users.List(ctx, tc.p, service.UserQuery{Role: tc.role}, gatehouse.Page{Limit: 50})
			var got []string
			for _, u := range list {
				got = append(got, u.Username)
			}
			if err != nil || len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("%s lists %s accounts: %v %v, want %v", tc.p.Role, tc.role, got, err, tc.want)
			}
		}
		gateWithARole := &gatehouse.Principal{Role: gatehouse.RoleAdmin, GateID: f.gateA.ID, CommunityID: f.a.ID}
		guardAccount := &gatehouse.User{Role: gatehouse.RoleGuard, Communities: []int64{f.a.ID}}
		if service.CanSeeUser(gateWithARole, guardAccount) || !service.CanSeeUser(f.admin, guardAccount) || !service.CanSeeUser(f.manager, guardAccount) {
			t.Error("CanSeeUser: a gate's key sees an account, or admin or the manager does not")
		}
	})
}
