package webui

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"gatehouse/internal/gatehouse"
)

// The web side of self-registration's settings and of the guard's gate: a
// manager sets how long requests wait and what an approval gives on the
// settings page (a bad value shown under its field), and a guard at the
// south gate sees the requests made there and through the community's
// poster, not those of the north gate.
func TestSelfRegistrationSettingsAndTheGuardsGate(t *testing.T) {
	srv := startServer(t)
	st := seed(t, srv)
	out := outputDir(t, "visit-settings")
	mgr := srv.login(t, managerAccount[0], managerAccount[1])
	desk := viewport{Name: "desk", Width: 1280, Height: 900, Lang: "zh"}

	m := tab(t, srv, desk, out)
	m.allowHTTPErrors = true // the refused value
	m.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	m.login(managerAccount)
	m.poll("the manager's pages", `document.querySelector('#nav a[data-tab="settings"]')`)
	m.do("open the settings", chromedp.Click(chromedp.CSS(`#nav a[data-tab="settings"]`)))
	form := `form[id^="community-form-"] `
	m.poll("the self-registration settings", `document.querySelector('`+form+`[name="visit_pass_hours"]').value === '8'`)
	if got := eval[string](m, `[...document.querySelectorAll('`+form+`[name^="visit_"]')].map((e) => e.name + '=' + e.value).join(' ')`); got !=
		"visit_request_minutes=10 visit_pass_hours=8 visit_pass_entries=1" {
		t.Fatalf("the settings page shows %q", got)
	}
	m.do("a pass longer than the community allows", chromedp.SetValue(chromedp.CSS(form+`[name="visit_pass_hours"]`), "200"),
		chromedp.Click(chromedp.CSS(form+`button[type="submit"]`)))
	m.poll("the field's error", `document.querySelector('`+form+`[name="visit_pass_hours"][aria-invalid="true"]')`)
	m.do("set the defaults", chromedp.SetValue(chromedp.CSS(form+`[name="visit_request_minutes"]`), "5"),
		chromedp.SetValue(chromedp.CSS(form+`[name="visit_pass_hours"]`), "4"),
		chromedp.SetValue(chromedp.CSS(form+`[name="visit_pass_entries"]`), "2"),
		chromedp.Click(chromedp.CSS(form+`button[type="submit"]`)))
	m.poll("saved", `document.querySelector('`+form+`.form-ok')`)
	m.shot("manager-settings")
	var com struct {
		Minutes int `json:"visit_request_minutes"`
		Hours   int `json:"visit_pass_hours"`
		Entries int `json:"visit_pass_entries"`
	}
	srv.call(t, "GET", fmt.Sprintf("/api/v1/communities/%d", st.CommunityID), mgr, nil, 200, &com)
	if com.Minutes != 5 || com.Hours != 4 || com.Entries != 2 {
		t.Fatalf("saved %+v, want 5 minutes, 4 hours, 2 entries", com)
	}

	// Posters at the south gate, the north gate and for the whole community.
	var north struct{ ID int64 }
	srv.call(t, "POST", "/api/v1/gates", mgr, map[string]any{"community_id": st.CommunityID, "name": "北门"}, 201, &north)
	poster := func(body map[string]any) string {
		var p struct{ Token string }
		srv.call(t, "POST", fmt.Sprintf("/api/v1/communities/%d/posters", st.CommunityID), mgr, body, 201, &p)
		return p.Token
	}
	register := func(token, name string, n int) {
		srv.call(t, "POST", "/api/v1/register/"+token, "", map[string]any{
			"visitor":  map[string]any{"name": name, "id_type": "resident_id", "id_number": visitorID(n), "phone": fmt.Sprintf("1370000%04d", n)},
			"building": "3栋", "unit": "2单元", "room": "502", "purpose": "探亲",
			"consent": map[string]any{"id_number": true, "notice_version": gatehouse.VisitNoticeVersion}}, 202, nil)
	}
	register(poster(map[string]any{"gate_id": st.GateID}), "南门访客", 11)
	register(poster(map[string]any{"gate_id": north.ID}), "北门访客", 12)
	register(poster(map[string]any{}), "小区访客", 13)

	g := tab(t, srv, desk, out)
	g.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	g.login(guardAccount)
	g.poll("the guard's pages", `document.querySelector('#nav a[data-tab="visits"]')`)
	if label := eval[string](g, `document.querySelector('#nav a[data-tab="visits"]').textContent`); label != "扫码登记" {
		t.Errorf("the guard's tab of visit requests says %q, want 扫码登记 (the walk-in tab is 访客登记)", label)
	}
	g.do("open the requests", chromedp.Click(chromedp.CSS(`#nav a[data-tab="visits"]`)))
	g.poll("the south gate's requests", `document.querySelectorAll('#visit-requests li[data-status="pending"]').length === 2`)
	names := eval[string](g, `[...document.querySelectorAll('#visit-requests li .who-line')].map((e) => e.textContent.split(' · ')[0]).join(' ')`)
	if names != "小区访客 南门访客" {
		t.Errorf("the guard at the south gate sees %q, want 小区访客 南门访客", names)
	}
	g.shot("guard-gate-requests")
	for _, b := range []*browser{m, g} {
		b.check()
	}
}
