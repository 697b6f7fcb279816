package service_test

import (
	"testing"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
)

// Staff watch every decision of a community in scope; a resident only the
// granted arrivals of its household's guests.
func TestWhoWatchesWhichDecisions(t *testing.T) {
	home := gatehouse.Household{CommunityID: 1, Building: "3", Unit: "2", Room: "502"}
	resident := &gatehouse.Principal{UserID: 5, Role: gatehouse.RoleResident, Communities: []int64{1}, Household: &home}
	guard := &gatehouse.Principal{UserID: 3, Role: gatehouse.RoleGuard, Communities: []int64{1}}
	host := &gatehouse.Resident{CommunityID: 1, Building: "3", Unit: "2", Room: "502"}
	neighbour := &gatehouse.Resident{CommunityID: 1, Building: "3", Unit: "2", Room: "503"}
	ev := func(h *gatehouse.Resident, d gatehouse.Direction, dec gatehouse.Decision) *gatehouse.DecisionEvent {
		return &gatehouse.DecisionEvent{Host: h, Entry: &gatehouse.Entry{CommunityID: 1, Direction: d, Decision: dec}}
	}
	c, filter, err := service.Watch(resident, 0)
	if err != nil || c != 1 || filter == nil {
		t.Fatalf("a resident's stream: %d, %v", c, err)
	}
	for _, tc := range []struct {
		ev   *gatehouse.DecisionEvent
		want bool
	}{
		{ev(host, gatehouse.In, gatehouse.Grant), true},
		{ev(host, gatehouse.Out, gatehouse.Grant), false},
		{ev(host, gatehouse.In, gatehouse.Deny), false},
		{ev(neighbour, gatehouse.In, gatehouse.Grant), false},
		{ev(nil, gatehouse.In, gatehouse.Grant), false},
	} {
		if filter(tc.ev) != tc.want {
			t.Errorf("the resident sees %+v (host %+v): %v", tc.ev.Entry, tc.ev.Host, !tc.want)
		}
	}
	if c, filter, err := service.Watch(guard, 1); err != nil || c != 1 || filter != nil {
		t.Errorf("a guard's stream: %d, %v", c, err)
	}
	_, _, err = service.Watch(guard, 0)
	wantProblems(t, "a guard naming no community", err, gatehouse.EBADREQUEST, "community_id")
	_, _, err = service.Watch(guard, 2)
	wantCode(t, "a guard watching another community", err, gatehouse.ENOTFOUND)
	_, _, err = service.Watch(&gatehouse.Principal{UserID: 4, Role: gatehouse.RolePolice, Communities: []int64{1}}, 1)
	wantCode(t, "police watching", err, gatehouse.EFORBIDDEN)
	_, _, err = service.Watch(&gatehouse.Principal{GateID: 1, CommunityID: 1}, 1)
	wantCode(t, "a gate watching", err, gatehouse.EFORBIDDEN)
	// A resident principal made without its household sees nothing (and
	// does not panic).
	c, filter, err = service.Watch(&gatehouse.Principal{UserID: 5, Role: gatehouse.RoleResident, Communities: []int64{1}}, 1)
	if err == nil && (filter == nil || filter(ev(host, gatehouse.In, gatehouse.Grant))) {
		t.Errorf("a resident without a household watches community %d unfiltered", c)
	}
}
