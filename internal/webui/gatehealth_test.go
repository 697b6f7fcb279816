package webui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// beat reports the gate's agent and its 微耕 board every second, as
// gatehouse-gate --heartbeat 1s does, until the returned function is called.
func (s *server) beat(t *testing.T, gateID int64, key string) (stop func()) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"version": "gatehouse-gate test", "interval_seconds": 1, "pending": 0,
		"controller": map[string]any{"kind": "uhppote", "device_id": 405419896, "online": true, "silent_seconds": 0,
			"last_event_index": 12, "door_open": false, "clock_drift_seconds": 1}})
	url := fmt.Sprintf("%s/api/v1/gates/%d/status", s.URL, gateID)
	send := func() error {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("heartbeat: %d", res.StatusCode)
		}
		return nil
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = send() // a lost beat is what the badge is for
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(done); <-stopped }) }
	t.Cleanup(stop)
	return stop
}

// TestGuardsAndManagersSeeTheGateOnlineAndForcedDoors is the web side of
// issue 17's status: the guard console shows its gate offline until the
// agent reports, online while it does and offline again once it falls
// silent (four heartbeats), and a forced door as an alert until dismissed;
// the manager's gate page shows the agent and its board.
func TestGuardsAndManagersSeeTheGateOnlineAndForcedDoors(t *testing.T) {
	srv := startServer(t)
	st := seed(t, srv)
	out := outputDir(t, "gate-health")
	mgr := srv.login(t, managerAccount[0], managerAccount[1])
	var gate struct {
		DeviceKey string `json:"device_key"`
	}
	srv.call(t, "POST", fmt.Sprintf("/api/v1/gates/%d/rotate-key", st.GateID), mgr, nil, 200, &gate)

	desk := viewport{Name: "desk", Width: 1280, Height: 900, Lang: "zh"}
	g := tab(t, srv, desk, out)
	g.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	g.login(guardAccount)
	g.poll("the scan field", `document.querySelector('#scan-code')`)
	if got := g.poll("the gate's badge", `document.querySelector('#gate-online').textContent`); got != "离线" {
		t.Fatalf("a gate whose agent never reported shows %q, want 离线", got)
	}
	if title := eval[string](g, `document.querySelector('#gate-online').title`); title != "设备从未上报" {
		t.Errorf("its badge's title is %q, want 设备从未上报", title)
	}

	// The agent reports, and its board records a forced door.
	stopBeating := srv.beat(t, st.GateID, gate.DeviceKey)
	forcedAt := time.Now()
	srv.call(t, "POST", fmt.Sprintf("/api/v1/gates/%d/door-events", st.GateID), gate.DeviceKey, map[string]any{"events": []map[string]any{
		{"event_id": "uhppote-405419896-13", "kind": "door_forced", "door": 1, "occurred_at": forcedAt.UTC().Format(time.RFC3339)}}}, 200, nil)
	g.poll("the gate online, without a reload", `document.querySelector('#gate-online').textContent === '在线'`)
	alert := g.poll("the forced door's alert, without a reload", `document.querySelector('#door-alerts .door-alert') && document.querySelector('#door-alerts .door-alert').textContent`)
	want := fmt.Sprintf("警报：南门 1 号门于 %s 被强行打开", forcedAt.In(shanghai(t)).Format("15:04:05"))
	if !strings.HasPrefix(alert, want) {
		t.Errorf("the alert says %q, want %q", alert, want)
	}
	if label := eval[string](g, `document.querySelector('#door-alerts .door-alert button').textContent`); label != "知道了" {
		t.Errorf("the alert's button says %q, want 知道了", label)
	}
	if role := eval[string](g, `document.querySelector('#door-alerts .door-alert').getAttribute('role')`); role != "alert" {
		t.Errorf("the alert's role is %q, want alert (read out by screen readers)", role)
	}
	g.shot("guard-gate-online-forced-door")

	// Dismissed, it stays away, also after a reload.
	g.do("dismiss the alert", chromedp.Click(chromedp.CSS(`#door-alerts .door-alert button`)))
	g.poll("the alert gone", `!document.querySelector('#door-alerts .door-alert')`)
	g.do("reload", chromedp.Reload())
	g.poll("the gate online after a reload", `document.querySelector('#gate-online') && document.querySelector('#gate-online').textContent === '在线'`)
	if eval[bool](g, `!!document.querySelector('#door-alerts .door-alert')`) {
		t.Error("a dismissed alert came back after a reload")
	}

	// The manager's gate page shows the agent and its board.
	m := tab(t, srv, desk, out)
	m.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	m.login(managerAccount)
	m.poll("the manager's pages", `document.querySelector('#nav a[data-tab="gates"]')`)
	m.do("open the gates", chromedp.Click(chromedp.CSS(`#nav a[data-tab="gates"]`)))
	cell := m.poll("the gate's agent", `document.querySelector('tr[data-gate-id="`+fmt.Sprint(st.GateID)+`"] .gate-agent') && document.querySelector('tr[data-gate-id="`+fmt.Sprint(st.GateID)+`"] .gate-agent').innerText`)
	for _, w := range []string{"在线", "控制器 uhppote 405419896：在线", "门关着", "时钟偏差 1 秒", "事件序号 12", "gatehouse-gate test"} {
		if !strings.Contains(cell, w) {
			t.Errorf("the manager's gate page says %q, want %q in it", cell, w)
		}
	}
	m.shot("manager-gate-agent")

	// Silent for four heartbeats: offline for the guard, without a reload.
	stopBeating()
	g.poll("the gate offline once its agent fell silent", `document.querySelector('#gate-online').textContent === '离线'`)
	g.shot("guard-gate-offline")
	for _, b := range []*browser{g, m} {
		b.check()
	}
}

// shanghai is the time zone the browser runs in (as at a gate house in
// Shenzhen), for times the page shows.
func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
