package gatehouse_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestASignInPhoneIsAMainlandMobileNumberAsTyped(t *testing.T) {
	const bad = "must be a mainland mobile number: 11 digits starting 13 to 19 (e.g. 13800138000)"
	for _, tc := range []struct{ in, num, msg string }{
		{"13800138000", "13800138000", ""},
		{" 138 0013 8000 ", "13800138000", ""},
		{"138-0013-8000", "13800138000", ""},
		{"+86 138 0013 8000", "13800138000", ""},
		{"+8619912345678", "19912345678", ""},
		{"12800138000", "", bad},    // no mobile network starts 12
		{"10800138000", "", bad},    // nor 10
		{"23800138000", "", bad},    // a landline-like number
		{"1380013800", "", bad},     // 10 digits
		{"138001380001", "", bad},   // 12 digits
		{"+85261234567", "", bad},   // Hong Kong
		{"+1 13800138000", "", bad}, // another country's code
		{"1380013800a", "", bad},    // a letter among the digits
		{"138.0013.8000", "", bad},  // dots are not dropped
		{"１３８００１３８０００", "", bad},    // full-width digits
		{"", "", bad},
	} {
		num, msg := gatehouse.MobileNumber(tc.in)
		if num != tc.num || msg != tc.msg {
			t.Errorf("MobileNumber(%q) = %q, %q; want %q, %q", tc.in, num, msg, tc.num, tc.msg)
		}
	}
}

func TestAnOfflineEventCarriesACodeOrACardNeverBoth(t *testing.T) {
	now := decideNow
	ev := func(method gatehouse.Method, code, card string) *gatehouse.OfflineEvent {
		return &gatehouse.OfflineEvent{EventID: "uhppote-1-9", Method: method, Code: code, Card: card, Direction: gatehouse.In,
			OccurredAt: now.Add(-time.Minute), Decision: gatehouse.Grant}
	}
	for _, tc := range []struct {
		what string
		e    *gatehouse.OfflineEvent
		want string
	}{
		{"a code the agent decided", ev("", "GH2.x", ""), ""},
		{"a card swipe", ev(gatehouse.MethodCard, "", "3735928559"), ""},
		{"a card number without the card method", ev("", "", "3735928559"), `card: only with method "card"`},
		{"a code and a card without the card method", ev("", "GH2.x", "3735928559"), `card: only with method "card"`},
		{"a card swipe with a code", ev(gatehouse.MethodCard, "GH2.x", "3735928559"), `code: a card swipe has no code (send the card's number as "card")`},
		{"a card swipe without a number", ev(gatehouse.MethodCard, "", ""), "card: is required"},
		{"a card number in hex", ev(gatehouse.MethodCard, "", "DEADBEEF"), "card: must be the decimal number the reader sends (digits only)"},
		{"a card number with a leading 0", ev(gatehouse.MethodCard, "", "03735928559"), "card: must not start with 0 (write the number as the reader sends it)"},
		{"another method", ev("qr", "GH2.x", ""), `method: must be "card" or left out`},
		{"a resident's own way in", ev(gatehouse.Method("face"), "", ""), `method: must be "card" or left out`},
	} {
		if got := gatehouse.ValidateOfflineEvent(tc.e, now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.what, got, tc.want)
		}
	}
}

