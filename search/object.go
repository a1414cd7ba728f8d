package search

import (
	"slices"
	"strings"

	"mosaic/pattern"
)

// MaxObjectWords is the most word terms an object gets; the first ones seen
// (see ObjectTerms for the order of fields) are kept. It bounds the index row
// of a huge report.
const MaxObjectWords = 4000

// MaxObjectObservables is the most observable terms an object gets; the
// first distinct ones seen are kept (an SCO's value and a pattern's
// constants come first). With MaxObjectWords it keeps an object's terms
// well under PostgreSQL's 1 MB limit on a tsvector, so that both stores
// index the same terms.
const MaxObjectObservables = 2000

// ObjectTerms returns the word terms and observable terms of a STIX object
// of type typ, each sorted and without duplicates. props is the object as
// encoding/json decodes it (numbers may be json.Number); properties of an
// unexpected JSON type are ignored, so any decodable input is accepted.
//
// Words come from, in this order: name, description, labels, aliases,
// pattern (the raw text), x_mitre_aliases, external_references[].external_id,
// and the abstract and content of a note, the explanation of an opinion and
// the result of a malware-analysis. Only the first MaxObjectWords distinct
// words are kept.
//
// Observables come from:
//   - the value of ipv4-addr (an address or CIDR block), ipv6-addr,
//     domain-name, url, email-addr and mac-addr;
//   - the hashes of file, artifact and x509-certificate: MD5, SHA-1, SHA-2
//     and SHA-3 digests (keys as STIX writes them, or sha256 and the like)
//     must be hex of their length and are lower-cased, any other all-hex
//     value is lower-cased, and the rest (SSDEEP, TLSH) is kept as written,
//     trimmed; a value with white space inside is left out;
//   - the string constants of an indicator's pattern that GuessObservable
//     recognises;
//   - the white-space-separated tokens of the word fields above that
//     GuessObservable recognises once surrounding punctuation is trimmed,
//     and, inside a token it does not recognise, a URL or an observable
//     joined to other text by a separator such as "=", "\" or ":"
//     (host=198.51.100.7, C:\Temp\evil.exe, evil.example.com:8080);
//   - the host of every URL and the domain of every e-mail address found
//     above, so that searching a domain or an IP address finds the URLs
//     and addresses on it.
//
// An exact value (an SCO value, a pattern constant) is also indexed in the
// form a query holding it would take, in case trimming changes it
// (a URL ending in "."), so pasting the value always finds the object.
func ObjectTerms(typ string, props map[string]any) (words, observables []string) {
	c := collector{words: make([]string, 0, 64), observables: make([]string, 0, 8)}
	// Exact values first: they are what MaxObjectObservables keeps.
	value, _ := props["value"].(string)
	switch typ {
	case "ipv4-addr":
		c.exact(value, KindIPv4, KindCIDR)
	case "ipv6-addr":
		c.exact(value, KindIPv6, KindCIDR)
	case "domain-name":
		c.exact(value, KindDomain)
	case "url":
		c.exact(value, KindURL)
	case "email-addr":
		c.exact(value, KindEmail)
	case "mac-addr":
		c.exact(value, KindMAC)
	case "file", "artifact", "x509-certificate":
		if hashes, ok := props["hashes"].(map[string]any); ok {
			for alg, v := range hashes {
				if v, ok := v.(string); ok {
					if t, ok := hashTerm(alg, v); ok {
						c.observables = append(c.observables, ObservableTerm(t))
					}
				}
			}
		}
	case "indicator":
		if src, ok := props["pattern"].(string); ok {
			c.pattern(src, props["pattern_type"])
		}
	}
	c.text(props["name"])
	c.text(props["description"])
	c.texts(props["labels"])
	c.texts(props["aliases"])
	c.text(props["pattern"])
	c.texts(props["x_mitre_aliases"])
	if refs, ok := props["external_references"].([]any); ok {
		for _, ref := range refs {
			if ref, ok := ref.(map[string]any); ok {
				c.text(ref["external_id"])
			}
		}
	}
	switch typ {
	case "note":
		c.text(props["abstract"])
		c.text(props["content"])
	case "opinion":
		c.text(props["explanation"])
	case "malware-analysis":
		c.text(props["result"])
	}

	return c.result()
}

// collector gathers an object's terms.
type collector struct {
	// words holds words in first-seen order. Until MaxObjectWords words
	// have been seen it may hold duplicates, removed by sorting at the end:
	// a typical object has a few dozen words and a map would cost more
	// than everything else. From then on seen tracks them exactly, so the
	// cap keeps the first MaxObjectWords distinct words.
	words       []string
	seen        map[string]struct{}
	full        bool
	observables []string // with duplicates, removed at the end
}

// texts collects the words and observables of a JSON array of strings.
func (c *collector) texts(v any) {
	list, _ := v.([]any)
	for _, s := range list {
		c.text(s)
	}
}

