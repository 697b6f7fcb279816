package main

import (
	"context"
	"strings"
	"testing"

	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestTwoProcessesOnOneMariaDBGiveOneGrantForASingleUsePass(t *testing.T) {
	requireMySQL(t)
	dsn := storetest.NewMySQLDatabase(t)
	vars := mysqlVars(t, dsn)
	p1 := startProcess(t, vars)
	// The second process shares the database and the key directory.
	p2 := startProcess(t, vars)
	c1, c2 := newClient(t, p1.URL), newClient(t, p2.URL)
	s := newSite(c1, "admin-password-1")
	for round := 0; round < 3; round++ {
		_, code := s.invite(c1, "E1234567"+string(rune('0'+round)), 1)
		count := scanAll(t, []*client{c1, c2}, s.GateKey, code, 50)
		if count["granted"] != 1 || count["exhausted"] != 49 {
			t.Fatalf("round %d: reasons %v, want 1 granted and 49 exhausted", round, count)
		}
	}
	var rep struct {
		OK      bool
		Checked int
	}
	c2.must("GET", "/api/v1/entries/verify", s.Admin, nil, 200, &rep)
	if !rep.OK || rep.Checked != 150 {
		t.Fatalf("verify: %+v", rep)
	}
}

func TestVerifyLogCommandFindsATamperedEntry(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			vars := sqliteEnv(t)
			if d == store.MySQL {
				vars = mysqlVars(t, storetest.NewMySQLDatabase(t))
			}
			srv := startServe(t, vars)
			c := newClient(t, srv.URL)
			s := newSite(c, "admin-password-1")
			_, code := s.invite(c, "E7654321", 5)
			for i := 0; i < 4; i++ {
				c.must("POST", "/api/v1/scan", s.GateKey, map[string]string{"code": code, "direction": []string{"in", "out"}[i%2]}, 200, nil)
			}
			var out logBuffer
			if err := run(context.Background(), []string{"verify-log"}, env(vars), &out, &logBuffer{}); err != nil {
				t.Fatalf("verify-log on an untouched log: %v", err)
			}
			if !strings.Contains(out.String(), "4 entries checked") {
				t.Fatalf("verify-log said %q", out.String())
			}
			srv.Stop(t)
			driver := vars["GATEHOUSE_DB_DRIVER"]
			if driver == "" {
				driver = store.SQLite
			}
			db, err := store.Open(context.Background(), driver, vars["GATEHOUSE_DB_DSN"], nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.ExecForTest(context.Background(), "UPDATE entries SET direction = 'in' WHERE seq = 2"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			err = run(context.Background(), []string{"verify-log"}, env(vars), &out, &logBuffer{})
			if err == nil || !strings.Contains(err.Error(), "(seq 2)") {
				t.Fatalf("verify-log on a tampered log: %v", err)
			}
		})
	}
}
