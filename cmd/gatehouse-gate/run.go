package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"gatehouse/internal/gateagent"
	"gatehouse/internal/gatehouse"
)

// errDenied is --once's answer to a deny: exit status 1, so scripts can test it.
var errDenied = errors.New("denied")

func exitCode(err error) int {
	var ce *gateagent.ConfigError
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

// run is the whole program; main only calls it, and tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := gateagent.LoadConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	log := newLogger(cfg.LogFormat, stderr)
	agent, err := gateagent.New(cfg, log, gateagent.Options{})
	if err != nil {
		return err
	}
	defer agent.Close()
	if cfg.Once != "" {
		r := agent.Once(ctx, cfg.Once)
		fmt.Fprintln(stdout, r.String())
		if r.Decision != gatehouse.Grant {
			return errDenied
		}
		return nil
	}
	return agent.Run(ctx, gateagent.Input(ctx, cfg.Input, stdin, log))
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
