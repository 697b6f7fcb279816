package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The plate section: vehicle gates' cameras push plates while QR scans run.
// A camera waits for its answer before it raises the barrier, so every push
// must be answered quickly however busy the scan path is.
const (
	plateCameras  = 10
	platePerSec   = 1
	plateDuration = 60 * time.Second
	plateP99      = 300 * time.Millisecond
	plateVehicles = 200
)

// plateLane is one vehicle gate and what its camera sends.
type plateLane struct {
	url, serial string
}

// setupPlates makes a community with plateCameras vehicle gates (half entry,
// half exit lanes) and plateVehicles residents' vehicles.
func setupPlates(ctx context.Context, c *client, admin, base string) ([]plateLane, error) {
	var com struct{ ID int64 }
	if err := c.call(ctx, "POST", "/api/v1/communities", admin, map[string]any{"name": "车行压测小区", "anti_passback": "off"}, 201, &com); err != nil {
		return nil, err
	}
	var host struct{ ID int64 }
	if err := c.call(ctx, "POST", "/api/v1/residents", admin, map[string]any{"community_id": com.ID, "name": "车主", "id_type": "passport",
		"id_number": "C00000001", "phone": "13800138000", "building": "1栋", "unit": "1单元", "room": "101"}, 201, &host); err != nil {
		return nil, err
	}
	for i := 0; i < plateVehicles; i++ {
		if err := c.call(ctx, "POST", fmt.Sprintf("/api/v1/residents/%d/vehicles", host.ID), admin, map[string]any{"plate": fmt.Sprintf("粤B%05d", i)}, 201, nil); err != nil {
			return nil, err
		}
	}
	lanes := make([]plateLane, plateCameras)
	for i := range lanes {
		var g struct {
			ID        int64  `json:"id"`
			CameraURL string `json:"camera_url"`
		}
		if err := c.call(ctx, "POST", "/api/v1/gates", admin, map[string]any{"community_id": com.ID, "name": fmt.Sprintf("车道%d", i+1)}, 201, &g); err != nil {
			return nil, err
		}
		lane := []string{"in", "out"}[i%2]
		serial := fmt.Sprintf("bench-cam-%02d", i)
		if err := c.call(ctx, "PATCH", fmt.Sprintf("/api/v1/gates/%d", g.ID), admin, map[string]any{"kind": "vehicle",
			"camera": map[string]any{"vendor": "vzenith", "serial": serial, "lane": lane}}, 200, &g); err != nil {
			return nil, err
		}
		u, err := url.Parse(g.CameraURL)
		if err != nil {
			return nil, err
		}
		lanes[i] = plateLane{url: base + u.Path, serial: serial}
	}
	return lanes, nil
}

// vzBody is a Vzenith push of one read.
func vzBody(serial, plate string, id int64) []byte {
	return []byte(fmt.Sprintf(`{"AlarmInfoPlate":{"channel":0,"deviceName":"IVS","ipaddr":"10.0.0.2","serialno":%q,"result":{"PlateResult":`+
		`{"license":%q,"colorType":1,"confidence":95,"direction":4,"plateid":%d,"isoffline":0,"timeStamp":{"Timeval":{"sec":%d,"usec":0}}}}}}`,
		serial, plate, id, time.Now().Unix()))
}

// pushes is what the cameras saw.
type pushes struct {
	mu       sync.Mutex
	lat      latencies
	reads    int64 // distinct reads answered
	retries  int64 // reads sent again (the camera got no answer in time)
	errors   int64
	firstErr string
}

func (p *pushes) add(d time.Duration, retry bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.errors++
		if p.firstErr == "" {
			p.firstErr = err.Error()
		}
		return
	}
	p.lat = append(p.lat, d)
	if retry {
		p.retries++
	} else {
		p.reads++
	}
}

// push sends one read and checks the camera's answer.
func push(hc *http.Client, url string, body []byte) error {
	res, err := hc.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var a struct {
		R struct{ Info string } `json:"Response_AlarmInfoPlate"`
	}
	if res.StatusCode != 200 || json.Unmarshal(raw, &a) != nil || (a.R.Info != "ok" && a.R.Info != "no") {
		return fmt.Errorf("push: %d %s", res.StatusCode, raw)
	}
	return nil
}

