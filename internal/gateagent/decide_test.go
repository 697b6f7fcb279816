package gateagent

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
	"gatehouse/internal/passcode/base45"
)

// known is a controller's knowledge, set by hand.
type known struct {
	*passcode.Keyring
	community                   int64
	revoked, exhausted, movedIn map[int64]bool
}

func (k *known) CommunityID() int64                             { return k.community }
func (k *known) Revoked(id int64) bool                          { return k.revoked[id] }
func (k *known) Exhausted(id int64) bool                        { return k.exhausted[id] }
func (k *known) MovedOut(residentID int64) bool                 { return k.movedIn[residentID] }
func (k *known) PublicKey(kid uint32) (ed25519.PublicKey, bool) { return k.Keyring.PublicKey(kid) }

var _ Known = (*known)(nil)

// newSigner makes a signing key with id kid.
func newSigner(t testing.TB, kid uint32) passcode.Key {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return passcode.Key{ID: kid, Public: pub, Private: priv, CreatedAt: time.Now()}
}

// codeFormat is one format a controller verifies: GH2, issued now, and GH1,
// of passes issued before it.
type codeFormat struct {
	name, prefix string
	encode       func(*passcode.Code, passcode.Signer) (string, error)
	raw          func(string) ([]byte, error)
	wrap         func([]byte) string
}

var codeFormats = []codeFormat{
	{"GH2", passcode.Prefix, passcode.Encode, base45.Decode, base45.Encode},
	{"GH1", passcode.PrefixV1, passcode.EncodeV1, base64.RawURLEncoding.DecodeString, base64.RawURLEncoding.EncodeToString},
}

func (f codeFormat) decodeRaw(t testing.TB, code string) []byte {
	t.Helper()
	b, err := f.raw(code[len(f.prefix):])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f codeFormat) mustEncode(t testing.TB, c passcode.Code, k passcode.Key) string {
	t.Helper()
	s, err := f.encode(&c, k)
	if err != nil {
		t.Fatal(err)
	}
	if s[:len(f.prefix)] != f.prefix {
		t.Fatalf("%q is not a %s code", s, f.name)
	}
	return s
}

func mustEncode(t testing.TB, c passcode.Code, k passcode.Key) string {
	t.Helper()
	return codeFormats[0].mustEncode(t, c, k)
}

// Monday 2026-03-02 10:00 in Shanghai.
var monday10 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Both formats are judged alike: GH2 codes, and GH1 codes of passes issued
// before GH2, until their key is removed.
func TestDecideOfflineFollowsTheServersRules(t *testing.T) {
	for _, f := range codeFormats {
		t.Run(f.name, func(t *testing.T) { testDecideOffline(t, f) })
	}
}

