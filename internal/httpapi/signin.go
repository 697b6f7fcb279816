package httpapi

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/passcode"
	"gatehouse/internal/service"
	"gatehouse/internal/sms"
)

// deviceFields are what a sign-in body may say of its device.
type deviceFields struct {
	Remember   bool   `json:"remember"`
	DeviceName string `json:"device_name"`
}

// device is the device a sign-in comes from: the name the client gave, else
// one read from its User-Agent, and the remembered-device tokens of its
// cookie.
func device(c *gin.Context, f deviceFields) service.DeviceInfo {
	name := f.DeviceName
	if strings.TrimSpace(name) == "" {
		name = deviceFromUserAgent(c.GetHeader("User-Agent"))
	}
	return service.DeviceInfo{Name: name, Remember: f.Remember, Tokens: deviceTokens(c)}
}

// deviceCookie holds a browser's remembered-device tokens, one per account
// that signed in on it lately, newest first, joined by ".". It is no
// credential: it only spares its accounts' owners the account-wide login
// limit (README, Logins and passwords), so it is HttpOnly and sent only to
// the API.
const deviceCookie = "gatehouse_device"

func deviceTokens(c *gin.Context) []string {
	v, err := c.Cookie(deviceCookie)
	if err != nil || v == "" {
		return nil
	}
	return strings.Split(v, ".")
}

// keepDeviceToken sets the cookie to a sign-in's device token followed by
// the browser's other accounts' tokens, at most five, for 30 days.
func keepDeviceToken(c *gin.Context, token string) {
	tokens := []string{token}
	for _, t := range deviceTokens(c) {
		if t != token && len(tokens) < 5 && strings.HasPrefix(t, service.DeviceTokenPrefix) {
			tokens = append(tokens, t)
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: deviceCookie, Value: strings.Join(tokens, "."), Path: "/api/v1/",
		MaxAge: int(service.DefaultKnownFor.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"})
}

// deviceFromUserAgent names a device as a person would recognize it:
// "iPhone · Safari", "Windows · Chrome".
func deviceFromUserAgent(ua string) string {
	osName := ""
	for _, o := range [][2]string{{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"HarmonyOS", "HarmonyOS"},
		{"Windows", "Windows"}, {"Mac OS X", "Mac"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, o[0]) {
			osName = o[1]
			break
		}
	}
	browser := ""
	for _, b := range [][2]string{{"MicroMessenger", "WeChat"}, {"Edg/", "Edge"}, {"HeadlessChrome", "Chrome"}, {"Chrome/", "Chrome"},
		{"Firefox/", "Firefox"}, {"Safari/", "Safari"}, {"curl/", "curl"}} {
		if strings.Contains(ua, b[0]) {
			browser = b[1]
			break
		}
	}
	switch {
	case osName != "" && browser != "":
		return osName + " · " + browser
	case osName+browser != "":
		return osName + browser
	}
	return ""
}

// retryAfter sets Retry-After on a rate-limited answer.
func retryAfter(c *gin.Context, wait time.Duration) {
	if wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())))
	}
}

func (s *Server) signedIn(c *gin.Context, sess *service.Session, wait time.Duration, err error) {
	if err != nil {
		retryAfter(c, wait)
		s.fail(c, err)
		return
	}
	if sess.DeviceToken != "" {
		keepDeviceToken(c, sess.DeviceToken)
	}
	c.JSON(200, loginResponse{Token: sess.Token, ExpiresAt: sess.ExpiresAt, Remember: sess.Remember, User: brief(sess.User)})
}

type smsSendRequest struct {
	Phone string `json:"phone"`
}

type smsSendResponse struct {
	ResendAfter int `json:"resend_after_seconds"`
	ExpiresIn   int `json:"expires_in_seconds"`
}

