package gateagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Output drives the door. Open returns at once: the door stays open for d
// (a second grant while open extends it) and then closes by itself.
type Output interface {
	Open(ctx context.Context, d time.Duration) error
	// Close closes the door if open and releases the output, waiting for
	// any command still running.
	Close() error
}

// OutputSpec is a parsed --output setting.
type OutputSpec struct {
	Kind      string // log, command or gpio
	Command   string // command: a shell command line
	Chip      string // gpio: the character device, e.g. /dev/gpiochip0
	Line      uint32 // gpio: the line offset on the chip
	ActiveLow bool   // gpio: the relay closes when the line is low
}

// ParseOutput reads "log", "command:CMD" or "gpio:CHIP:LINE[:active-low]"
// (CHIP is /dev/gpiochipN, gpiochipN or N).
func ParseOutput(s string) (OutputSpec, error) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case "log":
		if rest != "" {
			return OutputSpec{}, fmt.Errorf("%q: log takes nothing after it", s)
		}
		return OutputSpec{Kind: "log"}, nil
	case "command":
		if strings.TrimSpace(rest) == "" {
			return OutputSpec{}, fmt.Errorf("%q: name the command, e.g. command:/usr/local/bin/open-door", s)
		}
		return OutputSpec{Kind: "command", Command: rest}, nil
	case "gpio":
		parts := strings.Split(rest, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
			return OutputSpec{}, fmt.Errorf("%q: want gpio:CHIP:LINE or gpio:CHIP:LINE:active-low, e.g. gpio:gpiochip0:17", s)
		}
		chip := parts[0]
		if _, err := strconv.Atoi(chip); err == nil {
			chip = "gpiochip" + chip
		}
		if !strings.HasPrefix(chip, "/") {
			chip = "/dev/" + chip
		}
		line, err := strconv.ParseUint(parts[1], 10, 32)
		if err != nil {
			return OutputSpec{}, fmt.Errorf("%q: line %q is not a line number", s, parts[1])
		}
		spec := OutputSpec{Kind: "gpio", Chip: chip, Line: uint32(line)}
		if len(parts) == 3 {
			if parts[2] != "active-low" {
				return OutputSpec{}, fmt.Errorf("%q: %q is not active-low", s, parts[2])
			}
			spec.ActiveLow = true
		}
		return spec, nil
	}
	return OutputSpec{}, fmt.Errorf("%q is not log, command:CMD or gpio:CHIP:LINE", s)
}

// NewOutput opens the output of spec. env is added to a command's
// environment.
func NewOutput(spec OutputSpec, log *slog.Logger, env []string) (Output, error) {
	switch spec.Kind {
	case "log":
		return &logOutput{log: log}, nil
	case "command":
		return &commandOutput{cmd: spec.Command, env: env, log: log}, nil
	case "gpio":
		return openGPIO(spec, log)
	}
	return nil, errors.New("unknown output " + spec.Kind)
}

// logOutput only says what a relay would do: for trying the agent out.
type logOutput struct{ log *slog.Logger }

func (o *logOutput) Open(_ context.Context, d time.Duration) error {
	o.log.Info("door open", "output", "log", "for", d.String())
	return nil
}

func (o *logOutput) Close() error { return nil }

// commandOutput runs a shell command for each grant, with the time to keep
// the door open in GATEHOUSE_OPEN_FOR_MS; the command does the pulsing
// (a relay board's HTTP API, gpioset, a PLC...).
type commandOutput struct {
	cmd string
	env []string
	log *slog.Logger
	wg  sync.WaitGroup
}

func (o *commandOutput) Open(ctx context.Context, d time.Duration) error {
	// The command runs on its own: the scanner is not held up by a slow
	// relay, and a command that hangs is stopped.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d+30*time.Second)
	c := exec.CommandContext(cctx, "/bin/sh", "-c", o.cmd)
	c.Env = append(os.Environ(), o.env...)
	c.Env = append(c.Env, "GATEHOUSE_OPEN_FOR_MS="+strconv.FormatInt(d.Milliseconds(), 10))
	var out strings.Builder
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		cancel()
		return fmt.Errorf("door command: %w", err)
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer cancel()
		if err := c.Wait(); err != nil {
			o.log.Error("door command failed", "err", err.Error(), "output", trimOutput(out.String()))
			return
		}
		o.log.Info("door open", "output", "command", "for", d.String())
	}()
	return nil
}

func (o *commandOutput) Close() error {
	o.wg.Wait()
	return nil
}

func trimOutput(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// pulser holds a line active for a while after each Open, then releases
// it: a later Open while active extends the time.
type pulser struct {
	set  func(active bool) error
	log  *slog.Logger
	name string

	mu     sync.Mutex
	gen    int
	timer  *time.Timer
	closed bool
}

func (p *pulser) Open(_ context.Context, d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("door output is closed")
	}
	if err := p.set(true); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	p.gen++
	gen := p.gen
	if p.timer != nil {
		p.timer.Stop()
	}
	p.timer = time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen != gen || p.closed {
			return
		}
		if err := p.set(false); err != nil {
			p.log.Error("door output: could not close the door", "output", p.name, "err", err.Error())
		}
	})
	p.log.Info("door open", "output", p.name, "for", d.String())
	return nil
}

// release closes the door and stops the timer; the caller then frees the line.
func (p *pulser) release() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
	return p.set(false)
}
