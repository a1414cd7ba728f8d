package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError is why Parse refused a pattern.
type SyntaxError struct {
	Offset int    // byte offset in the pattern of the token or character at fault
	Reason string // what is wrong and, where it helps, what to write instead
}

// Error returns "offset N: reason".
func (e *SyntaxError) Error() string {
	return "offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

const (
	// maxInt is the largest STIX integer (§2.10: 2^53-1).
	maxInt = 1<<53 - 1
	// maxDepth bounds the nesting of brackets and parentheses. Real
	// patterns nest a few levels; the bound keeps a hostile pattern from
	// growing the parser's stack without limit.
	maxDepth = 100
)

// parser is a recursive-descent parser with one token of lookahead, over a
// lexer that reads the next token on demand.
type parser struct {
	src   string
	off   int   // where the lexer goes on
	tok   token // the current token
	depth int   // brackets and parentheses open
}

// Parse parses a STIX 2.1 pattern. An invalid pattern gives a *SyntaxError
// with the byte offset of the fault and a reason a person can act on; the
// package documentation lists what is checked beyond the grammar.
func Parse(s string) (pat *Pattern, err error) {
	p := parser{src: s}
	// Errors unwind the descent by panicking with a *SyntaxError, which
	// keeps each production to its grammar; nothing else is recovered.
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			pat, err = nil, se
		}
	}()
	p.next()
	if p.tok.kind == kEOF {
		p.fail(p.tok.pos, "empty pattern: expected an observation expression such as [ipv4-addr:value = '198.51.100.1']")
	}
	e := p.observations(FollowedBy)
	if p.tok.kind != kEOF {
		p.trailing()
	}
	return &Pattern{Expr: e}, nil
}

func (p *parser) fail(off int, format string, args ...any) {
	panic(&SyntaxError{Offset: off, Reason: fmt.Sprintf(format, args...)})
}

func (p *parser) isKeyword(kw keyword) bool { return p.tok.kind == kKeyword && p.tok.kw == kw }

// enter notes an opening bracket or parenthesis at off.
func (p *parser) enter(off int) {
	p.depth++
	if p.depth > maxDepth {
		p.fail(off, "brackets and parentheses nest more than %d deep", maxDepth)
	}
}

// close reads the token that closes open, or fails saying what may come
// before it.
func (p *parser) close(k kind, open token, expected string) {
	if p.tok.kind != k {
		hint := ""
		if p.isKeyword(kwWithin) || p.isKeyword(kwRepeats) || p.isKeyword(kwStart) {
			hint = "; qualifiers go after the closing ']' or ')'"
		}
		p.fail(p.tok.pos, "expected %s to close the %s at offset %d, found %s%s", expected, describe(open), open.pos, describe(p.tok), hint)
	}
	p.depth--
	p.next()
}

// trailing fails on what follows a complete pattern.
func (p *parser) trailing() {
	t := p.tok
	switch t.kind {
	case kLBrack, kLParen:
		p.fail(t.pos, "unexpected %s: join observation expressions with AND, OR or FOLLOWEDBY", describe(t))
	case kRBrack:
		p.fail(t.pos, "unexpected ']': it has no matching '['")
	case kRParen:
		p.fail(t.pos, "unexpected ')': it has no matching '('")
	}
	p.fail(t.pos, "unexpected %s after a complete observation expression", describe(t))
}

var connectiveKeyword = [...]keyword{And: kwAnd, Or: kwOr, FollowedBy: kwFollowedBy}

// observations parses observation expressions joined by op, each of which
// binds tighter than op: observationExpressions, observationExpressionOr
// and observationExpressionAnd in the grammar.
func (p *parser) observations(op Connective) ObservationExpr {
	first := p.observationOperand(op)
	kw := connectiveKeyword[op]
	if !p.isKeyword(kw) {
		return first
	}
	c := &CompoundObservation{Op: op, Operands: appendObservation(nil, first, op, true)}
	for p.isKeyword(kw) {
		p.next()
		c.Operands = appendObservation(c.Operands, p.observationOperand(op), op, false)
	}
	return c
}

