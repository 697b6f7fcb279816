package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/report"
	"gatehouse/internal/service"
)

type policeQueryRequest struct {
	CaseRef      string  `json:"case_ref"`
	Purpose      string  `json:"purpose"`
	CommunityIDs []int64 `json:"community_ids"`
	From         string  `json:"from"`
	To           string  `json:"to"`
	IDNumber     string  `json:"id_number"`
	Name         string  `json:"name"`
	Plate        string  `json:"plate"`
}

type policeQueryResponse struct {
	ID           int64     `json:"id"`
	CaseRef      string    `json:"case_ref"`
	Purpose      string    `json:"purpose"`
	CommunityIDs []int64   `json:"community_ids"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	IDNumber     string    `json:"id_number,omitempty"`
	Name         string    `json:"name,omitempty"`
	Plate        string    `json:"plate,omitempty"`
	ResultCount  int       `json:"result_count"`
	Truncated    bool      `json:"truncated"`
	ExportURL    string    `json:"export_url"`
	CreatedAt    time.Time `json:"created_at"`
}

// policeResultResponse is a query as it runs: the query and its entries.
type policeResultResponse struct {
	policeQueryResponse
	Items []entryResponse `json:"items"`
}

// policeBody shows a query; its criteria may hold an ID number, shown as
// the disclosure allows (and so audited).
func policeBody(d *gatehouse.Disclosure, q *gatehouse.PoliceQuery) policeQueryResponse {
	id, _ := d.ID(q.IDNumber)
	return policeQueryResponse{ID: q.ID, CaseRef: q.CaseRef, Purpose: q.Purpose, CommunityIDs: q.CommunityIDs, From: q.From, To: q.To,
		IDNumber: id, Name: q.Name, Plate: q.Plate, ResultCount: q.ResultCount, Truncated: q.ResultCount > service.MaxPoliceResults,
		ExportURL: fmt.Sprintf("/api/v1/police/queries/%d/export.csv", q.ID), CreatedAt: q.CreatedAt}
}

// createPoliceQuery searches the entries of communities in the officer's
// jurisdiction for a case; results show identities unmasked, covered by the
// query's own audit event, written with the query before anything is shown.
func (s *Server) createPoliceQuery(c *gin.Context) {
	var req policeQueryRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	pr := principal(c)
	q, entries, ev, err := s.police.Create(c.Request.Context(), pr, service.PoliceQueryInput{CaseRef: req.CaseRef, Purpose: req.Purpose,
		CommunityIDs: req.CommunityIDs, From: req.From, To: req.To, IDNumber: req.IDNumber, Name: req.Name, Plate: req.Plate})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.Metrics.Audited(ev.Action)
	d := gatehouse.Disclose(pr, ev.CommunityID, fmt.Sprintf("police_query:%d", q.ID))
	items, err := s.entryBodies(c, d, entries)
	if err != nil {
		s.fail(c, err)
		return
	}
	if items == nil {
		items = []entryResponse{}
	}
	c.JSON(201, policeResultResponse{policeQueryResponse: policeBody(d, q), Items: items})
}

// scopedPoliceQuery is the query of the path that the caller may read.
func (s *Server) scopedPoliceQuery(c *gin.Context) (*gatehouse.PoliceQuery, error) {
	id, err := idParam(c, "id", "police query")
	if err != nil {
		return nil, err
	}
	return s.police.Get(c.Request.Context(), principal(c), id)
}

func (s *Server) listPoliceQueries(c *gin.Context) {
	pr := principal(c)
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	qs, next, err := s.police.List(c.Request.Context(), pr, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := gatehouse.Disclose(pr, 0, "police_queries")
	out := make([]policeQueryResponse, len(qs))
	for i, q := range qs {
		out[i] = policeBody(d, q)
	}
	s.respond(c, 200, list(out, next), d)
}

func (s *Server) getPoliceQuery(c *gin.Context) {
	q, err := s.scopedPoliceQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := gatehouse.Disclose(principal(c), 0, fmt.Sprintf("police_query:%d", q.ID))
	s.respond(c, 200, policeBody(d, q), d)
}

// policeCSV writes a police export: the query, each community's chain head
// (so the export can be checked against the log later), then the entries;
// headed and worded in lang, times in each community's time zone.
type policeCSV struct {
	s     *Server
	c     *gin.Context
	d     *gatehouse.Disclosure
	lang  report.Lang
	buf   bytes.Buffer
	w     *csv.Writer
	rows  int
	names map[int64]string
	locs  map[int64]*time.Location
}

// policeTime writes a time of an export exactly (fractions of a second
// kept, so that an entry can be checked against the log) and locally.
const policeTime = "2006-01-02 15:04:05.999999999-07:00"

// pick is zh in a Chinese export, en in an English one.
func (p *policeCSV) pick(zh, en string) string {
	if p.lang == report.English {
		return en
	}
	return zh
}

// Begin writes the query and chain heads, after reading the communities'
// names and time zones; the query's own times are in its first community's.
func (p *policeCSV) Begin(q *gatehouse.PoliceQuery, heads []service.ChainHead) error {
	p.names, p.locs = map[int64]string{}, map[int64]*time.Location{}
	loc := time.UTC
	for i, id := range q.CommunityIDs {
		com, err := p.s.Store.Community(p.c.Request.Context(), id)
		if err != nil {
			return err
		}
		p.names[id], p.locs[id] = com.Name, com.Location()
		if i == 0 {
			loc = com.Location()
		}
	}
	at := func(t time.Time) string { return t.In(loc).Format(policeTime) }
	p.buf.WriteString("\xef\xbb\xbf")
	p.w = csv.NewWriter(&p.buf)
	p.w.Write([]string{p.pick("Gatehouse 公安查询导出", "Gatehouse police export")})
	p.w.Write([]string{p.pick("查询编号", "query_id"), p.pick("案件编号", "case_ref"), p.pick("查询事由", "purpose"), p.pick("民警", "officer"),
		p.pick("开始时间", "from"), p.pick("结束时间（不含）", "to"), p.pick("查询时间", "queried_at"), p.pick("导出时间", "exported_at")})
	p.w.Write([]string{strconv.FormatInt(q.ID, 10), report.SafeCell(q.CaseRef), report.SafeCell(q.Purpose), report.SafeCell(principal(p.c).Username),
		at(q.From), at(q.To), at(q.CreatedAt), at(p.s.Now())})
	p.w.Write([]string{})
	p.w.Write([]string{p.pick("小区编号", "community_id"), p.pick("链头序号", "chain_head_seq"), p.pick("链头哈希", "chain_head_hash"), p.pick("小区", "community")})
	for _, h := range heads {
		p.w.Write([]string{strconv.FormatInt(h.CommunityID, 10), strconv.FormatInt(h.Seq, 10), h.Hash, report.SafeCell(p.names[h.CommunityID])})
	}
	p.w.Write([]string{})
	return p.w.Write([]string{p.pick("记录编号", "entry_id"), p.pick("小区编号", "community_id"), p.pick("小区", "community"), p.pick("序号", "seq"),
		p.pick("时间", "occurred_at"), p.pick("方向", "direction"), p.pick("结果", "decision"), p.pick("原因", "reason"), p.pick("方式", "method"),
		p.pick("门岗编号", "gate_id"), p.pick("门岗", "gate"), p.pick("姓名", "person_name"), p.pick("证件号码", "id_number"), p.pick("车牌号", "plate"),
		p.pick("被访楼栋", "host_building"), p.pick("被访单元", "host_unit"), p.pick("被访房号", "host_room"), p.pick("记录哈希", "entry_hash")})
}

func (p *policeCSV) Entries(es []*gatehouse.Entry) error {
	bodies, err := p.s.entryBodies(p.c, p.d, es)
	if err != nil {
		return err
	}
	for _, e := range bodies {
		var b, u, r string
		if e.Host != nil {
			b, u, r = e.Host.Building, e.Host.Unit, e.Host.Room
		}
		loc := p.locs[e.CommunityID]
		if loc == nil {
			loc = time.UTC
		}
		p.w.Write([]string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.CommunityID, 10), report.SafeCell(p.names[e.CommunityID]),
			strconv.FormatInt(e.Seq, 10), e.OccurredAt.In(loc).Format(policeTime), p.lang.Direction(e.Direction), p.lang.Decision(e.Decision),
			p.lang.Reason(e.Reason), p.lang.Method(e.Method), strconv.FormatInt(e.GateID, 10), report.SafeCell(e.GateName),
			report.SafeCell(e.PersonName), report.SafeCell(e.IDNumber), report.SafeCell(e.Plate),
			report.SafeCell(b), report.SafeCell(u), report.SafeCell(r), e.Hash})
		p.rows++
	}
	return nil
}

func (p *policeCSV) Finish() (int, string, error) {
	p.w.Flush()
	if err := p.w.Error(); err != nil {
		return 0, "", err
	}
	sum := sha256.Sum256(p.buf.Bytes())
	return p.rows, hex.EncodeToString(sum[:]), nil
}

// exportPoliceQuery writes a query's entries as CSV with an X-Content-SHA256
// header of the body; the export's audit event, written before anything is
// sent, covers what it shows.
func (s *Server) exportPoliceQuery(c *gin.Context) {
	id, err := idParam(c, "id", "police query")
	if err != nil {
		s.fail(c, err)
		return
	}
	lang, err := report.ParseLang(c.Query("lang"))
	if err != nil {
		s.fail(c, err)
		return
	}
	pr := principal(c)
	w := &policeCSV{s: s, c: c, d: gatehouse.Disclose(pr, 0, fmt.Sprintf("police_query:%d", id)), lang: lang}
	q, err := s.police.Export(c.Request.Context(), pr, id, w)
	if err != nil {
		s.fail(c, err)
		return
	}
	sum := sha256.Sum256(w.buf.Bytes())
	c.Header("X-Content-SHA256", hex.EncodeToString(sum[:]))
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="police-query-%d.csv"`, q.ID))
	c.Data(200, "text/csv; charset=utf-8", w.buf.Bytes())
}
