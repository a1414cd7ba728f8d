package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"mosaic"
)

// TestSchemasCompile compiles the embedded schemas with their errata, and
// checks that every type has a schema and that quickSchema mirrors all of
// them (otherwise their objects would always take the slow path).
func TestSchemasCompile(t *testing.T) {
	set, err := compileSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for typ := range types {
		s := set.byType[typ]
		if s == nil || s.lib == nil {
			t.Errorf("%s: no schema", typ)
			continue
		}
		if s.quick == nil {
			t.Errorf("%s: quickSchema cannot mirror the schema", typ)
		}
	}
	for name, s := range map[string]*stixSchema{"core": set.sdoCore, "cyber-observable-core": set.scoCore} {
		if s == nil || s.quick == nil {
			t.Errorf("%s: not compiled or not mirrored", name)
		}
	}
}

// TestSchemaErrata checks that the errata find what they correct in the
// embedded files, and that the documents the loader returns have the
// corrections.
func TestSchemaErrata(t *testing.T) {
	files := make(map[string]any)
	for _, e := range schemaErrata {
		doc, ok := files[e.file]
		if !ok {
			raw, err := schemaFS.ReadFile("schemas/" + e.file)
			if err != nil {
				t.Fatal(err)
			}
			if doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(raw)); err != nil {
				t.Fatal(err)
			}
			files[e.file] = doc
		}
		if err := e.apply(doc); err != nil {
			t.Errorf("%s %s: %v", e.file, e.pointer, err)
		}
	}
	for file, doc := range files {
		loaded, err := schemaSource{}.Load(schemaBaseURL + file)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(doc, loaded); diff != "" {
			t.Errorf("%s: loaded document differs from the corrected one:\n%s", file, diff)
		}
	}
}