func testDecideOffline(t *testing.T, f codeFormat) {
	key := newSigner(t, 7)
	other := newSigner(t, 8) // a key the controller never synced
	k := &known{Keyring: passcode.NewKeyring([]passcode.Key{{ID: key.ID, Public: key.Public}}), community: 1,
		revoked: map[int64]bool{11: true}, exhausted: map[int64]bool{12: true}, movedIn: map[int64]bool{21: true}}
	now := monday10
	pass := func(id int64, mod func(*passcode.Code)) string {
		c := passcode.Code{Kind: passcode.KindPass, ID: id, CommunityID: 1, ValidFrom: now.Add(-time.Hour).Unix(),
			ValidUntil: now.Add(time.Hour).Unix(), MaxEntries: 3}
		if mod != nil {
			mod(&c)
		}
		return f.mustEncode(t, c, key)
	}
	resident := func(id int64, issued time.Time) string {
		return f.mustEncode(t, passcode.Code{Kind: passcode.KindResident, ID: id, CommunityID: 1, Step: issued.Unix() / passcode.ResidentStep}, key)
	}
	// A signature with one bit flipped; and pass 10's signature on pass
	// 99's payload (a forged max_entries and id).
	raw10 := f.decodeRaw(t, pass(10, nil))
	raw99 := f.decodeRaw(t, pass(99, func(c *passcode.Code) { c.MaxEntries = 1000 }))
	flipped := append([]byte{}, raw10...)
	flipped[len(flipped)-1] ^= 1
	forged := append(append([]byte{}, raw99[:len(raw99)-ed25519.SignatureSize]...), raw10[len(raw10)-ed25519.SignatureSize:]...)
	cases := []struct {
		name string
		code string
		dir  gatehouse.Direction
		uses int
		want gatehouse.Reason
	}{
		{"a valid pass is granted", pass(10, nil), gatehouse.In, 0, gatehouse.Granted},
		{"garbage is an invalid code", "hello", gatehouse.In, 0, gatehouse.InvalidCode},
		{"a code with a damaged signature is invalid", f.prefix + f.wrap(flipped), gatehouse.In, 0, gatehouse.InvalidCode},
		{"a changed payload under a genuine signature is invalid", f.prefix + f.wrap(forged), gatehouse.In, 0, gatehouse.InvalidCode},
		{"a code signed with an unknown key is invalid", f.mustEncode(t, passcode.Code{Kind: passcode.KindPass, ID: 10, CommunityID: 1,
			ValidFrom: now.Unix() - 60, ValidUntil: now.Unix() + 60, MaxEntries: 1}, other), gatehouse.In, 0, gatehouse.InvalidCode},
		{"another community's pass is refused", pass(10, func(c *passcode.Code) { c.CommunityID = 2 }), gatehouse.In, 0, gatehouse.WrongCommunity},
		{"a pass revoked before the outage is refused", pass(11, nil), gatehouse.In, 0, gatehouse.Revoked},
		{"a pass the server reported used up is refused", pass(12, nil), gatehouse.In, 0, gatehouse.Exhausted},
		{"a pass used up at this gate is refused", pass(10, nil), gatehouse.In, 3, gatehouse.Exhausted},
		{"a pass with uses left at this gate is granted", pass(10, nil), gatehouse.In, 2, gatehouse.Granted},
		{"a pass not valid yet is refused", pass(10, func(c *passcode.Code) { c.ValidFrom = now.Add(time.Minute).Unix() }), gatehouse.In, 0, gatehouse.NotYetValid},
		{"an expired pass is refused", pass(10, func(c *passcode.Code) { c.ValidUntil = now.Unix() }), gatehouse.In, 0, gatehouse.Expired},
		{"a pass for other gates is refused", pass(10, func(c *passcode.Code) { c.GateIDs = []int64{4, 6} }), gatehouse.In, 0, gatehouse.GateNotAllowed},
		{"a pass naming this gate is granted", pass(10, func(c *passcode.Code) { c.GateIDs = []int64{4, 5} }), gatehouse.In, 0, gatehouse.Granted},
		{"a pass outside its schedule is refused", pass(10, func(c *passcode.Code) {
			c.Schedule = passcode.Schedule{Days: 1, StartMinute: 12 * 60, EndMinute: 14 * 60} // Mondays 12:00-14:00
		}), gatehouse.In, 0, gatehouse.OutsideSchedule},
		{"a pass inside its schedule is granted", pass(10, func(c *passcode.Code) {
			c.Schedule = passcode.Schedule{Days: 1, StartMinute: 9 * 60, EndMinute: 11 * 60}
		}), gatehouse.In, 0, gatehouse.Granted},
		{"a pass scheduled on other days is refused", pass(10, func(c *passcode.Code) {
			c.Schedule = passcode.Schedule{Days: 2, StartMinute: 9 * 60, EndMinute: 11 * 60} // Tuesdays
		}), gatehouse.In, 0, gatehouse.OutsideSchedule},
		{"leaving on an expired pass is granted", pass(10, func(c *passcode.Code) { c.ValidUntil = now.Add(-time.Minute).Unix() }), gatehouse.Out, 0, gatehouse.Granted},
		{"leaving on a used-up pass is granted", pass(12, nil), gatehouse.Out, 5, gatehouse.Granted},
		{"leaving on a revoked pass is granted", pass(11, nil), gatehouse.Out, 0, gatehouse.Granted},
		{"leaving by another gate than the pass names is refused", pass(10, func(c *passcode.Code) { c.GateIDs = []int64{4} }), gatehouse.Out, 0, gatehouse.GateNotAllowed},
		{"a fresh resident code is granted", resident(20, now.Add(-10*time.Second)), gatehouse.In, 0, gatehouse.Granted},
		{"a resident code older than a minute is stale", resident(20, now.Add(-2*time.Minute)), gatehouse.In, 0, gatehouse.StaleCode},
		{"a moved-out resident's code is refused", resident(21, now), gatehouse.In, 0, gatehouse.Revoked},
		{"a resident code from the future is invalid", resident(20, now.Add(5*time.Minute)), gatehouse.In, 0, gatehouse.InvalidCode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := DecideOffline(OfflineScan{Code: tc.code, Direction: tc.dir, GateID: 5, Now: now, TimeZone: "Asia/Shanghai",
				Uses: func(int64) int { return tc.uses }}, k)
			if v.Reason != tc.want || v.Decision != tc.want.Decision() {
				t.Fatalf("got %s/%s, want %s", v.Decision, v.Reason, tc.want)
			}
		})
	}
}

