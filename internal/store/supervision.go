package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"gorm.io/gorm"

	"gatehouse/internal/gatehouse"
)

type companyRow struct {
	ID         int64 `gorm:"primaryKey"`
	Name       string
	CreditCode string
	Contact    string
	CreatedAt  int64 `gorm:"autoCreateTime:false"`
	UpdatedAt  int64 `gorm:"autoUpdateTime:false"`
}

func (companyRow) TableName() string { return "companies" }

func (r *companyRow) domain() *gatehouse.Company {
	return &gatehouse.Company{ID: r.ID, Name: r.Name, CreditCode: r.CreditCode, Contact: r.Contact,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
}

var errCreditCodeTaken = gatehouse.FieldError("credit_code", "another company has this credit code")

func init() { errCreditCodeTaken.Code = gatehouse.ECONFLICT }

// CreateCompany stores a new company; its credit code is unique.
func (db *DB) CreateCompany(ctx context.Context, c *gatehouse.Company) error {
	now := db.Now().UTC()
	row := companyRow{Name: c.Name, CreditCode: c.CreditCode, Contact: c.Contact, CreatedAt: micros(now), UpdatedAt: micros(now)}
	if err := db.w.WithContext(ctx).Create(&row).Error; err != nil {
		if isDuplicate(err) {
			return errCreditCodeTaken
		}
		return internal("create company", err)
	}
	*c = *row.domain()
	return nil
}

// UpdateCompany stores a company's changed fields.
func (db *DB) UpdateCompany(ctx context.Context, c *gatehouse.Company) error {
	c.UpdatedAt = db.Now().UTC()
	err := db.w.WithContext(ctx).Model(&companyRow{}).Where("id = ?", c.ID).
		Updates(map[string]any{"name": c.Name, "credit_code": c.CreditCode, "contact": c.Contact, "updated_at": micros(c.UpdatedAt)}).Error
	if isDuplicate(err) {
		return errCreditCodeTaken
	}
	return internal("update company", err)
}

// Company returns a company.
func (db *DB) Company(ctx context.Context, id int64) (*gatehouse.Company, error) {
	var row companyRow
	if err := db.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, gatehouse.NotFound("company")
		}
		return nil, internal("read company", err)
	}
	return row.domain(), nil
}

// Companies returns every company, by name.
func (db *DB) Companies(ctx context.Context) ([]*gatehouse.Company, error) {
	var rows []companyRow
	if err := db.r.WithContext(ctx).Order("name, id").Find(&rows).Error; err != nil {
		return nil, internal("list companies", err)
	}
	out := make([]*gatehouse.Company, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

type assignmentRow struct {
	ID                int64 `gorm:"primaryKey"`
	CommunityID       int64
	CompanyID         int64
	Street            string
	DeclaredDwellings int
	FromAt            int64
	CreatedBy         int64
	CreatedAt         int64 `gorm:"autoCreateTime:false"`
}

func (assignmentRow) TableName() string { return "community_assignments" }

// AddAssignment records which company runs a community from a moment on;
// the earlier assignments stay (past months keep their company).
func (db *DB) AddAssignment(ctx context.Context, a *gatehouse.Assignment) error {
	a.CreatedAt = db.Now().UTC()
	row := assignmentRow{CommunityID: a.CommunityID, CompanyID: a.CompanyID, Street: a.Street, DeclaredDwellings: a.DeclaredDwellings,
		FromAt: micros(a.From), CreatedBy: a.CreatedBy, CreatedAt: micros(a.CreatedAt)}
	err := db.retry(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return db.supervisionChanged(gormExec(tx), a.CommunityID, micros(a.CreatedAt))
	})
	if err != nil {
		return internal("assign community", err)
	}
	a.ID = row.ID
	return nil
}

// Assignments returns the assignment history of communities (nil: every
// community), oldest first per community.
func (db *DB) Assignments(ctx context.Context, communityIDs []int64) ([]*gatehouse.Assignment, error) {
	var rows []assignmentRow
	q := db.r.WithContext(ctx)
	if communityIDs != nil {
		q = q.Where("community_id IN ?", append(communityIDs, 0))
	}
	if err := q.Order("community_id, from_at, id").Find(&rows).Error; err != nil {
		return nil, internal("read assignments", err)
	}
	out := make([]*gatehouse.Assignment, len(rows))
	for i, r := range rows {
		out[i] = &gatehouse.Assignment{ID: r.ID, CommunityID: r.CommunityID, CompanyID: r.CompanyID, Street: r.Street,
			DeclaredDwellings: r.DeclaredDwellings, From: fromMicros(r.FromAt), CreatedBy: r.CreatedBy, CreatedAt: fromMicros(r.CreatedAt)}
	}
	return out, nil
}

type schemeRow struct {
	Version       int `gorm:"primaryKey;autoIncrement:false"`
	EffectiveFrom string
	Body          string
	CreatedBy     int64
	CreatedAt     int64 `gorm:"autoCreateTime:false"`
}

func (schemeRow) TableName() string { return "supervision_schemes" }

// SaveScheme stores a new version of the scheme (its number one past the
// newest), never changing an older one.
func (db *DB) SaveScheme(ctx context.Context, s *gatehouse.Scheme) error {
	return db.retry(ctx, func(tx *gorm.DB) error {
		var last struct{ V *int }
		if err := tx.Model(&schemeRow{}).Select("MAX(version) AS v").Scan(&last).Error; err != nil {
			return internal("read scheme versions", err)
		}
		s.Version = 1
		if last.V != nil {
			s.Version = *last.V + 1
		}
		s.CreatedAt = db.Now().UTC()
		body, err := json.Marshal(s)
		if err != nil {
			return err
		}
		err = tx.Create(&schemeRow{Version: s.Version, EffectiveFrom: s.EffectiveFrom, Body: string(body), CreatedBy: s.CreatedBy,
			CreatedAt: micros(s.CreatedAt)}).Error
		if isDuplicate(err) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "another scheme was saved at the same moment; try again")
		}
		return internal("save scheme", err)
	})
}

