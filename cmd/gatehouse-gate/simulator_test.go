package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/testproc"
)

// simDevice is the serial number of the simulated UT0311-L04.
const simDevice = 405419896

// simulator is the real uhppote-simulator, on loopback only: its UDP/TCP
// socket and REST API bind 127.0.0.1, and it sends events only to the
// listener the agent sets (127.0.0.1 too).
type simulator struct {
	t           *testing.T
	board, rest string
	devices     string // the simulator's device files: its boards' state, events included
	proc        *testproc.Proc
}

func startSimulator(t *testing.T) *simulator {
	t.Helper()
	// Built without the race detector: the simulator is not ours to fix.
	bin := filepath.Join(t.TempDir(), "uhppote-simulator")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/uhppoted/uhppote-simulator/cmd/uhppote-simulator").CombinedOutput(); err != nil {
		t.Fatalf("building the simulator: %v\n%s", err, out)
	}
	s := &simulator{t: t, board: fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t)), rest: fmt.Sprintf("127.0.0.1:%d", freePort(t)), devices: t.TempDir()}
	s.proc = testproc.Start(t, bin, []string{"--bind", s.board, "--rest", s.rest, "--devices", s.devices}, nil)
	eventually(t, "the simulator's REST API", func() bool {
		res, err := http.Get("http://" + s.rest + "/uhppote/simulator")
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})
	s.post("/uhppote/simulator", map[string]any{"device-id": simDevice, "device-type": "UT0311-L04"}, nil)
	return s
}

