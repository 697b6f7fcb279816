package webui

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var policeAccount = [2]string{"police1", "police-pass-1"}

// TestEveryRolesPagesWorkAndShowErrorsByTheirFields walks the pages of
// every role in the browser: each API error appears next to the field it
// concerns while what was typed stays, the import lists its bad lines, the
// device key is shown once, downloads arrive as files, the resident's
// rotating code and the guest link decode to codes, and no page has a
// script error or a request to another host.
func TestEveryRolesPagesWorkAndShowErrorsByTheirFields(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	st := seed(t, srv)
	admin := srv.login(t, "admin", adminPassword)
	srv.call(t, "POST", "/api/v1/users", admin, map[string]any{"username": policeAccount[0], "password": policeAccount[1], "role": "police",
		"community_ids": []int64{st.CommunityID}}, 201, nil)
	b := newBrowser(t, srv.Host, viewport{Name: "pages", Width: 1280, Height: 900}, outputDir(t, "pages"))
	b.allowHTTPErrors = true
	downloads := t.TempDir()
	b.allowDownloads(downloads)
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	b.autoConfirm()

	// Resident: a rejected invitation keeps what was typed and marks the field.
	b.login(residentAccount)
	b.poll("the invite form", `document.querySelector('#invite-form')`)
	// What was typed survives a switch of language.
	b.do("type a name, then switch to English",
		chromedp.SendKeys(chromedp.CSS(`#invite-form [name="visitor.name"]`), "李四"),
		chromedp.Click(chromedp.CSS("#lang")))
	b.poll("the English form with the name kept", `document.querySelector('#invite-submit').textContent === 'Make the pass' && document.querySelector('#invite-form [name="visitor.name"]').value === '李四'`)
	b.do("back to Chinese", chromedp.Click(chromedp.CSS("#lang")))
	b.poll("the Chinese form with the name kept", `document.querySelector('#invite-submit').textContent === '生成通行码' && document.querySelector('#invite-form [name="visitor.name"]').value === '李四'`)
	b.do("fill an invitation with a bad ID number",
		chromedp.SendKeys(chromedp.CSS(`#invite-form [name="visitor.id_number"]`), "440524188001010015"),
		chromedp.Click(chromedp.CSS("#invite-submit")))
	problem := b.poll("the ID number's error under its field", `(() => {
		const f = document.querySelector('#invite-form [name="visitor.id_number"]');
		const err = f && f.closest('.field').querySelector('.err');
		return f.getAttribute('aria-invalid') === 'true' && !err.hidden && err.textContent;
	})()`)
	t.Logf("the ID number's error: %s", problem)
	if name := eval[string](b, `document.querySelector('#invite-form [name="visitor.name"]').value`); name != "李四" {
		t.Fatalf("after the error the name field holds %q, want what was typed", name)
	}
	b.shot("resident-invite-error")
	b.do("correct the ID number",
		chromedp.SetValue(chromedp.CSS(`#invite-form [name="visitor.id_number"]`), "440524188001010014"),
		chromedp.Click(chromedp.CSS("#invite-submit")))
	code := b.poll("the pass", `document.querySelector('#pass-qr') && document.querySelector('#pass-qr').naturalWidth > 0 && document.querySelector('#pass-code').textContent`)
	passID := eval[string](b, `document.querySelector('#pass-card').dataset.passId`)

	// The guest's link draws the same code on the guest's phone, with no log-in.
	guest := b.newTab(srv.URL + "/#/guest/" + url.PathEscape(code)) // as the resident page links it: a GH2 code may hold % and space
	guest.poll("the guest's QR", `document.querySelector('#guest-pass canvas')`)
	if got := zbarimg(t, guest.shotOf("guest-link-qr", "#guest-pass canvas")); got != code {
		t.Fatalf("the guest link's QR decodes to %q, want %q", got, code)
	}
	guest.check()

	b.do("open my invitations", chromedp.Click(chromedp.CSS(`#nav a[data-tab="passes"]`)))
	b.poll("the pass in the list", `document.querySelector('#pass-list li[data-pass-id="`+passID+`"] button.danger')`)
	b.do("revoke it", chromedp.Click(chromedp.CSS(`#pass-list li[data-pass-id="`+passID+`"] button.danger`)))
	b.poll("the pass revoked", `document.querySelector('#pass-list li[data-pass-id="`+passID+`"] .badge.revoked')`)
	b.shot("resident-passes")

	b.do("open my code", chromedp.Click(chromedp.CSS(`#nav a[data-tab="code"]`)))
	own := b.poll("my rotating code", `(() => { const i = document.querySelector('#my-code-qr'); return i && i.naturalWidth > 0 && i.src.startsWith('data:image/png') && i.dataset.code; })()`)
	if got := zbarimg(t, b.shotOf("resident-own-code", "#my-code-qr")); got != own {
		t.Fatalf("my code's QR decodes to %q, want %q", got, own)
	}
	b.poll("the countdown", `/\d/.test(document.querySelector('#my-code-countdown').textContent)`)
	b.do("open arrivals", chromedp.Click(chromedp.CSS(`#nav a[data-tab="arrivals"]`)))
	b.poll("the arrivals page", `document.querySelector('#arrivals-live')`)
	b.shot("resident-arrivals")
	b.logout()

	// Guard: a walk-in through the host search, then an override whose
	// missing reason is marked on its field.
	b.login(guardAccount)
	b.poll("the console", `document.activeElement && document.activeElement.id === 'scan-code'`)
	b.do("scan a forged code", chromedp.KeyEvent("GH1forged-code-not-signed\r"))
	b.poll("the invalid code refused in words", `document.querySelector('#result[data-reason="invalid_code"]') && document.querySelector('#result-reason').textContent === '这不是有效的通行码'`)
	b.do("close", chromedp.KeyEvent(kb.Escape))
	b.do("open walk-ins", chromedp.Click(chromedp.CSS(`#nav a[data-tab="walkin"]`)))
	b.poll("the walk-in form", `document.querySelector('#walkin-form')`)
	b.do("send an empty walk-in", chromedp.Click(chromedp.CSS("#walkin-submit")))
	b.poll("the host's error by the host search", `document.querySelector('#host-search[aria-invalid="true"]')`)
	b.do("find the host", chromedp.SendKeys(chromedp.CSS("#host-search"), "502"))
	b.poll("the host found", `document.querySelector('.picker-results button')`)
	b.do("choose the host and fill the visitor",
		chromedp.Click(chromedp.CSS(".picker-results button")),
		chromedp.SendKeys(chromedp.CSS(`#walkin-form [name="visitor.name"]`), "李强"),
		chromedp.SendKeys(chromedp.CSS(`#walkin-form [name="visitor.id_number"]`), "440303199001010015"),
		chromedp.SendKeys(chromedp.CSS(`#walkin-form [name="purpose"]`), "送快递"))
	b.shot("guard-walkin-form")
	b.do("register the walk-in", chromedp.Click(chromedp.CSS("#walkin-submit")))
	b.poll("the walk-in let in", `document.querySelector('#result[data-decision="grant"]') && document.querySelector('#result-person').textContent === '李强'`)
	b.shot("guard-walkin-granted")
	b.do("close", chromedp.KeyEvent(kb.Escape))
	b.poll("closed", `!document.querySelector('#result')`)

	b.do("open overrides", chromedp.Navigate(srv.URL+"/#/guard/override/pass/"+passID))
	b.autoConfirm()
	b.poll("the override form with the pass", `document.querySelector('#override-form [name="pass_id"]') && document.querySelector('#override-form [name="pass_id"]').value === '`+passID+`'`)
	b.do("override without a reason", chromedp.Click(chromedp.CSS("#override-submit")))
	b.poll("the reason's error by its field", `document.querySelector('#override-form [name="reason"][aria-invalid="true"]')`)
	b.shot("guard-override-error")
	b.do("give a reason", chromedp.SendKeys(chromedp.CSS(`#override-form [name="reason"]`), "业主电话确认"), chromedp.Click(chromedp.CSS("#override-submit")))
	b.poll("the override granted", `document.querySelector('#result[data-reason="manual_override"]')`)
	b.do("close", chromedp.KeyEvent(kb.Escape))
	b.do("open the on-site list", chromedp.Click(chromedp.CSS(`#nav a[data-tab="onsite"]`)))
	b.poll("both visitors on site", `document.querySelector('#onsite-list').textContent.includes('李强') && document.querySelector('#onsite-list').textContent.includes('李四')`)
	b.shot("guard-onsite")
	b.logout()

	// Manager: residents (a rejected form, the CSV import's line errors,
	// then a good import), a gate's one-time key, an account, the
	// watchlist, settings, the entry log and the report's downloads.
	b.login(managerAccount)
	b.poll("the residents page", `document.querySelector('#resident-form') && document.querySelector('tr[data-resident-id]')`)
	b.do("register a resident with no phone",
		chromedp.SendKeys(chromedp.CSS(`#resident-form [name="name"]`), "陈静"),
		chromedp.SendKeys(chromedp.CSS(`#resident-form [name="id_number"]`), "440303199001010015"),
		chromedp.Click(chromedp.CSS(`#resident-form button[type="submit"]`)))
	b.poll("the phone's error by its field", `document.querySelector('#resident-form [name="phone"][aria-invalid="true"]') && document.querySelector('#resident-form [name="name"]').value === '陈静'`)
	b.shot("manager-resident-error")
	b.do("import a CSV with bad lines", chromedp.SetValue(chromedp.CSS("#import-text"),
		"姓名,证件类型,证件号码,电话,楼栋,单元,房号\n刘洋,居民身份证,11010519491231002X,12,1栋,1单元,101\n赵敏,居民身份证,440303199001010016,13800138002,1栋,1单元,102\n"),
		chromedp.Click(chromedp.CSS("#import-submit")))
	lines := b.poll("the import's line errors", `document.querySelector('#import-errors') && document.querySelector('#import-errors').textContent`)
	if !strings.Contains(lines, "第 2 行") || !strings.Contains(lines, "第 3 行") {
		t.Errorf("the import's errors %q do not name lines 2 and 3", lines)
	}
	if v := eval[string](b, `document.querySelector('#import-text').value`); !strings.Contains(v, "赵敏") {
		t.Error("the rejected CSV was cleared; it should stay to be fixed")
	}
	b.shot("manager-import-errors")
	b.do("import a good CSV", chromedp.SetValue(chromedp.CSS("#import-text"),
		"name,id_type,id_number,phone,building,unit,room\n刘洋,resident_id,440303199001010015,13800138001,1栋,1单元,101\n"),
		chromedp.Click(chromedp.CSS("#import-submit")))
	b.poll("the import done", `document.querySelector('#import-ok')`)

	b.do("open gates", chromedp.Click(chromedp.CSS(`#nav a[data-tab="gates"]`)))
	b.poll("the gates page", `document.querySelector('#gate-form') && document.querySelector('tr[data-gate-id]')`)
	b.do("add a gate", chromedp.SendKeys(chromedp.CSS(`#gate-form [name="name"]`), "北门"), chromedp.Click(chromedp.CSS(`#gate-form button[type="submit"]`)))
	if key := b.poll("the device key, once", `document.querySelector('#device-key-value') && document.querySelector('#device-key-value').textContent`); !strings.HasPrefix(key, "ghk_") {
		t.Errorf("device key %q, want ghk_...", key)
	}
	b.poll("the copy button", `document.querySelector('#device-key-copy')`)
	b.shot("manager-gate-key")

	b.do("open accounts", chromedp.Click(chromedp.CSS(`#nav a[data-tab="accounts"]`)))
	b.poll("the accounts", `document.querySelector('#accounts-list tbody tr') && document.querySelector('#accounts-list').textContent.includes('guard1')`)
	b.do("create a guard account with a short password",
		chromedp.SendKeys(chromedp.CSS(`#account-form [name="username"]`), "guard2"),
		chromedp.SendKeys(chromedp.CSS(`#account-form [name="password"]`), "short"),
		chromedp.Click(chromedp.CSS("#account-submit")))
	b.poll("the password's error", `document.querySelector('#account-form [name="password"][aria-invalid="true"]')`)
	b.do("a longer password",
		chromedp.SetValue(chromedp.CSS(`#account-form [name="password"]`), "guard-pass-2"),
		chromedp.Click(chromedp.CSS("#account-submit")))
	b.poll("the new account listed", `document.querySelector('#accounts-list').textContent.includes('guard2')`)

	b.do("open the watchlist", chromedp.Click(chromedp.CSS(`#nav a[data-tab="watchlist"]`)))
	b.poll("the watchlist form", `document.querySelector('#watchlist-form')`)
	b.do("add a person",
		chromedp.SendKeys(chromedp.CSS(`#watchlist-form [name="id_number"]`), "440303199001010015"),
		chromedp.SendKeys(chromedp.CSS(`#watchlist-form [name="reason"]`), "多次滋事"),
		chromedp.Click(chromedp.CSS(`#watchlist-form button[type="submit"]`)))
	b.poll("the person listed", `document.querySelector('main').textContent.includes('多次滋事')`)

	b.do("open settings", chromedp.Click(chromedp.CSS(`#nav a[data-tab="settings"]`)))
	b.poll("the settings", `document.querySelector('form[id^="community-form-"] [name="max_pass_days"]')`)
	b.do("a bad setting",
		chromedp.SetValue(chromedp.CSS(`form[id^="community-form-"] [name="max_pass_days"]`), "0"),
		chromedp.Click(chromedp.CSS(`form[id^="community-form-"] button[type="submit"]`)))
	b.poll("the setting's error", `document.querySelector('form[id^="community-form-"] [name="max_pass_days"][aria-invalid="true"]')`)
	b.do("a good setting",
		chromedp.SetValue(chromedp.CSS(`form[id^="community-form-"] [name="max_pass_days"]`), "14"),
		chromedp.Click(chromedp.CSS(`form[id^="community-form-"] button[type="submit"]`)))
	b.poll("saved", `document.querySelector('form[id^="community-form-"] .form-ok')`)

	b.do("open entries", chromedp.Click(chromedp.CSS(`#nav a[data-tab="entries"]`)))
	b.poll("the entry log", `document.querySelectorAll('#entries-list tbody tr').length >= 3`)
	b.shot("manager-entries")

	b.do("open the report", chromedp.Click(chromedp.CSS(`#nav a[data-tab="report"]`)))
	b.poll("the report", `document.querySelector('[data-stat="visits.total"]')`)
	b.do("download the CSV", chromedp.Click(chromedp.CSS("#report-csv")))
	waitFile(t, downloads, ".csv")
	b.do("download the XLSX", chromedp.Click(chromedp.CSS("#report-xlsx")))
	waitFile(t, downloads, ".xlsx")
	b.logout()

	// Police: a query without its case reference is refused by field; a
	// good one lists the entries and exports them.
	b.login(policeAccount)
	b.poll("the query form", `document.querySelector('#police-form')`)
	b.do("query with no reasons", chromedp.Click(chromedp.CSS("#police-submit")))
	b.poll("case_ref and purpose marked", `document.querySelector('#police-form [name="case_ref"][aria-invalid="true"]') && document.querySelector('#police-form [name="purpose"][aria-invalid="true"]')`)
	b.shot("police-errors")
	b.do("a proper query",
		chromedp.SendKeys(chromedp.CSS(`#police-form [name="case_ref"]`), "罗公(刑)字2026第118号"),
		chromedp.SendKeys(chromedp.CSS(`#police-form [name="purpose"]`), "核查来访人员"),
		chromedp.SendKeys(chromedp.CSS(`#police-form [name="name"]`), "李"),
		chromedp.Click(chromedp.CSS("#police-submit")))
	b.poll("the results", `document.querySelector('#police-results tbody tr') && document.querySelector('#police-results').textContent.includes('李强')`)
	b.do("export", chromedp.Click(chromedp.CSS("#police-export")))
	b.poll("the export's checksum", `document.querySelector('#police-results .form-ok .mono') && document.querySelector('#police-results .form-ok .mono').textContent.length === 64`)
	waitFile(t, downloads, "police-query-1.csv")
	b.shot("police-results")
	b.do("open my queries", chromedp.Click(chromedp.CSS(`#nav a[data-tab="history"]`)))
	b.poll("the query listed", `document.querySelector('main').textContent.includes('核查来访人员')`)
	b.logout()

	// Admin: communities, accounts, the audit (which holds the police
	// query) and the entry chain check.
	b.login([2]string{"admin", adminPassword})
	b.poll("the communities", `document.querySelector('tr[data-community-id]')`)
	b.do("create a community", chromedp.SendKeys(chromedp.CSS(`#community-new-form [name="name"]`), "碧波花园"),
		chromedp.Click(chromedp.CSS(`#community-new-form button[type="submit"]`)))
	b.poll("the new community listed", `document.querySelectorAll('tr[data-community-id]').length === 2`)
	b.do("open accounts", chromedp.Click(chromedp.CSS(`#nav a[data-tab="accounts"]`)))
	b.poll("every account", `document.querySelector('#accounts-list').textContent.includes('police1')`)
	b.do("open the audit", chromedp.Click(chromedp.CSS(`#nav a[data-tab="audit"]`)))
	b.poll("the police query audited", `document.querySelector('main').textContent.includes('罗公(刑)字2026第118号')`)
	b.do("verify the audit chain", chromedp.Click(chromedp.CSS("#audit-verify")))
	b.poll("the audit chain intact", `document.querySelector('#audit-form .form-ok')`)
	b.shot("admin-audit")
	b.do("open entries", chromedp.Click(chromedp.CSS(`#nav a[data-tab="entries"]`)))
	b.do("verify the entry chain", chromedp.Click(chromedp.CSS("#entries-verify")))
	b.poll("the entry chain intact", `document.querySelector('#entries-form .form-ok')`)
	b.do("open the report", chromedp.Click(chromedp.CSS(`#nav a[data-tab="report"]`)))
	b.poll("the report of every community", `document.querySelector('[data-stat="residents.total"]') && document.querySelector('[data-stat="residents.total"]').textContent === '2'`)
	b.shot("admin-report")
	b.check()
}

// autoConfirm answers yes to confirm() and gives prompt() a password, as a
// user would, on the current page.
func (b *browser) autoConfirm() {
	b.t.Helper()
	eval[any](b, `window.confirm = () => true, window.prompt = () => 'a-new-password-1', true`)
}

// newTab opens url in another tab of the same browser, watched like the first.
func (b *browser) newTab(url string) *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	tab := &browser{t: b.t, ctx: ctx, host: b.host, out: b.out, step: b.step + 50}
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatal(err)
	}
	tab.watch()
	tab.do("open "+url, chromedp.Navigate(url))
	return tab
}

// waitFile waits for a finished download whose name ends with suffix.
func waitFile(t *testing.T, dir, suffix string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) {
				p := filepath.Join(dir, e.Name())
				if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
					return p
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no download ending with %s in %s", suffix, dir)
	return ""
}
