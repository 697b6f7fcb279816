// Package i18n puts the server's messages in the client's language: English,
// as written in the code, or Simplified Chinese from the catalogue. A message
// is looked up by its English format ("gate %d is not a gate of this
// community"), so the code keeps writing plain English and the one error path
// translates; error codes and field names are never translated.
package i18n

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// The languages the server speaks; Chinese is the default.
var (
	Chinese = language.MustParse("zh-CN")
	English = language.English
)

var matcher = language.NewMatcher([]language.Tag{Chinese, English})

// Lang picks the answer's language from an Accept-Language header: English
// when the client prefers it, Chinese otherwise (and when the header is absent).
func Lang(acceptLanguage string) language.Tag {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Chinese
	}
	_, i, conf := matcher.Match(tags...)
	if i == 1 && conf != language.No {
		return English
	}
	return Chinese
}

// Text returns message s in lang: s itself in English, its catalogue entry
// in Chinese (the arguments of a format carried over), or s when the
// catalogue lacks it (the catalogue test keeps that from happening).
func Text(lang language.Tag, s string) string {
	if lang == English {
		return s
	}
	return translate(s, nil)
}

// translate says s in Chinese; fields are the error's field problems, so
// that "name: is required" keeps the field's name.
func translate(s string, fields map[string]string) string {
	if s == "" {
		return s
	}
	if t, ok := zh[s]; ok {
		return t
	}
	for k, v := range fields {
		head := k + ": " + v
		if s == head {
			return k + "：" + translate(v, nil)
		}
		if rest, ok := strings.CutPrefix(s, head+" (and "); ok {
			if m := moreProblems.FindStringSubmatch(rest); m != nil {
				return k + "：" + translate(v, nil) + "（另有 " + m[1] + " 处问题）"
			}
		}
	}
	for _, p := range patterns {
		if t, ok := p.apply(s, fields); ok {
			return t
		}
	}
	return s
}

// Error returns an error's message and field problems in lang. A message
// that is one field's problem ("id_number: ...", with "(and 2 more
// problems)" when there are more) keeps the field's name.
func Error(lang language.Tag, message string, fields map[string]string) (string, map[string]string) {
	if lang == English {
		return message, fields
	}
	var out map[string]string
	if fields != nil {
		out = make(map[string]string, len(fields))
		for k, v := range fields {
			out[k] = Text(lang, v)
		}
	}
	return translate(message, fields), out
}

// moreProblems is the tail gatehouse.Problems adds when more than one field is wrong.
var moreProblems = regexp.MustCompile(`^(\d+) more problems?\)$`)

// pattern is a catalogue entry with verbs, matched against a formatted message.
type pattern struct {
	re    *regexp.Regexp
	verbs []byte // the verb of each argument, in order
	zh    string
	lit   int // literal characters: longer (more specific) formats are tried first
}

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]`)

var patterns = compile(zh)

func compile(cat map[string]string) []pattern {
	var ps []pattern
	for en, t := range cat {
		locs := verb.FindAllStringIndex(en, -1)
		if len(locs) == 0 {
			continue
		}
		var re strings.Builder
		var verbs []byte
		re.WriteString("^")
		last := 0
		for _, l := range locs {
			re.WriteString(regexp.QuoteMeta(en[last:l[0]]))
			last = l[1]
			v := en[l[1]-1]
			switch v {
			case '%':
				re.WriteString("%")
				continue
			case 'd':
				re.WriteString(`(-?\d+)`)
			case 'x', 'X':
				re.WriteString(`([0-9a-fA-F]+)`)
			case 'q':
				re.WriteString(`("(?:[^"\\]|\\.)*")`)
			default:
				re.WriteString(`(.+?)`)
			}
			verbs = append(verbs, v)
		}
		re.WriteString(regexp.QuoteMeta(en[last:]))
		re.WriteString("$")
		ps = append(ps, pattern{re: regexp.MustCompile(re.String()), verbs: verbs, zh: t, lit: len(en) - len(verbs)*2})
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].lit != ps[j].lit {
			return ps[i].lit > ps[j].lit
		}
		return ps[i].zh < ps[j].zh
	})
	return ps
}

func (p pattern) apply(s string, fields map[string]string) (string, bool) {
	m := p.re.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	args := make([]any, len(p.verbs))
	for i, v := range p.verbs {
		a := m[i+1]
		switch v {
		case 'd':
			n, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return "", false
			}
			args[i] = n
		case 'x', 'X':
			n, err := strconv.ParseInt(a, 16, 64)
			if err != nil {
				return "", false
			}
			args[i] = n
		case 'q':
			u, err := strconv.Unquote(a)
			if err != nil {
				return "", false
			}
			args[i] = u
		default:
			// An argument may itself be a message ("nothing was imported; %s").
			if t := translate(a, fields); t != a {
				args[i] = t
			} else {
				args[i] = duration(a)
			}
		}
	}
	return fmt.Sprintf(p.zh, args...), true
}

// goDuration is how time.Duration prints: "30s", "1m0s", "2h0m0s".
var goDuration = regexp.MustCompile(`^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$`)

// duration says a Go duration argument ("1m30s", a rate limit's wait) in
// Chinese; any other argument is kept as it is.
func duration(a string) string {
	m := goDuration.FindStringSubmatch(a)
	if m == nil || a == "" {
		return a
	}
	if _, err := time.ParseDuration(a); err != nil {
		return a
	}
	var parts []string
	for i, unit := range []string{"小时", "分", "秒"} {
		if m[i+1] != "" && m[i+1] != "0" {
			parts = append(parts, m[i+1]+" "+unit)
		}
	}
	if len(parts) == 0 {
		return "0 秒"
	}
	if len(parts) == 1 && parts[0][len(parts[0])-len("分"):] == "分" {
		return parts[0] + "钟"
	}
	return strings.Join(parts, " ")
}
