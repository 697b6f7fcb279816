package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// benchGalera measures scans with three gatehouse processes, one beside each
// node of a three-node MariaDB Galera cluster (scripts/galera.sh), against
// the one-process, one-MariaDB figure of the scan section.
func benchGalera(ctx context.Context, o options, work, bin string, stderr io.Writer) ([]row, error) {
	if _, err := os.Stat("/usr/lib/galera/libgalera_smm.so"); err != nil {
		return []row{{Section: "galera", Name: "three nodes", Verdict: "not run", Note: "galera-4 is not installed"}}, nil
	}
	dir := filepath.Join(work, "galera")
	fmt.Fprintln(stderr, "galera: starting a three-node cluster")
	up := exec.CommandContext(ctx, "bash", "scripts/galera.sh", "start", dir)
	up.Stdout, up.Stderr = stderr, stderr
	if err := up.Run(); err != nil {
		return nil, fmt.Errorf("galera.sh start: %w", err)
	}
	defer exec.Command("bash", "scripts/galera.sh", "stop", dir).Run()
	keys := filepath.Join(dir, "keys")
	dsn := func(port int) string { return fmt.Sprintf("root@tcp(127.0.0.1:%d)/gatehouse_galera", port) }
	my := &mariadb{port: 3311}
	if err := my.exec(ctx, "CREATE DATABASE gatehouse_galera CHARACTER SET utf8mb4"); err != nil {
		return nil, err
	}
	env := func(port int) map[string]string {
		return map[string]string{"GATEHOUSE_ADDR": "127.0.0.1:0", "GATEHOUSE_ADMIN_PASSWORD": benchAdminPassword, "GATEHOUSE_DB_DRIVER": "mysql",
			"GATEHOUSE_DB_DSN": dsn(port), "GATEHOUSE_KEY_DIR": keys}
	}
	mig := exec.CommandContext(ctx, bin, "migrate")
	mig.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env(3311) {
		mig.Env = append(mig.Env, k+"="+v)
	}
	if out, err := mig.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("migrate: %v\n%s", err, out)
	}
	var urls []string
	var procs []*process
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for _, port := range []int{3311, 3312, 3313} {
		p, err := start(ctx, bin, []string{"serve"}, env(port))
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
		urls = append(urls, p.URL+"/api/v1/scan")
	}
	s, err := setupScans(ctx, procs[0].URL)
	if err != nil {
		return nil, err
	}
	// One process on one node first, the figure the three are set beside.
	t := &total{grants: map[int64]int64{}}
	one := closedLoop(ctx, urls[:1], s.mix, 64, o.duration)
	t.add(one)
	before, err := scanRetries(ctx, procs)
	if err != nil {
		return nil, err
	}
	r := closedLoop(ctx, urls, s.mix, 64, o.duration)
	t.add(r)
	after, err := scanRetries(ctx, procs)
	if err != nil {
		return nil, err
	}
	out := []row{scanRow("galera", "one process on one Galera node, 64 connections", one, 0, 0, 0),
		scanRow("galera", "three processes on three Galera nodes, 64 connections", r, 0, 0, 0)}
	out[1].Note += fmt.Sprintf("; %.2f× one node; %d certification or deadlock retries, %.1f%% of the scans answered",
		r.rps()/one.rps(), after-before, 100*float64(after-before)/float64(max(1, len(r.lat))))
	verdict, note := "passed", fmt.Sprintf("%d scans answered", t.ok)
	if err := t.check(ctx, s, 0); err != nil {
		verdict, note = "FAILED", err.Error()
		// What the servers said is the first thing anyone will want.
		var logs []string
		for i, p := range procs {
			path := filepath.Join(work, "galera", fmt.Sprintf("server-%d.log", i+1))
			if os.WriteFile(path, []byte(p.log()), 0o640) == nil {
				logs = append(logs, path)
			}
		}
		if len(logs) > 0 {
			note += "; the servers' logs: " + strings.Join(logs, ", ")
		}
	}
	out = append(out, row{Section: "check", Name: "Galera: one grant per single-use pass, no entry lost, chains verify", Verdict: verdict, Note: note})
	return out, nil
}

// scanRetries sums gatehouse_scan_retries_total over the processes.
func scanRetries(ctx context.Context, procs []*process) (int64, error) {
	var sum int64
	for _, p := range procs {
		req, err := http.NewRequestWithContext(ctx, "GET", p.URL+"/metrics", nil)
		if err != nil {
			return 0, err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return 0, err
		}
		m := regexp.MustCompile(`(?m)^gatehouse_scan_retries_total (\d+)`).FindSubmatch(b)
		if m == nil {
			return 0, fmt.Errorf("%s/metrics has no gatehouse_scan_retries_total", p.URL)
		}
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		sum += n
	}
	return sum, nil
}
