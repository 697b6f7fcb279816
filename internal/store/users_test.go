package store_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestIdentifiersAreComparedByteForByte(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u := &gatehouse.User{Username: "victimM", PasswordHash: "x", Role: gatehouse.RoleAdmin}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		// MySQL's PAD SPACE and case-insensitive collations found these as victimM.
		for _, name := range []string{"victimM ", "victimM  ", "VICTIMM", "victimm"} {
			if got, err := db.UserByUsername(ctx, name); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				t.Errorf("UserByUsername(%q) = %v, %v; want not found", name, got, err)
			}
		}
		if got, err := db.UserByUsername(ctx, "victimM"); err != nil || got.ID != u.ID {
			t.Fatalf("UserByUsername(victimM) = %v, %v", got, err)
		}
		other := &gatehouse.User{Username: "victimm", PasswordHash: "x", Role: gatehouse.RoleAdmin}
		if err := db.CreateUser(ctx, other); err != nil {
			t.Fatalf("victimm beside victimM: %v", err)
		}

		token := strings.Repeat("ab", 32)
		if err := db.CreateSession(ctx, token, u.ID, db.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{token + " ", strings.ToUpper(token)} {
			if _, _, err := db.SessionUser(ctx, h); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
				t.Errorf("SessionUser(%q): %v, want unauthorized", h, err)
			}
		}

		c := &gatehouse.Community{Name: "翠竹苑", TimeZone: "Asia/Shanghai"}
		if err := db.CreateCommunity(ctx, c); err != nil {
			t.Fatal(err)
		}
		key := strings.Repeat("cd", 32)
		if err := db.CreateGate(ctx, &gatehouse.Gate{CommunityID: c.ID, Name: "南门", KeyPrefix: "ghk_"}, key); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{key + " ", strings.ToUpper(key)} {
			if _, err := db.GateByKeyHash(ctx, h); err == nil {
				t.Errorf("GateByKeyHash(%q) found the gate", h)
			}
		}

		if db.Dialect() != store.MySQL {
			return
		}
		// Every identifier compared for equality is VARBINARY on MySQL.
		for _, col := range []string{"users.username", "sessions.token_hash", "login_failures.bucket", "login_locks.bucket",
			"gates.key_hash", "residents.id_hash", "residents.building", "residents.unit", "residents.room",
			"visitors.id_hash", "entries.event_id", "entries.id_hash", "presence.subject", "watchlist.id_hash"} {
			table, column, _ := strings.Cut(col, ".")
			var typ string
			w, _ := db.Pools()
			if err := w.QueryRowContext(ctx, "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
				table, column).Scan(&typ); err != nil {
				t.Fatalf("%s: %v", col, err)
			}
			if typ != "varbinary" {
				t.Errorf("%s is %s, want varbinary (compared byte for byte, no PAD SPACE)", col, typ)
			}
		}
	})
}

func TestReservedLoginsHoldTheLimitAcrossTwoProcesses(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			_, dsn := storetest.NewDSN(t, d)
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(ctx, d, dsn, storetest.Keys(t))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			if _, err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
			limit := func(i int, n int64, oldest, latest time.Time) time.Duration {
				if n >= 5 {
					return time.Minute
				}
				return 0
			}
			var reserved, refused atomic.Int64
			var wg sync.WaitGroup
			for i := range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ids, blocked, wait, err := dbs[i%2].ReserveLogin(ctx, now, now.Add(-15*time.Minute), []string{"address:x", "account:1"}, limit)
					switch {
					case err != nil:
						t.Error(err)
					case wait > 0 && blocked >= 0 && len(ids) == 0:
						refused.Add(1)
					case wait == 0 && len(ids) == 2:
						reserved.Add(1)
					default:
						t.Errorf("ReserveLogin = %v, %d, %v", ids, blocked, wait)
					}
				}()
			}
			wg.Wait()
			if reserved.Load() != 5 || refused.Load() != 95 {
				t.Fatalf("%d reserved and %d refused of 100 parallel attempts on two processes, want 5 and 95", reserved.Load(), refused.Load())
			}
			// A released attempt makes room for one more; cleared buckets start again.
			ids, _, _, err := dbs[0].ReserveLogin(ctx, now.Add(time.Minute), now, []string{"address:y"}, limit)
			if err != nil || len(ids) != 1 {
				t.Fatalf("a fresh bucket: %v, %v", ids, err)
			}
			if err := dbs[1].ReleaseLogin(ctx, nil, []string{"account:1"}); err != nil {
				t.Fatal(err)
			}
			if ids, _, wait, err := dbs[1].ReserveLogin(ctx, now, now.Add(-15*time.Minute), []string{"account:1"}, limit); err != nil || wait != 0 || len(ids) != 1 {
				t.Fatalf("after clearing: %v, %v, %v", ids, wait, err)
			}
		})
	}
}
