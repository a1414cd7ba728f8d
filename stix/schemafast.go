package stix

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The library's validator builds its result as it goes: every schema it
// visits allocates a scope and a validator, and every branch of a oneOf or
// anyOf that does not match allocates a tree of errors, even when the
// object is valid in the end (an external reference fails two of its
// three oneOf branches, a property of the properties.json anyOf fails up
// to five). For a typical indicator that is about 490 allocations and 70
// to 100 µs on the development machine (BenchmarkSchema/library), several
// times what the whole decoder may spend on an object.
//
// So the decision "valid or not" is made first by quickSchema, a plain
// boolean walk over the schemas the library compiled, which allocates
// nothing of its own on the way (net/url, for the "uri" format, does):
// about 5 µs for the same indicator. Only when it says invalid does the library validate
// the object again and build the error tree that becomes the problems.
// quickSchema is a mirror of the compiled schema graph: it implements the
// keywords the library evaluates, with the library's semantics (checked
// by TestQuickSchemaAgrees and FuzzQuickSchema against the library on
// valid, invalid and fuzzed objects). A schema that uses anything else
// (dynamic references, unevaluated*, content*, uniqueItems, vocabularies)
// gets no mirror, and its objects always go to the library.

// quickSchema is one compiled schema, mirrored.
type quickSchema struct {
	always *bool // a boolean schema

	types  uint8 // bit set of quick types; 0 when any type is allowed
	enum   []any // strings, booleans and null only
	hasEnm bool
	consts []any // the const value, of the same kinds, as a one-value enum
	format func(any) error
	ref    *quickSchema
	not    *quickSchema
	allOf  []*quickSchema
	anyOf  []*quickSchema
	oneOf  []*quickSchema
	ifs    *quickSchema
	then   *quickSchema
	els    *quickSchema

	minProps, maxProps int // -1 when absent
	required           []string
	props              map[string]*quickSchema
	patternProps       []quickPattern
	noAdditional       bool
	additional         *quickSchema
	propertyNames      *quickSchema
	dependentRequired  map[string][]string
	dependentSchemas   map[string]*quickSchema

	minItems, maxItems       int // -1 when absent
	prefixItems              []*quickSchema
	items                    *quickSchema
	contains                 *quickSchema
	minContains, maxContains int // -1 when absent

	minLen, maxLen int // -1 when absent
	pattern        jsonschema.Regexp

	minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf *big.Rat
	// The same as int64s, when intBounds says that all of them are.
	intBounds                                   bool
	minInt, maxInt, exMinInt, exMaxInt, multInt int64

	// Set by prepare.
	flat      []*quickSchema // q, then the schemas of its $ref and allOf, transitively
	plan      *objectPlan    // nil when flat asks nothing of an object's properties
	typesOnly bool           // q checks nothing but types: most properties' schemas
}

type quickPattern struct {
	re jsonschema.Regexp
	s  *quickSchema
}

// Quick types, one bit each; tInteger is checked as a number that is an
// integer.
const (
	tNull uint8 = 1 << iota
	tBoolean
	tNumber
	tInteger
	tString
	tArray
	tObject
)

var quickTypeNames = map[string]uint8{"null": tNull, "boolean": tBoolean, "number": tNumber,
	"integer": tInteger, "string": tString, "array": tArray, "object": tObject}

// errUnsupported says that a schema uses a keyword quickSchema does not
// implement.
type errUnsupported struct{ location, keyword string }

func (e errUnsupported) Error() string {
	return fmt.Sprintf("%s: keyword %s has no quick implementation", e.location, e.keyword)
}

