// Package static embeds the web UI: plain HTML, CSS and JavaScript with the
// vendored libraries (and their licences) under vendor/. Nothing is loaded
// from outside the binary.
package static

import (
	"embed"
	"io/fs"
)

//go:embed app
var files embed.FS

// FS is the UI's files, rooted at app/.
func FS() fs.FS {
	sub, err := fs.Sub(files, "app")
	if err != nil {
		panic(err) // the embed pattern above guarantees app/ exists
	}
	return sub
}
