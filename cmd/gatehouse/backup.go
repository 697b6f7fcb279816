package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gatehouse/internal/config"
	"gatehouse/internal/keys"
	"gatehouse/internal/store"
)

const backupUsage = "usage: gatehouse backup DIR [serve flags]  (DIR must be new or empty)"

// Names inside a backup directory.
const (
	backupDBFile   = "gatehouse.db"
	backupKeyDir   = "keys"
	backupSumsFile = "SHA256SUMS"
)

// errBackupMySQL sends MySQL users to the README: a SQLite copy is the wrong
// tool for a server that has its own consistent dump.
var errBackupMySQL = errors.New("gatehouse backup copies a SQLite database; on MySQL/MariaDB use " +
	"mysqldump --single-transaction (or mariabackup) and copy the key directory with it, " +
	"as the README's \"Backups\" section shows")

// backupCmd copies the SQLite database (online: the server may keep serving)
// and the key directory into DIR, then writes SHA256SUMS of what it wrote.
// Without the keys the copy is useless: ID numbers and signing keys are
// sealed with data.key.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 || args[0] == "" || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, backupUsage)
			return nil
		}
		return &usageError{backupUsage}
	}
	dir := args[0]
	cfg, _, err := loadConfig("backup", args[1:], getenv, stderr)
	if err == errHelp {
		return nil
	} else if err != nil {
		return err
	}
	if cfg.DBDriver != store.SQLite {
		return errBackupMySQL
	}
	switch {
	case cfg.DBDSN == ":memory:":
		return &config.Error{Setting: "GATEHOUSE_DB_DSN", Problem: "an in-memory database cannot be backed up"}
	case !strings.HasPrefix(cfg.DBDSN, "file:"):
		// Opening a missing file would make a new, empty database to back up.
		if _, err := os.Stat(cfg.DBDSN); err != nil {
			return &config.Error{Setting: "GATEHOUSE_DB_DSN", Problem: oneLine(err.Error())}
		}
	}
	if _, err := keys.Load(cfg.KeyDir); err != nil {
		return &config.Error{Setting: "GATEHOUSE_KEY_DIR", Problem: oneLine(err.Error())}
	}
	if err := emptyDir(dir); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Leave no half backup that could be mistaken for a whole one.
			for _, name := range []string{backupDBFile, backupKeyDir, backupSumsFile} {
				os.RemoveAll(filepath.Join(dir, name))
			}
		}
	}()

	start := time.Now()
	// Read-only: the backup can never change the live database, and closing
	// it does not checkpoint the WAL under the serving process's feet.
	db, err := store.Open(ctx, store.SQLite, readOnlyDSN(cfg.DBDSN), nil)
	if err != nil {
		return &config.Error{Setting: "GATEHOUSE_DB_DSN", Problem: oneLine(err.Error())}
	}
	defer db.Close()
	schema, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(dir, backupDBFile)
	if err := db.BackupTo(ctx, dbPath); err != nil {
		return err
	}
	copied, err := copyKeyDir(cfg.KeyDir, filepath.Join(dir, backupKeyDir))
	if err != nil {
		return err
	}
	files := append([]string{backupDBFile}, copied...)
	if err := writeSums(dir, files); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	fi, err := os.Stat(dbPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up the database (schema version %d, %d bytes) and the key directory (%d files) to %s in %s\n",
		schema.Current, fi.Size(), len(copied), dir, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "keep %s/%s with the database: without it the ID numbers in the copy cannot be read\n", dir, backupKeyDir)
	return nil
}

// readOnlyDSN turns a SQLite path (or file: URI) into a read-only URI.
func readOnlyDSN(dsn string) string {
	path, query, hasQuery := strings.Cut(dsn, "?")
	if !strings.HasPrefix(path, "file:") {
		// A URI's path escapes what would end it early.
		path = "file:" + strings.NewReplacer("%", "%25", "#", "%23").Replace(path)
	}
	if hasQuery && query != "" {
		return path + "?" + query + "&mode=ro"
	}
	return path + "?mode=ro"
}

// emptyDir makes dir (mode 0700) or checks that it is an empty directory, so
// that a backup never overwrites or mixes with an earlier one.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the backup directory %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cannot read the backup directory %s: %w", dir, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("the backup directory %s is not empty; give a new directory for each backup", dir)
	}
	return nil
}

// copyKeyDir copies every regular file of the key directory into dst (mode
// 0700) as mode 0600 files, and returns their paths relative to dst's parent.
func copyKeyDir(src, dst string) ([]string, error) {
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, &config.Error{Setting: "GATEHOUSE_KEY_DIR", Problem: oneLine(err.Error())}
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dst, err)
	}
	var out []string
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return nil, err
		}
		out = append(out, filepath.ToSlash(filepath.Join(filepath.Base(dst), e.Name())))
	}
	if len(out) == 0 {
		return nil, &config.Error{Setting: "GATEHOUSE_KEY_DIR", Problem: src + " holds no key files"}
	}
	return out, syncDir(dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("cannot copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeSums writes SHA256SUMS in the format `sha256sum -c` checks.
func writeSums(dir string, files []string) error {
	sort.Strings(files)
	var b strings.Builder
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
	}
	path := filepath.Join(dir, backupSumsFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes the names created in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
