package misp

import (
	"os"
	"path/filepath"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"mosaic/stix"
)

// mixedTLPEvent (testdata/mixed-tlp.json) is a red event with an amber
// attribute, an untagged one, an object whose attributes are all amber and
// one with an amber and an untagged attribute.
var mixedTLPEvent = func() string {
	b, err := os.ReadFile(filepath.Join("testdata", "mixed-tlp.json"))
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestAttributeTLPWins checks that an attribute's own tlp tag decides its
// TLP, looser or stricter than its event's, and that one without takes
// the event's; a MISP object is one STIX object, under the strictest of
// its attributes' TLPs.
func TestAttributeTLPWins(t *testing.T) {
	c, err := ToSTIX([]byte(mixedTLPEvent))
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, c.Objects)
	want := map[string]string{
		"indicator--7cae5f30-9d4f-4ebc-a081-3f4d5e6f7081":     "amber",
		"observed-data--7cae5f30-9d4f-4ebc-a081-3f4d5e6f7081": "amber",
		"domain-name--7cae5f30-9d4f-4ebc-a081-3f4d5e6f7081":   "amber",
		"observed-data--8dbf6041-ae50-4fcd-b192-405e6f708192": "red",
		"observed-data--9ec07152-bf61-40de-83a3-516f708192a3": "amber",
		"file--9ec07152-bf61-40de-83a3-516f708192a3":          "amber",
		"indicator--9ec07152-bf61-40de-83a3-516f708192a3":     "amber",
		"observed-data--c1f3a485-e294-4312-b6d6-849203c4d5e6": "red",
		"report--5a8c3f1e-7b2d-4c9a-8e6f-1d2b3c4d5e6f":        "red",
	}
	marking := map[string]string{}
	for _, tlp := range []string{"amber", "red"} {
		marking[tlpMarking(t, tlp)] = tlp
	}
	objs := byID(t, c.Objects)
	for id, tlp := range want {
		o, ok := objs[id]
		if !ok {
			t.Errorf("%s is missing; skipped: %+v", id, c.Skipped)
			continue
		}
		refs, _ := o["object_marking_refs"].([]any)
		if len(refs) != 1 || marking[refs[0].(string)] != tlp {
			t.Errorf("%s is marked %v, want TLP:%s", id, refs, tlp)
		}
	}

	// Stricter than the event: the attribute's own tag still decides.
	stricter := []byte(`{"uuid": "5a8c3f1e-7b2d-4c9a-8e6f-1d2b3c4d5e6f", "info": "x", "timestamp": "1790812800", "Tag": [{"name": "tlp:green"}],
	  "Attribute": [{"uuid": "7cae5f30-9d4f-4ebc-a081-3f4d5e6f7081", "type": "domain", "value": "red.example", "timestamp": "1790812800", "Tag": [{"name": "tlp:red"}]}]}`)
	c, err = ToSTIX(stricter)
	if err != nil {
		t.Fatal(err)
	}
	objs = byID(t, c.Objects)
	if refs, _ := objs["observed-data--7cae5f30-9d4f-4ebc-a081-3f4d5e6f7081"]["object_marking_refs"].([]any); len(refs) != 1 || refs[0] != tlpMarking(t, "red") {
		t.Errorf("a red attribute in a green event is marked %v", refs)
	}
}

func tlpMarking(t *testing.T, level string) string {
	t.Helper()
	tlp, ok := tlpTags["tlp:"+level]
	if !ok {
		t.Fatalf("no TLP %s", level)
	}
	return stix.TLPMarkingID(tlp)
}

// TestReimport exports what ToSTIX made of each test event (and of the
// mixed TLP event) as MISP, with the TLP of each object's marking as its
// handling, and converts the export again: every STIX object comes back
// identical, so importing Mosaic's own MISP export changes nothing.
func TestReimport(t *testing.T) {
	files, _ := filepath.Glob("testdata/events/*.json")
	docs := map[string][]byte{"mixed TLP": []byte(mixedTLPEvent),
		"empty": []byte(`{"Event": {"uuid": "6b9d4e2f-8c3e-4dab-9f70-2e3c4d5e6f70", "info": "empty", "timestamp": "1790812800"}}`)}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = doc
	}
	for name, doc := range docs {
		c, err := ToSTIX(doc)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := events(t, c.Objects, nil)
		if len(evs) != 1 {
			t.Errorf("%s: %d events in the export, want 1", name, len(evs))
			continue
		}
		out, _, err := Events(c.Objects, nil, "Mosaic export")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := ResponseEvents(out)
		again, err := ToSTIX(raw[0])
		if err != nil {
			t.Fatal(err)
		}
		before, after := byID(t, c.Objects), byID(t, again.Objects)
		for id, o := range after {
			prev, ok := before[id]
			if !ok {
				t.Errorf("%s: the export imports as %s, which the event did not have", name, id)
				continue
			}
			if diff := gocmp.Diff(prev, o); diff != "" {
				t.Errorf("%s: %s changed (-first +again):\n%s", name, id, diff)
			}
		}
	}
}
