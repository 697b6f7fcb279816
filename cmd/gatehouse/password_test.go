package main

import (
	"context"
	"strings"
	"testing"
)

func TestWeakAdminPasswordStopsTheFirstStart(t *testing.T) {
	vars := sqliteEnv(t)
	vars["GATEHOUSE_ADMIN_PASSWORD"] = "12345678"
	err := run(context.Background(), []string{"serve"}, env(vars), &logBuffer{}, &logBuffer{})
	if err == nil || err.Error() != "GATEHOUSE_ADMIN_PASSWORD: password must be at least 10 characters" {
		t.Fatalf("serve with admin password 12345678: %v", err)
	}
	vars["GATEHOUSE_ADMIN_PASSWORD"] = "1234567890"
	err = run(context.Background(), []string{"serve"}, env(vars), &logBuffer{}, &logBuffer{})
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_ADMIN_PASSWORD: password is one of the 10,000 most common passwords") {
		t.Fatalf("serve with admin password 1234567890: %v", err)
	}
}

func TestUserPasswdRefusesAWeakPassword(t *testing.T) {
	vars := sqliteEnv(t)
	s := startServe(t, vars)
	if err := s.Stop(t); err != nil {
		t.Fatal(err)
	}
	vars["GATEHOUSE_NEW_PASSWORD"] = "          "
	err := run(context.Background(), []string{"user", "passwd", "admin"}, env(vars), &logBuffer{}, &logBuffer{})
	if err == nil || err.Error() != "GATEHOUSE_NEW_PASSWORD: password uses fewer than 5 different characters; choose something harder to guess" {
		t.Fatalf("user passwd with ten spaces: %v", err)
	}
	// The CLI has the API's rule: a common password between digits, one
	// repeated, and one with a tab are refused by user passwd and user add.
	for pw, want := range map[string]string{
		"1password1":       "common password with digits or symbols added",
		"passwordpassword": "a common password repeated",
		"a-new-\tpassword": "U+0009",
	} {
		vars["GATEHOUSE_NEW_PASSWORD"] = pw
		err := run(context.Background(), []string{"user", "passwd", "admin"}, env(vars), &logBuffer{}, &logBuffer{})
		if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_NEW_PASSWORD: password") || !strings.Contains(err.Error(), want) {
			t.Errorf("user passwd with %q: %v", pw, err)
		}
		err = run(context.Background(), []string{"user", "add", "guard7", "--role", "guard"}, env(vars), &logBuffer{}, &logBuffer{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("user add with %q: %v", pw, err)
		}
	}
	vars["GATEHOUSE_NEW_PASSWORD"] = "a-new-admin-password"
	if err := run(context.Background(), []string{"user", "passwd", "admin"}, env(vars), &logBuffer{}, &logBuffer{}); err != nil {
		t.Fatal(err)
	}
}
