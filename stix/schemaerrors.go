package stix

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	schemakind "github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// schemaIssue is one thing a schema says is wrong, at a location inside
// the object (JSON Schema instance location tokens).
type schemaIssue struct {
	loc    []string
	reason string
	// weak marks a failed enum, const or not: in a oneOf or anyOf, such a
	// failure usually says that the branch is meant for other objects,
	// not what is wrong with this one.
	weak bool
	// combined marks an issue found through a oneOf, anyOf or not applied
	// to the whole object: a rule that ties properties together, which
	// validate.go checks too (and explains better) for the spec's types.
	combined bool
	// types is what a failed "type" wanted, and missing what a failed
	// "required" missed, so that alternatives can be merged into one
	// issue ("must be a string or a number", "needs a or b").
	types   []string
	missing string
}

// schemaMapper turns the library's error tree into issues.
type schemaMapper struct {
	props map[string]any
	typ   string
	set   *schemaSet
}

// issues returns the most specific issues of an error tree: every error
// of an allOf, the best branch of a failed oneOf or anyOf, never the
// errors of the branches that were not meant for the object.
func (m *schemaMapper) issues(e *jsonschema.ValidationError) []schemaIssue {
	var out []schemaIssue
	switch k := e.ErrorKind.(type) {
	case *schemakind.Schema, *schemakind.Group, *schemakind.AllOf, *schemakind.Reference:
		for _, c := range e.Causes {
			out = append(out, m.issues(c)...)
		}
		if len(out) > 0 {
			return out
		}
	case *schemakind.AnyOf:
		if len(e.Causes) > 0 {
			return m.best(e, e.Causes)
		}
	case *schemakind.OneOf:
		if k.Subschemas == nil && len(e.Causes) > 0 {
			return m.best(e, e.Causes)
		}
	}
	return m.leaf(e)
}

// best picks the branch of a failed oneOf or anyOf that comes closest to
// matching: the fewest weak failures, then the fewest failures. When
// branches tie, no branch is the obvious one, and the issue lists what
// each would need.
func (m *schemaMapper) best(e *jsonschema.ValidationError, branches []*jsonschema.ValidationError) []schemaIssue {
	type scored struct {
		issues   []schemaIssue
		weak, n  int
		describe string
	}
	var all []scored
	var each [][]schemaIssue
	for _, b := range branches {
		is := m.issues(b)
		each = append(each, is)
		s := scored{issues: is, n: len(is)}
		var parts []string
		for _, i := range is {
			if i.weak {
				s.weak++
			}
			parts = append(parts, i.reason)
		}
		slices.Sort(parts) // the library reports properties in map order
		s.describe = strings.Join(parts, " and ")
		all = append(all, s)
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		if a.weak != b.weak {
			return a.weak - b.weak
		}
		return a.n - b.n
	})
	combined := len(e.InstanceLocation) == 0
	if merged, ok := m.merge(e, each); ok {
		merged.combined = combined
		return []schemaIssue{merged}
	}
	if len(all) == 1 || all[0].weak != all[1].weak || all[0].n != all[1].n {
		out := all[0].issues
		for i := range out {
			out[i].combined = out[i].combined || combined
		}
		return out
	}
	var alts []string
	for _, s := range all {
		if s.weak != all[0].weak || s.n != all[0].n {
			break // the branches that tie for best are the candidates
		}
		if s.describe != "" && !slices.Contains(alts, s.describe) {
			alts = append(alts, s.describe)
		}
	}
	return []schemaIssue{{loc: e.InstanceLocation, combined: combined,
		reason: fmt.Sprintf("%s matches none of the forms the STIX 2.1 JSON schema allows here, which need: %s",
			m.name(e.InstanceLocation), strings.Join(alts, "; or "))}}
}

// merge turns branches that each fail on one "type" of the same value, or
// each on one "required" of the same object, into one issue: "x must be
// a string or a number", "x needs a or b".
func (m *schemaMapper) merge(e *jsonschema.ValidationError, each [][]schemaIssue) (schemaIssue, bool) {
	var types, missing []string
	for _, is := range each {
		if len(is) != 1 {
			return schemaIssue{}, false
		}
		switch i := is[0]; {
		case i.types != nil && slices.Equal(i.loc, e.InstanceLocation):
			for _, t := range i.types {
				if !slices.Contains(types, t) {
					types = append(types, t)
				}
			}
		case i.missing != "" && slices.Equal(i.loc[:len(i.loc)-1], e.InstanceLocation):
			missing = append(missing, i.missing)
		default:
			return schemaIssue{}, false
		}
	}
	loc, name := e.InstanceLocation, m.name(e.InstanceLocation)
	switch {
	case types != nil && missing == nil:
		return schemaIssue{loc: loc, types: types,
			reason: fmt.Sprintf("%s must be %s, not %s", name, typeList(types), shown(m.value(loc)))}, true
	case missing != nil && types == nil:
		what := "one of"
		if _, any := e.ErrorKind.(*schemakind.AnyOf); any {
			what = "at least one of"
		}
		return schemaIssue{loc: loc,
			reason: fmt.Sprintf("%s needs %s %s", name, what, strings.Join(missing, ", "))}, true
	}
	return schemaIssue{}, false
}

