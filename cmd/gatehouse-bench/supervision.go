package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
)

// The supervision section: the district overview's table of a month that
// is not published, computed over the whole data set. One request computes
// the month for every community and, for the companies' long-term-poor
// rule, the five months before it.
const supervisionTarget = 2 * time.Second

// supervisionRow is what the check reads of a community's row.
type supervisionRow struct {
	CommunityID int64               `json:"community_id"`
	CompanyID   int64               `json:"company_id"`
	Street      string              `json:"street"`
	Score       float64             `json:"score"`
	Grade       gatehouse.Grade     `json:"grade"`
	Card        gatehouse.GradeCard `json:"card"`
	Capped      bool                `json:"capped"`
	Indicators  []struct {
		Key string `json:"key"`
		Den int64  `json:"denominator"`
	} `json:"indicators"`
}

type supervisionMonth struct {
	Month         string           `json:"month"`
	SchemeVersion int              `json:"scheme_version"`
	Published     any              `json:"published"`
	Items         []supervisionRow `json:"items"`
}

// benchSupervisionSets times the district table on each database's data
// set (made on the first run, as the data section makes it).
func benchSupervisionSets(ctx context.Context, o options, work, bin string, my *mariadb) ([]row, error) {
	var rows []row
	for _, db := range o.databases() {
		ds, err := dataSetOf(ctx, o, work, bin, my, db)
		if err != nil {
			return nil, err
		}
		r, err := benchSupervision(ctx, o, work, bin, ds)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// benchSupervision times GET /supervision/months/{last month}/communities,
// the call the district dashboard makes first, as the admin, o.supRounds
// times after one untimed call, with a CPU profile of the server during
// the first timed one; then checks the table it answered.
func benchSupervision(ctx context.Context, o options, work, bin string, ds *dataSet) ([]row, error) {
	env := map[string]string{"GATEHOUSE_ADDR": "127.0.0.1:0", "GATEHOUSE_DEBUG_ADDR": "127.0.0.1:0"}
	for k, v := range ds.env {
		env[k] = v
	}
	mig := exec.CommandContext(ctx, bin, "migrate")
	mig.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		mig.Env = append(mig.Env, k+"="+v)
	}
	if out, err := mig.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gatehouse migrate on the %s data set: %v\n%s", ds.name, err, out)
	}
	p, err := start(ctx, bin, []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	c := newClient(p.URL, 1)
	c.hc.Timeout = 10 * time.Minute
	admin, err := c.login(ctx, "admin", benchAdminPassword)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	month := gatehouse.AddMonths(time.Now().In(loc).Format("2006-01"), -1) // the dashboard's default month
	path := "/api/v1/supervision/months/" + month + "/communities"
	n := fmt.Sprintf("%s, %dM entries", ds.name, ds.samples.Entries/1_000_000)
	name := fmt.Sprintf("district table of %s, not published (%s)", month, n)
	// Each timed round computes the month from the entry log: what an
	// earlier round kept of it (a settled month is kept) is dropped first;
	// the five months before it, which the long-term-poor rule reads, are
	// read as kept by the untimed first round, as on a server in use.
	driver := ds.env["GATEHOUSE_DB_DRIVER"]
	if driver == "" {
		driver = store.SQLite
	}
	db, err := store.Open(ctx, driver, ds.env["GATEHOUSE_DB_DSN"], nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var m supervisionMonth
	get := func() (time.Duration, error) {
		if err := db.ForgetSupervisionMonth(ctx, month); err != nil {
			return 0, err
		}
		t := time.Now()
		err := c.call(ctx, "GET", path, admin, nil, 200, &m)
		return time.Since(t), err
	}
	// An answer the server could not give (its write timeout is 60 s) is
	// a miss, said in the note, not the end of the benchmark.
	cut := func(d time.Duration, err error) []row {
		return []row{{Section: "supervision", Name: name, Max: d, Target: "< 2 s", Verdict: "MISSED", Note: "no answer: " + err.Error()},
			{Section: "check", Name: fmt.Sprintf("supervision (%s): the table of %s", ds.name, month), Verdict: "not run", Note: "no table was answered"}}
	}
	first, err := get()
	if err != nil {
		return cut(first, err), nil
	}
	fmt.Fprintf(os.Stderr, "supervision (%s): first computation of %s took %s\n", ds.name, month, first.Round(time.Millisecond))
	var lat latencies
	var prof string
	for i := 0; i < o.supRounds; i++ {
		var ch <-chan string
		if i == 0 {
			secs := min(55, max(1, int(first.Seconds())))
			ch = profile(ctx, p, time.Duration(secs)*time.Second, filepath.Join(work, "profile-supervision-"+strings.ToLower(ds.name)+".pprof"))
		}
		d, err := get()
		if ch != nil {
			prof = <-ch
		}
		if err != nil {
			return cut(d, err), nil
		}
		lat = append(lat, d)
	}
	verdict, note := "met", fmt.Sprintf("%d rounds, each computing the month; the untimed first also computed and kept the 5 months before (%s ms); verdict on p99", o.supRounds, ms(first))
	rows := []row{}
	if lat.quantile(0.99) >= supervisionTarget {
		verdict = "MISSED"
		note += "; " + whyMissed(prof)
		if prof != "" {
			rows = append(rows, row{Section: "profile", Name: prof, Note: fmt.Sprintf("during one district table (%s)", ds.name)})
		}
	}
	rows = append([]row{{Section: "supervision", Name: name, P50: lat.quantile(0.5), P99: lat.quantile(0.99), Max: lat.max(),
		Target: "< 2 s", Verdict: verdict, Note: note}}, rows...)
	return append(rows, checkSupervision(ds, month, &m)), nil
}

// whyMissed says where the server's CPU went in a profile (its pprof -top
// summary topFile, beside the .pprof): the store's and the assessment's
// functions by cumulative share, and the functions with the most time of
// their own.
func whyMissed(topFile string) string {
	if topFile == "" {
		return "no profile"
	}
	own := topNames(topFile, 3, func(string) bool { return true }, 1)
	cum, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=200", strings.TrimSuffix(topFile, ".top.txt")+".pprof").Output()
	var ours []string
	if err == nil {
		tmp := strings.TrimSuffix(topFile, ".top.txt") + ".cum.txt"
		if os.WriteFile(tmp, cum, 0o644) == nil {
			ours = topNames(tmp, 4, func(n string) bool {
				return strings.HasPrefix(n, "gatehouse/internal/store.") || strings.HasPrefix(n, "gatehouse/internal/supervision.")
			}, 4)
		}
	}
	return fmt.Sprintf("CPU (cumulative): %s; own time: %s", strings.Join(ours, ", "), strings.Join(own, ", "))
}

// topNames reads a pprof -top summary: the first n function names that keep
// passes, each with the share in column col (1 flat%, 4 cum%).
func topNames(file string, n int, keep func(string) bool, col int) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "flat%") {
			in = true
			continue
		}
		f := strings.Fields(l)
		if !in || len(f) < 6 {
			continue
		}
		name := strings.Join(f[5:], " ")
		if !keep(name) {
			continue
		}
		out = append(out, strings.TrimPrefix(name, "gatehouse/internal/")+" "+f[col])
		if len(out) == n {
			break
		}
	}
	return out
}