func (p *parser) observationOperand(op Connective) ObservationExpr {
	if op == And {
		return p.observation()
	}
	return p.observations(op + 1)
}

// appendObservation adds an operand to a chain of op. An operand that is a
// parenthesized chain of the same op joins the chain, where that keeps the
// meaning: always for AND and OR, which are associative; for FOLLOWEDBY
// only in first place, as (a FOLLOWEDBY b) FOLLOWEDBY c is what
// a FOLLOWEDBY b FOLLOWEDBY c means.
func appendObservation(ops []ObservationExpr, e ObservationExpr, op Connective, first bool) []ObservationExpr {
	if c, ok := e.(*CompoundObservation); ok && c.Op == op && (op != FollowedBy || first) {
		return append(ops, c.Operands...)
	}
	return append(ops, e)
}

// observation parses [comparisons] or (observations), and the qualifiers
// after it.
func (p *parser) observation() ObservationExpr {
	t := p.tok
	var e ObservationExpr
	switch t.kind {
	case kLBrack:
		p.enter(t.pos)
		p.next()
		c := p.comparisons(Or)
		p.close(kRBrack, t, "AND, OR or ']'")
		e = &Observation{Expr: c}
	case kLParen:
		p.enter(t.pos)
		p.next()
		e = p.observations(FollowedBy)
		p.close(kRParen, t, "AND, OR, FOLLOWEDBY or ')'")
	case kWord:
		p.fail(t.pos, "expected an observation expression, found %s: comparisons go in square brackets, as in [%s:... = ...]", describe(t), clip(t.text))
	default:
		p.fail(t.pos, "expected an observation expression ('[' or '('), found %s", describe(t))
	}
	if q := p.qualifiers(); q != nil {
		e = &Qualified{Expr: e, Qualifiers: q}
	}
	return e
}

// qualifiers parses the qualifiers after an observation expression, if
// any: at most one of each kind (§9.5.1).
func (p *parser) qualifiers() []Qualifier {
	var qs []Qualifier
	var seen [3]int // for WITHIN, REPEATS, START: 1 + the offset of the one seen
	for p.tok.kind == kKeyword {
		t := p.tok
		var k int
		switch t.kw {
		case kwWithin:
			k = 0
		case kwRepeats:
			k = 1
		case kwStart:
			k = 2
		case kwStop:
			p.fail(t.pos, "STOP without START: write START t'...' STOP t'...'")
		default:
			return qs
		}
		if seen[k] != 0 {
			p.fail(t.pos, "a second %s qualifier on one observation expression (the first is at offset %d); to qualify the qualified expression, put it in parentheses", t.text, seen[k]-1)
		}
		seen[k] = t.pos + 1
		p.next()
		switch k {
		case 0:
			qs = append(qs, p.within())
		case 1:
			qs = append(qs, p.repeats())
		case 2:
			qs = append(qs, p.startStop())
		}
	}
	return qs
}

// within parses what follows WITHIN: a positive number, then SECONDS.
func (p *parser) within() Within {
	t := p.tok
	var n float64
	switch t.kind {
	case kInt:
		n = float64(p.integer(t))
	case kFloat:
		n = p.float(t)
	default:
		p.fail(t.pos, "expected a number of seconds after WITHIN, found %s", describe(t))
	}
	if n <= 0 {
		p.fail(t.pos, "WITHIN takes a positive number of seconds, not %s", t.text)
	}
	p.next()
	if !p.isKeyword(kwSeconds) {
		p.fail(p.tok.pos, "expected SECONDS after WITHIN %s, found %s; SECONDS is the only unit", t.text, describe(p.tok))
	}
	p.next()
	return Within{Seconds: n}
}

