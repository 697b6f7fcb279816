package password

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MinLength is the fewest characters a new password may have.
const MinLength = 10

// maxBytes is where bcrypt stops reading: anything longer would be cut silently.
const maxBytes = 72

// commonList is SecLists' top 10,000 passwords (see README.md and
// common-passwords.LICENSE beside this file).
//
//go:embed common-passwords.txt
var commonList string

var common = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	for _, w := range strings.Split(commonList, "\n") {
		if w = strings.TrimSpace(w); w != "" {
			m[strings.ToLower(w)] = struct{}{}
		}
	}
	return m
})

// Validate says what is wrong with a new password for username, or "" when
// it may be used. Every place that sets a password calls it: the API, the
// CLI and the first admin.
func Validate(pw, username string) string {
	if utf8.RuneCountInString(pw) < MinLength {
		return "must be at least 10 characters"
	}
	if len(pw) > maxBytes {
		return "must be at most 72 bytes"
	}
	if strings.Count(pw, string([]rune(pw)[:1])) == utf8.RuneCountInString(pw) {
		return "is one character repeated; choose something harder to guess"
	}
	lower := strings.ToLower(pw)
	if username != "" && strings.Contains(lower, strings.ToLower(username)) &&
		!strings.ContainsFunc(strings.ReplaceAll(lower, strings.ToLower(username), ""), unicode.IsLetter) {
		return "is the username with digits or symbols; choose something harder to guess"
	}
	if IsCommon(pw) {
		return "is one of the 10,000 most common passwords; choose another"
	}
	if base := strings.TrimRightFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) }); utf8.RuneCountInString(base) >= 3 && IsCommon(base) {
		return "is a common password with digits or symbols added; choose another"
	}
	return ""
}

// IsCommon reports whether pw, in any case, is on the common-password list.
func IsCommon(pw string) bool {
	_, ok := common()[strings.ToLower(pw)]
	return ok
}
