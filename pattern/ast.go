package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
)

// Pattern is a parsed STIX pattern. Its String method gives the canonical
// text: single spaces, no comments, = and != for == and <>, parentheses only
// where they change the meaning, property names quoted only where the
// grammar requires it, and constants in one spelling. Parse of that text
// gives back an equal Pattern.
type Pattern struct {
	// Expr is the pattern expression: observation expressions joined by
	// AND, OR and FOLLOWEDBY.
	Expr ObservationExpr
}

// ObservationExpr is an observation expression: an *Observation, a
// *CompoundObservation or a *Qualified. String gives its canonical text.
type ObservationExpr interface {
	String() string
	observationExpr()
}

// Observation is one observation expression in square brackets, [Expr],
// which matches a single observation (one observed-data object).
type Observation struct {
	Expr ComparisonExpr
}

// CompoundObservation joins two or more observation expressions with one
// observation operator: And, Or or FollowedBy. A chain such as a AND b AND c
// is one CompoundObservation with three operands, as is (a AND b) AND c;
// a FOLLOWEDBY chain is read left to right, so an operand that is itself a
// FOLLOWEDBY (from a FOLLOWEDBY (b FOLLOWEDBY c)) is a different pattern and
// stays nested.
type CompoundObservation struct {
	Op       Connective
	Operands []ObservationExpr // two or more
}

// Qualified restricts an observation expression with one or more
// qualifiers, applied in order: Expr Q1 Q2 ... An observation expression
// has at most one qualifier of each kind; ([a] WITHIN 5 SECONDS) WITHIN 9
// SECONDS qualifies two different expressions and is a Qualified inside a
// Qualified.
type Qualified struct {
	Expr       ObservationExpr
	Qualifiers []Qualifier // one or more, of different kinds
}

func (*Observation) observationExpr()         {}
func (*CompoundObservation) observationExpr() {}
func (*Qualified) observationExpr()           {}

// ComparisonExpr is what goes inside an observation expression's brackets:
// a *Comparison or a *BooleanExpr. String gives its canonical text.
type ComparisonExpr interface {
	String() string
	comparisonExpr()
}

// BooleanExpr joins two or more comparison expressions with And or Or.
// Like CompoundObservation, a chain of one operator, with or without
// parentheses, is one BooleanExpr.
type BooleanExpr struct {
	Op       Connective // And or Or
	Operands []ComparisonExpr
}

// Comparison compares an object path with a constant: Path Op Value, or
// Path NOT Op Value when Not is set. For Exists it is EXISTS Path (NOT
// EXISTS Path) and Value is nil; for In, Value is a Set.
type Comparison struct {
	Path  ObjectPath
	Not   bool
	Op    Operator
	Value Constant
}

func (*BooleanExpr) comparisonExpr() {}
func (*Comparison) comparisonExpr()  {}

// Connective is an operator that joins expressions. And and Or join
// comparison expressions inside an observation expression as well as
// observation expressions; FollowedBy joins observation expressions only.
// AND binds tighter than OR, and OR tighter than FOLLOWEDBY.
type Connective uint8

// The connectives, in the order of their precedence, loosest first.
const (
	FollowedBy Connective = iota + 1
	Or
	And
)

// String returns the keyword: "AND", "OR" or "FOLLOWEDBY".
func (c Connective) String() string {
	switch c {
	case And:
		return "AND"
	case Or:
		return "OR"
	case FollowedBy:
		return "FOLLOWEDBY"
	}
	return "Connective(" + strconv.Itoa(int(c)) + ")"
}

// Operator is a comparison operator (§9.6.1).
type Operator uint8

// The comparison operators. Equal and NotEqual are also written == and <>.
const (
	Equal          Operator = iota + 1 // =
	NotEqual                           // !=
	Less                               // <
	LessOrEqual                        // <=
	Greater                            // >
	GreaterOrEqual                     // >=
	In                                 // IN (set)
	Like                               // LIKE 'SQL % and _ wildcards'
	Matches                            // MATCHES 'PCRE'
	IsSubset                           // ISSUBSET 'CIDR'
	IsSuperset                         // ISSUPERSET 'CIDR'
	Exists                             // EXISTS path
)

var operatorText = [...]string{
	Equal: "=", NotEqual: "!=", Less: "<", LessOrEqual: "<=", Greater: ">", GreaterOrEqual: ">=",
	In: "IN", Like: "LIKE", Matches: "MATCHES", IsSubset: "ISSUBSET", IsSuperset: "ISSUPERSET", Exists: "EXISTS",
}

