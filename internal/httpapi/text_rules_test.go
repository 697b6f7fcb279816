package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"gatehouse/internal/gatehouse"
)

// weakPasswords are the passwords an independent review got accepted, and
// what each is refused for.
var weakPasswords = map[string]string{
	"!!password":            "common password with digits or symbols added",
	"1password1":            "common password with digits or symbols added",
	"passwordpassword":      "common password repeated",
	"aaaaaaaaab":            "fewer than 5 different characters",
	"correct\thorse-staple": "U+0009",
	"correct\nhorse-staple": "U+000A",
	"correct\u200bhorse-st": "U+200B",
	"correct\x00horse-stap": "U+0000",
}

func TestWeakPasswordsAreRefusedOnEveryPathThatSetsOne(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		mgr, res := signInSite(e)
		var u struct{ ID int64 }
		e.expect("POST", "/api/v1/users", e.admin, map[string]any{"username": "guard7", "password": "guard-pass-1", "role": "guard",
			"community_ids": []int64{res.CommunityID}}, 201, &u)
		l := e.letter(mgr, res.ID)
		for pw, want := range weakPasswords {
			for _, r := range []struct {
				method, path, token string
				body                map[string]any
			}{
				{"POST", "/api/v1/users", e.admin, map[string]any{"username": "guard8", "password": pw, "role": "guard", "community_ids": []int64{res.CommunityID}}},
				{"PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), e.admin, map[string]any{"password": pw}},
				{"POST", "/api/v1/activate/" + l.Code, "", map[string]any{"phone": "13800138000", "password": pw}},
			} {
				res := e.do(r.method, r.path, r.token, r.body)
				if _, _, fields := res.Err(); res.Status != 422 || !strings.Contains(fields["password"], want) {
					t.Errorf("%s %s with password %q: %d %s, want 422 password: %s", r.method, r.path, pw, res.Status, res.Body, want)
				}
			}
		}
		// The letter still works with a good password: nothing was counted.
		e.expect("POST", "/api/v1/activate/"+l.Code, "", map[string]any{"phone": "13800138000", "password": newPassword}, 200, nil)
	})
}

// requestTextFields reads this package's handlers (go/ast) and returns every
// string-valued field of every body decoded by decode(c, &req), as
// "requestType.json.path" (embedded structs flattened, nested ones dotted; a
// named string type of another package, or a type read from a JSON string
// such as time.Time, is marked in parentheses). Types of other packages of
// this module are read from their source too.
func requestTextFields(t *testing.T) []string {
	t.Helper()
	ix := &typeIndex{t: t, fset: token.NewFileSet(), types: map[string]map[string]ast.Expr{}, imports: map[string]map[string]string{}}
	files := ix.load(".")
	var out []string
	var walk func(prefix, dir string, st *ast.StructType, depth int)
	leaf := func(prefix, dir string, typ ast.Expr, depth int) {
		for {
			switch x := typ.(type) {
			case *ast.StarExpr:
				typ = x.X
				continue
			case *ast.ArrayType:
				typ, prefix = x.Elt, prefix+"[]"
				continue
			}
			break
		}
		if st, ok := typ.(*ast.StructType); ok {
			walk(prefix+".", dir, st, depth+1)
			return
		}
		if id, ok := typ.(*ast.Ident); ok && id.Name == "string" {
			out = append(out, prefix)
			return
		}
		name, tdir, def := ix.resolve(dir, typ)
		switch d := def.(type) {
		case *ast.StructType:
			if depth < 6 {
				walk(prefix+".", tdir, d, depth+1)
			}
		case *ast.Ident:
			if d.Name == "string" {
				out = append(out, prefix+" ("+name+")")
			}
		case nil:
			if _, ok := typ.(*ast.SelectorExpr); ok { // a type of the standard library or another module: json.RawMessage, time.Time
				out = append(out, prefix+" ("+name+")")
			}
		}
	}
	walk = func(prefix, dir string, st *ast.StructType, depth int) {
		for _, f := range st.Fields.List {
			tag := ""
			if f.Tag != nil {
				v, _ := strconv.Unquote(f.Tag.Value)
				tag = strings.Split(reflect.StructTag(v).Get("json"), ",")[0]
			}
			if tag == "-" {
				continue
			}
			if len(f.Names) == 0 && tag == "" { // embedded: its fields are the body's
				if _, tdir, def := ix.resolve(dir, f.Type); def != nil {
					if s, ok := def.(*ast.StructType); ok {
						walk(prefix, tdir, s, depth+1)
					}
				}
				continue
			}
			for _, n := range f.Names {
				if !n.IsExported() {
					continue
				}
				name := tag
				if name == "" {
					name = n.Name
				}
				leaf(prefix+name, dir, f.Type, depth)
			}
		}
	}
	seen := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			fn, ok := n.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				return true
			}
			vars := map[string]ast.Expr{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if vs, ok := n.(*ast.ValueSpec); ok && vs.Type != nil {
					for _, name := range vs.Names {
						vars[name.Name] = vs.Type
					}
				}
				return true
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "decode" {
					return true
				}
				var typ ast.Expr
				if arg, ok := call.Args[1].(*ast.UnaryExpr); ok {
					if id, ok := arg.X.(*ast.Ident); ok {
						typ = vars[id.Name]
					}
				}
				name, dir, def := ix.resolve(".", typ)
				st, ok := def.(*ast.StructType)
				if !ok {
					t.Fatalf("%s: decode into a body whose type this test cannot tell: declare it as var req T", ix.fset.Position(call.Pos()))
				}
				if !seen[name] {
					seen[name] = true
					walk(name+".", dir, st, 0)
				}
				return true
			})
			return false
		})
	}
	sort.Strings(out)
	return out
}

