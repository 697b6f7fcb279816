package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// galeraEnv names the directory of a running three-node Galera cluster
// started with ../shared/tools/galera.sh (SQL on 127.0.0.1:3311-3313).
// .ci/run starts one and sets it; when it is set and the cluster cannot be
// used, the tests fail.
const galeraEnv = "GATEHOUSE_TEST_GALERA_DIR"

type cluster struct {
	dir   string
	ports []int
}

func requireGalera(t *testing.T) *cluster {
	t.Helper()
	dir := os.Getenv(galeraEnv)
	if dir == "" {
		t.Skipf("%s is not set: the Galera tests need a three-node cluster (.ci/run starts one with galera.sh)", galeraEnv)
	}
	c := &cluster{dir: dir, ports: []int{3311, 3312, 3313}}
	for _, p := range c.ports {
		if s := c.status(p); s != "Synced" {
			t.Fatalf("Galera node on port %d is %q, not Synced", p, s)
		}
	}
	return c
}

func (c *cluster) dsn(port int, db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s", port, db)
}

func (c *cluster) status(port int) string {
	db, err := sql.Open("mysql", c.dsn(port, "")+"?timeout=2s")
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	var name, value string
	if err := db.QueryRow("SHOW STATUS LIKE 'wsrep_local_state_comment'").Scan(&name, &value); err != nil {
		return err.Error()
	}
	return value
}

// database makes a fresh database through node 1, migrated through node 2:
// migrations run once, from any node, and the others see the schema.
func (c *cluster) database(t *testing.T) (string, map[string]string) {
	t.Helper()
	name := fmt.Sprintf("gh_galera_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	db, err := sql.Open("mysql", c.dsn(c.ports[0], ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	// A node applies the other nodes' DDL in order but not at once: a new
	// connection to a database only just created elsewhere can be refused.
	for _, port := range c.ports {
		waitFor(t, 20*time.Second, fmt.Sprintf("node %d knows database %s", port, name), func() bool {
			n, err := sql.Open("mysql", c.dsn(port, name))
			if err != nil {
				return false
			}
			defer n.Close()
			return n.Ping() == nil
		})
	}
	t.Cleanup(func() {
		if d, err := sql.Open("mysql", c.dsn(c.ports[0], "")); err == nil {
			d.Exec("DROP DATABASE IF EXISTS " + name)
			d.Close()
		}
	})
	keys := filepath.Join(t.TempDir(), "keys")
	vars := func(port int) map[string]string {
		return map[string]string{"GATEHOUSE_ADDR": "127.0.0.1:0", "GATEHOUSE_DB_DRIVER": "mysql", "GATEHOUSE_DB_DSN": c.dsn(port, name),
			"GATEHOUSE_KEY_DIR": keys, "GATEHOUSE_ADMIN_PASSWORD": "admin-password-1"}
	}
	var out logBuffer
	if err := run(context.Background(), []string{"migrate"}, env(vars(c.ports[1])), &out, &logBuffer{}); err != nil {
		t.Fatalf("migrate through node 2: %v", err)
	}
	return name, vars(c.ports[0])
}

// servers starts one gatehouse serve per node.
func (c *cluster) servers(t *testing.T, name string, base map[string]string) []*client {
	var clients []*client
	for _, port := range c.ports {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		vars["GATEHOUSE_DB_DSN"] = c.dsn(port, name)
		p := startProcess(t, vars)
		clients = append(clients, newClient(t, p.URL))
	}
	return clients
}

func TestGaleraSingleUsePassChainsAndOfflineBatchesOnThreeNodes(t *testing.T) {
	c := requireGalera(t)
	name, base := c.database(t)
	cs := c.servers(t, name, base)
	s := newSite(cs[0], "admin-password-1")

	// 60 concurrent scans of one single-use pass, spread over the three: one grant.
	for round := 0; round < 3; round++ {
		_, code := s.invite(cs[round], fmt.Sprintf("G%08d", round), 1)
		count := scanAll(t, cs, s.GateKey, code, 60)
		if count["granted"] != 1 || count["exhausted"] != 59 {
			t.Fatalf("round %d: %v, want 1 granted and 59 exhausted", round, count)
		}
	}

	// 3,000 scans over three communities, spread over the three nodes: every chain verifies.
	sites := []*site{s}
	for i := 0; i < 2; i++ {
		sites = append(sites, addCommunity(cs[i+1], s.Admin, i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := 0
	for w := 0; w < 30; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := sites[w%3]
			_, code := st.invite(cs[w%3], fmt.Sprintf("M%08d", w), 1000)
			for i := 0; i < 100; i++ {
				r, status, err := scanOnce(cs[(w+i)%3], st.GateKey, code, []string{"in", "out"}[i%2])
				if err != nil || status != 200 || r.Reason != "granted" {
					t.Errorf("scan: %d %+v %v", status, r, err)
					return
				}
				mu.Lock()
				answered++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var rep struct {
		OK      bool
		Checked int
	}
	cs[2].must("GET", "/api/v1/entries/verify", s.Admin, nil, 200, &rep)
	if !rep.OK || rep.Checked != 180+answered || answered != 3000 {
		t.Fatalf("after %d scans on three nodes: %+v", answered, rep)
	}

	// One offline batch posted to all three at once: each event once.
	_, code := s.invite(cs[0], "OFFLINE01", 10)
	batch := map[string]any{"events": []map[string]any{
		{"event_id": "b-1", "code": code, "direction": "in", "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "decision": "grant"},
		{"event_id": "b-2", "code": code, "direction": "out", "occurred_at": time.Now().Add(-30 * time.Second).UTC().Format(time.RFC3339), "decision": "grant"},
	}}
	results := make([]struct{ Recorded, Duplicates []string }, 3)
	for i := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs[i].must("POST", fmt.Sprintf("/api/v1/gates/%d/events", s.GateID), s.GateKey, batch, 200, &results[i])
		}()
	}
	wg.Wait()
	recorded := map[string]int{}
	for _, r := range results {
		for _, id := range r.Recorded {
			recorded[id]++
		}
	}
	if recorded["b-1"] != 1 || recorded["b-2"] != 1 {
		t.Fatalf("events recorded %v (answers %+v), want each once", recorded, results)
	}
	var offline struct {
		Items []struct {
			EventID string `json:"event_id"`
		}
	}
	cs[1].must("GET", fmt.Sprintf("/api/v1/entries?community_id=%d&limit=5", s.Community), s.Manager, nil, 200, &offline)
	n := 0
	for _, it := range offline.Items {
		if strings.HasPrefix(it.EventID, "b-") {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("the log holds %d of the offline events, want 2", n)
	}
}

// addCommunity makes another community with a gate and a host, as admin.
func addCommunity(c *client, admin string, i int) *site {
	s := &site{Admin: admin}
	var com struct{ ID int64 }
	c.must("POST", "/api/v1/communities", admin, map[string]any{"name": fmt.Sprintf("小区%d", i), "anti_passback": "off"}, 201, &com)
	s.Community = com.ID
	mgr := fmt.Sprintf("mgr%d", i)
	c.must("POST", "/api/v1/users", admin, map[string]any{"username": mgr, "password": "manager-pass", "role": "manager", "community_ids": []int64{com.ID}}, 201, nil)
	s.Manager = c.login(mgr, "manager-pass")
	var r struct{ ID int64 }
	c.must("POST", "/api/v1/residents", s.Manager, map[string]any{"community_id": com.ID, "name": "住户", "id_type": "passport",
		"id_number": fmt.Sprintf("R%08d", i), "phone": "13800138000", "building": "1", "unit": "1", "room": "1"}, 201, &r)
	user := fmt.Sprintf("res%d", i)
	c.must("POST", "/api/v1/users", s.Manager, map[string]any{"username": user, "password": "resident-pass", "role": "resident", "resident_id": r.ID}, 201, nil)
	s.Host = c.login(user, "resident-pass")
	var g struct {
		ID        int64  `json:"id"`
		DeviceKey string `json:"device_key"`
	}
	c.must("POST", "/api/v1/gates", s.Manager, map[string]any{"community_id": com.ID, "name": "门"}, 201, &g)
	s.GateKey, s.GateID = g.DeviceKey, g.ID
	return s
}

func TestGaleraNodeLostUnderLoad(t *testing.T) {
	c := requireGalera(t)
	name, base := c.database(t)
	cs := c.servers(t, name, base)
	s := newSite(cs[0], "admin-password-1")
	var codes []string
	single := map[string]bool{}
	for i := 0; i < 60; i++ {
		max := 1
		if i%6 == 0 {
			max = 100
		}
		id, code := s.invite(cs[i%3], fmt.Sprintf("L%08d", i), max)
		codes = append(codes, code)
		if max == 1 {
			single[fmt.Sprint(id)] = true
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var answers []answer
	for i := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := load(t, cs[i], s.GateKey, codes, stop)
			mu.Lock()
			answers = append(answers, a...)
			mu.Unlock()
		}()
	}
	time.Sleep(700 * time.Millisecond)
	// Kill node 3 (its gatehouse process goes on, with no database).
	args, pid := c.nodeCommand(t, 3)
	syscall.Kill(pid, syscall.SIGKILL)
	waitFor(t, 20*time.Second, "the gatehouse on node 3 answers /readyz 503", func() bool {
		st, _ := cs[2].call("GET", "/readyz", "", nil, nil)
		return st == 503
	})
	time.Sleep(700 * time.Millisecond) // the survivors serve on
	// Node 3 rejoins.
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	waitFor(t, 120*time.Second, "node 3 is Synced again", func() bool { return c.status(3313) == "Synced" })
	waitFor(t, 20*time.Second, "the gatehouse on node 3 is ready again", func() bool {
		st, _ := cs[2].call("GET", "/readyz", "", nil, nil)
		return st == 200
	})
	close(stop)
	wg.Wait()
	checkAfterCrash(t, cs[0], s, answers, single)
	checkAfterCrash(t, cs[2], s, answers, single)
}

// nodeCommand reads a node's command line and pid, to restart it as it was.
func (c *cluster) nodeCommand(t *testing.T, n int) ([]string, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("n%d", n), "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	// Rejoin the surviving nodes rather than start a new cluster.
	for i, a := range args {
		if strings.HasPrefix(a, "--wsrep-cluster-address=") {
			args[i] = "--wsrep-cluster-address=gcomm://127.0.0.1:4567,127.0.0.1:4568"
		}
	}
	return args, pid
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
