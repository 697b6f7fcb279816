package gateagent

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// Config is every setting of gatehouse-gate. Each is read, lowest first,
// from its default, the config file, the environment (GATEHOUSE_GATE_*) and
// the flags: flags win.
type Config struct {
	ConfigFile    string              // --config: key=value lines or a JSON object
	Server        string              // --server: base URL of the Gatehouse server
	DeviceKeyFile string              // --device-key-file: holds the gate's device key
	DeviceKey     string              // read from DeviceKeyFile; never printed
	GateID        int64               // --gate-id
	Direction     gatehouse.Direction // --direction: what a scan at this reader means
	Timeout       time.Duration       // --timeout: how long a scan waits for the server
	Journal       string              // --journal: the local journal of offline decisions
	Output        string              // --output: log, command:CMD or gpio:CHIP:LINE[:active-low]
	OpenFor       time.Duration       // --open-for: how long a grant holds the door open
	Input         string              // --input: "-" (standard input) or a scanner device
	SyncInterval  time.Duration       // --sync-interval: how often to sync and upload
	CommunityID   int64               // --community-id: pins the gate's community (else learned from the server)
	TimeZone      string              // --tz: pins the community's time zone, for pass schedules offline ("": learned from sync)
	LogFormat     string              // --log-format: text or json
	Once          string              // --once: decide one code, print the decision and exit
	Controller    string              // --controller: uhppote:DEVICE_ID@HOST:PORT, a board that is the door and decides cards
	Door          string              // --door: the board's doors this agent serves, e.g. 1 or 1,2
	Listen        string              // --listen: HOST:PORT where the board sends its events
	Heartbeat     time.Duration       // --heartbeat: how often the agent reports its state and its board's
}

// Default returns the settings used when nothing is set.
func Default() Config {
	return Config{
		Direction:    gatehouse.In,
		Timeout:      800 * time.Millisecond,
		Journal:      "gatehouse-gate.journal",
		Output:       "log",
		OpenFor:      3 * time.Second,
		Input:        "-",
		SyncInterval: 30 * time.Second,
		Heartbeat:    30 * time.Second,
		LogFormat:    "text",
	}
}

// DefaultTimeZone judges pass schedules offline while neither --tz nor a
// sync has said the community's time zone (the server's own default).
const DefaultTimeZone = "Asia/Shanghai"

// ConfigError is a bad setting; its message is one line that names it.
type ConfigError struct {
	Setting string // the flag name (as also used in the file and, upper-cased, the environment)
	Problem string
}

func (e *ConfigError) Error() string { return e.Setting + ": " + e.Problem }

// setting ties a flag to its environment variable and field.
type setting struct {
	name, usage string
	str         *string
	num         *int64
	dur         *time.Duration
}

func (s setting) env() string {
	return "GATEHOUSE_GATE_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// String is the setting's current value, for the help text.
func (s setting) String() string {
	switch {
	case s.num != nil:
		return strconv.FormatInt(*s.num, 10)
	case s.dur != nil:
		return s.dur.String()
	}
	return *s.str
}

func (s setting) set(v string) error {
	v = strings.TrimSpace(v)
	switch {
	case s.num != nil:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*s.num = n
	case s.dur != nil:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 800ms or 3s", v)
		}
		*s.dur = d
	default:
		*s.str = v
	}
	return nil
}

