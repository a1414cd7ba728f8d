package pattern

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is the kind of a token.
type kind uint8

const (
	kEOF kind = iota
	kLBrack
	kRBrack
	kLParen
	kRParen
	kComma
	kColon
	kDot
	kStar
	kOp        // a comparison operator symbol; token.op says which
	kWord      // an identifier, hyphens included (object types have them)
	kKeyword   // token.kw says which
	kString    // token.val is the unescaped string
	kBinary    // b'...'; token.val is the text between the quotes
	kHex       // h'...'; likewise
	kTimestamp // t'...'; likewise
	kInt
	kFloat
)

// token is one token of the pattern. text is the token's source text, and
// pos the byte offset of its first byte, which errors report.
type token struct {
	kind kind
	pos  int
	text string
	val  string
	op   Operator
	kw   keyword
}

// keyword is one of the grammar's keywords. They are case-sensitive: AND is
// a keyword, and is an identifier.
type keyword uint8

const (
	kwNone keyword = iota
	kwAnd
	kwOr
	kwNot
	kwFollowedBy
	kwLike
	kwMatches
	kwIsSuperset
	kwIsSubset
	kwExists
	kwLast // reserved by the grammar, used nowhere
	kwIn
	kwStart
	kwStop
	kwSeconds
	kwTrue
	kwFalse
	kwWithin
	kwRepeats
	kwTimes
)

func lookupKeyword(s string) keyword {
	switch s {
	case "AND":
		return kwAnd
	case "OR":
		return kwOr
	case "NOT":
		return kwNot
	case "FOLLOWEDBY":
		return kwFollowedBy
	case "LIKE":
		return kwLike
	case "MATCHES":
		return kwMatches
	case "ISSUPERSET":
		return kwIsSuperset
	case "ISSUBSET":
		return kwIsSubset
	case "EXISTS":
		return kwExists
	case "LAST":
		return kwLast
	case "IN":
		return kwIn
	case "START":
		return kwStart
	case "STOP":
		return kwStop
	case "SECONDS":
		return kwSeconds
	case "true":
		return kwTrue
	case "false":
		return kwFalse
	case "WITHIN":
		return kwWithin
	case "REPEATS":
		return kwRepeats
	case "TIMES":
		return kwTimes
	}
	return kwNone
}

// next reads the token after the current one into p.tok.
func (p *parser) next() {
	p.skipSpace()
	s, i := p.src, p.off
	if i >= len(s) {
		p.tok = token{kind: kEOF, pos: i}
		return
	}
	c := s[i]
	switch {
	case c == '[':
		p.punct(kLBrack, 1)
	case c == ']':
		p.punct(kRBrack, 1)
	case c == '(':
		p.punct(kLParen, 1)
	case c == ')':
		p.punct(kRParen, 1)
	case c == ',':
		p.punct(kComma, 1)
	case c == ':':
		p.punct(kColon, 1)
	case c == '*':
		p.punct(kStar, 1)
	case c == '.' && !(i+1 < len(s) && isDigit(s[i+1])):
		p.punct(kDot, 1)
	case c == '\'':
		p.lexString()
	case isLetter(c) || c == '_':
		p.lexWord()
	case isDigit(c) || c == '-' || c == '+' || c == '.':
		p.lexNumber()
	case strings.IndexByte(opChars, c) >= 0:
		p.lexOperator()
	default:
		p.badChar(i)
	}
}

func (p *parser) punct(k kind, n int) {
	p.tok = token{kind: k, pos: p.off, text: p.src[p.off : p.off+n]}
	p.off += n
}

// skipSpace skips whitespace (any Unicode White_Space code point, §9.4) and
// the comments the grammar skips: /* ... */ and // to the end of the line.
func (p *parser) skipSpace() {
	s := p.src
	for p.off < len(s) {
		c := s[p.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			p.off++
		case c == '/' && p.off+1 < len(s) && s[p.off+1] == '*':
			end := strings.Index(s[p.off+2:], "*/")
			if end < 0 {
				p.fail(p.off, "unterminated comment: /* has no closing */")
			}
			p.checkUTF8(p.off+2, p.off+2+end)
			p.off += 2 + end + 2
		case c == '/' && p.off+1 < len(s) && s[p.off+1] == '/':
			end := strings.IndexAny(s[p.off:], "\r\n")
			if end < 0 {
				end = len(s) - p.off
			}
			p.checkUTF8(p.off, p.off+end)
			p.off += end
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[p.off:])
			if !unicode.IsSpace(r) {
				return
			}
			p.off += n
		default:
			return
		}
	}
}

