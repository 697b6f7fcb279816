package webui

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatehouse/internal/gatehouse"
)

// phone is the visitor's phone: 375 px, touch.
var phone = viewport{Name: "phone", Width: 375, Height: 740, Mobile: true, Lang: "zh"}

// visitorID is a valid resident ID number whose serial part is n.
func visitorID(n int) string {
	first := fmt.Sprintf("44030319850101%03d", n)
	return first + string(gatehouse.ResidentIDCheckChar(first))
}

// register fills the visitor's form at the poster's URL and sends it.
func (b *browser) register(name, id, phoneNo, building, unit, room string, consent bool) {
	b.t.Helper()
	b.poll("the registration form", `document.querySelector('#visit-form [name="visitor.name"]')`)
	in := func(field, v string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.CSS(`#visit-form [name="`+field+`"]`), v)
	}
	b.do("fill the registration of "+name, in("visitor.name", name), in("visitor.id_number", id), in("visitor.phone", phoneNo),
		in("building", building), in("unit", unit), in("room", room), in("purpose", "探亲"))
	if consent {
		b.do("consent to the ID number", chromedp.Click(chromedp.CSS("#visit-consent-id")))
	}
	b.do("send the registration", chromedp.Click(chromedp.CSS("#visit-submit")))
}

// TestVisitorRegistersAtTheGateAndTheHouseholdApproves is issue 16's
// "done when": a manager prints a poster; a fresh phone-sized context opens
// its URL, fills the form and consents; the resident, signed in in another
// context, sees the request live and approves; the visitor's page shows
// the QR within 2 s without a reload; zbarimg reads it; the gate grants it.
// Then the deny path, and the expiry path with a made-up dwelling, which
// gets the same answer as a real one.
func TestVisitorRegistersAtTheGateAndTheHouseholdApproves(t *testing.T) {
	s := startServer(t)
	site := seed(t, s)
	out := outputDir(t, "visit")
	mgr := s.login(t, managerAccount[0], managerAccount[1])
	s.call(t, "PATCH", fmt.Sprintf("/api/v1/communities/%d", site.CommunityID), mgr, map[string]any{"visit_request_minutes": 1}, 200, nil)
	var gate struct {
		DeviceKey string `json:"device_key"`
	}
	s.call(t, "POST", fmt.Sprintf("/api/v1/gates/%d/rotate-key", site.GateID), mgr, nil, 200, &gate)

	// The manager prints a poster for the gate.
	desk := viewport{Name: "desk", Width: 1280, Height: 900, Lang: "zh"}
	m := tab(t, s, desk, out)
	m.do("open the app", chromedp.Navigate(s.URL+"/#/login"))
	m.login(managerAccount)
	m.poll("the manager's pages", `document.querySelector('#nav a[data-tab="posters"]')`)
	m.do("open the posters", chromedp.Click(chromedp.CSS(`#nav a[data-tab="posters"]`)))
	m.poll("the poster form", `document.querySelector('#poster-create')`)
	m.do("choose the gate", chromedp.SetValue(chromedp.CSS(`#poster-form [name="gate_id"]`), fmt.Sprint(site.GateID)))
	m.do("print a poster", chromedp.Click(chromedp.CSS("#poster-create")))
	m.poll("the printable poster", `document.querySelector('#poster-frame').contentDocument.querySelector('#poster-qr').complete`)
	m.shot("poster")
	dataURL := eval[string](m, `document.querySelector('#poster-frame').contentDocument.querySelector('#poster-qr').src`)
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(dataURL, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	posterPNG := filepath.Join(out, "poster-qr.png")
	if err := os.WriteFile(posterPNG, png, 0o644); err != nil {
		t.Fatal(err)
	}
	link := zbarimg(t, posterPNG)
	if !strings.HasPrefix(link, s.URL+"/v/") {
		t.Fatalf("the poster's QR reads %q", link)
	}
	m.check()

	// The resident watches its pending registrations.
	r := tab(t, s, phone, out)
	r.do("open the app", chromedp.Navigate(s.URL+"/#/login"))
	r.login(residentAccount)
	r.poll("the resident's pages", `document.querySelector('#nav a[data-tab="visits"]')`)
	r.do("open the registrations", chromedp.Click(chromedp.CSS(`#nav a[data-tab="visits"]`)))
	r.poll("the live panel", `document.querySelector('#visit-panel .live-dot.on')`)

	// A visitor for a made-up dwelling: the same answer, then it expires.
	c := tab(t, s, phone, out)
	c.do("open the poster's link", chromedp.Navigate(link))
	c.register("赵六", visitorID(3), "13700000003", "99栋", "9单元", "9999", true)
	c.poll("waiting, as for a real dwelling", `document.querySelector('#visit-status[data-status="pending"] .waiting')`)
	fakeText := eval[string](c, `document.querySelector('#visit-status').innerText`)

	// The visitor registers; without the consent the form says so.
	v := tab(t, s, phone, out)
	v.allowHTTPErrors = true
	v.do("open the poster's link", chromedp.Navigate(link))
	v.poll("the community and the notice", `document.querySelector('#visit-community').textContent === '翠竹苑' && document.querySelector('#visit-notice').innerText.includes('180')`)
	v.shot("visitor-form")
	v.register("张伟", visitorID(1), "13900000001", "3栋", "2单元", "502", false)
	v.poll("the consent asked for", `!document.querySelector('[data-field="consent.id_number"] .err').hidden`)
	v.do("consent to the ID number", chromedp.Click(chromedp.CSS("#visit-consent-id")), chromedp.Click(chromedp.CSS("#visit-submit")))
	v.poll("waiting for the household", `document.querySelector('#visit-status[data-status="pending"]')`)
	if got := eval[string](v, `document.querySelector('#visit-status').innerText`); got != fakeText {
		t.Fatalf("a real dwelling answers %q, a made-up one %q", got, fakeText)
	}
	eval[bool](v, `window.__sameDocument = true`)
	v.fitsWidth(phone, "the visitor's page")
	v.shot("visitor-waiting")

	// The resident sees it live, and approves.
	r.poll("the request, live", `[...document.querySelectorAll('#visit-requests li[data-status="pending"]')].some((li) => li.textContent.includes('张伟'))`)
	if eval[bool](r, `document.body.innerText.includes('赵六')`) {
		t.Fatal("the resident sees a request for another dwelling")
	}
	r.shot("resident-pending")
	approve := `[...document.querySelectorAll('#visit-requests li[data-status="pending"]')].find((li) => li.textContent.includes('张伟')).querySelector('[data-approve]')`
	eval[bool](r, approve+`.click(), true`)
	approved := time.Now()
	v.poll("the pass on the visitor's page", `document.querySelector('#visit-pass canvas')`)
	if d := time.Since(approved); d > 2*time.Second {
		t.Fatalf("the QR took %s to appear", d)
	}
	if !eval[bool](v, `window.__sameDocument === true`) {
		t.Fatal("the visitor's page reloaded")
	}
	qr := v.shotOf("visitor-pass-qr", "#visit-pass canvas")
	code := zbarimg(t, qr)
	if !strings.HasPrefix(code, "GH2") {
		t.Fatalf("the visitor's QR reads %q", code)
	}
	var scan struct{ Decision, Reason string }
	s.call(t, "POST", "/api/v1/scan", gate.DeviceKey, map[string]any{"code": code, "direction": "in"}, 200, &scan)
	if scan.Decision != "grant" {
		t.Fatalf("the gate: %+v", scan)
	}

	// The deny path.
	d := tab(t, s, phone, out)
	d.do("open the poster's link", chromedp.Navigate(link))
	d.register("钱七", visitorID(2), "13900000002", "3栋", "2单元", "502", true)
	d.poll("waiting", `document.querySelector('#visit-status[data-status="pending"]')`)
	r.poll("the second request, live", `[...document.querySelectorAll('#visit-requests li[data-status="pending"]')].some((li) => li.textContent.includes('钱七'))`)
	eval[bool](r, `[...document.querySelectorAll('#visit-requests li[data-status="pending"]')].find((li) => li.textContent.includes('钱七')).querySelector('[data-deny]').click(), true`)
	d.poll("未获批准 on the visitor's page", `document.querySelector('#visit-final') && document.querySelector('#visit-final').textContent === '未获批准'`)
	d.shot("visitor-denied")

	// The expiry path: a minute after it was sent.
	for i := 0; ; i++ {
		if eval[bool](c, `!!document.querySelector('#visit-final') && document.querySelector('#visit-final').textContent === '已过期'`) {
			break
		}
		if i > 90 {
			t.Fatal("the made-up dwelling's request did not expire")
		}
		time.Sleep(time.Second)
	}
	c.shot("visitor-expired")
	for _, b := range []*browser{r, c, v, d} {
		b.check()
	}
}
