// Package store keeps Gatehouse's data in SQLite (embedded default) or
// MySQL/MariaDB through gorm. It maps private row structs to domain types and
// gorm and driver errors to domain errors; it never imports gin.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/libtnb/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/keys"
	"gatehouse/migrations"
)

// Dialects Gatehouse stores data in.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

// DB is the store. Its methods take a context first and return domain types
// and domain errors.
type DB struct {
	dialect     string
	w           *gorm.DB // writes; on SQLite the single writer connection
	r           *gorm.DB // reads; on SQLite a pool of read-only connections
	keys        *keys.Keys
	commit      *committer      // SQLite's group-commit writer of scans
	checkpoints *checkpointer   // SQLite's WAL checkpoints, off the writer
	scanRetries atomic.Int64    // scan transactions tried again (MySQL)
	scanCommits atomic.Int64    // transactions that committed scans
	group       *mysqlCommitter // MySQL's group committer of scans
	// scanConns are the MySQL group committer's connections. Only they may
	// send several statements in one round trip (a scan's writes, whose
	// texts are fixed in this package; see querier.flush).
	scanConns *sql.DB
	// galera is set on a Galera node. There a transaction can be aborted
	// under its session by a write set from another node (a brute-force
	// abort) between two statements of one multi-statement round trip,
	// and the statements after it then ran outside any transaction (seen
	// in the benchmark: savepoints gone, chain heads written unlocked), so
	// a scan's writes are sent one statement at a time.
	galera bool

	// Now is the clock; tests replace it to move time without sleeping.
	Now func() time.Time
}

