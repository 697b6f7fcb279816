package httpapi_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// A present resident is unique by dwelling and name, and the name is
// compared the way the app compares it, on every database: after NFKC
// (full-width Ｌｉ is Li, a no-break space a space, e and a combining
// diaeresis ë), then exactly, so that case and accents tell names apart. On
// MariaDB the key's collation (utf8mb4_unicode_ci) folded case and accents
// and a second Li Na in upper case or with an accent was refused there but
// not on SQLite; a search finds names in any case on both.
func TestResidentsNamesAreComparedAsTheAppComparesThemOnEveryDatabase(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		add := func(i int, name string) response {
			return e.do("POST", "/api/v1/residents", w.mgr, map[string]any{"community_id": w.A, "name": name, "id_type": "passport",
				"id_number": fmt.Sprintf("E%08d", 600+i), "phone": "13800138000", "building": "8栋", "unit": "1单元", "room": "101"})
		}
		for i, c := range []struct {
			name string
			want int
		}{
			{"Li Na", 201},
			{"LI NA", 201},        // another case is another name
			{"Lí Na", 201},        // and an accent another
			{"Zoë Li", 201},       // composed ë
			{"Li Na", 409},        // the same name in the same dwelling
			{"Ｌｉ Ｎａ", 409},        // full width: Li Na after NFKC
			{"Li\u00a0Na", 409},   // a no-break space: Li Na after NFKC
			{"  Li Na  ", 409},    // spaces around are not part of a name
			{"Zoe\u0308 Li", 409}, // e and a combining diaeresis: Zoë after NFKC
			{"ＬＩ ＮＡ", 409},        // full-width upper case: LI NA
		} {
			res := add(i, c.name)
			if res.Status != c.want {
				t.Errorf("resident %q in 8-1-101: %d %s, want %d", c.name, res.Status, res.Body, c.want)
			}
			if _, _, f := res.Err(); c.want == 409 && f["name"] == "" {
				t.Errorf("resident %q: %s, want the clash named on name", c.name, res.Body)
			}
		}
		// An import compares as the key does: li na is another name, ＺＯＥ̈ ＬＩ
		// (full width, combining diaeresis) is ZOË LI, a new name too, and
		// Ｌｉ Ｎａ is Li Na again.
		path := fmt.Sprintf("/api/v1/residents/import?community_id=%d", w.A)
		e.expect("POST", path, w.mgr, "name,id_number,phone,building,unit,room\nli na,"+validID(61)+",13800138000,8栋,1单元,101\n"+
			"ＺＯＥ̈ ＬＩ,"+validID(62)+",13800138000,8栋,1单元,101\n", 201, nil)
		res := e.do("POST", path, w.mgr, "name,id_number,phone,building,unit,room\nＬｉ Ｎａ,"+validID(63)+",13800138000,8栋,1单元,101\n")
		if _, _, f := res.Err(); res.Status != 409 || f["line 2: name"] == "" {
			t.Errorf("import of Ｌｉ Ｎａ beside Li Na: %d %s, want 409 naming line 2", res.Status, res.Body)
		}
		var list struct{ Items []residentOut }
		e.expect("GET", "/api/v1/residents?q=li+na&community_id="+fmt.Sprint(w.A), w.mgr, nil, 200, &list)
		var names []string
		for _, r := range list.Items {
			names = append(names, r.Name)
		}
		if sort.Strings(names); strings.Join(names, "|") != "LI NA|Li Na|li na" {
			t.Errorf("search li na: %q, want LI NA, Li Na and li na", names)
		}
	})
}