// text collects the words and observables of a JSON string.
func (c *collector) text(v any) {
	s, ok := v.(string)
	if !ok || s == "" {
		return
	}
	for i := 0; i < len(s); {
		var tok string
		if tok, i = nextField(s, i); tok == "" {
			continue
		}
		// White space separates words too, so the words of the tokens
		// are the words of s.
		for j := 0; j < len(tok) && !c.full; {
			var w string
			if w, j = nextWord(tok, j); w != "" {
				c.addWord(w)
			}
		}
		c.token(tok)
	}
}

func (c *collector) addWord(w string) {
	if c.seen == nil {
		c.words = append(c.words, w)
		if len(c.words) < MaxObjectWords {
			return
		}
		// Switch to exact counting, keeping the first of each word.
		c.seen = make(map[string]struct{}, 2*MaxObjectWords)
		distinct := c.words[:0]
		for _, w := range c.words {
			if _, dup := c.seen[w]; !dup {
				c.seen[w] = struct{}{}
				distinct = append(distinct, w)
			}
		}
		c.words = distinct
	} else if _, dup := c.seen[w]; !dup {
		c.seen[w] = struct{}{}
		c.words = append(c.words, w)
	}
	c.full = len(c.words) >= MaxObjectWords
}

// token collects the observables of one white-space-separated token of
// text.
func (c *collector) token(tok string) {
	t := trimToken(tok)
	// The classes of tok include those of t, all but clsAllHex, which
	// only matters at the lengths of a digest; a hyphenated MAC address
	// has none of them.
	f := classify(tok)
	if f&(clsColon|clsSlash|clsAt|clsDot|clsNonASCII|clsSep) == 0 && !mayBeDigestOrMAC(len(t)) && !mayBeDigestOrMAC(len(tok)) {
		return // a plain word, possibly with hyphens: the common case
	}
	if k, v, ok := guessTrimmed(tok, t); ok {
		c.add(k, v)
		return
	}
	if t != "" && f&(clsSep|clsColon) != 0 {
		c.embedded(t)
	}
}

func mayBeDigestOrMAC(n int) bool {
	switch n {
	case 32, 40, 64, 128, len("aa-bb-cc-dd-ee-ff"):
		return true
	}
	return false
}

// embedded collects the observables inside a token that is not one itself.
// It only ever adds terms, and the query side never splits a chunk this
// way: a query chunk it would split is not an observable, so it asks for
// words, which the object has anyway.
func (c *collector) embedded(t string) {
	// A URL after other text: href="http://..., url:http://... Only the
	// first "://" is tried: each try reads the rest of the token, and
	// trying them all would make a hostile token cost quadratic time.
	if i := strings.Index(t, "://"); i > 0 {
		start := i
		for start > 0 && isSchemeByte(t[start-1]) {
			start--
		}
		if start > 0 && start < i {
			if k, v, ok := guessToken(t[start:]); ok {
				c.add(k, v)
			}
		}
	}
	for start, i := 0, 0; i <= len(t); i++ {
		if i < len(t) && !splitsSubtokens(t, i) {
			continue
		}
		part := t[start:i]
		start = i + 1
		if part == "" {
			continue
		}
		if part == t {
			// Only ":" separates: try its pieces below.
		} else if k, v, ok := guessToken(part); ok {
			c.add(k, v)
			continue
		}
		if strings.IndexByte(part, ':') < 0 {
			continue
		}
		for piece := range strings.SplitSeq(part, ":") {
			if k, v, ok := guessToken(piece); ok {
				c.add(k, v)
			}
		}
	}
}

// splitsSubtokens reports whether t[i] separates observables inside the
// token t. A "/" between an address and a digit is the prefix length of a
// CIDR block (ip=10.0.0.0/8), not a separator.
func splitsSubtokens(t string, i int) bool {
	c := t[i]
	if !isSubtokenSeparator(c) {
		return false
	}
	return c != '/' || i == 0 || i+1 == len(t) ||
		!(isHexByte(t[i-1]) || t[i-1] == ':') || t[i+1] < '0' || t[i+1] > '9'
}

func isSchemeByte(c byte) bool {
	return isASCIIWordByte(c) || c == '+' || c == '-' || c == '.'
}

// exact collects an observable given as a value: normalised as the first of
// kinds that accepts it (or as GuessObservable recognises it when kinds is
// empty), and also in the form a query chunk holding it takes.
func (c *collector) exact(value string, kinds ...Kind) {
	if value == "" {
		return
	}
	for _, k := range kinds {
		if v, ok := NormalizeObservable(k, value); ok {
			c.add(k, v)
			break
		}
	}
	chunk := strings.TrimSpace(value)
	t := trimToken(chunk)
	if len(kinds) == 0 && t != value {
		if k, v, ok := GuessObservable(value); ok {
			c.add(k, v)
		}
	}
	if k, v, ok := guessTrimmed(chunk, t); ok {
		c.add(k, v)
	}
}

