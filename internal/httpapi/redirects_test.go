package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// Every API answer is JSON and never cached, the odd paths' too: gin's
// redirects (a trailing slash, a fixed path) are written before any
// middleware, so they had neither.
func TestOddAPIPathsAnswerJSONWithNoStoreAndNeverRedirect(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		for _, r := range []struct{ method, path, token string }{
			{"GET", "/api/v1/entries/", w.mgr},
			{"GET", "/api/v1/entries/?limit=1", w.mgr},
			{"HEAD", "/api/v1/entries/", w.mgr},
			{"GET", "/api/v1/residents/", ""},
			{"POST", "/api/v1/passes/", w.hostTok},
			{"GET", fmt.Sprintf("/api/v1/passes/%d/", w.invite(nil).ID), w.hostTok},
			{"GET", "/api/v1/ENTRIES", w.mgr},
			{"GET", "/api/v1//entries", w.mgr},
			{"GET", "/api/v1/../v1/entries", w.mgr},
			{"GET", "/api/v1/", ""},
			{"GET", "/api/", ""},
			{"DELETE", "/api/v1/entries", w.mgr},
		} {
			res := e.do(r.method, r.path, r.token, nil)
			if res.Status >= 300 && res.Status < 400 || res.Header.Get("Location") != "" {
				t.Errorf("%s %s: %d redirect to %q", r.method, r.path, res.Status, res.Header.Get("Location"))
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s %s: %d, Cache-Control %q, want no-store", r.method, r.path, res.Status, got)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s %s: %d, Content-Type %q, want JSON", r.method, r.path, res.Status, ct)
			}
			if code, _, _ := res.Err(); r.method != "HEAD" && code == "" {
				t.Errorf("%s %s: %d %s, want a JSON error", r.method, r.path, res.Status, res.Body)
			}
		}
	})
}
