package service

import "testing"

func TestAddressesAreCountedByNetwork(t *testing.T) {
	for _, c := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"203.0.113.8", "203.0.113.8"}, // every IPv4 address its own
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"}, // the same /64
		{"2001:DB8:1:2:0:0:0:abcd", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"}, // the next /64 is another network
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"", ""},
		{"not an address", "not an address"},
	} {
		if got := network(c.ip); got != c.want {
			t.Errorf("network(%q) = %q, want %q", c.ip, got, c.want)
		}
	}
}
