package gatehouse_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

// Real codes of registered companies pass, and codes whose check character
// is the alphabet's last (Y) and first (0), where 31 wraps to 0; each kind
// of mistake is named.
func TestCreditCodesFollowGB32100(t *testing.T) {
	for _, code := range []string{"91350100M000100Y43", "9144030071526726XG", "914403001922038216", "91330100716105852F", "91310000MA1FL4B24G",
		"91440300715267018Y", "914403007152670280"} {
		if msg := gatehouse.ValidateCreditCode(code); msg != "" {
			t.Errorf("%s: %s", code, msg)
		}
		if c := gatehouse.CreditCodeCheckChar(code[:17]); c != code[17] {
			t.Errorf("%s: check character %c", code, c)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"9144030071526726X", "must be 18 characters (统一社会信用代码)"},
		{"9144030071526726XGG", "must be 18 characters (统一社会信用代码)"},
		{"9144030071526726XI", "may contain only digits and the capital letters of GB 32100 (no I, O, S, V or Z)"},
		{"9144030071526726xg", "may contain only digits and the capital letters of GB 32100 (no I, O, S, V or Z)"},
		{"91A4030071526726XG", "characters 3 to 8 must be the digits of an administrative division"},
		{"9144030A71526726XG", "characters 3 to 8 must be the digits of an administrative division"},
		{"9144030071526726XH", "the check character does not match (GB 32100); please re-check the code"},
		{"9144030071526762XG", "the check character does not match (GB 32100); please re-check the code"}, // two digits swapped
	} {
		if got := gatehouse.ValidateCreditCode(tc.in); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestACompanyIsNormalizedAndChecked(t *testing.T) {
	c := gatehouse.Company{Name: " 深圳市万厦居业有限公司 ", CreditCode: " 9144 0300 7152 6726xg ", Contact: " 0755-8888 1234 "}
	if err := c.Validate(); err != nil || c.Name != "深圳市万厦居业有限公司" || c.CreditCode != "9144030071526726XG" || c.Contact != "0755-8888 1234" {
		t.Errorf("a good company: %+v %v", c, err)
	}
	for _, tc := range []struct {
		what       string
		c          gatehouse.Company
		field, msg string
	}{
		{"no name", gatehouse.Company{Name: " ", CreditCode: "9144030071526726XG"}, "name", "is required"},
		{"a long name", gatehouse.Company{Name: strings.Repeat("物", 101), CreditCode: "9144030071526726XG"}, "name", "must be at most 100 characters"},
		{"a contact with a newline", gatehouse.Company{Name: "万厦", CreditCode: "9144030071526726XG", Contact: "张\n经理"}, "contact",
			"must contain only printable characters, not U+000A (a control, bidi, zero-width or unusual space character)"},
		{"no code", gatehouse.Company{Name: "万厦"}, "credit_code", "must be 18 characters (统一社会信用代码)"},
	} {
		wantFieldMessage(t, tc.what, tc.c.Validate(), tc.field, tc.msg)
	}
}

func TestAScoreEarnsItsGradeAndItsCard(t *testing.T) {
	s := gatehouse.DefaultScheme()
	for _, tc := range []struct {
		score float64
		grade gatehouse.Grade
		card  gatehouse.GradeCard
	}{
		{100, gatehouse.GradeExcellent, gatehouse.CardRed},
		{90, gatehouse.GradeExcellent, gatehouse.CardRed},
		{89.99, gatehouse.GradeGood, gatehouse.CardNone},
		{80, gatehouse.GradeGood, gatehouse.CardNone},
		{70, gatehouse.GradeGeneral, gatehouse.CardNone},
		{60, gatehouse.GradePass, gatehouse.CardNone},
		{59.99, gatehouse.GradePoor, gatehouse.CardBlack},
		{0, gatehouse.GradePoor, gatehouse.CardBlack},
	} {
		g := s.GradeOf(tc.score)
		if g != tc.grade || gatehouse.CardOf(g) != tc.card {
			t.Errorf("score %v: %s with card %q, want %s with %q", tc.score, g, gatehouse.CardOf(g), tc.grade, tc.card)
		}
	}
}

func TestAGradeCardIsNullOrItsColourInJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		A, B, C gatehouse.GradeCard
	}{gatehouse.CardRed, gatehouse.CardBlack, gatehouse.CardNone})
	if err != nil || string(b) != `{"A":"red","B":"black","C":null}` {
		t.Errorf("encoded %s, %v", b, err)
	}
	for in, want := range map[string]gatehouse.GradeCard{`null`: gatehouse.CardNone, `""`: gatehouse.CardNone, `"red"`: gatehouse.CardRed, `"black"`: gatehouse.CardBlack} {
		var c gatehouse.GradeCard = "x"
		if err := json.Unmarshal([]byte(in), &c); err != nil || c != want {
			t.Errorf("decoding %s: %q %v, want %q", in, c, err, want)
		}
	}
	var c gatehouse.GradeCard
	err = json.Unmarshal([]byte(`"green"`), &c)
	if gatehouse.ErrorCode(err) != gatehouse.EINVALID || !strings.Contains(gatehouse.ErrorMessage(err), "card: must be red, black or null") {
		t.Errorf("a green card: %v", err)
	}
}

