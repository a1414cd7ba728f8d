package warninglist

import (
	"testing"

	"golang.org/x/net/publicsuffix"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		kind, value string
		listed      bool
	}{
		{"ip", "10.1.2.3", true},
		{"ip", "172.31.255.255", true},
		{"ip", "172.32.0.1", false},
		{"ip", "100.64.0.1", true},
		{"ip", "127.0.0.1", true},
		{"ip", "8.8.8.8", true},
		{"ip", "8.8.8.0/24", true}, // overlaps a resolver
		{"ip", "::ffff:10.0.0.1", true},
		{"ip", "2606:4700:4700::1111", true},
		{"ip", "fd00::1", true},
		{"ip", "198.51.100.7", false}, // documentation: blocking it harms nobody
		{"ip", "45.77.1.2", false},
		{"ip", "not an address", false},
		// An IPv6 block that stands for IPv4 addresses is judged as them.
		{"ip", "::ffff:8.8.8.0/120", true},
		{"ip", "::ffff:198.51.100.0/120", false},
		{"ip", "64:ff9b::808:808", true},          // NAT64 of 8.8.8.8
		{"ip", "64:ff9b::a00:0/104", true},        // NAT64 of 10.0.0.0/8
		{"ip", "64:ff9b::c633:6407", false},       // NAT64 of 198.51.100.7
		{"ip", "64:ff9b::/64", true},              // the whole prefix and more
		{"ip", "64:ff9b:1::/48", true},            // local-use NAT64 (RFC 8215)
		{"ip", "64:ff9b:1:abcd::c633:6407", true}, // inside it
		{"domain", "Google.com.", true},
		{"domain", "evil.sites.google.com", false},
		{"domain", "nl", true},
		// Resolvers by name, and their DNS over HTTPS endpoints.
		{"domain", "dns.google", true},
		{"domain", "one.one.one.one", true},
		{"domain", "dns.quad9.net", true},
		{"domain", "resolver1.opendns.com", true},
		{"domain", "cloudflare-dns.com.", true},
		// Public suffixes: anyone registers under them; a site under one
		// may be blocked.
		{"domain", "co.uk", true},
		{"domain", "COM.AU", true},
		{"domain", "github.io", true},
		{"domain", "blogspot.com", true},
		{"domain", "s3.amazonaws.com", true},
		{"domain", "workers.dev", true},
		{"domain", "evil.co.uk", false},
		{"domain", "evil.github.io", false},
		{"domain", "evil.example.com", false},
		{"url", "https://www.microsoft.com/", true},
		{"url", "http://10.0.0.1", true},
		{"url", "https://www.microsoft.com/x", false},
		// Paths of only slashes and "*", and a query of only "*", are the
		// whole site.
		{"url", "http://google.com/*", true},
		{"url", "http://google.com//", true},
		{"url", "http://google.com/*/**/", true},
		{"url", "http://google.com/./", true},
		{"url", "http://google.com/%2A", true},
		{"url", "http://google.com/?*", true},
		{"url", "http://google.com/*x", false},
		{"url", "http://google.com/?q=x", false},
		{"url", "http://co.uk/", true},
		{"url", "http://evil.co.uk/*", false},
		{"url", "http://[::ffff:10.0.0.1]/", true},
		// Every path on a resolver's name is its service.
		{"url", "https://dns.google/dns-query", true},
		{"url", "https://cloudflare-dns.com/dns-query?dns=x", true},
		{"hash", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", true},
		{"hash", "9e107d9d372bb6826bd81d3542a419d6", false},
	} {
		m, ok := Check(tc.kind, tc.value)
		if ok != tc.listed || ok && (m.List == "" || m.Reason == "") {
			t.Errorf("Check(%s, %s) = %+v, %v; want listed %v", tc.kind, tc.value, m, ok, tc.listed)
		}
	}
}

func TestTooBroad(t *testing.T) {
	for v, want := range map[string]bool{
		"0.0.0.0/0": true, "::/0": true, "10.0.0.0/8": true, "45.0.0.0/15": true, "45.77.0.0/16": false,
		"2001:db8::/31": true, "2001:db8::/32": false, "198.51.100.7": false, "x": false,
		// IPv4-mapped and NAT64 blocks are judged as the IPv4 block: an
		// IPv6 block of length L is the IPv4 block of L-96.
		"::ffff:16.0.0.0/100": true, "::ffff:11.0.0.0/104": true, "::ffff:0:0/96": true,
		"::ffff:45.77.0.0/112": false, "::ffff:45.77.1.2": false,
		"64:ff9b::/96": true, "64:ff9b::2d00:0/104": true, "64:ff9b::2d4d:0/112": false,
	} {
		if got := TooBroad(v); got != want {
			t.Errorf("TooBroad(%s) = %v", v, got)
		}
	}
}

// TestPublicSuffixes checks the hand-kept public suffixes against the
// Public Suffix List as golang.org/x/net/publicsuffix holds it: each must
// be a public suffix there (ICANN or private).
func TestPublicSuffixes(t *testing.T) {
	for d := range publicSuffixes {
		if ps, _ := publicsuffix.PublicSuffix(d); ps != d {
			t.Errorf("%s is no public suffix (its public suffix is %s)", d, ps)
		}
	}
}

func TestReason(t *testing.T) {
	for v, want := range map[string]string{
		"::ffff:16.0.0.0/100": "::ffff:16.0.0.0/100 (16.0.0.0/4) is too broad to block (broader than /16 or /32)",
		"11.22.33.44/8":       "11.22.33.44/8 (11.0.0.0/8) is too broad to block (broader than /16 or /32)",
		"0.0.0.0/1":           "0.0.0.0/1 is too broad to block (broader than /16 or /32)",
	} {
		if got, ok := Reason("ip", v); !ok || got != want {
			t.Errorf("Reason(ip, %s) = %q, %v; want %q", v, got, ok, want)
		}
	}
}