func (s *simulator) post(path string, body, out any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post("http://"+s.rest+path, "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		s.t.Fatalf("POST %s: %d", path, res.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// swipe swipes a card at door 1 and returns whether the board granted it.
func (s *simulator) swipe(card int) bool {
	s.t.Helper()
	var out struct {
		Granted bool `json:"access-granted"`
	}
	s.post(fmt.Sprintf("/uhppote/simulator/%d/swipe", simDevice), map[string]any{"door": 1, "card-number": card, "direction": 1}, &out)
	return out.Granted
}

// simEvent is an event as the simulator keeps it in its board's file.
type simEvent struct {
	Index   uint32 `json:"index"`
	Type    uint8  `json:"type"`
	Granted bool   `json:"granted"`
	Door    uint8  `json:"door"`
	Card    uint32 `json:"card"`
	Reason  uint8  `json:"reason"`
}

// The simulator records a remote OpenDoor as an event of type 2 (door)
// with reason 0x2c (remote open).
const (
	simEventDoor    = 0x02
	simReasonRemote = 0x2c
)

// events reads the board's event list from the simulator's own state
// file, which it writes on every event: what the board did, seen from the
// board's side, not from the agent's.
func (s *simulator) events() []simEvent {
	s.t.Helper()
	var st struct {
		Events struct {
			Events []simEvent `json:"events"`
		} `json:"events"`
	}
	for range 50 { // the file may be caught half written
		b, err := os.ReadFile(filepath.Join(s.devices, fmt.Sprintf("%d.json", simDevice)))
		if err == nil && json.Unmarshal(b, &st) == nil {
			return st.Events.Events
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("cannot read the simulator's state file in %s", s.devices)
	return nil
}

// remoteOpens counts the OpenDoor requests the board carried out at a door.
func (s *simulator) remoteOpens(door uint8) int {
	n := 0
	for _, e := range s.events() {
		if e.Type == simEventDoor && e.Reason == simReasonRemote && e.Door == door && e.Granted {
			n++
		}
	}
	return n
}

// pressButton presses door 1's exit button for a second.
func (s *simulator) pressButton() {
	s.t.Helper()
	s.post(fmt.Sprintf("/uhppote/simulator/%d/door/1", simDevice), map[string]any{"action": "button", "duration": 1}, nil)
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	// A port free for TCP and UDP alike: the simulator binds both.
	for range 20 {
		p := freePort(t)
		if c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p}); err == nil {
			c.Close()
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

func TestCardsAtARealUHPPOTESimulator(t *testing.T) {
	serverBin, gateBin := binaries(t)
	srv := newServer(t, serverBin)
	c := &client{t: t, url: srv.URL}
	s := newSite(c)
	var res struct{ Items []struct{ ID int64 } }
	c.must("GET", fmt.Sprintf("/api/v1/residents?community_id=%d", s.Community), s.Manager, nil, 200, &res)
	resident := res.Items[0].ID
	const card = 10058400
	c.must("POST", fmt.Sprintf("/api/v1/residents/%d/cards", resident), s.Manager, map[string]any{"number": fmt.Sprint(card)}, 201, nil)

	sim := startSimulator(t)
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	args := gateArgs(t, srv, s, dir, "--controller", fmt.Sprintf("uhppote:%d@%s", simDevice, sim.board), "--door", "1", "--listen", listen,
		"--heartbeat", "1s") // offline after four silent heartbeats: 4s
	g := startGate(t, gateBin, args...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent:\n%s\nsimulator:\n%s", g.p.Log(), sim.proc.Log())
		}
	})
	g.waitFor("the card on the board", func(m map[string]any) bool { return m["msg"] == "controller cards updated" && m["put"] == 1.0 })
	g.waitFor("the agent reading events", msg("controller events are taken from here on"))

	cardEntries := func() []entry {
		var out []entry
		for _, e := range s.entries(c) {
			if e.Method == "card" {
				out = append(out, e)
			}
		}
		return out
	}
	// A swipe: decided by the board, in the log once with the resident.
	if !sim.swipe(card) {
		t.Fatal("the board denied a synced card")
	}
	eventually(t, "the swipe in the entry log", func() bool { return len(cardEntries()) == 1 })
	if e := cardEntries()[0]; e.Decision != "grant" || e.Reason != "granted" || e.ResidentID != resident || e.PersonName != "王芳" ||
		e.Direction != "in" || e.EventID != fmt.Sprintf("uhppote-%d-1", simDevice) {
		t.Fatalf("the swipe's entry: %+v, want a grant of resident %d (王芳), in, as event uhppote-%d-1", e, resident, simDevice)
	}
	// The agent restarts: nothing is logged twice.
	g.p.Signal(syscall.SIGTERM)
	<-g.p.Exited()
	g = startGate(t, gateBin, args...)
	g.waitFor("the agent back", msg("listening for controller events"))
	time.Sleep(time.Second)
	if n := len(cardEntries()); n != 1 {
		t.Fatalf("%d card entries after a restart, want 1", n)
	}
	// Moved out: after the next sync the board denies the card, and the denial is logged.
	c.must("DELETE", fmt.Sprintf("/api/v1/residents/%d", resident), s.Manager, nil, 204, nil)
	g.waitFor("the card removed from the board", func(m map[string]any) bool { return m["msg"] == "controller cards updated" && m["deleted"] == 1.0 })
	if sim.swipe(card) {
		t.Fatal("the board granted the card of a resident who moved out")
	}
	eventually(t, "the denial in the entry log", func() bool { return len(cardEntries()) == 2 })
	for _, e := range cardEntries() {
		// (The server's own reason may still say granted: the board's clock
		// counts whole seconds, and this swipe follows the move-out closely.)
		if e.EventID != fmt.Sprintf("uhppote-%d-1", simDevice) && (e.Decision != "deny" || e.ResidentID != resident) {
			t.Fatalf("the swipe after the move-out: %+v, want the board's denial, of resident %d", e, resident)
		}
	}
	// The server stopped: the board still decides, and the swipe is uploaded once it is back.
	var r2 struct{ ID int64 }
	c.must("POST", "/api/v1/residents", s.Manager, map[string]any{"community_id": s.Community, "name": "李雷", "id_type": "passport",
		"id_number": "E87654321", "phone": "13800138001", "building": "3栋", "unit": "2单元", "room": "503"}, 201, &r2)
	c.must("POST", fmt.Sprintf("/api/v1/residents/%d/cards", r2.ID), s.Manager, map[string]any{"number": "10058401"}, 201, nil)
	g.waitFor("the second card on the board", func(m map[string]any) bool { return m["msg"] == "controller cards updated" && m["put"] == 1.0 })
	srv.Stop()
	<-srv.p.Exited()
	if !sim.swipe(10058401) {
		t.Fatal("the board denied a card while the server is down")
	}
	g.waitFor("the swipe journaled", msg("card swipe"))
	srv.Start()
	eventually(t, "the offline swipe uploaded", func() bool { return len(cardEntries()) == 3 })
	var offline []entry
	for _, e := range cardEntries() {
		if e.ResidentID == r2.ID {
			offline = append(offline, e)
		}
	}
	if len(offline) != 1 || offline[0].Decision != "grant" || offline[0].PersonName != "李雷" {
		t.Fatalf("the swipe made while the server was down: %+v, want one grant of 李雷", offline)
	}
	// A QR grant at the agent opens the board's door 1: the simulator
	// carries out one OpenDoor there.
	opened := sim.remoteOpens(1)
	var p pass
	c.must("POST", "/api/v1/passes", s.Manager, map[string]any{"community_id": s.Community, "host_resident_id": r2.ID,
		"visitor":     map[string]any{"name": "张伟", "id_type": "passport", "id_number": "E12345678"},
		"valid_until": time.Now().Add(time.Hour).Format(time.RFC3339), "max_entries": 1}, 201, &p)
	wantDecision(t, g.scan(p.Code), "grant", "granted", "online")
	if g.saw(msg("door output failed")) {
		t.Fatalf("OpenDoor failed: %s", g.p.Log())
	}
	eventually(t, "the simulator opening door 1", func() bool { return sim.remoteOpens(1) == opened+1 })
	if n := sim.remoteOpens(2); n != 0 {
		t.Fatalf("the simulator opened door 2 %d times", n)
	}
	// The exit button: a door event for guards, not an entry.
	sim.pressButton()
	eventually(t, "the button's door event", func() bool {
		var ev struct {
			Items []struct {
				EventID string `json:"event_id"`
				Kind    string `json:"kind"`
			}
		}
		c.must("GET", fmt.Sprintf("/api/v1/door-events?gate_id=%d", s.GateID), s.Manager, nil, 200, &ev)
		return len(ev.Items) == 1 && ev.Items[0].Kind == "door_button" && strings.HasPrefix(ev.Items[0].EventID, fmt.Sprintf("uhppote-%d-", simDevice))
	})
	if n := len(cardEntries()); n != 3 {
		t.Fatalf("%d card entries after the button, want 3", n)
	}
	// The heartbeat: the gate online with its board, then offline once the agent stops.
	type gateStatus struct {
		Status struct {
			Online     bool
			Controller *struct {
				Online         bool
				LastEventIndex int64 `json:"last_event_index"`
			}
		}
	}
	gate := func() gateStatus {
		var out gateStatus
		c.must("GET", fmt.Sprintf("/api/v1/gates/%d", s.GateID), s.Manager, nil, 200, &out)
		return out
	}
	eventually(t, "the gate online with its board", func() bool {
		st := gate().Status
		return st.Online && st.Controller != nil && st.Controller.Online && st.Controller.LastEventIndex >= 4
	})
	g.p.Signal(syscall.SIGTERM)
	<-g.p.Exited()
	eventually(t, "the gate offline", func() bool { return !gate().Status.Online })
}
