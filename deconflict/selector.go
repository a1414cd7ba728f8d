package deconflict

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode"

	"mosaic/search"
)

// Type is a kind of selector. Its name is bound into the VOPRF input, so
// equal text of two types never makes equal tokens, and it travels in clear
// next to each token (hits report it). The string values must not change:
// they are part of every token ever made.
type Type string

// The selector types. Where package search knows the kind, its
// normalisation is used, so that deconfliction and correlation agree on
// what is the same observable.
const (
	IPv4    Type = "ipv4"    // as net/netip prints it
	IPv6    Type = "ipv6"    // RFC 5952 text
	Domain  Type = "domain"  // IDNA A-labels, lower case, no trailing dot
	URL     Type = "url"     // search's canonical URL
	Email   Type = "email"   // local@domain, lower case, domain as for Domain
	MD5     Type = "md5"     // lower-case hex
	SHA1    Type = "sha1"    // lower-case hex
	SHA256  Type = "sha256"  // lower-case hex
	SHA512  Type = "sha512"  // lower-case hex
	Phone   Type = "phone"   // E.164: "+" and 7 to 15 digits
	BTC     Type = "btc"     // Bitcoin: base58check as written, or bech32 in lower case
	ETH     Type = "eth"     // Ethereum and EVM chains: 0x and 40 lower-case hex digits
	XMR     Type = "xmr"     // Monero: base58 as written
	Wallet  Type = "wallet"  // another currency: CHAIN:ADDRESS, chain lower case, address as written
	Account Type = "account" // PLATFORM:NAME, both lower case, a leading @ dropped
	Other   Type = "other"   // anything else, as written (white space around it aside)
)

// Types lists every type in a stable order.
var Types = []Type{IPv4, IPv6, Domain, URL, Email, MD5, SHA1, SHA256, SHA512, Phone, BTC, ETH, XMR, Wallet, Account, Other}

// ValidType reports whether t names a selector type.
func ValidType(t string) bool {
	for _, x := range Types {
		if string(x) == t {
			return true
		}
	}
	return false
}

// prefixes are the type prefixes an input line may start with. "ip" and
// "hash" leave the exact type to the value.
var prefixes = map[string]Type{"ip": "", "hash": ""}

func init() {
	for _, t := range Types {
		prefixes[string(t)] = t
	}
}

// Selector is one normalised, typed value a partner is interested in.
type Selector struct {
	Type  Type
	Value string
}

// MaxValueBytes is the longest normalised selector. An RFC 9497 input is
// at most 65535 bytes; selectors are far shorter, and a bound keeps a
// pasted document from being taken for one.
const MaxValueBytes = 4096

// Input is the VOPRF input of s: a length-prefixed type name followed by the
// value, so that no two (type, value) pairs share an input.
func (s Selector) Input() []byte {
	b := make([]byte, 0, 1+len(s.Type)+len(s.Value))
	b = append(b, byte(len(s.Type)))
	b = append(b, s.Type...)
	return append(b, s.Value...)
}

// Normalize returns value in the canonical form of t, or an error that
// says what is wrong without repeating the value: errors end up in logs and
// terminals, and the value is what must not.
func Normalize(t Type, value string) (Selector, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return Selector{}, fmt.Errorf("empty %s selector", t)
	}
	var v string
	ok := false
	switch t {
	case IPv4, IPv6, Domain, URL, Email, MD5, SHA1, SHA256, SHA512:
		v, ok = search.NormalizeObservable(search.Kind(t), value)
	case Phone:
		v, ok = normalizePhone(value)
	case BTC:
		v, ok = normalizeBTC(value)
	case ETH:
		v, ok = normalizeETH(value)
	case XMR:
		v, ok = normalizeXMR(value)
	case Wallet:
		v, ok = normalizePair(value, false)
	case Account:
		v, ok = normalizePair(value, true)
	case Other:
		v, ok = value, printable(value)
	default:
		return Selector{}, fmt.Errorf("unknown selector type %q", t)
	}
	if !ok {
		return Selector{}, fmt.Errorf("not a valid %s selector%s", t, hint[t])
	}
	if len(v) > MaxValueBytes {
		return Selector{}, fmt.Errorf("%s selector longer than %d bytes", t, MaxValueBytes)
	}
	return Selector{Type: t, Value: v}, nil
}

