package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/internal/gatehouse"
)

func TestSafeCellKeepsSpreadsheetsFromRunningFormulas(t *testing.T) {
	for in, want := range map[string]string{"": "", "张伟": "张伟", "=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "-1": "'-1",
		"@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b"} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// written is a small report whose every section has a row, with a name that
// would be a formula.
func written() *Report {
	since, until := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC), time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)
	home := &Dwelling{ResidentID: 100, CommunityID: 1, Name: "王芳", Building: "3栋", Unit: "2单元", Room: "502"}
	return &Report{
		Communities: []CommunityRef{{ID: 1, Name: "翠竹苑", TimeZone: "Asia/Shanghai"}},
		From:        since, To: until, TimeZone: "Asia/Shanghai", GeneratedAt: until,
		Residents:          Residents{Total: 2, ByBuilding: []BuildingRow{{CommunityID: 1, Building: "3栋", Residents: 2}}},
		RegisteredVisitors: Registered{Passes: 4, Visitors: 3},
		Visits:             Visits{Total: 6, UniqueVisitors: 2, ByDay: []DayRow{{Date: "2025-03-01", Visits: 6, UniqueVisitors: 2}}, ByHour: []HourRow{{Hour: 10, Visits: 6}}},
		Entries: Entries{Total: 7, Granted: 6, Denied: 1, ByGate: []GateRow{{GateID: 1, GateName: "南门", CommunityID: 1, Granted: 6, Denied: 1}},
			ByReason: []ReasonRow{{Reason: gatehouse.Granted, Decision: "grant", Count: 6}, {Reason: gatehouse.Expired, Decision: "deny", Count: 1}}},
		FrequentVisitors: Frequent{MinVisits: 5, Items: []FrequentRow{{VisitorID: 10, Name: "=cmd|' /C calc'!A0", IDNumber: "440524********0014", Visits: 6, Hosts: []Dwelling{*home}}}},
		LongStays: LongStays{ThresholdHours: 24, Items: []StayRow{
			{VisitorID: 10, CommunityID: 1, Name: "张伟", IDNumber: "440524********0014", Since: since, Until: &until, Hours: 47, Host: home},
			{VisitorID: 11, CommunityID: 1, Name: "李强", Since: since, Hours: 71.5, OnSite: true}}},
	}
}

func TestWriteCSVLaysOutEverySection(t *testing.T) {
	var b bytes.Buffer
	if err := written().WriteCSV(&b, English); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\xef\xbb\xbfSummary\n") {
		t.Errorf("no BOM and summary first: %q", out[:min(40, len(out))])
	}
	for _, line := range []string{
		"communities,翠竹苑 (1)", "residents,2", "passes_issued,4", "visits,6", "entries_denied,1",
		"1,翠竹苑,3栋,2", "2025-03-01,6,2", "10,6", "1,南门,翠竹苑,6,1", "Valid pass. Welcome.,Granted,6", "This pass has expired,Denied,1",
		"Frequent visitors (5+ visits)", `10,'=cmd|' /C calc'!A0,440524********0014,6,3栋 2单元 502 王芳`,
		"On site beyond 24 hours",
		"10,翠竹苑,张伟,440524********0014,2025-03-01 10:00:00+08:00,2025-03-03 09:00:00+08:00,47.0,3栋 2单元 502 王芳",
		"11,翠竹苑,李强,,2025-03-01 10:00:00+08:00,on site,71.5,",
	} {
		if !strings.Contains(out, "\n"+line+"\n") {
			t.Errorf("no line %q in\n%s", line, out)
		}
	}
	if n := strings.Count(out, "\n\n"); n != 8 {
		t.Errorf("%d blank lines between sections, want 8", n)
	}
}

func TestWriteXLSXHasASheetPerSectionWithNumbersAsNumbers(t *testing.T) {
	var b bytes.Buffer
	if err := written().WriteXLSX(&b, English); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != strings.Join(sheetNames[English], ",") {
		t.Errorf("sheets %s", got)
	}
	for _, c := range []struct{ sheet, cell, want string }{
		{"Summary", "A1", "Summary"}, {"Summary", "B3", "翠竹苑 (1)"}, {"By gate", "B3", "南门"}, {"By gate", "D3", "6"},
		{"Frequent visitors", "B3", "=cmd|' /C calc'!A0"}, {"Long stays", "F4", "on site"},
	} {
		if got, _ := f.GetCellValue(c.sheet, c.cell); got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
	if typ, _ := f.GetCellType("By gate", "D3"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("a count is stored as text (%v)", typ)
	}
	if formula, _ := f.GetCellFormula("Frequent visitors", "B3"); formula != "" {
		t.Errorf("a name became the formula %q", formula)
	}
}
