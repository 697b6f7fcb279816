package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// eachWriting runs fn on every dialect and, on MySQL, once more with a
// scan's writes sent one statement at a time (as on a Galera node).
func eachWriting(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Each(t, fn)
	if os.Getenv(storetest.MySQLDSNEnv) != "" {
		t.Run("mysql one statement at a time", func(t *testing.T) {
			db := storetest.MustOpen(t, store.MySQL)
			db.SendScanWritesOneByOneForTest()
			fn(t, db)
		})
	}
}

// qrGrant is a granted QR scan's entry in a community, as a gate logs it.
func qrGrant(communityID int64) *gatehouse.Entry {
	return &gatehouse.Entry{CommunityID: communityID, GateID: 1, Direction: gatehouse.In, Decision: gatehouse.Grant, Reason: gatehouse.Granted,
		ServerDecision: gatehouse.Grant, Method: gatehouse.MethodQR, OccurredAt: time.Now()}
}

// together runs n scans at the same moment (each waits until all have
// started) and returns their errors, the scan's index first.
func together(n int, scan func(i int) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = scan(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func TestAFailedGroupCommitGrantsNothingThatIsNotStored(t *testing.T) {
	db := storetest.MustOpen(t, store.SQLite)
	c := mustCommunity(t, db)
	appendEntries(t, db, c.ID, 1)
	db.FailNextCommitForTest(errors.New("disk I/O error"))
	results := together(40, func(i int) error {
		e := qrGrant(c.ID)
		return db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error { return tx.Append(e, gatehouse.VisitorSubject(int64(i+1))) })
	})
	granted, failed := 0, 0
	for _, err := range results {
		if err == nil {
			granted++
		} else {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no caller saw the failed commit")
	}
	rep := verify(t, db)
	if !rep.OK || rep.Checked != int64(1+granted) {
		t.Fatalf("%d callers were told their entry is stored, the log holds %d (ok=%v)", granted, rep.Checked-1, rep.OK)
	}
	// The writer goes on after the failure.
	appendEntries(t, db, c.ID, 1)
	if rep := verify(t, db); !rep.OK || rep.Checked != int64(2+granted) {
		t.Fatalf("after the failure: %+v", rep)
	}
}

func TestARefusedScanInABatchLeavesTheOthersStored(t *testing.T) {
	db := storetest.MustOpen(t, store.SQLite)
	c := mustCommunity(t, db)
	errs := together(20, func(i int) error {
		return db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error {
			if i%4 == 0 {
				_, err := tx.Pass(999999) // a refusal before any write
				return err
			}
			e := &gatehouse.Entry{CommunityID: c.ID, Direction: gatehouse.In, Decision: gatehouse.Deny, Reason: gatehouse.UnknownPass,
				ServerDecision: gatehouse.Deny, Method: gatehouse.MethodQR, OccurredAt: time.Now()}
			return tx.Append(e, "")
		})
	})
	for i, err := range errs {
		if (i%4 == 0) != (gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND) || (i%4 != 0 && err != nil) {
			t.Fatalf("scan %d: %v", i, err)
		}
	}
	if rep := verify(t, db); !rep.OK || rep.Checked != 15 {
		t.Fatalf("verify: %+v", rep)
	}
}

// Scans of one community that arrive together commit together, in fewer
// transactions than scans (one fsync for many grants), each still stored
// in its place in the chain.
func TestScansThatArriveTogetherCommitTogether(t *testing.T) {
	eachWriting(t, func(t *testing.T, db *store.DB) {
		c := mustCommunity(t, db)
		appendEntries(t, db, c.ID, 1)
		before := db.ScanCommits()
		const callers = 64
		errs := together(callers, func(i int) error {
			e := qrGrant(c.ID)
			return db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error { return tx.Append(e, gatehouse.VisitorSubject(int64(i+1))) })
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("scan %d: %v", i, err)
			}
		}
		if rep := verify(t, db); !rep.OK || rep.Checked != 1+callers {
			t.Fatalf("verify: %+v", rep)
		}
		if n := db.ScanCommits() - before; n >= callers || n < 1 {
			t.Errorf("%d scans arriving together took %d commits; want fewer", callers, n)
		}
	})
}

// A scan of a batch that fails after it wrote is undone alone (on MySQL to
// its savepoint; on SQLite the batch runs again without it): the others of
// the batch are stored and the chain holds.
func TestAScanThatFailsAfterWritingIsUndoneAlone(t *testing.T) {
	eachWriting(t, func(t *testing.T, db *store.DB) {
		c := mustCommunity(t, db)
		const callers = 48
		errs := together(callers, func(i int) error {
			return db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error {
				e := qrGrant(c.ID)
				e.Note = fmt.Sprint(i)
				if err := tx.Append(e, gatehouse.VisitorSubject(int64(i+1))); err != nil {
					return err
				}
				if i%3 == 0 {
					return gatehouse.Errorf(gatehouse.EINVALID, "refused after writing")
				}
				return nil
			})
		})
		for i, err := range errs {
			if (i%3 == 0) != (gatehouse.ErrorCode(err) == gatehouse.EINVALID) || (i%3 != 0 && err != nil) {
				t.Fatalf("scan %d: %v", i, err)
			}
		}
		if rep := verify(t, db); !rep.OK || rep.Checked != callers-callers/3 {
			t.Fatalf("verify: %+v; want %d entries", rep, callers-callers/3)
		}
		entries, _, err := db.Entries(context.Background(), gatehouse.EntryFilter{CommunityIDs: []int64{c.ID}}, gatehouse.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			var i int
			fmt.Sscan(e.Note, &i)
			if i%3 == 0 {
				t.Errorf("the entry of refused scan %d is stored", i)
			}
		}
	})
}

