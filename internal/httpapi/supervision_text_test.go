package httpapi_test

import (
	"fmt"
	"testing"
	"time"
)

// The supervision's request fields, for TestEveryRequestFieldIsFreeTextOrHasAStricterRule:
// the free-text ones are tested below (a hidden character is a 422 naming the field).
func init() {
	printable := "printable text (gatehouse.ValidateText), TestSupervisionTextRefusesHiddenCharacters"
	for f, rule := range map[string]string{
		"companyRequest.name": printable, "companyRequest.contact": printable, "assignRequest.street": printable,
		"inspectionRequest.inspector": printable, "inspectionRequest.notes": printable, "incidentRequest.case_ref": printable,
		"publishRequest.reason": printable, "rectificationRequest.reason": printable, "rectificationPatch.answer": printable,
		"rectificationPatch.note": printable, "schemeRequest.checklist[].name": printable, "schemeRequest.incident_categories[].name": printable,
		"companyRequest.credit_code":                "a unified social credit code: GB 32100 with its check character",
		"assignRequest.from (time.Time)":            "an RFC 3339 time",
		"rectificationRequest.deadline (time.Time)": "an RFC 3339 time",
		"schemeRequest.created_at (time.Time)":      "an RFC 3339 time (ignored)",
		"incidentRequest.date":                      "a day, YYYY-MM-DD",
		"inspectionRequest.date":                    "a day, YYYY-MM-DD",
		"incidentRequest.category":                  "a category key of the month's scheme",
		"inspectionRequest.items_met[]":             "a checklist key of the month's scheme",
		"inspectionRequest.photos[]":                "a data: URL of a JPEG or PNG",
		"rectificationPatch.status":                 "an enum: answered, closed, escalated",
		"rectificationRequest.month":                "a month, YYYY-MM",
		"schemeRequest.effective_from":              "a month, YYYY-MM",
		"schemeRequest.checklist[].key":             "a key: a to z, 0 to 9 and _",
		"schemeRequest.incident_categories[].key":   "a key: a to z, 0 to 9 and _",
		"schemeRequest.indicators[].key":            "an enum: the seven indicators",
	} {
		notFreeText[f] = rule
	}
}

func TestSupervisionTextRefusesHiddenCharacters(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		d := newDistrict(t, e)
		var o struct{ ID int64 }
		e.expect("POST", "/api/v1/rectifications", d.dist, map[string]any{"community_id": d.c[1], "reason": "整改"}, 201, &o)
		for _, bad := range []string{"鹏城\u202e物业", "鹏城\n物业", "鹏城\u200b物业"} {
			check := func(method, path, token string, body map[string]any, field string) {
				t.Helper()
				res := e.do(method, path, token, body)
				if _, _, f := res.Err(); res.Status != 422 || f[field] == "" {
					t.Errorf("%s %s with %q in %s: %d %s", method, path, bad, field, res.Status, res.Body)
				}
			}
			check("POST", "/api/v1/companies", d.dist, map[string]any{"name": bad, "credit_code": "91110000600037341L"}, "name")
			check("POST", "/api/v1/companies", d.dist, map[string]any{"name": "甲", "contact": bad, "credit_code": "91110000600037341L"}, "contact")
			check("PUT", fmt.Sprintf("/api/v1/communities/%d/company", d.c[0]), d.dist, map[string]any{"company_id": d.x, "street": bad}, "street")
			day := e.clock.Now().Format("2006-01-02")
			check("POST", "/api/v1/inspections", d.street, map[string]any{"community_id": d.c[0], "date": day, "inspector": bad}, "inspector")
			check("POST", "/api/v1/inspections", d.street, map[string]any{"community_id": d.c[0], "date": day, "inspector": "街道办", "notes": bad}, "notes")
			check("POST", "/api/v1/incidents", d.police, map[string]any{"community_id": d.c[0], "date": day, "category": "theft", "case_ref": bad}, "case_ref")
			check("POST", "/api/v1/supervision/months/2026-10/publish", d.dist, map[string]any{"reason": bad}, "reason")
			check("POST", "/api/v1/rectifications", d.street, map[string]any{"community_id": d.c[0], "reason": bad,
				"deadline": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}, "reason")
			check("PATCH", fmt.Sprintf("/api/v1/rectifications/%d", o.ID), d.mgr2, map[string]any{"status": "answered", "answer": bad}, "answer")
			check("PATCH", fmt.Sprintf("/api/v1/rectifications/%d", o.ID), d.street, map[string]any{"status": "escalated", "note": bad}, "note")
			sc := map[string]any{"weights": map[string]any{"measured": 50, "inspection": 40, "incidents": 10},
				"indicators":          []map[string]any{{"key": "override_rate", "steps": []map[string]any{{"at": 0.1, "points": 10}}}},
				"checklist":           []map[string]any{{"key": "cameras", "name": bad, "points": 10}},
				"incident_categories": []map[string]any{{"key": "theft", "name": bad, "deduct": 3}},
				"grades":              map[string]any{"excellent": 90, "good": 80, "general": 70, "pass": 60}, "rectification_days": 30, "long_term_poor": 3}
			check("PUT", "/api/v1/supervision/scheme", d.dist, sc, "checklist[0].name")
			check("PUT", "/api/v1/supervision/scheme", d.dist, sc, "incident_categories[0].name")
		}
	})
}
