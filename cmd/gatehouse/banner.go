package main

import (
	"fmt"
	"io"
	"net"
	"strings"
)

// newAdmin is the admin account a start made on an empty database: its
// generated password, or none when GATEHOUSE_ADMIN_PASSWORD gave it.
type newAdmin struct {
	Password string // generated: shown this once
}

// listenURL is the address a person on this machine opens for a listener:
// localhost for a wildcard address.
func listenURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// banner tells the operator, in Chinese and English, where to open the UI
// and, on a fresh database, how to log in as admin: the one block a person
// running `make run` looks for among the JSON log lines (which go to
// stderr). The password is shown only when it was generated, never when it
// came from the environment. url and publicURL may be empty.
func banner(w io.Writer, url, publicURL string, admin *newAdmin) {
	rule := strings.Repeat("=", 72)
	lines := []string{rule, "  Gatehouse 门卫通"}
	if url != "" {
		lines = append(lines, "  请在浏览器中打开 / Open in a browser:  "+url)
	}
	if publicURL != "" {
		lines = append(lines, "  公开地址 / Public URL:  "+strings.TrimRight(publicURL, "/")+"/")
	}
	switch {
	case admin != nil && admin.Password != "":
		lines = append(lines, "",
			"  已创建管理员账号 admin，初始密码只显示这一次，请登录后妥善保管：",
			"  用户名 admin    密码 "+admin.Password,
			"  Created the user admin with password "+admin.Password,
			"  It is shown only this once: log in and keep it safe.")
	case admin != nil:
		lines = append(lines, "",
			"  已创建管理员账号 admin，密码为 GATEHOUSE_ADMIN_PASSWORD 所设。",
			"  Created the user admin; its password is the one GATEHOUSE_ADMIN_PASSWORD set.")
	}
	lines = append(lines, rule)
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.Join(lines, "\n"))
	fmt.Fprintln(w)
}
