package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// heard records what the visits service tells its watchers.
type heard struct{ events []*gatehouse.VisitEvent }

func (h *heard) PublishVisit(ev *gatehouse.VisitEvent) { h.events = append(h.events, ev) }

func (h *heard) statuses() string {
	var s []string
	for _, ev := range h.events {
		st := ev.Request.Status
		if ev.Alert {
			st += "!"
		}
		s = append(s, st)
	}
	return strings.Join(s, ",")
}

func visitsOf(f *fixture, h *heard, clock *time.Time) *service.Visits {
	return &service.Visits{Store: f.db, Keys: f.eng, Notify: h, Now: func() time.Time { return *clock }, Limits: service.DefaultVisitLimits,
		Guesses: f.guesses}
}

func goodRegistration() service.RegisterInput {
	return service.RegisterInput{Visitor: service.VisitorInput{Name: "张伟", IDType: gatehouse.IDResident, IDNumber: "440524188001010014", Phone: "13912345678"},
		Building: "3", Unit: "2", Room: "502", Purpose: "探亲", ConsentIDNumber: true, NoticeVersion: gatehouse.VisitNoticeVersion}
}

func TestARegistrationIsRefusedOnTheFieldAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := visitsOf(f, &heard{}, &clock)
		ctx := context.Background()
		p, err := s.CreatePoster(ctx, f.manager, f.a.ID, f.gateA.ID)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			what   string
			edit   func(*service.RegisterInput)
			fields []string
		}{
			{"no name", func(in *service.RegisterInput) { in.Visitor.Name = " " }, []string{"visitor.name"}},
			{"a bad number", func(in *service.RegisterInput) { in.Visitor.IDNumber = "440524188001010015" }, []string{"visitor.id_number"}},
			{"no phone", func(in *service.RegisterInput) { in.Visitor.Phone = "" }, []string{"visitor.phone"}},
			{"no dwelling", func(in *service.RegisterInput) { in.Building, in.Unit, in.Room = "", "", "" }, []string{"building", "unit", "room"}},
			{"a long purpose", func(in *service.RegisterInput) { in.Purpose = strings.Repeat("因", 201) }, []string{"purpose"}},
			{"no consent to the ID number", func(in *service.RegisterInput) { in.ConsentIDNumber = false }, []string{"consent.id_number"}},
			{"an older notice", func(in *service.RegisterInput) { in.NoticeVersion = "2020" }, []string{"consent.notice_version"}},
		}
		for _, tc := range cases {
			in := goodRegistration()
			tc.edit(&in)
			_, _, err := s.Submit(ctx, p.Token, in, "192.0.2.1")
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.fields...)
		}
		_, _, err = s.Submit(ctx, "made-up-token", goodRegistration(), "192.0.2.1")
		wantCode(t, "an unknown poster", err, gatehouse.ENOTFOUND)
	})
}

func TestWhoMayMakePostersAndDecideRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		h := &heard{}
		s := visitsOf(f, h, &clock)
		ctx := context.Background()
		_, err := s.CreatePoster(ctx, f.guard, f.a.ID, 0)
		wantCode(t, "a guard's poster", err, gatehouse.EFORBIDDEN)
		_, err = s.CreatePoster(ctx, f.manager, f.b.ID, 0)
		wantCode(t, "another company's community", err, gatehouse.ENOTFOUND)
		_, err = s.CreatePoster(ctx, f.manager, f.a.ID, f.gateB.ID)
		wantProblems(t, "another community's gate", err, gatehouse.EINVALID, "gate_id")
		p, err := s.CreatePoster(ctx, f.manager, f.a.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, _, err := s.Submit(ctx, p.Token, goodRegistration(), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.List(ctx, f.police, service.VisitQuery{}, gatehouse.Page{})
		wantCode(t, "police list", err, gatehouse.EFORBIDDEN)
		_, _, err = s.List(ctx, f.device, service.VisitQuery{}, gatehouse.Page{})
		wantCode(t, "a device lists", err, gatehouse.EFORBIDDEN)
		neighbourHome := f.neighbourA.Household()
		neighbour := &gatehouse.Principal{UserID: 9, Role: gatehouse.RoleResident, Communities: []int64{f.a.ID}, ResidentID: f.neighbourA.ID, Household: &neighbourHome}
		if rows, _, err := s.List(ctx, neighbour, service.VisitQuery{}, gatehouse.Page{}); err != nil || len(rows) != 0 {
			t.Fatalf("the neighbour sees %d, %v", len(rows), err)
		}
		_, _, err = s.Approve(ctx, neighbour, r.ID, service.ApproveInput{})
		wantCode(t, "the neighbour approves", err, gatehouse.ENOTFOUND)
		_, _, err = s.Approve(ctx, f.manager, r.ID, service.ApproveInput{})
		wantCode(t, "a manager approves", err, gatehouse.EFORBIDDEN)
		bare := &gatehouse.Principal{UserID: 10, Role: gatehouse.RoleResident, Communities: []int64{f.a.ID}}
		if rows, _, err := s.List(ctx, bare, service.VisitQuery{}, gatehouse.Page{}); err != nil || len(rows) != 0 {
			t.Fatalf("a resident without its household sees %d, %v", len(rows), err)
		}
		// A resident who moved in after the request does not see it.
		later := *f.resident
		later.MovedInAt = now.Add(time.Minute)
		if rows, _, err := s.List(ctx, &later, service.VisitQuery{}, gatehouse.Page{}); err != nil || len(rows) != 0 {
			t.Fatalf("a newcomer sees %d, %v", len(rows), err)
		}
		_, _, err = s.Approve(ctx, f.resident, r.ID, service.ApproveInput{MaxEntries: intp(0)})
		wantProblems(t, "no entries", err, gatehouse.EINVALID, "max_entries")
		_, _, err = s.Approve(ctx, f.resident, r.ID, service.ApproveInput{ValidUntil: rfc(now.Add(30 * 24 * time.Hour))})
		wantProblems(t, "past max_pass_days", err, gatehouse.EINVALID, "valid_until")
		got, pass, err := s.Approve(ctx, f.resident, r.ID, service.ApproveInput{})
		if err != nil || got.Status != gatehouse.VisitApproved || pass.Kind != gatehouse.PassSelf || pass.HostResidentID != f.hostA.ID ||
			!pass.ValidUntil.Equal(now.Add(8*time.Hour)) || got.DecidedBy != f.resident.UserID {
			t.Fatalf("approval: %+v %+v %v", got, pass, err)
		}
		if h.statuses() != "pending,approved" {
			t.Fatalf("watchers heard %s", h.statuses())
		}
	})
}

func TestTheSweepExpiresAndErases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		h := &heard{}
		s := visitsOf(f, h, &clock)
		ctx := context.Background()
		p, _ := s.CreatePoster(ctx, f.manager, f.a.ID, 0)
		r, _, err := s.Submit(ctx, p.Token, goodRegistration(), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		clock = now.Add(10 * time.Minute)
		db.Now = func() time.Time { return clock }
		if n, err := s.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("sweep at expiry: %d, %v", n, err)
		}
		if h.statuses() != "pending,expired" {
			t.Fatalf("watchers heard %s", h.statuses())
		}
		st, err := s.Status(ctx, r.ID, r.StatusToken)
		if err != nil || st.Status != gatehouse.VisitExpired || !st.Request.Visitor.IDNumber.Known() {
			t.Fatalf("expired: %+v %v", st, err)
		}
		clock = clock.Add(gatehouse.VisitErasedAfter + time.Second)
		if n, err := s.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep a day later: %d, %v", n, err)
		}
		st, err = s.Status(ctx, r.ID, r.StatusToken)
		if err != nil || st.Request.Visitor.IDNumber.Known() || st.Request.Visitor.Name != "" || st.Request.Visitor.IDHash == "" {
			t.Fatalf("erased: %+v %v", st.Request, err)
		}
		_, err = s.Status(ctx, r.ID, "ghv_wrong")
		wantCode(t, "another token", err, gatehouse.ENOTFOUND)
	})
}
