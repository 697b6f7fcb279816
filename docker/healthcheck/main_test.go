package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDefaultURLIsReadyzAtTheServersAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"":               "http://127.0.0.1:8080/readyz",
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:9090":   "http://127.0.0.1:9090/readyz",
		"[::]:9090":      "http://127.0.0.1:9090/readyz",
		"10.0.0.5:7000":  "http://10.0.0.5:7000/readyz",
		"[::1]:7000":     "http://[::1]:7000/readyz",
		"not an address": "http://127.0.0.1:8080/readyz",
	} {
		if got := defaultURL(addr); got != want {
			t.Errorf("defaultURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestCheckPassesOnlyOn200(t *testing.T) {
	status := 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(`{"status":"unavailable","reason":"database unreachable"}`))
	}))
	defer srv.Close()
	if err := check(srv.URL+"/readyz", time.Second); err != nil {
		t.Fatalf("200: %v", err)
	}
	status = 503
	if err := check(srv.URL+"/readyz", time.Second); err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "database unreachable") {
		t.Fatalf("503: %v", err)
	}
	srv.Close()
	if err := check(srv.URL+"/readyz", time.Second); err == nil {
		t.Fatal("a closed server passed")
	}
}