// typeIndex reads the type declarations of this module's packages from
// their source, a package when first asked for.
type typeIndex struct {
	t       *testing.T
	fset    *token.FileSet
	types   map[string]map[string]ast.Expr // directory -> type name -> its definition
	imports map[string]map[string]string   // directory -> import name -> import path
}

// load parses the non-test files of the package in dir.
func (ix *typeIndex) load(dir string) []*ast.File {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		ix.t.Fatal(err)
	}
	ix.types[dir], ix.imports[dir] = map[string]ast.Expr{}, map[string]string{}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(ix.fset, name, nil, 0)
		if err != nil {
			ix.t.Fatal(err)
		}
		files = append(files, f)
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			alias := p[strings.LastIndex(p, "/")+1:]
			if im.Name != nil {
				alias = im.Name.Name
			}
			ix.imports[dir][alias] = p
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok {
				for _, s := range g.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						ix.types[dir][ts.Name.Name] = ts.Type
					}
				}
			}
		}
	}
	return files
}

// resolve names a type used in dir's package and finds its definition and
// the directory of its package; a definition is nil for a builtin type or one
// outside this module.
func (ix *typeIndex) resolve(dir string, typ ast.Expr) (name, tdir string, def ast.Expr) {
	switch x := typ.(type) {
	case *ast.Ident:
		return x.Name, dir, ix.types[dir][x.Name]
	case *ast.SelectorExpr:
		pkg, ok := x.X.(*ast.Ident)
		if !ok {
			return "", "", nil
		}
		name = pkg.Name + "." + x.Sel.Name
		path, ok := strings.CutPrefix(ix.imports[dir][pkg.Name], "gatehouse/")
		if !ok {
			return name, "", nil
		}
		tdir = filepath.Join("..", "..", path)
		if ix.types[tdir] == nil {
			ix.load(tdir)
		}
		return name, tdir, ix.types[tdir][x.Sel.Name]
	}
	return "", "", nil
}

