package misp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mosaic"
	"mosaic/stix"
)

type testEvent struct {
	UUID, Info string
	Tag        []testTag
	Attribute  []testAttr
	Object     []struct {
		UUID, Name      string
		Attribute       []testAttr
		ObjectReference []struct {
			ReferencedUUID   string `json:"referenced_uuid"`
			RelationshipType string `json:"relationship_type"`
		}
	}
	Galaxy []struct{ GalaxyCluster []struct{ Value string } }
}

type testAttr struct {
	UUID, Type, Value string
	ToIDs             bool `json:"to_ids"`
	Tag               []testTag
}

type testTag struct{ Name string }

// tlp is the TLP an attribute is shared under in ev: its own tlp:* tag,
// else the event's (tlp:white is TLP 2.0's clear).
func (a testAttr) tlp(ev testEvent) mosaic.TLP {
	for _, tags := range [][]testTag{a.Tag, ev.Tag} {
		for _, tg := range tags {
			if tlp, ok := tlpTags[strings.ToLower(tg.Name)]; ok {
				return tlp
			}
		}
	}
	return ""
}

// events runs Events and decodes its answer, checking that every event
// in it is one for IsEvent and ResponseEvents.
func events(t *testing.T, objs []json.RawMessage, tlp map[string]mosaic.TLP) ([]testEvent, []Skip) {
	t.Helper()
	doc, skips, err := Events(objs, tlp, "Mosaic export")
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := ResponseEvents(doc)
	if !ok {
		t.Fatalf("Events wrote no MISP response document:\n%s", doc)
	}
	var out []testEvent
	for _, r := range raw {
		var w struct{ Event testEvent }
		if err := json.Unmarshal(r, &w); err != nil {
			t.Fatal(err)
		}
		out = append(out, w.Event)
	}
	return out, skips
}

