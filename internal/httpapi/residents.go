package httpapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
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

func (req *residentRequest) input() service.ResidentInput {
	return service.ResidentInput{CommunityID: req.CommunityID, Name: req.Name, IDType: req.IDType, IDNumber: req.IDNumber,
		Phone: req.Phone, Building: req.Building, Unit: req.Unit, Room: req.Room}
}

func (s *Server) createResident(c *gin.Context) {
	var req residentRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.residents.Create(c.Request.Context(), principal(c), req.input())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondResident(c, 201, r)
}

// scopedResident is the resident of the path that the caller may see.
func (s *Server) scopedResident(c *gin.Context) (*gatehouse.Resident, error) {
	id, err := idParam(c, "id", "resident")
	if err != nil {
		return nil, err
	}
	return s.residents.Get(c.Request.Context(), principal(c), id)
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
	q := service.ResidentQuery{CommunityID: cid, Building: c.Query("building"), Q: c.Query("q"), IncludeMovedOut: c.Query("include_moved_out") == "true"}
	items, next, err := s.residents.List(c.Request.Context(), p, q, pg)
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
	id, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.residents.Update(c.Request.Context(), principal(c), id, req.input())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondResident(c, 200, r)
}

func (s *Server) deleteResident(c *gin.Context) {
	id, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.residents.MoveOut(c.Request.Context(), principal(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(204)
}

type importResponse struct {
	Imported int `json:"imported"`
}

// importResidents reads a CSV or XLSX file (the body, or the multipart field
// "file") and stores every row or none. Each bad line is reported as
// "line N: field"; line 1 is the header, as a spreadsheet numbers it.
func (s *Server) importResidents(c *gin.Context) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := importBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.residents.Import(c.Request.Context(), principal(c), cid, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(201, importResponse{Imported: n})
}

// importBody is the uploaded file with the name and type the client gave.
func importBody(c *gin.Context) (service.ImportFile, error) {
	f := service.ImportFile{ContentType: c.ContentType()}
	var r io.Reader = c.Request.Body
	if strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		file, fh, err := c.Request.FormFile("file")
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return f, jsonError(err)
			}
			return f, &gatehouse.Error{Code: gatehouse.EBADREQUEST, Message: "file: attach the CSV or XLSX file as the form field \"file\"", Fields: map[string]string{"file": "is required"}}
		}
		defer file.Close()
		r, f.Name, f.ContentType = file, fh.Filename, fh.Header.Get("Content-Type")
	}
	var err error
	if f.Body, err = io.ReadAll(r); err != nil {
		return f, jsonError(err)
	}
	return f, nil
}

// importTemplate hands out the file to fill in for an import, as CSV or XLSX.
func (s *Server) importTemplate(c *gin.Context) {
	f, err := s.residents.ImportTemplate(principal(c), c.Query("format"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", attachment(f.Name, "住户导入模板"+path.Ext(f.Name)))
	c.Data(200, f.ContentType, f.Body)
}

// attachment is a Content-Disposition that saves as name, or as the
// Chinese local name where the browser reads RFC 6266's filename*.
func attachment(name, local string) string {
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(local))
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
	id, err := idParam(c, "id", "resident")
	if err != nil {
		s.fail(c, err)
		return
	}
	code, expires, err := s.residents.Code(c.Request.Context(), principal(c), id)
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
