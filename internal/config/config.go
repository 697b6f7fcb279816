// Package config reads Gatehouse's settings from the environment and flags.
// It keeps no globals: Load takes getenv and the arguments it is given.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/password"
)

// Config is every setting of `gatehouse serve` (the other subcommands use
// the subset they need).
type Config struct {
	Addr          string // GATEHOUSE_ADDR
	DBDriver      string // GATEHOUSE_DB_DRIVER: sqlite or mysql
	DBDSN         string // GATEHOUSE_DB_DSN
	KeyDir        string // GATEHOUSE_KEY_DIR
	AdminPassword string // GATEHOUSE_ADMIN_PASSWORD; empty: generated on an empty database
	TimeZone      string // GATEHOUSE_TZ: default time zone of new communities
	RetentionDays int    // GATEHOUSE_RETENTION_DAYS: personal data kept this long
	LogLevel      string // GATEHOUSE_LOG_LEVEL: debug, info, warn, error
	// TrustedProxies (GATEHOUSE_TRUSTED_PROXIES, comma-separated addresses or
	// CIDRs) may set X-Forwarded-For: behind them, login limits count the
	// real client's address, not the load balancer's.
	TrustedProxies string
	// DebugAddr (GATEHOUSE_DEBUG_ADDR), when set, serves Go's pprof profiles
	// there: keep it on a loopback or private address.
	DebugAddr     string
	ShutdownGrace time.Duration
	// LiveMaxStreams (GATEHOUSE_LIVE_MAX_STREAMS) bounds the live event
	// streams of this process, LiveMaxPerAccount
	// (GATEHOUSE_LIVE_MAX_PER_ACCOUNT) those of one account: each holds a
	// connection and a file descriptor.
	LiveMaxStreams    int
	LiveMaxPerAccount int
	// WebhookAllow (GATEHOUSE_WEBHOOK_ALLOW, comma-separated host names, IP
	// addresses or CIDRs) names trusted webhook receivers: a listed name or
	// an address in a listed range may be reached over plain http, and only
	// listed ranges may be private, loopback or otherwise special.
	WebhookAllow string
	// PublicURL (GATEHOUSE_PUBLIC_URL, https://host) is where registration
	// posters' QR links point; empty takes the host a manager reached.
	PublicURL string
	// SMS settles how residents' sign-in codes are texted: SMSProvider
	// (GATEHOUSE_SMS_PROVIDER) "log" writes them to the server's log
	// (development), "tencent" sends them with Tencent Cloud SMS and the
	// account below (GATEHOUSE_SMS_SECRET_ID, _SECRET_KEY, _APP_ID, _SIGN,
	// _TEMPLATE_ID, _REGION).
	SMSProvider, SMSSecretID, SMSSecretKey, SMSAppID, SMSSign, SMSTemplateID, SMSRegion string
}

// Default returns the settings used when nothing is set: SQLite under ./data.
func Default() Config {
	return Config{
		Addr:          ":8080",
		DBDriver:      "sqlite",
		DBDSN:         "data/gatehouse.db",
		KeyDir:        "data/keys",
		TimeZone:      "Asia/Shanghai",
		RetentionDays: 180,
		LogLevel:      "info",
		ShutdownGrace: 15 * time.Second,

		LiveMaxStreams:    1000,
		LiveMaxPerAccount: 3,

		SMSProvider: "log",
		SMSRegion:   "ap-guangzhou",
	}
}

// Error is a bad setting; its message is one line that names it.
type Error struct {
	Setting string // the environment variable (and flag) at fault
	Problem string
}

func (e *Error) Error() string { return e.Setting + ": " + e.Problem }

// setting ties an environment variable to a flag and a field.
type setting struct {
	env, flag, usage string
	str              *string
	num              *int
	dur              *time.Duration
}

