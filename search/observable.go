package search

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Kind is a kind of observable value.
type Kind string

// The kinds of observable that NormalizeObservable knows. Their string values
// may be stored or logged and must not change.
const (
	KindIPv4   Kind = "ipv4"   // dotted quad, as net/netip prints it
	KindIPv6   Kind = "ipv6"   // RFC 5952 text, as net/netip prints it
	KindCIDR   Kind = "cidr"   // address as written, "/", prefix length
	KindDomain Kind = "domain" // IDNA A-labels, lower case, no trailing dot
	KindURL    Kind = "url"    // scheme://host..., see NormalizeObservable
	KindEmail  Kind = "email"  // local@domain
	KindMD5    Kind = "md5"    // 32 lower-case hex digits
	KindSHA1   Kind = "sha1"   // 40 lower-case hex digits
	KindSHA256 Kind = "sha256" // 64 lower-case hex digits
	KindSHA512 Kind = "sha512" // 128 lower-case hex digits
	KindMAC    Kind = "mac"    // six lower-case hex octets joined by colons
)

// MaxTermBytes is the longest observable term, in bytes. A normalised
// observable longer than this (in practice a long URL) is indexed and queried
// as "#" followed by the lower-case hex SHA-256 of the normalised value: the
// stores cannot index arbitrarily long terms, and a long URL is only ever
// looked up whole.
const MaxTermBytes = 200

// ObservableTerm returns the term under which the normalised observable value
// is indexed and queried: value itself, or "#" and its SHA-256 when it is
// longer than MaxTermBytes. Correlation must compare observables through it
// so that it agrees with search.
func ObservableTerm(value string) string {
	if len(value) <= MaxTermBytes {
		return value
	}
	sum := sha256.Sum256([]byte(value))
	return "#" + hex.EncodeToString(sum[:])
}

// NormalizeObservable returns value in the canonical form of kind, or false
// when value is not a valid observable of that kind. Surrounding white space
// is ignored. Equal observables written differently normalise to the same
// string, and a normalised value contains only printable characters other
// than white space.
//
//   - ipv4, ipv6: the text net/netip prints (IPv6 compressed and lower case;
//     an IPv4-mapped IPv6 address stays IPv6 text). Zones and IPv4 octets
//     with leading zeros are rejected. ipv4 accepts only IPv4, ipv6 only
//     IPv6.
//   - cidr: the address as written (not masked), "/" and the length; a /32
//     or /128 is the plain address, and a plain address is accepted as one.
//   - domain: IDNA ToASCII with the lookup mapping (UTS 46,
//     nontransitional) and the relaxations browsers make: "_" and hyphens
//     anywhere in a label are allowed. Lower case, without the trailing dot;
//     at least two labels of 1 to 63 bytes, 253 bytes in all, the last label
//     with a letter in it.
//   - url: scheme://[userinfo@]host[:port]path?query#fragment with the
//     scheme and host lower-cased, the host IDNA-normalised (or an IP
//     address), the default port of http (80) and https (443) removed and an
//     empty path written "/" for http and https. Userinfo, path, query and
//     fragment are kept exactly as written.
//   - email: local@domain, the local part lower-cased and the domain
//     normalised as for domain.
//   - md5, sha1, sha256, sha512: the hex digest in lower case, of exactly
//     32, 40, 64 or 128 digits.
//   - mac: six octets written aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or
//     aabb.ccdd.eeff, normalised to lower-case colon form.
func NormalizeObservable(kind Kind, value string) (string, bool) {
	value = strings.TrimSpace(value)
	switch kind {
	case KindIPv4, KindIPv6:
		a, ok := parseAddr(value)
		if !ok || a.Is4() != (kind == KindIPv4) {
			return "", false
		}
		return a.String(), true
	case KindCIDR:
		v, _, ok := normalizeCIDR(value)
		return v, ok
	case KindDomain:
		return normalizeDomain(value, 2)
	case KindURL:
		v, _, ok := parseURL(value)
		return v, ok
	case KindEmail:
		return normalizeEmail(value)
	case KindMD5, KindSHA1, KindSHA256, KindSHA512:
		return normalizeHex(value, hexLen[kind])
	case KindMAC:
		return normalizeMAC(value)
	}
	return "", false
}

var hexLen = map[Kind]int{KindMD5: 32, KindSHA1: 40, KindSHA256: 64, KindSHA512: 128}

// labelSeparators are the full stops that separate the labels of an
// internationalised domain name (RFC 3490 section 3.1).
const labelSeparators = ".\u3002\uff0e\uff61"