// notFreeText names every string field of a request body that is not free
// text, and the stricter rule it has instead (the supervision's fields are
// added by supervision_text_test.go). Every other string field is
// free text and must be in freeTextFields. The lists are checked against the
// handlers' bodies, so a new field fails the test until it is in one of them.
var notFreeText = map[string]string{
	"activateRequest.password":                           "a new password: password.Validate (TestWeakPasswordsAreRefusedOnEveryPathThatSetsOne)",
	"activateRequest.phone":                              "a mainland mobile number",
	"approveRequest.valid_until":                         "an RFC 3339 time",
	"cardRequest.number":                                 "a card number: digits",
	"vehicleRequest.plate":                               "a licence plate of a pattern",
	"vehicleRequest.plate_color":                         "an enum: blue, yellow, white, black, green, yellow_green",
	"vehicleRequest.valid_until":                         "an RFC 3339 time",
	"watchPlateRequest.plate":                            "a licence plate of a pattern",
	"admitPlateRequest.plate":                            "a licence plate of a pattern",
	"gatePatchRequest.kind":                              "an enum: pedestrian or vehicle",
	"gatePatchRequest.camera.vendor":                     "an enum: a vendor of internal/lpr",
	"gatePatchRequest.camera.serial":                     "a serial number: letters, digits and - _ : .",
	"gatePatchRequest.camera.lane":                       "in or out",
	"cardRequest.valid_from":                             "an RFC 3339 time",
	"cardRequest.valid_until":                            "an RFC 3339 time",
	"communityRequest.anti_passback":                     "on or off",
	"communityRequest.time_zone":                         "an IANA time zone that loads",
	"communityRequest.webhook_secret":                    "a secret: never shown, only signs bodies",
	"doorEventsRequest.events[] (json.RawMessage)":       "each event decoded on its own: an event id of [A-Za-z0-9._:-], a kind of a fixed list, an RFC 3339 time",
	"eventsRequest.events[] (json.RawMessage)":           "each event decoded on its own: an event id of [A-Za-z0-9._:-], a signed code or a card number, enums, an RFC 3339 time",
	"guestCardRequest.code":                              "a signed pass code, verified",
	"heartbeatRequest.controller.kind":                   "an adapter of a fixed list",
	"heartbeatRequest.last_sync":                         "an RFC 3339 time",
	"loginRequest.password":                              "a password being checked: compared with a hash, never stored or shown",
	"loginRequest.username":                              "a username: 3-64 letters, digits and . _ - @",
	"overrideRequest.direction (gatehouse.Direction)":    "in or out",
	"overrideRequest.visitor.id_number":                  "an ID number of its type's pattern",
	"overrideRequest.visitor.id_type (gatehouse.IDType)": "an ID type of a fixed list",
	"overrideRequest.visitor.phone":                      "a phone number",
	"overrideRequest.visitor.plate":                      "a licence plate of a pattern",
	"passRequest.schedule.end":                           "HH:MM",
	"passRequest.schedule.start":                         "HH:MM",
	"passRequest.valid_from":                             "an RFC 3339 time",
	"passRequest.valid_until":                            "an RFC 3339 time",
	"passRequest.visitor.id_number":                      "an ID number of its type's pattern",
	"passRequest.visitor.id_type (gatehouse.IDType)":     "an ID type of a fixed list",
	"passRequest.visitor.phone":                          "a phone number",
	"passRequest.visitor.plate":                          "a licence plate of a pattern",
	"passwordChangeRequest.current_password":             "a password being checked: compared with a hash, never stored or shown",
	"passwordChangeRequest.new_password":                 "a new password: password.Validate",
	"policeQueryRequest.from":                            "an RFC 3339 time",
	"policeQueryRequest.to":                              "an RFC 3339 time",
	"registerRequest.consent.notice_version":             "must equal the notice's current version",
	"registerRequest.visitor.id_number":                  "an ID number of its type's pattern",
	"registerRequest.visitor.id_type (gatehouse.IDType)": "an ID type of a fixed list",
	"registerRequest.visitor.phone":                      "a phone number",
	"registerRequest.visitor.plate":                      "a licence plate of a pattern",
	"residentRequest.id_number":                          "an ID number of its type's pattern",
	"residentRequest.id_type (gatehouse.IDType)":         "an ID type of a fixed list",
	"residentRequest.phone":                              "a phone number",
	"scanRequest.code":                                   "a signed code, verified (a bad one is a logged decision, not a 422)",
	"scanRequest.direction (gatehouse.Direction)":        "in or out",
	"scanRequest.event_id":                               "an event id of [A-Za-z0-9._:-]",
	"smsLoginRequest.code":                               "six digits",
	"smsLoginRequest.phone":                              "a mainland mobile number",
	"smsSendRequest.phone":                               "a mainland mobile number",
	"userPatchRequest.password":                          "a new password: password.Validate (TestWeakPasswordsAreRefusedOnEveryPathThatSetsOne)",
	"userRequest.password":                               "a new password: password.Validate (TestWeakPasswordsAreRefusedOnEveryPathThatSetsOne)",
	"userRequest.role (gatehouse.Role)":                  "a role of a fixed list",
	"userRequest.username":                               "a username: 3-64 letters, digits and . _ - @",
	"walkInRequest.valid_until":                          "an RFC 3339 time",
	"walkInRequest.visitor.id_number":                    "an ID number of its type's pattern",
	"walkInRequest.visitor.id_type (gatehouse.IDType)":   "an ID type of a fixed list",
	"walkInRequest.visitor.phone":                        "a phone number",
	"walkInRequest.visitor.plate":                        "a licence plate of a pattern",
	"watchlistRequest.id_number":                         "an ID number of its type's pattern",
	"watchlistRequest.id_type (gatehouse.IDType)":        "an ID type of a fixed list",
}

