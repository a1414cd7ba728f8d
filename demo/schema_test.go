package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mosaic"
)

// schema is the part of JSON Schema that the STIX 2.1 schemas use to say
// which properties an object must have and which values some of them may
// take. Other keywords are ignored: this checks required properties and
// enumerations, not everything a full validator would.
type schema struct {
	Ref         string             `json:"$ref"`
	Required    []string           `json:"required"`
	Properties  map[string]*schema `json:"properties"`
	Enum        []any              `json:"enum"`
	Pattern     string             `json:"pattern"`
	AllOf       []*schema          `json:"allOf"`
	AnyOf       []*schema          `json:"anyOf"`
	OneOf       []*schema          `json:"oneOf"`
	Not         *schema            `json:"not"`
	Definitions map[string]*schema `json:"definitions"`
}

// schemas loads the copies in testdata/stix21-schemas (see its README),
// keyed by path below that directory.
type schemas map[string]*schema

func (ss schemas) load(t *testing.T, name string) *schema {
	t.Helper()
	if s, ok := ss[name]; ok {
		return s
	}
	body, err := os.ReadFile(path.Join("testdata/stix21-schemas", name))
	if err != nil {
		t.Fatalf("schema %s: %v", name, err)
	}
	s := new(schema)
	if err := json.Unmarshal(body, s); err != nil {
		t.Fatalf("schema %s: %v", name, err)
	}
	ss[name] = s
	return s
}

func schemaFile(typ string) string {
	switch {
	case scoTypes[typ]:
		return "observables/" + typ + ".json"
	case typ == "relationship" || typ == "sighting":
		return "sros/" + typ + ".json"
	}
	return "sdos/" + typ + ".json"
}

// check returns the ways obj fails s, found in file (for resolving $ref).
func (ss schemas) check(t *testing.T, s *schema, file string, obj map[string]any) []string {
	var problems []string
	if s.Ref != "" {
		ref := path.Join(path.Dir(file), s.Ref)
		problems = append(problems, ss.check(t, ss.load(t, ref), ref, obj)...)
	}
	for _, r := range s.Required {
		if _, ok := obj[r]; !ok {
			problems = append(problems, "required property "+r+" is missing")
		}
	}
	for key, ps := range s.Properties {
		if v, ok := obj[key]; ok {
			problems = append(problems, checkValue(t, ps, key, v)...)
		}
	}
	for _, sub := range s.AllOf {
		problems = append(problems, ss.check(t, sub, file, obj)...)
	}
	if len(s.AnyOf) > 0 {
		n := 0
		for _, sub := range s.AnyOf {
			if len(ss.check(t, sub, file, obj)) == 0 {
				n++
			}
		}
		if n == 0 {
			problems = append(problems, fmt.Sprintf("matches none of anyOf %s", describe(s.AnyOf)))
		}
	}
	if len(s.OneOf) > 0 {
		n := 0
		for _, sub := range s.OneOf {
			if len(ss.check(t, sub, file, obj)) == 0 {
				n++
			}
		}
		if n != 1 {
			problems = append(problems, fmt.Sprintf("matches %d of oneOf %s, want 1", n, describe(s.OneOf)))
		}
	}
	if s.Not != nil && len(ss.check(t, s.Not, file, obj)) == 0 {
		problems = append(problems, fmt.Sprintf("matches the forbidden %s", describe([]*schema{s.Not})))
	}
	return problems
}

// checkValue checks a property's enumeration and pattern; references to
// other files (timestamps, identifiers) are not followed.
func checkValue(t *testing.T, s *schema, key string, v any) []string {
	var problems []string
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		problems = append(problems, fmt.Sprintf("%s: %v is not one of %v", key, v, s.Enum))
	}
	if str, ok := v.(string); ok && s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			t.Fatalf("pattern of %s: %v", key, err)
		}
		if !re.MatchString(str) {
			problems = append(problems, fmt.Sprintf("%s: %q does not match %s", key, str, s.Pattern))
		}
	}
	for _, sub := range s.AllOf {
		problems = append(problems, checkValue(t, sub, key, v)...)
	}
	return problems
}

