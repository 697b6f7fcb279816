package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// vzPush is a Vzenith (臻识) IVS recognition as the camera POSTs it: the
// field names of the vendor's HTTP push protocol, values made up.
func vzPush(serial, license string, confidence int, plateID int64, sec int64, offline int) string {
	return fmt.Sprintf(`{
  "AlarmInfoPlate": {
    "channel": 0,
    "deviceName": "IVS",
    "ipaddr": "192.168.55.131",
    "result": {
      "PlateResult": {
        "bright": 0, "carBright": 0, "carColor": 255,
        "colorType": 1, "colorValue": 0,
        "confidence": %d,
        "direction": 4,
        "imagePath": "picture/0/%s/20261127/09/20261127_090000_638.jpg",
        "license": %q,
        "location": {"RECT": {"bottom": 674, "left": 1002, "right": 1263, "top": 565}},
        "timeStamp": {"Timeval": {"decday": 27, "dechour": 9, "decmin": 0, "decmon": 11, "decsec": 0, "decyear": 2026, "sec": %d, "usec": 638740}},
        "timeUsed": 0,
        "triggerType": 8,
        "type": 1,
        "plateid": %d,
        "isoffline": %d,
        "gioouts": [{"ionum": 0, "ctrltype": 0}]
      }
    },
    "serialno": %q
  }
}`, confidence, serial, license, sec, plateID, offline, serial)
}

type vzReply struct {
	Response struct {
		Info    string `json:"info"`
		PlateID *int64 `json:"plateid"`
		Offline *struct {
			PlateID  int64 `json:"plateid"`
			Continue int   `json:"continue"`
		} `json:"ContinuePushOffline"`
	} `json:"Response_AlarmInfoPlate"`
}

type vehicleGateOut struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	Camera *struct {
		Vendor   string `json:"vendor"`
		Serial   string `json:"serial"`
		Lane     string `json:"lane"`
		TokenSet bool   `json:"token_set"`
	} `json:"camera"`
	CameraURL string `json:"camera_url"`
}

type entryRow struct {
	ID         int64  `json:"id"`
	GateID     int64  `json:"gate_id"`
	Method     string `json:"method"`
	Decision   string `json:"decision"`
	Reason     string `json:"reason"`
	Direction  string `json:"direction"`
	Plate      string `json:"plate"`
	PassID     int64  `json:"pass_id"`
	ResidentID int64  `json:"resident_id"`
	GuardID    int64  `json:"guard_id"`
	Note       string `json:"note"`
	Host       *struct {
		ResidentID int64 `json:"resident_id"`
	} `json:"host"`
}

// pushTo posts a camera's body to its URL over real HTTP, as the camera does.
func pushTo(t *testing.T, url, body string) (int, vzReply, string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r vzReply
	if res.StatusCode == 200 {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("reply %s: %v", b, err)
		}
	}
	return res.StatusCode, r, string(b)
}

// vehicleGate makes a vehicle gate with a Vzenith camera and returns it with
// its push URL on srv.
func (w *world) vehicleGate(srv *httptest.Server, name, serial, lane string) vehicleGateOut {
	w.t.Helper()
	var g struct{ ID int64 }
	w.expect("POST", "/api/v1/gates", w.mgr, map[string]any{"community_id": w.A, "name": name}, 201, &g)
	var out vehicleGateOut
	w.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", g.ID), w.mgr, map[string]any{"kind": "vehicle",
		"camera": map[string]any{"vendor": "vzenith", "serial": serial, "lane": lane}}, 200, &out)
	if out.Kind != "vehicle" || out.Camera == nil || !out.Camera.TokenSet || !strings.Contains(out.CameraURL, "/api/v1/lpr/vzenith/ghc_") {
		w.t.Fatalf("vehicle gate: %+v", out)
	}
	out.CameraURL = srv.URL + out.CameraURL[strings.Index(out.CameraURL, "/api/v1/"):]
	return out
}

func (w *world) entriesOf(gateID int64) []entryRow {
	w.t.Helper()
	var list struct{ Items []entryRow }
	w.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d&gate_id=%d", w.A, gateID), w.mgr, nil, 200, &list)
	return list.Items
}

