package events

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"syscall"
)

// AllowList names the webhook receivers an administrator trusts
// (GATEHOUSE_WEBHOOK_ALLOW), typically an on-premises receiver in the
// property company's LAN. A listed host name, or an IP literal inside a
// listed range, may be used over plain http; a connection may go to an
// otherwise refused address (private, loopback, link-local...) only when
// that address lies inside a listed IP or CIDR. The zero value (and nil)
// trusts nothing: https to public addresses only.
type AllowList struct {
	names  map[string]bool
	ranges []netip.Prefix
}

var hostName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ParseAllowList reads comma-separated host names, IP addresses and CIDRs.
func ParseAllowList(s string) (*AllowList, error) {
	a := &AllowList{names: map[string]bool{}}
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			a.ranges = append(a.ranges, unmapPrefix(p.Masked()))
			continue
		}
		if ip, err := netip.ParseAddr(e); err == nil {
			ip = ip.Unmap().WithZone("")
			a.ranges = append(a.ranges, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		e = strings.TrimSuffix(e, ".")
		if !hostName.MatchString(e) || numericHost(e) {
			return nil, fmt.Errorf("%q is not a host name, IP address or CIDR", e)
		}
		a.names[e] = true
	}
	return a, nil
}

// unmapPrefix turns ::ffff:a.b.c.d/n into a.b.c.d/(n-96), so that a listed
// range matches however the address is spelled.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

func (a *AllowList) listsName(host string) bool { return a != nil && a.names[host] }

func (a *AllowList) inRange(ip netip.Addr) bool {
	if a == nil {
		return false
	}
	for _, p := range a.ranges {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// special are the address ranges a webhook may not reach unless listed:
// IANA's special-purpose registries, private and shared ranges.
var special = func() []struct {
	p    netip.Prefix
	what string
} {
	ranges := []struct{ cidr, what string }{
		{"0.0.0.0/8", "an unspecified address"},
		{"10.0.0.0/8", "a private address"},
		{"100.64.0.0/10", "a shared (CGNAT) address"},
		{"127.0.0.0/8", "a loopback address"},
		{"169.254.0.0/16", "a link-local address"},
		{"172.16.0.0/12", "a private address"},
		{"192.0.0.0/24", "a special-purpose address"},
		{"192.0.2.0/24", "a documentation address"},
		{"192.88.99.0/24", "a special-purpose address"},
		{"192.168.0.0/16", "a private address"},
		{"198.18.0.0/15", "a benchmarking address"},
		{"198.51.100.0/24", "a documentation address"},
		{"203.0.113.0/24", "a documentation address"},
		{"224.0.0.0/4", "a multicast address"},
		{"240.0.0.0/4", "a reserved or broadcast address"},
		{"::/128", "an unspecified address"},
		{"::1/128", "a loopback address"},
		{"::/96", "a special-purpose address"}, // IPv4-compatible, deprecated
		{"::ffff:0:0:0/96", "a special-purpose address"},
		{"64:ff9b::/96", "a NAT64 address"},
		{"64:ff9b:1::/48", "a NAT64 address"},
		{"100::/64", "a discard address"},
		{"2001::/23", "a special-purpose address"},
		{"2001:db8::/32", "a documentation address"},
		{"2002::/16", "a 6to4 address"},
		{"3fff::/20", "a documentation address"},
		{"fc00::/7", "a private (unique local) address"},
		{"fe80::/10", "a link-local address"},
		{"fec0::/10", "a site-local address"},
		{"ff00::/8", "a multicast address"},
	}
	out := make([]struct {
		p    netip.Prefix
		what string
	}, len(ranges))
	for i, r := range ranges {
		out[i].p, out[i].what = netip.MustParsePrefix(r.cidr), r.what
	}
	return out
}()

// refusedAs says what kind of special address ip is, or "" for a public one.
func refusedAs(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	for _, r := range special {
		if r.p.Contains(ip) {
			return r.what
		}
	}
	return ""
}

// AddressError is a connection refused because of where it would go.
type AddressError struct {
	Addr netip.Addr
	What string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("%s is %s; webhooks may reach it only if GATEHOUSE_WEBHOOK_ALLOW lists it", e.Addr, e.What)
}

// checkAddr refuses a special address that no listed range covers.
func (a *AllowList) checkAddr(ip netip.Addr) error {
	ip = ip.Unmap().WithZone("")
	if what := refusedAs(ip); what != "" && !a.inRange(ip) {
		return &AddressError{Addr: ip, What: what}
	}
	return nil
}

// control is a net.Dialer Control function: it sees the address actually
// connected to, after name resolution, so DNS rebinding and odd spellings
// of an address meet the same rule.
func (a *AllowList) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook connection to %q refused: not an IP address and port", address)
	}
	return a.checkAddr(ap.Addr())
}

// numericHost reports whether a host looks like an IPv4 address (its last
// label a number, as URL parsers and inet_aton read it: 2130706433,
// 0x7f000001, 127.1).
func numericHost(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	if strings.HasPrefix(last, "0x") {
		last = last[2:]
		return strings.Trim(last, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// CheckURL says what is wrong with a webhook URL, or nil: its scheme, its
// host and, for an IP literal, the address. Names are resolved only when a
// delivery connects, where the dialer checks every address again.
func (a *AllowList) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an http or https URL")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return errors.New("must name a host")
	}
	listed := false
	if ip, err := netip.ParseAddr(host); err == nil {
		var refused *AddressError
		if errors.As(a.checkAddr(ip), &refused) {
			return fmt.Errorf("points at %s (%s); webhooks may reach it only if GATEHOUSE_WEBHOOK_ALLOW lists it", refused.What, refused.Addr)
		}
		listed = a.inRange(ip.Unmap().WithZone(""))
	} else if numericHost(host) {
		return errors.New("has a host that is not a valid IP address; write IPv4 addresses as four decimal numbers, such as 203.0.113.10")
	} else {
		listed = a.listsName(host)
		if !listed && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
			return errors.New("points at localhost; webhooks may reach it only if GATEHOUSE_WEBHOOK_ALLOW lists it")
		}
	}
	if u.Scheme == "http" && !listed {
		return errors.New("must use https; plain http only for receivers listed in GATEHOUSE_WEBHOOK_ALLOW")
	}
	return nil
}
