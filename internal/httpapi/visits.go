package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
	"gatehouse/internal/service"
)

// visitNotifier tells the hub (when the server has one) about visit requests.
type visitNotifier struct{ s *Server }

func (n visitNotifier) PublishVisit(ev *gatehouse.VisitEvent) {
	if n.s.Hub != nil {
		n.s.Hub.PublishVisit(ev)
	}
}

// SweepVisits expires unanswered visit requests and erases what old ones
// kept of their visitors; the server runs it every minute.
func (s *Server) SweepVisits(ctx context.Context) (int64, error) { return s.visits.Sweep(ctx) }

// maxRegisterBody bounds a visitor's registration: requests are small.
const maxRegisterBody = 16 << 10

// smallBody refuses bodies over maxRegisterBody (413) on the public routes.
func (s *Server) smallBody(c *gin.Context) {
	if c.Request.ContentLength > maxRegisterBody {
		s.fail(c, gatehouse.Errorf(gatehouse.ETOOLARGE, "the body is larger than %d bytes", maxRegisterBody))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxRegisterBody)
	c.Next()
}

func (s *Server) retentionDays() int {
	if s.RetentionDays > 0 {
		return s.RetentionDays
	}
	return 180
}

// publicBase is where a poster's link points: the configured public URL,
// else the host the manager reached this server at.
func (s *Server) publicBase(c *gin.Context) string {
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/")
	}
	scheme := "http"
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

type posterRequest struct {
	GateID int64 `json:"gate_id"`
}

type posterResponse struct {
	ID          int64      `json:"id"`
	CommunityID int64      `json:"community_id"`
	GateID      *int64     `json:"gate_id"`
	Token       string     `json:"token"`
	URL         string     `json:"url"`
	Revoked     bool       `json:"revoked"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

func (s *Server) posterBody(c *gin.Context, p *gatehouse.Poster) posterResponse {
	b := posterResponse{ID: p.ID, CommunityID: p.CommunityID, Token: p.Token, URL: s.publicBase(c) + "/v/" + p.Token,
		Revoked: p.RevokedAt != nil, RevokedAt: p.RevokedAt, CreatedAt: p.CreatedAt}
	if p.GateID != 0 {
		g := p.GateID
		b.GateID = &g
	}
	return b
}

func (s *Server) createPoster(c *gin.Context) {
	cid, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req posterRequest
	if c.Request.ContentLength != 0 {
		if err := decode(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	p, err := s.visits.CreatePoster(c.Request.Context(), principal(c), cid, req.GateID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, s.posterBody(c, p))
}

func (s *Server) listPosters(c *gin.Context) {
	cid, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.visits.Posters(c.Request.Context(), principal(c), cid)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]posterResponse, len(items))
	for i, p := range items {
		out[i] = s.posterBody(c, p)
	}
	c.JSON(200, list(out, 0))
}

func (s *Server) revokePoster(c *gin.Context) {
	id, err := idParam(c, "id", "poster")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.visits.RevokePoster(c.Request.Context(), principal(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}

var posterPage = template.Must(template.New("poster").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>访客登记 {{.Community}}</title>
<style>
body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;text-align:center;margin:0;padding:24px}
h1{font-size:40px;margin:8px 0}h2{font-size:28px;margin:4px 0 16px;font-weight:normal}
img{width:320px;height:320px;image-rendering:pixelated}ol{display:inline-block;text-align:left;font-size:20px;line-height:1.6}
.url{font-family:monospace;font-size:12px;color:#555;word-break:break-all}.en{color:#555;font-size:14px}
@media print{button{display:none}}
</style></head><body>
<h1>{{.Community}}</h1>
<h2>访客扫码登记{{if .Gate}} · {{.Gate}}{{end}}</h2>
<img id="poster-qr" alt="登记二维码" src="{{.QR}}">
<ol>
<li>用手机扫描上方二维码（无需下载应用）。</li>
<li>阅读隐私告知，同意后填写姓名、证件、手机号和被访住户。</li>
<li>等待住户在手机上确认，页面将自动显示通行二维码。</li>
<li>在门岗扫码通行；如需帮助请联系门卫。</li>
</ol>
<p class="en">Visitors: scan the QR, fill in the form, and wait for the household to approve; your pass appears on your phone.</p>
<p class="url" id="poster-url">{{.URL}}</p>
</body></html>
`))

