package httpapi

import "gatehouse/internal/service"

// services are the use cases the handlers call: each handler decodes, calls
// one of them, and encodes (with the privacy rule of the answer).
type services struct {
	passes *service.Passes
}

func (s *Server) initServices() {
	s.passes = &service.Passes{Store: s.Store, Keys: s.Engine, Now: s.Now}
}