// LoadConfig reads the settings from the config file named by --config (or
// GATEHOUSE_GATE_CONFIG), the environment and the flags in args, and checks
// them. It returns flag.ErrHelp after printing the flags for -h.
func LoadConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Default()
	dir := string(c.Direction)
	settings := []setting{
		{name: "server", usage: "base URL of the Gatehouse server, e.g. https://gatehouse.example", str: &c.Server},
		{name: "device-key-file", usage: "file holding this gate's device key (shown once when the gate was created)", str: &c.DeviceKeyFile},
		{name: "gate-id", usage: "id of this gate on the server", num: &c.GateID},
		{name: "direction", usage: "what a scan at this reader means: in or out", str: &dir},
		{name: "timeout", usage: "how long a scan waits for the server before deciding offline", dur: &c.Timeout},
		{name: "journal", usage: "file of offline decisions awaiting upload (its cache and lock sit beside it)", str: &c.Journal},
		{name: "output", usage: "door output: log, command:CMD or gpio:CHIP:LINE[:active-low]", str: &c.Output},
		{name: "open-for", usage: "how long a grant holds the door open", dur: &c.OpenFor},
		{name: "input", usage: `where codes come from, one a line: "-" for standard input, or a scanner device such as /dev/ttyACM0`, str: &c.Input},
		{name: "sync-interval", usage: "how often to fetch revocations and keys and upload offline decisions", dur: &c.SyncInterval},
		{name: "community-id", usage: "this gate's community (default: learned from the server's first sync)", num: &c.CommunityID},
		{name: "tz", usage: "the community's time zone, for pass schedules judged offline (default: learned from the server's first sync; " + DefaultTimeZone + " until then)", str: &c.TimeZone},
		{name: "log-format", usage: "text or json", str: &c.LogFormat},
		{name: "heartbeat", usage: "how often to report this agent's and its controller's state to the server (1s to 1m); silent four times, or 2m, the gate shows offline", dur: &c.Heartbeat},
		{name: "controller", usage: "a 微耕/UHPPOTE board that is the door and decides residents' cards itself: uhppote:DEVICE_ID@HOST:PORT", str: &c.Controller},
		{name: "door", usage: "with --controller: the board's doors this agent serves (a QR grant opens the first), e.g. 1 or 1,2", str: &c.Door},
		{name: "listen", usage: "with --controller: this computer's IPv4 HOST:PORT where the board sends its events", str: &c.Listen},
	}
	fs := flag.NewFlagSet("gatehouse-gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.ConfigFile, "config", "", "config file: key=value lines or a JSON object, keys named as these flags (env GATEHOUSE_GATE_CONFIG)")
	fs.StringVar(&c.Once, "once", "", "decide this one code as a scan would (the door opens on a grant), print the decision and exit; for installers")
	given := map[string]string{}
	for _, s := range settings {
		s := s
		usage := s.usage + " (env " + s.env()
		if def := s.String(); def != "" && def != "0" {
			usage += "; default " + def
		}
		fs.Func(s.name, usage+")", func(v string) error {
			given[s.name] = v
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, &ConfigError{Setting: "flags", Problem: err.Error()}
	}
	if fs.NArg() > 0 {
		return c, &ConfigError{Setting: "flags", Problem: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if c.ConfigFile == "" {
		c.ConfigFile = getenv("GATEHOUSE_GATE_CONFIG")
	}
	byName := map[string]setting{}
	for _, s := range settings {
		byName[s.name] = s
	}
	if c.ConfigFile != "" {
		values, err := readConfigFile(c.ConfigFile)
		if err != nil {
			return c, &ConfigError{Setting: "config", Problem: err.Error()}
		}
		for _, kv := range values {
			s, ok := byName[kv.key]
			if !ok {
				return c, &ConfigError{Setting: "config", Problem: fmt.Sprintf("%s: unknown setting %q", c.ConfigFile, kv.key)}
			}
			if err := s.set(kv.value); err != nil {
				return c, &ConfigError{Setting: s.name, Problem: err.Error() + " (in " + c.ConfigFile + ")"}
			}
		}
	}
	for _, s := range settings {
		if v := getenv(s.env()); v != "" {
			if err := s.set(v); err != nil {
				return c, &ConfigError{Setting: s.name, Problem: err.Error() + " (in " + s.env() + ")"}
			}
		}
	}
	for _, s := range settings {
		if v, ok := given[s.name]; ok {
			if err := s.set(v); err != nil {
				return c, &ConfigError{Setting: s.name, Problem: err.Error()}
			}
		}
	}
	c.Direction = gatehouse.Direction(dir)
	if err := c.load(); err != nil {
		return c, err
	}
	return c, nil
}

// load checks the settings and reads the device key.
func (c *Config) load() error {
	for _, check := range []func() error{c.checkServer, c.checkTiming, c.checkIO, c.readDeviceKey} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkServer checks the server's URL and the gate's id.
func (c *Config) checkServer() error {
	u, err := url.Parse(c.Server)
	switch {
	case c.Server == "":
		return &ConfigError{"server", "is required: the base URL of the Gatehouse server"}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return &ConfigError{"server", fmt.Sprintf("%q is not an http or https URL", c.Server)}
	}
	c.Server = strings.TrimRight(c.Server, "/")
	if c.GateID <= 0 {
		return &ConfigError{"gate-id", "is required: the id of this gate on the server"}
	}
	if c.CommunityID < 0 {
		return &ConfigError{"community-id", "must be positive"}
	}
	return nil
}

// checkTiming checks the direction, times and time zone.
func (c *Config) checkTiming() error {
	if !c.Direction.Valid() {
		return &ConfigError{"direction", fmt.Sprintf("%q is not in or out", c.Direction)}
	}
	if c.Timeout <= 0 || c.Timeout > time.Minute {
		return &ConfigError{"timeout", "must be more than 0 and at most 1m"}
	}
	if c.OpenFor <= 0 || c.OpenFor > 10*time.Minute {
		return &ConfigError{"open-for", "must be more than 0 and at most 10m"}
	}
	if c.SyncInterval < 100*time.Millisecond {
		return &ConfigError{"sync-interval", "must be at least 100ms"}
	}
	if c.Heartbeat < time.Second || c.Heartbeat > gatehouse.MaxHeartbeatInterval || c.Heartbeat%time.Second != 0 {
		return &ConfigError{"heartbeat", "must be whole seconds from 1s to 1m"}
	}
	if _, err := time.LoadLocation(c.TimeZone); c.TimeZone != "" && err != nil {
		return &ConfigError{"tz", fmt.Sprintf("%q is not a time zone such as Asia/Shanghai", c.TimeZone)}
	}
	return nil
}

// checkIO checks the journal, the scanner's input, the log, the door output
// and the controller.
func (c *Config) checkIO() error {
	if c.Journal == "" {
		return &ConfigError{"journal", "is empty"}
	}
	if c.Input == "" {
		return &ConfigError{"input", `is empty: use "-" for standard input`}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return &ConfigError{"log-format", fmt.Sprintf("%q is not text or json", c.LogFormat)}
	}
	if _, err := ParseOutput(c.Output); err != nil {
		return &ConfigError{"output", err.Error()}
	}
	if c.Controller != "" {
		if _, err := ParseController(c.Controller, c.Door, c.Listen); err != nil {
			return &ConfigError{"controller", err.Error()}
		}
	} else if c.Door != "" || c.Listen != "" {
		return &ConfigError{"controller", "is required with door and listen: uhppote:DEVICE_ID@HOST:PORT"}
	}
	return nil
}

// readDeviceKey reads the gate's device key from its file.
func (c *Config) readDeviceKey() error {
	if c.DeviceKeyFile == "" {
		return &ConfigError{"device-key-file", "is required: a file holding this gate's device key"}
	}
	b, err := os.ReadFile(c.DeviceKeyFile)
	if err != nil {
		return &ConfigError{"device-key-file", oneLine(err.Error())}
	}
	c.DeviceKey = strings.TrimSpace(string(b))
	if c.DeviceKey == "" || strings.ContainsAny(c.DeviceKey, " \t\r\n") {
		return &ConfigError{"device-key-file", c.DeviceKeyFile + " must hold the device key on one line"}
	}
	return nil
}

type keyValue struct{ key, value string }

// readConfigFile reads a JSON object or key=value lines (# starts a
// comment); keys are the flag names, with - or _.
func readConfigFile(path string) ([]keyValue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	var out []keyValue
	text := strings.TrimSpace(string(b))
	if strings.HasPrefix(text, "{") {
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("%s: not a JSON object: %v", path, err)
		}
		for k, v := range m {
			var s string
			switch v := v.(type) {
			case string:
				s = v
			case json.Number:
				s = v.String()
			default:
				return nil, fmt.Errorf("%s: %s: must be a string or a number", path, k)
			}
			out = append(out, keyValue{normalKey(k), s})
		}
		return out, nil
	}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s line %d: want key=value", path, i+1)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out = append(out, keyValue{normalKey(k), v})
	}
	return out, nil
}

func normalKey(k string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "_", "-")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
