package service

import (
	"context"
	"fmt"

	"gatehouse/internal/access"
	"gatehouse/internal/gatehouse"
)

// DeviceStore is what a gate device's sync needs of storage.
type DeviceStore interface {
	CommunityReader
	CodeChanges(ctx context.Context, communityID, after int64, limit int) ([]gatehouse.CodeChange, error)
	LastCodeChange(ctx context.Context, communityID int64) (int64, error)
}

// OfflineLogger logs the decisions a controller made while offline.
type OfflineLogger interface {
	Offline(ctx context.Context, communityID, gateID int64, events []gatehouse.OfflineEvent) (*access.OfflineResult, error)
}

// Devices serves door controllers: what changed for their offline checks,
// and the decisions they made offline. A gate device acts only for its own
// gate.
type Devices struct {
	Store  DeviceStore
	Cards  *Cards
	Engine OfflineLogger
}

// SyncPage is how many changes one sync answers at most.
const SyncPage = 5000

// Sync is what changed for a gate after a cursor.
type Sync struct {
	Community                    *gatehouse.Community
	Cursor                       int64
	More                         bool    // more changes wait: sync again at once
	Revoked, Exhausted, MovedOut []int64 // passes revoked, used up; residents moved out
	Cards                        *GateCards
}

// ownGate is the rule for a device: it names its own gate, any other is not
// found; users never act as a device.
func ownGate(pr *gatehouse.Principal, gateID int64) error {
	if !pr.IsGate() {
		return forbidden("only a gate device (with its device key) may do this")
	}
	if gateID != pr.GateID {
		return gatehouse.NotFound("gate")
	}
	return nil
}

// Sync tells a controller what changed in its community after the cursor
// (0 for a first sync): passes revoked or used up, residents moved out,
// residents' cards (all of them on a first sync or when allCards).
func (s *Devices) Sync(ctx context.Context, pr *gatehouse.Principal, gateID, after int64, allCards bool) (*Sync, error) {
	if err := ownGate(pr, gateID); err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "cursor: must be a cursor from an earlier sync",
			Fields: map[string]string{"cursor": "must be a cursor from an earlier sync"}}
	}
	changes, err := s.Store.CodeChanges(ctx, pr.CommunityID, after, SyncPage)
	if err != nil {
		return nil, err
	}
	com, err := s.Store.Community(ctx, pr.CommunityID)
	if err != nil {
		return nil, err
	}
	out := &Sync{Community: com, Cursor: after, More: len(changes) == SyncPage, Revoked: []int64{}, Exhausted: []int64{}, MovedOut: []int64{}}
	for _, ch := range changes {
		switch ch.Kind {
		case gatehouse.PassRevoked:
			out.Revoked = append(out.Revoked, ch.SubjectID)
		case gatehouse.PassExhausted:
			out.Exhausted = append(out.Exhausted, ch.SubjectID)
		case gatehouse.ChangeMovedOut:
			out.MovedOut = append(out.MovedOut, ch.SubjectID)
		}
		out.Cursor = ch.ID
	}
	if len(changes) == 0 && after == 0 {
		if out.Cursor, err = s.Store.LastCodeChange(ctx, pr.CommunityID); err != nil {
			return nil, err
		}
	}
	if out.Cards, err = s.Cards.ForGate(ctx, pr.CommunityID, changes, after == 0 || allCards); err != nil {
		return nil, err
	}
	return out, nil
}

// Upload logs a batch of a controller's offline decisions, each exactly
// once (by its event id). received is how many events the controller sent
// (some may have been refused already as unreadable): a batch is at most
// access.MaxOfflineBatch.
func (s *Devices) Upload(ctx context.Context, pr *gatehouse.Principal, gateID int64, received int, events []gatehouse.OfflineEvent) (*access.OfflineResult, error) {
	if err := ownGate(pr, gateID); err != nil {
		return nil, err
	}
	if received > access.MaxOfflineBatch {
		return nil, gatehouse.FieldError("events", fmt.Sprintf("send at most %d events at a time", access.MaxOfflineBatch))
	}
	return s.Engine.Offline(ctx, pr.CommunityID, pr.GateID, events)
}
