// Package httpapi is Gatehouse's HTTP surface on gin: routes, handlers,
// request and response bodies, authentication and the one error path. It
// knows the store only through the interfaces declared here.
package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	lru "github.com/hashicorp/golang-lru/v2"

	"gatehouse/internal/access"
	"gatehouse/internal/events"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/metrics"
	"gatehouse/internal/passcode"
	"gatehouse/internal/password"
	"gatehouse/internal/service"
)

// Store is what the HTTP layer needs of storage: the stores of the use
// cases, each declared beside its service, and the few reads the HTTP layer
// makes itself.
type Store interface {
	service.CommunityStore
	service.UserStore
	service.SessionStore
	service.ActivationStore
	service.SMSStore
	service.ResidentStore
	service.PassStore
	service.GateStore
	service.CardStore
	service.ConsoleStore
	service.DeviceStore
	service.GateStatusStore
	service.EntryStore
	service.WatchlistStore
	service.ReportStore
	service.PoliceStore
	service.AuditStore
	service.VisitStore
	service.IDGuessStore
	service.SupervisionStore
	service.VehicleStore
	service.CameraStore

	// Health probes.
	Ping(ctx context.Context) error
	CheckSchema(ctx context.Context) error
	// Authentication: a session's user, a device key's gate.
	SessionUser(ctx context.Context, tokenHash string) (*gatehouse.User, time.Time, error)
	GateByKeyHash(ctx context.Context, h string) (*gatehouse.Gate, error)
	GateAuth(ctx context.Context, h string) (*gatehouse.Gate, int64, error)
	// Names shown beside entries.
	GateNames(ctx context.Context, ids []int64) (map[int64]string, error)
	VisitorsByID(ctx context.Context, ids []int64) (map[int64]*gatehouse.Visitor, error)
	ResidentsByID(ctx context.Context, ids []int64) (map[int64]*gatehouse.Resident, error)
	// The audit event of an answer that shows whole ID numbers.
	Audit(ctx context.Context, a *gatehouse.AuditEvent) error
}

// Hub streams committed decisions to live watchers.
type Hub interface {
	Subscribe(accountID, communityID int64, filter func(*gatehouse.DecisionEvent) bool) (*events.Sub, func(), error)
	WatchVisits(s *events.Sub, filter func(*gatehouse.VisitEvent) bool)
	PublishVisit(ev *gatehouse.VisitEvent)
}

// Engine decides scans and makes codes.
type Engine interface {
	Scan(ctx context.Context, req access.ScanRequest) (*access.Outcome, error)
	Override(ctx context.Context, req access.OverrideRequest) (*access.Outcome, error)
	WalkIn(ctx context.Context, p *gatehouse.Pass, gateID, guardID int64) (*access.Outcome, error)
	Plate(ctx context.Context, req access.PlateRequest) (*access.PlateOutcome, error)
	Offline(ctx context.Context, communityID, gateID int64, events []gatehouse.OfflineEvent) (*access.OfflineResult, error)
	PassCode(p *gatehouse.Pass) (string, error)
	AssignKey(p *gatehouse.Pass) error
	ResidentCode(r *gatehouse.Resident) (string, time.Time, error)
	Keys() *passcode.Keyring
}

var _ Engine = (*access.Engine)(nil)

// Passwords hashes new passwords and checks login attempts.
type Passwords interface {
	Hash(pw string) (string, error)
	Check(hash, pw string) bool
}

var _ Passwords = password.Hasher{}

// Config holds the dependencies and settings of the HTTP layer.
type Config struct {
	Store     Store
	Engine    Engine
	Hub       Hub
	QR        *passcode.QRCache
	Passwords Passwords
	Logger    *slog.Logger
	Now       func() time.Time // the clock; tests move it instead of sleeping
	DefaultTZ string           // time zone of new communities

	SessionTTL      time.Duration // how long a login token lives
	LoginWindow     time.Duration // the window of failed-login counting
	LoginPerAccount int           // failures of one account from one address before delays begin
	LoginPerAddress int           // failures from one address in the window before 429
	MaxBodyBytes    int64         // larger request bodies answer 413
	TrustedProxies  []string      // reverse proxies whose X-Forwarded-For is believed
	UI              fs.FS         // the web UI's files; nil serves none
	Metrics         *metrics.Metrics
	WebhookAllow    *events.AllowList // receivers trusted over http or in private ranges; nil: none
	PublicURL       string            // https://host of registration posters' links; "" takes the request's host
	RetentionDays   int               // days personal data is kept, as the visitors' privacy notice says
	SMS             service.SMSSender // delivers sign-in codes; nil: the server's log (development)
}

var errNoUI = gatehouse.Errorf(gatehouse.ENOTFOUND, "this server has no web UI")

