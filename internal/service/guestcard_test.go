package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/passcode"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// keyCodes reads codes with the fixture engine's keys, as the server does.
type keyCodes struct{ keys passcode.KeyLookup }

func (k keyCodes) PassOfCode(code string) (int64, int64, error) {
	c, err := passcode.Parse(code, k.keys)
	if err != nil {
		return 0, 0, err
	}
	if c.Kind != passcode.KindPass {
		return 0, 0, passcode.ErrInvalid
	}
	return c.ID, c.CommunityID, nil
}

// The guest, who has only the code, sees where to go and for which
// dwelling, and whether the pass still opens a gate; never the host's name,
// an ID number or a phone. A revoked pass says so and is not usable; a
// forged or resident code finds nothing.
func TestAGuestSeesTheCardOfItsPassByItsCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cards := &service.GuestCards{Store: db, Codes: keyCodes{f.eng.Keys()}, Now: func() time.Time { return now }}
		in := service.PassInput{Visitor: visitor("张伟", 14), ValidUntil: rfc(now.Add(24 * time.Hour)), GateIDs: []int64{f.gateA.ID}}
		in.Visitor.Phone = "13912345678"
		p, err := f.passes.Create(ctx, f.resident, in, gatehouse.PassGuest)
		if err != nil {
			t.Fatal(err)
		}
		code, err := f.eng.PassCode(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := cards.Card(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != gatehouse.PassActive || !c.Usable || c.CommunityName != "翠竹苑" || c.CommunityAddress != "罗湖区翠竹路1号" ||
			len(c.Gates) != 1 || c.Gates[0] != "南门" || c.Building+"-"+c.Unit+"-"+c.Room != "3-2-502" || c.GuestName != "张伟" ||
			!c.ValidUntil.Equal(now.Add(24*time.Hour)) || c.RemainingEntries != 1 || c.MaxEntries != 1 {
			t.Errorf("the card: %+v", c)
		}
		raw, _ := json.Marshal(c)
		for _, secret := range []string{f.hostA.Name, "13912345678", "13800138000", "440524", p.Visitor.IDNumber.Masked()} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("the card reveals %q: %s", secret, raw)
			}
		}
		if _, err := f.passes.Revoke(ctx, f.resident, p.ID); err != nil {
			t.Fatal(err)
		}
		if c, err := cards.Card(ctx, code); err != nil || c.Status != gatehouse.PassRevoked || c.Usable {
			t.Errorf("the revoked pass's card: %+v, %v", c, err)
		}
		rc, _, err := f.eng.ResidentCode(f.hostA)
		if err != nil {
			t.Fatal(err)
		}
		// A forgery changes one character inside the signature. (Not its last
		// two: an Ed25519 signature's last byte is at most 0x10, so "00"
		// there is the real code one time in sixteen.)
		i := len(code) - 10
		forged := code[:i] + map[bool]string{true: "1", false: "0"}[code[i] == '0'] + code[i+1:]
		for what, bad := range map[string]string{"a forged code": forged, "a resident's code": rc, "nothing": ""} {
			_, err := cards.Card(ctx, bad)
			wantCode(t, what, err, gatehouse.ENOTFOUND)
		}
	})
}
