package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
)

// bannerBlock is the block between the two rules of the start banner.
var bannerBlock = regexp.MustCompile(`(?s)\n={72}\n(.*?)\n={72}\n`)

func TestAFreshStartPrintsTheURLAndTheAdminsPasswordInOneBlock(t *testing.T) {
	vars := sqliteEnv(t)
	delete(vars, "GATEHOUSE_ADMIN_PASSWORD")
	s := startServe(t, vars)
	out := s.Stdout.String()
	m := bannerBlock.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no banner block on stdout: %q", out)
	}
	block := m[1]
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	for _, want := range []string{"请在浏览器中打开", "Open in a browser:  http://127.0.0.1:" + port + "/", "已创建管理员账号 admin",
		"用户名 admin    密码 ", "Created the user admin with password ", "只显示这一次", "shown only this once"} {
		if !strings.Contains(block, want) {
			t.Errorf("the banner lacks %q:\n%s", want, block)
		}
	}
	pw := regexp.MustCompile(`用户名 admin    密码 (\S+)`).FindStringSubmatch(block)
	if pw == nil || !strings.Contains(block, "Created the user admin with password "+pw[1]+"\n") {
		t.Fatalf("the banner's password, in both languages:\n%s", block)
	}
	if st, _ := login(t, s.URL, "admin", pw[1]); st != 200 {
		t.Fatalf("login with the banner's password: %d", st)
	}
	if strings.Contains(s.Stderr.String(), pw[1]) {
		t.Fatal("the generated password is in the log")
	}
	if err := s.Stop(t); err != nil {
		t.Fatal(err)
	}

	// Started again: where to open, and no password.
	again := startServe(t, vars).Stdout.String()
	m = bannerBlock.FindStringSubmatch(again)
	if m == nil || !strings.Contains(m[1], "Open in a browser:  http://127.0.0.1:") || strings.Contains(again, pw[1]) ||
		strings.Contains(again, "admin") {
		t.Fatalf("the second start's banner: %q", again)
	}
}

func TestAPasswordFromTheEnvironmentIsNotPrinted(t *testing.T) {
	vars := sqliteEnv(t)
	vars["GATEHOUSE_PUBLIC_URL"] = "https://gate.example.cn"
	s := startServe(t, vars)
	m := bannerBlock.FindStringSubmatch(s.Stdout.String())
	if m == nil || !strings.Contains(m[1], "GATEHOUSE_ADMIN_PASSWORD") || !strings.Contains(m[1], "Public URL:  https://gate.example.cn/") ||
		strings.Contains(s.Stdout.String(), vars["GATEHOUSE_ADMIN_PASSWORD"]) {
		t.Fatalf("the banner with a password from the environment: %q", s.Stdout.String())
	}
}

func TestTheURLOfAWildcardListenerIsLocalhost(t *testing.T) {
	for addr, want := range map[string]string{"[::]:8080": "http://localhost:8080/", "0.0.0.0:80": "http://localhost:80/",
		"192.0.2.7:8080": "http://192.0.2.7:8080/", "[2001:db8::1]:8443": "http://[2001:db8::1]:8443/"} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := listenURL(a); got != want {
			t.Errorf("listenURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