// Load reads the environment through getenv, then the flags in args (flags
// win), and validates the result. It returns the remaining arguments.
func Load(name string, getenv func(string) string, args []string, stderr io.Writer) (Config, []string, error) {
	c := Default()
	settings := []setting{
		{env: "GATEHOUSE_ADDR", flag: "addr", usage: "listen address", str: &c.Addr},
		{env: "GATEHOUSE_DB_DRIVER", flag: "db-driver", usage: "sqlite or mysql", str: &c.DBDriver},
		{env: "GATEHOUSE_DB_DSN", flag: "db-dsn", usage: "SQLite path, or a go-sql-driver/mysql DSN", str: &c.DBDSN},
		{env: "GATEHOUSE_KEY_DIR", flag: "key-dir", usage: "directory of the data-encryption and lookup keys", str: &c.KeyDir},
		{env: "GATEHOUSE_ADMIN_PASSWORD", flag: "admin-password", usage: "password of the user admin, created on an empty database", str: &c.AdminPassword},
		{env: "GATEHOUSE_TZ", flag: "tz", usage: "default time zone of communities", str: &c.TimeZone},
		{env: "GATEHOUSE_RETENTION_DAYS", flag: "retention-days", usage: "days personal data of entries and visitors is kept", num: &c.RetentionDays},
		{env: "GATEHOUSE_LOG_LEVEL", flag: "log-level", usage: "debug, info, warn or error", str: &c.LogLevel},
		{env: "GATEHOUSE_DEBUG_ADDR", flag: "debug-addr", usage: "address of the pprof profiles (off when empty)", str: &c.DebugAddr},
		{env: "GATEHOUSE_TRUSTED_PROXIES", flag: "trusted-proxies", usage: "comma-separated addresses or CIDRs of reverse proxies", str: &c.TrustedProxies},
		{env: "GATEHOUSE_SHUTDOWN_GRACE", flag: "shutdown-grace", usage: "how long SIGTERM waits for in-flight requests", dur: &c.ShutdownGrace},
		{env: "GATEHOUSE_LIVE_MAX_STREAMS", flag: "live-max-streams", usage: "live event streams this process serves at most", num: &c.LiveMaxStreams},
		{env: "GATEHOUSE_LIVE_MAX_PER_ACCOUNT", flag: "live-max-per-account", usage: "live event streams of one account (a newer one closes the oldest)", num: &c.LiveMaxPerAccount},
		{env: "GATEHOUSE_PUBLIC_URL", flag: "public-url", usage: "https://host that registration posters' QR links point to (empty: the request's host)", str: &c.PublicURL},
		{env: "GATEHOUSE_SMS_PROVIDER", flag: "sms-provider", usage: "how sign-in codes are texted: log (development: the server's log) or tencent", str: &c.SMSProvider},
		{env: "GATEHOUSE_SMS_SECRET_ID", flag: "sms-secret-id", usage: "Tencent Cloud SecretId", str: &c.SMSSecretID},
		{env: "GATEHOUSE_SMS_SECRET_KEY", flag: "sms-secret-key", usage: "Tencent Cloud SecretKey", str: &c.SMSSecretKey},
		{env: "GATEHOUSE_SMS_APP_ID", flag: "sms-app-id", usage: "Tencent Cloud SMS SdkAppId", str: &c.SMSAppID},
		{env: "GATEHOUSE_SMS_SIGN", flag: "sms-sign", usage: "approved SMS signature name", str: &c.SMSSign},
		{env: "GATEHOUSE_SMS_TEMPLATE_ID", flag: "sms-template-id", usage: "approved SMS template id ({1} the code, {2} minutes)", str: &c.SMSTemplateID},
		{env: "GATEHOUSE_SMS_REGION", flag: "sms-region", usage: "Tencent Cloud SMS region", str: &c.SMSRegion},
		{env: "GATEHOUSE_WEBHOOK_ALLOW", flag: "webhook-allow", usage: "comma-separated host names, IPs or CIDRs of webhook receivers allowed over http or in private ranges", str: &c.WebhookAllow},
	}
	for _, s := range settings {
		v, ok := lookup(getenv, s.env)
		if !ok {
			continue
		}
		if err := s.set(v); err != nil {
			return c, nil, &Error{Setting: s.env, Problem: err.Error()}
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range settings {
		s := s
		fs.Func(s.flag, s.usage+" (env "+s.env+")", func(v string) error { return s.set(v) })
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, nil, err
		}
		return c, nil, &Error{Setting: "flags", Problem: err.Error()}
	}
	if err := c.Validate(); err != nil {
		return c, nil, err
	}
	return c, fs.Args(), nil
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func (s setting) set(v string) error {
	switch {
	case s.num != nil:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*s.num = n
	case s.dur != nil:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 15s", v)
		}
		*s.dur = d
	default:
		*s.str = v
	}
	return nil
}

// Validate checks every setting and names the first bad one.
func (c *Config) Validate() error {
	for _, check := range []func() error{c.validateServer, c.validateDatabase, c.validateData, c.validateLimits, c.validateSMS} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateServer checks the listeners, logging and proxies.
func (c *Config) validateServer() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		return &Error{"GATEHOUSE_ADDR", fmt.Sprintf("%q is not host:port (for example :8080 or 127.0.0.1:8080)", c.Addr)}
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return &Error{"GATEHOUSE_ADDR", fmt.Sprintf("port %q is not a number from 0 to 65535", port)}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{"GATEHOUSE_LOG_LEVEL", fmt.Sprintf("%q is not one of debug, info, warn, error", c.LogLevel)}
	}
	if c.ShutdownGrace < 0 || c.ShutdownGrace > 10*time.Minute {
		return &Error{"GATEHOUSE_SHUTDOWN_GRACE", "must be between 0s and 10m"}
	}
	if c.DebugAddr != "" {
		if _, _, err := net.SplitHostPort(c.DebugAddr); err != nil {
			return &Error{"GATEHOUSE_DEBUG_ADDR", fmt.Sprintf("%q is not host:port (for example 127.0.0.1:6060)", c.DebugAddr)}
		}
	}
	if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "") {
		return &Error{"GATEHOUSE_PUBLIC_URL", fmt.Sprintf("%q is not a URL such as https://gate.example.com", c.PublicURL)}
	}
	for _, p := range c.Proxies() {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return &Error{"GATEHOUSE_TRUSTED_PROXIES", fmt.Sprintf("%q is not an IP address or CIDR", p)}
		}
	}
	return nil
}

