package password

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MinLength is the fewest characters a new password may have.
const MinLength = 10

// MinDistinct is the fewest different characters a new password may have
// (aaaaaaaaab is ten characters of two).
const MinDistinct = 5

// maxBytes is where bcrypt stops reading: anything longer would be cut silently.
const maxBytes = 72

// serviceName is the context word NIST SP 800-63B asks to refuse, beside
// the username: the name of the service itself.
const serviceName = "gatehouse"

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
// it may be used. It is the one password rule: every place that sets a
// password calls it (accounts made and changed through the API, activation
// letters, the CLI's user add|passwd and the first admin).
//
// It follows NIST SP 800-63B: a length (10 characters to bcrypt's 72 bytes),
// any printable character or space but no control, zero-width or bidi
// character, and no password a guesser tries first: one of the 10,000 most
// common (in any case and width), also once the digits and symbols around it
// are taken off (!!password, 1password1) or its repetition collapsed
// (passwordpassword); a run such as abcdefghij; fewer than 5 different
// characters (aaaaaaaaab); the username or the service's name with digits
// or symbols.
func Validate(pw, username string) string {
	if msg := checkCharacters(pw); msg != "" {
		return msg
	}
	if utf8.RuneCountInString(pw) < MinLength {
		return "must be at least 10 characters"
	}
	if len(pw) > maxBytes {
		return "must be at most 72 bytes"
	}
	folded := fold(pw)
	if distinct(folded) < MinDistinct {
		return "uses fewer than 5 different characters; choose something harder to guess"
	}
	if isWordWithExtras(folded, fold(username)) {
		return "is the username with digits or symbols; choose something harder to guess"
	}
	if isWordWithExtras(folded, serviceName) {
		return "is the name of this service with digits or symbols; choose something harder to guess"
	}
	return guessable(folded)
}

// checkCharacters refuses text that is not UTF-8 and any character that is
// neither printable nor a space: controls (tab, newline, NUL), zero-width
// and bidi characters, which nobody can see when typing them.
func checkCharacters(pw string) string {
	if !utf8.ValidString(pw) {
		return "is not UTF-8 text"
	}
	for _, r := range pw {
		if r == utf8.RuneError || !unicode.IsPrint(r) && !unicode.Is(unicode.Zs, r) {
			return fmt.Sprintf("must contain only printable characters and spaces, not U+%04X (a control, zero-width or bidi character)", r)
		}
	}
	return ""
}

// guessable says why a folded password is among the first a guesser tries,
// or "": a common password, as it is, with the digits and symbols around it
// taken off, or collapsed from a repetition; or a run of characters.
func guessable(folded string) string {
	if IsCommon(folded) {
		return "is one of the 10,000 most common passwords; choose another"
	}
	core := strip(folded)
	unit, repeated := collapse(folded)
	coreUnit, coreRepeated := collapse(core)
	switch {
	case repeated && (IsCommon(unit) || isRun(unit)),
		coreRepeated && (IsCommon(coreUnit) || isRun(coreUnit)),
		repeated && isCommonCore(strip(unit)):
		return "is a common password repeated; choose another"
	case isCommonCore(core):
		return "is a common password with digits or symbols added; choose another"
	case isRun(folded) || isRun(core):
		return "is a run of consecutive characters (such as abcdef or 987654); choose something harder to guess"
	}
	return ""
}

// fold is the form passwords are compared in: NFKC (full-width ｐａｓｓ is
// pass), lower case.
func fold(s string) string { return strings.ToLower(norm.NFKC.String(s)) }

// strip takes off the digits, symbols and spaces before the first letter and
// after the last.
func strip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

// isCommonCore reports whether a stripped core is a listed password long
// enough to mean something (a lone "ab" between digits is not a word).
func isCommonCore(core string) bool {
	return utf8.RuneCountInString(core) >= 3 && IsCommon(core)
}

// collapse returns the shortest unit s repeats (passwordpassword: password),
// and whether s is such a repetition at all.
func collapse(s string) (string, bool) {
	r := []rune(s)
	for n := 1; n <= len(r)/2; n++ {
		if len(r)%n != 0 {
			continue
		}
		unit := string(r[:n])
		if strings.Repeat(unit, len(r)/n) == s {
			return unit, true
		}
	}
	return s, false
}

// isRun reports whether s, of 4 characters or more, climbs or falls by one
// code point at each step: abcdefghij, 9876543210.
func isRun(s string) bool {
	r := []rune(s)
	if len(r) < 4 {
		return false
	}
	step := r[1] - r[0]
	if step != 1 && step != -1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if r[i]-r[i-1] != step {
			return false
		}
	}
	return true
}

// isWordWithExtras reports whether pw is word with only digits, symbols or
// spaces around or between its copies (wangfang-2024, Admin123456).
func isWordWithExtras(pw, word string) bool {
	if word == "" || !strings.Contains(pw, word) {
		return false
	}
	return !strings.ContainsFunc(strings.ReplaceAll(pw, word, ""), unicode.IsLetter)
}

// distinct counts the different characters of s.
func distinct(s string) int {
	seen := map[rune]struct{}{}
	for _, r := range s {
		seen[r] = struct{}{}
	}
	return len(seen)
}

// IsCommon reports whether pw, in any case, is on the common-password list.
func IsCommon(pw string) bool {
	_, ok := common()[strings.ToLower(pw)]
	return ok
}
