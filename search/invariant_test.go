package search

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkWord reports how w breaks the invariant of word terms.
func checkWord(w string) error {
	if w == "" || len(w) > MaxWordBytes || !utf8.ValidString(w) {
		return fmt.Errorf("word %q: empty, longer than %d bytes or invalid UTF-8", w, MaxWordBytes)
	}
	for _, r := range w {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return fmt.Errorf("word %q holds %U, neither letter nor digit", w, r)
		}
		if unicode.ToLower(r) != r {
			return fmt.Errorf("word %q holds %U, not lower case", w, r)
		}
	}
	return nil
}

// checkObservable reports how o breaks the invariant of observable terms.
func checkObservable(o string) error {
	if strings.HasPrefix(o, "#") && len(o) == 65 && isHex(o[1:]) && strings.ToLower(o) == o {
		return nil
	}
	if o == "" || len(o) > MaxTermBytes || !printable(o) {
		return fmt.Errorf("observable %q: empty, longer than %d bytes, or not printable without white space", o, MaxTermBytes)
	}
	return nil
}

// fragments are the pieces random texts are made of: observables and their
// parts, the punctuation around them, white space of all kinds, letters
// whose case mapping changes their length, marks, control and format
// characters, and bytes that are not UTF-8.
var fragments = []string{
	"evil", "Example", "COM", ".", "..", "-", "_", "@", ":", "::", "/", "//", "://", "\\", "=", "%", "#", "?", "&",
	"http", "HTTPS", "hxxp", "xn--", "xn--bcher-kva", "bücher", "www", "1", "0", "255", "256", "443", "80", "ff",
	"198.51.100.7", "2001:db8::1", "::ffff:1.2.3.4", "fe80::1%eth0", "/24", "/32", "/128",
	"evil.example.com", "http://evil.example.com", "Bad@Phish.Example", "00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e",
	"d41d8cd98f00b204e9800998ecf8427e", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
	" ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085",
	"(", ")", "[", "]", "{", "}", "<", ">", `"`, "'", "`", ",", ";", "!", "*", "“", "”", "«", "»", "。", "．",
	"⒈", "\u2024", "\ufe52", "＿", "ß", "ẞ", "İ", "ı", "ǅ", "Ⱥ", "ȿ", "K", "é", "e\u0301", "\u0301", "漢字", "١٢", "😀", "\ufffd",
	"\x00", "\x1b", "\x7f", "\u200b", "\u200d", "\u202e", "\ufeff", "\xff", "\xc3", "\xe2\x82",
	"AND", "OR", "NOT", "NEAR", "'--", "; DROP TABLE x;",
}

// randomText joins up to n random fragments, now and then with a random
// rune or byte between them.
func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range r.IntN(n + 1) {
		switch r.IntN(10) {
		case 0:
			b.WriteRune(rune(r.IntN(0x3000)))
		case 1:
			b.WriteByte(byte(r.IntN(256)))
		default:
			b.WriteString(fragments[r.IntN(len(fragments))])
		}
	}
	return b.String()
}

// TestInvariant checks the package invariant, and that a query copied from
// an object's text finds the object, on random texts made to break them.
func TestInvariant(t *testing.T) {
	const seed = 20261127
	r := rand.New(rand.NewPCG(seed, seed))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		text := randomText(r, 12)
		checkText(t, text)
		if t.Failed() {
			t.Fatalf("failed on %q (seed %d)", text, seed)
		}
	}
}

// checkText checks everything that must hold for any text.
func checkText(t *testing.T, text string) {
	t.Helper()
	q := ParseQuery(text)
	checkQuery(t, q)
	for _, w := range Words(text) {
		if err := checkWord(w); err != nil {
			t.Error(err)
		}
	}

	// The text as every kind of field.
	words, observables := ObjectTerms("indicator", map[string]any{
		"name": text, "labels": []any{text}, "pattern": text,
		"external_references": []any{map[string]any{"external_id": text}},
	})
	checkTerms(t, words, observables)
	hashes := map[string]any{"MD5": text, "SHA-256": text, "SSDEEP": text, "x": text}
	words, observables = ObjectTerms("file", map[string]any{"hashes": hashes})
	checkTerms(t, words, observables)

	// A query copied from an object's text finds the object.
	words, observables = ObjectTerms("report", map[string]any{"description": text})
	if len(words) < MaxObjectWords && !matches(q, words, observables) {
		t.Errorf("ParseQuery(%q) = %+v does not match its own text: words %q, observables %q", text, q, words, observables)
	}
	// Pasting an SCO's value finds the SCO, when the value is valid or
	// the query sees an observable in it.
	paste := !strings.ContainsFunc(text, unicode.IsSpace)
	single := len(q.Observables) == 1 && len(q.Words) == 0
	for typ, kind := range scoKinds {
		words, observables := ObjectTerms(typ, map[string]any{"value": text})
		checkTerms(t, words, observables)
		if _, valid := NormalizeObservable(kind, text); paste && (valid || single) && !matches(q, words, observables) {
			t.Errorf("ParseQuery(%q) = %+v does not match a %s of that value: %q", text, q, typ, observables)
		}
	}
}

var scoKinds = map[string]Kind{
	"ipv4-addr": KindIPv4, "ipv6-addr": KindIPv6, "domain-name": KindDomain,
	"url": KindURL, "email-addr": KindEmail, "mac-addr": KindMAC,
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"", "Cobalt Strike", "198.51.100.7 evil.example.com", `"a" AND b* NEAR(c)`, "a & !b | c:*",
		"(http://w.example/wiki/A_(b)).", "[::1]", "bücher.example", "ev\x00il", "\xff\xfe", "Bad@Phish.Example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		checkText(t, q)
	})
}

// FuzzObjectTerms fills every field ObjectTerms reads with fuzzed text. The
// fields are fuzzed directly rather than as JSON, where nearly every
// mutation would be a syntax error; TestObjectTerms covers properties of
// unexpected JSON types.
func FuzzObjectTerms(f *testing.F) {
	f.Add("indicator", "Beacons to evil.example.com (198.51.100.7).", "[domain-name:value = 'evil.example.com']", "", "", "")
	f.Add("url", "", "", "HTTP://Evil.Example.com:80", "", "")
	f.Add("file", "Invoice.PDF.exe", "", "", "SHA-256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
	f.Add("file", "a.exe", "", "", "SSDEEP", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C")
	f.Add("note", "see [2001:db8::1]:443, C:\\Temp\\x.exe", "", "", "", "")
	f.Add("ipv4-addr", "", "", "198.51.100.0/24", "", "")
	f.Add("email-addr", "", "", "Bad@Bücher.example", "", "")
	f.Fuzz(func(t *testing.T, typ, text, pattern, value, alg, digest string) {
		refs := []any{map[string]any{"external_id": text}}
		props := map[string]any{
			"name": text, "description": text, "labels": []any{text, pattern}, "aliases": []any{text},
			"pattern": pattern, "x_mitre_aliases": []any{text}, "external_references": refs,
			"abstract": text, "content": text, "explanation": text, "result": text,
			"value": value, "hashes": map[string]any{alg: digest},
		}
		words, observables := ObjectTerms(typ, props)
		checkTerms(t, words, observables)
		if len(words) >= MaxObjectWords {
			return
		}
		for _, q := range []string{text, pattern} {
			if query := ParseQuery(q); !matches(query, words, observables) {
				t.Errorf("ParseQuery(%q) = %+v does not match its own object: %q, %q", q, query, words, observables)
			}
		}
	})
}
