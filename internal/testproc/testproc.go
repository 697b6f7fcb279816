// Package testproc builds Gatehouse's commands and runs them as child
// processes for tests. Each command is built once per test binary, with the
// race detector when the tests have it; a process's standard error is kept
// line by line, to wait on and to show when a test fails.
package testproc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type built struct {
	once sync.Once
	path string
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*built{}
)

// Binary builds the command of a package (a module path, such as
// gatehouse/cmd/gatehouse) once per test binary and returns its path.
func Binary(tb testing.TB, pkg string) string {
	tb.Helper()
	buildsMu.Lock()
	b := builds[pkg]
	if b == nil {
		b = &built{}
		builds[pkg] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-test-bin")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, filepath.Base(pkg))
		args := []string{"build", "-o", b.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, pkg)...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// Proc is one child process.
type Proc struct {
	Stdin io.WriteCloser // the process's standard input

	cmd    *exec.Cmd
	exited chan struct{}
	err    error

	mu   sync.Mutex
	all  []string      // standard error, a line each
	more chan struct{} // closed and replaced on each new line
}

// Start runs bin with args, the environment env (and PATH), and stops it
// with SIGKILL when the test ends if it still runs.
func Start(tb testing.TB, bin string, args []string, env map[string]string) *Proc {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Proc{cmd: cmd, exited: make(chan struct{}), more: make(chan struct{})}
	var err error
	if p.Stdin, err = cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.add(sc.Text())
		}
	}()
	go func() {
		<-copied // every line is kept before the process counts as ended
		p.err = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() { p.Signal(syscall.SIGKILL) })
	return p
}

func (p *Proc) add(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.all = append(p.all, line)
	close(p.more)
	p.more = make(chan struct{})
}

// Log is everything the process wrote to standard error so far.
func (p *Proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.all, "\n")
}

// Exited is closed when the process has ended.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Err is how the process ended (once Exited is closed).
func (p *Proc) Err() error { return p.err }

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Signal sends sig and waits (up to 30 s, then SIGKILL) for the process to end.
func (p *Proc) Signal(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// WaitJSON returns the first JSON line of standard error from index from on
// that match accepts, and the index after it. It fails the test after 30 s,
// or as soon as the process has ended without such a line.
func (p *Proc) WaitJSON(tb testing.TB, from int, what string, match func(m map[string]any) bool) (map[string]any, int) {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		all, more := p.all, p.more
		p.mu.Unlock()
		for i := from; i < len(all); i++ {
			var m map[string]any
			if json.Unmarshal([]byte(all[i]), &m) == nil && match(m) {
				return m, i + 1
			}
		}
		from = len(all)
		select {
		case <-more:
		case <-p.exited:
			p.mu.Lock()
			done := len(p.all) == from
			p.mu.Unlock()
			if done {
				tb.Fatalf("%s ended (%v) before %s; its log:\n%s", filepath.Base(p.cmd.Path), p.err, what, p.Log())
			}
		case <-deadline:
			tb.Fatalf("waited 30s for %s; the log:\n%s", what, p.Log())
		}
	}
}

// Listening waits for a server's {"msg":"listening","addr":...} line and
// returns the address.
func (p *Proc) Listening(tb testing.TB) string {
	tb.Helper()
	m, _ := p.WaitJSON(tb, 0, "the server to listen", func(m map[string]any) bool { return m["msg"] == "listening" })
	addr, _ := m["addr"].(string)
	return addr
}
