package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// bareGin serves the ceiling: gin with no middleware, answering 200.
func bareGin(ctx context.Context, addr string, stderr io.Writer) error {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/api/v1/scan", func(c *gin.Context) { c.Status(200) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(map[string]string{"msg": "listening", "addr": ln.Addr().String()})
	fmt.Fprintln(stderr, string(b))
	srv := &http.Server{Handler: r}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// scanSetup is a server's communities, gates and passes, as a request mix.
type scanSetup struct {
	mix    *mix
	admin  string
	client *client
}

// setupScans creates communities, gates, residents and passes through the
// API and builds the request mix.
func setupScans(ctx context.Context, url string) (*scanSetup, error) {
	c := newClient(url, 16)
	admin, err := c.login(ctx, "admin", benchAdminPassword)
	if err != nil {
		return nil, err
	}
	s := &scanSetup{mix: &mix{}, admin: admin, client: c}
	const communities, gatesEach, multiEach, singleEach = 50, 4, 20, 40 // 200 gates
	type job struct {
		index           int // the community's place in the set-up
		community, host int64
		gates           []string
		max             int
		n               int
	}
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var p struct {
					ID   int64
					Code string
				}
				body := map[string]any{"community_id": j.community, "host_resident_id": j.host, "max_entries": j.max,
					"valid_until": time.Now().Add(6 * 24 * time.Hour).Format(time.RFC3339),
					"visitor":     map[string]any{"name": "访客", "id_type": "passport", "id_number": fmt.Sprintf("B%08d", j.n)}}
				err := c.call(ctx, "POST", "/api/v1/passes", admin, body, 201, &p)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				for i, g := range j.gates {
					dir := []string{"in", "out"}[i%2]
					q := request{key: g, body: []byte(fmt.Sprintf(`{"code":%q,"direction":%q}`, p.Code, dir)), community: j.index}
					if j.max == 1 {
						q.single = p.ID
						q.body = []byte(fmt.Sprintf(`{"code":%q,"direction":"in"}`, p.Code))
						s.mix.single = append(s.mix.single, q)
						break
					}
					s.mix.multi = append(s.mix.multi, q)
				}
				mu.Unlock()
			}
		}()
	}
	n := 0
	for ci := 0; ci < communities && firstErr == nil; ci++ {
		var com struct{ ID int64 }
		if err := c.call(ctx, "POST", "/api/v1/communities", admin, map[string]any{"name": fmt.Sprintf("压测小区%d", ci+1), "anti_passback": "off"}, 201, &com); err != nil {
			close(jobs)
			return nil, err
		}
		var host struct{ ID int64 }
		if err := c.call(ctx, "POST", "/api/v1/residents", admin, map[string]any{"community_id": com.ID, "name": "业主", "id_type": "passport",
			"id_number": fmt.Sprintf("H%08d", ci), "phone": "13800138000", "building": "1栋", "unit": "1单元", "room": "101"}, 201, &host); err != nil {
			close(jobs)
			return nil, err
		}
		var keys []string
		for g := 0; g < gatesEach; g++ {
			var gate struct {
				DeviceKey string `json:"device_key"`
			}
			if err := c.call(ctx, "POST", "/api/v1/gates", admin, map[string]any{"community_id": com.ID, "name": fmt.Sprintf("门%d", g+1)}, 201, &gate); err != nil {
				close(jobs)
				return nil, err
			}
			keys = append(keys, gate.DeviceKey)
			s.mix.bad = append(s.mix.bad, request{key: gate.DeviceKey, body: []byte(`{"code":"GH1notacodeatall","direction":"in"}`)})
		}
		for i := 0; i < multiEach+singleEach; i++ {
			max := 1000
			if i >= multiEach {
				max = 1
			}
			n++
			rot := append(append([]string{}, keys[i%len(keys):]...), keys[:i%len(keys)]...)
			jobs <- job{index: ci, community: com.ID, host: host.ID, gates: rot[:2], max: max, n: n}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return s, nil
}

// measured runs a load and reads the server's CPU and peak memory around it.
func measured(p *process, f func() *result) (*result, time.Duration, int64, error) {
	before, err := readUsage(p.cmd.Process.Pid)
	if err != nil {
		return nil, 0, 0, err
	}
	r := f()
	after, err := readUsage(p.cmd.Process.Pid)
	if err != nil {
		return nil, 0, 0, err
	}
	return r, after.CPU - before.CPU, after.PeakRSS, nil
}

// total merges results for the correctness checks.
type total struct {
	ok     int64
	grants map[int64]int64
	errs   []string
}

func (t *total) add(r *result) {
	t.ok += int64(len(r.lat))
	for p, n := range r.grants {
		t.grants[p] += n
	}
	if r.errors > 0 {
		t.errs = append(t.errs, fmt.Sprintf("%d failed requests, first: %s", r.errors, r.firstErr))
	}
}

// check proves the guarantees after a load: no single-use pass granted
// twice, every answered scan in the log, the chain unbroken.
func (t *total) check(ctx context.Context, s *scanSetup, extra int64) error {
	if len(t.errs) > 0 {
		return fmt.Errorf("%v", t.errs)
	}
	for p, n := range t.grants {
		if n > 1 {
			return fmt.Errorf("single-use pass %d was granted %d times", p, n)
		}
	}
	var rep struct {
		OK          bool
		Checked     int64
		FirstBroken any `json:"first_broken"`
	}
	if err := s.client.call(ctx, "GET", "/api/v1/entries/verify", s.admin, nil, 200, &rep); err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("the entry chain does not verify: %v", rep.FirstBroken)
	}
	if rep.Checked != t.ok+extra {
		return fmt.Errorf("the log holds %d entries but %d scans were answered: entries were lost", rep.Checked, t.ok+extra)
	}
	return nil
}