// textSite is what the free-text cases send their requests to.
type textSite struct {
	*visitWorld
	officer string
	// The district's supervision: its office, the street office, the
	// community's company and an order to put something right.
	district, street       string
	company, rectification int64
	pending                int64  // a visit request waiting for the household
	letter                 string // an activation letter's code
	n                      int    // varies people, rooms and phones between requests
}

// freeTextCase sends one request whose field carries the JSON string
// literal value; field is what a 422 names.
type freeTextCase struct {
	field     string
	errField  string
	spacesOut bool // an identifier from which spaces, tabs and newlines are removed before it is checked
	send      func(s *textSite, value string) response
}

// sendJSON sends body with the JSON literal value in place of the string "@".
func (s *textSite) sendJSON(method, path, token, addr string, body map[string]any, value string) response {
	s.e.t.Helper()
	j, err := json.Marshal(body)
	if err != nil {
		s.e.t.Fatal(err)
	}
	j = bytes.Replace(j, []byte(`"@"`), []byte(value), 1)
	req := httptest.NewRequest(method, path, bytes.NewReader(j))
	req.RemoteAddr = addr + ":4000"
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	s.e.api.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header()}
}

func (s *textSite) next() int { s.n++; return s.n }

func (s *textSite) visitor(name string) map[string]any {
	return map[string]any{"name": name, "id_type": "resident_id", "id_number": validID(400 + s.next())}
}

func (s *textSite) until() string { return s.e.clock.Now().Add(time.Hour).Format(time.RFC3339) }