// runCameras has every lane push platePerSec reads a second for d; every
// tenth read is sent twice, as a camera does when its answer is late.
func runCameras(ctx context.Context, lanes []plateLane, d time.Duration) *pushes {
	out := &pushes{}
	hc := httpClient(len(lanes) * 2)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for i, lane := range lanes {
		wg.Add(1)
		go func(i int, lane plateLane) {
			defer wg.Done()
			tick := time.NewTicker(time.Second / platePerSec)
			defer tick.Stop()
			for n := int64(1); ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				plate := fmt.Sprintf("粤B%05d", (int(n)*7+i)%plateVehicles)
				if n%10 == 5 {
					plate = fmt.Sprintf("京A%05d", int(n)*10+i) // a visitor nobody registered
				}
				body := vzBody(lane.serial, plate, n)
				t := time.Now()
				err := push(hc, lane.url, body)
				out.add(time.Since(t), false, err)
				if n%10 == 0 {
					t = time.Now()
					err = push(hc, lane.url, body)
					out.add(time.Since(t), true, err)
				}
			}
		}(i, lane)
	}
	wg.Wait()
	hc.CloseIdleConnections()
	return out
}

// benchPlates runs the cameras beside a closed loop of QR scans on each
// database, then checks that every read was logged once and the chain
// verifies.
func benchPlates(ctx context.Context, o options, work, bin string, my *mariadb, stderr io.Writer) ([]row, error) {
	dir := filepath.Join(work, "plates-sqlite")
	dbs := []dbRun{{name: "SQLite", env: map[string]string{"GATEHOUSE_DB_DSN": filepath.Join(dir, "gatehouse.db"), "GATEHOUSE_KEY_DIR": filepath.Join(dir, "keys")},
		fresh: func() error { os.RemoveAll(dir); return os.MkdirAll(dir, 0o750) }}}
	if my != nil {
		dbs = append(dbs, dbRun{name: "MariaDB", env: map[string]string{"GATEHOUSE_DB_DRIVER": "mysql", "GATEHOUSE_DB_DSN": my.dsn("gatehouse_plates"),
			"GATEHOUSE_KEY_DIR": filepath.Join(work, "plates-mariadb", "keys")},
			fresh: func() error {
				os.RemoveAll(filepath.Join(work, "plates-mariadb"))
				return my.exec(ctx, "DROP DATABASE IF EXISTS gatehouse_plates", "CREATE DATABASE gatehouse_plates CHARACTER SET utf8mb4")
			}})
	}
	var rows []row
	for _, db := range dbs {
		r, err := benchPlatesOn(ctx, bin, db, stderr)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

func benchPlatesOn(ctx context.Context, bin string, db dbRun, stderr io.Writer) ([]row, error) {
	fmt.Fprintf(stderr, "plates: %s\n", db.name)
	if err := db.fresh(); err != nil {
		return nil, err
	}
	env := map[string]string{"GATEHOUSE_ADDR": "127.0.0.1:0", "GATEHOUSE_ADMIN_PASSWORD": benchAdminPassword}
	for k, v := range db.env {
		env[k] = v
	}
	p, err := start(ctx, bin, []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	s, err := setupScans(ctx, p.URL)
	if err != nil {
		return nil, err
	}
	lanes, err := setupPlates(ctx, s.client, s.admin, p.URL)
	if err != nil {
		return nil, err
	}
	var scans *result
	var cams *pushes
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		scans = closedLoop(ctx, []string{p.URL + "/api/v1/scan"}, s.mix, 16, plateDuration)
	}()
	cams = runCameras(ctx, lanes, plateDuration)
	wg.Wait()
	name := fmt.Sprintf("%s, %d cameras × %d plate/s for %s beside QR scans (16 connections)", db.name, plateCameras, platePerSec, plateDuration)
	r := row{Section: "plates", Name: name, RPS: float64(len(cams.lat)) / plateDuration.Seconds(), P50: cams.lat.quantile(0.5),
		P99: cams.lat.quantile(0.99), Max: cams.lat.max(), Target: "every push answered, p99 < 300 ms", Verdict: "met",
		Note: fmt.Sprintf("%d reads, %d sent twice; QR scans meanwhile: %.0f/s, p99 %s ms", cams.reads, cams.retries, scans.rps(), ms(scans.lat.quantile(0.99)))}
	if cams.errors > 0 || cams.lat.quantile(0.99) >= plateP99 {
		r.Verdict = "MISSED"
	}
	rows := []row{r}
	t := &total{grants: map[int64]int64{}}
	t.add(scans)
	if cams.errors > 0 {
		t.errs = append(t.errs, fmt.Sprintf("%d pushes failed, first: %s", cams.errors, cams.firstErr))
	}
	const checked = ": every read logged once (a read sent twice too), no scan lost, chain verifies"
	if err := t.check(ctx, s, cams.reads); err != nil {
		return append(rows, row{Section: "check", Name: db.name + checked, Verdict: "FAILED", Note: err.Error()}), nil
	}
	return append(rows, row{Section: "check", Name: db.name + checked, Verdict: "passed",
		Note: fmt.Sprintf("%d reads and %d scans in the log", cams.reads, t.ok)}), nil
}