// leaf describes one error.
func (m *schemaMapper) leaf(e *jsonschema.ValidationError) []schemaIssue {
	loc := e.InstanceLocation
	name := m.name(loc)
	v := m.value(loc)
	one := func(format string, args ...any) []schemaIssue {
		return []schemaIssue{{loc: loc, reason: fmt.Sprintf(format, args...)}}
	}
	switch k := e.ErrorKind.(type) {
	case *schemakind.Required:
		out := make([]schemaIssue, len(k.Missing))
		for i, p := range k.Missing {
			reason := fmt.Sprintf("%s is required in %s", p, name)
			if len(loc) == 0 {
				reason = fmt.Sprintf("%s is required in %s objects", p, m.typ)
			}
			out[i] = schemaIssue{loc: append(slices.Clip(loc), p), reason: reason, missing: p}
		}
		return out
	case *schemakind.AdditionalProperties:
		out := make([]schemaIssue, len(k.Properties))
		for i, p := range k.Properties {
			out[i] = schemaIssue{loc: append(slices.Clip(loc), p), reason: additionalReason(e.SchemaURL, p, name)}
		}
		return out
	case *schemakind.Type:
		return []schemaIssue{{loc: loc, types: k.Want, reason: fmt.Sprintf("%s must be %s, not %s", name, typeList(k.Want), shown(v))}}
	case *schemakind.Enum:
		return []schemaIssue{{loc: loc, weak: true, reason: enumReason(name, v, k.Want)}}
	case *schemakind.Const:
		return []schemaIssue{{loc: loc, weak: true, reason: enumReason(name, v, []any{k.Want})}}
	case *schemakind.Pattern:
		return one("%s", patternReason(e.SchemaURL, name, k.Got, k.Want))
	case *schemakind.Format:
		return one("%s %s is not %s: %v", name, shown(v), formatName(k.Want), k.Err)
	case *schemakind.MinItems:
		if k.Got == 0 {
			return one("%s is an empty list: STIX prohibits empty lists, omit the property instead", name)
		}
		return one("%s must have at least %d items, not %d", name, k.Want, k.Got)
	case *schemakind.MaxItems:
		return one("%s must have at most %d items, not %d", name, k.Want, k.Got)
	case *schemakind.MinProperties:
		if k.Got == 0 {
			return one("%s is an empty dictionary: STIX prohibits empty dictionaries, omit the property instead", name)
		}
		return one("%s must have at least %d entries, not %d", name, k.Want, k.Got)
	case *schemakind.MaxProperties:
		return one("%s must have at most %d entries, not %d", name, k.Want, k.Got)
	case *schemakind.MinLength:
		return one("%s must be at least %d characters long, not %d", name, k.Want, k.Got)
	case *schemakind.MaxLength:
		return one("%s must be at most %d characters long, not %d", name, k.Want, k.Got)
	case *schemakind.Minimum:
		return one("%s must be at least %s, not %s", name, ratString(k.Want), shown(v))
	case *schemakind.Maximum:
		return one("%s must be at most %s, not %s", name, ratString(k.Want), shown(v))
	case *schemakind.ExclusiveMinimum:
		return one("%s must be more than %s, not %s", name, ratString(k.Want), shown(v))
	case *schemakind.ExclusiveMaximum:
		return one("%s must be less than %s, not %s", name, ratString(k.Want), shown(v))
	case *schemakind.MultipleOf:
		return one("%s must be a multiple of %s, not %s", name, ratString(k.Want), shown(v))
	case *schemakind.Not:
		return m.not(e)
	case *schemakind.OneOf:
		return []schemaIssue{{loc: loc, combined: len(loc) == 0,
			reason: fmt.Sprintf("%s matches more than one of the forms the STIX 2.1 JSON schema allows here (alternatives %d and %d), where it must match exactly one",
				name, k.Subschemas[0]+1, k.Subschemas[1]+1)}}
	case *schemakind.PropertyNames:
		reason := fmt.Sprintf("key %q of %s is not allowed", truncate(k.Property, 100), name)
		for _, c := range e.Causes {
			if p, ok := c.ErrorKind.(*schemakind.Pattern); ok {
				reason += fmt.Sprintf(": keys must match the pattern %s", p.Want)
			}
		}
		return one("%s", reason)
	case *schemakind.DependentRequired:
		return one("%s requires %s in %s", k.Prop, strings.Join(k.Missing, " and "), name)
	case *schemakind.FalseSchema:
		return []schemaIssue{{loc: loc, weak: true, reason: fmt.Sprintf("%s is not allowed here", name)}}
	}
	// Keywords the STIX schemas do not use; say which one failed.
	return one("%s does not satisfy the STIX 2.1 JSON schema (keyword %s)", name, strings.Join(e.ErrorKind.KeywordPath(), "/"))
}

