package stix

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic"
)

const (
	indicatorID = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	identityID  = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
	tlpAmber1   = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	tlpWhite1   = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
)

// indicator is a valid object to start test cases from.
const indicator = `{
	"type": "indicator",
	"spec_version": "2.1",
	"id": "` + indicatorID + `",
	"created_by_ref": "` + identityID + `",
	"created": "2016-04-29T14:09:00.000Z",
	"modified": "2016-04-29T14:09:00.000Z",
	"name": "Poison Ivy C2",
	"indicator_types": ["malicious-activity"],
	"pattern": "[ipv4-addr:value = '198.51.100.1']",
	"pattern_type": "stix",
	"valid_from": "2016-04-29T14:09:00.000Z"
}`

// set returns obj with key set to the raw JSON value, or removed when value
// is "". It goes through encoding/json, so keys come out sorted.
func set(obj, key, value string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		panic(err)
	}
	if value == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(value)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func bundleOf(objs ...string) []byte {
	return []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + strings.Join(objs, ",") + `]}`)
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func examples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/stix21-examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	tlp, _ := filepath.Glob("testdata/tlp/*.json")
	m := make(map[string][]byte)
	for _, f := range append(files, tlp...) {
		m[f] = readFile(t, f)
	}
	return m
}

// TestExamples decodes every STIX 2.1 example bundle, and checks that the
// decoder agrees with encoding/json: the same values, and a canonical form
// that is what json.Encoder (SetEscapeHTML(false)) writes for them.
func TestExamples(t *testing.T) {
	for name, body := range examples(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			objs, err := DecodeBundle(body, DefaultLimits())
			if err != nil {
				t.Fatalf("DecodeBundle: %v\n%s", err, problemList(err))
			}
			var b struct{ Objects []json.RawMessage }
			d := json.NewDecoder(bytes.NewReader(body))
			d.UseNumber()
			if err := d.Decode(&b); err != nil {
				t.Fatal(err)
			}
			if len(objs) != len(b.Objects) {
				t.Fatalf("got %d objects, the bundle has %d", len(objs), len(b.Objects))
			}
			for i, o := range objs {
				want := stdDecode(t, b.Objects[i])
				if diff := cmp.Diff(want, o.Props); diff != "" {
					t.Errorf("%s: Props differ from encoding/json (-want +got):\n%s", o.ID, diff)
				}
				if got, want := string(o.Canonical), stdEncode(t, want); got != want {
					t.Errorf("%s: Canonical\n got %s\nwant %s", o.ID, got, want)
				}
				if o.ID != want["id"] || o.Type != want["type"] {
					t.Errorf("%s: ID %q, Type %q", o.ID, o.ID, o.Type)
				}
			}
		})
	}
}

