package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestWhatOneInviterWritesOfAVisitorIsNotSeenOrChangedByAnother(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		// A resident of B registers the same ID number with a made-up name first.
		var hostB residentOut
		e.expect("POST", "/api/v1/residents", e.admin, map[string]any{"community_id": w.B, "name": "周杰", "id_type": "resident_id",
			"id_number": validID(300), "phone": "13800138000", "building": "1", "unit": "1", "room": "1"}, 201, &hostB)
		e.mustUser("zhoujie", gatehouse.RoleResident, []int64{w.B}, hostB.ID)
		tb := e.login("zhoujie")
		var probe passOut
		e.expect("POST", "/api/v1/passes", tb, map[string]any{"visitor": map[string]any{"name": "?", "id_type": "resident_id", "id_number": w.visitorIDNum},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, 201, &probe)
		real := w.invite(nil) // A's resident: 张伟, phone and plate
		var seen struct {
			Visitor struct{ Name, Phone, Plate string }
		}
		e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", probe.ID), tb, nil, 200, &seen)
		if seen.Visitor.Name != "?" || seen.Visitor.Phone != "" || seen.Visitor.Plate != "" {
			t.Fatalf("B's resident reads what A's resident wrote: %+v", seen.Visitor)
		}
		// B overwriting the person changes nothing of A's pass.
		e.expect("POST", "/api/v1/passes", tb, map[string]any{"visitor": map[string]any{"name": "EVIL NAME", "id_type": "resident_id", "id_number": w.visitorIDNum, "plate": "京A99999"},
			"valid_until": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, 201, nil)
		s := w.scan(w.gate.DeviceKey, real.Code, "in")
		if s.Visitor == nil || s.Visitor.Name != "张伟" {
			t.Fatalf("A's gate shows %+v", s.Visitor)
		}
	})
}

func TestHouseholdsAreComparedInOneSpellingOnEveryDatabase(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		w.invite(nil) // a guest of 3栋 2单元 502
		// Full-width digits and lower case are the same dwelling, stored once.
		same := e.resident(w.mgr, w.A, "陈明", 11, "3栋", "2单元", "５０２")
		if same.Room != "502" {
			t.Fatalf("room stored as %q", same.Room)
		}
		other := e.resident(w.mgr, w.A, "赵磊", 12, "3栋", "2单元", "502a")
		if other.Room != "502A" {
			t.Fatalf("room stored as %q", other.Room)
		}
		e.mustUser("zhaolei", gatehouse.RoleResident, []int64{w.A}, other.ID)
		tok := e.login("zhaolei")
		var passes, residents struct{ Items []any }
		e.expect("GET", "/api/v1/passes", tok, nil, 200, &passes)
		e.expect("GET", "/api/v1/residents", tok, nil, 200, &residents)
		if len(passes.Items) != 0 || len(residents.Items) != 1 {
			t.Fatalf("502A sees %d passes and %d residents, want 0 and 1", len(passes.Items), len(residents.Items))
		}
	})
}

func TestAManagerCannotTakeOverAnAccountOfAnotherCompany(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, b := e.community("翠竹苑"), e.community("东门花园")
		e.mustUser("mgr-a", gatehouse.RoleManager, []int64{a}, 0)
		both := e.mustUser("guard-ab", gatehouse.RoleGuard, []int64{a, b}, 0)
		tok := e.login("mgr-a")
		if res := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", both.ID), tok, map[string]any{"password": "taken-over-1"}); res.Status != 404 {
			t.Fatalf("manager of A changes the password of a guard of A and B: %d", res.Status)
		}
		var list struct{ Items []struct{ Username string } }
		e.expect("GET", "/api/v1/users", tok, nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("manager of A lists %+v", list.Items)
		}
	})
}

func TestOddInputGetsAClearAnswerNotAnInternalError(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
		}{
			{"a CSV with a broken quote", "POST", fmt.Sprintf("/api/v1/residents/import?community_id=%d", a),
				"name,id_number,phone,building,unit,room\nab\"c,1,2,3,4,5\n", 422},
			{"a very long username", "POST", "/api/v1/auth/login", map[string]string{"username": strings.Repeat("a", 300), "password": "x"}, 422},
			{"an 'other' ID of 32 emoji", "POST", "/api/v1/residents", map[string]any{"community_id": a, "name": "张三", "id_type": "other",
				"id_number": strings.Repeat("😀", 32), "phone": "13800138000", "building": "1", "unit": "1", "room": "1"}, 422},
			{"a negative id", "GET", "/api/v1/residents/-5", nil, 404},
			{"an enormous id", "GET", "/api/v1/gates/99999999999999999999999", nil, 404},
			{"a verify of a community that does not exist", "GET", "/api/v1/entries/verify?community_id=999", nil, 404},
		} {
			res := e.do(tc.method, tc.path, e.admin, tc.body)
			if res.Status != tc.status {
				t.Errorf("%s: %d %s, want %d", tc.name, res.Status, res.Body, tc.status)
			}
		}
	})
}
