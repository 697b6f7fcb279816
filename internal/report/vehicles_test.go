package report

import (
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
)

func TestCarsPairEntryAndExitLanesIntoStays(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	var c cars
	for _, e := range []gatehouse.EntryFact{
		{CommunityID: 1, Plate: "粤B66666", ResidentID: 7, Direction: gatehouse.In, OccurredAt: at("2026-11-27T09:00:00Z")},
		{CommunityID: 1, Plate: "京A00001", Direction: gatehouse.In, OccurredAt: at("2026-11-27T10:00:00Z")},
		{CommunityID: 1, Plate: "粤B66666", ResidentID: 7, Direction: gatehouse.Out, OccurredAt: at("2026-11-27T11:30:00Z")},
		{CommunityID: 1, Plate: "粤B66666", ResidentID: 7, Direction: gatehouse.Out, OccurredAt: at("2026-11-27T12:00:00Z")}, // an exit without entry pairs with nothing
		{CommunityID: 2, Plate: "京A00001", Direction: gatehouse.Out, OccurredAt: at("2026-11-27T12:00:00Z")},                // another community's lane
		{CommunityID: 1, Plate: "沪C12345", Direction: gatehouse.In, OccurredAt: at("2026-11-20T10:00:00Z")},
		{CommunityID: 1, Plate: "沪C12345", Direction: gatehouse.Out, OccurredAt: at("2026-11-21T10:00:00Z")}, // ended before the period
	} {
		c.follow(e)
	}
	got := c.rows(at("2026-11-27T00:00:00Z"), at("2026-11-29T10:00:00Z"), 24)
	if got.OnSite != 1 || len(got.Items) != 2 {
		t.Fatalf("stays: %+v", got)
	}
	car, visitor := got.Items[1], got.Items[0]
	if visitor.Plate != "京A00001" || !visitor.OnSite || visitor.Until != nil || visitor.Hours != 48 || !visitor.OverThreshold || visitor.Resident {
		t.Errorf("the visitor's car over two nights: %+v", visitor)
	}
	if car.Plate != "粤B66666" || car.OnSite || car.Until == nil || !car.Until.Equal(at("2026-11-27T11:30:00Z")) || car.Hours != 2.5 || car.OverThreshold || !car.Resident {
		t.Errorf("the resident's car out again: %+v", car)
	}
}
