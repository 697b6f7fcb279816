package gatehouse

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The district's supervision roles: they see counts and rates of
// communities, never a person.
const (
	RoleDistrict Role = "district" // the district office: every community, owns the assessment scheme
	RoleStreet   Role = "street"   // a street office (街道办): its communities
)

// The supervision roles are roles like the others (model.go lists the
// first five; these are added here so that the supervision lives in one file).
func init() { Roles = append(Roles, RoleDistrict, RoleStreet) }

// Supervises reports whether the role is one of the district's supervision
// roles, which see no person's identity.
func (r Role) Supervises() bool { return r == RoleDistrict || r == RoleStreet }

// AuditPublish is the audit action of a month's results published (or
// published again, which replaces what the public sees).
const AuditPublish = "supervision.publish"

// Company is a property company (物业公司) that runs communities.
type Company struct {
	ID         int64
	Name       string
	CreditCode string // unified social credit code (统一社会信用代码), GB 32100
	Contact    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate checks a company before it is stored.
func (c *Company) Validate() error {
	var p Problems
	c.Name = strings.TrimSpace(c.Name)
	c.Contact = strings.TrimSpace(c.Contact)
	c.CreditCode = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(c.CreditCode), " ", ""))
	p.Check(c.Name != "", "name", "is required")
	if msg := ValidateText(c.Name, 100); msg != "" {
		p.Add("name", msg)
	}
	if msg := ValidateText(c.Contact, 100); msg != "" {
		p.Add("contact", msg)
	}
	if msg := ValidateCreditCode(c.CreditCode); msg != "" {
		p.Add("credit_code", msg)
	}
	return p.Err()
}

// creditCodeChars are the 31 characters of GB 32100 (no I, O, S, V, Z),
// each worth its index.
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeCheckChar is the 18th character GB 32100-2015 gives the first
// 17: 31 - (Σ value × weight mod 31), 31 written as 0.
func CreditCodeCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(creditCodeChars, first17[i]) * creditCodeWeights[i]
	}
	return creditCodeChars[(31-sum%31)%31]
}

// ValidateCreditCode checks a unified social credit code: 18 characters of
// GB 32100's alphabet, a 6-digit division code, and its check character.
func ValidateCreditCode(s string) string {
	if len(s) != 18 {
		return "must be 18 characters (统一社会信用代码)"
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditCodeChars, s[i]) < 0 {
			return "may contain only digits and the capital letters of GB 32100 (no I, O, S, V or Z)"
		}
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "characters 3 to 8 must be the digits of an administrative division"
		}
	}
	if CreditCodeCheckChar(s[:17]) != s[17] {
		return "the check character does not match (GB 32100); please re-check the code"
	}
	return ""
}

// Grade is a community's or a company's grade for a month.
type Grade string

// The five grades, best first.
const (
	GradeExcellent Grade = "excellent" // 优秀
	GradeGood      Grade = "good"      // 良好
	GradeGeneral   Grade = "general"   // 一般
	GradePass      Grade = "pass"      // 合格
	GradePoor      Grade = "poor"      // 差
)

// Grades lists every grade, best first.
var Grades = []Grade{GradeExcellent, GradeGood, GradeGeneral, GradePass, GradePoor}

// GradeCard is what a grade hangs on a community or company: red for
// excellent, black for poor, none otherwise.
type GradeCard string

// Grade cards.
const (
	CardRed   GradeCard = "red"
	CardBlack GradeCard = "black"
	CardNone  GradeCard = ""
)

// MarshalJSON writes no card as null.
func (c GradeCard) MarshalJSON() ([]byte, error) {
	if c == CardNone {
		return []byte("null"), nil
	}
	return []byte(`"` + string(c) + `"`), nil
}

// UnmarshalJSON reads null as no card.
func (c *GradeCard) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null", `""`:
		*c = CardNone
	case `"red"`:
		*c = CardRed
	case `"black"`:
		*c = CardBlack
	default:
		return FieldError("card", "must be red, black or null")
	}
	return nil
}

// CardOf is the card a grade earns.
func CardOf(g Grade) GradeCard {
	switch g {
	case GradeExcellent:
		return CardRed
	case GradePoor:
		return CardBlack
	}
	return CardNone
}

// Indicator keys: the measured indicators, computed from Gatehouse's own data.
const (
	IndRegistration   = "registration_coverage"
	IndOverrides      = "override_rate"
	IndOverstays      = "unresolved_overstays"
	IndGateOffline    = "gate_offline"
	IndRegistry       = "registry_completeness"
	IndWatchlist      = "watchlist_answered"
	IndDeniedOverride = "denied_then_overridden"
)

