package misp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/pattern"
	"mosaic/stix"
)

// bundle wraps objects in a STIX bundle, as an importer sends them.
func bundle(t testing.TB, objs []json.RawMessage) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + uuid5("test bundle"), "objects": objs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkValid fails unless every object is valid alone, every STIX pattern
// parses, and the objects make a valid bundle.
func checkValid(t testing.TB, objs []json.RawMessage) {
	t.Helper()
	for _, raw := range objs {
		o, probs := stix.DecodeObject(raw, stix.DefaultLimits())
		if len(probs) > 0 {
			t.Fatalf("invalid object %s: %v", raw, probs)
		}
		if o.Type == "indicator" && o.Props["pattern_type"] == "stix" {
			if _, err := pattern.Parse(o.Props["pattern"].(string)); err != nil {
				t.Fatalf("invalid pattern in %s: %v", raw, err)
			}
		}
	}
	if _, err := stix.DecodeBundle(bundle(t, objs), stix.DefaultLimits()); err != nil {
		t.Fatalf("objects do not make a valid bundle: %v", err)
	}
}

// parts counts, from the raw JSON and apart from the converter, the parts
// of an event that must each be mapped or skipped: attributes, objects,
// object references, galaxy clusters and sightings.
func parts(t *testing.T, doc []byte) (n int, attrs, objs []string) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatal(err)
	}
	raw := doc
	if e, ok := top["Event"]; ok {
		raw = e
	}
	var ev struct {
		Attribute []map[string]any
		Object    []struct {
			UUID            string
			Attribute       []map[string]any
			ObjectReference []any
		}
		Galaxy []struct{ GalaxyCluster []any }
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	countAttr := func(a map[string]any) {
		s, _ := a["Sighting"].([]any)
		n += len(s)
		g, _ := a["Galaxy"].([]any)
		for _, x := range g {
			cl, _ := x.(map[string]any)["GalaxyCluster"].([]any)
			n += len(cl)
		}
	}
	for _, a := range ev.Attribute {
		n++
		attrs = append(attrs, a["uuid"].(string))
		countAttr(a)
	}
	for _, o := range ev.Object {
		n += 1 + len(o.ObjectReference)
		objs = append(objs, o.UUID)
		for _, a := range o.Attribute {
			countAttr(a)
		}
	}
	for _, g := range ev.Galaxy {
		n += len(g.GalaxyCluster)
	}
	return n, attrs, objs
}

// TestEvents converts every test event and checks that the result is
// valid STIX and that every part of the event is either mapped or
// reported as skipped.
func TestEvents(t *testing.T) {
	files, err := filepath.Glob("testdata/events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatal("no test events", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !IsEvent(doc) {
				t.Fatal("IsEvent = false")
			}
			c, err := ToSTIX(doc)
			if err != nil {
				t.Fatal(err)
			}
			checkValid(t, c.Objects)
			n, attrs, objs := parts(t, doc)
			if got := c.mapped + len(c.Skipped) - c.dropped; got != n {
				t.Errorf("mapped %d + skipped %d - attributes left out of converted objects %d = %d, want the %d parts of the event", c.mapped, len(c.Skipped), c.dropped, got, n)
			}
			ids := map[string]bool{}
			var report map[string]any
			for _, raw := range c.Objects {
				var o map[string]any
				json.Unmarshal(raw, &o)
				id := o["id"].(string)
				ids[id[strings.Index(id, "--")+2:]] = true
				if o["type"] == "report" {
					report = o
				}
				if refs, _ := o["object_marking_refs"].([]any); len(refs) != 1 || refs[0] != "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487" {
					t.Errorf("%s: object_marking_refs = %v, want TLP:CLEAR (tlp:white)", id, o["object_marking_refs"])
				}
			}
			if report == nil {
				t.Fatal("no report")
			}
			skipped := func(u string) bool {
				for _, s := range c.Skipped {
					if strings.Contains(s.What, u) && !strings.HasPrefix(s.What, "reference") && !strings.HasPrefix(s.What, "sighting") && !strings.Contains(s.What, ") of object ") {
						return true
					}
				}
				return false
			}
			for _, u := range append(attrs, objs...) {
				if ids[u] == skipped(u) && !(skipped(u) == false && folded(doc, u)) {
					t.Errorf("%s: in the output %v, reported as skipped %v: want exactly one", u, ids[u], skipped(u))
				}
			}
			for _, s := range c.Skipped {
				if s.What == "" || s.Reason == "" {
					t.Errorf("skip without what or why: %+v", s)
				}
			}
			t.Logf("%d objects, %d parts mapped, %d skipped", len(c.Objects), c.mapped, len(c.Skipped))
			for _, s := range c.Skipped {
				t.Logf("skipped %s: %s", s.What, s.Reason)
			}
		})
	}
}

// folded reports whether u is a pe or pe-section object, which goes into
// its file's STIX object.
func folded(doc []byte, u string) bool {
	i := bytes.Index(doc, []byte(`"`+u+`"`))
	if i < 0 {
		return false
	}
	var ev event
	raw, _ := unwrap(doc)
	json.Unmarshal(raw, &ev)
	for _, o := range ev.Object {
		if string(o.UUID) == u {
			return o.Name == "pe" || o.Name == "pe-section"
		}
	}
	return false
}
