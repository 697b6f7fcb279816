package access_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// commandCounter is a TCP relay between the store and MySQL that counts the
// commands the store sends: each is one round trip to the server.
type commandCounter struct {
	ln       net.Listener
	commands atomic.Int64
	wg       sync.WaitGroup
}

func countCommands(t *testing.T, server string) *commandCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &commandCounter{ln: ln}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			upstream, err := net.Dial("tcp", server)
			if err != nil {
				client.Close()
				continue
			}
			c.wg.Add(2)
			go func() { defer c.wg.Done(); io.Copy(client, upstream); client.Close() }()
			go func() { defer c.wg.Done(); c.relay(upstream, client); upstream.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

// relay copies the client's packets to the server, counting those that
// start a command (sequence number 0; the handshake's answer has 1).
func (c *commandCounter) relay(dst io.Writer, src io.Reader) {
	header := make([]byte, 4)
	for {
		if _, err := io.ReadFull(src, header); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(append(header[:3:3], 0)))
		if header[3] == 0 {
			c.commands.Add(1)
		}
		if _, err := dst.Write(header); err != nil {
			return
		}
		if _, err := io.CopyN(dst, src, int64(n)); err != nil {
			return
		}
	}
}

// On MySQL a scan waits for every round trip it makes to the server, one
// after another, and the writer of its community waits with it: a granted
// scan of a known pass reads its chain head, the pass's uses and (under
// anti-passback) who is inside, and sends all its writes (the use, the
// entry, presence and the chain head) together, in one round trip.
func TestAGrantOnMySQLSendsItsWritesInOneRoundTrip(t *testing.T) {
	base := os.Getenv(storetest.MySQLDSNEnv)
	if base == "" {
		t.Skip("needs " + storetest.MySQLDSNEnv)
	}
	cfg, err := mysql.ParseDSN(storetest.NewMySQLDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	counter := countCommands(t, cfg.Addr)
	cfg.Addr = counter.ln.Addr().String()
	db, err := store.Open(context.Background(), store.MySQL, cfg.FormatDSN(), storetest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, db)
	w.c.AntiPassback = true
	if err := db.UpdateCommunity(context.Background(), w.c); err != nil {
		t.Fatal(err)
	}
	p, code := w.pass(func(p *gatehouse.Pass) { p.MaxEntries = 100 })
	// The first scans read the community, its watchlist and the pass once.
	w.scan(code, gatehouse.In)
	w.scan(code, gatehouse.Out)

	const scans = 20
	before := counter.commands.Load()
	for i := range scans {
		dir := gatehouse.In
		if i%2 == 1 {
			dir = gatehouse.Out
		}
		if out := w.scan(code, dir); out.Entry.Reason != gatehouse.Granted {
			t.Fatalf("scan %d: %s", i, out.Entry.Reason)
		}
	}
	sent := counter.commands.Load() - before
	// Each scan alone is a transaction: its start with its chain head, the
	// pass's uses, who is inside, the writes and the commit.
	const want = 5
	t.Logf("%d round trips for %d granted scans", sent, scans)
	if sent > want*scans {
		t.Errorf("%d granted scans took %d round trips to MySQL; want at most %d each", scans, sent, want)
	}
	w.verify(2 + scans)
	if got := w.uses(p.ID); got != 1+scans/2 {
		t.Errorf("the pass counts %d uses; want %d", got, 1+scans/2)
	}
}

// A scan's transaction on MySQL is read committed: a read after its
// chain-head lock sees what other transactions committed before that read
// (a pass revoked a moment ago refuses the scan), not a snapshot taken at
// its first read.
func TestAScanOnMySQLSeesWhatWasCommittedBeforeEachRead(t *testing.T) {
	if os.Getenv(storetest.MySQLDSNEnv) == "" {
		t.Skip("needs " + storetest.MySQLDSNEnv)
	}
	db := storetest.MustOpen(t, store.MySQL)
	w := newWorld(t, db)
	p, _ := w.pass(nil)
	ctx := context.Background()
	err := db.InScanTx(ctx, w.c.ID, func(tx gatehouse.ScanTx) error {
		if _, revoked, err := tx.PassState(p.ID); err != nil || revoked != nil {
			t.Fatalf("before: revoked %v, %v", revoked, err)
		}
		if err := db.RevokePass(ctx, p.ID, 0); err != nil {
			return err
		}
		_, revoked, err := tx.PassState(p.ID)
		if err == nil && revoked == nil {
			t.Error("the scan's next read does not see the pass revoked and committed before it")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
