package httpapi_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

type letterOut struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	URL       string    `json:"url"`
	QRPNG     string    `json:"qr_png"`
	ExpiresAt time.Time `json:"expires_at"`
	Community string    `json:"community"`
}

type signedIn struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Remember  bool      `json:"remember"`
	User      struct {
		ID         int64  `json:"id"`
		Username   string `json:"username"`
		Role       string `json:"role"`
		ResidentID int64  `json:"resident_id"`
	} `json:"user"`
}

// signInSite is a community with a manager and a resident whose phone is
// 13800138000.
func signInSite(e *env) (mgr string, res residentOut) {
	e.t.Helper()
	c := e.community("翠竹苑")
	e.mustUser("mgr", gatehouse.RoleManager, []int64{c}, 0)
	mgr = e.login("mgr")
	return mgr, e.resident(mgr, c, "王芳", 1, "3栋", "2单元", "502")
}

func (e *env) letter(mgr string, residentID int64) letterOut {
	e.t.Helper()
	var l letterOut
	e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/activation-letters", residentID), mgr, nil, 201, &l)
	return l
}

const newPassword = "Lychee-Harbour-42"

func TestActivationLetterOpensTheResidentsAccountOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		mgr, res := signInSite(e)
		l := e.letter(mgr, res.ID)
		if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`).MatchString(l.Code) ||
			!strings.HasSuffix(l.URL, "/#/activate/"+l.Code) || !strings.HasPrefix(l.QRPNG, "data:image/png;base64,") ||
			!l.ExpiresAt.Equal(e.clock.Now().Add(14*24*time.Hour).Truncate(time.Second)) || l.Community != "翠竹苑" {
			t.Fatalf("letter: %+v", l)
		}
		var preview struct {
			Community string
			Household map[string]string
		}
		e.expect("GET", "/api/v1/activate/"+strings.ToLower(strings.ReplaceAll(l.Code, "-", "")), "", nil, 200, &preview)
		if preview.Community != "翠竹苑" || preview.Household["room"] != "502" {
			t.Errorf("preview: %+v", preview)
		}
		path := "/api/v1/activate/" + l.Code
		r := e.expect("POST", path, "", map[string]any{"phone": "13900139000", "password": newPassword}, 422, nil)
		if _, _, f := r.Err(); f["phone"] == "" {
			t.Errorf("another phone: %s, want a problem on phone", r.Body)
		}
		r = e.expect("POST", path, "", map[string]any{"phone": "138 0013 8000", "password": "password123"}, 422, nil)
		if _, _, f := r.Err(); f["password"] == "" {
			t.Errorf("a common password: %s, want a problem on password", r.Body)
		}
		var s signedIn
		e.expect("POST", path, "", map[string]any{"phone": "+86 138-0013-8000", "password": newPassword, "remember": true}, 200, &s)
		if s.User.Username != "13800138000" || s.User.Role != "resident" || s.User.ResidentID != res.ID || !s.Remember {
			t.Errorf("activated: %+v", s)
		}
		e.expect("GET", "/api/v1/auth/me", s.Token, nil, 200, nil)
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", res.ID), s.Token, nil, 200, nil)
		// Single use: the letter is spent.
		r = e.expect("POST", path, "", map[string]any{"phone": "13800138000", "password": newPassword}, 409, nil)
		if _, msg, _ := r.Err(); !strings.Contains(msg, "already been used") {
			t.Errorf("again: %s", r.Body)
		}
		// The phone and the new password sign in.
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "13800138000", "password": newPassword}, 200, nil)
		// The letter's code is not stored: nothing in the database holds it.
		if strings.Contains(dumpTable(t, e, "activation_letters"), strings.ReplaceAll(l.Code, "-", "")) {
			t.Error("the letter's code is stored in clear")
		}
	})
}

// dumpTable is every row of a table as text.
func dumpTable(t *testing.T, e *env, table string) string {
	t.Helper()
	w, _ := e.db.Pools()
	q, qerr := w.Query("SELECT * FROM " + table)
	if qerr != nil {
		t.Fatal(qerr)
	}
	defer q.Close()
	cols, _ := q.Columns()
	var b strings.Builder
	for q.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := q.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			fmt.Fprintf(&b, "%s|", v)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestActivationRenamesAManagersAccountAndEndsItsSessions(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		mgr, res := signInSite(e)
		e.mustUser("wangfang", gatehouse.RoleResident, nil, res.ID)
		old := e.login("wangfang")
		l := e.letter(mgr, res.ID)
		var s signedIn
		e.expect("POST", "/api/v1/activate/"+l.Code, "", map[string]any{"phone": "13800138000", "password": newPassword}, 200, &s)
		if s.User.Username != "13800138000" {
			t.Errorf("username %q, want the phone", s.User.Username)
		}
		e.expect("GET", "/api/v1/auth/me", old, nil, 401, nil)
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "wangfang", "password": testPassword}, 401, nil)
	})
}

func TestActivationLettersExpireAreReplacedAndDieWithAMoveOut(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		mgr, res := signInSite(e)
		first := e.letter(mgr, res.ID)
		second := e.letter(mgr, res.ID)
		body := map[string]any{"phone": "13800138000", "password": newPassword}
		e.expect("POST", "/api/v1/activate/"+first.Code, "", body, 404, nil) // replaced by the newer letter
		e.clock.Advance(14*24*time.Hour + time.Second)
		r := e.expect("POST", "/api/v1/activate/"+second.Code, "", body, 409, nil)
		if _, msg, _ := r.Err(); !strings.Contains(msg, "expired") {
			t.Errorf("expired: %s", r.Body)
		}
		mgr, e.admin = e.login("mgr"), e.login("admin") // their 12-hour sessions ended meanwhile
		third := e.letter(mgr, res.ID)
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", res.ID), mgr, nil, 204, nil)
		e.expect("POST", "/api/v1/activate/"+third.Code, "", body, 409, nil)
		// A resident of another community is not the manager's to print for.
		other := e.community("别的小区")
		stranger := e.resident(e.admin, other, "李四", 2, "1栋", "1单元", "101")
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/activation-letters", stranger.ID), mgr, nil, 404, nil)
		e.mustUser("guard", gatehouse.RoleGuard, []int64{res.CommunityID}, 0)
		e.expect("POST", fmt.Sprintf("/api/v1/residents/%d/activation-letters", res.ID), e.login("guard"), nil, 403, nil)
	})
}

func TestActivationGuessesAreLimitedPerCodeAndPerAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		mgr, res := signInSite(e)
		l := e.letter(mgr, res.ID)
		wrong := map[string]any{"phone": "13900139000", "password": newPassword}
		for range 5 {
			e.expect("POST", "/api/v1/activate/"+l.Code, "", wrong, 422, nil)
		}
		r := e.expect("POST", "/api/v1/activate/"+l.Code, "", map[string]any{"phone": "13800138000", "password": newPassword}, 429, nil)
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		e.clock.Advance(16 * time.Minute)
		e.expect("POST", "/api/v1/activate/"+l.Code, "", map[string]any{"phone": "13800138000", "password": newPassword}, 200, nil)
		// Unknown codes from one address: 20, then 429, even for a real code.
		for i := range 20 {
			e.expect("GET", fmt.Sprintf("/api/v1/activate/AAAA-BBBB-%04d", i), "", nil, 404, nil)
		}
		fresh := e.letter(mgr, e.resident(mgr, res.CommunityID, "王强", 3, "3栋", "2单元", "503").ID)
		r = e.expect("GET", "/api/v1/activate/"+fresh.Code, "", nil, 429, nil)
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})
}

// smsCode waits for the code the log sender wrote for a masked phone.
func (e *env) smsCode(masked string, n int) string {
	e.t.Helper()
	re := regexp.MustCompile(`"phone":"` + regexp.QuoteMeta(masked) + `","code":"(\d{6})"`)
	for range 200 {
		if m := re.FindAllStringSubmatch(e.logs.String(), -1); len(m) >= n {
			return m[n-1][1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("no code number %d for %s in the log", n, masked)
	return ""
}

// activated is the signInSite's resident with an account named by its phone.
func activated(e *env) (mgr string, res residentOut) {
	e.t.Helper()
	mgr, res = signInSite(e)
	l := e.letter(mgr, res.ID)
	e.expect("POST", "/api/v1/activate/"+l.Code, "", map[string]any{"phone": "13800138000", "password": newPassword}, 200, nil)
	return mgr, res
}

func TestSMSCodeSignsInOnceWithinItsTriesAndTime(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		activated(e)
		var sent struct {
			ResendAfter int `json:"resend_after_seconds"`
			ExpiresIn   int `json:"expires_in_seconds"`
		}
		e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 202, &sent)
		if sent.ResendAfter != 60 || sent.ExpiresIn != 300 {
			t.Errorf("sent: %+v, want 60 and 300", sent)
		}
		code := e.smsCode("138****8000", 1)
		// Resend: not before 60 s.
		r := e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 429, nil)
		if ra := r.Header.Get("Retry-After"); ra != "60" {
			t.Errorf("Retry-After %q, want 60", ra)
		}
		wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
		for range 5 {
			e.expect("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "13800138000", "code": wrong}, 401, nil)
		}
		// Five wrong tries spend the code: the right one no longer works.
		e.expect("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "13800138000", "code": code}, 401, nil)
		e.clock.Advance(61 * time.Second)
		e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 202, nil)
		code = e.smsCode("138****8000", 2)
		var s signedIn
		e.expect("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "138 0013 8000", "code": code, "remember": true, "device_name": "王芳的手机"}, 200, &s)
		if s.User.Username != "13800138000" || !s.Remember || !s.ExpiresAt.Equal(e.clock.Now().Add(30*24*time.Hour).Truncate(time.Second)) {
			t.Errorf("signed in: %+v", s)
		}
		// Used once.
		e.expect("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "13800138000", "code": code}, 401, nil)
		// Expired after 5 minutes.
		e.clock.Advance(61 * time.Second)
		e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 202, nil)
		code = e.smsCode("138****8000", 3)
		e.clock.Advance(5*time.Minute + time.Second)
		e.expect("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "13800138000", "code": code}, 401, nil)
		// Field problems name the field.
		r = e.expect("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "12", "code": "12ab"}, 422, nil)
		if _, _, f := r.Err(); f["phone"] == "" || f["code"] == "" {
			t.Errorf("bad input: %s", r.Body)
		}
		if strings.Contains(dumpTable(t, e, "sms_codes"), "13800138000") {
			t.Error("sms_codes holds the phone number in clear")
		}
	})
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

func TestSMSForAnUnknownPhoneAnswersAlikeAndSendsNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		activated(e)
		known := e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 202, nil)
		unknown := e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13900001111"}, 202, nil)
		if string(known.Body) != string(unknown.Body) {
			t.Errorf("known %s, unknown %s: the answers differ", known.Body, unknown.Body)
		}
		e.smsCode("138****8000", 1)
		time.Sleep(100 * time.Millisecond)
		if strings.Contains(e.logs.String(), "139****1111") {
			t.Error("a code was sent to a phone with no account")
		}
		k := e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 429, nil)
		u := e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13900001111"}, 429, nil)
		if string(k.Body) != string(u.Body) || k.Header.Get("Retry-After") != u.Header.Get("Retry-After") {
			t.Errorf("resend: known %s, unknown %s", k.Body, u.Body)
		}
		for _, c := range []string{"000000", "123456"} {
			e.expect("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "13900001111", "code": c}, 401, nil)
		}
	})
}

func TestSMSCodesAreLimitedPerAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		for i := range 20 {
			e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": fmt.Sprintf("1390000%04d", i)}, 202, nil)
		}
		r := e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 429, nil)
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		e.clock.Advance(time.Hour + time.Second)
		e.expect("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 202, nil)
	})
}

type deviceOut struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Method     string    `json:"method"`
	Remember   bool      `json:"remember"`
	Current    bool      `json:"current"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

