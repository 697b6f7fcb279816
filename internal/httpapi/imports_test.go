package httpapi_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http/httptest"
	"net/textproto"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// upload posts a file as the multipart field "file", with the name and type
// a browser gives it.
func (e *env) upload(path, token, name, ctype string, body []byte) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	part, err := mw.CreatePart(h)
	if err != nil {
		e.t.Fatal(err)
	}
	part.Write(body)
	mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.RemoteAddr = "192.0.2.1:4000"
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", "en")
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, req)
	return response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
}

// residentsOf lists a community's residents as "name building unit room",
// sorted.
func residentsOf(e *env, token string, community int64) []string {
	e.t.Helper()
	var list struct{ Items []residentOut }
	e.expect("GET", fmt.Sprintf("/api/v1/residents?community_id=%d&limit=100", community), token, nil, 200, &list)
	var out []string
	for _, r := range list.Items {
		out = append(out, strings.Join([]string{r.Name, r.Building, r.Unit, r.Room}, " "))
	}
	sort.Strings(out)
	return out
}

func importPath(community int64) string {
	return fmt.Sprintf("/api/v1/residents/import?community_id=%d", community)
}

// gbkCSV is a resident list as Excel saves 「CSV (逗号分隔)」 on a Chinese
// Windows: GBK, CRLF, no BOM.
const gbkCSV = "姓名,证件类型,证件号码,手机号,楼栋,单元,房号\r\n" +
	"欧阳娜娜,居民身份证,11010519491231002X,13800138000,3栋,2单元,502\r\n" +
	"李小龙,护照,E12345678,13912345678,12号楼,1单元,1101\r\n"

func TestImportReadsGBKAsExcelWritesIt(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		body, err := simplifiedchinese.GBK.NewEncoder().String(gbkCSV)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal([]byte(body), []byte(gbkCSV)) || strings.Contains(body, "欧阳") {
			t.Fatal("the encoder did not write GBK")
		}
		var out struct{ Imported int }
		e.expect("POST", importPath(w.A), w.mgr, body, 201, &out)
		if out.Imported != 2 {
			t.Fatalf("imported %d, want 2", out.Imported)
		}
		want := "[李小龙 12号楼 1单元 1101 欧阳娜娜 3栋 2单元 502 王芳 3栋 2单元 502]"
		if got := fmt.Sprint(residentsOf(e, w.mgr, w.A)); got != want {
			t.Fatalf("residents after the GBK import: %s, want %s", got, want)
		}
		// The committed fixture, written by the same encoder, uploaded as a
		// browser sends it: the same text, into the other community.
		fixture, err := os.ReadFile("testdata/residents-gbk.csv")
		if err != nil {
			t.Fatal(err)
		}
		if string(fixture) != body {
			t.Fatal("testdata/residents-gbk.csv is not gbkCSV encoded as GBK")
		}
		res := e.upload(importPath(w.B), e.admin, "住户.csv", "text/csv", fixture)
		if res.Status != 201 {
			t.Fatalf("the GBK fixture: %d %s", res.Status, res.Body)
		}
		if got := fmt.Sprint(residentsOf(e, e.admin, w.B)); got != "[李小龙 12号楼 1单元 1101 欧阳娜娜 3栋 2单元 502]" {
			t.Fatalf("residents of the fixture: %s", got)
		}
	})
}

func TestImportReadsUTF8WithAndWithoutBOM(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		csv := "姓名,证件号码,手机号,楼栋,单元,房号\r\n赵六," + validID(41) + ",13800138001,1栋,1单元,101\r\n"
		e.expect("POST", importPath(w.A), w.mgr, "\xef\xbb\xbf"+csv, 201, nil)
		e.expect("POST", importPath(w.B), e.admin, csv, 201, nil)
		for _, c := range []int64{w.A, w.B} {
			if got := residentsOf(e, e.admin, c); !strings.Contains(fmt.Sprint(got), "赵六 1栋 1单元 101") {
				t.Fatalf("community %d: %v", c, got)
			}
		}
	})
}

