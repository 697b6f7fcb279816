package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/supervision"
)

// SupervisionStore is what the district's supervision needs of storage.
type SupervisionStore interface {
	CommunityReader
	Communities(ctx context.Context, ids []int64, page gatehouse.Page) ([]*gatehouse.Community, int64, error)
	CreateCompany(ctx context.Context, c *gatehouse.Company) error
	UpdateCompany(ctx context.Context, c *gatehouse.Company) error
	Company(ctx context.Context, id int64) (*gatehouse.Company, error)
	Companies(ctx context.Context) ([]*gatehouse.Company, error)
	AddAssignment(ctx context.Context, a *gatehouse.Assignment) error
	Assignments(ctx context.Context, communityIDs []int64) ([]*gatehouse.Assignment, error)
	SaveScheme(ctx context.Context, s *gatehouse.Scheme) error
	Schemes(ctx context.Context) ([]*gatehouse.Scheme, error)
	CreateInspection(ctx context.Context, in *gatehouse.Inspection, photos []gatehouse.InspectionPhoto) error
	Inspections(ctx context.Context, communityIDs []int64, from, to string) ([]*gatehouse.Inspection, error)
	InspectionPhoto(ctx context.Context, inspectionID int64, n int) (*gatehouse.InspectionPhoto, int64, error)
	CreateIncident(ctx context.Context, in *gatehouse.Incident) error
	Incidents(ctx context.Context, communityIDs []int64, from, to string) ([]*gatehouse.Incident, error)
	CreateRectification(ctx context.Context, r *gatehouse.Rectification) error
	UpdateRectification(ctx context.Context, r *gatehouse.Rectification) error
	Rectification(ctx context.Context, id int64) (*gatehouse.Rectification, error)
	Rectifications(ctx context.Context, f gatehouse.RectificationFilter) ([]*gatehouse.Rectification, error)
	SavePublication(ctx context.Context, p *gatehouse.Publication, orders []*gatehouse.Rectification) error
	Publication(ctx context.Context, month string) (*gatehouse.Publication, error)
	SupervisionFacts(ctx context.Context, ids []int64, from, monthEnd, to time.Time, each func(communityID int64, facts []supervision.Fact) error) error
	GateHours(ctx context.Context, ids []int64, from, to time.Time) (map[int64]gatehouse.GateHours, error)
	DwellingsWithResidents(ctx context.Context, ids []int64, at time.Time) (map[int64]int64, error)
	SupervisionSnapshots(ctx context.Context, month string, ids []int64) (map[int64][]byte, error)
	SaveSupervisionSnapshots(ctx context.Context, month string, from time.Time, bodies map[int64][]byte) error
}

// Supervision is the district's assessment of communities and property
// companies. The district owns the scheme and the companies and publishes
// months; street offices see and inspect their communities and close
// rectification orders; police record inspections and incidents in their
// jurisdiction; a community's managers read its scorecard and answer its
// orders. Every answer holds counts and rates, never a person.
type Supervision struct {
	Store SupervisionStore
	Audit Auditor
	Now   func() time.Time
	TZ    string // the district's time zone: which month is "this month"
}

// supervisionReaders may read months and scorecards (within their scope).
var supervisionReaders = []gatehouse.Role{gatehouse.RoleAdmin, gatehouse.RoleDistrict, gatehouse.RoleStreet, gatehouse.RolePolice, gatehouse.RoleManager}

// everything reports whether the principal supervises every community.
func everything(pr *gatehouse.Principal) bool {
	return !pr.IsGate() && (pr.Role == gatehouse.RoleAdmin || pr.Role == gatehouse.RoleDistrict)
}

func supervises(pr *gatehouse.Principal, communityID int64) bool {
	return everything(pr) || (!pr.IsGate() && slices.Contains(pr.Communities, communityID))
}

func mayRole(pr *gatehouse.Principal, roles ...gatehouse.Role) bool {
	return !pr.IsGate() && slices.Contains(roles, pr.Role)
}

func (s *Supervision) loc() *time.Location {
	if l, err := time.LoadLocation(s.TZ); err == nil && s.TZ != "" {
		return l
	}
	return time.UTC
}

// ThisMonth is the current month in the district's zone.
func (s *Supervision) ThisMonth() string { return s.Now().In(s.loc()).Format("2006-01") }

// CompanyInput is a new company, or a change of one (nil: unchanged).
type CompanyInput struct {
	Name, CreditCode, Contact *string
}

// CreateCompany registers a property company: the district (or admin).
func (s *Supervision) CreateCompany(ctx context.Context, pr *gatehouse.Principal, in CompanyInput) (*gatehouse.Company, error) {
	if !mayRole(pr, gatehouse.RoleDistrict, gatehouse.RoleAdmin) {
		return nil, forbidden("only the district office registers property companies")
	}
	c := &gatehouse.Company{}
	in.apply(c)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, s.Store.CreateCompany(ctx, c)
}

func (in CompanyInput) apply(c *gatehouse.Company) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.CreditCode != nil {
		c.CreditCode = *in.CreditCode
	}
	if in.Contact != nil {
		c.Contact = *in.Contact
	}
}

// UpdateCompany changes a company's name, code or contact.
func (s *Supervision) UpdateCompany(ctx context.Context, pr *gatehouse.Principal, id int64, in CompanyInput) (*gatehouse.Company, error) {
	if !mayRole(pr, gatehouse.RoleDistrict, gatehouse.RoleAdmin) {
		return nil, forbidden("only the district office changes property companies")
	}
	c, err := s.Store.Company(ctx, id)
	if err != nil {
		return nil, err
	}
	in.apply(c)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, s.Store.UpdateCompany(ctx, c)
}

// Companies lists the property companies (their names and codes are public).
func (s *Supervision) Companies(ctx context.Context, pr *gatehouse.Principal) ([]*gatehouse.Company, error) {
	if !mayRole(pr, supervisionReaders...) {
		return nil, forbidden("this role does not read the supervision")
	}
	return s.Store.Companies(ctx)
}