// String returns the operator as a pattern writes it, such as "<=" or
// "ISSUBSET".
func (o Operator) String() string {
	if int(o) < len(operatorText) && operatorText[o] != "" {
		return operatorText[o]
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// ObjectPath names a property of a cyber-observable object:
// Type:Steps[0]Steps[1]..., such as file:hashes.'SHA-256' or
// email-message:body_multipart[*].body_raw_ref.name.
type ObjectPath struct {
	Type  string // the object type, such as "file"
	Steps []Step // one or more; the first is always a property name
}

// AnyIndex is the Index of a Step that is the list index [*], "any element".
const AnyIndex = -1

// Step is one component of an object path: a property name or dictionary
// key (.name, or .'name' when quoted), or, when Property is empty, a list
// index: [Index], or [*] when Index is AnyIndex. Parse makes Index 0 or
// more; a Step{} is the index [0].
type Step struct {
	Property string
	Index    int
}

// String returns the path as a pattern writes it, with quotes around
// components that need them: file:hashes.'SHA-256'.
func (p ObjectPath) String() string {
	var b strings.Builder
	b.WriteString(p.Type)
	b.WriteByte(':')
	writeSteps(&b, p.Steps)
	return b.String()
}

// writeSteps writes the part of an object path after the colon.
func writeSteps(b *strings.Builder, steps []Step) {
	for i, s := range steps {
		switch {
		case s.Property != "":
			if i > 0 {
				b.WriteByte('.')
			}
			if needsQuotes(s.Property) {
				writeQuoted(b, s.Property)
			} else {
				b.WriteString(s.Property)
			}
		case s.Index == AnyIndex:
			b.WriteString("[*]")
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		}
	}
}

// needsQuotes reports whether a path component must be quoted: when it is
// not an identifier without hyphens, or is a keyword, which the grammar's
// lexer would not read as an identifier.
func needsQuotes(s string) bool {
	if s == "" || isDigit(s[0]) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return true
		}
	}
	return lookupKeyword(s) != kwNone
}