// checkUTF8 fails on the first byte of s[from:to] that is not UTF-8: a
// pattern is a Unicode string (§9.4).
func (p *parser) checkUTF8(from, to int) {
	for i := from; i < to; {
		if p.src[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(p.src[i:to])
		if r == utf8.RuneError && n <= 1 {
			p.fail(i, "invalid UTF-8: a pattern must be Unicode text")
		}
		i += n
	}
}

// badChar fails on a character that starts no token, with a hint for the
// usual mistakes.
func (p *parser) badChar(i int) {
	r, n := utf8.DecodeRuneInString(p.src[i:])
	switch {
	case r == utf8.RuneError && n <= 1:
		p.fail(i, "invalid UTF-8: a pattern must be Unicode text")
	case r == '"':
		p.fail(i, `unexpected '"': strings and quoted property names take apostrophes ('...'), not double quotes`)
	case r == '‘' || r == '’' || r == '“' || r == '”':
		p.fail(i, "unexpected typographic quote %q: strings take the ASCII apostrophe (')", r)
	case r == '/':
		p.fail(i, "unexpected '/': regular expressions are strings ('...') after MATCHES")
	case r == '&':
		p.fail(i, "unexpected '&': write AND")
	case r == '|':
		p.fail(i, "unexpected '|': write OR")
	case r < ' ' || r == 0x7f:
		p.fail(i, "unexpected control character %U", r)
	case r < utf8.RuneSelf:
		p.fail(i, "unexpected character %q", r)
	}
	p.fail(i, "unexpected character %q (%U)", r, r)
}

// lexWord reads an identifier: [A-Za-z_][A-Za-z0-9_-]*, a keyword, or the
// b, h or t that starts a binary, hex or timestamp constant.
func (p *parser) lexWord() {
	s, start := p.src, p.off
	i := start + 1
	for i < len(s) && (isLetter(s[i]) || isDigit(s[i]) || s[i] == '_' || s[i] == '-') {
		i++
	}
	if i == start+1 && i < len(s) && s[i] == '\'' {
		switch s[start] {
		case 'b':
			p.lexTyped(kBinary, "binary")
			return
		case 'h':
			p.lexTyped(kHex, "hex")
			return
		case 't':
			p.lexTyped(kTimestamp, "timestamp")
			return
		}
	}
	p.off = i
	w := s[start:i]
	if kw := lookupKeyword(w); kw != kwNone {
		p.tok = token{kind: kKeyword, pos: start, text: w, kw: kw}
		return
	}
	p.tok = token{kind: kWord, pos: start, text: w}
}

// lexTyped reads b'...', h'...' or t'...'. Their bodies have no escapes;
// the parser checks them.
func (p *parser) lexTyped(k kind, what string) {
	s, start := p.src, p.off
	end := strings.IndexByte(s[start+2:], '\'')
	if end < 0 {
		p.fail(start, "unterminated %s constant: %c' has no closing '", what, s[start])
	}
	end += start + 2
	p.checkUTF8(start+2, end)
	p.off = end + 1
	p.tok = token{kind: k, pos: start, text: s[start:p.off], val: s[start+2 : end]}
}

// lexString reads a string constant or quoted path component. The only
// escapes are \' and \\ (§9.2).
func (p *parser) lexString() {
	s, start := p.src, p.off
	escaped := false // whether the string holds an escape, so needs unescaping
	quoteEscaped := false
	i := start + 1
	for {
		if i >= len(s) {
			if quoteEscaped {
				p.fail(start, `unterminated string: no closing ' (\' inside a string is an escaped apostrophe, not the end)`)
			}
			p.fail(start, "unterminated string: no closing '")
		}
		c := s[i]
		if c == '\'' {
			break
		}
		if c == '\\' {
			if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
				escaped = true
				quoteEscaped = quoteEscaped || s[i+1] == '\''
				i += 2
				continue
			}
			if i+1 >= len(s) {
				p.fail(i, `unterminated string: it ends in a backslash`)
			}
			r, _ := utf8.DecodeRuneInString(s[i+1:])
			p.fail(i, `invalid escape \%c in a string: only \' and \\ are escapes, so write a backslash as \\`, r)
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				p.fail(i, "invalid UTF-8: a pattern must be Unicode text")
			}
			i += n
			continue
		}
		i++
	}
	p.off = i + 1
	val := s[start+1 : i]
	if escaped {
		val = unescape(val)
	}
	p.tok = token{kind: kString, pos: start, text: s[start:p.off], val: val}
}