// validateDatabase checks the database and key settings.
func (c *Config) validateDatabase() error {
	switch c.DBDriver {
	case "sqlite", "mysql":
	default:
		return &Error{"GATEHOUSE_DB_DRIVER", fmt.Sprintf("%q is not supported; use sqlite or mysql", c.DBDriver)}
	}
	if strings.TrimSpace(c.DBDSN) == "" {
		return &Error{"GATEHOUSE_DB_DSN", "is empty"}
	}
	if c.DBDriver == "mysql" {
		if err := CheckMySQLDSN(c.DBDSN); err != nil {
			return &Error{"GATEHOUSE_DB_DSN", err.Error()}
		}
	}
	if strings.TrimSpace(c.KeyDir) == "" {
		return &Error{"GATEHOUSE_KEY_DIR", "is empty"}
	}
	if c.AdminPassword != "" {
		if msg := password.Validate(c.AdminPassword, "admin"); msg != "" {
			return &Error{"GATEHOUSE_ADMIN_PASSWORD", "password " + msg}
		}
	}
	return nil
}

// validateData checks the time zone and retention of people's data.
func (c *Config) validateData() error {
	if c.TimeZone == "" || c.TimeZone == "Local" {
		return &Error{"GATEHOUSE_TZ", fmt.Sprintf("%q is not an IANA time zone such as Asia/Shanghai", c.TimeZone)}
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return &Error{"GATEHOUSE_TZ", fmt.Sprintf("%q is not an IANA time zone such as Asia/Shanghai", c.TimeZone)}
	}
	if c.RetentionDays < 1 || c.RetentionDays > 3650 {
		return &Error{"GATEHOUSE_RETENTION_DAYS", fmt.Sprintf("%d is out of range; use 1 to 3650", c.RetentionDays)}
	}
	return nil
}

