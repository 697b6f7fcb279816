package gatehouse_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestAPendingVisitRequestExpiresAtItsExpiryEvenBeforeTheSweep(t *testing.T) {
	expires := decideNow
	for _, tc := range []struct {
		stored string
		at     time.Time
		want   string
	}{
		{gatehouse.VisitPending, expires.Add(-time.Second), gatehouse.VisitPending},
		{gatehouse.VisitPending, expires, gatehouse.VisitExpired},
		{gatehouse.VisitPending, expires.Add(time.Hour), gatehouse.VisitExpired},
		// A decided request keeps its decision past the expiry.
		{gatehouse.VisitApproved, expires.Add(time.Hour), gatehouse.VisitApproved},
		{gatehouse.VisitDenied, expires.Add(time.Hour), gatehouse.VisitDenied},
		{gatehouse.VisitExpired, expires.Add(-time.Hour), gatehouse.VisitExpired},
	} {
		r := &gatehouse.VisitRequest{Status: tc.stored, ExpiresAt: expires}
		if got := r.StatusAt(tc.at); got != tc.want {
			t.Errorf("%s at expiry%+v: %s, want %s", tc.stored, tc.at.Sub(expires), got, tc.want)
		}
	}
}

func TestAVisitRequestWaitsAsLongAsItsCommunitySays(t *testing.T) {
	for minutes, want := range map[int]time.Duration{
		0:    10 * time.Minute, // a community stored before the setting: the default
		-5:   10 * time.Minute,
		1:    time.Minute,
		30:   30 * time.Minute,
		1440: 24 * time.Hour,
	} {
		c := &gatehouse.Community{VisitRequestMinutes: minutes}
		if got := c.VisitRequestTTL(); got != want {
			t.Errorf("visit_request_minutes %d: %s, want %s", minutes, got, want)
		}
	}
}

func TestThePrivacyNoticeNamesTheRetentionInEitherLanguage(t *testing.T) {
	zh, en := gatehouse.VisitNoticeText("zh", 180), gatehouse.VisitNoticeText("en", 30)
	if !strings.Contains(zh, "保存 180 天") || strings.Contains(zh, "%") {
		t.Errorf("zh notice: %s", zh)
	}
	if !strings.Contains(en, "kept 30 days") || strings.Contains(en, "%") {
		t.Errorf("en notice: %s", en)
	}
	if got := gatehouse.VisitNoticeText("fr", 180); got != zh {
		t.Errorf("another language is not shown the Chinese notice: %s", got)
	}
	for _, notice := range []string{zh, en} {
		if msg := gatehouse.ValidateText(notice, 2000); msg != "" {
			t.Errorf("the notice is not printable text: %s", msg)
		}
	}
}

// goodVisitRequest is a request as a visitor types it, valid once normalized.
func goodVisitRequest() gatehouse.VisitRequest {
	return gatehouse.VisitRequest{
		Visitor: gatehouse.Visitor{Name: " 张伟 ", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber("４４０５２４１８８００１０１００１４"),
			Phone: "139-1234-5678", Plate: "粤b 12345"},
		Household: gatehouse.Household{CommunityID: 1, Building: " ３栋 ", Unit: "2单元", Room: "502a"},
		Purpose:   " 探亲 ",
		Consent:   gatehouse.Consent{IDNumber: true, NoticeVersion: gatehouse.VisitNoticeVersion},
	}
}

func TestAVisitRequestIsNormalizedAsTheStoreComparesIt(t *testing.T) {
	r := goodVisitRequest()
	r.Normalize()
	if err := r.Validate(); err != nil {
		t.Fatalf("a good request: %v", err)
	}
	v := r.Visitor
	if v.Name != "张伟" || !v.IDNumber.Same(gatehouse.NewIDNumber("440524188001010014")) || v.Phone != "13912345678" || v.Plate != "粤B12345" {
		t.Errorf("visitor %q %s %q %q", v.Name, v.IDNumber.Masked(), v.Phone, v.Plate)
	}
	if h := r.Household; h.Building != "3栋" || h.Unit != "2单元" || h.Room != "502A" {
		t.Errorf("household %+v", h)
	}
	if r.Purpose != "探亲" {
		t.Errorf("purpose %q", r.Purpose)
	}
}

