package webui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium (or the browser GATEHOUSE_CHROMIUM
// names). A missing browser fails the test: `make test` installs it
// through scripts/testdeps.sh.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GATEHOUSE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("GATEHOUSE_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium found: the web UI tests drive a real browser. Install it with `./scripts/testdeps.sh` " +
		"(as root: apt-get install -y chromium), or name one in GATEHOUSE_CHROMIUM")
	return ""
}

// viewport is the size of the window a flow runs in.
type viewport struct {
	Name          string
	Width, Height int64
	Mobile        bool
	Lang          string // "zh" (the default) or "en": the flow switches to English
}

// browser is one headless chromium tab that records every request it
// makes, every script error and every console error.
type browser struct {
	t    *testing.T
	ctx  context.Context
	host string // the test server's host:port; every request must go there
	out  string // screenshot folder
	step int

	mu         sync.Mutex
	foreign    []string
	problems   []string
	httpErrors []string
	requests   int

	// allowHTTPErrors: the flow provokes API errors (to see them shown by
	// their fields), so "Failed to load resource" lines are expected.
	allowHTTPErrors bool
}

func newBrowser(t *testing.T, serverHost string, vp viewport, out string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	exe := chromiumPath(t)
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(int(vp.Width), int(vp.Height)),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Env("TZ=Asia/Shanghai", "LANG=zh_CN.UTF-8"), // as at a gate house in Shenzhen
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		t.Fatalf("start %s: %v", exe, err)
	}
	b := &browser{t: t, ctx: ctx, host: serverHost, out: out}
	b.watch()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.Width, vp.Height, viewportOptions(vp)...)); err != nil {
		t.Fatal(err)
	}
	return b
}

func viewportOptions(vp viewport) []chromedp.EmulateViewportOption {
	if vp.Mobile {
		return []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait}
	}
	return []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
}

// watch records requests to other hosts, uncaught exceptions and console
// errors (a Content-Security-Policy violation is one).
func (b *browser) watch() {
	requests := chromedp.Events(b.ctx, network.RequestWillBeSent)
	exceptions := chromedp.Events(b.ctx, runtime.ExceptionThrown)
	entries := chromedp.Events(b.ctx, log.EntryAdded)
	consoles := chromedp.Events(b.ctx, runtime.ConsoleAPICalled)
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			b.request(ev.Request.URL)
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			b.problem(fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, text))
		}
	}()
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			if ev.Entry.Level != log.EntryLevelError {
				continue
			}
			text := fmt.Sprintf("console (%s) %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			if ev.Entry.Source == log.EntrySourceNetwork {
				b.mu.Lock()
				b.httpErrors = append(b.httpErrors, text)
				b.mu.Unlock()
				continue
			}
			b.problem(text)
		}
	}()
	go func() {
		for ev, err := range consoles {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, a.Description+string(a.Value))
				}
				b.problem("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		}
	}()
}

// request checks that a request goes to the test server (or is a data: or
// blob: URL, which never leaves the page).
func (b *browser) request(raw string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests++
	u, err := url.Parse(raw)
	if err != nil {
		b.foreign = append(b.foreign, raw+" (unparsable)")
		return
	}
	switch u.Scheme {
	case "data", "blob":
		return
	case "http", "https", "ws", "wss":
		if u.Host == b.host {
			return
		}
	}
	b.foreign = append(b.foreign, raw)
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// check fails the test for any request that left the server and any script
// or console error seen so far.
func (b *browser) check() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.foreign) > 0 {
		b.t.Errorf("the page made requests to other hosts than %s:\n  %s", b.host, strings.Join(b.foreign, "\n  "))
	}
	if len(b.problems) > 0 {
		b.t.Errorf("the page reported errors:\n  %s", strings.Join(b.problems, "\n  "))
	}
	if len(b.httpErrors) > 0 && !b.allowHTTPErrors {
		b.t.Errorf("the page had failed requests:\n  %s", strings.Join(b.httpErrors, "\n  "))
	}
	if b.requests == 0 {
		b.t.Error("no request was seen: the network watch does not work")
	}
}

// do runs actions with a time limit, failing the test with what was doing.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + slug(what))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// poll waits (up to 30 s) until the JavaScript expression is truthy and
// returns its value as a string.
func (b *browser) poll(what, expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 35*time.Second)
	defer cancel()
	// An element or an object is "there": the answer is true, not the
	// object. An expression that throws (its element is not drawn yet) is
	// not true yet.
	wrapped := `(() => { try { const v = (` + expr + `); return v && typeof v === 'object' ? true : v; } catch (e) { return false; } })()`
	v, err := chromedp.Run(ctx, chromedp.Poll[any](wrapped, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		b.shot("failed-" + slug(what))
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
		b.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, body)
	}
	return fmt.Sprint(v)
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shot writes a screenshot of the whole page as NN-name.png.
func (b *browser) shot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// From the top, so that the sticky header sits where it belongs.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)); err != nil {
		b.t.Logf("scroll to the top: %v", err)
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	return b.save(name, buf)
}

// shotOf writes a screenshot of one element and returns its path.
func (b *browser) shotOf(name, sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("screenshot of %s: %v", sel, err)
	}
	return b.save(name, buf)
}

func (b *browser) save(name string, png []byte) string {
	b.step++
	path := filepath.Join(b.out, fmt.Sprintf("%02d-%s.png", b.step, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// allowDownloads saves the page's downloads (a[download] of a blob) in dir.
func (b *browser) allowDownloads(dir string) {
	b.t.Helper()
	_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	if err != nil {
		b.t.Fatal(err)
	}
}

// printMedia switches CSS to @media print (on) or back to the screen.
func (b *browser) printMedia(on bool) {
	b.t.Helper()
	media := ""
	if on {
		media = "print"
	}
	b.do("emulate print media", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return chromedp.Void{}, err
	})
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}