func describe(list []*schema) string {
	b, _ := json.Marshal(list)
	return string(b)
}

func TestRequiredProperties(t *testing.T) {
	_, all := dataSet(t, testNow)
	ss := schemas{}
	for _, c := range all {
		file := schemaFile(c.typ())
		for _, p := range ss.check(t, ss.load(t, file), file, c.obj) {
			t.Errorf("%s: %s", c.id(), p)
		}
	}
	// The check itself must catch what it is for.
	bad := map[string]any{"type": "malware", "spec_version": "2.1", "id": "malware--" + strings.Repeat("0", 8) + "-0000-4000-8000-" + strings.Repeat("0", 12),
		"created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z", "is_family": true}
	if got := ss.check(t, ss.load(t, "sdos/malware.json"), "sdos/malware.json", bad); len(got) == 0 {
		t.Error("a malware family without a name passes the check")
	}
}

// vocabularies maps properties to the open vocabularies of the STIX 2.1
// specification, as the schemas define them.
var vocabularies = []struct{ typ, prop, file, def string }{
	{"grouping", "context", "sdos/grouping.json", "grouping-context-ov"},
	{"identity", "identity_class", "sdos/identity.json", "identity-class-ov"},
	{"indicator", "indicator_types", "sdos/indicator.json", "indicator-type-ov"},
	{"indicator", "pattern_type", "sdos/indicator.json", "pattern-type-ov"},
	{"infrastructure", "infrastructure_types", "sdos/infrastructure.json", "infrastructure-type-ov"},
	{"intrusion-set", "resource_level", "sdos/intrusion-set.json", "attack-resource-level-ov"},
	{"intrusion-set", "primary_motivation", "sdos/intrusion-set.json", "attack-motivation-ov"},
	{"malware", "malware_types", "sdos/malware.json", "malware-type-ov"},
	{"malware", "implementation_languages", "sdos/malware.json", "implementation-language-ov"},
	{"malware", "capabilities", "sdos/malware.json", "malware-capabilities-ov"},
	{"malware", "architecture_execution_envs", "sdos/malware.json", "processor-architecture-ov"},
	{"report", "report_types", "sdos/report.json", "report-type-ov"},
	{"threat-actor", "threat_actor_types", "sdos/threat-actor.json", "threat-actor-type-ov"},
	{"threat-actor", "roles", "sdos/threat-actor.json", "threat-actor-role-ov"},
	{"threat-actor", "sophistication", "sdos/threat-actor.json", "threat-actor-sophistication-ov"},
	{"threat-actor", "resource_level", "sdos/threat-actor.json", "attack-resource-level-ov"},
	{"threat-actor", "primary_motivation", "sdos/threat-actor.json", "attack-motivation-ov"},
	{"tool", "tool_types", "sdos/tool.json", "tool-type-ov"},
}