// TestSchemaFormats checks that the schemas use the formats
// schemaFormats lists and no other: each format is asserted, so a new
// one needs a decision (see schemaFormats).
func TestSchemaFormats(t *testing.T) {
	var found []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if f, ok := v["format"].(string); ok && !slices.Contains(found, f) {
				found = append(found, f)
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	err := fs.WalkDir(schemaFS, "schemas", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		doc, err := schemaSource{}.Load(schemaBaseURL + strings.TrimPrefix(path, "schemas/"))
		walk(doc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found)
	want := slices.Sorted(slices.Values(schemaFormats))
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("formats in the schemas (-schemaFormats +found):\n%s", diff)
	}
}

// TestSchemaNoNetwork proves that a reference the embedded schemas cannot
// satisfy fails to compile instead of being fetched: a server that counts
// requests must see none.
func TestSchemaNoNetwork(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/schema+json")
		w.Write([]byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}`))
	}))
	defer srv.Close()
	for _, ref := range []string{
		srv.URL + "/schema.json",
		srv.URL + "/schema.json#/definitions/x",
		schemaBaseURL + "common/no-such-schema.json",
		schemaBaseURL + "../../../../" + strings.TrimPrefix(srv.URL, "http://") + "/x.json",
		"file:///etc/passwd",
	} {
		c := newSchemaCompiler()
		doc := map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": ref}
		if err := c.AddResource("urn:mosaic:test", doc); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Compile("urn:mosaic:test"); err == nil {
			t.Errorf("$ref %s: compiled; want an error", ref)
		} else if !strings.Contains(err.Error(), "never fetched") {
			t.Errorf("$ref %s: error %v does not say that schemas are never fetched", ref, err)
		}
	}
	if _, err := (schemaSource{}).Load(srv.URL + "/schema.json"); err == nil {
		t.Errorf("schemaSource loaded %s", srv.URL)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the schema compiler made %d requests; it must make none", n)
	}
}

const (
	fileID    = "file--1b40e321-ae73-5637-bd97-33c35a86b80d"
	trafficID = "network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2"
)

// TestSchemaProblems has objects that each break a rule of the STIX 2.1
// schemas that the other checks do not have, and the problem expected.
func TestSchemaProblems(t *testing.T) {
	id := indicatorID
	sco := func(typ, uuid, props string) (string, string) {
		oid := typ + "--" + uuid
		return oid, `{"type":"` + typ + `","spec_version":"2.1","id":"` + oid + `",` + props + `}`
	}
	ipv4, ipv4Obj := sco("ipv4-addr", "efcd5e80-570d-4131-b213-62cb18eaa6a8", `"value":"198.51.100.300"`)
	mac, macObj := sco("mac-addr", "65cfcf98-8a6e-5a1b-8f61-379ac4f92d00", `"value":"D2:FB:49:24:37:18"`)
	url, urlObj := sco("url", "c1477287-23ac-5971-a010-5c287877fa60", `"value":"www.example.com/index.html"`)
	email, emailObj := sco("email-addr", "2d77a846-6264-5d51-b586-e43822ea1ea3", `"value":"john.doe at example.com"`)
	domain, domainObj := sco("domain-name", "3c10e93f-798e-5a26-a0c1-08156efab7f5", `"value":"www.exa mple.com"`)
	key, keyObj := sco("windows-registry-key", "2ba37ae7-2745-5082-9dfd-9486dad41016", `"key":"HKLM\\Software\\Acme"`)
	sw, swObj := sco("software", "a1827f6d-ca53-5605-9e93-4316cd22a00a", `"name":"Word","cpe":"cpe:/a:microsoft:word:2000"`)
	tests := []struct {
		name string
		obj  string
		want []wantProblem
	}{
		{name: "hash of the wrong length", obj: `{"type":"file","id":"` + fileID + `","hashes":{"MD5":"3773a88f65a5e780c8dff9cdc3a056"}}`,
			want: []wantProblem{{fileID, "hashes.MD5", `hashes.MD5 "3773a88f65a5e780c8dff9cdc3a056" does not match the pattern ^[a-fA-F0-9]{32}$`}}},
		{name: "hash in an external reference", obj: set(indicator, "external_references", `[{"source_name":"acme","url":"https://example.com/x.pdf","hashes":{"SHA-256":"6db12788c37247f2316052e142f42f4b"}}]`),
			want: []wantProblem{{id, "external_references[0].hashes.SHA-256", "does not match the pattern ^[a-fA-F0-9]{64}$"}}},
		{name: "CVE id of the wrong form", obj: set(indicator, "external_references", `[{"source_name":"cve","external_id":"CVE-16-1234"}]`),
			want: []wantProblem{{id, "external_references[0].external_id", `external_references[0].external_id "CVE-16-1234" does not match the pattern ^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$`}}},
		{name: "CAPEC reference without its id", obj: set(indicator, "external_references", `[{"source_name":"capec","url":"https://capec.mitre.org/data/definitions/98.html"}]`),
			want: []wantProblem{{id, "external_references[0].external_id", "external_id is required in external_references[0]"}}},
		{name: "external reference url not a URI", obj: set(indicator, "external_references", `[{"source_name":"acme","url":"reports/2016/apt.pdf"}]`),
			want: []wantProblem{{id, "external_references[0].url", `external_references[0].url "reports/2016/apt.pdf" is not an absolute URI (RFC 3986)`}}},
		// The schema's pattern for property names checks only their first
		// three characters (see additionalReason), so x_acme_Score passes.
		{name: "custom property name with upper case", obj: set(indicator, "x_Acme_score", `5`),
			want: []wantProblem{{id, "x_Acme_score", `property name "x_Acme_score" is not allowed: custom property names must start with a lower-case letter`}}},
		{name: "custom property null", obj: set(indicator, "x_acme_note", `null`),
			want: []wantProblem{{id, "x_acme_note", "x_acme_note must be a list, a string, true or false, a number or an object, not null"}}},
		{name: "nested property of the wrong type", obj: `{"type":"file","id":"` + fileID + `","name":"a.exe","extensions":{"windows-pebinary-ext":{"pe_type":1,"imphash":"1c5e6e4c1d3b9e8f"}}}`,
			want: []wantProblem{{fileID, "extensions.windows-pebinary-ext.pe_type", "extensions.windows-pebinary-ext.pe_type must be a string, not 1"}}},
		{name: "HTTP header values not lists", obj: `{"type":"network-traffic","id":"` + trafficID + `","dst_ref":"ipv4-addr--6da8dad3-4de3-5f8e-ab23-45d0b8f12f16","protocols":["tcp","http"],"extensions":{"http-request-ext":{"request_method":"get","request_value":"/","request_header":{"Host":"www.example.com"}}}}`,
			want: []wantProblem{{trafficID, "extensions.http-request-ext.request_header.Host", `extensions.http-request-ext.request_header.Host must be a list, not "www.example.com"`}}},
		{name: "active traffic with an end", obj: `{"type":"network-traffic","id":"` + trafficID + `","dst_ref":"ipv4-addr--6da8dad3-4de3-5f8e-ab23-45d0b8f12f16","protocols":["tcp"],"is_active":true,"end":"2016-01-01T00:00:00Z"}`,
			want: []wantProblem{{trafficID, "", "is_active must be false, not true; or end must not be present here"}}},
		{name: "IPv4 address out of range", obj: ipv4Obj,
			want: []wantProblem{{ipv4, "value", `value "198.51.100.300" is not an IPv4 address or CIDR block`}}},
		{name: "MAC address in upper case", obj: macObj,
			want: []wantProblem{{mac, "value", "is not a colon-delimited, lower-case MAC-48 address"}}},
		{name: "URL without a scheme", obj: urlObj,
			want: []wantProblem{{url, "value", `value "www.example.com/index.html" is not an absolute URI (RFC 3986): relative url`}}},
		{name: "e-mail address without @", obj: emailObj,
			want: []wantProblem{{email, "value", "is not an e-mail address (RFC 5322 addr-spec): missing @"}}},
		{name: "domain name with a space", obj: domainObj,
			want: []wantProblem{{domain, "value", `value "www.exa mple.com" is not a domain name: label "exa mple" has the character ' '`}}},
		{name: "registry key with an abbreviated hive", obj: keyObj,
			want: []wantProblem{{key, "key", "must begin with the hive in full, such as HKEY_LOCAL_MACHINE, not HKLM"}}},
		{name: "CPE 2.2 name", obj: swObj,
			want: []wantProblem{{sw, "cpe", `cpe "cpe:/a:microsoft:word:2000" is not a CPE 2.3 name`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBundle(bundleOf(tt.obj), Limits{})
			var e *mosaic.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want problems", err)
			}
			checkProblems(t, e.Problems, tt.want)
			// DecodeObject reports the same.
			_, probs := DecodeObject([]byte(tt.obj), Limits{})
			checkProblems(t, probs, tt.want)
		})
	}
}

// TestSchemaNoDuplicates has objects whose fault both the other checks
// and the schema find; it must be reported once, by the other checks.
func TestSchemaNoDuplicates(t *testing.T) {
	id := indicatorID
	tests := []struct {
		name string
		obj  string
		want []wantProblem
	}{
		{name: "pattern_type a number", obj: set(indicator, "pattern_type", `5`),
			want: []wantProblem{{id, "pattern_type", "pattern_type must be a string, not a number"}}},
		{name: "missing required", obj: set(indicator, "valid_from", ``),
			want: []wantProblem{{id, "valid_from", "valid_from is required in indicator objects"}}},
		{name: "reserved property", obj: set(indicator, "severity", `"high"`),
			want: []wantProblem{{id, "severity", "severity is a reserved property name"}}},
		{name: "UUID version 7", obj: set(indicator, "created_by_ref", `"identity--0190b4c4-17d4-7cbf-938f-98ee46b3cd3f"`),
			want: []wantProblem{{id, "created_by_ref", "the UUID has version 7; RFC 4122 UUIDs have versions 1 to 5"}}},
		{name: "malware family without a name", obj: `{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","is_family":true}`,
			want: []wantProblem{{"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", "name", "a malware family (is_family true) must have a name"}}},
		{name: "latitude without longitude", obj: `{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":48.8566}`,
			want: []wantProblem{{"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64", "latitude", "latitude and longitude must be given together"}}},
		{name: "granular marking with both", obj: set(indicator, "granular_markings", `[{"marking_ref":"`+tlpAmber1+`","lang":"en","selectors":["name"]}]`),
			want: []wantProblem{{id, "granular_markings[0]", "either marking_ref or lang, not both"}}},
		{name: "extension key", obj: set(indicator, "extensions", `{"acme":{"extension_type":"property-extension"}}`),
			want: []wantProblem{{id, "extensions", `extension key "acme" must be an extension-definition identifier`}}},
		{name: "external reference without source_name", obj: set(indicator, "external_references", `[{"url":5}]`),
			want: []wantProblem{
				{id, "external_references[0].source_name", "an external reference must have a source_name"},
				{id, "external_references[0].url", "url must be a string, not a number"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := DecodeObject([]byte(tt.obj), Limits{})
			checkProblems(t, probs, tt.want)
		})
	}
}

// TestSchemaCustomObjects checks which schema custom objects get, and
// that custom properties pass it while bad property names do not.
func TestSchemaCustomObjects(t *testing.T) {
	const ext = `"extensions":{"extension-definition--c5333451-c08c-4c48-be5e-9ad4c947776a":{"extension_type":"%s"}}`
	declared := func(kind string) string { return strings.Replace(ext, "%s", kind, 1) }
	sdo := `"spec_version":"2.1","created":"2021-10-20T15:05:19.273Z","modified":"2021-11-10T09:30:48.693Z"`
	tests := []struct {
		name, obj string
		core      string // "sdo" or "sco"
		want      []wantProblem
	}{
		{name: "ATT&CK tactic", core: "sdo",
			obj: `{"type":"x-mitre-tactic","id":"x-mitre-tactic--d108ce10-2419-4cf9-a774-46161d6c6cfe",` + sdo + `,"name":"Collection","x_mitre_shortname":"collection","x_mitre_domains":["enterprise-attack"],"x_mitre_deprecated":false}`},
		{name: "x- type without timestamps", core: "sco",
			obj: `{"type":"x-acme-beacon","id":"x-acme-beacon--9c2fa0ae-7abc-485a-97f6-699e3b6cf9fa","interval":60,"jitter_pct":5.5}`},
		{name: "new-sdo", core: "sdo",
			obj: `{"type":"acme-campaign-plan","id":"acme-campaign-plan--a5461d2e-7ba9-43ef-9b3e-11471d1ad8da",` + sdo + `,"stage":"draft",` + declared("new-sdo") + `}`},
		{name: "new-sro", core: "sdo",
			obj: `{"type":"acme-link","id":"acme-link--a5461d2e-7ba9-43ef-9b3e-11471d1ad8da",` + sdo + `,"from_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` + declared("new-sro") + `}`},
		{name: "new-sco", core: "sco",
			obj: `{"type":"acme-token","id":"acme-token--f9dbe89c-0030-4a9d-8b78-0dcd0a0de874","token_value":"x",` + declared("new-sco") + `}`},
		{name: "x- SDO with a bad property name", core: "sdo",
			obj:  `{"type":"x-mitre-tactic","id":"x-mitre-tactic--d108ce10-2419-4cf9-a774-46161d6c6cfe",` + sdo + `,"xMitreShortname":"collection"}`,
			want: []wantProblem{{"x-mitre-tactic--d108ce10-2419-4cf9-a774-46161d6c6cfe", "xMitreShortname", "custom property names must start with a lower-case letter"}}},
		{name: "new-sco with a bad property name", core: "sco",
			obj:  `{"type":"acme-token","id":"acme-token--f9dbe89c-0030-4a9d-8b78-0dcd0a0de874","Token":"x",` + declared("new-sco") + `}`,
			want: []wantProblem{{"acme-token--f9dbe89c-0030-4a9d-8b78-0dcd0a0de874", "Token", "custom property names must start with a lower-case letter"}}},
	}
	set := stixSchemas()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, probs := DecodeObject([]byte(tt.obj), Limits{})
			checkProblems(t, probs, tt.want)
			props := o.Props
			if props == nil {
				props = stdDecode(t, []byte(tt.obj))
			}
			c := checker{props: props}
			c.checkType()
			want := map[string]*stixSchema{"sdo": set.sdoCore, "sco": set.scoCore}[tt.core]
			if got := set.schema(&c); got != want {
				t.Errorf("validated against the wrong core schema (want %s)", tt.core)
			}
		})
	}
}

