package main

import (
	"context"
	"strings"
	"testing"
)

// The command line creates accounts through the same service, and rules, as
// the API: a second admin only with --admin, a resident only for a present
// resident, a password that passes the policy.
func TestUserAddObeysTheServiceRules(t *testing.T) {
	vars := sqliteEnv(t)
	s := startServe(t, vars)
	if err := s.Stop(t); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	add := func(args ...string) error {
		return run(ctx, append([]string{"user", "add"}, args...), env(vars), &logBuffer{}, &logBuffer{})
	}
	vars["GATEHOUSE_NEW_PASSWORD"] = "second-admin-pass"
	if err := add("admin2", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "needs --admin") {
		t.Fatalf("a second admin without --admin: %v", err)
	}
	if err := add("admin2", "--role", "admin", "--admin"); err != nil {
		t.Fatalf("a second admin with --admin: %v", err)
	}
	if err := add("guard9", "--role", "guard"); err == nil || !strings.Contains(err.Error(), "community_ids") {
		t.Fatalf("a guard of no community: %v", err)
	}
	if err := add("guard9", "--role", "guard", "--communities", "7"); err == nil || !strings.Contains(err.Error(), "community") {
		t.Fatalf("a guard of a community that does not exist: %v", err)
	}
	if err := add("res9", "--role", "resident", "--resident", "99"); err == nil || !strings.Contains(err.Error(), "resident") {
		t.Fatalf("a resident account of no resident: %v", err)
	}
	vars["GATEHOUSE_NEW_PASSWORD"] = "password123"
	if err := add("police9", "--role", "police", "--communities", "1"); err == nil || !strings.Contains(err.Error(), "GATEHOUSE_NEW_PASSWORD: password") {
		t.Fatalf("a common password: %v", err)
	}
	if err := add("admin2", "--role", "admin", "--admin"); err == nil {
		t.Fatal("a taken username was accepted")
	}
	if err := run(ctx, []string{"user", "add", "--role", "admin"}, env(vars), &logBuffer{}, &logBuffer{}); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("user add without a name: %v", err)
	}
}