func TestImportRefusesMixedOrUnreadableTextNamingLineAndColumn(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		gbk := func(s string) string { b, _ := simplifiedchinese.GBK.NewEncoder().String(s); return b }
		lineCol := regexp.MustCompile(`^line \d+: \S`)
		for _, c := range []struct{ what, body, field, says string }{
			{"a line not in GBK nor UTF-8", "name,id_number,phone,building,unit,room\n" + gbk("王芳,"+validID(50)+",13800138000,3栋,2单元,1\n李四,") +
				"\x81\x20" + validID(51) + ",13800138000,3,2,2\n", "line 3: id_number", "neither UTF-8 nor GBK"},
			{"GBK after UTF-8", "name,id_number,phone,building,unit,room\n张三," + validID(52) + ",13800138001,2栋,1单元,201\n" +
				gbk("王芳") + "," + validID(53) + ",13800138002,2栋,1单元,202\n", "line 3: name", "mixes UTF-8 and GBK"},
			{"UTF-8 after GBK", gbk("姓名,证件号码,手机号,楼栋,单元,房号\n王芳,"+validID(54)+",13800138002,2栋,1单元,202\n") +
				"张三," + validID(55) + ",13800138001,2栋,1单元,201\n", "line 3: 姓名", "mixes UTF-8 and GBK"},
			{"a byte that starts no character", "\xff,name\n", "line 1: column 1", "neither UTF-8 nor GBK"},
		} {
			res := e.do("POST", importPath(w.A), w.mgr, c.body)
			_, msg, fields := res.Err()
			if res.Status != 422 || !strings.Contains(fields[c.field], c.says) || !strings.Contains(msg, c.field) {
				t.Errorf("%s: %d %s, want %q on %q", c.what, res.Status, res.Body, c.says, c.field)
			}
		}
		// Random bytes are refused, naming a line and a column.
		rnd := rand.New(rand.NewPCG(1, 2))
		for i := range 20 {
			b := make([]byte, 200)
			for j := range b {
				b[j] = byte(rnd.UintN(256))
			}
			res := e.do("POST", importPath(w.A), w.mgr, string(b))
			_, _, fields := res.Err()
			named := false
			for f := range fields {
				named = named || lineCol.MatchString(f)
			}
			if res.Status != 422 || !named {
				t.Fatalf("random bytes %d: %d %s", i, res.Status, res.Body)
			}
		}
		if got := residentsOf(e, w.mgr, w.A); len(got) != 1 { // the host of newWorld
			t.Fatalf("a refused import stored residents: %v", got)
		}
	})
}

