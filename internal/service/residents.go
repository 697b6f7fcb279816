package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// ResidentStore is what the resident use cases need of storage.
type ResidentStore interface {
	CommunityReader
	CreateResident(ctx context.Context, r *gatehouse.Resident) error
	ImportResidents(ctx context.Context, rs []*gatehouse.Resident) error
	Resident(ctx context.Context, id int64) (*gatehouse.Resident, error)
	Residents(ctx context.Context, f gatehouse.ResidentFilter, page gatehouse.Page) ([]*gatehouse.Resident, int64, error)
	UpdateResident(ctx context.Context, r *gatehouse.Resident) error
	MoveOutResident(ctx context.Context, id, by int64) error
}

// Auditor writes an access-audit event; what it records is shown only once
// it is written.
type Auditor interface {
	Audit(ctx context.Context, a *gatehouse.AuditEvent) error
}

// ResidentCoder makes a resident's current rotating code.
type ResidentCoder interface {
	ResidentCode(r *gatehouse.Resident) (string, time.Time, error)
}

// Residents registers, changes, lists and moves out residents.
type Residents struct {
	Store ResidentStore
	Audit Auditor
	Codes ResidentCoder
	Now   func() time.Time
}

// ResidentInput is a resident as typed; nil fields stay as they are (on
// update) or are empty (on create).
type ResidentInput struct {
	CommunityID                                 *int64
	Name, IDNumber, Phone, Building, Unit, Room *string
	IDType                                      *gatehouse.IDType
}

func (in ResidentInput) apply(r *gatehouse.Resident) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	if in.CommunityID != nil {
		r.CommunityID = *in.CommunityID
	}
	set(&r.Name, in.Name)
	if in.IDType != nil {
		r.IDType = *in.IDType
	}
	if in.IDNumber != nil {
		r.IDNumber = gatehouse.NewIDNumber(*in.IDNumber)
	}
	set(&r.Phone, in.Phone)
	set(&r.Building, in.Building)
	set(&r.Unit, in.Unit)
	set(&r.Room, in.Room)
	r.Normalize()
}

// mayManage is the rule for changing residents: managers of the community
// and admin.
func mayManage(pr *gatehouse.Principal) error {
	if pr.IsGate() || (pr.Role != gatehouse.RoleManager && pr.Role != gatehouse.RoleAdmin) {
		return forbidden("only managers and admin register, change and move out residents")
	}
	return nil
}