// not explains a failed "not". The STIX schemas use it to forbid
// properties (reserved names; combinations such as is_active true with
// end), values (the type "action") and patterns (references to objects a
// property cannot refer to).
func (m *schemaMapper) not(e *jsonschema.ValidationError) []schemaIssue {
	loc := e.InstanceLocation
	name := m.name(loc)
	combined := len(loc) == 0
	s := m.set.byLocation[e.SchemaURL]
	if s == nil || s.Not == nil {
		return []schemaIssue{{loc: loc, weak: true, combined: combined, reason: fmt.Sprintf("%s has a form the STIX 2.1 JSON schema rules out here", name)}}
	}
	n := s.Not
	// Properties that must be absent: not {required}, not {anyOf
	// [{required}...]}.
	var forbidden []string
	forbidden = append(forbidden, n.Required...)
	for _, a := range n.AnyOf {
		forbidden = append(forbidden, a.Required...)
	}
	obj, _ := m.value(loc).(map[string]any)
	var out []schemaIssue
	for _, p := range forbidden {
		if _, ok := obj[p]; !ok {
			continue
		}
		reason := fmt.Sprintf("%s must not be present here", p)
		if file, ptr := schemaAt(e.SchemaURL); ptr == "" && (file == "common/core.json" || file == "common/cyber-observable-core.json") {
			// core.json's "not" lists the reserved names (§3.8), none
			// else.
			reason = fmt.Sprintf("%s is a reserved property name in STIX 2.1 and must not be used", p)
			combined = false
		}
		out = append(out, schemaIssue{loc: append(slices.Clip(loc), p), weak: true, combined: combined, reason: reason})
	}
	if len(out) > 0 {
		return out
	}
	v := m.value(loc)
	switch {
	case n.Enum != nil:
		return []schemaIssue{{loc: loc, weak: true, combined: combined, reason: fmt.Sprintf("%s must not be %s", name, shown(v))}}
	case n.Pattern != nil && strings.HasPrefix(e.SchemaURL, schemaBaseURL+"observables/windows-registry-key.json#"):
		return []schemaIssue{{loc: loc, weak: true, combined: combined,
			reason: fmt.Sprintf("%s %s must begin with the hive in full, such as HKEY_LOCAL_MACHINE, not HKLM (STIX 2.1 §6.17)", name, shown(v))}}
	case n.Pattern != nil:
		return []schemaIssue{{loc: loc, weak: true, combined: combined,
			reason: fmt.Sprintf("%s %s must not match the pattern %s", name, shown(v), n.Pattern)}}
	}
	return []schemaIssue{{loc: loc, weak: true, combined: combined, reason: fmt.Sprintf("%s has a form the STIX 2.1 JSON schema rules out here", name)}}
}

// schemaAt splits an error's SchemaURL into the schema file, below
// schemas/, and the JSON pointer inside it ("" for the whole file).
func schemaAt(url string) (file, ptr string) {
	file, ptr, _ = strings.Cut(strings.TrimPrefix(url, schemaBaseURL), "#")
	return file, ptr
}

// additionalReason explains a property the schema does not allow, by the
// schema that has the "additionalProperties": false.
func additionalReason(schemaURL, prop, in string) string {
	q := strconv.Quote(truncate(prop, 100))
	file, ptr := schemaAt(schemaURL)
	switch {
	case file == "common/properties.json":
		return fmt.Sprintf("property name %s is not allowed: custom property names must start with a lower-case letter and hold only lower-case letters a-z, digits and underscores (STIX 2.1 §11.1)", q)
	case file == "common/hashes-type.json":
		return fmt.Sprintf("hash algorithm name %s is not allowed in %s: names are 3 to 250 letters, digits, hyphens and underscores", q, in)
	case file == "common/dictionary.json":
		return fmt.Sprintf("key %s is not allowed in %s: dictionary keys are at most 250 letters, digits, hyphens and underscores", q, in)
	case strings.HasSuffix(ptr, "/properties/extensions"):
		return fmt.Sprintf("extension key %s is not allowed: keys are extension-definition identifiers or names ending in -ext", q)
	}
	return fmt.Sprintf("%s is not allowed in %s", q, in)
}

