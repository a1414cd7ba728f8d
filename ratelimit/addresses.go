package ratelimit

import (
	"net"
	"net/netip"
	"time"
)

// Wider and All are how many times an address's budget its network and
// all addresses together get.
const (
	Wider = 8
	All   = 64
)

// Addresses limits requests without credentials by where they come from,
// at three widths: the client (an IPv6 client by its /64, which one
// subscriber commonly holds whole), its network (an IPv4 /24, an IPv6
// /48, which one subscriber may also hold and spread its requests over),
// and all of them together, so that no number of addresses can make
// unauthenticated requests, and the audit entries each writes, without
// end. A request must pass all three.
type Addresses struct {
	one, wide, all *Limiter
}

// NewAddresses limits each client to rate requests a second, up to
// burst at once; its network and all clients get Wider and All times
// that.
func NewAddresses(rate, burst float64) *Addresses {
	return &Addresses{one: New(rate, burst), wide: New(rate*Wider, burst*Wider), all: New(rate*All, burst*All)}
}

// Allow takes a request from remoteAddr (host:port, as http.Request has
// it), and reports false and how long to wait when one of the budgets
// is spent.
func (a *Addresses) Allow(remoteAddr string, now time.Time) (bool, time.Duration) {
	one, wide := AddressKeys(remoteAddr)
	for _, c := range []struct {
		l   *Limiter
		key string
	}{{a.all, "all"}, {a.wide, wide}, {a.one, one}} {
		if ok, wait := c.l.Allow(c.key, now); !ok {
			return false, wait
		}
	}
	return true, 0
}

// AddressKeys names the client and the network a request from remoteAddr
// counts against.
func AddressKeys(remoteAddr string) (client, network string) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host, host
	}
	addr = addr.Unmap()
	if addr.Is4() {
		p, _ := addr.Prefix(24)
		return addr.String(), p.String()
	}
	c, _ := addr.Prefix(64)
	n, _ := addr.Prefix(48)
	return c.String(), n.String()
}
