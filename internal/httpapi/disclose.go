package httpapi

import (
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
)

// requestDetail describes a request for the audit: its route and the names
// of its filters, never their values (an ID number searched for must not lie
// in the audit in the clear).
func requestDetail(c *gin.Context) string {
	detail := c.Request.Method + " " + c.FullPath()
	if q := c.Request.URL.Query(); len(q) > 0 {
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		sort.Strings(names)
		detail += "; filters " + strings.Join(names, ",")
	}
	return detail
}

// respond sends an answer that may show ID numbers whole, after writing the
// disclosure's audit event: nothing is shown that is not on record first.
func (s *Server) respond(c *gin.Context, status int, body any, d *gatehouse.Disclosure) {
	if ev := d.Event(requestDetail(c)); ev != nil {
		if err := s.Store.Audit(c.Request.Context(), ev); err != nil {
			s.fail(c, err)
			return
		}
		s.Metrics.Audited(ev.Action)
	}
	c.JSON(status, body)
}
