package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestAFailedGroupCommitGrantsNothingThatIsNotStored(t *testing.T) {
	db := storetest.MustOpen(t, store.SQLite)
	c := mustCommunity(t, db)
	appendEntries(t, db, c.ID, 1)
	db.FailNextCommitForTest(errors.New("disk I/O error"))
	const callers = 40
	var wg sync.WaitGroup
	results := make([]error, callers)
	start := make(chan struct{})
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			e := &gatehouse.Entry{CommunityID: c.ID, GateID: 1, Direction: gatehouse.In, Decision: gatehouse.Grant, Reason: gatehouse.Granted,
				ServerDecision: gatehouse.Grant, Method: gatehouse.MethodQR, OccurredAt: time.Now()}
			results[i] = db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error { return tx.Append(e, gatehouse.VisitorSubject(int64(i+1))) })
		}()
	}
	close(start)
	wg.Wait()
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
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.InScanTx(context.Background(), c.ID, func(tx gatehouse.ScanTx) error {
				if i%4 == 0 {
					_, err := tx.Pass(999999) // a refusal before any write
					return err
				}
				e := &gatehouse.Entry{CommunityID: c.ID, Direction: gatehouse.In, Decision: gatehouse.Deny, Reason: gatehouse.UnknownPass,
					ServerDecision: gatehouse.Deny, Method: gatehouse.MethodQR, OccurredAt: time.Now()}
				return tx.Append(e, "")
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%4 == 0) != (gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND) || (i%4 != 0 && err != nil) {
			t.Fatalf("scan %d: %v", i, err)
		}
	}
	if rep := verify(t, db); !rep.OK || rep.Checked != 15 {
		t.Fatalf("verify: %+v", rep)
	}
}
