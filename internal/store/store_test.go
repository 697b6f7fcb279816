package store_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
	"gatehouse/migrations"
)

// migrationVersions are the versions of a dialect's migration files, in order.
func migrationVersions(t *testing.T, dialect string) []int64 {
	t.Helper()
	files, err := migrations.FS(dialect)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(files, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations of %s: %v, %v", dialect, names, err)
	}
	var out []int64
	for _, n := range names {
		v, err := strconv.ParseInt(strings.SplitN(n, "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", n, err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func TestMigrationsRunUpFromEmpty(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.MustOpenEmpty(t, d)
			s, err := db.Schema(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Current != 0 || s.Target < 2 {
				t.Fatalf("empty database: got %+v, want current 0 and a target of at least 2", s)
			}
			if err := db.CheckSchema(ctx); err == nil {
				t.Fatal("CheckSchema accepted an empty database")
			}
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Numbers are handed out ahead of the work, so the versions may have
			// gaps: every file must be applied, the last being the target.
			if want := migrationVersions(t, d); !slices.Equal(applied, want) || want[len(want)-1] != s.Target {
				t.Fatalf("applied %v, want all migrations %v, up to %d", applied, want, s.Target)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("after migrate: %v", err)
			}
			again, err := db.Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("second migrate applied %v, err %v; want nothing", again, err)
			}
		})
	}
}

func TestSchemaBehindIsRefusedWithAdvice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := db.Schema(ctx)
		if err := db.MigrateDownTo(ctx, s.Target-1); err != nil {
			t.Fatal(err)
		}
		// The version before the last (numbers may have gaps).
		previous := int64(0)
		for _, v := range migrationVersions(t, db.Dialect()) {
			if v < s.Target {
				previous = max(previous, v)
			}
		}
		err := db.CheckSchema(ctx)
		var se *store.SchemaError
		if !errors.As(err, &se) || se.Status.Current != previous {
			t.Fatalf("got %v, want a SchemaError at version %d", err, previous)
		}
		if want := "run `gatehouse migrate`"; !strings.Contains(err.Error(), want) {
			t.Fatalf("message %q does not say %q", err, want)
		}
	})
}

func TestCommunityRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &gatehouse.Community{Name: "翠竹苑", Address: "罗湖区翠竹路1号", TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72, AntiPassback: true}
		if err := db.CreateCommunity(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := db.Community(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != c.Name || got.Address != c.Address || !got.AntiPassback || got.TimeZone != "Asia/Shanghai" {
			t.Fatalf("got %+v, want %+v", got, c)
		}
		if _, err := db.Community(ctx, c.ID+100); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			t.Fatalf("missing community: got %v, want ENOTFOUND", err)
		}
	})
}
