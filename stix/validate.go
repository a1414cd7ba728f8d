package stix

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"mosaic"
	"mosaic/pattern"
)

// checker applies the STIX 2.1 rules to one decoded object.
type checker struct {
	raw   []byte // the object's JSON text, to find the input order of its keys
	order []string
	props map[string]any
	probs []mosaic.Problem

	typ  string
	spec *typeSpec // nil for custom and unknown types
	cat  category
	id   string

	tlp    mosaic.TLP
	hasTLP bool
}

func (c *checker) add(prop, reason string) {
	c.probs = append(c.probs, mosaic.Problem{Property: prop, Reason: reason})
}

func (c *checker) addf(prop, format string, args ...any) {
	c.add(prop, fmt.Sprintf(format, args...))
}

// rank orders a problem by where its top-level property is in the input.
// The checks visit properties in map order; problems are rare, so the
// input order is found only when there are some.
func (c *checker) rank(prop string) int {
	if prop == "" {
		return -1
	}
	if i := strings.IndexAny(prop, ".["); i >= 0 {
		prop = prop[:i]
	}
	if i := slices.Index(c.order, prop); i >= 0 {
		return i
	}
	return len(c.order)
}

// sortProblems puts the problems in input order; problems about a missing
// property come last, in the order they were found. Problems about one
// property keep the order the checks found them in, which is fixed.
func (c *checker) sortProblems() {
	c.order = topLevelKeys(c.raw)
	slices.SortStableFunc(c.probs, func(a, b mosaic.Problem) int { return c.rank(a.Property) - c.rank(b.Property) })
}

// jsonType names the JSON type of a decoded value for messages.
func jsonType(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case []any:
		if len(v) == 0 {
			return "an empty list"
		}
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// check runs every rule. It stops early only where later rules would
// repeat what has been said.
func (c *checker) check() {
	c.checkType()
	c.checkID()
	c.checkTimestamps()
	for k, v := range c.props {
		c.checkProperty(k, v)
	}
	if c.spec != nil {
		for _, r := range c.spec.required {
			if _, ok := c.props[r]; !ok {
				c.addf(r, "%s is required in %s objects", r, c.typ)
			}
		}
	}
	c.checkRules()
	if c.typ != "" {
		c.checkSchema()
	}
}

// checkType reads the type and works out the object's category.
func (c *checker) checkType() {
	v, ok := c.props["type"]
	if !ok {
		c.add("type", "type is required")
		return
	}
	s, ok := v.(string)
	if !ok {
		c.addf("type", "type must be a string, not %s", jsonType(v))
		return
	}
	if r := pattern.TypeNameReason(s); r != "" {
		c.addf("type", "type %q is not a valid STIX type name: %s", truncate(s, 100), r)
		return
	}
	c.typ = s
	declared, declaredAs := c.declaredType()
	if ts, ok := types[s]; ok {
		c.spec, c.cat = ts, ts.cat
		if declared != "" {
			c.addf("extensions", "an extension with extension_type %q cannot redefine the STIX 2.1 type %q", declaredAs, s)
		}
		return
	}
	switch {
	case s == "bundle":
		c.add("type", "a bundle cannot be an element of another bundle's objects")
	case declared != "":
		c.cat = customCategory[declaredAs]
	case strings.HasPrefix(s, "x-"):
		// A custom object of the deprecated kind (§11.2) does not say what
		// it is. One with versioning timestamps is held to the SDO rules,
		// one without to the SCO rules, the only two shapes it can have.
		_, created := c.props["created"]
		_, modified := c.props["modified"]
		if created || modified {
			c.cat = catSDO
		} else {
			c.cat = catSCO
		}
	default:
		c.addf("type", "type %q is not a STIX 2.1 type: a custom type must start with \"x-\" or be declared by an extension-definition with extension_type new-sdo, new-sco or new-sro", truncate(s, 100))
	}
}

// declaredType finds an extension that declares the object's type, and
// returns its key and extension_type.
func (c *checker) declaredType() (key, extType string) {
	exts, _ := c.props["extensions"].(map[string]any)
	keys := make([]string, 0, len(exts))
	for k := range exts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "extension-definition--") {
			continue
		}
		e, _ := exts[k].(map[string]any)
		if t, _ := e["extension_type"].(string); customCategory[t] != catUnknown {
			return k, t
		}
	}
	return "", ""
}

func (c *checker) checkID() {
	v, ok := c.props["id"]
	if !ok {
		c.add("id", "id is required")
		return
	}
	s, ok := v.(string)
	if !ok {
		c.addf("id", "id must be a string, not %s", jsonType(v))
		return
	}
	t, r := identifierReason(s)
	if r != "" {
		c.addf("id", "id %q is not a STIX identifier: %s", truncate(s, 100), r)
		return
	}
	c.id = s
	if c.typ != "" && t != c.typ {
		c.addf("id", "id %q must start with the object's type %q followed by \"--\"", s, c.typ)
	}
}

