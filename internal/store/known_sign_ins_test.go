package store_test

import (
	"context"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestKnownSignInsAreTheAccountsOwnAndAreForgotten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		owner := &gatehouse.User{Username: "owner", PasswordHash: "x", Role: gatehouse.RoleGuard}
		other := &gatehouse.User{Username: "other", PasswordHash: "x", Role: gatehouse.RoleGuard}
		for _, u := range []*gatehouse.User{owner, other} {
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		known := func(u *gatehouse.User, network string, devices []string, since time.Time) (bool, string) {
			t.Helper()
			k, d, err := db.KnownSignIn(ctx, u.ID, network, devices, since)
			if err != nil {
				t.Fatal(err)
			}
			return k, d
		}
		if err := db.RememberSignIn(ctx, owner.ID, "198.51.100.20", "dev-a", t0, t0.Add(-30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		// Signing in again from there renews the row, it does not add one.
		if err := db.RememberSignIn(ctx, owner.ID, "198.51.100.20", "dev-a", t0.Add(time.Hour), t0.Add(-30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if k, d := known(owner, "198.51.100.20", []string{"dev-x", "dev-a"}, t0.Add(30*time.Minute)); !k || d != "dev-a" {
			t.Fatalf("the owner's network and device: %v %q", k, d)
		}
		if k, d := known(owner, "198.51.100.21", nil, t0); k || d != "" {
			t.Fatalf("another network: %v %q", k, d)
		}
		if k, d := known(other, "198.51.100.20", []string{"dev-a"}, t0); k || d != "" {
			t.Fatalf("another account from the owner's network and device: %v %q", k, d)
		}
		if k, d := known(&gatehouse.User{}, "198.51.100.20", []string{"dev-a"}, t0); k || d != "" {
			t.Fatalf("user 0 (an unknown name): %v %q", k, d)
		}
		if k, _ := known(owner, "198.51.100.20", nil, t0.Add(2*time.Hour)); k {
			t.Fatal("a sign-in before since still counts")
		}
		// A sign-in 31 days later forgets the account's older ones.
		later := t0.Add(31 * 24 * time.Hour)
		if err := db.RememberSignIn(ctx, owner.ID, "2001:db8::/64", "", later, later.Add(-30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if k, d := known(owner, "198.51.100.20", []string{"dev-a"}, time.Time{}); k || d != "" {
			t.Fatalf("after 31 days the old network and device are still stored: %v %q", k, d)
		}
		if k, _ := known(owner, "2001:db8::/64", nil, later); !k {
			t.Fatal("the new network is not known")
		}
	})
}
