package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// use is one message literal found in the code, and where.
type use struct {
	key string
	pos token.Position
}

// sink is a function whose argument at arg is a message shown to a client;
// the message is template with the argument in place of its %s.
type sink struct {
	arg      int
	template string
}

// The functions whose arguments are messages. Functions that pass one of
// their parameters on to one of these (service's forbidden, httpapi's
// idParam) are found by the scan itself.
var baseSinks = map[string]sink{
	"gatehouse.Errorf":     {1, "%s"},
	"gatehouse.FieldError": {1, "%s"},
	"gatehouse.NotFound":   {0, "%s not found"},
}

// scanMessages walks every non-test Go file under root and returns every
// message literal that reaches a client through the domain's errors.
func scanMessages(t *testing.T, root string) []use {
	t.Helper()
	fset := token.NewFileSet()
	type file struct {
		dir string
		f   *ast.File
	}
	var files []file
	idx := &index{funcs: map[string][]*funcAt{}, values: map[string]ast.Expr{}, problems: map[string]map[string]bool{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, file{filepath.Dir(path), f})
		idx.add(filepath.Dir(path), f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sinks := map[string]sink{}
	for k, v := range baseSinks {
		sinks[k] = v
	}
	var uses []use
	var unreadable []string
	// Wrappers are found as the scan goes; scan again until no new one is found.
	for round := 0; ; round++ {
		uses, unreadable = nil, nil
		before := len(sinks)
		for _, fl := range files {
			s := &scanner{fset: fset, pkg: fl.f.Name.Name, dir: fl.dir, sinks: sinks, idx: idx}
			s.file(fl.f)
			uses = append(uses, s.uses...)
			unreadable = append(unreadable, s.unreadable...)
		}
		if len(sinks) == before || round > 10 {
			break
		}
	}
	for _, u := range unreadable {
		t.Errorf("%s", u)
	}
	return uses
}

type scanner struct {
	fset       *token.FileSet
	pkg, dir   string
	sinks      map[string]sink
	uses       []use
	unreadable []string

	idx      *index
	fn       *ast.FuncDecl
	problems map[string]bool // names declared as gatehouse.Problems in this file
}

func (s *scanner) file(f *ast.File) {
	s.problems = map[string]bool{}
	for k := range s.idx.problems[s.dir] {
		s.problems[k] = true
	}
	// probs := t.probs, probs := &gatehouse.Problems{}
	ast.Inspect(f, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok && a.Tok == token.DEFINE && len(a.Lhs) == len(a.Rhs) {
			for i, r := range a.Rhs {
				r = unparen(r)
				if u, ok := r.(*ast.UnaryExpr); ok {
					r = u.X
				}
				if c, ok := r.(*ast.CompositeLit); (ok && isProblems(c.Type, s.pkg)) || s.problems[lastName(r)] {
					s.problems[identName(a.Lhs[i])] = true
				}
			}
		}
		return true
	})
	// Package-level errors: var errBadLogin = gatehouse.Errorf(...).
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok {
			s.fn = nil
			ast.Inspect(g, s.node)
		}
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		// The definitions of the domain's error helpers build messages out
		// of their arguments; their callers are scanned instead.
		if s.pkg == "gatehouse" && filepath.Base(s.fset.Position(fd.Pos()).Filename) == "error.go" {
			continue
		}
		s.fn = fd
		ast.Inspect(fd.Body, s.node)
	}
}

func isProblems(e ast.Expr, pkg string) bool {
	if st, ok := e.(*ast.StarExpr); ok {
		e = st.X
	}
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "gatehouse" && e.Sel.Name == "Problems"
	case *ast.Ident:
		return pkg == "gatehouse" && e.Name == "Problems"
	}
	return false
}

// callee names a called function as the sinks do: "gatehouse.Errorf" for
// the domain's helpers, "dir:name" for a function of this package.
func (s *scanner) callee(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		if s.pkg == "gatehouse" {
			return "gatehouse." + f.Name
		}
		return s.dir + ":" + f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && x.Name == "gatehouse" {
			return "gatehouse." + f.Sel.Name
		}
		// A method of this package (s.forbidden).
		return s.dir + ":" + f.Sel.Name
	}
	return ""
}

