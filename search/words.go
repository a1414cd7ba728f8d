package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxWordBytes is the longest word term, in bytes. Longer words are cut to
// this many bytes on a rune boundary, in objects and queries alike, so a long
// query word still matches the object it was copied from.
const MaxWordBytes = 64

// Words splits text into lower-cased runs of Unicode letters and decimal
// digits; everything else, including marks, punctuation, symbols and invalid
// UTF-8, separates words. Words longer than MaxWordBytes are cut. The result
// is deduplicated in first-seen order, and nil when text has no word.
func Words(text string) []string {
	var d dedup
	for i := 0; i < len(text); {
		var w string
		w, i = nextWord(text, i)
		if w != "" {
			d.add(w)
		}
	}
	return d.list
}

// dedup collects strings in first-seen order without duplicates. It searches
// the list while it is short, which is the common case and allocates
// nothing more, and switches to a map before that search grows quadratic.
type dedup struct {
	list []string
	seen map[string]struct{}
}

const dedupLinearMax = 32

// add appends s unless it is already in the list.
func (d *dedup) add(s string) {
	if d.seen == nil {
		for _, x := range d.list {
			if x == s {
				return
			}
		}
		d.list = append(d.list, s)
		if len(d.list) > dedupLinearMax {
			d.seen = make(map[string]struct{}, 2*len(d.list))
			for _, x := range d.list {
				d.seen[x] = struct{}{}
			}
		}
		return
	}
	if _, ok := d.seen[s]; !ok {
		d.seen[s] = struct{}{}
		d.list = append(d.list, s)
	}
}

// nextWord returns the first word of text[i:], lower-cased and cut to
// MaxWordBytes, and the index just after it. The word is "" when text[i:]
// holds none.
func nextWord(text string, i int) (string, int) {
	// Skip separators.
	for i < len(text) {
		if c := text[i]; c < utf8.RuneSelf {
			if isASCIIWordByte(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if isWordRune(r) {
			break
		}
		i += n
	}
	start := i
	// Most words are lower-case ASCII: then the word is a substring of
	// text and costs no allocation.
	upper, nonASCII := false, false
	for i < len(text) {
		c := text[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				break
			}
			nonASCII = true
			i += n
			continue
		}
		if !isASCIIWordByte(c) {
			break
		}
		upper = upper || 'A' <= c && c <= 'Z'
		i++
	}
	switch {
	case nonASCII:
		return lowerWord(text[start:i]), i
	case upper:
		return lowerASCII(cutWord(text[start:i])), i
	}
	return cutWord(text[start:i]), i
}

// lowerASCII lower-cases an ASCII word.
func lowerASCII(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// lowerWord lower-cases a run of word runes and cuts it to MaxWordBytes.
// It stops converting once the cut is certain, so a megabyte-long run costs
// no more than a short one.
func lowerWord(run string) string {
	buf := make([]byte, 0, min(len(run), MaxWordBytes+utf8.UTFMax))
	for _, r := range run {
		buf = utf8.AppendRune(buf, unicode.ToLower(r))
		if len(buf) > MaxWordBytes {
			break
		}
	}
	return cutWord(string(buf))
}

// cutWord cuts w to at most MaxWordBytes on a rune boundary.
func cutWord(w string) string {
	if len(w) <= MaxWordBytes {
		return w
	}
	i := MaxWordBytes
	for i > 0 && !utf8.RuneStart(w[i]) {
		i--
	}
	return w[:i]
}

// isWordRune reports whether r belongs in a word term.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIWordByte(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isASCIIWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
