package gatehouse_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestAVehicleIsNormalizedAndCheckedFieldByField(t *testing.T) {
	now := decideNow
	v := gatehouse.Vehicle{Plate: " 粤b·12345 ", PlateColor: " blue ", Label: " 王芳的车 "}
	v.Normalize()
	if v.Plate != "粤B·12345" || v.PlateColor != gatehouse.PlateBlue || v.Label != "王芳的车" {
		t.Errorf("normalized %q %q %q", v.Plate, v.PlateColor, v.Label)
	}
	if err := v.Validate(now); err != nil {
		t.Errorf("a good vehicle: %v", err)
	}
	later, at := now.Add(time.Hour), now
	for _, tc := range []struct {
		what       string
		edit       func(v *gatehouse.Vehicle)
		field, msg string
	}{
		{"a new-energy plate", func(v *gatehouse.Vehicle) { v.Plate, v.PlateColor = "粤BD12345", gatehouse.PlateGreen }, "", ""},
		{"no colour", func(v *gatehouse.Vehicle) { v.PlateColor = gatehouse.PlateUnknown }, "", ""},
		{"until an hour later", func(v *gatehouse.Vehicle) { v.ValidUntil = &later }, "", ""},
		{"no plate", func(v *gatehouse.Vehicle) { v.Plate = "" }, "plate", "is required"},
		{"not a plate", func(v *gatehouse.Vehicle) { v.Plate = "B1" }, "plate", "must be a licence plate such as 粤B12345 (5 to 10 characters)"},
		{"a colour no camera reports", func(v *gatehouse.Vehicle) { v.PlateColor = "red" }, "plate_color", "must be one of blue, yellow, white, black, green, yellow_green"},
		{"a label with a tab", func(v *gatehouse.Vehicle) { v.Label = "王芳\t的车" }, "label", "must contain only printable characters, not U+0009 (a control, bidi, zero-width or unusual space character)"},
		{"an end now", func(v *gatehouse.Vehicle) { v.ValidUntil = &at }, "valid_until", "must be a time in the future"},
	} {
		v := gatehouse.Vehicle{Plate: "粤B12345", PlateColor: gatehouse.PlateBlue}
		tc.edit(&v)
		wantFieldMessage(t, tc.what, v.Validate(now), tc.field, tc.msg)
	}
	for c, ok := range map[gatehouse.PlateColor]bool{"": true, "blue": true, "yellow": true, "white": true, "black": true, "green": true,
		"yellow_green": true, "Blue": false, "yellow-green": false, "red": false} {
		if c.Valid() != ok {
			t.Errorf("plate colour %q valid %v", c, !ok)
		}
	}
}

func TestAResidentsVehicleOpensWhileItsOwnerLivesThere(t *testing.T) {
	at := decideNow
	before, after := at.Add(-time.Minute), at.Add(time.Minute)
	owner := &gatehouse.Resident{ID: 7, CommunityID: 1}
	for _, tc := range []struct {
		what string
		v    gatehouse.Vehicle
		r    *gatehouse.Resident
		want gatehouse.Reason
	}{
		{"a car without an end", gatehouse.Vehicle{}, owner, gatehouse.Granted},
		{"a car until a minute later", gatehouse.Vehicle{ValidUntil: &after}, owner, gatehouse.Granted},
		{"a car that ended now", gatehouse.Vehicle{ValidUntil: &at}, owner, gatehouse.Expired},
		{"a car deleted", gatehouse.Vehicle{DeletedAt: &before}, owner, gatehouse.Revoked},
		{"a car of no known owner", gatehouse.Vehicle{}, nil, gatehouse.Revoked},
		{"a car whose owner moved out", gatehouse.Vehicle{}, &gatehouse.Resident{ID: 7, MovedOutAt: &before}, gatehouse.Revoked},
		{"a deleted car that also ended", gatehouse.Vehicle{DeletedAt: &before, ValidUntil: &before}, owner, gatehouse.Revoked},
	} {
		if got := gatehouse.VehicleReason(&tc.v, tc.r, at); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, got, tc.want)
		}
	}
}

// A resident's car leaves whatever it is; on the way in it is judged, then
// anti-passback: a car recorded inside is not let in again.
func TestAResidentsCarAtTheBarrier(t *testing.T) {
	ended := decideNow.Add(-time.Minute)
	for _, tc := range []struct {
		what string
		edit func(f *gatehouse.ScanFacts)
		want gatehouse.Reason
	}{
		{"in", func(f *gatehouse.ScanFacts) {}, gatehouse.Granted},
		{"in again without leaving", func(f *gatehouse.ScanFacts) { f.Inside = true }, gatehouse.AntiPassback},
		{"in again, anti-passback off", func(f *gatehouse.ScanFacts) { f.Inside, f.Community.AntiPassback = true, false }, gatehouse.Granted},
		{"an ended car in again", func(f *gatehouse.ScanFacts) { f.Inside, f.Vehicle.ValidUntil = true, &ended }, gatehouse.Expired},
		{"out, not recorded inside", func(f *gatehouse.ScanFacts) { f.Direction = gatehouse.Out }, gatehouse.Granted},
		{"an ended car out", func(f *gatehouse.ScanFacts) { f.Direction, f.Vehicle.ValidUntil = gatehouse.Out, &ended }, gatehouse.Granted},
	} {
		f := gatehouse.ScanFacts{Now: decideNow, Community: decideCommunity(), GateID: 5, Direction: gatehouse.In, PlateRead: true,
			Confidence: 90, MinConfidence: 80, Vehicle: &gatehouse.Vehicle{ID: 1, CommunityID: 1, ResidentID: 7, Plate: "粤B66666"},
			Owner: &gatehouse.Resident{ID: 7, CommunityID: 1}}
		tc.edit(&f)
		if got := gatehouse.Decide(f); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, got, tc.want)
		}
	}
}

func TestCameraSerialsAndVehicleSubjects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"e5f0a1b2-3c4d5e6f", ""},
		{"IVS:001.A_2", ""},
		{strings.Repeat("a", 64), ""},
		{"", "is required: the serial number the camera sends (serialno)"},
		{strings.Repeat("a", 65), "must be at most 64 characters"},
		{"ivs 001", "must be letters, digits and - _ : . only"},
		{"ivs/001", "must be letters, digits and - _ : . only"},
		{"摄像机1", "must be letters, digits and - _ : . only"},
	} {
		if got := gatehouse.ValidateCameraSerial(tc.in); got != tc.want {
			t.Errorf("serial %q: %q, want %q", tc.in, got, tc.want)
		}
	}
	s := gatehouse.VehicleSubject("粤B66666")
	if plate, ok := gatehouse.PlateOfSubject(s); !ok || plate != "粤B66666" {
		t.Errorf("the plate of %q: %q %v", s, plate, ok)
	}
	for _, other := range []gatehouse.Subject{gatehouse.VisitorSubject(3), gatehouse.ResidentSubject(3), ""} {
		if plate, ok := gatehouse.PlateOfSubject(other); ok || plate != "" {
			t.Errorf("%q is taken for a vehicle: %q", other, plate)
		}
	}
}
