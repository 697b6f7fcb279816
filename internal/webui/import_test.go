package webui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"gatehouse/internal/gatehouse"
)

// residentID is a valid resident ID number (GB 11643) with serial n.
func residentID(n int) string {
	first := fmt.Sprintf("44030319850615%03d", n%1000)
	return first + string(gatehouse.ResidentIDCheckChar(first))
}

// gbkCSV is a CSV as Excel saves 「CSV (逗号分隔)」 on a Chinese Windows:
// GBK, CRLF line ends, no BOM.
func gbkCSV(t *testing.T, lines ...string) []byte {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if utf8.Valid(out) {
		t.Fatalf("the GBK file is valid UTF-8 too, so it would not test the detection: % x", out[:40])
	}
	return out
}

// xlsxFile is a workbook whose first sheet holds rows.
func xlsxFile(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// allowDownloadsHere saves the downloads of this tab's browser context in dir.
func (b *browser) allowDownloadsHere(dir string) {
	b.t.Helper()
	_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID})
	if err != nil {
		b.t.Fatal(err)
	}
}

// importFile uploads a file through the manager's import form. (The path
// is kept ASCII: chromium's DevTools leaves a file input empty for a path
// with Chinese characters, though a person may pick such a file.)
func (b *browser) importFile(path string) {
	b.t.Helper()
	b.do("import "+filepath.Base(path),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#import-status').replaceChildren()`),
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{path}),
		chromedp.Click(chromedp.CSS("#import-submit")))
}

