// Package warninglist knows values that must never be blocked: private and
// reserved address ranges, the public resolvers most networks depend on,
// the most used domains, and the hashes of empty content. An entry on a
// firewall or DNS blocklist that names one of them cuts a network off from
// itself or from the internet, whoever contributed it and however honestly:
// such values appear in real reports (a sandbox's resolver, a beacon's
// check of google.com) and, from an insider, as a way to break everyone's
// blocklist at once.
//
// The lists are written from their primary sources, named beside each:
// the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
// the RFCs they cite), the resolvers' operators' own documentation, the
// Public Suffix List, and the hashes of zero bytes.
//
// An IPv6 block that stands for IPv4 addresses, IPv4-mapped (::ffff:0:0/96)
// or in the well-known NAT64 prefix (64:ff9b::/96), is judged as the IPv4
// block it stands for: ::ffff:16.0.0.0/100 is 16.0.0.0/4.
package warninglist

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Minimum prefix lengths: an address block broader than these is too broad
// to block (a /8 is sixteen million addresses, 0.0.0.0/0 all of them).
// They are the broadest blocks a provider's allocation usually has.
const (
	MinIPv4Prefix = 16
	MinIPv6Prefix = 32
)

// Match says why a value must not be blocked.
type Match struct {
	List   string // the list it is on
	Reason string // in words, for a summary or a page
}

type block struct {
	prefix netip.Prefix
	list   string
	why    string
}

// reserved are the IANA special-purpose blocks that networks use for
// themselves (private, loopback, link local, shared, multicast, broadcast):
// blocking one cuts a network off from its own hosts. The documentation
// blocks (RFC 5737, RFC 3849) are left off: nothing uses them, so blocking
// them harms nobody, and examples and exercises are written with them.
var reserved = blocks("reserved", map[string]string{
	"0.0.0.0/8":          "this network (RFC 791)",
	"10.0.0.0/8":         "private use (RFC 1918)",
	"100.64.0.0/10":      "shared address space, carrier-grade NAT (RFC 6598)",
	"127.0.0.0/8":        "loopback (RFC 1122)",
	"169.254.0.0/16":     "link local (RFC 3927)",
	"172.16.0.0/12":      "private use (RFC 1918)",
	"192.0.0.0/24":       "IETF protocol assignments (RFC 6890)",
	"192.88.99.0/24":     "deprecated 6to4 relay anycast (RFC 7526)",
	"192.168.0.0/16":     "private use (RFC 1918)",
	"198.18.0.0/15":      "benchmarking (RFC 2544)",
	"224.0.0.0/4":        "multicast (RFC 5771)",
	"240.0.0.0/4":        "reserved (RFC 1112)",
	"255.255.255.255/32": "limited broadcast (RFC 919)",
	"::/128":             "unspecified address (RFC 4291)",
	"::1/128":            "loopback (RFC 4291)",
	"::ffff:0:0/96":      "IPv4-mapped addresses (RFC 4291)",
	"64:ff9b::/96":       "IPv4-IPv6 translation (RFC 6052)",
	"64:ff9b:1::/48":     "local-use IPv4-IPv6 translation (RFC 8215)",
	"100::/64":           "discard-only (RFC 6666)",
	"fc00::/7":           "unique local (RFC 4193)",
	"fe80::/10":          "link local (RFC 4291)",
	"ff00::/8":           "multicast (RFC 4291)",
})

// resolvers are public DNS resolvers, from their operators' documentation
// (Google Public DNS, Cloudflare 1.1.1.1, Quad9, OpenDNS).
var resolvers = blocks("public resolver", map[string]string{
	"8.8.8.8/32":               "Google Public DNS",
	"8.8.4.4/32":               "Google Public DNS",
	"2001:4860:4860::8888/128": "Google Public DNS",
	"2001:4860:4860::8844/128": "Google Public DNS",
	"1.1.1.1/32":               "Cloudflare DNS",
	"1.0.0.1/32":               "Cloudflare DNS",
	"2606:4700:4700::1111/128": "Cloudflare DNS",
	"2606:4700:4700::1001/128": "Cloudflare DNS",
	"9.9.9.9/32":               "Quad9",
	"149.112.112.112/32":       "Quad9",
	"2620:fe::fe/128":          "Quad9",
	"2620:fe::9/128":           "Quad9",
	"208.67.222.222/32":        "OpenDNS",
	"208.67.220.220/32":        "OpenDNS",
	"2620:119:35::35/128":      "OpenDNS",
	"2620:119:53::53/128":      "OpenDNS",
})

