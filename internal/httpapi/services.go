package httpapi

import (
	"context"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/lpr"
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
	sessions    *service.Sessions
	ownPassword *service.OwnPassword
	activation  *service.Activation
	smsLogin    *service.SMSLogin
	cards       *service.Cards
	visits      *service.Visits
	guestCards  *service.GuestCards
	gateMonitor *service.GateMonitor
	supervision *service.Supervision
	vehicles    *service.Vehicles
	cameras     *service.Cameras
}

func (s *Server) initServices() {
	guesses := &service.IDGuesses{Store: s.Store, Audit: auditor{s}, Now: s.Now}
	s.passes = &service.Passes{Store: s.Store, Keys: s.Engine, Now: s.Now, Guesses: guesses}
	s.police = &service.Police{Store: s.Store, Audit: auditor{s}}
	s.cards = &service.Cards{Store: s.Store, Now: s.Now}
	s.watchlist = &service.Watchlist{Store: s.Store, Guesses: guesses}
	s.audits = &service.AccessAudit{Store: s.Store}
	s.gateAdmin = &service.Gates{Store: s.Store, NewKey: newDeviceKey, NewCameraToken: newCameraToken, CameraVendor: lpr.Known}
	s.vehicles = &service.Vehicles{Store: s.Store, Now: s.Now}
	s.cameras = &service.Cameras{Store: s.Store, Engine: s.Engine, Now: s.Now}
	s.console = &service.Console{Store: s.Store, Engine: s.Engine, Passes: s.passes, Now: s.Now}
	s.users = &service.Users{Store: s.Store, Passwords: passwordsOf{s}}
	// A nil allow-list still checks a URL: https to public addresses only.
	s.sessions = &service.Sessions{Store: s.Store, Passwords: passwordsOf{s}, Now: s.Now, TTL: s.SessionTTL, Window: s.LoginWindow,
		PerAccount: s.LoginPerAccount, PerAccountAll: 30, PerAddress: s.LoginPerAddress, FirstDelay: 2 * time.Second, MaxDelay: time.Minute}
	s.gateMonitor = &service.GateMonitor{Store: s.Store, Now: s.Now}
	s.sessions.RememberTTL = 30 * 24 * time.Hour
	s.ownPassword = &service.OwnPassword{Store: s.Store, Passwords: passwordsOf{s}, Sessions: s.sessions}
	s.initSignIn()
	s.devices = &service.Devices{Store: s.Store, Cards: s.cards, Engine: s.Engine}
	s.communities = &service.Communities{Store: s.Store, DefaultTZ: s.DefaultTZ, Webhooks: s.WebhookAllow}
	s.entries = &service.Entries{Store: s.Store, Audit: auditor{s}}
	s.reports = &service.Reports{Store: s.Store, Audit: auditor{s}, Now: s.Now}
	s.visits = &service.Visits{Store: s.Store, Keys: s.Engine, Notify: visitNotifier{s}, Now: s.Now,
		Limits: service.DefaultVisitLimits, RetentionDays: s.RetentionDays, Guesses: guesses}
	s.guestCards = &service.GuestCards{Store: s.Store, Codes: passCodes{s.Engine.Keys()}, Now: s.Now}
	s.residents = &service.Residents{Store: s.Store, Audit: auditor{s}, Codes: s.Engine, Now: s.Now}
	s.supervision = &service.Supervision{Store: s.Store, Audit: auditor{s}, Now: s.Now, TZ: s.DefaultTZ}
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

// passwordsOf is the server's password hasher as it is when asked (tests
// swap it to count checks).
type passwordsOf struct{ s *Server }

func (p passwordsOf) Hash(pw string) (string, error) { return p.s.Passwords.Hash(pw) }
func (p passwordsOf) Check(hash, pw string) bool     { return p.s.Passwords.Check(hash, pw) }
