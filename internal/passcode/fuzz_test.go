package passcode_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"gatehouse/internal/passcode"
)

// fuzzKey is fixed so that the committed seed corpus holds valid codes.
var fuzzKey = func() passcode.Key {
	priv := ed25519.NewKeyFromSeed([]byte(strings.Repeat("f", ed25519.SeedSize)))
	return passcode.Key{ID: 1, Public: priv.Public().(ed25519.PublicKey), Private: priv}
}()

// FuzzParse feeds the parser anything: it must never panic, and whatever it
// accepts must be exactly what the signer would make of the parsed content.
func FuzzParse(f *testing.F) {
	ring := passcode.NewKeyring([]passcode.Key{fuzzKey})
	for _, c := range []*passcode.Code{
		{Kind: passcode.KindPass, ID: 1, CommunityID: 1, ValidFrom: 1764000000, ValidUntil: 1764086400, MaxEntries: 1},
		{Kind: passcode.KindPass, ID: 77, CommunityID: 3, ValidFrom: 1764000000, ValidUntil: 1764600000, MaxEntries: 5, GateIDs: []int64{1, 2},
			Schedule: passcode.Schedule{Days: 0x1f, StartMinute: 480, EndMinute: 1200}},
		{Kind: passcode.KindResident, ID: 9, CommunityID: 3, Step: 58800000},
	} {
		s, err := passcode.Encode(c, fuzzKey)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
	}
	f.Add("")
	f.Add("GH1")
	f.Add("GH1AAAA")
	f.Add(strings.Repeat("\xff", 200))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := passcode.Parse(s, ring)
		if err != nil {
			if c != nil {
				t.Fatal("a refused code returned content")
			}
			return
		}
		again, err := passcode.Encode(c, fuzzKey)
		if err != nil {
			t.Fatalf("accepted %q but cannot re-encode it: %v", s, err)
		}
		if again != s {
			t.Fatalf("accepted %q, which is not the canonical %q", s, again)
		}
	})
}