// GuessObservable recognises a free-text token as an observable and returns
// its kind and normalised value, or false. It does not trim punctuation:
// callers that take tokens from prose trim them first. It tries, in this
// order: a URL (anything with "://"), an e-mail address (anything else with
// "@"), a bare hex digest of 32, 40, 64 or 128 digits, a MAC address, a CIDR
// block (a /32 or /128 is reported as the address), an IP address and a
// domain. Anything else, such as a plain word, a version number or a file
// path, is not an observable.
//
// Whatever NormalizeObservable accepts (white space around it aside),
// GuessObservable recognises too, possibly as another kind: a value copied
// from an SCO into a query is always an observable there.
func GuessObservable(s string) (Kind, string, bool) {
	k, v, ok := guessObservable(s)
	if !ok {
		return "", "", false
	}
	return k, v, true
}

// guessObservable is GuessObservable, but may return a kind with false.
func guessObservable(s string) (Kind, string, bool) {
	if s == "" {
		return "", "", false
	}
	// One pass decides which parsers can possibly succeed, so that the
	// common case, a plain word, is rejected without trying any of them.
	f := classify(s)
	colon, slash, at := f&clsColon != 0, f&clsSlash != 0, f&clsAt != 0
	dot, nonASCII, allHex := f&clsDot != 0, f&clsNonASCII != 0, f&clsAllHex != 0
	if colon && slash && strings.Contains(s, "://") {
		v, _, ok := parseURL(s)
		return KindURL, v, ok
	}
	if at {
		v, ok := normalizeEmail(s)
		return KindEmail, v, ok
	}
	if allHex {
		switch len(s) {
		case 32:
			return KindMD5, strings.ToLower(s), true
		case 40:
			return KindSHA1, strings.ToLower(s), true
		case 64:
			return KindSHA256, strings.ToLower(s), true
		case 128:
			return KindSHA512, strings.ToLower(s), true
		}
		return "", "", false
	}
	if len(s) == len("aa:bb:cc:dd:ee:ff") || len(s) == len("aabb.ccdd.eeff") {
		if v, ok := normalizeMAC(s); ok {
			return KindMAC, v, true
		}
	}
	if slash {
		v, k, ok := normalizeCIDR(s)
		return k, v, ok
	}
	if colon {
		if f&clsNonIP != 0 {
			return "", "", false // spares netip a failed parse and its error
		}
		a, ok := parseAddr(s)
		if !ok || !a.Is6() {
			return "", "", false
		}
		return KindIPv6, a.String(), true
	}
	// IDNA maps the ideographic and full-width full stops to ".", so a
	// domain written with them is a domain too.
	if dot || nonASCII && strings.ContainsAny(s, labelSeparators) {
		// An IPv4 address ends in a digit, a domain in a letter.
		if c := s[len(s)-1]; '0' <= c && c <= '9' {
			if a, ok := parseAddr(s); ok && a.Is4() {
				// netip reads only the canonical dotted quad (no
				// leading zeros, no short forms), so s is already
				// what a.String() would allocate.
				return KindIPv4, s, true
			}
		}
		v, ok := normalizeDomain(s, 2)
		return KindDomain, v, ok
	}
	return "", "", false
}

// parseAddr parses an IP address without a zone: a zone names an interface
// of one host and is meaningless in shared intelligence.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// normalizeCIDR normalises an address prefix and returns its kind: cidr, or
// ipv4 or ipv6 for a single-address prefix.
func normalizeCIDR(s string) (string, Kind, bool) {
	if strings.IndexByte(s, '/') < 0 {
		// The single address a /32 or /128 normalises to.
		if a, ok := parseAddr(s); ok {
			if a.Is4() {
				return a.String(), KindIPv4, true
			}
			return a.String(), KindIPv6, true
		}
		return "", "", false
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", "", false
	}
	a := p.Addr()
	if p.Bits() == a.BitLen() {
		if a.Is4() {
			return a.String(), KindIPv4, true
		}
		return a.String(), KindIPv6, true
	}
	return p.String(), KindCIDR, true
}

// domainProfile is IDNA's lookup profile with the two relaxations browsers
// make (the WHATWG URL standard's domain-to-ASCII): hyphens in the third and
// fourth position or at either end of a label are allowed
// (r3---sn-abc.googlevideo.com exists) and so is "_" (_dmarc.example.com,
// and hosts DNS serves although RFC 1123 forbids them). Any other ASCII
// character outside letters, digits and "-" is rejected after mapping.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// maxDomainInput bounds the text given to IDNA. A valid name has at most 253
// bytes once mapped; mapping can shrink text (full-width letters, ignored
// code points), but not by this much in any real name, and the bound keeps
// a hostile megabyte-long token from costing more than a short one.
const maxDomainInput = 1024

