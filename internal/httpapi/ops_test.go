package httpapi_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestMetricsCountScansRequestsAndAudits(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(nil)
		w.scan(w.gate.DeviceKey, p.Code, "in")
		w.scan(w.gate.DeviceKey, p.Code, "in")
		w.scan(w.gate.DeviceKey, "nonsense", "in")
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), e.admin, nil, 200, nil) // an audited unmasked read
		res := e.expect("GET", "/metrics", "", nil, 200, nil)
		body := string(res.Body)
		for _, want := range []string{
			`gatehouse_scans_total{decision="grant",reason="granted"} 1`,
			`gatehouse_scans_total{decision="deny",reason="exhausted"} 1`,
			`gatehouse_scans_total{decision="deny",reason="invalid_code"} 1`,
			`gatehouse_entries_written_total{method="qr"} 3`,
			`gatehouse_audit_events_total{action="id.read"} 1`,
			`gatehouse_http_requests_total{method="POST",route="/api/v1/scan",status="200"} 3`,
			`gatehouse_scan_duration_seconds_count 3`,
			`gatehouse_scan_retries_total 0`, // one writer: nothing to retry
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestLogsCarryRequestIDsAndNoPersonalData(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(nil) // a visitor ID number, a phone, a plate
		w.scan(w.gate.DeviceKey, p.Code, "in")
		e.do("POST", "/api/v1/residents", w.mgr, map[string]any{"community_id": w.A, "name": "张三", "id_type": "resident_id",
			"id_number": "110105194912310021", "phone": "13987654321", "building": "1", "unit": "1", "room": "1"}) // refused
		e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "guard", "password": "a wrong password"})
		res := e.do("GET", "/api/v1/residents", w.mgr, nil)
		id := res.Header.Get("X-Request-ID")
		logs := e.logs.String()
		if id == "" || !strings.Contains(logs, `"request_id":"`+id+`"`) {
			t.Fatalf("request id %q not in the log", id)
		}
		for _, secret := range []string{w.visitorIDNum, "110105194912310021", "13912345678", "13987654321", p.Code, "a wrong password", testPassword} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
		// Every request line has a request id.
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			if strings.Contains(line, `"msg":"request"`) && !regexp.MustCompile(`"request_id":"[0-9a-f]{16}"`).MatchString(line) {
				t.Errorf("a request line without a request id: %s", line)
			}
		}
	})
}
