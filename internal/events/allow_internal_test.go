package events

import (
	"errors"
	"testing"
)

// The dialer's check sees resolved addresses, however the URL spelled them.
func TestTheDialerRefusesSpecialAddresses(t *testing.T) {
	none, _ := ParseAllowList("")
	lan, _ := ParseAllowList("192.168.10.0/24,127.0.0.1,hooks.corp.lan")
	for _, c := range []struct {
		list    *AllowList
		address string
		ok      bool
	}{
		{none, "127.0.0.1:80", false},
		{none, "[::ffff:127.0.0.1]:80", false},
		{none, "[::ffff:7f00:1]:80", false},
		{none, "[::1]:443", false},
		{none, "[::]:80", false},
		{none, "0.0.0.0:80", false},
		{none, "169.254.169.254:80", false},
		{none, "[fe80::1%eth0]:80", false},
		{none, "10.0.0.1:443", false},
		{none, "172.31.255.255:443", false},
		{none, "192.168.1.1:443", false},
		{none, "100.64.0.1:443", false},
		{none, "[fd00::1]:443", false},
		{none, "224.0.0.251:5353", false},
		{none, "[ff02::1]:80", false},
		{none, "255.255.255.255:80", false},
		{none, "[64:ff9b::7f00:1]:80", false}, // NAT64 of 127.0.0.1
		{none, "[2002:7f00:1::]:80", false},   // 6to4 of 127.0.0.1
		{none, "93.184.216.34:443", true},
		{none, "[2606:4700::1111]:443", true},
		{none, "100.128.0.1:443", true}, // just past CGNAT
		{lan, "192.168.10.77:80", true},
		{lan, "[::ffff:192.168.10.77]:80", true},
		{lan, "192.168.11.1:80", false},
		{lan, "127.0.0.1:8080", true},
		{lan, "127.0.0.2:8080", false},
		{lan, "169.254.169.254:80", false},
		{nil, "127.0.0.1:80", false},
	} {
		err := c.list.control("tcp", c.address, nil)
		var refused *AddressError
		if c.ok != (err == nil) || (err != nil && !errors.As(err, &refused)) {
			t.Errorf("%s: %v", c.address, err)
		}
	}
}

func TestTheBreakerOpensAfterFailuresAndLetsOneTrialThrough(t *testing.T) {
	var b breaker
	now := mustTime("2026-11-27T09:00:00Z")
	for i := 0; i < 2; i++ {
		if !b.allow(now, 3) || b.record(healthDown, now, 3, 30e9) {
			t.Fatalf("failure %d opened the breaker", i+1)
		}
	}
	if !b.allow(now, 3) || !b.record(healthDown, now, 3, 30e9) {
		t.Fatal("the third failure did not open the breaker")
	}
	if b.allow(now.Add(29e9), 3) {
		t.Fatal("open breaker let a delivery through")
	}
	later := now.Add(31e9)
	if !b.allow(later, 3) || b.allow(later, 3) {
		t.Fatal("half-open breaker: want exactly one trial")
	}
	b.record(healthDown, later, 3, 30e9) // the trial fails: open again
	if b.allow(later.Add(29e9), 3) {
		t.Fatal("a failed trial did not reopen the breaker")
	}
	b.allow(later.Add(31e9), 3)
	b.record(healthUnknown, later.Add(31e9), 3, 30e9) // a trial that learnt nothing closes nothing
	if !b.allow(later.Add(31e9), 3) || b.allow(later.Add(31e9), 3) {
		t.Fatal("after a trial that learnt nothing: want exactly one more trial")
	}
	b.record(healthUp, later.Add(31e9), 3, 30e9)
	for range 2 { // closed: every delivery may try, not one trial
		if !b.allow(later.Add(31e9), 3) {
			t.Fatal("a successful trial did not close the breaker")
		}
	}
}
