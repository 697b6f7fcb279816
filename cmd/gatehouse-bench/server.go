package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// build compiles a command of the module into dir.
func build(ctx context.Context, dir, pkg string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// process is a server under measurement.
type process struct {
	URL  string
	cmd  *exec.Cmd
	logs bytes.Buffer
	mu   sync.Mutex
	done chan struct{}
}

// start runs bin with args and env and waits for its "listening" log line.
func start(ctx context.Context, bin string, args []string, env map[string]string) (*process, error) {
	p := &process{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GOMAXPROCS=" + os.Getenv("GOMAXPROCS")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Bytes()
			if !found {
				var l struct{ Msg, Addr string }
				if json.Unmarshal(line, &l) == nil && l.Msg == "listening" {
					found = true
					addr <- l.Addr
				}
			}
			p.mu.Lock()
			if p.logs.Len() < 1<<20 {
				p.logs.Write(line)
				p.logs.WriteByte('\n')
			}
			p.mu.Unlock()
		}
	}()
	go func() { p.cmd.Wait(); close(p.done) }()
	select {
	case a := <-addr:
		p.URL = "http://" + strings.Replace(a, "[::]", "127.0.0.1", 1)
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening:\n%s", filepath.Base(bin), p.log())
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not listen within 60 s", filepath.Base(bin))
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// stop sends SIGTERM and waits.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// usage is CPU time (user + system) and the peak resident set of a process.
type usage struct {
	CPU     time.Duration
	PeakRSS int64 // bytes
}

// readUsage reads /proc/PID: utime and stime, and VmHWM (the peak RSS).
func readUsage(pid int) (usage, error) {
	var u usage
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// Fields after the command name (which may hold spaces) start after ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	u.CPU = time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(s), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			u.PeakRSS = kb * 1024
		}
	}
	return u, nil
}

// client calls a server's API.
type client struct {
	url string
	hc  *http.Client
}

func newClient(url string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &client{url: url, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// call sends JSON and decodes the answer into out; a status other than
// want is an error.
func (c *client) call(ctx context.Context, method, path, token string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (c *client) login(ctx context.Context, user, pw string) (string, error) {
	var out struct{ Token string }
	err := c.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw}, 200, &out)
	return out.Token, err
}

// debugAddr is the address of the server's pprof listener, if it logged one.
func (p *process) debugAddr() string {
	for _, line := range strings.Split(p.log(), "\n") {
		var l struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "debug listening" {
			return l.Addr
		}
	}
	return ""
}

// machineTicks reads /proc/stat's first line: the ticks all cores were busy
// here, the ticks a hypervisor gave to other machines (steal), and all
// ticks (idle and waiting for I/O count as not busy).
func machineTicks() (busy, stolen, all int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i, s := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, _ := strconv.ParseInt(s, 10, 64)
		all += n
		switch i {
		case 3, 4:
		case 7:
			stolen += n
		default:
			busy += n
		}
	}
	return busy, stolen, all, nil
}

// spending measures, around a load run, how busy the whole machine was and
// who kept it busy besides the server: the load generator (this process)
// and the database server, if it runs here. It is what tells a run held
// back by the server from one that ran out of cores.
type spending struct {
	dbPid          int
	busy, all      int64
	stolen         int64
	self, db       time.Duration
	start          time.Time
	selfPid, cores int
}

func startSpending(dbPid int) *spending {
	s := &spending{dbPid: dbPid, selfPid: os.Getpid(), cores: runtime.NumCPU(), start: time.Now()}
	s.busy, s.stolen, s.all, _ = machineTicks()
	if u, err := readUsage(s.selfPid); err == nil {
		s.self = u.CPU
	}
	if dbPid > 0 {
		if u, err := readUsage(dbPid); err == nil {
			s.db = u.CPU
		}
	}
	return s
}

// note says how busy the machine was and who used its cores, in per cent
// of one core (as the server CPU column): "2 cores 97 % busy; load
// generator 26 %, MariaDB 101 %", with the share of the cores a hypervisor
// gave to other machines when there was one.
func (s *spending) note(dbName string) string {
	busy, stolen, all, err := machineTicks()
	if err != nil || all == s.all {
		return ""
	}
	wall := time.Since(s.start).Seconds()
	out := fmt.Sprintf("%d cores %.0f%% busy", s.cores, 100*float64(busy-s.busy)/float64(all-s.all))
	if st := 100 * float64(stolen-s.stolen) / float64(all-s.all); st >= 1 {
		out += fmt.Sprintf(" and %.0f%% taken by the hypervisor", st)
	}
	out += fmt.Sprintf("; load generator %.0f%%", s.pct(s.selfPid, s.self, wall))
	if s.dbPid > 0 {
		out += fmt.Sprintf(", %s %.0f%%", dbName, s.pct(s.dbPid, s.db, wall))
	}
	return out
}

func (s *spending) pct(pid int, before time.Duration, wall float64) float64 {
	u, err := readUsage(pid)
	if err != nil {
		return 0
	}
	return 100 * (u.CPU - before).Seconds() / wall
}