var hint = map[Type]string{
	Phone:   " (write it in international form: +31 20 123 4567 or 0031201234567)",
	Wallet:  " (write CHAIN:ADDRESS)",
	Account: " (write PLATFORM:NAME)",
	ETH:     " (0x and 40 hex digits)",
	BTC:     " (base58check or bech32 with a valid checksum)",
}

// Parse reads one selector: "TYPE:VALUE" with a type prefix, or a bare value
// whose type is guessed where that is unambiguous (addresses, domains,
// URLs, e-mail addresses, hashes by length, international phone numbers,
// Ethereum addresses and Bitcoin addresses with a valid checksum).
func Parse(line string) (Selector, error) {
	line = strings.TrimSpace(line)
	if p, rest, ok := strings.Cut(line, ":"); ok {
		if t, known := prefixes[strings.ToLower(p)]; known {
			switch strings.ToLower(p) {
			case "ip":
				if s, err := Normalize(IPv4, rest); err == nil {
					return s, nil
				}
				if s, err := Normalize(IPv6, rest); err == nil {
					return s, nil
				}
				return Selector{}, fmt.Errorf("not a valid IP address")
			case "hash":
				rest = strings.TrimSpace(rest)
				for _, t := range []Type{MD5, SHA1, SHA256, SHA512} {
					if s, err := Normalize(t, rest); err == nil {
						return s, nil
					}
				}
				return Selector{}, fmt.Errorf("not a hex md5, sha1, sha256 or sha512 digest")
			}
			// "url:http://..." and "http://..." are both URLs; a URL
			// scheme is never a type name, so the cut is safe.
			return Normalize(t, rest)
		}
	}
	return Guess(line)
}

// Guess recognises a bare value. It refuses what it cannot place with
// certainty: a word might be an account name, a file name or a password,
// and a wrong type makes a token that never matches.
func Guess(value string) (Selector, error) {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		return Selector{}, fmt.Errorf("empty selector")
	case strings.HasPrefix(value, "+"):
		return Normalize(Phone, value)
	case len(value) == 42 && (strings.HasPrefix(value, "0x") || strings.HasPrefix(value, "0X")):
		return Normalize(ETH, value)
	}
	if v, ok := normalizeBTC(value); ok {
		return Selector{Type: BTC, Value: v}, nil
	}
	k, v, ok := search.GuessObservable(value)
	if ok {
		switch k {
		case search.KindCIDR:
			return Selector{}, fmt.Errorf("an address block is not a selector; register addresses one by one")
		case search.KindMAC:
			return Selector{}, fmt.Errorf("a MAC address is not a selector type; write other:VALUE")
		}
		if ValidType(string(k)) {
			return Normalize(Type(k), v)
		}
	}
	return Selector{}, fmt.Errorf("cannot tell the type; write TYPE:VALUE with TYPE one of %s", typeList())
}

func typeList() string {
	s := make([]string, len(Types))
	for i, t := range Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// LineError is a line of an input file that is not a selector.
type LineError struct {
	Line   int
	Reason string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// MaxLineBytes bounds an input line.
const MaxLineBytes = 64 << 10

// File is a parsed input file.
type File struct {
	Selectors []Selector
	Lines     []int // the line each selector came from
	Bad       []LineError
}

// ParseFile reads one selector per line. Blank lines and lines starting
// with # are skipped; a selector seen before (after normalisation) is kept
// once. It reports every bad line, not just the first; the error is for
// reading.
func ParseFile(r io.Reader) (File, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	var f File
	seen := map[Selector]bool{}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := Parse(line)
		if err != nil {
			f.Bad = append(f.Bad, LineError{Line: n, Reason: err.Error()})
			continue
		}
		if !seen[s] {
			seen[s] = true
			f.Selectors = append(f.Selectors, s)
			f.Lines = append(f.Lines, n)
		}
	}
	if err := sc.Err(); err != nil {
		return f, fmt.Errorf("after line %d: %w", n, err)
	}
	return f, nil
}

func printable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) && !unicode.IsSpace(r) || r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// normalizePhone writes an international number in E.164: "+" and its
// digits, without the separators people write. A national number has no
// country code to add, so it is refused rather than guessed.
func normalizePhone(s string) (string, bool) {
	var b strings.Builder
	digits := strings.Builder{}
	rest, plus := strings.CutPrefix(s, "+")
	if !plus {
		if rest, plus = strings.CutPrefix(s, "00"); !plus {
			return "", false
		}
	}
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return "", false
		}
	}
	d := digits.String()
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	b.WriteByte('+')
	b.WriteString(d)
	return b.String(), true
}

