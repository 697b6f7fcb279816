package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/httpapi"
)

// gbk is 王芳 in GBK, as a Chinese Excel saves a CSV by default.
const gbk = "\xcd\xf5\xb7\xbc"

func TestBodiesThatAreNotUTF8AreRefusedNamingTheField(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		res := e.do("POST", "/api/v1/residents", w.mgr, []byte(`{"community_id":`+fmt.Sprint(w.A)+`,"name":"`+gbk+
			`","id_type":"resident_id","id_number":"`+validID(7)+`","phone":"13800138000","building":"3栋","unit":"2单元","room":"501"}`))
		if _, _, fields := res.Err(); res.Status != 422 || !strings.Contains(fields["name"], "UTF-8") {
			t.Errorf("a GBK name: %d %s", res.Status, res.Body)
		}
		res = e.do("POST", "/api/v1/passes", w.hostTok, []byte(`{"visitor":{"name":"张伟","id_type":"resident_id","id_number":"`+validID(8)+
			`","plate":"`+gbk+`"},"valid_until":"`+e.clock.Now().Add(time.Hour).Format(time.RFC3339)+`"}`))
		if _, _, fields := res.Err(); res.Status != 422 || fields["visitor.plate"] == "" {
			t.Errorf("a GBK plate in a nested object: %d %s", res.Status, res.Body)
		}
		res = e.do("POST", fmt.Sprintf("/api/v1/gates/%d/events", w.gate.ID), w.gate.DeviceKey,
			[]byte(`{"events":[{"event_id":"a"},{"event_id":"b","code":"`+gbk+`"}]}`))
		if _, _, fields := res.Err(); res.Status != 422 || fields["events[1].code"] == "" {
			t.Errorf("a GBK code in a list: %d %s", res.Status, res.Body)
		}
		var list struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents", w.mgr, nil, 200, &list)
		for _, r := range list.Items {
			if strings.ContainsRune(r.Name, '\ufffd') {
				t.Errorf("stored as %q", r.Name)
			}
		}
	})
}

func TestGBKCSVImportIsReadAndAMixedFileRefusedNamingLineAndColumn(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		path := fmt.Sprintf("/api/v1/residents/import?community_id=%d", w.A)
		// A line of GBK after a line of UTF-8: either reading mis-reads one.
		body := "name,id_number,phone,building,unit,room\n" +
			"张三," + validID(30) + ",13800138001,2栋,1单元,201\n" +
			gbk + "," + validID(31) + ",13800138002,2栋,1单元,202\n"
		res := e.do("POST", path, w.mgr, body)
		_, msg, fields := res.Err()
		if res.Status != 422 || !strings.Contains(fields["line 3: name"], "UTF-8") || !strings.Contains(msg, "UTF-8") {
			t.Fatalf("a GBK line: %d %s", res.Status, res.Body)
		}
		// A file saved wholly in GBK, its Chinese header too, is read as GBK.
		res = e.do("POST", path, w.mgr, "\xd0\xd5\xc3\xfb,id_number,phone,building,unit,room\n"+gbk+","+validID(32)+",13800138002,2,1,202\n")
		if res.Status != 201 {
			t.Fatalf("a GBK file: %d %s", res.Status, res.Body)
		}
		var list struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents", w.mgr, nil, 200, &list)
		if len(list.Items) != 2 || list.Items[0].Name != "王芳" || list.Items[1].Name != "王芳" { // the host of newWorld, and the import
			t.Fatalf("after the GBK import: %+v", list.Items)
		}
	})
}

func TestDwellingsGatesAndCommunitiesRefuseHiddenCharacters(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		res := e.do("POST", "/api/v1/residents", w.mgr, map[string]any{"community_id": w.A, "name": "王五", "id_type": "resident_id",
			"id_number": validID(9), "phone": "13800138000", "building": "3栋", "unit": "2\u202e单元", "room": "50\u200b1"})
		if _, _, fields := res.Err(); res.Status != 422 || fields["unit"] == "" || fields["room"] == "" {
			t.Errorf("a bidi override and a zero-width space in a dwelling: %d %s", res.Status, res.Body)
		}
		res = e.do("POST", "/api/v1/gates", w.mgr, map[string]any{"community_id": w.A, "name": "南门\u202e"})
		if _, _, fields := res.Err(); res.Status != 422 || fields["name"] == "" {
			t.Errorf("a gate name with a bidi override: %d %s", res.Status, res.Body)
		}
		res = e.do("POST", "/api/v1/communities", e.admin, map[string]any{"name": "翠竹\u200d苑", "address": "罗湖区\u0007"})
		if _, _, fields := res.Err(); res.Status != 422 || fields["name"] == "" || fields["address"] == "" {
			t.Errorf("a community with hidden characters: %d %s", res.Status, res.Body)
		}
	})
}

func TestPoliceQueryTakesAPlateOfSixChineseCharacters(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		a := e.community("翠竹苑")
		e.mustUser("officer", gatehouse.RolePolice, []int64{a}, 0)
		now := e.clock.Now()
		res := e.do("POST", "/api/v1/police/queries", e.login("officer"), map[string]any{"case_ref": "2026-1", "purpose": "盗窃案",
			"community_ids": []int64{a}, "from": now.Add(-time.Hour).Format(time.RFC3339), "to": now.Format(time.RFC3339), "plate": "粤粤粤粤粤粤"})
		if res.Status != 201 {
			t.Fatalf("a plate of 6 characters (18 bytes): %d %s", res.Status, res.Body)
		}
	})
}

