package passcode_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"gatehouse/internal/passcode"
	"gatehouse/internal/passcode/base45"
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

// Codes of both formats round-trip and verify: GH2, made now, and GH1, made
// before it (old codes stay valid until their key is removed).
func TestCodesOfBothFormatsRoundTripAndFitIn160Characters(t *testing.T) {
	k := newKey(t, 1<<21-1)
	ring := passcode.NewKeyring([]passcode.Key{k})
	for _, f := range []struct {
		prefix string
		encode func(*passcode.Code, passcode.Signer) (string, error)
	}{{passcode.Prefix, passcode.Encode}, {passcode.PrefixV1, passcode.EncodeV1}} {
		for _, c := range []*passcode.Code{
			{Kind: passcode.KindPass, ID: 1, CommunityID: 2, ValidFrom: 1764000000, ValidUntil: 1764086400, MaxEntries: 1},
			{Kind: passcode.KindPass, ID: 99, CommunityID: 1200, ValidFrom: 1764000000, ValidUntil: 1764600000, MaxEntries: 10,
				GateIDs: []int64{3, 4}, Schedule: passcode.Schedule{Days: 0x1f, StartMinute: 480, EndMinute: 1200}},
			largestPass(),
			{Kind: passcode.KindResident, ID: 5, CommunityID: 2, Step: 1764000000 / 30},
		} {
			roundTrip(t, ring, k, c, f.prefix, f.encode)
		}
	}
}

func roundTrip(t *testing.T, ring *passcode.Keyring, k passcode.Key, c *passcode.Code, prefix string,
	encode func(*passcode.Code, passcode.Signer) (string, error)) {
	t.Helper()
	{
		s, err := encode(c, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) > passcode.MaxLen || !strings.HasPrefix(s, prefix) {
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

// A tampered code of either format is refused: every character changed to
// every other of its alphabet.
func TestEveryAlteredCharacterIsInvalid(t *testing.T) {
	k := newKey(t, 1)
	ring := passcode.NewKeyring([]passcode.Key{k})
	c := &passcode.Code{Kind: passcode.KindPass, ID: 42, CommunityID: 7, ValidFrom: 1764000000, ValidUntil: 1764086400, MaxEntries: 1, GateIDs: []int64{3}}
	gh2, err := passcode.Encode(c, k)
	if err != nil {
		t.Fatal(err)
	}
	gh1, err := passcode.EncodeV1(c, k)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ code, alphabet string }{
		{gh2, base45.Alphabet + "abcdefghijklmnopqrstuvwxyz_"},
		{gh1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_ $%*+./:"},
	} {
		s := f.code
		if _, err := passcode.Parse(s, ring); err != nil {
			t.Fatalf("the genuine %q is refused: %v", s, err)
		}
		for i := range s {
			for _, r := range f.alphabet {
				if byte(r) == s[i] {
					continue
				}
				changed := s[:i] + string(r) + s[i+1:]
				if _, err := passcode.Parse(changed, ring); err == nil {
					t.Fatalf("changing character %d of %q to %q was accepted", i, s, r)
				}
			}
		}
		for _, bad := range []string{s + "A", s + "AA", s + "AAA", s[:len(s)-1], s[:len(s)-2], s[:len(s)-3], " " + s, s + " ", s + "\n"} {
			if _, err := passcode.Parse(bad, ring); err == nil {
				t.Fatalf("%q was accepted", bad)
			}
		}
	}
	for _, bad := range []string{"", "GH1", "GH2", strings.Repeat("A", 5000), "GH1" + strings.Repeat("A", 157), "GH2" + strings.Repeat("0", 156),
		"hello world", "GH1!!!!", "GH2!!!!", "GH3" + gh2[3:], "gh2" + gh2[3:], "GH1" + gh2[3:], "GH2" + gh1[3:]} {
		if _, err := passcode.Parse(bad, ring); err == nil {
			t.Fatalf("%q was accepted", bad)
		}
	}
}

// A GH2 payload and signature presented as a GH1 code (or the reverse) is
// refused: each format signs under its own context.
func TestASignatureOfOneFormatDoesNotVerifyInTheOther(t *testing.T) {
	k := newKey(t, 1)
	ring := passcode.NewKeyring([]passcode.Key{k})
	c := &passcode.Code{Kind: passcode.KindResident, ID: 5, CommunityID: 2, Step: 58800000}
	gh2, _ := passcode.Encode(c, k)
	gh1, _ := passcode.EncodeV1(c, k)
	raw2, err := base45.Decode(gh2[len(passcode.Prefix):])
	if err != nil {
		t.Fatal(err)
	}
	raw1, err := base64.RawURLEncoding.DecodeString(gh1[len(passcode.PrefixV1):])
	if err != nil {
		t.Fatal(err)
	}
	// Each payload under the other format's signature, in its own format.
	sig := func(raw []byte) []byte { return raw[len(raw)-ed25519.SignatureSize:] }
	pay := func(raw []byte) []byte { return raw[:len(raw)-ed25519.SignatureSize] }
	for _, forged := range []string{
		passcode.Prefix + base45.Encode(append(slices.Clone(pay(raw2)), sig(raw1)...)),
		passcode.PrefixV1 + base64.RawURLEncoding.EncodeToString(append(slices.Clone(pay(raw1)), sig(raw2)...)),
		passcode.PrefixV1 + base64.RawURLEncoding.EncodeToString(raw2),
		passcode.Prefix + base45.Encode(raw1),
	} {
		if _, err := passcode.Parse(forged, ring); err == nil {
			t.Fatalf("forged %q was accepted", forged)
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

// Bounds of ids and times in a district-sized deployment (one has about
// 1,200 communities): keys and communities below 2^14, residents below
// 2^28, gates below 2^21, passes below 2^35; windows of up to a year (the
// largest max_pass_days, 366) starting as late as 2040; 1,000 entries (the
// largest max_entries).
const (
	bigKey       = 1<<14 - 1
	bigCommunity = 1<<14 - 1
	bigResident  = 1<<28 - 1
	bigGate      = 1<<21 - 1
	bigPass      = 1<<35 - 1
	from2040     = 2208988800 // 2040-01-01T00:00:00Z
)

// variant is one kind of code that must fit a QR version at EC level M.
type variant struct {
	name       string
	code       passcode.Code
	maxVersion int
}

// variants are the codes Gatehouse issues, each with the largest values it
// can reasonably carry.
func variants() []variant {
	pass := func(maxEntries uint32, days int64, gates []int64, sc passcode.Schedule) passcode.Code {
		return passcode.Code{Kind: passcode.KindPass, ID: bigPass, CommunityID: bigCommunity, ValidFrom: from2040 + 59*60,
			ValidUntil: from2040 + 59*60 + days*86400, MaxEntries: maxEntries, GateIDs: gates, Schedule: sc}
	}
	// A community's gates are made when it is set up, a few more later: the
	// ids of its gates are near each other, with a gap or two.
	gates := func(n int) []int64 {
		ids := []int64{bigGate - 90010, bigGate - 90009, bigGate - 90008, bigGate - 90007, bigGate - 5001, bigGate - 5000, bigGate - 1, bigGate}
		return ids[len(ids)-n:]
	}
	overnight := passcode.Schedule{Days: 0x7f, StartMinute: 22*60 + 30, EndMinute: 6*60 + 15} // every day 22:30-06:15
	var vs []variant
	vs = append(vs,
		variant{"single use, a day", pass(1, 1, nil, passcode.Schedule{}), 6},
		variant{"single use, a year", pass(1, 366, nil, passcode.Schedule{}), 6},
		variant{"multi-use, a year", pass(1000, 366, nil, passcode.Schedule{}), 6},
		variant{"multi-use, a schedule across midnight", pass(1000, 366, nil, overnight), 6},
	)
	for n := 1; n <= passcode.MaxGates; n++ {
		vs = append(vs, variant{fmt.Sprintf("multi-use, %d gates", n), pass(1000, 366, gates(n), passcode.Schedule{}), 6},
			variant{fmt.Sprintf("multi-use, %d gates, a schedule across midnight", n), pass(1000, 366, gates(n), overnight), 6})
	}
	consecutive := pass(1000, 366, nil, passcode.Schedule{Days: 0x1f, StartMinute: 8 * 60, EndMinute: 20 * 60}) // weekdays 08:00-20:00
	for g := int64(bigGate - 7); g <= bigGate; g++ {
		consecutive.GateIDs = append(consecutive.GateIDs, g)
	}
	vs = append(vs,
		variant{"multi-use, the 8 largest gate ids, a weekday schedule", consecutive, 6},
		variant{"resident", passcode.Code{Kind: passcode.KindResident, ID: bigResident, CommunityID: bigCommunity, Step: (from2040 + 366*86400) / 30}, 5},
	)
	return vs
}

// alphanumericVersion is the smallest QR version whose EC level M holds n
// characters in one alphanumeric segment (ISO/IEC 18004, table 7).
func alphanumericVersion(n int) int {
	for v, capacity := range []int{20, 38, 61, 90, 122, 154, 178, 221, 262, 311} {
		if n <= capacity {
			return v + 1
		}
	}
	return 99
}

// Every pass, up to 8 gates and a schedule, fits QR version 6 at EC level M
// and the resident code version 5: the QR writer uses alphanumeric mode for
// the whole code, and zbar reads each PNG back as exactly the code.
func TestEveryCodeFitsItsQRVersionAndScansBack(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is not installed (Debian package zbar-tools; `make test` installs it)")
	}
	k := newKey(t, bigKey)
	dir := t.TempDir()
	for i, v := range variants() {
		c := v.code
		s, err := passcode.Encode(&c, k)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		old := v.code
		s1, err := passcode.EncodeV1(&old, k)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		q, err := qrcode.New(s, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		q1, _ := qrcode.New(s1, qrcode.Medium)
		t.Logf("%-55s GH1 %3d characters, version %d; GH2 %3d characters, version %d", v.name, len(s1), q1.VersionNumber, len(s), q.VersionNumber)
		if !strings.HasPrefix(s, passcode.Prefix) || strings.Trim(s, base45.Alphabet) != "" || strings.TrimSpace(s) != s {
			t.Fatalf("%s: %q is not a GH2 code of the alphanumeric set without spaces around it", v.name, s)
		}
		if q.VersionNumber > v.maxVersion || q.VersionNumber > alphanumericVersion(len(s)) {
			t.Fatalf("%s: %d characters make QR version %d at EC level M, want at most %d (one alphanumeric segment: %d)",
				v.name, len(s), q.VersionNumber, v.maxVersion, alphanumericVersion(len(s)))
		}
		png, err := passcode.PNG(s)
		if err != nil {
			t.Fatal(err)
		}
		checkCrisp(t, png, q.VersionNumber)
		path := filepath.Join(dir, fmt.Sprintf("code%d.png", i))
		if err := os.WriteFile(path, png, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbar, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", path).Output()
		if err != nil {
			t.Fatalf("%s: zbarimg could not read the QR: %v", v.name, err)
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != s {
			t.Fatalf("%s: zbarimg read %q, want %q", v.name, got, s)
		}
	}
}

// checkCrisp checks that a PNG is a QR of version v drawn with a whole
// number of pixels a module (8) and a white quiet zone of 4 modules.
func checkCrisp(t *testing.T, b []byte, v int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	const px, quiet = 8, 4
	modules := 17 + 4*v + 2*quiet
	if r := img.Bounds(); r.Dx() != modules*px || r.Dy() != modules*px {
		t.Fatalf("the PNG is %dx%d, want %d modules of %d pixels", r.Dx(), r.Dy(), modules, px)
	}
	dark := func(x, y int) bool { g, _, _, _ := img.At(x, y).RGBA(); return g < 0x8000 }
	for my := 0; my < modules; my++ {
		for mx := 0; mx < modules; mx++ {
			d := dark(mx*px, my*px)
			if d && (mx < quiet || my < quiet || mx >= modules-quiet || my >= modules-quiet) {
				t.Fatalf("module (%d, %d) is dark inside the quiet zone", mx, my)
			}
			for y := my * px; y < (my+1)*px; y++ {
				for x := mx * px; x < (mx+1)*px; x++ {
					if dark(x, y) != d {
						t.Fatalf("module (%d, %d) is not one colour: pixel (%d, %d) differs", mx, my, x, y)
					}
				}
			}
		}
	}
}

// A code GH2 cannot hold within 160 characters (the largest ids on eight
// scattered gates) is still issued, in the GH1 format, and verifies.
func TestACodeTooLongForGH2IsMadeInGH1(t *testing.T) {
	k := newKey(t, 1<<21-1)
	ring := passcode.NewKeyring([]passcode.Key{k})
	c := &passcode.Code{Kind: passcode.KindPass, ID: bigPass, CommunityID: 1<<21 - 1, ValidFrom: from2040, ValidUntil: from2040 + 366*86400, MaxEntries: 1000,
		Schedule: passcode.Schedule{Days: 0x7f, StartMinute: 1439, EndMinute: 1438}}
	for g := int64(1 << 20); g < 1<<21; g += 1 << 17 {
		c.GateIDs = append(c.GateIDs, g)
	}
	s, err := passcode.Encode(c, k)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, passcode.PrefixV1) || len(s) > passcode.MaxLen {
		t.Fatalf("got %q (%d characters), want a GH1 code of at most %d", s, len(s), passcode.MaxLen)
	}
	got, err := passcode.Parse(s, ring)
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("parse: %+v, %v; want %+v", got, err, c)
	}
}

// GH2 carries whole minutes: a window's ends are truncated to the minute
// (so a pass valid from now works at once), and gates come back sorted.
func TestGH2TruncatesTimesToTheMinuteAndSortsGates(t *testing.T) {
	k := newKey(t, 1)
	ring := passcode.NewKeyring([]passcode.Key{k})
	c := &passcode.Code{Kind: passcode.KindPass, ID: 8, CommunityID: 3, ValidFrom: 1764000000 + 59, ValidUntil: 1764086400 + 30, MaxEntries: 2, GateIDs: []int64{9, 4, 9, 5}}
	s, err := passcode.Encode(c, k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := passcode.Parse(s, ring)
	if err != nil {
		t.Fatal(err)
	}
	if got.ValidFrom != 1764000000 || got.ValidUntil != 1764086400 || !slices.Equal(got.GateIDs, []int64{4, 5, 9}) {
		t.Fatalf("got from %d, until %d, gates %v", got.ValidFrom, got.ValidUntil, got.GateIDs)
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
