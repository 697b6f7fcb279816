package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// SafeCell keeps a spreadsheet from reading a cell as a formula: a value
// starting with = + - @ (or a tab or carriage return) gets a leading '.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// table is one section of a report, the same in CSV and XLSX.
type table struct {
	title  string
	header []string
	rows   [][]string
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (d *Dwelling) String() string {
	if d == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s %s", d.Building, d.Unit, d.Room, d.Name))
}

// tables lays the report out as tables.
func (r *Report) tables() []table {
	names := make([]string, len(r.Communities))
	for i, c := range r.Communities {
		names[i] = fmt.Sprintf("%s (%d)", c.Name, c.ID)
	}
	ts := []table{{
		title:  "Summary / 汇总",
		header: []string{"item", "value"},
		rows: [][]string{
			{"communities", strings.Join(names, "; ")},
			{"from", r.From.Format(time.RFC3339)},
			{"to", r.To.Format(time.RFC3339)},
			{"time_zone", r.TimeZone},
			{"residents", itoa(r.Residents.Total)},
			{"passes_issued", itoa(r.RegisteredVisitors.Passes)},
			{"registered_visitors", itoa(r.RegisteredVisitors.Visitors)},
			{"visits", itoa(r.Visits.Total)},
			{"unique_visitors", itoa(r.Visits.UniqueVisitors)},
			{"entries", itoa(r.Entries.Total)},
			{"entries_granted", itoa(r.Entries.Granted)},
			{"entries_denied", itoa(r.Entries.Denied)},
			{"generated_at", r.GeneratedAt.Format(time.RFC3339)},
		},
	}}
	t := table{title: "Residents by building / 各楼栋住户", header: []string{"community_id", "building", "residents"}}
	for _, b := range r.Residents.ByBuilding {
		t.rows = append(t.rows, []string{itoa(b.CommunityID), b.Building, itoa(b.Residents)})
	}
	ts = append(ts, t)
	t = table{title: "Visits by day / 每日来访", header: []string{"date", "visits", "unique_visitors"}}
	for _, d := range r.Visits.ByDay {
		t.rows = append(t.rows, []string{d.Date, itoa(d.Visits), itoa(d.UniqueVisitors)})
	}
	ts = append(ts, t)
	t = table{title: "Visits by hour of day / 各时段来访", header: []string{"hour", "visits"}}
	for _, h := range r.Visits.ByHour {
		t.rows = append(t.rows, []string{strconv.Itoa(h.Hour), itoa(h.Visits)})
	}
	ts = append(ts, t)
	t = table{title: "Entries by gate / 各门岗通行", header: []string{"gate_id", "gate", "community_id", "granted", "denied"}}
	for _, g := range r.Entries.ByGate {
		t.rows = append(t.rows, []string{itoa(g.GateID), g.GateName, itoa(g.CommunityID), itoa(g.Granted), itoa(g.Denied)})
	}
	ts = append(ts, t)
	t = table{title: "Entries by reason / 通行结果", header: []string{"reason", "decision", "entries"}}
	for _, x := range r.Entries.ByReason {
		t.rows = append(t.rows, []string{string(x.Reason), x.Decision, itoa(x.Count)})
	}
	ts = append(ts, t)
	t = table{title: fmt.Sprintf("Frequent visitors (%d+ visits) / 频繁来访", r.FrequentVisitors.MinVisits),
		header: []string{"visitor_id", "name", "id_number", "visits", "hosts"}}
	for _, f := range r.FrequentVisitors.Items {
		hosts := make([]string, len(f.Hosts))
		for i := range f.Hosts {
			hosts[i] = f.Hosts[i].String()
		}
		t.rows = append(t.rows, []string{itoa(f.VisitorID), f.Name, f.IDNumber, itoa(f.Visits), strings.Join(hosts, "; ")})
	}
	ts = append(ts, t)
	t = table{title: fmt.Sprintf("On site beyond %d hours / 超时滞留", r.LongStays.ThresholdHours),
		header: []string{"visitor_id", "community_id", "name", "id_number", "since", "until", "hours", "host"}}
	for _, s := range r.LongStays.Items {
		until := "on site"
		if s.Until != nil {
			until = s.Until.Format(time.RFC3339)
		}
		t.rows = append(t.rows, []string{itoa(s.VisitorID), itoa(s.CommunityID), s.Name, s.IDNumber, s.Since.Format(time.RFC3339), until,
			strconv.FormatFloat(s.Hours, 'f', 1, 64), s.Host.String()})
	}
	return append(ts, t)
}

// WriteCSV writes the report as CSV: sections, each a title line, a header
// and rows, separated by blank lines. Every cell is formula-safe.
func (r *Report) WriteCSV(w io.Writer) error {
	if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil { // a BOM, so that Excel reads UTF-8
		return err
	}
	cw := csv.NewWriter(w)
	for i, t := range r.tables() {
		if i > 0 {
			cw.Write([]string{})
		}
		cw.Write([]string{SafeCell(t.title)})
		cw.Write(t.header)
		for _, row := range t.rows {
			safe := make([]string, len(row))
			for j, c := range row {
				safe[j] = SafeCell(c)
			}
			cw.Write(safe)
		}
	}
	cw.Flush()
	return cw.Error()
}

// sheetNames are the XLSX sheets, one per table.
var sheetNames = []string{"Summary", "Residents", "By day", "By hour", "By gate", "By reason", "Frequent visitors", "Long stays"}

// WriteXLSX writes the report as an Excel workbook, a sheet per table;
// numbers are numbers, text is text (never a formula).
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	for i, t := range r.tables() {
		name := sheetNames[i]
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		f.SetCellStr(name, "A1", t.title)
		f.SetCellStyle(name, "A1", "A1", bold)
		for c, h := range t.header {
			cell, _ := excelize.CoordinatesToCellName(c+1, 2)
			f.SetCellStr(name, cell, h)
			f.SetCellStyle(name, cell, cell, bold)
		}
		for ri, row := range t.rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, ri+3)
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					f.SetCellInt(name, cell, n)
				} else {
					f.SetCellStr(name, cell, v)
				}
			}
		}
		f.SetColWidth(name, "A", "H", 18)
	}
	_, err := f.WriteTo(w)
	return err
}