func TestGuessesAtMaskedIDNumbersAreRefusedPastTheAllowance(t *testing.T) {
	if gatehouse.IDGuessAllowance != 3 {
		t.Fatalf("the table below is for an allowance of 3, not %d", gatehouse.IDGuessAllowance)
	}
	for _, tc := range []struct {
		exact, near bool
		guesses     int64
		want        bool
	}{
		// A number that shows no stored masked form is never refused.
		{false, false, 0, false},
		{false, false, 100, false},
		// Near misses: the allowance's worth pass (this one counted), the next is refused.
		{false, true, 1, false},
		{false, true, 3, false},
		{false, true, 4, true},
		// A stored number, after fewer near misses than the allowance: taken.
		{true, false, 0, false},
		{true, false, 2, false},
		// Past the allowance a stored number is refused too, so that the refusal tells nothing.
		{true, false, 3, true},
		{true, false, 10, true},
	} {
		if got := gatehouse.GuessedTooOften(tc.exact, tc.near, tc.guesses); got != tc.want {
			t.Errorf("exact %v, near %v, %d guesses: refused %v, want %v", tc.exact, tc.near, tc.guesses, got, tc.want)
		}
	}
	err := gatehouse.TooManyIDGuesses("visitor.id_number")
	e, ok := err.(*gatehouse.Error)
	if !ok || e.Code != gatehouse.EFORBIDDEN || len(e.Fields) != 1 || !strings.Contains(e.Fields["visitor.id_number"], "for 24 hours") ||
		e.Message != "visitor.id_number: "+e.Fields["visitor.id_number"] {
		t.Errorf("the refusal: %#v", err)
	}
}

