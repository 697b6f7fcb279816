package sms_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/sms"
)

// standIn answers like sms.tencentcloudapi.com's SendSms (API 2021-01-11),
// after checking the request's TC3-HMAC-SHA256 signature the way Tencent's
// documentation describes it, independently of the SDK.
type standIn struct {
	t         *testing.T
	secretKey string
	mu        sync.Mutex
	got       []map[string]any
	answer    func(body map[string]any) string // nil: success
	badKeyOK  bool                             // a test that sends a wrong key on purpose
}

func hmac256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// signatureProblem says what is wrong with a request's signature, or "".
func (s *standIn) signatureProblem(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "TC3-HMAC-SHA256 ")
	if !ok {
		return "no TC3-HMAC-SHA256 Authorization: " + auth
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 4 || cred[2] != "sms" || cred[3] != "tc3_request" {
		return "bad Credential " + parts["Credential"]
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "no X-TC-Timestamp"
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	if cred[1] != date {
		return "the credential's date is not the timestamp's"
	}
	var canonHeaders strings.Builder
	for _, h := range strings.Split(parts["SignedHeaders"], ";") {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		fmt.Fprintf(&canonHeaders, "%s:%s\n", h, strings.ToLower(v))
	}
	canon := strings.Join([]string{r.Method, "/", "", canonHeaders.String(), parts["SignedHeaders"], sha256hex(string(body))}, "\n")
	toSign := strings.Join([]string{"TC3-HMAC-SHA256", r.Header.Get("X-TC-Timestamp"), date + "/sms/tc3_request", sha256hex(canon)}, "\n")
	k := hmac256(hmac256(hmac256([]byte("TC3"+s.secretKey), date), "sms"), "tc3_request")
	if want := hex.EncodeToString(hmac256(k, toSign)); parts["Signature"] != want {
		return "the signature does not match"
	}
	return ""
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	if p := s.signatureProblem(r, body); p != "" {
		if !s.badKeyOK {
			s.t.Errorf("stand-in: %s", p)
		}
		fmt.Fprintf(w, `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":%q},"RequestId":"req-bad-sig"}}`, p)
		return
	}
	if a := r.Header.Get("X-TC-Action"); a != "SendSms" || r.Header.Get("X-TC-Version") != "2021-01-11" {
		s.t.Errorf("stand-in: action %q version %q", a, r.Header.Get("X-TC-Version"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		s.t.Errorf("stand-in: body %s: %v", body, err)
	}
	m["X-TC-Region"] = r.Header.Get("X-TC-Region")
	s.mu.Lock()
	s.got = append(s.got, m)
	s.mu.Unlock()
	if s.answer != nil {
		io.WriteString(w, s.answer(m))
		return
	}
	phone := m["PhoneNumberSet"].([]any)[0].(string)
	fmt.Fprintf(w, `{"Response":{"SendStatusSet":[{"SerialNo":"2640:1234","PhoneNumber":%q,"Fee":1,"SessionContext":"","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"req-1"}}`, phone)
}

func newTencent(t *testing.T, secretKey string) (*sms.Tencent, *standIn) {
	t.Helper()
	st := &standIn{t: t, secretKey: "the-secret-key"}
	srv := httptest.NewServer(st)
	t.Cleanup(srv.Close)
	tc, err := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDtest", SecretKey: secretKey, AppID: "1400000001", Sign: "翠竹苑物业",
		TemplateID: "123456", Region: "ap-guangzhou", Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return tc, st
}

func TestTencentSendsASignedSendSmsRequestThroughTheSDK(t *testing.T) {
	tc, st := newTencent(t, "the-secret-key")
	if err := tc.Send(context.Background(), "13800138000", "042137", 5*time.Minute); err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(st.got) != 1 {
		t.Fatalf("the stand-in got %d requests, want 1", len(st.got))
	}
	m := st.got[0]
	want := map[string]string{"SmsSdkAppId": "1400000001", "SignName": "翠竹苑物业", "TemplateId": "123456", "X-TC-Region": "ap-guangzhou"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %s", k, m[k], v)
		}
	}
	if fmt.Sprint(m["PhoneNumberSet"]) != "[+8613800138000]" || fmt.Sprint(m["TemplateParamSet"]) != "[042137 5]" {
		t.Errorf("phones %v params %v, want [+8613800138000] and [042137 5]", m["PhoneNumberSet"], m["TemplateParamSet"])
	}
}

func TestTencentReportsTheAPIsRefusals(t *testing.T) {
	// A wrong secret key: the stand-in's signature check refuses it as Tencent would.
	tc, st := newTencent(t, "a-wrong-key")
	st.badKeyOK = true
	err := tc.Send(context.Background(), "13800138000", "111111", 5*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "AuthFailure.SignatureFailure") {
		t.Errorf("wrong key: %v, want AuthFailure.SignatureFailure", err)
	}
	// A message refused for one phone (a limit of Tencent's).
	tc, st = newTencent(t, "the-secret-key")
	st.answer = func(map[string]any) string {
		return `{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800138000","Fee":0,"SessionContext":"","Code":"LimitExceeded.PhoneNumberThirtySecondLimit","Message":"the number has been sent too often","IsoCode":"CN"}],"RequestId":"req-2"}}`
	}
	err = tc.Send(context.Background(), "13800138000", "111111", 5*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "LimitExceeded.PhoneNumberThirtySecondLimit") {
		t.Errorf("limit: %v, want LimitExceeded.PhoneNumberThirtySecondLimit", err)
	}
}

func TestLogSenderWritesTheCodeAndMasksThePhone(t *testing.T) {
	var b strings.Builder
	l := sms.Log{Logger: slog.New(slog.NewJSONHandler(&b, nil))}
	if err := l.Send(context.Background(), "13800138000", "123456", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"code":"123456"`) || !strings.Contains(b.String(), "138****8000") || strings.Contains(b.String(), "13800138000") {
		t.Errorf("log: %s, want the code and 138****8000, never the whole number", b.String())
	}
}
