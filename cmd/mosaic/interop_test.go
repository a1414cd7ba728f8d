package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/api"
	"mosaic/config"
	"mosaic/misp"
	"mosaic/postgres/pgtest"
	"mosaic/stix"
)

// The interoperability proof (DESIGN issue 3 §8): every third-party STIX
// bundle and MISP event in the test data goes in through `mosaic import`,
// comes out again through `mosaic export` and GET /api/v1/objects/{id}
// ?versions=all, and must validate against the official STIX 2.1 schemas
// with ids, versions, markings and references unchanged. Sources and
// licences of the files: testdata/interop/README.md at the repository
// root.

// interopSTIX and interopMISP are the test files, relative to this
// package; the globs must each match something, so that a moved folder
// fails the test instead of shrinking it.
var (
	interopSTIX = []string{
		"../../stix/testdata/stix21-examples/*.json",
		"../../stix/testdata/tlp/*.json",
		"../../stix/testdata/attack/*.json",
		"../../testdata/interop/tlp/*.json",
	}
	interopMISP = []string{"../../misp/testdata/events/*.json"}
)

func globAll(t *testing.T, patterns []string) []string {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil || len(m) == 0 {
			t.Fatalf("no test files match %s (%v)", p, err)
		}
		files = append(files, m...)
	}
	return files
}

// interopServer starts a server on a fresh store (SQLite, or PostgreSQL
// when store is "postgres") with two partner organisations and an analyst
// in each, and returns the client environments of the two analysts.
func interopServer(t *testing.T, store string) (ncsc, police []string) {
	t.Helper()
	dir := t.TempDir()
	admin := []string{"MOSAIC_DATA=" + dir}
	var change []func(*config.Config)
	if store == "postgres" {
		dsn := pgtest.DSN(t)
		admin = append(admin, "MOSAIC_DB="+dsn)
		change = append(change, func(c *config.Config) { c.DB = dsn })
	}
	mustRun(t, admin, "", "org", "add", "ncsc", "--kind", "partner", "--legal-regime", "wbni")
	mustRun(t, admin, "", "user", "add", "analyst", "--org", "ncsc", "--role", "analyst")
	mustRun(t, admin, "", "org", "add", "police", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, admin, "", "user", "add", "detective", "--org", "police", "--role", "analyst")
	tok := strings.TrimSpace(mustRun(t, admin, "", "token", "create", "analyst"))
	tok2 := strings.TrimSpace(mustRun(t, admin, "", "token", "create", "detective"))
	// The test asks for every object's versions one by one, faster than
	// the default rate limit allows a user.
	change = append(change, func(c *config.Config) { c.RatePerSecond, c.RateBurst = 1e6, 1e6 })
	m := startServer(t, dir, change...)
	return []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tok}, []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tok2}
}

// version names one version of an object.
type version struct{ id, modified string }

func TestInterop(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { testInterop(t, store) })
	}
}

