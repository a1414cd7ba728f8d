package misp

import (
	"encoding/json"
	goflag "flag"
	"fmt"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// mispDefinitions is what MISP itself says a valid event holds: PyMISP's
// describeTypes.json and the misp-objects templates of
// testdata/misp-definitions (see its README.md).
type mispDefinitions struct {
	categories map[string]bool
	types      map[string]bool
	pairs      map[string]map[string]bool // category -> the types it allows
	templates  map[string]*objectTemplate
}

type objectTemplate struct {
	Name          string   `json:"name"`
	MetaCategory  string   `json:"meta-category"`
	Required      []string `json:"required"`
	RequiredOneOf []string `json:"requiredOneOf"`
	Attributes    map[string]struct {
		MispAttribute string   `json:"misp-attribute"`
		Multiple      bool     `json:"multiple"`
		Categories    []string `json:"categories"`
	} `json:"attributes"`
}

func loadMispDefinitions(t testing.TB) *mispDefinitions {
	t.Helper()
	b, err := os.ReadFile("testdata/misp-definitions/describeTypes.json")
	if err != nil {
		t.Fatal(err)
	}
	var dt struct {
		Result struct {
			Types                []string            `json:"types"`
			Categories           []string            `json:"categories"`
			CategoryTypeMappings map[string][]string `json:"category_type_mappings"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &dt); err != nil {
		t.Fatal(err)
	}
	d := &mispDefinitions{categories: map[string]bool{}, types: map[string]bool{}, pairs: map[string]map[string]bool{}, templates: map[string]*objectTemplate{}}
	for _, c := range dt.Result.Categories {
		d.categories[c] = true
	}
	for _, ty := range dt.Result.Types {
		d.types[ty] = true
	}
	for c, ts := range dt.Result.CategoryTypeMappings {
		d.pairs[c] = map[string]bool{}
		for _, ty := range ts {
			d.pairs[c][ty] = true
		}
	}
	if len(d.categories) < 10 || len(d.types) < 100 || len(d.pairs) != len(d.categories) {
		t.Fatalf("describeTypes.json has %d categories, %d types and %d mappings", len(d.categories), len(d.types), len(d.pairs))
	}
	files, _ := filepath.Glob("testdata/misp-definitions/objects/*/definition.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tpl objectTemplate
		if err := json.Unmarshal(b, &tpl); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if tpl.Name != filepath.Base(filepath.Dir(f)) || len(tpl.Attributes) == 0 {
			t.Fatalf("%s: template %q with %d attributes", f, tpl.Name, len(tpl.Attributes))
		}
		d.templates[tpl.Name] = &tpl
	}
	// Every template the converters know has its definition here, so
	// that an object the exporter writes is never unchecked.
	for name := range scoTemplates {
		if d.templates[name] == nil {
			t.Errorf("no misp-objects definition of %s in testdata/misp-definitions", name)
		}
	}
	for name := range sdoTemplates {
		if d.templates[name] == nil {
			t.Errorf("no misp-objects definition of %s in testdata/misp-definitions", name)
		}
	}
	return d
}

type checkedAttr struct {
	UUID           string `json:"uuid"`
	Type           string `json:"type"`
	Category       string `json:"category"`
	Value          *string
	ObjectRelation string `json:"object_relation"`
	ToIDs          any    `json:"to_ids"`
}

type checkedEvent struct {
	UUID      string        `json:"uuid"`
	Info      string        `json:"info"`
	Date      string        `json:"date"`
	Attribute []checkedAttr `json:"Attribute"`
	Object    []struct {
		UUID            string        `json:"uuid"`
		Name            string        `json:"name"`
		MetaCategory    string        `json:"meta-category"`
		Attribute       []checkedAttr `json:"Attribute"`
		ObjectReference []struct {
			UUID           string `json:"uuid"`
			ReferencedUUID string `json:"referenced_uuid"`
		} `json:"ObjectReference"`
	} `json:"Object"`
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// problems lists what keeps MISP (and PyMISP, which checks the same
// definitions when it loads an event) from taking the event as it is.
func (d *mispDefinitions) problems(raw []byte) []string {
	var wrapped struct{ Event *checkedEvent }
	if err := json.Unmarshal(raw, &wrapped); err != nil || wrapped.Event == nil {
		return []string{"not a MISP event in its {\"Event\": ...} wrapper"}
	}
	ev := *wrapped.Event
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if ev.Info == "" {
		bad("the event has no info")
	}
	if !uuidRE.MatchString(ev.UUID) {
		bad("the event's uuid %q is not a UUID", ev.UUID)
	}
	if len(ev.Date) != 10 {
		bad("the event's date %q is not YYYY-MM-DD", ev.Date)
	}
	uuids := map[string]bool{}
	attribute := func(where string, a checkedAttr) {
		if !uuidRE.MatchString(a.UUID) {
			bad("%s: uuid %q is not a UUID", where, a.UUID)
		}
		if uuids[a.UUID] {
			bad("%s: uuid %s is used twice", where, a.UUID)
		}
		uuids[a.UUID] = true
		if a.Value == nil || *a.Value == "" {
			bad("%s: no value", where)
		}
		if _, ok := a.ToIDs.(bool); !ok {
			bad("%s: to_ids %v is not a boolean", where, a.ToIDs)
		}
		switch {
		case !d.types[a.Type]:
			bad("%s: type %q is not a MISP type", where, a.Type)
		case !d.categories[a.Category]:
			bad("%s: category %q is not a MISP category", where, a.Category)
		case !d.pairs[a.Category][a.Type]:
			bad("%s: category %q does not allow type %q", where, a.Category, a.Type)
		}
	}
	for _, a := range ev.Attribute {
		where := fmt.Sprintf("attribute %s (%s)", a.UUID, a.Type)
		if a.ObjectRelation != "" {
			bad("%s: an attribute outside objects has object_relation %q", where, a.ObjectRelation)
		}
		attribute(where, a)
	}
	objUUIDs := map[string]bool{}
	for _, o := range ev.Object {
		objUUIDs[o.UUID] = true
	}
	for _, o := range ev.Object {
		where := fmt.Sprintf("object %s (%s)", o.UUID, o.Name)
		if !uuidRE.MatchString(o.UUID) {
			bad("%s: uuid %q is not a UUID", where, o.UUID)
		}
		if uuids[o.UUID] {
			bad("%s: uuid %s is used twice", where, o.UUID)
		}
		uuids[o.UUID] = true
		tpl := d.templates[o.Name]
		if tpl == nil {
			bad("%s: misp-objects has no template %q", where, o.Name)
			continue
		}
		if o.MetaCategory != tpl.MetaCategory {
			bad("%s: meta-category %q, the template's is %q", where, o.MetaCategory, tpl.MetaCategory)
		}
		if len(o.Attribute) == 0 {
			bad("%s: no attributes", where)
		}
		count := map[string]int{}
		for _, a := range o.Attribute {
			aw := fmt.Sprintf("%s, attribute %s (%s)", where, a.UUID, a.ObjectRelation)
			attribute(aw, a)
			count[a.ObjectRelation]++
			def, ok := tpl.Attributes[a.ObjectRelation]
			if !ok {
				bad("%s: template %s has no object_relation %q", aw, o.Name, a.ObjectRelation)
				continue
			}
			if a.Type != def.MispAttribute {
				bad("%s: type %q, the template's misp-attribute is %q", aw, a.Type, def.MispAttribute)
			}
			if len(def.Categories) > 0 && !slices.Contains(def.Categories, a.Category) {
				bad("%s: category %q is not one of the template's %v", aw, a.Category, def.Categories)
			}
		}
		for rel, n := range count {
			if def, ok := tpl.Attributes[rel]; ok && n > 1 && !def.Multiple {
				bad("%s: %d attributes %q, which the template allows once", where, n, rel)
			}
		}
		for _, rel := range tpl.Required {
			if count[rel] == 0 {
				bad("%s: required %q is missing", where, rel)
			}
		}
		if len(tpl.RequiredOneOf) > 0 && !slices.ContainsFunc(tpl.RequiredOneOf, func(r string) bool { return count[r] > 0 }) {
			bad("%s: none of %v, one of which the template requires", where, tpl.RequiredOneOf)
		}
	}
	for _, o := range ev.Object {
		for _, r := range o.ObjectReference {
			if !uuidRE.MatchString(r.UUID) || !uuids[r.ReferencedUUID] {
				bad("object %s: reference %s to %s, which is not in the event", o.UUID, r.UUID, r.ReferencedUUID)
			}
		}
	}
	return out
}

// validationInputs are the STIX objects whose MISP export is validated,
// by name: what ToSTIX makes of each test event, of the mixed TLP event
// and of each MISP example of misp-stix's mapping, and misp-stix's own
// STIX examples, which Mosaic did not write and so exercise the export of
// STIX that does not come back as the MISP it came from.
func validationInputs(t *testing.T) map[string][]json.RawMessage {
	t.Helper()
	in := map[string][]json.RawMessage{}
	fromMISP := func(name string, doc []byte) {
		c, err := ToSTIX(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in[name] = c.Objects
	}
	files, _ := filepath.Glob("testdata/events/*.json")
	if len(files) == 0 {
		t.Fatal("no test events")
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fromMISP(filepath.Base(f), doc)
	}
	fromMISP("mixed TLP", []byte(mixedTLPEvent))
	for _, m := range []struct{ file, key string }{
		{"misp_attributes_to_stix21.json", "Attribute"},
		{"misp_objects_to_stix21.json", "Object"},
	} {
		for name, ex := range loadMapping(t, m.file) {
			var v any
			if err := json.Unmarshal(ex.MISP, &v); err != nil {
				t.Fatalf("%s %s: %v", m.file, name, err)
			}
			if _, one := v.(map[string]any); one {
				v = []any{v}
			}
			fromMISP(m.file+" MISP "+name, mispStixEvent(t, m.key, v))
			var objs []json.RawMessage
			if err := json.Unmarshal(ex.STIX, &objs); err != nil {
				objs = []json.RawMessage{ex.STIX}
			}
			in[m.file+" STIX "+name] = objs
		}
	}
	for name, ex := range loadMapping(t, "misp_galaxies_to_stix21.json") {
		var objs []json.RawMessage
		if err := json.Unmarshal(ex.STIX, &objs); err != nil {
			objs = []json.RawMessage{ex.STIX}
		}
		in["misp_galaxies_to_stix21.json STIX "+name] = objs
	}
	return in
}

// TestExportIsValidMISP checks every event Events writes for the inputs
// above against MISP's own definitions: attribute categories, types and
// category/type pairs from describeTypes.json, and each object's
// template: its name, each attribute's object_relation and the type the
// template gives it, required and requiredOneOf relations, and relations
// the template allows once.
func TestExportIsValidMISP(t *testing.T) {
	d := loadMispDefinitions(t)
	inputs := validationInputs(t)
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	objects, attributes := 0, 0
	seenTemplates := map[string]bool{}
	for _, name := range names {
		out, _, err := Events(inputs[name], nil, "Mosaic export")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		evs, ok := ResponseEvents(out)
		if !ok {
			t.Fatalf("%s: the export is not a MISP response:\n%s", name, out)
		}
		for i, raw := range evs {
			for _, p := range d.problems(raw) {
				t.Errorf("%s, event %d: %s", name, i, p)
			}
			var w struct{ Event checkedEvent }
			_ = json.Unmarshal(raw, &w)
			ev := w.Event
			attributes += len(ev.Attribute)
			objects += len(ev.Object)
			for _, o := range ev.Object {
				seenTemplates[o.Name] = true
			}
		}
	}
	t.Logf("validated %d inputs: %d attributes, %d objects of %d templates (%s)", len(names), attributes, objects,
		len(seenTemplates), strings.Join(slices.Sorted(maps.Keys(seenTemplates)), ", "))
}

var updateDefinitions = goflag.Bool("update", false, "write definitions.go from testdata/misp-definitions")

// TestDefinitionsTable checks that definitions.go, which the exporter
// reads MISP's definitions from, is what testdata/misp-definitions says;
// go test -run TestDefinitionsTable -update writes it again.
func TestDefinitionsTable(t *testing.T) {
	src := renderDefinitions(t)
	if *updateDefinitions {
		if err := os.WriteFile("definitions.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile("definitions.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != string(src) {
		t.Error("definitions.go is not what testdata/misp-definitions gives; run go test ./misp -run TestDefinitionsTable -update")
	}
}

func renderDefinitions(t *testing.T) []byte {
	b, err := os.ReadFile("testdata/misp-definitions/describeTypes.json")
	if err != nil {
		t.Fatal(err)
	}
	var dt struct {
		Result struct {
			SaneDefaults map[string]struct {
				DefaultCategory string `json:"default_category"`
			} `json:"sane_defaults"`
			CategoryTypeMappings map[string][]string `json:"category_type_mappings"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &dt); err != nil {
		t.Fatal(err)
	}
	d := loadMispDefinitions(t)
	var w strings.Builder
	w.WriteString("// Code generated by go test -run TestDefinitionsTable -update from testdata/misp-definitions; DO NOT EDIT.\n\npackage misp\n\n")
	w.WriteString("// mispDefaultCategory is the default category of each MISP attribute\n// type (describeTypes.json's sane_defaults).\nvar mispDefaultCategory = map[string]string{\n")
	for _, ty := range slices.Sorted(maps.Keys(dt.Result.SaneDefaults)) {
		fmt.Fprintf(&w, "%q: %q,\n", ty, dt.Result.SaneDefaults[ty].DefaultCategory)
	}
	w.WriteString("}\n\n// mispCategoryTypes lists the types each MISP category allows\n// (describeTypes.json's category_type_mappings).\nvar mispCategoryTypes = map[string][]string{\n")
	for _, c := range slices.Sorted(maps.Keys(dt.Result.CategoryTypeMappings)) {
		fmt.Fprintf(&w, "%q: {", c)
		for i, ty := range dt.Result.CategoryTypeMappings[c] {
			if i > 0 {
				w.WriteString(", ")
			}
			fmt.Fprintf(&w, "%q", ty)
		}
		w.WriteString("},\n")
	}
	w.WriteString("}\n\n// mispTemplates are the misp-objects templates of the objects the\n// exporter writes.\nvar mispTemplates = map[string]mispTemplate{\n")
	list := func(l []string) string {
		if len(l) == 0 {
			return "nil"
		}
		q := make([]string, len(l))
		for i, s := range l {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[]string{" + strings.Join(q, ", ") + "}"
	}
	for _, name := range slices.Sorted(maps.Keys(d.templates)) {
		tpl := d.templates[name]
		fmt.Fprintf(&w, "%q: {meta: %q, required: %s, requiredOneOf: %s, rels: map[string]mispRelation{\n", name, tpl.MetaCategory, list(tpl.Required), list(tpl.RequiredOneOf))
		for _, rel := range slices.Sorted(maps.Keys(tpl.Attributes)) {
			a := tpl.Attributes[rel]
			fmt.Fprintf(&w, "%q: {%q, %s, %v},\n", rel, a.MispAttribute, list(a.Categories), a.Multiple)
		}
		w.WriteString("}},\n")
	}
	w.WriteString("}\n")
	src, err := format.Source([]byte(w.String()))
	if err != nil {
		t.Fatal(err)
	}
	return src
}