// Indicators lists the measured indicators in the order they are shown.
var Indicators = []string{IndRegistration, IndOverrides, IndOverstays, IndGateOffline, IndRegistry, IndWatchlist, IndDeniedOverride}

// HigherIsBetter reports whether a larger figure of the indicator is better
// (coverage, completeness, hits answered); the others are rates of failures.
func HigherIsBetter(key string) bool {
	return key == IndRegistration || key == IndRegistry || key == IndWatchlist
}

// Step is one point of an indicator's scoring curve: a figure at least At
// (for a rate where higher is better) or at most At (otherwise) earns Points.
type Step struct {
	At     float64 `json:"at"`
	Points float64 `json:"points"`
}

// IndicatorRule is how the scheme scores one measured indicator.
type IndicatorRule struct {
	Key   string `json:"key"`
	Steps []Step `json:"steps"`
}

// MaxPoints is the most the indicator can earn.
func (r IndicatorRule) MaxPoints() float64 {
	m := 0.0
	for _, s := range r.Steps {
		m = max(m, s.Points)
	}
	return m
}

// Points is what figure v earns on the curve: the best step it reaches.
func (r IndicatorRule) Points(v float64) float64 {
	best := 0.0
	for _, s := range r.Steps {
		if (HigherIsBetter(r.Key) && v >= s.At-1e-9) || (!HigherIsBetter(r.Key) && v <= s.At+1e-9) {
			best = max(best, s.Points)
		}
	}
	return best
}

// ChecklistItem is one item of the inspection checklist, with its points.
type ChecklistItem struct {
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	Points float64 `json:"points"`
}

// IncidentCategory is a kind of case police attribute to a community, and
// what each one costs.
type IncidentCategory struct {
	Key     string  `json:"key"`
	Name    string  `json:"name"`
	Deduct  float64 `json:"deduct"`
	Serious bool    `json:"serious"` // a community with one is at best "pass" that month
}

// Weights are the points of the assessment's three parts (they sum to 100).
type Weights struct {
	Measured   float64 `json:"measured"`
	Inspection float64 `json:"inspection"`
	Incidents  float64 `json:"incidents"`
}

// GradeThresholds are the lowest scores of the four better grades.
type GradeThresholds struct {
	Excellent float64 `json:"excellent"`
	Good      float64 `json:"good"`
	General   float64 `json:"general"`
	Pass      float64 `json:"pass"`
}

// Scheme is the district's assessment scheme. It is versioned: a month is
// always computed with the version in force for it (the newest whose
// EffectiveFrom is not after the month).
type Scheme struct {
	Version           int                `json:"version"`
	EffectiveFrom     string             `json:"effective_from"` // YYYY-MM
	Weights           Weights            `json:"weights"`
	Indicators        []IndicatorRule    `json:"indicators"`
	Checklist         []ChecklistItem    `json:"checklist"`
	Incidents         []IncidentCategory `json:"incident_categories"`
	Grades            GradeThresholds    `json:"grades"`
	RectificationDays int                `json:"rectification_days"`
	LongTermPoor      int                `json:"long_term_poor"` // poor in this many of the last 6 months
	CreatedBy         int64              `json:"-"`
	CreatedAt         time.Time          `json:"created_at"`
}

// DefaultScheme is the scheme in force until the district stores one.
func DefaultScheme() *Scheme {
	higher := func(key string) IndicatorRule {
		return IndicatorRule{Key: key, Steps: []Step{{0.95, 10}, {0.9, 8}, {0.8, 6}, {0.6, 3}, {0, 0}}}
	}
	lower := func(key string, a, b, c, d float64) IndicatorRule {
		return IndicatorRule{Key: key, Steps: []Step{{a, 10}, {b, 8}, {c, 6}, {d, 3}, {1, 0}}}
	}
	return &Scheme{
		Version: 0, EffectiveFrom: "2000-01",
		Weights: Weights{Measured: 50, Inspection: 40, Incidents: 10},
		Indicators: []IndicatorRule{higher(IndRegistration), lower(IndOverrides, 0.02, 0.05, 0.1, 0.2),
			lower(IndOverstays, 0, 0.01, 0.03, 0.05), lower(IndGateOffline, 0.01, 0.03, 0.05, 0.1),
			higher(IndRegistry), higher(IndWatchlist), lower(IndDeniedOverride, 0.05, 0.1, 0.2, 0.3)},
		Checklist: []ChecklistItem{{"cameras", "监控摄像头完好", 10}, {"access_control", "门禁系统已升级", 10},
			{"guard_trained", "门卫经过培训", 10}, {"drill", "开展应急演练", 5}, {"fire_exits", "消防通道畅通", 5}},
		Incidents: []IncidentCategory{{"burglary", "入室盗窃", 5, true}, {"theft", "盗窃", 3, false},
			{"fraud", "诈骗", 2, false}, {"dispute", "治安纠纷", 1, false}},
		Grades:            GradeThresholds{Excellent: 90, Good: 80, General: 70, Pass: 60},
		RectificationDays: 30, LongTermPoor: 3,
	}
}

