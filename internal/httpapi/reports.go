package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/report"
	"gatehouse/internal/service"
)

// audit records who read or exported what; a caller shows nothing if it fails.
func (s *Server) audit(c *gin.Context, action string, communityID int64, caseRef, target, detail string) error {
	p := principal(c)
	err := s.Store.Audit(c.Request.Context(), &gatehouse.AuditEvent{ActorID: p.UserID, ActorName: p.Username, ActorRole: p.Role,
		Action: action, CommunityID: communityID, CaseRef: caseRef, Target: target, Detail: detail})
	if err == nil {
		s.Metrics.Audited(action)
	}
	return err
}

// requestDetail describes a request for the audit: its route and the names
// of its filters, never their values (an ID number searched for must not lie
// in the audit in the clear).
func requestDetail(c *gin.Context) string {
	detail := c.Request.Method + " " + c.FullPath()
	if q := c.Request.URL.Query(); len(q) > 0 {
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		sort.Strings(names)
		detail += "; filters " + strings.Join(names, ",")
	}
	return detail
}

// respond sends an answer that may show ID numbers whole, after writing the
// disclosure's audit event: nothing is shown that is not on record first.
func (s *Server) respond(c *gin.Context, status int, body any, d *gatehouse.Disclosure) {
	if ev := d.Event(requestDetail(c)); ev != nil {
		if err := s.Store.Audit(c.Request.Context(), ev); err != nil {
			s.fail(c, err)
			return
		}
		s.Metrics.Audited(ev.Action)
	}
	c.JSON(status, body)
}

// searchByID applies the rule for a search by a whole ID number (admin and
// police only) and writes its audit event before the search runs.
func (s *Server) searchByID(c *gin.Context, communityID int64, where string) error {
	ev, err := gatehouse.SearchByID(principal(c), communityID, where)
	if err != nil {
		return err
	}
	if err := s.Store.Audit(c.Request.Context(), ev); err != nil {
		return err
	}
	s.Metrics.Audited(ev.Action)
	return nil
}

// period reads from and to (RFC 3339 or a date, YYYY-MM-DD, in loc);
// by default the last 30 days.
func (s *Server) period(c *gin.Context, loc *time.Location) (time.Time, time.Time, error) {
	var probs gatehouse.Problems
	read := func(name string) time.Time {
		v := c.Query(name)
		if v == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
		if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
			return t
		}
		probs.Add(name, "must be a date (2026-11-01) or an RFC 3339 time")
		return time.Time{}
	}
	from, to := read("from"), read("to")
	if err := probs.Err(); err != nil {
		return from, to, err
	}
	if to.IsZero() {
		to = s.Now()
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	switch {
	case !to.After(from):
		probs.Add("to", "must be after from")
	case to.Sub(from) > 366*24*time.Hour:
		probs.Add("to", "a report covers at most 366 days")
	}
	return from, to, probs.Err()
}

// populationReport builds the population-information report of one
// community (or every community in scope) as JSON, CSV or XLSX.
func (s *Server) populationReport(c *gin.Context) {
	pr := principal(c)
	ctx := c.Request.Context()
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var communities []*gatehouse.Community
	if cid != 0 {
		com, err := s.scopedCommunity(c, cid)
		if err != nil {
			s.fail(c, err)
			return
		}
		communities = []*gatehouse.Community{com}
	} else {
		pg := gatehouse.Page{Limit: gatehouse.MaxPageLimit}
		for {
			some, next, err := s.Store.Communities(ctx, pr.ScopeCommunities(0), pg)
			if err != nil {
				s.fail(c, err)
				return
			}
			communities = append(communities, some...)
			if next == 0 {
				break
			}
			pg.After = next
		}
	}
	if len(communities) == 0 {
		s.fail(c, gatehouse.NotFound("community"))
		return
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" && format != "xlsx" {
		s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "format: must be json, csv or xlsx", Fields: map[string]string{"format": "must be json, csv or xlsx"}})
		return
	}
	from, to, err := s.period(c, communities[0].Location())
	if err != nil {
		s.fail(c, err)
		return
	}
	opt := report.Options{From: from, To: to, Now: s.Now()}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"min_visits", &opt.MinVisits, 10000}, {"threshold_hours", &opt.ThresholdHours, 24 * 366}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.max {
				s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: p.name + ": must be a positive whole number",
					Fields: map[string]string{p.name: fmt.Sprintf("must be a whole number from 1 to %d", p.max)}})
				return
			}
			*p.dst = n
		}
	}
	rep, err := report.Build(ctx, s.Store, communities, opt)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !gatehouse.MaySeeWhole(principal(c)) {
		pseudonymizeVisitors(rep)
	}
	if format == "json" {
		c.JSON(200, rep)
		return
	}
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if format == "csv" {
		err = rep.WriteCSV(&buf)
	} else {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = rep.WriteXLSX(&buf)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	detail := fmt.Sprintf("format %s; from %s to %s; %d communities", format, from.Format(time.RFC3339), to.Format(time.RFC3339), len(communities))
	if err := s.audit(c, gatehouse.AuditReportDownload, cid, "", "report:population", detail); err != nil {
		s.fail(c, err)
		return
	}
	name := fmt.Sprintf("population-report-%s-%s.%s", from.Format("20060102"), to.Format("20060102"), format)
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(200, ctype, buf.Bytes())
}

