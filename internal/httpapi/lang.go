package httpapi

import (
	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"gatehouse/internal/i18n"
)

// lang is the language the client asked for in Accept-Language: Chinese
// unless it prefers English.
func lang(c *gin.Context) language.Tag { return i18n.Lang(c.GetHeader("Accept-Language")) }

// localized is an error body in the client's language; its code and field
// names stay as they are.
func localized(c *gin.Context, d errorDetail) errorDetail {
	d.Message, d.Fields = i18n.Error(lang(c), d.Message, d.Fields)
	c.Header("Content-Language", lang(c).String())
	return d
}