// sendSMSCode texts a sign-in code; a number with no account gets the same
// answer and nothing is sent.
func (s *Server) sendSMSCode(c *gin.Context) {
	var req smsSendRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	resend, wait, err := s.smsLogin.Request(c.Request.Context(), req.Phone, c.ClientIP())
	if err != nil {
		retryAfter(c, wait)
		s.fail(c, err)
		return
	}
	c.JSON(202, smsSendResponse{ResendAfter: int(resend.Seconds()), ExpiresIn: int(s.smsLogin.CodeTTL.Seconds())})
}

type smsLoginRequest struct {
	Phone string `json:"phone"`
	Code  string `json:"code"`
	deviceFields
}

func (s *Server) smsSignIn(c *gin.Context) {
	var req smsLoginRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	sess, wait, err := s.smsLogin.Verify(c.Request.Context(), req.Phone, req.Code, c.ClientIP(), device(c, req.deviceFields))
	s.signedIn(c, sess, wait, err)
}

type deviceBody struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Method     string    `json:"method"`
	Remember   bool      `json:"remember"`
	Current    bool      `json:"current"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

func (s *Server) listDevices(c *gin.Context) {
	ds, err := s.sessions.Devices(c.Request.Context(), principal(c), c.GetString(ctxToken))
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]deviceBody, len(ds))
	for i, d := range ds {
		items[i] = deviceBody{ID: d.ID, Name: d.Name, Method: d.Method, Remember: d.Remember, Current: d.Current,
			CreatedAt: d.CreatedAt, LastUsedAt: d.LastUsedAt, ExpiresAt: d.ExpiresAt}
	}
	c.JSON(200, gin.H{"items": items, "next_cursor": nil})
}

func (s *Server) deleteDevice(c *gin.Context) {
	if err := s.sessions.SignOutDevice(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}

type householdBody struct {
	Building string `json:"building"`
	Unit     string `json:"unit"`
	Room     string `json:"room"`
}

type activationLetterResponse struct {
	ID          int64         `json:"id"`
	ResidentID  int64         `json:"resident_id"`
	Code        string        `json:"code"`
	URL         string        `json:"url"`
	QRPNG       string        `json:"qr_png"` // data: URL of the QR of url
	ExpiresAt   time.Time     `json:"expires_at"`
	Community   string        `json:"community"`
	Household   householdBody `json:"household"`
	ResidentTag string        `json:"resident_name"`
}

// activationURL is where a letter's QR leads: this server's activation page.
func (s *Server) activationURL(c *gin.Context, code string) string {
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/") + "/#/activate/" + url.PathEscape(code)
	}
	scheme := "http"
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host + "/#/activate/" + url.PathEscape(code)
}

func (s *Server) issueLetter(c *gin.Context) (*service.IssuedLetter, *activationLetterResponse, bool) {
	id, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	l, err := s.activation.Issue(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	link := s.activationURL(c, l.Code)
	png, err := passcode.PNG(link)
	if err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	return l, &activationLetterResponse{ID: l.Letter.ID, ResidentID: l.Resident.ID, Code: l.Code, URL: link,
		QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), ExpiresAt: l.Letter.ExpiresAt,
		Community: l.Community.Name, Household: householdBody{l.Resident.Building, l.Resident.Unit, l.Resident.Room},
		ResidentTag: l.Resident.Name}, true
}

// createActivationLetter issues a letter and answers its code, once.
func (s *Server) createActivationLetter(c *gin.Context) {
	if _, body, ok := s.issueLetter(c); ok {
		c.JSON(201, body)
	}
}

// letterPage is the printable letter, in Chinese: residents read it on paper.
var letterPage = template.Must(template.New("letter").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>住户激活函 · {{.Community}}</title>
<style>
body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#111}
.letter{max-width:170mm;margin:12mm auto;padding:8mm;border:1px solid #999}
h1{font-size:22pt;margin:0 0 4mm}.to{font-size:14pt}.qr{text-align:center;margin:6mm 0}
.qr img{width:55mm;height:55mm;image-rendering:pixelated}.code{font:bold 20pt/1.4 monospace;letter-spacing:2pt;text-align:center}
ol{font-size:12pt;line-height:1.7}.small{font-size:10pt;color:#444}@media print{.letter{border:0;margin:0}}
</style></head><body><div class="letter">
<h1>{{.Community}} · 住户激活函</h1>
<p class="to">致 {{.Household.Building}} {{.Household.Unit}} {{.Household.Room}} 住户 {{.ResidentTag}}：</p>
<p>请用手机扫描下方二维码，或打开 <span class="url">{{.URL}}</span> 并输入激活码，开通您的住户账号（邀请访客、出示通行码）。</p>
<div class="qr"><img alt="激活二维码" src="{{.QR}}"></div>
<p class="code" id="letter-code">{{.Code}}</p>
<ol><li>输入物业登记的手机号（须与登记一致）；</li><li>设置登录密码（至少 10 位，不要用常见密码）；</li>
<li>以后可用手机号加密码，或手机号加短信验证码登录。</li></ol>
<p class="small">本激活函仅可使用一次，有效期至 {{.Expires}}。请妥善保管，勿转交他人；如遗失请联系物业重新打印（旧函随即失效）。</p>
</div></body></html>
`))