// pseudonymizeVisitors numbers a report's visitors 1, 2, 3 … in the order
// they appear, for roles that see ID numbers masked: a visitor's record id is
// one per ID number, so across reports it would confirm a guessed number
// (a walk-in with the guess, then see whose visits grew).
func pseudonymizeVisitors(rep *report.Report) {
	seen := map[int64]int64{}
	alias := func(id int64) int64 {
		if id == 0 {
			return 0
		}
		if a, ok := seen[id]; ok {
			return a
		}
		seen[id] = int64(len(seen) + 1)
		return seen[id]
	}
	for i := range rep.FrequentVisitors.Items {
		rep.FrequentVisitors.Items[i].VisitorID = alias(rep.FrequentVisitors.Items[i].VisitorID)
	}
	for i := range rep.LongStays.Items {
		rep.LongStays.Items[i].VisitorID = alias(rep.LongStays.Items[i].VisitorID)
	}
}

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

// maxPoliceResults bounds the entries one police query returns.
const maxPoliceResults = gatehouse.MaxPageLimit

// policeBody shows a query; its criteria may hold an ID number, shown as
// the disclosure allows (and so audited).
func policeBody(d *gatehouse.Disclosure, q *gatehouse.PoliceQuery) policeQueryResponse {
	id, _ := d.ID(q.IDNumber)
	return policeQueryResponse{ID: q.ID, CaseRef: q.CaseRef, Purpose: q.Purpose, CommunityIDs: q.CommunityIDs, From: q.From, To: q.To,
		IDNumber: id, Name: q.Name, Plate: q.Plate, ResultCount: q.ResultCount, Truncated: q.ResultCount > maxPoliceResults,
		ExportURL: fmt.Sprintf("/api/v1/police/queries/%d/export.csv", q.ID), CreatedAt: q.CreatedAt}
}

func policeFilter(q *gatehouse.PoliceQuery) gatehouse.EntryFilter {
	return gatehouse.EntryFilter{CommunityIDs: q.CommunityIDs, From: q.From, To: q.To, IDNumber: q.IDNumber, Name: q.Name,
		Plate: q.Plate, MaxID: q.MaxEntryID}
}