// TestAttackExcerpts decodes the MITRE ATT&CK excerpts (testdata/attack,
// see its README) without problems, and checks that they hold every type
// ATT&CK uses.
func TestAttackExcerpts(t *testing.T) {
	files, err := filepath.Glob("testdata/attack/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no excerpts: %v", err)
	}
	got := make(map[string]int)
	for _, f := range files {
		objs, err := DecodeBundle(readFile(t, f), DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, problemList(err))
		}
		for _, o := range objs {
			got[o.Type]++
		}
	}
	for _, typ := range []string{"attack-pattern", "campaign", "course-of-action", "identity", "intrusion-set",
		"malware", "marking-definition", "relationship", "tool", "x-mitre-analytic", "x-mitre-asset",
		"x-mitre-collection", "x-mitre-data-component", "x-mitre-data-source", "x-mitre-detection-strategy",
		"x-mitre-matrix", "x-mitre-tactic"} {
		if got[typ] == 0 {
			t.Errorf("no %s object in the excerpts", typ)
		}
	}
}

// corpus returns the objects of the test data, decoded as DecodeBundle
// does: the examples, the TLP markings and the ATT&CK excerpts.
func corpus(t testing.TB) []map[string]any {
	t.Helper()
	bodies := examples(t)
	attack, _ := filepath.Glob("testdata/attack/*.json")
	for _, f := range attack {
		bodies[f] = readFile(t, f)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range bodies {
			if !yield(k) {
				return
			}
		}
	})
	var out []map[string]any
	for _, name := range names {
		objs, err := DecodeBundle(bodies[name], DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, o := range objs {
			out = append(out, o.Props)
		}
	}
	return out
}

