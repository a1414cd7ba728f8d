package stix

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/net/idna"
)

// Every object is also validated against the official STIX 2.1 JSON
// schema of its type (OASIS cti-stix2-json-schemas, embedded in schemas/,
// see schemas/README.md), after the checks in validate.go. The schemas
// catch what those checks leave to them: the form of hashes, CVE and CAPEC
// ids in external references, granular marking selectors, the types of
// the properties of SCO extensions, property names of custom properties,
// IP and MAC addresses, URLs, e-mail addresses and domain names, and the
// like.
//
// Objects are validated one by one, never as a bundle: common/bundle.json
// rejects valid content (it lists neither extension-definition nor
// grouping, incident, location, note and opinion among its types, and
// sends them through a oneOf over the two core schemas that an
// extension-definition matches twice).
//
// Objects of custom types have no schema of their own. They are validated
// against the core schema of their kind, which holds the common
// properties and the rules for property names:
//   - types declared by an extension-definition with extension_type
//     new-sdo or new-sro, and deprecated "x-" types that have created or
//     modified (which validate.go holds to the SDO rules), against
//     common/core.json, the core of SDOs and SROs;
//   - types declared with new-sco, and "x-" types without created and
//     modified, against common/cyber-observable-core.json.
//
// STIX 2.1 §3.2 gives both kinds the same common properties as the
// schemas do, and §11.1 the same rules for custom property names, so this
// is what the specification asks of them. MITRE ATT&CK's x-mitre-* objects
// are of the first kind.

// schemaBaseURL is the prefix of every embedded schema's $id.
const schemaBaseURL = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

//go:embed schemas
var schemaFS embed.FS

// schemaFormats are the format keywords the embedded schemas use. They
// are asserted, not left as annotations (JSON Schema 2020-12's default,
// which the library follows): STIX 2.1 requires each of them.
//   - "uri" (url-regex.json: url SCO values and external_references url):
//     §6.15 and §2.5 require RFC 3986. The library's check parses the value
//     with net/url and requires an absolute URI (a scheme).
//   - "email" (email-addr value): §6.5 requires an RFC 5322 addr-spec. The
//     library's check is RFC 5321 and 5322's common ground: a local part of
//     atoms or a quoted string, a host name or an address literal.
//   - "idn-hostname" (domain-name value): §6.4 requires RFC 1034 with
//     RFC 5890 labels. The library has no check for it; validDomainName is
//     Mosaic's.
//
// TestSchemaFormats fails when a schema uses a format not listed here, so
// a new one is a decision, not an accident.
var schemaFormats = []string{"uri", "email", "idn-hostname"}

// schemaSource loads schemas by $id from the embedded copies. Any other
// URL is an error: schemas are never fetched over the network.
type schemaSource struct{}

