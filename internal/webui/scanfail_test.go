package webui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// answerNext makes the next request to a URL matching pattern get status
// and the JSON body from a stand-in instead of the server (which never sees
// it), as a failing server or a proxy in front of it would answer.
func (b *browser) answerNext(pattern string, status int64, body string) {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}}); err != nil {
		b.t.Fatal(err)
	}
	go func() {
		defer cancel()
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(b.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: status,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}},
				Body:            []byte(body)})
			_, _ = chromedp.Call(b.ctx, fetch.Disable, cdp.Empty{})
			return
		}
	}()
}

// TestAScanThatMeetsA5xxOrAnEndedSessionLogsNothingAndLeavesTheConsoleReady
// is the rest of issue 15's guard console: a scan answered 500 says
// 网络异常，请重扫, logs nothing and leaves the box empty and focused, and the
// scanner's next code is granted; a scan whose session has ended (401) is
// not logged either: the log-in page says in Chinese that the session ended
// and the scan was not made, and signing in again leads back to the console
// with its gate and direction as they were, the box empty and focused, where
// the same code is granted.
func TestAScanThatMeetsA5xxOrAnEndedSessionLogsNothingAndLeavesTheConsoleReady(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	st := seed(t, srv)
	mgr := srv.login(t, managerAccount[0], managerAccount[1])
	res := srv.login(t, residentAccount[0], residentAccount[1])
	var north struct{ ID int64 }
	srv.call(t, "POST", "/api/v1/gates", mgr, map[string]any{"community_id": st.CommunityID, "name": "北门"}, 201, &north)
	p := srv.invite(t, res, "张伟", "440524188001010014", map[string]any{"max_entries": 3})

	b := tab(t, srv, viewport{Name: "guard", Width: 1280, Height: 900}, outputDir(t, "guard-failures"))
	b.allowHTTPErrors = true // the 500 and the 401
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	b.login(guardAccount)
	b.poll("the scan field with the focus", `document.activeElement && document.activeElement.id === 'scan-code'`)
	b.do("choose 北门", chromedp.SetValue(chromedp.CSS("#gate-select"), fmt.Sprint(north.ID)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#gate-select').dispatchEvent(new Event('change'))`))
	b.poll("the focus back in the box", `document.activeElement.id === 'scan-code'`)
	ready := func(when string) {
		t.Helper()
		if v := eval[string](b, `document.activeElement.id + '|' + document.querySelector('#scan-code').value`); v != "scan-code|" {
			t.Errorf("%s the focus and box are %q, want the empty scan box focused", when, v)
		}
	}

	// A server error: nothing decided, nothing logged, the box ready.
	b.answerNext("*/api/v1/scan", 500, `{"error":{"code":"internal","message":"内部错误。"}}`)
	b.do("scan while the server fails", chromedp.KeyEvent(p.Code+"\r"))
	if said := b.poll("the failure in words", `document.querySelector('#result[data-decision="error"]') && document.querySelector('#result-verdict').textContent`); said != "网络异常，请重扫" {
		t.Errorf("a 500 says %q, want 网络异常，请重扫", said)
	}
	ready("after the 500")
	if n := len(srv.entries(t, mgr)); n != 0 {
		t.Errorf("the failed scan logged %d entries, want none", n)
	}
	b.shot("guard-500")
	b.do("the scanner's next code", chromedp.KeyEvent(p.Code+"\r"))
	if who := b.poll("the grant after the 500", `document.querySelector('#result[data-decision="grant"]') && document.querySelector('#result-person').textContent`); who != "张伟" {
		t.Errorf("the grant after the 500 names %q", who)
	}
	b.do("close", chromedp.KeyEvent(kb.Escape))

	// The session ends (signed out elsewhere) while the console is open, set
	// for the way out.
	b.do("the way out", chromedp.Click(chromedp.CSS(`.dir-toggle button[data-dir="out"]`)))
	tok := eval[string](b, `sessionStorage.getItem('gatehouse.token') || localStorage.getItem('gatehouse.token')`)
	srv.call(t, "POST", "/api/v1/auth/logout", tok, nil, 204, nil)
	b.do("scan with the ended session", chromedp.KeyEvent(p.Code+"\r"))
	note := b.poll("the log-in page with a note", `location.hash === '#/login' && document.querySelector('#login-card .form-error') && document.querySelector('#login-card .form-error').textContent`)
	if !strings.Contains(note, "登录已过期") || !strings.Contains(note, "未执行") || !strings.Contains(note, "重新登录") {
		t.Errorf("after a 401 the log-in page says %q, want that the session ended and the scan was not made", note)
	}
	if eval[bool](b, `!!document.querySelector('#result')`) {
		t.Error("a 401 is shown as a decision")
	}
	b.shot("guard-401")
	if n := len(srv.entries(t, mgr)); n != 1 {
		t.Errorf("the log holds %d entries after the 401, want the one grant", n)
	}
	b.login(guardAccount)
	b.poll("back at the console", `location.hash.startsWith('#/guard') && document.querySelector('#scan-code')`)
	b.poll("the focus in the box", `document.activeElement && document.activeElement.id === 'scan-code'`)
	ready("after signing in again")
	if g := eval[string](b, `document.querySelector('#gate-select').value`); g != fmt.Sprint(north.ID) {
		t.Errorf("after signing in again the gate is %s, want 北门 (%d) as before", g, north.ID)
	}
	if d := eval[string](b, `document.querySelector('.dir-toggle button[aria-pressed="true"]').dataset.dir`); d != "out" {
		t.Errorf("after signing in again the direction is %q, want out as before", d)
	}
	b.do("scan again", chromedp.KeyEvent(p.Code+"\r"))
	b.poll("the grant after signing in again", `document.querySelector('#result[data-decision="grant"]')`)
	entries := srv.entries(t, mgr)
	if len(entries) != 2 {
		t.Fatalf("%d entries, want two grants", len(entries))
	}
	for _, e := range entries {
		if e["decision"] != "grant" {
			t.Errorf("an entry %v: want only grants (no deny for the failed scans)", e)
		}
	}
	if g, d := fmt.Sprint(entries[0]["gate_id"]), entries[0]["direction"]; g != fmt.Sprint(north.ID) || d != "out" {
		t.Errorf("the scan after signing in again was %v at gate %s, want out at 北门 (%d)", d, g, north.ID)
	}
	b.check()
}
