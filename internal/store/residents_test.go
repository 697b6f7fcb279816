package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// idNumber is a valid resident ID that must never be stored in the clear.
const idNumber = "11010519491231002X"

func TestRawIDNumberNeverReachesTheSQLiteFile(t *testing.T) {
	ctx := context.Background()
	_, path := storetest.NewDSN(t, store.SQLite)
	db, err := store.Open(ctx, store.SQLite, path, storetest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := mustCommunity(t, db)
	r := &gatehouse.Resident{CommunityID: c.ID, Name: "张三", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(idNumber), Phone: "13800138000", Building: "1", Unit: "1", Room: "101"}
	if err := db.CreateResident(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Read it back through the store: the number is recoverable with the key.
	got, err := db.Resident(ctx, r.ID)
	if err != nil || !got.IDNumber.Same(gatehouse.NewIDNumber(idNumber)) || got.IDNumber.Masked() != "110105********002X" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	// Check every file SQLite wrote, before and after the WAL is folded in.
	checkFiles := func(when string) {
		files, _ := filepath.Glob(path + "*")
		if len(files) == 0 {
			t.Fatalf("no database files at %s", path)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(idNumber)) || bytes.Contains(b, []byte(idNumber[:17])) {
				t.Fatalf("%s: the raw ID number is in %s", when, filepath.Base(f))
			}
			if filepath.Ext(f) == ".db" && !bytes.Contains(b, []byte("110105********002X")) && when == "after close" {
				t.Fatalf("%s: the masked number is not in the main file; is this the right file?", when)
			}
		}
	}
	checkFiles("while open")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkFiles("after close")
}

func TestRawIDNumberNeverReachesMySQL(t *testing.T) {
	if os.Getenv(storetest.MySQLDSNEnv) == "" {
		t.Skipf("%s is not set; the SQLite test covers the embedded database", storetest.MySQLDSNEnv)
	}
	ctx := context.Background()
	dsn := storetest.NewMySQLDatabase(t)
	db, err := store.Open(ctx, store.MySQL, dsn, storetest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := mustCommunity(t, db)
	r := &gatehouse.Resident{CommunityID: c.ID, Name: "张三", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(idNumber), Phone: "13800138000", Building: "1", Unit: "1", Room: "101"}
	if err := db.CreateResident(ctx, r); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT * FROM residents")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		n++
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if strings.Contains(string(v), idNumber[:17]) {
				t.Fatalf("column %s holds the raw ID number", cols[i])
			}
		}
	}
	if n != 1 {
		t.Fatalf("read %d rows, want 1", n)
	}
}

func TestResidentOfAnotherCommunityMayShareAnIDButNotTwiceInOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := mustCommunity(t, db), mustCommunity(t, db)
		mk := func(c int64) *gatehouse.Resident {
			return &gatehouse.Resident{CommunityID: c, Name: "张三", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber(idNumber), Phone: "13800138000", Building: "1", Unit: "1", Room: "101"}
		}
		first := mk(a.ID)
		if err := db.CreateResident(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateResident(ctx, mk(b.ID)); err != nil {
			t.Fatalf("same person in another community: %v", err)
		}
		if err := db.CreateResident(ctx, mk(a.ID)); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
			t.Fatalf("same person twice in one community: %v, want ECONFLICT", err)
		}
		// After moving out, the person may be registered again.
		if err := db.MoveOutResident(ctx, first.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateResident(ctx, mk(a.ID)); err != nil {
			t.Fatalf("re-registering after moving out: %v", err)
		}
		moved, err := db.Resident(ctx, first.ID)
		if err != nil || moved.MovedOutAt == nil {
			t.Fatalf("moved-out resident: %+v %v", moved, err)
		}
	})
}

func mustCommunity(t *testing.T, db *store.DB) *gatehouse.Community {
	t.Helper()
	c := &gatehouse.Community{Name: "翠竹苑", TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72}
	if err := db.CreateCommunity(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}