func stdDecode(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func stdEncode(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func problemList(err error) string {
	var e *mosaic.Error
	if !errors.As(err, &e) {
		return ""
	}
	var b strings.Builder
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\t%q %q %q\n", p.Object, p.Property, p.Reason)
	}
	return b.String()
}

func TestObjectFields(t *testing.T) {
	body := bundleOf(
		set(indicator, "valid_from", `"2016-04-29T14:09:00.000000Z"`),
		`{"type":"ipv4-addr","id":"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956","value":"198.51.100.3"}`,
		`{"type":"marking-definition","spec_version":"2.1","id":"`+tlpAmber1+`","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:AMBER","definition":{"tlp":"amber"}}`,
		set(set(indicator, "id", `"indicator--a932fcc6-e032-476c-826f-cb970a5a1ade"`), "modified", `"2017-01-27T13:49:53.9970Z"`),
	)
	objs, err := DecodeBundle(body, Limits{})
	if err != nil {
		t.Fatalf("%v\n%s", err, problemList(err))
	}
	type fields struct {
		ID, Type, SpecVersion, Created, Modified, CreatedKey, ModifiedKey string
	}
	var got []fields
	for _, o := range objs {
		got = append(got, fields{o.ID, o.Type, o.SpecVersion, o.Created, o.Modified, o.CreatedKey, o.ModifiedKey})
		if o.Hash != sha256Sum(o.Canonical) {
			t.Errorf("%s: Hash is not the SHA-256 of Canonical", o.ID)
		}
	}
	want := []fields{
		{indicatorID, "indicator", "2.1", "2016-04-29T14:09:00.000Z", "2016-04-29T14:09:00.000Z", "20160429140900", "20160429140900"},
		{"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956", "ipv4-addr", "", "", "", "", ""},
		{tlpAmber1, "marking-definition", "2.1", "2017-01-20T00:00:00.000Z", "", "20170120000000", "20170120000000"},
		{"indicator--a932fcc6-e032-476c-826f-cb970a5a1ade", "indicator", "2.1", "2016-04-29T14:09:00.000Z", "2017-01-27T13:49:53.9970Z", "20160429140900", "20170127134953997"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

// TestStringEscapes checks the canonical form of awkward strings against
// encoding/json.
func TestStringEscapes(t *testing.T) {
	for _, s := range []string{
		`plain`, `<script>&amp;</script>`, `\u2028\u2029`, `\u0000\u001f\u007f`, `\"\\\/`,
		`\b\f\n\r\t`, `é😀`, `\u00e9\ud83d\ude00`, `x\u000by`, "tab\u00a0nbsp", `€uro`,
		strings.Repeat(`abcdefgh`, 5) + `\n` + strings.Repeat(`é`, 9),
	} {
		t.Run(s, func(t *testing.T) {
			obj := set(indicator, "description", `"`+s+`"`)
			o, probs := DecodeObject([]byte(obj), Limits{})
			if len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			want := stdEncode(t, stdDecode(t, []byte(obj)))
			if string(o.Canonical) != want {
				t.Errorf("Canonical\n got %s\nwant %s", o.Canonical, want)
			}
		})
	}
}

// wantProblem matches a problem: Object and Property exactly, Reason as a
// substring.
type wantProblem struct{ Object, Property, Reason string }

func checkProblems(t *testing.T, got []mosaic.Problem, want []wantProblem) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Object == want[i].Object && got[i].Property == want[i].Property && strings.Contains(got[i].Reason, want[i].Reason)
	}
	if !ok {
		var b strings.Builder
		for _, p := range got {
			fmt.Fprintf(&b, "\t{%q, %q, %q},\n", p.Object, p.Property, p.Reason)
		}
		t.Errorf("problems:\n%swant:\n%v", b.String(), want)
	}
}

func deep(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

func TestDecodeBundleInvalid(t *testing.T) {
	id := indicatorID
	tests := []struct {
		name string
		body []byte
		lim  Limits
		code mosaic.Code
		want []wantProblem
	}{
		{name: "empty body", body: []byte(""),
			want: []wantProblem{{"", "", "malformed JSON at byte 0: expected a value (object, array, string, number, true, false or null), found end of input"}}},
		{name: "truncated", body: []byte(`{"type":"bundle",`),
			want: []wantProblem{{"", "", `malformed JSON at byte 17: expected '"' to begin an object key, found end of input`}}},
		{name: "trailing comma in an object", body: bundleOf(strings.Replace(indicator, `"valid_from"`, `"labels":["a",],"valid_from"`, 1)),
			want: []wantProblem{{"objects[0]", "labels[1]", "expected a value (object, array, string, number, true, false or null), found ']'"}}},
		{name: "missing comma", body: []byte(`{"type":"bundle" "id":"x"}`),
			want: []wantProblem{{"", "type", "malformed JSON at byte 17: expected ',' or '}' after an object member, found '\"'"}}},
		{name: "single quotes", body: []byte(`{'type':'bundle'}`),
			want: []wantProblem{{"", "", "expected '\"' to begin an object key, found '''"}}},
		{name: "data after the bundle", body: append(bundleOf(indicator), "{}"...),
			want: []wantProblem{{"", "", "expected end of input after the top-level value, found '{'"}}},
		{name: "bad number", body: bundleOf(strings.Replace(indicator, `"name"`, `"confidence": 01, "name"`, 1)),
			want: []wantProblem{{"objects[0]", "confidence", "expected ',' or '}' after an object member, found '1'"}}},
		{name: "control character", body: bundleOf(strings.Replace(indicator, "Poison Ivy", "Poison\tIvy", 1)),
			want: []wantProblem{{"objects[0]", "name", "control character U+0009 in a string: it must be escaped"}}},
		{name: "bad escape", body: bundleOf(strings.Replace(indicator, "Poison Ivy", `Poison\x41`, 1)),
			want: []wantProblem{{"objects[0]", "name", `invalid escape '\x' in a string`}}},
		{name: "bad unicode escape", body: bundleOf(strings.Replace(indicator, "Poison Ivy", `Poison\u12G4`, 1)),
			want: []wantProblem{{"objects[0]", "name", `expected four hexadecimal digits after \u`}}},
		{name: "lone high surrogate", body: bundleOf(strings.Replace(indicator, "Poison Ivy", `Poison\ud83d Ivy`, 1)),
			want: []wantProblem{{id, "name", `the string holds a lone surrogate \uD83D`}}},
		{name: "lone low surrogate", body: bundleOf(strings.Replace(indicator, "Poison Ivy", `\ude00`, 1)),
			want: []wantProblem{{id, "name", `lone surrogate \uDE00`}}},
		{name: "reversed surrogates", body: bundleOf(strings.Replace(indicator, "Poison Ivy", `\ude00\ud83d`, 1)),
			want: []wantProblem{{id, "name", `lone surrogate \uDE00`}}},
		{name: "invalid UTF-8", body: bundleOf(strings.Replace(indicator, "Poison Ivy", "Poison \xff Ivy", 1)),
			want: []wantProblem{{id, "name", "the string holds invalid UTF-8 (byte 0xff)"}}},
		{name: "UTF-8 encoded surrogate", body: bundleOf(strings.Replace(indicator, "Poison Ivy", "\xed\xa0\x80", 1)),
			want: []wantProblem{{id, "name", "invalid UTF-8 (byte 0xed)"}}},
		{name: "overlong UTF-8", body: bundleOf(strings.Replace(indicator, "Poison Ivy", "\xc0\xaf", 1)),
			want: []wantProblem{{id, "name", "invalid UTF-8 (byte 0xc0)"}}},
		{name: "10 MB string", body: bundleOf(set(indicator, "description", `"`+strings.Repeat("a", 10<<20)+`"`)),
			want: []wantProblem{
				{id, "description", "a string of 10485760 bytes is longer than the limit of 1048576 bytes"},
				{id, "", "bytes long, more than the limit of 4194304 bytes"},
			}},
		{name: "long escaped string", body: bundleOf(set(indicator, "description", `"`+strings.Repeat(`\u00e9`, 100)+`"`)), lim: Limits{MaxStringBytes: 199},
			want: []wantProblem{{id, "description", "a string of 200 bytes is longer than the limit of 199 bytes"}}},
		{name: "1000-deep nesting", body: bundleOf(set(indicator, "x_deep", deep(1000))),
			want: []wantProblem{{id, "x_deep" + strings.Repeat("[0]", 29), "the JSON nesting is deeper than the limit of 32 levels"}}},
		{name: "deep bundle property", body: []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","x_deep":` + deep(40) + `}`),
			want: []wantProblem{{"", "x_deep" + strings.Repeat("[0]", 31), "deeper than the limit of 32 levels"}}},
		{name: "duplicate key", body: bundleOf(strings.Replace(indicator, `"name"`, `"name": "first", "name"`, 1)),
			want: []wantProblem{{id, "", `duplicate key "name": a key may appear only once in an object`}}},
		{name: "duplicate key escaped", body: bundleOf(strings.Replace(indicator, `"name"`, `"name": "first", "n\u0061me"`, 1)),
			want: []wantProblem{{id, "", `duplicate key "name"`}}},
		{name: "duplicate id", body: bundleOf(strings.Replace(indicator, `"name"`, `"id": "`+id+`", "name"`, 1)),
			want: []wantProblem{{"objects[0]", "", `duplicate key "id"`}}},
		{name: "duplicate nested key", body: bundleOf(set(indicator, "external_references", `[{"source_name":"a","url":"https://a"},{"source_name":"a","url":"x","url":"y"}]`)),
			want: []wantProblem{{id, "external_references[1]", `duplicate key "url"`}}},
		{name: "duplicate key in many", body: bundleOf(set(indicator, "x_many", manyKeys(40, "k7"))),
			want: []wantProblem{{id, "x_many", `duplicate key "k7"`}}},
		{name: "duplicate bundle key", body: []byte(`{"type":"bundle","type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`),
			want: []wantProblem{{"", "", `duplicate key "type"`}}},
		{name: "same id and modified, different content", body: bundleOf(indicator, set(indicator, "name", `"Another name"`)),
			want: []wantProblem{{id, "modified", "objects[0] and objects[1] have the same id and modified timestamp but different content"}}},
		{name: "same SCO id, different content", body: bundleOf(
			`{"type":"ipv4-addr","id":"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956","value":"198.51.100.3"}`,
			`{"type":"ipv4-addr","id":"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956","value":"198.51.100.4"}`),
			want: []wantProblem{{"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956", "", "objects[0] and objects[1] have the same id but different content"}}},
		{name: "same object, different envelopes", body: bundleOf(
			set(indicator, "extensions", `{"`+ExtensionID+`":{"extension_type":"property-extension","orcon":true}}`),
			set(indicator, "extensions", `{"`+ExtensionID+`":{"extension_type":"property-extension","orcon":false}}`)),
			want: []wantProblem{{id, "extensions." + ExtensionID, "the same object with different Mosaic envelope extensions"}}},
		{name: "month 13", body: bundleOf(set(indicator, "created", `"2016-13-29T14:09:00.000Z"`)),
			want: []wantProblem{{id, "created", `created "2016-13-29T14:09:00.000Z" is not a STIX timestamp: month 13 is out of range`}}},
		{name: "February 30", body: bundleOf(set(indicator, "valid_from", `"2016-02-30T14:09:00Z"`)),
			want: []wantProblem{{id, "valid_from", "day 30 does not exist in February 2016"}}},
		{name: "year 0000", body: bundleOf(set(set(indicator, "created", `"0000-01-01T00:00:00.000Z"`), "modified", `"0000-01-01T00:00:00.000Z"`)),
			want: []wantProblem{{id, "created", "year 0000 is out of range"}, {id, "modified", "year 0000 is out of range"}}},
		{name: "timestamp with offset", body: bundleOf(set(indicator, "modified", `"2016-04-29T16:09:00.000+02:00"`)),
			want: []wantProblem{{id, "modified", "must be in UTC"}}},
		{name: "created without milliseconds", body: bundleOf(set(indicator, "created", `"2016-04-29T14:09:00Z"`)),
			want: []wantProblem{{id, "created", "must be precise to at least the millisecond"}}},
		{name: "timestamp as number", body: bundleOf(set(indicator, "valid_from", `1461938940`)),
			want: []wantProblem{{id, "valid_from", "valid_from must be a timestamp string, not a number"}}},
		{name: "modified before created", body: bundleOf(set(indicator, "modified", `"2016-04-29T14:08:59.999Z"`)),
			want: []wantProblem{{id, "modified", "modified (2016-04-29T14:08:59.999Z) is before created (2016-04-29T14:09:00.000Z)"}}},
		{name: "valid_until not after valid_from", body: bundleOf(set(indicator, "valid_until", `"2016-04-29T14:09:00Z"`)),
			want: []wantProblem{{id, "valid_until", "valid_until (2016-04-29T14:09:00Z) is not after valid_from"}}},
		{name: "wrong id prefix", body: bundleOf(set(indicator, "id", `"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`)),
			want: []wantProblem{{"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "id", `must start with the object's type "indicator" followed by "--"`}}},
		{name: "id without uuid", body: bundleOf(set(indicator, "id", `"indicator--1"`)),
			want: []wantProblem{{"objects[0]", "id", `id "indicator--1" is not a STIX identifier: expected the form "type--UUID"`}}},
		{name: "uuid not hexadecimal", body: bundleOf(set(indicator, "id", `"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g"`)),
			want: []wantProblem{{"objects[0]", "id", "with hexadecimal digits"}}},
		{name: "uuid of another variant", body: bundleOf(set(indicator, "id", `"indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f"`)),
			want: []wantProblem{{"objects[0]", "id", "not of the RFC 4122 variant"}}},
		{name: "nil uuid", body: bundleOf(set(indicator, "id", `"indicator--00000000-0000-0000-0000-000000000000"`)),
			want: []wantProblem{{"objects[0]", "id", "the UUID has version 0"}}},
		{name: "uuid version 9", body: bundleOf(set(indicator, "id", `"indicator--8e2e2d2b-17d4-9cbf-938f-98ee46b3cd3f"`)),
			want: []wantProblem{{"objects[0]", "id", "the UUID has version 9"}}},
		{name: "uuid without hyphens", body: bundleOf(set(indicator, "id", `"indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f0000"`)),
			want: []wantProblem{{"objects[0]", "id", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}}},
		{name: "id not a string", body: bundleOf(set(indicator, "id", `42`)),
			want: []wantProblem{{"objects[0]", "id", "id must be a string, not a number"}}},
		{name: "no id", body: bundleOf(set(indicator, "id", ``)),
			want: []wantProblem{{"objects[0]", "id", "id is required"}}},
		{name: "unknown type", body: bundleOf(set(set(indicator, "type", `"threat-intel"`), "id", `"threat-intel--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`)),
			want: []wantProblem{{"threat-intel--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "type", `type "threat-intel" is not a STIX 2.1 type: a custom type must start with "x-"`}}},
		{name: "type with upper case", body: bundleOf(set(indicator, "type", `"Indicator"`)),
			want: []wantProblem{{id, "type", "it must start with a lower-case letter"}}},
		{name: "type not a string", body: bundleOf(set(indicator, "type", `["indicator"]`)),
			want: []wantProblem{{id, "type", "type must be a string, not a list"}}},
		{name: "bundle in a bundle", body: bundleOf(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`),
			want: []wantProblem{{"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "type", "a bundle cannot be an element of another bundle's objects"}}},
		{name: "wrong types", body: bundleOf(set(set(set(set(indicator, "confidence", `"high"`), "labels", `"c2"`), "revoked", `"no"`), "name", `null`)),
			want: []wantProblem{
				{id, "confidence", "confidence must be an integer, not a string"},
				{id, "labels", "labels must be a list, not a string"},
				{id, "name", "name must be a string, not null"},
				{id, "revoked", "revoked must be true or false, not a string"},
			}},
		{name: "confidence out of range", body: bundleOf(set(indicator, "confidence", `101`)),
			want: []wantProblem{{id, "confidence", "confidence must be between 0 and 100, not 101"}}},
		{name: "integer too large", body: bundleOf(`{"type":"autonomous-system","id":"autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff","number":9007199254740992}`),
			want: []wantProblem{{"autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff", "number", "number 9007199254740992 is beyond the integers STIX allows"}}},
		{name: "integer far too large", body: bundleOf(`{"type":"autonomous-system","id":"autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff","number":1e300}`),
			want: []wantProblem{{"autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff", "number", "number 1e300 is beyond the integers STIX allows"}}},
		// The scanner refuses what no double holds before a rule sees it.
		{name: "integer beyond a double", body: bundleOf(`{"type":"autonomous-system","id":"autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff","number":1e400}`),
			want: []wantProblem{{"autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff", "number", "1e400 is beyond the range of an IEEE 754 double (I-JSON, RFC 7493 §2.2)"}}},
		{name: "confidence not an integer", body: bundleOf(set(indicator, "confidence", `50.5`)),
			want: []wantProblem{{id, "confidence", "confidence must be an integer, not 50.5"}}},
		{name: "label not a string", body: bundleOf(set(indicator, "labels", `["a", 1]`)),
			want: []wantProblem{{id, "labels[1]", "labels must hold strings only, not a number"}}},
		{name: "empty list", body: bundleOf(set(indicator, "indicator_types", `[]`)),
			want: []wantProblem{{id, "indicator_types", "indicator_types is an empty list: STIX prohibits empty lists"}}},
		{name: "empty custom list", body: bundleOf(set(indicator, "x_acme_tags", `[]`)),
			want: []wantProblem{{id, "x_acme_tags", "x_acme_tags is an empty list"}}},
		{name: "missing required", body: bundleOf(set(set(indicator, "pattern", ``), "spec_version", ``)),
			want: []wantProblem{{id, "spec_version", "spec_version is required in STIX Domain Objects"}, {id, "pattern", "pattern is required in indicator objects"}}},
		{name: "spec_version 2.0", body: bundleOf(set(indicator, "spec_version", `"2.0"`)),
			want: []wantProblem{{id, "spec_version", `spec_version must be "2.1", not "2.0"`}}},
		{name: "created_by_ref to a non-identity", body: bundleOf(set(indicator, "created_by_ref", `"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`)),
			want: []wantProblem{{id, "created_by_ref", "created_by_ref must refer to an identity, not malware"}}},
		{name: "bad references", body: bundleOf(set(set(indicator, "object_marking_refs", `["`+tlpAmber1+`", "identity--x"]`), "x_acme_source_ref", `"nope"`)),
			want: []wantProblem{
				{id, "object_marking_refs[1]", `object_marking_refs[1] "identity--x" is not a STIX identifier`},
			}},
		{name: "empty reference a type defines", body: bundleOf(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates","source_ref":"","target_ref":"malware--ae560258-a5cb-4be8-8f05-013d6712295f"}`),
			want: []wantProblem{{"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", "source_ref", `source_ref "" is not a STIX identifier`}}},
		{name: "external reference", body: bundleOf(set(indicator, "external_references", `[{"source_name":"capec","external_id":"CAPEC-98"},{"url":5},{"source_name":"x"}]`)),
			want: []wantProblem{
				{id, "external_references[1].source_name", "an external reference must have a source_name"},
				{id, "external_references[1].url", "url must be a string, not a number"},
				{id, "external_references[2]", "must have a description, url or external_id"},
			}},
		{name: "property names", body: bundleOf(set(set(set(indicator, "xy", `1`), "x-acme", `1`), "_acme", `1`)),
			want: []wantProblem{
				{id, "_acme", `property name "_acme" must start with a letter`},
				{id, "x-acme", `property name "x-acme" may only contain letters`},
				{id, "xy", `property name "xy" is shorter than 3 characters`},
			}},
		{name: "reserved property", body: bundleOf(set(indicator, "severity", `"high"`)),
			want: []wantProblem{{id, "severity", "severity is a reserved property name"}}},
		{name: "property of another category", body: bundleOf(set(indicator, "defanged", `true`)),
			want: []wantProblem{{id, "defanged", "defanged does not apply to STIX Domain Objects"}}},
		{name: "extension named -ext on an SDO", body: bundleOf(set(indicator, "extensions", `{"x-acme-ext":{"a_b":1}}`)),
			want: []wantProblem{{id, "extensions", `extension "x-acme-ext": extensions named with -ext exist only on STIX Cyber-observable Objects`}}},
		{name: "extension without extension_type", body: bundleOf(set(indicator, "extensions", `{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"rank":5}}`)),
			want: []wantProblem{{id, "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.extension_type", "must have an extension_type"}}},
		{name: "extension key", body: bundleOf(set(indicator, "extensions", `{"acme":{"extension_type":"property-extension"}}`)),
			want: []wantProblem{{id, "extensions", `extension key "acme" must be an extension-definition identifier`}}},
		{name: "empty extensions", body: bundleOf(set(indicator, "extensions", `{}`)),
			want: []wantProblem{{id, "extensions", "empty dictionary"}}},
		{name: "granular marking selector", body: bundleOf(set(indicator, "granular_markings", `[{"marking_ref":"`+tlpAmber1+`","selectors":["description","indicator_types.[1]","name.x"]},{"selectors":["name"]}]`)),
			want: []wantProblem{
				{id, "granular_markings[0].selectors[0]", `selector "description" selects "description", which the object does not have`},
				{id, "granular_markings[0].selectors[1]", "selects item 1 of a list of 1"},
				{id, "granular_markings[0].selectors[2]", "inside a value that is not an object"},
				{id, "granular_markings[1]", "must have either marking_ref or lang"},
			}},
		{name: "Mosaic extension", body: bundleOf(set(indicator, "extensions", `{"`+ExtensionID+`":{"extension_type":"property-extension","audience":["cell","compartment:x1"],"orcon":"yes","review_by":"2027-13-01","tlp":1,"owner":"me"}}`)),
			want: []wantProblem{
				{id, "extensions." + ExtensionID + ".audience", `audience "cell" cannot be combined with other audiences`},
				{id, "extensions." + ExtensionID + ".orcon", "orcon must be true or false, not a string"},
				{id, "extensions." + ExtensionID, `Mosaic's envelope extension has no property "owner"`},
				{id, "extensions." + ExtensionID + ".review_by", `date "2027-13-01" is not of the form YYYY-MM-DD`},
				{id, "extensions." + ExtensionID + ".tlp", "tlp must be a string, not a number"},
			}},
		{name: "Mosaic extension without extension_type", body: bundleOf(set(indicator, "extensions", `{"`+ExtensionID+`":{"orcon":true}}`)),
			want: []wantProblem{{id, "extensions." + ExtensionID + ".extension_type", "extension_type is required"}}},
		{name: "new TLP 1.0 marking", body: bundleOf(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd","created":"2016-08-01T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"white"}}`),
			want: []wantProblem{{"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd", "definition_type", "TLP 1.0 markings must be one of the four marking definitions"}}},
		{name: "TLP 1.0 marking with another level", body: bundleOf(`{"type":"marking-definition","spec_version":"2.1","id":"` + tlpWhite1 + `","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"red"}}`),
			want: []wantProblem{{tlpWhite1, "definition", `definition must be {"tlp": "white"}`}}},
		{name: "marking definition with modified", body: bundleOf(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd","created":"2016-08-01T00:00:00.000Z","modified":"2016-08-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright"}}`),
			want: []wantProblem{{"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd", "modified", "modified does not apply to marking-definition objects"}}},
		{name: "extension definition without creator", body: bundleOf(`{"id":"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62","type":"extension-definition","spec_version":"2.1","name":"New SDO 1","created":"2014-02-20T09:16:08.989000Z","modified":"2014-02-20T09:16:08.989000Z","schema":"https://www.example.com/schema-my-favorite-sdo-1/v1/","version":"1.2.1","extension_types":["new-sdo","new-thing"]}`),
			want: []wantProblem{
				{"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62", "extension_types[1]", `"new-thing" is not an extension type`},
				{"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62", "created_by_ref", "created_by_ref is required in extension-definition objects"},
			}},
		{name: "relationship rules", body: bundleOf(`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"Indicates","source_ref":"` + tlpAmber1 + `","start_time":"2016-04-06T20:06:37Z","stop_time":"2016-04-06T20:06:36Z"}`),
			want: []wantProblem{
				{"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", "relationship_type", `relationship_type "Indicates" may only contain lower-case letters`},
				{"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", "source_ref", "source_ref cannot refer to a marking-definition"},
				{"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", "stop_time", "stop_time (2016-04-06T20:06:36Z) is not after start_time"},
				{"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", "target_ref", "target_ref is required in relationship objects"},
			}},
		{name: "sighting count", body: bundleOf(`{"type":"sighting","spec_version":"2.1","id":"sighting--779c4ae8-e134-4180-baa4-03141095d971","created":"2017-02-28T19:37:11.213Z","modified":"2017-02-28T19:37:11.213Z","count":1000000000,"sighting_of_ref":"malware--ae560258-a5cb-4be8-8f05-013d6712295f","where_sighted_refs":["malware--ae560258-a5cb-4be8-8f05-013d6712295f"]}`),
			want: []wantProblem{
				{"sighting--779c4ae8-e134-4180-baa4-03141095d971", "count", "count must be between 0 and 999999999, not 1000000000"},
				{"sighting--779c4ae8-e134-4180-baa4-03141095d971", "where_sighted_refs[0]", "must refer to an identity or a location, not malware"},
			}},
		{name: "SCO rules", body: bundleOf(`{"type":"file","id":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d","size":-1,"labels":["x"],"modified":"2016-04-29T14:09:00.000Z","magic_number_hex":"FF"}`),
			want: []wantProblem{
				{"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d", "size", "size must be at least 0, not -1"},
				{"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d", "labels", "labels does not apply to STIX Cyber-observable Objects"},
				{"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d", "modified", "modified does not apply to STIX Cyber-observable Objects"},
				{"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d", "magic_number_hex", "lower-case hexadecimal digits"},
				{"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d", "name", "a file object needs hashes or name"},
			}},
		{name: "element not an object", body: []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + indicator + `,"indicator",[]]}`),
			want: []wantProblem{
				{"objects[1]", "", "every element of objects must be a STIX object"},
				{"objects[2]", "", "every element of objects must be a STIX object"},
			}},
		{name: "bundle not an object", body: []byte(`[` + indicator + `]`),
			want: []wantProblem{{"", "", "a STIX bundle must be a JSON object"}}},
		{name: "single object instead of a bundle", body: []byte(indicator),
			want: []wantProblem{
				{"", "type", `type must be "bundle": the body is a single indicator object, not a STIX bundle`},
				{"", "spec_version", "spec_version is a property of STIX 2.0 bundles"},
				{"", "id", `id "` + id + `" must start with "bundle--"`},
				{"", "created_by_ref", `"created_by_ref" is not a property of a STIX 2.1 bundle`},
				{"", "created", `"created" is not a property`},
				{"", "modified", `"modified" is not a property`},
				{"", "name", `"name" is not a property`},
				{"", "indicator_types", `"indicator_types" is not a property`},
				{"", "pattern", `"pattern" is not a property`},
				{"", "pattern_type", `"pattern_type" is not a property`},
				{"", "valid_from", `"valid_from" is not a property`},
			}},
		{name: "STIX 2.0 bundle", body: []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.0","objects":[` + set(indicator, "spec_version", "") + `]}`),
			want: []wantProblem{
				{"", "spec_version", "spec_version is a property of STIX 2.0 bundles: only STIX 2.1 bundles are accepted"},
				{id, "spec_version", "spec_version is required in STIX Domain Objects"},
			}},
		{name: "bundle without type and id", body: []byte(`{"objects":[` + indicator + `],"x_acme":1}`),
			want: []wantProblem{
				{"", "type", "type is required"},
				{"", "id", "id is required"},
			}},
		{name: "empty objects", body: []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}`),
			want: []wantProblem{{"", "objects", "objects is an empty list"}}},
		{name: "objects not a list", body: []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":{}}`),
			want: []wantProblem{{"", "objects", "objects must be a list of STIX objects, not an object"}}},
		{name: "too many objects", body: bundleOf(indicator, indicator, indicator), lim: Limits{MaxObjects: 2}, code: mosaic.CodeTooLarge,
			want: []wantProblem{{"", "objects", "the bundle has more than 2 objects, the most a bundle may hold"}}},
		{name: "object too large", body: bundleOf(indicator, set(indicator, "description", `"`+strings.Repeat("x", 600)+`"`)), lim: Limits{MaxObjectBytes: 1000},
			want: []wantProblem{{id, "", "more than the limit of 1000 bytes"}}},
		{name: "problems in input order", body: bundleOf(
			set(indicator, "confidence", `-1`),
			`{"type":"ipv4-addr","id":"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956","value":"198.51.100.3","defanged":"no"}`,
			strings.Replace(indicator, `"name"`, `"name": "a", "name"`, 1)),
			want: []wantProblem{
				{id, "confidence", "between 0 and 100"},
				{"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956", "defanged", "defanged must be true or false"},
				{id, "", `duplicate key "name"`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := DecodeBundle(tt.body, tt.lim)
			var e *mosaic.Error
			if !errors.As(err, &e) {
				t.Fatalf("DecodeBundle = %d objects, %v; want a *mosaic.Error", len(objs), err)
			}
			code := tt.code
			if code == "" {
				code = mosaic.CodeInvalid
			}
			if e.Code != code || objs != nil {
				t.Errorf("code %q, %d objects; want %q and none", e.Code, len(objs), code)
			}
			if !strings.Contains(e.Message, e.Problems[0].Reason) {
				t.Errorf("message %q does not name the first problem", e.Message)
			}
			checkProblems(t, e.Problems, tt.want)
		})
	}
}

func manyKeys(n int, dup string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	fmt.Fprintf(&b, `%q:0}`, dup)
	return b.String()
}

func TestDecodeBundleValid(t *testing.T) {
	tests := []struct {
		name string
		objs []string
	}{
		{name: "ATT&CK custom objects", objs: []string{
			`{"type":"x-mitre-tactic","spec_version":"2.1","id":"x-mitre-tactic--d108ce10-2419-4cf9-a774-46161d6c6cfe","created":"2018-10-17T00:14:20.652Z","modified":"2019-07-19T17:44:53.176Z","created_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5","name":"Collection","description":"The adversary is trying to gather data of interest to their goal.","x_mitre_shortname":"collection","external_references":[{"external_id":"TA0009","url":"https://attack.mitre.org/tactics/TA0009","source_name":"mitre-attack"}],"object_marking_refs":["marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"],"x_mitre_version":"1.0","x_mitre_attack_spec_version":"2.1.0","x_mitre_modified_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5","x_mitre_domains":["enterprise-attack"]}`,
			`{"type":"x-mitre-matrix","spec_version":"2.1","id":"x-mitre-matrix--eafc1b4c-5e56-4965-bd4e-66a6a89c88cc","created":"2018-10-17T00:14:20.652Z","modified":"2022-04-01T20:43:55.937Z","name":"Enterprise ATT&CK","description":"Below are the tactics and technique representing the MITRE ATT&CK Matrix for Enterprise.","tactic_refs":["x-mitre-tactic--d108ce10-2419-4cf9-a774-46161d6c6cfe"],"x_mitre_deprecated":false}`,
			`{"type":"x-mitre-data-component","spec_version":"2.1","id":"x-mitre-data-component--9c2fa0ae-7abc-485a-97f6-699e3b6cf9fa","created":"2021-10-20T15:05:19.273Z","modified":"2021-11-10T09:30:48.693Z","name":"Network Connection Creation","x_mitre_data_source_ref":"x-mitre-data-source--c000cd5c-bbb3-4606-af6f-6c6d9de0bbe3"}`,
			// ATT&CK 18.1 (ICS): a custom _ref property need not hold an
			// identifier (STIX 2.1 §3.1 ties the name to the value, not
			// the value to the name).
			`{"type":"x-mitre-data-component","spec_version":"2.1","id":"x-mitre-data-component--2b3bfe19-d59a-460d-93bb-2f546adc2d2c","created":"2021-10-20T15:05:19.273Z","modified":"2025-11-12T22:03:39.105Z","name":"File Creation","x_mitre_data_source_ref":""}`,
			set(set(indicator, "x_acme_source_ref", `"not an identifier"`), "x_acme_seen_refs", `["one", 2]`),
			`{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--01a5a209-b94c-450b-b7f9-946497d91055","created":"2017-05-31T21:30:19.735Z","modified":"2020-02-05T14:17:46.686Z","name":"Windows Management Instrumentation","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],"x_mitre_platforms":["Windows"],"x_mitre_is_subtechnique":false,"x_mitre_detection":"Monitor network traffic for WMI connections.","x_mitre_data_sources":["Process: Process Creation"],"x_mitre_permissions_required":["User","Administrator"],"x_mitre_contributors":["@ionstorm"],"revoked":false}`,
			`{"type":"x-mitre-collection","spec_version":"2.1","id":"x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019","created":"2018-01-17T12:56:55.080Z","modified":"2023-10-31T14:00:00.188Z","name":"Enterprise ATT&CK","x_mitre_version":"14.1","x_mitre_contents":[{"object_ref":"attack-pattern--01a5a209-b94c-450b-b7f9-946497d91055","object_modified":"2020-02-05T14:17:46.686Z"}]}`,
		}},
		{name: "custom types declared by extensions", objs: []string{
			`{"id":"extension-definition--c5333451-c08c-4c48-be5e-9ad4c947776a","type":"extension-definition","spec_version":"2.1","name":"Extension My Favorite SDO and Sub-Comp","created":"2014-02-20T09:16:08.989000Z","modified":"2014-02-20T09:16:08.989000Z","created_by_ref":"identity--c1694394-c150-4f80-a69a-59ca5e850df4","schema":"https://www.example.com/schema-newobj-subcomp/v1/schema.json","version":"1.2.1","extension_types":["new-sdo","new-sco","property-extension"]}`,
			`{"type":"my-favorite-sdo","spec_version":"2.1","id":"my-favorite-sdo--a5461d2e-7ba9-43ef-9b3e-11471d1ad8da","created":"2014-02-20T09:16:08.989000Z","modified":"2014-02-20T09:16:08.989000Z","name":"This is the name of my favorite","some_field":"value","extensions":{"extension-definition--c5333451-c08c-4c48-be5e-9ad4c947776a":{"extension_type":"new-sdo"}}}`,
			`{"type":"my-favorite-sco","spec_version":"2.1","id":"my-favorite-sco--f9dbe89c-0030-4a9d-8b78-0dcd0a0de874","name":"This is the name of my favorite SCO","some_network_protocol_field":"value","extensions":{"extension-definition--c5333451-c08c-4c48-be5e-9ad4c947776a":{"extension_type":"new-sco"}}}`,
			set(indicator, "extensions", `{"extension-definition--c5333451-c08c-4c48-be5e-9ad4c947776a":{"extension_type":"property-extension","rank":5,"toxicity":8}}`),
		}},
		{name: "top-level property extension", objs: []string{
			`{"id":"extension-definition--71736db5-10db-43d3-b0e3-65cf81601fe1","type":"extension-definition","spec_version":"2.1","name":"Extension Foo 1a","created":"2014-02-20T09:16:08.989000Z","modified":"2014-02-20T09:16:08.989000Z","created_by_ref":"identity--11b76a96-5d2b-45e0-8a5a-f6994f370731","schema":"https://www.example.com/schema-foo-1a/v1/","version":"1.2.1","extension_types":["toplevel-property-extension"],"extension_properties":["toxicity","rank"]}`,
			set(set(set(indicator, "rank", `1`), "toxicity", `2`), "extensions", `{"extension-definition--71736db5-10db-43d3-b0e3-65cf81601fe1":{"extension_type":"toplevel-property-extension"}}`),
		}},
		// request_header values are lists: STIX 2.1 §6.12.2 (HTTP Request
		// Extension) says "The corresponding value for each dictionary key
		// MUST always be a list of type string", and so does the schema.
		// The specification's own example, which this object was taken
		// from, has strings; that is an error in the example
		// (oasis-tcs/cti-stix2 issues 277 and 325).
		{name: "SCOs with extensions", objs: []string{
			`{"type":"file","spec_version":"2.1","id":"file--1b40e321-ae73-5637-bd97-33c35a86b80d","hashes":{"MD5":"3773a88f65a5e780c8dff9cdc3a056f3"},"size":25537,"extensions":{"ntfs-ext":{"sid":"1234567"}},"defanged":false}`,
			`{"type":"network-traffic","id":"network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2","dst_ref":"ipv4-addr--6da8dad3-4de3-5f8e-ab23-45d0b8f12f16","protocols":["tcp","http"],"dst_port":80,"extensions":{"http-request-ext":{"request_method":"get","request_value":"/download.html","request_header":{"Accept-Encoding":["gzip,deflate"],"Host":["www.example.com"]}}}}`,
			`{"type":"artifact","spec_version":"2.1","id":"artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641","mime_type":"application/zip","payload_bin":"UEsDBCB6aXAgYnl0ZXMgaGVyZQ=="}`,
		}},
		{name: "markings", objs: []string{
			`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}}`,
			`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd","created":"2016-08-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright 2019, Example Corp"},"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`,
			set(set(indicator, "granular_markings", `[{"lang":"de","selectors":["name"]},{"marking_ref":"`+tlpAmber1+`","selectors":["indicator_types.[0]","pattern"]}]`), "lang", `"en"`),
		}},
		{name: "all SDO types", objs: []string{
			`{"type":"campaign","spec_version":"2.1","id":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","name":"Green Group Attacks Against Finance","first_seen":"2016-01-01T00:00:00Z","last_seen":"2016-01-01T00:00:00Z"}`,
			`{"type":"grouping","spec_version":"2.1","id":"grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"The Black Vine Cyberespionage Group","context":"suspicious-activity","object_refs":["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2"]}`,
			`{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":48.8566,"longitude":2.3522,"precision":1000.0}`,
			`{"type":"malware-analysis","spec_version":"2.1","id":"malware-analysis--d25167b7-fed0-4068-9ccd-a73dd2c5b07c","created":"2016-11-11T10:00:00.000Z","modified":"2016-11-11T10:00:00.000Z","product":"microsoft","analysis_engine_version":"5.1.0","result":"malicious","sample_ref":"file--fb0419a8-f09c-57f8-be64-71a80417591c"}`,
			`{"type":"note","spec_version":"2.1","id":"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","content":"This note indicates the various steps taken by the threat analyst team to investigate this specific campaign.","authors":["John Doe"],"object_refs":["campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}`,
			`{"type":"opinion","spec_version":"2.1","id":"opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","opinion":"strongly-disagree","object_refs":["relationship--16d2358f-3b0d-4c88-b047-0da2f7ed4471"]}`,
			`{"type":"report","spec_version":"2.1","id":"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"The Black Vine Cyberespionage Group","published":"2016-01-20T17:00:00.000Z","report_types":["campaign"],"object_refs":["campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}`,
			`{"type":"vulnerability","spec_version":"2.1","id":"vulnerability--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"CVE-2016-1234","external_references":[{"source_name":"cve","external_id":"CVE-2016-1234"}]}`,
			`{"type":"language-content","spec_version":"2.1","id":"language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d","created":"2017-02-08T21:31:22.007Z","modified":"2017-02-08T21:31:22.007Z","object_ref":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","object_modified":"2016-04-06T20:03:00.000Z","contents":{"de":{"name":"Bank Angriff 1"},"fr":{"name":"Attaque Bank 1"}}}`,
		}},
		{name: "identical objects twice", objs: []string{indicator, set(indicator, "x_unused", "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := DecodeBundle(bundleOf(tt.objs...), Limits{})
			if err != nil {
				t.Fatalf("%v\n%s", err, problemList(err))
			}
			ids := make(map[string]bool)
			for _, o := range tt.objs {
				ids[stdDecode(t, []byte(o))["id"].(string)] = true
			}
			if len(objs) != len(ids) {
				t.Errorf("got %d objects, want %d", len(objs), len(ids))
			}
		})
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// TestCanonicalIdempotent decodes the canonical form of every example
// object again: it must come out the same, byte for byte.
func TestCanonicalIdempotent(t *testing.T) {
	for name, body := range examples(t) {
		objs, err := DecodeBundle(body, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, o := range objs {
			again, probs := DecodeObject(o.Canonical, Limits{})
			if len(probs) > 0 {
				t.Errorf("%s: %s: %v", name, o.ID, probs)
				continue
			}
			if !bytes.Equal(again.Canonical, o.Canonical) || again.Hash != o.Hash {
				t.Errorf("%s: %s: canonical form changed:\n%s\n%s", name, o.ID, o.Canonical, again.Canonical)
			}
			if diff := cmp.Diff(o, again); diff != "" {
				t.Errorf("%s: %s: (-first +again)\n%s", name, o.ID, diff)
			}
		}
	}
}

func TestDecodeObject(t *testing.T) {
	o, probs := DecodeObject([]byte("\n  "+indicator+"\n"), Limits{})
	if len(probs) > 0 || o.ID != indicatorID {
		t.Fatalf("DecodeObject = %q, %v", o.ID, probs)
	}
	tests := []struct {
		name string
		raw  string
		want []wantProblem
	}{
		{"malformed", `{"type":`, []wantProblem{{"", "type", "malformed JSON at byte 8: expected a value"}}},
		{"not an object", `["indicator"]`, []wantProblem{{"", "", "a STIX object must be a JSON object"}}},
		{"bad id", set(indicator, "id", `"indicator"`), []wantProblem{{"", "id", "not a STIX identifier"}}},
		{"duplicate key", strings.Replace(indicator, `"name"`, `"name":"a","name"`, 1), []wantProblem{{indicatorID, "", `duplicate key "name"`}}},
		{"problems", set(indicator, "valid_from", `"2016-02-30T00:00:00Z"`), []wantProblem{{indicatorID, "valid_from", "day 30 does not exist"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := DecodeObject([]byte(tt.raw), Limits{})
			checkProblems(t, probs, tt.want)
		})
	}
}

func TestTLP(t *testing.T) {
	green2 := TLPMarkingID(mosaic.TLPGreen)
	strict := TLPMarkingID(mosaic.TLPAmberStrict)
	red1 := "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
	statement := "marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd"
	tests := []struct {
		name     string
		refs     []string // object_marking_refs
		granular []string // granular marking_refs, each on the name
		want     mosaic.TLP
		wantHas  bool
	}{
		{name: "none"},
		{name: "statement only", refs: []string{statement}},
		{name: "TLP 2.0 green", refs: []string{green2}, want: mosaic.TLPGreen, wantHas: true},
		{name: "TLP 1.0 white is clear", refs: []string{tlpWhite1}, want: mosaic.TLPClear, wantHas: true},
		{name: "strictest of two", refs: []string{tlpAmber1, green2, statement}, want: mosaic.TLPAmber, wantHas: true},
		{name: "amber+strict over amber", refs: []string{tlpAmber1, strict}, want: mosaic.TLPAmberStrict, wantHas: true},
		{name: "granular red wins", refs: []string{green2}, granular: []string{red1}, want: mosaic.TLPRed, wantHas: true},
		{name: "granular only", granular: []string{tlpWhite1, tlpAmber1}, want: mosaic.TLPAmber, wantHas: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := indicator
			if len(tt.refs) > 0 {
				b, _ := json.Marshal(tt.refs)
				obj = set(obj, "object_marking_refs", string(b))
			}
			if len(tt.granular) > 0 {
				var gm []map[string]any
				for _, r := range tt.granular {
					gm = append(gm, map[string]any{"marking_ref": r, "selectors": []string{"name"}})
				}
				b, _ := json.Marshal(gm)
				obj = set(obj, "granular_markings", string(b))
			}
			o, probs := DecodeObject([]byte(obj), Limits{})
			if len(probs) > 0 {
				t.Fatal(probs)
			}
			if o.TLP != tt.want || o.HasTLP != tt.wantHas {
				t.Errorf("TLP %q, HasTLP %v; want %q, %v", o.TLP, o.HasTLP, tt.want, tt.wantHas)
			}
		})
	}
}

func TestTLPMarkings(t *testing.T) {
	for _, level := range mosaic.TLPLevels {
		t.Run(string(level), func(t *testing.T) {
			id := TLPMarkingID(level)
			if got, ok := TLPFromMarking(id); !ok || got != level {
				t.Errorf("TLPFromMarking(%s) = %q, %v", id, got, ok)
			}
			o, probs := DecodeObject(TLPMarkingDefinition(level), Limits{})
			if len(probs) > 0 {
				t.Fatal(probs)
			}
			ext, _ := o.Props["extensions"].(map[string]any)["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"].(map[string]any)
			if o.ID != id || o.Props["name"] != level.Label() || ext["tlp_2_0"] != string(level) {
				t.Errorf("marking definition of %s: %s", level, o.Canonical)
			}
		})
	}
	for id, want := range map[string]mosaic.TLP{
		tlpWhite1: mosaic.TLPClear,
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": mosaic.TLPGreen,
		tlpAmber1: mosaic.TLPAmber,
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": mosaic.TLPRed,
	} {
		if got, ok := TLPFromMarking(id); !ok || got != want {
			t.Errorf("TLPFromMarking(%s) = %q, %v; want %q", id, got, ok, want)
		}
	}
	// An official id with its UUID in upper case is the same id.
	if got, ok := TLPFromMarking("marking-definition--" + strings.ToUpper(strings.TrimPrefix(TLPMarkingID(mosaic.TLPRed), "marking-definition--"))); !ok || got != mosaic.TLPRed {
		t.Errorf("the TLP:RED id in upper case: %q, %v", got, ok)
	}
	if _, ok := TLPFromMarking("marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd"); ok {
		t.Error("a statement marking has a TLP")
	}
	if TLPMarkingID("white") != "" || TLPMarkingDefinition("white") != nil {
		t.Error("TLP 1.0 white has a TLP 2.0 marking")
	}
	// The caller owns what it gets.
	d := TLPMarkingDefinition(mosaic.TLPRed)
	d[0] = 'x'
	if TLPMarkingDefinition(mosaic.TLPRed)[0] != '{' {
		t.Error("TLPMarkingDefinition shares its slice")
	}
}

func TestWithEnvelope(t *testing.T) {
	envs := []mosaic.Envelope{
		{},
		{Originator: "acme", TLP: mosaic.TLPAmberStrict, Audience: mosaic.Audience{Cell: true}, ORCON: true, LegalBasis: "wiv2017", ReviewBy: "2027-06-30"},
		{Originator: "acme", TLP: mosaic.TLPGreen, Audience: mosaic.Audience{Compartments: []string{"alpha", "beta"}}},
	}
	var objs []Object
	for name, body := range examples(t) {
		got, err := DecodeBundle(body, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		objs = append(objs, got...)
	}
	o, probs := DecodeObject([]byte(set(indicator, "extensions", `{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"property-extension","rank":5}}`)), Limits{})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	objs = append(objs, o)
	for _, env := range envs {
		for _, o := range objs {
			withEnv, err := WithEnvelope(o.Canonical, env)
			if err != nil {
				t.Fatalf("%s: %v", o.ID, err)
			}
			back, probs := DecodeObject(withEnv, Limits{})
			if len(probs) > 0 {
				t.Fatalf("%s: %v\n%s", o.ID, probs, withEnv)
			}
			if !bytes.Equal(back.Canonical, o.Canonical) {
				t.Errorf("%s: round trip changed the object:\n%s\n%s", o.ID, o.Canonical, back.Canonical)
			}
			want := &EnvelopeExt{Audience: &env.Audience, ORCON: &env.ORCON}
			if env.Originator != "" {
				want.Originator = &env.Originator
			}
			if env.LegalBasis != "" {
				want.LegalBasis = &env.LegalBasis
			}
			if env.ReviewBy != "" {
				want.ReviewBy = &env.ReviewBy
			}
			if diff := cmp.Diff(want, back.Ext); diff != "" {
				t.Errorf("%s: Ext (-want +got):\n%s", o.ID, diff)
			}
			if again, _ := WithEnvelope(withEnv, env); !bytes.Equal(again, withEnv) {
				t.Errorf("%s: WithEnvelope twice differs", o.ID)
			}
		}
	}
	got, err := WithEnvelope([]byte(indicator), envs[1])
	if err != nil {
		t.Fatal(err)
	}
	ext := stdDecode(t, got)["extensions"].(map[string]any)[ExtensionID]
	want := map[string]any{"extension_type": "property-extension", "originator": "acme", "tlp": "amber+strict",
		"audience": []any{"cell"}, "orcon": true, "legal_basis": "wiv2017", "review_by": "2027-06-30"}
	if diff := cmp.Diff(want, ext); diff != "" {
		t.Errorf("extension (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`[]`, `{"a":`, `{"extensions":[]}`} {
		if _, err := WithEnvelope([]byte(bad), envs[0]); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
			t.Errorf("WithEnvelope(%s) = %v", bad, err)
		}
	}
}

func TestMetaObjects(t *testing.T) {
	body := bundleOf(string(Identity()), string(ExtensionDefinition()))
	objs, err := DecodeBundle(body, Limits{})
	if err != nil {
		t.Fatalf("%v\n%s", err, problemList(err))
	}
	if objs[0].ID != IdentityID || objs[1].ID != ExtensionID || objs[1].Props["created_by_ref"] != IdentityID ||
		objs[0].Props["identity_class"] != "system" || objs[1].Props["version"] != "1.0" {
		t.Errorf("unexpected objects:\n%s\n%s", objs[0].Canonical, objs[1].Canonical)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(objs[1].Props["schema"].(string)), &schema); err != nil {
		t.Errorf("schema is not JSON: %v", err)
	}
	if !bytes.Equal(objs[1].Canonical, ExtensionDefinition()) || !bytes.Equal(objs[0].Canonical, Identity()) {
		t.Error("the objects are not in canonical form")
	}
	// The extension can travel on Mosaic's own objects too.
	withEnv, err := WithEnvelope(ExtensionDefinition(), mosaic.Envelope{Audience: mosaic.Audience{Cell: true}})
	if err != nil {
		t.Fatal(err)
	}
	if o, probs := DecodeObject(withEnv, Limits{}); len(probs) > 0 || !bytes.Equal(o.Canonical, ExtensionDefinition()) {
		t.Errorf("round trip: %v", probs)
	}
}

// TestParallelDeterministic checks that output and problems do not depend
// on how many goroutines decode.
func TestParallelDeterministic(t *testing.T) {
	var all []string
	want := 0
	for i := range 2000 {
		o := strings.Replace(indicator, "8e2e2d2b", fmt.Sprintf("%08x", i), 1)
		bad := map[int]string{
			3:  `"confidence":"high",`,
			50: `"name":"a",`,
			70: `"x_deep":` + deep(40) + `,`,
		}[i%97]
		if bad != "" {
			o = strings.Replace(o, `"name"`, bad+`"name"`, 1)
			want++
		}
		all = append(all, o)
	}
	run := func(body []byte, procs int) ([]Object, error) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return DecodeBundle(body, Limits{})
	}
	body := bundleOf(all...)
	_, err1 := run(body, 1)
	_, err4 := run(body, 4)
	if err1 == nil || err4 == nil {
		t.Fatal("no problems found")
	}
	p1, p4 := err1.(*mosaic.Error).Problems, err4.(*mosaic.Error).Problems
	if diff := cmp.Diff(p1, p4); diff != "" {
		t.Errorf("problems differ (-1 +4):\n%s", diff)
	}
	if len(p1) != want {
		t.Errorf("%d problems, want %d", len(p1), want)
	}

	body = benchBundle(3000)
	a, errA := run(body, 1)
	b, errB := run(body, 4)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	type summary struct {
		ID, ModifiedKey string
		Hash            [32]byte
	}
	sum := func(objs []Object) []summary {
		s := make([]summary, len(objs))
		for i, o := range objs {
			s[i] = summary{o.ID, o.ModifiedKey, o.Hash}
		}
		return s
	}
	if diff := cmp.Diff(sum(a), sum(b)); diff != "" {
		t.Errorf("objects differ (-1 +4):\n%s", diff)
	}
}
