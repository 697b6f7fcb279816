package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// csvRecords reads a sectioned CSV download back (after its BOM).
func csvRecords(t *testing.T, body []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		t.Fatalf("no BOM: %q", body[:min(20, len(body))])
	}
	r := csv.NewReader(bytes.NewReader(body[3:]))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not read back: %v", err)
	}
	return recs
}

// hasRecord reports whether recs holds the record want.
func hasRecord(recs [][]string, want ...string) bool {
	return slices.ContainsFunc(recs, func(r []string) bool { return slices.Equal(r, want) })
}

// utcTime is a time written in UTC the RFC 3339 way, which a download must
// never hold.
var utcTime = regexp.MustCompile(`\d\dT\d\d:\d\d|:\d\dZ`)

func TestReportDownloadsAreChineseWithGateNamesAndLocalTimes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		// The period 2026-11-26 to 2026-11-28 (exclusive): its last day is the 27th.
		res := e.expect("GET", fmt.Sprintf(reportQuery, w.A)+"&format=csv", w.mgr, nil, 200, nil)
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="population-report-20261126-20261127.csv"`) ||
			!strings.Contains(cd, "filename*=UTF-8''") {
			t.Errorf("Content-Disposition %q", cd)
		}
		recs := csvRecords(t, res.Body)
		for _, want := range [][]string{
			{"汇总"}, {"项目", "数值"}, {"开始日期", "2026-11-26"}, {"结束日期（含当日）", "2026-11-27"}, {"时区", "Asia/Shanghai"},
			{"来访人次", "4"}, {"拒绝", "2"}, {"生成时间", "2026-11-27 12:00:00+08:00"},
			{"门岗编号", "门岗", "小区", "准许", "拒绝"},
			{fmt.Sprint(w.gate.ID), "南门", "翠竹苑", "5", "1"}, {fmt.Sprint(w.gate2.ID), "北门", "翠竹苑", "1", "1"},
			{"原因", "结果", "次数"}, {"验证通过，欢迎光临", "准许", "6"}, {"通行次数已用完", "拒绝", "1"}, {"这不是有效的通行码", "拒绝", "1"},
		} {
			if !hasRecord(recs, want...) {
				t.Errorf("no record %q in the CSV:\n%s", want, res.Body)
			}
		}
		if !strings.Contains(string(res.Body), ",2026-11-26 09:00:00+08:00,仍在小区内,27.0,") || utcTime.Match(res.Body) {
			t.Errorf("times of the long stay:\n%s", res.Body)
		}

		res = e.expect("GET", fmt.Sprintf(reportQuery, w.A)+"&format=xlsx", w.police, nil, 200, nil)
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="population-report-20261126-20261127.xlsx"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		f, err := excelize.OpenReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatalf("excelize cannot read the XLSX: %v", err)
		}
		defer f.Close()
		if got := strings.Join(f.GetSheetList(), ","); got != "汇总,各楼栋住户,每日来访,各时段来访,各门岗通行,通行结果,频繁来访,超时滞留,车辆停留" {
			t.Errorf("sheets %s", got)
		}
		cell := func(sheet, at string) string { v, _ := f.GetCellValue(sheet, at); return v }
		rows, _ := f.GetRows("汇总")
		if len(rows) < 3 {
			t.Fatalf("XLSX summary rows %v", rows)
		}
		summary := map[string]string{}
		for _, r := range rows[2:] {
			summary[r[0]] = r[1]
		}
		if summary["结束日期（含当日）"] != "2026-11-27" || summary["来访人次"] != "4" || summary["生成时间"] != "2026-11-27 12:00:00+08:00" {
			t.Errorf("XLSX summary %v", summary)
		}
		gates, _ := f.GetRows("各门岗通行")
		if fmt.Sprint(gates[1:]) != fmt.Sprintf("[[门岗编号 门岗 小区 准许 拒绝] [%d 南门 翠竹苑 5 1] [%d 北门 翠竹苑 1 1]]", w.gate.ID, w.gate2.ID) {
			t.Errorf("XLSX gates %v", gates)
		}
		if cell("通行结果", "A3") != "验证通过，欢迎光临" || cell("通行结果", "B4") != "拒绝" || cell("超时滞留", "E3") != "2026-11-26 09:00:00+08:00" {
			t.Errorf("XLSX reasons %q %q, stay since %q", cell("通行结果", "A3"), cell("通行结果", "B4"), cell("超时滞留", "E3"))
		}

		// English on asking; any other language is a field error.
		res = e.expect("GET", fmt.Sprintf(reportQuery, w.A)+"&format=csv&lang=en", w.mgr, nil, 200, nil)
		recs = csvRecords(t, res.Body)
		if !hasRecord(recs, "item", "value") || !hasRecord(recs, "last_day", "2026-11-27") || !hasRecord(recs, "gate_id", "gate", "community", "granted", "denied") ||
			!hasRecord(recs, "Valid pass. Welcome.", "Granted", "6") || utcTime.Match(res.Body) {
			t.Errorf("English CSV:\n%s", res.Body)
		}
		res = e.expect("GET", fmt.Sprintf(reportQuery, w.A)+"&format=xlsx&lang=en", w.mgr, nil, 200, nil)
		fe, err := excelize.OpenReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer fe.Close()
		if got := strings.Join(fe.GetSheetList(), ","); !strings.HasPrefix(got, "Summary,Residents,By day") {
			t.Errorf("English sheets %s", got)
		}
		if res := e.do("GET", fmt.Sprintf(reportQuery, w.A)+"&format=csv&lang=fr", w.mgr, nil); res.Status != 400 {
			t.Errorf("lang=fr: %d %s", res.Status, res.Body)
		} else if _, _, fields := res.Err(); fields["lang"] == "" {
			t.Errorf("lang=fr: %s", res.Body)
		}
	})
}

func TestPoliceExportIsChineseWithGateNamesAndLocalTimes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		q := map[string]any{"case_ref": "罗公(刑)字[2026]1234号", "purpose": "盗窃案调查", "community_ids": []int64{w.A},
			"from": "2026-11-26T00:00:00+08:00", "to": "2026-11-28T00:00:00+08:00", "id_number": w.visitorIDNum}
		var out policeOut
		e.expect("POST", "/api/v1/police/queries", w.police, q, 201, &out)
		res := e.expect("GET", out.ExportURL, w.police, nil, 200, nil)
		sum := sha256.Sum256(res.Body)
		if res.Header.Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) {
			t.Fatalf("X-Content-SHA256 %q does not match the body", res.Header.Get("X-Content-SHA256"))
		}
		recs := csvRecords(t, res.Body)
		if !hasRecord(recs, "Gatehouse 公安查询导出") ||
			!hasRecord(recs, "记录编号", "小区编号", "小区", "序号", "时间", "方向", "结果", "原因", "方式", "门岗编号", "门岗", "姓名", "证件号码", "车牌号",
				"被访楼栋", "被访单元", "被访房号", "记录哈希") {
			t.Fatalf("Chinese headers:\n%s", res.Body)
		}
		var entries []string
		for _, r := range recs {
			if len(r) == 18 && r[0] != "记录编号" {
				entries = append(entries, strings.Join([]string{r[2], r[4], r[5], r[6], r[7], r[8], r[10], r[11]}, " "))
			}
		}
		want := []string{
			"翠竹苑 2026-11-26 10:00:00+08:00 进 准许 验证通过，欢迎光临 二维码 南门 张伟",
			"翠竹苑 2026-11-26 12:00:00+08:00 出 准许 验证通过，欢迎光临 二维码 南门 张伟",
			"翠竹苑 2026-11-26 23:30:00+08:00 进 准许 验证通过，欢迎光临 二维码 南门 张伟",
			"翠竹苑 2026-11-27 00:30:00+08:00 出 准许 验证通过，欢迎光临 二维码 南门 张伟",
		}
		slices.Sort(entries)
		if fmt.Sprint(entries) != fmt.Sprint(want) {
			t.Errorf("entries\n%s\nwant\n%s", strings.Join(entries, "\n"), strings.Join(want, "\n"))
		}
		if !strings.Contains(string(res.Body), ",2026-11-26 00:00:00+08:00,2026-11-28 00:00:00+08:00,") || utcTime.Match(res.Body) {
			t.Errorf("the query's times are not local:\n%s", res.Body)
		}

		res = e.expect("GET", out.ExportURL+"?lang=en", w.police, nil, 200, nil)
		sum = sha256.Sum256(res.Body)
		recs = csvRecords(t, res.Body)
		if res.Header.Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) || !hasRecord(recs, "Gatehouse police export") ||
			!strings.Contains(string(res.Body), "\nentry_id,community_id,community,seq,occurred_at,direction,decision,reason,method,gate_id,gate,") ||
			!strings.Contains(string(res.Body), ",2026-11-26 10:00:00+08:00,In,Granted,Valid pass. Welcome.,QR code,") {
			t.Errorf("English export:\n%s", res.Body)
		}
	})
}