// printActivationLetter issues a letter and answers the printable page.
func (s *Server) printActivationLetter(c *gin.Context) {
	l, body, ok := s.issueLetter(c)
	if !ok {
		return
	}
	loc, err := time.LoadLocation(l.Community.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var b strings.Builder
	err = letterPage.Execute(&b, map[string]any{"Community": body.Community, "Household": body.Household, "ResidentTag": body.ResidentTag,
		"URL": body.URL, "QR": template.URL(body.QRPNG), "Code": body.Code, "Expires": l.Letter.ExpiresAt.In(loc).Format("2006-01-02 15:04")})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(201, "text/html; charset=utf-8", []byte(b.String()))
}

type activationPreview struct {
	Community string        `json:"community"`
	Household householdBody `json:"household"`
	ExpiresAt time.Time     `json:"expires_at"`
}

// previewActivation shows, to whoever holds a code, where it belongs.
func (s *Server) previewActivation(c *gin.Context) {
	p, wait, err := s.activation.Preview(c.Request.Context(), c.Param("code"), c.ClientIP())
	if err != nil {
		retryAfter(c, wait)
		s.fail(c, err)
		return
	}
	h := p.Household
	c.JSON(200, activationPreview{Community: p.Community, Household: householdBody{h.Building, h.Unit, h.Room}, ExpiresAt: p.ExpiresAt})
}

type activateRequest struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
	deviceFields
}

// activate opens the resident's account with a letter and signs it in.
func (s *Server) activate(c *gin.Context) {
	var req activateRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	sess, wait, err := s.activation.Activate(c.Request.Context(), c.Param("code"), req.Phone, req.Password, c.ClientIP(), device(c, req.deviceFields))
	s.signedIn(c, sess, wait, err)
}

// initSignIn wires activation letters and SMS sign-in with their limits.
func (s *Server) initSignIn() {
	if s.SMS == nil {
		s.SMS = sms.Log{Logger: s.Logger}
	}
	s.activation = &service.Activation{Store: s.Store, Passwords: passwordsOf{s}, Sessions: s.sessions, Now: s.Now,
		Valid: 14 * 24 * time.Hour, Window: 15 * time.Minute, PerAddress: 20, PerCode: 5}
	s.smsLogin = &service.SMSLogin{Store: s.Store, Sender: s.SMS, Sessions: s.sessions, Now: s.Now, Log: s.Logger,
		Background: func(f func()) { go f() },
		CodeTTL:    5 * time.Minute, MaxTries: 5, ResendAfter: time.Minute, PerPhone: 5, PerAddress: 20,
		VerifyPerAddress: 30, VerifyWindow: 15 * time.Minute}
}