// Create registers a resident of a community in the principal's scope.
func (s *Residents) Create(ctx context.Context, pr *gatehouse.Principal, in ResidentInput) (*gatehouse.Resident, error) {
	if err := mayManage(pr); err != nil {
		return nil, err
	}
	r := &gatehouse.Resident{}
	in.apply(r)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, r.CommunityID); err != nil {
		return nil, err
	}
	if err := s.Store.CreateResident(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// CanSeeResident is the rule for reading a resident: its community for
// staff and police; for a resident, the present members of its own
// household (a new occupant never sees who lived there before).
func CanSeeResident(pr *gatehouse.Principal, r *gatehouse.Resident) bool {
	if pr.IsGate() || !pr.InCommunity(r.CommunityID) {
		return false
	}
	if pr.Role == gatehouse.RoleResident {
		return pr.Household != nil && *pr.Household == r.Household() && r.MovedOutAt == nil
	}
	return true
}

// Get is one resident the principal may see, else ENOTFOUND.
func (s *Residents) Get(ctx context.Context, pr *gatehouse.Principal, id int64) (*gatehouse.Resident, error) {
	if pr.IsGate() {
		return nil, forbidden("a gate device may only scan, sync and upload events")
	}
	r, err := s.Store.Resident(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanSeeResident(pr, r) {
		return nil, gatehouse.NotFound("resident")
	}
	return r, nil
}

// ResidentQuery narrows a list of residents as a caller asks.
type ResidentQuery struct {
	CommunityID     int64
	Building        string
	Q               string // a name, phone or room; an ID number only for admin and police
	IncludeMovedOut bool
}

// List lists the residents the principal may see. A q that is an ID number
// is an ID search (gatehouse.SearchByID): refused to roles that may not see
// numbers whole, audited before it runs for the others.
func (s *Residents) List(ctx context.Context, pr *gatehouse.Principal, q ResidentQuery, page gatehouse.Page) ([]*gatehouse.Resident, int64, error) {
	f := gatehouse.ResidentFilter{CommunityIDs: pr.ScopeCommunities(q.CommunityID), Building: q.Building, Query: q.Q,
		IncludeMovedOut: q.IncludeMovedOut}
	if pr.Role == gatehouse.RoleResident {
		f.Household, f.IncludeMovedOut = pr.Household, false
	}
	if n := gatehouse.NormalizeIDNumber(q.Q); gatehouse.LooksLikeIDNumber(n) {
		ev, err := gatehouse.SearchByID(pr, q.CommunityID, "GET /residents q")
		if err != nil {
			return nil, 0, err
		}
		if err := s.Audit.Audit(ctx, ev); err != nil {
			return nil, 0, err
		}
		f.IDNumber = gatehouse.NewIDNumber(n)
	}
	f.Dwelling = ParseDwelling(q.Q)
	if withoutHousehold(pr) {
		return []*gatehouse.Resident{}, 0, nil
	}
	return s.Store.Residents(ctx, f, page)
}

// dwellingPattern is a dwelling as a guard types it: building, unit and room,
// each part ended by its word (栋 单元 室) or a separator: "3-2-502",
// "3栋2单元502", "3/2/502", "3 2 502", "A座1单元1201室".
var dwellingPattern = regexp.MustCompile(`^([0-9A-Z]+)\s*(?:栋|幢|座|号楼|-|/|\.|\s)[\s\-/.]*([0-9A-Z]+)\s*(?:单元|-|/|\.|\s)[\s\-/.]*([0-9A-Z]+)\s*(?:室|号)?$`)

// ParseDwelling reads a typed dwelling into the spellings it may be stored
// under; nil when q is no dwelling.
func ParseDwelling(q string) *gatehouse.DwellingMatch {
	m := dwellingPattern.FindStringSubmatch(gatehouse.NormalizeDwelling(q))
	if m == nil {
		return nil
	}
	b, u, r := m[1], m[2], m[3]
	return &gatehouse.DwellingMatch{
		Buildings: []string{b, b + "栋", b + "幢", b + "座", b + "号楼"},
		Units:     []string{u, u + "单元"},
		Rooms:     []string{r, r + "室", r + "号"},
	}
}

// Update changes a present resident; it stays in its community.
func (s *Residents) Update(ctx context.Context, pr *gatehouse.Principal, id int64, in ResidentInput) (*gatehouse.Resident, error) {
	if err := mayManage(pr); err != nil {
		return nil, err
	}
	r, err := s.Get(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if in.CommunityID != nil && *in.CommunityID != r.CommunityID {
		return nil, gatehouse.FieldError("community_id", "a resident cannot move between communities; move them out and register them in the other")
	}
	if r.MovedOutAt != nil {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this resident has moved out and can no longer be changed")
	}
	home := r.Household()
	in.apply(r)
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Household() != home {
		// A new dwelling is a move: from now on the resident sees its new
		// household's history, not what the previous occupants left there.
		r.MovedInAt = s.Now().UTC()
	}
	if err := s.Store.UpdateResident(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// MoveOut marks a resident moved out: its accounts disabled, its codes and
// the passes it issued stop at once.
func (s *Residents) MoveOut(ctx context.Context, pr *gatehouse.Principal, id int64) error {
	if err := mayManage(pr); err != nil {
		return err
	}
	r, err := s.Get(ctx, pr, id)
	if err != nil {
		return err
	}
	return s.Store.MoveOutResident(ctx, r.ID, pr.UserID)
}

// Code is a resident's own current rotating code and when it expires: only
// that resident gets it.
func (s *Residents) Code(ctx context.Context, pr *gatehouse.Principal, id int64) (string, time.Time, error) {
	r, err := s.Get(ctx, pr, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if pr.Role != gatehouse.RoleResident || pr.ResidentID != r.ID {
		return "", time.Time{}, gatehouse.NotFound("resident")
	}
	return s.Codes.ResidentCode(r)
}

// importColumns maps accepted CSV headers (English and Chinese) to fields.
var importColumns = map[string]string{
	"name": "name", "姓名": "name",
	"id_type": "id_type", "证件类型": "id_type",
	"id_number": "id_number", "证件号码": "id_number", "身份证号": "id_number",
	"phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone",
	"building": "building", "楼栋": "building", "楼号": "building",
	"unit": "unit", "单元": "unit",
	"room": "room", "房号": "room", "房间": "room",
}

// idTypeNames accepts the Chinese document names a spreadsheet may hold.
var idTypeNames = map[string]gatehouse.IDType{
	"居民身份证": gatehouse.IDResident, "身份证": gatehouse.IDResident, "护照": gatehouse.IDPassport,
	"港澳居民来往内地通行证": gatehouse.IDHKMacaoPermit, "回乡证": gatehouse.IDHKMacaoPermit,
	"台湾居民来往大陆通行证": gatehouse.IDTaiwanPermit, "台胞证": gatehouse.IDTaiwanPermit, "其他": gatehouse.IDOther,
}

// MaxImportRows bounds one import.
const MaxImportRows = 20000

// Import registers every resident of a file in a community, or none: a CSV
// (UTF-8, with or without a BOM, or GBK/GB18030 as Excel writes it on a
// Chinese Windows) or the first sheet of an XLSX workbook, header first.
// Each bad line is reported as "line N: field", line 1 being the header as
// a spreadsheet numbers it.
func (s *Residents) Import(ctx context.Context, pr *gatehouse.Principal, communityID int64, f ImportFile) (int, error) {
	if err := mayManage(pr); err != nil {
		return 0, err
	}
	if communityID == 0 {
		return 0, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "community_id: is required (in the query string)", Fields: map[string]string{"community_id": "is required"}}
	}
	if _, err := scopedCommunity(ctx, s.Store, pr, communityID); err != nil {
		return 0, err
	}
	t, err := readImport(f)
	if err != nil {
		return 0, err
	}
	residents, lines, err := s.parseRows(communityID, t)
	if err != nil {
		return 0, err
	}
	if err := s.Store.ImportResidents(ctx, residents); err != nil {
		return 0, importClashes(err, lines)
	}
	return len(residents), nil
}

// importClashes names the CSV lines of the records the store refused.
func importClashes(err error, lines []int) error {
	var e *gatehouse.Error
	if !errors.As(err, &e) || e.Code != gatehouse.ECONFLICT {
		return err
	}
	out := &gatehouse.Error{Code: e.Code, Fields: map[string]string{}}
	for k, msg := range e.Fields {
		if i, convErr := strconv.Atoi(k); convErr == nil && i >= 1 && i <= len(lines) {
			out.Fields[fmt.Sprintf("line %d: name", lines[i-1])] = msg
		}
	}
	out.Message = "nothing was imported; " + e.Message
	return out
}

// parseRows checks an import's header and rows: the residents to store and
// the line of each, or every problem found.
func (s *Residents) parseRows(communityID int64, t *importTable) ([]*gatehouse.Resident, []int, error) {
	col := map[string]int{}
	var head gatehouse.Problems
	for i, h := range t.header.cells {
		if strings.TrimSpace(h) == "" {
			continue // an empty column, as a spreadsheet may leave
		}
		name, ok := importColumns[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			head.Add("line 1: "+h, "unknown column; use name, id_type, id_number, phone, building, unit, room")
			continue
		}
		col[name] = i
	}
	for _, need := range []string{"name", "id_number", "phone", "building", "unit", "room"} {
		if _, ok := col[need]; !ok {
			head.Add("line 1: "+need, "this column is missing")
		}
	}
	if err := head.Err(); err != nil {
		return nil, nil, nothingImported(err)
	}
	// The lines that could not be read are reported with every other bad line.
	probs := t.probs
	var out []*gatehouse.Resident
	lineOf := map[gatehouse.IDNumber]int{} // number -> first line
	var lines []int                        // the line of each resident in out
	for _, row := range t.rows {
		if blank(row.cells) {
			continue
		}
		if len(out) >= MaxImportRows {
			probs.Add(fmt.Sprintf("line %d", row.line), fmt.Sprintf("an import holds at most %d residents; split the file", MaxImportRows))
			break
		}
		r := csvResident(communityID, col, row.cells)
		if err := r.Validate(); err != nil {
			probs.Merge(fmt.Sprintf("line %d: ", row.line), err)
			continue
		}
		// Within the file only: the caller typed both lines. Whether a
		// number is already registered is never said (it would answer "is
		// this the number?" for the masked numbers a manager sees).
		h := r.IDNumber
		if first, dup := lineOf[h]; dup {
			probs.Add(fmt.Sprintf("line %d: id_number", row.line), fmt.Sprintf("the same ID number is on line %d", first))
			continue
		}
		lineOf[h] = row.line
		out, lines = append(out, r), append(lines, row.line)
	}
	if len(out) == 0 && probs.Err() == nil {
		probs.Add("line 2", "the CSV has a header but no residents")
	}
	if err := probs.Err(); err != nil {
		return nil, nil, nothingImported(err)
	}
	return out, lines, nil
}

// nothingImported says so in the message of an import's problems.
func nothingImported(err error) error {
	e := err.(*gatehouse.Error)
	e.Message = "nothing was imported; " + e.Message
	return e
}

// blank reports whether a row holds nothing but spaces.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// csvResident is one CSV record as a normalized resident.
func csvResident(communityID int64, col map[string]int, rec []string) *gatehouse.Resident {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	idType := gatehouse.IDResident
	if v := strings.TrimSpace(get("id_type")); v != "" {
		if t, ok := idTypeNames[v]; ok {
			idType = t
		} else {
			idType = gatehouse.IDType(v)
		}
	}
	r := &gatehouse.Resident{CommunityID: communityID, Name: get("name"), IDType: idType, IDNumber: gatehouse.NewIDNumber(get("id_number")),
		Phone: get("phone"), Building: get("building"), Unit: get("unit"), Room: get("room")}
	r.Normalize()
	return r
}