// A figure earns the best step it reaches: at least the step's rate where
// higher is better (coverage), at most it for a rate of failures.
func TestAnIndicatorsFigureEarnsTheBestStepItReaches(t *testing.T) {
	s := gatehouse.DefaultScheme()
	coverage, ok := s.Rule(gatehouse.IndRegistration)
	overrides, ok2 := s.Rule(gatehouse.IndOverrides)
	if !ok || !ok2 || coverage.MaxPoints() != 10 || overrides.MaxPoints() != 10 {
		t.Fatalf("the default rules: %+v %+v", coverage, overrides)
	}
	if _, ok := s.Rule("smiles"); ok {
		t.Error("a rule of an indicator that does not exist")
	}
	for _, tc := range []struct {
		rule gatehouse.IndicatorRule
		v    float64
		want float64
	}{
		{coverage, 1, 10},
		{coverage, 0.95, 10},
		{coverage, 0.9499, 8},
		{coverage, 0.8, 6},
		{coverage, 0.6, 3},
		{coverage, 0.59, 0},
		{overrides, 0, 10},
		{overrides, 0.02, 10},
		{overrides, 0.03, 8},
		{overrides, 0.1, 6},
		{overrides, 0.2, 3},
		{overrides, 0.5, 0},
		{gatehouse.IndicatorRule{Key: gatehouse.IndGateOffline}, 0, 0}, // no steps, no points
	} {
		if got := tc.rule.Points(tc.v); got != tc.want {
			t.Errorf("%s at %v: %v points, want %v", tc.rule.Key, tc.v, got, tc.want)
		}
	}
	for key, higher := range map[string]bool{gatehouse.IndRegistration: true, gatehouse.IndRegistry: true, gatehouse.IndWatchlist: true,
		gatehouse.IndOverrides: false, gatehouse.IndOverstays: false, gatehouse.IndGateOffline: false, gatehouse.IndDeniedOverride: false} {
		if gatehouse.HigherIsBetter(key) != higher {
			t.Errorf("%s: higher is better %v", key, !higher)
		}
	}
	if c, ok := s.Category("burglary"); !ok || !c.Serious || c.Deduct != 5 {
		t.Errorf("burglary: %+v %v", c, ok)
	}
	if _, ok := s.Category("jaywalking"); ok {
		t.Error("a category that does not exist")
	}
}

func TestASchemeIsCheckedFieldByField(t *testing.T) {
	if err := gatehouse.DefaultScheme().Validate(); err != nil {
		t.Fatalf("the default scheme: %v", err)
	}
	for _, tc := range []struct {
		what  string
		edit  func(s *gatehouse.Scheme)
		field string
	}{
		{"no inspection part and no checklist", func(s *gatehouse.Scheme) {
			s.Weights, s.Checklist = gatehouse.Weights{Measured: 90, Incidents: 10}, nil
		}, ""},
		{"a month that is none", func(s *gatehouse.Scheme) { s.EffectiveFrom = "2026-13" }, "effective_from"},
		{"a month before 2000", func(s *gatehouse.Scheme) { s.EffectiveFrom = "1999-12" }, "effective_from"},
		{"weights of 99", func(s *gatehouse.Scheme) { s.Weights.Incidents = 9 }, "weights"},
		{"a negative weight", func(s *gatehouse.Scheme) { s.Weights = gatehouse.Weights{Measured: 110, Inspection: -10} }, "weights"},
		{"an unknown indicator", func(s *gatehouse.Scheme) { s.Indicators[0].Key = "smiles" }, "indicators[0].key"},
		{"an indicator twice", func(s *gatehouse.Scheme) { s.Indicators[1].Key = s.Indicators[0].Key }, "indicators[1].key"},
		{"no steps", func(s *gatehouse.Scheme) { s.Indicators[2].Steps = nil }, "indicators[2].steps"},
		{"eleven steps", func(s *gatehouse.Scheme) { s.Indicators[2].Steps = make([]gatehouse.Step, 11) }, "indicators[2].steps"},
		{"steps of no points", func(s *gatehouse.Scheme) { s.Indicators[2].Steps = []gatehouse.Step{{At: 0.5}} }, "indicators[2].steps"},
		{"a rate over 1", func(s *gatehouse.Scheme) { s.Indicators[3].Steps[0].At = 1.5 }, "indicators[3].steps"},
		{"a measured part with no indicators", func(s *gatehouse.Scheme) { s.Indicators = nil }, "indicators"},
		{"a checklist key with a space", func(s *gatehouse.Scheme) { s.Checklist[0].Key = "fire exits" }, "checklist[0].key"},
		{"a checklist key twice", func(s *gatehouse.Scheme) { s.Checklist[1].Key = s.Checklist[0].Key }, "checklist[1].key"},
		{"a checklist item without a name", func(s *gatehouse.Scheme) { s.Checklist[0].Name = " " }, "checklist[0].name"},
		{"a checklist item of no points", func(s *gatehouse.Scheme) { s.Checklist[0].Points = 0 }, "checklist[0].points"},
		{"51 checklist items", func(s *gatehouse.Scheme) {
			s.Checklist = nil
			for i := range 51 {
				s.Checklist = append(s.Checklist, gatehouse.ChecklistItem{Key: "item_" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Name: "检查", Points: 1})
			}
		}, "checklist"},
		{"an inspection part with no checklist", func(s *gatehouse.Scheme) { s.Checklist = nil }, "checklist"},
		{"an incident key in capitals", func(s *gatehouse.Scheme) { s.Incidents[0].Key = "Burglary" }, "incident_categories[0].key"},
		{"an incident name with a bidi override", func(s *gatehouse.Scheme) { s.Incidents[0].Name = "入室\u202e盗窃" }, "incident_categories[0].name"},
		{"a deduction over 100", func(s *gatehouse.Scheme) { s.Incidents[0].Deduct = 101 }, "incident_categories[0].deduct"},
		{"grades that do not fall", func(s *gatehouse.Scheme) { s.Grades.Good = 95 }, "grades"},
		{"a pass grade of 0", func(s *gatehouse.Scheme) { s.Grades.Pass = 0 }, "grades"},
		{"no days to rectify", func(s *gatehouse.Scheme) { s.RectificationDays = 0 }, "rectification_days"},
		{"poor in 7 of 6 months", func(s *gatehouse.Scheme) { s.LongTermPoor = 7 }, "long_term_poor"},
	} {
		s := gatehouse.DefaultScheme()
		tc.edit(s)
		err := s.Validate()
		e, ok := err.(*gatehouse.Error)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.what, err)
		case tc.field != "" && (!ok || e.Fields[tc.field] == "" || len(e.Fields) != 1):
			t.Errorf("%s: %v, want a problem with %s only", tc.what, err, tc.field)
		}
	}
}

