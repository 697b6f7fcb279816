package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
)

func TestManagerOfOneCommunityGets404ForAnothersResidentsAndGates(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, b := e.community("翠竹苑"), e.community("东门花园")
		e.mustUser("mgr-a", gatehouse.RoleManager, []int64{a}, 0)
		e.mustUser("mgr-b", gatehouse.RoleManager, []int64{b}, 0)
		ta, tb := e.login("mgr-a"), e.login("mgr-b")
		resB := e.resident(tb, b, "李四", 2, "2栋", "1单元", "101")
		var gateB struct{ ID int64 }
		e.expect("POST", "/api/v1/gates", tb, map[string]any{"community_id": b, "name": "北门"}, 201, &gateB)

		for _, tc := range []struct{ method, path string }{
			{"GET", fmt.Sprintf("/api/v1/residents/%d", resB.ID)},
			{"PATCH", fmt.Sprintf("/api/v1/residents/%d", resB.ID)},
			{"DELETE", fmt.Sprintf("/api/v1/residents/%d", resB.ID)},
			{"GET", fmt.Sprintf("/api/v1/gates/%d", gateB.ID)},
			{"PATCH", fmt.Sprintf("/api/v1/gates/%d", gateB.ID)},
			{"POST", fmt.Sprintf("/api/v1/gates/%d/rotate-key", gateB.ID)},
			{"GET", fmt.Sprintf("/api/v1/communities/%d", b)},
			{"GET", fmt.Sprintf("/api/v1/residents?community_id=%d", b)},
			{"GET", fmt.Sprintf("/api/v1/gates?community_id=%d", b)},
		} {
			var body any
			if tc.method == "PATCH" {
				body = map[string]any{"name": "王五"}
			}
			res := e.do(tc.method, tc.path, ta, body)
			if res.Status != 404 {
				t.Errorf("%s %s as manager of A: status %d, want 404", tc.method, tc.path, res.Status)
			}
			if strings.Contains(string(res.Body), "李四") || strings.Contains(string(res.Body), "北门") {
				t.Errorf("%s %s leaked B's data: %s", tc.method, tc.path, res.Body)
			}
		}
		// Creating in B is refused the same way, and nothing is created.
		res := e.do("POST", "/api/v1/residents", ta, map[string]any{"community_id": b, "name": "张三", "id_type": "resident_id",
			"id_number": validID(3), "phone": "13800138000", "building": "1", "unit": "1", "room": "1"})
		if res.Status != 404 {
			t.Fatalf("create resident in B as manager of A: %d %s", res.Status, res.Body)
		}
		// A's lists hold nothing of B's.
		var list struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents", ta, nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("manager A lists %d residents, want 0", len(list.Items))
		}
		// B's resident is untouched.
		var got residentOut
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", resB.ID), tb, nil, 200, &got)
		if got.Name != "李四" {
			t.Fatalf("B's resident changed: %+v", got)
		}
	})
}

func TestResidentSeesOnlyItsOwnHousehold(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		e.mustUser("mgr", gatehouse.RoleManager, []int64{a}, 0)
		mgr := e.login("mgr")
		me := e.resident(mgr, a, "王芳", 10, "3栋", "2单元", "502")
		spouse := e.resident(mgr, a, "陈明", 11, "3栋", "2单元", "502")
		neighbour := e.resident(mgr, a, "赵磊", 12, "3栋", "2单元", "503")
		e.mustUser("wangfang", gatehouse.RoleResident, []int64{a}, me.ID)
		tok := e.login("wangfang")

		var list struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents", tok, nil, 200, &list)
		if len(list.Items) != 2 || list.Items[0].ID != me.ID || list.Items[1].ID != spouse.ID {
			t.Fatalf("resident lists %+v, want only its household (%d, %d)", list.Items, me.ID, spouse.ID)
		}
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", spouse.ID), tok, nil, 200, nil)
		if res := e.do("GET", fmt.Sprintf("/api/v1/residents/%d", neighbour.ID), tok, nil); res.Status != 404 {
			t.Fatalf("neighbour: %d, want 404", res.Status)
		}
		// A search by the neighbour's exact ID number is refused: only admin
		// and police search by ID number.
		if res := e.do("GET", "/api/v1/residents?q="+validID(12), tok, nil); res.Status != 403 {
			t.Fatalf("a resident's search by ID number: %d %s, want 403", res.Status, res.Body)
		}
		if res := e.do("GET", "/api/v1/gates", tok, nil); res.Status != 403 {
			t.Fatalf("resident lists gates: %d, want 403", res.Status)
		}
	})
}