// writeQuoted writes s as a pattern string: in apostrophes, with \' and \\.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for {
		i := strings.IndexAny(s, `'\`)
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteByte('\\')
		b.WriteByte(s[i])
		s = s[i+1:]
	}
	b.WriteString(s)
	b.WriteByte('\'')
}

// Constant is a constant of a comparison (§9.2): String, Int, Float, Bool,
// Binary, Hex, Timestamp, or, after IN, a Set of the others. String gives
// the constant as a pattern writes it.
type Constant interface {
	String() string
	constant()
}

// String is a string constant, '...', unescaped.
type String string

// Int is an integer constant, within ±(2^53-1) as STIX integers are.
type Int int64

// Float is a floating-point constant, such as 7.0 or -.5; always finite.
type Float float64

// Bool is the constant true or false.
type Bool bool

// Binary is a binary constant, b'base64', decoded.
type Binary []byte

// Hex is a hex constant, h'hex', decoded.
type Hex []byte

// Timestamp is a timestamp constant, t'...', as written between the quotes:
// a valid STIX timestamp such as "2016-06-01T00:00:00Z". The text is kept,
// since its precision is part of what the producer wrote; compare two
// Timestamps with Compare, not ==.
type Timestamp string

// Set is the set of constants after IN, such as ('a', 'b'): constants of
// one type (integers and floats may mix), never a Set. It may be empty.
type Set []Constant

func (String) constant()    {}
func (Int) constant()       {}
func (Float) constant()     {}
func (Bool) constant()      {}
func (Binary) constant()    {}
func (Hex) constant()       {}
func (Timestamp) constant() {}
func (Set) constant()       {}

// String returns the constant quoted and escaped: 'it\'s'.
func (s String) String() string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	writeQuoted(&b, string(s))
	return b.String()
}

// String returns the integer in decimal.
func (n Int) String() string { return strconv.FormatInt(int64(n), 10) }

// String returns the shortest decimal that reads back as the same float,
// always with a decimal point (7.0, not 7) so that it stays a float, and
// never with an exponent, which the grammar does not have.
func (f Float) String() string { return formatFloat(float64(f)) }

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// String returns "true" or "false".
func (v Bool) String() string { return strconv.FormatBool(bool(v)) }

// String returns b'...' with padded standard base64.
func (v Binary) String() string { return "b'" + base64.StdEncoding.EncodeToString(v) + "'" }

// String returns h'...' with lower-case digits.
func (v Hex) String() string { return "h'" + hex.EncodeToString(v) + "'" }

// String returns t'...'.
func (t Timestamp) String() string { return "t'" + string(t) + "'" }

// Compare compares two timestamps in time: -1 if t is earlier than u, 0 if
// they are the same instant (2016-01-01T00:00:00Z equals
// 2016-01-01T00:00:00.000Z), +1 if t is later. That holds for valid
// timestamps, as Parse makes them; other text just compares as text.
func (t Timestamp) Compare(u Timestamp) int {
	if len(t) < 20 || len(u) < 20 {
		return strings.Compare(string(t), string(u))
	}
	if c := strings.Compare(string(t[:19]), string(u[:19])); c != 0 {
		return c
	}
	return strings.Compare(t.fraction(), u.fraction())
}

// fraction returns the digits of the fraction of a second without trailing
// zeros; such digit strings compare as text in the order of their values.
func (t Timestamp) fraction() string {
	if t[19] != '.' {
		return ""
	}
	return strings.TrimRight(string(t[20:len(t)-1]), "0")
}

// String returns the members in parentheses: ('a', 'b').
func (s Set) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	b.WriteByte(')')
	return b.String()
}

// Qualifier restricts the observations an observation expression matches
// (§9.5.1): Within, Repeats or StartStop. String gives it as a pattern
// writes it.
type Qualifier interface {
	String() string
	qualifier()
}

// Within is WITHIN Seconds SECONDS: all matched observations fall in a
// window of that many seconds. Seconds is positive.
type Within struct {
	Seconds float64
}

// Repeats is REPEATS Times TIMES: the expression matches Times different
// observations. Times is positive.
type Repeats struct {
	Times int64
}

// StartStop is START Start STOP Stop: matched observations are observed
// at or after Start and before Stop, which is later than Start.
type StartStop struct {
	Start, Stop Timestamp
}

func (Within) qualifier()    {}
func (Repeats) qualifier()   {}
func (StartStop) qualifier() {}

// String returns "WITHIN n SECONDS", with n as an integer when it is one.
func (q Within) String() string {
	n := q.Seconds
	// An integral number of seconds reads best as an integer, but only an
	// exact one in the STIX integer range reads back as the same value.
	if n == math.Trunc(n) && math.Abs(n) <= maxInt {
		return "WITHIN " + strconv.FormatInt(int64(n), 10) + " SECONDS"
	}
	return "WITHIN " + formatFloat(n) + " SECONDS"
}

// String returns "REPEATS n TIMES".
func (q Repeats) String() string { return "REPEATS " + strconv.FormatInt(q.Times, 10) + " TIMES" }

// String returns "START t'...' STOP t'...'".
func (q StartStop) String() string { return "START " + q.Start.String() + " STOP " + q.Stop.String() }

// String returns the canonical text of the pattern.
func (p *Pattern) String() string {
	var b strings.Builder
	b.Grow(64)
	writeObservation(&b, p.Expr)
	return b.String()
}

// String returns the canonical text of the observation expression.
func (o *Observation) String() string { return observationString(o) }

// String returns the canonical text of the observation expressions.
func (o *CompoundObservation) String() string { return observationString(o) }

// String returns the canonical text of the qualified expression.
func (o *Qualified) String() string { return observationString(o) }

// String returns the canonical text of the comparison expressions.
func (e *BooleanExpr) String() string { return comparisonString(e) }

// String returns the canonical text of the comparison.
func (e *Comparison) String() string { return comparisonString(e) }

func observationString(e ObservationExpr) string {
	var b strings.Builder
	writeObservation(&b, e)
	return b.String()
}

func comparisonString(e ComparisonExpr) string {
	var b strings.Builder
	writeComparison(&b, e)
	return b.String()
}

func writeObservation(b *strings.Builder, e ObservationExpr) {
	switch e := e.(type) {
	case *Observation:
		b.WriteByte('[')
		writeComparison(b, e.Expr)
		b.WriteByte(']')
	case *CompoundObservation:
		for i, o := range e.Operands {
			if i > 0 {
				b.WriteByte(' ')
				b.WriteString(e.Op.String())
				b.WriteByte(' ')
			}
			// An operand binding no tighter than the operator came from
			// parentheses (the parser merges chains of one operator), so
			// it needs them again.
			c, ok := o.(*CompoundObservation)
			paren := ok && c.Op <= e.Op
			writeGroup(b, o, paren)
		}
	case *Qualified:
		_, simple := e.Expr.(*Observation)
		writeGroup(b, e.Expr, !simple)
		for _, q := range e.Qualifiers {
			b.WriteByte(' ')
			b.WriteString(q.String())
		}
	case nil:
		b.WriteString("<nil>")
	}
}

func writeGroup(b *strings.Builder, e ObservationExpr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	writeObservation(b, e)
	if paren {
		b.WriteByte(')')
	}
}

func writeComparison(b *strings.Builder, e ComparisonExpr) {
	switch e := e.(type) {
	case *Comparison:
		if e.Op == Exists {
			if e.Not {
				b.WriteString("NOT ")
			}
			b.WriteString("EXISTS ")
			b.WriteString(e.Path.Type)
			b.WriteByte(':')
			writeSteps(b, e.Path.Steps)
			return
		}
		b.WriteString(e.Path.Type)
		b.WriteByte(':')
		writeSteps(b, e.Path.Steps)
		b.WriteByte(' ')
		if e.Not {
			b.WriteString("NOT ")
		}
		b.WriteString(e.Op.String())
		b.WriteByte(' ')
		if s, ok := e.Value.(String); ok {
			writeQuoted(b, string(s)) // the common case, without an extra string
		} else if e.Value != nil {
			b.WriteString(e.Value.String())
		}
	case *BooleanExpr:
		for i, o := range e.Operands {
			if i > 0 {
				b.WriteByte(' ')
				b.WriteString(e.Op.String())
				b.WriteByte(' ')
			}
			c, ok := o.(*BooleanExpr)
			paren := ok && c.Op <= e.Op
			if paren {
				b.WriteByte('(')
			}
			writeComparison(b, o)
			if paren {
				b.WriteByte(')')
			}
		}
	case nil:
		b.WriteString("<nil>")
	}
}