// add collects a normalised observable, and the host of a URL or the domain
// of an e-mail address when that is an observable itself (a single-label
// host such as localhost is not).
func (c *collector) add(k Kind, v string) {
	c.observables = append(c.observables, ObservableTerm(v))
	var host string
	switch k {
	case KindURL:
		_, host, _ = parseURL(v)
	case KindEmail:
		host = v[strings.LastIndexByte(v, '@')+1:]
	default:
		return
	}
	if strings.ContainsAny(host, ".:") {
		c.observables = append(c.observables, ObservableTerm(host))
	}
}

func (c *collector) result() (words, observables []string) {
	obs := c.observables
	if len(obs) > MaxObjectObservables {
		seen := make(map[string]struct{}, MaxObjectObservables)
		kept := make([]string, 0, MaxObjectObservables)
		for _, o := range obs {
			if _, ok := seen[o]; ok || o == "" {
				continue
			}
			seen[o] = struct{}{}
			if kept = append(kept, o); len(kept) == MaxObjectObservables {
				break
			}
		}
		obs = kept
	}
	return sortedSet(c.words), sortedSet(obs)
}

// sortedSet returns the non-empty strings of list sorted and without
// duplicates, in a new slice. Sorting was a quarter of ObjectTerms' time, so
// the strings are first bucketed by first byte, leaving a few short runs to
// sort instead of one long one: about twice as fast for the few dozen words
// of a typical object, and no slower for many.
func sortedSet(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	var count [256]int32
	lo, hi := 255, 0
	for _, s := range list {
		if s != "" {
			b := int(s[0])
			count[b]++
			lo, hi = min(lo, b), max(hi, b)
		}
	}
	var next [256]int32
	n := int32(0)
	for b := lo; b <= hi; b++ {
		next[b] = n
		n += count[b]
	}
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for _, s := range list {
		if s != "" {
			out[next[s[0]]] = s
			next[s[0]]++
		}
	}
	for b := lo; b <= hi; b++ {
		if k := count[b]; k > 1 {
			sortStrings(out[next[b]-k : next[b]])
		}
	}
	// Remove duplicates in place; unlike slices.Compact this leaves the
	// tail as it is, sparing a write per removed string.
	j := 1
	for i := 1; i < len(out); i++ {
		if out[i] != out[j-1] {
			out[j] = out[i]
			j++
		}
	}
	return out[:j:j]
}

// sortStrings sorts a run of strings: by insertion when it is short, as the
// runs of sortedSet nearly always are, which compares strings directly
// rather than through the generic slices.Sort.
func sortStrings(run []string) {
	if len(run) > 12 {
		slices.Sort(run)
		return
	}
	for i := 1; i < len(run); i++ {
		for j := i; j > 0 && run[j] < run[j-1]; j-- {
			run[j], run[j-1] = run[j-1], run[j]
		}
	}
}

// hashTerm normalises one entry of a hashes dictionary. Digests of the
// algorithms STIX names or that are common in practice (MD5, SHA-1, SHA-2,
// SHA-3) must be hex of their length and are lower-cased; any other value
// that is all hex is lower-cased too, as hex case never matters; the rest
// (SSDEEP, a TLSH with its "T1" prefix) is kept as written, trimmed, unless
// it holds white space or control characters, which no digest does.
func hashTerm(alg, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || !printable(v) {
		return "", false
	}
	if n := hashAlgLen(alg); n > 0 {
		return normalizeHex(v, n)
	}
	if isHex(v) {
		return strings.ToLower(v), true
	}
	return v, true
}

// hashAlgLen returns the number of hex digits of a digest of alg, a key of a
// STIX hashes dictionary (SHA-256, or sha256 as some producers write it), or
// 0 for an algorithm it does not know.
func hashAlgLen(alg string) int {
	key := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		return r
	}, strings.ToUpper(alg))
	switch key {
	case "MD5":
		return 32
	case "SHA1":
		return 40
	case "SHA224", "SHA3224":
		return 56
	case "SHA256", "SHA3256":
		return 64
	case "SHA384", "SHA3384":
		return 96
	case "SHA512", "SHA3512":
		return 128
	}
	return 0
}

// pattern adds the observables a STIX pattern names by equality: what it
// says an object is, not what it says an object is not or is like. Other
// pattern languages, and STIX patterns that do not parse, give their
// string constants.
func (c *collector) pattern(src string, typ any) {
	if typ == nil || typ == "stix" {
		if p, err := pattern.Parse(src); err == nil {
			for _, eq := range p.Equalities() {
				c.exact(eq.Value)
			}
			return
		}
	}
	for _, lit := range PatternLiterals(src) {
		c.exact(lit)
	}
}