// repeats parses what follows REPEATS: a positive integer, then TIMES.
func (p *parser) repeats() Repeats {
	t := p.tok
	if t.kind != kInt {
		p.fail(t.pos, "REPEATS takes a positive integer, found %s", describe(t))
	}
	n := p.integer(t)
	if n <= 0 {
		p.fail(t.pos, "REPEATS takes a positive integer, not %s", t.text)
	}
	p.next()
	if !p.isKeyword(kwTimes) {
		p.fail(p.tok.pos, "expected TIMES after REPEATS %s, found %s", t.text, describe(p.tok))
	}
	p.next()
	return Repeats{Times: n}
}

// startStop parses what follows START: a timestamp, STOP, and a later
// timestamp.
func (p *parser) startStop() StartStop {
	start := p.qualifierTime("START")
	if !p.isKeyword(kwStop) {
		p.fail(p.tok.pos, "expected STOP after START %s, found %s", start, describe(p.tok))
	}
	p.next()
	t := p.tok
	stop := p.qualifierTime("STOP")
	if stop.Compare(start) <= 0 {
		p.fail(t.pos, "STOP %s is not later than START %s: observations must be at or after START and before STOP", stop, start)
	}
	return StartStop{Start: start, Stop: stop}
}

func (p *parser) qualifierTime(after string) Timestamp {
	t := p.tok
	switch t.kind {
	case kTimestamp:
		p.next()
		return p.timestamp(t)
	case kString:
		p.fail(t.pos, "%s takes a timestamp constant: write t%s", after, clip(t.text))
	}
	p.fail(t.pos, "expected a timestamp t'...' after %s, found %s", after, describe(t))
	return ""
}

// comparisons parses comparison expressions joined by op, Or or And:
// comparisonExpression and comparisonExpressionAnd in the grammar.
func (p *parser) comparisons(op Connective) ComparisonExpr {
	first := p.comparisonOperand(op)
	kw := connectiveKeyword[op]
	if !p.isKeyword(kw) {
		return first
	}
	b := &BooleanExpr{Op: op, Operands: appendComparison(nil, first, op)}
	var types []string // for AND: the object types that could satisfy all operands so far
	if op == And {
		types = objectTypes(first)
	}
	for p.isKeyword(kw) {
		t := p.tok
		p.next()
		e := p.comparisonOperand(op)
		if op == And {
			right := objectTypes(e)
			both := intersect(types, right)
			if len(both) == 0 {
				p.fail(t.pos, "AND needs one object to satisfy both sides, but the left side is about %s and the right side about %s; join them with OR, or use two observation expressions: [...] AND [...]",
					strings.Join(types, " or "), strings.Join(right, " or "))
			}
			types = both
		}
		b.Operands = appendComparison(b.Operands, e, op)
	}
	return b
}

func (p *parser) comparisonOperand(op Connective) ComparisonExpr {
	if op == Or {
		return p.comparisons(And)
	}
	return p.comparison()
}

// appendComparison adds an operand to a chain of op, merging a
// parenthesized chain of the same op: AND and OR are associative.
func appendComparison(ops []ComparisonExpr, e ComparisonExpr, op Connective) []ComparisonExpr {
	if b, ok := e.(*BooleanExpr); ok && b.Op == op {
		return append(ops, b.Operands...)
	}
	return append(ops, e)
}

// objectTypes returns the object types an object satisfying e can have:
// the type of a comparison, the union over OR, the intersection over AND.
func objectTypes(e ComparisonExpr) []string {
	switch e := e.(type) {
	case *Comparison:
		return []string{e.Path.Type}
	case *BooleanExpr:
		types := objectTypes(e.Operands[0])
		for _, o := range e.Operands[1:] {
			if e.Op == And {
				types = intersect(types, objectTypes(o))
				continue
			}
			for _, t := range objectTypes(o) {
				if !slices.Contains(types, t) {
					types = append(types, t)
				}
			}
		}
		return types
	}
	return nil
}

