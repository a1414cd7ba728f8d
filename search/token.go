package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// nextField returns the first run of non-white-space characters of s[i:]
// (white space as unicode.IsSpace, as strings.Fields splits) and the index
// just after it. The field is "" when s[i:] holds none. Queries and object
// text are split by this one function, so a chunk of a query is always a
// token of any text it was copied from.
func nextField(s string, i int) (string, int) {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if !isASCIISpace(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	start := i
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if isASCIISpace(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return s[start:i], i
}

// isASCIISpace is unicode.IsSpace for ASCII.
func isASCIISpace(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r'
}

// guessToken recognises a white-space-separated token of prose or of a
// query as an observable, after trimming the punctuation around it.
func guessToken(tok string) (Kind, string, bool) {
	return guessTrimmed(tok, trimToken(tok))
}

// guessTrimmed is guessToken given the trimmed token t too.
func guessTrimmed(tok, t string) (Kind, string, bool) {
	if t != "" {
		if k, v, ok := GuessObservable(t); ok {
			return k, v, true
		}
	}
	// What prose puts around a value can also begin or end one: an e-mail
	// address may start with "!" or "{". When trimming leaves nothing
	// recognisable, the whole token may still be an observable.
	if t != tok {
		return GuessObservable(tok)
	}
	return "", "", false
}

// trimToken removes the punctuation that prose puts around an observable:
// "(see evil.example.com)." or «198.51.100.7». Two exceptions keep
// observables whole: a closing bracket is kept while it closes one opened
// inside the token (http://en.wikipedia.org/wiki/Foo_(bar)), and a colon is
// kept when it is half of the "::" that starts or ends an IPv6 address.
func trimToken(s string) string {
	for s != "" {
		r, n := utf8.DecodeRuneInString(s)
		if !isTrimmed(r) || r == ':' && len(s) > 1 && s[1] == ':' {
			break
		}
		s = s[n:]
	}
	if s == "" {
		return s
	}
	var open, closed [3]int // (), [], {}; counted at the first closing bracket
	counted := false
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		if !isTrimmed(r) || r == ':' && len(s) > 1 && s[len(s)-2] == ':' {
			break
		}
		if k := strings.IndexRune(")]}", r); k >= 0 {
			if !counted {
				open, closed = countBrackets(s)
				counted = true
			}
			if open[k] >= closed[k] {
				break
			}
			closed[k]--
		}
		s = s[:len(s)-n]
	}
	return s
}

// countBrackets counts the opening and closing (), [] and {} of s.
func countBrackets(s string) (open, closed [3]int) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			open[0]++
		case '[':
			open[1]++
		case '{':
			open[2]++
		case ')':
			closed[0]++
		case ']':
			closed[1]++
		case '}':
			closed[2]++
		}
	}
	return open, closed
}

// isTrimmed reports whether r is punctuation trimmed around tokens.
func isTrimmed(r rune) bool {
	switch r {
	case ',', '.', ';', ':', '(', ')', '[', ']', '<', '>', '{', '}',
		'"', '\'', '`', '!', '?', '*',
		'\u2018', '\u2019', '\u201c', '\u201d', '\u00ab', '\u00bb': // ‘ ’ “ ” « »
		return true
	}
	return false
}

// isSubtokenSeparator reports whether the ASCII byte c joins an observable to
// other text inside one token (C:\Temp\evil.exe, host=198.51.100.7,
// href="http://..."): c appears in no domain, IP address, e-mail address,
// hash or MAC address. ":" is handled apart, as IPv6 and MAC addresses hold
// it.
func isSubtokenSeparator(c byte) bool {
	return c < utf8.RuneSelf && !isASCIIWordByte(c) &&
		c != '.' && c != '-' && c != '_' && c != '@' && c != ':' && c != '+'
}
