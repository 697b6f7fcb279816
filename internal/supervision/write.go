package supervision

import (
	"encoding/csv"
	"io"

	"github.com/xuri/excelize/v2"
)

// Sheet is one table of a published month: a title, a header and rows of
// text, the same in CSV and XLSX.
type Sheet struct {
	Name   string
	Header []string
	Rows   [][]string
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// WriteCSV writes sheets as UTF-8 CSV with a BOM (for Excel), separated by
// blank lines; no cell can become a formula.
func WriteCSV(w io.Writer, sheets []Sheet) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	for i, s := range sheets {
		if i > 0 {
			if err := cw.Write([]string{}); err != nil {
				return err
			}
		}
		if err := cw.Write([]string{s.Name}); err != nil {
			return err
		}
		for _, row := range append([][]string{s.Header}, s.Rows...) {
			out := make([]string, len(row))
			for j, v := range row {
				out[j] = safeCell(v)
			}
			if err := cw.Write(out); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes sheets as an Excel workbook, a sheet per table; every
// cell is text, never a formula.
func WriteXLSX(w io.Writer, sheets []Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return err
		}
		for r, row := range append([][]string{s.Header}, s.Rows...) {
			for c, v := range row {
				cell, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					return err
				}
				if err := f.SetCellStr(s.Name, cell, v); err != nil {
					return err
				}
			}
		}
		if err := f.SetColWidth(s.Name, "A", "E", 24); err != nil {
			return err
		}
	}
	_, err := f.WriteTo(w)
	return err
}