// normalizeDomain returns the IDNA ASCII form of a domain name with at least
// minLabels labels, lower case and without its trailing dot.
func normalizeDomain(s string, minLabels int) (string, bool) {
	if s == "" || len(s) > maxDomainInput {
		return "", false
	}
	// IDNA also maps a few compatibility characters to a dot (U+2024,
	// U+FE52, "⒈" to "1."). GuessObservable looks only for the four label
	// separators of IDNA (RFC 3490 3.1), and a name it would not recognise
	// must not be a domain here either, or pasting it would not find it.
	if minLabels > 1 && !strings.ContainsAny(s, labelSeparators) {
		return "", false
	}
	// Plain ASCII names, nearly all of them, map to themselves in lower
	// case: skip IDNA for them. An A-label ("xn--") must still be decoded
	// and checked by IDNA.
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = isASCIIWordByte(c) || c == '.' || c == '-' || c == '_'
	}
	var d string
	if plain {
		d = strings.ToLower(s)
		plain = !strings.HasPrefix(d, "xn--") && !strings.Contains(d, ".xn--")
	}
	if !plain {
		// IDNA turns invalid UTF-8 into U+FFFD and encodes it without
		// complaint, giving an A-label it rejects when it reads it back.
		if !utf8.ValidString(s) {
			return "", false
		}
		var err error
		if d, err = domainProfile.ToASCII(s); err != nil {
			return "", false
		}
		// A normalised name must normalise to itself, or the same
		// domain could be indexed under two terms; check the rare
		// names that went through IDNA rather than trust every corner
		// of its tables.
		if again, err := domainProfile.ToASCII(d); err != nil || again != d {
			return "", false
		}
	}
	d = strings.TrimSuffix(d, ".")
	if !validHostname(d, minLabels) {
		return "", false
	}
	return d, true
}

// validHostname checks an ASCII host name: at least minLabels labels of 1 to
// 63 bytes, at most 253 bytes in all, only a-z, 0-9, "-" and "_", every
// label with a letter or digit and the last one with a letter, so that
// version numbers and ATT&CK ids (1.2.3, T1059.001) are not domains.
func validHostname(d string, minLabels int) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	labels := 0
	for len(d) > 0 {
		label := d
		if i := strings.IndexByte(d, '.'); i >= 0 {
			label, d = d[:i], d[i+1:]
			if d == "" {
				return false // an empty label after the last dot
			}
		} else {
			d = ""
		}
		if label == "" || len(label) > 63 {
			return false
		}
		var alnum, letter bool
		for i := 0; i < len(label); i++ {
			switch c := label[i]; {
			case 'a' <= c && c <= 'z':
				alnum, letter = true, true
			case '0' <= c && c <= '9':
				alnum = true
			case c == '-' || c == '_':
			default:
				return false
			}
		}
		if !alnum || d == "" && !letter {
			return false
		}
		labels++
	}
	return labels >= minLabels
}

// parseURL normalises a URL and also returns its host: a domain or an IP
// address, without brackets.
func parseURL(s string) (norm, host string, ok bool) {
	if !printable(s) {
		return "", "", false
	}
	i := strings.Index(s, "://")
	if i <= 0 || !validScheme(s[:i]) {
		return "", "", false
	}
	scheme := strings.ToLower(s[:i])
	rest := s[i+len("://"):]
	authority, tail := rest, ""
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		authority, tail = rest[:j], rest[j:]
	}
	userinfo, hostport := "", authority
	if j := strings.LastIndexByte(authority, '@'); j >= 0 {
		userinfo, hostport = authority[:j+1], authority[j+1:]
	}

	var hostText, port string
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", "", false
		}
		a, ok := parseAddr(hostport[1:end])
		if !ok || !a.Is6() {
			return "", "", false
		}
		host = a.String()
		hostText = "[" + host + "]"
		after := hostport[end+1:]
		if after != "" {
			if after[0] != ':' {
				return "", "", false
			}
			port = after[1:]
		}
	} else {
		h := hostport
		if j := strings.LastIndexByte(hostport, ':'); j >= 0 {
			h, port = hostport[:j], hostport[j+1:]
		}
		if a, isAddr := parseAddr(h); isAddr && a.Is4() {
			host = a.String()
		} else {
			// A URL may name a single-label host (http://intranet/).
			var isName bool
			if host, isName = normalizeDomain(h, 1); !isName {
				return "", "", false
			}
		}
		hostText = host
	}

	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return "", "", false
		}
		port = strconv.FormatUint(n, 10)
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = ""
		}
	}

	var b strings.Builder
	b.Grow(len(s) + 1)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(userinfo)
	b.WriteString(hostText)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	if (scheme == "http" || scheme == "https") && (tail == "" || tail[0] != '/') {
		b.WriteByte('/')
	}
	b.WriteString(tail)
	return b.String(), host, true
}