// identifierReason splits a STIX identifier "type--UUID" and says what is
// wrong with it, or "".
func identifierReason(s string) (typ, reason string) {
	if len(s) < 3+2+36 || s[len(s)-38:len(s)-36] != "--" {
		return "", `expected the form "type--UUID"`
	}
	typ = s[:len(s)-38]
	if r := pattern.TypeNameReason(typ); r != "" {
		return "", fmt.Sprintf("%q is not a type name: %s", truncate(typ, 100), r)
	}
	if r := uuidReason(s[len(s)-36:]); r != "" {
		return "", r
	}
	return typ, ""
}

// uuidReason checks an RFC 4122 UUID: 8-4-4-4-12 hexadecimal digits, the
// RFC 4122 variant, and a version from 1 to 5. RFC 4122 reads hexadecimal
// digits in either case, and so do the STIX 2.1 JSON schemas and the OASIS
// examples (one of which has an upper-case digit), so both are accepted.
// STIX 2.1 §2.9 requires an "RFC 4122-compliant UUID", and RFC 4122
// defines versions 1 to 5 (RFC 9562 added 6 to 8 in 2024); the schemas'
// identifier pattern (common/identifier.json) says [1-5] as well, so both
// checks agree.
func uuidReason(u string) string {
	if len(u) != 36 {
		return "the UUID must have the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "the UUID must have the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
			}
			continue
		}
		if !isHex(c) {
			return "the UUID must have the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx with hexadecimal digits"
		}
	}
	if v := u[14]; v < '1' || v > '5' {
		return fmt.Sprintf("the UUID has version %c; RFC 4122 UUIDs have versions 1 to 5", v)
	}
	switch u[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
	default:
		return "the UUID is not of the RFC 4122 variant (its 17th digit must be 8, 9, a or b)"
	}
	return ""
}

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// checkTimestamps checks spec_version, created and modified, which decide
// how the object is versioned.
func (c *checker) checkTimestamps() {
	cat := c.cat
	for _, k := range []string{"spec_version", "created", "modified", "created_by_ref"} {
		if _, ok := c.props[k]; !ok && commonUse[k][cat] == required {
			c.addf(k, "%s is required in %s", k, catNames[cat])
		}
	}
	if v, ok := c.props["spec_version"]; ok {
		if s, _ := v.(string); s != "2.1" {
			c.addf("spec_version", "spec_version must be \"2.1\", not %s: only STIX 2.1 content is accepted", short(v))
		}
	}
	var okC, okM bool
	created, _ := c.props["created"].(string)
	modified, _ := c.props["modified"].(string)
	if v, ok := c.props["created"]; ok {
		okC = c.timestamp("created", v, true)
	}
	if v, ok := c.props["modified"]; ok {
		okM = c.timestamp("modified", v, true)
	}
	if okC && okM && timeCompare(modified, created) < 0 {
		c.addf("modified", "modified (%s) is before created (%s)", modified, created)
	}
}

// timestamp checks a timestamp property. With millis, the value must have
// at least millisecond precision, as STIX 2.1 requires of created and
// modified.
func (c *checker) timestamp(prop string, v any, millis bool) bool {
	s, ok := v.(string)
	if !ok {
		c.addf(prop, "%s must be a timestamp string, not %s", leaf(prop), jsonType(v))
		return false
	}
	if _, r := timeCheck(s); r != "" {
		c.addf(prop, "%s %q is not a STIX timestamp: %s", leaf(prop), truncate(s, 60), r)
		return false
	}
	if millis && (len(s) < 24 || s[19] != '.') {
		c.addf(prop, "%s %q must be precise to at least the millisecond (three fraction digits), as STIX 2.1 requires", leaf(prop), s)
		return false
	}
	return true
}

// short shows a value in a message.
func short(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(truncate(v, 60))
	case json.Number:
		return truncate(string(v), 60)
	}
	return jsonType(v)
}

// checkProperty checks one top-level property.
func (c *checker) checkProperty(k string, v any) {
	info, known := propTable[k]
	switch {
	case !known:
		if r := propNameReason(k); r != "" {
			c.addf(k, "property name %q %s", truncate(k, 100), r)
			return
		}
	case info.reserved:
		c.addf(k, "%s is a reserved property name in STIX 2.1 and must not be used", k)
		return
	case info.common:
		if info.use[c.cat] == na {
			c.addf(k, "%s does not apply to %s", k, catNames[c.cat])
			return
		}
		c.checkCommon(k, v)
		return
	case k == "type" || k == "id":
		return
	case info.kind != 0 && c.spec != nil && c.spec.has[k]:
		c.checkKind(k, v, info.kind)
		return
	}
	c.checkSuffix(k, v)
}