// validateLimits checks the live-stream limits and the webhook allow-list.
func (c *Config) validateLimits() error {
	if c.LiveMaxStreams < 1 || c.LiveMaxStreams > 1_000_000 {
		return &Error{"GATEHOUSE_LIVE_MAX_STREAMS", fmt.Sprintf("%d is out of range; use 1 to 1000000", c.LiveMaxStreams)}
	}
	if c.LiveMaxPerAccount < 1 || c.LiveMaxPerAccount > 100 {
		return &Error{"GATEHOUSE_LIVE_MAX_PER_ACCOUNT", fmt.Sprintf("%d is out of range; use 1 to 100", c.LiveMaxPerAccount)}
	}
	for _, h := range strings.Split(c.WebhookAllow, ",") {
		if h = strings.TrimSpace(h); h != "" && !allowEntry(h) {
			return &Error{"GATEHOUSE_WEBHOOK_ALLOW", fmt.Sprintf("%q is not a host name, IP address or CIDR (such as hooks.corp.lan, 192.168.10.5 or 192.168.10.0/24)", h)}
		}
	}
	return nil
}

// CheckMySQLDSN checks that dsn parses as a go-sql-driver/mysql DSN and names
// a database. The DSN itself is never repeated: it may hold a password.
func CheckMySQLDSN(dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("is not a MySQL DSN of the form user:password@tcp(host:3306)/gatehouse (%v)", err)
	}
	if cfg.DBName == "" {
		return errors.New("names no database; end it with /gatehouse (or your database's name)")
	}
	return nil
}

// Proxies is TrustedProxies as a list.
func (c *Config) Proxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// hostLabel is one label of a DNS name.
var hostLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// allowEntry reports whether s is an IP address, a CIDR or a host name
// whose last label is not a number (which would read as an IPv4 address).
func allowEntry(s string) bool {
	if _, _, err := net.ParseCIDR(s); err == nil || net.ParseIP(s) != nil {
		return true
	}
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(s), "."), ".")
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != "" && !strings.HasPrefix(last, "0x")
}

// smsRegions are the regions Tencent Cloud SMS serves.
var smsRegions = []string{"ap-guangzhou", "ap-beijing", "ap-nanjing", "ap-singapore"}

// validateSMS checks the sender of residents' sign-in codes: with tencent,
// every part of the account is required.
func (c *Config) validateSMS() error {
	switch c.SMSProvider {
	case "log":
		return nil
	case "tencent":
	default:
		return &Error{"GATEHOUSE_SMS_PROVIDER", fmt.Sprintf("%q is not one of log, tencent", c.SMSProvider)}
	}
	for _, s := range []struct{ env, v string }{{"GATEHOUSE_SMS_SECRET_ID", c.SMSSecretID}, {"GATEHOUSE_SMS_SECRET_KEY", c.SMSSecretKey},
		{"GATEHOUSE_SMS_APP_ID", c.SMSAppID}, {"GATEHOUSE_SMS_SIGN", c.SMSSign}, {"GATEHOUSE_SMS_TEMPLATE_ID", c.SMSTemplateID}} {
		if strings.TrimSpace(s.v) == "" {
			return &Error{s.env, "is required with GATEHOUSE_SMS_PROVIDER=tencent"}
		}
	}
	if !regexp.MustCompile(`^14\d{8}$`).MatchString(c.SMSAppID) {
		return &Error{"GATEHOUSE_SMS_APP_ID", fmt.Sprintf("%q is not an SMS SdkAppId (10 digits starting 14, e.g. 1400006666)", c.SMSAppID)}
	}
	if !regexp.MustCompile(`^\d{1,10}$`).MatchString(c.SMSTemplateID) {
		return &Error{"GATEHOUSE_SMS_TEMPLATE_ID", fmt.Sprintf("%q is not a template id (digits, e.g. 1234567)", c.SMSTemplateID)}
	}
	if !slices.Contains(smsRegions, c.SMSRegion) {
		return &Error{"GATEHOUSE_SMS_REGION", fmt.Sprintf("%q is not one of %s", c.SMSRegion, strings.Join(smsRegions, ", "))}
	}
	return nil
}
