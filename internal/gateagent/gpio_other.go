//go:build !linux

package gateagent

import (
	"errors"
	"log/slog"
)

func openGPIO(OutputSpec, *slog.Logger) (Output, error) {
	return nil, errors.New("gpio output needs Linux (the GPIO character device); use command:CMD here")
}