func TestIDNumbersPhonesAndTextAtTheirEdges(t *testing.T) {
	for _, tc := range []struct {
		t    gatehouse.IDType
		n    string
		want string
	}{
		{gatehouse.IDResident, "11010519491231002Y", "the last character of a resident ID number is a digit or X"},
		{gatehouse.IDResident, "11010519491231002X", ""},
		{gatehouse.IDOther, strings.Repeat("證", 32), ""}, // 96 bytes: fits
		{gatehouse.IDOther, strings.Repeat("😀", 32), "must be at most 96 bytes of UTF-8 (32 Chinese characters or letters)"},
		{gatehouse.IDOther, strings.Repeat("A", 33), "must be at most 32 characters"},
		{gatehouse.IDType("driving_licence"), "123456", "unknown id_type"},
	} {
		if got := gatehouse.ValidateIDNumber(tc.t, tc.n); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.t, tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"12 3-45", "must have 6 to 15 digits"},          // the shape of a phone, five digits
		{"1234567890123456", "must have 6 to 15 digits"}, // sixteen
		{"+123456789012345", ""},                         // fifteen after a +
		{"+12345678901", ""},                             // an international number is not a mainland one
		{"0755-8888 1234", ""},                           // a landline
		{"12345678901", "a mainland mobile number starts with 13 to 19"},
		{"138 0013 8000\n", ""}, // surrounding space is trimmed
		{"138\u00a00013", "must be a phone number: digits, optionally a leading + (e.g. 13800138000)"},
	} {
		if got := gatehouse.ValidatePhone(tc.in); got != tc.want {
			t.Errorf("ValidatePhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAResidentsPhoneIsCheckedAndStoredNormalized(t *testing.T) {
	r := gatehouse.Resident{CommunityID: 1, Name: "王芳", IDType: gatehouse.IDResident, IDNumber: gatehouse.NewIDNumber("11010519491231002X"),
		Phone: "138 0013-8000", Building: "3", Unit: "2", Room: "502"}
	if err := r.Validate(); err != nil || r.Phone != "13800138000" {
		t.Errorf("a phone with spaces and dashes: %q, %v", r.Phone, err)
	}
	r.Phone = "12800138000"
	wantFieldMessage(t, "a phone of no mobile network", r.Validate(), "phone", "a mainland mobile number starts with 13 to 19")
	r.Phone = ""
	wantFieldMessage(t, "no phone", r.Validate(), "phone", "is required")
}

func TestAPoliceQuerysCriteriaArePrintableText(t *testing.T) {
	good := func() gatehouse.PoliceQuery {
		return gatehouse.PoliceQuery{CaseRef: "罗公(刑)字[2026]1号", Purpose: "盗窃案", CommunityIDs: []int64{1},
			From: decideNow.Add(-24 * time.Hour), To: decideNow, Name: "张伟"}
	}
	const hidden = "must contain only printable characters, not U+200B (a control, bidi, zero-width or unusual space character)"
	for _, tc := range []struct {
		what  string
		edit  func(q *gatehouse.PoliceQuery)
		field string
		msg   string
	}{
		{"a zero-width space in the case", func(q *gatehouse.PoliceQuery) { q.CaseRef = "2026\u200b1" }, "case_ref", hidden},
		{"a zero-width space in the purpose", func(q *gatehouse.PoliceQuery) { q.Purpose = "盗\u200b窃" }, "purpose", hidden},
		{"a zero-width space in the name", func(q *gatehouse.PoliceQuery) { q.Name = "张\u200b伟" }, "name", hidden},
		{"a zero-width space in the number", func(q *gatehouse.PoliceQuery) { q.IDNumber = gatehouse.NewIDNumber("4405\u200b24") }, "id_number", hidden},
		{"a long case", func(q *gatehouse.PoliceQuery) { q.CaseRef = strings.Repeat("案", 65) }, "case_ref", "must be at most 64 characters"},
		{"a long purpose", func(q *gatehouse.PoliceQuery) { q.Purpose = strings.Repeat("案", 301) }, "purpose", "must be at most 300 characters"},
		{"a long plate", func(q *gatehouse.PoliceQuery) { q.Plate = strings.Repeat("粤", 17) }, "plate", "must be at most 16 characters"},
		{"201 communities", func(q *gatehouse.PoliceQuery) { q.CommunityIDs = make([]int64, 201) }, "community_ids", "list at most 200 communities"},
	} {
		q := good()
		tc.edit(&q)
		wantFieldMessage(t, tc.what, q.Validate(), tc.field, tc.msg)
	}
}

func TestACommunitysVisitRequestsWaitOneMinuteToADay(t *testing.T) {
	const bad = "must be between 1 and 1440"
	// 0 is a community stored before the setting: it takes the default.
	for minutes, msg := range map[int]string{0: "", 1: "", 10: "", 1440: "", -1: bad, 1441: bad} {
		c := gatehouse.Community{Name: "翠竹苑", TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72, VisitRequestMinutes: minutes}
		field := ""
		if msg != "" {
			field = "visit_request_minutes"
		}
		wantFieldMessage(t, "visit_request_minutes "+strconv.Itoa(minutes), c.Validate(), field, msg)
	}
}

// A guest of a host who moved out is no longer expected: the pass stops
// letting in, after a revocation and before the gate scope, but its holder
// may still leave.
func TestAPassOfAHostWhoMovedOutNoLongerLetsIn(t *testing.T) {
	movedOut := decideNow.Add(-time.Hour)
	for _, tc := range []struct {
		what string
		edit func(f *gatehouse.ScanFacts)
		want gatehouse.Reason
	}{
		{"a present host", func(f *gatehouse.ScanFacts) { f.Pass.Host = &gatehouse.Resident{ID: 5, CommunityID: 1} }, gatehouse.Granted},
		{"a host who moved out", func(f *gatehouse.ScanFacts) {
			f.Pass.Host = &gatehouse.Resident{ID: 5, CommunityID: 1, MovedOutAt: &movedOut}
		}, gatehouse.Revoked},
		{"a host who moved out, at a gate the pass does not name", func(f *gatehouse.ScanFacts) {
			f.Pass.Host, f.GateID = &gatehouse.Resident{ID: 5, CommunityID: 1, MovedOutAt: &movedOut}, 7
		}, gatehouse.Revoked},
		{"a host who moved out, a pass of another community", func(f *gatehouse.ScanFacts) {
			f.Pass.Host, f.Pass.CommunityID = &gatehouse.Resident{ID: 5, CommunityID: 1, MovedOutAt: &movedOut}, 2
		}, gatehouse.WrongCommunity},
		{"the guest of a host who moved out leaving", func(f *gatehouse.ScanFacts) {
			f.Pass.Host, f.Direction, f.Inside = &gatehouse.Resident{ID: 5, CommunityID: 1, MovedOutAt: &movedOut}, gatehouse.Out, true
		}, gatehouse.Granted},
	} {
		f := goodPass()
		tc.edit(&f)
		if got := gatehouse.Decide(f); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, got, tc.want)
		}
	}
}