// freeTextFields is every free-text field of the API, each with a request
// that carries it.
var freeTextFields = []freeTextCase{
	{"communityRequest.name", "name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/communities", s.e.admin, "192.0.2.1", map[string]any{"name": "@", "address": "路1号"}, v)
	}},
	{"communityRequest.address", "address", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/communities", s.e.admin, "192.0.2.1", map[string]any{"name": fmt.Sprint("小区", s.next()), "address": "@"}, v)
	}},
	{"communityRequest.webhook_url", "webhook_url", false, func(s *textSite, v string) response {
		return s.sendJSON("PATCH", fmt.Sprintf("/api/v1/communities/%d", s.cid), s.e.admin, "192.0.2.1",
			map[string]any{"webhook_url": "@", "webhook_secret": "a-secret-of-sixteen"}, v)
	}},
	{"gateRequest.name", "name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/gates", s.mgr, "192.0.2.1", map[string]any{"community_id": s.cid, "name": "@"}, v)
	}},
	{"gatePatchRequest.name", "name", false, func(s *textSite, v string) response {
		return s.sendJSON("PATCH", fmt.Sprintf("/api/v1/gates/%d", s.gateID), s.mgr, "192.0.2.1", map[string]any{"name": "@"}, v)
	}},
	{"heartbeatRequest.version", "version", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", fmt.Sprintf("/api/v1/gates/%d/status", s.gateID), s.gateKey, "192.0.2.1", heartbeat(map[string]any{"version": "@"}), v)
	}},
	{"vehicleRequest.label", "label", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", fmt.Sprintf("/api/v1/residents/%d/vehicles", s.residentID), s.mgr, "192.0.2.1",
			map[string]any{"plate": fmt.Sprintf("粤B%05d", 10000+s.next()), "label": "@"}, v)
	}},
	{"watchPlateRequest.reason", "reason", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/plate-watchlist", s.mgr, "192.0.2.1", map[string]any{"community_id": s.cid, "plate": "粤C55555", "reason": "@"}, v)
	}},
	{"admitPlateRequest.purpose", "purpose", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/plate-admissions", s.guard, "192.0.2.1", map[string]any{"gate_id": s.gateID, "plate": "京A00001",
			"host_resident_id": s.residentID, "purpose": "@"}, v)
	}},
	{"cardRequest.label", "label", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", fmt.Sprintf("/api/v1/residents/%d/cards", s.residentID), s.mgr, "192.0.2.1",
			map[string]any{"number": fmt.Sprint(3922570400 + s.next()), "label": "@"}, v)
	}},
	{"residentRequest.name", "name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/residents", s.mgr, "192.0.2.1", s.resident(map[string]any{"name": "@"}), v)
	}},
	{"residentRequest.building", "building", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/residents", s.mgr, "192.0.2.1", s.resident(map[string]any{"building": "@"}), v)
	}},
	{"residentRequest.unit", "unit", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/residents", s.mgr, "192.0.2.1", s.resident(map[string]any{"unit": "@"}), v)
	}},
	{"residentRequest.room", "room", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/residents", s.mgr, "192.0.2.1", s.resident(map[string]any{"room": "@"}), v)
	}},
	{"passRequest.purpose", "purpose", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/passes", s.res, "192.0.2.1", map[string]any{"visitor": s.visitor("张伟"), "valid_until": s.until(), "purpose": "@"}, v)
	}},
	{"passRequest.visitor.name", "visitor.name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/passes", s.res, "192.0.2.1", map[string]any{"visitor": s.visitor("@"), "valid_until": s.until()}, v)
	}},
	{"walkInRequest.purpose", "purpose", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/walkins", s.guard, "192.0.2.1", map[string]any{"gate_id": s.gateID, "host_resident_id": s.residentID,
			"visitor": s.visitor("张伟"), "purpose": "@"}, v)
	}},
	{"walkInRequest.visitor.name", "visitor.name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/walkins", s.guard, "192.0.2.1", map[string]any{"gate_id": s.gateID, "host_resident_id": s.residentID,
			"visitor": s.visitor("@"), "purpose": "送快递"}, v)
	}},
	{"overrideRequest.reason", "reason", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/entries/manual", s.guard, "192.0.2.1", map[string]any{"gate_id": s.gateID, "direction": "in",
			"resident_id": s.residentID, "reason": "@"}, v)
	}},
	{"overrideRequest.visitor.name", "visitor.name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/entries/manual", s.guard, "192.0.2.1", map[string]any{"gate_id": s.gateID, "direction": "in",
			"visitor": s.visitor("@"), "host_resident_id": s.residentID, "reason": "住户电话确认"}, v)
	}},
	{"watchlistRequest.name", "name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/watchlist", s.mgr, "192.0.2.1", map[string]any{"community_id": s.cid,
			"id_number": validID(700 + s.next()), "name": "@", "reason": "盗窃嫌疑"}, v)
	}},
	{"watchlistRequest.reason", "reason", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/watchlist", s.mgr, "192.0.2.1", map[string]any{"community_id": s.cid,
			"id_number": validID(700 + s.next()), "name": "张三", "reason": "@"}, v)
	}},
	{"policeQueryRequest.case_ref", "case_ref", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/police/queries", s.officer, "192.0.2.1", s.police(map[string]any{"case_ref": "@"}), v)
	}},
	{"policeQueryRequest.purpose", "purpose", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/police/queries", s.officer, "192.0.2.1", s.police(map[string]any{"purpose": "@"}), v)
	}},
	{"policeQueryRequest.name", "name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/police/queries", s.officer, "192.0.2.1", s.police(map[string]any{"name": "@"}), v)
	}},
	{"policeQueryRequest.id_number", "id_number", true, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/police/queries", s.officer, "192.0.2.1", s.police(map[string]any{"id_number": "@"}), v)
	}},
	{"policeQueryRequest.plate", "plate", true, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/police/queries", s.officer, "192.0.2.1", s.police(map[string]any{"plate": "@"}), v)
	}},
	{"registerRequest.visitor.name", "visitor.name", false, func(s *textSite, v string) response {
		return s.register(func(b map[string]any) { b["visitor"].(map[string]any)["name"] = "@" }, v)
	}},
	{"registerRequest.building", "building", false, func(s *textSite, v string) response {
		return s.register(func(b map[string]any) { b["building"] = "@" }, v)
	}},
	{"registerRequest.unit", "unit", false, func(s *textSite, v string) response {
		return s.register(func(b map[string]any) { b["unit"] = "@" }, v)
	}},
	{"registerRequest.room", "room", false, func(s *textSite, v string) response {
		return s.register(func(b map[string]any) { b["room"] = "@" }, v)
	}},
	{"registerRequest.purpose", "purpose", false, func(s *textSite, v string) response {
		return s.register(func(b map[string]any) { b["purpose"] = "@" }, v)
	}},
	{"denyRequest.reason", "reason", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", fmt.Sprintf("/api/v1/visit-requests/%d/deny", s.pending), s.res, "192.0.2.1", map[string]any{"reason": "@"}, v)
	}},
	{"companyRequest.name", "name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/companies", s.district, "192.0.2.1", map[string]any{"name": "@", "credit_code": "91350100M000100Y43"}, v)
	}},
	{"companyRequest.contact", "contact", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/companies", s.district, "192.0.2.1", map[string]any{"name": "福田物业", "credit_code": "91350100M000100Y43", "contact": "@"}, v)
	}},
	{"assignRequest.street", "street", false, func(s *textSite, v string) response {
		return s.sendJSON("PUT", fmt.Sprintf("/api/v1/communities/%d/company", s.cid), s.district, "192.0.2.1", map[string]any{"company_id": s.company, "street": "@"}, v)
	}},
	{"inspectionRequest.inspector", "inspector", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/inspections", s.street, "192.0.2.1", map[string]any{"community_id": s.cid, "date": s.yesterday(), "inspector": "@"}, v)
	}},
	{"inspectionRequest.notes", "notes", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/inspections", s.street, "192.0.2.1", map[string]any{"community_id": s.cid, "date": s.yesterday(), "inspector": "园岭街道办", "notes": "@"}, v)
	}},
	{"incidentRequest.case_ref", "case_ref", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/incidents", s.officer, "192.0.2.1", map[string]any{"community_id": s.cid, "date": s.yesterday(), "category": "theft", "case_ref": "@"}, v)
	}},
	{"publishRequest.reason", "reason", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/supervision/months/2026-10/publish", s.district, "192.0.2.1", map[string]any{"republish": true, "reason": "@"}, v)
	}},
	{"rectificationRequest.reason", "reason", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/rectifications", s.district, "192.0.2.1", map[string]any{"community_id": s.cid, "reason": "@"}, v)
	}},
	{"rectificationPatch.answer", "answer", false, func(s *textSite, v string) response { // before note: the answer comes first
		return s.sendJSON("PATCH", fmt.Sprintf("/api/v1/rectifications/%d", s.rectification), s.mgr, "192.0.2.1", map[string]any{"status": "answered", "answer": "@"}, v)
	}},
	{"rectificationPatch.note", "note", false, func(s *textSite, v string) response {
		return s.sendJSON("PATCH", fmt.Sprintf("/api/v1/rectifications/%d", s.rectification), s.street, "192.0.2.1", map[string]any{"status": "closed", "note": "@"}, v)
	}},
	{"schemeRequest.checklist[].name", "checklist[0].name", false, func(s *textSite, v string) response {
		return s.scheme(func(sc map[string]any) { sc["checklist"].([]any)[0].(map[string]any)["name"] = "@" }, v)
	}},
	{"schemeRequest.incident_categories[].name", "incident_categories[0].name", false, func(s *textSite, v string) response {
		return s.scheme(func(sc map[string]any) { sc["incident_categories"].([]any)[0].(map[string]any)["name"] = "@" }, v)
	}},
	{"loginRequest.device_name", "device_name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/auth/login", "", "192.0.2.1", map[string]any{"username": "mgr", "password": testPassword, "device_name": "@"}, v)
	}},
	{"smsLoginRequest.device_name", "device_name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/auth/sms/login", "", "192.0.2.1", map[string]any{"phone": "13800138000", "code": "123456", "device_name": "@"}, v)
	}},
	{"activateRequest.device_name", "device_name", false, func(s *textSite, v string) response {
		return s.sendJSON("POST", "/api/v1/activate/"+s.letter, "", "192.0.2.1", map[string]any{"phone": "13800138000", "password": newPassword, "device_name": "@"}, v)
	}},
}