// mirror builds the quickSchema of a compiled schema and of every schema
// it reaches. It fails when any of them uses a keyword quickSchema does
// not implement.
func mirror(s *jsonschema.Schema, seen map[*jsonschema.Schema]*quickSchema) (*quickSchema, error) {
	if s == nil {
		return nil, nil
	}
	if q, ok := seen[s]; ok {
		return q, nil
	}
	q := &quickSchema{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1,
		minContains: -1, maxContains: -1, minLen: -1, maxLen: -1}
	seen[s] = q
	unsupported := func(kw string) (*quickSchema, error) { return nil, errUnsupported{s.Location, kw} }
	switch {
	case s.DraftVersion < 2020:
		return unsupported("$schema (only draft 2020-12)")
	case s.RecursiveRef != nil || s.DynamicRef != nil:
		return unsupported("$dynamicRef")
	case s.UnevaluatedProperties != nil || s.UnevaluatedItems != nil:
		return unsupported("unevaluatedProperties")
	case s.Dependencies != nil:
		return unsupported("dependencies")
	case s.Items != nil || s.AdditionalItems != nil:
		return unsupported("items (draft 7)")
	case s.UniqueItems:
		return unsupported("uniqueItems")
	case s.ContentEncoding != nil || s.ContentMediaType != nil || s.ContentSchema != nil:
		return unsupported("contentEncoding")
	case len(s.Extensions) > 0:
		return unsupported("vocabulary extension")
	case s.Format != nil && s.Format.Name == "regex":
		return unsupported("format regex")
	}
	q.always = s.Bool
	if s.Types != nil {
		for _, t := range s.Types.ToStrings() {
			q.types |= quickTypeNames[t]
		}
	}
	if s.Enum != nil {
		q.hasEnm = true
		for _, v := range s.Enum.Values {
			switch v.(type) {
			case string, bool, nil:
			default:
				return unsupported("enum of numbers, lists or objects")
			}
		}
		q.enum = s.Enum.Values
	}
	if s.Const != nil {
		// A const is an enum of one value.
		switch (*s.Const).(type) {
		case string, bool, nil:
		default:
			return unsupported("const of a number, list or object")
		}
		q.consts = []any{*s.Const}
	}
	if s.Format != nil {
		q.format = s.Format.Validate
	}
	var err error
	one := func(s *jsonschema.Schema) *quickSchema {
		if err != nil || s == nil {
			return nil
		}
		var m *quickSchema
		m, err = mirror(s, seen)
		return m
	}
	many := func(ss []*jsonschema.Schema) []*quickSchema {
		var out []*quickSchema
		for _, s := range ss {
			out = append(out, one(s))
		}
		return out
	}
	q.ref, q.not = one(s.Ref), one(s.Not)
	q.allOf, q.anyOf, q.oneOf = many(s.AllOf), many(s.AnyOf), many(s.OneOf)
	q.ifs, q.then, q.els = one(s.If), one(s.Then), one(s.Else)

	setInt := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	setInt(&q.minProps, s.MinProperties)
	setInt(&q.maxProps, s.MaxProperties)
	q.required = s.Required
	if len(s.Properties) > 0 {
		q.props = make(map[string]*quickSchema, len(s.Properties))
		for k, p := range s.Properties {
			q.props[k] = one(p)
		}
	}
	for re, p := range s.PatternProperties {
		q.patternProps = append(q.patternProps, quickPattern{re, one(p)})
	}
	switch a := s.AdditionalProperties.(type) {
	case bool:
		q.noAdditional = !a
	case *jsonschema.Schema:
		q.additional = one(a)
	}
	q.propertyNames = one(s.PropertyNames)
	q.dependentRequired = s.DependentRequired
	if len(s.DependentSchemas) > 0 {
		q.dependentSchemas = make(map[string]*quickSchema, len(s.DependentSchemas))
		for k, p := range s.DependentSchemas {
			q.dependentSchemas[k] = one(p)
		}
	}

	setInt(&q.minItems, s.MinItems)
	setInt(&q.maxItems, s.MaxItems)
	q.prefixItems = many(s.PrefixItems)
	q.items = one(s.Items2020)
	q.contains = one(s.Contains)
	setInt(&q.minContains, s.MinContains)
	setInt(&q.maxContains, s.MaxContains)

	setInt(&q.minLen, s.MinLength)
	setInt(&q.maxLen, s.MaxLength)
	q.pattern = s.Pattern

	q.minimum, q.maximum = s.Minimum, s.Maximum
	q.exclusiveMinimum, q.exclusiveMaximum, q.multipleOf = s.ExclusiveMinimum, s.ExclusiveMaximum, s.MultipleOf
	q.intBounds = true
	for _, b := range []struct {
		r   *big.Rat
		dst *int64
	}{{q.minimum, &q.minInt}, {q.maximum, &q.maxInt}, {q.exclusiveMinimum, &q.exMinInt}, {q.exclusiveMaximum, &q.exMaxInt}, {q.multipleOf, &q.multInt}} {
		if b.r == nil {
			continue
		}
		if !b.r.IsInt() || !b.r.Num().IsInt64() {
			q.intBounds = false
			continue
		}
		*b.dst = b.r.Num().Int64()
	}
	if err != nil {
		return nil, err
	}
	return q, nil
}

