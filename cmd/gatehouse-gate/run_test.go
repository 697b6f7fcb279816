package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunNamesABadSettingAndExitsWithStatus2(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--server", "http://127.0.0.1:1"}, func(string) string { return "" },
		strings.NewReader(""), &bytes.Buffer{}, &stderr)
	if err == nil || !strings.HasPrefix(err.Error(), "gate-id: ") || exitCode(err) != 2 {
		t.Fatalf("got %v (exit %d)", err, exitCode(err))
	}
	if err := run(context.Background(), []string{"-h"}, func(string) string { return "" }, nil, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "-open-for") {
		t.Fatalf("-h printed %q", stderr.String())
	}
}

func TestOnceWithoutAServerOrASyncRefusesAndSaysWhy(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte("device-key\n"), 0o600)
	env := map[string]string{"GATEHOUSE_GATE_SERVER": "http://127.0.0.1:1", "GATEHOUSE_GATE_DEVICE_KEY_FILE": key,
		"GATEHOUSE_GATE_GATE_ID": "4", "GATEHOUSE_GATE_JOURNAL": filepath.Join(dir, "journal")}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--once", "GH1AAAA"}, func(k string) string { return env[k] }, nil, &stdout, &stderr)
	if err != errDenied || exitCode(err) != 1 {
		t.Fatalf("got %v", err)
	}
	if stdout.String() != "deny invalid_code (offline)\n" {
		t.Fatalf("printed %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "offline: the server does not answer") {
		t.Fatalf("log: %s", stderr.String())
	}
}
