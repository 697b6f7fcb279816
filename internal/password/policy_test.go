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
		{"          ", "", "one character repeated"},
		{"aaaaaaaaaaaa", "", "one character repeated"},
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

func TestTheCommonListIsEmbeddedWhole(t *testing.T) {
	if n := len(common()); n < 9900 {
		t.Fatalf("%d passwords in the common list, want about 10,000", n)
	}
}
