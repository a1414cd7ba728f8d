package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/jcs"
	"mosaic/stix"
)

// TestRoundTrip: a third party's objects leave Mosaic exactly as they came
// in. Every public STIX bundle of the test data goes in through `mosaic
// import` as one organisation and out through `mosaic export` (the default
// STIX bundle); each object must be in the export byte for byte the same in
// RFC 8785 canonical JSON. An object that is not in the export at all must
// be one the export leaves out by design, each counted: an older version of
// an id whose newest version is there (the export holds the newest), or a
// TLP 2.0 marking definition no exported object uses (Mosaic writes those
// itself, when in use).
func TestRoundTrip(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { testRoundTrip(t, store) })
	}
}

// canonicalObject is one input object and its RFC 8785 form.
type canonicalObject struct {
	id, modified string // modified is the comparison key (stix.Object.ModifiedKey)
	canonical    string
}

func testRoundTrip(t *testing.T, store string) {
	env, _ := interopServer(t, store)
	var in []canonicalObject
	newest := map[string]string{}
	files := globAll(t, interopSTIX)
	for _, file := range files {
		for _, raw := range bundleObjects(t, file) {
			o, probs := stix.DecodeObject(raw, stix.DefaultLimits())
			if len(probs) > 0 {
				t.Fatalf("%s: %v", file, probs)
			}
			c, err := jcs.Canonical(raw)
			if err != nil {
				t.Fatalf("%s: %s: %v", file, o.ID, err)
			}
			in = append(in, canonicalObject{o.ID, o.ModifiedKey, string(c)})
			if o.ModifiedKey > newest[o.ID] {
				newest[o.ID] = o.ModifiedKey
			}
		}
		mustRun(t, env, "", "import", file)
	}
	exported := filepath.Join(t.TempDir(), "export.json")
	mustRun(t, env, "", "export", "-o", exported)
	out := map[string]map[string]bool{} // id → the canonical forms of its objects in the export
	for _, raw := range bundleObjects(t, exported) {
		c, err := jcs.Canonical(raw)
		if err != nil {
			t.Fatalf("the export holds an object with no canonical form: %v", err)
		}
		id := stix.ReadHead(raw).ID
		if out[id] == nil {
			out[id] = map[string]bool{}
		}
		out[id][string(c)] = true
	}

	var identical, older, unusedTLP, changed, missing int
	seen := map[canonicalObject]bool{}
	for _, o := range in {
		if seen[o] {
			continue // the same object in another file
		}
		seen[o] = true
		_, published := stix.TLPFromMarking(o.id)
		switch forms := out[o.id]; {
		case forms[o.canonical]:
			identical++
		case o.modified != newest[o.id] && len(forms) > 0:
			older++
		case published && len(forms) == 0:
			unusedTLP++
		case len(forms) > 0:
			changed++
			if changed <= 5 {
				t.Errorf("%s changed in the export:\nin:  %s", o.id, o.canonical)
				for f := range forms {
					t.Errorf("out: %s", f)
				}
			}
		default:
			missing++
			t.Errorf("%s (version %s) is not in the export", o.id, o.modified)
		}
	}
	if changed > 0 {
		t.Errorf("%d of %d objects changed in the export", changed, len(seen))
	}
	t.Logf("%s: %d objects in %d files, %d distinct: %d identical in the export, %d older versions of an exported id, %d unused TLP marking definitions, %d changed, %d missing",
		store, len(in), len(files), len(seen), identical, older, unusedTLP, changed, missing)
}

// bundleObjects returns the objects of a bundle file as written.
func bundleObjects(t *testing.T, file string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return bundle.Objects
}

// TestHandlingRoundTrip: the handling of a third party's objects survives
// `mosaic export --handling` and `mosaic import --handling` into another
// Mosaic, however the import cuts the file into batches, while the objects
// themselves leave and arrive unchanged.
func TestHandlingRoundTrip(t *testing.T) {
	from, _ := interopServer(t, "sqlite")
	files := globAll(t, []string{"../../stix/testdata/attack/*.json"})
	mustRun(t, from, "", append([]string{"import", "--audience", "cell", "--orcon=false", "--review-by", "2030-01-01"}, files...)...)
	dir := t.TempDir()
	objs, side := filepath.Join(dir, "objects.json"), filepath.Join(dir, "handling.json")
	mustRun(t, from, "", "export", "-o", objs, "--handling", side)
	for _, raw := range bundleObjects(t, objs) {
		if h := stix.ReadHead(raw); h.Type == stix.HandlingType {
			t.Fatalf("the export holds a handling object though they go to the side file")
		}
	}
	want := handlingOf(t, side)
	if len(want) < 200 {
		t.Fatalf("the side file names %d objects", len(want))
	}

	// Into another Mosaic, in batches that cut the handling objects'
	// groups: each batch carries the handling objects that name its
	// objects.
	to, _ := interopServer(t, "sqlite")
	out := mustRun(t, to, "", "import", "--batch", "7", "--handling", side, objs)
	if !strings.Contains(out, "handling objects") {
		t.Errorf("import: %s", out)
	}
	side2 := filepath.Join(dir, "handling2.json")
	mustRun(t, to, "", "export", "-o", filepath.Join(dir, "objects2.json"), "--handling", side2)
	got := handlingOf(t, side2)
	differ := 0
	for k, w := range want {
		if got[k] != w {
			differ++
			if differ <= 5 {
				t.Errorf("%s: handling %s, want %s", k, got[k], w)
			}
		}
	}
	if differ > 0 || len(got) != len(want) {
		t.Errorf("%d of %d objects differ in handling; %d named after, %d before", differ, len(want), len(got), len(want))
	}

	// Without the side file the objects get the importer's defaults: the
	// test above is not passing by accident.
	bare, _ := interopServer(t, "sqlite")
	mustRun(t, bare, "", "import", objs)
	side3 := filepath.Join(dir, "handling3.json")
	mustRun(t, bare, "", "export", "-o", filepath.Join(dir, "objects3.json"), "--handling", side3)
	same := 0
	for k, h := range handlingOf(t, side3) {
		if want[k] == h {
			same++
		}
	}
	if same == len(want) {
		t.Error("the handling is the same without the side file")
	}
}

// handlingOf reads a side file of handling objects and returns, for each
// version named, its handling as text.
func handlingOf(t *testing.T, file string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, raw := range bundleObjects(t, file) {
		var h struct {
			Type, TLP, Originator, LegalBasis, ReviewBy string
			Audience                                    []string
			ORCON                                       bool
			Names                                       []struct{ ID, Modified, Created string } `json:"object_versions"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		if h.Type != stix.HandlingType {
			continue
		}
		desc := fmt.Sprintf("%s %s %v orcon=%v %s %s", h.Originator, h.TLP, h.Audience, h.ORCON, h.LegalBasis, h.ReviewBy)
		for _, n := range h.Names {
			out[n.ID+" "+n.Modified+n.Created] = desc
		}
	}
	return out
}