func testInterop(t *testing.T, store string) {
	env, police := interopServer(t, store)

	// What goes in: every object of every STIX file, and the STIX objects
	// package misp makes of every MISP event (the server converts with
	// the same function), keyed by version.
	want := map[version]map[string]any{}
	add := func(file string, objs []stix.Object) {
		for _, o := range objs {
			k := version{o.ID, o.ModifiedKey}
			if prev, ok := want[k]; ok && !cmp.Equal(prev, o.Props) {
				t.Fatalf("%s: %s version %s differs from the same version in another file", file, o.ID, o.Modified)
			}
			want[k] = o.Props
		}
	}
	for _, file := range globAll(t, interopSTIX) {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := stix.DecodeBundle(body, stix.DefaultLimits())
		if err != nil {
			t.Fatalf("%s does not decode: %v", file, err)
		}
		add(file, objs)
		out := mustRun(t, env, "", "import", file)
		if !strings.Contains(out, fmt.Sprintf("%s: %d objects in ", file, len(objs))) {
			t.Errorf("import %s: %s", file, out)
		}
	}
	type mispCheck struct {
		file  string
		uuids []string // attributes and objects of the event
		conv  *misp.Convert
	}
	var mispChecks []mispCheck
	for _, file := range globAll(t, interopMISP) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		conv, err := misp.ToSTIX(doc)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		objs, err := stix.DecodeBundle(bundleOf(conv.Objects), stix.DefaultLimits())
		if err != nil {
			t.Fatalf("%s: the conversion is no valid bundle: %v", file, err)
		}
		add(file, objs)
		out, errs, code := runCmd(t, env, "", "import", file)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("; %d parts not mapped to STIX", len(conv.Skipped))) {
			t.Fatalf("import %s: exit %d\n%s\n%s", file, code, out, errs)
		}
		// What was not mapped is listed, each part by name.
		for _, sk := range conv.Skipped {
			if !strings.Contains(errs, "not mapped: "+sk.What+": "+sk.Reason) {
				t.Errorf("%s: skipped part %q not listed:\n%s", file, sk.What, errs)
			}
		}
		mispChecks = append(mispChecks, mispCheck{file, eventParts(t, doc), conv})
	}

	// What comes out: the STIX export validates as a whole, against the
	// rules of STIX 2.1 and the official schemas, and holds the newest
	// version of every object.
	exported := filepath.Join(t.TempDir(), "export.json")
	if _, errs, code := runCmd(t, env, "", "export", "-o", exported); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	body, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	got, err := stix.DecodeBundle(body, stix.DefaultLimits())
	if err != nil {
		t.Fatalf("the export is no valid STIX 2.1 bundle: %v", err)
	}
	gotByID := map[string]stix.Object{}
	for _, o := range got {
		gotByID[o.ID] = o
	}
	newest := map[string]string{}
	for k := range want {
		if k.modified > newest[k.id] {
			newest[k.id] = k.modified
		}
	}
	for k, props := range want {
		if k.modified != newest[k.id] {
			continue
		}
		o, ok := gotByID[k.id]
		switch {
		case !ok && published[k.id]:
			// Checked below: in the export when something uses it.
		case !ok:
			t.Errorf("%s is not in the export", k.id)
		case o.ModifiedKey != k.modified:
			t.Errorf("%s: the export has version %s, want the newest, %s", k.id, o.Modified, k.modified)
		default:
			compareObject(t, "export", props, o)
		}
	}

	// Every marking an exported object names is in the export, with the
	// TLP 2.0 marking definitions Mosaic publishes itself instead of
	// storing them (identical to the imported ones, compared above).
	for _, o := range got {
		for _, ref := range markingRefs(o.Props) {
			if _, ok := stix.TLPFromMarking(ref); ok && !published[ref] {
				continue // TLP 1.0: predefined by STIX 2.1 §7.2.1.4, never sent
			}
			if _, ok := gotByID[ref]; !ok {
				t.Errorf("%s names marking %s, which is not in the export", o.ID, ref)
			}
		}
	}

	// Every version, through the API as `mosaic get --versions` asks.
	// The published TLP 2.0 marking definitions are nobody's contribution
	// and have none.
	c, err := newClient(clientEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]version{}
	for k := range want {
		byID[k.id] = append(byID[k.id], k)
	}
	versions := 0
	for id, ks := range byID {
		if published[id] {
			continue
		}
		var res api.ObjectVersions
		if err := c.do(context.Background(), "GET", "/api/v1/objects/"+url.PathEscape(id), url.Values{"versions": {"all"}}, nil, "", &res); err != nil {
			t.Errorf("get %s: %v", id, err)
			continue
		}
		seen := map[string]bool{}
		for _, v := range res.Versions {
			o, probs := stix.DecodeObject(v.Object, stix.DefaultLimits())
			if len(probs) > 0 {
				t.Errorf("%s: a stored version does not validate: %v", id, probs)
				continue
			}
			seen[o.ModifiedKey] = true
			if props, ok := want[version{id, o.ModifiedKey}]; ok {
				compareObject(t, "versions=all", props, o)
			}
		}
		for _, k := range ks {
			versions++
			if !seen[k.modified] {
				t.Errorf("%s: version %s is lost", id, k.modified)
			}
		}
	}

	// MISP: every attribute and object the conversion reports as mapped
	// reaches the export, and every other one is listed as skipped.
	for _, mc := range mispChecks {
		for _, u := range mc.uuids {
			ids := mc.conv.Mapped[u]
			if len(ids) == 0 && !slices.ContainsFunc(mc.conv.Skipped, func(s misp.Skip) bool { return strings.Contains(s.What, u) }) {
				t.Errorf("%s: %s is neither mapped nor listed as skipped", mc.file, u)
			}
			for _, id := range ids {
				if _, ok := gotByID[id]; !ok {
					t.Errorf("%s: %s was mapped to %s, which is not in the export", mc.file, u, id)
				}
			}
		}
	}

	// MISP in, STIX, MISP out: every mapped attribute of every event comes
	// back in the event of the same UUID, with its UUID, type, value and
	// TLP.
	mispOut := filepath.Join(t.TempDir(), "export-misp.json")
	_, errs, code := runCmd(t, env, "", "export", "--format", "misp", "-o", mispOut)
	if code != 0 {
		t.Fatalf("export --format misp: %s", errs)
	}
	doc, err := os.ReadFile(mispOut)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Response []struct{ Event mispEvent } }
	if err := json.Unmarshal(doc, &out); err != nil {
		t.Fatalf("the MISP export is not JSON: %v", err)
	}
	attrs := 0
	for _, mc := range mispChecks {
		in := readEvent(t, mc.file)
		var ev *mispEvent
		for i := range out.Response {
			if strings.EqualFold(out.Response[i].Event.UUID, in.UUID) {
				ev = &out.Response[i].Event
			}
		}
		if ev == nil {
			t.Errorf("%s: no event %s in the MISP export", mc.file, in.UUID)
			continue
		}
		for _, a := range in.Attribute {
			if len(mc.conv.Mapped[strings.ToLower(a.UUID)]) == 0 {
				continue
			}
			attrs++
			i := slices.IndexFunc(ev.Attribute, func(b mispAttribute) bool { return strings.EqualFold(a.UUID, b.UUID) })
			if i < 0 {
				t.Errorf("%s: attribute %s (%s %q) is not in the MISP export", mc.file, a.UUID, a.Type, a.Value)
				continue
			}
			b := ev.Attribute[i]
			if b.Type != a.Type || b.Value != a.Value || b.tlp(ev) != a.tlp(&in) {
				t.Errorf("%s: attribute %s went out as %s %q %s and came back as %s %q %s", mc.file, a.UUID, a.Type, a.Value, a.tlp(&in), b.Type, b.Value, b.tlp(ev))
			}
		}
		// Every mapped MISP object comes back as an object or, when its
		// indicator's pattern is one attribute's, as that attribute;
		// pe and pe-section objects folded into their file's extension
		// come back in the file.
		for _, o := range in.Object {
			u := strings.ToLower(o.UUID)
			ids := mc.conv.Mapped[u]
			if len(ids) == 0 || !strings.HasSuffix(ids[0], "--"+u) {
				continue
			}
			attrs++
			if !slices.ContainsFunc(ev.Object, func(x mispObject) bool { return strings.EqualFold(x.UUID, u) }) &&
				!slices.ContainsFunc(ev.Attribute, func(b mispAttribute) bool { return strings.EqualFold(b.UUID, u) }) {
				t.Errorf("%s: MISP object %s (%s) is not in the MISP export", mc.file, o.UUID, o.Name)
			}
		}
	}
	if !strings.Contains(errs, fmt.Sprintf("exported %d MISP events with ", len(out.Response))) || !strings.Contains(errs, "have no place in MISP event JSON and were left out") {
		t.Errorf("export --format misp summary:\n%s", errs)
	}
	// The MISP export imports again, event by event (by another
	// organisation, whose contribution it then is).
	outText, errs, code := runCmd(t, police, "", "import", mispOut)
	if code != 0 || strings.Count(outText, "MISP event:") != len(out.Response) {
		t.Errorf("import of the MISP export: exit %d\n%s\n%s", code, outText, errs)
	}
	t.Logf("%s: %d objects in %d versions imported and exported, %d MISP events with %d mapped attributes and objects exported again", store, len(byID), versions, len(mispChecks), attrs)
}