// schemaOf returns the schema an object's type gets, the SDO core for
// unknown types.
func schemaOf(props map[string]any) *stixSchema {
	c := checker{props: props}
	c.checkType()
	if s := stixSchemas().schema(&c); s != nil {
		return s
	}
	return stixSchemas().sdoCore
}

// agree checks that quickSchema and the library decide the same for v.
func agree(t testing.TB, s *stixSchema, v map[string]any) bool {
	t.Helper()
	quick := s.quick.valid(v)
	lib := s.lib.Validate(v) == nil
	if quick != lib {
		b, _ := json.Marshal(v)
		t.Errorf("quickSchema says valid=%v, the library valid=%v, for %s", quick, lib, b)
	}
	return quick == lib
}

// TestQuickSchemaAgrees compares quickSchema with the library on the
// objects of the test data and on variants of them: each property
// removed, or replaced by values of every JSON type, at the top and one
// level down. Most variants are invalid, which is the point: quickSchema
// must say so whenever the library does.
func TestQuickSchemaAgrees(t *testing.T) {
	values := []any{nil, true, false, json.Number("0"), json.Number("-1"), json.Number("101"), json.Number("1.5"),
		"", "x", "2016-01-01T00:00:00Z", "2016-01-01T00:00:00.000Z", indicatorID, "https://example.com/",
		[]any{}, []any{"a"}, []any{json.Number("1")}, map[string]any{}, map[string]any{"a": "b"}}
	var n, failed int
	try := func(s *stixSchema, v map[string]any) {
		n++
		if !agree(t, s, v) {
			failed++
		}
	}
	perType := make(map[string]int)
	for _, obj := range corpus(t) {
		s := schemaOf(obj)
		try(s, obj)
		// Variants of a few objects of each type are enough to cover the
		// schemas; all of them would take tens of seconds.
		typ, _ := obj["type"].(string)
		if perType[typ]++; perType[typ] > 2 {
			continue
		}
		for _, k := range slices.Sorted(mapKeys(obj)) {
			v := obj[k]
			try(s, with(obj, k, nil, true))
			for _, r := range values {
				try(s, with(obj, k, r, false))
			}
			switch v := v.(type) {
			case []any:
				for _, r := range values[:8] {
					l := slices.Clone(v)
					l[0] = r
					try(s, with(obj, k, l, false))
				}
			case map[string]any:
				for _, kk := range slices.Sorted(mapKeys(v)) {
					try(s, with(obj, k, with(v, kk, nil, true), false))
					for _, r := range values[:8] {
						try(s, with(obj, k, with(v, kk, r, false), false))
					}
				}
			}
		}
		for _, k := range []string{"x_acme", "Bad", "severity", "x_acme_bin", "x_acme_hex"} {
			for _, r := range values {
				try(s, with(obj, k, r, false))
			}
		}
		if failed > 20 {
			t.Fatal("too many disagreements")
		}
	}
	t.Logf("%d objects compared", n)
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// with returns a copy of m with key set to v, or removed.
func with(m map[string]any, key string, v any, remove bool) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, e := range m {
		c[k] = e
	}
	if remove {
		delete(c, key)
	} else {
		c[key] = v
	}
	return c
}

