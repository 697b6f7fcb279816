package webui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// activeTabInView fails unless the tab bar's active tab lies wholly inside
// the bar and the screen.
func (b *browser) activeTabInView(what string, width float64) {
	b.t.Helper()
	got := eval[string](b, `(() => {
		const a = document.querySelector('#nav a[aria-current="page"]'), n = document.querySelector('#nav');
		const r = a.getBoundingClientRect(), m = n.getBoundingClientRect();
		return [r.left, r.right, m.left, m.right, n.scrollWidth > n.clientWidth].join(' ');
	})()`)
	var l, r, nl, nr float64
	var overflows bool
	if _, err := fmt.Sscan(got, &l, &r, &nl, &nr, &overflows); err != nil {
		b.t.Fatalf("%s: %q: %v", what, got, err)
	}
	if l < nl-0.5 || r > nr+0.5 || l < 0 || r > width {
		b.shot("tab-out-of-view-" + slug(what))
		b.t.Errorf("%s: the active tab spans %v..%v, outside the tab bar %v..%v or the %v px screen", what, l, r, nl, nr, width)
	}
	if !overflows {
		b.t.Logf("%s: the tab bar fits the screen; nothing to scroll", what)
	}
}

// TestAResidentChangesTheirPasswordAndTheAuditReadsInChinese, on a phone at
// 375 px in Chinese: a resident on a remembered device changes their
// password on the resident page (the current one required; a mismatch, a
// wrong current password and a common new one each named under their field
// in Chinese); the other device is signed out, this one stays signed in
// after a reload. The active tab of a long tab bar is scrolled into view.
// The admin's access audit, with records of every kind, shows no English
// beyond the allow-list.
func TestAResidentChangesTheirPasswordAndTheAuditReadsInChinese(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	st := seed(t, srv)
	admin := srv.login(t, "admin", adminPassword)
	srv.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": policeAccount[0], "password": policeAccount[1], "role": "police",
		"community_ids": []int64{st.CommunityID}}, 201, nil)
	other := srv.login(t, residentAccount[0], residentAccount[1]) // the resident's other device
	srv.invite(t, other, "张伟", "440524188001010014", nil)
	// Records of the access audit: a whole number read, a police query and its export.
	srv.call(t, "GET", fmt.Sprintf("/api/v1/residents/%d", st.ResidentID), admin, nil, 200, nil)
	police := srv.login(t, policeAccount[0], policeAccount[1])
	var q struct {
		ExportURL string `json:"export_url"`
	}
	srv.call(t, "POST", "/api/v1/police/queries", police, map[string]any{"case_ref": "罗公(刑)字[2026]88号", "purpose": "核查访客",
		"community_ids": []int64{st.CommunityID}, "from": "2026-01-01T00:00:00+08:00", "to": "2026-12-31T00:00:00+08:00", "name": "张伟"}, 201, &q)
	srv.call(t, "GET", q.ExportURL, police, nil, 200, nil)

	const width = 375
	vp := viewport{Name: "phone", Width: width, Height: 812, Mobile: true}
	b := tab(t, srv, vp, outputDir(t, "account-375"))
	b.allowHTTPErrors = true // the refused changes
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	b.poll("the log-in form", `document.querySelector('#login-username')`)
	b.do("log in on a remembered device",
		chromedp.SendKeys(chromedp.CSS("#login-username"), residentAccount[0]),
		chromedp.SendKeys(chromedp.CSS("#login-password"), residentAccount[1]),
		chromedp.Click(chromedp.CSS("#login-remember")),
		chromedp.Click(chromedp.CSS("#login-submit")))
	b.poll("the resident's page", `location.hash.startsWith('#/resident')`)
	b.do("open 账号与设备", chromedp.Navigate(srv.URL+"/#/resident/devices"))
	b.poll("the password form and both devices", `document.querySelector('#password-form') && document.querySelectorAll('#devices .device').length === 2`)
	if tabText := eval[string](b, `document.querySelector('#nav a[aria-current="page"]').textContent`); tabText != "账号与设备" {
		t.Errorf("the tab reads %q", tabText)
	}
	b.activeTabInView("resident/devices", width)

	change := func(current, next, again string) {
		t.Helper()
		b.do("change the password", chromedp.SetValue(chromedp.CSS("#password-current"), current), chromedp.SetValue(chromedp.CSS("#password-new"), next),
			chromedp.SetValue(chromedp.CSS("#password-again"), again), chromedp.Click(chromedp.CSS("#password-submit")))
	}
	errorUnder := func(what, id string) string {
		t.Helper()
		return b.poll(what, `document.querySelector('#`+id+`[aria-invalid="true"]') && document.querySelector('#`+id+`-err').textContent`)
	}
	change(residentAccount[1], residentNewPassword, residentNewPassword+"x")
	if e := errorUnder("the mismatch", "password-again"); e != "两次输入的新密码不一致" {
		t.Errorf("a mismatch says %q", e)
	}
	change("not-my-password", residentNewPassword, residentNewPassword)
	if e := errorUnder("the wrong current password", "password-current"); e != "与当前密码不符" {
		t.Errorf("a wrong current password says %q", e)
	}
	if !strings.HasPrefix(eval[string](b, `location.hash`), "#/resident") {
		t.Fatal("a wrong current password signed the resident out")
	}
	change(residentAccount[1], "password123", "password123")
	if e := errorUnder("the common password", "password-new"); !strings.Contains(e, "常见") {
		t.Errorf("a common password says %q", e)
	}
	b.shot("password-refused")
	change(residentAccount[1], residentNewPassword, residentNewPassword)
	if ok := b.poll("the change done", `document.querySelector('#password-ok') && document.querySelector('#password-ok').textContent`); !strings.Contains(ok, "密码已修改") {
		t.Errorf("the change says %q", ok)
	}
	b.poll("only this device left", `document.querySelectorAll('#devices .device').length === 1 && document.querySelector('#devices .device .badge.active')`)
	b.fitsWidth(vp, "the resident's account page")
	if bad := b.englishOnScreen(allowed(t)); len(bad) > 0 {
		t.Errorf("the account page shows English: %q", bad)
	}
	b.shot("password-changed")
	srv.call(t, "GET", "/api/v1/auth/me", other, nil, 401, nil)
	b.do("reload", chromedp.Reload())
	b.poll("still signed in after a reload", `document.querySelector('#password-form') && document.querySelectorAll('#devices .device').length === 1`)
	srv.login(t, residentAccount[0], residentNewPassword)
	b.logout()

	// A long tab bar keeps its active tab in view.
	b.login(managerAccount)
	b.poll("the manager's pages", `location.hash.startsWith('#/manager')`)
	for _, tb := range []string{"entries", "report", "residents"} {
		b.do("open manager/"+tb, chromedp.Navigate(srv.URL+"/#/manager/"+tb))
		b.poll("the "+tb+" tab marked", `document.querySelector('#nav a[data-tab="`+tb+`"][aria-current="page"]')`)
		b.activeTabInView("manager/"+tb, width)
	}
	b.logout()

	// The access audit in Chinese.
	b.login([2]string{"admin", adminPassword})
	b.poll("the admin's pages", `location.hash.startsWith('#/admin')`)
	b.do("open the audit", chromedp.Navigate(srv.URL+"/#/admin/audit"))
	b.poll("the audit's records", `document.querySelectorAll('#view tbody tr').length >= 3 && !document.querySelector('#view tbody .empty')`)
	if bad := b.englishOnScreen(allowed(t)); len(bad) > 0 {
		t.Errorf("the audit shows English to a Chinese reader: %q", bad)
	}
	if text := eval[string](b, `document.querySelector('#view tbody').innerText`); !strings.Contains(text, "查看住户") || !strings.Contains(text, "用途：核查访客") {
		t.Errorf("the audit's records read:\n%s", text)
	}
	b.activeTabInView("admin/audit", width)
	b.shot("audit-375")
	b.check()
}