// resolverNames are the host names of public resolvers, for DNS over TLS
// and over HTTPS, from their operators' documentation: Google Public DNS
// (developers.google.com/speed/public-dns/docs/doh, docs/dns-over-tls and
// docs/dns64), Cloudflare (developers.cloudflare.com/1.1.1.1/), Quad9
// (quad9.net/service/service-addresses-and-features) and OpenDNS
// (support.opendns.com, DNS over HTTPS). Every address and path on one of
// them is the resolver's service: blocking it stops DNS for whoever uses
// it.
var resolverNames = map[string]string{
	"dns.google":                       "Google Public DNS",
	"dns.google.com":                   "Google Public DNS",
	"dns64.dns.google":                 "Google Public DNS64",
	"one.one.one.one":                  "Cloudflare DNS",
	"1dot1dot1dot1.cloudflare-dns.com": "Cloudflare DNS",
	"cloudflare-dns.com":               "Cloudflare DNS",
	"security.cloudflare-dns.com":      "Cloudflare DNS for Families",
	"family.cloudflare-dns.com":        "Cloudflare DNS for Families",
	"mozilla.cloudflare-dns.com":       "Cloudflare DNS, Firefox's default",
	"dns.quad9.net":                    "Quad9",
	"dns9.quad9.net":                   "Quad9",
	"dns10.quad9.net":                  "Quad9",
	"dns11.quad9.net":                  "Quad9",
	"resolver1.opendns.com":            "OpenDNS",
	"resolver2.opendns.com":            "OpenDNS",
	"doh.opendns.com":                  "OpenDNS",
	"doh.familyshield.opendns.com":     "OpenDNS FamilyShield",
}

// domains are among the most used on the internet, and the ones that
// reports most often name by mistake (a connectivity check, a link in a
// document). A subdomain is not on the list: blocking a site hosted under
// one of them may be right.
var domains = map[string]bool{}

func init() {
	for _, d := range strings.Fields(`google.com www.google.com googleapis.com gstatic.com youtube.com
		microsoft.com www.microsoft.com windowsupdate.com office.com office365.com outlook.com live.com
		microsoftonline.com azure.com bing.com apple.com icloud.com amazon.com amazonaws.com
		cloudflare.com akamai.net akamaiedge.net facebook.com instagram.com whatsapp.com
		linkedin.com twitter.com x.com github.com wikipedia.org mozilla.org yahoo.com
		digicert.com letsencrypt.org verisign.com overheid.nl rijksoverheid.nl government.nl`) {
		domains[d] = true
	}
}

// publicSuffixes are domains under which anyone registers names of their
// own: the common second-level domains of country-code TLDs and the
// domains of the big hosting platforms. Blocking one blocks every
// unrelated site under it; a site under one may well be blocked. They are
// a hand-kept subset of the Public Suffix List (https://publicsuffix.org/,
// Mozilla Public License 2.0), entries copied as the list writes them:
// the country-code domains from its ICANN section, the platforms from its
// private section. golang.org/x/net/publicsuffix holds the whole list,
// but it depends on net/http, which package export must not; the tests
// check every entry here against it.
var publicSuffixes = map[string]bool{}

