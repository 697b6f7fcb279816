package service

import (
	"gatehouse/internal/gatehouse"
)

// Watch is the rule for a live stream: guards, managers and admin watch
// every decision of a community in scope; a resident (its own community by
// default) only the granted arrivals of its household's guests. It returns
// the community to watch and the filter of its events (nil: all).
func Watch(pr *gatehouse.Principal, communityID int64) (int64, func(*gatehouse.DecisionEvent) bool, error) {
	switch {
	case pr.IsGate():
		return 0, nil, forbidden("a gate device may only scan, sync and upload events")
	case pr.Role == gatehouse.RolePolice:
		return 0, nil, forbidden("only guards, managers, admin and residents watch live decisions")
	}
	if pr.Role == gatehouse.RoleResident && communityID == 0 && pr.Household != nil {
		communityID = pr.Household.CommunityID
	}
	if communityID == 0 {
		return 0, nil, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "community_id: is required", Fields: map[string]string{"community_id": "is required"}}
	}
	if !pr.InCommunity(communityID) {
		return 0, nil, gatehouse.NotFound("community")
	}
	if pr.Role != gatehouse.RoleResident {
		return communityID, nil, nil
	}
	if withoutHousehold(pr) {
		return communityID, func(*gatehouse.DecisionEvent) bool { return false }, nil
	}
	home := *pr.Household
	return communityID, func(ev *gatehouse.DecisionEvent) bool {
		return ev.Host != nil && ev.Host.Household() == home && ev.Entry.Direction == gatehouse.In && ev.Entry.Decision == gatehouse.Grant
	}, nil
}

// StillWatching reports whether a stream opened as was may go on for the
// account as it is now: a resident's stream is for one household from one
// moment, so a move (another dwelling, or moved in again) ends it, and the
// browser reconnects as what the account is now.
func StillWatching(was, now *gatehouse.Principal) bool {
	if now == nil || now.UserID != was.UserID || now.Role != was.Role {
		return false
	}
	if was.Role != gatehouse.RoleResident {
		return true
	}
	if (was.Household == nil) != (now.Household == nil) {
		return false
	}
	return (was.Household == nil || *was.Household == *now.Household) && was.MovedInAt.Equal(now.MovedInAt)
}