func normalizeETH(s string) (string, bool) {
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return "", false
	}
	h := strings.ToLower(s[2:])
	for i := 0; i < len(h); i++ {
		if !strings.ContainsRune("0123456789abcdef", rune(h[i])) {
			return "", false
		}
	}
	return "0x" + h, true
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// normalizeBTC accepts a mainnet address: base58check (P2PKH, P2SH) with
// its checksum, kept as written since base58 is case-sensitive, or
// bech32/bech32m ("bc1...") in lower case.
func normalizeBTC(s string) (string, bool) {
	if len(s) >= 14 && strings.EqualFold(s[:3], "bc1") {
		if s != strings.ToLower(s) && s != strings.ToUpper(s) {
			return "", false // BIP 173: mixed case is invalid
		}
		l := strings.ToLower(s)
		if !bech32Valid(l) {
			return "", false
		}
		return l, true
	}
	if len(s) < 26 || len(s) > 35 || (s[0] != '1' && s[0] != '3') {
		return "", false
	}
	raw, ok := base58Decode(s)
	if !ok || len(raw) != 25 || (raw[0] != 0x00 && raw[0] != 0x05) {
		return "", false
	}
	sum := sha256.Sum256(raw[:21])
	sum = sha256.Sum256(sum[:])
	if string(sum[:4]) != string(raw[21:]) {
		return "", false
	}
	return s, true
}

func base58Decode(s string) ([]byte, bool) {
	n := new(big.Int)
	radix := big.NewInt(58)
	zeros := 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base58Alphabet, s[i])
		if d < 0 {
			return nil, false
		}
		if d == 0 && zeros == i {
			zeros++
		}
		n.Mul(n, radix)
		n.Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), true
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Valid checks a lower-case bech32 or bech32m string's checksum (BIP
// 173, BIP 350).
func bech32Valid(s string) bool {
	pos := strings.LastIndexByte(s, '1')
	if pos < 1 || pos+7 > len(s) || len(s) > 90 {
		return false
	}
	hrp, data := s[:pos], s[pos+1:]
	values := make([]int, 0, 2*len(hrp)+1+len(data))
	for i := 0; i < len(hrp); i++ {
		values = append(values, int(hrp[i])>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, int(hrp[i])&31)
	}
	for i := 0; i < len(data); i++ {
		d := strings.IndexByte(bech32Charset, data[i])
		if d < 0 {
			return false
		}
		values = append(values, d)
	}
	gen := []int{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := 1
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ v
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk == 1 || chk == 0x2bc830a3
}

// normalizeXMR accepts a standard (95 characters) or integrated (106)
// Monero address, kept as written.
func normalizeXMR(s string) (string, bool) {
	if (len(s) != 95 && len(s) != 106) || (s[0] != '4' && s[0] != '8') {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base58Alphabet, s[i]) < 0 {
			return "", false
		}
	}
	return s, true
}

// normalizePair reads "NAME:VALUE" (a currency and an address, or a
// platform and an account). The name is lower-cased. Account names are
// lower-cased and lose a leading "@", since the platforms people
// deconflict on treat them case-insensitively; addresses are kept as
// written, since some currencies' encodings are case-sensitive.
func normalizePair(s string, account bool) (string, bool) {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
	if !ok || name == "" || value == "" || len(name) > 40 {
		return "", false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return "", false
		}
	}
	if account {
		value = strings.ToLower(strings.TrimPrefix(value, "@"))
	}
	if value == "" || !printable(value) || strings.ContainsFunc(value, unicode.IsSpace) {
		return "", false
	}
	return name + ":" + value, true
}