func TestMonthsAreReadInTheCommunitysZone(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	from, to, err := gatehouse.MonthBounds("2026-12", shanghai)
	if err != nil || !from.Equal(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("December 2026 in Shanghai: %s to %s, %v", from, to, err)
	}
	for _, bad := range []string{"", "2026-1", "2026/12", "1999-12", "2201-01", "2026-12-01"} {
		if _, _, err := gatehouse.MonthBounds(bad, time.UTC); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("month %q: %v", bad, err)
		}
	}
	for _, tc := range []struct {
		month string
		n     int
		want  string
	}{
		{"2026-12", 1, "2027-01"}, {"2026-01", -1, "2025-12"}, {"2026-03", -6, "2025-09"}, {"2026-03", 0, "2026-03"}, {"March", 1, "March"},
	} {
		if got := gatehouse.AddMonths(tc.month, tc.n); got != tc.want {
			t.Errorf("AddMonths(%s, %d) = %s, want %s", tc.month, tc.n, got, tc.want)
		}
	}
	if m := (&gatehouse.Inspection{Date: "2026-12-05"}).Month(); m != "2026-12" {
		t.Errorf("an inspection's month: %s", m)
	}
	if m := (&gatehouse.Incident{Date: "2027-01-31"}).Month(); m != "2027-01" {
		t.Errorf("an incident's month: %s", m)
	}
}

func TestARectificationIsOverdueAfterItsDeadlineUntilClosed(t *testing.T) {
	deadline := decideNow
	for _, tc := range []struct {
		status string
		at     time.Time
		want   bool
	}{
		{gatehouse.RectOpen, deadline, false},
		{gatehouse.RectOpen, deadline.Add(time.Second), true},
		{gatehouse.RectAnswered, deadline.Add(time.Hour), true},
		{gatehouse.RectEscalated, deadline.Add(time.Hour), true},
		{gatehouse.RectClosed, deadline.Add(time.Hour), false},
	} {
		r := &gatehouse.Rectification{Status: tc.status, Deadline: deadline}
		if got := r.Overdue(tc.at); got != tc.want {
			t.Errorf("%s at deadline%+v: overdue %v, want %v", tc.status, tc.at.Sub(deadline), got, tc.want)
		}
	}
}

// The supervision roles are roles: valid, seeing no whole number, and
// telling themselves apart from the others.
func TestTheSupervisionRolesAreRoles(t *testing.T) {
	for _, r := range gatehouse.Roles {
		want := r == gatehouse.RoleDistrict || r == gatehouse.RoleStreet
		if r.Supervises() != want {
			t.Errorf("%s supervises %v", r, !want)
		}
	}
	for _, r := range []gatehouse.Role{gatehouse.RoleDistrict, gatehouse.RoleStreet} {
		if !r.Valid() || r.SeesFullIDs() {
			t.Errorf("%s: valid %v, sees whole ID numbers %v", r, r.Valid(), r.SeesFullIDs())
		}
	}
	if got := gatehouse.SortedKeys(map[string]bool{"drill": true, "cameras": true, "access_control": false}); strings.Join(got, ",") != "access_control,cameras,drill" {
		t.Errorf("SortedKeys: %v", got)
	}
}