// Schemes returns every stored version of the scheme, oldest first.
func (db *DB) Schemes(ctx context.Context) ([]*gatehouse.Scheme, error) {
	var rows []schemeRow
	if err := db.r.WithContext(ctx).Order("version").Find(&rows).Error; err != nil {
		return nil, internal("read schemes", err)
	}
	out := make([]*gatehouse.Scheme, len(rows))
	for i, r := range rows {
		s := &gatehouse.Scheme{}
		if err := json.Unmarshal([]byte(r.Body), s); err != nil {
			return nil, internal("read scheme", err)
		}
		s.Version, s.EffectiveFrom, s.CreatedBy, s.CreatedAt = r.Version, r.EffectiveFrom, r.CreatedBy, fromMicros(r.CreatedAt)
		out[i] = s
	}
	return out, nil
}

// retry runs fn in a write transaction, again on a deadlock.
func (db *DB) retry(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var err error
	for range 3 {
		err = db.w.WithContext(ctx).Transaction(fn)
		if !isRetryable(err) {
			return err
		}
	}
	return internal("write", err)
}

type inspectionRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	Day         string
	Month       string
	Inspector   string
	ItemsMet    string
	Notes       string
	Photos      int
	CreatedBy   int64
	CreatedRole string
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
}

func (inspectionRow) TableName() string { return "inspections" }

type inspectionPhotoRow struct {
	InspectionID int64 `gorm:"primaryKey;autoIncrement:false"`
	N            int   `gorm:"primaryKey;autoIncrement:false"`
	ContentType  string
	Data         []byte
}

func (inspectionPhotoRow) TableName() string { return "inspection_photos" }

// CreateInspection stores an inspection with its photos, in one transaction.
func (db *DB) CreateInspection(ctx context.Context, in *gatehouse.Inspection, photos []gatehouse.InspectionPhoto) error {
	in.CreatedAt, in.Photos = db.Now().UTC(), len(photos)
	row := inspectionRow{CommunityID: in.CommunityID, Day: in.Date, Month: in.Month(), Inspector: in.Inspector,
		ItemsMet: strings.Join(in.ItemsMet, ","), Notes: in.Notes, Photos: len(photos), CreatedBy: in.CreatedBy,
		CreatedRole: string(in.CreatedRole), CreatedAt: micros(in.CreatedAt)}
	err := db.retry(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		for i, p := range photos {
			if err := tx.Create(&inspectionPhotoRow{InspectionID: row.ID, N: i + 1, ContentType: p.ContentType, Data: p.Data}).Error; err != nil {
				return err
			}
		}
		return db.supervisionChanged(gormExec(tx), in.CommunityID, micros(in.CreatedAt))
	})
	if err != nil {
		return internal("create inspection", err)
	}
	in.ID = row.ID
	return nil
}

// Inspections returns the inspections of communities (nil: every one) in
// months from..to (YYYY-MM, inclusive), by day.
func (db *DB) Inspections(ctx context.Context, communityIDs []int64, from, to string) ([]*gatehouse.Inspection, error) {
	var rows []inspectionRow
	q := db.r.WithContext(ctx).Where("month >= ? AND month <= ?", from, to)
	if communityIDs != nil {
		q = q.Where("community_id IN ?", append(communityIDs, 0))
	}
	if err := q.Order("day, id").Find(&rows).Error; err != nil {
		return nil, internal("read inspections", err)
	}
	out := make([]*gatehouse.Inspection, len(rows))
	for i, r := range rows {
		var items []string
		if r.ItemsMet != "" {
			items = strings.Split(r.ItemsMet, ",")
		}
		out[i] = &gatehouse.Inspection{ID: r.ID, CommunityID: r.CommunityID, Date: r.Day, Inspector: r.Inspector, ItemsMet: items,
			Notes: r.Notes, Photos: r.Photos, CreatedBy: r.CreatedBy, CreatedRole: gatehouse.Role(r.CreatedRole), CreatedAt: fromMicros(r.CreatedAt)}
	}
	return out, nil
}