func (s *textSite) resident(set map[string]any) map[string]any {
	n := s.next()
	b := map[string]any{"community_id": s.cid, "name": "赵六", "id_type": "resident_id", "id_number": validID(500 + n),
		"phone": "13800138000", "building": "8栋", "unit": "1单元", "room": fmt.Sprint(100 + n)}
	for k, v := range set {
		b[k] = v
	}
	return b
}

func (s *textSite) yesterday() string {
	return s.e.clock.Now().Add(-24 * time.Hour).Format("2006-01-02")
}

// scheme sends the district's scheme in force, edited.
func (s *textSite) scheme(edit func(map[string]any), v string) response {
	var sc map[string]any
	s.e.expect("GET", "/api/v1/supervision/scheme", s.district, nil, 200, &sc)
	delete(sc, "effective_from")
	edit(sc)
	return s.sendJSON("PUT", "/api/v1/supervision/scheme", s.district, "192.0.2.1", sc, v)
}

func (s *textSite) police(set map[string]any) map[string]any {
	now := s.e.clock.Now()
	b := map[string]any{"case_ref": "2026-1", "purpose": "盗窃案", "community_ids": []int64{s.cid},
		"from": now.Add(-time.Hour).Format(time.RFC3339), "to": now.Format(time.RFC3339), "name": "张伟"}
	for k, v := range set {
		b[k] = v
	}
	return b
}

