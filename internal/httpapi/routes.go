package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"gatehouse/api"
	"gatehouse/internal/gatehouse"
)

// Role sets used by more than one route.
var (
	admin       = []gatehouse.Role{gatehouse.RoleAdmin}
	managers    = []gatehouse.Role{gatehouse.RoleAdmin, gatehouse.RoleManager}
	staff       = []gatehouse.Role{gatehouse.RoleAdmin, gatehouse.RoleManager, gatehouse.RoleGuard}
	residentish = []gatehouse.Role{gatehouse.RoleAdmin, gatehouse.RoleManager, gatehouse.RoleGuard, gatehouse.RolePolice, gatehouse.RoleResident}
)

// routes is the whole HTTP surface.
func (s *Server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// No redirects: gin answers them before any middleware, so a 301 to
	// /api/v1/entries for /api/v1/entries/ had no no-store and no JSON. A
	// path with a trailing slash is an unknown path (404 JSON).
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.ContextWithFallback = true
	// ClientIP is the peer, unless it is a configured proxy (validated in config).
	_ = r.SetTrustedProxies(s.TrustedProxies)
	r.Use(requestIDs, s.accessLog, s.recoverPanics, noStore, s.limitBody)

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.Metrics.Handler()))
	r.GET("/api/openapi.yaml", func(c *gin.Context) { c.Data(200, "application/yaml", api.OpenAPI) })

	v1 := r.Group("/api/v1")
	v1.POST("/auth/login", s.login)
	// Residents' own sign-in: by text message, and with an activation letter.
	v1.POST("/auth/sms/send", s.sendSMSCode)
	v1.POST("/auth/sms/login", s.smsSignIn)
	v1.GET("/activate/:code", s.previewActivation)
	v1.POST("/activate/:code", s.activate)
	v1.GET("/keys", s.keys)
	v1.POST("/guest/card", s.guestCard)
	// Licence-plate cameras push each read; the secret token names the gate.
	v1.POST("/lpr/:vendor/:token", s.cameraPush)

	// Visitors' self-registration: no account, a poster's token; the
	// request's status token.
	v1.GET("/register/:token", s.registerPage)
	v1.POST("/register/:token", s.smallBody, s.register)
	v1.GET("/register/requests/:id", s.getVisitStatus)
	v1.GET("/register/requests/:id/events", s.visitStatusEvents)
	v1.GET("/register/requests/:id/qr.png", s.visitQR)

	authed := v1.Group("", s.authenticate)
	users := authed.Group("", s.anyUser)
	users.POST("/auth/logout", s.logout)
	users.GET("/auth/me", s.me)
	users.POST("/auth/password", s.changeOwnPassword)
	users.GET("/auth/devices", s.listDevices)
	users.DELETE("/auth/devices/:id", s.deleteDevice)

	users.POST("/communities", s.allow(admin...), s.createCommunity)
	users.GET("/communities", s.listCommunities)
	users.GET("/communities/:id", s.getCommunity)
	users.PATCH("/communities/:id", s.allow(managers...), s.updateCommunity)

	users.POST("/users", s.allow(managers...), s.createUser)
	users.GET("/users", s.allow(managers...), s.listUsers)
	users.GET("/users/:id", s.allow(managers...), s.getUser)
	users.PATCH("/users/:id", s.allow(managers...), s.updateUser)

	users.POST("/residents", s.allow(managers...), s.createResident)
	users.POST("/residents/import", s.allow(managers...), s.importResidents)
	users.GET("/residents/import/template", s.allow(managers...), s.importTemplate)
	users.GET("/residents", s.allow(residentish...), s.listResidents)
	users.GET("/residents/:id", s.allow(residentish...), s.getResident)
	users.PATCH("/residents/:id", s.allow(managers...), s.updateResident)
	users.DELETE("/residents/:id", s.allow(managers...), s.deleteResident)
	users.POST("/residents/:id/activation-letters", s.allow(managers...), s.createActivationLetter)
	users.POST("/residents/:id/activation-letters/print", s.allow(managers...), s.printActivationLetter)
	users.GET("/residents/:id/code", s.allow(gatehouse.RoleResident), s.residentCode)
	users.POST("/residents/:id/cards", s.allow(managers...), s.createCard)
	users.GET("/residents/:id/cards", s.allow(gatehouse.RoleAdmin, gatehouse.RoleManager, gatehouse.RoleResident), s.listCards)
	users.DELETE("/cards/:id", s.allow(managers...), s.deleteCard)
	users.POST("/residents/:id/vehicles", s.allow(managers...), s.createVehicle)
	users.GET("/residents/:id/vehicles", s.allow(gatehouse.RoleAdmin, gatehouse.RoleManager, gatehouse.RoleResident), s.listVehicles)
	users.DELETE("/vehicles/:id", s.allow(managers...), s.deleteVehicle)

	users.POST("/gates", s.allow(managers...), s.createGate)
	users.GET("/gates", s.allow(staff...), s.listGates)
	users.GET("/gates/:id", s.allow(staff...), s.getGate)
	users.PATCH("/gates/:id", s.allow(managers...), s.updateGate)
	users.POST("/gates/:id/rotate-key", s.allow(managers...), s.rotateGateKey)
	users.POST("/gates/:id/rotate-camera-token", s.allow(managers...), s.rotateCameraToken)

	users.POST("/passes", s.allow(gatehouse.RoleResident, gatehouse.RoleGuard, gatehouse.RoleManager, gatehouse.RoleAdmin), s.createPass)
	users.GET("/passes", s.allow(residentish...), s.listPasses)
	users.GET("/passes/:id", s.allow(residentish...), s.getPass)
	users.GET("/passes/:id/qr.png", s.allow(residentish...), s.passQR)
	users.POST("/passes/:id/revoke", s.allow(gatehouse.RoleResident, gatehouse.RoleGuard, gatehouse.RoleManager, gatehouse.RoleAdmin), s.revokePass)

	users.POST("/communities/:id/posters", s.allow(managers...), s.createPoster)
	users.GET("/communities/:id/posters", s.allow(managers...), s.listPosters)
	users.DELETE("/posters/:id", s.allow(managers...), s.revokePoster)
	users.GET("/posters/:id/print", s.allow(managers...), s.printPoster)
	users.GET("/visit-requests", s.allow(gatehouse.RoleResident, gatehouse.RoleGuard, gatehouse.RoleManager, gatehouse.RoleAdmin), s.listVisitRequests)
	users.POST("/visit-requests/:id/approve", s.allow(gatehouse.RoleResident, gatehouse.RoleGuard), s.approveVisit)
	users.POST("/visit-requests/:id/deny", s.allow(gatehouse.RoleResident, gatehouse.RoleGuard), s.denyVisit)

	users.POST("/watchlist", s.allow(managers...), s.addToWatchlist)
	users.GET("/watchlist", s.allow(staff...), s.listWatchlist)
	users.DELETE("/watchlist/:id", s.allow(managers...), s.removeFromWatchlist)
	users.POST("/plate-watchlist", s.allow(managers...), s.watchPlate)
	users.GET("/plate-watchlist", s.allow(staff...), s.listWatchedPlates)
	users.DELETE("/plate-watchlist/:id", s.allow(managers...), s.unwatchPlate)
	users.POST("/plate-admissions", s.allow(gatehouse.RoleGuard, gatehouse.RoleManager), s.admitPlate)
	users.GET("/plate-matches", s.allow(gatehouse.RoleGuard, gatehouse.RoleManager), s.plateMatches)

	authed.POST("/scan", s.gateOr(gatehouse.RoleGuard, gatehouse.RoleManager), s.scan)
	authed.GET("/gates/:id/sync", s.gateOnly, s.syncGate)
	authed.POST("/gates/:id/events", s.gateOnly, s.uploadEvents)
	authed.POST("/gates/:id/status", s.gateOnly, s.gateHeartbeat)
	authed.POST("/gates/:id/door-events", s.gateOnly, s.uploadDoorEvents)
	users.GET("/door-events", s.allow(staff...), s.listDoorEvents)
	users.POST("/walkins", s.allow(gatehouse.RoleGuard, gatehouse.RoleManager), s.walkIn)
	users.POST("/entries/manual", s.allow(gatehouse.RoleGuard, gatehouse.RoleManager), s.manualEntry)
	users.GET("/onsite", s.allow(staff...), s.onsite)
	users.GET("/live", s.allow(gatehouse.RoleGuard, gatehouse.RoleManager, gatehouse.RoleAdmin, gatehouse.RoleResident), s.live)

	users.GET("/entries", s.allow(residentish...), s.listEntries)
	users.GET("/entries/verify", s.allow(gatehouse.RoleAdmin, gatehouse.RolePolice), s.verifyEntries)

	users.GET("/reports/population", s.allow(gatehouse.RoleAdmin, gatehouse.RoleManager, gatehouse.RolePolice), s.populationReport)
	users.POST("/police/queries", s.allow(gatehouse.RolePolice), s.createPoliceQuery)
	users.GET("/police/queries", s.allow(gatehouse.RolePolice, gatehouse.RoleAdmin), s.listPoliceQueries)
	users.GET("/police/queries/:id", s.allow(gatehouse.RolePolice, gatehouse.RoleAdmin), s.getPoliceQuery)
	users.GET("/police/queries/:id/export.csv", s.allow(gatehouse.RolePolice), s.exportPoliceQuery)
	// The district's supervision (supervision.go): counts and rates, no person.
	v1.GET("/public/grades/:month", s.publicGrades)
	district := []gatehouse.Role{gatehouse.RoleDistrict, gatehouse.RoleAdmin}
	supervisors := []gatehouse.Role{gatehouse.RoleAdmin, gatehouse.RoleDistrict, gatehouse.RoleStreet, gatehouse.RolePolice, gatehouse.RoleManager}
	users.POST("/companies", s.allow(district...), s.createCompany)
	users.GET("/companies", s.allow(supervisors...), s.listCompanies)
	users.GET("/companies/:id", s.allow(supervisors...), s.getCompany)
	users.PATCH("/companies/:id", s.allow(district...), s.updateCompany)
	users.PUT("/communities/:id/company", s.allow(district...), s.assignCommunity)
	users.GET("/communities/:id/company", s.allow(supervisors...), s.communityCompanies)
	users.GET("/communities/:id/scorecards", s.allow(supervisors...), s.scorecards)
	users.GET("/supervision/scheme", s.allow(supervisors...), s.getScheme)
	users.PUT("/supervision/scheme", s.allow(gatehouse.RoleDistrict), s.putScheme)
	users.GET("/supervision/months/:month/communities", s.allow(supervisors...), s.monthCommunities)
	users.GET("/supervision/months/:month/companies", s.allow(supervisors...), s.monthCompanies)
	users.POST("/supervision/months/:month/publish", s.allow(gatehouse.RoleDistrict), s.publishMonth)
	users.POST("/inspections", s.allow(gatehouse.RoleStreet, gatehouse.RolePolice), s.createInspection)
	users.GET("/inspections/:id/photos/:n", s.allow(gatehouse.RoleAdmin, gatehouse.RoleDistrict, gatehouse.RoleStreet, gatehouse.RolePolice), s.inspectionPhoto)
	users.POST("/incidents", s.allow(gatehouse.RolePolice), s.createIncident)
	users.POST("/rectifications", s.allow(gatehouse.RoleDistrict, gatehouse.RoleStreet), s.createRectification)
	users.GET("/rectifications", s.allow(supervisors...), s.listRectifications)
	users.PATCH("/rectifications/:id", s.allow(gatehouse.RoleDistrict, gatehouse.RoleStreet, gatehouse.RoleManager), s.updateRectification)

	users.GET("/audit", s.allow(admin...), s.listAudit)
	users.GET("/audit/verify", s.allow(admin...), s.verifyAudit)

	r.NoMethod(s.methodNotAllowed)
	r.NoRoute(func(c *gin.Context) {
		if isAPIPath(c.Request.URL.Path) {
			s.fail(c, gatehouse.Errorf(gatehouse.ENOTFOUND, "no such API route: %s %s", c.Request.Method, c.Request.URL.Path))
			return
		}
		if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
			s.ui(c)
			return
		}
		s.fail(c, gatehouse.Errorf(gatehouse.ENOTFOUND, "not found"))
	})
	return r
}

// Routes lists every route of the API (the OpenAPI test compares them).
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }
