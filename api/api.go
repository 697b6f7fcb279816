// Package api embeds the OpenAPI 3 document of Gatehouse's HTTP API, served
// at /api/openapi.yaml.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document (YAML).
//
//go:embed openapi.yaml
var OpenAPI []byte
