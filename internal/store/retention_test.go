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