// checkSupervision checks the table: every community of the data set
// graded, each with its company and street, its grade the scheme's for its
// score (or pass, held there by a serious incident) and its card the
// grade's, and the gate-availability and registry indicators measured.
func checkSupervision(ds *dataSet, month string, m *supervisionMonth) row {
	r := row{Section: "check", Name: fmt.Sprintf("supervision (%s): %s's table grades every community consistently", ds.name, month), Verdict: "passed"}
	fail := func(format string, args ...any) row {
		r.Verdict, r.Note = "FAILED", fmt.Sprintf(format, args...)
		return r
	}
	sc := gatehouse.DefaultScheme() // bench-data stores it as version 1
	if m.Published != nil || m.SchemeVersion != 1 {
		return fail("the month is published (%v) or computed with scheme %d, not bench-data's 1", m.Published, m.SchemeVersion)
	}
	if int64(len(m.Items)) != ds.samples.Communities {
		return fail("%d communities graded, want %d", len(m.Items), ds.samples.Communities)
	}
	count := map[gatehouse.Grade]int{}
	seen := map[int64]bool{}
	for _, it := range m.Items {
		want := sc.GradeOf(it.Score)
		if it.Capped {
			want = gatehouse.GradePass
		}
		switch {
		case seen[it.CommunityID]:
			return fail("community %d listed twice", it.CommunityID)
		case it.CompanyID == 0 || it.Street == "":
			return fail("community %d has no company or street", it.CommunityID)
		case it.Score < 0 || it.Score > 100:
			return fail("community %d scored %.1f", it.CommunityID, it.Score)
		case it.Grade != want:
			return fail("community %d scored %.1f (capped %v) but is graded %s, not %s", it.CommunityID, it.Score, it.Capped, it.Grade, want)
		case it.Card != gatehouse.CardOf(it.Grade):
			return fail("community %d graded %s has card %q", it.CommunityID, it.Grade, it.Card)
		case len(it.Indicators) != len(gatehouse.Indicators):
			return fail("community %d has %d indicators", it.CommunityID, len(it.Indicators))
		}
		for _, in := range it.Indicators {
			if (in.Key == gatehouse.IndGateOffline || in.Key == gatehouse.IndRegistry || in.Key == gatehouse.IndRegistration) && in.Den == 0 {
				return fail("community %d: %s measured nothing", it.CommunityID, in.Key)
			}
		}
		seen[it.CommunityID] = true
		count[it.Grade]++
	}
	var dist []string
	for _, g := range gatehouse.Grades {
		dist = append(dist, fmt.Sprintf("%s %d", g, count[g]))
	}
	r.Note = fmt.Sprintf("%d communities: %s", len(m.Items), strings.Join(dist, ", "))
	return r
}