func TestGuardCannotCreateResidents(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		e.mustUser("guard", gatehouse.RoleGuard, []int64{a}, 0)
		tok := e.login("guard")
		res := e.do("POST", "/api/v1/residents", tok, map[string]any{"community_id": a, "name": "张三", "id_type": "resident_id",
			"id_number": validID(1), "phone": "13800138000", "building": "1", "unit": "1", "room": "1"})
		if res.Status != 403 {
			t.Fatalf("guard creating a resident: %d %s, want 403", res.Status, res.Body)
		}
		var list struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents", e.admin, nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("a resident was stored anyway: %+v", list.Items)
		}
		if res := e.do("POST", "/api/v1/residents/import?community_id=1", tok, "name\n"); res.Status != 403 {
			t.Fatalf("guard importing: %d", res.Status)
		}
		if res := e.do("POST", "/api/v1/gates", tok, map[string]any{"community_id": a, "name": "x"}); res.Status != 403 {
			t.Fatalf("guard creating a gate: %d", res.Status)
		}
	})
}

func TestWrongCheckDigitIsAFieldError(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		good := validID(7)
		bad := good[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", good[17])+1)%11])
		res := e.do("POST", "/api/v1/residents", e.admin, map[string]any{"community_id": a, "name": "张三", "id_type": "resident_id",
			"id_number": bad, "phone": "13800138000", "building": "1", "unit": "1", "room": "101"})
		code, _, fields := res.Err()
		if res.Status != 422 || code != "invalid" || !strings.Contains(fields["id_number"], "check digit") {
			t.Fatalf("wrong check digit: %d %s", res.Status, res.Body)
		}
		// Every bad field is named at once.
		res = e.do("POST", "/api/v1/residents", e.admin, map[string]any{"community_id": a, "name": "", "id_type": "card",
			"id_number": "x", "phone": "12", "building": "", "unit": "1", "room": "1"})
		_, _, fields = res.Err()
		for _, f := range []string{"name", "id_type", "phone", "building"} {
			if fields[f] == "" {
				t.Errorf("field %s not named in %s", f, res.Body)
			}
		}
	})
}

func TestIDNumbersAreMaskedForAllButAdminAndPolice(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		e.mustUser("mgr", gatehouse.RoleManager, []int64{a}, 0)
		mgr := e.login("mgr")
		r := e.resident(mgr, a, "王芳", 21, "1栋", "1单元", "101")
		e.mustUser("guard", gatehouse.RoleGuard, []int64{a}, 0)
		e.mustUser("police", gatehouse.RolePolice, []int64{a}, 0)
		e.mustUser("wangfang", gatehouse.RoleResident, []int64{a}, r.ID)
		full := validID(21)
		masked := full[:6] + "********" + full[14:]
		for _, tc := range []struct {
			user string
			want string
		}{{"mgr", masked}, {"guard", masked}, {"wangfang", masked}, {"police", full}, {"admin", full}} {
			var got residentOut
			e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", r.ID), e.login(tc.user), nil, 200, &got)
			if got.IDNumber != tc.want || got.IDNumberMasked != (tc.want == masked) {
				t.Errorf("%s sees %q (masked=%v), want %q", tc.user, got.IDNumber, got.IDNumberMasked, tc.want)
			}
		}
		if r.IDNumber != masked {
			t.Errorf("the creating manager was shown %q, want %q", r.IDNumber, masked)
		}
	})
}

