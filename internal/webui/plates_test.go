package webui

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// vzRead is a 臻识 (Vzenith) camera's push of one plate, in the fields of
// the vendor's HTTP protocol.
func vzRead(serial, license string, plateID int64) string {
	return fmt.Sprintf(`{"AlarmInfoPlate":{"channel":0,"deviceName":"IVS","ipaddr":"192.168.1.100","serialno":%q,
		"result":{"PlateResult":{"license":%q,"colorType":1,"confidence":95,"direction":4,"plateid":%d,"isoffline":0,
		"timeStamp":{"Timeval":{"sec":%d,"usec":0}},"triggerType":8,"type":1}}}}`, serial, license, plateID, time.Now().Unix())
}

// push posts a read to the camera's URL and returns the answer's info.
func push(t *testing.T, url, body string) string {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var a struct {
		Response struct{ Info string } `json:"Response_AlarmInfoPlate"`
	}
	if res.StatusCode != 200 || json.Unmarshal(raw, &a) != nil {
		t.Fatalf("push: %d %s", res.StatusCode, raw)
	}
	return a.Response.Info
}

// TestGuardLetsAnUnknownCarInWithOneTap is issue 20's console: a vehicle
// gate's camera reads a plate nobody registered; the guard's console (zh-CN)
// shows the camera's plate with the registered plates it resembles, and the
// one-tap 登记放行 (host by dwelling, purpose) makes the car's next read open
// the barrier.
func TestGuardLetsAnUnknownCarInWithOneTap(t *testing.T) {
	srv := startServer(t)
	st := seed(t, srv)
	out := outputDir(t, "plates")
	mgr := srv.login(t, managerAccount[0], managerAccount[1])
	var gate struct {
		ID        int64  `json:"id"`
		CameraURL string `json:"camera_url"`
	}
	srv.call(t, "POST", "/api/v1/gates", mgr, map[string]any{"community_id": st.CommunityID, "name": "车行入口"}, 201, &gate)
	srv.call(t, "PATCH", fmt.Sprintf("/api/v1/gates/%d", gate.ID), mgr, map[string]any{"kind": "vehicle",
		"camera": map[string]any{"vendor": "vzenith", "serial": "fe71e106-57263272", "lane": "in"}}, 200, &gate)
	srv.call(t, "POST", fmt.Sprintf("/api/v1/residents/%d/vehicles", st.ResidentID), mgr, map[string]any{"plate": "粤B66666"}, 201, nil)

	desk := viewport{Name: "desk", Width: 1280, Height: 900, Lang: "zh"}
	g := tab(t, srv, desk, out)
	g.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	g.login(guardAccount)
	g.poll("the live feed connected", `document.querySelector('#live-dot.on')`)

	// A misread of a resident's plate (B read as 8): a card with the close match.
	if info := push(t, gate.CameraURL, vzRead("fe71e106-57263272", "粤866666", 1)); info != "no" {
		t.Fatalf("a misread opened: %s", info)
	}
	m := g.poll("the misread's card", `document.querySelector('[data-plate="粤866666"] .plate-matches') && document.querySelector('[data-plate="粤866666"] .plate-matches').textContent`)
	if m != "相近的已登记车牌：粤B66666（请核对车牌）" {
		t.Errorf("the card's close matches say %q", m)
	}
	g.do("dismiss it", chromedp.Click(chromedp.CSS(`[data-plate="粤866666"] button.secondary`)))

	// An unknown plate: its card, and the one tap.
	if info := push(t, gate.CameraURL, vzRead("fe71e106-57263272", "京A00001", 2)); info != "no" {
		t.Fatalf("an unknown plate opened: %s", info)
	}
	reason := g.poll("the unknown plate's card", `document.querySelector('[data-plate="京A00001"] .plate-reason') && document.querySelector('[data-plate="京A00001"] .plate-reason').textContent`)
	if reason != "未登记的车牌，请门卫核实" {
		t.Errorf("the card says %q", reason)
	}
	g.do("find the host by dwelling", chromedp.SendKeys(chromedp.CSS(`[data-plate="京A00001"] input[type=search]`), "3-2-502"))
	g.poll("the host found", `document.querySelector('[data-plate="京A00001"] .picker-results button')`)
	g.do("pick the host", chromedp.Click(chromedp.CSS(`[data-plate="京A00001"] .picker-results button`)))
	g.shot("guard-unknown-plate")
	g.do("登记放行", chromedp.Click(chromedp.CSS(`[data-plate="京A00001"] button[type=submit]`)))
	g.poll("the card gone once admitted", `!document.querySelector('[data-plate="京A00001"]')`)

	// A watched plate: an alert, with no 登记放行.
	srv.call(t, "POST", "/api/v1/plate-watchlist", mgr, map[string]any{"community_id": st.CommunityID, "plate": "粤C55555", "reason": "多次冲卡"}, 201, nil)
	if info := push(t, gate.CameraURL, vzRead("fe71e106-57263272", "粤C55555", 4)); info != "no" {
		t.Fatalf("a watched plate opened: %s", info)
	}
	warn := g.poll("the watched plate's alert", `document.querySelector('[data-plate="粤C55555"] .plate-reason') && document.querySelector('[data-plate="粤C55555"] .plate-reason').textContent`)
	if warn != "重点关注车牌，已拒绝进入：请勿放行，并联系物业经理" || eval[bool](g, `!!document.querySelector('[data-plate="粤C55555"] button[type=submit]')`) {
		t.Errorf("the watched plate's card says %q (or offers 登记放行)", warn)
	}

	// The car's next read opens the barrier, and the feed shows it.
	if info := push(t, gate.CameraURL, vzRead("fe71e106-57263272", "京A00001", 3)); info != "ok" {
		t.Fatalf("the admitted car's next read: %s", info)
	}
	g.poll("the grant in the feed", `[...document.querySelectorAll('#live-feed li[data-decision="grant"]')].some((li) => li.textContent.includes('京A00001'))`)
	g.check()
}