// relationships lists the relationships the STIX 2.1 specification defines,
// by source type and relationship type, with their target types; "sco"
// stands for any cyber-observable. related-to, derived-from and duplicate-of
// are allowed between any objects.
var relationships = map[string]map[string][]string{
	"attack-pattern": {"delivers": {"malware"}, "targets": {"identity", "location", "vulnerability"}, "uses": {"malware", "tool"}},
	"campaign": {"attributed-to": {"intrusion-set", "threat-actor"}, "compromises": {"infrastructure"}, "originates-from": {"location"},
		"targets": {"identity", "location", "vulnerability"}, "uses": {"attack-pattern", "infrastructure", "malware", "tool"}},
	"course-of-action": {"investigates": {"indicator"}, "mitigates": {"attack-pattern", "indicator", "malware", "tool", "vulnerability"},
		"remediates": {"malware", "vulnerability"}},
	"identity":  {"located-at": {"location"}},
	"indicator": {"indicates": {"attack-pattern", "campaign", "infrastructure", "intrusion-set", "malware", "threat-actor", "tool"}, "based-on": {"observed-data"}},
	"infrastructure": {"communicates-with": {"infrastructure", "ipv4-addr", "ipv6-addr", "domain-name", "url"},
		"consists-of": {"infrastructure", "observed-data", "sco"}, "controls": {"infrastructure", "malware"}, "delivers": {"malware"},
		"has": {"vulnerability"}, "hosts": {"tool", "malware"}, "located-at": {"location"}, "uses": {"infrastructure"}},
	"intrusion-set": {"attributed-to": {"threat-actor"}, "compromises": {"infrastructure"}, "hosts": {"infrastructure"}, "owns": {"infrastructure"},
		"originates-from": {"location"}, "targets": {"identity", "location", "vulnerability"}, "uses": {"attack-pattern", "infrastructure", "malware", "tool"}},
	"malware": {"authored-by": {"threat-actor", "intrusion-set"}, "beacons-to": {"infrastructure"}, "exfiltrates-to": {"infrastructure"},
		"communicates-with": {"ipv4-addr", "ipv6-addr", "domain-name", "url"}, "controls": {"malware"}, "downloads": {"malware", "tool", "file"},
		"drops": {"malware", "tool", "file"}, "exploits": {"vulnerability"}, "originates-from": {"location"},
		"targets": {"identity", "infrastructure", "location", "vulnerability"}, "uses": {"attack-pattern", "infrastructure", "malware", "tool"},
		"variant-of": {"malware"}},
	"threat-actor": {"attributed-to": {"identity"}, "compromises": {"infrastructure"}, "hosts": {"infrastructure"}, "impersonates": {"identity"},
		"located-at": {"location"}, "owns": {"infrastructure"}, "targets": {"identity", "location", "vulnerability"},
		"uses": {"attack-pattern", "infrastructure", "malware", "tool"}},
	"tool": {"delivers": {"malware"}, "drops": {"malware"}, "has": {"vulnerability"}, "targets": {"identity", "infrastructure", "location", "vulnerability"},
		"uses": {"infrastructure"}},
}

func TestVocabularies(t *testing.T) {
	_, all := dataSet(t, testNow)
	ss := schemas{}
	hashAlgorithms := []string{"MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH"}
	propName := regexp.MustCompile(`^([a-z][a-z0-9_]{2,249}|id)$`)
	cve := regexp.MustCompile(`^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`)
	attack := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	for _, c := range all {
		for key := range c.obj {
			if !propName.MatchString(key) {
				t.Errorf("%s: property name %q", c.id(), key)
			}
		}
		for _, v := range vocabularies {
			if v.typ != c.typ() || c.obj[v.prop] == nil {
				continue
			}
			allowed := ss.load(t, v.file).Definitions[v.def].Enum
			values, ok := c.obj[v.prop].([]any)
			if !ok {
				values = []any{c.obj[v.prop]}
			}
			for _, val := range values {
				if !slices.Contains(allowed, val) {
					t.Errorf("%s: %s %v is not in %s", c.id(), v.prop, val, v.def)
				}
			}
		}
		if sectors, ok := c.obj["sectors"].([]any); ok {
			for _, s := range sectors {
				if !mosaic.ValidSector(s.(string)) {
					t.Errorf("%s: sector %v is not in industry-sector-ov", c.id(), s)
				}
			}
		}
		if hashes, ok := c.obj["hashes"].(map[string]any); ok {
			for k := range hashes {
				if !slices.Contains(hashAlgorithms, k) {
					t.Errorf("%s: hash %s is not in hash-algorithm-ov", c.id(), k)
				}
			}
		}
		refs, _ := c.obj["external_references"].([]any)
		for _, r := range refs {
			ref := r.(map[string]any)
			id, _ := ref["external_id"].(string)
			switch {
			case ref["source_name"] == nil || (id == "" && ref["url"] == nil && ref["description"] == nil):
				t.Errorf("%s: external reference %v needs a source_name and an external_id, url or description", c.id(), ref)
			case ref["source_name"] == "cve" && !cve.MatchString(id):
				t.Errorf("%s: %q is not a CVE id", c.id(), id)
			case ref["source_name"] == "mitre-attack" && !attack.MatchString(id):
				t.Errorf("%s: %q is not an ATT&CK technique id", c.id(), id)
			}
		}
		phases, _ := c.obj["kill_chain_phases"].([]any)
		for _, ph := range phases {
			m := ph.(map[string]any)
			if m["kill_chain_name"] == "" || m["phase_name"] == "" {
				t.Errorf("%s: kill chain phase %v", c.id(), m)
			}
		}
		if c.typ() == "relationship" {
			checkRelationship(t, c)
		}
	}
}

