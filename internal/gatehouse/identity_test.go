package gatehouse_test

import (
	"strings"
	"testing"

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
