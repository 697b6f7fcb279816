package config_test

import (
	"io"
	"strings"
	"testing"

	"gatehouse/internal/config"
)

func load(env map[string]string, args ...string) (config.Config, error) {
	c, _, err := config.Load("serve", func(k string) string { return env[k] }, args, io.Discard)
	return c, err
}

func TestStreamLimitsAndWebhookAllowList(t *testing.T) {
	c, err := load(nil)
	if err != nil || c.LiveMaxStreams != 1000 || c.LiveMaxPerAccount != 3 || c.WebhookAllow != "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = load(map[string]string{"GATEHOUSE_LIVE_MAX_STREAMS": "5000", "GATEHOUSE_WEBHOOK_ALLOW": "hooks.corp.lan, 192.168.10.0/24,10.0.0.7,fd00::/8"},
		"--live-max-per-account", "5")
	if err != nil || c.LiveMaxStreams != 5000 || c.LiveMaxPerAccount != 5 {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, bad := range []struct{ env, value, names string }{
		{"GATEHOUSE_LIVE_MAX_STREAMS", "0", "GATEHOUSE_LIVE_MAX_STREAMS: 0 is out of range"},
		{"GATEHOUSE_LIVE_MAX_STREAMS", "many", "GATEHOUSE_LIVE_MAX_STREAMS: \"many\" is not a whole number"},
		{"GATEHOUSE_LIVE_MAX_PER_ACCOUNT", "101", "GATEHOUSE_LIVE_MAX_PER_ACCOUNT: 101 is out of range"},
		{"GATEHOUSE_WEBHOOK_ALLOW", "192.168.1.0/33", "GATEHOUSE_WEBHOOK_ALLOW: \"192.168.1.0/33\" is not a host name"},
		{"GATEHOUSE_WEBHOOK_ALLOW", "ok.lan,http://x", "GATEHOUSE_WEBHOOK_ALLOW: \"http://x\" is not a host name"},
		{"GATEHOUSE_WEBHOOK_ALLOW", "0x7f000001", "GATEHOUSE_WEBHOOK_ALLOW: \"0x7f000001\" is not a host name"},
	} {
		_, err := load(map[string]string{bad.env: bad.value})
		if err == nil || !strings.HasPrefix(err.Error(), bad.names) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%s: %v, want one line starting %q", bad.env, bad.value, err, bad.names)
		}
	}
}
