// Command healthcheck is the container's health probe: the distroless image
// has no shell, curl or wget, so this static binary asks the server itself.
// It GETs the URL given as its argument, or http://127.0.0.1:PORT/readyz
// with PORT from GATEHOUSE_ADDR (default 8080), and exits 0 only on 200.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	url := defaultURL(os.Getenv("GATEHOUSE_ADDR"))
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	if err := check(url, 3*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck: "+err.Error())
		os.Exit(1)
	}
}

// defaultURL is the readiness URL of a server listening on addr: over
// loopback when it listens on every interface (":8080"), else at its address.
func defaultURL(addr string) string {
	host, port := "127.0.0.1", "8080"
	if h, p, err := net.SplitHostPort(addr); err == nil {
		if p != "" && p != "0" {
			port = p
		}
		if ip := net.ParseIP(h); h != "" && (ip == nil || !ip.IsUnspecified()) {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

// check GETs url and fails unless it answers 200 within timeout.
func check(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	res, err := c.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", url, res.StatusCode, body)
	}
	return nil
}