func TestDecideOfflineSchedulesAreJudgedInTheCommunitysTimeZone(t *testing.T) {
	key := newSigner(t, 1)
	k := &known{Keyring: passcode.NewKeyring([]passcode.Key{key}), community: 1}
	now := monday10 // 10:00 in Shanghai is 02:00 UTC
	code := mustEncode(t, passcode.Code{Kind: passcode.KindPass, ID: 3, CommunityID: 1, ValidFrom: now.Add(-time.Hour).Unix(),
		ValidUntil: now.Add(time.Hour).Unix(), MaxEntries: 1, Schedule: passcode.Schedule{Days: 1, StartMinute: 9 * 60, EndMinute: 11 * 60}}, key)
	for tz, want := range map[string]gatehouse.Reason{"Asia/Shanghai": gatehouse.Granted, "UTC": gatehouse.OutsideSchedule} {
		v := DecideOffline(OfflineScan{Code: code, Direction: gatehouse.In, GateID: 1, Now: now.UTC(), TimeZone: tz}, k)
		if v.Reason != want {
			t.Errorf("in %s: %s, want %s", tz, v.Reason, want)
		}
	}
}

func TestDecideOfflineRefusesEverythingUntilTheCommunityIsKnown(t *testing.T) {
	key := newSigner(t, 1)
	k := &known{Keyring: passcode.NewKeyring([]passcode.Key{key})}
	code := mustEncode(t, passcode.Code{Kind: passcode.KindPass, ID: 3, CommunityID: 1, ValidFrom: monday10.Unix() - 60,
		ValidUntil: monday10.Unix() + 60, MaxEntries: 1}, key)
	v := DecideOffline(OfflineScan{Code: code, Direction: gatehouse.In, GateID: 1, Now: monday10, TimeZone: "UTC"}, k)
	if v.Decision != gatehouse.Deny || !v.UnknownCommunity {
		t.Fatalf("got %+v, want a deny for an unknown community", v)
	}
}

func TestASingleUsePassOpensOnceOfflineCountedByTheJournal(t *testing.T) {
	key := newSigner(t, 1)
	k := &known{Keyring: passcode.NewKeyring([]passcode.Key{key}), community: 1}
	j, err := OpenJournal(t.TempDir()+"/journal", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	code := mustEncode(t, passcode.Code{Kind: passcode.KindPass, ID: 3, CommunityID: 1, ValidFrom: monday10.Unix() - 60,
		ValidUntil: monday10.Unix() + 3600, MaxEntries: 1}, key)
	var got []gatehouse.Reason
	for i := range 3 {
		v := DecideOffline(OfflineScan{Code: code, Direction: gatehouse.In, GateID: 1, Now: monday10, TimeZone: "UTC", Uses: j.Uses}, k)
		got = append(got, v.Reason)
		ev := &Event{EventID: "e" + string(rune('0'+i)), Code: code, Direction: gatehouse.In, OccurredAt: monday10,
			Decision: v.Decision, Reason: v.Reason, PassID: v.Code.ID, PassUntil: v.Code.ValidUntil}
		if err := j.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if got[0] != gatehouse.Granted || got[1] != gatehouse.Exhausted || got[2] != gatehouse.Exhausted {
		t.Fatalf("reasons %v, want granted then exhausted", got)
	}
	// Leaving does not use the pass up.
	v := DecideOffline(OfflineScan{Code: code, Direction: gatehouse.Out, GateID: 1, Now: monday10, TimeZone: "UTC", Uses: j.Uses}, k)
	if v.Reason != gatehouse.Granted {
		t.Fatalf("leaving: %s", v.Reason)
	}
}