// Load implements jsonschema.URLLoader.
func (schemaSource) Load(url string) (any, error) {
	name, ok := strings.CutPrefix(url, schemaBaseURL)
	if !ok || !fs.ValidPath(name) {
		return nil, fmt.Errorf("%s is not one of the embedded STIX 2.1 schemas (schemas are never fetched)", url)
	}
	f, err := schemaFS.Open("schemas/" + name)
	if err != nil {
		return nil, fmt.Errorf("%s is not one of the embedded STIX 2.1 schemas (schemas are never fetched): %w", url, err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, e := range schemaErrata {
		if e.file == name {
			if err := e.apply(doc); err != nil {
				return nil, fmt.Errorf("%s: erratum at %s: %w", name, e.pointer, err)
			}
		}
	}
	return doc, nil
}

// schemaErratum corrects an embedded schema where it contradicts the STIX
// 2.1 specification: it replaces the value at a JSON pointer in one file.
// Errata are applied to the documents as they are loaded, so the files
// stay as published (and can be compared with upstream), and each checks
// that the document still holds the value it corrects, so a new version
// of the schemas cannot be corrected blindly: compiling fails instead, and
// so does TestSchemasCompile.
type schemaErratum struct {
	file, pointer string
	was, now      any // was nil: the key is absent
}

var schemaErrata = []schemaErratum{
	// STIX 2.1 §7.2.3: a granular marking has lang or marking_ref, "one
	// and only one of these properties MUST be present". The schema, as
	// in STIX 2.0, requires marking_ref, and so rejects the language
	// markings of the specification's own examples.
	{file: "common/granular-marking.json", pointer: "/required",
		was: []any{"selectors", "marking_ref"}, now: []any{"selectors"}},
	{file: "common/granular-marking.json", pointer: "/oneOf",
		now: []any{map[string]any{"required": []any{"marking_ref"}}, map[string]any{"required": []any{"lang"}}}},
	// §6.17: the hive of a registry key "MUST be fully expanded and not
	// truncated". The schema's pattern forgets the group around its
	// alternatives, so only HKLM is tied to the start and a key that
	// merely contains "hkcu" or "HKU" anywhere (…\\HKUpdate) is refused.
	{file: "observables/windows-registry-key.json", pointer: "/allOf/1/properties/key/not/pattern",
		was: `^HKLM|HKCC|HKCR|HKCU|HKU|hklm|hkcc|hkcr|hkcu|hku`,
		now: `^(HKLM|HKCC|HKCR|HKCU|HKU|hklm|hkcc|hkcr|hkcu|hku)`},
	// §6.9: an ipv6-addr value is an IPv6 address or CIDR block, and
	// addresses with an embedded IPv4 part (::ffff:192.0.2.1, RFC 4291
	// §2.2) are IPv6 addresses. The schema's pattern writes the digit
	// class of that part as "d" instead of "\d", so it refuses all of
	// them.
	{file: "observables/ipv6-addr.json", pointer: "/allOf/1/properties/value/pattern",
		was: ipv6Pattern, now: strings.ReplaceAll(ipv6Pattern, "2[0-4]d|1dd|[1-9]?d", `2[0-4]\d|1\d\d|[1-9]?\d`)},
}

// ipv6Pattern is the published pattern of ipv6-addr values.
const ipv6Pattern = `^s*((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}|((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3})|:))|(([0-9A-Fa-f]{1,4}:){5}(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3})|:))|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4}){1,3})|((:[0-9A-Fa-f]{1,4})?:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|((:[0-9A-Fa-f]{1,4}){0,2}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){1}(((:[0-9A-Fa-f]{1,4}){1,6})|((:[0-9A-Fa-f]{1,4}){0,4}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(:(((:[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]{1,4}){0,5}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:)))(%.+)?s*(\/(12[0-8]|1[0-1][0-9]|[1-9][0-9]|[0-9]))?$`

// apply replaces the value at the erratum's pointer in doc, after
// checking that it is the value the erratum corrects.
func (e schemaErratum) apply(doc any) error {
	parent := doc
	toks := strings.Split(strings.TrimPrefix(e.pointer, "/"), "/")
	for _, tok := range toks[:len(toks)-1] {
		switch p := parent.(type) {
		case map[string]any:
			parent = p[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(p) {
				return fmt.Errorf("no element %q", tok)
			}
			parent = p[i]
		default:
			return fmt.Errorf("no %q", tok)
		}
	}
	m, ok := parent.(map[string]any)
	if !ok {
		return errors.New("the parent is not an object")
	}
	last := toks[len(toks)-1]
	if got := m[last]; !reflect.DeepEqual(got, e.was) {
		return fmt.Errorf("found %v, expected %v: the schema has changed, review the erratum", got, e.was)
	}
	m[last] = e.now
	return nil
}

// newSchemaCompiler returns a compiler set up as Mosaic uses it: embedded
// schemas only, draft 2020-12, the fast regular expressions, and format
// assertions on.
func newSchemaCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(schemaSource{})
	c.UseRegexpEngine(schemaRegexp)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "idn-hostname", Validate: validDomainName})
	return c
}

// stixSchema is the compiled schema of one object type.
type stixSchema struct {
	lib   *jsonschema.Schema
	quick *quickSchema // nil when quickSchema cannot mirror it
}

// schemaSet holds the compiled schemas.
type schemaSet struct {
	byType           map[string]*stixSchema
	sdoCore, scoCore *stixSchema
	// byLocation finds a compiled schema from an error's SchemaURL, to
	// explain a failed "not".
	byLocation map[string]*jsonschema.Schema
}

// stixSchemas compiles the embedded schemas the first time they are
// needed, once. The schemas are part of the binary and a test compiles
// them, so failing to compile is a bug, not a condition to handle.
var stixSchemas = sync.OnceValue(func() *schemaSet {
	set, err := compileSchemas()
	if err != nil {
		panic("stix: compiling the embedded STIX 2.1 schemas: " + err.Error())
	}
	return set
})

// schemaFile is the file, below schemas/, of a STIX 2.1 type's schema.
func schemaFile(typ string, cat category) string {
	switch cat {
	case catSDO:
		return "sdos/" + typ + ".json"
	case catSRO:
		return "sros/" + typ + ".json"
	case catSCO:
		return "observables/" + typ + ".json"
	}
	return "common/" + typ + ".json"
}

