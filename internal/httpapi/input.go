package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"gatehouse/internal/gatehouse"
)

const (
	notUTF8       = "is not UTF-8 text; send UTF-8 (other encodings, such as GBK, are not read)"
	loneSurrogate = "holds a lone UTF-16 surrogate (an escape from \\ud800 to \\udfff without its pair), which is no character"
)

// checkJSONText refuses a JSON body whose strings are not text, naming the
// field (visitor.name, events[2].code): bytes that are not UTF-8, or an
// escaped lone UTF-16 surrogate ("\ud800"). encoding/json would quietly
// turn either into U+FFFD and the damage would be stored.
func checkJSONText(body []byte) error {
	valid := utf8.Valid(body)
	if valid && !mayHoldSurrogate(body) {
		return nil
	}
	if field, problem := badTextField(body); field != "" {
		return gatehouse.FieldError(field, problem)
	}
	if !valid {
		return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body is not UTF-8 JSON")
	}
	return nil
}

// mayHoldSurrogate is a quick look for an escape from \uD800 to \uDFFF
// anywhere in body, so that ordinary bodies are not walked token by token.
func mayHoldSurrogate(body []byte) bool {
	for {
		i := bytes.Index(body, []byte(`\u`))
		if i < 0 || i+3 >= len(body) {
			return false
		}
		if body[i+2]|0x20 == 'd' && bytes.IndexByte([]byte("89abcdefABCDEF"), body[i+3]) >= 0 {
			return true
		}
		body = body[i+2:]
	}
}

// textProblem says what is wrong with the raw bytes of one JSON string
// token (quotes and escapes included), or "".
func textProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return notUTF8
	}
	if hasLoneSurrogate(raw) {
		return loneSurrogate
	}
	return ""
}

// hasLoneSurrogate reports whether a JSON string token, already checked by
// the decoder, escapes half of a UTF-16 surrogate pair without the other.
func hasLoneSurrogate(raw []byte) bool {
	hex := func(i int) int {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return -1
		}
		v, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		if err != nil {
			return -1
		}
		return int(v)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		v := hex(i)
		switch {
		case v >= 0xd800 && v <= 0xdbff:
			if low := hex(i + 6); low < 0xdc00 || low > 0xdfff {
				return true
			}
			i += 11
		case v >= 0xdc00 && v <= 0xdfff:
			return true
		case v >= 0:
			i += 5
		default:
			i++ // a one-letter escape such as \\ or \"
		}
	}
	return false
}

// jsonLevel is one object or array being walked, with where in it we are.
type jsonLevel struct {
	object  bool
	key     string
	index   int
	wantKey bool
}

// badTextField walks the tokens of a JSON body and returns the path of the
// first string (value or key) that is not text, and what is wrong with it.
func badTextField(body []byte) (field, problem string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []jsonLevel
	path := func() string {
		var b bytes.Buffer
		for _, l := range stack {
			if l.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			} else {
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			}
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", ""
		}
		raw := body[start:dec.InputOffset()]
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, jsonLevel{object: true, wantKey: true})
			case '[':
				stack = append(stack, jsonLevel{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			top := len(stack) - 1
			if top >= 0 && stack[top].object && stack[top].wantKey {
				if problem := textProblem(raw); problem != "" {
					stack[top].key = "(a field name)"
					return path(), problem
				}
				stack[top].key, stack[top].wantKey = t, false
				continue
			}
			if problem := textProblem(raw); problem != "" {
				if p := path(); p != "" {
					return p, problem
				}
				return "body", problem
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// check refuses an upload without its list: {} is not an empty batch.
func (r *eventsRequest) check() error {
	if r.Events == nil {
		return gatehouse.FieldError("events", `is required: send {"events": [...]}, at most 1000 events`)
	}
	return nil
}

// check refuses a device name that is not printable text, for every sign-in
// body that embeds deviceFields: the name is shown in the account's list of
// signed-in devices.
func (f deviceFields) check() error {
	if msg := gatehouse.ValidateText(f.DeviceName, 64); msg != "" {
		return gatehouse.FieldError("device_name", msg)
	}
	return nil
}