// propNameReason says what is wrong with a property name, or "" (§3.1,
// §11.1): the rule object paths in patterns follow too.
func propNameReason(k string) string { return pattern.PropertyNameReason(k) }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// checkSuffix applies the rules the spec ties to property name suffixes
// (§3.1). Only the properties a type defines must hold references because
// of their _ref or _refs name: §3.1 and §11.1 require a property that
// holds a reference to be named so, not a property so named to hold one,
// and the official schemas leave custom _ref properties free (ATT&CK 18
// writes "x_mitre_data_source_ref": ""). _bin and _hex are checked on
// every property, as the schemas' properties.json does.
func (c *checker) checkSuffix(k string, v any) {
	defined := c.spec != nil && c.spec.has[k]
	switch {
	case strings.HasSuffix(k, "_refs") && defined:
		c.refList(k, v, refTargets[k], nil)
	case strings.HasSuffix(k, "_ref") && defined:
		c.ref(k, v, refTargets[k]...)
	case strings.HasSuffix(k, "_bin"):
		if s, ok := v.(string); !ok {
			c.addf(k, "%s must be a base64 string, not %s", k, jsonType(v))
		} else if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			c.addf(k, "%s must be base64 (RFC 4648) encoded", k)
		}
	case strings.HasSuffix(k, "_hex"):
		if s, ok := v.(string); !ok || !isHexString(s) {
			c.addf(k, "%s must be a string of an even number of lower-case hexadecimal digits", k)
		}
	default:
		if l, ok := v.([]any); ok && len(l) == 0 {
			c.addf(k, "%s is an empty list: STIX prohibits empty lists, omit the property instead", k)
		}
	}
}

func isVocabTerm(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || isDigit(c) || c == '-') {
			return false
		}
	}
	return s != ""
}

func isHexString(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(isDigit(s[i]) || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// checkCommon checks a common property (§3.2) that applies.
func (c *checker) checkCommon(k string, v any) {
	switch k {
	case "spec_version", "created", "modified":
		// checkTimestamps
	case "created_by_ref":
		c.ref(k, v, identity...)
	case "revoked", "defanged":
		c.boolean(k, v)
	case "labels":
		c.strings(k, v)
	case "confidence":
		c.integer(k, v, 0, 100)
	case "lang":
		c.lang(k, v)
	case "external_references":
		c.externalReferences(k, v)
	case "object_marking_refs":
		c.refList(k, v, markingDefinition, func(id string) {
			c.markedBy(id)
			if id == c.id {
				c.add(k, "a marking definition cannot mark itself")
			}
		})
	case "granular_markings":
		c.granularMarkings(k, v)
	case "extensions":
		c.extensions(k, v)
	}
}

func (c *checker) markedBy(id string) {
	if t, ok := TLPFromMarking(id); ok && (!c.hasTLP || t.Rank() > c.tlp.Rank()) {
		c.tlp, c.hasTLP = t, true
	}
}

func (c *checker) checkKind(k string, v any, kd kind) {
	switch kd {
	case kString:
		c.str(k, v)
	case kStringList:
		c.strings(k, v)
	case kTimestamp:
		c.timestamp(k, v, false)
	case kBool:
		c.boolean(k, v)
	case kInt:
		c.integer(k, v, -maxInt, maxInt)
	case kCount:
		c.integer(k, v, 0, 999_999_999)
	case kObserved:
		c.integer(k, v, 1, 999_999_999)
	case kNonNeg:
		c.integer(k, v, 0, maxInt)
	case kPort:
		c.integer(k, v, 0, 65535)
	case kLatitude:
		c.float(k, v, -90, 90)
	case kLongitude:
		c.float(k, v, -180, 180)
	case kPrecision:
		c.float(k, v, 0, math.MaxFloat64)
	case kDict:
		c.dict(k, v, 1)
	case kObject:
		c.object(k, v)
	case kObjectList:
		if l, ok := c.list(k, v); ok {
			for i, e := range l {
				c.object(fmt.Sprintf("%s[%d]", k, i), e)
			}
		}
	case kHashes:
		c.dict(k, v, 3)
	case kKillChain:
		c.killChainPhases(k, v)
	case kOpinion:
		if s, ok := c.str(k, v); ok && !slices.Contains(opinions, s) {
			c.addf(k, "opinion %q is not one of %s", truncate(s, 60), strings.Join(opinions, ", "))
		}
	case kExtensionTypes:
		for i, s := range c.stringList(k, v) {
			if !slices.Contains(extensionTypes, s) {
				c.addf(fmt.Sprintf("%s[%d]", k, i), "%q is not an extension type: use one of %s", truncate(s, 60), strings.Join(extensionTypes, ", "))
			}
		}
	}
}

var (
	identity          = []string{"identity"}
	markingDefinition = []string{"marking-definition"}
)

// maxInt is the largest integer STIX 2.1 allows (§2.10: 2^53-1).
const maxInt = 1<<53 - 1

// leaf is the last property name of a path, for messages: the path
// itself is in the problem's Property.
func leaf(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 && !strings.Contains(p[i:], "]") {
		return p[i+1:]
	}
	return p
}

func (c *checker) str(k string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.addf(k, "%s must be a string, not %s", leaf(k), jsonType(v))
	}
	return s, ok
}

func (c *checker) boolean(k string, v any) {
	if _, ok := v.(bool); !ok {
		c.addf(k, "%s must be true or false, not %s", leaf(k), jsonType(v))
	}
}

func (c *checker) integer(k string, v any, lo, hi int64) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		c.addf(k, "%s must be an integer, not %s", leaf(k), jsonType(v))
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		// 1.0 and 1e2 are integers to JSON Schema; so they are here.
		f, ferr := strconv.ParseFloat(string(n), 64)
		if ferr != nil && !errors.Is(ferr, strconv.ErrRange) || f != math.Trunc(f) {
			c.addf(k, "%s must be an integer, not %s", leaf(k), truncate(string(n), 60))
			return 0, false
		}
		i = int64(max(min(f, maxInt+1), -maxInt-1))
	}
	switch {
	case i > maxInt || i < -maxInt:
		c.addf(k, "%s %s is beyond the integers STIX allows (-(2^53-1) to 2^53-1)", leaf(k), truncate(string(n), 60))
	case i < lo && hi == maxInt:
		c.addf(k, "%s must be at least %d, not %d", leaf(k), lo, i)
	case i < lo || i > hi:
		c.addf(k, "%s must be between %d and %d, not %d", leaf(k), lo, hi, i)
	default:
		return i, true
	}
	return 0, false
}

