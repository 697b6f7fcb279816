package main

import (
	"crypto/ed25519"
	"fmt"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"gatehouse/internal/passcode"
)

// benchQR times drawing a pass's QR PNG: Gatehouse's 1-bit writer, the
// cache the API serves from, and go-qrcode's own PNG() for comparison.
func benchQR() ([]row, error) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	key := passcode.Key{ID: 1, Public: priv.Public().(ed25519.PublicKey), Private: priv}
	now := time.Now().Unix()
	code, err := passcode.Encode(&passcode.Code{Kind: passcode.KindPass, ID: 123456, CommunityID: 1200, ValidFrom: now, ValidUntil: now + 86400,
		MaxEntries: 1, GateIDs: []int64{3601, 3602}}, key)
	if err != nil {
		return nil, err
	}
	time1 := func(n int, f func() error) (time.Duration, error) {
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := f(); err != nil {
				return 0, err
			}
		}
		return time.Since(start) / time.Duration(n), nil
	}
	own, err := time1(300, func() error { _, err := passcode.PNG(code); return err })
	if err != nil {
		return nil, err
	}
	theirs, err := time1(300, func() error {
		q, err := qrcode.New(code, qrcode.Medium)
		if err != nil {
			return err
		}
		_, err = q.PNG(256)
		return err
	})
	if err != nil {
		return nil, err
	}
	cache := passcode.NewQRCache(16)
	cache.PNG(code)
	cached, _ := time1(100000, func() error { _, err := cache.PNG(code); return err })
	verdict := "met"
	if cached >= 500*time.Microsecond {
		verdict = "MISSED"
	}
	return []row{
		{Section: "qr", Name: "QR PNG of a pass, served (cached)", P50: cached, Target: "< 0.5 ms", Verdict: verdict, Note: fmt.Sprintf("%d-character code", len(code))},
		{Section: "qr", Name: "QR PNG of a pass, first drawing (1-bit writer)", P50: own, Note: "once per pass, never on the scan path"},
		{Section: "qr", Name: "go-qrcode's own PNG(256), for comparison", P50: theirs},
	}, nil
}