func TestNullBodiesAndEventUploadsWithoutEventsAreRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		res := e.do("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), e.admin, []byte("null"))
		if code, _, _ := res.Err(); res.Status != 400 || code != "bad_request" {
			t.Errorf("PATCH with null: %d %s", res.Status, res.Body)
		}
		path := fmt.Sprintf("/api/v1/gates/%d/events", w.gate.ID)
		for _, body := range []string{`{}`, `{"events":null}`} {
			res = e.do("POST", path, w.gate.DeviceKey, []byte(body))
			if _, _, fields := res.Err(); res.Status != 422 || fields["events"] == "" {
				t.Errorf("upload %s: %d %s", body, res.Status, res.Body)
			}
		}
		e.expect("POST", path, w.gate.DeviceKey, []byte(`{"events":[]}`), 200, nil)
	})
}

func TestAPIAnswersAreNeverCachedButQRImagesBriefly(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(nil)
		for _, tc := range []struct{ path, token string }{
			{"/api/v1/residents", w.mgr},
			{fmt.Sprintf("/api/v1/passes/%d", p.ID), w.hostTok},
			{"/api/v1/auth/me", w.mgr},
			{"/api/v1/residents", ""},        // 401
			{"/api/v1/no-such-route", ""},    // 404
			{"/api/v1/residents/999", w.mgr}, // 404
		} {
			if got := e.do("GET", tc.path, tc.token, nil).Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("GET %s: Cache-Control %q, want no-store", tc.path, got)
			}
		}
		res := e.expect("GET", fmt.Sprintf("/api/v1/passes/%d/qr.png", p.ID), w.hostTok, nil, 200, nil)
		if got := res.Header.Get("Cache-Control"); !strings.HasPrefix(got, "private, max-age=") {
			t.Errorf("QR image: Cache-Control %q", got)
		}
	})
}

func TestHEADAnswersLikeGETAndTheReadinessProbeFailsWithTheDatabase(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/keys", "/api/openapi.yaml"} {
			get, head := e.do("GET", path, "", nil), e.do("HEAD", path, "", nil)
			if head.Status != get.Status || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") ||
				strings.Contains(head.Header.Get("Content-Type"), "html") {
				t.Errorf("HEAD %s: %d %q; GET: %d %q", path, head.Status, head.Header.Get("Content-Type"), get.Status, get.Header.Get("Content-Type"))
			}
		}
		if res := e.do("HEAD", "/api/v1/residents", e.admin, nil); res.Status != 200 {
			t.Errorf("HEAD of a list: %d", res.Status)
		}
		e.db.Close()
		for _, m := range []string{"GET", "HEAD"} {
			if res := e.do(m, "/readyz", "", nil); res.Status != 503 {
				t.Errorf("%s /readyz with the database closed: %d, want 503", m, res.Status)
			}
		}
	})
}

func TestWrongMethodsAnswer405WithAllowAndUnknownAPIPaths404(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ui := fstest.MapFS{"index.html": {Data: []byte("<html>the UI</html>")}}
		api := httpapi.New(httpapi.Config{Store: e.db, Engine: e.engine, UI: ui, Now: e.clock.Now})
		do := func(method, path string) response {
			w := httptest.NewRecorder()
			api.ServeHTTP(w, httptest.NewRequest(method, path, nil))
			return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
		}
		for _, tc := range []struct{ method, path, allow string }{
			{"POST", "/healthz", "GET, HEAD"},
			{"DELETE", "/readyz", "GET, HEAD"},
			{"PUT", "/metrics", "GET, HEAD"},
			{"DELETE", "/api/v1/communities", "GET, POST, HEAD"},
			{"POST", "/api/v1/keys", "GET, HEAD"},
			{"PUT", "/api/v1/residents/1", "GET, PATCH, DELETE, HEAD"},
		} {
			res := do(tc.method, tc.path)
			code, msg, _ := res.Err()
			allow := strings.Split(res.Header.Get("Allow"), ", ")
			want := strings.Split(tc.allow, ", ")
			if res.Status != 405 || code != "method_not_allowed" || msg == "" || !sameSet(allow, want) {
				t.Errorf("%s %s: %d Allow %q %s", tc.method, tc.path, res.Status, res.Header.Get("Allow"), res.Body)
			}
		}
		for _, path := range []string{"/api/v1/nothing", "/api/v2/residents", "/api", "/api/"} {
			for _, m := range []string{"GET", "HEAD"} {
				res := do(m, path)
				if res.Status != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s %s: %d %q %s", m, path, res.Status, res.Header.Get("Content-Type"), res.Body)
				}
			}
		}
		if res := do("HEAD", "/some/page"); res.Status != 200 || !strings.Contains(res.Header.Get("Content-Type"), "html") {
			t.Errorf("HEAD of a UI page: %d %q", res.Status, res.Header.Get("Content-Type"))
		}
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}
