package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// dataSet is a district of synthetic data on one database.
type dataSet struct {
	name    string // sqlite or mariadb
	env     map[string]string
	samples struct {
		IDNumbers   []string `json:"id_numbers"`
		Communities int64    `json:"communities"`
		Entries     int64    `json:"entries"`
		Companies   int64    `json:"property_companies"` // 0: made before bench-data filled the supervision's data
	}
}

const benchAdminPassword = "bench-admin-password"

// prepareData makes (once) or reuses the data set of a database: dir holds
// its key directory and samples; env says where the database is.
func prepareData(ctx context.Context, gatehouseBin, dir string, env map[string]string, entries int64, communities int, fresh func() error) (*dataSet, error) {
	ds := &dataSet{env: env}
	samples := filepath.Join(dir, "samples.json")
	if b, err := os.ReadFile(samples); err == nil && json.Unmarshal(b, &ds.samples) == nil && ds.samples.Entries == entries && ds.samples.Companies > 0 {
		fmt.Fprintf(os.Stderr, "using the data set in %s (%d entries)\n", dir, entries)
		return ds, nil
	}
	fmt.Fprintf(os.Stderr, "making a data set of %d entries in %s (once; later runs reuse it)\n", entries, dir)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	if err := fresh(); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, gatehouseBin, "bench-data", "--entries", strconv.FormatInt(entries, 10),
		"--communities", strconv.Itoa(communities), "--samples", samples+".tmp")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench-data: %w", err)
	}
	if err := os.Rename(samples+".tmp", samples); err != nil {
		return nil, err
	}
	b, _ := os.ReadFile(samples)
	return ds, json.Unmarshal(b, &ds.samples)
}

// benchData times searches by ID number and a month's report of one
// community, through the HTTP API of a server on the data set.
func benchData(ctx context.Context, gatehouseBin string, ds *dataSet, rounds int) ([]row, error) {
	env := map[string]string{"GATEHOUSE_ADDR": "127.0.0.1:0"}
	for k, v := range ds.env {
		env[k] = v
	}
	// A data set made by an older build is brought to this build's schema.
	mig := exec.CommandContext(ctx, gatehouseBin, "migrate")
	mig.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		mig.Env = append(mig.Env, k+"="+v)
	}
	if out, err := mig.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gatehouse migrate on the %s data set: %v\n%s", ds.name, err, out)
	}
	p, err := start(ctx, gatehouseBin, []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	c := newClient(p.URL, 4)
	police, err := c.login(ctx, "bench-police", benchAdminPassword+"-police")
	if err != nil {
		return nil, err
	}
	admin, err := c.login(ctx, "admin", benchAdminPassword)
	if err != nil {
		return nil, err
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	var search, police2, report latencies
	found := 0
	for i := 0; i < rounds; i++ {
		id := ds.samples.IDNumbers[i%len(ds.samples.IDNumbers)]
		var out struct{ Items []struct{ ID int64 } }
		t := time.Now()
		if err := c.call(ctx, "GET", "/api/v1/entries?limit=50&id_number="+url.QueryEscape(id), police, nil, 200, &out); err != nil {
			return nil, err
		}
		search = append(search, time.Since(t))
		found += len(out.Items)
		q := map[string]any{"case_ref": fmt.Sprintf("BENCH-%d", i), "purpose": "benchmark", "community_ids": []int64{1 + rnd.Int64N(ds.samples.Communities)},
			"from": time.Now().AddDate(-1, 0, 0).Format(time.RFC3339), "to": time.Now().Format(time.RFC3339), "id_number": id}
		t = time.Now()
		if err := c.call(ctx, "POST", "/api/v1/police/queries", police, q, 201, nil); err != nil {
			return nil, err
		}
		police2 = append(police2, time.Since(t))
		from := time.Now().AddDate(0, -1-rnd.IntN(10), 0)
		path := fmt.Sprintf("/api/v1/reports/population?community_id=%d&from=%s&to=%s", 1+rnd.Int64N(ds.samples.Communities),
			from.Format("2006-01-02"), from.AddDate(0, 1, 0).Format("2006-01-02"))
		var rep struct{ Visits struct{ Total int } }
		t = time.Now()
		if err := c.call(ctx, "GET", path, admin, nil, 200, &rep); err != nil {
			return nil, err
		}
		report = append(report, time.Since(t))
		if rep.Visits.Total == 0 {
			return nil, fmt.Errorf("a month's report of a community counted no visits: the data set is not what it should be")
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("no search by ID number found anything: the data set does not match its key directory")
	}
	n := fmt.Sprintf("%s, %dM entries", ds.name, ds.samples.Entries/1_000_000)
	verdict := func(l latencies, limit time.Duration) string {
		if l.quantile(0.5) < limit {
			return "met"
		}
		return "MISSED"
	}
	return []row{
		{Section: "search", Name: "GET /entries?id_number= (" + n + ")", P50: search.quantile(0.5), P99: search.quantile(0.99), Max: search.max(),
			Target: "< 50 ms", Verdict: verdict(search, 50*time.Millisecond), Note: fmt.Sprintf("%d searches, %d entries found", rounds, found)},
		{Section: "search", Name: "POST /police/queries by ID, a year (" + n + ")", P50: police2.quantile(0.5), P99: police2.quantile(0.99), Max: police2.max(),
			Target: "< 50 ms", Verdict: verdict(police2, 50*time.Millisecond), Note: "with its count and audit"},
		{Section: "report", Name: "a month's report of one community (" + n + ")", P50: report.quantile(0.5), P99: report.quantile(0.99), Max: report.max(),
			Target: "< 200 ms", Verdict: verdict(report, 200*time.Millisecond), Note: fmt.Sprintf("%d reports", rounds)},
	}, nil
}
