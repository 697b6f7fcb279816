package service_test

import (
	"context"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

const goodPassword = "门禁-correct-horse-42"

func int64p(n int64) *int64 { return &n }

// A manager keeps the guards and residents of its own communities, and only
// those; admin anything; the system principal an admin only when asked.
func TestWhoCreatesWhichAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		system := service.System()
		n := 0
		in := func(role gatehouse.Role, communities ...int64) service.UserInput {
			n++
			return service.UserInput{Username: "user" + string(rune('a'+n)) + "x", Password: goodPassword, Role: role, CommunityIDs: communities}
		}
		cases := []struct {
			what string
			by   *gatehouse.Principal
			in   service.UserInput
			want string
		}{
			{"a guard of its community", f.manager, in(gatehouse.RoleGuard, f.a.ID), "ok"},
			{"a guard of another company's community", f.manager, in(gatehouse.RoleGuard, f.b.ID), gatehouse.ENOTFOUND},
			{"a guard of its and another community", f.manager, in(gatehouse.RoleGuard, f.a.ID, f.b.ID), gatehouse.ENOTFOUND},
			{"a manager", f.manager, in(gatehouse.RoleManager, f.a.ID), gatehouse.EFORBIDDEN},
			{"a police officer", f.manager, in(gatehouse.RolePolice, f.a.ID), gatehouse.EFORBIDDEN},
			{"an admin", f.manager, in(gatehouse.RoleAdmin), gatehouse.EFORBIDDEN},
			{"a guard, by a guard", f.guard, in(gatehouse.RoleGuard, f.a.ID), gatehouse.EFORBIDDEN},
			{"a guard, by a gate", f.device, in(gatehouse.RoleGuard, f.a.ID), gatehouse.EFORBIDDEN},
			{"a manager of B", f.admin, in(gatehouse.RoleManager, f.b.ID), "ok"},
			{"police of A and B", f.admin, in(gatehouse.RolePolice, f.a.ID, f.b.ID), "ok"},
			{"an admin", f.admin, in(gatehouse.RoleAdmin), "ok"},
			{"an admin without --admin", system, in(gatehouse.RoleAdmin), gatehouse.EFORBIDDEN},
			{"an admin with --admin", system, service.UserInput{Username: "root2", Password: goodPassword, Role: gatehouse.RoleAdmin, Admin: true}, "ok"},
			{"a guard", system, in(gatehouse.RoleGuard, f.b.ID), "ok"},
			{"a guard of no community", system, in(gatehouse.RoleGuard, f.b.ID+100), gatehouse.ENOTFOUND},
		}
		for _, tc := range cases {
			u, err := f.users.Create(ctx, tc.by, tc.in)
			if outcome(err) != tc.want {
				t.Errorf("%s by %s: %s (%v), want %s", tc.what, tc.by.Username, outcome(err), err, tc.want)
				continue
			}
			if err == nil && (u.ID == 0 || u.PasswordHash != "plain:"+goodPassword || u.Role != tc.in.Role) {
				t.Errorf("%s: stored %+v", tc.what, u)
			}
		}
	})
}

func TestANewAccountIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		moved, err := f.residents.Create(ctx, f.manager, residentInput(f.a.ID, "搬走", "11010519491231002X", "701"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.residents.MoveOut(ctx, f.manager, moved.ID); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			what   string
			in     service.UserInput
			code   string
			fields []string
		}{
			{"a short name", service.UserInput{Username: "ab", Password: goodPassword, Role: gatehouse.RoleGuard, CommunityIDs: []int64{f.a.ID}},
				gatehouse.EINVALID, []string{"username"}},
			{"a name with a space", service.UserInput{Username: "li si", Password: goodPassword, Role: gatehouse.RoleGuard, CommunityIDs: []int64{f.a.ID}},
				gatehouse.EINVALID, []string{"username"}},
			{"a short password", service.UserInput{Username: "lisi", Password: "short", Role: gatehouse.RoleGuard, CommunityIDs: []int64{f.a.ID}},
				gatehouse.EINVALID, []string{"password"}},
			{"an unknown role", service.UserInput{Username: "lisi", Password: goodPassword, Role: "janitor"}, gatehouse.EINVALID, []string{"role"}},
			{"a guard of no community", service.UserInput{Username: "lisi", Password: goodPassword, Role: gatehouse.RoleGuard},
				gatehouse.EINVALID, []string{"community_ids"}},
			{"a guard who is a resident", service.UserInput{Username: "lisi", Password: goodPassword, Role: gatehouse.RoleGuard,
				CommunityIDs: []int64{f.a.ID}, ResidentID: &f.hostA.ID}, gatehouse.EINVALID, []string{"resident_id"}},
			{"an admin of a community", service.UserInput{Username: "lisi", Password: goodPassword, Role: gatehouse.RoleAdmin,
				CommunityIDs: []int64{f.a.ID}}, gatehouse.EINVALID, []string{"community_ids"}},
			{"a resident account of no resident", service.UserInput{Username: "lisi", Password: goodPassword, Role: gatehouse.RoleResident},
				gatehouse.EINVALID, []string{"resident_id"}},
			{"a resident account in another community", service.UserInput{Username: "lisi", Password: goodPassword, Role: gatehouse.RoleResident,
				ResidentID: &f.hostA.ID, CommunityIDs: []int64{f.b.ID}}, gatehouse.EINVALID, []string{"community_ids"}},
			{"a resident account of one who moved out", service.UserInput{Username: "lisi", Password: goodPassword, Role: gatehouse.RoleResident,
				ResidentID: &moved.ID}, gatehouse.ENOTFOUND, nil},
			{"a resident account of no such resident", service.UserInput{Username: "lisi", Password: goodPassword, Role: gatehouse.RoleResident,
				ResidentID: int64p(moved.ID + 1000)}, gatehouse.ENOTFOUND, nil},
		}
		for _, tc := range cases {
			u, err := f.users.Create(ctx, f.admin, tc.in)
			if u != nil {
				t.Errorf("%s: created %+v", tc.what, u)
			}
			wantProblems(t, tc.what, err, tc.code, tc.fields...)
		}
		// A manager cannot make an account of B's resident.
		_, err = f.users.Create(ctx, f.manager, service.UserInput{Username: "zhoujie", Password: goodPassword, Role: gatehouse.RoleResident, ResidentID: &f.hostB.ID})
		wantCode(t, "a manager making B's resident an account", err, gatehouse.ENOTFOUND)
		u, err := f.users.Create(ctx, f.manager, service.UserInput{Username: "zhaolei", Password: goodPassword, Role: gatehouse.RoleResident, ResidentID: &f.neighbourA.ID})
		if err != nil || u.ResidentID != f.neighbourA.ID || len(u.Communities) != 1 || u.Communities[0] != f.a.ID {
			t.Errorf("a resident account: %+v, %v", u, err)
		}
		_, err = f.users.Create(ctx, f.admin, service.UserInput{Username: "zhaolei", Password: goodPassword, Role: gatehouse.RoleGuard, CommunityIDs: []int64{f.a.ID}})
		wantCode(t, "a name taken", err, gatehouse.ECONFLICT)
	})
}

