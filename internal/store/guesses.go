package store

import (
	"context"

	"gatehouse/internal/gatehouse"
)

// IDNumberMatch says whether n is a stored visitor's number, on the
// community's watchlist or a resident's of the community (exact), and, when
// it is none, whether one of them shows the same masked form, whatever its
// type (near: n differs only in the hidden digits). Erased visitors are not
// compared.
func (db *DB) IDNumberMatch(ctx context.Context, communityID int64, n gatehouse.IDNumber) (exact, near bool, err error) {
	hash, masked := n.Hash(db.keys), n.Masked()
	if hash == "" {
		return false, false, nil
	}
	found := func(table string, where string, args ...any) (bool, error) {
		var ids []int64
		err := db.r.WithContext(ctx).Table(table).Where(where, args...).Limit(1).Pluck("id", &ids).Error
		return len(ids) > 0, err
	}
	for _, q := range []struct {
		table, where string
		args         []any
		into         *bool
	}{
		{"visitors", "id_hash = ?", []any{hash}, &exact},
		{"watchlist", "community_id = ? AND id_hash = ?", []any{communityID, hash}, &exact},
		{"residents", "community_id = ? AND id_hash = ?", []any{communityID, hash}, &exact},
		// Whatever type the number is given as: a candidate typed as
		// "other" is as much a guess.
		{"visitors", "id_masked = ? AND id_hash <> ? AND erased_at IS NULL", []any{masked, hash}, &near},
		{"watchlist", "community_id = ? AND id_masked = ? AND id_hash <> ?", []any{communityID, masked, hash}, &near},
		{"residents", "community_id = ? AND id_masked = ? AND id_hash <> ?", []any{communityID, masked, hash}, &near},
	} {
		if exact {
			break // a stored number is not a guess at one
		}
		if *q.into {
			continue
		}
		ok, err := found(q.table, q.where, q.args...)
		if err != nil {
			return false, false, internal("match an ID number", err)
		}
		*q.into = ok
	}
	return exact, near, nil
}
