package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
)

type residentRequest struct {
	CommunityID *int64            `json:"community_id"`
	Name        *string           `json:"name"`
	IDType      *gatehouse.IDType `json:"id_type"`
	IDNumber    *string           `json:"id_number"`
	Phone       *string           `json:"phone"`
	Building    *string           `json:"building"`
	Unit        *string           `json:"unit"`
	Room        *string           `json:"room"`
}

type residentResponse struct {
	ID          int64            `json:"id"`
	CommunityID int64            `json:"community_id"`
	Name        string           `json:"name"`
	IDType      gatehouse.IDType `json:"id_type"`
	IDNumber    string           `json:"id_number"`
	IDMasked    bool             `json:"id_number_masked"`
	Phone       string           `json:"phone"`
	Building    string           `json:"building"`
	Unit        string           `json:"unit"`
	Room        string           `json:"room"`
	MovedOutAt  *time.Time       `json:"moved_out_at,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// residentBody shows the ID number as the disclosure allows.
func residentBody(d *gatehouse.Disclosure, r *gatehouse.Resident) residentResponse {
	b := residentResponse{ID: r.ID, CommunityID: r.CommunityID, Name: r.Name, IDType: r.IDType,
		Phone: r.Phone, Building: r.Building, Unit: r.Unit, Room: r.Room,
		MovedOutAt: r.MovedOutAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	b.IDNumber, b.IDMasked = d.ID(r.IDNumber)
	return b
}

// respondResident sends one resident.
func (s *Server) respondResident(c *gin.Context, status int, r *gatehouse.Resident) {
	d := gatehouse.Disclose(principal(c), r.CommunityID, fmt.Sprintf("resident:%d", r.ID))
	s.respond(c, status, residentBody(d, r), d)
}

func (req *residentRequest) apply(r *gatehouse.Resident) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	if req.CommunityID != nil {
		r.CommunityID = *req.CommunityID
	}
	set(&r.Name, req.Name)
	if req.IDType != nil {
		r.IDType = *req.IDType
	}
	if req.IDNumber != nil {
		r.IDNumber = gatehouse.NewIDNumber(*req.IDNumber)
	}
	set(&r.Phone, req.Phone)
	set(&r.Building, req.Building)
	set(&r.Unit, req.Unit)
	set(&r.Room, req.Room)
	r.Normalize()
}

func (s *Server) createResident(c *gin.Context) {
	var req residentRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r := &gatehouse.Resident{}
	req.apply(r)
	if err := r.Validate(); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.scopedCommunity(c, r.CommunityID); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.CreateResident(c.Request.Context(), r); err != nil {
		s.fail(c, err)
		return
	}
	s.respondResident(c, 201, r)
}

// canSeeResident reports whether p may read r: its community for staff, its
// own household for a resident.
func canSeeResident(p *gatehouse.Principal, r *gatehouse.Resident) bool {
	if !p.InCommunity(r.CommunityID) {
		return false
	}
	if p.Role == gatehouse.RoleResident {
		// Present members only: a new occupant never sees who lived here before.
		return p.Household != nil && *p.Household == r.Household() && r.MovedOutAt == nil
	}
	return true
}

func (s *Server) scopedResident(c *gin.Context) (*gatehouse.Resident, error) {
	id, err := idParam(c, "id", "resident")
	if err != nil {
		return nil, err
	}
	r, err := s.Store.Resident(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if !canSeeResident(principal(c), r) {
		return nil, gatehouse.NotFound("resident")
	}
	return r, nil
}

func (s *Server) getResident(c *gin.Context) {
	r, err := s.scopedResident(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondResident(c, 200, r)
}

func (s *Server) listResidents(c *gin.Context) {
	p := principal(c)
	pg, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	cid, err := communityQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := gatehouse.ResidentFilter{CommunityIDs: p.ScopeCommunities(cid), Building: c.Query("building"), Query: c.Query("q"),
		IncludeMovedOut: c.Query("include_moved_out") == "true"}
	if p.Role == gatehouse.RoleResident {
		f.Household, f.IncludeMovedOut = p.Household, false
	}
	// q also finds a resident by a whole ID number, which discloses it: only
	// for admin and police, audited; for anyone else a q that is an ID
	// number is refused rather than silently searched another way.
	if n := gatehouse.NormalizeIDNumber(f.Query); gatehouse.LooksLikeIDNumber(n) {
		if err := s.searchByID(c, cid, "GET /residents q"); err != nil {
			s.fail(c, err)
			return
		}
		f.IDNumber = gatehouse.NewIDNumber(n)
	}
	items, next, err := s.Store.Residents(c.Request.Context(), f, pg)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := gatehouse.Disclose(p, cid, "residents")
	out := make([]residentResponse, len(items))
	for i, r := range items {
		out[i] = residentBody(d, r)
	}
	s.respond(c, 200, list(out, next), d)
}

func (s *Server) updateResident(c *gin.Context) {
	var req residentRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.scopedResident(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.CommunityID != nil && *req.CommunityID != r.CommunityID {
		s.fail(c, gatehouse.FieldError("community_id", "a resident cannot move between communities; move them out and register them in the other"))
		return
	}
	if r.MovedOutAt != nil {
		s.fail(c, gatehouse.Errorf(gatehouse.ECONFLICT, "this resident has moved out and can no longer be changed"))
		return
	}
	req.apply(r)
	if err := r.Validate(); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.UpdateResident(c.Request.Context(), r); err != nil {
		s.fail(c, err)
		return
	}
	s.respondResident(c, 200, r)
}

func (s *Server) deleteResident(c *gin.Context) {
	r, err := s.scopedResident(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.MoveOutResident(c.Request.Context(), r.ID, principal(c).UserID); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
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

const maxImportRows = 20000

type importResponse struct {
	Imported int `json:"imported"`
}

// importResidents reads a CSV (the body, or the multipart field "file") and
// stores every row or none. Each bad line is reported as "line N: field";
// line 1 is the header, as a spreadsheet numbers it.
func (s *Server) importResidents(c *gin.Context) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if cid == 0 {
		s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "community_id: is required (in the query string)", Fields: map[string]string{"community_id": "is required"}})
		return
	}
	if _, err := s.scopedCommunity(c, cid); err != nil {
		s.fail(c, err)
		return
	}
	body, err := importBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	residents, lines, err := s.parseResidentsCSV(c, cid, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.ImportResidents(c.Request.Context(), residents); err != nil {
		s.fail(c, importClashes(err, lines))
		return
	}
	c.JSON(201, importResponse{Imported: len(residents)})
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

func importBody(c *gin.Context) ([]byte, error) {
	var r io.Reader = c.Request.Body
	if strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		f, _, err := c.Request.FormFile("file")
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return nil, jsonError(err)
			}
			return nil, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "file: attach the CSV as the form field \"file\"", Fields: map[string]string{"file": "is required"}}
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, jsonError(err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // Excel writes a UTF-8 BOM
	if err := checkUTF8CSV(b); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, gatehouse.Errorf(gatehouse.EBADREQUEST, "the CSV is empty; the first line must be a header such as name,id_type,id_number,phone,building,unit,room")
	}
	return b, nil
}

func (s *Server) parseResidentsCSV(c *gin.Context, communityID int64, body []byte) ([]*gatehouse.Resident, []int, error) {
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, gatehouse.Errorf(gatehouse.EBADREQUEST, "line 1: the header cannot be read as CSV")
	}
	col := map[string]int{}
	var probs gatehouse.Problems
	for i, h := range header {
		name, ok := importColumns[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			probs.Add("line 1: "+h, "unknown column; use name, id_type, id_number, phone, building, unit, room")
			continue
		}
		col[name] = i
	}
	for _, need := range []string{"name", "id_number", "phone", "building", "unit", "room"} {
		if _, ok := col[need]; !ok {
			probs.Add("line 1: "+need, "this column is missing")
		}
	}
	if err := probs.Err(); err != nil {
		return nil, nil, err
	}
	var out []*gatehouse.Resident
	lineOf := map[string]int{} // id hash -> first line
	var lines []int            // the CSV line of each resident in out
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				probs.Add(fmt.Sprintf("line %d", pe.Line), "is not valid CSV (check its quotes)")
				continue
			}
			return nil, nil, gatehouse.Errorf(gatehouse.EBADREQUEST, "the CSV cannot be read")
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(out) >= maxImportRows {
			probs.Add(fmt.Sprintf("line %d", line), fmt.Sprintf("an import holds at most %d residents; split the file", maxImportRows))
			break
		}
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
		if err := r.Validate(); err != nil {
			probs.Merge(fmt.Sprintf("line %d: ", line), err)
			continue
		}
		// Within the file only: the caller typed both lines. Whether a
		// number is already registered is never said (it would answer "is
		// this the number?" for the masked numbers a manager sees).
		h := r.IDNumber.Hash(s.Lookup)
		if first, dup := lineOf[h]; dup {
			probs.Add(fmt.Sprintf("line %d: id_number", line), fmt.Sprintf("the same ID number is on line %d", first))
			continue
		}
		lineOf[h] = line
		out, lines = append(out, r), append(lines, line)
	}
	if len(out) == 0 && probs.Err() == nil {
		probs.Add("line 2", "the CSV has a header but no residents")
	}
	if err := probs.Err(); err != nil {
		e := err.(*gatehouse.Error)
		e.Message = "nothing was imported; " + e.Message
		return nil, nil, e
	}
	return out, lines, nil
}

type residentCodeResponse struct {
	Code         string    `json:"code"`
	ExpiresAt    time.Time `json:"expires_at"`
	RefreshAfter int       `json:"refresh_after_seconds"`
	QRPNG        string    `json:"qr_png"` // data: URL of the QR image
}

// residentCode gives a resident its current rotating code: a new one every
// 30 seconds, refused at the gate once older than 60, so a screenshot is
// soon worthless.
func (s *Server) residentCode(c *gin.Context) {
	r, err := s.scopedResident(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if p := principal(c); p.ResidentID != r.ID {
		s.fail(c, gatehouse.NotFound("resident"))
		return
	}
	code, expires, err := s.Engine.ResidentCode(r)
	if err != nil {
		s.fail(c, err)
		return
	}
	png, err := s.QR.PNG(code)
	if err != nil {
		s.fail(c, err)
		return
	}
	refresh := max(1, int(expires.Sub(s.Now()).Seconds()))
	c.Header("Cache-Control", "no-store")
	c.JSON(200, residentCodeResponse{Code: code, ExpiresAt: expires, RefreshAfter: refresh,
		QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
}
