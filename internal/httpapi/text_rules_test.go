package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
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
