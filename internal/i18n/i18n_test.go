package i18n

import (
	"maps"
	"testing"
)

func TestLangIsChineseUnlessTheClientPrefersEnglish(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "zh-CN",
		"zh-CN":                   "zh-CN",
		"zh-CN,zh;q=0.9,en;q=0.8": "zh-CN",
		"en":                      "en",
		"en-US,en;q=0.9":          "en",
		"en-GB, zh;q=0.5":         "en",
		"fr-FR":                   "zh-CN",
		"not a header;;;":         "zh-CN",
	} {
		if got := Lang(header).String(); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
}

func TestTextTranslatesFormatsWithTheirArguments(t *testing.T) {
	for en, want := range map[string]string{
		"pass not found":                                              "未找到通行证",
		"gate 7 is not a gate of this community":                      "门岗 7 不属于本小区",
		"must be at most 64 characters":                               "最多 64 个字符",
		"must be at most 33 characters":                               "最多 33 个字符",
		"event e-1 of gate 3 is already recorded":                     "门岗 3 的事件 e-1 已记录",
		"too many failed logins for this account; try again in 1m0s":  "此账号登录失败次数过多，请 1 分钟 后再试",
		"too many failed logins for this address; try again in 2m30s": "此地址登录失败次数过多，请 2 分 30 秒 后再试",
		"must contain only printable characters, not U+202E (a control, bidi, zero-width or unusual space character)": "只能包含可打印字符，不能包含 U+202E（控制字符、双向控制字符、零宽字符或特殊空格）",
		"3 record(s): already registered in this dwelling":                                                            "3 条记录：该住户已在此房屋登记",
		"something the catalogue has never heard of":                                                                  "something the catalogue has never heard of",
	} {
		if got := Text(Chinese, en); got != want {
			t.Errorf("%q: %q, want %q", en, got, want)
		}
		if got := Text(English, en); got != en {
			t.Errorf("%q in English: %q", en, got)
		}
	}
}

func TestErrorKeepsFieldNamesAndTranslatesTheirProblems(t *testing.T) {
	fields := map[string]string{"id_number": "the check digit does not match (GB 11643); please re-check the number", "name": "is required"}
	msg, got := Error(Chinese, "id_number: the check digit does not match (GB 11643); please re-check the number (and 1 more problem)", fields)
	if want := "id_number：校验位不符（GB 11643），请核对号码（另有 1 处问题）"; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	if want := map[string]string{"id_number": "校验位不符（GB 11643），请核对号码", "name": "必填"}; !maps.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	msg, _ = Error(Chinese, "nothing was imported; line 3: name: is required (and 2 more problems)", map[string]string{"line 3: name": "is required"})
	if want := "未导入任何住户；line 3: name：必填（另有 2 处问题）"; msg != want {
		t.Errorf("import message %q, want %q", msg, want)
	}
	msg, same := Error(English, "name: is required", map[string]string{"name": "is required"})
	if msg != "name: is required" || same["name"] != "is required" {
		t.Errorf("English: %q %v", msg, same)
	}
}
