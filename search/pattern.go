package search

import "strings"

// PatternLiterals returns the string constants of a STIX pattern, in order,
// with the \' and \\ escapes resolved. It is a scanner, not a parser: it
// accepts any text and never fails, and stops at an unterminated string.
//
// Quoted object path components (the 'SHA-256' of file:hashes.'SHA-256',
// recognised by the "." or ":" before them) are not constants and are left
// out, as are binary, hex and timestamp constants (b'...', h'...', t'...').
func PatternLiterals(pattern string) []string {
	var out []string
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '\'' {
			continue
		}
		end, hasEscape := scanLiteral(pattern, i+1)
		if end < 0 {
			break
		}
		if isConstant(pattern, i) {
			lit := pattern[i+1 : end]
			if hasEscape {
				lit = unescapeLiteral(lit)
			}
			out = append(out, lit)
		}
		i = end
	}
	return out
}

// scanLiteral returns the index of the quote that closes the string starting
// at i, or -1, and whether the string holds escapes.
func scanLiteral(s string, i int) (end int, hasEscape bool) {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
				hasEscape = true
				i++
			}
		case '\'':
			return i, hasEscape
		}
	}
	return -1, hasEscape
}

// isConstant reports whether the quote at i opens a string constant rather
// than a typed constant or an object path component.
func isConstant(s string, i int) bool {
	if i > 0 && (s[i-1] == 'b' || s[i-1] == 'h' || s[i-1] == 't') {
		return false
	}
	before := strings.TrimRight(s[:i], " \t\r\n")
	return before == "" || !strings.HasSuffix(before, ".") && !strings.HasSuffix(before, ":")
}

// unescapeLiteral resolves \' and \\; any other backslash is kept, as the
// pattern validator, not this scanner, rejects it.
func unescapeLiteral(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