// InspectionPhoto returns photo n of an inspection and the inspection's community.
func (db *DB) InspectionPhoto(ctx context.Context, inspectionID int64, n int) (*gatehouse.InspectionPhoto, int64, error) {
	var in inspectionRow
	if err := db.r.WithContext(ctx).Where("id = ?", inspectionID).Take(&in).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, 0, gatehouse.NotFound("photo")
		}
		return nil, 0, internal("read inspection", err)
	}
	var row inspectionPhotoRow
	if err := db.r.WithContext(ctx).Where("inspection_id = ? AND n = ?", inspectionID, n).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, in.CommunityID, gatehouse.NotFound("photo")
		}
		return nil, 0, internal("read photo", err)
	}
	return &gatehouse.InspectionPhoto{ContentType: row.ContentType, Data: row.Data}, in.CommunityID, nil
}

type incidentRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	Day         string
	Month       string
	Category    string
	CaseRef     string
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
}

func (incidentRow) TableName() string { return "incidents" }

// CreateIncident stores an incident.
func (db *DB) CreateIncident(ctx context.Context, in *gatehouse.Incident) error {
	in.CreatedAt = db.Now().UTC()
	row := incidentRow{CommunityID: in.CommunityID, Day: in.Date, Month: in.Month(), Category: in.Category, CaseRef: in.CaseRef,
		CreatedBy: in.CreatedBy, CreatedAt: micros(in.CreatedAt)}
	err := db.retry(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return db.supervisionChanged(gormExec(tx), in.CommunityID, micros(in.CreatedAt))
	})
	if err != nil {
		return internal("create incident", err)
	}
	in.ID = row.ID
	return nil
}

// Incidents returns the incidents of communities (nil: every one) in months
// from..to (inclusive), by day.
func (db *DB) Incidents(ctx context.Context, communityIDs []int64, from, to string) ([]*gatehouse.Incident, error) {
	var rows []incidentRow
	q := db.r.WithContext(ctx).Where("month >= ? AND month <= ?", from, to)
	if communityIDs != nil {
		q = q.Where("community_id IN ?", append(communityIDs, 0))
	}
	if err := q.Order("day, id").Find(&rows).Error; err != nil {
		return nil, internal("read incidents", err)
	}
	out := make([]*gatehouse.Incident, len(rows))
	for i, r := range rows {
		out[i] = &gatehouse.Incident{ID: r.ID, CommunityID: r.CommunityID, Date: r.Day, Category: r.Category, CaseRef: r.CaseRef,
			CreatedBy: r.CreatedBy, CreatedAt: fromMicros(r.CreatedAt)}
	}
	return out, nil
}

type rectificationRow struct {
	ID          int64 `gorm:"primaryKey"`
	CommunityID int64
	CompanyID   int64
	Month       string
	Reason      string
	Deadline    int64
	Status      string
	Answer      string
	AnsweredAt  *int64
	Note        string
	ClosedAt    *int64
	CreatedBy   int64
	CreatedAt   int64 `gorm:"autoCreateTime:false"`
	UpdatedAt   int64 `gorm:"autoUpdateTime:false"`
}

func (rectificationRow) TableName() string { return "rectifications" }