func (c *checker) float(k string, v any, lo, hi float64) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		c.addf(k, "%s must be a number, not %s", k, jsonType(v))
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < lo || f > hi {
		if hi == math.MaxFloat64 {
			c.addf(k, "%s must be a number of at least %g, not %s", k, lo, truncate(string(n), 60))
		} else {
			c.addf(k, "%s must be a number between %g and %g, not %s", k, lo, hi, truncate(string(n), 60))
		}
		return 0, false
	}
	return f, true
}

// list checks for a non-empty list.
func (c *checker) list(k string, v any) ([]any, bool) {
	l, ok := v.([]any)
	switch {
	case !ok:
		c.addf(k, "%s must be a list, not %s", leaf(k), jsonType(v))
	case len(l) == 0:
		c.addf(k, "%s is an empty list: STIX prohibits empty lists, omit the property instead", leaf(k))
		ok = false
	}
	return l, ok
}

func (c *checker) stringList(k string, v any) []string {
	l, ok := c.list(k, v)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for i, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		} else {
			c.addf(item(k, i), "%s must hold strings only, not %s", leaf(k), jsonType(e))
		}
	}
	return out
}

// strings checks a list of strings without collecting them.
func (c *checker) strings(k string, v any) {
	l, ok := c.list(k, v)
	if !ok {
		return
	}
	for i, e := range l {
		if _, ok := e.(string); !ok {
			c.addf(item(k, i), "%s must hold strings only, not %s", leaf(k), jsonType(e))
		}
	}
}

func (c *checker) object(k string, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(k, "%s must be an object, not %s", leaf(k), jsonType(v))
	}
	return m, ok
}

// dict checks a dictionary (§2.3) or, with minKey 3, a hashes dictionary
// (§2.7).
func (c *checker) dict(k string, v any, minKey int) (map[string]any, bool) {
	m, ok := c.object(k, v)
	if !ok {
		return nil, false
	}
	if len(m) == 0 {
		c.addf(k, "%s is an empty dictionary: STIX prohibits empty dictionaries, omit the property instead", leaf(k))
		return nil, false
	}
	for _, key := range sortedKeys(m) {
		if r := dictKeyReason(key, minKey); r != "" {
			c.addf(k, "key %q of %s %s", truncate(key, 100), leaf(k), r)
		}
		if minKey == 3 {
			if _, ok := m[key].(string); !ok {
				c.addf(k+"."+key, "a hash value must be a string, not %s", jsonType(m[key]))
			}
		}
	}
	return m, true
}

