package service_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
)

// plainHasher "hashes" a password so that a test can read it back.
type plainHasher struct{}

func (plainHasher) Hash(pw string) (string, error) { return "plain:" + pw, nil }

// wantProblems fails unless err is an *gatehouse.Error of code naming
// exactly fields (each with a problem).
func wantProblems(t *testing.T, what string, err error, code string, fields ...string) {
	t.Helper()
	var e *gatehouse.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: %v, want %s on %v", what, err, code, fields)
		return
	}
	var got []string
	for k, v := range e.Fields {
		if v == "" {
			t.Errorf("%s: field %s has an empty problem", what, k)
		}
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if e.Code != code || !slices.Equal(got, want) {
		t.Errorf("%s: %s on %v (%s), want %s on %v", what, e.Code, got, e.Message, code, want)
	}
}

// wantCode fails unless err has code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if outcome(err) != code {
		t.Errorf("%s: %s (%v), want %s", what, outcome(err), err, code)
	}
}

// steps records the order in which fakes are called.
type steps struct{ log []string }

func (s *steps) add(step string) { s.log = append(s.log, step) }

func (s *steps) String() string { return strings.Join(s.log, ", ") }

// recordingAudit records each event after the steps before it; failWith,
// when set, refuses every event.
type recordingAudit struct {
	steps    *steps
	events   []*gatehouse.AuditEvent
	failWith error
	db       *store.DB
}

func (a *recordingAudit) Audit(ctx context.Context, ev *gatehouse.AuditEvent) error {
	a.steps.add("audit " + ev.Action)
	if a.failWith != nil {
		return a.failWith
	}
	a.events = append(a.events, ev)
	if a.db != nil {
		return a.db.Audit(ctx, ev)
	}
	return nil
}

// auditEvents is every stored audit event, newest first.
func (f *fixture) auditEvents(t *testing.T) []*gatehouse.AuditEvent {
	t.Helper()
	evs, _, err := f.db.AuditEvents(context.Background(), gatehouse.AuditFilter{}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// visitor is a valid visitor input with a mainland ID number ending in n.
func visitor(name string, n int) service.VisitorInput {
	return service.VisitorInput{Name: name, IDType: gatehouse.IDResident, IDNumber: idNumber("44052418800101", n)}
}

// idNumber is a valid mainland number: the 14 first digits, a 3-digit
// sequence n and its check character.
func idNumber(first14 string, n int) string {
	first := first14 + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
	return first + string(gatehouse.ResidentIDCheckChar(first))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var errTest = errors.New("test failure")
