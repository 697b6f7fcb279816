package report

import (
	"time"

	"gatehouse/internal/gatehouse"
)

// Lang is the language of a download's headers, sheet names and words:
// Chinese unless English is asked for.
type Lang string

// Languages of downloads.
const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// ParseLang reads a download's lang parameter: empty, zh or zh-CN is
// Chinese, en English.
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "zh", "zh-CN", "zh-cn":
		return Chinese, nil
	case "en":
		return English, nil
	}
	return "", &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "lang: must be zh or en", Fields: map[string]string{"lang": "must be zh or en"}}
}

// pick is zh in Chinese, en in English.
func (l Lang) pick(zh, en string) string {
	if l == English {
		return en
	}
	return zh
}

// reasonWords are the words of each reason, the same as the web UI's
// (static/app/js/i18n.js, "reason.*"), so that a file and a screen agree.
var reasonWords = map[gatehouse.Reason][2]string{
	gatehouse.Granted:         {"验证通过，欢迎光临", "Valid pass. Welcome."},
	gatehouse.InvalidCode:     {"这不是有效的通行码", "This is not a valid Gatehouse code"},
	gatehouse.UnknownPass:     {"查无此通行证", "This pass does not exist"},
	gatehouse.NotYetValid:     {"通行证尚未生效", "This pass is not valid yet"},
	gatehouse.Expired:         {"通行证已过期", "This pass has expired"},
	gatehouse.Revoked:         {"通行证已被作废", "This pass was revoked"},
	gatehouse.Exhausted:       {"通行次数已用完", "This pass has no entries left"},
	gatehouse.WrongCommunity:  {"这是其他小区的通行证", "This pass is for another community"},
	gatehouse.GateNotAllowed:  {"此通行证不能在本门岗使用", "This pass is not valid at this gate"},
	gatehouse.OutsideSchedule: {"不在允许通行的时段内", "This pass is not valid at this time of day"},
	gatehouse.AntiPassback:    {"进出记录不符（防回传）：已在小区内或尚未进入", "Anti-passback: already inside, or never came in"},
	gatehouse.Watchlisted:     {"此人在重点关注名单上，请联系物业经理", "This person is on the watchlist: call the property manager"},
	gatehouse.StaleCode:       {"通行码已过时，请在手机上刷新后再扫", "This code is too old: refresh it on the phone and scan again"},
	gatehouse.ManualOverride:  {"门卫人工放行", "Let in by a guard"},
	gatehouse.UnknownCard:     {"未登记的门禁卡", "This card is not registered"},
	gatehouse.UnknownPlate:    {"未登记的车牌，请门卫核实", "A plate not registered here: the guard decides"},
	gatehouse.LowConfidence:   {"车牌识别不确定，请门卫核对", "The camera is not sure of the plate: the guard checks it"},
}

var methodWords = map[gatehouse.Method][2]string{
	gatehouse.MethodQR:      {"二维码", "QR code"},
	gatehouse.MethodManual:  {"人工放行", "Override"},
	gatehouse.MethodWalkIn:  {"登记", "Walk-in"},
	gatehouse.MethodOffline: {"离线", "Offline"},
	gatehouse.MethodCard:    {"门禁卡", "Card"},
	gatehouse.MethodPlate:   {"车牌", "Plate"},
}

// word is a code's words in l, or the code itself when it has none.
func word[K ~string](l Lang, words map[K][2]string, k K) string {
	w, ok := words[k]
	if !ok {
		return string(k)
	}
	return l.pick(w[0], w[1])
}

// Reason is a decision's reason in words.
func (l Lang) Reason(r gatehouse.Reason) string { return word(l, reasonWords, r) }

// Method is how an entry was decided, in words.
func (l Lang) Method(m gatehouse.Method) string { return word(l, methodWords, m) }

// Decision is a decision in words (准许/拒绝).
func (l Lang) Decision(d gatehouse.Decision) string {
	return word(l, map[gatehouse.Decision][2]string{gatehouse.Grant: {"准许", "Granted"}, gatehouse.Deny: {"拒绝", "Denied"}}, d)
}

// Direction is a direction in words (进/出).
func (l Lang) Direction(d gatehouse.Direction) string {
	return word(l, map[gatehouse.Direction][2]string{gatehouse.In: {"进", "In"}, gatehouse.Out: {"出", "Out"}}, d)
}

// TimeLayout writes a time as it is read in a download: local, with its
// offset (2026-12-02 00:10:00+08:00), never bare UTC.
const TimeLayout = "2006-01-02 15:04:05-07:00"

// LocalTime is t in loc as TimeLayout.
func LocalTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(TimeLayout)
}