func (e *env) devices(token string) []deviceOut {
	e.t.Helper()
	var out struct{ Items []deviceOut }
	e.expect("GET", "/api/v1/auth/devices", token, nil, 200, &out)
	return out.Items
}

func TestRememberedDevicesAreListedRenewedAndSignedOut(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, res := activated(e)
		login := func(remember bool, name string) signedIn {
			var s signedIn
			e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "13800138000", "password": newPassword,
				"remember": remember, "device_name": name}, 200, &s)
			return s
		}
		phone := login(true, "王芳的手机")
		laptop := login(false, "")
		if !phone.Remember || laptop.Remember || !laptop.ExpiresAt.Equal(e.clock.Now().Add(12*time.Hour).Truncate(time.Second)) {
			t.Errorf("phone %+v laptop %+v", phone, laptop)
		}
		ds := e.devices(phone.Token)
		var mine, other *deviceOut
		for i := range ds {
			switch {
			case ds[i].Current:
				mine = &ds[i]
			case !ds[i].Remember:
				other = &ds[i]
			}
		}
		if len(ds) != 3 || mine == nil || mine.Name != "王芳的手机" || mine.Method != "password" || other == nil {
			t.Fatalf("devices: %+v", ds)
		}
		// Used after 20 days, the remembered device is renewed for 30 more.
		e.clock.Advance(20 * 24 * time.Hour)
		e.expect("GET", "/api/v1/auth/me", phone.Token, nil, 200, nil)
		e.clock.Advance(20 * 24 * time.Hour)
		e.expect("GET", "/api/v1/auth/me", phone.Token, nil, 200, nil)
		e.expect("GET", "/api/v1/auth/me", laptop.Token, nil, 401, nil)
		// Sign another device out; a device id of someone else is 404.
		laptop = login(false, "")
		for _, d := range e.devices(phone.Token) {
			if !d.Current && !d.Remember {
				other = &d
			}
		}
		mgr := e.login("mgr")
		e.mustUser("someone", gatehouse.RoleResident, nil, e.resident(mgr, res.CommunityID, "李雷", 5, "1栋", "1单元", "101").ID)
		e.expect("DELETE", "/api/v1/auth/devices/"+other.ID, e.login("someone"), nil, 404, nil)
		e.expect("DELETE", "/api/v1/auth/devices/"+other.ID, phone.Token, nil, 204, nil)
		e.expect("GET", "/api/v1/auth/me", laptop.Token, nil, 401, nil)
		e.expect("DELETE", "/api/v1/auth/devices/"+other.ID, phone.Token, nil, 404, nil)
		e.expect("DELETE", "/api/v1/auth/devices/zz", phone.Token, nil, 404, nil)
	})
}