// Company reads one company.
func (s *Supervision) Company(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Company, error) {
	if !mayRole(pr, supervisionReaders...) {
		return nil, forbidden("this role does not read the supervision")
	}
	return s.Store.Company(ctx, id)
}

// AssignInput assigns a community to a company from a moment on (nil:
// now; the dwellings and street, when left out, stay as they were).
type AssignInput struct {
	CompanyID         int64
	DeclaredDwellings *int
	Street            *string
	From              *time.Time
}

// Assign records which company runs a community from now (or From) on;
// months before keep the company they had.
func (s *Supervision) Assign(ctx context.Context, pr *gatehouse.Principal, communityID int64, in AssignInput) (*gatehouse.Assignment, error) {
	if !mayRole(pr, gatehouse.RoleDistrict, gatehouse.RoleAdmin) {
		return nil, forbidden("only the district office assigns communities to companies")
	}
	if _, err := s.Store.Community(ctx, communityID); err != nil {
		return nil, err
	}
	a := &gatehouse.Assignment{CommunityID: communityID, CompanyID: in.CompanyID, From: s.Now().UTC(), CreatedBy: pr.UserID}
	if hist, err := s.Store.Assignments(ctx, []int64{communityID}); err != nil {
		return nil, err
	} else if len(hist) > 0 {
		last := hist[len(hist)-1]
		a.Street, a.DeclaredDwellings = last.Street, last.DeclaredDwellings
	}
	var p gatehouse.Problems
	if in.From != nil {
		a.From = in.From.UTC()
	}
	if in.Street != nil {
		a.Street = strings.TrimSpace(*in.Street)
		if msg := gatehouse.ValidateText(a.Street, 100); msg != "" {
			p.Add("street", msg)
		}
	}
	if in.DeclaredDwellings != nil {
		a.DeclaredDwellings = *in.DeclaredDwellings
		p.Check(a.DeclaredDwellings >= 0 && a.DeclaredDwellings <= 100000, "declared_dwellings", "must be between 0 and 100000")
	}
	p.Check(in.CompanyID > 0, "company_id", "is required")
	if err := p.Err(); err != nil {
		return nil, err
	}
	if _, err := s.Store.Company(ctx, in.CompanyID); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return nil, gatehouse.FieldError("company_id", "no such company")
		}
		return nil, err
	}
	return a, s.Store.AddAssignment(ctx, a)
}

// Assignments is a community's history of companies.
func (s *Supervision) Assignments(ctx context.Context, pr *gatehouse.Principal, communityID int64) ([]*gatehouse.Assignment, error) {
	if !mayRole(pr, supervisionReaders...) {
		return nil, forbidden("this role does not read the supervision")
	}
	if !supervises(pr, communityID) {
		return nil, gatehouse.NotFound("community")
	}
	return s.Store.Assignments(ctx, []int64{communityID})
}

// Scheme is the scheme in force for a month ("" this month).
func (s *Supervision) Scheme(ctx context.Context, pr *gatehouse.Principal, month string) (*gatehouse.Scheme, error) {
	if !mayRole(pr, supervisionReaders...) {
		return nil, forbidden("this role does not read the supervision")
	}
	if month == "" {
		month = s.ThisMonth()
	}
	if _, err := gatehouse.ParseMonth(month); err != nil {
		return nil, err
	}
	versions, err := s.Store.Schemes(ctx)
	if err != nil {
		return nil, err
	}
	return schemeFor(versions, month), nil
}

// schemeFor is the scheme in force for a month: the newest version whose
// effective_from is not after it, or the default.
func schemeFor(versions []*gatehouse.Scheme, month string) *gatehouse.Scheme {
	var best *gatehouse.Scheme
	for _, v := range versions {
		if v.EffectiveFrom <= month && (best == nil || v.EffectiveFrom > best.EffectiveFrom ||
			(v.EffectiveFrom == best.EffectiveFrom && v.Version > best.Version)) {
			best = v
		}
	}
	if best == nil {
		return gatehouse.DefaultScheme()
	}
	return best
}