func (s *scanner) node(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.AssignStmt:
		// e.Message = "nothing was imported; " + e.Message
		for i, l := range n.Lhs {
			if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "Message" && len(n.Lhs) == len(n.Rhs) {
				s.message(n.Rhs[i], "%s", "an error's Message")
			}
		}
	case *ast.CallExpr:
		if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Add" || sel.Sel.Name == "Check") && s.problems[lastName(sel.X)] {
			i := 1
			if sel.Sel.Name == "Check" {
				i = 2
			}
			if len(n.Args) > i {
				s.message(n.Args[i], "%s", "problem of "+lastName(sel.X)+"."+sel.Sel.Name)
			}
			return true
		}
		if sk, ok := s.sinks[s.callee(n.Fun)]; ok && len(n.Args) > sk.arg {
			s.message(n.Args[sk.arg], sk.template, s.callee(n.Fun))
			if s.callee(n.Fun) == "gatehouse.Errorf" {
				s.words(n.Args[sk.arg+1:])
			}
		}
	case *ast.CompositeLit:
		if m, ok := n.Type.(*ast.MapType); ok && isReason(m.Key, s.pkg) && identName(m.Value) == "string" {
			// The words of each decision (httpapi's reasonText).
			for _, el := range n.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					s.message(kv.Value, "%s", "a decision's words")
				}
			}
			return true
		}
		if !isDomainError(n.Type, s.pkg) {
			return true
		}
		hasFields := false
		for _, el := range n.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok && identName(kv.Key) == "Fields" {
				hasFields = true
			}
		}
		for _, el := range n.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch identName(kv.Key) {
			case "Message":
				if hasFields {
					// "field: problem": the field keeps its name, the problem is
					// translated as in Fields.
					continue
				}
				s.message(kv.Value, "%s", "gatehouse.Error.Message")
			case "Fields":
				if m, ok := kv.Value.(*ast.CompositeLit); ok {
					for _, f := range m.Elts {
						if fkv, ok := f.(*ast.KeyValueExpr); ok {
							s.message(fkv.Value, "%s", "gatehouse.Error.Fields")
						}
					}
				}
			}
		}
	}
	return true
}

func isReason(e ast.Expr, pkg string) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return identName(e.X) == "gatehouse" && e.Sel.Name == "Reason"
	case *ast.Ident:
		return pkg == "gatehouse" && e.Name == "Reason"
	}
	return false
}

func isDomainError(e ast.Expr, pkg string) bool {
	switch e := e.(type) {
	case *ast.Ident:
		// httpapi's error body, for the answers gin makes (405).
		if pkg == "httpapi" && e.Name == "errorDetail" {
			return true
		}
		return pkg == "gatehouse" && e.Name == "Error"
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "gatehouse" && e.Sel.Name == "Error"
	}
	return false
}

func identName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func lastName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.StarExpr:
		return lastName(e.X)
	case *ast.UnaryExpr:
		return lastName(e.X)
	case *ast.ParenExpr:
		return lastName(e.X)
	}
	return ""
}

// words records the words passed as arguments of a format through a local
// variable set only to literals (what := "this account"): they are
// translated as messages too.
func (s *scanner) words(args []ast.Expr) {
	for _, a := range args {
		id, ok := unparen(a).(*ast.Ident)
		if !ok || s.paramIndex(id.Name) >= 0 {
			continue
		}
		if ws, ok := s.assigned(id.Name, 0); ok {
			for _, w := range ws {
				if hasWords(w) {
					s.uses = append(s.uses, use{key: w, pos: s.fset.Position(a.Pos())})
				}
			}
		}
	}
}

// message records the literals of a message expression.
func (s *scanner) message(e ast.Expr, template, via string) {
	formats, ok := s.formats(e, 0)
	if !ok {
		// A parameter passed straight on: the enclosing function is a sink too.
		if id, isID := unparen(e).(*ast.Ident); isID {
			if i := s.paramIndex(id.Name); i >= 0 {
				s.sinks[s.dir+":"+s.fn.Name.Name] = sink{i, template}
				return
			}
		}
		pos := s.fset.Position(e.Pos())
		s.unreadable = append(s.unreadable, fmt.Sprintf("%s: the message passed to %s is not a string literal, a fmt.Sprintf of one, "+
			"a local variable set only to literals or a parameter passed on: the catalogue test cannot check it; write the message as a literal",
			rel(pos), via))
		return
	}
	for _, f := range formats {
		if !hasWords(f) {
			continue // the whole message comes from elsewhere
		}
		s.uses = append(s.uses, use{key: strings.Replace(template, "%s", f, 1), pos: s.fset.Position(e.Pos())})
	}
}

// hasWords reports whether a format says anything besides its arguments
// and punctuation ("%s: %s" says nothing to translate).
func hasWords(f string) bool {
	return strings.IndexFunc(verbRe.ReplaceAllString(f, ""), unicode.IsLetter) >= 0
}

