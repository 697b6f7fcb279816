package gateagent

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// maxLine bounds a scanned line; a code is at most 160 characters, and a
// longer line is kept only this far (it is refused as invalid anyway).
const maxLine = 1024

// ReadLines sends each line of r (ended by \n, \r or both: scanners
// differ), trimmed and non-empty, until r ends (nil) or fails (the error).
func ReadLines(ctx context.Context, r io.Reader, lines chan<- string) error {
	br := bufio.NewReader(r)
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			select {
			case lines <- s:
			case <-ctx.Done():
			}
		}
		b.Reset()
	}
	for {
		if ctx.Err() != nil {
			return nil
		}
		c, err := br.ReadByte()
		if err != nil {
			flush()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch {
		case c == '\n' || c == '\r':
			flush()
		case b.Len() < maxLine:
			b.WriteByte(c)
		}
	}
}

// Input starts reading codes from path ("-": stdin) and returns the
// channel of lines. Standard input ends the channel at its end; a device
// (a USB or serial scanner) is opened again when it fails or is unplugged.
func Input(ctx context.Context, path string, stdin io.Reader, log *slog.Logger) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		if path == "-" {
			if err := ReadLines(ctx, stdin, lines); err != nil {
				log.Error("reading standard input", "err", err.Error())
			}
			return
		}
		warned := false
		for ctx.Err() == nil {
			f, err := os.Open(path)
			if err == nil {
				log.Info("scanner connected", "input", path)
				warned = false
				err = ReadLines(ctx, f, lines)
				f.Close()
				if err == nil {
					err = io.EOF
				}
			}
			if !warned {
				log.Warn("scanner unavailable; retrying every second", "input", path, "err", err.Error())
				warned = true
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return lines
}
