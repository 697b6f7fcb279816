package service

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/report"
)

// ReportStore is what the population report needs of storage.
type ReportStore interface {
	CommunityReader
	report.Source
	Communities(ctx context.Context, ids []int64, page gatehouse.Page) ([]*gatehouse.Community, int64, error)
}

// Reports builds population-information reports.
type Reports struct {
	Store ReportStore
	Audit Auditor
	Now   func() time.Time
}

// ReportQuery is a report as asked for: from and to are dates (YYYY-MM-DD,
// in the community's time zone) or RFC 3339 times; numbers as typed.
type ReportQuery struct {
	CommunityID               int64 // 0: every community in scope
	From, To                  string
	MinVisits, ThresholdHours string
	Download                  string // "", or the file format (csv, xlsx): a download is audited
}

// PopulationReport is a built report with what it covers.
type PopulationReport struct {
	*report.Report
	Communities []*gatehouse.Community
	From, To    time.Time
}

// Population builds the report of one community or every community in
// scope: managers, police and admin. Roles that see ID numbers masked get
// visitors numbered 1, 2, 3 … (a visitor's record id is one per ID number,
// so across reports it would confirm a guessed number). A download is on
// record in the audit before it is returned.
func (s *Reports) Population(ctx context.Context, pr *gatehouse.Principal, q ReportQuery) (*PopulationReport, error) {
	switch pr.Role {
	case gatehouse.RoleManager, gatehouse.RolePolice, gatehouse.RoleAdmin:
	default:
		return nil, forbidden("only managers, police and admin read population reports")
	}
	if pr.IsGate() {
		return nil, forbidden("only managers, police and admin read population reports")
	}
	communities, err := s.communities(ctx, pr, q.CommunityID)
	if err != nil {
		return nil, err
	}
	from, to, err := Period(q.From, q.To, communities[0].Location(), s.Now())
	if err != nil {
		return nil, err
	}
	opt := report.Options{From: from, To: to, Now: s.Now()}
	var probs gatehouse.Problems
	opt.MinVisits = wholeNumber(&probs, "min_visits", q.MinVisits, 10000)
	opt.ThresholdHours = wholeNumber(&probs, "threshold_hours", q.ThresholdHours, 24*366)
	if err := probs.Err(); err != nil {
		e := err.(*gatehouse.Error)
		e.Code = gatehouse.EBADREQUEST
		return nil, e
	}
	rep, err := report.Build(ctx, s.Store, communities, opt)
	if err != nil {
		return nil, err
	}
	if !gatehouse.MaySeeWhole(pr) {
		pseudonymizeVisitors(rep)
	}
	if q.Download != "" {
		detail := fmt.Sprintf("format %s; from %s to %s; %d communities", q.Download, from.Format(time.RFC3339), to.Format(time.RFC3339), len(communities))
		ev := &gatehouse.AuditEvent{ActorID: pr.UserID, ActorName: pr.Username, ActorRole: pr.Role, Action: gatehouse.AuditReportDownload,
			CommunityID: q.CommunityID, Target: "report:population", Detail: detail}
		if err := s.Audit.Audit(ctx, ev); err != nil {
			return nil, err
		}
	}
	return &PopulationReport{Report: rep, Communities: communities, From: from, To: to}, nil
}

// communities is the one community asked for, or every one in scope.
func (s *Reports) communities(ctx context.Context, pr *gatehouse.Principal, id int64) ([]*gatehouse.Community, error) {
	if id != 0 {
		com, err := scopedCommunity(ctx, s.Store, pr, id)
		if err != nil {
			return nil, err
		}
		return []*gatehouse.Community{com}, nil
	}
	var out []*gatehouse.Community
	pg := gatehouse.Page{Limit: gatehouse.MaxPageLimit}
	for {
		some, next, err := s.Store.Communities(ctx, pr.ScopeCommunities(0), pg)
		if err != nil {
			return nil, err
		}
		out = append(out, some...)
		if next == 0 {
			break
		}
		pg.After = next
	}
	if len(out) == 0 {
		return nil, gatehouse.NotFound("community")
	}
	return out, nil
}

// wholeNumber reads an optional whole number from 1 to max (0 when empty).
func wholeNumber(probs *gatehouse.Problems, field, v string, max int) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		probs.Add(field, fmt.Sprintf("must be a whole number from 1 to %d", max))
		return 0
	}
	return n
}

// Period reads a period's from and to (RFC 3339 or a date, YYYY-MM-DD, in
// loc); by default the 30 days up to now; at most 366 days.
func Period(fromText, toText string, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	var probs gatehouse.Problems
	read := func(name, v string) time.Time {
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
	from, to := read("from", fromText), read("to", toText)
	if err := probs.Err(); err != nil {
		return from, to, err
	}
	if to.IsZero() {
		to = now
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

// pseudonymizeVisitors numbers a report's visitors 1, 2, 3 … in the order
// they appear.
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