func TestAPasswordChangeOrAMoveOutEndsEveryDevice(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		mgr, res := activated(e)
		var a, b signedIn
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "13800138000", "password": newPassword, "remember": true}, 200, &a)
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "13800138000", "password": newPassword, "remember": true}, 200, &b)
		e.expect("PATCH", fmt.Sprintf("/api/v1/users/%d", a.User.ID), mgr, map[string]any{"password": "Another-Lychee-77"}, 200, nil)
		e.expect("GET", "/api/v1/auth/me", a.Token, nil, 401, nil)
		e.expect("GET", "/api/v1/auth/me", b.Token, nil, 401, nil)
		e.expect("POST", "/api/v1/auth/login", "", map[string]any{"username": "13800138000", "password": "Another-Lychee-77", "remember": true}, 200, &a)
		e.expect("DELETE", fmt.Sprintf("/api/v1/residents/%d", res.ID), mgr, nil, 204, nil)
		e.expect("GET", "/api/v1/auth/me", a.Token, nil, 401, nil)
	})
}

func TestOpenAPIBodiesOfResidentsSignIn(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := &oapiChecker{t: t, e: e, d: loadOpenAPI(t), covered: map[string]bool{}}
		mgr, res := signInSite(e)
		_, l := c.call("POST", fmt.Sprintf("/api/v1/residents/%d/activation-letters", res.ID), mgr, nil, 201)
		code, _ := l["code"].(string)
		page, _ := c.call("POST", fmt.Sprintf("/api/v1/residents/%d/activation-letters/print", res.ID), mgr, nil, 201)
		printed := regexp.MustCompile(`id="letter-code">([0-9A-Z-]+)<`).FindSubmatch(page.Body)
		if printed == nil || !strings.Contains(string(page.Body), "住户激活函") || !strings.Contains(string(page.Body), `src="data:image/png;base64,`) {
			t.Fatalf("the printed letter: %s", page.Body)
		}
		c.call("GET", "/api/v1/activate/"+code, "", nil, 404) // replaced by the printed letter
		c.call("GET", "/api/v1/activate/"+string(printed[1]), "", nil, 200)
		c.call("POST", "/api/v1/activate/"+string(printed[1]), "", map[string]any{"phone": "1380013800", "password": newPassword}, 422)
		_, s := c.call("POST", "/api/v1/activate/"+string(printed[1]), "", map[string]any{"phone": "13800138000", "password": newPassword,
			"remember": true, "device_name": "王芳的手机"}, 200)
		c.call("POST", "/api/v1/activate/"+string(printed[1]), "", map[string]any{"phone": "13800138000", "password": newPassword}, 409)
		c.call("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 202)
		c.call("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "13800138000"}, 429)
		c.call("POST", "/api/v1/auth/sms/send", "", map[string]any{"phone": "phone"}, 422)
		c.call("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "13800138000", "code": "000000"}, 401)
		_, sl := c.call("POST", "/api/v1/auth/sms/login", "", map[string]any{"phone": "13800138000", "code": e.smsCode("138****8000", 1)}, 200)
		tok, _ := s["token"].(string)
		_, ds := c.call("GET", "/api/v1/auth/devices", tok, nil, 200)
		items, _ := ds["items"].([]any)
		var other string
		for _, it := range items {
			if d := it.(map[string]any); d["current"] == false {
				other, _ = d["id"].(string)
			}
		}
		c.call("DELETE", "/api/v1/auth/devices/"+other, tok, nil, 204)
		c.call("DELETE", "/api/v1/auth/devices/"+other, tok, nil, 404)
		c.call("GET", "/api/v1/auth/me", sl["token"].(string), nil, 401)
	})
}