// register sends a visitor's registration, each from its own address and
// phone, so that no limit answers first.
func (s *textSite) register(edit func(map[string]any), v string) response {
	n := s.next()
	b := registration(300+n, "3栋", "2单元", "502")
	edit(b)
	return s.sendJSON("POST", "/api/v1/register/"+s.token, "", fmt.Sprintf("198.51.100.%d", n%250), b, v)
}

// cleanValues are what each field holds around a bad character, by the
// error field it is named by: the request is fine without the character.
var cleanValues = map[string][2]string{
	"webhook_url": {"http://127.0.0.1:9/ho", "ok"},
	"id_number":   {"E1234", "5678"},
	"plate":       {"粤B12", "345"},
	"version":     {"gatehouse-gate v1", ".4.0"},
	"device_name": {"iPhone", " Safari"},
	"room":        {"50", "2"},
	"building":    {"3", "栋"},
	"unit":        {"2单", "元"},
}

// hiddenCharacters are JSON string escapes of what people cannot see, or
// what is no character at all.
var hiddenCharacters = []struct{ name, escape string }{
	{"NUL", `\u0000`}, {"BEL", `\u0007`}, {"tab", `\t`}, {"newline", `\n`}, {"carriage return", `\r`}, {"DEL", `\u007f`},
	{"next line (C1)", `\u0085`}, {"zero-width space", `\u200b`}, {"zero-width joiner", `\u200d`}, {"right-to-left override", `\u202e`},
	{"first-strong isolate", `\u2068`}, {"line separator", `\u2028`}, {"byte order mark", `\ufeff`},
	{"lone high surrogate", `\ud800`}, {"lone low surrogate", `\udfff`}, {"replacement character", `\ufffd`},
}

func TestEveryRequestFieldIsFreeTextOrHasAStricterRule(t *testing.T) {
	free := map[string]bool{}
	for _, c := range freeTextFields {
		free[c.field] = true
	}
	found := map[string]bool{}
	types := map[string]bool{}
	for _, f := range requestTextFields(t) {
		found[f] = true
		types[strings.Split(f, ".")[0]] = true
		if _, ok := notFreeText[f]; !ok && !free[f] {
			t.Errorf("%s: a string field of a request body that is neither in freeTextFields (printable text, tested below) nor in notFreeText (say its rule)", f)
		}
	}
	for f := range free {
		if !found[f] {
			t.Errorf("freeTextFields names %s, which no request body has", f)
		}
	}
	for f := range notFreeText {
		if types[strings.Split(f, ".")[0]] && !found[f] {
			t.Errorf("notFreeText names %s, which its request body does not have", f)
		}
	}
}