func intersect(a, b []string) []string {
	var both []string
	for _, t := range a {
		if slices.Contains(b, t) {
			both = append(both, t)
		}
	}
	return both
}

// comparison parses one comparison (propTest in the grammar): a
// parenthesized comparison expression, [NOT] EXISTS path, or
// path [NOT] operator constant.
func (p *parser) comparison() ComparisonExpr {
	t := p.tok
	switch {
	case t.kind == kLParen:
		p.enter(t.pos)
		p.next()
		e := p.comparisons(Or)
		p.close(kRParen, t, "AND, OR or ')'")
		return e
	case t.kind == kKeyword && t.kw == kwNot:
		p.next()
		if !p.isKeyword(kwExists) {
			p.fail(t.pos, "NOT before an object path goes only with EXISTS (NOT EXISTS file:name); to negate a comparison, put NOT before its operator: file:name NOT = 'x'")
		}
		p.next()
		return &Comparison{Path: p.objectPath(), Not: true, Op: Exists}
	case t.kind == kKeyword && t.kw == kwExists:
		p.next()
		return &Comparison{Path: p.objectPath(), Op: Exists}
	case t.kind == kWord:
		return p.test()
	case t.kind == kLBrack:
		p.fail(t.pos, "unexpected '[' inside an observation expression: observation expressions do not nest; join them with AND, OR or FOLLOWEDBY outside the brackets")
	}
	p.fail(t.pos, "expected a comparison (an object path such as file:name, EXISTS, or '('), found %s", describe(t))
	return nil
}

// test parses path [NOT] operator constant.
func (p *parser) test() *Comparison {
	c := &Comparison{Path: p.objectPath()}
	if p.isKeyword(kwNot) {
		c.Not = true
		p.next()
	}
	t := p.tok
	switch t.kind {
	case kOp:
		c.Op = t.op
	case kKeyword:
		switch t.kw {
		case kwIn:
			c.Op = In
		case kwLike:
			c.Op = Like
		case kwMatches:
			c.Op = Matches
		case kwIsSubset:
			c.Op = IsSubset
		case kwIsSuperset:
			c.Op = IsSuperset
		case kwExists:
			p.fail(t.pos, "EXISTS goes before the object path: EXISTS %s", c.Path)
		}
	}
	if c.Op == 0 {
		p.fail(t.pos, "expected a comparison operator after %s, found %s", c.Path, describe(t))
	}
	p.next()
	c.Value = p.operand(c.Op, t)
	return c
}

// operand parses the constant of a comparison, of the kinds op takes.
func (p *parser) operand(op Operator, opTok token) Constant {
	t := p.tok
	switch op {
	case In:
		if t.kind != kLParen {
			p.fail(t.pos, "IN takes a set in parentheses, such as IN ('a', 'b'), found %s", describe(t))
		}
		return p.set()
	case Like, Matches, IsSubset, IsSuperset:
		if t.kind != kString {
			p.fail(t.pos, "%s takes a string constant ('...'), found %s", opTok.text, describe(t))
		}
		if op == IsSubset || op == IsSuperset {
			if r := ipReason(t.val); r != "" {
				p.fail(t.pos, "%s takes an IPv4 or IPv6 address or CIDR block such as '198.51.100.0/24': %s", opTok.text, r)
			}
		}
		p.next()
		return String(t.val)
	}
	if t.kind == kLParen {
		p.fail(t.pos, "%s compares with one constant; to compare with a set, use IN (...)", opTok.text)
	}
	v := p.constant(t)
	if v == nil {
		hint := ""
		if t.kind == kWord {
			hint = "; strings go in apostrophes: '...'"
		}
		p.fail(t.pos, "expected a constant after %s, found %s%s", opTok.text, describe(t), hint)
	}
	if _, ok := v.(Bool); ok && op != Equal && op != NotEqual {
		p.fail(t.pos, "%s does not order booleans; compare with = or !=", opTok.text)
	}
	p.next()
	return v
}

