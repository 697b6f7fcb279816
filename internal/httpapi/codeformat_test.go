package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse/internal/passcode"
)

// GET /keys tells a controller how to verify both formats: GH2, issued
// now, and GH1, issued before it and valid until its key is removed.
func TestKeysDocumentBothCodeFormats(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		var keys struct {
			Keys []struct {
				KeyID   uint32 `json:"kid"`
				Current bool   `json:"current"`
			} `json:"keys"`
			Format string `json:"format"`
		}
		e.expect("GET", "/api/v1/keys", "", nil, 200, &keys)
		if len(keys.Keys) == 0 || !keys.Keys[len(keys.Keys)-1].Current {
			t.Fatalf("keys: %+v", keys.Keys)
		}
		for _, want := range []string{`"GH2" + Base45(payload || signature)`, "RFC 9285", `"gatehouse-code-v2\x00"`,
			`"GH1" + base64url(payload || signature)`, `"gatehouse-code-v1\x00"`, "at most 160 characters"} {
			if !strings.Contains(keys.Format, want) {
				t.Errorf("the format does not say %q:\n%s", want, keys.Format)
			}
		}
	})
}

// A pass is issued with a GH2 code, which scans through the API, spaces and
// all; the GH1 code of the same pass, as issued before GH2, still scans; a
// tampered GH2 code and a code with a space around it are invalid.
func TestScanAcceptsGH2CodesAndOldGH1Codes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		p := w.invite(map[string]any{"max_entries": 3, "gate_ids": []int64{w.gate.ID, w.gate2.ID},
			"schedule": map[string]any{"days": []int{1, 2, 3, 4, 5, 6, 7}, "start": "00:00", "end": "23:59"}})
		if !strings.HasPrefix(p.Code, "GH2") || strings.TrimSpace(p.Code) != p.Code || len(p.Code) > passcode.MaxLen {
			t.Fatalf("a new pass has the code %q, want a GH2 code", p.Code)
		}
		c, err := passcode.Parse(p.Code, e.engine.Keys())
		if err != nil {
			t.Fatal(err)
		}
		signer, ok := e.engine.Keys().Signing(c.KeyID)
		if !ok {
			t.Fatal("no signing key")
		}
		old, err := passcode.EncodeV1(c, signer)
		if err != nil {
			t.Fatal(err)
		}
		tampered := []byte(p.Code)
		tampered[len(tampered)-1] ^= 1 // 0-9 and A-W stay in the alphabet
		for _, tc := range []struct{ code, reason string }{
			{p.Code + " ", "invalid_code"},
			{" " + p.Code, "invalid_code"},
			{string(tampered), "invalid_code"},
			{p.Code, "granted"},
			{old, "granted"},
		} {
			if got := w.scan(w.gate.DeviceKey, tc.code, "in"); got.Reason != tc.reason {
				t.Fatalf("scanning %q: %s, want %s", tc.code, got.Reason, tc.reason)
			}
			w.clock.Advance(time.Minute)
		}
		if s := w.scan(w.gate.DeviceKey, p.Code, "in"); s.Reason != "granted" || s.RemainingEntries == nil || *s.RemainingEntries != 0 {
			t.Fatalf("the third entry: %+v", s)
		}
	})
}