var verbRe = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?(?:\[[0-9]+\])?[a-zA-Z%]`)

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

func (s *scanner) paramIndex(name string) int {
	if s.fn == nil {
		return -1
	}
	i := 0
	for _, f := range s.fn.Type.Params.List {
		if len(f.Names) == 0 {
			i++
			continue
		}
		for _, n := range f.Names {
			if n.Name == name {
				return i
			}
			i++
		}
	}
	return -1
}

// formats returns the message formats an expression can take: a literal,
// the format of fmt.Sprintf, the literals assigned to a local variable.
func (s *scanner) formats(e ast.Expr, depth int) ([]string, bool) {
	if depth > 16 {
		return nil, false
	}
	switch e := unparen(e).(type) {
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return nil, false
		}
		l, ok1 := s.formats(e.X, depth+1)
		r, ok2 := s.formats(e.Y, depth+1)
		if !ok1 && !ok2 {
			return nil, false
		}
		// A part that comes from elsewhere (a field name, another message)
		// is an argument of the format.
		if !ok1 || len(l) == 0 {
			l = []string{"%s"}
		}
		if !ok2 || len(r) == 0 {
			r = []string{"%s"}
		}
		var out []string
		for _, a := range l {
			for _, b := range r {
				out = append(out, a+b)
			}
		}
		return out, true
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return nil, false
		}
		v, err := strconv.Unquote(e.Value)
		return []string{v}, err == nil
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
			switch identName(sel.X) + "." + sel.Sel.Name {
			case "fmt.Sprintf", "fmt.Errorf", "errors.New":
				if len(e.Args) > 0 {
					return s.formats(e.Args[0], depth+1)
				}
				return nil, false
			}
			if sel.Sel.Name == "Error" && len(e.Args) == 0 {
				// err.Error(): the messages of the errors err was set to.
				return s.formats(sel.X, depth+1)
			}
		}
		return s.returned(e, depth)
	case *ast.Ident:
		if e.Name == "nil" {
			return nil, true
		}
		if s.paramIndex(e.Name) >= 0 {
			return nil, false
		}
		if f, ok := s.assigned(e.Name, depth); ok {
			return f, true
		}
		if v, ok := s.idx.values[s.dir+":"+e.Name]; ok {
			return s.formats(v, depth+1)
		}
	case *ast.IndexExpr:
		// errSome.Fields["name"]: the field problem of a package-level error.
		sel, ok := e.X.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Fields" {
			return nil, false
		}
		v := s.idx.values[s.dir+":"+identName(sel.X)]
		if u, isAddr := v.(*ast.UnaryExpr); isAddr {
			v = u.X
		}
		lit, ok := v.(*ast.CompositeLit)
		if !ok {
			return nil, false
		}
		var out []string
		for _, el := range lit.Elts {
			if kv, isKV := el.(*ast.KeyValueExpr); isKV && identName(kv.Key) == "Fields" {
				if m, isMap := kv.Value.(*ast.CompositeLit); isMap {
					for _, f := range m.Elts {
						if fkv, isKV := f.(*ast.KeyValueExpr); isKV {
							fs, good := s.formats(fkv.Value, depth+1)
							if !good {
								return nil, false
							}
							out = append(out, fs...)
						}
					}
				}
			}
		}
		return out, len(out) > 0
	case *ast.SelectorExpr:
		if e.Sel.Name == "Message" {
			return nil, true // an error's message, checked where it was made
		}
		// A constant of another package (gatehouse.SomeMessage).
		for k, v := range s.idx.values {
			if strings.HasSuffix(k, "/"+identName(e.X)+":"+e.Sel.Name) {
				return s.formats(v, depth+1)
			}
		}
	}
	return nil, false
}

// returned returns the messages a called function of this repository
// returns (a validator's "" means no problem).
func (s *scanner) returned(call *ast.CallExpr, depth int) ([]string, bool) {
	return s.returnedAt(call, 0, depth)
}

// returnedAt returns the messages a called function returns as its result i.
func (s *scanner) returnedAt(call *ast.CallExpr, i int, depth int) ([]string, bool) {
	var cands []*funcAt
	switch f := call.Fun.(type) {
	case *ast.Ident:
		for _, c := range s.idx.funcs[f.Name] {
			if c.dir == s.dir {
				cands = append(cands, c)
			}
		}
	case *ast.SelectorExpr:
		// pkg.Func: that package's; x.Method: every method of that name.
		all := s.idx.funcs[f.Sel.Name]
		for _, c := range all {
			if c.pkg == identName(f.X) {
				cands = append(cands, c)
			}
		}
		if len(cands) == 0 {
			cands = all
		}
	}
	if len(cands) == 0 {
		return nil, false
	}
	var out []string
	for _, c := range cands {
		sub := &scanner{fset: s.fset, pkg: c.pkg, dir: c.dir, sinks: s.sinks, idx: s.idx, fn: c.fn}
		ok := true
		ast.Inspect(c.fn.Body, func(n ast.Node) bool {
			if _, lit := n.(*ast.FuncLit); lit {
				return false
			}
			r, isRet := n.(*ast.ReturnStmt)
			if !isRet || len(r.Results) <= i {
				return true
			}
			f, good := sub.formats(r.Results[i], depth+1)
			ok = ok && good
			out = append(out, f...)
			return true
		})
		if !ok {
			if debugScan {
				fmt.Println("cannot read returns of", c.fn.Name.Name, s.fset.Position(c.fn.Pos()))
			}
			return nil, false
		}
	}
	return out, true
}

var debugScan = os.Getenv("DEBUG_SCAN") != ""

// index holds the repository's functions by name and its package-level
// constants and variables by directory and name.
type index struct {
	funcs    map[string][]*funcAt
	values   map[string]ast.Expr
	problems map[string]map[string]bool // dir -> names declared as gatehouse.Problems
}

type funcAt struct {
	dir, pkg string
	fn       *ast.FuncDecl
}

func (x *index) add(dir string, f *ast.File) {
	if x.problems[dir] == nil {
		x.problems[dir] = map[string]bool{}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			if isProblems(n.Type, f.Name.Name) {
				for _, id := range n.Names {
					x.problems[dir][id.Name] = true
				}
			}
		case *ast.ValueSpec:
			if isProblems(n.Type, f.Name.Name) {
				for _, id := range n.Names {
					x.problems[dir][id.Name] = true
				}
			}
		}
		return true
	})
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Body != nil {
				x.funcs[d.Name.Name] = append(x.funcs[d.Name.Name], &funcAt{dir, f.Name.Name, d})
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				if vs, ok := sp.(*ast.ValueSpec); ok {
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							x.values[dir+":"+n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
	}
}

// assigned returns the formats of every value assigned to a local variable
// of the current function.
func (s *scanner) assigned(name string, depth int) ([]string, bool) {
	if s.fn == nil {
		return nil, false
	}
	var out []string
	found, ok := false, true
	add := func(v ast.Expr) {
		found = true
		f, good := s.formats(v, depth+1)
		ok = ok && good
		out = append(out, f...)
	}
	ast.Inspect(s.fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if identName(l) != name {
					continue
				}
				if len(n.Lhs) == len(n.Rhs) {
					add(n.Rhs[i])
				} else if call, isCall := n.Rhs[0].(*ast.CallExpr); isCall && len(n.Rhs) == 1 {
					// num, msg := MobileOrProblem(phone): the function's i-th result.
					found = true
					f, good := s.returnedAt(call, i, depth+1)
					ok = ok && good
					out = append(out, f...)
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if id.Name == name && i < len(n.Values) {
					add(n.Values[i])
				}
			}
		}
		return true
	})
	return out, found && ok
}

var repoRoot = filepath.Join("..", "..")

func rel(p token.Position) string {
	abs, _ := filepath.Abs(repoRoot)
	r, err := filepath.Rel(abs, p.Filename)
	if err != nil {
		r = p.Filename
	}
	return fmt.Sprintf("%s:%d", r, p.Line)
}

// TestCatalogue fails on a message in the code that has no Chinese in the
// catalogue (naming each file and line that uses it), on a Chinese text whose
// verbs differ from its English, and on a catalogue entry no code uses.
func TestCatalogue(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	uses := scanMessages(t, root)
	if len(uses) < 100 {
		t.Fatalf("the scan found only %d messages: it no longer sees the code's error helpers", len(uses))
	}
	where := map[string][]string{}
	for _, u := range uses {
		where[u.key] = append(where[u.key], rel(u.pos))
	}
	keys := make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s: the message %q has no Chinese: add it to internal/i18n/catalogue.go", strings.Join(where[k], ", "), k)
		}
	}
	for en, cn := range zh {
		if _, ok := where[en]; !ok {
			t.Errorf("internal/i18n/catalogue.go: %q is used by no code: remove it (or the scan no longer finds its use)", en)
		}
		if strings.IndexFunc(cn, func(r rune) bool { return unicode.Is(unicode.Han, r) }) < 0 {
			t.Errorf("internal/i18n/catalogue.go: %q: its Chinese %q has no Chinese", en, cn)
		}
		if a, b := verbsOf(en), verbsOf(cn); !slices.Equal(a, b) {
			t.Errorf("internal/i18n/catalogue.go: %q: its Chinese %q has verbs %v, the English %v", en, cn, b, a)
		}
	}
}

// verbsOf lists a format's verbs, sorted, without explicit argument indexes.
func verbsOf(f string) []string {
	var out []string
	for _, v := range verbRe.FindAllString(f, -1) {
		if v == "%%" {
			continue
		}
		out = append(out, regexp.MustCompile(`\[[0-9]+\]`).ReplaceAllString(v, ""))
	}
	sort.Strings(out)
	return out
}
