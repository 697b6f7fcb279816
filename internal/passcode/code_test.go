package passcode_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"gatehouse/internal/passcode"
)

func newKey(t testing.TB, id uint32) passcode.Key {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return passcode.Key{ID: id, Public: pub, Private: priv}
}

// largestPass is the longest pass code of a district-sized deployment: ids
// up to 2^21 for communities, gates and keys, 2^35 for passes; eight gates;
// a year's window starting in 2040; a schedule; 1,000 entries.
func largestPass() *passcode.Code {
	g := int64(1<<21 - 9)
	from := int64(2208988800) // 2040-01-01
	return &passcode.Code{Kind: passcode.KindPass, ID: 1<<35 - 1, CommunityID: 1<<21 - 1, ValidFrom: from, ValidUntil: from + 366*86400,
		MaxEntries: 1000, GateIDs: []int64{g, g + 1, g + 2, g + 3, g + 4, g + 5, g + 6, g + 7},
		Schedule: passcode.Schedule{Days: 0x7f, StartMinute: 1439, EndMinute: 1438}}
}

func TestCodesRoundTripAndFitIn160Characters(t *testing.T) {
	k := newKey(t, 1<<21-1)
	ring := passcode.NewKeyring([]passcode.Key{k})
	for _, c := range []*passcode.Code{
		{Kind: passcode.KindPass, ID: 1, CommunityID: 2, ValidFrom: 1764000000, ValidUntil: 1764086400, MaxEntries: 1},
		{Kind: passcode.KindPass, ID: 99, CommunityID: 1200, ValidFrom: 1764000000, ValidUntil: 1764600000, MaxEntries: 10,
			GateIDs: []int64{3, 4}, Schedule: passcode.Schedule{Days: 0x1f, StartMinute: 480, EndMinute: 1200}},
		largestPass(),
		{Kind: passcode.KindResident, ID: 5, CommunityID: 2, Step: 1764000000 / 30},
	} {
		s, err := passcode.Encode(c, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) > passcode.MaxLen || !strings.HasPrefix(s, passcode.Prefix) {
			t.Fatalf("code %q is %d characters", s, len(s))
		}
		for _, r := range s {
			if r > 127 {
				t.Fatalf("code %q is not ASCII", s)
			}
		}
		got, err := passcode.Parse(s, ring)
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip: got %+v, want %+v", got, c)
		}
	}
}

func TestEveryAlteredCharacterIsInvalid(t *testing.T) {
	k := newKey(t, 1)
	ring := passcode.NewKeyring([]passcode.Key{k})
	s, err := passcode.Encode(&passcode.Code{Kind: passcode.KindPass, ID: 42, CommunityID: 7, ValidFrom: 1764000000, ValidUntil: 1764086400, MaxEntries: 1, GateIDs: []int64{3}}, k)
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range s {
		for _, r := range alphabet {
			if byte(r) == s[i] {
				continue
			}
			changed := s[:i] + string(r) + s[i+1:]
			if _, err := passcode.Parse(changed, ring); err == nil {
				t.Fatalf("changing character %d to %q was accepted", i, r)
			}
		}
	}
	for _, bad := range []string{"", "GH1", s + "A", s[:len(s)-1], strings.Repeat("A", 5000), "GH1" + strings.Repeat("A", 157), "hello world", "GH1!!!!"} {
		if _, err := passcode.Parse(bad, ring); err == nil {
			t.Fatalf("%q was accepted", bad)
		}
	}
}

func TestOldKeysVerifyAfterRotationUntilRemoved(t *testing.T) {
	old, next := newKey(t, 1), newKey(t, 2)
	ring := passcode.NewKeyring([]passcode.Key{old})
	s, _ := passcode.Encode(&passcode.Code{Kind: passcode.KindResident, ID: 1, CommunityID: 1, Step: 9}, old)
	ring.Set([]passcode.Key{old, next})
	if signer, _ := ring.Signer(); signer.KeyID() != 2 {
		t.Fatalf("after rotation key %d signs, want 2", signer.KeyID())
	}
	if _, err := passcode.Parse(s, ring); err != nil {
		t.Fatalf("a code of the old key stopped verifying after rotation: %v", err)
	}
	ring.Set([]passcode.Key{next})
	if _, err := passcode.Parse(s, ring); err == nil {
		t.Fatal("a code of a removed key still verifies")
	}
	// A public key alone verifies but does not sign.
	pubOnly := passcode.NewKeyring([]passcode.Key{{ID: 2, Public: next.Public}})
	if _, err := pubOnly.Signer(); err == nil {
		t.Fatal("a ring without private keys offered a signer")
	}
}

func TestQRPNGDecodesToExactlyTheCode(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is not installed (Debian package zbar-tools; `make test` installs it)")
	}
	k := newKey(t, 1<<21-1)
	for _, c := range []*passcode.Code{largestPass(), {Kind: passcode.KindResident, ID: 5, CommunityID: 2, Step: 58800000}} {
		s, err := passcode.Encode(c, k)
		if err != nil {
			t.Fatal(err)
		}
		png, err := passcode.PNG(s)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "pass.png")
		if err := os.WriteFile(path, png, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbar, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", path).Output()
		if err != nil {
			t.Fatalf("zbarimg could not read the QR: %v", err)
		}
		if got := strings.TrimRight(string(out), "\n"); got != s {
			t.Fatalf("zbarimg read %q, want %q", got, s)
		}
	}
}

func TestQRCacheDrawsOnce(t *testing.T) {
	cache := passcode.NewQRCache(4)
	a, err := cache.PNG("GH1test")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cache.PNG("GH1test")
	if &a[0] != &b[0] {
		t.Fatal("the second fetch drew the PNG again")
	}
}

func BenchmarkQRPNG(b *testing.B) {
	k := newKey(b, 1)
	s, _ := passcode.Encode(largestPass(), k)
	b.Run("gatehouse", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := passcode.PNG(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-qrcode-PNG", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			q, _ := qrcode.New(s, qrcode.Medium)
			if _, err := q.PNG(256); err != nil {
				b.Fatal(err)
			}
		}
	})
	cache := passcode.NewQRCache(16)
	b.Run("cached", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cache.PNG(s)
		}
	})
}