// Open connects to the database of dialect driver at dsn. It does not touch
// the schema: call Migrate or CheckSchema next.
func Open(ctx context.Context, driver, dsn string, k *keys.Keys) (*DB, error) {
	db := &DB{dialect: driver, keys: k, Now: time.Now}
	if driver == MySQL {
		db.group = newMySQLCommitter(db)
	}
	if driver == SQLite {
		db.commit = &committer{db: db, jobs: make(chan *scanJob, 4*maxBatch), quit: make(chan struct{}), exited: make(chan struct{}),
			kept: map[string]*sql.Stmt{}}
	}
	cfg := &gorm.Config{
		Logger:                 logger.Discard, // errors are returned and logged by the caller
		SkipDefaultTransaction: true,           // single statements need no wrapping transaction
		PrepareStmt:            true,           // statements are prepared once per connection and reused
		PrepareStmtMaxSize:     512,
		PrepareStmtTTL:         time.Hour,
	}
	switch driver {
	case SQLite:
		if err := openSQLite(db, dsn, cfg); err != nil {
			return nil, err
		}
	case MySQL:
		if err := openMySQL(db, dsn, cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown database driver %q: use sqlite or mysql", driver)
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(db *DB, path string, cfg *gorm.Config) error {
	if path != ":memory:" && !strings.HasPrefix(path, "file:") {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return fmt.Errorf("cannot create the database directory %s: %w", dir, err)
			}
		}
	}
	common := url.Values{}
	common.Add("_pragma", "busy_timeout(10000)") // wait for the writer rather than fail with SQLITE_BUSY
	common.Add("_pragma", "foreign_keys(1)")     // the schema's REFERENCES are enforced
	common.Add("_pragma", "journal_mode(WAL)")   // readers do not block the writer, nor it them
	common.Add("_pragma", "synchronous(FULL)")   // a commit is on disk before a grant is answered
	common.Add("_pragma", "temp_store(MEMORY)")  // statement journals in memory, not in temporary files
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	wq := url.Values{}
	for _, p := range common["_pragma"] {
		wq.Add("_pragma", p)
	}
	// The writer never checkpoints inside a commit: the checkpointer does it
	// beside it, so that copying the WAL into the database is off the scan path.
	wq.Add("_pragma", "wal_autocheckpoint(0)")
	// Erased names and plates are zeroed on their pages, not left readable in
	// free space of the file (retention means gone, not unlinked).
	wq.Add("_pragma", "secure_delete(1)")
	w, err := gorm.Open(sqlite.Open(path+sep+wq.Encode()+"&_txlock=immediate"), cfg)
	if err != nil {
		return fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	wdb, err := w.DB()
	if err != nil {
		return err
	}
	// SQLite allows one writer at a time: one connection makes writers queue in
	// Go instead of spinning on SQLITE_BUSY.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)

	ro := url.Values{}
	for _, p := range common["_pragma"] {
		ro.Add("_pragma", p)
	}
	ro.Add("_pragma", "query_only(1)") // a read connection can never write by mistake
	// Reads of a large log (a month of the district, a police query) map
	// the file instead of copying each page in through a read call.
	ro.Add("_pragma", "mmap_size(2147418112)")
	r, err := gorm.Open(sqlite.Open(path+sep+ro.Encode()), cfg)
	if err != nil {
		return fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	rdb, err := r.DB()
	if err != nil {
		return err
	}
	// Reads run in parallel in WAL mode; a few connections cover two cores.
	rdb.SetMaxOpenConns(8)
	rdb.SetMaxIdleConns(8)
	db.w, db.r = w, r
	// The checkpointer's own connection: it writes the database file, so it
	// cannot be a read-only one, and it must not wait behind the writer.
	cp, err := sql.Open(sqlite.DriverName, path+sep+common.Encode())
	if err != nil {
		return fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	cp.SetMaxOpenConns(1)
	db.checkpoints = &checkpointer{db: cp, every: time.Second, quit: make(chan struct{}), done: make(chan struct{})}
	go db.checkpoints.run()
	return nil
}

// checkpointer copies committed WAL frames into the database file once a
// second (PASSIVE: it never blocks the writer or the readers).
type checkpointer struct {
	db    *sql.DB
	every time.Duration
	quit  chan struct{}
	done  chan struct{}
	// onError hears of a failed checkpoint: the WAL then grows until one works.
	onError atomic.Pointer[func(error)]
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			_, err := c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			if f := c.onError.Load(); err != nil && f != nil {
				(*f)(err)
			}
		}
	}
}

func (c *checkpointer) stop() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}

func openMySQL(db *DB, dsn string, cfg *gorm.Config) error {
	mc, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("GATEHOUSE_DB_DSN is not a MySQL DSN: %v", err)
	}
	// Times are BIGINT microseconds, so no parseTime is needed; these keep text
	// and errors predictable whatever the server's defaults are.
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	if _, ok := mc.Params["charset"]; !ok {
		mc.Params["charset"] = "utf8mb4"
	}
	// Arguments are put into the query text by the driver: one round trip a
	// query instead of prepare, execute and close (utf8mb4 makes it safe).
	mc.InterpolateParams = true
	// RowsAffected counts matched rows, as on SQLite: an update that changes
	// nothing still finds its row (the store tells "not found" by it).
	mc.ClientFoundRows = true
	mc.Timeout = orDefault(mc.Timeout, 5*time.Second)
	g, err := gorm.Open(mysql.New(mysql.Config{DSNConfig: mc}), cfg)
	if err != nil {
		return fmt.Errorf("cannot open MySQL database: %w", err)
	}
	sdb, err := g.DB()
	if err != nil {
		return err
	}
	// Enough connections for concurrent requests without exhausting
	// max_connections (151 by default) when several instances share one server.
	mysqlPool(sdb, 32)
	// On a Galera node, reads wait until the node has applied what the other
	// nodes committed before them (causality checks): a pass issued through
	// one node is known at once to a gate served through another.
	var on string
	if err := sdb.QueryRow("SELECT @@wsrep_on").Scan(&on); err == nil && (on == "1" || strings.EqualFold(on, "ON")) {
		sdb.Close()
		mc.Params["wsrep_sync_wait"] = "1"
		db.galera = true
		if g, err = gorm.Open(mysql.New(mysql.Config{DSNConfig: mc}), cfg); err != nil {
			return fmt.Errorf("cannot open MySQL database: %w", err)
		}
		if sdb, err = g.DB(); err != nil {
			return err
		}
		mysqlPool(sdb, 32)
	}
	db.w, db.r = g, g
	// Parsed again from its text, as gorm does: charset is a DSN word, not
	// a session variable.
	sc, err := mysqldriver.ParseDSN(mc.FormatDSN())
	if err != nil {
		return err
	}
	sc.MultiStatements = true
	conn, err := mysqldriver.NewConnector(sc)
	if err != nil {
		return err
	}
	db.scanConns = sql.OpenDB(readCommitted{conn})
	mysqlPool(db.scanConns, mysqlShards) // one per writer
	return nil
}