// set parses the set after IN: () or (c, ...), of constants of one type.
func (p *parser) set() Set {
	open := p.tok
	p.next()
	s := Set{}
	if p.tok.kind == kRParen {
		p.next()
		return s
	}
	var kind0 string
	for {
		t := p.tok
		if t.kind == kLParen {
			p.fail(t.pos, "sets do not nest")
		}
		v := p.constant(t)
		if v == nil {
			p.fail(t.pos, "expected a constant in the set, found %s", describe(t))
		}
		if k := constKind(v); len(s) == 0 {
			kind0 = k
		} else if k != kind0 {
			p.fail(t.pos, "a set holds constants of one type, but this is %s and the first is %s", k, kind0)
		}
		s = append(s, v)
		p.next()
		switch p.tok.kind {
		case kComma:
			p.next()
		case kRParen:
			p.next()
			return s
		default:
			p.fail(p.tok.pos, "expected ',' or ')' in the set opened at offset %d, found %s", open.pos, describe(p.tok))
		}
	}
}

// constKind names the type of a constant for the homogeneity of sets;
// integers and floats are one numeric type.
func constKind(c Constant) string {
	switch c.(type) {
	case String:
		return "a string"
	case Int, Float:
		return "a number"
	case Bool:
		return "a boolean"
	case Binary:
		return "a binary constant"
	case Hex:
		return "a hex constant"
	case Timestamp:
		return "a timestamp"
	}
	return "a set"
}

// constant converts a constant token, or returns nil if t is not one.
func (p *parser) constant(t token) Constant {
	switch t.kind {
	case kString:
		return String(t.val)
	case kInt:
		return Int(p.integer(t))
	case kFloat:
		return Float(p.float(t))
	case kBinary:
		return Binary(p.binary(t))
	case kHex:
		return Hex(p.hex(t))
	case kTimestamp:
		return p.timestamp(t)
	case kKeyword:
		switch t.kw {
		case kwTrue:
			return Bool(true)
		case kwFalse:
			return Bool(false)
		}
	}
	return nil
}

func (p *parser) integer(t token) int64 {
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil || n > maxInt || n < -maxInt {
		p.fail(t.pos, "integer %s is outside the STIX integer range, -(2^53-1) to 2^53-1", clip(t.text))
	}
	return n
}

func (p *parser) float(t token) float64 {
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) {
		p.fail(t.pos, "float %s is outside the range of a double", clip(t.text))
	}
	return f
}

// binary decodes b'...': padded standard base64 of at least one byte, in
// which line feeds and carriage returns are ignored (§9.2).
func (p *parser) binary(t token) []byte {
	v := t.val
	n, pad := 0, 0 // base64 characters and '=' seen
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\n' || c == '\r':
			continue
		case c == '=':
			pad++
		case isLetter(c) || isDigit(c) || c == '+' || c == '/':
			if pad > 0 {
				p.fail(t.pos+2+i, "'=' may only pad the end of a binary constant")
			}
		default:
			r, _ := utf8.DecodeRuneInString(v[i:])
			p.fail(t.pos+2+i, "binary constant holds %q, which is not base64 (A-Z, a-z, 0-9, +, / and = padding)", r)
		}
		n++
	}
	switch {
	case n == 0:
		p.fail(t.pos, "empty binary constant b'': it needs at least one byte")
	case n%4 != 0:
		p.fail(t.pos, "binary constant has %d base64 characters, not a multiple of 4: pad it with '='", n)
	case pad > 2:
		p.fail(t.pos, "binary constant ends in %d '=', more padding than base64 has", pad)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		p.fail(t.pos, "binary constant is not valid base64: %v", err)
	}
	return b
}

