package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"gatehouse/api"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

// oapiDoc is the parsed OpenAPI document, as generic YAML values.
type oapiDoc struct {
	root map[string]any
}

func loadOpenAPI(t *testing.T) *oapiDoc {
	t.Helper()
	var root map[string]any
	if err := yaml.Unmarshal(api.OpenAPI, &root); err != nil {
		t.Fatalf("api/openapi.yaml is not YAML: %v", err)
	}
	return &oapiDoc{root: root}
}

// oapiMethods are the operations a path item may hold.
var oapiMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations lists "METHOD /path" of every documented operation.
func (d *oapiDoc) operations() map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := d.root["paths"].(map[string]any)
	for p, item := range paths {
		m, _ := item.(map[string]any)
		for _, method := range oapiMethods {
			if op, ok := m[method].(map[string]any); ok {
				out[strings.ToUpper(method)+" "+p] = op
			}
		}
	}
	return out
}

// resolve follows a local $ref ("#/a/b") to what it names.
func (d *oapiDoc) resolve(ref string) (any, error) {
	frag, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local (#/...)", ref)
	}
	var cur any = d.root
	for _, part := range strings.Split(frag, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, part)
		}
	}
	return cur, nil
}

// deref returns v, or what its $ref names.
func (d *oapiDoc) deref(v any) map[string]any {
	m, _ := v.(map[string]any)
	for i := 0; i < 10 && m != nil; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		r, err := d.resolve(ref)
		if err != nil {
			return nil
		}
		m, _ = r.(map[string]any)
	}
	return m
}

