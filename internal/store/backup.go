package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
)

// ErrBackupMySQL says that BackupTo was asked to copy a MySQL database, which
// mysqldump or mariabackup do instead.
var ErrBackupMySQL = errors.New("store: BackupTo copies SQLite databases only; back MySQL up with mysqldump --single-transaction or mariabackup")

// BackupTo writes a consistent copy of the SQLite database to path, a file
// that must not exist yet, while the server keeps serving: VACUUM INTO runs
// in a read transaction of its own, so in WAL mode neither scans (writes)
// nor reads wait for it. The copy is then checked with PRAGMA
// integrity_check; a copy that fails the check is removed.
func (db *DB) BackupTo(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return ErrBackupMySQL
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("store: backup target %s exists already; choose a new file", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: backup target %s: %w", path, err)
	}
	if err := db.vacuumInto(ctx, path); err != nil {
		os.Remove(path)
		return err
	}
	if err := syncFile(path); err != nil {
		os.Remove(path)
		return err
	}
	if err := checkIntegrity(ctx, path); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// vacuumInto runs VACUUM INTO on one connection of the read pool. Read
// connections are query_only, which forbids VACUUM INTO, so the pragma is
// lifted on that one connection for the statement and set again after; a
// connection that cannot be set back is thrown away rather than returned to
// the pool. The writer connection is never used: holding it for the length
// of a copy would stop every scan.
func (db *DB) vacuumInto(ctx context.Context, path string) error {
	sdb, err := db.r.DB()
	if err != nil {
		return err
	}
	conn, err := sdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA query_only(0)"); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	_, verr := conn.ExecContext(ctx, "VACUUM INTO ?", path)
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA query_only(1)"); err != nil {
		// Never hand a writable connection back to the read pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	if verr != nil {
		return fmt.Errorf("store: backup: VACUUM INTO: %w", verr)
	}
	return nil
}

// checkIntegrity opens the copy on its own, read-only, and runs
// PRAGMA integrity_check, which answers the single row "ok" when sound.
// ("sqlite" is modernc.org/sqlite, the driver under the gorm dialector.)
func checkIntegrity(ctx context.Context, path string) error {
	s, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("store: backup: cannot open the copy: %w", err)
	}
	defer s.Close()
	rows, err := s.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: backup: integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("store: backup: integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: backup: integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: backup: the copy fails its integrity check: %v", problems)
	}
	return nil
}

// syncFile flushes a file to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}