// dictKeyReason says what is wrong with a dictionary key of at least
// minLen characters, or "" (§2.3: ASCII letters, digits, hyphens and
// underscores, at most 250 characters; the keys of hashes need 3).
//
// It is deliberately not the pattern package's rule for path components
// (keyReason there): a component may also name a nested property, §9.7
// quotes components with a full stop, which no key an object holds may
// have, and a path does not say how short the key of its dictionary may be.
func dictKeyReason(k string, minLen int) string {
	switch {
	case len(k) < minLen:
		return fmt.Sprintf("is shorter than %d characters", minLen)
	case len(k) > 250:
		return "is longer than 250 characters"
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !(isLetter(c) || isDigit(c) || c == '_' || c == '-') {
			return "may only contain letters, digits, hyphens and underscores"
		}
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// item names element i of list k, or k itself when i < 0. Paths are built
// only for problems: building them for every valid element costs more than
// checking it.
func item(k string, i int) string {
	if i < 0 {
		return k
	}
	return k + "[" + strconv.Itoa(i) + "]"
}

// ref checks an identifier reference, of one of the types in want if any.
func (c *checker) ref(k string, v any, want ...string) (string, bool) {
	return c.refAt(k, -1, v, want)
}

func (c *checker) refAt(k string, i int, v any, want []string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.addf(item(k, i), "%s must be a STIX identifier (a string), not %s", leaf(item(k, i)), jsonType(v))
		return "", false
	}
	t, r := identifierReason(s)
	if r != "" {
		c.addf(item(k, i), "%s %q is not a STIX identifier: %s", leaf(item(k, i)), truncate(s, 100), r)
		return "", false
	}
	if len(want) > 0 && !slices.Contains(want, t) {
		c.addf(item(k, i), "%s must refer to %s, not %s", leaf(item(k, i)), orList(want), t)
		return "", false
	}
	return s, true
}

// refList checks a list of references and calls each for the valid ones.
func (c *checker) refList(k string, v any, want []string, each func(string)) {
	l, ok := c.list(k, v)
	if !ok {
		return
	}
	for i, e := range l {
		if s, ok := c.refAt(k, i, e, want); ok && each != nil {
			each(s)
		}
	}
}

// orList writes types as "an identity or a location".
func orList(ts []string) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = article(t) + " " + t
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func article(t string) string {
	if t != "" && strings.IndexByte("aeiou", t[0]) >= 0 {
		return "an"
	}
	return "a"
}

// lang checks an RFC 5646 language tag in its general shape.
func (c *checker) lang(k string, v any) {
	s, ok := c.str(k, v)
	if !ok {
		return
	}
	for i, part := range strings.Split(s, "-") {
		ok := len(part) >= 1 && len(part) <= 8
		for j := 0; j < len(part) && ok; j++ {
			ok = isLetter(part[j]) || i > 0 && isDigit(part[j])
		}
		if !ok {
			c.addf(k, "%s %q is not an RFC 5646 language tag (such as \"en\" or \"pt-BR\")", leaf(k), truncate(s, 60))
			return
		}
	}
}

func (c *checker) externalReferences(k string, v any) {
	l, ok := c.list(k, v)
	if !ok {
		return
	}
	for i, e := range l {
		p := func() string { return item(k, i) }
		m, ok := e.(map[string]any)
		if !ok {
			c.object(p(), e)
			continue
		}
		if sn, ok := m["source_name"]; !ok {
			c.add(p()+".source_name", "an external reference must have a source_name")
		} else if _, ok := sn.(string); !ok {
			c.str(p()+".source_name", sn)
		}
		n := 0
		for _, f := range [...]string{"description", "url", "external_id"} {
			if fv, ok := m[f]; ok {
				n++
				if _, ok := fv.(string); !ok {
					c.str(p()+"."+f, fv)
				}
			}
		}
		if h, ok := m["hashes"]; ok {
			c.dict(p()+".hashes", h, 3)
		}
		if n == 0 {
			c.add(p(), "an external reference must have a description, url or external_id besides its source_name")
		}
	}
}

func (c *checker) killChainPhases(k string, v any) {
	l, ok := c.list(k, v)
	if !ok {
		return
	}
	for i, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			c.object(item(k, i), e)
			continue
		}
		for _, f := range [...]string{"kill_chain_name", "phase_name"} {
			if fv, ok := m[f]; !ok {
				c.addf(item(k, i)+"."+f, "a kill chain phase must have a %s", f)
			} else if _, ok := fv.(string); !ok {
				c.str(item(k, i)+"."+f, fv)
			}
		}
	}
}