// A scan's writes are stored together or not at all: in a batch, a scan
// whose entry is refused (its event id is already logged) leaves neither
// its presence nor its chain head behind and is told why; the others are
// stored, each presence naming its own entry (on MySQL the writes of a scan
// leave in one round trip, presence naming the entry inserted before it).
func TestAScansWritesAreStoredTogetherOrNotAtAll(t *testing.T) {
	eachWriting(t, func(t *testing.T, db *store.DB) {
		c := mustCommunity(t, db)
		first := qrGrant(c.ID)
		first.EventID = "logged"
		if err := db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error { return tx.Append(first, "") }); err != nil {
			t.Fatal(err)
		}
		const callers = 48
		entries := make([]*gatehouse.Entry, callers)
		for i := range entries {
			entries[i] = qrGrant(c.ID)
			entries[i].EventID = fmt.Sprintf("event-%d", i)
			if i%4 == 0 {
				entries[i].EventID = "logged"
			}
		}
		errs := together(callers, func(i int) error {
			return db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error {
				return tx.Append(entries[i], gatehouse.VisitorSubject(int64(1000+i)))
			})
		})
		for i, err := range errs {
			if (i%4 == 0) != (gatehouse.ErrorCode(err) == gatehouse.ECONFLICT) || (i%4 != 0 && err != nil) {
				t.Fatalf("scan %d: %v", i, err)
			}
		}
		if rep := verify(t, db); !rep.OK || rep.Checked != 1+callers-callers/4 {
			t.Fatalf("verify: %+v; want %d entries", rep, 1+callers-callers/4)
		}
		onsite, err := db.Onsite(context.Background(), []int64{c.ID})
		if err != nil {
			t.Fatal(err)
		}
		inside := map[gatehouse.Subject]int64{}
		for _, o := range onsite {
			inside[o.Subject] = o.EntryID
		}
		for i, e := range entries {
			id, ok := inside[gatehouse.VisitorSubject(int64(1000+i))]
			switch {
			case i%4 == 0 && ok:
				t.Errorf("scan %d was refused, yet its visitor is recorded inside", i)
			case i%4 != 0 && !ok:
				t.Errorf("scan %d's visitor is not recorded inside", i)
			case i%4 != 0 && id != e.ID:
				t.Errorf("scan %d: presence names entry %d, its entry is %d", i, id, e.ID)
			}
		}
		if len(inside) != callers-callers/4 {
			t.Errorf("%d people inside; want %d", len(inside), callers-callers/4)
		}
	})
}

// A scan whose connection to MySQL breaks (a server restart, a failover, a
// KILL) fails, and the writer of its community goes on: it neither hangs
// on the broken connection nor loses the scans after it. Here the scan
// goes on writing after a failed read, so that its writes meet a
// connection the driver already knows is broken.
func TestABrokenMySQLConnectionFailsTheScanAndTheWriterGoesOn(t *testing.T) {
	base := os.Getenv(storetest.MySQLDSNEnv)
	if base == "" {
		t.Skip("needs " + storetest.MySQLDSNEnv)
	}
	dsn := storetest.NewMySQLDatabase(t)
	db, err := store.Open(context.Background(), store.MySQL, dsn, storetest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	hung := true // a hung writer would hang Close too: the test fails instead
	t.Cleanup(func() {
		if !hung {
			db.Close()
		}
	})
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	adminCfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", adminCfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	c := mustCommunity(t, db)
	ctx := context.Background()
	answer := make(chan error, 1)
	go func() {
		answer <- db.InScanTx(ctx, c.ID, func(tx gatehouse.ScanTx) error {
			// The scan's transaction has locked its chain head: kill its connection.
			var id int64
			err := admin.QueryRow(`SELECT t.trx_mysql_thread_id FROM information_schema.innodb_trx t
				JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id WHERE p.db = ?`, cfg.DBName).Scan(&id)
			if err != nil {
				return fmt.Errorf("the scan's connection: %w", err)
			}
			if _, err := admin.Exec(fmt.Sprintf("KILL %d", id)); err != nil {
				return err
			}
			if _, err := tx.Community(); err == nil {
				return errors.New("a read on a killed connection worked")
			}
			return tx.Append(qrGrant(c.ID), gatehouse.VisitorSubject(1))
		})
	}()
	select {
	case err := <-answer:
		hung = false
		if err == nil {
			t.Fatal("a scan on a killed connection was told it is stored")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the scan on a killed connection was never answered: its writer hangs")
	}
	appendEntries(t, db, c.ID, 1) // the writer goes on
	if rep := verify(t, db); !rep.OK || rep.Checked != 1 {
		t.Fatalf("verify: %+v; want the one entry after the broken connection", rep)
	}
}

// A scan that fails after writing, for a reason of its own making (not a
// refusal), is undone whole, and nothing of it is left on the connection
// for the next transaction to commit (on MySQL a START TRANSACTION commits
// whatever transaction the connection still has open).
func TestAFailedScanLeavesNothingForTheNextToCommit(t *testing.T) {
	eachWriting(t, func(t *testing.T, db *store.DB) {
		c := mustCommunity(t, db)
		boom := errors.New("the disk is full")
		for range 8 { // more than the writers' connections
			err := db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error {
				if err := tx.Append(qrGrant(c.ID), gatehouse.VisitorSubject(1)); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v; want %v", err, boom)
			}
		}
		appendEntries(t, db, c.ID, 16)
		if rep := verify(t, db); !rep.OK || rep.Checked != 16 {
			t.Fatalf("verify: %+v; want only the 16 entries of the scans that succeeded", rep)
		}
	})
}
