package httpapi

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// ui serves the embedded web UI: a file when the path names one, else
// index.html, whose script routes by the URL's fragment.
func (s *Server) ui(c *gin.Context) {
	if s.UI == nil {
		s.fail(c, errNoUI)
		return
	}
	p := strings.TrimPrefix(path.Clean(c.Request.URL.Path), "/")
	if p == "" {
		p = "index.html"
	}
	if fi, err := fs.Stat(s.UI, p); err != nil || fi.IsDir() {
		p = "index.html"
	}
	// Pages may only load from here: the UI never reaches another host.
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
	if p == "index.html" {
		c.Header("Cache-Control", "no-cache")
	}
	b, err := fs.ReadFile(s.UI, p)
	if err != nil {
		s.fail(c, errNoUI)
		return
	}
	http.ServeContent(c.Writer, c.Request, p, time.Time{}, bytes.NewReader(b))
}
