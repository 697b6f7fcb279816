package httpapi

import (
	"context"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

// services are the use cases the handlers call: each handler decodes, calls
// one of them, and encodes (with the privacy rule of the answer).
type services struct {
	passes      *service.Passes
	residents   *service.Residents
	police      *service.Police
	reports     *service.Reports
	entries     *service.Entries
	watchlist   *service.Watchlist
	audits      *service.AccessAudit
	gateAdmin   *service.Gates
	console     *service.Console
	users       *service.Users
	communities *service.Communities
	devices     *service.Devices
	cards       *service.Cards
}

func (s *Server) initServices() {
	s.passes = &service.Passes{Store: s.Store, Keys: s.Engine, Now: s.Now}
	s.police = &service.Police{Store: s.Store, Audit: auditor{s}}
	s.cards = &service.Cards{Store: s.Store, Now: s.Now}
	s.watchlist = &service.Watchlist{Store: s.Store}
	s.audits = &service.AccessAudit{Store: s.Store}
	s.gateAdmin = &service.Gates{Store: s.Store, NewKey: newDeviceKey}
	s.console = &service.Console{Store: s.Store, Engine: s.Engine, Passes: s.passes, Now: s.Now}
	s.users = &service.Users{Store: s.Store, Passwords: s.Passwords}
	// A nil allow-list still checks a URL: https to public addresses only.
	s.devices = &service.Devices{Store: s.Store, Cards: s.cards, Engine: s.Engine}
	s.communities = &service.Communities{Store: s.Store, DefaultTZ: s.DefaultTZ, Webhooks: s.WebhookAllow}
	s.entries = &service.Entries{Store: s.Store, Audit: auditor{s}}
	s.reports = &service.Reports{Store: s.Store, Audit: auditor{s}, Now: s.Now}
	s.residents = &service.Residents{Store: s.Store, Audit: auditor{s}, Codes: s.Engine}
}

// auditor writes audit events for the services and counts them.
type auditor struct{ s *Server }

func (a auditor) Audit(ctx context.Context, ev *gatehouse.AuditEvent) error {
	if err := a.s.Store.Audit(ctx, ev); err != nil {
		return err
	}
	a.s.Metrics.Audited(ev.Action)
	return nil
}
