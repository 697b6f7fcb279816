package service

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"gatehouse/internal/gatehouse"
)

// ImportFile is a resident file as it came or as it is handed out: its bytes,
// and the name and type given with them (either may be empty on the way in).
type ImportFile struct {
	Name, ContentType string
	Body              []byte
}

// XLSXType is the media type of an Excel workbook.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// maxXLSXUnzipped bounds what a workbook may unpack to, so that a small
// upload cannot expand into gigabytes.
const maxXLSXUnzipped = 64 << 20

// importRow is one line of an import, numbered as a spreadsheet shows it.
type importRow struct {
	line  int
	cells []string
}

// importTable is an import's header and rows, whatever file they came from;
// probs holds the lines that could not be read at all.
type importTable struct {
	header importRow
	rows   []importRow
	probs  gatehouse.Problems
}

var (
	zipMagic = []byte("PK\x03\x04")
	xlsMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") // an Excel 97-2003 workbook
	utf8BOM  = []byte("\xef\xbb\xbf")
)

// fileProblem is a problem with the uploaded file as a whole.
func fileProblem(problem string) error {
	return &gatehouse.Error{Code: gatehouse.EINVALID, Message: "file: " + problem, Fields: map[string]string{"file": problem}}
}

// readImport reads a file as a table: a workbook by its content (a zip),
// else CSV text. The name and type the client gave are only checked, never
// trusted over the content.
func readImport(f ImportFile) (*importTable, error) {
	saysXLSX := strings.EqualFold(path.Ext(f.Name), ".xlsx") || strings.HasPrefix(f.ContentType, XLSXType)
	switch {
	case bytes.HasPrefix(f.Body, zipMagic):
		return readXLSX(f.Body)
	case bytes.HasPrefix(f.Body, xlsMagic) || strings.EqualFold(path.Ext(f.Name), ".xls"):
		return nil, fileProblem("is an Excel 97-2003 workbook (.xls); save it as an Excel workbook (.xlsx) or as CSV and import it again")
	case saysXLSX:
		return nil, fileProblem("is named or typed as an Excel workbook (.xlsx) but is not one; save it again from Excel")
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(f.Body, utf8BOM))) == 0 {
		return nil, gatehouse.Errorf(gatehouse.EBADREQUEST, "the CSV is empty; the first line must be a header such as name,id_type,id_number,phone,building,unit,room")
	}
	text, err := decodeCSV(f.Body)
	if err != nil {
		return nil, err
	}
	return readCSV(text)
}

// readXLSX reads the first sheet of a workbook: row 1 the header.
func readXLSX(body []byte) (*importTable, error) {
	wb, err := excelize.OpenReader(bytes.NewReader(body), excelize.Options{UnzipSizeLimit: maxXLSXUnzipped})
	if err != nil {
		return nil, fileProblem("is not an Excel workbook that can be read; save it again from Excel as .xlsx or as CSV")
	}
	defer wb.Close()
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		return nil, fileProblem("the workbook has no sheet")
	}
	rows, err := wb.GetRows(sheets[0])
	if err != nil {
		return nil, fileProblem("the first sheet of the workbook cannot be read; save it again from Excel")
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, gatehouse.Errorf(gatehouse.EBADREQUEST, "the first sheet is empty; its first row must be a header such as 姓名,证件类型,证件号码,手机号,楼栋,单元,房号")
	}
	t := &importTable{header: importRow{line: 1, cells: rows[0]}}
	for i, cells := range rows[1:] {
		t.rows = append(t.rows, importRow{line: i + 2, cells: cells})
	}
	return t, nil
}

// readCSV reads CSV text: line 1 the header.
func readCSV(text string) (*importTable, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.EBADREQUEST, "line 1: the header cannot be read as CSV")
	}
	t := &importTable{header: importRow{line: 1, cells: header}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				t.probs.Add(fmt.Sprintf("line %d", pe.Line), "is not valid CSV (check its quotes)")
				continue
			}
			return nil, gatehouse.Errorf(gatehouse.EBADREQUEST, "the CSV cannot be read")
		}
		line, _ := cr.FieldPos(0)
		t.rows = append(t.rows, importRow{line: line, cells: rec})
	}
}

