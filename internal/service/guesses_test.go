package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// nearMisses are k valid mainland numbers that show n's masked form
// (440524********5009) without being n: the candidates a guesser tries.
func nearMisses(t *testing.T, n string, k int) []string {
	t.Helper()
	var out []string
	for d := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC); len(out) < k && d.Year() < 2010; d = d.AddDate(0, 0, 1) {
		first := n[:6] + d.Format("20060102") + n[14:17]
		if c := gatehouse.ResidentIDCheckChar(first); c == n[17] && first+string(c) != n {
			out = append(out, first+string(c))
		}
	}
	if len(out) < k {
		t.Fatalf("only %d near misses of %s", len(out), n)
	}
	return out
}

func withNumber(v service.VisitorInput, n string) service.VisitorInput {
	v.IDNumber = n
	return v
}

// A manager saw 440524********5009 and tried the candidates as walk-ins,
// watching the report's count of distinct visitors (or the on-site list)
// for the one that did not add a person. Each near miss is audited; after
// three in a day the account may enter no number showing that masked form,
// the real one included, so nothing tells which candidate was right.
func TestGuessingAMaskedNumberIsAuditedAndStoppedAfterThree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		real := visitor("张伟", 14)
		walkIn := func(pr *gatehouse.Principal, v service.VisitorInput) error {
			_, err := f.console.WalkIn(ctx, pr, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: v})
			return err
		}
		if err := walkIn(f.guard, real); err != nil {
			t.Fatal(err)
		}
		guesses := nearMisses(t, real.IDNumber, 6)
		for i, n := range guesses[:gatehouse.IDGuessAllowance] {
			if err := walkIn(f.manager, withNumber(real, n)); err != nil {
				t.Fatalf("near miss %d within the allowance: %v", i+1, err)
			}
		}
		// The real number, a fourth candidate, an override or an approval:
		// all refused alike, naming the field.
		wantProblems(t, "the real number after three near misses", walkIn(f.manager, real), gatehouse.EFORBIDDEN, "visitor.id_number")
		wantProblems(t, "a fourth near miss", walkIn(f.manager, withNumber(real, guesses[3])), gatehouse.EFORBIDDEN, "visitor.id_number")
		v := withNumber(real, guesses[4])
		_, err := f.console.Override(ctx, f.manager, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "核实身份",
			Visitor: &v, HostResidentID: f.hostA.ID})
		wantProblems(t, "a near miss by override", err, gatehouse.EFORBIDDEN, "visitor.id_number")
		// Another person's number is not a guess; the real visitor returning
		// with another guard is not one either; admin sees numbers whole.
		if err := walkIn(f.manager, visitor("李娜", 22)); err != nil {
			t.Errorf("an unrelated number: %v", err)
		}
		if err := walkIn(f.guard, real); err != nil {
			t.Errorf("the real visitor again, at another guard's console: %v", err)
		}
		for _, n := range guesses[:5] {
			if _, err := f.passes.Create(ctx, f.admin, service.PassInput{CommunityID: f.a.ID, HostResidentID: f.hostA.ID, Visitor: withNumber(real, n),
				ValidUntil: rfc(now.Add(time.Hour))}, gatehouse.PassGuest); err != nil {
				t.Errorf("admin: %v", err)
			}
		}
		var audited []*gatehouse.AuditEvent
		for _, ev := range f.auditEvents(t) {
			if ev.Action == gatehouse.AuditIDGuess {
				audited = append(audited, ev)
				if m := gatehouse.MaskIDNumber(real.IDNumber); ev.ActorID != f.manager.UserID || (ev.Detail != "masked "+m && ev.Detail != "refused, masked "+m) {
					t.Errorf("an id.guess event: %+v", ev)
				}
			}
		}
		if len(audited) != 6 { // three allowed, the fourth and the override refused, and the refusal of the real number
			t.Errorf("%d id.guess events, want 6", len(audited))
		}
		// A day later the account may work again.
		f.guesses.Now = func() time.Time { return now.Add(gatehouse.IDGuessWindow + time.Minute) }
		if err := walkIn(f.manager, real); err != nil {
			t.Errorf("the real number a day later: %v", err)
		}
	})
}

// Parallel tries do not pass the allowance together, and a watchlisted
// number is guarded like a visitor's.
func TestParallelGuessesAtAWatchlistedNumberStopAtTheAllowance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		listed := visitor("王五", 66)
		if _, err := f.watchlist.Add(ctx, f.manager, service.WatchInput{CommunityID: f.a.ID, IDNumber: listed.IDNumber, Name: "王五", Reason: "盗窃"}); err != nil {
			t.Fatal(err)
		}
		guesses := nearMisses(t, listed.IDNumber, 12)
		var wg sync.WaitGroup
		errs := make([]error, len(guesses))
		for i, n := range guesses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: withNumber(listed, n)})
			}()
		}
		wg.Wait()
		passed := 0
		for _, err := range errs {
			switch gatehouse.ErrorCode(err) {
			case "":
				passed++
			case gatehouse.EFORBIDDEN:
			default:
				t.Errorf("a parallel guess: %v", err)
			}
		}
		// Each near miss is written before it is counted: when all are written
		// before any is counted, none passes, which is as it must be.
		if passed > gatehouse.IDGuessAllowance {
			t.Errorf("%d of %d parallel near misses passed; want at most %d", passed, len(guesses), gatehouse.IDGuessAllowance)
		}
		_, err := f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: listed})
		wantProblems(t, "the listed number itself, after the guesses", err, gatehouse.EFORBIDDEN, "visitor.id_number")
	})
}

