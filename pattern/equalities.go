package pattern

import (
	"slices"
	"strings"
)

// Equality is an observable a pattern names by equality, for correlation:
// objects of Type whose property at Path is Value.
type Equality struct {
	// Type is the object type, such as "ipv4-addr".
	Type string
	// Path is the object path after the colon in the canonical form of
	// Pattern.String: components that need quotes keep them, as in
	// "hashes.'SHA-256'", so that a path stays unambiguous when a key holds
	// a '.'; list indexes are included, as in "resolves_to_refs[*].value".
	Path string
	// Value is the string constant, unescaped.
	Value string
}

// Equalities returns the observables the pattern names by equality: for
// each comparison path = 'string', and each string member of path IN (...),
// that is not negated (NOT =, NOT IN), one Equality, in the order of the
// pattern, without duplicates. Comparisons with other operators or other
// constants (path = 42, path = b'...') name no observable. A comparison
// under OR counts too: the pattern names each alternative. The result is
// nil when there are none.
func (p *Pattern) Equalities() []Equality {
	var out []Equality
	var seen map[Equality]bool // once out is long enough for a scan to cost more
	walkComparisons(p.Expr, func(c *Comparison) {
		if c.Not || (c.Op != Equal && c.Op != In) {
			return
		}
		path := ""
		add := func(v Constant) {
			s, ok := v.(String)
			if !ok {
				return
			}
			if path == "" {
				var b strings.Builder
				writeSteps(&b, c.Path.Steps)
				path = b.String()
			}
			e := Equality{Type: c.Path.Type, Path: path, Value: string(s)}
			// Most patterns name a few observables, for which a scan is
			// cheaper than a map; feeds also put thousands in one pattern.
			if seen == nil && len(out) > 16 {
				seen = make(map[Equality]bool, 2*len(out))
				for _, o := range out {
					seen[o] = true
				}
			}
			if seen != nil {
				if seen[e] {
					return
				}
				seen[e] = true
			} else if slices.Contains(out, e) {
				return
			}
			out = append(out, e)
		}
		if set, ok := c.Value.(Set); ok {
			for _, v := range set {
				add(v)
			}
			return
		}
		add(c.Value)
	})
	return out
}

// walkComparisons calls f on each comparison of e, in the order of the
// pattern.
func walkComparisons(e ObservationExpr, f func(*Comparison)) {
	switch e := e.(type) {
	case *Observation:
		walkComparisonExpr(e.Expr, f)
	case *CompoundObservation:
		for _, o := range e.Operands {
			walkComparisons(o, f)
		}
	case *Qualified:
		walkComparisons(e.Expr, f)
	}
}

func walkComparisonExpr(e ComparisonExpr, f func(*Comparison)) {
	switch e := e.(type) {
	case *Comparison:
		f(e)
	case *BooleanExpr:
		for _, o := range e.Operands {
			walkComparisonExpr(o, f)
		}
	}
}
