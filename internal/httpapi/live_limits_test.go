package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// liveStream is an open GET /live.
type liveStream struct {
	res *http.Response
	r   *bufio.Reader
}

// openLive opens a stream of community as token and expects the status want.
func openLive(t *testing.T, srv *httptest.Server, token string, community int64, want int) *liveStream {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", fmt.Sprintf("%s/api/v1/live?community_id=%d&access_token=%s", srv.URL, community, token), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != want {
		t.Fatalf("open stream: status %d, want %d", res.StatusCode, want)
	}
	s := &liveStream{res: res, r: bufio.NewReader(res.Body)}
	if want == 200 {
		s.r.ReadString('\n') // ": connected"
	}
	return s
}

// rest reads the stream until it ends or d passes; it reports whether it
// ended and what it carried.
func (s *liveStream) rest(d time.Duration) (bool, string) {
	var b strings.Builder
	done := make(chan bool, 1)
	go func() {
		for {
			line, err := s.r.ReadString('\n')
			b.WriteString(line)
			if err != nil {
				done <- true
				return
			}
		}
	}()
	select {
	case <-done:
		return true, b.String()
	case <-time.After(d):
		s.res.Body.Close()
		<-done
		return false, b.String()
	}
}

func TestTheFourthStreamOfAnAccountClosesItsFirst(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		srv := httptest.NewServer(e.api)
		t.Cleanup(srv.Close)
		first := openLive(t, srv, w.guard, w.A, 200)
		second := openLive(t, srv, w.guard, w.A, 200)
		openLive(t, srv, w.guard, w.A, 200)
		managers := openLive(t, srv, w.mgr, w.A, 200)
		openLive(t, srv, w.guard, w.A, 200) // the fourth
		ended, body := first.rest(2 * time.Second)
		if !ended || !strings.Contains(body, "event: closed") || !strings.Contains(body, `"reason":"replaced"`) || !strings.Contains(body, "retry: ") {
			t.Fatalf("the account's first stream, after its fourth opened: ended %v, carried %q", ended, body)
		}
		if ended, _ := second.rest(200 * time.Millisecond); ended {
			t.Fatal("the account's second stream ended too")
		}
		if ended, _ := managers.rest(200 * time.Millisecond); ended {
			t.Fatal("another account's stream ended")
		}
	})
}

func TestStreamsPastTheServersLimitAreRefusedWith429(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		e.hub.MaxStreams, e.hub.MaxPerAccount = 2, 1 // before the server starts serving
		srv := httptest.NewServer(e.api)
		t.Cleanup(srv.Close)
		openLive(t, srv, w.guard, w.A, 200)
		mgr := openLive(t, srv, w.mgr, w.A, 200)
		// The server answers at once; a stream that opened instead would
		// end with the request's context.
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/live?community_id=%d&access_token=%s", srv.URL, w.A, w.hostTok), nil)
		req.Header.Set("Accept-Language", "en")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		res := response{Status: r.StatusCode, Body: body, Header: r.Header}
		code, msg, _ := res.Err()
		if res.Status != 429 || code != "rate_limited" || res.Header.Get("Retry-After") != "30" || !strings.Contains(msg, "live streams") {
			t.Fatalf("a stream past the limit: %d %s, Retry-After %q", res.Status, res.Body, res.Header.Get("Retry-After"))
		}
		// An account at its own limit replaces its oldest stream rather
		// than being refused.
		openLive(t, srv, w.guard, w.A, 200)
		// A closed stream makes room.
		mgr.res.Body.Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", fmt.Sprintf("%s/api/v1/live?community_id=%d&access_token=%s", srv.URL, w.A, w.hostTok), nil)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no room after a stream closed: %d", r.StatusCode)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestWebhookURLsThatReachInsideAreRefusedWithAFieldError(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		path := fmt.Sprintf("/api/v1/communities/%d", w.A)
		// This server's allow-list names 127.0.0.1 (newEnv) and nothing else.
		for url, want := range map[string]string{
			"http://127.0.0.2:8080/hook":               "loopback address (127.0.0.2)",
			"https://169.254.169.254/latest/meta-data": "link-local address",
			"http://0x7f000001/":                       "not a valid IP address",
			"https://2130706433/":                      "not a valid IP address",
			"https://[::ffff:127.0.0.2]/":              "loopback address (127.0.0.2)",
			"https://10.1.2.3/":                        "private address",
			"https://[fd00::1]/":                       "unique local",
			"https://100.64.0.1/":                      "CGNAT",
			"https://localhost:9000/":                  "localhost",
			"http://hooks.example/gatehouse":           "must use https",
			"gopher://hooks.example/":                  "http or https URL",
		} {
			res := e.do("PATCH", path, w.mgr, map[string]any{"webhook_url": url, "webhook_secret": "a-very-secret-secret"})
			_, _, fields := res.Err()
			if res.Status != 422 || !strings.Contains(fields["webhook_url"], want) {
				t.Errorf("webhook_url %s: %d %s; want 422 with a webhook_url problem about %q", url, res.Status, res.Body, want)
			}
		}
		e.expect("PATCH", path, w.mgr, map[string]any{"webhook_url": "https://hooks.example/gatehouse", "webhook_secret": "a-very-secret-secret"}, 200, nil)
		e.expect("PATCH", path, w.mgr, map[string]any{"webhook_url": "http://127.0.0.1:8080/hook"}, 200, nil) // listed
	})
}
