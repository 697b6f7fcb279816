package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestREADMEWalkthrough runs the README's curl walk-through word for word
// (only the address is the test server's) against a fresh server.
func TestREADMEWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- walkthrough -->\n```sh\n")
	if !ok {
		t.Fatal("README has no walk-through block")
	}
	script, _, _ := strings.Cut(after, "```")
	vars := sqliteEnv(t)
	vars["GATEHOUSE_ADMIN_PASSWORD"] = "change-me-now"
	srv := startServe(t, vars)
	script = strings.ReplaceAll(script, "localhost:8080", strings.TrimPrefix(srv.URL, "http://"))
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walk-through failed: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{`"name":"翠竹苑"`, `"id_number":"110105********002X"`, `"code":"GH2`,
		`"decision":"grant","reason":"granted"`, `"decision":"deny","reason":"exhausted"`, `"ok":true,"checked":3`, `"name":"李强"`} {
		if !strings.Contains(text, want) {
			t.Errorf("walk-through output lacks %s:\n%s", want, text)
		}
	}
	// zbarimg printed the code the pass carries.
	_, code, _ := strings.Cut(text, `"code":"`)
	code, _, _ = strings.Cut(code, `"`)
	if !strings.Contains(text, "\n"+code+"\n") {
		t.Errorf("zbarimg did not print the pass code %q:\n%s", code, text)
	}
}
