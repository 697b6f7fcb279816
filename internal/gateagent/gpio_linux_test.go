package gateagent

import (
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The ioctl numbers encode the size of the struct they pass; a mismatch
// would make the kernel refuse (or misread) every request.
func TestGPIOStructsMatchTheirIoctlNumbers(t *testing.T) {
	size := func(req uint) uintptr { return uintptr(req>>16) & 0x3fff }
	if got, want := unsafe.Sizeof(unix.GPIOV2LineRequest{}), size(unix.GPIO_V2_GET_LINE_IOCTL); got != want {
		t.Errorf("line request: %d bytes, the ioctl says %d", got, want)
	}
	if got, want := unsafe.Sizeof(unix.GPIOV2LineValues{}), size(unix.GPIO_V2_LINE_SET_VALUES_IOCTL); got != want {
		t.Errorf("line values: %d bytes, the ioctl says %d", got, want)
	}
}

func TestTheGPIOLineIsRequestedAsAnInactiveOutput(t *testing.T) {
	req := lineRequest(OutputSpec{Kind: "gpio", Chip: "/dev/gpiochip0", Line: 17, ActiveLow: true})
	if req.Num_lines != 1 || req.Offsets[0] != 17 {
		t.Fatalf("lines %d, offset %d", req.Num_lines, req.Offsets[0])
	}
	if req.Config.Flags != gpioV2LineFlagOutput|gpioV2LineFlagActiveLow {
		t.Fatalf("flags %#x", req.Config.Flags)
	}
	a := req.Config.Attrs[0]
	if req.Config.Num_attrs != 1 || a.Attr.Id != unix.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES || a.Mask != 1 || a.Attr.Flags != 0 {
		t.Fatalf("the output value attribute: %+v", a)
	}
	if c := string(req.Consumer[:strings.IndexByte(string(req.Consumer[:]), 0)]); c != "gatehouse-gate" {
		t.Fatalf("consumer %q", c)
	}
}

func TestAMissingGPIOChipIsAClearError(t *testing.T) {
	_, err := openGPIO(OutputSpec{Kind: "gpio", Chip: "/dev/gpiochip-none", Line: 1}, slogJSON(&syncBuffer{}))
	if err == nil || !strings.Contains(err.Error(), "/dev/gpiochip-none") {
		t.Fatalf("got %v", err)
	}
}