func init() {
	for _, d := range strings.Fields(`
		co.uk org.uk me.uk ltd.uk plc.uk net.uk ac.uk gov.uk nhs.uk police.uk
		com.au net.au org.au edu.au gov.au asn.au id.au
		co.nz org.nz net.nz ac.nz govt.nz school.nz
		co.jp or.jp ne.jp ac.jp go.jp ad.jp ed.jp gr.jp lg.jp
		com.br net.br org.br gov.br edu.br
		com.cn net.cn org.cn gov.cn edu.cn ac.cn
		co.za org.za gov.za ac.za net.za web.za
		co.in net.in org.in gov.in ac.in edu.in firm.in gen.in ind.in res.in
		co.kr or.kr ne.kr go.kr ac.kr
		com.tw net.tw org.tw gov.tw edu.tw
		com.hk net.hk org.hk gov.hk edu.hk
		com.sg net.sg org.sg gov.sg edu.sg
		com.my net.my org.my gov.my edu.my
		co.id or.id ac.id go.id web.id net.id
		co.th or.th ac.th go.th in.th net.th
		com.ph net.ph org.ph gov.ph edu.ph
		com.vn net.vn org.vn gov.vn edu.vn
		com.mx org.mx gob.mx net.mx edu.mx
		com.ar net.ar org.ar gob.ar edu.ar
		com.co net.co org.co gov.co edu.co
		com.tr net.tr org.tr gov.tr edu.tr gen.tr web.tr biz.tr
		com.ua net.ua org.ua gov.ua in.ua
		co.il org.il ac.il gov.il net.il muni.il
		com.eg gov.eg edu.eg org.eg
		com.sa gov.sa edu.sa org.sa net.sa
		co.ae gov.ae ac.ae net.ae org.ae
		com.pk gov.pk edu.pk org.pk net.pk
		com.ng gov.ng edu.ng org.ng net.ng
		co.ke or.ke go.ke ac.ke
		com.pl net.pl org.pl gov.pl
		com.es org.es gob.es nom.es edu.es
		gouv.fr asso.fr com.fr nom.fr
		com.gr gov.gr edu.gr org.gr net.gr
		com.pt gov.pt edu.pt org.pt
		co.at or.at ac.at gv.at
		github.io githubusercontent.com gitlab.io bitbucket.io codeberg.page readthedocs.io
		blogspot.com appspot.com herokuapp.com elasticbeanstalk.com
		azurewebsites.net cloudapp.net azureedge.net trafficmanager.net blob.core.windows.net web.core.windows.net
		cloudfront.net s3.amazonaws.com
		web.app firebaseapp.com netlify.app vercel.app pages.dev workers.dev r2.dev trycloudflare.com
		fly.dev onrender.com ngrok.io ngrok-free.app repl.co wixsite.com translate.goog`) {
		publicSuffixes[d] = true
	}
}

// emptyHashes are the hashes of zero bytes: every empty file has them.
var emptyHashes = map[string]string{
	"d41d8cd98f00b204e9800998ecf8427e":                                 "MD5",
	"da39a3ee5e6b4b0d3255bfef95601890afd80709":                         "SHA-1",
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": "SHA-256",
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e": "SHA-512",
}

func blocks(list string, m map[string]string) []block {
	out := make([]block, 0, len(m))
	for p, why := range m {
		out = append(out, block{netip.MustParsePrefix(p), list, why})
	}
	return out
}

// prefix reads an address or a block as a prefix, masked, and as the IPv4
// block it stands for if it stands for one (embedded).
func prefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return embedded(p.Masked()), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.WithZone("")
		return embedded(netip.PrefixFrom(a, a.BitLen())), true
	}
	return netip.Prefix{}, false
}

// nat64 is the well-known NAT64 prefix: an address in it reaches the IPv4
// address in its last 32 bits through a translator (RFC 6052 section 2.1).
// The local-use prefix 64:ff9b:1::/48 (RFC 8215) embeds addresses as each
// network chooses, so it is reserved as a whole instead.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// embedded returns the IPv4 block that a masked IPv6 block of length 96 or
// more inside ::ffff:0:0/96 (IPv4-mapped, RFC 4291) or 64:ff9b::/96 stands
// for: an IPv6 block of length L there is the IPv4 block of length L-96.
// Any other block is returned as it is.
func embedded(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	if !a.Is6() || p.Bits() < 96 || !a.Is4In6() && !nat64.Contains(a) {
		return p
	}
	b := a.As16()
	return netip.PrefixFrom(netip.AddrFrom4([4]byte(b[12:])), p.Bits()-96)
}

