package httpapi

import (
	"github.com/gin-gonic/gin"

	"gatehouse/internal/service"
)

type passwordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changeOwnPassword sets the caller's new password: every session of the
// account ends and this device gets a new token, as after a log-in.
func (s *Server) changeOwnPassword(c *gin.Context) {
	var req passwordChangeRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	sess, wait, err := s.ownPassword.Change(c.Request.Context(), principal(c), c.GetString(ctxToken), c.ClientIP(),
		service.PasswordChange{Current: req.CurrentPassword, New: req.NewPassword, DeviceTokens: deviceTokens(c)})
	s.signedIn(c, sess, wait, err)
}
