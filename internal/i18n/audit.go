package i18n

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Audit says an access-audit record's target and detail in lang, with the
// times it names in loc. The record keeps them as they were written (in
// English, under the audit's hash chain); this is only how they are shown.
// In English they are shown as recorded; a part it does not know is
// returned as recorded.
func Audit(lang language.Tag, loc *time.Location, target, detail string) (targetText, detailText string) {
	if lang == English {
		return target, detail
	}
	return auditTarget(target), localTimes(auditDetail(detail), loc)
}

var rfc3339 = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)\b`)

// localTimes writes the RFC 3339 times in s in loc, with their offset
// (2026-11-26 00:00:00+08:00), as the exports do.
func localTimes(s string, loc *time.Location) string {
	if loc == nil {
		return s
	}
	return rfc3339.ReplaceAllStringFunc(s, func(v string) string {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return v
		}
		return t.In(loc).Format("2006-01-02 15:04:05-07:00")
	})
}

// What an audit record is about, by the names the code records.
var auditTargets = map[string]string{
	"entries":           "通行记录",
	"residents":         "住户",
	"resident":          "住户",
	"passes":            "通行证",
	"pass":              "通行证",
	"onsite":            "在场访客",
	"police_queries":    "协查记录",
	"police_query":      "协查",
	"visit_requests":    "访客登记",
	"visit_request":     "访客登记",
	"report:population": "人口信息报表",
	"id_number":         "证件号码",
	"visitor.id_number": "访客证件号码",
}

// auditTarget is "resident:12" as 住户 #12, "entries" as 通行记录.
func auditTarget(target string) string {
	if t, ok := auditTargets[target]; ok {
		return t
	}
	if kind, id, ok := strings.Cut(target, ":"); ok {
		if t, ok := auditTargets[kind]; ok {
			if _, err := strconv.ParseInt(id, 10, 64); err == nil {
				return t + " #" + id
			}
		}
	}
	return target
}

// The routes whose answers are audited, as a reader would say what was done.
var auditRoutes = map[string]string{
	"GET /api/v1/entries":                       "查询通行记录",
	"GET /api/v1/residents":                     "查询住户",
	"GET /api/v1/residents/:id":                 "查看住户",
	"POST /api/v1/residents":                    "登记住户",
	"PATCH /api/v1/residents/:id":               "修改住户",
	"GET /api/v1/passes":                        "查询通行证",
	"GET /api/v1/passes/:id":                    "查看通行证",
	"POST /api/v1/passes":                       "签发通行证",
	"POST /api/v1/passes/:id/revoke":            "作废通行证",
	"POST /api/v1/walkins":                      "登记来访",
	"POST /api/v1/entries/manual":               "人工放行",
	"GET /api/v1/onsite":                        "查看在场访客",
	"POST /api/v1/police/queries":               "协查查询",
	"GET /api/v1/police/queries":                "查看协查记录",
	"GET /api/v1/police/queries/:id":            "查看协查",
	"GET /api/v1/police/queries/:id/export.csv": "导出协查结果",
	"GET /api/v1/visit-requests":                "查看访客登记",
	"POST /api/v1/visit-requests/:id/approve":   "批准访客登记",
	"POST /api/v1/visit-requests/:id/deny":      "拒绝访客登记",
	"GET /entries id_number":                    "按证件号码查询通行记录",
	"GET /residents q":                          "按证件号码搜索住户",
}

// What a request of a method did, for a route auditRoutes lacks.
var auditMethods = map[string]string{"GET": "查看", "POST": "提交", "PATCH": "修改", "PUT": "修改", "DELETE": "删除"}

// The query parameters an audited request may name (never their values).
var auditFilters = map[string]string{
	"community_id": "小区", "from": "开始时间", "to": "结束时间", "limit": "条数", "cursor": "翻页",
	"name": "姓名", "plate": "车牌", "id_number": "证件号码", "gate_id": "门岗", "pass_id": "通行证",
	"decision": "结果", "q": "关键词", "building": "楼栋", "unit": "单元", "room": "房号", "status": "状态",
	"direction": "方向", "method": "方式", "lang": "语言", "format": "格式", "kind": "类型", "include": "包含",
}

var (
	auditUnmasked = regexp.MustCompile(`^(.*); (\d+) unmasked ID number\(s\)$`)
	auditRequest  = regexp.MustCompile(`^([A-Z]+ \S+)(?:; filters ([a-z_,.]+))?$`)
	auditReport   = regexp.MustCompile(`^format ([a-z]+); from (\S+) to (\S+); (\d+) communities$`)
	auditPolice   = regexp.MustCompile(`^purpose ("(?:[^"\\]|\\.)*"); communities \[([\d ]*)\]; (\S+) to (\S+); by \[([a-z_ ]*)\]; (\d+) entries$`)
	auditExport   = regexp.MustCompile(`^(\d+) entries; sha256 ([0-9a-f]+)$`)
	auditMasked   = regexp.MustCompile(`^masked (\S+)$`)
)

// auditDetail says a recorded detail in Chinese: what was done (the route
// and the names of its filters), how many numbers were shown whole, a
// report's format and period, a police query's purpose, communities,
// period, criteria and result, an export's size and digest.
func auditDetail(d string) string {
	if m := auditUnmasked.FindStringSubmatch(d); m != nil {
		return auditDetail(m[1]) + "；完整显示证件号码 " + m[2] + " 个"
	}
	if t, ok := auditRoutes[d]; ok {
		return t
	}
	if m := auditRequest.FindStringSubmatch(d); m != nil {
		t, ok := auditRoutes[m[1]]
		if !ok {
			// A route this list does not name yet: what was done, by its
			// method (the target says to what).
			method, _, _ := strings.Cut(m[1], " ")
			t = auditMethods[method]
		}
		if t != "" && m[2] == "" {
			return t
		}
		if t != "" {
			return t + "（筛选：" + words(strings.Split(m[2], ","), auditFilters) + "）"
		}
	}
	if m := auditReport.FindStringSubmatch(d); m != nil {
		return "下载 " + strings.ToUpper(m[1]) + "，" + m[2] + " 至 " + m[3] + "，" + m[4] + " 个小区"
	}
	if m := auditPolice.FindStringSubmatch(d); m != nil {
		purpose, err := strconv.Unquote(m[1])
		if err != nil {
			purpose = m[1]
		}
		return "用途：" + purpose + "；小区：" + strings.Join(strings.Fields(m[2]), "、") + "；" + m[3] + " 至 " + m[4] +
			"；按" + words(strings.Fields(m[5]), auditFilters) + "查询；" + m[6] + " 条记录"
	}
	if m := auditExport.FindStringSubmatch(d); m != nil {
		return m[1] + " 条记录；SHA-256 " + m[2]
	}
	if m := auditMasked.FindStringSubmatch(d); m != nil {
		return "输入的号码与已登记号码的可见部分相同：" + m[1]
	}
	return d
}

// words joins names in Chinese where known.
func words(names []string, dict map[string]string) string {
	out := make([]string, len(names))
	for i, n := range names {
		if w, ok := dict[n]; ok {
			out[i] = w
		} else {
			out[i] = n
		}
	}
	return strings.Join(out, "、")
}