// A manager sees and changes only accounts whose every community is its
// own: never one that also opens another company's gates.
func TestAManagerSeesOnlyAccountsWhollyItsOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		mk := func(name string, role gatehouse.Role, communities ...int64) *gatehouse.User {
			u, err := f.users.Create(ctx, f.admin, service.UserInput{Username: name, Password: goodPassword, Role: role, CommunityIDs: communities})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		ours, both, theirs := mk("guard-a", gatehouse.RoleGuard, f.a.ID), mk("guard-ab", gatehouse.RoleGuard, f.a.ID, f.b.ID), mk("guard-b", gatehouse.RoleGuard, f.b.ID)
		for _, u := range []*gatehouse.User{both, theirs} {
			if _, err := f.users.Get(ctx, f.manager, u.ID); outcome(err) != gatehouse.ENOTFOUND {
				t.Errorf("the manager reads %s: %v", u.Username, err)
			}
			if _, err := f.users.Update(ctx, f.manager, u.ID, service.UserChange{Password: ptr("taken-over-2026")}); outcome(err) != gatehouse.ENOTFOUND {
				t.Errorf("the manager resets %s's password: %v", u.Username, err)
			}
			if _, err := f.users.ByUsername(ctx, f.manager, u.Username); outcome(err) != gatehouse.ENOTFOUND {
				t.Errorf("the manager finds %s by name: %v", u.Username, err)
			}
		}
		// Nor other managers, police or admin of its own community.
		for _, id := range []int64{f.manager.UserID, f.police.UserID, f.admin.UserID} {
			if _, err := f.users.Get(ctx, f.manager, id); outcome(err) != gatehouse.ENOTFOUND {
				t.Errorf("the manager reads account %d: %v", id, err)
			}
		}
		list, _, err := f.users.List(ctx, f.manager, service.UserQuery{}, gatehouse.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range list {
			names = append(names, u.Username)
		}
		if len(names) != 3 { // guard, wangfang, guard-a
			t.Errorf("the manager's list: %v, want guard, wangfang and guard-a", names)
		}
		for _, q := range []service.UserQuery{{Role: gatehouse.RolePolice}, {CommunityID: f.a.ID, Role: gatehouse.RoleManager}} {
			list, _, err := f.users.List(ctx, f.manager, q, gatehouse.Page{Limit: 50})
			if err != nil || len(list) != 0 {
				t.Errorf("the manager asking for %+v: %d, %v", q, len(list), err)
			}
		}
		_, _, err = f.users.List(ctx, f.manager, service.UserQuery{CommunityID: f.b.ID}, gatehouse.Page{})
		wantCode(t, "the manager listing B", err, gatehouse.ENOTFOUND)
		_, _, err = f.users.List(ctx, f.admin, service.UserQuery{Role: "janitor"}, gatehouse.Page{})
		wantProblems(t, "an unknown role", err, gatehouse.EBADREQUEST, "role")
		_, _, err = f.users.List(ctx, f.guard, service.UserQuery{}, gatehouse.Page{})
		wantCode(t, "a guard listing accounts", err, gatehouse.EFORBIDDEN)
		all, _, err := f.users.List(ctx, f.admin, service.UserQuery{CommunityID: f.b.ID}, gatehouse.Page{Limit: 50})
		if err != nil || len(all) != 2 {
			t.Errorf("admin's list of B: %d, %v; want guard-ab and guard-b", len(all), err)
		}
		got, err := f.users.Update(ctx, f.manager, ours.ID, service.UserChange{Password: ptr("a-new-one-2026")})
		if err != nil || got.PasswordHash != "plain:a-new-one-2026" {
			t.Errorf("the manager resets guard-a's password: %+v, %v", got, err)
		}
	})
}

// Nobody disables their own account; a weak new password is refused on its
// field.
func TestAnAccountIsChangedButNeverDisabledByItself(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		yes, no := true, false
		_, err := f.users.Update(ctx, f.admin, f.admin.UserID, service.UserChange{Disabled: &yes})
		wantProblems(t, "admin disabling itself", err, gatehouse.EINVALID, "disabled")
		if u, _ := db.User(ctx, f.admin.UserID); u.Disabled {
			t.Error("the admin disabled itself")
		}
		_, err = f.users.Update(ctx, f.admin, f.guard.UserID, service.UserChange{Password: ptr("guard")})
		wantProblems(t, "a weak password", err, gatehouse.EINVALID, "password")
		u, err := f.users.Update(ctx, f.manager, f.guard.UserID, service.UserChange{Disabled: &yes})
		if err != nil || !u.Disabled {
			t.Errorf("the manager disables its guard: %+v, %v", u, err)
		}
		u, err = f.users.Update(ctx, f.admin, f.admin.UserID, service.UserChange{Disabled: &no, Password: ptr("another-long-one")})
		if err != nil || u.Disabled || u.PasswordHash != "plain:another-long-one" {
			t.Errorf("admin changing its own password: %+v, %v", u, err)
		}
		// The operator on the server may disable any account.
		u, err = f.users.Update(ctx, service.System(), f.admin.UserID, service.UserChange{Disabled: &yes})
		if err != nil || !u.Disabled {
			t.Errorf("the system principal disables the admin: %+v, %v", u, err)
		}
		if _, err := f.users.Get(ctx, f.admin, f.admin.UserID+1000); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("no such account: %v", err)
		}
		if _, err := f.users.ByUsername(ctx, f.admin, "nobody"); outcome(err) != gatehouse.ENOTFOUND {
			t.Errorf("no such name: %v", err)
		}
	})
}
