package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/internal/gatehouse"
)

// uiWords reads the words of a dictionary of the web UI (zh or en) from
// static/app/js/i18n.js: "reason.expired" -> "通行证已过期".
func uiWords(t *testing.T, dict string) map[string]string {
	t.Helper()
	src, err := os.ReadFile("../../static/app/js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "\nconst "+dict+" = {\n")
	if !ok {
		t.Fatalf("no dictionary %s in i18n.js", dict)
	}
	body, _, _ = strings.Cut(body, "\n};\n")
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`'([a-z_.]+)':\s*'([^']*)'`).FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestWordsAgreeWithTheWebUI(t *testing.T) {
	for _, l := range []Lang{Chinese, English} {
		ui := uiWords(t, string(l))
		for r := range reasonWords {
			if want, ok := ui["reason."+string(r)]; ok && l.Reason(r) != want {
				t.Errorf("%s: reason %s is %q here, %q in the UI", l, r, l.Reason(r), want)
			} else if !ok && r != gatehouse.UnknownCard {
				t.Errorf("%s: the UI has no words for reason %s", l, r)
			}
		}
		for _, r := range strings.Fields("granted invalid_code unknown_pass not_yet_valid expired revoked exhausted wrong_community gate_not_allowed outside_schedule anti_passback watchlisted stale_code manual_override") {
			if l.Reason(gatehouse.Reason(r)) == r {
				t.Errorf("%s: reason %s has no words", l, r)
			}
		}
		for code, got := range map[string]string{
			"dir.in": l.Direction(gatehouse.In), "dir.out": l.Direction(gatehouse.Out),
			"decision.grant": l.Decision(gatehouse.Grant), "decision.deny": l.Decision(gatehouse.Deny),
		} {
			if ui[code] != got {
				t.Errorf("%s: %s is %q here, %q in the UI", l, code, got, ui[code])
			}
		}
	}
	if got := Chinese.Method(gatehouse.MethodPlate) + English.Method(gatehouse.MethodPlate); got != "车牌Plate" {
		t.Errorf("the plate method in words: %s", got)
	}
	if got := Chinese.Method(gatehouse.MethodQR) + Chinese.Method(gatehouse.MethodManual) + Chinese.Method(gatehouse.MethodWalkIn); got != "二维码人工放行登记" {
		t.Errorf("methods in Chinese: %s", got)
	}
	if got := Chinese.Reason("something_new"); got != "something_new" {
		t.Errorf("a reason without words: %q", got)
	}
}

func TestParseLangIsChineseByDefault(t *testing.T) {
	for in, want := range map[string]Lang{"": Chinese, "zh": Chinese, "zh-CN": Chinese, "en": English} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseLang("fr"); err == nil || !strings.Contains(err.Error(), "lang") {
		t.Errorf("ParseLang(fr): %v", err)
	}
}

func TestDownloadsAreChineseAndLocalByDefault(t *testing.T) {
	rep := written()
	// A period that ends (exclusive) at local midnight: the last day shown
	// is the day before.
	rep.From = time.Date(2025, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	rep.To = rep.From.AddDate(0, 0, 2)
	if first, last := rep.Days(); first != "2025-03-01" || last != "2025-03-02" {
		t.Errorf("days %s to %s, want 2025-03-01 to 2025-03-02", first, last)
	}
	var b bytes.Buffer
	if err := rep.WriteCSV(&b, Chinese); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\xef\xbb\xbf汇总\n") {
		t.Errorf("no BOM and summary first: %q", out[:min(40, len(out))])
	}
	for _, line := range []string{
		"项目,数值", "开始日期,2025-03-01", "结束日期（含当日）,2025-03-02", "生成时间,2025-03-03 09:00:00+08:00",
		"门岗编号,门岗,小区,准许,拒绝", "1,南门,翠竹苑,6,1", "原因,结果,次数", "验证通过，欢迎光临,准许,6", "通行证已过期,拒绝,1",
		"10,翠竹苑,张伟,440524********0014,2025-03-01 10:00:00+08:00,2025-03-03 09:00:00+08:00,47.0,3栋 2单元 502 王芳",
		"11,翠竹苑,李强,,2025-03-01 10:00:00+08:00,仍在小区内,71.5,",
	} {
		if !strings.Contains(out, "\n"+line+"\n") {
			t.Errorf("no line %q in\n%s", line, out)
		}
	}
	if regexp.MustCompile(`\d\dT\d\d:|\d\dZ\b`).MatchString(out) {
		t.Errorf("a time in UTC (RFC 3339) in\n%s", out)
	}
	if _, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\xef\xbb\xbf"))).ReadAll(); err != nil && !strings.Contains(err.Error(), "wrong number of fields") {
		t.Errorf("the CSV does not read back: %v", err)
	}

	b.Reset()
	if err := rep.WriteXLSX(&b, Chinese); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "汇总,各楼栋住户,每日来访,各时段来访,各门岗通行,通行结果,频繁来访,超时滞留,车辆停留" {
		t.Errorf("sheets %s", got)
	}
	for _, c := range []struct{ sheet, cell, want string }{
		{"汇总", "A2", "项目"}, {"各门岗通行", "B3", "南门"}, {"通行结果", "A3", "验证通过，欢迎光临"}, {"通行结果", "B4", "拒绝"},
		{"超时滞留", "E3", "2025-03-01 10:00:00+08:00"}, {"超时滞留", "F4", "仍在小区内"},
	} {
		if got, _ := f.GetCellValue(c.sheet, c.cell); got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
}
