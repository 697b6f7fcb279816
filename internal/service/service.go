// Package service holds Gatehouse's use cases: each method takes the acting
// principal and plain inputs, checks who may do it and the rules, and
// returns domain values or a *gatehouse.Error. The HTTP handlers, the CLI
// (as the system principal) and the tests all go through it, so the answer
// to "who may do this?" is in one function. Each area declares the small
// store interface it needs beside it.
package service

import (
	"context"

	"gatehouse/internal/gatehouse"
)

// CommunityReader reads one community.
type CommunityReader interface {
	Community(ctx context.Context, id int64) (*gatehouse.Community, error)
}

// scopedCommunity is a community in the principal's scope; any other
// answers ENOTFOUND, as a community that does not exist would.
func scopedCommunity(ctx context.Context, st CommunityReader, p *gatehouse.Principal, id int64) (*gatehouse.Community, error) {
	if !p.InCommunity(id) {
		return nil, gatehouse.NotFound("community")
	}
	return st.Community(ctx, id)
}

// ResidentReader reads one resident.
type ResidentReader interface {
	Resident(ctx context.Context, id int64) (*gatehouse.Resident, error)
}

// scopedResident is a resident of a community in the principal's scope;
// any other, and any for a gate device, answers ENOTFOUND.
func scopedResident(ctx context.Context, st ResidentReader, p *gatehouse.Principal, id int64) (*gatehouse.Resident, error) {
	r, err := st.Resident(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.IsGate() || !p.InCommunity(r.CommunityID) {
		return nil, gatehouse.NotFound("resident")
	}
	return r, nil
}

// withoutHousehold reports a resident principal made without its household
// (its caller forgot it): it sees nothing, never its whole community.
func withoutHousehold(pr *gatehouse.Principal) bool {
	return pr.Role == gatehouse.RoleResident && pr.Household == nil
}

// forbidden is the answer to a role that may never do something.
func forbidden(msg string) error {
	return &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Message: msg}
}

// uniq returns ids without repeats, in first-seen order.
func uniq(ids []int64) []int64 {
	if len(ids) == 0 {
		return ids
	}
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