// decodeCSV is a CSV's text: UTF-8 (with or without a BOM) when the file is
// valid UTF-8, else GB18030 (GBK's superset, what Excel writes for "CSV" on
// a Chinese Windows). A file that is neither, or that mixes the two, is
// refused naming the first line and column not read as the rest: nothing is
// ever imported mis-read.
func decodeCSV(body []byte) (string, error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	if utf8.Valid(body) {
		return string(body), nil
	}
	lines := bytes.SplitAfter(body, []byte("\n")) // "\n" is never inside a GB18030 character
	gbk := true                                   // what the first line that is not ASCII is in
	for _, raw := range lines {
		if !isASCII(raw) {
			gbk = !utf8.Valid(raw)
			break
		}
	}
	dec := simplifiedchinese.GB18030.NewDecoder()
	var text strings.Builder
	for _, raw := range lines {
		if isASCII(raw) {
			text.Write(raw)
			continue
		}
		switch {
		case !gbk && !utf8.Valid(raw):
			return "", encodingProblem(text.String()+string(raw[:firstInvalidUTF8(raw)]),
				"is not UTF-8 while the lines before it are: the file mixes UTF-8 and GBK; save it again from Excel as CSV UTF-8 and import it again")
		case !gbk:
			text.Write(raw)
		case utf8.Valid(raw):
			return "", encodingProblem(text.String()+string(raw[:firstNonASCII(raw)]),
				"is UTF-8 while the lines before it are GBK: the file mixes UTF-8 and GBK; save it again from Excel as CSV UTF-8 and import it again")
		default:
			s, err := dec.String(string(raw))
			if err != nil || strings.ContainsRune(s, utf8.RuneError) {
				return "", encodingProblem(text.String()+s[:strings.IndexRune(s+string(utf8.RuneError), utf8.RuneError)],
					"is neither UTF-8 nor GBK text: save the file from Excel as CSV UTF-8 or as CSV and import it again")
			}
			text.WriteString(s)
		}
	}
	return strings.TrimPrefix(text.String(), "\ufeff"), nil // GB18030 has a BOM too
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func firstNonASCII(b []byte) int {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return i
		}
	}
	return len(b)
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// encodingProblem is a problem at the end of text (the file read so far),
// named "line N: column": the column's header when the header has been
// read, else "column K".
func encodingProblem(text, problem string) error {
	line, col, quoted := 1, 0, false
	for _, r := range text {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '\n':
			line++
			if !quoted {
				col = 0
			}
		case r == ',' && !quoted:
			col++
		}
	}
	column := "column " + strconv.Itoa(col+1)
	if header, _, _ := strings.Cut(text, "\n"); line > 1 {
		if names := strings.Split(strings.TrimSpace(strings.TrimPrefix(header, "\ufeff")), ","); col < len(names) {
			column = strings.Trim(strings.TrimSpace(names[col]), `"`)
		}
	}
	field := fmt.Sprintf("line %d: %s", line, column)
	return &gatehouse.Error{Code: gatehouse.EINVALID, Message: field + ": " + problem, Fields: map[string]string{field: problem}}
}

// templateHeader and templateExample are the import template's header, as a
// Chinese manager reads it, and its one example row.
var (
	templateHeader  = []string{"姓名", "证件类型", "证件号码", "手机号", "楼栋", "单元", "房号"}
	templateExample = []string{"张三", "居民身份证", "11010519491231002X", "13800138000", "3栋", "2单元", "502"}
	templateIDTypes = []string{"居民身份证", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "其他"}
)

// ImportTemplate is the file a manager fills in for Import, in format csv or
// xlsx: the Chinese headers and one example row. The CSV is UTF-8 with a BOM
// (Excel opens it as such); the workbook keeps ID numbers and phones as text,
// so that Excel keeps every digit, and offers the document types as a list.
func (s *Residents) ImportTemplate(pr *gatehouse.Principal, format string) (*ImportFile, error) {
	if err := mayManage(pr); err != nil {
		return nil, err
	}
	switch format {
	case "", "csv":
		var buf bytes.Buffer
		buf.Write(utf8BOM)
		w := csv.NewWriter(&buf)
		w.Write(templateHeader)
		w.Write(templateExample)
		w.Flush()
		return &ImportFile{Name: "residents-template.csv", ContentType: "text/csv; charset=utf-8", Body: buf.Bytes()}, w.Error()
	case "xlsx":
		body, err := templateXLSX()
		if err != nil {
			return nil, err
		}
		return &ImportFile{Name: "residents-template.xlsx", ContentType: XLSXType, Body: body}, nil
	}
	return nil, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "format: must be csv or xlsx", Fields: map[string]string{"format": "must be csv or xlsx"}}
}

func templateXLSX() ([]byte, error) {
	const sheet = "住户"
	wb := excelize.NewFile()
	defer wb.Close()
	if err := wb.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	text, err := wb.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	bold, err := wb.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return nil, err
	}
	last := strconv.Itoa(MaxImportRows + 1)
	steps := []error{
		wb.SetColStyle(sheet, "A:G", text),
		wb.SetColWidth(sheet, "A", "G", 14),
		wb.SetColWidth(sheet, "C", "C", 22),
		wb.SetSheetRow(sheet, "A1", &templateHeader),
		wb.SetSheetRow(sheet, "A2", &templateExample),
		wb.SetRowStyle(sheet, 1, 1, bold),
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = "B2:B" + last
	steps = append(steps, dv.SetDropList(templateIDTypes), wb.AddDataValidation(sheet, dv))
	if err := errors.Join(steps...); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wb.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
