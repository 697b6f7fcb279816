package gateagent

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func keyFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "device.key")
	if err := os.WriteFile(p, []byte("  gk_secret-device-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func noEnv(string) string { return "" }

func TestConfigFlagsWinOverTheEnvironmentWhichWinsOverTheFile(t *testing.T) {
	kf := keyFile(t)
	conf := filepath.Join(t.TempDir(), "gate.conf")
	os.WriteFile(conf, []byte(`# the south gate
server = https://gatehouse.example/
device_key_file = `+kf+`
gate-id = 7
direction = out
timeout = 2s
open-for = "5s"
`), 0o600)
	env := map[string]string{"GATEHOUSE_GATE_TIMEOUT": "1500ms", "GATEHOUSE_GATE_OPEN_FOR": "4s"}
	c, err := LoadConfig([]string{"--config", conf, "--open-for", "6s"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "https://gatehouse.example" || c.GateID != 7 || c.Direction != gatehouse.Out || c.DeviceKey != "gk_secret-device-key" {
		t.Fatalf("from the file: %+v", c)
	}
	if c.Timeout != 1500*time.Millisecond || c.OpenFor != 6*time.Second {
		t.Fatalf("timeout %v (env wins over file), open-for %v (flag wins over all)", c.Timeout, c.OpenFor)
	}
	if c.Journal != "gatehouse-gate.journal" || c.Output != "log" || c.Input != "-" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestConfigReadsAJSONFile(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "gate.json")
	os.WriteFile(conf, []byte(`{"server": "http://10.0.0.2:8080", "device-key-file": "`+keyFile(t)+`", "gate_id": 3,
		"output": "gpio:gpiochip0:17:active-low", "community-id": 2}`), 0o600)
	c, err := LoadConfig([]string{"--config", conf}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GateID != 3 || c.CommunityID != 2 || c.Output != "gpio:gpiochip0:17:active-low" {
		t.Fatalf("%+v", c)
	}
}

func TestConfigNamesTheBadSetting(t *testing.T) {
	kf := keyFile(t)
	base := []string{"--server", "http://s", "--device-key-file", kf, "--gate-id", "1"}
	empty := filepath.Join(t.TempDir(), "empty.key")
	os.WriteFile(empty, []byte("\n"), 0o600)
	badFile := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(badFile, []byte("colour = blue\n"), 0o600)
	cases := []struct {
		args    []string
		setting string
	}{
		{[]string{"--device-key-file", kf, "--gate-id", "1"}, "server"},
		{[]string{"--server", "ftp://s", "--device-key-file", kf, "--gate-id", "1"}, "server"},
		{[]string{"--server", "http://s", "--device-key-file", kf}, "gate-id"},
		{[]string{"--server", "http://s", "--gate-id", "1"}, "device-key-file"},
		{[]string{"--server", "http://s", "--device-key-file", empty, "--gate-id", "1"}, "device-key-file"},
		{append(base, "--direction", "sideways"), "direction"},
		{append(base, "--timeout", "fast"), "timeout"},
		{append(base, "--output", "relay"), "output"},
		{append(base, "--output", "gpio:gpiochip0"), "output"},
		{append(base, "--tz", "Mars/Olympus"), "tz"},
		{append(base, "--config", badFile), "config"},
		{append(base, "stray"), "flags"},
	}
	for _, tc := range cases {
		_, err := LoadConfig(tc.args, noEnv, io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Setting != tc.setting {
			t.Errorf("%v: %v, want an error naming %s", tc.args, err, tc.setting)
		}
		if err != nil && strings.Contains(err.Error(), "gk_secret") {
			t.Errorf("an error shows the device key: %v", err)
		}
	}
	if _, err := LoadConfig([]string{"-h"}, noEnv, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}