// unescape resolves the \' and \\ of a string that lexString accepted.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lexNumber reads an integer or a float: -?(0|[1-9][0-9]*) or
// -?[0-9]*\.[0-9]+, with no exponent. The parser converts it.
func (p *parser) lexNumber() {
	s, start := p.src, p.off
	i := start
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	digits := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := s[digits:i]
	k := kInt
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i+1 {
			if intDigits == "" {
				p.fail(start, "unexpected %q", s[start])
			}
			p.fail(start, "number %s needs a digit after the decimal point", s[start:j])
		}
		k, i = kFloat, j
	} else if intDigits == "" {
		p.fail(start, "unexpected %q: a sign must be followed by a number", s[start])
	}
	if i < len(s) && (isLetter(s[i]) || s[i] == '_' || s[i] == '.') && !keywordAt(s, i) {
		j := i
		for j < len(s) && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '_' || s[j] == '.' || s[j] == '-' || s[j] == '+') {
			j++
		}
		hint := ""
		if strings.IndexFunc(s[start:j], func(r rune) bool { return r != 'e' && r != 'E' && unicode.IsLetter(r) }) >= 0 {
			hint = "; a string goes in apostrophes: '...'"
		}
		p.fail(start, "invalid number %q: numbers are written as 42, -7, 3.14 or .5, without exponents%s", clip(s[start:j]), hint)
	}
	if s[start] == '+' {
		p.fail(start, "write %s without '+': positive numbers have no sign (STIX 2.1 §9.2)", s[start+1:i])
	}
	if k == kInt && len(intDigits) > 1 && intDigits[0] == '0' {
		p.fail(start, "integer %s has a leading zero", s[start:i])
	}
	p.off = i
	p.tok = token{kind: k, pos: start, text: s[start:i]}
}

// keywordAt reports whether the word at s[i] is a keyword. The grammar's
// lexer ends a number where a word starts, so 5TIMES is 5 TIMES; since
// only keywords may follow a number, any other word there is an error, and
// reported with the number (1e5, an unquoted hash).
func keywordAt(s string, i int) bool {
	j := i
	for j < len(s) && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '_' || s[j] == '-') {
		j++
	}
	return lookupKeyword(s[i:j]) != kwNone
}

// opChars are the characters of comparison operators. A run of them that
// is not an operator is reported whole, as an unknown operator.
const opChars = "=!<>~?"

func (p *parser) lexOperator() {
	s, start := p.src, p.off
	i := start
	for i < len(s) && strings.IndexByte(opChars, s[i]) >= 0 {
		i++
	}
	op := s[start:i]
	var o Operator
	switch op {
	case "=", "==":
		o = Equal
	case "!=", "<>":
		o = NotEqual
	case "<":
		o = Less
	case "<=":
		o = LessOrEqual
	case ">":
		o = Greater
	case ">=":
		o = GreaterOrEqual
	default:
		p.fail(start, "unknown operator %q: the comparison operators are = != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET, and EXISTS before a path", op)
	}
	p.off = i
	p.tok = token{kind: kOp, pos: start, text: op, op: o}
}

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case kEOF:
		return "the end of the pattern"
	case kKeyword:
		return t.text
	case kWord:
		s := fmt.Sprintf("%q", clip(t.text))
		if up := strings.ToUpper(t.text); up != t.text && lookupKeyword(up) != kwNone {
			s += " (keywords are upper-case: " + up + ")"
		} else if low := strings.ToLower(t.text); low != t.text && (low == "true" || low == "false") {
			s += " (booleans are lower-case: " + low + ")"
		}
		return s
	case kString:
		return "the string " + clip(t.text)
	case kInt, kFloat:
		return "the number " + clip(t.text)
	case kBinary, kHex, kTimestamp:
		return "the constant " + clip(t.text)
	}
	return "'" + t.text + "'"
}

// clip shortens s for a message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
