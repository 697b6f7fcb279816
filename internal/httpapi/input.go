package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"gatehouse/internal/gatehouse"
)

const notUTF8 = "is not UTF-8 text; send UTF-8 (other encodings, such as GBK, are not read)"

// checkUTF8JSON refuses a JSON body with bytes that are not UTF-8, naming
// the field whose string holds them (visitor.name, events[2].code).
func checkUTF8JSON(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	if field := invalidUTF8Field(body); field != "" {
		return gatehouse.FieldError(field, notUTF8)
	}
	return gatehouse.Errorf(gatehouse.EBADREQUEST, "the body is not UTF-8 JSON")
}

// jsonLevel is one object or array being walked, with where in it we are.
type jsonLevel struct {
	object  bool
	key     string
	index   int
	wantKey bool
}

// invalidUTF8Field walks the tokens of a JSON body and returns the path of
// the first string (value or key) whose raw bytes are not UTF-8, or "".
func invalidUTF8Field(body []byte) string {
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
			return ""
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
				if !utf8.Valid(raw) {
					stack[top].key = "(a field name)"
					return path()
				}
				stack[top].key, stack[top].wantKey = t, false
				continue
			}
			if !utf8.Valid(raw) {
				if p := path(); p != "" {
					return p
				}
				return "body"
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// required refuses an upload without its list: {} is not an empty batch.
func (r *eventsRequest) required() error {
	if r.Events == nil {
		return gatehouse.FieldError("events", `is required: send {"events": [...]}, at most 1000 events`)
	}
	return nil
}