func compileSchemas() (*schemaSet, error) {
	c := newSchemaCompiler()
	set := &schemaSet{byType: make(map[string]*stixSchema, len(types)),
		byLocation: make(map[string]*jsonschema.Schema)}
	compile := func(file string) (*stixSchema, error) {
		lib, err := c.Compile(schemaBaseURL + file)
		if err != nil {
			return nil, err
		}
		s := &stixSchema{lib: lib}
		// Each type gets its own mirror, so that one that fails halfway
		// leaves nothing half built behind for the others.
		seen := make(map[*jsonschema.Schema]*quickSchema)
		var unsupported errUnsupported
		s.quick, err = mirror(lib, seen)
		if err == nil {
			err = s.quick.prepare(make(map[*quickSchema]bool))
		}
		for ls := range seen {
			set.byLocation[ls.Location] = ls
		}
		switch {
		case errors.As(err, &unsupported):
			// The library validates every object of this type.
			s.quick = nil
		case err != nil:
			return nil, err
		}
		return s, nil
	}
	var err error
	for t, ts := range types {
		if set.byType[t], err = compile(schemaFile(t, ts.cat)); err != nil {
			return nil, err
		}
	}
	if set.sdoCore, err = compile("common/core.json"); err != nil {
		return nil, err
	}
	if set.scoCore, err = compile("common/cyber-observable-core.json"); err != nil {
		return nil, err
	}
	return set, nil
}

// schema returns the schema to validate the checked object against, nil
// when there is none (an object whose type is unusable or unknown).
func (set *schemaSet) schema(c *checker) *stixSchema {
	if c.spec != nil {
		return set.byType[c.typ]
	}
	switch c.cat {
	case catSDO, catSRO:
		return set.sdoCore
	case catSCO:
		return set.scoCore
	}
	return nil
}

// checkSchema validates the object against its STIX 2.1 JSON schema and
// adds what it finds that the other checks have not reported already.
func (c *checker) checkSchema() {
	set := stixSchemas()
	s := set.schema(c)
	if s == nil || s.quick != nil && s.quick.valid(c.props) {
		return
	}
	err := s.lib.Validate(c.props)
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return
	}
	m := schemaMapper{props: c.props, typ: c.typ, set: set}
	type found struct {
		path, reason string
		combined     bool
	}
	var all []found
	for _, is := range m.issues(verr) {
		all = append(all, found{m.path(is.loc), is.reason, is.combined})
	}
	// The library visits an object's properties in map order; sorted,
	// the problems come out the same every time (sortProblems then puts
	// them in input order by top-level property, keeping this order
	// within one).
	slices.SortFunc(all, func(a, b found) int {
		return cmp.Or(strings.Compare(a.path, b.path), strings.Compare(a.reason, b.reason))
	})
	existing := len(c.probs)
	for i, f := range all {
		if f.combined && existing > 0 || c.reported(f.path, existing) ||
			i > 0 && all[i-1].path == f.path && all[i-1].reason == f.reason {
			continue
		}
		c.add(f.path, f.reason)
	}
}

// reported says whether one of the first n problems (those of the other
// checks) is about the same property as path, or about a property inside
// it or around it: those checks say the same thing, usually better, and
// one report per fault is enough.
func (c *checker) reported(path string, n int) bool {
	for _, p := range c.probs[:n] {
		if related(p.Property, path) {
			return true
		}
	}
	return false
}

// related says whether two property paths are equal or one lies inside
// the other ("" is the object itself, which holds every path).
func related(a, b string) bool {
	inside := func(in, out string) bool {
		return out == "" || strings.HasPrefix(in, out) && (in[len(out)] == '.' || in[len(out)] == '[')
	}
	return a == b || len(a) > len(b) && inside(a, b) || len(b) > len(a) && inside(b, a)
}

// validDomainName is the "idn-hostname" format of domain-name values
// (STIX 2.1 §6.4: RFC 1034, labels per RFC 5890). A name has labels of 1
// to 63 octets, at most 253 octets in all, with an optional final dot.
// ASCII labels hold letters, digits, hyphens and underscores and neither
// start nor end with a hyphen; others must be valid IDNA labels (checked
// in their A-label form). Underscores are accepted although host names do
// not have them: RFC 1034 allows them in domain names (RFC 2181 §11), and
// observed names such as _dmarc.example.com or DNS tunnelling domains
// have them.
func validDomainName(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if _, err := netip.ParseAddr(s); err == nil {
		// RFC 1123 §2.1: a name must not have the form of an address;
		// STIX has ipv4-addr and ipv6-addr for those.
		return errors.New("an IP address is not a domain name")
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" {
		return errors.New("it is empty")
	}
	total := 0
	for label := range strings.SplitSeq(name, ".") {
		ascii := label
		if !isASCII(label) {
			a, err := idna.Lookup.ToASCII(label)
			if err != nil {
				return fmt.Errorf("label %q is not a valid internationalized label", label)
			}
			ascii = a
		}
		switch {
		case ascii == "":
			return errors.New("it has an empty label")
		case len(ascii) > 63:
			return fmt.Errorf("label %q is longer than 63 octets", truncate(label, 70))
		case ascii[0] == '-' || ascii[len(ascii)-1] == '-':
			return fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for i := 0; i < len(ascii); i++ {
			if c := ascii[i]; !(isLetter(c) || isDigit(c) || c == '-' || c == '_') {
				return fmt.Errorf("label %q has the character %q", label, rune(c))
			}
		}
		total += len(ascii) + 1
	}
	if total-1 > 253 {
		return errors.New("it is longer than 253 octets")
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