// prepare works out, for q and every schema it reaches, the schemas that
// apply to the same value unconditionally (itself, its $ref and allOf,
// transitively) and the merged object plan of those, so that an object is
// walked once rather than once per schema. It fails on a $ref or allOf
// cycle, which the library reports as an error of every value.
func (q *quickSchema) prepare(done map[*quickSchema]bool) error {
	if done[q] {
		return nil
	}
	done[q] = true
	var walk func(n *quickSchema, path []*quickSchema) error
	walk = func(n *quickSchema, path []*quickSchema) error {
		if slices.Contains(path, n) {
			return errUnsupported{"", "a $ref or allOf cycle"}
		}
		if !slices.Contains(q.flat, n) {
			q.flat = append(q.flat, n)
		}
		path = append(path, n)
		if n.ref != nil {
			if err := walk(n.ref, path); err != nil {
				return err
			}
		}
		for _, a := range n.allOf {
			if err := walk(a, path); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(q, nil); err != nil {
		return err
	}
	plan := &objectPlan{props: make(map[string]planEntry), onlyRequired: true}
	for _, n := range q.flat {
		for _, r := range n.required {
			if e := plan.props[r]; !e.required {
				e.required = true
				plan.props[r] = e
				plan.required++
			}
		}
		for k, p := range n.props {
			e := plan.props[k]
			e.schemas = append(e.schemas, p)
			plan.props[k] = e
		}
		if n.patternProps != nil || n.noAdditional || n.additional != nil || n.propertyNames != nil {
			plan.groups = append(plan.groups, n)
		}
	}
	for k, e := range plan.props {
		if e.required {
			plan.requiredNames = append(plan.requiredNames, k)
		}
		plan.onlyRequired = plan.onlyRequired && e.schemas == nil
		// The names the schemas know are matched against the groups'
		// patterns now, once, rather than in every object.
		e.known = true
		e.groups = make([]groupMatch, len(plan.groups))
		for i, g := range plan.groups {
			e.groups[i] = g.match(k)
		}
		plan.props[k] = e
	}
	slices.Sort(plan.requiredNames)
	plan.onlyRequired = plan.onlyRequired && plan.groups == nil
	if len(plan.props) > 0 || len(plan.groups) > 0 {
		q.plan = plan
	}
	// typesOnly: q equals a schema with its types and nothing else, which
	// catches any keyword, including one added to quickSchema later.
	bare := &quickSchema{types: q.types, minProps: -1, maxProps: -1, minItems: -1, maxItems: -1,
		minContains: -1, maxContains: -1, minLen: -1, maxLen: -1, flat: q.flat, plan: q.plan, intBounds: q.intBounds}
	q.typesOnly = q.types != 0 && len(q.flat) == 1 && q.plan == nil && reflect.DeepEqual(q, bare)
	for _, n := range q.reached() {
		if err := n.prepare(done); err != nil {
			return err
		}
	}
	return nil
}

// reached lists the schemas q refers to.
func (q *quickSchema) reached() []*quickSchema {
	out := []*quickSchema{q.ref, q.not, q.ifs, q.then, q.els, q.additional, q.propertyNames, q.items, q.contains}
	out = append(out, q.allOf...)
	out = append(out, q.anyOf...)
	out = append(out, q.oneOf...)
	out = append(out, q.prefixItems...)
	for _, p := range q.props {
		out = append(out, p)
	}
	for _, p := range q.patternProps {
		out = append(out, p.s)
	}
	for _, p := range q.dependentSchemas {
		out = append(out, p)
	}
	return slices.DeleteFunc(out, func(n *quickSchema) bool { return n == nil })
}

// objectPlan is what the schemas that apply to one object ask of its
// properties, merged.
type objectPlan struct {
	// props has, by name, the property schemas of all of them, and
	// whether any requires the property: the object's keys are looked up
	// once, for both.
	props    map[string]planEntry
	required int // how many names are required
	// onlyRequired says that the plan asks for required properties and
	// nothing else (as the branches of "anyOf": [{"required": [...]}]
	// do), which is cheaper to check by looking each up.
	onlyRequired  bool
	requiredNames []string
	// groups are those with patternProperties, additionalProperties or
	// propertyNames, which are evaluated schema by schema: what counts
	// as an additional property depends on the schema's own properties.
	groups []*quickSchema
}

type planEntry struct {
	schemas  []*quickSchema
	required bool
	known    bool         // the entry is for a name in the schemas
	groups   []groupMatch // for a known name: what each of the plan's groups does with it
}

// groupMatch is what a group schema does with one property name: the
// schemas of its patternProperties that match the name, and whether the
// name is evaluated at all (by properties or patternProperties), which
// decides whether additionalProperties applies.
type groupMatch struct {
	schemas   []*quickSchema
	evaluated bool
}

func (g *quickSchema) match(name string) groupMatch {
	_, evaluated := g.props[name]
	m := groupMatch{evaluated: evaluated}
	for _, pp := range g.patternProps {
		if pp.re.MatchString(name) {
			m.evaluated = true
			m.schemas = append(m.schemas, pp.s)
		}
	}
	return m
}

func (p *objectPlan) valid(m map[string]any) bool {
	if len(m) < p.required {
		return false
	}
	if p.onlyRequired {
		for _, r := range p.requiredNames {
			if _, ok := m[r]; !ok {
				return false
			}
		}
		return true
	}
	found := 0
	for k, v := range m {
		e := p.props[k]
		if e.required {
			found++
		}
		for _, s := range e.schemas {
			if !s.valid(v) {
				return false
			}
		}
		for i, g := range p.groups {
			var evaluated bool
			if e.known {
				gm := e.groups[i]
				for _, s := range gm.schemas {
					if !s.valid(v) {
						return false
					}
				}
				evaluated = gm.evaluated
			} else {
				// A name the schemas do not know (a custom property):
				// what match does, without building its result.
				_, evaluated = g.props[k]
				for _, pp := range g.patternProps {
					if pp.re.MatchString(k) {
						evaluated = true
						if !pp.s.valid(v) {
							return false
						}
					}
				}
			}
			if !evaluated && (g.noAdditional || g.additional != nil && !g.additional.valid(v)) {
				return false
			}
			if g.propertyNames != nil && !g.propertyNames.valid(k) {
				return false
			}
		}
	}
	return found == p.required
}

// valid reports whether v, a value as json.Decoder with UseNumber decodes
// it, is valid against the schema.
func (q *quickSchema) valid(v any) bool {
	if q.typesOnly {
		return q.typeOK(v)
	}
	for _, n := range q.flat {
		if !n.local(v) {
			return false
		}
	}
	if m, ok := v.(map[string]any); ok && q.plan != nil {
		return q.plan.valid(m)
	}
	return true
}

// local checks the keywords of q alone: not those of its $ref and allOf,
// which valid checks as members of flat, nor its properties, which it
// checks through the plan.
func (q *quickSchema) local(v any) bool {
	if q.always != nil {
		return *q.always
	}
	if q.types != 0 && !q.typeOK(v) {
		return false
	}
	if q.hasEnm && !inEnum(q.enum, v) || q.consts != nil && !inEnum(q.consts, v) {
		return false
	}
	if q.format != nil && q.format(v) != nil {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		if !q.validObject(v) {
			return false
		}
	case []any:
		if !q.validArray(v) {
			return false
		}
	case string:
		if !q.validString(v) {
			return false
		}
	case json.Number:
		if !q.validNumber(v) {
			return false
		}
	}
	if q.not != nil && q.not.valid(v) {
		return false
	}
	if len(q.anyOf) > 0 {
		ok := false
		for _, s := range q.anyOf {
			if s.types != 0 && !s.typeOK(v) {
				continue // what valid would find first, without the call
			}
			if s.valid(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(q.oneOf) > 0 {
		n := 0
		for _, s := range q.oneOf {
			if s.types != 0 && !s.typeOK(v) {
				continue
			}
			if s.valid(v) {
				if n++; n > 1 {
					return false
				}
			}
		}
		if n != 1 {
			return false
		}
	}
	if q.ifs != nil {
		if q.ifs.valid(v) {
			if q.then != nil && !q.then.valid(v) {
				return false
			}
		} else if q.els != nil && !q.els.valid(v) {
			return false
		}
	}
	return true
}

func (q *quickSchema) typeOK(v any) bool {
	var t uint8
	switch v := v.(type) {
	case nil:
		t = tNull
	case bool:
		t = tBoolean
	case string:
		t = tString
	case []any:
		t = tArray
	case map[string]any:
		t = tObject
	case json.Number:
		if q.types&tNumber != 0 {
			return true
		}
		return q.types&tInteger != 0 && isIntegral(v)
	default:
		return false // not a JSON value; the library reports it
	}
	return q.types&t != 0
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		switch e := e.(type) {
		case string:
			if s, ok := v.(string); ok && s == e {
				return true
			}
		case bool:
			if b, ok := v.(bool); ok && b == e {
				return true
			}
		case nil:
			if v == nil {
				return true
			}
		}
	}
	return false
}

// validObject checks the object keywords that are not in the plan.
func (q *quickSchema) validObject(m map[string]any) bool {
	if q.minProps >= 0 && len(m) < q.minProps || q.maxProps >= 0 && len(m) > q.maxProps {
		return false
	}
	if len(q.dependentRequired) > 0 {
		for k, req := range q.dependentRequired {
			if _, ok := m[k]; ok {
				for _, r := range req {
					if _, ok := m[r]; !ok {
						return false
					}
				}
			}
		}
	}
	if len(q.dependentSchemas) > 0 {
		for k, s := range q.dependentSchemas {
			if _, ok := m[k]; ok && !s.valid(m) {
				return false
			}
		}
	}
	return true
}

func (q *quickSchema) validArray(l []any) bool {
	if q.minItems >= 0 && len(l) < q.minItems || q.maxItems >= 0 && len(l) > q.maxItems {
		return false
	}
	n := min(len(q.prefixItems), len(l))
	for i := range n {
		if !q.prefixItems[i].valid(l[i]) {
			return false
		}
	}
	if q.items != nil {
		for _, e := range l[n:] {
			if !q.items.valid(e) {
				return false
			}
		}
	}
	if q.contains != nil {
		matched := 0
		for _, e := range l {
			if q.contains.valid(e) {
				matched++
			}
		}
		if q.minContains >= 0 && matched < q.minContains || q.minContains < 0 && matched == 0 ||
			q.maxContains >= 0 && matched > q.maxContains {
			return false
		}
	}
	return true
}

func (q *quickSchema) validString(s string) bool {
	if q.minLen >= 0 || q.maxLen >= 0 {
		n := utf8.RuneCountInString(s)
		if q.minLen >= 0 && n < q.minLen || q.maxLen >= 0 && n > q.maxLen {
			return false
		}
	}
	return q.pattern == nil || q.pattern.MatchString(s)
}

func (q *quickSchema) validNumber(n json.Number) bool {
	if q.minimum == nil && q.maximum == nil && q.exclusiveMinimum == nil && q.exclusiveMaximum == nil && q.multipleOf == nil {
		return true
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil && q.intBounds {
		// The common case, an integer against integer bounds (confidence,
		// ports, counts), without big.Rat.
		return (q.minimum == nil || i >= q.minInt) && (q.maximum == nil || i <= q.maxInt) &&
			(q.exclusiveMinimum == nil || i > q.exMinInt) && (q.exclusiveMaximum == nil || i < q.exMaxInt) &&
			(q.multipleOf == nil || q.multInt != 0 && i%q.multInt == 0)
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return false
	}
	switch {
	case q.minimum != nil && r.Cmp(q.minimum) < 0,
		q.maximum != nil && r.Cmp(q.maximum) > 0,
		q.exclusiveMinimum != nil && r.Cmp(q.exclusiveMinimum) <= 0,
		q.exclusiveMaximum != nil && r.Cmp(q.exclusiveMaximum) >= 0,
		q.multipleOf != nil && !new(big.Rat).Quo(r, q.multipleOf).IsInt():
		return false
	}
	return true
}

// isIntegral says whether a JSON number is an integer, as JSON Schema
// reads it (1.0 and 1e2 are).
func isIntegral(n json.Number) bool {
	s := string(n)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	r, ok := new(big.Rat).SetString(s)
	return ok && r.IsInt()
}