func checkRelationship(t *testing.T, c contribution) {
	t.Helper()
	rt := c.str("relationship_type")
	src, _, _ := strings.Cut(c.str("source_ref"), "--")
	dst, _, _ := strings.Cut(c.str("target_ref"), "--")
	switch rt {
	case "related-to":
		return
	case "derived-from", "duplicate-of":
		if src != dst {
			t.Errorf("%s: %s between a %s and a %s", c.id(), rt, src, dst)
		}
		return
	}
	targets, ok := relationships[src][rt]
	if !ok {
		t.Errorf("%s: STIX 2.1 defines no %s relationship from a %s", c.id(), rt, src)
		return
	}
	if !slices.Contains(targets, dst) && !(scoTypes[dst] && slices.Contains(targets, "sco")) {
		t.Errorf("%s: a %s %s a %s; STIX 2.1 allows %v", c.id(), src, rt, dst, targets)
	}
}

// A STIX pattern of the forms the data set uses: observation expressions of
// equality comparisons, joined by AND within and OR between them.
var (
	comparison  = `([a-z0-9-]+):([a-z0-9_]+(?:\.(?:'[A-Za-z0-9-]+'|[a-z0-9_]+))*) = '((?:[^'\\]|\\.)*)'`
	observation = `\[` + comparison + `(?: (?:AND|OR) ` + comparison + `)*\]`
	patternRE   = regexp.MustCompile(`^` + observation + `(?: (?:AND|OR) ` + observation + `)*$`)
	compareRE   = regexp.MustCompile(comparison)
)

// TestPatterns checks each indicator's pattern and that what it matches is in
// the data set as an observable, so that correlation has something to join.
func TestPatterns(t *testing.T) {
	_, all := dataSet(t, testNow)
	ids, sha256s := map[string]bool{}, map[string]bool{}
	for _, c := range all {
		ids[c.id()] = true
		if h, ok := c.obj["hashes"].(map[string]any); ok {
			sha256s[h["SHA-256"].(string)] = true
		}
	}
	n := 0
	for _, c := range all {
		if c.typ() != "indicator" {
			continue
		}
		n++
		pat := c.str("pattern")
		if c.str("pattern_type") != "stix" || c.str("pattern_version") != "2.1" || !patternRE.MatchString(pat) {
			t.Errorf("%s: not a STIX 2.1 pattern of the expected form: %s", c.id(), pat)
			continue
		}
		for _, m := range compareRE.FindAllStringSubmatch(pat, -1) {
			typ, prop, value := m[1], m[2], m[3]
			switch {
			case prop == "value" && !ids[scoID(typ, map[string]any{"value": value})]:
				t.Errorf("%s: no %s observable with value %s", c.id(), typ, value)
			case prop == "hashes.'SHA-256'" && !sha256s[value]:
				t.Errorf("%s: no file with SHA-256 %s", c.id(), value)
			case prop != "value" && prop != "hashes.'SHA-256'":
				t.Errorf("%s: unexpected object path %s:%s", c.id(), typ, prop)
			}
		}
	}
	if n < 100 {
		t.Errorf("%d indicators, want at least 100", n)
	}
}
