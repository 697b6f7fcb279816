package httpapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/report"
	"gatehouse/internal/service"
	"gatehouse/internal/supervision"
)

// The district's supervision: companies, assignments, the scheme,
// inspections, incidents, months, scorecards, publication, rectification.

type companyRequest struct {
	Name       *string `json:"name"`
	CreditCode *string `json:"credit_code"`
	Contact    *string `json:"contact"`
}

type companyResponse struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreditCode string    `json:"credit_code"`
	Contact    string    `json:"contact"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func companyBody(c *gatehouse.Company) companyResponse {
	return companyResponse{ID: c.ID, Name: c.Name, CreditCode: c.CreditCode, Contact: c.Contact, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (r companyRequest) input() service.CompanyInput {
	return service.CompanyInput{Name: r.Name, CreditCode: r.CreditCode, Contact: r.Contact}
}

func (s *Server) createCompany(c *gin.Context) {
	var req companyRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	co, err := s.supervision.CreateCompany(c.Request.Context(), principal(c), req.input())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, companyBody(co))
}

func (s *Server) updateCompany(c *gin.Context) {
	id, err := idParam(c, "id", "company")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req companyRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	co, err := s.supervision.UpdateCompany(c.Request.Context(), principal(c), id, req.input())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, companyBody(co))
}

func (s *Server) listCompanies(c *gin.Context) {
	cos, err := s.supervision.Companies(c.Request.Context(), principal(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]companyResponse, len(cos))
	for i, co := range cos {
		out[i] = companyBody(co)
	}
	c.JSON(200, list(out, 0))
}

func (s *Server) getCompany(c *gin.Context) {
	id, err := idParam(c, "id", "company")
	if err != nil {
		s.fail(c, err)
		return
	}
	co, err := s.supervision.Company(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, companyBody(co))
}

type assignRequest struct {
	CompanyID         int64      `json:"company_id"`
	DeclaredDwellings *int       `json:"declared_dwellings"`
	Street            *string    `json:"street"`
	From              *time.Time `json:"from"`
}

type assignmentResponse struct {
	ID                int64     `json:"id"`
	CommunityID       int64     `json:"community_id"`
	CompanyID         int64     `json:"company_id"`
	Street            string    `json:"street"`
	DeclaredDwellings int       `json:"declared_dwellings"`
	From              time.Time `json:"from"`
	CreatedAt         time.Time `json:"created_at"`
}

func assignmentBody(a *gatehouse.Assignment) assignmentResponse {
	return assignmentResponse{ID: a.ID, CommunityID: a.CommunityID, CompanyID: a.CompanyID, Street: a.Street,
		DeclaredDwellings: a.DeclaredDwellings, From: a.From, CreatedAt: a.CreatedAt}
}

func (s *Server) assignCommunity(c *gin.Context) {
	id, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req assignRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.supervision.Assign(c.Request.Context(), principal(c), id, service.AssignInput{CompanyID: req.CompanyID,
		DeclaredDwellings: req.DeclaredDwellings, Street: req.Street, From: req.From})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, assignmentBody(a))
}

func (s *Server) communityCompanies(c *gin.Context) {
	id, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	hist, err := s.supervision.Assignments(c.Request.Context(), principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]assignmentResponse, len(hist))
	for i, a := range hist {
		out[i] = assignmentBody(a)
	}
	c.JSON(200, list(out, 0))
}

func (s *Server) getScheme(c *gin.Context) {
	sc, err := s.supervision.Scheme(c.Request.Context(), principal(c), c.Query("month"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, sc)
}

// schemeRequest is a new scheme; version and created_at, as GET shows
// them, may be sent back and are ignored (the server numbers versions).
type schemeRequest struct {
	Version           *int                         `json:"version"`
	CreatedAt         *time.Time                   `json:"created_at"`
	EffectiveFrom     string                       `json:"effective_from"`
	Weights           gatehouse.Weights            `json:"weights"`
	Indicators        []gatehouse.IndicatorRule    `json:"indicators"`
	Checklist         []gatehouse.ChecklistItem    `json:"checklist"`
	Incidents         []gatehouse.IncidentCategory `json:"incident_categories"`
	Grades            gatehouse.GradeThresholds    `json:"grades"`
	RectificationDays int                          `json:"rectification_days"`
	LongTermPoor      int                          `json:"long_term_poor"`
}

func (r *schemeRequest) scheme() *gatehouse.Scheme {
	return &gatehouse.Scheme{EffectiveFrom: r.EffectiveFrom, Weights: r.Weights, Indicators: r.Indicators, Checklist: r.Checklist,
		Incidents: r.Incidents, Grades: r.Grades, RectificationDays: r.RectificationDays, LongTermPoor: r.LongTermPoor}
}

func (s *Server) putScheme(c *gin.Context) {
	var req schemeRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.supervision.PutScheme(c.Request.Context(), principal(c), req.scheme())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, out)
}

type inspectionRequest struct {
	CommunityID int64    `json:"community_id"`
	Date        string   `json:"date"`
	Inspector   string   `json:"inspector"`
	ItemsMet    []string `json:"items_met"`
	Notes       string   `json:"notes"`
	Photos      []string `json:"photos"` // data: URLs of JPEG or PNG images
}

type inspectionResponse struct {
	ID          int64     `json:"id"`
	CommunityID int64     `json:"community_id"`
	Date        string    `json:"date"`
	Inspector   string    `json:"inspector"`
	ItemsMet    []string  `json:"items_met"`
	Notes       string    `json:"notes"`
	Photos      []string  `json:"photos"` // the photos' paths
	CreatedRole string    `json:"created_role"`
	CreatedAt   time.Time `json:"created_at"`
}

func inspectionBody(in *gatehouse.Inspection) inspectionResponse {
	items := in.ItemsMet
	if items == nil {
		items = []string{}
	}
	photos := make([]string, in.Photos)
	for i := range photos {
		photos[i] = fmt.Sprintf("/api/v1/inspections/%d/photos/%d", in.ID, i+1)
	}
	return inspectionResponse{ID: in.ID, CommunityID: in.CommunityID, Date: in.Date, Inspector: in.Inspector, ItemsMet: items,
		Notes: in.Notes, Photos: photos, CreatedRole: string(in.CreatedRole), CreatedAt: in.CreatedAt}
}

// maxPhotoBytes is the size of one inspection photo at most (the body's
// limit bounds the five together).
const maxPhotoBytes = 300 << 10

// photos reads data: URLs of JPEG or PNG images.
func photos(urls []string) ([]gatehouse.InspectionPhoto, error) {
	var out []gatehouse.InspectionPhoto
	var p gatehouse.Problems
	for i, u := range urls {
		field := fmt.Sprintf("photos[%d]", i)
		head, data, ok := strings.Cut(u, ",")
		ctype := strings.TrimSuffix(strings.TrimPrefix(head, "data:"), ";base64")
		if !ok || !strings.HasPrefix(head, "data:") || !strings.HasSuffix(head, ";base64") || (ctype != "image/jpeg" && ctype != "image/png") {
			p.Add(field, "must be a data: URL of a JPEG or PNG image (data:image/jpeg;base64,...)")
			continue
		}
		b, err := base64.StdEncoding.DecodeString(data)
		switch {
		case err != nil:
			p.Add(field, "is not valid base64")
		case len(b) > maxPhotoBytes:
			p.Add(field, fmt.Sprintf("must be at most %d KiB", maxPhotoBytes>>10))
		case http.DetectContentType(b) != ctype:
			p.Add(field, "is not the image its data: URL says")
		default:
			out = append(out, gatehouse.InspectionPhoto{ContentType: ctype, Data: b})
		}
	}
	return out, p.Err()
}

func (s *Server) createInspection(c *gin.Context) {
	var req inspectionRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ph, err := photos(req.Photos)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := s.supervision.RecordInspection(c.Request.Context(), principal(c), service.InspectionInput{CommunityID: req.CommunityID,
		Date: req.Date, Inspector: req.Inspector, ItemsMet: req.ItemsMet, Notes: req.Notes, Photos: ph})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, inspectionBody(in))
}

func (s *Server) inspectionPhoto(c *gin.Context) {
	id, err := idParam(c, "id", "inspection")
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > service.MaxInspectionPhotos {
		s.fail(c, gatehouse.NotFound("photo"))
		return
	}
	ph, err := s.supervision.InspectionPhoto(c.Request.Context(), principal(c), id, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(200, ph.ContentType, ph.Data)
}

type incidentRequest struct {
	CommunityID int64  `json:"community_id"`
	Date        string `json:"date"`
	Category    string `json:"category"`
	CaseRef     string `json:"case_ref"`
}

type incidentResponse struct {
	ID          int64     `json:"id"`
	CommunityID int64     `json:"community_id"`
	Date        string    `json:"date"`
	Category    string    `json:"category"`
	CaseRef     string    `json:"case_ref"`
	CreatedAt   time.Time `json:"created_at"`
}

func incidentBody(in *gatehouse.Incident) incidentResponse {
	return incidentResponse{ID: in.ID, CommunityID: in.CommunityID, Date: in.Date, Category: in.Category, CaseRef: in.CaseRef, CreatedAt: in.CreatedAt}
}

func (s *Server) createIncident(c *gin.Context) {
	var req incidentRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	in, err := s.supervision.RecordIncident(c.Request.Context(), principal(c), service.IncidentInput{CommunityID: req.CommunityID,
		Date: req.Date, Category: req.Category, CaseRef: req.CaseRef})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, incidentBody(in))
}

type monthResponse[T any] struct {
	Month         string             `json:"month"`
	SchemeVersion int                `json:"scheme_version"`
	Published     *service.Published `json:"published"`
	Items         []T                `json:"items"`
}

func (s *Server) monthCommunities(c *gin.Context) {
	m, err := s.supervision.Results(c.Request.Context(), principal(c), c.Param("month"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, monthResponse[service.CommunityRow]{Month: m.Month, SchemeVersion: m.SchemeVersion, Published: m.Published, Items: m.Communities})
}

func (s *Server) monthCompanies(c *gin.Context) {
	m, err := s.supervision.Results(c.Request.Context(), principal(c), c.Param("month"))
	if err != nil {
		s.fail(c, err)
		return
	}
	items := m.Companies
	if items == nil {
		items = []service.CompanyRow{}
	}
	c.JSON(200, monthResponse[service.CompanyRow]{Month: m.Month, SchemeVersion: m.SchemeVersion, Published: m.Published, Items: items})
}

type publishRequest struct {
	Republish bool   `json:"republish"`
	Reason    string `json:"reason"`
}

func (s *Server) publishMonth(c *gin.Context) {
	var req publishRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.supervision.Publish(c.Request.Context(), principal(c), c.Param("month"), service.PublishInput{Republish: req.Republish, Reason: req.Reason})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, monthResponse[service.CommunityRow]{Month: m.Month, SchemeVersion: m.SchemeVersion, Published: m.Published, Items: m.Communities})
}

type scorecardResponse struct {
	CommunityID int64                  `json:"community_id"`
	Name        string                 `json:"community_name"`
	Months      []service.CommunityRow `json:"months"`
	Inspections []inspectionResponse   `json:"inspections"`
	Incidents   []incidentResponse     `json:"incidents"`
}

func (s *Server) scorecards(c *gin.Context) {
	id, err := idParam(c, "id", "community")
	if err != nil {
		s.fail(c, err)
		return
	}
	n := 12
	if v := c.Query("months"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 24 {
			s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "months: must be a whole number from 1 to 24",
				Fields: map[string]string{"months": "must be a whole number from 1 to 24"}})
			return
		}
	}
	sc, err := s.supervision.Scorecards(c.Request.Context(), principal(c), id, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := scorecardResponse{CommunityID: sc.CommunityID, Name: sc.Name, Months: sc.Months,
		Inspections: make([]inspectionResponse, len(sc.Inspections)), Incidents: make([]incidentResponse, len(sc.Incidents))}
	for i, in := range sc.Inspections {
		out.Inspections[i] = inspectionBody(in)
	}
	for i, in := range sc.Incidents {
		out.Incidents[i] = incidentBody(in)
	}
	c.JSON(200, out)
}

// publicGrades is a published month for anyone: JSON, CSV or XLSX.
func (s *Server) publicGrades(c *gin.Context) {
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" && format != "xlsx" {
		s.fail(c, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "format: must be json, csv or xlsx", Fields: map[string]string{"format": "must be json, csv or xlsx"}})
		return
	}
	lang, err := report.ParseLang(c.Query("lang"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.supervision.PublicResults(c.Request.Context(), c.Param("month"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if format == "json" {
		c.JSON(200, p)
		return
	}
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if format == "csv" {
		err = supervision.WriteCSV(&buf, p.Sheets(lang == report.Chinese))
	} else {
		ctype = service.XLSXType
		err = supervision.WriteXLSX(&buf, p.Sheets(lang == report.Chinese))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	name := fmt.Sprintf("grades-%s.%s", p.Month, format)
	local := name
	if lang == report.Chinese {
		local = fmt.Sprintf("物业服务考评结果-%s.%s", p.Month, format)
	}
	c.Header("Content-Disposition", attachment(name, local))
	c.Data(200, ctype, buf.Bytes())
}

type rectificationRequest struct {
	CommunityID int64      `json:"community_id"`
	Month       string     `json:"month"`
	Reason      string     `json:"reason"`
	Deadline    *time.Time `json:"deadline"`
}

type rectificationPatch struct {
	Status string  `json:"status"`
	Answer *string `json:"answer"`
	Note   *string `json:"note"`
}

type rectificationResponse struct {
	ID          int64      `json:"id"`
	CommunityID int64      `json:"community_id"`
	CompanyID   int64      `json:"company_id"`
	Month       string     `json:"month"`
	Reason      string     `json:"reason"`
	Deadline    time.Time  `json:"deadline"`
	Status      string     `json:"status"`
	Overdue     bool       `json:"overdue"`
	Answer      string     `json:"answer"`
	AnsweredAt  *time.Time `json:"answered_at"`
	Note        string     `json:"note"`
	ClosedAt    *time.Time `json:"closed_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func (s *Server) rectificationBody(r *gatehouse.Rectification) rectificationResponse {
	return rectificationResponse{ID: r.ID, CommunityID: r.CommunityID, CompanyID: r.CompanyID, Month: r.Month, Reason: r.Reason,
		Deadline: r.Deadline, Status: r.Status, Overdue: r.Overdue(s.Now()), Answer: r.Answer, AnsweredAt: r.AnsweredAt, Note: r.Note,
		ClosedAt: r.ClosedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (s *Server) createRectification(c *gin.Context) {
	var req rectificationRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.supervision.OpenRectification(c.Request.Context(), principal(c), service.RectificationInput{CommunityID: req.CommunityID,
		Month: req.Month, Reason: req.Reason, Deadline: req.Deadline})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, s.rectificationBody(r))
}

func (s *Server) listRectifications(c *gin.Context) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	list_, err := s.supervision.Rectifications(c.Request.Context(), principal(c), service.RectificationQuery{CommunityID: cid,
		Status: c.Query("status"), Overdue: c.Query("overdue") == "true"})
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]rectificationResponse, len(list_))
	for i, r := range list_ {
		out[i] = s.rectificationBody(r)
	}
	c.JSON(200, list(out, 0))
}

func (s *Server) updateRectification(c *gin.Context) {
	id, err := idParam(c, "id", "rectification order")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req rectificationPatch
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.supervision.ChangeRectification(c.Request.Context(), principal(c), id, service.RectificationChange{Status: req.Status,
		Answer: req.Answer, Note: req.Note})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, s.rectificationBody(r))
}