func TestVzenithCameraPushesDecideByPlate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		srv := httptest.NewServer(e.api)
		defer srv.Close()
		entry := w.vehicleGate(srv, "车行入口", "fe71e106-57263272", "in")
		exit := w.vehicleGate(srv, "车行出口", "eff50e18-e3d3862b", "out")
		sec := e.clock.Now().Unix()

		// A resident's car: the answer opens the barrier, one entry is logged.
		var v struct{ ID int64 }
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/vehicles", w.host.ID), w.mgr,
			map[string]any{"plate": "粤b 66666", "plate_color": "blue", "label": "白色轿车"}, 201, &v)
		body := vzPush("fe71e106-57263272", "粤B66666", 96, 21085, sec, 0)
		st, r, raw := pushTo(t, entry.CameraURL, body)
		if st != 200 || r.Response.Info != "ok" || r.Response.PlateID == nil || *r.Response.PlateID != 21085 {
			t.Fatalf("resident's car: %d %s", st, raw)
		}
		// The camera retries when no answer came: the same answer, nothing logged twice.
		if st, r, raw = pushTo(t, entry.CameraURL, body); st != 200 || r.Response.Info != "ok" {
			t.Fatalf("retry: %d %s", st, raw)
		}
		got := w.entriesOf(entry.ID)
		if len(got) != 1 || got[0].Method != "plate" || got[0].Decision != "grant" || got[0].ResidentID != w.host.ID ||
			got[0].Plate != "粤B66666" || got[0].Direction != "in" {
			t.Fatalf("entries after the resident's car: %+v", got)
		}

		// A visitor's pass bearing the plate: granted, its entry used.
		p := w.invite(nil) // plate 粤B12345, one entry
		if _, r, raw = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "粤B12345", 93, 21086, sec, 0)); r.Response.Info != "ok" {
			t.Fatalf("visitor's plate: %s", raw)
		}
		var pass passOut
		e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", p.ID), w.hostTok, nil, 200, &pass)
		if pass.RemainingEntries != 0 || pass.Status != "exhausted" {
			t.Fatalf("pass after the plate: %+v", pass)
		}

		// An unknown plate: denied, then the guard's one-tap admission opens
		// the barrier at the car's next read.
		if _, r, raw = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "京A00001", 95, 21087, sec, 0)); r.Response.Info != "no" {
			t.Fatalf("unknown plate: %s", raw)
		}
		got = w.entriesOf(entry.ID)
		if got[0].Reason != "unknown_plate" || got[0].Decision != "deny" || got[0].Plate != "京A00001" {
			t.Fatalf("unknown plate's entry: %+v", got[0])
		}
		res := e.expect("POST", "/api/v1/plate-admissions", w.guard, map[string]any{"gate_id": entry.ID, "plate": "京A00001", "purpose": "搬家"}, 422, nil)
		if _, _, f := res.Err(); f["host_resident_id"] == "" {
			t.Fatalf("admission without a host: %v", f)
		}
		e.expect("POST", "/api/v1/plate-admissions", w.hostTok, map[string]any{"gate_id": entry.ID, "plate": "京A00001",
			"host_resident_id": w.host.ID, "purpose": "搬家"}, 403, nil)
		e.expect("POST", "/api/v1/plate-admissions", w.guard, map[string]any{"gate_id": entry.ID, "plate": "京A00001",
			"host_resident_id": w.host.ID, "purpose": "搬家"}, 201, nil)
		if _, r, raw = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "京A00001", 95, 21088, sec+30, 0)); r.Response.Info != "ok" {
			t.Fatalf("admitted plate: %s", raw)
		}
		got = w.entriesOf(entry.ID)
		if got[0].Decision != "grant" || got[0].Host == nil || got[0].Host.ResidentID != w.host.ID || got[0].Method != "plate" ||
			got[0].GuardID == 0 || got[0].Note != "搬家" {
			t.Fatalf("admitted plate's entry: %+v", got[0])
		}
		// The admission is used once.
		if _, r, _ = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "京A00001", 95, 21089, sec+60, 0)); r.Response.Info != "no" {
			t.Fatalf("an admission opened twice")
		}

		// A wrong token or serial: 404 / 401, nothing logged.
		before := len(w.entriesOf(entry.ID))
		bad := entry.CameraURL[:strings.LastIndex(entry.CameraURL, "/")+1] + "ghc_notatoken"
		if st, _, raw = pushTo(t, bad, body); st != 404 {
			t.Fatalf("wrong token: %d %s", st, raw)
		}
		if st, _, raw = pushTo(t, entry.CameraURL, vzPush("0000aaaa-bbbbcccc", "粤B66666", 96, 21090, sec, 0)); st != 401 {
			t.Fatalf("wrong serial: %d %s", st, raw)
		}
		if st, _, raw = pushTo(t, strings.Replace(entry.CameraURL, "/vzenith/", "/hikvision/", 1), body); st != 404 {
			t.Fatalf("another vendor: %d %s", st, raw)
		}
		if n := len(w.entriesOf(entry.ID)); n != before {
			t.Fatalf("refused pushes logged entries: %d, then %d", before, n)
		}

		// Low confidence: no grant, the guard decides.
		if _, r, raw = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "粤B66666", 61, 21091, sec+90, 0)); r.Response.Info != "no" {
			t.Fatalf("low confidence: %s", raw)
		}
		if got = w.entriesOf(entry.ID); got[0].Reason != "low_confidence" {
			t.Fatalf("low confidence's entry: %+v", got[0])
		}
		// The threshold is the community's setting.
		res = e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, map[string]any{"plate_min_confidence": 101}, 422, nil)
		if _, _, f := res.Err(); f["plate_min_confidence"] == "" {
			t.Fatalf("fields: %v", f)
		}
		var com struct {
			PlateMinConfidence int `json:"plate_min_confidence"`
		}
		e.expect("GET", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, nil, 200, &com)
		if com.PlateMinConfidence != 80 {
			t.Fatalf("default plate_min_confidence %d", com.PlateMinConfidence)
		}
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr, map[string]any{"plate_min_confidence": 60}, 200, &com)
		if _, r, raw = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "粤B66666", 61, 21095, sec+92, 0)); r.Response.Info != "ok" || com.PlateMinConfidence != 60 {
			t.Fatalf("61 against a threshold of 60: %s", raw)
		}
		// A misread (B read as 8) never opens; the console finds the close match.
		if _, r, raw = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "粤866666", 97, 21092, sec+95, 0)); r.Response.Info != "no" {
			t.Fatalf("misread: %s", raw)
		}
		var m struct{ Matches []string }
		e.expect("GET", fmt.Sprintf("/api/v1/plate-matches?community_id=%d&plate=%s", w.A, "粤866666"), w.guard, nil, 200, &m)
		if len(m.Matches) != 1 || m.Matches[0] != "粤B66666" {
			t.Fatalf("close matches: %+v", m)
		}
		// A watchlisted plate is refused on the way in.
		e.expect("POST", "/api/v1/plate-watchlist", w.mgr, map[string]any{"community_id": w.A, "plate": "粤C55555", "reason": "多次冲卡"}, 201, nil)
		if _, r, _ = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "粤C55555", 98, 21093, sec+100, 0)); r.Response.Info != "no" {
			t.Fatalf("watchlisted plate opened")
		}
		if got = w.entriesOf(entry.ID); got[0].Reason != "watchlisted" {
			t.Fatalf("watchlisted plate's entry: %+v", got[0])
		}
		// No plate seen (无牌车): no entry, no opening.
		before = len(w.entriesOf(entry.ID))
		if _, r, _ = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "_无_", 0, 21094, sec+110, 0)); r.Response.Info != "no" {
			t.Fatalf("no plate opened")
		}
		if n := len(w.entriesOf(entry.ID)); n != before {
			t.Fatalf("a read without a plate was logged")
		}

		// The exit lane lets the resident's car out.
		e.clock.Advance(26 * time.Hour)
		w.mgr = e.login("mgr")
		if _, r, raw = pushTo(t, exit.CameraURL, vzPush("eff50e18-e3d3862b", "粤B66666", 95, 501, sec+26*3600, 0)); r.Response.Info != "ok" {
			t.Fatalf("exit: %s", raw)
		}
		if got = w.entriesOf(exit.ID); len(got) != 1 || got[0].Direction != "out" || got[0].Decision != "grant" {
			t.Fatalf("exit entries: %+v", got)
		}
		// The on-site list names the cars still inside, after the visitors.
		var onsite struct {
			Items []struct {
				Kind  string `json:"kind"`
				Plate string `json:"plate"`
				Host  *struct {
					ResidentID int64 `json:"resident_id"`
				} `json:"host"`
			} `json:"items"`
		}
		e.expect("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", w.A), w.mgr, nil, 200, &onsite)
		cars := map[string]bool{}
		for _, it := range onsite.Items {
			if it.Kind == "vehicle" {
				cars[it.Plate] = true
			}
		}
		if len(cars) != 2 || !cars["京A00001"] || !cars["粤B12345"] || cars["粤B66666"] {
			t.Fatalf("cars on site: %+v", onsite.Items)
		}
		// The report pairs the exit with the entry: the resident's car stayed 26
		// hours; the admitted car is still inside, over a 24-hour threshold.
		e.clock.Advance(time.Minute)
		var rep struct {
			VehicleStays struct {
				ThresholdHours int `json:"threshold_hours"`
				OnSite         int `json:"on_site"`
				Items          []struct {
					Plate         string     `json:"plate"`
					Resident      bool       `json:"resident"`
					Until         *time.Time `json:"until"`
					Hours         float64    `json:"hours"`
					OnSite        bool       `json:"on_site"`
					OverThreshold bool       `json:"over_threshold"`
				} `json:"items"`
			} `json:"vehicle_stays"`
		}
		e.expect("GET", fmt.Sprintf("/api/v1/reports/population?community_id=%d&threshold_hours=24", w.A), w.mgr, nil, 200, &rep)
		stays := map[string]int{}
		for i, s := range rep.VehicleStays.Items {
			stays[s.Plate] = i
		}
		own, ok := stays["粤B66666"]
		if !ok || rep.VehicleStays.Items[own].Until == nil || rep.VehicleStays.Items[own].Hours != 26 || !rep.VehicleStays.Items[own].Resident {
			t.Fatalf("the resident's car's stay: %+v", rep.VehicleStays)
		}
		visiting, ok := stays["京A00001"]
		if !ok || !rep.VehicleStays.Items[visiting].OnSite || !rep.VehicleStays.Items[visiting].OverThreshold || rep.VehicleStays.Items[visiting].Resident {
			t.Fatalf("the admitted car's stay: %+v", rep.VehicleStays)
		}

		// Police queries by plate find the vehicle entries; the export says 车牌.
		e.mustUser("officer", "police", []int64{w.A}, 0)
		officer := e.login("officer")
		var q struct {
			ResultCount int    `json:"result_count"`
			ExportURL   string `json:"export_url"`
		}
		e.expect("POST", "/api/v1/police/queries", officer, map[string]any{"case_ref": "罗公(刑)字[2026]77号", "purpose": "车辆盗窃案",
			"community_ids": []int64{w.A}, "from": e.clock.Now().Add(-48 * time.Hour).Format(time.RFC3339), "to": e.clock.Now().Add(time.Hour).Format(time.RFC3339),
			"plate": "粤B 66666"}, 201, &q)
		if q.ResultCount < 4 {
			t.Fatalf("police query by plate: %d entries", q.ResultCount)
		}
		if csv := string(e.expect("GET", q.ExportURL, officer, nil, 200, nil).Body); !strings.Contains(csv, ",车牌,") || !strings.Contains(csv, "车牌识别不确定，请门卫核对") {
			t.Fatalf("the export's method and reason in words:\n%s", csv)
		}

		// An offline record re-sent after reconnecting: acknowledged, logged at
		// its own time, opens nothing.
		if _, r, raw = pushTo(t, exit.CameraURL, vzPush("eff50e18-e3d3862b", "京A00001", 95, 502, sec+3600, 1)); r.Response.Offline == nil ||
			r.Response.Offline.PlateID != 502 || r.Response.Offline.Continue != 1 || r.Response.Info == "ok" {
			t.Fatalf("offline record: %s", raw)
		}
		// An entry lane's offline record of the resident's car, older than its
		// exit, does not put the car back inside.
		if _, r, raw = pushTo(t, entry.CameraURL, vzPush("fe71e106-57263272", "粤B66666", 95, 21200, sec+2*3600, 1)); r.Response.Offline == nil {
			t.Fatalf("late offline record: %s", raw)
		}
		e.expect("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", w.A), w.mgr, nil, 200, &onsite)
		for _, it := range onsite.Items {
			if it.Plate == "粤B66666" {
				t.Fatalf("a late offline record put the car that left back inside: %+v", onsite.Items)
			}
		}
	})
}

