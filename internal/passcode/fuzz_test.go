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
// accepts, in either format, must be exactly what the signer would make of
// the parsed content in that format.
func FuzzParse(f *testing.F) {
	ring := passcode.NewKeyring([]passcode.Key{fuzzKey})
	for _, c := range []*passcode.Code{
		{Kind: passcode.KindPass, ID: 1, CommunityID: 1, ValidFrom: 1764000000, ValidUntil: 1764086400, MaxEntries: 1},
		{Kind: passcode.KindPass, ID: 77, CommunityID: 3, ValidFrom: 1764000000, ValidUntil: 1764600000, MaxEntries: 5, GateIDs: []int64{1, 2},
			Schedule: passcode.Schedule{Days: 0x1f, StartMinute: 480, EndMinute: 1200}},
		{Kind: passcode.KindPass, ID: 1<<35 - 1, CommunityID: 16383, ValidFrom: 2208988800, ValidUntil: 2208988800 + 366*86400, MaxEntries: 1000,
			GateIDs: []int64{5, 6, 900, 70000, 70001, 70002, 1 << 20, 1<<21 - 1}, Schedule: passcode.Schedule{Days: 0x7f, StartMinute: 1350, EndMinute: 375}},
		{Kind: passcode.KindResident, ID: 9, CommunityID: 3, Step: 58800000},
	} {
		for _, encode := range []func(*passcode.Code, passcode.Signer) (string, error){passcode.Encode, passcode.EncodeV1} {
			s, err := encode(c, fuzzKey)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(s)
		}
	}
	f.Add("")
	f.Add("GH1")
	f.Add("GH1AAAA")
	f.Add("GH2")
	f.Add("GH2BB8")
	f.Add("GH2GGW")
	f.Add("GH2 $%*+-./:")
	f.Add(strings.Repeat("\xff", 200))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := passcode.Parse(s, ring)
		if err != nil {
			if c != nil {
				t.Fatal("a refused code returned content")
			}
			return
		}
		encode := passcode.Encode
		if strings.HasPrefix(s, passcode.PrefixV1) {
			encode = passcode.EncodeV1
		}
		again, err := encode(c, fuzzKey)
		if err != nil {
			t.Fatalf("accepted %q but cannot re-encode it: %v", s, err)
		}
		if again != s {
			t.Fatalf("accepted %q, which is not the canonical %q", s, again)
		}
	})
}
