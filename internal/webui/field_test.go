package webui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// One chromium for the tests of this file: each test opens its own tab in
// its own browser context (no shared storage), so they cost one browser.
var pkgBrowser struct {
	once sync.Once
	ctx  context.Context
	err  error
}

// tab opens a tab of the package's browser at the viewport vp, watched like
// newBrowser's.
func tab(t *testing.T, s *server, vp viewport, out string) *browser {
	t.Helper()
	exe := chromiumPath(t)
	pkgBrowser.once.Do(func() {
		profile, err := os.MkdirTemp("", "gatehouse-webui-profile-")
		if err != nil {
			pkgBrowser.err = err
			return
		}
		alloc, _ := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("password-store", "basic"), chromedp.Flag("use-mock-keychain", true), chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("mute-audio", true), chromedp.Env("TZ=Asia/Shanghai", "LANG=zh_CN.UTF-8"))
		// The browser lives as long as the test binary (chromedp kills it with its parent).
		pkgBrowser.ctx, _ = chromedp.NewContext(alloc)
		pkgBrowser.err = chromedp.Do(pkgBrowser.ctx)
	})
	if pkgBrowser.err != nil {
		t.Fatalf("start %s: %v", exe, pkgBrowser.err)
	}
	ctx, cancel := chromedp.NewContext(pkgBrowser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, host: s.Host, out: out}
	b.watch()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.Width, vp.Height, viewportOptions(vp)...)); err != nil {
		t.Fatal(err)
	}
	return b
}

// failNext makes the next request to a URL matching pattern fail as a lost
// network does (the server never sees it).
func (b *browser) failNext(pattern string) {
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
			_, _ = chromedp.Call(b.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonInternetDisconnected})
			_, _ = chromedp.Call(b.ctx, fetch.Disable, cdp.Empty{})
			return
		}
	}()
}

// typeSlowly types s one key at a time, pause apart, as a keyboard-wedge
// scanner does.
func (b *browser) typeSlowly(s string, pause time.Duration) {
	b.t.Helper()
	for _, r := range s {
		b.do("type "+string(r), chromedp.KeyEvent(string(r)))
		time.Sleep(pause)
	}
}

type passMade struct {
	ID   int64
	Code string
}

func (s *server) invite(t *testing.T, token, name, idNumber string, extra map[string]any) passMade {
	t.Helper()
	body := map[string]any{"visitor": map[string]any{"name": name, "id_type": "resident_id", "id_number": idNumber},
		"valid_until": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}
	for k, v := range extra {
		body[k] = v
	}
	var p passMade
	s.call(t, "POST", "/api/v1/passes", token, body, 201, &p)
	return p
}

// entryCount is how many entries the community's log holds.
func (s *server) entries(t *testing.T, token string) []map[string]any {
	t.Helper()
	var out struct{ Items []map[string]any }
	s.call(t, "GET", "/api/v1/entries?limit=100", token, nil, 200, &out)
	return out.Items
}

