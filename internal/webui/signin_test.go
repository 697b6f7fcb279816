package webui

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatehouse/internal/testproc"
)

// startServerWithLog is startServer that also returns the process, whose
// log the SMS log sender writes codes to.
func startServerWithLog(t *testing.T) (*server, *testproc.Proc) {
	t.Helper()
	dir := t.TempDir()
	p := testproc.Start(t, testproc.Binary(t, "gatehouse/cmd/gatehouse"), []string{"serve"}, map[string]string{
		"HOME":                     dir,
		"GATEHOUSE_ADDR":           "127.0.0.1:0",
		"GATEHOUSE_DB_DSN":         filepath.Join(dir, "gatehouse.db"),
		"GATEHOUSE_KEY_DIR":        filepath.Join(dir, "keys"),
		"GATEHOUSE_ADMIN_PASSWORD": adminPassword,
		"GATEHOUSE_LOG_LEVEL":      "info",
		"GATEHOUSE_SMS_PROVIDER":   "log",
	})
	t.Cleanup(func() {
		p.Signal(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("gatehouse serve log:\n%s", tail(p.Log(), 60))
		}
	})
	addr := p.Listening(t)
	return &server{Host: addr, URL: "http://" + addr}, p
}

const residentPhone, residentNewPassword = "13800138000", "Lychee-Harbour-42"

// TestActivationLetterThenARememberedDeviceThenSMS: a manager prints a
// resident's activation letter; the resident opens its link on a phone,
// types the phone number and a password, remembers the device, and lands
// on the resident's page; a new tab, and the browser closed and reopened on
// the same profile, are still signed in. Then, on another phone, the
// resident signs in with a texted code read from the server's log (the log
// sender) and sees both devices, and signs the first out.
func TestActivationLetterThenARememberedDeviceThenSMS(t *testing.T) {
	chromiumPath(t)
	srv, proc := startServerWithLog(t)
	st := seed(t, srv)
	out := outputDir(t, "signin")

	mgr := newBrowser(t, srv.Host, viewport{Name: "manager", Width: 1280, Height: 900}, out)
	mgr.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	mgr.login(managerAccount)
	mgr.poll("the residents list", `document.querySelector('tr[data-resident-id="`+itoa(st.ResidentID)+`"] .letter-print')`)
	mgr.do("print the activation letter", chromedp.Click(chromedp.CSS(`tr[data-resident-id="`+itoa(st.ResidentID)+`"] .letter-print`)))
	code := mgr.poll("the letter's code", `document.querySelector('#letter-frame').contentDocument.querySelector('#letter-code').textContent`)
	if !regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(code) {
		t.Fatalf("letter code %q", code)
	}
	letterText := eval[string](mgr, `document.querySelector('#letter-frame').contentDocument.body.innerText`)
	if !strings.Contains(letterText, "住户激活函") || !strings.Contains(letterText, "3栋") {
		t.Errorf("the letter reads: %s", letterText)
	}
	mgr.shot("activation-letter")

	// The resident's phone, on a profile kept on disk.
	profile := t.TempDir()
	phone := newBrowser(t, srv.Host, viewport{Name: "phone", Width: 375, Height: 812, Mobile: true}, out, chromedp.UserDataDir(profile))
	phone.do("open the letter's link", chromedp.Navigate(srv.URL+"/#/activate/"+code))
	phone.poll("the dwelling of the letter", `document.querySelector('#activate-where').textContent.includes('502')`)
	phone.do("type phone and password, remember the device",
		chromedp.SendKeys(chromedp.CSS("#activate-phone"), residentPhone),
		chromedp.SendKeys(chromedp.CSS("#activate-password"), residentNewPassword),
		chromedp.Click(chromedp.CSS("#activate-remember")),
		chromedp.Click(chromedp.CSS("#activate-submit")))
	phone.poll("the resident's page", `location.hash.startsWith('#/resident') && document.querySelector('#invite-form')`)
	phone.shot("activated")

	tab := phone.newTab(srv.URL + "/")
	tab.poll("the resident's page in a new tab", `location.hash.startsWith('#/resident') && document.querySelector('#invite-form')`)

	// Close the browser (the profile stays) and open it again.
	if err := chromedp.Cancel(phone.ctx); err != nil {
		t.Fatalf("close the phone's browser: %v", err)
	}
	reopened := newBrowser(t, srv.Host, viewport{Name: "phone", Width: 375, Height: 812, Mobile: true}, out, chromedp.UserDataDir(profile))
	reopened.allowHTTPErrors = true // signed out at the end: its /auth/me answers 401
	reopened.do("reopen the UI", chromedp.Navigate(srv.URL+"/"))
	reopened.poll("the resident's page after reopening the browser", `location.hash.startsWith('#/resident') && document.querySelector('#invite-form')`)

	// Another phone signs in with a texted code.
	other := newBrowser(t, srv.Host, viewport{Name: "other", Width: 375, Height: 812, Mobile: true}, out)
	other.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	other.poll("the log-in card", `document.querySelector('#login-tab-sms')`)
	other.do("ask for a code",
		chromedp.Click(chromedp.CSS("#login-tab-sms")),
		chromedp.SendKeys(chromedp.CSS("#sms-phone"), residentPhone),
		chromedp.Click(chromedp.CSS("#sms-send")))
	other.poll("the resend countdown", `document.querySelector('#sms-send').disabled && /\d/.test(document.querySelector('#sms-send').textContent)`)
	smsCode := ""
	re := regexp.MustCompile(`"phone":"138\*\*\*\*8000","code":"(\d{6})"`)
	for deadline := time.Now().Add(10 * time.Second); smsCode == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(proc.Log()); m != nil {
			smsCode = m[1]
		}
	}
	if smsCode == "" {
		t.Fatal("no code in the server's log")
	}
	other.do("type the code and sign in",
		chromedp.SendKeys(chromedp.CSS("#sms-code"), smsCode),
		chromedp.Click(chromedp.CSS("#sms-submit")))
	other.poll("the resident's page", `location.hash.startsWith('#/resident') && document.querySelector('#invite-form')`)

	// The devices: this one and the remembered phone; sign the phone out.
	other.do("open the devices", chromedp.Navigate(srv.URL+"/#/resident/devices"))
	other.poll("two devices", `document.querySelectorAll('#devices .device').length === 2`)
	other.shot("devices")
	other.do("sign the remembered phone out", chromedp.Click(chromedp.CSS("#devices .device-signout")))
	other.poll("one device left", `document.querySelectorAll('#devices .device').length === 1`)
	reopened.do("reload the phone", chromedp.Reload())
	reopened.poll("the phone back at the log-in page", `location.hash === '#/login' && document.querySelector('#login-username')`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