func (r *rectificationRow) domain() *gatehouse.Rectification {
	return &gatehouse.Rectification{ID: r.ID, CommunityID: r.CommunityID, CompanyID: r.CompanyID, Month: r.Month, Reason: r.Reason,
		Deadline: fromMicros(r.Deadline), Status: r.Status, Answer: r.Answer, AnsweredAt: fromMicrosPtr(r.AnsweredAt), Note: r.Note,
		ClosedAt: fromMicrosPtr(r.ClosedAt), CreatedBy: r.CreatedBy, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
}

func rectificationOf(r *gatehouse.Rectification) rectificationRow {
	return rectificationRow{ID: r.ID, CommunityID: r.CommunityID, CompanyID: r.CompanyID, Month: r.Month, Reason: r.Reason,
		Deadline: micros(r.Deadline), Status: r.Status, Answer: r.Answer, AnsweredAt: microsPtr(r.AnsweredAt), Note: r.Note,
		ClosedAt: microsPtr(r.ClosedAt), CreatedBy: r.CreatedBy, CreatedAt: micros(r.CreatedAt), UpdatedAt: micros(r.UpdatedAt)}
}

// CreateRectification stores a rectification order.
func (db *DB) CreateRectification(ctx context.Context, r *gatehouse.Rectification) error {
	r.CreatedAt = db.Now().UTC()
	r.UpdatedAt = r.CreatedAt
	row := rectificationOf(r)
	if err := db.w.WithContext(ctx).Create(&row).Error; err != nil {
		return internal("create rectification", err)
	}
	r.ID = row.ID
	return nil
}

// UpdateRectification stores an order's new status, answer or note.
func (db *DB) UpdateRectification(ctx context.Context, r *gatehouse.Rectification) error {
	r.UpdatedAt = db.Now().UTC()
	row := rectificationOf(r)
	err := db.w.WithContext(ctx).Model(&rectificationRow{}).Where("id = ?", r.ID).Updates(map[string]any{"status": row.Status,
		"answer": row.Answer, "answered_at": row.AnsweredAt, "note": row.Note, "closed_at": row.ClosedAt, "updated_at": row.UpdatedAt}).Error
	return internal("update rectification", err)
}

// Rectification returns an order.
func (db *DB) Rectification(ctx context.Context, id int64) (*gatehouse.Rectification, error) {
	var row rectificationRow
	if err := db.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, gatehouse.NotFound("rectification order")
		}
		return nil, internal("read rectification", err)
	}
	return row.domain(), nil
}

// Rectifications lists orders, oldest deadline first.
func (db *DB) Rectifications(ctx context.Context, f gatehouse.RectificationFilter) ([]*gatehouse.Rectification, error) {
	var rows []rectificationRow
	q := db.r.WithContext(ctx)
	if f.CommunityIDs != nil {
		q = q.Where("community_id IN ?", append(f.CommunityIDs, 0))
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Month != "" {
		q = q.Where("month = ?", f.Month)
	}
	if err := q.Order("deadline, id").Limit(5000).Find(&rows).Error; err != nil {
		return nil, internal("list rectifications", err)
	}
	out := make([]*gatehouse.Rectification, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

type publicationRow struct {
	Month       string `gorm:"primaryKey"`
	Version     int    `gorm:"primaryKey;autoIncrement:false"`
	Reason      string
	PublishedAt int64
	PublishedBy int64
	Body        string
}

func (publicationRow) TableName() string { return "supervision_publications" }

// SavePublication stores a month's results as published, as the month's
// next version; orders opened with it are stored in the same transaction.
func (db *DB) SavePublication(ctx context.Context, p *gatehouse.Publication, orders []*gatehouse.Rectification) error {
	return db.retry(ctx, func(tx *gorm.DB) error {
		var last struct{ V *int }
		if err := tx.Model(&publicationRow{}).Select("MAX(version) AS v").Where("month = ?", p.Month).Scan(&last).Error; err != nil {
			return internal("read publications", err)
		}
		p.Version = 1
		if last.V != nil {
			p.Version = *last.V + 1
		}
		p.PublishedAt = db.Now().UTC()
		err := tx.Create(&publicationRow{Month: p.Month, Version: p.Version, Reason: p.Reason, PublishedAt: micros(p.PublishedAt),
			PublishedBy: p.PublishedBy, Body: string(p.Body)}).Error
		if isDuplicate(err) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "the month was published by someone else at the same moment")
		}
		if err != nil {
			return internal("publish", err)
		}
		for _, o := range orders {
			o.CreatedAt, o.UpdatedAt = p.PublishedAt, p.PublishedAt
			row := rectificationOf(o)
			if err := tx.Create(&row).Error; err != nil {
				return internal("create rectification", err)
			}
			o.ID = row.ID
		}
		return nil
	})
}

// Publication returns the newest published version of a month.
func (db *DB) Publication(ctx context.Context, month string) (*gatehouse.Publication, error) {
	var row publicationRow
	err := db.r.WithContext(ctx).Where("month = ?", month).Order("version DESC").Limit(1).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, gatehouse.NotFound("published month")
	}
	if err != nil {
		return nil, internal("read publication", err)
	}
	return &gatehouse.Publication{Month: row.Month, Version: row.Version, Reason: row.Reason, PublishedAt: fromMicros(row.PublishedAt),
		PublishedBy: row.PublishedBy, Body: []byte(row.Body)}, nil
}

// PublishedMonths lists the months published, newest first.
func (db *DB) PublishedMonths(ctx context.Context) ([]string, error) {
	var months []string
	if err := db.r.WithContext(ctx).Model(&publicationRow{}).Distinct("month").Order("month DESC").Pluck("month", &months).Error; err != nil {
		return nil, internal("list publications", err)
	}
	return months, nil
}