func TestCameraTokenRotates(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		srv := httptest.NewServer(e.api)
		defer srv.Close()
		g := w.vehicleGate(srv, "车行入口", "fe71e106-57263272", "in")
		sec := e.clock.Now().Unix()
		// A pedestrian gate has no camera to rotate; guards may not rotate.
		e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/rotate-camera-token", w.gate.ID), w.mgr, nil, 409, nil)
		e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/rotate-camera-token", g.ID), w.guard, nil, 403, nil)
		var rotated vehicleGateOut
		e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/rotate-camera-token", g.ID), w.mgr, nil, 200, &rotated)
		newURL := srv.URL + rotated.CameraURL[strings.Index(rotated.CameraURL, "/api/v1/"):]
		if newURL == g.CameraURL {
			t.Fatal("the token did not change")
		}
		if st, _, raw := pushTo(t, g.CameraURL, vzPush("fe71e106-57263272", "京A00001", 95, 1, sec, 0)); st != 404 {
			t.Fatalf("old URL after rotation: %d %s", st, raw)
		}
		if st, r, raw := pushTo(t, newURL, vzPush("fe71e106-57263272", "京A00001", 95, 2, sec, 0)); st != 200 || r.Response.Info != "no" {
			t.Fatalf("new URL: %d %s", st, raw)
		}
		// Its token is never shown again.
		var again vehicleGateOut
		e.expect("GET", fmt.Sprintf("/api/v1/gates/%d", g.ID), w.mgr, nil, 200, &again)
		if again.CameraURL != "" || again.Camera == nil || again.Camera.Serial != "fe71e106-57263272" {
			t.Fatalf("gate after rotation: %+v", again)
		}
		// A disabled gate's camera is not heard.
		e.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", g.ID), w.mgr, map[string]any{"disabled": true}, 200, nil)
		if st, _, _ := pushTo(t, newURL, vzPush("fe71e106-57263272", "京A00001", 95, 3, sec, 0)); st != 404 {
			t.Fatalf("disabled gate's camera: %d", st)
		}
		// Bad registrations name their field.
		res := e.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", w.gate.ID), w.mgr, map[string]any{"camera": map[string]any{"vendor": "acme", "serial": "x y", "lane": "up"}}, 422, nil)
		if _, _, f := res.Err(); f["camera.vendor"] == "" || f["camera.serial"] == "" || f["camera.lane"] == "" || f["camera"] == "" {
			t.Fatalf("fields: %v", f)
		}
	})
}

