package stix

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"mosaic"
)

var handled = []mosaic.StoredObject{
	{Object: json.RawMessage(indicator)},
	{Object: json.RawMessage(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`)},
	{Object: TLPMarkingDefinition(mosaic.TLPGreen)},
}

func handlingEnvelope() mosaic.Envelope {
	return mosaic.Envelope{Originator: "ncsc", TLP: mosaic.TLPRed, Audience: mosaic.Audience{Compartments: []string{"op-a", "op-b"}},
		ORCON: true, LegalBasis: "wbni", ReviewBy: "2027-06-01", Added: time.Date(2026, 12, 1, 10, 0, 0, 123456000, time.UTC)}
}

func withEnvelopes(env mosaic.Envelope, objs []mosaic.StoredObject) []mosaic.StoredObject {
	out := make([]mosaic.StoredObject, len(objs))
	for i, o := range objs {
		out[i] = mosaic.StoredObject{Object: o.Object, Envelope: env}
	}
	return out
}

// TestHandlingObject: what a handling object says is what Mosaic reads
// back from it, it is valid STIX and valid against its own schema, and it
// depends on its content alone.
func TestHandlingObject(t *testing.T) {
	env := handlingEnvelope()
	objs := withEnvelopes(env, handled)
	objs[1].Envelope.Added = env.Added.Add(time.Hour) // the latest added
	raw := HandlingObject(objs)

	o, probs := DecodeObject(raw, DefaultLimits())
	if len(probs) > 0 {
		t.Fatalf("%v\n%s", probs, raw)
	}
	if o.Type != HandlingType || o.Handling == nil || !strings.HasPrefix(o.ID, HandlingType+"--") || o.ID[len(HandlingType)+16] != '5' {
		t.Fatalf("not a handling object with a version-5 UUID: %s", raw)
	}
	var want []Version
	for _, s := range handled {
		so, probs := DecodeObject(s.Object, DefaultLimits())
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		want = append(want, so.Version())
	}
	if diff := cmp.Diff(want, o.Handling.Names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	str := func(s string) *string { return &s }
	orcon := true
	wantExt := EnvelopeExt{Originator: str("ncsc"), Audience: &env.Audience, ORCON: &orcon, LegalBasis: str("wbni"), ReviewBy: str("2027-06-01")}
	if !o.Handling.Envelope.Equal(&wantExt) || o.Handling.TLP != mosaic.TLPRed {
		t.Errorf("handling %+v, TLP %s", o.Handling.Envelope, o.Handling.TLP)
	}
	// Marked as the records are, and created when the last of them was
	// added.
	if !o.HasTLP || o.TLP != mosaic.TLPRed || o.Created != "2026-12-01T11:00:00.123456Z" || o.Modified != o.Created {
		t.Errorf("TLP %s (%v), created %s, modified %s", o.TLP, o.HasTLP, o.Created, o.Modified)
	}

	// Its schema, the extension definition's normative text, accepts it.
	c := jsonschema.NewCompiler()
	schema, err := jsonschema.UnmarshalJSON(strings.NewReader(handlingSchema))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("handling.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("handling.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the handling object does not fit its schema: %v", err)
	}
	if _, probs := DecodeObject(HandlingExtensionDefinition(), DefaultLimits()); len(probs) > 0 {
		t.Errorf("the extension definition: %v", probs)
	}

	// The same records give the same object; any other handling, or
	// another audience as a viewer may see it, another id.
	if again := HandlingObject(withEnvelopes(env, handled)); !bytes.Equal(HandlingObject(objs), raw) || bytes.Equal(again, raw) {
		t.Errorf("the handling object does not depend on its content alone")
	}
	other := env
	other.Audience = mosaic.Audience{Compartments: []string{"op-a"}}
	if o2, _ := DecodeObject(HandlingObject(withEnvelopes(other, handled)), DefaultLimits()); o2.ID == o.ID {
		t.Errorf("two audiences, one id %s", o.ID)
	}
}

// TestHandlingRefused: a handling object that does not say clearly what it
// means is refused, naming the property.
func TestHandlingRefused(t *testing.T) {
	good := string(HandlingObject(withEnvelopes(handlingEnvelope(), handled[:1])))
	var m map[string]any
	if err := json.Unmarshal([]byte(good), &m); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, prop string
		change     func(m map[string]any)
	}{
		{"unknown property", "x_note", func(m map[string]any) { m["x_note"] = "hi" }},
		{"TLP in capitals", "tlp", func(m map[string]any) { m["tlp"] = "RED" }},
		{"no names", "object_versions", func(m map[string]any) { delete(m, "object_versions") }},
		{"an empty list", "object_versions", func(m map[string]any) { m["object_versions"] = []any{} }},
		{"both timestamps", "object_versions[0]", func(m map[string]any) {
			m["object_versions"] = []any{map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "modified": "2016-04-06T20:03:48.000Z", "created": "2016-04-06T20:03:48.000Z"}}
		}},
		{"not an id", "object_versions[0].id", func(m map[string]any) { m["object_versions"] = []any{map[string]any{"id": "x"}} }},
		{"a version that is no timestamp", "object_versions[0].modified", func(m map[string]any) {
			m["object_versions"] = []any{map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "modified": "yesterday"}}
		}},
		{"another key", "object_versions[0]", func(m map[string]any) {
			m["object_versions"] = []any{map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "version": "1"}}
		}},
		{"too many names", "object_versions", func(m map[string]any) {
			var l []any
			for range MaxHandlingNames + 1 {
				l = append(l, map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})
			}
			m["object_versions"] = l
		}},
		{"undeclared", "extensions", func(m map[string]any) { delete(m, "extensions") }},
		{"declared otherwise", "extensions", func(m map[string]any) {
			m["extensions"] = map[string]any{HandlingExtensionID: map[string]any{"extension_type": "new-sdo", "x": 1}}
		}},
		{"an audience that is none", "audience", func(m map[string]any) { m["audience"] = []any{"everyone"} }},
		{"a review date that is none", "review_by", func(m map[string]any) { m["review_by"] = "soon" }},
		{"an envelope extension of its own", "extensions." + ExtensionID, func(m map[string]any) {
			m["extensions"].(map[string]any)[ExtensionID] = map[string]any{"extension_type": "property-extension"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c map[string]any
			_ = json.Unmarshal([]byte(good), &c)
			tc.change(c)
			raw, _ := json.Marshal(c)
			_, probs := DecodeObject(raw, DefaultLimits())
			found := false
			for _, p := range probs {
				found = found || p.Property == tc.prop
			}
			if !found {
				t.Errorf("problems %v, want one about %s", probs, tc.prop)
			}
		})
	}
}

// An SCO's deterministic id (STIX 2.1 §2.9): the UUID that Python's
// uuid.uuid5 gives for the STIX namespace and '{"value":"198.51.100.3"}',
// as the OASIS stix2 library computes it.
func TestSCOID(t *testing.T) {
	if got := SCOID("ipv4-addr", map[string]any{"value": "198.51.100.3"}); got != "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4" {
		t.Errorf("SCOID = %s", got)
	}
}

func TestDefinedProperty(t *testing.T) {
	for _, tc := range []struct {
		typ, prop string
		want      bool
	}{
		{"indicator", "pattern", true}, {"indicator", "labels", true}, {"indicator", "x_case", false},
		{"indicator", "case_ref", false}, {"domain-name", "value", true}, {"domain-name", "created", false},
		{"domain-name", "defanged", true}, {"x-thing", "labels", true}, {"x-thing", "name", false},
	} {
		if got := DefinedProperty(tc.typ, tc.prop); got != tc.want {
			t.Errorf("DefinedProperty(%s, %s) = %v", tc.typ, tc.prop, got)
		}
	}
	if !IsTimestampProperty("valid_from") || !IsTimestampProperty("modified") || IsTimestampProperty("name") {
		t.Error("IsTimestampProperty")
	}
}