// ginPath turns gin's /a/:id/*rest into OpenAPI's /a/{id}/{rest}.
func ginPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if len(s) > 1 && (s[0] == ':' || s[0] == '*') {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func TestOpenAPIDocumentsEveryRouteAndNoOther(t *testing.T) {
	e := newEnv(t, storetest.MustOpen(t, store.SQLite))
	routed := map[string]bool{}
	for _, r := range e.api.Routes() {
		routed[r.Method+" "+ginPath(r.Path)] = true
	}
	documented := map[string]bool{}
	for k := range loadOpenAPI(t).operations() {
		documented[k] = true
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes the router serves but api/openapi.yaml does not document:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("operations api/openapi.yaml documents but the router does not serve:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(routed) < 40 {
		t.Fatalf("only %d routes: is Routes() the whole router?", len(routed))
	}

	// The document served is the one in api/.
	res := e.do("GET", "/api/openapi.yaml", "", nil)
	if res.Status != 200 || !bytes.Equal(res.Body, api.OpenAPI) || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("GET /api/openapi.yaml: %d %q, %d bytes", res.Status, res.Header.Get("Content-Type"), len(res.Body))
	}
}

// Keywords of the OpenAPI 3.0 objects checked below; anything else is a typo
// (or YAML that parsed into something not meant).
var (
	oapiSchemaKeys = setOf("title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
		"minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties", "required", "enum",
		"type", "allOf", "oneOf", "anyOf", "not", "items", "properties", "additionalProperties", "description", "format",
		"default", "nullable", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "example", "deprecated", "$ref")
	oapiPathItemKeys  = setOf(append([]string{"$ref", "summary", "description", "servers", "parameters"}, oapiMethods...)...)
	oapiOperationKeys = setOf("tags", "summary", "description", "externalDocs", "operationId", "parameters", "requestBody",
		"responses", "callbacks", "deprecated", "security", "servers")
	oapiParameterKeys = setOf("name", "in", "description", "required", "deprecated", "allowEmptyValue", "style", "explode",
		"allowReserved", "schema", "example", "examples", "content", "$ref")
	oapiResponseKeys = setOf("description", "headers", "content", "links", "$ref")
	oapiTypes        = setOf("object", "array", "string", "integer", "number", "boolean")
	oapiStatus       = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
)

func setOf(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range s {
		m[k] = true
	}
	return m
}

func extraKeys(m map[string]any, allowed map[string]bool) []string {
	var out []string
	for k := range m {
		if !allowed[k] && !strings.HasPrefix(k, "x-") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIDocumentIsStructurallyValid(t *testing.T) {
	d := loadOpenAPI(t)
	fail := func(format string, args ...any) { t.Helper(); t.Errorf(format, args...) }

	if v, _ := d.root["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		fail("openapi: %q, want 3.0.x", v)
	}
	info, _ := d.root["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		fail("info needs title and version")
	}

	// Every $ref anywhere resolves.
	var refs func(path string, v any)
	refs = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := d.resolve(ref); err != nil {
					fail("%s: %v", path, err)
				}
			}
			for k, x := range v {
				refs(path+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				refs(fmt.Sprintf("%s/%d", path, i), x)
			}
		}
	}
	refs("#", d.root)

	// Every schema uses only schema keywords and known types, and requires
	// only properties it has.
	var schema func(path string, v any)
	schema = func(path string, v any) {
		s, ok := v.(map[string]any)
		if !ok {
			fail("%s: a schema must be an object", path)
			return
		}
		if x := extraKeys(s, oapiSchemaKeys); len(x) > 0 {
			fail("%s: not schema keywords: %v", path, x)
		}
		if ty, ok := s["type"]; ok && !oapiTypes[fmt.Sprint(ty)] {
			fail("%s: type %v", path, ty)
		}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			schema(path+"/properties/"+name, p)
		}
		if req, ok := s["required"].([]any); ok && s["properties"] != nil {
			for _, r := range req {
				if _, ok := props[fmt.Sprint(r)]; !ok {
					fail("%s: requires %v, which is not among its properties", path, r)
				}
			}
		}
		if it, ok := s["items"]; ok {
			schema(path+"/items", it)
		} else if s["type"] == "array" {
			fail("%s: an array needs items", path)
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			schema(path+"/additionalProperties", ap)
		}
		for _, k := range []string{"allOf", "oneOf", "anyOf"} {
			list, _ := s[k].([]any)
			for i, x := range list {
				schema(fmt.Sprintf("%s/%s/%d", path, k, i), x)
			}
		}
	}
	comps, _ := d.root["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	for name, s := range schemas {
		schema("#/components/schemas/"+name, s)
	}
	schemes, _ := comps["securitySchemes"].(map[string]any)
	checkSecurity := func(path string, v any) {
		list, ok := v.([]any)
		if !ok {
			fail("%s: security must be a list", path)
			return
		}
		for _, req := range list {
			m, _ := req.(map[string]any)
			for name := range m {
				if schemes[name] == nil {
					fail("%s: no security scheme %q", path, name)
				}
			}
		}
	}
	checkSecurity("#/security", d.root["security"])
	checkParam := func(path string, v any) map[string]any {
		p := d.deref(v)
		if p == nil {
			fail("%s: not a parameter", path)
			return nil
		}
		if x := extraKeys(p, oapiParameterKeys); len(x) > 0 {
			fail("%s: not parameter keywords: %v", path, x)
		}
		if p["name"] == nil || !slices.Contains([]any{"query", "header", "path", "cookie"}, p["in"]) {
			fail("%s: a parameter needs a name and in: query, header, path or cookie", path)
		}
		if p["in"] == "path" && p["required"] != true {
			fail("%s: path parameter %v must be required", path, p["name"])
		}
		if (p["schema"] == nil) == (p["content"] == nil) {
			fail("%s: a parameter needs a schema or a content", path)
		}
		if s := p["schema"]; s != nil {
			schema(path+"/schema", s)
		}
		return p
	}
	checkContent := func(path string, v any) {
		c, ok := v.(map[string]any)
		if !ok || len(c) == 0 {
			fail("%s: content must name at least one media type", path)
			return
		}
		for mt, m := range c {
			mm, _ := m.(map[string]any)
			if mm["schema"] == nil {
				fail("%s/%s: no schema", path, mt)
				continue
			}
			schema(path+"/"+mt+"/schema", mm["schema"])
		}
	}

	ids := map[string]string{}
	tmplParam := regexp.MustCompile(`\{([^}/]+)\}`)
	paths, _ := d.root["paths"].(map[string]any)
	if len(paths) == 0 {
		fail("no paths")
	}
	for p, v := range paths {
		item, ok := v.(map[string]any)
		if !strings.HasPrefix(p, "/") || !ok {
			fail("path %q: must begin with / and be an object", p)
			continue
		}
		if x := extraKeys(item, oapiPathItemKeys); len(x) > 0 {
			fail("%s: not path item keywords: %v", p, x)
		}
		pathParams := map[string]bool{}
		list, _ := item["parameters"].([]any)
		for i, x := range list {
			if prm := checkParam(fmt.Sprintf("%s/parameters/%d", p, i), x); prm != nil && prm["in"] == "path" {
				pathParams[fmt.Sprint(prm["name"])] = true
			}
		}
		ops := 0
		for _, method := range oapiMethods {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			ops++
			where := strings.ToUpper(method) + " " + p
			if x := extraKeys(op, oapiOperationKeys); len(x) > 0 {
				fail("%s: not operation keywords: %v", where, x)
			}
			if id, _ := op["operationId"].(string); id == "" {
				fail("%s: no operationId", where)
			} else if other, dup := ids[id]; dup {
				fail("%s: operationId %q is also %s's", where, id, other)
			} else {
				ids[id] = where
			}
			if sec, ok := op["security"]; ok {
				checkSecurity(where+"/security", sec)
			}
			declared := map[string]bool{}
			for k := range pathParams {
				declared[k] = true
			}
			oplist, _ := op["parameters"].([]any)
			for i, x := range oplist {
				if prm := checkParam(fmt.Sprintf("%s/parameters/%d", where, i), x); prm != nil && prm["in"] == "path" {
					declared[fmt.Sprint(prm["name"])] = true
				}
			}
			inTemplate := map[string]bool{}
			for _, m := range tmplParam.FindAllStringSubmatch(p, -1) {
				inTemplate[m[1]] = true
				if !declared[m[1]] {
					fail("%s: path parameter {%s} is not declared", where, m[1])
				}
			}
			for name := range declared {
				if !inTemplate[name] {
					fail("%s: declares path parameter %q that the path lacks", where, name)
				}
			}
			if rb, ok := op["requestBody"]; ok {
				body := d.deref(rb)
				checkContent(where+"/requestBody/content", body["content"])
			}
			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				fail("%s: no responses", where)
			}
			for code, r := range responses {
				if !oapiStatus.MatchString(code) {
					fail("%s: response key %q is not a status code", where, code)
				}
				resp := d.deref(r)
				if resp == nil {
					fail("%s %s: not a response", where, code)
					continue
				}
				if x := extraKeys(resp, oapiResponseKeys); len(x) > 0 {
					fail("%s %s: not response keywords: %v", where, code, x)
				}
				if s, _ := resp["description"].(string); s == "" {
					fail("%s %s: a response needs a description", where, code)
				}
				if c, ok := resp["content"]; ok {
					checkContent(fmt.Sprintf("%s/responses/%s/content", where, code), c)
				}
			}
		}
		if ops == 0 {
			fail("%s: a path item without operations", p)
		}
	}
}