// GradeOf is the grade a score earns.
func (s *Scheme) GradeOf(score float64) Grade {
	g := s.Grades
	switch {
	case score >= g.Excellent:
		return GradeExcellent
	case score >= g.Good:
		return GradeGood
	case score >= g.General:
		return GradeGeneral
	case score >= g.Pass:
		return GradePass
	}
	return GradePoor
}

// Rule returns the scheme's rule of a measured indicator.
func (s *Scheme) Rule(key string) (IndicatorRule, bool) {
	for _, r := range s.Indicators {
		if r.Key == key {
			return r, true
		}
	}
	return IndicatorRule{}, false
}

// Category returns an incident category of the scheme.
func (s *Scheme) Category(key string) (IncidentCategory, bool) {
	for _, c := range s.Incidents {
		if c.Key == key {
			return c, true
		}
	}
	return IncidentCategory{}, false
}

// Validate checks a scheme the district wants to put in force.
func (s *Scheme) Validate() error {
	var p Problems
	if _, err := ParseMonth(s.EffectiveFrom); err != nil {
		p.Add("effective_from", "must be a month, YYYY-MM")
	}
	w := s.Weights
	p.Check(w.Measured >= 0 && w.Inspection >= 0 && w.Incidents >= 0 && w.Measured+w.Inspection+w.Incidents > 99.999 &&
		w.Measured+w.Inspection+w.Incidents < 100.001, "weights", "must be three numbers of at least 0 that sum to 100")
	seen := map[string]bool{}
	for i, r := range s.Indicators {
		f := fmt.Sprintf("indicators[%d]", i)
		switch {
		case !isIndicator(r.Key):
			p.Add(f+".key", "must be one of registration_coverage, override_rate, unresolved_overstays, gate_offline, registry_completeness, watchlist_answered, denied_then_overridden")
		case seen[r.Key]:
			p.Add(f+".key", "is listed twice")
		case len(r.Steps) == 0 || len(r.Steps) > 10:
			p.Add(f+".steps", "list 1 to 10 steps")
		case r.MaxPoints() <= 0:
			p.Add(f+".steps", "at least one step must earn points")
		}
		for _, st := range r.Steps {
			if st.At < 0 || st.At > 1 || st.Points < 0 || st.Points > 100 {
				p.Add(f+".steps", "each step's at is a rate from 0 to 1 and its points from 0 to 100")
			}
		}
		seen[r.Key] = true
	}
	p.Check(len(s.Indicators) > 0 || w.Measured == 0, "indicators", "list the indicators the measured part scores")
	s.validateLists(&p)
	g := s.Grades
	p.Check(g.Excellent <= 100 && g.Excellent > g.Good && g.Good > g.General && g.General > g.Pass && g.Pass > 0,
		"grades", "must fall from excellent to pass, between 0 and 100")
	p.Check(s.RectificationDays >= 1 && s.RectificationDays <= 365, "rectification_days", "must be between 1 and 365")
	p.Check(s.LongTermPoor >= 1 && s.LongTermPoor <= 6, "long_term_poor", "must be between 1 and 6")
	return p.Err()
}