// clientEnv returns the client environment; the client reads only the
// variables it needs.
func clientEnv(environ []string) env { return env{environ: environ} }

// compareObject checks that an object came back as it went in: every
// property, including ids, timestamps, markings and references. The only
// difference allowed is the TLP marking Mosaic writes into an object that
// arrived without one.
func compareObject(t *testing.T, where string, in map[string]any, out stix.Object) {
	t.Helper()
	got := out.Props
	if !hasTLPMarking(in) {
		got = maps.Clone(got)
		refs, _ := got["object_marking_refs"].([]any)
		refs = slices.DeleteFunc(slices.Clone(refs), func(r any) bool { return r == stix.TLPMarkingID(out.TLP) })
		if _, had := in["object_marking_refs"]; len(refs) == 0 && !had {
			delete(got, "object_marking_refs")
		} else {
			got["object_marking_refs"] = refs
		}
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("%s: %s changed (-in +out):\n%s", where, out.ID, diff)
	}
}

// published are the ids of the TLP 2.0 marking definitions, which Mosaic
// publishes and writes into every export that uses them.
var published = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range mosaic.TLPLevels {
		m[stix.TLPMarkingID(t)] = true
	}
	return m
}()

// markingRefs returns the marking definitions an object names.
func markingRefs(o map[string]any) []string {
	refs, _ := o["object_marking_refs"].([]any)
	gm, _ := o["granular_markings"].([]any)
	for _, g := range gm {
		if m, ok := g.(map[string]any); ok && m["marking_ref"] != nil {
			refs = append(refs, m["marking_ref"])
		}
	}
	var out []string
	for _, r := range refs {
		if s, ok := r.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// hasTLPMarking reports whether an object names a TLP marking definition
// in object_marking_refs or granular_markings.
func hasTLPMarking(o map[string]any) bool {
	return slices.ContainsFunc(markingRefs(o), func(id string) bool {
		_, ok := stix.TLPFromMarking(id)
		return ok
	})
}

// eventParts returns the UUIDs of a MISP event's attributes and objects,
// lower case as ToSTIX writes them into STIX ids.
func eventParts(t *testing.T, doc []byte) []string {
	t.Helper()
	var wrapped struct{ Event json.RawMessage }
	if err := json.Unmarshal(doc, &wrapped); err != nil {
		t.Fatal(err)
	}
	if wrapped.Event != nil {
		doc = wrapped.Event
	}
	var ev struct {
		Attribute []struct{ UUID string }
		Object    []struct{ UUID string }
	}
	if err := json.Unmarshal(doc, &ev); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range ev.Attribute {
		out = append(out, strings.ToLower(a.UUID))
	}
	for _, o := range ev.Object {
		out = append(out, strings.ToLower(o.UUID))
	}
	return out
}

func bundleOf(objs []json.RawMessage) []byte {
	var b strings.Builder
	b.WriteString(`{"type":"bundle","id":"bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8","objects":[`)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

type mispEvent struct {
	UUID      string
	Tag       []struct{ Name string }
	Attribute []mispAttribute
	Object    []mispObject
}

type mispObject struct{ UUID, Name string }

type mispAttribute struct {
	UUID, Type, Value string
	Tag               []struct{ Name string }
}

// tlp is the TLP level an attribute is shared under: its own tlp:* tag,
// else its event's; tlp:white is TLP 2.0's clear.
func (a mispAttribute) tlp(ev *mispEvent) mosaic.TLP {
	for _, tags := range [][]struct{ Name string }{a.Tag, ev.Tag} {
		for _, tg := range tags {
			if l, ok := strings.CutPrefix(strings.ToLower(tg.Name), "tlp:"); ok {
				if l == "white" {
					l = "clear"
				}
				if t, err := mosaic.ParseTLP(l); err == nil {
					return t
				}
			}
		}
	}
	return ""
}

func readEvent(t *testing.T, file string) mispEvent {
	t.Helper()
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped struct{ Event json.RawMessage }
	if err := json.Unmarshal(doc, &wrapped); err != nil {
		t.Fatal(err)
	}
	if wrapped.Event != nil {
		doc = wrapped.Event
	}
	var ev mispEvent
	if err := json.Unmarshal(doc, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}
