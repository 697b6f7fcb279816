package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"gatehouse/internal/gatehouse"
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

// location is the report's time zone (its first community's).
func (r *Report) location() *time.Location {
	if loc, err := time.LoadLocation(r.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Days are the first and the last day the report covers, as local dates
// (2006-01-02). Its To is exclusive: a report to midnight of Dec 2 ends on
// Dec 1, the day its form, its heading and its file name all show.
func (r *Report) Days() (first, last string) {
	loc := r.location()
	return r.From.In(loc).Format("2006-01-02"), r.To.Add(-time.Nanosecond).In(loc).Format("2006-01-02")
}

// tables lays the report out as tables, headed in l; times are local, with
// their offset.
func (r *Report) tables(l Lang) []table {
	loc := r.location()
	names := make([]string, len(r.Communities))
	community := map[int64]string{}
	for i, c := range r.Communities {
		names[i] = fmt.Sprintf("%s (%d)", c.Name, c.ID)
		community[c.ID] = c.Name
	}
	first, last := r.Days()
	ts := []table{{
		title:  l.pick("汇总", "Summary"),
		header: []string{l.pick("项目", "item"), l.pick("数值", "value")},
		rows: [][]string{
			{l.pick("小区", "communities"), strings.Join(names, "; ")},
			{l.pick("开始日期", "first_day"), first},
			{l.pick("结束日期（含当日）", "last_day"), last},
			{l.pick("时区", "time_zone"), r.TimeZone},
			{l.pick("住户", "residents"), itoa(r.Residents.Total)},
			{l.pick("签发通行证", "passes_issued"), itoa(r.RegisteredVisitors.Passes)},
			{l.pick("其中：住户邀请", "passes_invited"), itoa(r.RegisteredVisitors.ByKind[gatehouse.PassGuest])},
			{l.pick("其中：门岗登记", "passes_walkin"), itoa(r.RegisteredVisitors.ByKind[gatehouse.PassWalkIn])},
			{l.pick("其中：扫码自助登记", "passes_self"), itoa(r.RegisteredVisitors.ByKind[gatehouse.PassSelf])},
			{l.pick("登记访客", "registered_visitors"), itoa(r.RegisteredVisitors.Visitors)},
			{l.pick("来访人次", "visits"), itoa(r.Visits.Total)},
			{l.pick("来访人数", "unique_visitors"), itoa(r.Visits.UniqueVisitors)},
			{l.pick("通行记录", "entries"), itoa(r.Entries.Total)},
			{l.pick("准许", "entries_granted"), itoa(r.Entries.Granted)},
			{l.pick("拒绝", "entries_denied"), itoa(r.Entries.Denied)},
			{l.pick("生成时间", "generated_at"), LocalTime(r.GeneratedAt, loc)},
		},
	}}
	t := table{title: l.pick("各楼栋住户", "Residents by building"),
		header: []string{l.pick("小区编号", "community_id"), l.pick("小区", "community"), l.pick("楼栋", "building"), l.pick("住户", "residents")}}
	for _, b := range r.Residents.ByBuilding {
		t.rows = append(t.rows, []string{itoa(b.CommunityID), community[b.CommunityID], b.Building, itoa(b.Residents)})
	}
	ts = append(ts, t)
	t = table{title: l.pick("每日来访", "Visits by day"), header: []string{l.pick("日期", "date"), l.pick("来访人次", "visits"), l.pick("来访人数", "unique_visitors")}}
	for _, d := range r.Visits.ByDay {
		t.rows = append(t.rows, []string{d.Date, itoa(d.Visits), itoa(d.UniqueVisitors)})
	}
	ts = append(ts, t)
	t = table{title: l.pick("各时段来访", "Visits by hour of day"), header: []string{l.pick("时（0-23）", "hour"), l.pick("来访人次", "visits")}}
	for _, h := range r.Visits.ByHour {
		t.rows = append(t.rows, []string{strconv.Itoa(h.Hour), itoa(h.Visits)})
	}
	ts = append(ts, t)
	t = table{title: l.pick("各门岗通行", "Entries by gate"),
		header: []string{l.pick("门岗编号", "gate_id"), l.pick("门岗", "gate"), l.pick("小区", "community"), l.pick("准许", "granted"), l.pick("拒绝", "denied")}}
	for _, g := range r.Entries.ByGate {
		t.rows = append(t.rows, []string{itoa(g.GateID), g.GateName, community[g.CommunityID], itoa(g.Granted), itoa(g.Denied)})
	}
	ts = append(ts, t)
	t = table{title: l.pick("通行结果", "Entries by reason"), header: []string{l.pick("原因", "reason"), l.pick("结果", "decision"), l.pick("次数", "entries")}}
	for _, x := range r.Entries.ByReason {
		t.rows = append(t.rows, []string{l.Reason(x.Reason), l.Decision(x.Reason.Decision()), itoa(x.Count)})
	}
	ts = append(ts, t)
	t = table{title: l.pick(fmt.Sprintf("频繁来访（%d 次及以上）", r.FrequentVisitors.MinVisits), fmt.Sprintf("Frequent visitors (%d+ visits)", r.FrequentVisitors.MinVisits)),
		header: []string{l.pick("访客编号", "visitor_id"), l.pick("姓名", "name"), l.pick("证件号码", "id_number"), l.pick("来访次数", "visits"), l.pick("被访住户", "hosts")}}
	for _, f := range r.FrequentVisitors.Items {
		hosts := make([]string, len(f.Hosts))
		for i := range f.Hosts {
			hosts[i] = f.Hosts[i].String()
		}
		t.rows = append(t.rows, []string{itoa(f.VisitorID), f.Name, f.IDNumber, itoa(f.Visits), strings.Join(hosts, "; ")})
	}
	ts = append(ts, t)
	t = table{title: l.pick(fmt.Sprintf("超时滞留（%d 小时以上）", r.LongStays.ThresholdHours), fmt.Sprintf("On site beyond %d hours", r.LongStays.ThresholdHours)),
		header: []string{l.pick("访客编号", "visitor_id"), l.pick("小区", "community"), l.pick("姓名", "name"), l.pick("证件号码", "id_number"),
			l.pick("进入时间", "since"), l.pick("离开时间", "until"), l.pick("时长（小时）", "hours"), l.pick("被访住户", "host")}}
	for _, s := range r.LongStays.Items {
		until := l.pick("仍在小区内", "on site")
		if s.Until != nil {
			until = LocalTime(*s.Until, loc)
		}
		t.rows = append(t.rows, []string{itoa(s.VisitorID), community[s.CommunityID], s.Name, s.IDNumber, LocalTime(s.Since, loc), until,
			strconv.FormatFloat(s.Hours, 'f', 1, 64), s.Host.String()})
	}
	ts = append(ts, t)
	return append(ts, r.vehicleTable(l, community, loc))
}

// vehicleTable lists the cars' stays, longest first.
func (r *Report) vehicleTable(l Lang, community map[int64]string, loc *time.Location) table {
	v := r.VehicleStays
	t := table{title: l.pick(fmt.Sprintf("车辆停留（%d 小时以上为超时）", v.ThresholdHours), fmt.Sprintf("Vehicle stays (over %d hours is long)", v.ThresholdHours)),
		header: []string{l.pick("小区", "community"), l.pick("车牌", "plate"), l.pick("车辆", "vehicle"), l.pick("进入时间", "since"),
			l.pick("离开时间", "until"), l.pick("时长（小时）", "hours"), l.pick("超时", "over_threshold")}}
	for _, s := range v.Items {
		until := l.pick("仍在小区内", "on site")
		if s.Until != nil {
			until = LocalTime(*s.Until, loc)
		}
		kind, over := l.pick("访客车辆", "visitor"), l.pick("否", "no")
		if s.Resident {
			kind = l.pick("住户车辆", "resident")
		}
		if s.OverThreshold {
			over = l.pick("是", "yes")
		}
		t.rows = append(t.rows, []string{community[s.CommunityID], s.Plate, kind, LocalTime(s.Since, loc), until,
			strconv.FormatFloat(s.Hours, 'f', 1, 64), over})
	}
	return t
}

// WriteCSV writes the report as CSV headed in l: sections, each a title
// line, a header and rows, separated by blank lines. Every cell is
// formula-safe.
func (r *Report) WriteCSV(w io.Writer, l Lang) error {
	if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil { // a BOM, so that Excel reads UTF-8
		return err
	}
	cw := csv.NewWriter(w)
	for i, t := range r.tables(l) {
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

// sheetNames are the XLSX sheets, one per table, in Chinese and English.
var sheetNames = map[Lang][]string{
	Chinese: {"汇总", "各楼栋住户", "每日来访", "各时段来访", "各门岗通行", "通行结果", "频繁来访", "超时滞留", "车辆停留"},
	English: {"Summary", "Residents", "By day", "By hour", "By gate", "By reason", "Frequent visitors", "Long stays", "Vehicle stays"},
}

// WriteXLSX writes the report as an Excel workbook headed in l, a sheet per
// table; numbers are numbers, text is text (never a formula).
func (r *Report) WriteXLSX(w io.Writer, l Lang) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	for i, t := range r.tables(l) {
		name := sheetNames[l][i]
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