// Server serves the API.
type Server struct {
	Config
	services
	engine *gin.Engine
	// gates caches device keys for the scan path; every scan re-checks a
	// cached key in its transaction when its community's epoch has moved.
	gates *lru.Cache[string, gateAuth]
	// closing ends the long-lived responses (live streams) when the server
	// shuts down: http.Server.Shutdown waits for them otherwise.
	closing   chan struct{}
	closeOnce sync.Once
}

// Close ends the live streams; call it when the server begins to shut down.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closing) }) }

// gateAuth is a cached device key: its gate and the epoch it was read at.
type gateAuth struct {
	gateID, communityID, epoch int64
}

// New builds the HTTP handler. Zero settings take sensible defaults.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.QR == nil {
		cfg.QR = passcode.NewQRCache(4096)
	}
	if cfg.Passwords == nil {
		cfg.Passwords = password.Default
	}
	if cfg.DefaultTZ == "" {
		cfg.DefaultTZ = "Asia/Shanghai"
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.LoginWindow == 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.LoginPerAccount == 0 {
		cfg.LoginPerAccount = 5
	}
	if cfg.LoginPerAddress == 0 {
		cfg.LoginPerAddress = 50
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	s := &Server{Config: cfg, closing: make(chan struct{})}
	s.gates, _ = lru.New[string, gateAuth](20000)
	s.initServices()
	s.Metrics.WatchGates(s.gateCounts)
	s.engine = s.routes()
	return s
}

// ServeHTTP makes Server an http.Handler. HEAD is served as GET wherever GET
// is (net/http drops the body): a HEAD probe of /readyz must see a 503 too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		r = r.WithContext(context.WithValue(r.Context(), headRequest{}, true))
		r.Method = http.MethodGet
	}
	s.engine.ServeHTTP(w, r)
}

// headRequest marks a HEAD request served as GET, for the access log.
type headRequest struct{}

// method is the request's method as the client sent it.
func method(c *gin.Context) string {
	if head, _ := c.Request.Context().Value(headRequest{}).(bool); head {
		return http.MethodHead
	}
	return c.Request.Method
}

// statusOf maps domain error codes to HTTP statuses.
var statusOf = map[string]int{
	gatehouse.EBADREQUEST:   http.StatusBadRequest,
	gatehouse.EINVALID:      http.StatusUnprocessableEntity,
	gatehouse.ENOTFOUND:     http.StatusNotFound,
	gatehouse.ECONFLICT:     http.StatusConflict,
	gatehouse.EUNAUTHORIZED: http.StatusUnauthorized,
	gatehouse.EFORBIDDEN:    http.StatusForbidden,
	gatehouse.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	gatehouse.ERATELIMITED:  http.StatusTooManyRequests,
	gatehouse.EUNAVAILABLE:  http.StatusServiceUnavailable,
	gatehouse.EINTERNAL:     http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status of an error.
func ErrorStatus(err error) int {
	if st, ok := statusOf[gatehouse.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// fail is the one path every error takes to the client. Internal errors are
// logged with the request id and shown only as "Internal error.".
func (s *Server) fail(c *gin.Context, err error) {
	code := gatehouse.ErrorCode(err)
	if errors.Is(err, context.Canceled) {
		c.Abort()
		return
	}
	if code == gatehouse.EINTERNAL {
		s.Logger.Error("request failed", "request_id", requestID(c), "route", c.FullPath(), "err", err.Error())
	}
	body := errorBody{Error: errorDetail{Code: code, Message: gatehouse.ErrorMessage(err)}}
	var e *gatehouse.Error
	if errors.As(err, &e) {
		body.Error.Fields = e.Fields
	}
	if code == gatehouse.EUNAUTHORIZED {
		c.Header("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	body.Error = localized(c, body.Error)
	c.AbortWithStatusJSON(ErrorStatus(err), body)
}

// decode reads a JSON body strictly into dst: unknown fields, wrong types,
// trailing data and over-large bodies are errors that say what is wrong.
// A string that is not text (bytes that are not UTF-8, an escaped lone
// surrogate) is refused naming the field (encoding/json would quietly turn
// either into U+FFFD), and null is not an object.
func decode(c *gin.Context, dst any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return jsonError(err)
	}
	if err := checkJSONText(body); err != nil {
		return err
	}
	if string(bytes.TrimSpace(body)) == "null" {
		return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body must be a JSON object, not null")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body holds more than one JSON value")
	}
	if r, ok := dst.(checkedBody); ok {
		return r.check()
	}
	return nil
}

// checkedBody is a request body with a rule decoding cannot express: a list
// that must be present (a missing one decodes as nil), a device's name that
// must be printable.
type checkedBody interface{ check() error }

// jsonError turns an encoding/json error into a caller-facing error.
func jsonError(err error) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return gatehouse.Errorf(gatehouse.ETOOLARGE, "the body is larger than %d bytes", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body is empty; send a JSON object")
	case errors.As(err, &syntaxErr):
		return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body is not valid JSON (at byte %d)", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body is not valid JSON (it ends too early)")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body must be a JSON object")
		}
		return &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: field + ": must be " + jsonKind(typeErr.Type.Kind().String()),
			Fields: map[string]string{field: "must be " + jsonKind(typeErr.Type.Kind().String())}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: field + ": unknown field",
			Fields: map[string]string{field: "unknown field"}}
	}
	return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body could not be read as JSON")
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "a list"
	case k == "struct", k == "map", k == "ptr":
		return "an object"
	}
	return "of another type"
}

