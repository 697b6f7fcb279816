package static

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dictionary reads the keys of one of i18n.js's dictionaries (zh or en).
func dictionary(t *testing.T, src, name string) map[string]bool {
	t.Helper()
	_, body, ok := strings.Cut(src, "\nconst "+name+" = {\n")
	if !ok {
		t.Fatalf("i18n.js has no dictionary %s", name)
	}
	body, _, _ = strings.Cut(body, "\n};\n")
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)(?:^\s*|,\s*)'([a-z0-9_.]+)':`).FindAllStringSubmatch(body, -1) {
		keys[m[1]] = true
	}
	if len(keys) < 100 {
		t.Fatalf("only %d keys read from %s: has i18n.js changed its form?", len(keys), name)
	}
	return keys
}

// Every word the web UI shows exists in Chinese and in English: the two
// dictionaries have the same keys, and every key a page asks for by name
// (t('...')) is in them.
func TestEveryWordOfTheWebUIIsInChineseAndEnglish(t *testing.T) {
	raw, err := fs.ReadFile(FS(), "js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	zh, en := dictionary(t, string(raw), "zh"), dictionary(t, string(raw), "en")
	var missing []string
	for k := range zh {
		if !en[k] {
			missing = append(missing, "en lacks "+k)
		}
	}
	for k := range en {
		if !zh[k] {
			missing = append(missing, "zh lacks "+k)
		}
	}
	asked := regexp.MustCompile(`\bt\('([a-z0-9_.]+)'`)
	err = fs.WalkDir(FS(), "js", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") || strings.Contains(path, "/vendor/") {
			return err
		}
		src, err := fs.ReadFile(FS(), path)
		if err != nil {
			return err
		}
		for _, m := range asked.FindAllStringSubmatch(string(src), -1) {
			if k := m[1]; !zh[k] && !strings.HasSuffix(k, ".") && !strings.HasSuffix(k, "_") { // a prefix: t('audit.action.' + a)
				missing = append(missing, path+" asks for "+k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	for _, m := range missing {
		t.Error(m)
	}
}