func scanRow(section, name string, r *result, cpu time.Duration, rss int64, ceiling float64) row {
	out := row{Section: section, Name: name, RPS: r.rps(), P50: r.lat.quantile(0.5), P99: r.lat.quantile(0.99), Max: r.lat.max(),
		CPU: fmt.Sprintf("%.0f%%", 100*cpu.Seconds()/r.elapsed.Seconds()), PeakRSS: fmt.Sprintf("%.0f MiB", float64(rss)/(1<<20))}
	if ceiling > 0 {
		out.Ratio = fmt.Sprintf("%.2f", r.rps()/ceiling)
	}
	out.Note = fmt.Sprintf("granted %d, denied %d", r.reasons["granted"], int64(len(r.lat))-r.reasons["granted"])
	return out
}

// benchScans measures the scan path: the bare gin ceiling, then SQLite and
// MariaDB, closed-loop at 16 and 64 connections and open-loop at the target
// rate, then two processes on one MariaDB; correctness is checked after each.
func benchScans(ctx context.Context, o options, work, bin string, my *mariadb, stderr io.Writer) ([]row, error) {
	rows, profiles, err := benchScanRuns(ctx, o, work, bin, my, stderr)
	for _, p := range profiles {
		if p != "" {
			rows = append(rows, row{Section: "profile", Name: p})
		}
	}
	return rows, err
}

