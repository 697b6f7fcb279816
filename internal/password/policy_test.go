package password

import (
	"strings"
	"testing"
)

func TestValidateRefusesShortCommonAndRepeatedPasswords(t *testing.T) {
	for _, c := range []struct {
		pw, username, want string
	}{
		{"12345678", "", "at least 10 characters"},
		{"        ", "", "at least 10 characters"},
		{"密码密码密码密码", "", "at least 10 characters"},
		{"          ", "", "fewer than 5 different characters"},
		{"aaaaaaaaaaaa", "", "fewer than 5 different characters"},
		{"1234567890", "", "most common passwords"},
		{"QWERTYUIOP", "", "most common passwords"},
		{"password123", "", "most common passwords"},
		{"iloveyou2024!", "", "common password with digits or symbols added"},
		{"Password!!!!", "", "common password with digits or symbols added"},
		{"wangfang-2024", "wangfang", "the username with digits or symbols"},
		{"Admin123456", "admin", "the username with digits or symbols"},
		{"admin-password-1", "admin", ""},
		{strings.Repeat("ab", 37), "", "at most 72 bytes"},
		{"change-me-now", "admin", ""},
		{"correct horse battery", "admin", ""},
		{"manager-pass-1", "manager1", ""},
		{"guard-pass-1", "guard1", ""},
		{"resident-pass-1", "wangfang", ""},
		{"admin-password-1", "admin1", ""},
		{"密码是翠竹苑南门口令", "", ""},
	} {
		got := Validate(c.pw, c.username)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("Validate(%q, %q) = %q, want %q", c.pw, c.username, got, c.want)
		}
	}
}

// The weak passwords an independent review got accepted, each refused with
// the reason a person can act on; and strong ones that look a little alike
// still accepted.
func TestValidateRefusesWhatAGuesserTriesFirstAndWhatNobodyCanSee(t *testing.T) {
	for _, c := range []struct {
		pw, want string
	}{
		// Common passwords with digits or symbols on either side.
		{"!!password", "common password with digits or symbols added"},
		{"1password1", "common password with digits or symbols added"},
		{"2024!sunshine!", "common password with digits or symbols added"},
		{"ｐａｓｓｗｏｒｄ１２３", "most common passwords"}, // full width, as a Chinese input method types it
		// A common password repeated.
		{"passwordpassword", "repeated"},
		{"dragon1dragon1", "repeated"},
		{"PasswordPASSWORD", "repeated"},
		{"abcdabcdabcd", "fewer than 5 different characters"},
		// Too few different characters, and runs.
		{"aaaaaaaaab", "fewer than 5 different characters"},
		{"ababababab12", "fewer than 5 different characters"},
		{"abcdefghijklm", "run of consecutive characters"},
		{"mnopqrstuvw", "run of consecutive characters"},
		{"!!lmnopqrstu!!", "run of consecutive characters"},
		// The service's own name.
		{"Gatehouse2026!", "the name of this service"},
		// Characters nobody can see or type into a password box.
		{"correct\thorse battery", "U+0009"},
		{"correct horse\nbattery", "U+000A"},
		{"correct horse\x00battery", "U+0000"},
		{"correct\u200bhorse battery", "U+200B"},
		{"correct\u202ehorse battery", "U+202E"},
		{"correct horse\ufeffbattery", "U+FEFF"},
		{"correct horse\ufffdbattery", "U+FFFD"},
		{"correct horse \xff battery", "not UTF-8"},
		// Strong enough, though near the above.
		{"correct horse battery", ""},
		{"correct\u3000horse\u00a0battery", ""}, // an ideographic and a no-break space are spaces
		{"password-is-not-my-pass", ""},
		{"翠竹苑南门的口令是青山", ""},
		{"xkcd-936-staple", ""},
	} {
		got := Validate(c.pw, "wangfang")
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("Validate(%q) = %q, want %q", c.pw, got, c.want)
		}
	}
}

func TestTheCommonListIsEmbeddedWhole(t *testing.T) {
	if n := len(common()); n < 9900 {
		t.Fatalf("%d passwords in the common list, want about 10,000", n)
	}
}
