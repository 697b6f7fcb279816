package report

import (
	"sort"
	"time"

	"gatehouse/internal/gatehouse"
)

// VehicleStays are the stays of vehicles read at vehicle gates: a car's
// granted entry lane read to its exit lane read, by plate.
type VehicleStays struct {
	ThresholdHours int              `json:"threshold_hours"`
	OnSite         int              `json:"on_site"` // cars inside at the period's end
	Items          []VehicleStayRow `json:"items"`   // longest first, at most MaxVehicleStays
}

// VehicleStayRow is one car's stay.
type VehicleStayRow struct {
	CommunityID   int64      `json:"community_id"`
	Plate         string     `json:"plate"`
	Resident      bool       `json:"resident"` // a resident's vehicle (else a visitor's car)
	Since         time.Time  `json:"since"`
	Until         *time.Time `json:"until,omitempty"` // absent: still on site
	Hours         float64    `json:"hours"`
	OnSite        bool       `json:"on_site"`
	OverThreshold bool       `json:"over_threshold"`
}

// MaxVehicleStays bounds the stays a report lists.
const MaxVehicleStays = 500

// carStay follows one plate's presence in one community.
type carStay struct {
	community int64
	plate     string
	resident  bool
	since     time.Time
	until     time.Time // zero: still inside
}

type carKey struct {
	community int64
	plate     string
}

// cars pairs vehicle gates' granted reads into stays.
type cars struct {
	open  map[carKey]*carStay
	stays []*carStay
}

// follow opens a car's stay at an entry lane and closes it at an exit lane.
func (c *cars) follow(e gatehouse.EntryFact) {
	if c.open == nil {
		c.open = map[carKey]*carStay{}
	}
	k := carKey{e.CommunityID, e.Plate}
	if e.Direction != gatehouse.In {
		if s := c.open[k]; s != nil {
			s.until = e.OccurredAt
			delete(c.open, k)
		}
		return
	}
	if c.open[k] == nil {
		s := &carStay{community: e.CommunityID, plate: e.Plate, resident: e.ResidentID != 0, since: e.OccurredAt}
		c.open[k] = s
		c.stays = append(c.stays, s)
	}
}

// rows lists the stays reaching into [from, end), longest first.
func (c *cars) rows(from, end time.Time, thresholdHours int) VehicleStays {
	out := VehicleStays{ThresholdHours: thresholdHours, Items: []VehicleStayRow{}}
	threshold := time.Duration(thresholdHours) * time.Hour
	for _, s := range c.stays {
		until := s.until
		on := until.IsZero() || until.After(end)
		if on {
			until = end
		}
		if until.Before(from) || s.since.After(end) {
			continue
		}
		if on {
			out.OnSite++
		}
		row := VehicleStayRow{CommunityID: s.community, Plate: s.plate, Resident: s.resident, Since: s.since,
			Hours: float64(until.Sub(s.since).Round(6*time.Minute)) / float64(time.Hour), OnSite: on, OverThreshold: until.Sub(s.since) >= threshold}
		if !on {
			u := s.until
			row.Until = &u
		}
		out.Items = append(out.Items, row)
	}
	sort.SliceStable(out.Items, func(i, j int) bool { return out.Items[i].Hours > out.Items[j].Hours })
	if len(out.Items) > MaxVehicleStays {
		out.Items = out.Items[:MaxVehicleStays]
	}
	return out
}
