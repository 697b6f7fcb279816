package httpapi_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The Latin words a Chinese reader of the access audit may still meet: file
// formats and the digest's name, and hexadecimal digests.
var auditAllowed = regexp.MustCompile(`\b(CSV|XLSX|SHA-256)\b|\b[0-9a-f]{12,}\b`)

type auditItem struct {
	Action     string `json:"action"`
	Target     string `json:"target"`
	Detail     string `json:"detail"`
	TargetText string `json:"target_text"`
	DetailText string `json:"detail_text"`
}

func TestTheAccessAuditReadsInChineseAndAsRecordedInEnglish(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		// One record of each kind: numbers shown whole (with and without
		// filters), a search by number, a report download, a police query
		// and its export.
		e.expect("GET", fmt.Sprintf("/api/v1/entries?community_id=%d&limit=5", w.A), e.admin, nil, 200, nil)
		e.expect("GET", fmt.Sprintf("/api/v1/residents/%d", w.host.ID), e.admin, nil, 200, nil)
		e.expect("GET", fmt.Sprintf("/api/v1/passes/%d", w.v1.ID), e.admin, nil, 200, nil)
		e.expect("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", w.A), e.admin, nil, 200, nil)
		e.expect("GET", "/api/v1/entries?id_number="+w.visitorIDNum, e.admin, nil, 200, nil)
		e.expect("GET", fmt.Sprintf(reportQuery, w.A)+"&format=csv", w.mgr, nil, 200, nil)
		var q policeOut
		e.expect("POST", "/api/v1/police/queries", w.police, map[string]any{"case_ref": "罗公(刑)字[2026]1234号", "purpose": "盗窃案调查",
			"community_ids": []int64{w.A}, "from": "2026-11-26T00:00:00+08:00", "to": "2026-11-28T00:00:00+08:00", "name": "张伟", "plate": "粤B12345"}, 201, &q)
		e.expect("GET", q.ExportURL, w.police, nil, 200, nil)

		read := func(lang string) []auditItem {
			res := e.inLang(lang, "GET", "/api/v1/audit?limit=100", e.admin, nil)
			var out struct{ Items []auditItem }
			if res.Status != 200 || json.Unmarshal(res.Body, &out) != nil {
				t.Fatalf("GET /audit (%s): %d %s", lang, res.Status, res.Body)
			}
			return out.Items
		}
		zh := read("zh-CN,zh;q=0.9")
		actions := map[string]bool{}
		for _, a := range zh {
			actions[a.Action] = true
			for _, s := range []string{a.TargetText, a.DetailText} {
				if rest := auditAllowed.ReplaceAllString(s, ""); regexp.MustCompile(`[A-Za-z]{2,}`).MatchString(rest) {
					t.Errorf("%s (target %q, detail %q) reads %q to a Chinese reader", a.Action, a.Target, a.Detail, s)
				}
			}
		}
		for _, want := range []string{"id.read", "id.search", "report.download", "police.query", "police.export"} {
			if !actions[want] {
				t.Errorf("no %s record among %v", want, actions)
			}
		}
		said := map[string]bool{}
		for _, a := range zh {
			said[a.TargetText+" | "+a.DetailText] = true
		}
		for _, want := range []string{
			fmt.Sprintf(`^住户 #%d \| 查看住户；完整显示证件号码 1 个$`, w.host.ID),
			`^通行记录 \| 查询通行记录（筛选：小区、条数）；完整显示证件号码 \d+ 个$`,
			`^证件号码 \| 按证件号码查询通行记录$`,
			`^协查 #\d+ \| \d+ 条记录；SHA-256 [0-9a-f]{64}$`,
			`^人口信息报表 \| 下载 CSV，2026-11-26 00:00:00\+08:00 至 2026-11-28 00:00:00\+08:00，1 个小区$`,
			`\| 用途：盗窃案调查；小区：\d+；2026-11-26 00:00:00\+08:00 至 2026-11-28 00:00:00\+08:00；按姓名、车牌查询；\d+ 条记录$`,
		} {
			re := regexp.MustCompile(want)
			found := false
			for s := range said {
				found = found || re.MatchString(s)
			}
			if !found {
				t.Errorf("no record reads like %s; the records read:\n%s", want, strings.Join(keys(said), "\n"))
			}
		}
		// In English, target and detail read as they were recorded.
		for _, a := range read("en") {
			if a.TargetText != a.Target || a.DetailText != a.Detail {
				t.Errorf("in English %s reads %q / %q, recorded %q / %q", a.Action, a.TargetText, a.DetailText, a.Target, a.Detail)
			}
		}
	})
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