// TooBroad reports whether an address block is broader than the minimum
// prefix lengths allow, an IPv6 block that stands for IPv4 addresses
// judged as the IPv4 block (::ffff:16.0.0.0/100 is 16.0.0.0/4). An
// address, or text that is no block, is not.
func TooBroad(s string) bool {
	p, ok := prefix(s)
	if !ok {
		return false
	}
	if p.Addr().Is4() {
		return p.Bits() < MinIPv4Prefix
	}
	return p.Bits() < MinIPv6Prefix
}

// Check reports whether a blocklist value of kind ("ip", "domain", "url"
// or "hash", normalised as Mosaic's exports write them) must not be
// blocked, and why. An address block matches when it overlaps a listed
// one: blocking it would block that too.
func Check(kind, value string) (Match, bool) {
	switch kind {
	case "ip":
		p, ok := prefix(value)
		if !ok {
			return Match{}, false
		}
		for _, bs := range [][]block{resolvers, reserved} {
			for _, b := range bs {
				if b.prefix.Overlaps(p) {
					return Match{List: b.list, Reason: b.prefix.String() + ": " + b.why}, true
				}
			}
		}
	case "domain":
		d := strings.TrimSuffix(strings.ToLower(value), ".")
		if domains[d] {
			return Match{List: "top domain", Reason: d + " is among the most used domains"}, true
		}
		if why, ok := resolverNames[d]; ok {
			return Match{List: "public resolver", Reason: d + ": " + why}, true
		}
		if publicSuffixes[d] {
			return Match{List: "public suffix", Reason: "anyone registers names under " + d}, true
		}
		if !strings.Contains(d, ".") && d != "" {
			return Match{List: "top-level domain", Reason: d + " is a top-level domain"}, true
		}
	case "url":
		u, err := url.Parse(value)
		if err != nil {
			return Match{}, false
		}
		host := u.Hostname()
		if why, ok := resolverNames[strings.TrimSuffix(strings.ToLower(host), ".")]; ok {
			return Match{List: "public resolver", Reason: "the resolver's own service: " + host + ": " + why}, true
		}
		if wholeSite(u) {
			if m, ok := Check("domain", host); ok {
				return Match{List: m.List, Reason: "the whole site: " + m.Reason}, true
			}
			if m, ok := Check("ip", host); ok {
				return Match{List: m.List, Reason: "the whole site: " + m.Reason}, true
			}
		}
	case "hash":
		if alg, ok := emptyHashes[strings.ToLower(value)]; ok {
			return Match{List: "empty content", Reason: "the " + alg + " of zero bytes: every empty file has it"}, true
		}
	}
	return Match{}, false
}

// wholeSite reports whether a URL names a whole site: its path is empty
// or made only of slashes, "." and ".." segments and segments of "*"
// (http://google.com//, http://google.com/*), and its query is empty or
// only "*". A blocklist that matches URLs by prefix or pattern blocks the
// site with it.
func wholeSite(u *url.URL) bool {
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg != "." && seg != ".." && strings.Trim(seg, "*") != "" {
			return false
		}
	}
	return strings.Trim(u.RawQuery, "*") == ""
}

// Reason says, in words, why a blockable value of kind must not be
// blocked: a block too broad to block, or a value on a list. False when
// nothing stops blocking it.
func Reason(kind, value string) (string, bool) {
	if kind == "ip" && TooBroad(value) {
		// Name the block that is too broad when it is written otherwise:
		// with host bits, or in IPv6 for IPv4 addresses.
		if p, _ := prefix(value); p.String() != value {
			value += " (" + p.String() + ")"
		}
		return fmt.Sprintf("%s is too broad to block (broader than /%d or /%d)", value, MinIPv4Prefix, MinIPv6Prefix), true
	}
	if m, ok := Check(kind, value); ok {
		return fmt.Sprintf("%s must never be blocked (%s: %s)", value, m.List, m.Reason), true
	}
	return "", false
}