// oapiChecker sends requests to the API under test and checks both the
// request and the response bodies against the document.
type oapiChecker struct {
	t       *testing.T
	e       *env
	d       *oapiDoc
	covered map[string]bool
}

// route finds the documented path template of a concrete path; literal
// segments win over parameters, as in the router.
func (c *oapiChecker) route(method, path string) (string, map[string]any) {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	var bestOp map[string]any
	for key, op := range c.d.operations() {
		m, tmpl, _ := strings.Cut(key, " ")
		ts := strings.Split(tmpl, "/")
		if m != method || len(ts) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i := range ts {
			switch {
			case strings.HasPrefix(ts[i], "{"):
			case ts[i] == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals, bestOp = tmpl, literals, op
		}
	}
	return best, bestOp
}

// call sends a request, requires status want, and checks the bodies. It
// returns the decoded JSON body (nil for other media types).
func (c *oapiChecker) call(method, path, token string, body any, want int) (response, map[string]any) {
	c.t.Helper()
	tmpl, op := c.route(method, path)
	if op == nil {
		c.t.Fatalf("%s %s: no documented operation", method, path)
	}
	where := method + " " + tmpl
	c.covered[where] = true
	if body != nil && want < 300 {
		// A body the server accepts must fit the documented request schema.
		if _, raw := body.(string); !raw {
			rb := c.d.deref(op["requestBody"])
			content, _ := rb["content"].(map[string]any)
			media, _ := content["application/json"].(map[string]any)
			if media == nil {
				c.t.Fatalf("%s: the document takes no JSON body", where)
			}
			j, _ := json.Marshal(body)
			for _, p := range c.validate(decodeNumbers(c.t, j), media["schema"], "request") {
				c.t.Errorf("%s: request body: %s", where, p)
			}
		}
	}
	res := c.e.do(method, path, token, body)
	if res.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.Status, want, res.Body)
	}
	responses, _ := op["responses"].(map[string]any)
	r := c.d.deref(responses[strconv.Itoa(res.Status)])
	if r == nil {
		r = c.d.deref(responses["default"])
	}
	if r == nil {
		c.t.Fatalf("%s: status %d is not documented", where, res.Status)
	}
	content, _ := r["content"].(map[string]any)
	ctype, _, _ := strings.Cut(res.Header.Get("Content-Type"), ";")
	if len(content) == 0 {
		if len(res.Body) > 0 {
			c.t.Errorf("%s %d: a body (%s) where the document has none", where, res.Status, ctype)
		}
		return res, nil
	}
	media, ok := content[ctype].(map[string]any)
	if !ok {
		c.t.Fatalf("%s %d: media type %q is not documented", where, res.Status, ctype)
	}
	if ctype != "application/json" {
		return res, nil
	}
	v := decodeNumbers(c.t, res.Body)
	for _, p := range c.validate(v, media["schema"], "response") {
		c.t.Errorf("%s %d: %s", where, res.Status, p)
	}
	m, _ := v.(map[string]any)
	return res, m
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// validate checks a JSON value against the subset of JSON Schema the
// document uses, and reports every field the schema does not name.
func (c *oapiChecker) validate(v any, schemaV any, path string) []string {
	s := c.d.deref(schemaV)
	if s == nil {
		return []string{path + ": no schema"}
	}
	if v == nil {
		if s["nullable"] == true {
			return nil
		}
		return []string{path + ": null, and the schema is not nullable"}
	}
	var probs []string
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
		probs = append(probs, fmt.Sprintf("%s: %v is not one of %v", path, v, enum))
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return append(probs, fmt.Sprintf("%s: %T, want an object", path, v))
		}
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := m[fmt.Sprint(r)]; !ok {
				probs = append(probs, fmt.Sprintf("%s: required field %v is missing", path, r))
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k]; ok {
				probs = append(probs, c.validate(m[k], p, path+"."+k)...)
			} else if ap, ok := s["additionalProperties"].(map[string]any); ok {
				probs = append(probs, c.validate(m[k], ap, path+"."+k)...)
			} else if s["additionalProperties"] == false {
				probs = append(probs, fmt.Sprintf("%s: field %q is not documented", path, k))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return append(probs, fmt.Sprintf("%s: %T, want an array", path, v))
		}
		for i, x := range a {
			probs = append(probs, c.validate(x, s["items"], fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return append(probs, fmt.Sprintf("%s: %T, want a string", path, v))
		}
		switch s["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %q is not an RFC 3339 time", path, str))
			}
		case "date":
			if _, err := time.Parse("2006-01-02", str); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %q is not a date", path, str))
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if _, isInt := new(big.Int).SetString(string(n), 10); !ok || !isInt {
			return append(probs, fmt.Sprintf("%s: %v, want a whole number", path, v))
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			return append(probs, fmt.Sprintf("%s: %T, want a number", path, v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return append(probs, fmt.Sprintf("%s: %T, want true or false", path, v))
		}
	}
	return probs
}

