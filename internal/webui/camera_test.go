package webui

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestGuardScansAPassWithTheCamera shows the camera path: chromium's fake
// camera plays a video of a pass's QR (made from the server's qr.png), the
// console reads it with the vendored jsQR and shows the grant.
func TestGuardScansAPassWithTheCamera(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	seed(t, srv)
	res := srv.login(t, residentAccount[0], residentAccount[1])
	var pass struct {
		ID   int64
		Code string
	}
	srv.call(t, "POST", "/api/v1/passes", res, map[string]any{
		"visitor":     map[string]any{"name": "王五", "id_type": "resident_id", "id_number": "440524188001010014"},
		"valid_until": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), "max_entries": 2,
	}, 201, &pass)
	qr := srv.bytes(t, fmt.Sprintf("/api/v1/passes/%d/qr.png", pass.ID), res)
	video := filepath.Join(t.TempDir(), "camera.y4m")
	writeY4M(t, video, qr)

	b := newBrowser(t, srv.Host, viewport{Name: "camera", Width: 1280, Height: 900}, outputDir(t, "camera"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video))
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	b.login(guardAccount)
	b.poll("the console", `document.activeElement && document.activeElement.id === 'scan-code'`)
	b.do("start the camera", chromedp.Click(chromedp.CSS("#camera-toggle")))
	b.poll("the camera playing", `document.querySelector('.camera video') && document.querySelector('.camera video').readyState >= 2`)
	person := b.poll("the grant from the camera", `document.querySelector('#result[data-decision="grant"]') && document.querySelector('#result-person').textContent`)
	if person != "王五" {
		t.Fatalf("the camera's grant names %q, want 王五", person)
	}
	b.shot("guard-camera-grant")
	b.do("close and stop the camera", chromedp.KeyEvent(kb.Escape), chromedp.Click(chromedp.CSS("#camera-toggle")))
	b.poll("the camera stopped", `!document.querySelector('.camera video')`)
	b.shot("guard-camera-stopped")
	b.check()
}

// bytes GETs a binary body from the API.
func (s *server) bytes(t *testing.T, path, token string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
	}
	return b
}

// writeY4M writes a one-frame YUV4MPEG2 video (chromium loops it) of the
// PNG in the middle of a white 640x480 picture, as a phone held up to the
// gate's camera.
func writeY4M(t *testing.T, path string, pngData []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 640, 480
	bounds := img.Bounds()
	scale := max(1, 400/max(bounds.Dx(), bounds.Dy()))
	offX, offY := (w-bounds.Dx()*scale)/2, (h-bounds.Dy()*scale)/2
	luma := bytes.Repeat([]byte{255}, w*h)
	for y := 0; y < bounds.Dy()*scale; y++ {
		for x := 0; x < bounds.Dx()*scale; x++ {
			luma[(offY+y)*w+offX+x] = gray(img, bounds.Min.X+x/scale, bounds.Min.Y+y/scale)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\nFRAME\n", w, h)
	bw.Write(luma)
	bw.Write(bytes.Repeat([]byte{128}, w*h/2)) // U and V: no colour
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func gray(img image.Image, x, y int) byte {
	r, g, b, _ := img.At(x, y).RGBA()
	return byte((299*r + 587*g + 114*b) / 1000 >> 8)
}
