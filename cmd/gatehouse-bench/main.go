// Command gatehouse-bench measures Gatehouse the way `make bench` reports
// it: scan throughput and latency on SQLite and MariaDB against a bare gin
// handler as the ceiling, QR drawing, and search and report times over a
// district of 10 million entries. It checks correctness as it goes and
// fails loudly when a guarantee breaks.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-bench: "+err.Error())
		os.Exit(1)
	}
}