func (s *Scheme) validateLists(p *Problems) {
	keys := map[string]bool{}
	for i, c := range s.Checklist {
		f := fmt.Sprintf("checklist[%d]", i)
		p.Check(validKey(c.Key) && !keys[c.Key], f+".key", "must be a distinct key of letters, digits and _")
		if msg := ValidateText(c.Name, 100); msg != "" || strings.TrimSpace(c.Name) == "" {
			p.Add(f+".name", "is required, printable, at most 100 characters")
		}
		p.Check(c.Points > 0 && c.Points <= 100, f+".points", "must be between 0 and 100")
		keys[c.Key] = true
	}
	p.Check(len(s.Checklist) <= 50, "checklist", "must have at most 50 items")
	p.Check(len(s.Checklist) > 0 || s.Weights.Inspection == 0, "checklist", "list the items inspections score")
	keys = map[string]bool{}
	for i, c := range s.Incidents {
		f := fmt.Sprintf("incident_categories[%d]", i)
		p.Check(validKey(c.Key) && !keys[c.Key], f+".key", "must be a distinct key of letters, digits and _")
		if msg := ValidateText(c.Name, 100); msg != "" || strings.TrimSpace(c.Name) == "" {
			p.Add(f+".name", "is required, printable, at most 100 characters")
		}
		p.Check(c.Deduct >= 0 && c.Deduct <= 100, f+".deduct", "must be between 0 and 100")
		keys[c.Key] = true
	}
	p.Check(len(s.Incidents) <= 50, "incident_categories", "must have at most 50 categories")
}

func isIndicator(k string) bool {
	for _, v := range Indicators {
		if v == k {
			return true
		}
	}
	return false
}

func validKey(k string) bool {
	if k == "" || len(k) > 40 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// ParseMonth reads a month written YYYY-MM.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, FieldError("month", "must be a month, YYYY-MM")
	}
	return t, nil
}

// MonthBounds is the month's first instant and the next month's, in loc.
func MonthBounds(month string, loc *time.Location) (time.Time, time.Time, error) {
	t, err := ParseMonth(month)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 1, 0), nil
}

// AddMonths is the month n months after month (YYYY-MM; n may be negative).
func AddMonths(month string, n int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.AddDate(0, n, 0).Format("2006-01")
}

// Assignment is which company runs a community from a moment on, with the
// dwellings it declared and the street office's area (街道) it lies in.
type Assignment struct {
	ID                int64
	CommunityID       int64
	CompanyID         int64
	Street            string
	DeclaredDwellings int
	From              time.Time
	CreatedBy         int64
	CreatedAt         time.Time
}

// Inspection is a joint inspection of a community by a street office or
// the police: which checklist items were met.
type Inspection struct {
	ID          int64
	CommunityID int64
	Date        string // YYYY-MM-DD, the community's local day
	Inspector   string // the inspecting office or officer, as written
	ItemsMet    []string
	Notes       string
	Photos      int // how many photos are stored with the record
	CreatedBy   int64
	CreatedRole Role
	CreatedAt   time.Time
}

// Month is the inspection's month, YYYY-MM.
func (i *Inspection) Month() string { return i.Date[:7] }

// InspectionPhoto is a photo stored with an inspection.
type InspectionPhoto struct {
	ContentType string
	Data        []byte
}

// Incident is a case the police attribute to a community.
type Incident struct {
	ID          int64
	CommunityID int64
	Date        string // YYYY-MM-DD
	Category    string
	CaseRef     string
	CreatedBy   int64
	CreatedAt   time.Time
}

// Month is the incident's month, YYYY-MM.
func (i *Incident) Month() string { return i.Date[:7] }

// Rectification statuses.
const (
	RectOpen      = "open"      // ordered; the company has not answered
	RectAnswered  = "answered"  // the company says what it did
	RectClosed    = "closed"    // the street office accepts it
	RectEscalated = "escalated" // the street office refers it to the district
)

// Rectification is an order to a community's company to put things right
// by a deadline.
type Rectification struct {
	ID          int64
	CommunityID int64
	CompanyID   int64
	Month       string
	Reason      string
	Deadline    time.Time
	Status      string
	Answer      string
	AnsweredAt  *time.Time
	Note        string // the street office's, on closing or escalating
	ClosedAt    *time.Time
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Overdue reports whether the order is past its deadline and not closed.
func (r *Rectification) Overdue(now time.Time) bool {
	return r.Status != RectClosed && now.After(r.Deadline)
}

// RectificationFilter narrows the orders listed.
type RectificationFilter struct {
	CommunityIDs []int64 // nil: every community
	Status       string
	Month        string
}

// Publication is a month's results as published: frozen.
type Publication struct {
	Month       string
	Version     int
	Reason      string
	PublishedAt time.Time
	PublishedBy int64
	Body        []byte // the month's results as they were published (JSON)
}

// SortedKeys returns the keys of a set in order.
func SortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// GateHours are a community's gate-hours of a month (for gates with an
// agent, while they existed) and those among them its agents reported in.
type GateHours struct {
	Total, Online int64
}