func (c *checker) granularMarkings(k string, v any) {
	l, ok := c.list(k, v)
	if !ok {
		return
	}
	for i, e := range l {
		p := func() string { return item(k, i) }
		m, ok := e.(map[string]any)
		if !ok {
			c.object(p(), e)
			continue
		}
		mr, hasRef := m["marking_ref"]
		lg, hasLang := m["lang"]
		switch {
		case hasRef && hasLang:
			c.add(p(), "a granular marking must have either marking_ref or lang, not both")
		case !hasRef && !hasLang:
			c.add(p(), "a granular marking must have either marking_ref or lang")
		case hasRef:
			if id, ok := c.ref(p()+".marking_ref", mr, markingDefinition...); ok {
				c.markedBy(id)
				if id == c.id {
					c.add(p()+".marking_ref", "a marking definition cannot mark itself")
				}
			}
		default:
			c.lang(p()+".lang", lg)
		}
		sel, ok := m["selectors"]
		if !ok {
			c.add(p()+".selectors", "a granular marking must have selectors")
			continue
		}
		for j, s := range c.stringList(p()+".selectors", sel) {
			if r := c.selectorReason(s); r != "" {
				c.addf(fmt.Sprintf("%s.selectors[%d]", p(), j), "selector %q %s", truncate(s, 100), r)
			}
		}
	}
}

// selectorReason checks a granular marking selector (§7.2.3.1): it must
// select content the object has.
func (c *checker) selectorReason(sel string) string {
	var cur any = c.props
	for _, part := range strings.Split(sel, ".") {
		if part == "" {
			return "has an empty component"
		}
		if part[0] == '[' {
			n, err := strconv.Atoi(strings.TrimSuffix(part[1:], "]"))
			if !strings.HasSuffix(part, "]") || err != nil || n < 0 {
				return fmt.Sprintf("has an invalid list index %q", part)
			}
			l, ok := cur.([]any)
			if !ok {
				return fmt.Sprintf("indexes %s, which is not a list", part)
			}
			if n >= len(l) {
				return fmt.Sprintf("selects item %d of a list of %d", n, len(l))
			}
			cur = l[n]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return fmt.Sprintf("selects %q inside a value that is not an object", part)
		}
		if cur, ok = m[part]; !ok {
			return fmt.Sprintf("selects %q, which the object does not have", part)
		}
	}
	return ""
}

// extensions checks the extensions dictionary. Mosaic's own extension has
// been taken out before.
func (c *checker) extensions(k string, v any) {
	m, ok := c.object(k, v)
	if !ok {
		return
	}
	if len(m) == 0 {
		c.add(k, "extensions is an empty dictionary: STIX prohibits empty dictionaries, omit the property instead")
		return
	}
	for _, key := range sortedKeys(m) {
		p := k + "." + key
		switch {
		case strings.HasPrefix(key, "extension-definition--"):
			if _, r := identifierReason(key); r != "" {
				c.addf(k, "extension key %q is not an extension-definition identifier: %s", truncate(key, 100), r)
				continue
			}
			e, ok := c.object(p, m[key])
			if !ok {
				continue
			}
			et, ok := e["extension_type"]
			if !ok {
				c.add(p+".extension_type", "an extension defined by an extension-definition must have an extension_type")
			} else if s, _ := et.(string); !slices.Contains(extensionTypes, s) {
				c.addf(p+".extension_type", "extension_type %s is not one of %s", short(et), strings.Join(extensionTypes, ", "))
			}
			c.extensionProps(p, e, false)
		case strings.HasSuffix(key, "-ext"):
			if c.cat != catSCO {
				c.addf(k, "extension %q: extensions named with -ext exist only on STIX Cyber-observable Objects; other objects use extension-definition identifiers as keys", truncate(key, 100))
				continue
			}
			if r := pattern.TypeNameReason(key); r != "" {
				c.addf(k, "extension name %q is not valid: %s", truncate(key, 100), r)
				continue
			}
			e, ok := c.object(p, m[key])
			if !ok {
				continue
			}
			if len(e) == 0 {
				c.addf(p, "extension %q has no properties", key)
			}
			c.extensionProps(p, e, true)
		default:
			c.addf(k, "extension key %q must be an extension-definition identifier or, on STIX Cyber-observable Objects, a name ending in -ext", truncate(key, 100))
		}
	}
}

// extensionProps checks the property names inside one extension, and
// with refs the references: the properties of an extension definition's
// extension are its own, and like custom properties (see checkSuffix) are
// not bound to hold identifiers by a _ref or _refs name.
func (c *checker) extensionProps(p string, e map[string]any, refs bool) {
	for _, name := range sortedKeys(e) {
		if name == "extension_type" {
			continue
		}
		if r := propNameReason(name); r != "" {
			c.addf(p, "property name %q %s", truncate(name, 100), r)
			continue
		}
		v := e[name]
		switch {
		case !refs:
		case strings.HasSuffix(name, "_refs"):
			c.refList(p+"."+name, v, nil, nil)
		case strings.HasSuffix(name, "_ref"):
			c.ref(p+"."+name, v)
		}
	}
}

