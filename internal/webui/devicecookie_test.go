package webui

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// deviceCookie is the browser's gatehouse_device cookie for the API, or nil.
func (b *browser) deviceCookie(serverURL string) *network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{serverURL + "/api/v1/auth/login"}})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "gatehouse_device" {
			return c
		}
	}
	return nil
}

// TestTheBrowserKeepsItsDeviceTokenForTheNextSignIn: signing in through the
// web UI leaves the remembered-device cookie in the browser, out of
// scripts' reach, and the browser sends it with its next sign-in (the
// server keeps the token it recognizes, where it would otherwise make a
// new one): what spares the owner the account-wide login limit on a new
// network.
func TestTheBrowserKeepsItsDeviceTokenForTheNextSignIn(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	b := tab(t, srv, viewport{Name: "desk", Width: 1280, Height: 900}, outputDir(t, "device-cookie"))
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	b.login([2]string{"admin", adminPassword})
	b.poll("signed in", `!document.querySelector('#logout').hidden`)
	first := b.deviceCookie(srv.URL)
	if first == nil || !strings.HasPrefix(first.Value, "ghd_") || !first.HTTPOnly || first.SameSite != network.CookieSameSiteStrict || first.Path != "/api/v1/" {
		t.Fatalf("after signing in, the device cookie is %+v; want ghd_…, HttpOnly, SameSite=Strict, Path=/api/v1/", first)
	}
	if s := eval[string](b, `document.cookie`); strings.Contains(s, "ghd_") {
		t.Fatalf("scripts can read the device token: document.cookie = %q", s)
	}
	b.logout()
	b.login([2]string{"admin", adminPassword})
	b.poll("signed in again", `!document.querySelector('#logout').hidden`)
	if second := b.deviceCookie(srv.URL); second == nil || second.Value != first.Value {
		t.Fatalf("after signing in again the cookie is %+v, want the same token %q: the browser did not send it", second, first.Value)
	}
	b.check()
}
