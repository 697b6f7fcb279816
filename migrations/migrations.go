// Package migrations embeds the versioned SQL schema of each dialect.
// Files are goose migrations: NNNNN_name.sql with -- +goose Up/Down sections.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed mysql/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migrations of one dialect ("mysql" or "sqlite").
func FS(dialect string) (fs.FS, error) {
	return fs.Sub(files, dialect)
}
