package base45_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"gatehouse/internal/passcode/base45"
)

// The examples of RFC 9285, section 4.
func TestRFC9285Examples(t *testing.T) {
	for _, tc := range []struct{ raw, enc string }{
		{"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"}, {"", ""},
	} {
		if got := base45.Encode([]byte(tc.raw)); got != tc.enc {
			t.Errorf("Encode(%q) = %q, want %q", tc.raw, got, tc.enc)
		}
		got, err := base45.Decode(tc.enc)
		if err != nil || string(got) != tc.raw {
			t.Errorf("Decode(%q) = %q, %v; want %q", tc.enc, got, err, tc.raw)
		}
	}
}

func TestDecodeRefusesWhatNoBytesEncodeTo(t *testing.T) {
	for _, bad := range []string{
		"GGW",   // 65536: above two bytes (the RFC's example)
		":::",   // 91124
		"0",     // a length of 3k+1
		"BB8A",  // likewise
		"Q:",    // 44*45+26 = 2006: above one byte
		"bb8",   // lower case is not in the alphabet
		"BB8\n", // nor are line ends
		"AB_",
	} {
		if b, err := base45.Decode(bad); err == nil {
			t.Errorf("Decode(%q) accepted, = %x", bad, b)
		}
	}
}

// Trimming a code is safe: no encoding ends with a space, and every byte
// string round-trips.
func TestEncodingsRoundTripAndNeverEndWithASpace(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 0x10000; i++ {
		b := []byte{byte(i >> 8), byte(i)}
		for _, in := range [][]byte{b, b[1:], append(b, byte(r.Uint32()))} {
			s := base45.Encode(in)
			if strings.HasSuffix(s, " ") || len(s) != base45.EncodedLen(len(in)) {
				t.Fatalf("Encode(%x) = %q", in, s)
			}
			back, err := base45.Decode(s)
			if err != nil || !bytes.Equal(back, in) {
				t.Fatalf("Decode(Encode(%x)) = %x, %v", in, back, err)
			}
		}
	}
}