// hex decodes h'...': an even number of hexadecimal digits.
func (p *parser) hex(t token) []byte {
	v := t.val
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
			r, _ := utf8.DecodeRuneInString(v[i:])
			p.fail(t.pos+2+i, "hex constant holds %q, which is not a hexadecimal digit", r)
		}
	}
	if len(v)%2 != 0 {
		p.fail(t.pos, "hex constant %s has an odd number of digits (%d): each byte takes two", clip(t.text), len(v))
	}
	b, _ := hex.DecodeString(v) // cannot fail: checked above
	return b
}

func (p *parser) timestamp(t token) Timestamp {
	if r := TimestampReason(t.val); r != "" {
		p.fail(t.pos, "invalid timestamp %s: %s", clip(t.text), r)
	}
	return Timestamp(t.val)
}

// objectPath parses type:property followed by .key and [index] steps.
func (p *parser) objectPath() ObjectPath {
	t := p.tok
	if t.kind != kWord {
		p.fail(t.pos, "expected an object path such as file:name, found %s", describe(t))
	}
	if r := TypeNameReason(t.text); r != "" {
		p.fail(t.pos, "object type %q is not a STIX type name: %s", clip(t.text), r)
	}
	p.next()
	if p.tok.kind != kColon {
		if up := strings.ToUpper(t.text); lookupKeyword(up) != kwNone {
			p.fail(t.pos, "expected an object path, found %q: keywords are upper-case, %s", t.text, up)
		}
		p.fail(p.tok.pos, "expected ':' between the object type and the property, as in %s:name, found %s", t.text, describe(p.tok))
	}
	p.next()
	// The steps gather in a local array and are copied once, so that a path
	// costs one allocation whatever its length.
	var buf [8]Step
	steps := buf[:0]
	pt := p.tok
	var name string
	switch pt.kind {
	case kWord:
		name = pt.text
	case kString:
		name = pt.val
	default:
		p.fail(pt.pos, "expected a property name after %s:, found %s%s", t.text, describe(pt), quoteHint(pt))
	}
	if r := PropertyNameReason(name); r != "" {
		p.fail(pt.pos, "property name %q %s", clip(name), r)
	}
	steps = append(steps, Step{Property: name})
	p.next()
	for {
		switch p.tok.kind {
		case kDot:
			p.next()
			st := p.tok
			switch st.kind {
			case kWord:
				if strings.IndexByte(st.text, '-') >= 0 {
					p.fail(st.pos, "path component %s has a hyphen, so it must be quoted: '%s'", clip(st.text), clip(st.text))
				}
				name = st.text
			case kString:
				name = st.val
			default:
				p.fail(st.pos, "expected a property name or dictionary key after '.', found %s%s", describe(st), quoteHint(st))
			}
			if r := keyReason(name); r != "" {
				p.fail(st.pos, "path component %q %s", clip(name), r)
			}
			steps = append(steps, Step{Property: name})
			p.next()
		case kLBrack:
			open := p.tok
			p.next()
			it := p.tok
			var idx int
			switch it.kind {
			case kStar:
				idx = AnyIndex
			case kInt:
				n := p.integer(it)
				if n < 0 || n > math.MaxInt {
					p.fail(it.pos, "list index %s is out of range: an index is 0 or more, or * for any element", it.text)
				}
				idx = int(n)
			default:
				p.fail(it.pos, "expected a list index (0 or more, or *) after '[', found %s", describe(it))
			}
			p.next()
			if p.tok.kind != kRBrack {
				p.fail(p.tok.pos, "expected ']' to close the list index at offset %d, found %s", open.pos, describe(p.tok))
			}
			p.next()
			steps = append(steps, Step{Index: idx})
		default:
			return ObjectPath{Type: t.text, Steps: slices.Clone(steps)}
		}
	}
}

// quoteHint suggests quotes for a keyword used as a path component.
func quoteHint(t token) string {
	if t.kind == kKeyword {
		return "; a property named like a keyword must be quoted: '" + t.text + "'"
	}
	return ""
}