func TestOpenAPIBodiesAreTheServersBodies(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := &oapiChecker{t: t, e: e, d: loadOpenAPI(t), covered: map[string]bool{}}
		admin := e.admin
		now := e.clock.Now()
		at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
		id := func(m map[string]any) int64 {
			n, _ := m["id"].(json.Number).Int64()
			return n
		}

		c.call("GET", "/healthz", "", nil, 200)
		c.call("GET", "/readyz", "", nil, 200)
		c.call("GET", "/api/openapi.yaml", "", nil, 200)
		c.call("GET", "/metrics", "", nil, 200)
		c.call("GET", "/api/v1/keys", "", nil, 200)
		c.call("POST", "/api/v1/auth/login", "", map[string]any{"username": "admin", "password": testPassword}, 200)
		c.call("POST", "/api/v1/auth/login", "", map[string]any{"username": "admin", "password": "wrong password"}, 401)
		c.call("POST", "/api/v1/auth/login", "", `{"username": "admin", "pasword": "x"}`, 400)
		c.call("GET", "/api/v1/auth/me", admin, nil, 200)
		c.call("GET", "/api/v1/auth/me", "", nil, 401)

		// Communities and accounts.
		_, com := c.call("POST", "/api/v1/communities", admin, map[string]any{"name": "翠竹苑", "address": "罗湖区翠竹路1号", "anti_passback": "off"}, 201)
		A := id(com)
		c.call("POST", "/api/v1/communities", admin, map[string]any{"name": ""}, 422)
		c.call("GET", "/api/v1/communities", admin, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/communities/%d", A), admin, nil, 200)
		c.call("GET", "/api/v1/communities/999999", admin, nil, 404)
		c.call("PATCH", fmt.Sprintf("/api/v1/communities/%d", A), admin, map[string]any{"max_pass_days": 14,
			"webhook_url": "https://hooks.example/gatehouse", "webhook_secret": "a-secret-of-16-chars"}, 200)
		_, mgr := c.call("POST", "/api/v1/users", admin, map[string]any{"username": "mgr", "password": testPassword, "role": "manager", "community_ids": []int64{A}}, 201)
		c.call("POST", "/api/v1/users", admin, map[string]any{"username": "mgr", "password": testPassword, "role": "manager", "community_ids": []int64{A}}, 409)
		c.call("GET", "/api/v1/users", admin, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/users/%d", id(mgr)), admin, nil, 200)
		c.call("PATCH", fmt.Sprintf("/api/v1/users/%d", id(mgr)), admin, map[string]any{"disabled": true}, 200)
		c.call("PATCH", fmt.Sprintf("/api/v1/users/%d", id(mgr)), admin, map[string]any{"disabled": false}, 200)
		mgrTok := e.login("mgr")
		e.mustUser("guard", gatehouse.RoleGuard, []int64{A}, 0)
		guard := e.login("guard")
		e.mustUser("police", gatehouse.RolePolice, []int64{A}, 0)
		police := e.login("police")

		// Residents.
		_, host := c.call("POST", "/api/v1/residents", mgrTok, map[string]any{"community_id": A, "name": "王芳", "id_type": "resident_id",
			"id_number": validID(1), "phone": "13800138000", "building": "3栋", "unit": "2单元", "room": "502"}, 201)
		hostID := id(host)
		c.call("POST", "/api/v1/residents", guard, map[string]any{"community_id": A, "name": "李四"}, 403)
		c.call("POST", "/api/v1/residents", mgrTok, map[string]any{"community_id": A, "name": "李四"}, 422)
		c.call("POST", fmt.Sprintf("/api/v1/residents/import?community_id=%d", A), mgrTok,
			"name,id_number,phone,building,unit,room\n赵六,"+validID(2)+",13800138001,1栋,1单元,101\n", 201)
		c.call("GET", "/api/v1/residents", mgrTok, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/residents?community_id=%d&include_moved_out=true", A), admin, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/residents/%d", hostID), police, nil, 200)
		c.call("PATCH", fmt.Sprintf("/api/v1/residents/%d", hostID), mgrTok, map[string]any{"phone": "13800138002"}, 200)
		_, resUser := c.call("POST", "/api/v1/users", mgrTok, map[string]any{"username": "wangfang", "password": testPassword, "role": "resident", "resident_id": hostID}, 201)
		_ = resUser
		resTok := e.login("wangfang")
		c.call("GET", fmt.Sprintf("/api/v1/residents/%d/code", hostID), resTok, nil, 200)

		// Gates.
		_, gate := c.call("POST", "/api/v1/gates", mgrTok, map[string]any{"community_id": A, "name": "南门"}, 201)
		gateID := id(gate)
		c.call("GET", "/api/v1/gates", guard, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/gates/%d", gateID), mgrTok, nil, 200)
		c.call("PATCH", fmt.Sprintf("/api/v1/gates/%d", gateID), mgrTok, map[string]any{"name": "南门1"}, 200)
		_, rotated := c.call("POST", fmt.Sprintf("/api/v1/gates/%d/rotate-key", gateID), mgrTok, nil, 200)
		key := rotated["device_key"].(string)

		// Passes and scans.
		_, pass := c.call("POST", "/api/v1/passes", resTok, map[string]any{
			"visitor":     map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": validID(100), "phone": "13912345678", "plate": "粤B12345"},
			"valid_until": at(24 * time.Hour), "max_entries": 3, "gate_ids": []int64{gateID}, "purpose": "探亲",
			"schedule": map[string]any{"days": []int{1, 2, 3, 4, 5, 6, 7}, "start": "00:00", "end": "24:00"},
		}, 201)
		passID, code := id(pass), pass["code"].(string)
		c.call("POST", "/api/v1/passes", resTok, map[string]any{"visitor": map[string]any{"name": "张伟", "id_type": "resident_id", "id_number": validID(100)},
			"valid_until": at(-time.Hour)}, 422)
		c.call("GET", "/api/v1/passes", resTok, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/passes?community_id=%d&status=active", A), admin, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/passes/%d", passID), admin, nil, 200)
		if res, _ := c.call("GET", fmt.Sprintf("/api/v1/passes/%d/qr.png", passID), resTok, nil, 200); !bytes.HasPrefix(res.Body, []byte("\x89PNG")) {
			t.Fatal("qr.png is not a PNG")
		}
		c.call("POST", "/api/v1/scan", key, map[string]any{"code": code, "direction": "in", "event_id": "scan-1"}, 200)
		if _, again := c.call("POST", "/api/v1/scan", key, map[string]any{"code": code, "direction": "in", "event_id": "scan-1"}, 200); again["replayed"] != true {
			t.Fatalf("a scan sent again with its event_id: %v", again)
		}
		c.call("POST", "/api/v1/scan", guard, map[string]any{"code": code, "direction": "out", "gate_id": gateID}, 200)
		c.call("POST", "/api/v1/scan", key, map[string]any{"code": "GH1nonsense", "direction": "in"}, 200)
		c.call("POST", "/api/v1/guest/card", "", map[string]any{"code": code}, 200)
		c.call("POST", "/api/v1/guest/card", "", map[string]any{"code": "GH1nonsense"}, 404)
		_, resCode := c.call("GET", fmt.Sprintf("/api/v1/residents/%d/code", hostID), resTok, nil, 200)
		c.call("POST", "/api/v1/scan", key, map[string]any{"code": resCode["code"], "direction": "in"}, 200)
		c.call("POST", "/api/v1/scan", resTok, map[string]any{"code": code, "direction": "in", "gate_id": gateID}, 403)

		// At the gate.
		_, walkin := c.call("POST", "/api/v1/walkins", guard, map[string]any{"gate_id": gateID, "host_resident_id": hostID, "purpose": "送快递",
			"visitor": map[string]any{"name": "李强", "id_type": "resident_id", "id_number": validID(101), "plate": "粤B88888"}}, 201)
		_ = walkin
		c.call("POST", "/api/v1/entries/manual", guard, map[string]any{"gate_id": gateID, "direction": "in", "reason": "访客手机没电",
			"visitor": map[string]any{"name": "陈静", "id_type": "passport", "id_number": "E12345678"}, "host_resident_id": hostID}, 201)
		c.call("POST", "/api/v1/entries/manual", guard, map[string]any{"gate_id": gateID, "direction": "out", "reason": "住户忘带手机", "resident_id": hostID}, 201)
		c.call("GET", "/api/v1/onsite", guard, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/onsite?community_id=%d", A), admin, nil, 200)
		c.call("GET", "/api/v1/gates/"+strconv.FormatInt(gateID, 10)+"/sync", key, nil, 200)
		c.call("GET", "/api/v1/gates/"+strconv.FormatInt(gateID, 10)+"/sync?cursor=0", key, nil, 200)
		c.call("GET", "/api/v1/gates/"+strconv.FormatInt(gateID, 10)+"/sync", guard, nil, 403)
		c.call("POST", "/api/v1/gates/"+strconv.FormatInt(gateID, 10)+"/events", key, map[string]any{"events": []map[string]any{
			{"event_id": "ev-1", "code": code, "direction": "in", "occurred_at": at(-time.Minute), "decision": "grant"},
		}}, 200)
		c.call("POST", "/api/v1/gates/"+strconv.FormatInt(gateID, 10)+"/events", key,
			`{"events": [{"event_id": "ev-1", "code": "`+code+`", "direction": "in", "occurred_at": "`+at(-time.Minute)+`", "decision": "grant"}, {"event_id": 7}]}`, 200)
		c.live(guard, A)

		// Watchlist.
		_, w := c.call("POST", "/api/v1/watchlist", mgrTok, map[string]any{"community_id": A, "id_type": "resident_id", "id_number": validID(200), "name": "黑名单", "reason": "盗窃嫌疑"}, 201)
		c.call("GET", "/api/v1/watchlist", guard, nil, 200)
		c.call("DELETE", fmt.Sprintf("/api/v1/watchlist/%d", id(w)), mgrTok, nil, 204)

		// The log, reports, police and the audit.
		c.call("GET", "/api/v1/entries", mgrTok, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/entries?community_id=%d&decision=grant&limit=2", A), admin, nil, 200)
		c.call("GET", "/api/v1/entries?decision=maybe", admin, nil, 400)
		c.call("GET", "/api/v1/entries/verify", admin, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/entries/verify?community_id=%d", A), police, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/reports/population?community_id=%d&min_visits=1&threshold_hours=1", A), mgrTok, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/reports/population?community_id=%d&format=csv", A), police, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/reports/population?community_id=%d&format=xlsx", A), admin, nil, 200)
		_, q := c.call("POST", "/api/v1/police/queries", police, map[string]any{"case_ref": "粤公(罗)刑字[2026]1号", "purpose": "核查访客",
			"community_ids": []int64{A}, "from": at(-24 * time.Hour), "to": at(time.Hour), "id_number": validID(100)}, 201)
		c.call("POST", "/api/v1/police/queries", police, map[string]any{"case_ref": "", "purpose": "", "community_ids": []int64{A}}, 422)
		c.call("GET", "/api/v1/police/queries", police, nil, 200)
		c.call("GET", fmt.Sprintf("/api/v1/police/queries/%d", id(q)), admin, nil, 200)
		if res, _ := c.call("GET", fmt.Sprintf("/api/v1/police/queries/%d/export.csv", id(q)), police, nil, 200); len(res.Header.Get("X-Content-SHA256")) != 64 {
			t.Fatal("the export has no X-Content-SHA256")
		}
		c.call("GET", "/api/v1/audit", admin, nil, 200)
		c.call("GET", "/api/v1/audit?action=police.query", admin, nil, 200)
		c.call("GET", "/api/v1/audit/verify", admin, nil, 200)

		// Endings.
		c.call("POST", fmt.Sprintf("/api/v1/passes/%d/revoke", passID), resTok, nil, 200)
		c.call("DELETE", fmt.Sprintf("/api/v1/residents/%d", hostID), mgrTok, nil, 204)
		c.call("POST", "/api/v1/auth/logout", mgrTok, nil, 204)
		c.call("GET", "/api/v1/auth/me", mgrTok, nil, 401)

		var uncovered []string
		for k := range c.d.operations() {
			if !c.covered[k] {
				uncovered = append(uncovered, k)
			}
		}
		sort.Strings(uncovered)
		if len(uncovered) > 0 {
			t.Logf("documented operations this test does not call (their bodies are unchecked): %v", uncovered)
		}
	})
}

// live opens the event stream briefly and checks its status and media type.
func (c *oapiChecker) live(token string, community int64) {
	c.t.Helper()
	path := fmt.Sprintf("/api/v1/live?community_id=%d", community)
	tmpl, op := c.route("GET", path)
	c.covered["GET "+tmpl] = true
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest("GET", path, nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	c.e.api.ServeHTTP(w, req)
	responses, _ := op["responses"].(map[string]any)
	r := c.d.deref(responses[strconv.Itoa(w.Code)])
	content, _ := r["content"].(map[string]any)
	if w.Code != http.StatusOK || content[w.Header().Get("Content-Type")] == nil {
		c.t.Fatalf("GET %s: %d %q", path, w.Code, w.Header().Get("Content-Type"))
	}
}