// patternWords says in words what some of the schemas' patterns are, by
// schema file and pointer; their regular expressions are too long to help
// in a message.
var patternWords = map[string]string{
	"common/identifier.json": "a STIX identifier as the schema has it: a type name, \"--\", and an RFC 4122 UUID of version 1 to 5",
	"common/timestamp.json":  "a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z)",
	"common/binary.json":     "base64 (RFC 4648)",
	"common/hex.json":        "an even number of hexadecimal digits",
	"observables/ipv4-addr.json#/allOf/1/properties/value": "an IPv4 address or CIDR block",
	"observables/ipv6-addr.json#/allOf/1/properties/value": "an IPv6 address or CIDR block",
	"observables/mac-addr.json#/allOf/1/properties/value":  "a colon-delimited, lower-case MAC-48 address",
	"observables/software.json#/allOf/1/properties/cpe":    "a CPE 2.3 name (cpe:2.3:part:vendor:product:...)",
}

// patternReason explains a string that does not match its pattern, in
// words where the pattern has them.
func patternReason(schemaURL, name, got, pattern string) string {
	q := strconv.Quote(truncate(got, 100))
	file, ptr := schemaAt(schemaURL)
	if w, ok := patternWords[file]; ok && ptr == "" {
		return fmt.Sprintf("%s %s is not %s", name, q, w)
	}
	if w, ok := patternWords[file+"#"+ptr]; ok {
		return fmt.Sprintf("%s %s is not %s", name, q, w)
	}
	return fmt.Sprintf("%s %s does not match the pattern %s", name, q, truncate(pattern, 120))
}

func enumReason(name string, v any, want []any) string {
	ws := make([]string, len(want))
	for i, w := range want {
		ws[i] = literal(w)
	}
	if len(ws) == 1 {
		return fmt.Sprintf("%s must be %s, not %s", name, ws[0], shown(v))
	}
	return fmt.Sprintf("%s must be one of %s, not %s", name, strings.Join(ws, ", "), shown(v))
}

// shown writes a value of the object for a message: strings quoted,
// numbers, booleans and null as in JSON, lists and objects by kind.
func shown(v any) string {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return short(v)
}

// literal writes a schema value as JSON.
func literal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

var typeNames = map[string]string{"string": "a string", "array": "a list", "object": "an object",
	"integer": "an integer", "number": "a number", "boolean": "true or false", "null": "null"}

// typeList writes JSON types as "a string, a number or a list"; an
// integer is a number, so it goes when number is there.
func typeList(want []string) string {
	var ws []string
	for _, w := range want {
		if w != "integer" || !slices.Contains(want, "number") {
			ws = append(ws, typeNames[w])
		}
	}
	if len(ws) < 2 {
		return strings.Join(ws, "")
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " or " + ws[len(ws)-1]
}

func formatName(f string) string {
	switch f {
	case "uri":
		return "an absolute URI (RFC 3986)"
	case "email":
		return "an e-mail address (RFC 5322 addr-spec)"
	case "idn-hostname":
		return "a domain name"
	}
	return "of format " + f
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(6)
}

// name is the JSON path of a location, as the other checks write it; the
// object itself is "the object".
func (m *schemaMapper) name(loc []string) string {
	if len(loc) == 0 {
		return "the object"
	}
	return m.path(loc)
}

// path writes a location as a property path such as
// "external_references[2].url".
func (m *schemaMapper) path(loc []string) string {
	var b strings.Builder
	var cur any = m.props
	for i, tok := range loc {
		if l, ok := cur.([]any); ok {
			b.WriteString("[" + tok + "]")
			n, err := strconv.Atoi(tok)
			cur = nil
			if err == nil && n >= 0 && n < len(l) {
				cur = l[n]
			}
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		obj, _ := cur.(map[string]any)
		cur = obj[tok]
	}
	return b.String()
}

// value is the value at a location, nil when there is none.
func (m *schemaMapper) value(loc []string) any {
	var cur any = m.props
	for _, tok := range loc {
		switch v := cur.(type) {
		case []any:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(v) {
				return nil
			}
			cur = v[n]
		case map[string]any:
			cur = v[tok]
		default:
			return nil
		}
	}
	return cur
}