func TestGateDeviceKeyIsShownOnceAndCanBeRotatedOrDisabled(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		var g struct {
			ID        int64  `json:"id"`
			DeviceKey string `json:"device_key"`
			KeyPrefix string `json:"key_prefix"`
		}
		e.expect("POST", "/api/v1/gates", e.admin, map[string]any{"community_id": a, "name": "南门"}, 201, &g)
		if !strings.HasPrefix(g.DeviceKey, "ghk_") || len(g.DeviceKey) < 40 || !strings.HasPrefix(g.DeviceKey, g.KeyPrefix) {
			t.Fatalf("device key %q (prefix %q)", g.DeviceKey, g.KeyPrefix)
		}
		res := e.expect("GET", fmt.Sprintf("/api/v1/gates/%d", g.ID), e.admin, nil, 200, nil)
		if strings.Contains(string(res.Body), g.DeviceKey) || strings.Contains(string(res.Body), "device_key") {
			t.Fatalf("device key shown again: %s", res.Body)
		}
		// The key authenticates the gate, but not for user routes.
		if res := e.do("GET", "/api/v1/residents", g.DeviceKey, nil); res.Status != 403 {
			t.Fatalf("device key on a user route: %d, want 403", res.Status)
		}
		var rot struct {
			DeviceKey string `json:"device_key"`
		}
		e.expect("POST", fmt.Sprintf("/api/v1/gates/%d/rotate-key", g.ID), e.admin, nil, 200, &rot)
		if rot.DeviceKey == "" || rot.DeviceKey == g.DeviceKey {
			t.Fatalf("rotation gave %q", rot.DeviceKey)
		}
		if res := e.do("GET", "/api/v1/residents", g.DeviceKey, nil); res.Status != 401 {
			t.Fatalf("old key after rotation: %d, want 401", res.Status)
		}
		if res := e.do("GET", "/api/v1/residents", rot.DeviceKey, nil); res.Status != 403 {
			t.Fatalf("new key: %d, want 403 (authenticated, not allowed)", res.Status)
		}
		e.expect("PATCH", fmt.Sprintf("/api/v1/gates/%d", g.ID), e.admin, map[string]any{"disabled": true}, 200, nil)
		if res := e.do("GET", "/api/v1/residents", rot.DeviceKey, nil); res.Status != 401 {
			t.Fatalf("key of a disabled gate: %d, want 401", res.Status)
		}
	})
}

func TestResidentImportIsAllOrNothingWithLineNumbers(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		e.mustUser("mgr", gatehouse.RoleManager, []int64{a}, 0)
		mgr := e.login("mgr")
		existing := e.resident(mgr, a, "老住户", 50, "1栋", "1单元", "101")
		bad := validID(31)
		bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0']
		csv := "name,id_type,id_number,phone,building,unit,room\n" +
			"张三,resident_id," + validID(30) + ",13800138001,2栋,1单元,201\n" + // line 2: fine
			"李四,resident_id," + bad + ",13800138002,2栋,1单元,202\n" + // line 3: check digit
			"王五,resident_id," + validID(30) + ",13800138003,2栋,1单元,203\n" + // line 4: same as line 2
			",resident_id," + validID(32) + ",123,2栋,1单元,204\n" + // line 5: name, phone
			"赵六,resident_id," + validID(50) + ",13800138005,2栋,1单元,205\n" // line 6: the number of a present resident: not said
		res := e.do("POST", fmt.Sprintf("/api/v1/residents/import?community_id=%d", a), mgr, csv)
		_, msg, fields := res.Err()
		if res.Status != 422 {
			t.Fatalf("import with bad lines: %d %s", res.Status, res.Body)
		}
		for _, f := range []string{"line 3: id_number", "line 4: id_number", "line 5: name", "line 5: phone"} {
			if fields[f] == "" {
				t.Errorf("%q not reported; got %v", f, fields)
			}
		}
		if fields["line 2: id_number"] != "" || fields["line 6: id_number"] != "" || !strings.Contains(msg, "nothing was imported") {
			t.Errorf("message %q fields %v", msg, fields)
		}
		// A present resident of the same name in the same dwelling is a
		// clash, named by its line; nothing is imported.
		clash := "name,id_type,id_number,phone,building,unit,room\n" +
			"张三,resident_id," + validID(33) + ",13800138001,2栋,1单元,201\n" +
			"老住户,resident_id," + validID(34) + ",13800138005,1栋,1单元,101\n"
		res = e.do("POST", fmt.Sprintf("/api/v1/residents/import?community_id=%d", a), mgr, clash)
		if _, _, f := res.Err(); res.Status != 409 || f["line 3: name"] == "" || len(f) != 1 {
			t.Fatalf("import of a present resident's name and dwelling: %d %s", res.Status, res.Body)
		}
		var list struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents", mgr, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != existing.ID {
			t.Fatalf("a failed import stored residents: %+v", list.Items)
		}
		// A clean file (Chinese headers, a BOM, as Excel writes it) goes in whole.
		good := "\xef\xbb\xbf姓名,证件类型,证件号码,电话,楼栋,单元,房号\n" +
			"张三,居民身份证," + validID(30) + ",13800138001,2栋,1单元,201\n" +
			"John Smith,passport,E12345678,+85291234567,2栋,1单元,202\n"
		var out struct{ Imported int }
		e.expect("POST", fmt.Sprintf("/api/v1/residents/import?community_id=%d", a), mgr, good, 201, &out)
		e.expect("GET", "/api/v1/residents", mgr, nil, 200, &list)
		if out.Imported != 2 || len(list.Items) != 3 {
			t.Fatalf("imported %d, listed %d; want 2 and 3", out.Imported, len(list.Items))
		}
	})
}

