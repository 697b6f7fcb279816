package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

var now = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // 10:00 in Beijing

// fixture is two communities, A and B, each with a gate and a host, and a
// principal of every role scoped to A.
type fixture struct {
	db                    *store.DB
	eng                   *access.Engine
	a, b                  *gatehouse.Community
	gateA, gateB          *gatehouse.Gate
	hostA, neighbourA     *gatehouse.Resident
	hostB                 *gatehouse.Resident
	admin, manager, guard *gatehouse.Principal
	police, resident      *gatehouse.Principal
	device                *gatehouse.Principal

	guesses   *service.IDGuesses
	passes    *service.Passes
	residents *service.Residents
	gates     *service.Gates
	watchlist *service.Watchlist
	police_   *service.Police
	entries   *service.Entries
	console   *service.Console
	reports   *service.Reports
	audit     *service.AccessAudit
	users     *service.Users
	cards     *service.Cards
}

type auditLog struct{ db *store.DB }

func (a auditLog) Audit(ctx context.Context, ev *gatehouse.AuditEvent) error {
	return a.db.Audit(ctx, ev)
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	db.Now = func() time.Time { return now }
	key, err := db.CreateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, eng: access.New(db, passcode.NewKeyring([]passcode.Key{key}), func() time.Time { return now })}
	for _, c := range []**gatehouse.Community{&f.a, &f.b} {
		*c = &gatehouse.Community{Name: "翠竹苑", Address: "罗湖区翠竹路1号", TimeZone: "Asia/Shanghai",
			MaxPassDays: gatehouse.DefaultMaxPassDays, OnsiteThresholdHours: gatehouse.DefaultOnsiteThresholdHours}
		if err := db.CreateCommunity(ctx, *c); err != nil {
			t.Fatal(err)
		}
	}
	for i, g := range []**gatehouse.Gate{&f.gateA, &f.gateB} {
		*g = &gatehouse.Gate{CommunityID: []int64{f.a.ID, f.b.ID}[i], Name: "南门", KeyPrefix: "ghk_x"}
		if err := db.CreateGate(ctx, *g, fmt.Sprintf("%064d", i)); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(c int64, name, room string, n int) *gatehouse.Resident {
		first := fmt.Sprintf("44030319900101%03d", n)
		r := &gatehouse.Resident{CommunityID: c, Name: name, IDType: gatehouse.IDResident,
			IDNumber: gatehouse.NewIDNumber(first + string(gatehouse.ResidentIDCheckChar(first))), Phone: "13800138000", Building: "3", Unit: "2", Room: room}
		if err := db.CreateResident(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.hostA, f.neighbourA, f.hostB = mk(f.a.ID, "王芳", "502", 1), mk(f.a.ID, "赵磊", "503", 2), mk(f.b.ID, "周杰", "101", 3)
	scoped := []int64{f.a.ID}
	h := f.hostA.Household()
	f.admin = &gatehouse.Principal{UserID: 1, Username: "admin", Role: gatehouse.RoleAdmin}
	f.manager = &gatehouse.Principal{UserID: 2, Username: "mgr", Role: gatehouse.RoleManager, Communities: scoped}
	f.guard = &gatehouse.Principal{UserID: 3, Username: "guard", Role: gatehouse.RoleGuard, Communities: scoped}
	f.police = &gatehouse.Principal{UserID: 4, Username: "police", Role: gatehouse.RolePolice, Communities: scoped}
	f.resident = &gatehouse.Principal{UserID: 5, Username: "wangfang", Role: gatehouse.RoleResident, Communities: scoped,
		ResidentID: f.hostA.ID, Household: &h, MovedInAt: f.hostA.CreatedAt}
	f.device = &gatehouse.Principal{GateID: f.gateA.ID, CommunityID: f.a.ID}
	// Each principal is a stored user (police queries and the audit name them).
	for _, p := range []*gatehouse.Principal{f.admin, f.manager, f.guard, f.police, f.resident} {
		u := &gatehouse.User{Username: p.Username, PasswordHash: "x", Role: p.Role, Communities: p.Communities, ResidentID: p.ResidentID}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		p.UserID = u.ID
	}
	clock := func() time.Time { return now }
	audit := auditLog{db}
	f.guesses = &service.IDGuesses{Store: db, Audit: audit, Now: clock}
	f.passes = &service.Passes{Store: db, Keys: f.eng, Now: clock, Guesses: f.guesses}
	f.residents = &service.Residents{Store: db, Audit: audit, Codes: f.eng, Now: clock}
	f.gates = &service.Gates{Store: db, NewKey: func() (string, string, string) {
		return "ghk_new", fmt.Sprintf("%064d", time.Now().UnixNano()), "ghk_new"
	}}
	f.watchlist = &service.Watchlist{Store: db, Guesses: f.guesses}
	f.police_ = &service.Police{Store: db, Audit: audit}
	f.entries = &service.Entries{Store: db, Audit: audit}
	f.console = &service.Console{Store: db, Engine: f.eng, Passes: f.passes, Now: clock}
	f.reports = &service.Reports{Store: db, Audit: audit, Now: clock}
	f.audit = &service.AccessAudit{Store: db}
	f.users = &service.Users{Store: db, Passwords: plainHasher{}}
	f.cards = &service.Cards{Store: db, Now: clock}
	return f
}

func (f *fixture) roles() map[string]*gatehouse.Principal {
	return map[string]*gatehouse.Principal{"admin": f.admin, "manager": f.manager, "guard": f.guard, "police": f.police,
		"resident": f.resident, "device": f.device}
}

// outcome names an error by its code ("ok" for none).
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return string(gatehouse.ErrorCode(err))
}

// Who may do what, use case by use case, for a community in scope: each
// row is read as "this use case, by these roles; everyone else forbidden".
func TestWhoMayDoWhat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		until := now.Add(2 * time.Hour).Format(time.RFC3339)
		visitor := service.VisitorInput{Name: "张伟", IDType: gatehouse.IDResident, IDNumber: "440524188001010014"}
		name := "北门"
		cases := []struct {
			what    string
			allowed []string
			do      func(p *gatehouse.Principal) error
		}{
			{"register a resident", []string{"admin", "manager"}, func(p *gatehouse.Principal) error {
				cid, n, room := f.a.ID, "林新"+p.Username, "601"
				idn := "11010519491231002X"
				idt := gatehouse.IDResident
				_, err := f.residents.Create(ctx, p, service.ResidentInput{CommunityID: &cid, Name: &n, IDType: &idt, IDNumber: &idn, Room: &room,
					Building: &room, Unit: &room, Phone: ptr("13800138000")})
				return err
			}},
			{"move a resident out", []string{"admin", "manager"}, func(p *gatehouse.Principal) error {
				r := &gatehouse.Resident{CommunityID: f.a.ID, Name: "临时" + p.Username, IDType: gatehouse.IDPassport,
					IDNumber: gatehouse.NewIDNumber("E12345678"), Phone: "13800138000", Building: "9", Unit: "9", Room: "9"}
				if err := db.CreateResident(ctx, r); err != nil {
					t.Fatal(err)
				}
				return f.residents.MoveOut(ctx, p, r.ID)
			}},
			{"read a resident", []string{"admin", "manager", "guard", "police", "resident"}, func(p *gatehouse.Principal) error {
				_, err := f.residents.Get(ctx, p, f.hostA.ID)
				return err
			}},
			{"issue a pass", []string{"admin", "manager", "guard", "resident"}, func(p *gatehouse.Principal) error {
				_, err := f.passes.Create(ctx, p, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: visitor, ValidUntil: until}, gatehouse.PassGuest)
				return err
			}},
			{"create a gate", []string{"admin", "manager"}, func(p *gatehouse.Principal) error {
				_, _, err := f.gates.Create(ctx, p, f.a.ID, "东门"+p.Username)
				return err
			}},
			{"rename a gate", []string{"admin", "manager"}, func(p *gatehouse.Principal) error {
				_, err := f.gates.Update(ctx, p, f.gateA.ID, &name, nil)
				return err
			}},
			{"read gates", []string{"admin", "manager", "guard"}, func(p *gatehouse.Principal) error {
				_, _, err := f.gates.List(ctx, p, f.a.ID, gatehouse.Page{})
				return err
			}},
			{"add to the watchlist", []string{"admin", "manager"}, func(p *gatehouse.Principal) error {
				_, err := f.watchlist.Add(ctx, p, service.WatchInput{CommunityID: f.a.ID, IDNumber: "440524188001010014", Reason: "盗窃嫌疑"})
				return err
			}},
			{"read the watchlist", []string{"admin", "manager", "guard"}, func(p *gatehouse.Principal) error {
				_, _, err := f.watchlist.List(ctx, p, f.a.ID, gatehouse.Page{})
				return err
			}},
			{"run a police query", []string{"police"}, func(p *gatehouse.Principal) error {
				_, _, _, err := f.police_.Create(ctx, p, service.PoliceQueryInput{CaseRef: "罗公(刑)字[2026]1号", Purpose: "盗窃案",
					CommunityIDs: []int64{f.a.ID}, From: now.Add(-time.Hour).Format(time.RFC3339), To: until, Plate: "粤B12345"})
				return err
			}},
			{"read police queries", []string{"admin", "police"}, func(p *gatehouse.Principal) error {
				_, _, err := f.police_.List(ctx, p, gatehouse.Page{})
				return err
			}},
			{"verify the entry log", []string{"admin", "police"}, func(p *gatehouse.Principal) error {
				_, err := f.entries.Verify(ctx, p, f.a.ID)
				return err
			}},
			{"search the log by ID number", []string{"admin", "police"}, func(p *gatehouse.Principal) error {
				_, _, err := f.entries.List(ctx, p, service.EntryQuery{CommunityID: f.a.ID, IDNumber: "440524188001010014"}, gatehouse.Page{})
				return err
			}},
			{"read a population report", []string{"admin", "manager", "police"}, func(p *gatehouse.Principal) error {
				_, err := f.reports.Population(ctx, p, service.ReportQuery{CommunityID: f.a.ID})
				return err
			}},
			{"let a walk-in in", []string{"manager", "guard"}, func(p *gatehouse.Principal) error {
				_, err := f.console.WalkIn(ctx, p, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: visitor})
				return err
			}},
			{"override at a gate", []string{"manager", "guard"}, func(p *gatehouse.Principal) error {
				_, err := f.console.Override(ctx, p, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "住户忘带手机", ResidentID: f.hostA.ID})
				return err
			}},
			{"see who is on site", []string{"admin", "manager", "guard"}, func(p *gatehouse.Principal) error {
				_, err := f.console.Onsite(ctx, p, f.a.ID)
				return err
			}},
			{"read the access audit", []string{"admin"}, func(p *gatehouse.Principal) error {
				_, _, err := f.audit.List(ctx, p, service.AuditQuery{}, gatehouse.Page{})
				return err
			}},
		}
		for _, tc := range cases {
			for role, p := range f.roles() {
				want := "forbidden"
				for _, a := range tc.allowed {
					if a == role {
						want = "ok"
					}
				}
				if err := tc.do(p); outcome(err) != want {
					t.Errorf("%s by %s: %s (%v), want %s", tc.what, role, outcome(err), err, want)
				}
			}
		}
	})
}

