package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"gatehouse/internal/gatehouse"
)

// GET /communities and /communities/{id} gave every role in scope the
// webhook URL, which may carry a robot's key in its query.
func TestOnlyAdminAndTheCommunitysManagersSeeItsWebhook(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		const hook = "http://127.0.0.1:9/robot/send?key=robot-key-6f1e2d"
		e.expect("PATCH", fmt.Sprintf("/api/v1/communities/%d", w.A), w.mgr,
			map[string]any{"webhook_url": hook, "webhook_secret": "a-secret-of-sixteen"}, 200, nil)
		tokens := map[string]string{"admin": e.admin, "manager": w.mgr, "guard": w.guard, "resident": w.hostTok}
		for _, role := range []gatehouse.Role{gatehouse.RolePolice, gatehouse.RoleStreet, gatehouse.RoleDistrict} {
			e.mustUser("u"+string(role), role, []int64{w.A}, 0)
			tokens[string(role)] = e.login("u" + string(role))
		}
		for role, tok := range tokens {
			sees := role == "admin" || role == "manager"
			for _, path := range []string{"/api/v1/communities", fmt.Sprintf("/api/v1/communities/%d", w.A)} {
				res := e.do("GET", path, tok, nil)
				if res.Status != 200 {
					t.Errorf("GET %s as %s: %d %s", path, role, res.Status, res.Body)
					continue
				}
				body := string(res.Body)
				if got := strings.Contains(body, "robot-key-6f1e2d"); got != sees {
					t.Errorf("GET %s as %s shows the webhook URL: %v, want %v: %s", path, role, got, sees, body)
				}
				if got := strings.Contains(body, `"webhook_url"`) || strings.Contains(body, `"webhook_secret_set"`); got != sees {
					t.Errorf("GET %s as %s has the webhook fields: %v, want %v: %s", path, role, got, sees, body)
				}
			}
		}
	})
}