// mysqlPool holds up to n connections, recycled well before MySQL's default
// wait_timeout (8 h) and any proxy's idle timeout, so that a pooled
// connection is never found dead.
func mysqlPool(sdb *sql.DB, n int) {
	sdb.SetConnMaxLifetime(3 * time.Minute)
	sdb.SetConnMaxIdleTime(time.Minute)
	sdb.SetMaxOpenConns(n)
	sdb.SetMaxIdleConns(n)
}

// readCommitted makes MySQL connections whose transactions are read
// committed from the start, so that beginning one is one round trip
// (START TRANSACTION) rather than two (SET TRANSACTION ISOLATION LEVEL
// first, as database/sql's BeginTx with a level does).
type readCommitted struct{ driver.Connector }

func (c readCommitted) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("the MySQL driver's connection %T cannot run a statement", conn)
	}
	if _, err := ex.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Pools returns the writer's and the reader's connection pools (the same on
// MySQL), for their statistics.
func (db *DB) Pools() (writer, reader *sql.DB) {
	w, _ := db.w.DB()
	r, _ := db.r.DB()
	return w, r
}

// OnCheckpointError sets who hears of failed SQLite WAL checkpoints.
func (db *DB) OnCheckpointError(f func(error)) {
	if db.checkpoints != nil {
		db.checkpoints.onError.Store(&f)
	}
}

// UseKeys sets the keys that seal and hash ID numbers (when they are loaded
// after the database is reached).
func (db *DB) UseKeys(k *keys.Keys) { db.keys = k }

// Dialect returns sqlite or mysql.
func (db *DB) Dialect() string { return db.dialect }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	for _, g := range []*gorm.DB{db.w, db.r} {
		s, err := g.DB()
		if err != nil {
			return err
		}
		if err := s.PingContext(ctx); err != nil {
			return fmt.Errorf("cannot reach the %s database: %w", db.dialect, err)
		}
	}
	return nil
}

// Close stops the scan writer and closes every connection.
func (db *DB) Close() error {
	if db.commit != nil {
		db.commit.stop()
	}
	if db.group != nil {
		db.group.stop()
	}
	var errs []error
	if db.checkpoints != nil {
		errs = append(errs, db.checkpoints.stop())
		db.checkpoints = nil
	}
	if db.scanConns != nil {
		errs = append(errs, db.scanConns.Close())
	}
	seen := map[*sql.DB]bool{}
	for _, g := range []*gorm.DB{db.r, db.w} {
		if g == nil {
			continue
		}
		s, err := g.DB()
		if err != nil || seen[s] {
			continue
		}
		seen[s] = true
		if db.dialect == SQLite && g == db.w {
			// Fold the WAL back into the main file so that a copy of the
			// .db alone is complete.
			_ = g.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
		}
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// now returns the store clock in Unix microseconds, the form of every stored time.
func (db *DB) now() int64 { return db.Now().UnixMicro() }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromMicrosPtr(us *int64) *time.Time {
	if us == nil {
		return nil
	}
	t := fromMicros(*us)
	return &t
}

// SchemaStatus says how the database's schema compares with this binary's.
type SchemaStatus struct {
	Current int64 // version recorded in the database; 0 when empty
	Target  int64 // newest version embedded in this binary
}

// UpToDate reports whether the schema is exactly the binary's.
func (s SchemaStatus) UpToDate() bool { return s.Current == s.Target }

func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := migrations.FS(db.dialect)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if db.dialect == MySQL {
		dialect = goose.DialectMySQL
	}
	sdb, err := db.w.DB()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, sdb, fsys)
}

