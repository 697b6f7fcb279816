package service

import "net/netip"

// network is what a client address is counted as in every per-address
// limit: an IPv4 address alone, an IPv6 address by its /64 (one
// subscriber's link usually holds a whole /64, so rotating addresses inside
// it gains nothing). An IPv4-mapped IPv6 address is its IPv4 address; a
// zone is dropped. Anything that is no address is counted as it is.
func network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
