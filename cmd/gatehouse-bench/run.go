package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type options struct {
	work        string
	out         string
	sections    string
	entries     int64
	communities int
	rounds      int
	supRounds   int
	dbs         string
	duration    time.Duration
	mariadbPort int
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "bare-gin" {
		return bareGin(ctx, "127.0.0.1:0", stderr)
	}
	var o options
	fs := flag.NewFlagSet("gatehouse-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.work, "work", "bench/work", "working directory: binaries, databases and the data sets kept between runs")
	fs.StringVar(&o.out, "out", "bench/results.md", "where to write the results table (Markdown)")
	fs.StringVar(&o.sections, "only", "scan,plates,galera,qr,data,supervision", "sections to run: scan, plates, galera, qr, data, supervision")
	fs.Int64Var(&o.entries, "entries", 10_000_000, "entries of the search and report data set")
	fs.IntVar(&o.communities, "communities", 1200, "communities of the data set")
	fs.IntVar(&o.rounds, "rounds", 40, "searches and reports timed per database")
	fs.IntVar(&o.supRounds, "supervision-rounds", 5, "district tables timed per database")
	fs.StringVar(&o.dbs, "databases", "sqlite,mariadb", "databases of the scan, data and supervision sections: sqlite, mariadb")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each scan load run")
	fs.IntVar(&o.mariadbPort, "mariadb-port", 3320, "port of the benchmark's own MariaDB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.supRounds < 1 {
		return fmt.Errorf("--supervision-rounds must be at least 1")
	}
	want := map[string]bool{}
	for _, s := range strings.Split(o.sections, ",") {
		want[strings.TrimSpace(s)] = true
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	work, err := filepath.Abs(o.work)
	if err != nil {
		return err
	}
	started := time.Now()
	bin, err := build(ctx, filepath.Join(work, "bin"), "./cmd/gatehouse")
	if err != nil {
		return err
	}
	var my *mariadb
	if want["scan"] || want["plates"] || ((want["data"] || want["supervision"]) && slices.Contains(o.databases(), "mariadb")) {
		fmt.Fprintln(stderr, "starting the benchmark's MariaDB")
		if my, err = startMariaDB(ctx, filepath.Join(work, "mariadb"), o.mariadbPort); err != nil {
			return err
		}
		defer my.stop()
	}
	sections := []struct {
		name  string
		bench func() ([]row, error)
	}{
		{"scan", func() ([]row, error) { return benchScans(ctx, o, work, bin, my, stderr) }},
		{"plates", func() ([]row, error) { return benchPlates(ctx, o, work, bin, my, stderr) }},
		{"galera", func() ([]row, error) { return benchGalera(ctx, o, work, bin, stderr) }},
		{"qr", benchQR},
		{"data", func() ([]row, error) { return benchDataSets(ctx, o, work, bin, my) }},
		{"supervision", func() ([]row, error) { return benchSupervisionSets(ctx, o, work, bin, my) }},
	}
	var rows []row
	for _, sec := range sections {
		if !want[sec.name] {
			continue
		}
		r, err := sec.bench()
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	table := render(rows, started)
	fmt.Fprint(stdout, table)
	if o.out != "" {
		if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(o.out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if r.Verdict == "FAILED" {
			return fmt.Errorf("%s: %s", r.Name, r.Note)
		}
	}
	return nil
}

// render prints the results as a Markdown table, with the machine.
func render(rows []row, started time.Time) string {
	var b strings.Builder
	host, _ := os.Hostname()
	cpu := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	fmt.Fprintf(&b, "Gatehouse benchmark, %s, on %s: %d CPUs (%s), %s, %s/%s. Took %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		time.Since(started).Round(time.Second))
	b.WriteString("| section | what | req/s | p50 ms | p99 ms | max ms | vs bare gin | server CPU | peak RSS | target | verdict | note |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |\n")
	var profiles []string
	notes := map[string]string{} // a profile's own words for when it was taken
	for _, r := range rows {
		if r.Section == "profile" {
			profiles = append(profiles, r.Name)
			if r.Note != "" {
				notes[r.Name] = r.Note
			}
			continue
		}
		rps := ""
		if r.RPS > 0 {
			rps = fmt.Sprintf("%.0f", r.RPS)
		}
		dur := func(d time.Duration) string {
			if d == 0 {
				return ""
			}
			if d < 10*time.Microsecond {
				return fmt.Sprintf("%.5f", float64(d)/float64(time.Millisecond))
			}
			return ms(d)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Section, r.Name, rps, dur(r.P50), dur(r.P99), dur(r.Max),
			r.Ratio, r.CPU, r.PeakRSS, r.Target, r.Verdict, r.Note)
	}
	fmt.Fprintf(&b, "\nMariaDB ran with %s.\n", strings.Join(mariadbSettings, " "))
	for _, p := range profiles {
		top, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		lines := strings.Split(string(top), "\n")
		for i, l := range lines { // from the table of functions on
			if strings.Contains(l, "flat%") {
				lines = lines[i:]
				break
			}
		}
		during := "during the 64-connection run"
		if n, ok := notes[p]; ok {
			during = n
		}
		fmt.Fprintf(&b, "\nServer CPU profile %s (%s), `go tool pprof -top`:\n\n```\n%s\n```\n",
			during, strings.TrimSuffix(filepath.Base(p), ".top.txt"), strings.TrimSpace(strings.Join(lines, "\n")))
	}
	return b.String()
}

// databases lists the databases of the data-set sections.
func (o options) databases() []string {
	var out []string
	for _, d := range strings.Split(o.dbs, ",") {
		if d = strings.TrimSpace(d); d == "sqlite" || d == "mariadb" {
			out = append(out, d)
		}
	}
	return out
}

// dataSetOf makes (once) or reuses the data set of database db ("sqlite"
// or "mariadb").
func dataSetOf(ctx context.Context, o options, work, bin string, my *mariadb, db string) (*dataSet, error) {
	if db == "sqlite" {
		sdir := filepath.Join(work, "data-sqlite")
		sq, err := prepareData(ctx, bin, sdir, map[string]string{"GATEHOUSE_DB_DSN": filepath.Join(sdir, "gatehouse.db"),
			"GATEHOUSE_KEY_DIR": filepath.Join(sdir, "keys"), "GATEHOUSE_ADMIN_PASSWORD": benchAdminPassword}, o.entries, o.communities,
			func() error { return nil })
		if err != nil {
			return nil, err
		}
		sq.name = "SQLite"
		return sq, nil
	}
	mdir := filepath.Join(work, "data-mariadb")
	menv := map[string]string{"GATEHOUSE_DB_DRIVER": "mysql", "GATEHOUSE_DB_DSN": my.dsn("gatehouse_data"),
		"GATEHOUSE_KEY_DIR": filepath.Join(mdir, "keys"), "GATEHOUSE_ADMIN_PASSWORD": benchAdminPassword}
	if my.count(ctx, "gatehouse_data", "entries") != o.entries {
		os.Remove(filepath.Join(mdir, "samples.json"))
	}
	md, err := prepareData(ctx, bin, mdir, menv, o.entries, o.communities, func() error {
		return my.exec(ctx, "DROP DATABASE IF EXISTS gatehouse_data", "CREATE DATABASE gatehouse_data CHARACTER SET utf8mb4")
	})
	if err != nil {
		return nil, err
	}
	md.name = "MariaDB"
	return md, nil
}

// benchDataSets times searches and reports over the data set on SQLite,
// then on MariaDB, making each data set on the first run.
func benchDataSets(ctx context.Context, o options, work, bin string, my *mariadb) ([]row, error) {
	var rows []row
	for _, db := range o.databases() {
		ds, err := dataSetOf(ctx, o, work, bin, my, db)
		if err != nil {
			return nil, err
		}
		r, err := benchData(ctx, bin, ds, o.rounds)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}
