// Package storetest opens fresh, migrated databases for tests: SQLite always,
// and MySQL/MariaDB when GATEHOUSE_TEST_MYSQL_DSN is set. When that DSN is set
// and the server cannot be reached, tests fail; they never silently skip.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/keys"
	"gatehouse/internal/store"
)

// MySQLDSNEnv names the variable holding a MySQL DSN without a database name
// (for example root@tcp(127.0.0.1:3306)/); each test gets its own database.
const MySQLDSNEnv = "GATEHOUSE_TEST_MYSQL_DSN"

// Dialects returns the dialects the suite runs against.
func Dialects() []string {
	if os.Getenv(MySQLDSNEnv) != "" {
		return []string{store.SQLite, store.MySQL}
	}
	return []string{store.SQLite}
}

// Each runs fn as a subtest once per dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			fn(t, MustOpen(t, d))
		})
	}
}

// Keys returns fixed keys for tests.
func Keys(tb testing.TB) *keys.Keys {
	tb.Helper()
	k, err := keys.New([]byte(strings.Repeat("d", 32)), []byte(strings.Repeat("l", 32)))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// MustOpen opens a fresh database of a dialect, migrated to the newest schema.
func MustOpen(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	db := MustOpenEmpty(tb, dialect)
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// MustOpenEmpty opens a fresh database with no schema.
func MustOpenEmpty(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	_, dsn := NewDSN(tb, dialect)
	db, err := store.Open(context.Background(), dialect, dsn, Keys(tb))
	if err != nil {
		tb.Fatalf("open %s: %v", dialect, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var seq atomic.Int64

// NewDSN makes a new empty database of a dialect and returns its DSN; the
// database is removed when the test ends.
func NewDSN(tb testing.TB, dialect string) (string, string) {
	tb.Helper()
	switch dialect {
	case store.SQLite:
		return dialect, filepath.Join(tb.TempDir(), "gatehouse.db")
	case store.MySQL:
		return dialect, NewMySQLDatabase(tb)
	}
	tb.Fatalf("unknown dialect %q", dialect)
	return "", ""
}

// NewMySQLDatabase creates a uniquely named database on the server of
// GATEHOUSE_TEST_MYSQL_DSN and returns a DSN for it; it is dropped at cleanup.
func NewMySQLDatabase(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(MySQLDSNEnv)
	if base == "" {
		tb.Fatalf("%s is not set", MySQLDSNEnv)
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		tb.Fatalf("%s: %v", MySQLDSNEnv, err)
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := fmt.Sprintf("gh_test_%d_%d_%s", os.Getpid(), seq.Add(1), hex.EncodeToString(suffix))
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		tb.Fatalf("MySQL at %s (from %s) cannot be used: %v", cfg.Addr, MySQLDSNEnv, err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name)
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