// validScheme reports whether s is an RFC 3986 scheme.
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// printable reports whether s is valid UTF-8 made only of printable
// characters other than white space: the parts of an observable kept as
// written must not break the invariant that no term contains white space or
// control characters.
func printable(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !unicode.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}

// normalizeEmail normalises local@domain. The local part may hold RFC 5322
// atext and dots, or non-ASCII printable characters (RFC 6531); quoted local
// parts and address literals are not supported.
func normalizeEmail(s string) (string, bool) {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at > 64 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return "", false
	}
	local := s[:at]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "", false
	}
	for _, r := range local {
		if r < utf8.RuneSelf {
			if !isASCIIWordByte(byte(r)) && !strings.ContainsRune(".!#$%&'*+-/=?^_`{|}~", r) {
				return "", false
			}
		} else if r == utf8.RuneError || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return "", false
		}
	}
	domain, ok := normalizeDomain(s[at+1:], 2)
	if !ok {
		return "", false
	}
	return strings.ToLower(local) + "@" + domain, true
}

// normalizeHex lower-cases a hex digest of exactly n digits.
func normalizeHex(s string, n int) (string, bool) {
	if len(s) != n || !isHex(s) {
		return "", false
	}
	return strings.ToLower(s), true
}

// normalizeMAC normalises a 48-bit MAC address.
func normalizeMAC(s string) (string, bool) {
	var digits [12]byte
	switch len(s) {
	case len("aa:bb:cc:dd:ee:ff"):
		sep := s[2]
		if sep != ':' && sep != '-' {
			return "", false
		}
		for i := range 6 {
			if i < 5 && s[3*i+2] != sep {
				return "", false
			}
			digits[2*i], digits[2*i+1] = s[3*i], s[3*i+1]
		}
	case len("aabb.ccdd.eeff"):
		for i := range 3 {
			if i < 2 && s[5*i+4] != '.' {
				return "", false
			}
			copy(digits[4*i:], s[5*i:5*i+4])
		}
	default:
		return "", false
	}
	var b [17]byte
	for i, c := range digits {
		if !isHexByte(c) {
			return "", false
		}
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		b[i/2*3+i%2] = c
		if i%2 == 1 && i < 11 {
			b[i/2*3+2] = ':'
		}
	}
	return string(b[:]), true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHexByte(s[i]) {
			return false
		}
	}
	return true
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Byte classes, as bits, for a quick look at a token before any parser runs.
const (
	clsHex      = 1 << iota // 0-9 a-f A-F
	clsColon                // :
	clsSlash                // /
	clsAt                   // @
	clsDot                  // .
	clsNonASCII             // any byte of a multi-byte rune
	clsSep                  // a separator of observables inside a token, see isSubtokenSeparator
	clsNonIP                // a byte that is in no IPv6 address (all but hex, ":" and ".")
	clsAllHex               // set by classify when every byte is hex
)

var byteClass = func() (t [256]uint16) {
	for c := range 256 {
		b := byte(c)
		switch {
		case isHexByte(b):
			t[c] = clsHex
		case b == ':':
			t[c] = clsColon
		case b == '.':
			t[c] = clsDot
		case b == '/':
			t[c] = clsSlash | clsSep | clsNonIP
		case b == '@':
			t[c] = clsAt | clsNonIP
		case b >= utf8.RuneSelf:
			t[c] = clsNonASCII | clsNonIP
		case isSubtokenSeparator(b):
			t[c] = clsSep | clsNonIP
		default:
			t[c] = clsNonIP
		}
	}
	return t
}()

// classify returns the union of the classes of the bytes of s, with
// clsAllHex when they are all hex digits.
func classify(s string) uint16 {
	var any uint16
	all := uint16(clsHex)
	for i := 0; i < len(s); i++ {
		c := byteClass[s[i]]
		any |= c
		all &= c
	}
	if all != 0 && s != "" {
		any |= clsAllHex
	}
	return any
}