// Everything of another community is not found, never forbidden: its
// existence is not revealed.
func TestAnotherCommunityIsNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		visitor := service.VisitorInput{Name: "张伟", IDType: gatehouse.IDResident, IDNumber: "440524188001010014"}
		until := now.Add(time.Hour).Format(time.RFC3339)
		checks := map[string]error{
			"resident of B":         second(f.residents.Get(ctx, f.manager, f.hostB.ID)),
			"pass in B":             second(f.passes.Create(ctx, f.manager, service.PassInput{CommunityID: f.b.ID, HostResidentID: f.hostB.ID, Visitor: visitor, ValidUntil: until}, gatehouse.PassWalkIn)),
			"gate of B":             second(f.gates.Get(ctx, f.guard, f.gateB.ID)),
			"walk-in at B's gate":   second(f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateB.ID, HostResidentID: f.hostB.ID, Visitor: visitor})),
			"report of B":           second(f.reports.Population(ctx, f.police, service.ReportQuery{CommunityID: f.b.ID})),
			"neighbour's household": second(f.residents.Get(ctx, f.resident, f.neighbourA.ID)),
		}
		for what, err := range checks {
			if outcome(err) != string(gatehouse.ENOTFOUND) {
				t.Errorf("%s: %s, want not_found", what, outcome(err))
			}
		}
	})
}

// A resident is its guests' host: it cannot issue a pass for another host.
func TestAResidentInvitesOnlyAsItsOwnHost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		_, err := f.passes.Create(context.Background(), f.resident, service.PassInput{HostResidentID: f.neighbourA.ID,
			Visitor:    service.VisitorInput{Name: "张伟", IDType: gatehouse.IDResident, IDNumber: "440524188001010014"},
			ValidUntil: now.Add(time.Hour).Format(time.RFC3339)}, gatehouse.PassGuest)
		var e *gatehouse.Error
		if !asError(err, &e) || e.Code != gatehouse.EINVALID || e.Fields["host_resident_id"] == "" {
			t.Fatalf("a resident inviting for a neighbour: %v", err)
		}
	})
}

func second[T any](_ T, err error) error { return err }

func ptr(s string) *string { return &s }

func asError(err error, e **gatehouse.Error) bool {
	if x, ok := err.(*gatehouse.Error); ok {
		*e = x
		return true
	}
	return false
}