// printPoster answers a printable page of the poster: the community, the
// gate, the QR of its link and short instructions in Chinese.
func (s *Server) printPoster(c *gin.Context) {
	id, err := idParam(c, "id", "poster")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	p, com, err := s.visits.Poster(ctx, principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if p.RevokedAt != nil {
		s.fail(c, gatehouse.Errorf(gatehouse.ECONFLICT, "this poster was revoked; print a new one"))
		return
	}
	gate := ""
	if p.GateID != 0 {
		if g, err := s.Store.Gate(ctx, p.GateID); err == nil {
			gate = g.Name
		}
	}
	link := s.publicBase(c) + "/v/" + p.Token
	png, err := passcode.PNG(link)
	if err != nil {
		s.fail(c, err)
		return
	}
	var b bytes.Buffer
	err = posterPage.Execute(&b, map[string]any{"Community": com.Name, "Gate": gate, "URL": link,
		"QR": template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
	c.Data(200, "text/html; charset=utf-8", b.Bytes())
}

type registerPageResponse struct {
	Community struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"community"`
	Gate   *gateName `json:"gate,omitempty"`
	Notice struct {
		Version       string `json:"version"`
		Text          string `json:"text"`
		TextEN        string `json:"text_en"`
		RetentionDays int    `json:"retention_days"`
	} `json:"notice"`
	Fields         []string `json:"fields"`
	RequestMinutes int      `json:"request_minutes"`
}

type gateName struct {
	Name string `json:"name"`
}

// registerPage is what a visitor sees on opening a poster's link.
func (s *Server) registerPage(c *gin.Context) {
	page, err := s.visits.Page(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var b registerPageResponse
	b.Community.Name, b.Community.Address = page.Community.Name, page.Community.Address
	if page.Gate != nil {
		b.Gate = &gateName{Name: page.Gate.Name}
	}
	b.Notice.Version, b.Notice.RetentionDays = gatehouse.VisitNoticeVersion, s.retentionDays()
	b.Notice.Text, b.Notice.TextEN = gatehouse.VisitNoticeText("zh", s.retentionDays()), gatehouse.VisitNoticeText("en", s.retentionDays())
	b.Fields = []string{"visitor.name", "visitor.id_type", "visitor.id_number", "visitor.phone", "visitor.plate", "building", "unit", "room", "purpose"}
	b.RequestMinutes = int(page.Community.VisitRequestTTL() / time.Minute)
	c.JSON(200, b)
}

type registerRequest struct {
	Visitor  visitorRequest `json:"visitor"`
	Building string         `json:"building"`
	Unit     string         `json:"unit"`
	Room     string         `json:"room"`
	Purpose  string         `json:"purpose"`
	Consent  struct {
		IDNumber      bool   `json:"id_number"`
		NoticeVersion string `json:"notice_version"`
	} `json:"consent"`
}

type registerResponse struct {
	RequestID   int64     `json:"request_id"`
	StatusToken string    `json:"status_token"`
	Status      string    `json:"status"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// register takes a visitor's registration: the same answer whether or not
// the dwelling exists.
func (s *Server) register(c *gin.Context) {
	var req registerRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	in := service.RegisterInput{Visitor: service.VisitorInput{Name: req.Visitor.Name, IDType: req.Visitor.IDType, IDNumber: req.Visitor.IDNumber,
		Phone: req.Visitor.Phone, Plate: req.Visitor.Plate}, Building: req.Building, Unit: req.Unit, Room: req.Room, Purpose: req.Purpose,
		ConsentIDNumber: req.Consent.IDNumber, NoticeVersion: req.Consent.NoticeVersion}
	r, wait, err := s.visits.Submit(c.Request.Context(), c.Param("token"), in, c.ClientIP())
	if err != nil {
		if wait > 0 {
			c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())))
		}
		s.fail(c, err)
		return
	}
	c.JSON(202, registerResponse{RequestID: r.ID, StatusToken: r.StatusToken, Status: gatehouse.VisitPending, ExpiresAt: r.ExpiresAt})
}

type visitPassResponse struct {
	Code             string    `json:"code"`
	QRURL            string    `json:"qr_url"`
	ValidFrom        time.Time `json:"valid_from"`
	ValidUntil       time.Time `json:"valid_until"`
	RemainingEntries int       `json:"remaining_entries"`
}

type visitStatusResponse struct {
	RequestID int64              `json:"request_id"`
	Status    string             `json:"status"`
	ExpiresAt time.Time          `json:"expires_at"`
	Community string             `json:"community"`
	Pass      *visitPassResponse `json:"pass,omitempty"`
}

// visitStatus is the visitor's view of its request, or an error.
func (s *Server) visitStatus(c *gin.Context) (*visitStatusResponse, *service.VisitStatus, error) {
	id, err := idParam(c, "id", "visit request")
	if err != nil {
		return nil, nil, err
	}
	ctx := c.Request.Context()
	st, err := s.visits.Status(ctx, id, c.Query("token"))
	if err != nil {
		return nil, nil, err
	}
	b := &visitStatusResponse{RequestID: st.Request.ID, Status: st.Status, ExpiresAt: st.Request.ExpiresAt}
	if com, err := s.Store.Community(ctx, st.Request.CommunityID); err == nil {
		b.Community = com.Name
	}
	if p := st.Pass; p != nil {
		code, err := s.Engine.PassCode(p)
		if err != nil {
			return nil, nil, err
		}
		b.Pass = &visitPassResponse{Code: code, QRURL: fmt.Sprintf("/api/v1/register/requests/%d/qr.png?token=%s", st.Request.ID, c.Query("token")),
			ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil, RemainingEntries: p.Remaining()}
	}
	return b, st, nil
}

func (s *Server) getVisitStatus(c *gin.Context) {
	b, _, err := s.visitStatus(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, b)
}

// visitQR is the approved visitor's pass as a PNG, for its status token.
func (s *Server) visitQR(c *gin.Context) {
	b, _, err := s.visitStatus(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if b.Pass == nil {
		s.fail(c, gatehouse.NotFound("pass"))
		return
	}
	png, err := s.QR.PNG(b.Pass.Code)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(200, "image/png", png)
}

// visitStreams counts the visitors' open status streams; past
// maxVisitStreams a new one is refused (each reads the database twice a
// second).
var visitStreams atomic.Int64

const maxVisitStreams = 500

// visitStatusEvents streams the visitor's status as Server-Sent Events
// (event: status) until it is final: approved, denied or expired. It reads
// the database, so a decision made by any server process reaches it.
func (s *Server) visitStatusEvents(c *gin.Context) {
	b, _, err := s.visitStatus(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if visitStreams.Add(1) > maxVisitStreams {
		visitStreams.Add(-1)
		c.Header("Retry-After", "5")
		s.fail(c, gatehouse.Errorf(gatehouse.ERATELIMITED, "too many status streams; poll GET /api/v1/register/requests/{id} instead"))
		return
	}
	defer visitStreams.Add(-1)
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no")
	c.Status(200)
	send := func(b *visitStatusResponse) {
		j, _ := json.Marshal(b)
		fmt.Fprintf(c.Writer, "event: status\ndata: %s\n\n", j)
		c.Writer.Flush()
	}
	send(b)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	last := b.Status
	for last == gatehouse.VisitPending {
		select {
		case <-c.Request.Context().Done():
			return
		case <-s.closing:
			return
		case <-heartbeat.C:
			fmt.Fprint(c.Writer, ": heartbeat\n\n")
			c.Writer.Flush()
		case <-tick.C:
			nb, _, err := s.visitStatus(c)
			if err != nil {
				return
			}
			if nb.Status != last {
				send(nb)
				last = nb.Status
			}
		}
	}
}

type visitRequestResponse struct {
	ID             int64            `json:"id"`
	CommunityID    int64            `json:"community_id"`
	GateID         int64            `json:"gate_id,omitempty"`
	Status         string           `json:"status"`
	Visitor        *visitorResponse `json:"visitor"`
	Building       string           `json:"building"`
	Unit           string           `json:"unit"`
	Room           string           `json:"room"`
	Purpose        string           `json:"purpose"`
	Watchlisted    bool             `json:"watchlisted"`
	HouseholdPhone string           `json:"household_phone,omitempty"`
	Consent        visitConsentBody `json:"consent"`
	ExpiresAt      time.Time        `json:"expires_at"`
	DecidedAt      *time.Time       `json:"decided_at,omitempty"`
	DecidedBy      int64            `json:"decided_by,omitempty"`
	DenyReason     string           `json:"deny_reason,omitempty"`
	PassID         int64            `json:"pass_id,omitempty"`
	Pass           *passResponse    `json:"pass,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	Erased         bool             `json:"erased"`
	Alert          bool             `json:"alert,omitempty"`
}

type visitConsentBody struct {
	IDNumber      bool      `json:"id_number"`
	NoticeVersion string    `json:"notice_version"`
	At            time.Time `json:"at"`
}

func visitBody(d *gatehouse.Disclosure, pr *gatehouse.Principal, r *gatehouse.VisitRequest, status, phone string) visitRequestResponse {
	v := r.Visitor
	return visitRequestResponse{ID: r.ID, CommunityID: r.CommunityID, GateID: r.GateID, Status: status, Visitor: visitorBody(d, pr, &v),
		Building: r.Household.Building, Unit: r.Household.Unit, Room: r.Household.Room, Purpose: r.Purpose, Watchlisted: r.Watchlisted,
		HouseholdPhone: phone, Consent: visitConsentBody{IDNumber: r.Consent.IDNumber, NoticeVersion: r.Consent.NoticeVersion, At: r.Consent.At},
		ExpiresAt: r.ExpiresAt, DecidedAt: r.DecidedAt, DecidedBy: r.DecidedBy, DenyReason: r.DenyReason, PassID: r.PassID,
		CreatedAt: r.CreatedAt, Erased: r.ErasedAt != nil}
}

func (s *Server) listVisitRequests(c *gin.Context) {
	pr := principal(c)
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
	gid, err := queryID(c, "gate_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, next, err := s.visits.List(c.Request.Context(), pr, service.VisitQuery{CommunityID: cid, GateID: gid, Status: c.Query("status")}, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := gatehouse.Disclose(pr, cid, "visit_requests")
	out := make([]visitRequestResponse, len(rows))
	for i, r := range rows {
		out[i] = visitBody(d, pr, r.VisitRequest, r.Status, r.HouseholdPhone)
	}
	s.respond(c, 200, list(out, next), d)
}

type approveRequest struct {
	ValidUntil string `json:"valid_until"`
	MaxEntries *int   `json:"max_entries"`
}

func (s *Server) approveVisit(c *gin.Context) {
	id, err := idParam(c, "id", "visit request")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req approveRequest
	if c.Request.ContentLength != 0 {
		if err := decode(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	pr := principal(c)
	r, p, err := s.visits.Approve(c.Request.Context(), pr, id, service.ApproveInput{ValidUntil: req.ValidUntil, MaxEntries: req.MaxEntries})
	if err != nil {
		s.fail(c, err)
		return
	}
	d := gatehouse.Disclose(pr, r.CommunityID, fmt.Sprintf("visit_request:%d", r.ID))
	b := visitBody(d, pr, r, r.Status, "")
	pb, err := s.passBody(c, d, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	b.Pass = &pb
	s.respond(c, 200, b, d)
}

type denyRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) denyVisit(c *gin.Context) {
	id, err := idParam(c, "id", "visit request")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req denyRequest
	if c.Request.ContentLength != 0 {
		if err := decode(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	pr := principal(c)
	r, err := s.visits.Deny(c.Request.Context(), pr, id, req.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := gatehouse.Disclose(pr, r.CommunityID, fmt.Sprintf("visit_request:%d", r.ID))
	s.respond(c, 200, visitBody(d, pr, r, r.Status, ""), d)
}

// liveVisitEvent is a visit request on a live stream: never its ID number.
func liveVisitEvent(pr *gatehouse.Principal, ev *gatehouse.VisitEvent) []byte {
	d := gatehouse.Disclose(&gatehouse.Principal{Role: gatehouse.RoleGuard}, 0, "") // masked on every stream
	b := visitBody(d, pr, ev.Request, ev.Request.Status, "")
	b.Alert = ev.Alert
	j, _ := json.Marshal(b)
	return j
}