// TestManagerRegistersAGateCameraAndRotatesItsURL is the manager's side: a
// gate becomes a vehicle gate with its camera, the push URL is shown once
// and works; a new URL ends the old one.
func TestManagerRegistersAGateCameraAndRotatesItsURL(t *testing.T) {
	srv := startServer(t)
	st := seed(t, srv)
	out := outputDir(t, "cameras")
	desk := viewport{Name: "desk", Width: 1280, Height: 900, Lang: "zh"}
	m := tab(t, srv, desk, out)
	m.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	m.login(managerAccount)
	m.poll("the manager's pages", `document.querySelector('#nav a[data-tab="gates"]')`)
	m.do("open the gates", chromedp.Click(chromedp.CSS(`#nav a[data-tab="gates"]`)))
	sel := fmt.Sprintf(`button[data-camera="%d"]`, st.GateID)
	m.poll("the camera button", `document.querySelector('`+sel+`')`)
	m.do("register a camera", chromedp.Click(chromedp.CSS(sel)))
	m.poll("the camera form", `document.querySelector('#camera-serial-`+fmt.Sprint(st.GateID)+`')`)
	m.do("type its serial, pick the exit lane and save",
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`#camera-serial-%d`, st.GateID)), "fe71e106-57263272"),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`#camera-lane-%d`, st.GateID)), "out"),
		chromedp.Click(chromedp.CSS(`.camera-form button[type=submit]`)))
	url := m.poll("the push URL, shown once", `document.querySelector('#camera-url-value') && document.querySelector('#camera-url-value').textContent`)
	if !strings.HasPrefix(url, srv.URL+"/api/v1/lpr/vzenith/ghc_") {
		t.Fatalf("camera URL %q", url)
	}
	cell := m.poll("the gate's camera in its row", `document.querySelector('tr[data-gate-id="`+fmt.Sprint(st.GateID)+`"] .gate-camera') && document.querySelector('tr[data-gate-id="`+fmt.Sprint(st.GateID)+`"] .gate-camera').textContent`)
	if cell != "车行 · vzenith fe71e106-57263272 · 出口车道" {
		t.Errorf("the row says %q", cell)
	}
	m.shot("manager-gate-camera")
	if info := push(t, url, vzRead("fe71e106-57263272", "京A00001", 1)); info != "no" {
		t.Fatalf("the camera's first read: %s", info)
	}
	keep := url

	// 王芳's car, registered on the residents' page, opens the barrier.
	m.do("open the residents", chromedp.Click(chromedp.CSS(`#nav a[data-tab="residents"]`)))
	vb := fmt.Sprintf(`button[data-vehicles="%d"]`, st.ResidentID)
	m.poll("the vehicles button", `document.querySelector('`+vb+`')`)
	m.do("open 王芳's vehicles", chromedp.Click(chromedp.CSS(vb)))
	m.poll("the vehicles form", `document.querySelector('#vehicle-plate')`)
	m.allowHTTPErrors = true // the bad plate's 422 is the point
	m.do("register a bad plate", chromedp.SendKeys(chromedp.CSS(`#vehicle-plate`), "粤B1"), chromedp.Click(chromedp.CSS(`#vehicles-form button[type=submit]`)))
	if msg := m.poll("the plate's problem", `!document.querySelector('#vehicles-form .form-error').hidden && document.querySelector('#vehicles-form .form-error').textContent`); !strings.Contains(msg, "粤B12345") {
		t.Errorf("the bad plate's message %q", msg)
	}
	eval[any](m, `document.querySelector('#vehicle-plate').value = '', document.querySelector('#vehicle-color').value = 'blue', true`)
	m.do("register 粤b 66666", chromedp.SendKeys(chromedp.CSS(`#vehicle-plate`), "粤b 66666"), chromedp.Click(chromedp.CSS(`#vehicles-form button[type=submit]`)))
	m.poll("the vehicle listed", `[...document.querySelectorAll('.vehicle-list li strong')].some((e) => e.textContent === '粤B66666')`)
	m.shot("manager-resident-vehicles")
	// The camera on 南门 is an exit lane: the car is let out.
	if info := push(t, url, vzRead("fe71e106-57263272", "粤B66666", 2)); info != "ok" {
		t.Fatalf("王芳's car at the exit lane: %s", info)
	}

	// A watched plate, added on the watchlist page.
	m.do("open the watchlist", chromedp.Click(chromedp.CSS(`#nav a[data-tab="watchlist"]`)))
	m.poll("the plate watchlist", `document.querySelector('#watch-plate')`)
	m.do("watch 粤C55555", chromedp.SendKeys(chromedp.CSS(`#watch-plate`), "粤C55555"), chromedp.SendKeys(chromedp.CSS(`#watch-plate-reason`), "多次冲卡"),
		chromedp.Click(chromedp.CSS(`#watch-plate-form button[type=submit]`)))
	m.poll("the watched plate listed", `document.querySelector('#plate-watchlist tr[data-plate="粤C55555"]')`)

	// A new URL: the old one is not heard any more.
	m.do("open the gates again", chromedp.Click(chromedp.CSS(`#nav a[data-tab="gates"]`)))
	m.poll("the camera's row", `document.querySelector('tr[data-gate-id="`+fmt.Sprint(st.GateID)+`"] .gate-camera')`)
	eval[any](m, `window.confirm = () => true, true`)
	m.do("rotate the URL", chromedp.Click(chromedp.CSS(`tr[data-gate-id="`+fmt.Sprint(st.GateID)+`"] button[data-camera] + button`)))
	m.poll("a new URL", `document.querySelector('#camera-url-value') && document.querySelector('#camera-url-value').textContent !== '`+url+`'`)
	res, err := http.Post(keep, "application/json", strings.NewReader(vzRead("fe71e106-57263272", "京A00001", 3)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("the old URL after rotation: %d", res.StatusCode)
	}
	m.check()
}