// Schema reads the schema version of the database and of this binary.
func (db *DB) Schema(ctx context.Context) (SchemaStatus, error) {
	p, err := db.provider()
	if err != nil {
		return SchemaStatus{}, err
	}
	cur, target, err := p.GetVersions(ctx)
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("cannot read the schema version: %w", err)
	}
	return SchemaStatus{Current: cur, Target: target}, nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions applied.
func (db *DB) Migrate(ctx context.Context) ([]int64, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	cur, target, err := p.GetVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read the schema version: %w", err)
	}
	if cur > target {
		return nil, &SchemaError{SchemaStatus{cur, target}}
	}
	res, err := p.Up(ctx)
	var applied []int64
	for _, r := range res {
		if r.Error == nil {
			applied = append(applied, r.Source.Version)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("migration failed: %w", err)
	}
	return applied, nil
}

// SchemaError says that the schema is behind or ahead of the binary, and what to run.
type SchemaError struct{ Status SchemaStatus }

func (e *SchemaError) Error() string {
	s := e.Status
	if s.Current < s.Target {
		return fmt.Sprintf("database schema is at version %d but this gatehouse needs %d: run `gatehouse migrate` (with the same database settings) first", s.Current, s.Target)
	}
	return fmt.Sprintf("database schema is at version %d, newer than this gatehouse (%d): run the gatehouse release that migrated it, or a newer one", s.Current, s.Target)
}

// CheckSchema returns a *SchemaError unless the schema is exactly current.
func (db *DB) CheckSchema(ctx context.Context) error {
	s, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	if !s.UpToDate() {
		return &SchemaError{s}
	}
	return nil
}

// isDuplicate reports whether err is a unique-key violation on either dialect.
func isDuplicate(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isRetryable reports whether err is a deadlock, a lock wait timeout or a
// Galera certification failure (reported as a deadlock), after which the
// whole transaction may simply run again.
func isRetryable(err error) bool {
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return false
}

// internal wraps an unexpected database error; the message stays in logs.
func internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var ge *gatehouse.Error
	if errors.As(err, &ge) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isUnreachable(err) {
		return gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the database is not reachable; nothing was done, try again")
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// isUnreachable reports a lost or refused database connection (a node of a
// cluster went down): the caller is told 503, not 500.
func isUnreachable(err error) bool {
	var ne *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysqldriver.ErrInvalidConn) || errors.As(err, &ne) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// transact runs fn in a write transaction, retrying it when MySQL (or a
// Galera cluster) reports a deadlock or certification conflict.
func (db *DB) transact(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return retry(ctx, func() error { return db.w.WithContext(ctx).Transaction(fn) })
}

// retry runs attempt again while it fails with a deadlock, a lock wait
// timeout or a Galera certification conflict: with randomized, growing
// waits, for up to 10 seconds (many scans of one community on three Galera
// nodes conflict often, and each conflict is harmless: nothing committed).
func retry(ctx context.Context, attempt func() error) error {
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; ; n++ {
		err := attempt()
		if !isRetryable(err) || time.Now().After(deadline) {
			return err
		}
		wait := time.Duration(1+rand.IntN(1+min(n, 10)*3)) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// MigrateDownTo rolls the schema back to version (for operators undoing a
// release, and for tests of the schema check).
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// ExecForTest runs raw SQL on the writer connection. Tests use it to tamper
// with rows behind the application's back; the server never calls it.
func (db *DB) ExecForTest(ctx context.Context, sql string, args ...any) error {
	return db.w.WithContext(ctx).Exec(sql, args...).Error
}
