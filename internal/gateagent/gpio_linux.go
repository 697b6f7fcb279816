//go:build linux

package gateagent

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Line flags of the GPIO v2 uAPI (linux/gpio.h, enum gpio_v2_line_flag);
// golang.org/x/sys has the structs and ioctl numbers but not these.
const (
	gpioV2LineFlagActiveLow = 1 << 1
	gpioV2LineFlagOutput    = 1 << 3
)

// gpioOutput drives a relay from one line of a GPIO character device
// through the v2 uAPI. The line is requested once, as an output driven
// inactive, and held for the life of the process (releasing it could let
// the pin float and the relay chatter).
type gpioOutput struct {
	*pulser
	line *os.File
}

func openGPIO(spec OutputSpec, log *slog.Logger) (Output, error) {
	chip, err := os.OpenFile(spec.Chip, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("gpio: %w", err)
	}
	defer chip.Close() // the line's own file descriptor outlives the chip's
	req := lineRequest(spec)
	if err := ioctl(chip.Fd(), unix.GPIO_V2_GET_LINE_IOCTL, unsafe.Pointer(&req)); err != nil {
		return nil, fmt.Errorf("gpio: requesting line %d of %s: %w (is it in use, or out of range?)", spec.Line, spec.Chip, err)
	}
	if req.Fd <= 0 {
		return nil, errors.New("gpio: the kernel returned no line file descriptor")
	}
	line := os.NewFile(uintptr(req.Fd), fmt.Sprintf("%s:%d", spec.Chip, spec.Line))
	g := &gpioOutput{line: line}
	name := fmt.Sprintf("gpio %s:%d", spec.Chip, spec.Line)
	g.pulser = &pulser{log: log, name: name, set: func(active bool) error {
		vals := unix.GPIOV2LineValues{Mask: 1}
		if active {
			vals.Bits = 1 // active: the kernel inverts it for an active-low line
		}
		return ioctl(line.Fd(), unix.GPIO_V2_LINE_SET_VALUES_IOCTL, unsafe.Pointer(&vals))
	}}
	return g, nil
}

// lineRequest asks for one output line, inactive to start with.
func lineRequest(spec OutputSpec) unix.GPIOV2LineRequest {
	var req unix.GPIOV2LineRequest
	req.Offsets[0] = spec.Line
	copy(req.Consumer[:len(req.Consumer)-1], "gatehouse-gate")
	req.Num_lines = 1
	req.Config.Flags = gpioV2LineFlagOutput
	if spec.ActiveLow {
		req.Config.Flags |= gpioV2LineFlagActiveLow
	}
	req.Config.Num_attrs = 1
	req.Config.Attrs[0].Attr.Id = unix.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES
	req.Config.Attrs[0].Attr.Flags = 0 // the "values" member of the union: line 0 inactive
	req.Config.Attrs[0].Mask = 1
	return req
}

func ioctl(fd uintptr, req uint, arg unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

func (g *gpioOutput) Close() error {
	err := g.release()
	if cerr := g.line.Close(); err == nil {
		err = cerr
	}
	return err
}