func TestBadRequestBodiesAreRefusedClearly(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"unknown field", `{"name":"x","colour":"red"}`, 400, "colour"},
			{"wrong type", `{"name":42}`, 400, "name"},
			{"not JSON", `{"name":`, 400, ""},
			{"empty", ``, 400, ""},
			{"two values", `{"name":"x"}{"name":"y"}`, 400, ""},
			{"too large", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, 413, ""},
		} {
			res := e.do("POST", "/api/v1/communities", e.admin, []byte(tc.body))
			code, msg, fields := res.Err()
			if res.Status != tc.status || code == "" || msg == "" {
				t.Errorf("%s: %d %s", tc.name, res.Status, res.Body)
			}
			if tc.field != "" && fields[tc.field] == "" {
				t.Errorf("%s: field %s not named: %s", tc.name, tc.field, res.Body)
			}
			if strings.Contains(string(res.Body), "json:") || strings.Contains(string(res.Body), "goroutine") {
				t.Errorf("%s: Go error text leaked: %s", tc.name, res.Body)
			}
		}
		var list struct{ Items []any }
		e.expect("GET", "/api/v1/communities", e.admin, nil, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("a refused body created a community")
		}
	})
}

func TestManagerCreatesOnlyGuardsAndResidentsOfItsCommunities(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a, b := e.community("翠竹苑"), e.community("东门花园")
		e.mustUser("mgr", gatehouse.RoleManager, []int64{a}, 0)
		mgr := e.login("mgr")
		e.expect("POST", "/api/v1/users", mgr, map[string]any{"username": "guard1", "password": "longenough1", "role": "guard", "community_ids": []int64{a}}, 201, nil)
		if res := e.do("POST", "/api/v1/users", mgr, map[string]any{"username": "guard2", "password": "longenough1", "role": "guard", "community_ids": []int64{b}}); res.Status != 404 {
			t.Fatalf("guard in another community: %d", res.Status)
		}
		if res := e.do("POST", "/api/v1/users", mgr, map[string]any{"username": "cop", "password": "longenough1", "role": "police", "community_ids": []int64{a}}); res.Status != 403 {
			t.Fatalf("manager creating police: %d", res.Status)
		}
		res := e.do("POST", "/api/v1/users", mgr, map[string]any{"username": "guard1", "password": "longenough1", "role": "guard", "community_ids": []int64{a}})
		if _, _, f := res.Err(); res.Status != 409 || f["username"] == "" {
			t.Fatalf("duplicate username: %d %s", res.Status, res.Body)
		}
		r := e.resident(mgr, a, "王芳", 40, "1栋", "1单元", "101")
		var u struct {
			ID           int64   `json:"id"`
			CommunityIDs []int64 `json:"community_ids"`
		}
		e.expect("POST", "/api/v1/users", mgr, map[string]any{"username": "wangfang", "password": "longenough1", "role": "resident", "resident_id": r.ID}, 201, &u)
		if len(u.CommunityIDs) != 1 || u.CommunityIDs[0] != a {
			t.Fatalf("resident account communities %v", u.CommunityIDs)
		}
		var list struct{ Items []struct{ Username string } }
		e.expect("GET", "/api/v1/users", mgr, nil, 200, &list)
		if len(list.Items) != 2 {
			t.Fatalf("manager sees %v, want guard1 and wangfang", list.Items)
		}
		// Moving the resident out disables its account at once.
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", r.ID), mgr, nil, 204, nil)
		if res := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "wangfang", "password": "longenough1"}); res.Status != 401 {
			t.Fatalf("moved-out resident logs in: %d", res.Status)
		}
	})
}
