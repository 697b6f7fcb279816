package gatehouse_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestCardNumbersAreTheDecimalNumberTheReaderSends(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"3735928559", ""},
		{" 3735928559 ", ""},         // trimmed first
		{"18446744073709551615", ""}, // the largest 64-bit number: 20 digits
		{"", "is required"},          // nothing typed
		{"   ", "is required"},       // only spaces
		{"184467440737095516150", "must be at most 20 digits"},
		{"12a4", "must be the decimal number the reader sends (digits only)"},
		{"-123", "must be the decimal number the reader sends (digits only)"},
		{"DEADBEEF", "must be the decimal number the reader sends (digits only)"},
		{"１２３", "must be the decimal number the reader sends (digits only)"}, // full-width digits are not the reader's
		{"0", "cannot be zero"},
		{"0000", "cannot be zero"},
		{"0123", "must not start with 0 (write the number as the reader sends it)"},
	} {
		if got := gatehouse.ValidateCardNumber(gatehouse.NormalizeCardNumber(tc.in)); got != tc.want {
			t.Errorf("card number %q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestANewCardIsCheckedFieldByField(t *testing.T) {
	from := decideNow
	good := func() gatehouse.Card {
		return gatehouse.Card{Number: " 3735928559 ", Label: " 王芳的卡 ", ValidFrom: from}
	}
	c := good()
	c.Normalize()
	if c.Number != "3735928559" || c.Label != "王芳的卡" {
		t.Errorf("normalized %q %q", c.Number, c.Label)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("a good card: %v", err)
	}
	until := from.Add(24 * time.Hour)
	same := from
	for _, tc := range []struct {
		what  string
		edit  func(c *gatehouse.Card)
		field string
		msg   string
	}{
		{"a card until a day later", func(c *gatehouse.Card) { c.ValidUntil = &until }, "", ""},
		{"no number", func(c *gatehouse.Card) { c.Number = "" }, "number", "is required"},
		{"a hex number", func(c *gatehouse.Card) { c.Number = "ABC123" }, "number", "must be the decimal number the reader sends (digits only)"},
		{"a label with a newline", func(c *gatehouse.Card) { c.Label = "王芳\n的卡" }, "label", "must contain only printable characters, not U+000A (a control, bidi, zero-width or unusual space character)"},
		{"a long label", func(c *gatehouse.Card) { c.Label = strings.Repeat("卡", 65) }, "label", "must be at most 64 characters"},
		{"no start", func(c *gatehouse.Card) { c.ValidFrom = time.Time{} }, "valid_from", "is required"},
		{"an end at the start", func(c *gatehouse.Card) { c.ValidUntil = &same }, "valid_until", "must be after valid_from"},
	} {
		c := good()
		c.Normalize()
		tc.edit(&c)
		wantFieldMessage(t, tc.what, c.Validate(), tc.field, tc.msg)
	}
}

func TestACardSwipeIsJudgedByTheCardAndItsResident(t *testing.T) {
	at := decideNow
	before, after := at.Add(-time.Minute), at.Add(time.Minute)
	card := func() *gatehouse.Card {
		until := at.Add(time.Hour)
		return &gatehouse.Card{ID: 1, ResidentID: 5, Number: "3735928559", ValidFrom: at.Add(-time.Hour), ValidUntil: &until}
	}
	resident := func() *gatehouse.Resident { return &gatehouse.Resident{ID: 5, CommunityID: 1} }
	for _, tc := range []struct {
		what string
		edit func(c **gatehouse.Card, r **gatehouse.Resident)
		want gatehouse.Reason
	}{
		{"a valid card", func(c **gatehouse.Card, r **gatehouse.Resident) {}, gatehouse.Granted},
		{"a card without an end", func(c **gatehouse.Card, r **gatehouse.Resident) { (*c).ValidUntil = nil }, gatehouse.Granted},
		{"an unknown card", func(c **gatehouse.Card, r **gatehouse.Resident) { *c = nil }, gatehouse.UnknownCard},
		{"a card of no known resident", func(c **gatehouse.Card, r **gatehouse.Resident) { *r = nil }, gatehouse.UnknownCard},
		{"a card deleted before the swipe", func(c **gatehouse.Card, r **gatehouse.Resident) { (*c).DeletedAt = &before }, gatehouse.Revoked},
		{"a card deleted at the swipe", func(c **gatehouse.Card, r **gatehouse.Resident) { (*c).DeletedAt = &at }, gatehouse.Revoked},
		// A swipe made offline and uploaded after the card was deleted was valid when it was made.
		{"a card deleted after the swipe", func(c **gatehouse.Card, r **gatehouse.Resident) { (*c).DeletedAt = &after }, gatehouse.Granted},
		{"a resident who moved out", func(c **gatehouse.Card, r **gatehouse.Resident) { (*r).MovedOutAt = &before }, gatehouse.Revoked},
		{"a resident who moves out later", func(c **gatehouse.Card, r **gatehouse.Resident) { (*r).MovedOutAt = &after }, gatehouse.Granted},
		{"a card valid from a minute later", func(c **gatehouse.Card, r **gatehouse.Resident) { (*c).ValidFrom = after }, gatehouse.NotYetValid},
		{"a card valid from the swipe", func(c **gatehouse.Card, r **gatehouse.Resident) { (*c).ValidFrom = at }, gatehouse.Granted},
		{"a card that ended at the swipe", func(c **gatehouse.Card, r **gatehouse.Resident) { (*c).ValidUntil = &at }, gatehouse.Expired},
		// Revocation comes before time: a deleted card that also expired is revoked.
		{"deleted and expired", func(c **gatehouse.Card, r **gatehouse.Resident) {
			(*c).DeletedAt, (*c).ValidUntil = &before, &before
		}, gatehouse.Revoked},
		{"not yet valid and expired", func(c **gatehouse.Card, r **gatehouse.Resident) {
			(*c).ValidFrom, (*c).ValidUntil = after, &before
		}, gatehouse.NotYetValid},
	} {
		c, r := card(), resident()
		tc.edit(&c, &r)
		if got := gatehouse.CardReason(c, r, at); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, got, tc.want)
		}
	}
}

// wantFieldMessage checks that err is EINVALID with exactly msg on field
// (and on no other field), or that err is nil when field is "".
func wantFieldMessage(t *testing.T, what string, err error, field, msg string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("%s: %v, want no problem", what, err)
		}
		return
	}
	e, ok := err.(*gatehouse.Error)
	if !ok || e.Code != gatehouse.EINVALID {
		t.Errorf("%s: %v, want %s: %s", what, err, field, msg)
		return
	}
	if got := e.Fields[field]; got != msg || len(e.Fields) != 1 {
		t.Errorf("%s: fields %v, want only %s: %q", what, e.Fields, field, msg)
	}
}
