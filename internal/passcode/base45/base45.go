// Package base45 is the Base45 encoding of RFC 9285: every character is in
// QR's alphanumeric set, so a QR code carries 3 characters of 2 bytes in
// 16.5 bits instead of the 24 bits of byte mode.
package base45

import "errors"

// Alphabet is the 45 characters of QR's alphanumeric mode, in RFC 9285's order.
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// ErrInvalid is every reason a string is not Base45.
var ErrInvalid = errors.New("not base45")

var values = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		v[Alphabet[i]] = int8(i)
	}
	return v
}()

// EncodedLen is the length of the encoding of n bytes.
func EncodedLen(n int) int { return n/2*3 + n%2*2 }

// Encode returns the Base45 encoding of b. Its last character is never a
// space: the most significant digit of a group is at most 32 (65535/2025)
// and of a trailing byte at most 5 (255/45).
func Encode(b []byte) string {
	out := make([]byte, 0, EncodedLen(len(b)))
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		out = append(out, Alphabet[n%45], Alphabet[n/45%45], Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, Alphabet[n%45], Alphabet[n/45])
	}
	return string(out)
}

// Decode returns the bytes s encodes. It is strict: only the alphabet, no
// length of 3k+1 and no group above its byte range are accepted, so every
// byte string has exactly one encoding.
func Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, ErrInvalid
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		n, w := 0, 1
		end := min(i+3, len(s))
		for j := i; j < end; j++ {
			v := values[s[j]]
			if v < 0 {
				return nil, ErrInvalid
			}
			n += int(v) * w
			w *= 45
		}
		if end-i == 3 {
			if n > 0xffff {
				return nil, ErrInvalid
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, ErrInvalid
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