// vzHeartbeat posts a Vzenith camera's heartbeat (设备注册 / comet 轮询) as the
// camera does, a multipart form, and returns the status and the answer.
func vzHeartbeat(t *testing.T, url, serial string) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range [][2]string{{"device_name", "IVS"}, {"ipaddr", "192.168.109.40"}, {"port", "80"}, {"user_name", "admin"},
		{"pass_wd", "admin"}, {"serialno", serial}, {"channel_num", "1"}} {
		mw.WriteField(kv[0], kv[1])
	}
	mw.Close()
	res, err := http.Post(url, mw.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

func TestACameraPollingIsAskedToReadTheAdmittedCarAgain(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		srv := httptest.NewServer(e.api)
		defer srv.Close()
		g := w.vehicleGate(srv, "车行入口", "d85b1269-8f942256", "in")
		sec := e.clock.Now().Unix()
		const nothing, again = `{"Response_AlarmInfoPlate":{}}`, `{"Response_AlarmInfoPlate":{"manualTrigger":"ok"}}`
		if st, body := vzHeartbeat(t, g.CameraURL, "d85b1269-8f942256"); st != 200 || body != nothing {
			t.Fatalf("a heartbeat with nothing to do: %d %s", st, body)
		}
		if _, r, raw := pushTo(t, g.CameraURL, vzPush("d85b1269-8f942256", "京A00001", 95, 1, sec, 0)); r.Response.Info != "no" {
			t.Fatalf("unknown plate: %s", raw)
		}
		e.expect("POST", "/api/v1/plate-admissions", w.guard, map[string]any{"gate_id": g.ID, "plate": "京A00001",
			"host_resident_id": w.host.ID, "purpose": "送货"}, 201, nil)
		// The next poll asks the camera to read the waiting car again, once.
		if st, body := vzHeartbeat(t, g.CameraURL, "0000aaaa-bbbbcccc"); st != 401 {
			t.Fatalf("a heartbeat of another serial: %d %s", st, body)
		}
		if _, body := vzHeartbeat(t, g.CameraURL, "d85b1269-8f942256"); body != again {
			t.Fatalf("the poll after the admission: %s", body)
		}
		if _, body := vzHeartbeat(t, g.CameraURL, "d85b1269-8f942256"); body != nothing {
			t.Fatalf("the poll after that: %s", body)
		}
		if _, r, raw := pushTo(t, g.CameraURL, vzPush("d85b1269-8f942256", "京A00001", 95, 2, sec+5, 0)); r.Response.Info != "ok" {
			t.Fatalf("the car read again: %s", raw)
		}
		// An admission used or older than two minutes asks nothing.
		e.expect("POST", "/api/v1/plate-admissions", w.guard, map[string]any{"gate_id": g.ID, "plate": "京A00002",
			"host_resident_id": w.host.ID, "purpose": "送货"}, 201, nil)
		e.clock.Advance(3 * time.Minute)
		if _, body := vzHeartbeat(t, g.CameraURL, "d85b1269-8f942256"); body != nothing {
			t.Fatalf("the poll three minutes after an admission: %s", body)
		}
		// A form-encoded heartbeat is a heartbeat too.
		res, err := http.Post(g.CameraURL, "application/x-www-form-urlencoded", strings.NewReader("device_name=IVS&serialno=d85b1269-8f942256"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("a form-encoded heartbeat: %d", res.StatusCode)
		}
	})
}
