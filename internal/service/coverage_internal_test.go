package service

import "testing"

// A letter's code is read as a person types it from paper: any case, with
// or without dashes and spaces, O for 0 and I or L for 1 (Crockford's base
// 32 has none of them); anything else is no code.
func TestALetterCodeIsReadAsTyped(t *testing.T) {
	for in, want := range map[string]string{
		"7KQ2-M9XD-4RTV":   "7KQ2M9XD4RTV",
		"7kq2m9xd4rtv":     "7KQ2M9XD4RTV",
		" 7kq2 m9xd 4rtv ": "7KQ2M9XD4RTV",
		"O0I1-L0o0-i1l1":   "001110001111",
		"7KQ2-M9XD-4RT":    "", // 11 characters
		"7KQ2-M9XD-4RTVW":  "", // 13
		"7KQ2-M9XD-4RTU":   "", // U is not in the alphabet
		"7KQ2_M9XD_4RTV":   "", // nor _
		"７ＫＱ２-M9XD-4RTV":   "", // full-width is not read
		"":                 "",
	} {
		if got := normalizeLetterCode(in); got != want {
			t.Errorf("normalizeLetterCode(%q) = %q, want %q", in, got, want)
		}
	}
	for range 20 {
		code := newLetterCode()
		if n := normalizeLetterCode(code); len(code) != 14 || len(n) != 12 || n != code[0:4]+code[5:9]+code[10:14] {
			t.Errorf("a new code %q reads as %q", code, n)
		}
	}
}
