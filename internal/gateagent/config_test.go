package gateagent

import (
	"errors"
	"flag"
	"fmt"
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

// A 微耕 board is named in the file, the environment or flags alike
// (controller, door, listen, heartbeat), one agent may serve several of
// its doors, and a wrong one stops start-up naming the setting.
func TestConfigNamesTheControllerEverywhere(t *testing.T) {
	kf := keyFile(t)
	conf := filepath.Join(t.TempDir(), "gate.conf")
	os.WriteFile(conf, []byte(`server = https://gatehouse.example
device-key-file = `+kf+`
gate-id = 12
controller = uhppote:405419896@192.168.1.100:60000
door = 1
listen = 192.168.1.10:60001
`), 0o600)
	c, err := LoadConfig([]string{"--config", conf}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Controller != "uhppote:405419896@192.168.1.100:60000" || c.Door != "1" || c.Listen != "192.168.1.10:60001" || c.Heartbeat != 30*time.Second {
		t.Fatalf("from the file: %+v", c)
	}
	env := map[string]string{"GATEHOUSE_GATE_DOOR": "1,2", "GATEHOUSE_GATE_LISTEN": "192.168.1.10:60002", "GATEHOUSE_GATE_HEARTBEAT": "10s"}
	c, err = LoadConfig([]string{"--config", conf, "--listen", "192.168.1.10:60003"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Door != "1,2" || c.Listen != "192.168.1.10:60003" || c.Heartbeat != 10*time.Second {
		t.Fatalf("the environment over the file, flags over both: %+v", c)
	}
	spec, err := ParseController(c.Controller, c.Door, c.Listen)
	if err != nil {
		t.Fatal(err)
	}
	if spec.DeviceID != 405419896 || spec.Addr.String() != "192.168.1.100:60000" || fmt.Sprint(spec.Doors) != "[1 2]" || spec.Listen.String() != "192.168.1.10:60003" {
		t.Fatalf("parsed: %+v", spec)
	}

	base := []string{"--server", "http://s", "--device-key-file", kf, "--gate-id", "1"}
	board := func(controller, door, listen string) []string {
		return append(append([]string{}, base...), "--controller", controller, "--door", door, "--listen", listen)
	}
	for _, args := range [][]string{
		board("hikvision:1@192.168.1.100:80", "1", "192.168.1.10:60001"),        // no such kind (yet)
		board("uhppote:0@192.168.1.100:60000", "1", "192.168.1.10:60001"),       // no serial
		board("uhppote:405419896@255.255.255.255:60000", "1", "192.168.1.10:1"), // broadcast: never
		board("uhppote:405419896@0.0.0.0:60000", "1", "192.168.1.10:60001"),
		board("uhppote:405419896@192.168.1.100", "1", "192.168.1.10:60001"), // no port
		board("uhppote:405419896@192.168.1.100:60000", "5", "192.168.1.10:60001"),
		board("uhppote:405419896@192.168.1.100:60000", "1,", "192.168.1.10:60001"),
		board("uhppote:405419896@192.168.1.100:60000", "1", "[::1]:60001"),
		board("uhppote:405419896@192.168.1.100:60000", "1", "192.168.1.10"),
		append(append([]string{}, base...), "--door", "1", "--listen", "192.168.1.10:60001"), // a door without a board
		append(append([]string{}, base...), "--heartbeat", "90s"),
	} {
		_, err := LoadConfig(args, noEnv, io.Discard)
		var ce *ConfigError
		want := "controller"
		if args[len(args)-2] == "--heartbeat" {
			want = "heartbeat"
		}
		if !errors.As(err, &ce) || ce.Setting != want {
			t.Errorf("%v: %v, want an error naming %s", args[len(base):], err, want)
		}
	}
}