// checkRules applies the rules that tie properties together.
func (c *checker) checkRules() {
	p := c.props
	has := func(k string) bool { _, ok := p[k]; return ok }
	c.notBefore("first_seen", "last_seen", false)
	switch c.typ {
	case "indicator":
		c.notBefore("valid_from", "valid_until", true)
		// A STIX pattern must be one: the grammar and the rules of STIX
		// 2.1 section 9 (package pattern), with the place and reason of
		// the first fault.
		if src, ok := p["pattern"].(string); ok && p["pattern_type"] == "stix" {
			if _, err := pattern.Parse(src); err != nil {
				c.addf("pattern", "not a valid STIX pattern: %v", err)
			}
		}
	case "relationship":
		c.notBefore("start_time", "stop_time", true)
		if s, ok := p["relationship_type"].(string); ok && !isVocabTerm(s) {
			c.addf("relationship_type", "relationship_type %q may only contain lower-case letters a-z, digits and hyphens", truncate(s, 100))
		}
		for _, k := range []string{"source_ref", "target_ref"} {
			c.notRelationshipTarget(k)
		}
	case "sighting":
		c.notRelationshipTarget("sighting_of_ref")
		if s, _ := p["sighting_of_ref"].(string); s != "" {
			if t, r := identifierReason(s); r == "" && catOf(t) == catSCO {
				c.addf("sighting_of_ref", "sighting_of_ref must refer to a STIX Domain Object, not %s %s", article(t), t)
			}
		}
	case "observed-data":
		c.notBefore("first_observed", "last_observed", false)
		switch {
		case has("objects") && has("object_refs"):
			c.add("objects", "objects (deprecated) must not be present together with object_refs")
		case !has("objects") && !has("object_refs"):
			c.add("object_refs", "an observed-data object needs object_refs (or the deprecated objects)")
		}
	case "malware":
		if f, _ := p["is_family"].(bool); f && !has("name") {
			c.add("name", "a malware family (is_family true) must have a name")
		}
	case "malware-analysis":
		if !has("result") && !has("analysis_sco_refs") {
			c.add("result", "a malware-analysis object needs result or analysis_sco_refs")
		}
	case "location":
		c.locationRules()
	case "marking-definition":
		c.markingRules()
	case "extension-definition":
		if has("extension_properties") {
			if l, _ := p["extension_types"].([]any); !slices.Contains(l, any("toplevel-property-extension")) {
				c.add("extension_properties", "extension_properties may only be used when extension_types includes toplevel-property-extension")
			}
		}
	case "artifact":
		switch {
		case has("payload_bin") && has("url"):
			c.add("url", "an artifact has either payload_bin or url, not both")
		case !has("payload_bin") && !has("url"):
			c.add("payload_bin", "an artifact needs payload_bin or url")
		case has("url") && !has("hashes"):
			c.add("hashes", "an artifact with a url must have hashes")
		}
		if has("decryption_key") && !has("encryption_algorithm") {
			c.add("decryption_key", "decryption_key needs encryption_algorithm")
		}
	case "file":
		if !has("hashes") && !has("name") {
			c.add("name", "a file object needs hashes or name")
		}
	case "network-traffic":
		if !has("src_ref") && !has("dst_ref") {
			c.add("src_ref", "a network-traffic object needs src_ref or dst_ref")
		}
	case "email-message":
		if m, ok := p["is_multipart"].(bool); ok {
			if m && has("body") {
				c.add("body", "a multipart email message has body_multipart, not body")
			}
			if !m && has("body_multipart") {
				c.add("body_multipart", "body_multipart is only for multipart email messages (is_multipart true)")
			}
		}
	}
}

// notBefore checks that the later timestamp is not before (or, strictly,
// not at or before) the earlier one, when both are valid.
func (c *checker) notBefore(early, late string, strict bool) {
	es, ok1 := c.props[early].(string)
	ls, ok2 := c.props[late].(string)
	if !ok1 || !ok2 {
		return
	}
	if _, r := timeCheck(es); r != "" {
		return
	}
	if _, r := timeCheck(ls); r != "" {
		return
	}
	if cmp := timeCompare(ls, es); cmp < 0 || strict && cmp == 0 {
		word := "before"
		if strict {
			word = "not after"
		}
		c.addf(late, "%s (%s) is %s %s (%s)", late, ls, word, early, es)
	}
}