// workbook is an XLSX whose first sheet holds rows (and a second sheet that
// must not be read).
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "名单")
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("名单", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	f.NewSheet("说明")
	f.SetSheetRow("说明", "A1", &[]any{"name", "id_number"})
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportReadsTheFirstSheetOfAnXLSX(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		// English headers, a phone typed as a number, an empty row between.
		book := workbook(t, [][]any{
			{"name", "id_type", "id_number", "phone", "building", "unit", "room"},
			{"孙悟空", "resident_id", validID(60), 13800138000, "7栋", "1单元", "701"},
			{},
			{"猪八戒", "居民身份证", validID(61), "13800138001", "7栋", "1单元", "702"},
		})
		res := e.upload(importPath(w.A), w.mgr, "住户.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", book)
		if res.Status != 201 || !strings.Contains(string(res.Body), `"imported":2`) {
			t.Fatalf("XLSX upload: %d %s", res.Status, res.Body)
		}
		if got := fmt.Sprint(residentsOf(e, w.mgr, w.A)); got != "[孙悟空 7栋 1单元 701 猪八戒 7栋 1单元 702 王芳 3栋 2单元 502]" {
			t.Fatalf("residents after the XLSX: %s", got)
		}
		// Known by its content alone (the body, no name), Chinese headers;
		// a bad row is named by its row number in the sheet.
		book = workbook(t, [][]any{
			{"姓名", "证件号码", "手机号", "楼栋", "单元", "房号"},
			{"沙僧", validID(62), "13800138002", "7栋", "1单元", "703"},
			{"唐僧", "110105194912310021", "13800138003", "7栋", "1单元", "704"},
		})
		res = e.do("POST", importPath(w.A), w.mgr, book)
		if _, _, fields := res.Err(); res.Status != 422 || fields["line 3: id_number"] == "" {
			t.Fatalf("a bad ID in the XLSX: %d %s", res.Status, res.Body)
		}
		// A file that says it is a workbook but is not; an old .xls.
		res = e.upload(importPath(w.A), w.mgr, "住户.xlsx", "", []byte("name,id_number\n"))
		if _, _, fields := res.Err(); res.Status != 422 || !strings.Contains(fields["file"], "not one") {
			t.Fatalf("a CSV named .xlsx: %d %s", res.Status, res.Body)
		}
		res = e.upload(importPath(w.A), w.mgr, "住户.xls", "application/vnd.ms-excel", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 rest"))
		if _, _, fields := res.Err(); res.Status != 422 || !strings.Contains(fields["file"], ".xls") {
			t.Fatalf("an .xls: %d %s", res.Status, res.Body)
		}
		res = e.upload(importPath(w.A), w.mgr, "住户.xlsx", "", append([]byte("PK\x03\x04"), make([]byte, 100)...))
		if _, _, fields := res.Err(); res.Status != 422 || fields["file"] == "" {
			t.Fatalf("a broken workbook: %d %s", res.Status, res.Body)
		}
		if got := residentsOf(e, w.mgr, w.A); len(got) != 3 {
			t.Fatalf("refused imports stored residents: %v", got)
		}
	})
}

func TestImportTemplateRoundTripsThroughTheImport(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		const header = "姓名,证件类型,证件号码,手机号,楼栋,单元,房号"
		res := e.expect("GET", "/api/v1/residents/import/template?format=csv", w.mgr, nil, 200, nil)
		lines := strings.Split(strings.TrimPrefix(string(res.Body), "\xef\xbb\xbf"), "\n")
		if !bytes.HasPrefix(res.Body, []byte("\xef\xbb\xbf")) || lines[0] != header || len(lines) != 3 {
			t.Fatalf("CSV template:\n%q", res.Body)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="residents-template.csv"`) {
			t.Fatalf("CSV template Content-Disposition %q", cd)
		}
		e.expect("POST", importPath(w.A), w.mgr, string(res.Body), 201, nil)

		res = e.expect("GET", "/api/v1/residents/import/template?format=xlsx", e.admin, nil, 200, nil)
		f, err := excelize.OpenReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatalf("the XLSX template cannot be read: %v", err)
		}
		rows, _ := f.GetRows(f.GetSheetList()[0])
		f.Close()
		if len(rows) != 2 || strings.Join(rows[0], ",") != header || rows[1][2] != "11010519491231002X" {
			t.Fatalf("XLSX template rows %q", rows)
		}
		res = e.upload(importPath(w.B), e.admin, "residents-template.xlsx", "", res.Body)
		if res.Status != 201 {
			t.Fatalf("the XLSX template imported: %d %s", res.Status, res.Body)
		}
		for _, c := range []int64{w.A, w.B} {
			if got := fmt.Sprint(residentsOf(e, e.admin, c)); !strings.Contains(got, "张三 3栋 2单元 502") {
				t.Fatalf("community %d after the template: %s", c, got)
			}
		}
		if res := e.do("GET", "/api/v1/residents/import/template?format=pdf", w.mgr, nil); res.Status != 400 {
			t.Fatalf("format=pdf: %d %s", res.Status, res.Body)
		}
		if res := e.do("GET", "/api/v1/residents/import/template", w.guard, nil); res.Status != 403 {
			t.Fatalf("a guard reads the template: %d", res.Status)
		}
	})
}