// TestEventsRoundTrip converts each test event to STIX and back: the event
// keeps its UUID, every attribute ToSTIX mapped comes back with its UUID,
// type, value and TLP, and every STIX object that did not become part of
// the event is listed as skipped.
func TestEventsRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/events/*.json")
	for _, file := range files {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var in struct{ Event testEvent }
		if err := json.Unmarshal(doc, &in); err != nil || in.Event.UUID == "" {
			json.Unmarshal(doc, &in.Event)
		}
		c, err := ToSTIX(doc)
		if err != nil {
			t.Fatal(err)
		}
		evs, skips := events(t, c.Objects, nil)
		if len(evs) != 1 || evs[0].UUID != strings.ToLower(in.Event.UUID) || evs[0].Info != in.Event.Info {
			t.Errorf("%s: %d events, want one with uuid %s", file, len(evs), in.Event.UUID)
			continue
		}
		ev := evs[0]
		for _, a := range in.Event.Attribute {
			if len(c.Mapped[strings.ToLower(a.UUID)]) == 0 {
				continue
			}
			i := slices.IndexFunc(ev.Attribute, func(b testAttr) bool { return b.UUID == strings.ToLower(a.UUID) })
			if i < 0 {
				t.Errorf("%s: attribute %s (%s) did not come back", file, a.UUID, a.Type)
				continue
			}
			if b := ev.Attribute[i]; b.Type != a.Type || b.Value != a.Value || b.ToIDs != a.ToIDs || b.tlp(ev) != a.tlp(in.Event) {
				t.Errorf("%s: %s %q to_ids %v %s came back as %s %q to_ids %v %s", file, a.Type, a.Value, a.ToIDs, a.tlp(in.Event), b.Type, b.Value, b.ToIDs, b.tlp(ev))
			}
		}
		ids := map[string]bool{}
		for _, o := range c.Objects {
			var h struct{ ID string }
			json.Unmarshal(o, &h)
			ids[h.ID] = true
		}
		for _, s := range skips {
			if !ids[s.What] || s.Reason == "" {
				t.Errorf("%s: skip %+v names no input object", file, s)
			}
		}
		t.Logf("%s: %d attributes, %d objects, %d STIX objects skipped", filepath.Base(file), len(ev.Attribute), len(ev.Object), len(skips))
	}
}

// TestEventsGroupingAndTLP checks an export of two reports and objects
// outside them: one event per report, one for the rest, a tlp:* tag on
// each attribute whose TLP differs from its event's, and the handling TLP
// winning over a weaker marking.
func TestEventsGroupingAndTLP(t *testing.T) {
	green, red := stix.TLPMarkingID(mosaic.TLPGreen), stix.TLPMarkingID(mosaic.TLPRed)
	ind := func(n, pat, marking string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--0000000` + n + `-0000-4000-8000-000000000000","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","pattern":"` + pat + `","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z","object_marking_refs":["` + marking + `"]}`
	}
	report := func(n, name string, refs ...string) string {
		return `{"type":"report","spec_version":"2.1","id":"report--0000000` + n + `-0000-4000-8000-000000000000","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"` + name + `","published":"2026-10-01T00:00:00.000Z","object_refs":["` + strings.Join(refs, `","`) + `"],"object_marking_refs":["` + green + `"]}`
	}
	id := func(typ, n string) string { return typ + "--0000000" + n + "-0000-4000-8000-000000000000" }
	objs := []json.RawMessage{
		json.RawMessage(report("a", "Marshlock", id("indicator", "1"), id("indicator", "2"), id("relationship", "5"))),
		json.RawMessage(ind("1", "[ipv4-addr:value = '198.51.100.7']", green)),
		json.RawMessage(ind("2", "[domain-name:value = 'evil.example']", red)),
		json.RawMessage(`{"type":"malware","spec_version":"2.1","id":"` + id("malware", "4") + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Marshlock","is_family":true,"object_marking_refs":["` + green + `"]}`),
		json.RawMessage(`{"type":"relationship","spec_version":"2.1","id":"` + id("relationship", "5") + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"` + id("indicator", "1") + `","target_ref":"` + id("malware", "4") + `","object_marking_refs":["` + green + `"]}`),
		json.RawMessage(report("b", "Glasshouse", id("indicator", "3"))),
		json.RawMessage(ind("3", "[url:value = 'https://evil.example/x']", green)),
		json.RawMessage(ind("6", "[file:hashes.MD5 = 'b2a5abfeef9e36964281a31e17b57c97']", green)),
		// Another organisation's contribution of the same id: the event
		// has the id, so it is not reported as left out.
		json.RawMessage(strings.Replace(ind("6", "[file:hashes.MD5 = 'b2a5abfeef9e36964281a31e17b57c97']", green), `"modified":"2026-10-01T00:00:00.000Z"`, `"modified":"2026-10-02T00:00:00.000Z"`, 1)),
		json.RawMessage(`{"type":"x-acme-thing","spec_version":"2.1","id":"` + id("x-acme-thing", "7") + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"no MISP place"}`),
	}
	// Mosaic handles indicator 3 under amber, though it is marked green.
	evs, skips := events(t, objs, map[string]mosaic.TLP{id("indicator", "3"): mosaic.TLPAmber})
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3 (two reports and the rest)", len(evs))
	}
	info := func(ev testEvent) string { return ev.Info }
	tags := func(ts []testTag) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	a, b, rest := evs[0], evs[1], evs[2]
	if info(a) != "Marshlock" || info(b) != "Glasshouse" || info(rest) != "Mosaic export" {
		t.Errorf("events %q, %q, %q", info(a), info(b), info(rest))
	}
	// The event takes the strictest TLP; the green attribute says it is
	// green and carries the malware it indicates.
	if !slices.Contains(tags(a.Tag), "tlp:red") || len(a.Attribute) != 2 {
		t.Fatalf("first event: tags %v, %d attributes", tags(a.Tag), len(a.Attribute))
	}
	for _, at := range a.Attribute {
		switch at.Value {
		case "198.51.100.7":
			if got := tags(at.Tag); !slices.Equal(got, []string{"tlp:green", `misp-galaxy:mitre-malware="Marshlock"`}) {
				t.Errorf("green attribute tags %v", got)
			}
		case "evil.example":
			if len(at.Tag) != 0 {
				t.Errorf("red attribute in a red event has tags %v", tags(at.Tag))
			}
		}
	}
	if !slices.Contains(tags(b.Tag), "tlp:amber") || len(b.Attribute) != 1 || b.Attribute[0].Type != "url" {
		t.Errorf("second event: tags %v, attributes %+v", tags(b.Tag), b.Attribute)
	}
	if len(rest.Attribute) != 1 || rest.Attribute[0].Type != "md5" || !rest.Attribute[0].ToIDs {
		t.Errorf("rest: attributes %+v", rest.Attribute)
	}
	if len(skips) != 1 || skips[0].What != id("x-acme-thing", "7") {
		t.Errorf("skips %+v, want the custom object only", skips)
	}
}

// TestEventsObjectReferences checks that the observed-data of a MISP
// object becomes that object again, with its references.
func TestEventsObjectReferences(t *testing.T) {
	ev := map[string]any{"uuid": "5c066053-0e94-46eb-9746-4b7d950d210f", "info": "objects", "timestamp": "1603642920",
		"Tag": []any{map[string]any{"name": "tlp:green"}},
		"Object": []any{
			map[string]any{"uuid": "7f58ce95-cc60-466d-b405-d47226c5f0bf", "name": "file", "meta-category": "file", "timestamp": "1603642920",
				"Attribute": []any{
					map[string]any{"uuid": "1f58ce95-cc60-466d-b405-d47226c5f0bf", "type": "filename", "object_relation": "filename", "value": "a.exe", "timestamp": "1603642920"},
					map[string]any{"uuid": "2f58ce95-cc60-466d-b405-d47226c5f0bf", "type": "md5", "object_relation": "md5", "value": "b2a5abfeef9e36964281a31e17b57c97", "timestamp": "1603642920"},
				},
				"ObjectReference": []any{map[string]any{"uuid": "3f58ce95-cc60-466d-b405-d47226c5f0bf", "referenced_uuid": "8f58ce95-cc60-466d-b405-d47226c5f0bf", "relationship_type": "drops"}}},
			map[string]any{"uuid": "8f58ce95-cc60-466d-b405-d47226c5f0bf", "name": "file", "meta-category": "file", "timestamp": "1603642920",
				"Attribute": []any{
					map[string]any{"uuid": "9f58ce95-cc60-466d-b405-d47226c5f0bf", "type": "filename", "object_relation": "filename", "value": "b.dll", "timestamp": "1603642920"},
				}},
		}}
	doc, _ := json.Marshal(map[string]any{"Event": ev})
	c, err := ToSTIX(doc)
	if err != nil {
		t.Fatal(err)
	}
	evs, skips := events(t, c.Objects, nil)
	if len(evs) != 1 || len(evs[0].Object) != 2 || len(skips) != 0 {
		t.Fatalf("events %+v, skips %+v", evs, skips)
	}
	o := evs[0].Object[0]
	var values []string
	for _, a := range o.Attribute {
		values = append(values, a.Type+"="+a.Value)
	}
	if o.UUID != "7f58ce95-cc60-466d-b405-d47226c5f0bf" || o.Name != "file" || !slices.Equal(values, []string{"filename=a.exe", "md5=b2a5abfeef9e36964281a31e17b57c97"}) {
		t.Errorf("object %s %s with %v", o.UUID, o.Name, values)
	}
	if len(o.ObjectReference) != 1 || o.ObjectReference[0].ReferencedUUID != "8f58ce95-cc60-466d-b405-d47226c5f0bf" || o.ObjectReference[0].RelationshipType != "drops" {
		t.Errorf("references %+v", o.ObjectReference)
	}
}

func TestResponseEvents(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want int
	}{
		{`{"response":[{"Event":{"info":"a"}},{"info":"b","Attribute":[]}]}`, 2},
		{`{"response":[]}`, 0},
		{`{"response":[{"type":"bundle"}]}`, -1},
		{`{"Event":{"info":"a"}}`, -1},
		{`[1]`, -1},
	} {
		evs, ok := ResponseEvents([]byte(tc.doc))
		if (tc.want < 0) == ok || (ok && len(evs) != tc.want) {
			t.Errorf("%s: %d events, %v", tc.doc, len(evs), ok)
		}
	}
}

// TestSampleRoundTrip converts attachment and malware-sample attributes
// with their content, with and without to_ids, to STIX and back: type,
// value, to_ids and content survive.
func TestSampleRoundTrip(t *testing.T) {
	data := "UEsDBAoAAAAAAA=="
	for _, tc := range []struct{ typ, value string }{
		{"attachment", "report.pdf"},
		{"malware-sample", "evil.exe|b2a5abfeef9e36964281a31e17b57c97"},
	} {
		for _, toIDs := range []bool{false, true} {
			c := oneAttribute(t, tc.typ, tc.value, toIDs, map[string]any{"data": data})
			if len(c.Skipped) > 0 {
				t.Fatalf("%s: skipped %+v", tc.typ, c.Skipped)
			}
			doc, skips, err := FromSTIX(c.Objects, "")
			if err != nil {
				t.Fatal(err)
			}
			var ev struct {
				Event struct {
					Attribute []struct {
						Type, Value, Data string
						ToIDs             bool `json:"to_ids"`
					}
				}
			}
			if err := json.Unmarshal(doc, &ev); err != nil {
				t.Fatal(err)
			}
			if len(skips) > 0 || len(ev.Event.Attribute) != 1 {
				t.Fatalf("%s to_ids %v: skips %+v, event %s", tc.typ, toIDs, skips, doc)
			}
			if a := ev.Event.Attribute[0]; a.Type != tc.typ || a.Value != tc.value || a.ToIDs != toIDs || a.Data != data {
				t.Errorf("%s %q to_ids %v came back as %+v", tc.typ, tc.value, toIDs, a)
			}
		}
	}
}
