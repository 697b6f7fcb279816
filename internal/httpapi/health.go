package httpapi

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
)

type statusBody struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// healthz answers while the process runs.
func (s *Server) healthz(c *gin.Context) { c.JSON(200, statusBody{Status: "ok"}) }

// readyz answers 200 only while the database answers and its schema is this
// binary's; a load balancer stops sending traffic otherwise.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		c.JSON(503, statusBody{Status: "unavailable", Reason: "database unreachable"})
		return
	}
	if err := s.Store.CheckSchema(ctx); err != nil {
		c.JSON(503, statusBody{Status: "unavailable", Reason: err.Error()})
		return
	}
	c.JSON(200, statusBody{Status: "ready"})
}
