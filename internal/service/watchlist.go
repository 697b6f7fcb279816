package service

import (
	"context"
	"strings"

	"gatehouse/internal/gatehouse"
)

// WatchlistStore is what the watchlist needs of storage.
type WatchlistStore interface {
	CommunityReader
	AddToWatchlist(ctx context.Context, w *gatehouse.WatchlistEntry, idNumber string) error
	Watchlist(ctx context.Context, communityIDs []int64, page gatehouse.Page) ([]*gatehouse.WatchlistEntry, int64, error)
	WatchlistEntry(ctx context.Context, id int64) (*gatehouse.WatchlistEntry, error)
	RemoveFromWatchlist(ctx context.Context, id int64) error
}

// Watchlist keeps each community's list of people its guards must not let
// in: managers and admin change it, guards read it (numbers masked).
type Watchlist struct {
	Store   WatchlistStore
	Guesses *IDGuesses // a manager may not list candidates to learn which one a scan refuses
}

// WatchInput is a person to watch, as typed.
type WatchInput struct {
	CommunityID            int64
	IDType                 gatehouse.IDType // default resident_id
	IDNumber, Name, Reason string
}

func mayChangeWatchlist(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only managers and admin change the watchlist")
	}
	return nil
}

// Add puts a person on a community's watchlist: their passes are refused
// with "watchlisted" from the next scan on. Adding someone already listed
// lists them again (saying so would confirm a guessed number).
func (s *Watchlist) Add(ctx context.Context, pr *gatehouse.Principal, in WatchInput) (*gatehouse.WatchlistEntry, error) {
	if err := mayChangeWatchlist(pr); err != nil {
		return nil, err
	}
	var probs gatehouse.Problems
	probs.Check(in.CommunityID > 0, "community_id", "is required")
	if in.IDType == "" {
		in.IDType = gatehouse.IDResident
	}
	n := gatehouse.NormalizeIDNumber(in.IDNumber)
	if !in.IDType.Valid() {
		probs.Add("id_type", "must be one of resident_id, passport, hk_macao_permit, taiwan_permit, other")
	} else if msg := gatehouse.ValidateIDNumber(in.IDType, n); msg != "" {
		probs.Add("id_number", msg)
	}
	in.Reason, in.Name = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Name)
	probs.Check(in.Reason != "", "reason", "is required: guards see it")
	if msg := gatehouse.ValidateText(in.Reason, 200); msg != "" {
		probs.Add("reason", msg)
	}
	if msg := gatehouse.ValidateText(in.Name, 64); msg != "" {
		probs.Add("name", msg)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, in.CommunityID); err != nil {
		return nil, err
	}
	if err := s.Guesses.Check(ctx, pr, in.CommunityID, gatehouse.NewIDNumber(n), "id_number"); err != nil {
		return nil, err
	}
	w := &gatehouse.WatchlistEntry{CommunityID: in.CommunityID, Name: in.Name, Reason: in.Reason, CreatedBy: pr.UserID}
	if err := s.Store.AddToWatchlist(ctx, w, n); err != nil {
		return nil, err
	}
	return w, nil
}

// List is the watchlist of the communities in scope: staff.
func (s *Watchlist) List(ctx context.Context, pr *gatehouse.Principal, communityID int64, page gatehouse.Page) ([]*gatehouse.WatchlistEntry, int64, error) {
	switch {
	case pr.IsGate(), pr.Role != gatehouse.RoleGuard && pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin:
		return nil, 0, forbidden("only guards, managers and admin read the watchlist")
	}
	return s.Store.Watchlist(ctx, pr.ScopeCommunities(communityID), page)
}

// Remove takes a person off a community's watchlist.
func (s *Watchlist) Remove(ctx context.Context, pr *gatehouse.Principal, id int64) error {
	if err := mayChangeWatchlist(pr); err != nil {
		return err
	}
	w, err := s.Store.WatchlistEntry(ctx, id)
	if err != nil {
		return err
	}
	if !pr.InCommunity(w.CommunityID) {
		return gatehouse.NotFound("watchlist entry")
	}
	return s.Store.RemoveFromWatchlist(ctx, id)
}