// FuzzQuickSchema compares quickSchema with the library on arbitrary
// objects, validated against the schema of their type.
func FuzzQuickSchema(f *testing.F) {
	for _, obj := range corpus(f) {
		b, _ := json.Marshal(obj)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v map[string]any
		if d.Decode(&v) != nil || v == nil {
			return
		}
		agree(t, schemaOf(v), v)
	})
}

// schemaPatterns returns every pattern of the embedded schemas, with the
// errata applied: pattern values and patternProperties keys.
func schemaPatterns(t testing.TB) []string {
	var found []string
	add := func(p string) {
		if !slices.Contains(found, p) {
			found = append(found, p)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if p, ok := v["pattern"].(string); ok {
				add(p)
			}
			if pp, ok := v["patternProperties"].(map[string]any); ok {
				for p := range pp {
					add(p)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	err := fs.WalkDir(schemaFS, "schemas", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		doc, err := schemaSource{}.Load(schemaBaseURL + strings.TrimPrefix(path, "schemas/"))
		walk(doc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found)
	return found
}

// regexpSamples are strings to match patterns against: the property names
// and string values of the test data, edge cases of the hand-written
// matchers, and random strings over the characters they care about.
func regexpSamples(t testing.TB) []string {
	out := []string{"", "a", "id", "xid", "ab", "abc", "a_bin", "ab_bin", "_bin", "Ab_bin", "a-b_bin", "a_hex", "x_acme",
		"X_acme", "x-acme", "a-", "a--b", "a-b-", "-a", "a-ext", "a--ext", "-ext", "ab-ext-ext", "x1-ext", "1a-ext",
		"extension-definition--c5333451-c08c-4c48-be5e-9ad4c947776a", "extension-definition--c5333451-c08c-6c48-be5e-9ad4c947776a",
		indicatorID, "a--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"a-b--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "ab---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "a1b--8E2E2D2B-17D4-4CBF-B38F-98EE46B3CD3F",
		"abc--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", "abc--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f", "abc-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"2016-04-29T14:09:00Z", "2016-04-29T14:09:00.000Z", "2016-04-29T14:09:00.1Z", "2016-04-29T14:09:00.Z",
		"2016-13-29T14:09:00Z", "2016-00-29T14:09:00Z", "2016-04-32T14:09:00Z", "2016-04-00T14:09:00Z", "2016-04-29T24:09:00Z",
		"2016-04-29T14:60:00Z", "2016-04-29T14:09:60Z", "2016-04-29T14:09:61Z", "2016-04-29t14:09:00Z", "2016-04-29T14:09:00",
		"2016-04-29T14:09:00.000+00:00", "x2016-04-29T14:09:00.000Z", "T14:09:00.000Z", "T14:09:00.00Z", "T14:09:00.0000Z",
		"2016-04-29T14:09:00.12a345Z", "T1:09:00.000Z", "...T14:09:00.123Z", "T14:09:00.123ZZ",
		"HKLM\\Software", "HKEY_LOCAL_MACHINE\\HKLM", "hku", "cve", "capec", "CVE-2016-1234", "CAPEC-98", "statement", "tlp",
		"MD5", "SHA-256", "éa_bin", "a\u00e9b"}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if len(v) <= 100 { // the long ones are descriptions and patterns
				out = append(out, v)
			}
		case map[string]any:
			for k, e := range v {
				out = append(out, k)
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, obj := range corpus(t) {
		walk(obj)
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"ab_-0Z", "abcdef0123456789-", "0123456789-T:.Z", "ab-ext", "xid_", "HKLMU\\"}
	for range 1500 {
		a := alphabets[r.IntN(len(alphabets))]
		b := make([]byte, r.IntN(45))
		for i := range b {
			b[i] = a[r.IntN(len(a))]
		}
		out = append(out, string(b))
	}
	// Near misses of long valid strings: one byte changed.
	for _, s := range []string{indicatorID, "2016-04-29T14:09:00.123Z", "extension-definition--c5333451-c08c-4c48-be5e-9ad4c947776a"} {
		for i := range len(s) {
			for _, c := range []byte("-0aA9.:TZ_g") {
				b := []byte(s)
				b[i] = c
				out = append(out, string(b))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSchemaRegexpEquivalence checks that the regular expression engine
// the schemas are compiled with matches what Go's regexp matches, for
// every pattern of the schemas it does not leave to regexp: the
// hand-written matchers and the literal ones.
func TestSchemaRegexpEquivalence(t *testing.T) {
	samples := regexpSamples(t)
	patterns := schemaPatterns(t)
	for _, p := range patterns {
		fast, err := schemaRegexp(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if _, ok := fast.(*regexp.Regexp); ok {
			continue // regexp itself
		}
		re := regexp.MustCompile(p)
		for _, s := range samples {
			if got, want := fast.MatchString(s), re.MatchString(s); got != want {
				t.Errorf("pattern %s, %q: matched %v, regexp says %v", p, s, got, want)
			}
		}
	}
	for p := range fastPatterns {
		if !slices.Contains(patterns, p) {
			t.Errorf("fastPatterns has %s, which no schema uses", p)
		}
	}
}

// FuzzSchemaRegexp compares the hand-written matchers with regexp.
func FuzzSchemaRegexp(f *testing.F) {
	for _, s := range regexpSamples(f)[:200] {
		f.Add(s)
	}
	type pair struct {
		fast func(string) bool
		re   *regexp.Regexp
	}
	var pairs []pair
	for p, m := range fastPatterns {
		pairs = append(pairs, pair{m, regexp.MustCompile(p)})
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range pairs {
			if got, want := p.fast(s), p.re.MatchString(s); got != want {
				t.Errorf("pattern %s, %q: matched %v, regexp says %v", p.re, s, got, want)
			}
		}
	})
}

func TestValidDomainName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"example.com", true}, {"example.com.", true}, {"_dmarc.example.com", true}, {"xn--bcher-kva.example", true},
		{"bücher.example", true}, {"a.b-c.d", true}, {strings.Repeat("a", 63) + ".com", true},
		{"", false}, {".", false}, {"a..b", false}, {"-a.com", false}, {"a-.com", false}, {"exa mple.com", false},
		{"a/b.com", false}, {"192.0.2.1", false}, {"2001:db8::1", false}, {strings.Repeat("a", 64) + ".com", false},
		{strings.Repeat("abcdefghi.", 26) + "com", false}, {"http://example.com", false},
	} {
		if err := validDomainName(tt.name); (err == nil) != tt.ok {
			t.Errorf("validDomainName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
