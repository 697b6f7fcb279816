package gateagent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseOutput(t *testing.T) {
	good := map[string]OutputSpec{
		"log":                         {Kind: "log"},
		"command:/usr/local/bin/open": {Kind: "command", Command: "/usr/local/bin/open"},
		"command:echo a:b":            {Kind: "command", Command: "echo a:b"},
		"gpio:gpiochip0:17":           {Kind: "gpio", Chip: "/dev/gpiochip0", Line: 17},
		"gpio:/dev/gpiochip2:4":       {Kind: "gpio", Chip: "/dev/gpiochip2", Line: 4},
		"gpio:1:23:active-low":        {Kind: "gpio", Chip: "/dev/gpiochip1", Line: 23, ActiveLow: true},
	}
	for s, want := range good {
		got, err := ParseOutput(s)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "relay", "log:x", "command:", "gpio:", "gpio:gpiochip0", "gpio:gpiochip0:x", "gpio:0:1:active-high", "gpio:0:-1"} {
		if _, err := ParseOutput(s); err == nil {
			t.Errorf("%q was accepted", s)
		}
	}
}

// recorder is a line that remembers every level it was set to.
type recorder struct {
	mu     sync.Mutex
	levels []bool
}

func (r *recorder) set(active bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.levels = append(r.levels, active)
	return nil
}

func (r *recorder) get() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bool{}, r.levels...)
}

func TestAPulseHoldsTheLineAndASecondGrantExtendsIt(t *testing.T) {
	rec := &recorder{}
	p := &pulser{set: rec.set, log: slogJSON(&syncBuffer{}), name: "test"}
	ctx := context.Background()
	p.Open(ctx, 600*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	p.Open(ctx, 600*time.Millisecond)  // before the first ends
	time.Sleep(450 * time.Millisecond) // past the first grant's end, before the second's
	if got := rec.get(); len(got) != 2 || !got[0] || !got[1] {
		t.Fatalf("levels %v: the door closed while a second grant held it", got)
	}
	time.Sleep(400 * time.Millisecond)
	if got := rec.get(); len(got) != 3 || got[2] {
		t.Fatalf("levels %v: want the door closed once, at the end", got)
	}
	p.Open(ctx, time.Hour)
	if err := p.release(); err != nil {
		t.Fatal(err)
	}
	if got := rec.get(); got[len(got)-1] {
		t.Fatalf("levels %v: closing the output left the door open", got)
	}
	if err := p.Open(ctx, time.Second); err == nil {
		t.Fatal("a released output opened")
	}
}

func TestACommandOutputRunsTheCommandWithTheOpeningTime(t *testing.T) {
	out := filepath.Join(t.TempDir(), "opened")
	o, err := NewOutput(OutputSpec{Kind: "command", Command: `echo "$GATEHOUSE_GATE_ID $GATEHOUSE_OPEN_FOR_MS" >> ` + out},
		slogJSON(&syncBuffer{}), []string{"GATEHOUSE_GATE_ID=5"})
	if err != nil {
		t.Fatal(err)
	}
	o.Open(context.Background(), 2500*time.Millisecond)
	o.Open(context.Background(), 2500*time.Millisecond)
	o.Close() // waits for the commands
	b, _ := os.ReadFile(out)
	if string(b) != "5 2500\n5 2500\n" {
		t.Fatalf("the command wrote %q", b)
	}
}

func TestAFailingCommandIsLogged(t *testing.T) {
	logs := &syncBuffer{}
	o, _ := NewOutput(OutputSpec{Kind: "command", Command: "echo relay-board-offline >&2; exit 3"}, slogJSON(logs), nil)
	o.Open(context.Background(), time.Second)
	o.Close()
	if !strings.Contains(logs.String(), "door command failed") || !strings.Contains(logs.String(), "relay-board-offline") {
		t.Fatalf("log: %s", logs)
	}
}
