package stix

import (
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The STIX 2.1 schemas check every property name of every object against
// three patterns (common/properties.json), and every identifier and
// timestamp against long ones. Go's regexp runs those in about a
// microsecond each (the {0,245} repetitions make programs of hundreds of
// instructions), which alone would cost tens of microseconds per object.
// The hot patterns are matched by hand instead: each function below
// accepts exactly the strings its pattern does under Go's regexp
// semantics (TestSchemaRegexpEquivalence and FuzzSchemaRegexp compare them
// with regexp on generated and fuzzed strings). Any other pattern goes to
// regexp, as the library would do.
var fastPatterns = map[string]func(string) bool{
	`^[a-z][a-z0-9_]{0,245}_bin$`: func(s string) bool { return suffixedName(s, "_bin") },
	`^[a-z][a-z0-9_]{0,245}_hex$`: func(s string) bool { return suffixedName(s, "_hex") },
	// Not anchored at the end, so any string that starts with three
	// characters of a property name matches, and so does any that ends
	// in "id".
	`^([a-z][a-z0-9_]{2,249})|id$`: func(s string) bool {
		return len(s) >= 3 && isLower(s[0]) && isNameChar(s[1]) && isNameChar(s[2]) || strings.HasSuffix(s, "id")
	},
	`^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`: schemaIdentifier,
	`^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$`:     schemaTimestamp,
	`T\d{2}:\d{2}:\d{2}\.\d{3,}Z$`:          schemaMillis,
	`^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$`:   func(s string) bool { return hyphenated(s, true) },
	`^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-ext$`: func(s string) bool { return strings.HasSuffix(s, "-ext") && hyphenated(s[:len(s)-4], false) },
	`^extension-definition--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`: func(s string) bool {
		rest, ok := strings.CutPrefix(s, "extension-definition--")
		return ok && schemaUUID(rest)
	},
	// External references: every one with an external_id goes through
	// these.
	`^cve$`:                            func(s string) bool { return s == "cve" },
	`^((cve)|(capec))$`:                func(s string) bool { return s == "cve" || s == "capec" },
	`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`: cveID,
	`^CAPEC-\d+$`:                      capecID,
	`^((CVE-\d{4}-(0\d{3}|[1-9]\d{3,}))|(CAPEC-\d+))$`: func(s string) bool { return cveID(s) || capecID(s) },
	`^[a-zA-Z0-9_-]{0,250}$`:                           func(s string) bool { return len(s) <= 250 && dictKeyChars(s) },
	`^[a-zA-Z0-9_-]{3,250}$`:                           func(s string) bool { return len(s) >= 3 && len(s) <= 250 && dictKeyChars(s) },
}

// schemaRegexp is the library's regular expression engine with the fast
// matchers above. Patterns that are a literal after "^" (and before an
// optional "$"), such as "^indicator--", are prefix or equality tests.
func schemaRegexp(pattern string) (jsonschema.Regexp, error) {
	if f, ok := fastPatterns[pattern]; ok {
		return &fastRegexp{pattern, f}, nil
	}
	if lit, ok := strings.CutPrefix(pattern, "^"); ok {
		whole := strings.HasSuffix(lit, "$")
		lit = strings.TrimSuffix(lit, "$")
		if regexp.QuoteMeta(lit) == lit {
			if whole {
				return &fastRegexp{pattern, func(s string) bool { return s == lit }}, nil
			}
			return &fastRegexp{pattern, func(s string) bool { return strings.HasPrefix(s, lit) }}, nil
		}
	}
	return regexp.Compile(pattern)
}

// fastRegexp is used by pointer: the library keys maps by Regexp.
type fastRegexp struct {
	pattern string
	match   func(string) bool
}

func (r *fastRegexp) MatchString(s string) bool { return r.match(s) }
func (r *fastRegexp) String() string            { return r.pattern }

func isLower(c byte) bool    { return 'a' <= c && c <= 'z' }
func isNameChar(c byte) bool { return isLower(c) || isDigit(c) || c == '_' }

// suffixedName matches ^[a-z][a-z0-9_]{0,245}SUFFIX$ for a 4-byte suffix.
func suffixedName(s, suffix string) bool {
	if len(s) < 5 || len(s) > 250 || !isLower(s[0]) || !strings.HasSuffix(s, suffix) {
		return false
	}
	for i := 1; i < len(s)-4; i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// hyphenated matches [a-z][a-z0-9]*(-[a-z0-9]+)* followed, when
// trailing is true, by an optional "-": a lower-case letter, then
// letters, digits and single hyphens.
func hyphenated(s string, trailing bool) bool {
	if s == "" || !isLower(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case isLower(c) || isDigit(c):
		case c == '-':
			if s[i-1] == '-' || i == len(s)-1 && !trailing {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func dictKeyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isLetter(c) || isDigit(c) || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// schemaIdentifier matches common/identifier.json: a type of at least
// three characters that starts with a letter and ends with a letter or
// digit, "--", and a UUID of version 1 to 5 and the RFC 4122 variant.
// The UUID has a fixed length and ends the string, so the split is
// unique.
func schemaIdentifier(s string) bool {
	if len(s) < 3+2+36 || s[len(s)-38:len(s)-36] != "--" {
		return false
	}
	t := s[:len(s)-38]
	if !isLower(t[0]) || !(isLower(t[len(t)-1]) || isDigit(t[len(t)-1])) {
		return false
	}
	for i := 1; i < len(t)-1; i++ {
		if c := t[i]; !(isLower(c) || isDigit(c) || c == '-') {
			return false
		}
	}
	return schemaUUID(s[len(s)-36:])
}

// schemaUUID matches the UUID part of the schemas' identifier patterns.
func schemaUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c < '1' || c > '5' {
				return false
			}
		case 19:
			if !strings.ContainsRune("89abAB", rune(c)) {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// schemaTimestamp matches common/timestamp.json.
func schemaTimestamp(s string) bool {
	if len(s) < 20 || s[len(s)-1] != 'Z' {
		return false
	}
	for i, want := range []byte("dddd-dd-ddTdd:dd:dd") {
		if want == 'd' && !isDigit(s[i]) || want != 'd' && s[i] != want {
			return false
		}
	}
	between := func(i int, lo, hi string) bool { return s[i:i+2] >= lo && s[i:i+2] <= hi }
	if !between(5, "01", "12") || !between(8, "01", "31") || !between(11, "00", "23") ||
		!between(14, "00", "59") || !between(17, "00", "60") {
		return false
	}
	frac := s[19 : len(s)-1]
	if frac == "" {
		return true
	}
	if frac[0] != '.' || len(frac) == 1 {
		return false
	}
	for i := 1; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return false
		}
	}
	return true
}

// schemaMillis matches T\d{2}:\d{2}:\d{2}\.\d{3,}Z$ (not anchored at the
// start): the string ends in "Z", after at least three digits that follow
// the last non-digit, which must be the "." of a "Thh:mm:ss.".
func schemaMillis(s string) bool {
	if len(s) < 14 || s[len(s)-1] != 'Z' {
		return false
	}
	i := len(s) - 2
	for i >= 0 && isDigit(s[i]) {
		i--
	}
	if len(s)-2-i < 3 || i < 9 || s[i] != '.' {
		return false
	}
	for j, want := range []byte("Tdd:dd:dd") {
		c := s[i-9+j]
		if want == 'd' && !isDigit(c) || want != 'd' && c != want {
			return false
		}
	}
	return true
}

// cveID matches ^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$: a year and a number of
// four digits, or more without a leading zero.
func cveID(s string) bool {
	rest, ok := strings.CutPrefix(s, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' || !allDigits(rest[:4]) {
		return false
	}
	n := rest[5:]
	return allDigits(n) && (len(n) == 4 || n[0] != '0')
}

// capecID matches ^CAPEC-\d+$.
func capecID(s string) bool {
	n, ok := strings.CutPrefix(s, "CAPEC-")
	return ok && n != "" && allDigits(n)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
