package httpapi_test

import (
	"maps"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
)

func TestErrorsAnswerInChineseByDefaultAndInEnglishWhenAsked(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		resident := map[string]any{"community_id": e.community("翠竹苑"), "name": "王芳", "id_type": "resident_id",
			"id_number": "110105194912310021", "phone": "13800138000", "building": "3栋", "unit": "2单元", "room": "502"}
		type answer struct {
			status        int
			code, message string
			fields        map[string]string
		}
		ask := func(lang, method, path string, body any) answer {
			res := e.inLang(lang, method, path, e.admin, body)
			code, msg, fields := res.Err()
			return answer{res.Status, code, msg, fields}
		}
		for _, tc := range []struct {
			name, method, path string
			body               any
			zh, en             answer
		}{{
			name: "a field error", method: "POST", path: "/api/v1/residents", body: resident,
			zh: answer{422, "invalid", "id_number：校验位不符（GB 11643），请核对号码",
				map[string]string{"id_number": "校验位不符（GB 11643），请核对号码"}},
			en: answer{422, "invalid", "id_number: the check digit does not match (GB 11643); please re-check the number",
				map[string]string{"id_number": "the check digit does not match (GB 11643); please re-check the number"}},
		}, {
			name: "not found", method: "GET", path: "/api/v1/passes/999",
			zh: answer{404, "not_found", "未找到通行证", nil},
			en: answer{404, "not_found", "pass not found", nil},
		}, {
			name: "an unknown field", method: "POST", path: "/api/v1/communities", body: map[string]any{"nmae": "x"},
			zh: answer{400, "bad_request", "nmae：不认识的字段", map[string]string{"nmae": "不认识的字段"}},
			en: answer{400, "bad_request", "nmae: unknown field", map[string]string{"nmae": "unknown field"}},
		}} {
			for _, lang := range []string{"", "zh-CN,zh;q=0.9", "en-US,en;q=0.9"} {
				want := tc.zh
				if strings.HasPrefix(lang, "en") {
					want = tc.en
				}
				got := ask(lang, tc.method, tc.path, tc.body)
				if got.status != want.status || got.code != want.code || got.message != want.message || !maps.Equal(got.fields, want.fields) {
					t.Errorf("%s, Accept-Language %q: %+v, want %+v", tc.name, lang, got, want)
				}
			}
		}
	})
}

func TestTheLoginRateLimitSaysHowLongToWaitInEitherLanguage(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.mustUser("guard", gatehouse.RoleGuard, []int64{e.community("翠竹苑")}, 0)
		for range 5 {
			e.inLang("", "POST", "/api/v1/auth/login", "", map[string]string{"username": "guard", "password": "guess"})
		}
		zh := e.inLang("", "POST", "/api/v1/auth/login", "", map[string]string{"username": "guard", "password": "guess"})
		en := e.inLang("en", "POST", "/api/v1/auth/login", "", map[string]string{"username": "guard", "password": "guess"})
		zhCode, zhMsg, _ := zh.Err()
		enCode, enMsg, _ := en.Err()
		if zh.Status != 429 || zhCode != "rate_limited" || zhMsg != "此账号登录失败次数过多，请 2 秒 后再试" {
			t.Errorf("Chinese: %d %s %q", zh.Status, zhCode, zhMsg)
		}
		if en.Status != 429 || enCode != "rate_limited" || enMsg != "too many failed logins for this account; try again in 2s" {
			t.Errorf("English: %d %s %q", en.Status, enCode, enMsg)
		}
		if zh.Header.Get("Content-Language") != "zh-CN" || en.Header.Get("Content-Language") != "en" {
			t.Errorf("Content-Language %q and %q", zh.Header.Get("Content-Language"), en.Header.Get("Content-Language"))
		}
	})
}
