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
	if err == nil || err.Error() != "GATEHOUSE_NEW_PASSWORD: password is one character repeated; choose something harder to guess" {
		t.Fatalf("user passwd with ten spaces: %v", err)
	}
	vars["GATEHOUSE_NEW_PASSWORD"] = "a-new-admin-password"
	if err := run(context.Background(), []string{"user", "passwd", "admin"}, env(vars), &logBuffer{}, &logBuffer{}); err != nil {
		t.Fatal(err)
	}
}