// A second review's ways round the rule: candidates typed as another kind of
// document, candidates put on the watchlist to see which one an override of
// the resident refuses, several accounts of one community, and a poster's
// self-registration whose watchlist mark the household and guards see.
func TestGuessesAreCaughtWhateverTheDocumentTypeAndOnTheWatchlist(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		real := visitor("张伟", 14)
		if _, err := f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: real}); err != nil {
			t.Fatal(err)
		}
		// As "other", through an override that stores no visitor.
		guesses := nearMisses(t, real.IDNumber, 4)
		for _, n := range guesses[:3] {
			v := service.VisitorInput{Name: "某人", IDType: gatehouse.IDOther, IDNumber: n}
			if _, err := f.console.Override(ctx, f.guard, service.OverrideInput{GateID: f.gateA.ID, Direction: gatehouse.In, Reason: "核实",
				Visitor: &v, HostResidentID: f.hostA.ID}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: real})
		wantProblems(t, "the real number after three guesses typed as other", err, gatehouse.EFORBIDDEN, "visitor.id_number")

		// On the watchlist: a manager lists candidates of a resident's number.
		resident := f.hostA.IDNumber
		rguesses := nearMisses(t, idOf(t, f, resident), 4)
		for _, n := range rguesses[:3] {
			if _, err := f.watchlist.Add(ctx, f.manager, service.WatchInput{CommunityID: f.a.ID, IDNumber: n, Reason: "核查"}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.watchlist.Add(ctx, f.manager, service.WatchInput{CommunityID: f.a.ID, IDNumber: idOf(t, f, resident), Reason: "核查"})
		wantProblems(t, "listing the resident's real number after three candidates", err, gatehouse.EFORBIDDEN, "id_number")
		if _, err := f.watchlist.Add(ctx, f.admin, service.WatchInput{CommunityID: f.a.ID, IDNumber: idOf(t, f, resident), Reason: "核查"}); err != nil {
			t.Errorf("admin lists a number: %v", err)
		}
	})
}

// idOf is a resident's whole number, as admin sees it.
func idOf(t *testing.T, f *fixture, n gatehouse.IDNumber) string {
	t.Helper()
	shown, masked := gatehouse.Disclose(f.admin, f.a.ID, "test").ID(n)
	if masked {
		t.Fatal("the resident's number is not known")
	}
	return shown
}

// A manager who makes guard accounts does not multiply the allowance: the
// community's accounts together have ten near misses a day.
func TestTheCommunitysAccountsShareAnAllowance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		real := visitor("张伟", 14)
		if _, err := f.console.WalkIn(ctx, f.guard, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: real}); err != nil {
			t.Fatal(err)
		}
		guesses := nearMisses(t, real.IDNumber, 12)
		passed := 0
		for i, n := range guesses {
			g := &gatehouse.Principal{Username: fmt.Sprintf("guard%d", i), Role: gatehouse.RoleGuard, Communities: []int64{f.a.ID}}
			u := &gatehouse.User{Username: g.Username, PasswordHash: "x", Role: g.Role, Communities: g.Communities}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			g.UserID = u.ID
			_, err := f.console.WalkIn(ctx, g, service.WalkInInput{GateID: f.gateA.ID, HostResidentID: f.hostA.ID, Visitor: withNumber(real, n)})
			switch gatehouse.ErrorCode(err) {
			case "":
				passed++
			case gatehouse.EFORBIDDEN:
			default:
				t.Fatal(err)
			}
		}
		if passed != gatehouse.IDGuessCommunityAllowance {
			t.Errorf("%d near misses by 12 fresh accounts passed, want %d", passed, gatehouse.IDGuessCommunityAllowance)
		}
	})
}

// A self-registration is marked watchlisted when its number shows a listed
// number's masked form, not only when it is the number: a mark on the exact
// number alone would tell anyone with a poster which candidate is listed.
func TestASelfRegistrationIsMarkedByTheListedNumbersVisibleDigits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := now
		s := visitsOf(f, &heard{}, &clock)
		ctx := context.Background()
		listed := goodRegistration().Visitor.IDNumber
		if _, err := f.watchlist.Add(ctx, f.admin, service.WatchInput{CommunityID: f.a.ID, IDNumber: listed, Reason: "盗窃"}); err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePoster(ctx, f.manager, f.a.ID, f.gateA.ID)
		if err != nil {
			t.Fatal(err)
		}
		marks := map[bool]int{}
		for i, n := range append(nearMisses(t, listed, 3), listed) {
			in := goodRegistration()
			in.Visitor.IDNumber, in.Visitor.Phone = n, fmt.Sprintf("1391234%04d", i)
			r, _, err := s.Submit(ctx, p.Token, in, fmt.Sprintf("192.0.2.%d", i+1))
			if err != nil {
				t.Fatal(err)
			}
			marks[r.Watchlisted]++
		}
		in := goodRegistration()
		in.Visitor.IDNumber, in.Visitor.Phone = visitor("李娜", 22).IDNumber, "13700000000"
		r, _, err := s.Submit(ctx, p.Token, in, "192.0.2.99")
		if err != nil {
			t.Fatal(err)
		}
		if marks[true] != 4 || r.Watchlisted {
			t.Errorf("marked: %d of the listed number and its three candidates (want 4), and an unrelated number %v", marks[true], r.Watchlisted)
		}
	})
}