// createPoliceQuery searches the entries of communities in the officer's
// jurisdiction for a case. The query and its audit event are stored before
// any result is shown; results show identities unmasked.
func (s *Server) createPoliceQuery(c *gin.Context) {
	var req policeQueryRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	pr := principal(c)
	ctx := c.Request.Context()
	q := &gatehouse.PoliceQuery{UserID: pr.UserID, CaseRef: req.CaseRef, Purpose: req.Purpose, CommunityIDs: uniq(req.CommunityIDs),
		IDNumber: gatehouse.NewIDNumber(req.IDNumber), Name: req.Name, Plate: req.Plate}
	var probs gatehouse.Problems
	if req.From != "" {
		q.From = service.ParseTime(&probs, "from", req.From)
	}
	if req.To != "" {
		q.To = service.ParseTime(&probs, "to", req.To)
	}
	probs.Merge("", q.Validate())
	if err := probs.Err(); err != nil {
		s.fail(c, err)
		return
	}
	for _, id := range q.CommunityIDs {
		if _, err := s.scopedCommunity(c, id); err != nil {
			s.fail(c, err)
			return
		}
	}
	maxID, err := s.Store.MaxEntryID(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	q.MaxEntryID = maxID
	entries, _, err := s.Store.Entries(ctx, policeFilter(q), gatehouse.Page{Limit: maxPoliceResults})
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.Store.CountEntries(ctx, policeFilter(q))
	if err != nil {
		s.fail(c, err)
		return
	}
	q.ResultCount = int(n)
	ev := &gatehouse.AuditEvent{ActorID: pr.UserID, ActorName: pr.Username, ActorRole: pr.Role, Action: gatehouse.AuditPoliceQuery,
		CaseRef: q.CaseRef, Detail: fmt.Sprintf("purpose %q; communities %v; %s to %s; by %s; %d entries", q.Purpose, q.CommunityIDs,
			q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), criteriaNames(q), n)}
	if len(q.CommunityIDs) == 1 {
		ev.CommunityID = q.CommunityIDs[0]
	}
	if err := s.Store.CreatePoliceQuery(ctx, q, ev); err != nil {
		s.fail(c, err)
		return
	}
	s.Metrics.Audited(ev.Action)
	// The query's own audit event, written above with the query, covers
	// what its answer shows.
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

// criteriaNames says which criteria a query used, without their values.
func criteriaNames(q *gatehouse.PoliceQuery) string {
	var out []string
	if !q.IDNumber.IsZero() {
		out = append(out, "id_number")
	}
	if q.Name != "" {
		out = append(out, "name")
	}
	if q.Plate != "" {
		out = append(out, "plate")
	}
	return fmt.Sprint(out)
}

// scopedPoliceQuery is an officer's own query (any, for an admin).
func (s *Server) scopedPoliceQuery(c *gin.Context) (*gatehouse.PoliceQuery, error) {
	id, err := idParam(c, "id", "police query")
	if err != nil {
		return nil, err
	}
	q, err := s.Store.PoliceQuery(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if pr := principal(c); pr.Role != gatehouse.RoleAdmin && q.UserID != pr.UserID {
		return nil, gatehouse.NotFound("police query")
	}
	return q, nil
}

func (s *Server) listPoliceQueries(c *gin.Context) {
	pr := principal(c)
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	owner := pr.UserID
	if pr.Role == gatehouse.RoleAdmin {
		owner = 0
	}
	qs, next, err := s.Store.PoliceQueries(c.Request.Context(), owner, pg)
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

// exportPoliceQuery writes a query's entries as CSV, with the chain head of
// each community (so the export can be checked against the log later) and
// an X-Content-SHA256 header of the body.
func (s *Server) exportPoliceQuery(c *gin.Context) {
	q, err := s.scopedPoliceQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	pr := principal(c)
	var buf bytes.Buffer
	buf.WriteString("\xef\xbb\xbf")
	w := csv.NewWriter(&buf)
	now := s.Now().UTC()
	w.Write([]string{"Gatehouse police export"})
	w.Write([]string{"query_id", "case_ref", "purpose", "officer", "from", "to", "queried_at", "exported_at"})
	w.Write([]string{strconv.FormatInt(q.ID, 10), report.SafeCell(q.CaseRef), report.SafeCell(q.Purpose), report.SafeCell(pr.Username),
		q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), q.CreatedAt.Format(time.RFC3339), now.Format(time.RFC3339)})
	w.Write([]string{})
	w.Write([]string{"community_id", "chain_head_seq", "chain_head_hash"})
	for _, id := range q.CommunityIDs {
		seq, hash, err := s.Store.ChainHead(ctx, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		w.Write([]string{strconv.FormatInt(id, 10), strconv.FormatInt(seq, 10), hash})
	}
	w.Write([]string{})
	w.Write([]string{"entry_id", "community_id", "seq", "occurred_at", "direction", "decision", "reason", "method", "gate_id",
		"person_name", "id_number", "plate", "host_building", "host_unit", "host_room", "entry_hash"})
	rows := 0
	f := policeFilter(q)
	// The export's own audit event, written below before anything is sent,
	// covers what it shows.
	d := gatehouse.Disclose(pr, 0, fmt.Sprintf("police_query:%d", q.ID))
	pg := gatehouse.Page{Limit: gatehouse.MaxPageLimit}
	for {
		entries, next, err := s.Store.Entries(ctx, f, pg)
		if err != nil {
			s.fail(c, err)
			return
		}
		bodies, err := s.entryBodies(c, d, entries)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, e := range bodies {
			var b, u, r string
			if e.Host != nil {
				b, u, r = e.Host.Building, e.Host.Unit, e.Host.Room
			}
			w.Write([]string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.CommunityID, 10), strconv.FormatInt(e.Seq, 10),
				e.OccurredAt.Format(time.RFC3339Nano), string(e.Direction), string(e.Decision), string(e.Reason), string(e.Method),
				strconv.FormatInt(e.GateID, 10), report.SafeCell(e.PersonName), report.SafeCell(e.IDNumber), report.SafeCell(e.Plate),
				report.SafeCell(b), report.SafeCell(u), report.SafeCell(r), e.Hash})
			rows++
		}
		if next == 0 {
			break
		}
		pg.After = next
	}
	w.Flush()
	sum := sha256.Sum256(buf.Bytes())
	digest := hex.EncodeToString(sum[:])
	if err := s.audit(c, gatehouse.AuditPoliceExport, 0, q.CaseRef, fmt.Sprintf("police_query:%d", q.ID),
		fmt.Sprintf("%d entries; sha256 %s", rows, digest)); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("X-Content-SHA256", digest)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="police-query-%d.csv"`, q.ID))
	c.Data(200, "text/csv; charset=utf-8", buf.Bytes())
}

type auditResponse struct {
	ID          int64          `json:"id"`
	Seq         int64          `json:"seq"`
	ActorID     int64          `json:"actor_id"`
	ActorName   string         `json:"actor_name"`
	ActorRole   gatehouse.Role `json:"actor_role"`
	Action      string         `json:"action"`
	CommunityID int64          `json:"community_id,omitempty"`
	CaseRef     string         `json:"case_ref,omitempty"`
	Target      string         `json:"target,omitempty"`
	Detail      string         `json:"detail,omitempty"`
	At          time.Time      `json:"at"`
	Hash        string         `json:"hash"`
}

// listAudit shows who read or exported what, newest first, with filters.
func (s *Server) listAudit(c *gin.Context) {
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var f gatehouse.AuditFilter
	var probs gatehouse.Problems
	if f.ActorID, err = queryID(c, "actor_id"); err != nil {
		s.fail(c, err)
		return
	}
	if f.CommunityID, err = queryID(c, "community_id"); err != nil {
		s.fail(c, err)
		return
	}
	f.Action, f.CaseRef = c.Query("action"), c.Query("case_ref")
	if v := c.Query("from"); v != "" {
		f.From = service.ParseTime(&probs, "from", v)
	}
	if v := c.Query("to"); v != "" {
		f.To = service.ParseTime(&probs, "to", v)
	}
	if err := probs.Err(); err != nil {
		e := err.(*gatehouse.Error)
		e.Code = gatehouse.EBADREQUEST
		s.fail(c, e)
		return
	}
	evs, next, err := s.Store.AuditEvents(c.Request.Context(), f, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]auditResponse, len(evs))
	for i, a := range evs {
		out[i] = auditResponse{ID: a.ID, Seq: a.Seq, ActorID: a.ActorID, ActorName: a.ActorName, ActorRole: a.ActorRole, Action: a.Action,
			CommunityID: a.CommunityID, CaseRef: a.CaseRef, Target: a.Target, Detail: a.Detail, At: a.At, Hash: a.Hash}
	}
	c.JSON(200, list(out, next))
}

func (s *Server) verifyAudit(c *gin.Context) {
	rep, err := s.Store.VerifyAudit(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, rep)
}