// Every free-text field of the API refuses what nobody can see (controls,
// zero-width and bidi characters) and what is no character (a lone UTF-16
// surrogate, U+FFFD) with a 422 naming the field; the same request without
// the character is accepted.
func TestEveryFreeTextFieldRefusesHiddenCharactersNamingTheField(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		s := &textSite{visitWorld: newVisitWorld(t, e)}
		e.mustUser("officer", gatehouse.RolePolice, []int64{s.cid}, 0)
		s.officer = e.login("officer")
		s.pending = s.submit(1, "3栋", "2单元", "502").RequestID
		s.letter = e.letter(s.mgr, s.residentID).Code
		e.mustUser("district", gatehouse.RoleDistrict, nil, 0)
		e.mustUser("street", gatehouse.RoleStreet, []int64{s.cid}, 0)
		s.district, s.street = e.login("district"), e.login("street")
		var made struct{ ID int64 }
		e.expect("POST", "/api/v1/companies", s.district, map[string]any{"name": "鹏城物业", "credit_code": "91440300MA5DC4JL0N"}, 201, &made)
		s.company = made.ID
		e.expect("PUT", fmt.Sprintf("/api/v1/communities/%d/company", s.cid), s.district, map[string]any{"company_id": s.company, "declared_dwellings": 2}, 200, nil)
		e.expect("POST", "/api/v1/rectifications", s.district, map[string]any{"community_id": s.cid, "reason": "门卫未培训"}, 201, &made)
		s.rectification = made.ID
		for _, c := range freeTextFields {
			around, ok := cleanValues[c.errField]
			if !ok {
				around = [2]string{"张", "伟"}
			}
			for _, h := range hiddenCharacters {
				var decoded string
				_ = json.Unmarshal([]byte(`"`+h.escape+`"`), &decoded)
				if c.spacesOut && strings.TrimFunc(decoded, unicode.IsSpace) == "" {
					continue // removed, as a space between groups of digits is
				}
				res := c.send(s, `"`+around[0]+h.escape+around[1]+`"`)
				if _, _, fields := res.Err(); res.Status != 422 || fields[c.errField] == "" {
					t.Errorf("%s with a %s: %d %s, want 422 naming %s", c.field, h.name, res.Status, res.Body, c.errField)
				}
			}
			res := c.send(s, `"`+around[0]+around[1]+`"`)
			if _, _, fields := res.Err(); res.Status >= 500 || fields[c.errField] != "" {
				t.Errorf("%s without the character: %d %s", c.field, res.Status, res.Body)
			}
		}
	})
}

// A lone surrogate is refused, not stored as U+FFFD: encoding/json decodes
// "\ud800" as U+FFFD, which the review found in a watchlist entry's name.
func TestALoneSurrogateIsRefusedNotStoredAsAReplacementCharacter(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		body := `{"community_id":` + fmt.Sprint(w.A) + `,"id_number":"` + validID(801) + `","name":"张\ud800三","reason":"盗窃"}`
		res := e.do("POST", "/api/v1/watchlist", w.mgr, []byte(body))
		if _, _, fields := res.Err(); res.Status != 422 || !strings.Contains(fields["name"], "surrogate") {
			t.Errorf("a lone surrogate in a watchlist name: %d %s", res.Status, res.Body)
		}
		// A pair is one character (U+1F600), and a key holding half of one is named too.
		e.expect("POST", "/api/v1/watchlist", w.mgr, []byte(strings.Replace(body, `\ud800`, `\ud83d\ude00`, 1)), 201, nil)
		res = e.do("POST", "/api/v1/watchlist", w.mgr, []byte(`{"community_id":1,"\udc00":1}`))
		if _, _, fields := res.Err(); res.Status != 422 || fields["(a field name)"] == "" {
			t.Errorf("a lone surrogate in a key: %d %s", res.Status, res.Body)
		}
		// An escaped backslash before "ud800" is text, not an escape.
		e.expect("POST", "/api/v1/watchlist", w.mgr, []byte(strings.Replace(body, `\ud800`, `\\ud800`, 1)), 201, nil)
		var list struct{ Items []struct{ Name string } }
		e.expect("GET", "/api/v1/watchlist", w.mgr, nil, 200, &list)
		for _, it := range list.Items {
			if strings.ContainsRune(it.Name, '\ufffd') {
				t.Errorf("stored %q", it.Name)
			}
		}
	})
}
