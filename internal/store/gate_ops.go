package store

import (
	"context"
	"strconv"
	"strings"

	"gatehouse/internal/gatehouse"
)

// CodeChanges returns what changed in a community after the cursor, oldest
// first: passes revoked or used up, residents moved out, cards changed. Changes of passes
// that ended more than a day ago are left out: their window refuses them anyway.
func (db *DB) CodeChanges(ctx context.Context, communityID, after int64, limit int) ([]gatehouse.CodeChange, error) {
	var rows []codeChangeRow
	cutoff := db.now() - 24*3600*1_000_000
	err := db.r.WithContext(ctx).Model(&codeChangeRow{}).
		Where("community_id = ? AND id > ?", communityID, after).
		Where("kind IN ? OR subject_id IN (?)", []string{gatehouse.ChangeMovedOut, gatehouse.ChangeCard},
			db.r.Model(&passRow{}).Select("id").Where("community_id = ? AND valid_until > ?", communityID, cutoff)).
		Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, internal("read code changes", err)
	}
	out := make([]gatehouse.CodeChange, len(rows))
	for i, r := range rows {
		out[i] = gatehouse.CodeChange{ID: r.ID, SubjectID: r.SubjectID, Kind: r.Kind}
	}
	return out, nil
}

// LastCodeChange is the newest change id of a community (0 if none): the
// cursor a controller that is up to date holds.
func (db *DB) LastCodeChange(ctx context.Context, communityID int64) (int64, error) {
	var id *int64
	err := db.r.WithContext(ctx).Model(&codeChangeRow{}).Select("MAX(id)").Where("community_id = ?", communityID).Scan(&id).Error
	if err != nil {
		return 0, internal("read code changes", err)
	}
	if id == nil {
		return 0, nil
	}
	return *id, nil
}

// Onsite lists the people recorded inside communities, longest inside first,
// with each visitor's pass and host.
func (db *DB) Onsite(ctx context.Context, communityIDs []int64) ([]*gatehouse.OnsitePerson, error) {
	if communityIDs != nil && len(communityIDs) == 0 {
		return nil, nil
	}
	q := db.r.WithContext(ctx).Where("inside = ?", true)
	if communityIDs != nil {
		q = q.Where("community_id IN ?", communityIDs)
	}
	var rows []presenceRow
	if err := q.Order("since").Limit(10000).Find(&rows).Error; err != nil {
		return nil, internal("read presence", err)
	}
	var vids, rids, pids []int64
	for _, r := range rows {
		kind, id := parseSubject(r.Subject)
		switch kind {
		case 'v':
			vids = append(vids, id)
		case 'r':
			rids = append(rids, id)
		}
		if r.PassID != 0 {
			pids = append(pids, r.PassID)
		}
	}
	passes := map[int64]*gatehouse.Pass{}
	if len(pids) > 0 {
		ps, err := db.loadPasses(ctx, db.r.WithContext(ctx).Where("id IN ?", pids), len(pids))
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			passes[p.ID] = p
		}
	}
	visitors, err := db.VisitorsByID(ctx, vids)
	if err != nil {
		return nil, err
	}
	residents, err := db.ResidentsByID(ctx, rids)
	if err != nil {
		return nil, err
	}
	out := make([]*gatehouse.OnsitePerson, 0, len(rows))
	for _, r := range rows {
		kind, id := parseSubject(r.Subject)
		o := &gatehouse.OnsitePerson{Presence: gatehouse.Presence{CommunityID: r.CommunityID, Subject: gatehouse.Subject(r.Subject),
			PassID: r.PassID, EntryID: r.EntryID, Since: fromMicros(r.Since)}}
		if kind == 'v' {
			o.Visitor = visitors[id]
		} else {
			o.Resident = residents[id]
		}
		if p := passes[r.PassID]; p != nil {
			o.Pass, o.Host = p, p.Host
			if kind == 'v' {
				o.Visitor = p.Visitor // with what the pass says of them
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func parseSubject(s string) (byte, int64) {
	if len(s) < 2 {
		return 0, 0
	}
	id, _ := strconv.ParseInt(strings.TrimSpace(s[1:]), 10, 64)
	return s[0], id
}
