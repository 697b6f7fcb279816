package gatehouse_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestResidentIDCheckDigitFollowsGB11643(t *testing.T) {
	// The standard's own example and a few computed by hand.
	for _, valid := range []string{"11010519491231002X", "440524188001010014", "440303199001010015"} {
		if msg := gatehouse.ValidateIDNumber(gatehouse.IDResident, valid); msg != "" {
			t.Errorf("%s: %s", valid, msg)
		}
	}
	for _, tc := range []struct{ n, want string }{
		{"110105194912310021", "check digit"},
		{"11010519491231002", "18 characters"},
		{"1101051949123100XX", "first 17"},
		{"110105194902300025", "date of birth"},
		{"01010519491231002X", "start with 0"},
		{"", "required"},
	} {
		if msg := gatehouse.ValidateIDNumber(gatehouse.IDResident, tc.n); !strings.Contains(msg, tc.want) {
			t.Errorf("%q: got %q, want it to mention %q", tc.n, msg, tc.want)
		}
	}
}

func TestOtherDocumentsHaveTheirOwnShapes(t *testing.T) {
	for _, tc := range []struct {
		t     gatehouse.IDType
		n     string
		valid bool
	}{
		{gatehouse.IDPassport, "E12345678", true},
		{gatehouse.IDPassport, "E1", false},
		{gatehouse.IDHKMacaoPermit, "H12345678", true},
		{gatehouse.IDHKMacaoPermit, "M1234567890", true},
		{gatehouse.IDHKMacaoPermit, "X12345678", false},
		{gatehouse.IDTaiwanPermit, "12345678", true},
		{gatehouse.IDTaiwanPermit, "1234567", false},
		{gatehouse.IDOther, "军官证 123", true},
		{gatehouse.IDOther, strings.Repeat("9", 33), false},
		{gatehouse.IDType("card"), "123", false},
	} {
		if got := gatehouse.ValidateIDNumber(tc.t, gatehouse.NormalizeIDNumber(tc.n)) == ""; got != tc.valid {
			t.Errorf("%s %q: valid=%v, want %v", tc.t, tc.n, got, tc.valid)
		}
	}
}

func TestMaskShowsFirstSixAndLastFour(t *testing.T) {
	for in, want := range map[string]string{
		"440303199001011234": "440303********1234",
		"E12345678":          "E1*****78",
		"H1234":              "H***4",
		"123":                "***",
	} {
		if got := gatehouse.MaskIDNumber(in); got != want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPhoneNumbers(t *testing.T) {
	for in, valid := range map[string]bool{
		"13800138000": true, "138 0013 8000": true, "+85291234567": true, "0755-82345678": true,
		"12800138000": false, "12": false, "phone": false, "+": false,
	} {
		if got := gatehouse.ValidatePhone(in) == ""; got != valid {
			t.Errorf("ValidatePhone(%q) valid=%v, want %v", in, got, valid)
		}
	}
}

func TestFullWidthIDNumbersAreFoldedBeforeValidation(t *testing.T) {
	// A Chinese input method in full-width mode types these.
	n := gatehouse.NormalizeIDNumber("１１０１０５１９４９１２３１００２ｘ")
	if n != "11010519491231002X" {
		t.Fatalf("NormalizeIDNumber folded to %q", n)
	}
	if msg := gatehouse.ValidateIDNumber(gatehouse.IDResident, n); msg != "" {
		t.Errorf("folded number refused: %s", msg)
	}
	if n := gatehouse.NormalizeIDNumber("Ｅ１２３４５６７８"); gatehouse.ValidateIDNumber(gatehouse.IDPassport, n) != "" {
		t.Errorf("full-width passport number %q refused", n)
	}
}

func TestResidentIDRefusesImpossibleBirthDates(t *testing.T) {
	withCheck := func(first17 string) string { return first17 + string(gatehouse.ResidentIDCheckChar(first17)) }
	for _, tc := range []struct{ n, want string }{
		{withCheck("11010500000101002"), "date of birth"}, // year 0000
		{withCheck("11010529990101002"), "in the future"},
	} {
		if msg := gatehouse.ValidateIDNumber(gatehouse.IDResident, tc.n); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: got %q, want it to mention %q", tc.n, msg, tc.want)
		}
	}
}

func TestTextRefusesHiddenAndDamagedCharacters(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want string // "" for valid
	}{
		{"3栋", ""},
		{"粤粤粤粤粤粤粤粤粤粤粤", ""},    // 11 characters, 33 bytes: under a limit of 12
		{"3\u202e栋", "U+202E"}, // right-to-left override
		{"3\u200b栋", "U+200B"}, // zero-width space
		{"3\u2066栋", "U+2066"}, // left-to-right isolate
		{"3\ufeff栋", "U+FEFF"}, // zero-width no-break space
		{"3\n栋", "U+000A"},
		{"\xb2\xe2\xca\xd4", "not UTF-8"}, // 测试 in GBK
		{"\ufffd\ufffd", "U+FFFD"},
		{strings.Repeat("栋", 13), "at most 12 characters"},
	} {
		got := gatehouse.ValidateText(tc.s, 12)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("ValidateText(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestDwellingsGatesAndCommunitiesFollowTheTextRule(t *testing.T) {
	r := &gatehouse.Resident{CommunityID: 1, Name: "王芳", IDType: gatehouse.IDResident,
		Phone: "13800138000", Building: "3栋", Unit: "2\u202e单元", Room: "5\u200b02"}
	r.Normalize()
	err := r.Validate()
	for _, f := range []string{"unit", "room"} {
		if e, ok := err.(*gatehouse.Error); !ok || !strings.Contains(e.Fields[f], "printable") {
			t.Errorf("resident %s: got %v", f, err)
		}
	}
	if msg := gatehouse.ValidateGateName("南门\u202e"); !strings.Contains(msg, "printable") {
		t.Errorf("gate name with a bidi override: %q", msg)
	}
	c := &gatehouse.Community{Name: "翠竹苑\u200d", Address: "罗湖区\x01", TimeZone: "Asia/Shanghai", MaxPassDays: 7, OnsiteThresholdHours: 72}
	err = c.Validate()
	for _, f := range []string{"name", "address"} {
		if e, ok := err.(*gatehouse.Error); !ok || !strings.Contains(e.Fields[f], "printable") {
			t.Errorf("community %s: got %v", f, err)
		}
	}
}

func TestPoliceQueryLimitsCountCharactersNotBytes(t *testing.T) {
	q := &gatehouse.PoliceQuery{CaseRef: "2026-1", Purpose: "盗窃案", CommunityIDs: []int64{1},
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Plate: "粤粤粤粤粤粤"}
	if err := q.Validate(); err != nil {
		t.Errorf("a plate of 6 characters (18 bytes) refused: %v", err)
	}
}
