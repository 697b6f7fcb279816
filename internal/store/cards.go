package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

// cardRow is a resident's card; Active is 1 until it is deleted, NULL after,
// so that a number is unique among the cards not deleted of a community.
type cardRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	ResidentID  int64
	Number      string
	Label       string
	ValidFrom   int64
	ValidUntil  *int64
	Active      *bool
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
	UpdatedAt   int64 `gorm:"autoUpdateTime:false"`
	DeletedAt   *int64
	DeletedBy   *int64
}

func (cardRow) TableName() string { return "cards" }

func cardDomain(r *cardRow) *gatehouse.Card {
	return &gatehouse.Card{ID: r.ID, CommunityID: r.CommunityID, ResidentID: r.ResidentID, Number: r.Number, Label: r.Label,
		ValidFrom: fromMicros(r.ValidFrom), ValidUntil: fromMicrosPtr(r.ValidUntil), CreatedBy: r.CreatedBy,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt), DeletedAt: fromMicrosPtr(r.DeletedAt)}
}

func cardsDomain(rows []cardRow) []*gatehouse.Card {
	out := make([]*gatehouse.Card, len(rows))
	for i := range rows {
		out[i] = cardDomain(&rows[i])
	}
	return out
}

var errDuplicateCard = &gatehouse.Error{Code: gatehouse.ECONFLICT,
	Message: "number: this card is already registered in this community; delete it there first",
	Fields:  map[string]string{"number": "this card is already registered in this community; delete it there first"}}

// CreateCard stores a validated card of a present resident and tells the
// community's gates. A card still registered to a resident who has moved
// out is deleted first: the card may be handed to the next occupant.
func (db *DB) CreateCard(ctx context.Context, c *gatehouse.Card) error {
	now := db.now()
	active := true
	row := cardRow{CommunityID: c.CommunityID, ResidentID: c.ResidentID, Number: c.Number, Label: c.Label,
		ValidFrom: micros(c.ValidFrom), Active: &active, CreatedBy: c.CreatedBy, CreatedAt: now, UpdatedAt: now}
	if c.ValidUntil != nil {
		v := micros(*c.ValidUntil)
		row.ValidUntil = &v
	}
	err := db.transact(ctx, func(tx *gorm.DB) error {
		var left []int64
		err := tx.Model(&cardRow{}).Where("community_id = ? AND number = ? AND active = 1", c.CommunityID, c.Number).
			Where("resident_id IN (?)", tx.Model(&residentRow{}).Select("id").Where("community_id = ? AND active IS NULL", c.CommunityID)).
			Pluck("id", &left).Error
		if err != nil {
			return err
		}
		if err := deleteCards(tx, c.CommunityID, left, c.CreatedBy, now); err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return tx.Create(&codeChangeRow{CommunityID: c.CommunityID, SubjectID: row.ID, Kind: gatehouse.ChangeCard, At: now}).Error
	})
	if isDuplicate(err) {
		return errDuplicateCard
	} else if isForeignKey(err) {
		return gatehouse.NotFound("resident")
	} else if err != nil {
		return internal("create card", err)
	}
	c.ID = row.ID
	c.CreatedAt, c.UpdatedAt = fromMicros(now), fromMicros(now)
	return nil
}

// deleteCards marks cards deleted, each with its change for the gates.
func deleteCards(tx *gorm.DB, communityID int64, ids []int64, by, now int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := tx.Model(&cardRow{}).Where("id IN ?", ids).
		Updates(map[string]any{"active": nil, "deleted_at": now, "deleted_by": by, "updated_at": now}).Error
	if err != nil {
		return err
	}
	changes := make([]codeChangeRow, len(ids))
	for i, id := range ids {
		changes[i] = codeChangeRow{CommunityID: communityID, SubjectID: id, Kind: gatehouse.ChangeCard, At: now}
	}
	return tx.Create(&changes).Error
}

// Card reads one card (deleted or not), or ENOTFOUND.
func (db *DB) Card(ctx context.Context, id int64) (*gatehouse.Card, error) {
	var r cardRow
	err := db.r.WithContext(ctx).Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("card")
	} else if err != nil {
		return nil, internal("read card", err)
	}
	return cardDomain(&r), nil
}

// ResidentCards lists a resident's cards not deleted, oldest first.
func (db *DB) ResidentCards(ctx context.Context, residentID int64) ([]*gatehouse.Card, error) {
	var rows []cardRow
	if err := db.r.WithContext(ctx).Where("resident_id = ? AND active = 1", residentID).Order("id").Find(&rows).Error; err != nil {
		return nil, internal("read cards", err)
	}
	return cardsDomain(rows), nil
}

// DeleteCard deletes a card (kept for the log) and tells the gates.
func (db *DB) DeleteCard(ctx context.Context, id, by int64) error {
	now := db.now()
	err := db.transact(ctx, func(tx *gorm.DB) error {
		var r cardRow
		if err := tx.Where("id = ? AND active = 1", id).Take(&r).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return gatehouse.NotFound("card")
		} else if err != nil {
			return err
		}
		return deleteCards(tx, r.CommunityID, []int64{id}, by, now)
	})
	return internal("delete card", err)
}

// LiveCards lists the cards of a community that open doors at now: not
// deleted, not expired, of a present resident (those not valid yet too:
// controllers hold them with their dates).
func (db *DB) LiveCards(ctx context.Context, communityID int64, now time.Time) ([]*gatehouse.Card, error) {
	var rows []cardRow
	err := db.r.WithContext(ctx).Where("community_id = ? AND active = 1 AND (valid_until IS NULL OR valid_until > ?)", communityID, micros(now)).
		Where("resident_id IN (?)", db.r.Model(&residentRow{}).Select("id").Where("community_id = ? AND active = 1", communityID)).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, internal("read cards", err)
	}
	return cardsDomain(rows), nil
}

// CardsForChanges reads the cards named by card changes and every card of
// the residents named by moved-out changes: what a gate must read again.
func (db *DB) CardsForChanges(ctx context.Context, communityID int64, cardIDs, movedOut []int64) ([]*gatehouse.Card, error) {
	if len(cardIDs) == 0 && len(movedOut) == 0 {
		return nil, nil
	}
	q := db.r.WithContext(ctx).Where("community_id = ?", communityID)
	switch {
	case len(cardIDs) > 0 && len(movedOut) > 0:
		q = q.Where("id IN ? OR resident_id IN ?", cardIDs, movedOut)
	case len(cardIDs) > 0:
		q = q.Where("id IN ?", cardIDs)
	default:
		q = q.Where("resident_id IN ?", movedOut)
	}
	var rows []cardRow
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, internal("read cards", err)
	}
	return cardsDomain(rows), nil
}

// CardAt is the card that bore number in a community at t (registered by
// then, not deleted before), the newest if several; or ENOTFOUND.
func (db *DB) CardAt(ctx context.Context, communityID int64, number string, t time.Time) (*gatehouse.Card, error) {
	var r cardRow
	at := micros(t)
	err := db.r.WithContext(ctx).Where("community_id = ? AND number = ? AND created_at <= ?", communityID, number, at).
		Order("created_at DESC, id DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Swiped before it was registered (a board clock behind): the
		// newest card of the number, judged by its own dates.
		err = db.r.WithContext(ctx).Where("community_id = ? AND number = ?", communityID, number).Order("id DESC").Take(&r).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("card")
	} else if err != nil {
		return nil, internal("read card", err)
	}
	return cardDomain(&r), nil
}
