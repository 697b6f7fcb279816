package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// mariadb is a private MariaDB server for the benchmark: its settings are
// the benchmark's (durable commits, a buffer pool that holds the working
// set), not whatever the machine's server has, and its data directory is
// kept between runs so that the 10-million-entry data set is made once.
type mariadb struct {
	dir  string
	port int
	cmd  *exec.Cmd
}

// Settings the benchmark's MariaDB runs with; the report prints them.
var mariadbSettings = []string{
	"--innodb-flush-log-at-trx-commit=1", // durable: every commit is on disk
	"--sync-binlog=0",
	"--innodb-buffer-pool-size=2G",
	"--innodb-log-file-size=512M",
	"--max-connections=500",
}

func startMariaDB(ctx context.Context, dir string, port int) (*mariadb, error) {
	bin, err := exec.LookPath("mariadbd")
	if err != nil {
		bin = "/usr/sbin/mariadbd"
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("mariadbd is not installed (Debian package mariadb-server)")
		}
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "mysql")); err != nil {
		if err := os.MkdirAll(data, 0o750); err != nil {
			return nil, err
		}
		args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal"}
		if os.Geteuid() == 0 {
			args = append(args, "--user=mysql")
			exec.Command("chown", "-R", "mysql:mysql", dir).Run()
		}
		if out, err := exec.CommandContext(ctx, "mariadb-install-db", args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
		}
	}
	if os.Geteuid() == 0 {
		exec.Command("chown", "-R", "mysql:mysql", dir).Run()
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"), "--log-error=" + filepath.Join(dir, "err.log"),
		"--skip-log-bin", "--character-set-server=utf8mb4"}, mariadbSettings...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=mysql")
	}
	m := &mariadb{dir: dir, port: port, cmd: exec.Command(bin, args...)}
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	go m.cmd.Wait()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		db, err := sql.Open("mysql", m.dsn(""))
		if err == nil {
			err = db.PingContext(ctx)
			db.Close()
		}
		if err == nil {
			return m, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	m.stop()
	return nil, fmt.Errorf("the benchmark's MariaDB did not start; see %s", filepath.Join(dir, "err.log"))
}

func (m *mariadb) dsn(db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s", m.port, db)
}

// exec runs statements as root.
func (m *mariadb) exec(ctx context.Context, stmts ...string) error {
	db, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// count returns the rows of a table, or -1 if it cannot be read.
func (m *mariadb) count(ctx context.Context, db, table string) int64 {
	c, err := sql.Open("mysql", m.dsn(db))
	if err != nil {
		return -1
	}
	defer c.Close()
	var n int64
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		return -1
	}
	return n
}

func (m *mariadb) stop() {
	if m.cmd.Process != nil {
		m.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { m.cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			m.cmd.Process.Kill()
		}
	}
}