// notRelationshipTarget rejects references an SRO cannot make (§5.1, §5.2).
func (c *checker) notRelationshipTarget(k string) {
	s, _ := c.props[k].(string)
	t, r := identifierReason(s)
	if r != "" {
		return
	}
	switch {
	case t == "bundle", catOf(t) == catSRO, catOf(t) == catLanguage, catOf(t) == catMarking, catOf(t) == catExtDef:
		c.addf(k, "%s cannot refer to %s %s", k, article(t), t)
	}
}

func (c *checker) locationRules() {
	p := c.props
	_, lat := p["latitude"]
	_, lon := p["longitude"]
	_, region := p["region"]
	_, country := p["country"]
	switch {
	case lat != lon:
		c.add("latitude", "latitude and longitude must be given together")
	case !lat && !region && !country:
		c.add("region", "a location needs region, country, or latitude and longitude")
	}
	if _, ok := p["precision"]; ok && !lat {
		c.add("precision", "precision needs latitude and longitude")
	}
}

// markingRules checks a marking definition (§7.2.1): without an extension
// it needs definition_type and definition, TLP 1.0 markings may only be
// the four the spec defines, and the TLP level it shows is the one it
// declares (see tlpRules).
func (c *checker) markingRules() {
	p := c.props
	if _, ok := p["extensions"]; !ok {
		for _, k := range []string{"definition_type", "definition"} {
			if _, ok := p[k]; !ok {
				c.addf(k, "%s is required in a marking definition without extensions", k)
			}
		}
	}
	if dt, _ := p["definition_type"].(string); strings.EqualFold(dt, "tlp") {
		want, std := tlp1Level[c.id]
		def, _ := p["definition"].(map[string]any)
		got, _ := def["tlp"].(string)
		switch {
		case !std:
			c.add("definition_type", "TLP 1.0 markings must be one of the four marking definitions STIX 2.1 defines; use their identifiers instead of a new one")
		case got != want:
			c.addf("definition", "the marking definition %s is TLP:%s, so definition must be {\"tlp\": %q}", c.id, strings.ToUpper(want), want)
		case dt != "tlp":
			c.addf("definition_type", "definition_type must be \"tlp\", not %q", dt)
		}
	}
	c.tlpRules()
}

// tlpRules holds a marking definition to one TLP level. Mosaic handles
// what it marks at the level its content declares (or its official id
// has), and readers go by its name: a name that reads as a TLP label over
// no declaration or another level would have every reader take the
// objects for marked otherwise than Mosaic shares them. A declaration
// with a value that is not a level, or two that disagree, is refused
// rather than guessed at.
func (c *checker) tlpRules() {
	level, from := TLPFromMarking(c.id)
	src := ""
	if from {
		src = fmt.Sprintf("its id is that of the official %s marking definition", level.Label())
	}
	tlp1 := false
	declaredTLP(c.props, func(prop string, v any, t mosaic.TLP) {
		switch {
		case prop == declTLP1:
			// The TLP 1.0 rule in markingRules has said what is wrong.
			tlp1 = true
			return
		case prop == declTLP2 && (t == "" || v != string(t)):
			c.addf(prop, "tlp_2_0 of the TLP 2.0 extension must be one of clear, green, amber, amber+strict, red, not %s", short(v))
			return
		case t == "":
			c.addf(prop, "x_opencti_definition of a marking definition with x_opencti_definition_type \"TLP\" must be a TLP level such as \"TLP:AMBER+STRICT\", not %s", short(v))
			return
		case from && t != level:
			c.addf(prop, "%s declares %s, but %s: a marking definition has one TLP level", leaf(prop), t.Label(), src)
			return
		}
		if !from {
			level, from, src = t, true, fmt.Sprintf("%s declares %s", leaf(prop), t.Label())
		}
	})
	name, _ := c.props["name"].(string)
	shown, isLabel := tlpLabel(name)
	switch {
	case !isLabel:
	case !from && !tlp1:
		c.addf("name", "name %q reads as a TLP label, but the marking definition declares no TLP level, so what it marks would look %s to every reader while no tool, Mosaic included, can handle it as such; declare the level in the TLP 2.0 extension (\"extensions\": {%q: {\"extension_type\": \"property-extension\", \"tlp_2_0\": %q}}), refer to the official %s marking definition instead, or choose another name", truncate(name, 60), shown.Label(), TLP2ExtensionID, shown, shown.Label())
	case from && shown != level:
		c.addf("name", "name %q reads as %s, but the marking definition is %s: readers would take what it marks for %s while Mosaic handles it as %s", truncate(name, 60), shown.Label(), level.Label(), shown.Label(), level.Label())
	}
}