func TestAVisitRequestNamesEachFieldAtFault(t *testing.T) {
	for _, tc := range []struct {
		what  string
		edit  func(r *gatehouse.VisitRequest)
		field string
		msg   string
	}{
		{"no purpose", func(r *gatehouse.VisitRequest) { r.Purpose = "" }, "", ""},
		{"no plate", func(r *gatehouse.VisitRequest) { r.Visitor.Plate = "" }, "", ""},
		{"no name", func(r *gatehouse.VisitRequest) { r.Visitor.Name = "" }, "visitor.name", "is required"},
		{"a wrong check digit", func(r *gatehouse.VisitRequest) { r.Visitor.IDNumber = gatehouse.NewIDNumber("440524188001010015") },
			"visitor.id_number", "the check digit does not match (GB 11643); please re-check the number"},
		{"an unknown document", func(r *gatehouse.VisitRequest) { r.Visitor.IDType = "driving_licence" },
			"visitor.id_type", "must be one of resident_id, passport, hk_macao_permit, taiwan_permit, other"},
		{"no phone", func(r *gatehouse.VisitRequest) { r.Visitor.Phone = "" }, "visitor.phone", "is required: the household may call you back"},
		{"a bad phone", func(r *gatehouse.VisitRequest) { r.Visitor.Phone = "12345678901" }, "visitor.phone", "a mainland mobile number starts with 13 to 19"},
		{"a bad plate", func(r *gatehouse.VisitRequest) { r.Visitor.Plate = "B1" }, "visitor.plate", "must be a licence plate such as 粤B12345 (5 to 10 characters)"},
		{"no building", func(r *gatehouse.VisitRequest) { r.Household.Building = " " }, "building", "is required"},
		{"no unit", func(r *gatehouse.VisitRequest) { r.Household.Unit = "" }, "unit", "is required"},
		{"a room with a bidi override", func(r *gatehouse.VisitRequest) { r.Household.Room = "50\u202e2" }, "room",
			"must contain only printable characters, not U+202E (a control, bidi, zero-width or unusual space character)"},
		{"a long room", func(r *gatehouse.VisitRequest) { r.Household.Room = strings.Repeat("5", 33) }, "room", "must be at most 32 characters"},
		{"a long purpose", func(r *gatehouse.VisitRequest) { r.Purpose = strings.Repeat("探", 201) }, "purpose", "must be at most 200 characters"},
		{"a purpose in GBK", func(r *gatehouse.VisitRequest) { r.Purpose = "\xcc\xbd\xc7\xd7" }, "purpose", "is not UTF-8 text (was it saved in another encoding, such as GBK?)"},
		{"no consent to the ID number", func(r *gatehouse.VisitRequest) { r.Consent.IDNumber = false }, "consent.id_number",
			"separate consent to processing your ID number is required (PIPL art. 29); without it, ask the guard to register you"},
		{"consent to an older notice", func(r *gatehouse.VisitRequest) { r.Consent.NoticeVersion = "2025-01-v1" }, "consent.notice_version",
			"the privacy notice has changed; read it again (" + gatehouse.VisitNoticeVersion + ")"},
	} {
		r := goodVisitRequest()
		tc.edit(&r)
		r.Normalize()
		wantFieldMessage(t, tc.what, r.Validate(), tc.field, tc.msg)
	}
	// Everything wrong at once: every field is named.
	var r gatehouse.VisitRequest
	err := r.Validate()
	e, ok := err.(*gatehouse.Error)
	want := []string{"visitor.name", "visitor.id_type", "visitor.phone", "building", "unit", "room", "consent.id_number", "consent.notice_version"}
	if !ok || len(e.Fields) != len(want) {
		t.Fatalf("an empty request: %v, want %v", err, want)
	}
	for _, f := range want {
		if e.Fields[f] == "" {
			t.Errorf("an empty request: no problem with %s in %v", f, e.Fields)
		}
	}
}

func TestAnApprovalsPassTakesTheCommunitysDefaults(t *testing.T) {
	for _, tc := range []struct {
		hours, entries int
		validFor       time.Duration
		n              int
	}{
		{0, 0, 8 * time.Hour, 1}, // a community stored before the settings
		{-1, -1, 8 * time.Hour, 1},
		{24, 3, 24 * time.Hour, 3},
		{1, 0, time.Hour, 1},
		{0, 5, 8 * time.Hour, 5},
	} {
		c := &gatehouse.Community{VisitPassHours: tc.hours, VisitPassEntries: tc.entries}
		if d, n := c.VisitPassDefaults(); d != tc.validFor || n != tc.n {
			t.Errorf("visit_pass_hours %d, visit_pass_entries %d: %s and %d entries, want %s and %d", tc.hours, tc.entries, d, n, tc.validFor, tc.n)
		}
	}
}

// The approval defaults must make a pass the community allows: at most
// max_pass_days in hours, at most MaxEntriesLimit entries.
func TestACommunitysApprovalDefaultsStayWithinItsPassRules(t *testing.T) {
	for _, tc := range []struct {
		what                    string
		maxDays, hours, entries int
		field, msg              string
	}{
		{"the defaults left out", 7, 0, 0, "", ""},
		{"7 days of a 7-day community", 7, 7 * 24, 1, "", ""},
		{"a pass longer than max_pass_days", 7, 7*24 + 1, 1, "visit_pass_hours", "must be from 1 to 168"},
		{"a day of a 1-day community", 1, 24, 1, "", ""},
		{"25 hours of a 1-day community", 1, 25, 1, "visit_pass_hours", "must be from 1 to 24"},
		{"negative hours", 7, -1, 1, "visit_pass_hours", "must be from 1 to 168"},
		{"the most entries", 7, 8, gatehouse.MaxEntriesLimit, "", ""},
		{"too many entries", 7, 8, gatehouse.MaxEntriesLimit + 1, "visit_pass_entries", "must be from 1 to 1000"},
		{"negative entries", 7, 8, -1, "visit_pass_entries", "must be from 1 to 1000"},
	} {
		c := gatehouse.Community{Name: "翠竹苑", TimeZone: "Asia/Shanghai", MaxPassDays: tc.maxDays, OnsiteThresholdHours: 72,
			VisitPassHours: tc.hours, VisitPassEntries: tc.entries}
		wantFieldMessage(t, tc.what, c.Validate(), tc.field, tc.msg)
	}
}
