package gatehouse_test

import (
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestCloseMatchIsAMisreadOfAFewConfusedCharacters(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"粤B66666", "粤866666", true},  // B read as 8
		{"粤BD1234", "粤B01234", true},  // D read as 0
		{"京A1I234", "京A11234", true},  // I read as 1
		{"粤B66666", "粤B66666", false}, // the same plate is no misread
		{"粤B66666", "粤B66667", false}, // 6 and 7 are not confused
		{"粤B66666", "粤B6666", false},  // another length
		{"粤B00000", "粤BDDDDD", false}, // more than two places differ
		{"粤B12345", "湘B12345", false}, // another province
	} {
		if got := gatehouse.CloseMatch(c.a, c.b); got != c.want {
			t.Errorf("CloseMatch(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestDecideByPlate(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	com := &gatehouse.Community{ID: 1, TimeZone: "Asia/Shanghai"}
	moved := now.Add(-time.Hour)
	ended := now.Add(-time.Minute)
	owner := &gatehouse.Resident{ID: 7, CommunityID: 1}
	car := &gatehouse.Vehicle{ID: 1, CommunityID: 1, ResidentID: 7, Plate: "粤B66666"}
	pass := &gatehouse.Pass{ID: 3, CommunityID: 1, ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(time.Hour), MaxEntries: 1}
	base := func() gatehouse.ScanFacts {
		return gatehouse.ScanFacts{Now: now, Community: com, GateID: 5, Direction: gatehouse.In, PlateRead: true, Confidence: 95, MinConfidence: 80}
	}
	for _, c := range []struct {
		name string
		set  func(f *gatehouse.ScanFacts)
		want gatehouse.Reason
	}{
		{"unknown plate", func(f *gatehouse.ScanFacts) {}, gatehouse.UnknownPlate},
		{"resident's car", func(f *gatehouse.ScanFacts) { f.Vehicle, f.Owner = car, owner }, gatehouse.Granted},
		{"low confidence before the car", func(f *gatehouse.ScanFacts) { f.Vehicle, f.Owner, f.Confidence = car, owner, 79 }, gatehouse.LowConfidence},
		{"watched before the car", func(f *gatehouse.ScanFacts) { f.Vehicle, f.Owner, f.PlateWatchlisted = car, owner, true }, gatehouse.Watchlisted},
		{"owner moved out", func(f *gatehouse.ScanFacts) {
			f.Vehicle, f.Owner = car, &gatehouse.Resident{ID: 7, CommunityID: 1, MovedOutAt: &moved}
		}, gatehouse.Revoked},
		{"vehicle ended", func(f *gatehouse.ScanFacts) {
			f.Vehicle, f.Owner = &gatehouse.Vehicle{ID: 1, CommunityID: 1, ResidentID: 7, ValidUntil: &ended}, owner
		}, gatehouse.Expired},
		{"pass plate", func(f *gatehouse.ScanFacts) { f.PassCode, f.Pass = true, pass }, gatehouse.Granted},
		{"pass for another gate", func(f *gatehouse.ScanFacts) {
			p := *pass
			p.GateIDs = []int64{9}
			f.PassCode, f.Pass = true, &p
		}, gatehouse.GateNotAllowed},
		{"admitted", func(f *gatehouse.ScanFacts) { f.Admitted = true }, gatehouse.Granted},
		{"a car inside leaves", func(f *gatehouse.ScanFacts) { f.Direction, f.Inside, f.PlateWatchlisted = gatehouse.Out, true, true }, gatehouse.Granted},
		{"an unknown car at the exit", func(f *gatehouse.ScanFacts) { f.Direction = gatehouse.Out }, gatehouse.UnknownPlate},
		{"low confidence at the exit", func(f *gatehouse.ScanFacts) { f.Direction, f.Inside, f.Confidence = gatehouse.Out, true, 10 }, gatehouse.LowConfidence},
	} {
		f := base()
		c.set(&f)
		if got := gatehouse.Decide(f); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
