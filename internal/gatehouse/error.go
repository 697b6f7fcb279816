// Package gatehouse holds the domain of Gatehouse: its types, error codes and
// rules. It imports nothing internal, so every adapter can depend on it.
package gatehouse

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error codes. Each maps to one HTTP status in httpapi; unknown errors are
// logged and shown as an internal error.
const (
	EBADREQUEST   = "bad_request"  // malformed request: not JSON, unknown field, wrong type
	EINVALID      = "invalid"      // well-formed but fails validation; Fields says where
	ENOTFOUND     = "not_found"    // missing, or outside the caller's scope
	ECONFLICT     = "conflict"     // clashes with stored state (duplicate, wrong state)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // the caller's role may not do this at all
	ETOOLARGE     = "too_large"    // request body over the limit
	ERATELIMITED  = "rate_limited" // too many attempts; try later
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) is not reachable
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is an error meant for the caller: a stable code, a human message and,
// for validation, the fields at fault with what is wrong with each.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("gatehouse error: code=%s message=%s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return fmt.Sprintf("gatehouse error: code=%s message=%s fields=[%s]", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error about one field.
func FieldError(field, problem string) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + problem, Fields: map[string]string{field: problem}}
}

// NotFound is the answer for anything missing or outside the caller's scope;
// it names only what the caller asked for.
func NotFound(what string) *Error {
	return &Error{Code: ENOTFOUND, Message: what + " not found"}
}

// ErrorCode returns the code of an *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-facing message of err; internal errors get
// a fixed text so that nothing internal leaks.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Problems collects field errors while validating one request.
type Problems struct {
	fields map[string]string
	order  []string
}

// Add records a problem with field unless one is already recorded for it.
func (p *Problems) Add(field, problem string) {
	if p.fields == nil {
		p.fields = map[string]string{}
	}
	if _, ok := p.fields[field]; ok {
		return
	}
	p.fields[field] = problem
	p.order = append(p.order, field)
}

// Check adds the problem when ok is false.
func (p *Problems) Check(ok bool, field, problem string) {
	if !ok {
		p.Add(field, problem)
	}
}

// Has reports whether field already has a problem.
func (p *Problems) Has(field string) bool {
	_, ok := p.fields[field]
	return ok
}

// Merge adds the fields of an EINVALID error under prefix (for nested objects).
func (p *Problems) Merge(prefix string, err error) {
	var e *Error
	if errors.As(err, &e) && e.Code == EINVALID {
		for k, v := range e.Fields {
			p.Add(prefix+k, v)
		}
	}
}

// Err returns nil when nothing was wrong, else one EINVALID error that names
// every field at fault.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	first := p.order[0]
	msg := first + ": " + p.fields[first]
	if n := len(p.order); n > 1 {
		msg = fmt.Sprintf("%s (and %d more problem", msg, n-1)
		if n > 2 {
			msg += "s"
		}
		msg += ")"
	}
	return &Error{Code: EINVALID, Message: msg, Fields: p.fields}
}
