// Command gatehouse-gate is a Gatehouse door controller: it reads codes from
// a scanner, opens the door on a grant, and keeps deciding, journaling and
// later uploading when the server is unreachable.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // boards often lack a time zone database; schedules need one
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if err != errDenied { // --once printed the deny already
			fmt.Fprintln(os.Stderr, "gatehouse-gate: "+err.Error())
		}
		os.Exit(exitCode(err))
	}
}
