package store_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestRetentionLeavesNoErasedNameOrPlateInTheSQLiteFiles(t *testing.T) {
	ctx := context.Background()
	_, path := storetest.NewDSN(t, store.SQLite)
	db, err := store.Open(ctx, store.SQLite, path, storetest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := mustCommunity(t, db)
	const name, plate = "欧阳秘密", "粤Z54321"
	for i := 0; i < 40; i++ {
		e := &gatehouse.Entry{CommunityID: c.ID, GateID: 1, Direction: gatehouse.In, Decision: gatehouse.Grant, Reason: gatehouse.Granted,
			ServerDecision: gatehouse.Grant, Method: gatehouse.MethodQR, OccurredAt: time.Date(2026, 1, 1, 9, 0, i, 0, time.UTC),
			PersonName: name, Plate: plate, Note: "送快递"}
		if err := db.InScanTx(ctx, c.ID, func(tx gatehouse.ScanTx) error { return tx.Append(e, "") }); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.ErasePersonalData(ctx, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n.Entries != 40 {
		t.Fatalf("erased %+v, %v", n, err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, s := range []string{name, plate} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s still holds the erased %q", f, s)
			}
		}
	}
	if rep := verify(t, db); !rep.OK {
		t.Fatalf("the chain does not verify after retention: %+v", rep)
	}
}

// A retention run with nothing to erase leaves the WAL alone: folding it
// waits for every reader while holding the one writer, so each gate's scan
// waited the two seconds it took (the server runs retention a minute after
// it starts, then daily).
func TestRetentionWithNothingToEraseDoesNotFoldTheWAL(t *testing.T) {
	ctx := context.Background()
	_, path := storetest.NewDSN(t, store.SQLite)
	db, err := store.Open(ctx, store.SQLite, path, storetest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := mustCommunity(t, db)
	appendEntries(t, db, c.ID, 3) // of 2026-11-27
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if walSize() == 0 {
		t.Fatal("the WAL is empty before the run: nothing to tell")
	}
	n, err := db.ErasePersonalData(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n.Entries+n.Passes+n.Visitors != 0 {
		t.Fatalf("erased %+v, %v; want nothing", n, err)
	}
	if walSize() == 0 {
		t.Error("a run that erased nothing folded and emptied the WAL")
	}
	// With something to erase it still does.
	if n, err := db.ErasePersonalData(ctx, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil || n.Entries != 3 {
		t.Fatalf("erased %+v, %v; want 3 entries", n, err)
	}
	if s := walSize(); s != 0 {
		t.Errorf("after erasing, the WAL holds %d bytes; want it emptied", s)
	}
}
