package gatehouse

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// IDType says which identity document an ID number belongs to.
type IDType string

// The identity documents Gatehouse knows.
const (
	IDResident      IDType = "resident_id"     // 18-character mainland resident ID card (GB 11643)
	IDPassport      IDType = "passport"        // any country's passport
	IDHKMacaoPermit IDType = "hk_macao_permit" // Mainland Travel Permit for Hong Kong and Macao Residents
	IDTaiwanPermit  IDType = "taiwan_permit"   // Mainland Travel Permit for Taiwan Residents
	IDOther         IDType = "other"           // anything else a guard can read off a card
)

// IDTypes lists every valid IDType, for messages and documentation.
var IDTypes = []IDType{IDResident, IDPassport, IDHKMacaoPermit, IDTaiwanPermit, IDOther}

// Valid reports whether t is one of IDTypes.
func (t IDType) Valid() bool {
	for _, v := range IDTypes {
		if t == v {
			return true
		}
	}
	return false
}

// NormalizeIDNumber is the canonical form that is hashed, encrypted and
// compared: NFKC (full-width １１０１… and Ｘ typed by a Chinese input method
// are the ASCII ones), no surrounding or inner spaces, upper case (the check digit X).
func NormalizeIDNumber(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, norm.NFKC.String(s))
	return s
}

var (
	passportRe = regexp.MustCompile(`^[A-Z0-9]{5,17}$`)
	hkMacaoRe  = regexp.MustCompile(`^[HM][0-9]{8}([0-9]{2})?$`)
	taiwanRe   = regexp.MustCompile(`^[0-9]{8}([0-9]{2})?$`)
)

// gb11643Weights are the weights of the first 17 digits of a resident ID.
var gb11643Weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// gb11643Check maps the weighted sum modulo 11 to the check character.
const gb11643Check = "10X98765432"

// ResidentIDCheckChar returns the GB 11643 check character for the first 17
// digits of a resident ID number.
func ResidentIDCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * gb11643Weights[i]
	}
	return gb11643Check[sum%11]
}

// ValidateIDNumber checks a normalized ID number against its document type and
// says, in words a guard understands, what is wrong; "" means valid.
func ValidateIDNumber(t IDType, n string) string {
	if n == "" {
		return "is required"
	}
	switch t {
	case IDResident:
		if len(n) != 18 {
			return "a resident ID number has 18 characters"
		}
		for i := 0; i < 17; i++ {
			if n[i] < '0' || n[i] > '9' {
				return "the first 17 characters of a resident ID number are digits"
			}
		}
		if c := n[17]; (c < '0' || c > '9') && c != 'X' {
			return "the last character of a resident ID number is a digit or X"
		}
		if n[0] == '0' {
			return "a resident ID number does not start with 0"
		}
		born, err := time.Parse("20060102", n[6:14])
		if err != nil || born.Year() < 1800 {
			return "characters 7 to 14 are not a valid date of birth"
		}
		// Today somewhere on Earth: a baby registered at once is not refused.
		if born.After(time.Now().UTC().Add(14 * time.Hour)) {
			return "characters 7 to 14 are a date of birth in the future"
		}
		if want := ResidentIDCheckChar(n[:17]); n[17] != want {
			return "the check digit does not match (GB 11643); please re-check the number"
		}
	case IDPassport:
		if !passportRe.MatchString(n) {
			return "a passport number has 5 to 17 letters or digits"
		}
	case IDHKMacaoPermit:
		if !hkMacaoRe.MatchString(n) {
			return "a Hong Kong/Macao permit number is H or M followed by 8 or 10 digits"
		}
	case IDTaiwanPermit:
		if !taiwanRe.MatchString(n) {
			return "a Taiwan permit number has 8 or 10 digits"
		}
	case IDOther:
		if msg := ValidateText(n, 32); msg != "" {
			return msg
		}
		// The sealed number has a column of fixed size: 32 emoji do not fit.
		if len(n) > 96 {
			return "must be at most 96 bytes of UTF-8 (32 Chinese characters or letters)"
		}
	default:
		return "unknown id_type"
	}
	return ""
}

// MaskIDNumber shows the first 6 and last 4 characters of a long number
// (440303********1234) and less of a short one, so that no role but police
// and admin sees a whole number.
func MaskIDNumber(n string) string {
	r := []rune(n)
	var head, tail int
	switch {
	case len(r) >= 12:
		head, tail = 6, 4
	case len(r) >= 7:
		head, tail = 2, 2
	case len(r) >= 4:
		head, tail = 1, 1
	default:
		return strings.Repeat("*", len(r))
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,22}[0-9]$`)

// NormalizePhone removes spaces and dashes a person may type.
func NormalizePhone(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// ValidatePhone accepts mainland mobile numbers (11 digits starting 13-19),
// landlines and international numbers with a leading +; "" means valid.
func ValidatePhone(s string) string {
	raw := strings.TrimSpace(s)
	if !phoneRe.MatchString(raw) {
		return "must be a phone number: digits, optionally a leading + (e.g. 13800138000)"
	}
	n := NormalizePhone(raw)
	digits := strings.TrimPrefix(n, "+")
	if len(digits) < 6 || len(digits) > 15 {
		return "must have 6 to 15 digits"
	}
	if !strings.HasPrefix(n, "+") && len(digits) == 11 && digits[0] == '1' && (digits[1] < '3' || digits[1] > '9') {
		return "a mainland mobile number starts with 13 to 19"
	}
	return ""
}

var plateRe = regexp.MustCompile(`^[\p{Han}A-Z0-9·]{5,10}$`)

// NormalizePlate upper-cases a licence plate and drops spaces and dots.
func NormalizePlate(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '.' {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

// ValidatePlate accepts mainland plates such as 粤B12345 (and new-energy
// plates of 8 characters) and other plates of 5-10 letters and digits.
func ValidatePlate(p string) string {
	if !plateRe.MatchString(p) {
		return "must be a licence plate such as 粤B12345 (5 to 10 characters)"
	}
	return ""
}

// ValidateName checks a person's name: present, printable, at most 64 characters.
func ValidateName(s string) string {
	if strings.TrimSpace(s) == "" {
		return "is required"
	}
	return ValidateText(strings.TrimSpace(s), 64)
}

// ValidateText is the rule of every short text people read on a screen or a
// report (names, dwellings, gates, communities): UTF-8, at most max characters
// (not bytes: 粤 is one), and printable, so no control, bidi-override or
// zero-width character can hide or reorder what a guard reads; "" means valid.
func ValidateText(s string, max int) string {
	if !utf8.ValidString(s) {
		return "is not UTF-8 text (was it saved in another encoding, such as GBK?)"
	}
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("must be at most %d characters", max)
	}
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "contains U+FFFD, the mark of text damaged by a wrong encoding"
		case !unicode.IsPrint(r):
			return fmt.Sprintf("must contain only printable characters, not U+%04X (a control, bidi, zero-width or unusual space character)", r)
		}
	}
	return ""
}