// TestTheGuardConsoleSurvivesTheField is issue 15's guard console: a lost
// request leaves the scan box empty and focused, says 网络异常，请重扫 and
// logs nothing, and the next scan of the same code is granted; a 100+
// character code typed at 5 ms a key is granted; a pass not yet valid says
// when it starts; leaving says 离开 / 再见; an override finds the host by
// "3-2-502"; the on-site list checks a visitor out with the guard's name.
func TestTheGuardConsoleSurvivesTheField(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	st := seed(t, srv)
	mgr := srv.login(t, managerAccount[0], managerAccount[1])
	res := srv.login(t, residentAccount[0], residentAccount[1])
	// More gates, so that a pass for all of them has a long code.
	gates := []int64{st.GateID}
	for _, name := range []string{"北门", "东门", "西门", "地库入口", "地库出口"} {
		var g struct{ ID int64 }
		srv.call(t, "POST", "/api/v1/gates", mgr, map[string]any{"community_id": st.CommunityID, "name": name}, 201, &g)
		gates = append(gates, g.ID)
	}
	first := srv.invite(t, res, "张伟", "440524188001010014", map[string]any{"max_entries": 3})
	long := srv.invite(t, res, "李娜", "440303199001010015", map[string]any{"max_entries": 5, "gate_ids": gates,
		"schedule": map[string]any{"days": []int{1, 2, 3, 4, 5, 6, 7}, "start": "00:00", "end": "24:00"}})
	if len(long.Code) < 100 {
		t.Fatalf("the long code has %d characters, want 100 or more", len(long.Code))
	}
	later := srv.invite(t, res, "赵敏", "11010519491231002X", map[string]any{
		"valid_from": time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)})

	b := tab(t, srv, viewport{Name: "guard", Width: 1280, Height: 900}, outputDir(t, "guard-field"))
	b.allowHTTPErrors = true // the lost request
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	b.login(guardAccount)
	b.poll("the scan field with the focus", `document.activeElement && document.activeElement.id === 'scan-code'`)

	// A network blip: nothing decided, nothing logged, the box empty and focused.
	b.failNext("*/api/v1/scan")
	b.do("scan during the blip", chromedp.KeyEvent(first.Code+"\r"))
	said := b.poll("the failure in words", `document.querySelector('#result[data-decision="error"]') && document.querySelector('#result-verdict').textContent`)
	if said != "网络异常，请重扫" {
		t.Errorf("the failure says %q, want 网络异常，请重扫", said)
	}
	if v := eval[string](b, `document.activeElement.id + '|' + document.querySelector('#scan-code').value`); v != "scan-code|" {
		t.Errorf("after the failure the focus and box are %q, want the empty scan box focused", v)
	}
	b.shot("guard-network-blip")
	if n := len(srv.entries(t, mgr)); n != 0 {
		t.Errorf("the failed scan logged %d entries, want none", n)
	}
	b.do("scan again", chromedp.KeyEvent(first.Code+"\r"))
	if who := b.poll("the grant after the blip", `document.querySelector('#result[data-decision="grant"]') && document.querySelector('#result-person').textContent`); who != "张伟" {
		t.Errorf("the grant after the blip names %q", who)
	}
	b.do("close", chromedp.KeyEvent(kb.Escape))

	// A keyboard-wedge scanner: 100+ characters at 5 ms a key, then Enter.
	b.typeSlowly(long.Code+"\r", 5*time.Millisecond)
	if who := b.poll("the grant of the long code", `document.querySelector('#result[data-decision="grant"]') && document.querySelector('#result-person').textContent`); who != "李娜" {
		t.Errorf("the long code's grant names %q", who)
	}
	b.shot("guard-scanner-speed")

	// Leaving: 离开 and 再见, not a welcome.
	b.do("close, then scan the way out", chromedp.KeyEvent(kb.Escape), chromedp.Click(chromedp.CSS(`.dir-toggle button[data-dir="out"]`)))
	b.poll("the focus back in the box", `document.activeElement.id === 'scan-code'`)
	b.do("scan out", chromedp.KeyEvent(long.Code+"\r"))
	out := b.poll("the way out", `document.querySelector('#result[data-decision="grant"]') && document.querySelector('#result-verdict').textContent + '|' + document.querySelector('#result-reason').textContent`)
	if !strings.HasPrefix(out, "离开|再见") {
		t.Errorf("the way out says %q, want 离开 and 再见", out)
	}
	b.do("close, back to the way in", chromedp.KeyEvent(kb.Escape), chromedp.Click(chromedp.CSS(`.dir-toggle button[data-dir="in"]`)))

	// A pass not valid yet says when it starts.
	b.do("scan a pass of later", chromedp.KeyEvent(later.Code+"\r"))
	if why := b.poll("not yet valid", `document.querySelector('#result[data-reason="not_yet_valid"]') && document.querySelector('#result-reason').textContent`); !strings.Contains(why, "起生效") {
		t.Errorf("a pass not valid yet says %q, want when it starts", why)
	}
	b.do("close", chromedp.KeyEvent(kb.Escape))

	// An override with no pass: the host found by its dwelling.
	b.do("open overrides", chromedp.Click(chromedp.CSS(`#nav a[data-tab="override"]`)))
	b.poll("the override form, for a visitor", `document.querySelector('#override-form input[name="mode"][value="visitor"]:checked') && !document.querySelector('#override-form input[name="mode"][value="pass"]')`)
	b.do("find the host by 3-2-502", chromedp.SendKeys(chromedp.CSS("#host-search"), "3-2-502"))
	b.poll("王芳 found", `[...document.querySelectorAll('.picker-results button')].some((x) => x.textContent.includes('王芳'))`)
	b.do("choose and fill",
		chromedp.Click(chromedp.CSS(".picker-results button")),
		chromedp.SendKeys(chromedp.CSS(`#override-form [name="visitor.name"]`), "周杰"),
		chromedp.SendKeys(chromedp.CSS(`#override-form [name="visitor.id_number"]`), "440303199001010023"),
		// Two lines in the reason's box: the UI sends them as one line (the
		// server refuses a line break in free text).
		chromedp.SendKeys(chromedp.CSS(`#override-form [name="reason"]`), "业主电话确认\n王芳在家"))
	b.shot("guard-override-by-dwelling")
	b.do("let through", chromedp.Click(chromedp.CSS("#override-submit")))
	if host := b.poll("the override", `document.querySelector('#result[data-reason="manual_override"]') && document.querySelector('#result-host').textContent`); !strings.Contains(host, "502") {
		t.Errorf("the override's host is %q, want the dwelling 502", host)
	}
	b.do("close", chromedp.KeyEvent(kb.Escape))

	// 登记离开 on the on-site list: a manual "out" with the guard's name.
	b.do("open the on-site list", chromedp.Click(chromedp.CSS(`#nav a[data-tab="onsite"]`)))
	b.poll("张伟 on site", `[...document.querySelectorAll('#onsite-list tbody tr')].some((tr) => tr.textContent.includes('张伟') && tr.querySelector('button[data-leave]'))`)
	b.shot("guard-onsite")
	b.do("check 张伟 out", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#onsite-list tbody tr')].find((tr) => tr.textContent.includes('张伟')).querySelector('button[data-leave]').click()`))
	b.poll("张伟 gone", `document.querySelector('#onsite-list') && !document.querySelector('#onsite-list').textContent.includes('张伟')`)
	last := srv.entries(t, mgr)[0]
	if last["direction"] != "out" || last["person_name"] != "张伟" || !strings.Contains(fmt.Sprint(last["note"]), guardAccount[0]) {
		t.Errorf("the check-out entry: %v", last)
	}
	b.printMedia(true)
	b.poll("the print view", `getComputedStyle(document.querySelector('.onsite-print .print-only')).display !== 'none' && getComputedStyle(document.querySelector('#onsite-list button[data-leave]') || document.body).display !== 'inline-block'`)
	b.shot("guard-onsite-print")
	b.printMedia(false)
	b.check()
}