// TestAManagerImportsWhatExcelWrites is issue 15's imports in a browser: the
// templates download (CSV and XLSX, Chinese headers) and the XLSX template
// imports as it is; a GBK CSV as Excel saves it on a Chinese Windows with a
// bad ID number is refused naming the line and the field in Chinese, and
// nothing is imported; the corrected file imports with its Chinese names
// intact; an XLSX workbook imports too. In English the refusal reads in
// English.
func TestAManagerImportsWhatExcelWrites(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	st := seed(t, srv)
	mgr := srv.login(t, managerAccount[0], managerAccount[1])
	dir := t.TempDir()
	downloads := filepath.Join(dir, "downloads")
	if err := os.MkdirAll(downloads, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, body []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := residentID(101)
	bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0'] // a wrong check digit
	header := "姓名,证件类型,证件号码,手机号,楼栋,单元,房号"
	badGBK := write("residents-bad.csv", gbkCSV(t, header,
		"龚鑫,居民身份证,"+residentID(100)+",13800138011,7号楼,1单元,1201",
		"欧阳娜娜,居民身份证,"+bad+",13800138012,7号楼,1单元,1202"))
	goodGBK := write("residents.csv", gbkCSV(t, header,
		"龚鑫,居民身份证,"+residentID(100)+",13800138011,7号楼,1单元,1201",
		"欧阳娜娜,居民身份证,"+residentID(101)+",13800138012,7号楼,1单元,1202"))
	book := write("residents.xlsx", xlsxFile(t, strings.Split(header, ","),
		[]string{"司马懿", "护照", "E12345678", "13900139001", "8栋", "2单元", "301"},
		[]string{"诸葛亮", "居民身份证", residentID(102), "13900139002", "8栋", "2单元", "302"}))

	b := tab(t, srv, viewport{Name: "manager", Width: 1280, Height: 900}, outputDir(t, "imports"))
	b.allowHTTPErrors = true // the refused import
	b.allowDownloadsHere(downloads)
	b.do("open the UI", chromedp.Navigate(srv.URL+"/"))
	b.login(managerAccount)
	b.poll("the import form", `document.querySelector('#import-form') && document.querySelector('tr[data-resident-id]')`)

	// The templates, with the Chinese headers.
	b.do("download the CSV template", chromedp.Click(chromedp.CSS("#import-template-csv")))
	csvTemplate, err := os.ReadFile(waitFile(t, downloads, ".csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csvTemplate), header) {
		t.Errorf("the CSV template does not start with the Chinese header: %q", csvTemplate)
	}
	b.do("download the XLSX template", chromedp.Click(chromedp.CSS("#import-template-xlsx")))
	xlsxTemplate := waitFile(t, downloads, ".xlsx")
	wb, err := excelize.OpenFile(xlsxTemplate)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := wb.GetRows(wb.GetSheetList()[0])
	wb.Close()
	if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != header {
		t.Fatalf("the XLSX template's rows: %q %v", rows, err)
	}
	b.importFile(xlsxTemplate)
	if ok := b.poll("the template imported", `document.querySelector('#import-ok') && document.querySelector('#import-ok').textContent`); ok != "已导入 1 位住户。" {
		t.Errorf("the template's import says %q", ok)
	}

	// A GBK file with a bad line: the line and the field named, in Chinese.
	b.importFile(badGBK)
	b.poll("the import's errors", `document.querySelector('#import-errors')`)
	li := eval[string](b, `(document.querySelector('#import-errors li[data-field="line 3: id_number"]') || {}).textContent || ''`)
	if li != "第 3 行 · 证件号码: 校验位不符（GB 11643），请核对号码" {
		t.Errorf("the bad line's error reads %q; all errors: %q", li, eval[string](b, `document.querySelector('#import-errors').textContent`))
	}
	if n := eval[float64](b, `document.querySelectorAll('#import-errors li').length`); n != 1 {
		t.Errorf("%v lines named, want only line 3", n)
	}
	b.shot("import-gbk-error")
	if names := residentNames(t, srv, mgr, st.CommunityID); names["龚鑫"] {
		t.Error("a refused import stored its good line")
	}

	// The corrected GBK file, then a workbook: the names as they were typed.
	b.importFile(goodGBK)
	if ok := b.poll("the GBK file imported", `document.querySelector('#import-ok') && document.querySelector('#import-ok').textContent`); ok != "已导入 2 位住户。" {
		t.Errorf("the GBK import says %q", ok)
	}
	b.importFile(book)
	if ok := b.poll("the workbook imported", `document.querySelector('#import-ok') && document.querySelector('#import-ok').textContent`); ok != "已导入 2 位住户。" {
		t.Errorf("the XLSX import says %q", ok)
	}
	b.poll("the residents listed", `['龚鑫', '欧阳娜娜', '司马懿', '诸葛亮', '张三'].every((n) => [...document.querySelectorAll('tr[data-resident-id] td:first-child')].some((td) => td.textContent === n))`)
	b.shot("import-done")
	names := residentNames(t, srv, mgr, st.CommunityID)
	for _, n := range []string{"龚鑫", "欧阳娜娜", "司马懿", "诸葛亮", "张三"} {
		if !names[n] {
			t.Errorf("%s is not stored as typed; stored: %v", n, names)
		}
	}
	// In English, the same refusal reads in English (the upload asks for the UI's language).
	b.do("switch to English", chromedp.Click(chromedp.CSS("#lang")))
	b.poll("the English import form", `document.querySelector('#import-submit') && document.querySelector('#import-submit').textContent === 'Import'`)
	b.importFile(badGBK)
	b.poll("the import's errors in English", `document.querySelector('#import-errors')`)
	if li := eval[string](b, `(document.querySelector('#import-errors li[data-field="line 3: id_number"]') || {}).textContent || ''`); !strings.HasPrefix(li, "line 3") ||
		!strings.HasSuffix(li, ": the check digit does not match (GB 11643); please re-check the number") {
		t.Errorf("in English the bad line's error reads %q", li)
	}
	var r struct{ Items []map[string]any }
	srv.call(t, "GET", fmt.Sprintf("/api/v1/residents?community_id=%d&q=%s", st.CommunityID, "1201"), mgr, nil, 200, &r)
	if len(r.Items) != 1 || r.Items[0]["building"] != "7号楼" || r.Items[0]["unit"] != "1单元" {
		t.Errorf("the GBK file's dwelling: %v", r.Items)
	}
	b.check()
}

// residentNames are the names of a community's residents.
func residentNames(t *testing.T, s *server, token string, community int64) map[string]bool {
	t.Helper()
	var out struct{ Items []struct{ Name string } }
	s.call(t, "GET", fmt.Sprintf("/api/v1/residents?community_id=%d&limit=500", community), token, nil, 200, &out)
	names := map[string]bool{}
	for _, r := range out.Items {
		names[r.Name] = true
	}
	return names
}