// idParam reads a positive integer path parameter; anything else is 404,
// the same as an id that does not exist.
func idParam(c *gin.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, gatehouse.NotFound(what)
	}
	return id, nil
}

// queryID reads an optional positive integer query parameter.
func queryID(c *gin.Context, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: name + ": must be a positive whole number",
			Fields: map[string]string{name: "must be a positive whole number"}}
	}
	return id, nil
}

// communityQuery reads an optional community_id; a community outside the
// caller's scope is not found.
func communityQuery(c *gin.Context) (int64, error) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		return 0, err
	}
	if cid != 0 && !principal(c).InCommunity(cid) {
		return 0, gatehouse.NotFound("community")
	}
	return cid, nil
}

// page reads cursor and limit.
func page(c *gin.Context) (gatehouse.Page, error) {
	var p gatehouse.Page
	var probs gatehouse.Problems
	if v := c.Query("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		probs.Check(err == nil && n > 0, "cursor", "must be a next_cursor from an earlier page")
		p.After = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		probs.Check(err == nil && n >= 1 && n <= gatehouse.MaxPageLimit, "limit", fmt.Sprintf("must be a whole number from 1 to %d", gatehouse.MaxPageLimit))
		p.Limit = n
	}
	if err := probs.Err(); err != nil {
		e := err.(*gatehouse.Error)
		e.Code = gatehouse.EBADREQUEST
		return p, e
	}
	return p, nil
}

// listBody is the shape of every list.
// listInCommunity answers a list that a service gives for the caller, the
// query's community_id and a page, each item in its body.
func listInCommunity[T, B any](s *Server, c *gin.Context,
	fetch func(context.Context, *gatehouse.Principal, int64, gatehouse.Page) ([]T, int64, error), body func(T) B) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cid, err := communityQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next, err := fetch(c.Request.Context(), principal(c), cid, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]B, len(items))
	for i, it := range items {
		out[i] = body(it)
	}
	c.JSON(200, list(out, next))
}

type listBody[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func list[T any](items []T, next int64) listBody[T] {
	if items == nil {
		items = []T{}
	}
	b := listBody[T]{Items: items}
	if next != 0 {
		s := strconv.FormatInt(next, 10)
		b.NextCursor = &s
	}
	return b
}

// newRequestID makes a short random id for logs and the X-Request-ID header.
func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// context keys.
const (
	ctxRequestID = "gatehouse.request_id"
	ctxPrincipal = "gatehouse.principal"
	ctxToken     = "gatehouse.token_hash"
	ctxGateEpoch = "gatehouse.gate_epoch"
)

// scanRoute is the one route whose device keys are cached.
const scanRoute = "/api/v1/scan"

// requestIDs gives every request an id (a sane incoming X-Request-ID is kept)
// and echoes it in the response.
func requestIDs(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		id = newRequestID()
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

// accessLog writes one line per request: route (not the raw path, which may
// carry ids), status and duration; never bodies, codes or query strings.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.Metrics.Request(route, method(c), c.Writer.Status(), time.Since(start))
	s.Logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("request_id", requestID(c)),
		slog.String("method", method(c)),
		slog.String("route", route),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
	)
}

// noStore keeps answers of the API, which carry personal data, out of
// browser and proxy caches; a route that may be cached (a pass's QR image)
// sets its own Cache-Control.
func noStore(c *gin.Context) {
	if isAPIPath(c.Request.URL.Path) {
		c.Header("Cache-Control", "no-store")
	}
	c.Next()
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// methodNotAllowed answers a known path asked with a method it does not
// take; gin has set Allow, to which HEAD is added wherever GET is.
func (s *Server) methodNotAllowed(c *gin.Context) {
	allow := strings.Split(c.Writer.Header().Get("Allow"), ", ")
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead)
	}
	c.Header("Allow", strings.Join(allow, ", "))
	c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{Error: localized(c, errorDetail{Code: "method_not_allowed",
		Message: fmt.Sprintf("%s is not allowed here; use %s", method(c), strings.Join(allow, ", "))})})
}

// limitBody caps request bodies; reading past the cap fails with 413.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.MaxBodyBytes {
		s.fail(c, gatehouse.Errorf(gatehouse.ETOOLARGE, "the body is larger than %d bytes", s.MaxBodyBytes))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxBodyBytes)
	c.Next()
}

// recoverPanics turns a panic into a logged internal error, never a stack
// trace in a response.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.fail(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}
