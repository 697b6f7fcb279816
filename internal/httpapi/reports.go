package httpapi

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/report"
	"gatehouse/internal/service"
)

// populationReport builds the population-information report of one
// community (or every community in scope) as JSON, CSV or XLSX.
func (s *Server) populationReport(c *gin.Context) {
	cid, err := queryID(c, "community_id")
	if err != nil {
		s.fail(c, err)
		return
	}
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
	q := service.ReportQuery{CommunityID: cid, From: c.Query("from"), To: c.Query("to"),
		MinVisits: c.Query("min_visits"), ThresholdHours: c.Query("threshold_hours")}
	if format != "json" {
		q.Download = format
	}
	rep, err := s.reports.Population(c.Request.Context(), principal(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	if format == "json" {
		c.JSON(200, rep.Report)
		return
	}
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if format == "csv" {
		err = rep.WriteCSV(&buf, lang)
	} else {
		ctype = service.XLSXType
		err = rep.WriteXLSX(&buf, lang)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	first, last := rep.Days()
	name := fmt.Sprintf("population-report-%s-%s.%s", strings.ReplaceAll(first, "-", ""), strings.ReplaceAll(last, "-", ""), format)
	local := name
	if lang == report.Chinese {
		local = fmt.Sprintf("人口信息报表-%s至%s.%s", first, last, format)
	}
	c.Header("Content-Disposition", attachment(name, local))
	c.Data(200, ctype, buf.Bytes())
}