// PutScheme puts a new version of the scheme in force from a month (this
// month unless later): a month before keeps the scheme it was computed with.
func (s *Supervision) PutScheme(ctx context.Context, pr *gatehouse.Principal, sc *gatehouse.Scheme) (*gatehouse.Scheme, error) {
	if !mayRole(pr, gatehouse.RoleDistrict) {
		return nil, forbidden("only the district office owns the assessment scheme")
	}
	this := s.ThisMonth()
	if sc.EffectiveFrom == "" {
		sc.EffectiveFrom = this
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if sc.EffectiveFrom < this {
		return nil, gatehouse.FieldError("effective_from", "may not be before this month: a past month keeps the scheme it was computed with")
	}
	sc.CreatedBy = pr.UserID
	return sc, s.Store.SaveScheme(ctx, sc)
}

// InspectionInput is an inspection as recorded by a street office or police.
type InspectionInput struct {
	CommunityID int64
	Date        string
	Inspector   string
	ItemsMet    []string
	Notes       string
	Photos      []gatehouse.InspectionPhoto
}

// MaxInspectionPhotos is how many photos an inspection keeps.
const MaxInspectionPhotos = 5

// RecordInspection stores a joint inspection of a community in scope.
func (s *Supervision) RecordInspection(ctx context.Context, pr *gatehouse.Principal, in InspectionInput) (*gatehouse.Inspection, error) {
	if !mayRole(pr, gatehouse.RoleStreet, gatehouse.RolePolice) {
		return nil, forbidden("inspections are recorded by street offices and police")
	}
	com, err := s.scoped(ctx, pr, in.CommunityID)
	if err != nil {
		return nil, err
	}
	var p gatehouse.Problems
	month := s.checkDay(&p, "date", in.Date, com)
	in.Inspector = strings.TrimSpace(in.Inspector)
	p.Check(in.Inspector != "", "inspector", "is required")
	if msg := gatehouse.ValidateText(in.Inspector, 100); msg != "" {
		p.Add("inspector", msg)
	}
	if msg := gatehouse.ValidateText(in.Notes, 1000); msg != "" {
		p.Add("notes", msg)
	}
	p.Check(len(in.Photos) <= MaxInspectionPhotos, "photos", fmt.Sprintf("at most %d photos", MaxInspectionPhotos))
	met := map[string]bool{}
	if month != "" {
		sc, err := s.Scheme(ctx, pr, month)
		if err != nil {
			return nil, err
		}
		for i, k := range in.ItemsMet {
			ok := slices.ContainsFunc(sc.Checklist, func(c gatehouse.ChecklistItem) bool { return c.Key == k })
			p.Check(ok, fmt.Sprintf("items_met[%d]", i), "is not an item of the month's checklist")
			met[k] = true
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	rec := &gatehouse.Inspection{CommunityID: com.ID, Date: in.Date, Inspector: in.Inspector, ItemsMet: gatehouse.SortedKeys(met),
		Notes: strings.TrimSpace(in.Notes), CreatedBy: pr.UserID, CreatedRole: pr.Role}
	return rec, s.Store.CreateInspection(ctx, rec, in.Photos)
}

// checkDay checks a local day (YYYY-MM-DD) not after today in the
// community's zone and returns its month.
func (s *Supervision) checkDay(p *gatehouse.Problems, field, day string, com *gatehouse.Community) string {
	d, err := time.ParseInLocation("2006-01-02", day, com.Location())
	switch {
	case err != nil:
		p.Add(field, "must be a day, YYYY-MM-DD")
	case d.After(s.Now()):
		p.Add(field, "may not be in the future")
	case d.Year() < 2000:
		p.Add(field, "must be a day, YYYY-MM-DD")
	default:
		return day[:7]
	}
	return ""
}

func (s *Supervision) scoped(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Community, error) {
	if id <= 0 {
		return nil, gatehouse.FieldError("community_id", "is required")
	}
	if !supervises(pr, id) {
		return nil, gatehouse.NotFound("community")
	}
	return s.Store.Community(ctx, id)
}

// InspectionPhoto returns a photo of an inspection of a community in scope.
func (s *Supervision) InspectionPhoto(ctx context.Context, pr *gatehouse.Principal, id int64, n int) (*gatehouse.InspectionPhoto, error) {
	if !mayRole(pr, gatehouse.RoleAdmin, gatehouse.RoleDistrict, gatehouse.RoleStreet, gatehouse.RolePolice) {
		return nil, forbidden("this role does not read inspections")
	}
	photo, community, err := s.Store.InspectionPhoto(ctx, id, n)
	if err == nil && !supervises(pr, community) {
		return nil, gatehouse.NotFound("photo")
	}
	return photo, err
}

// IncidentInput is a case police attribute to a community.
type IncidentInput struct {
	CommunityID int64
	Date        string
	Category    string
	CaseRef     string
}

// RecordIncident stores an incident in a community of the police's jurisdiction.
func (s *Supervision) RecordIncident(ctx context.Context, pr *gatehouse.Principal, in IncidentInput) (*gatehouse.Incident, error) {
	if !mayRole(pr, gatehouse.RolePolice) {
		return nil, forbidden("incidents are recorded by the police")
	}
	com, err := s.scoped(ctx, pr, in.CommunityID)
	if err != nil {
		return nil, err
	}
	var p gatehouse.Problems
	month := s.checkDay(&p, "date", in.Date, com)
	in.CaseRef = strings.TrimSpace(in.CaseRef)
	p.Check(in.CaseRef != "", "case_ref", "is required")
	if msg := gatehouse.ValidateText(in.CaseRef, 100); msg != "" {
		p.Add("case_ref", msg)
	}
	if month != "" {
		sc, err := s.Scheme(ctx, pr, month)
		if err != nil {
			return nil, err
		}
		_, ok := sc.Category(in.Category)
		p.Check(ok, "category", "is not a category of the month's scheme")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	rec := &gatehouse.Incident{CommunityID: com.ID, Date: in.Date, Category: in.Category, CaseRef: in.CaseRef, CreatedBy: pr.UserID}
	return rec, s.Store.CreateIncident(ctx, rec)
}

// CommunityRow is a community's month as the district sees it.
type CommunityRow struct {
	supervision.Result
	Name        string `json:"community_name"`
	CompanyName string `json:"company_name"`
}

// CompanyRow is a company's month.
type CompanyRow struct {
	supervision.CompanyResult
	Name       string `json:"company_name"`
	CreditCode string `json:"credit_code"`
}

// Month is a month's results: computed now, or as published.
type Month struct {
	Month         string         `json:"month"`
	SchemeVersion int            `json:"scheme_version"`
	Published     *Published     `json:"published"`
	Communities   []CommunityRow `json:"communities"`
	Companies     []CompanyRow   `json:"companies"`
}

// Published says which publication a month's results are.
type Published struct {
	Version int       `json:"version"`
	At      time.Time `json:"published_at"`
	Reason  string    `json:"reason,omitempty"`
}

// Results is a month's results for the principal's scope: as published
// (frozen) once the month is, computed from the data otherwise. Companies
// are graded over all their communities.
func (s *Supervision) Results(ctx context.Context, pr *gatehouse.Principal, month string) (*Month, error) {
	if !mayRole(pr, supervisionReaders...) {
		return nil, forbidden("this role does not read the supervision")
	}
	if err := s.checkMonth(month, true); err != nil {
		return nil, err
	}
	m, err := s.month(ctx, month)
	if err != nil {
		return nil, err
	}
	if !everything(pr) {
		var mine []CommunityRow
		for _, r := range m.Communities {
			if supervises(pr, r.CommunityID) {
				mine = append(mine, r)
			}
		}
		m.Communities = mine
	}
	if m.Communities == nil {
		m.Communities = []CommunityRow{}
	}
	return m, nil
}

func (s *Supervision) checkMonth(month string, thisOneToo bool) error {
	if _, err := gatehouse.ParseMonth(month); err != nil {
		return err
	}
	this := s.ThisMonth()
	if month > this || (!thisOneToo && month == this) {
		if thisOneToo {
			return gatehouse.FieldError("month", "has not begun")
		}
		return gatehouse.FieldError("month", "has not ended: only a past month is published")
	}
	return nil
}

// month is a month's results for every community: the newest publication,
// or computed.
func (s *Supervision) month(ctx context.Context, month string) (*Month, error) {
	pub, err := s.Store.Publication(ctx, month)
	switch {
	case err == nil:
		var m Month
		if err := json.Unmarshal(pub.Body, &m); err != nil {
			return nil, fmt.Errorf("supervision: published %s: %w", month, err)
		}
		m.Published = &Published{Version: pub.Version, At: pub.PublishedAt, Reason: pub.Reason}
		return &m, nil
	case gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND:
		return nil, err
	}
	return s.compute(ctx, month, nil, true)
}

// allCommunities reads every community, or those of ids.
func (s *Supervision) allCommunities(ctx context.Context, ids []int64) ([]*gatehouse.Community, error) {
	var out []*gatehouse.Community
	page := gatehouse.Page{Limit: gatehouse.MaxPageLimit}
	for {
		cs, next, err := s.Store.Communities(ctx, ids, page)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
		if next == 0 {
			return out, nil
		}
		page.After = next
	}
}

// inForce is the assignment of a community in force at moment t.
func inForce(hist []*gatehouse.Assignment, t time.Time) *gatehouse.Assignment {
	var a *gatehouse.Assignment
	for _, h := range hist {
		if h.From.Before(t) {
			a = h
		}
	}
	return a
}

// compute computes a month for every community (or those of only), with
// the company grades and the long-term-poor rule when companies is set.
func (s *Supervision) compute(ctx context.Context, month string, only []int64, companies bool) (*Month, error) {
	versions, err := s.Store.Schemes(ctx)
	if err != nil {
		return nil, err
	}
	sc := schemeFor(versions, month)
	coms, err := s.allCommunities(ctx, only)
	if err != nil {
		return nil, err
	}
	hist, err := s.Store.Assignments(ctx, only)
	if err != nil {
		return nil, err
	}
	byCommunity := map[int64][]*gatehouse.Assignment{}
	for _, a := range hist {
		byCommunity[a.CommunityID] = append(byCommunity[a.CommunityID], a)
	}
	inspections, err := s.Store.Inspections(ctx, only, month, month)
	if err != nil {
		return nil, err
	}
	incidents, err := s.Store.Incidents(ctx, only, month, month)
	if err != nil {
		return nil, err
	}
	names, err := s.companyNames(ctx)
	if err != nil {
		return nil, err
	}
	m := &Month{Month: month, SchemeVersion: sc.Version, Communities: []CommunityRow{}, Companies: []CompanyRow{}}
	// The five months before, for the long-term-poor rule, are read (kept)
	// or computed while this one is.
	var past map[int64][]gatehouse.Grade
	before := make(chan error, 1)
	if companies {
		go func() {
			var err error
			past, err = s.pastGrades(ctx, month)
			before <- err
		}()
	} else {
		before <- nil
	}
	results, err := s.results(ctx, sc, month, coms, byCommunity, inspections, incidents)
	if err := errors.Join(err, <-before); err != nil {
		return nil, err
	}
	for _, com := range coms {
		if r, ok := results[com.ID]; ok {
			m.Communities = append(m.Communities, CommunityRow{Result: r, Name: com.Name, CompanyName: names[r.CompanyID].Name})
		}
	}
	if companies {
		s.gradeCompanies(sc, m, names, past)
	}
	return m, nil
}

func (s *Supervision) companyNames(ctx context.Context) (map[int64]*gatehouse.Company, error) {
	list, err := s.Store.Companies(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]*gatehouse.Company{0: {}}
	for _, c := range list {
		out[c.ID] = c
	}
	return out, nil
}

// settleMargin is how long after its visitors' follow-up time a month is
// kept once computed; snapshotSkew allows for the clocks of several server
// processes when a snapshot is checked against later changes.
const (
	settleMargin = time.Hour
	snapshotSkew = 5 * time.Second
)

// factsShare is the fewest communities worth a reader of their own.
const factsShare = 50

// bounds are a month's moments for the communities that share a time zone
// and an onsite threshold.
type bounds struct {
	from, to, end time.Time // the month, and the end of its visitors' follow-up
	threshold     int
}

// results computes the month of each community that existed in it: kept
// snapshots for the settled ones that nothing changed since, and for the
// rest a few grouped queries per time zone and threshold; the settled ones
// computed are kept for the next time.
func (s *Supervision) results(ctx context.Context, sc *gatehouse.Scheme, month string, coms []*gatehouse.Community,
	hist map[int64][]*gatehouse.Assignment, inspections []*gatehouse.Inspection, incidents []*gatehouse.Incident) (map[int64]supervision.Result, error) {
	now := s.Now()
	started := now.Add(-snapshotSkew)
	groups := map[string]*bounds{}
	members := map[string][]*gatehouse.Community{}
	var settled []int64
	for _, com := range coms {
		from, to, err := gatehouse.MonthBounds(month, com.Location())
		if err != nil {
			return nil, err
		}
		if !com.CreatedAt.Before(to) {
			continue // the community did not exist yet in that month
		}
		end := to.Add(time.Duration(com.OnsiteThresholdHours)*time.Hour + supervision.FollowUp)
		if !now.Before(end.Add(settleMargin)) {
			settled = append(settled, com.ID)
		}
		key := fmt.Sprintf("%s/%d", com.TimeZone, com.OnsiteThresholdHours)
		if groups[key] == nil {
			groups[key] = &bounds{from: from, to: to, end: end, threshold: com.OnsiteThresholdHours}
		}
		members[key] = append(members[key], com)
	}
	out := map[int64]supervision.Result{}
	kept, err := s.Store.SupervisionSnapshots(ctx, month, settled)
	if err != nil {
		return nil, err
	}
	for id, body := range kept {
		var r supervision.Result
		if json.Unmarshal(body, &r) == nil && r.Month == month && r.SchemeVersion == sc.Version {
			for i := range r.Indicators { // the formulas of this build, whichever kept the month
				r.Indicators[i].Formula = supervision.Formulas[r.Indicators[i].Key]
			}
			out[id] = r
		} else {
			delete(kept, id) // made by another build or scheme: computed again
		}
	}
	for key, b := range groups {
		var todo []*gatehouse.Community
		for _, com := range members[key] {
			if _, ok := out[com.ID]; !ok {
				todo = append(todo, com)
			}
		}
		if err := s.computeGroup(ctx, sc, month, *b, todo, hist, inspections, incidents, out); err != nil {
			return nil, err
		}
	}
	fresh := map[int64][]byte{}
	for _, id := range settled {
		if _, ok := kept[id]; ok {
			continue
		}
		if r, ok := out[id]; ok {
			if b, err := json.Marshal(r); err == nil {
				fresh[id] = b
			}
		}
	}
	return out, s.Store.SaveSupervisionSnapshots(ctx, month, started, fresh)
}

// computeGroup computes the month of communities that share its bounds,
// into out.
func (s *Supervision) computeGroup(ctx context.Context, sc *gatehouse.Scheme, month string, b bounds, coms []*gatehouse.Community,
	hist map[int64][]*gatehouse.Assignment, inspections []*gatehouse.Inspection, incidents []*gatehouse.Incident, out map[int64]supervision.Result) error {
	if len(coms) == 0 {
		return nil
	}
	now := s.Now()
	ids := make([]int64, len(coms))
	for i, com := range coms {
		ids[i] = com.ID
	}
	slices.Sort(ids)
	ins := map[int64][]*gatehouse.Inspection{}
	for _, x := range inspections {
		ins[x.CommunityID] = append(ins[x.CommunityID], x)
	}
	inc := map[int64][]*gatehouse.Incident{}
	for _, x := range incidents {
		inc[x.CommunityID] = append(inc[x.CommunityID], x)
	}
	// The gate-hours, the dwellings and the entries are read at once; the
	// entries, the bulk of the work, on as many connections as there are
	// cores, each a share of the communities, tallied as they come.
	var hours map[int64]gatehouse.GateHours
	var dwellings map[int64]int64
	var mu sync.Mutex
	tallies := make(map[int64]supervision.Tally, len(ids))
	base := supervision.Input{From: b.from, To: b.to, AsOf: now, ThresholdHours: b.threshold}
	tally := func(id int64, facts []supervision.Fact) error {
		in := base
		in.Facts = facts
		t := supervision.TallyFacts(in)
		mu.Lock()
		tallies[id] = t
		mu.Unlock()
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { hours, err = s.Store.GateHours(gctx, ids, b.from, earlier(b.to, now)); return err })
	g.Go(func() (err error) {
		dwellings, err = s.Store.DwellingsWithResidents(gctx, ids, earlier(b.to, now))
		return err
	})
	parts := min(runtime.GOMAXPROCS(0), (len(ids)+factsShare-1)/factsShare)
	for i := range parts {
		part := ids[i*len(ids)/parts : (i+1)*len(ids)/parts]
		g.Go(func() error {
			return s.Store.SupervisionFacts(gctx, part, b.from, b.to, earlier(b.end, now.Add(time.Second)), tally)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, id := range ids {
		t, ok := tallies[id]
		if !ok {
			t = supervision.TallyFacts(base) // no entry in the month
		}
		in := base
		in.GateHours, in.OnlineHours, in.Dwellings = hours[id].Total, hours[id].Online, dwellings[id]
		a := inForce(hist[id], b.to)
		if a != nil {
			in.Declared = int64(a.DeclaredDwellings)
		}
		r := supervision.Score(sc, t.Figures(in), ins[id], inc[id])
		r.CommunityID, r.Month = id, month
		if a != nil {
			r.CompanyID, r.Street, r.Households = a.CompanyID, a.Street, a.DeclaredDwellings
		}
		out[id] = r
	}
	return nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// pastGrades are the companies' grades of the five months before month,
// the latest first.
func (s *Supervision) pastGrades(ctx context.Context, month string) (map[int64][]gatehouse.Grade, error) {
	past := map[int64][]gatehouse.Grade{}
	for i := 1; i < 6; i++ {
		pm, err := s.pastMonth(ctx, gatehouse.AddMonths(month, -i))
		if err != nil {
			return nil, err
		}
		for _, c := range pm {
			past[c.CompanyID] = append(past[c.CompanyID], c.Grade)
		}
	}
	return past, nil
}

// gradeCompanies grades each company over its communities of the month
// and applies the long-term-poor rule over its last six months (past: the
// five before).
func (s *Supervision) gradeCompanies(sc *gatehouse.Scheme, m *Month, companies map[int64]*gatehouse.Company, past map[int64][]gatehouse.Grade) {
	byCompany := map[int64][]supervision.Result{}
	var ids []int64
	for _, r := range m.Communities {
		if r.CompanyID == 0 {
			continue
		}
		if _, ok := byCompany[r.CompanyID]; !ok {
			ids = append(ids, r.CompanyID)
		}
		byCompany[r.CompanyID] = append(byCompany[r.CompanyID], r.Result)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := supervision.Company(sc, id, byCompany[id])
		c.PoorMonths, c.LongTermPoor = supervision.LongTermPoor(sc, append(past[id], c.Grade))
		m.Companies = append(m.Companies, CompanyRow{CompanyResult: c, Name: companies[id].Name, CreditCode: companies[id].CreditCode})
	}
}

// pastMonth is an earlier month's company grades: as published, or
// computed (without going further back).
func (s *Supervision) pastMonth(ctx context.Context, month string) ([]supervision.CompanyResult, error) {
	pub, err := s.Store.Publication(ctx, month)
	if err == nil {
		var m Month
		if err := json.Unmarshal(pub.Body, &m); err != nil {
			return nil, fmt.Errorf("supervision: published %s: %w", month, err)
		}
		out := make([]supervision.CompanyResult, len(m.Companies))
		for i, c := range m.Companies {
			out[i] = c.CompanyResult
		}
		return out, nil
	}
	if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return nil, err
	}
	versions, err := s.Store.Schemes(ctx)
	if err != nil {
		return nil, err
	}
	cm, err := s.compute(ctx, month, nil, false)
	if err != nil {
		return nil, err
	}
	return cm.companyGrades(schemeFor(versions, month)), nil
}

// companyGrades grades the companies of computed months without the
// long-term rule (used for the months before).
func (m *Month) companyGrades(sc *gatehouse.Scheme) []supervision.CompanyResult {
	by := map[int64][]supervision.Result{}
	for _, r := range m.Communities {
		if r.CompanyID != 0 {
			by[r.CompanyID] = append(by[r.CompanyID], r.Result)
		}
	}
	var out []supervision.CompanyResult
	for id, rs := range by {
		out = append(out, supervision.Company(sc, id, rs))
	}
	return out
}

// Scorecard is a community's last months, newest last.
type Scorecard struct {
	CommunityID int64                   `json:"community_id"`
	Name        string                  `json:"community_name"`
	Months      []CommunityRow          `json:"months"`
	Inspections []*gatehouse.Inspection `json:"-"`
	Incidents   []*gatehouse.Incident   `json:"-"`
}

// Scorecards is a community's scorecard over its last n months (this one
// included), each as published or computed.
func (s *Supervision) Scorecards(ctx context.Context, pr *gatehouse.Principal, communityID int64, n int) (*Scorecard, error) {
	if !mayRole(pr, supervisionReaders...) {
		return nil, forbidden("this role does not read the supervision")
	}
	com, err := s.scoped(ctx, pr, communityID)
	if err != nil {
		return nil, err
	}
	if n <= 0 || n > 24 {
		n = 12
	}
	this := s.ThisMonth()
	first := gatehouse.AddMonths(this, 1-n)
	card := &Scorecard{CommunityID: com.ID, Name: com.Name}
	for i := 0; i < n; i++ {
		month := gatehouse.AddMonths(first, i)
		row, err := s.scorecardMonth(ctx, com, month)
		if err != nil {
			return nil, err
		}
		card.Months = append(card.Months, row)
	}
	if card.Inspections, err = s.Store.Inspections(ctx, []int64{com.ID}, first, this); err != nil {
		return nil, err
	}
	if card.Incidents, err = s.Store.Incidents(ctx, []int64{com.ID}, first, this); err != nil {
		return nil, err
	}
	return card, nil
}

func (s *Supervision) scorecardMonth(ctx context.Context, com *gatehouse.Community, month string) (CommunityRow, error) {
	pub, err := s.Store.Publication(ctx, month)
	if err == nil {
		var m Month
		if err := json.Unmarshal(pub.Body, &m); err != nil {
			return CommunityRow{}, fmt.Errorf("supervision: published %s: %w", month, err)
		}
		for _, r := range m.Communities {
			if r.CommunityID == com.ID {
				return r, nil
			}
		}
	} else if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return CommunityRow{}, err
	}
	m, err := s.compute(ctx, month, []int64{com.ID}, false)
	if err != nil {
		return CommunityRow{}, err
	}
	if len(m.Communities) == 0 {
		return CommunityRow{Result: supervision.Result{CommunityID: com.ID, Month: month}, Name: com.Name}, nil
	}
	return m.Communities[0], nil
}

// PublishInput publishes a month; a month already published needs
// Republish and a reason.
type PublishInput struct {
	Republish bool
	Reason    string
}

// Publish freezes a past month's results as the public sees them, opens a
// rectification order for each community graded poor (deadline: the
// scheme's days from now), and writes the publication to the access audit
// first. Publishing again replaces what the public sees, with its reason.
func (s *Supervision) Publish(ctx context.Context, pr *gatehouse.Principal, month string, in PublishInput) (*Month, error) {
	if !mayRole(pr, gatehouse.RoleDistrict) {
		return nil, forbidden("only the district office publishes results")
	}
	if err := s.checkMonth(month, false); err != nil {
		return nil, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if msg := gatehouse.ValidateText(in.Reason, 500); msg != "" {
		return nil, gatehouse.FieldError("reason", msg)
	}
	prev, err := s.Store.Publication(ctx, month)
	switch {
	case err == nil && !in.Republish:
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "%s is published and frozen; to publish it again send republish: true with a reason", month)
	case err == nil && in.Reason == "":
		return nil, gatehouse.FieldError("reason", "is required to publish a month again")
	case err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND:
		return nil, err
	}
	m, err := s.compute(ctx, month, nil, true)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	orders, err := s.newOrders(ctx, m, pr)
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("month %s, %d communities, %d companies, %d rectification orders", month, len(m.Communities), len(m.Companies), len(orders))
	if prev != nil {
		detail = fmt.Sprintf("again (after version %d): %s; reason: %s", prev.Version, detail, in.Reason)
	}
	if err := s.Audit.Audit(ctx, &gatehouse.AuditEvent{ActorID: pr.UserID, ActorName: pr.Username, ActorRole: pr.Role,
		Action: gatehouse.AuditPublish, Target: "supervision_month:" + month, Detail: detail, At: s.Now().UTC()}); err != nil {
		return nil, err
	}
	pub := &gatehouse.Publication{Month: month, Reason: in.Reason, PublishedBy: pr.UserID, Body: body}
	if err := s.Store.SavePublication(ctx, pub, orders); err != nil {
		return nil, err
	}
	m.Published = &Published{Version: pub.Version, At: pub.PublishedAt, Reason: pub.Reason}
	return m, nil
}

// newOrders are the rectification orders a publication opens: one per
// community graded poor that has none for the month yet.
func (s *Supervision) newOrders(ctx context.Context, m *Month, pr *gatehouse.Principal) ([]*gatehouse.Rectification, error) {
	existing, err := s.Store.Rectifications(ctx, gatehouse.RectificationFilter{Month: m.Month})
	if err != nil {
		return nil, err
	}
	versions, err := s.Store.Schemes(ctx)
	if err != nil {
		return nil, err
	}
	sc := schemeFor(versions, m.Month)
	var out []*gatehouse.Rectification
	for _, r := range m.Communities {
		if r.Grade != gatehouse.GradePoor || slices.ContainsFunc(existing, func(o *gatehouse.Rectification) bool { return o.CommunityID == r.CommunityID }) {
			continue
		}
		out = append(out, &gatehouse.Rectification{CommunityID: r.CommunityID, CompanyID: r.CompanyID, Month: m.Month,
			Reason: fmt.Sprintf("graded poor for %s (score %.1f)", m.Month, r.Score), Status: gatehouse.RectOpen,
			Deadline: s.Now().UTC().AddDate(0, 0, sc.RectificationDays), CreatedBy: pr.UserID})
	}
	return out, nil
}

// PublicRow is what the public sees of a community: its grade and card.
type PublicRow struct {
	Community string              `json:"community"`
	Company   string              `json:"company"`
	Street    string              `json:"street"`
	Grade     gatehouse.Grade     `json:"grade"`
	Card      gatehouse.GradeCard `json:"card"`
}

// PublicCompany is what the public sees of a company.
type PublicCompany struct {
	Company      string              `json:"company"`
	CreditCode   string              `json:"credit_code"`
	Grade        gatehouse.Grade     `json:"grade"`
	Card         gatehouse.GradeCard `json:"card"`
	LongTermPoor bool                `json:"long_term_poor"`
}

// Public is a published month as the district publishes it: no person, no
// figure of the log, only names of communities and companies, grades and cards.
type Public struct {
	Month       string          `json:"month"`
	Version     int             `json:"version"`
	PublishedAt time.Time       `json:"published_at"`
	Communities []PublicRow     `json:"communities"`
	Companies   []PublicCompany `json:"companies"`
}

// PublicResults is a published month for anyone; a month not published is
// not found.
func (s *Supervision) PublicResults(ctx context.Context, month string) (*Public, error) {
	if _, err := gatehouse.ParseMonth(month); err != nil {
		return nil, err
	}
	pub, err := s.Store.Publication(ctx, month)
	if err != nil {
		return nil, err
	}
	var m Month
	if err := json.Unmarshal(pub.Body, &m); err != nil {
		return nil, fmt.Errorf("supervision: published %s: %w", month, err)
	}
	out := &Public{Month: month, Version: pub.Version, PublishedAt: pub.PublishedAt, Communities: []PublicRow{}, Companies: []PublicCompany{}}
	for _, r := range m.Communities {
		out.Communities = append(out.Communities, PublicRow{Community: r.Name, Company: r.CompanyName, Street: r.Street, Grade: r.Grade, Card: r.Card})
	}
	for _, c := range m.Companies {
		out.Companies = append(out.Companies, PublicCompany{Company: c.Name, CreditCode: c.CreditCode, Grade: c.Grade, Card: c.Card, LongTermPoor: c.LongTermPoor})
	}
	return out, nil
}

// RectificationInput opens an order by hand.
type RectificationInput struct {
	CommunityID int64
	Month       string
	Reason      string
	Deadline    *time.Time
}

// OpenRectification opens an order for a community in scope: the district
// or its street office.
func (s *Supervision) OpenRectification(ctx context.Context, pr *gatehouse.Principal, in RectificationInput) (*gatehouse.Rectification, error) {
	if !mayRole(pr, gatehouse.RoleDistrict, gatehouse.RoleStreet) {
		return nil, forbidden("rectification orders are opened by the district and street offices")
	}
	com, err := s.scoped(ctx, pr, in.CommunityID)
	if err != nil {
		return nil, err
	}
	var p gatehouse.Problems
	if in.Month == "" {
		in.Month = s.ThisMonth()
	}
	if _, err := gatehouse.ParseMonth(in.Month); err != nil {
		p.Add("month", "must be a month, YYYY-MM")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	p.Check(in.Reason != "", "reason", "is required")
	if msg := gatehouse.ValidateText(in.Reason, 500); msg != "" {
		p.Add("reason", msg)
	}
	now := s.Now().UTC()
	deadline := now.AddDate(0, 0, 30)
	if in.Deadline != nil {
		deadline = in.Deadline.UTC()
		p.Check(deadline.After(now), "deadline", "must be in the future")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	hist, err := s.Store.Assignments(ctx, []int64{com.ID})
	if err != nil {
		return nil, err
	}
	r := &gatehouse.Rectification{CommunityID: com.ID, Month: in.Month, Reason: in.Reason, Deadline: deadline, Status: gatehouse.RectOpen, CreatedBy: pr.UserID}
	if a := inForce(hist, now); a != nil {
		r.CompanyID = a.CompanyID
	}
	return r, s.Store.CreateRectification(ctx, r)
}

// RectificationQuery filters the orders listed.
type RectificationQuery struct {
	CommunityID int64
	Status      string
	Overdue     bool
}

// Rectifications lists orders of communities in scope (a manager's: its
// communities'), oldest deadline first.
func (s *Supervision) Rectifications(ctx context.Context, pr *gatehouse.Principal, q RectificationQuery) ([]*gatehouse.Rectification, error) {
	if !mayRole(pr, supervisionReaders...) {
		return nil, forbidden("this role does not read the supervision")
	}
	f := gatehouse.RectificationFilter{Status: q.Status}
	if !everything(pr) {
		f.CommunityIDs = slices.Clone(pr.Communities)
		if f.CommunityIDs == nil {
			f.CommunityIDs = []int64{}
		}
	}
	if q.CommunityID != 0 {
		if !supervises(pr, q.CommunityID) {
			return nil, gatehouse.NotFound("community")
		}
		f.CommunityIDs = []int64{q.CommunityID}
	}
	if q.Status != "" && !slices.Contains([]string{gatehouse.RectOpen, gatehouse.RectAnswered, gatehouse.RectClosed, gatehouse.RectEscalated}, q.Status) {
		return nil, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "status: must be open, answered, closed or escalated",
			Fields: map[string]string{"status": "must be open, answered, closed or escalated"}}
	}
	list, err := s.Store.Rectifications(ctx, f)
	if err != nil || !q.Overdue {
		return list, err
	}
	now := s.Now()
	var out []*gatehouse.Rectification
	for _, r := range list {
		if r.Overdue(now) {
			out = append(out, r)
		}
	}
	return out, nil
}

// RectificationChange is a company's answer, or a street office's decision.
type RectificationChange struct {
	Status string
	Answer *string
	Note   *string
}

// ChangeRectification moves an order on: the community's manager answers
// it (status answered, with answer); the street office or district closes
// or escalates it (with a note). A closed order is final.
func (s *Supervision) ChangeRectification(ctx context.Context, pr *gatehouse.Principal, id int64, ch RectificationChange) (*gatehouse.Rectification, error) {
	if !mayRole(pr, gatehouse.RoleManager, gatehouse.RoleStreet, gatehouse.RoleDistrict) {
		return nil, forbidden("orders are answered by the company's managers and closed by the street office or district")
	}
	r, err := s.Store.Rectification(ctx, id)
	if err != nil {
		return nil, err
	}
	if !supervises(pr, r.CommunityID) {
		return nil, gatehouse.NotFound("rectification order")
	}
	if r.Status == gatehouse.RectClosed {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this order is closed")
	}
	now := s.Now().UTC()
	text := func(v *string) string {
		if v == nil {
			return ""
		}
		return strings.TrimSpace(*v)
	}
	switch {
	case ch.Status == gatehouse.RectAnswered && pr.Role == gatehouse.RoleManager:
		r.Answer = text(ch.Answer)
		if msg := gatehouse.ValidateText(r.Answer, 2000); msg != "" || r.Answer == "" {
			return nil, gatehouse.FieldError("answer", "is required: say what was put right (printable, at most 2000 characters)")
		}
		r.Status, r.AnsweredAt = gatehouse.RectAnswered, &now
	case (ch.Status == gatehouse.RectClosed || ch.Status == gatehouse.RectEscalated) && pr.Role != gatehouse.RoleManager:
		r.Note = text(ch.Note)
		if msg := gatehouse.ValidateText(r.Note, 1000); msg != "" {
			return nil, gatehouse.FieldError("note", msg)
		}
		r.Status = ch.Status
		if ch.Status == gatehouse.RectClosed {
			r.ClosedAt = &now
		}
	case pr.Role == gatehouse.RoleManager:
		return nil, gatehouse.FieldError("status", "a company's manager answers an order: status answered")
	default:
		return nil, gatehouse.FieldError("status", "the street office closes or escalates an order: status closed or escalated")
	}
	return r, s.Store.UpdateRectification(ctx, r)
}

var gradeWords = map[bool]map[gatehouse.Grade]string{
	true: {gatehouse.GradeExcellent: "优秀", gatehouse.GradeGood: "良好", gatehouse.GradeGeneral: "一般", gatehouse.GradePass: "合格", gatehouse.GradePoor: "差"},
	false: {gatehouse.GradeExcellent: "excellent", gatehouse.GradeGood: "good", gatehouse.GradeGeneral: "general", gatehouse.GradePass: "pass",
		gatehouse.GradePoor: "poor"},
}

var cardWords = map[bool]map[gatehouse.GradeCard]string{
	true:  {gatehouse.CardRed: "红牌", gatehouse.CardBlack: "黑牌"},
	false: {gatehouse.CardRed: "red card", gatehouse.CardBlack: "black card"},
}

// Sheets are the published month as the district publishes it, in Chinese
// (or English): communities, then companies.
func (p *Public) Sheets(chinese bool) []supervision.Sheet {
	zh := chinese
	yes := map[bool]string{true: "是", false: "yes"}[zh]
	coms := supervision.Sheet{Name: map[bool]string{true: "小区", false: "communities"}[zh],
		Header: map[bool][]string{true: {"月份", "小区", "物业公司", "街道", "等级", "挂牌"},
			false: {"month", "community", "company", "street", "grade", "card"}}[zh]}
	for _, r := range p.Communities {
		coms.Rows = append(coms.Rows, []string{p.Month, r.Community, r.Company, r.Street, gradeWords[zh][r.Grade], cardWords[zh][r.Card]})
	}
	cos := supervision.Sheet{Name: map[bool]string{true: "物业公司", false: "companies"}[zh],
		Header: map[bool][]string{true: {"月份", "物业公司", "统一社会信用代码", "等级", "挂牌", "长期差评（建议取消投标资格）"},
			false: {"month", "company", "credit code", "grade", "card", "long-term poor (recommended for disqualification)"}}[zh]}
	for _, c := range p.Companies {
		ltp := ""
		if c.LongTermPoor {
			ltp = yes
		}
		cos.Rows = append(cos.Rows, []string{p.Month, c.Company, c.CreditCode, gradeWords[zh][c.Grade], cardWords[zh][c.Card], ltp})
	}
	return []supervision.Sheet{coms, cos}
}