// TestTheGuestSeesACardAndNoQRForARevokedPass: the guest link shows the
// community, its address, the gate, the host's dwelling (not the host's
// name), the guest and the validity, with a QR that decodes to the code;
// once revoked the same link says so and draws no QR.
func TestTheGuestSeesACardAndNoQRForARevokedPass(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	seed(t, srv)
	res := srv.login(t, residentAccount[0], residentAccount[1])
	p := srv.invite(t, res, "张伟", "440524188001010014", map[string]any{"max_entries": 2})
	b := tab(t, srv, viewport{Name: "guest", Width: 375, Height: 812, Mobile: true}, outputDir(t, "guest-card"))
	b.allowHTTPErrors = true
	// As the resident's page shares it: the code URI-encoded (GH2 codes hold % and spaces).
	b.do("open the guest link", chromedp.Navigate(srv.URL+"/#/guest/"+url.PathEscape(p.Code)))
	b.poll("the card with its QR", `document.querySelector('#guest-pass[data-status="active"] canvas')`)
	for sel, want := range map[string]string{"#guest-community": "翠竹苑", "#guest-address": "罗湖区翠竹路1号", "#guest-gates": "南门",
		"#guest-dwelling": "3栋 2单元 502", "#guest-name": "张伟", "#guest-remaining": "2 / 2 次"} {
		if got := eval[string](b, `document.querySelector('`+sel+`').textContent`); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	if v := eval[string](b, `document.querySelector('#guest-valid').textContent`); !regexp.MustCompile(`\d{4}.*至.*\d`).MatchString(v) {
		t.Errorf("the validity says %q", v)
	}
	if eval[bool](b, `document.body.innerText.includes('王芳')`) {
		t.Error("the guest card names the host")
	}
	if got := zbarimg(t, b.shotOf("guest-qr", "#guest-pass canvas")); got != p.Code {
		t.Fatalf("the card's QR decodes to %q, want %q", got, p.Code)
	}
	b.fitsWidth(viewport{Mobile: true, Width: 375}, "the guest card")
	saveDoc(t, b.shotOf("guest-card", "#guest-pass"), "guest-card-375.png")

	srv.call(t, "POST", fmt.Sprintf("/api/v1/passes/%d/revoke", p.ID), res, nil, 200, nil)
	b.do("open it again", chromedp.Reload())
	state := b.poll("the revoked card", `document.querySelector('#guest-pass[data-status="revoked"]') && document.querySelector('#guest-state').textContent`)
	if !strings.Contains(state, "已被作废") {
		t.Errorf("the revoked card says %q", state)
	}
	if eval[bool](b, `!!document.querySelector('#guest-pass canvas, #guest-pass img, #guest-pass .code-text')`) {
		t.Error("the revoked pass's card still shows a code to scan")
	}
	b.shot("guest-card-revoked")
	b.check()
}

// allowed is internal/webui/testdata/english-allowlist.txt: one regular
// expression a line, for the Latin words the Chinese UI may show (names,
// codes, the brand, file formats).
func allowed(t *testing.T) []*regexp.Regexp {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "english-allowlist.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, regexp.MustCompile(line))
	}
	return out
}

var latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)

// englishOnScreen lists the visible texts (and placeholders) that still hold
// a Latin word once every allowed word is taken out.
func (b *browser) englishOnScreen(allow []*regexp.Regexp) []string {
	b.t.Helper()
	texts := eval[[]string](b, `(() => {
		const out = [];
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode()) {
			const s = n.textContent.trim();
			const el = n.parentElement;
			if (!s || !/[A-Za-z]{2,}/.test(s) || !el || el.closest('script, style, [hidden]')) continue;
			if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
			out.push(s);
		}
		for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
			if (el.getClientRects().length && /[A-Za-z]{2,}/.test(el.placeholder)) out.push(el.placeholder);
		}
		return out;
	})()`)
	var bad []string
	for _, s := range texts {
		rest := s
		for _, re := range allow {
			rest = re.ReplaceAllString(rest, " ")
		}
		if latinWord.MatchString(rest) {
			bad = append(bad, s)
		}
	}
	return bad
}

// TestEveryPageFitsAPhoneInChinese opens every page of every role at
// 375 px in Chinese: none grows sideways (document.scrollingElement.
// scrollWidth ≤ 375) and none shows English beyond the allow-list. Half-
// filled forms survive a reload. The guard console and the resident's page
// go to docs/ as screenshots.
func TestEveryPageFitsAPhoneInChinese(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	st := seed(t, srv)
	admin := srv.login(t, "admin", adminPassword)
	srv.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": policeAccount[0], "password": policeAccount[1], "role": "police",
		"community_ids": []int64{st.CommunityID}}, 201, nil)
	srv.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": districtAccount[0], "password": districtAccount[1], "role": "district"}, 201, nil)
	srv.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": streetAccount[0], "password": streetAccount[1], "role": "street",
		"community_ids": []int64{st.CommunityID}}, 201, nil)
	res := srv.login(t, residentAccount[0], residentAccount[1])
	srv.invite(t, res, "张伟", "440524188001010014", nil)
	allow := allowed(t)
	vp := viewport{Name: "phone", Width: 375, Height: 812, Mobile: true}
	b := tab(t, srv, vp, outputDir(t, "phone-375"))
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	look := func(what string) {
		t.Helper()
		b.poll(what+" drawn", `!document.querySelector('#view .loading')`)
		time.Sleep(300 * time.Millisecond) // late parts (charts, lists) settle
		if w := eval[float64](b, `document.scrollingElement.scrollWidth`); w > 375 {
			b.shot("too-wide-" + slug(what))
			t.Errorf("%s is %v px wide at 375 px", what, w)
		}
		if bad := b.englishOnScreen(allow); len(bad) > 0 {
			t.Errorf("%s shows English in the Chinese UI: %q", what, bad)
		}
	}
	look("the log-in page")
	pages := []struct {
		account [2]string
		role    string
		tabs    []string
	}{
		{residentAccount, "resident", []string{"invite", "passes", "code", "arrivals"}},
		{guardAccount, "guard", []string{"scan", "walkin", "override", "onsite"}},
		{managerAccount, "manager", []string{"residents", "gates", "accounts", "watchlist", "settings", "report", "entries", "rectifications"}},
		{policeAccount, "police", []string{"query", "history", "report", "inspect", "incident"}},
		{[2]string{"admin", adminPassword}, "admin", []string{"communities", "accounts", "audit", "report", "entries"}},
		{districtAccount, "district", []string{"dashboard", "scorecard", "rectifications", "scheme", "companies", "publish"}},
		{streetAccount, "street", []string{"dashboard", "scorecard", "inspect", "rectifications"}},
	}
	for _, p := range pages {
		b.login(p.account)
		b.poll("the "+p.role+" pages", `location.hash.startsWith('#/`+p.role+`')`)
		for _, tb := range p.tabs {
			b.do("open "+p.role+"/"+tb, chromedp.Navigate(srv.URL+"/#/"+p.role+"/"+tb))
			b.poll("the "+tb+" tab marked", `document.querySelector('#nav a[data-tab="`+tb+`"][aria-current="page"]')`)
			look(p.role + "/" + tb)
			if p.role == "resident" && tb == "invite" {
				// A half-filled invitation survives a reload.
				b.do("type a guest's name", chromedp.SendKeys(chromedp.CSS(`#invite-form [name="visitor.name"]`), "李四"))
				b.do("reload", chromedp.Reload())
				b.poll("the name kept", `document.querySelector('#invite-form [name="visitor.name"]') && document.querySelector('#invite-form [name="visitor.name"]').value === '李四'`)
				saveDoc(t, b.shot("resident-invite"), "resident-375.png")
			}
			if p.role == "guard" && tb == "scan" {
				b.poll("the live feed", `document.querySelector('#live-dot.on')`)
				saveDoc(t, b.shot("guard-console"), "guard-console-375.png")
			}
			if p.role == "guard" && tb == "walkin" {
				b.do("type a walk-in's name", chromedp.SendKeys(chromedp.CSS(`#walkin-form [name="visitor.name"]`), "王五"))
				b.do("reload", chromedp.Reload())
				b.poll("the walk-in kept", `document.querySelector('#walkin-form [name="visitor.name"]') && document.querySelector('#walkin-form [name="visitor.name"]').value === '王五'`)
			}
			if p.role == "manager" && tb == "residents" {
				b.do("type a resident's name", chromedp.SendKeys(chromedp.CSS(`#resident-form [name="name"]`), "陈静"))
				b.do("reload", chromedp.Reload())
				b.poll("the resident kept", `document.querySelector('#resident-form [name="name"]') && document.querySelector('#resident-form [name="name"]').value === '陈静'`)
			}
		}
		b.logout()
	}
	b.check()
}

// saveDoc copies a screenshot to docs/ when GATEHOUSE_UPDATE_DOCS is set
// (the README shows them); otherwise it leaves docs/ alone.
func saveDoc(t *testing.T, shot, name string) {
	t.Helper()
	if os.Getenv("GATEHOUSE_UPDATE_DOCS") == "" || shot == "" {
		return
	}
	raw, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", name), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