// profile fetches a CPU profile of the server for d, while a load runs, and
// sends the path of a text summary (pprof -top) when done ("" if none).
func profile(ctx context.Context, p *process, d time.Duration, path string) <-chan string {
	out := make(chan string, 1)
	addr := p.debugAddr()
	if addr == "" {
		out <- ""
		return out
	}
	go func() {
		c := newClient("http://"+addr, 1)
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", c.url, int(d.Seconds())), nil)
		res, err := c.hc.Do(req)
		if err != nil {
			out <- ""
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if os.WriteFile(path, b, 0o644) != nil {
			out <- ""
			return
		}
		top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", path).Output()
		if err != nil {
			out <- ""
			return
		}
		txt := strings.TrimSuffix(path, ".pprof") + ".top.txt"
		os.WriteFile(txt, top, 0o644)
		out <- txt
	}()
	return out
}

func benchScanRuns(ctx context.Context, o options, work, bin string, my *mariadb, stderr io.Writer) ([]row, []string, error) {
	var profiles []string
	self, err := os.Executable()
	if err != nil {
		return nil, profiles, err
	}
	fmt.Fprintln(stderr, "scan: the bare gin ceiling")
	bare, err := start(ctx, self, []string{"bare-gin"}, nil)
	if err != nil {
		return nil, profiles, err
	}
	ceilingMix := &mix{multi: []request{{body: []byte(`{"code":"x","direction":"in"}`)}}}
	ceilingMix.single, ceilingMix.bad = ceilingMix.multi, ceilingMix.multi
	var ceiling float64
	r, cpu, rss, err := measured(bare, func() *result {
		return closedLoop(ctx, []string{bare.URL + "/api/v1/scan"}, ceilingMix, 64, o.duration)
	})
	bare.stop()
	if err != nil {
		return nil, profiles, err
	}
	ceiling = r.rps()
	rows := []row{scanRow("scan", "bare gin handler, 64 connections (the ceiling)", r, cpu, rss, 0)}
	rows[0].Note = "no middleware, answers 200"

	sqliteDir := filepath.Join(work, "scan-sqlite")
	runs := []dbRun{
		{name: "SQLite", target: 5000, env: map[string]string{"GATEHOUSE_DB_DSN": filepath.Join(sqliteDir, "gatehouse.db"), "GATEHOUSE_KEY_DIR": filepath.Join(sqliteDir, "keys")},
			fresh: func() error { os.RemoveAll(sqliteDir); return os.MkdirAll(sqliteDir, 0o750) }},
		{name: "MariaDB", target: 3000, server: my, env: map[string]string{"GATEHOUSE_DB_DRIVER": "mysql", "GATEHOUSE_DB_DSN": my.dsn("gatehouse_scan"),
			"GATEHOUSE_KEY_DIR": filepath.Join(work, "scan-mariadb", "keys")},
			fresh: func() error {
				os.RemoveAll(filepath.Join(work, "scan-mariadb"))
				return my.exec(ctx, "DROP DATABASE IF EXISTS gatehouse_scan", "CREATE DATABASE gatehouse_scan CHARACTER SET utf8mb4")
			}},
	}
	for _, db := range runs {
		if !slices.Contains(o.databases(), strings.ToLower(db.name)) {
			continue
		}
		r, failed, err := benchScanDB(ctx, o, work, bin, db, ceiling, &profiles, stderr)
		rows = append(rows, r...)
		if err != nil {
			return nil, profiles, err
		}
		if failed {
			return rows, profiles, nil
		}
	}
	return rows, profiles, nil
}

// dbRun is one database the scan load runs against.
type dbRun struct {
	name   string
	env    map[string]string
	target int
	fresh  func() error
	server *mariadb // the database server's process, when it is one
}

// pid is the database server's process, or 0 (SQLite is in the server).
func (db dbRun) pid() int {
	if db.server == nil || db.server.cmd == nil || db.server.cmd.Process == nil {
		return 0
	}
	return db.server.cmd.Process.Pid
}

// benchScanDB runs the scan loads against a fresh server on one database and
// checks the log after them; failed says a check failed (its row tells why).
func benchScanDB(ctx context.Context, o options, work, bin string, db dbRun, ceiling float64, profiles *[]string, stderr io.Writer) (rows []row, failed bool, err error) {
	fmt.Fprintf(stderr, "scan: %s\n", db.name)
	if err := db.fresh(); err != nil {
		return nil, false, err
	}
	env := map[string]string{"GATEHOUSE_ADDR": "127.0.0.1:0", "GATEHOUSE_ADMIN_PASSWORD": benchAdminPassword, "GATEHOUSE_DEBUG_ADDR": "127.0.0.1:0"}
	for k, v := range db.env {
		env[k] = v
	}
	p, err := start(ctx, bin, []string{"serve"}, env)
	if err != nil {
		return nil, false, err
	}
	defer p.stop()
	s, err := setupScans(ctx, p.URL)
	if err != nil {
		return nil, false, err
	}
	url := p.URL + "/api/v1/scan"
	t := &total{grants: map[int64]int64{}}
	for _, run := range []struct {
		name string
		f    func() *result
	}{
		{"closed loop, 16 connections", func() *result { return closedLoop(ctx, []string{url}, s.mix, 16, o.duration) }},
		{"closed loop, 64 connections", func() *result {
			prof := profile(ctx, p, o.duration-time.Second, filepath.Join(work, "profile-"+strings.ToLower(db.name)+".pprof"))
			r := closedLoop(ctx, []string{url}, s.mix, 64, o.duration)
			*profiles = append(*profiles, <-prof)
			return r
		}},
		{fmt.Sprintf("open loop, %d/s", db.target), func() *result { return openLoop(ctx, url, s.mix, db.target, o.duration) }},
		{"one busy community, closed loop, 16 connections", func() *result { return closedLoop(ctx, []string{url}, s.busy(), 16, o.duration) }},
	} {
		spent := startSpending(db.pid())
		r, cpu, rss, err := measured(p, run.f)
		if err != nil {
			return nil, false, err
		}
		t.add(r)
		row := loadRow(db, run.name, r, cpu, rss, ceiling)
		if n := spent.note(db.name); n != "" {
			row.Note += "; " + n
		}
		rows = append(rows, row)
	}
	const checked = ": one grant per single-use pass, no entry lost, chain verifies"
	if err := t.check(ctx, s, 0); err != nil {
		return append(rows, row{Section: "check", Name: db.name + checked, Verdict: "FAILED", Note: err.Error()}), true, nil
	}
	rows = append(rows, row{Section: "check", Name: db.name + checked, Verdict: "passed",
		Note: fmt.Sprintf("%d scans answered, %d single-use passes granted", t.ok, len(t.grants))})
	if db.name == "MariaDB" {
		r, err := benchTwoProcesses(ctx, o, bin, env, p, s, t, ceiling)
		if err != nil {
			return nil, false, err
		}
		rows = append(rows, r...)
	}
	return rows, false, nil
}

// busy is the multi-use passes of the first community alone: every grant
// in one chain.
func (s *scanSetup) busy() *mix {
	var one []request
	for _, q := range s.mix.multi {
		if q.community == 0 {
			one = append(one, q)
		}
	}
	return &mix{multi: one, single: one, bad: one}
}

// loadTarget is what a load run of a database must reach: a rate (closed
// loop: at least; open loop: the offered rate, answered without queueing),
// a p99, a share of the bare gin handler, and a peak RSS.
type loadTarget struct {
	rate  float64
	p99   time.Duration
	ofGin float64
}

// maxRSS is the memory a server may hold under any load.
const maxRSS = 150 << 20

// targets are the scan path's targets by database and run (the first
// words of the run's name); a run without one is reported, not judged.
var targets = map[string]map[string]loadTarget{
	"SQLite": {
		"closed loop, 16": {7000, 10 * time.Millisecond, 0.22},
		"open loop":       {5000, 20 * time.Millisecond, 0},
	},
	"MariaDB": {
		"closed loop, 16": {3500, 25 * time.Millisecond, 0},
		"open loop":       {3000, 25 * time.Millisecond, 0},
		"one busy":        {2000, 25 * time.Millisecond, 0},
	},
}

// loadRow is the row of one load run, with its verdict against the targets.
func loadRow(db dbRun, name string, r *result, cpu time.Duration, rss int64, ceiling float64) row {
	row := scanRow("scan", db.name+", "+name, r, cpu, rss, ceiling)
	var tg loadTarget
	for prefix, t := range targets[db.name] {
		if strings.HasPrefix(name, prefix) {
			tg = t
		}
	}
	if tg.rate == 0 {
		return row
	}
	row.Target = fmt.Sprintf("%.0f/s, p99 ≤ %d ms, ≤ %d MiB", tg.rate, tg.p99.Milliseconds(), maxRSS>>20)
	if tg.ofGin > 0 {
		row.Target += fmt.Sprintf(", %.2f of gin", tg.ofGin)
	}
	row.Verdict = "met"
	// An open loop answers at most the rate it offers, less what is still
	// under way when the run ends: 2 % allows for that. A closed loop's
	// rate is a floor.
	floor := tg.rate
	if strings.HasPrefix(name, "open loop") {
		floor *= 0.98
	}
	var short []string
	if r.rps() < floor {
		short = append(short, fmt.Sprintf("%.0f/s short (%.0f%%)", tg.rate-r.rps(), 100*(tg.rate-r.rps())/tg.rate))
	}
	if p99 := r.lat.quantile(0.99); p99 > tg.p99 {
		short = append(short, fmt.Sprintf("p99 %.0f ms over", float64(p99-tg.p99)/float64(time.Millisecond)))
	}
	if rss > maxRSS {
		short = append(short, fmt.Sprintf("%d MiB over", (rss-maxRSS)>>20))
	}
	if tg.ofGin > 0 && r.rps() < ceiling*tg.ofGin {
		short = append(short, fmt.Sprintf("%.2f of gin, not %.2f", r.rps()/ceiling, tg.ofGin))
	}
	if len(short) > 0 {
		row.Verdict = "MISSED"
		row.Note += "; " + strings.Join(short, ", ")
	}
	return row
}

// benchTwoProcesses scans single-use passes through a second process on the
// same database as p: each still opens once.
func benchTwoProcesses(ctx context.Context, o options, bin string, env map[string]string, p *process, s *scanSetup, t *total, ceiling float64) ([]row, error) {
	q, err := start(ctx, bin, []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	defer q.stop()
	fresh, err := setupScans(ctx, p.URL)
	if err != nil {
		return nil, err
	}
	onlySingle := &mix{multi: fresh.mix.single, single: fresh.mix.single, bad: fresh.mix.single}
	r := closedLoop(ctx, []string{p.URL + "/api/v1/scan", q.URL + "/api/v1/scan"}, onlySingle, 32, o.duration/2)
	t2 := &total{grants: map[int64]int64{}}
	t2.add(r)
	t.add(r)
	rows := []row{scanRow("scan", "MariaDB, two processes, single-use passes only", r, 0, 0, ceiling)}
	verdict, note := "passed", fmt.Sprintf("%d scans, %d passes granted once", len(r.lat), len(t2.grants))
	if err := t.check(ctx, s, 0); err != nil {
		verdict, note = "FAILED", err.Error()
	}
	for _, n := range t2.grants {
		if n != 1 {
			verdict, note = "FAILED", fmt.Sprintf("a single-use pass was granted %d times across two processes", n)
		}
	}
	return append(rows, row{Section: "check", Name: "two processes: one grant per single-use pass, chain verifies", Verdict: verdict, Note: note}), nil
}
