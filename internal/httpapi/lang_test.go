package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// inLang sends a request with the given Accept-Language ("" sends none).
func (e *env) inLang(acceptLanguage, method, path, token string, body any) response {
	e.t.Helper()
	var buf bytes.Buffer
	if body != nil {
		json.NewEncoder(&buf).Encode(body)
	}
	req := httptest.NewRequest(method, path, &buf)
	req.RemoteAddr = "192.0.2.1:4000"
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req)
	return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
}

func TestAScanDecisionIsSaidInTheCallersLanguage(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		var gate struct {
			DeviceKey string `json:"device_key"`
		}
		e.expect("POST", "/api/v1/gates", e.admin, map[string]any{"community_id": e.community("翠竹苑"), "name": "南门"}, 201, &gate)
		for lang, want := range map[string]string{"": "这不是有效的门卫通二维码。", "en": "This is not a valid Gatehouse code."} {
			var out struct{ Decision, Reason, Message string }
			res := e.inLang(lang, "POST", "/api/v1/scan", gate.DeviceKey, map[string]string{"code": "GH2NOTACODE", "direction": "in"})
			json.Unmarshal(res.Body, &out)
			if res.Status != 200 || out.Reason != "invalid_code" || out.Message != want {
				t.Errorf("Accept-Language %q: %d %s", lang, res.Status, res.Body)
			}
		}
	})
}
