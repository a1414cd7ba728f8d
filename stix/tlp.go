package stix

import (
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"

	"mosaic"
)

// The TLP 2.0 marking definitions (oasis-open/cti-stix-common-objects).
var tlp2ID = map[mosaic.TLP]string{
	mosaic.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	mosaic.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	mosaic.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	mosaic.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	mosaic.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// tlp1Level is the TLP 1.0 marking definitions STIX 2.1 §7.2.1.4 defines,
// by id.
var tlp1Level = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "white",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}

// markingTLP maps every TLP marking definition id to its TLP 2.0 level.
// TLP:WHITE became TLP:CLEAR in TLP 2.0.
var markingTLP = func() map[string]mosaic.TLP {
	m := make(map[string]mosaic.TLP, 9)
	for t, id := range tlp2ID {
		m[id] = t
	}
	for id, l := range tlp1Level {
		if l == "white" {
			m[id] = mosaic.TLPClear
		} else {
			m[id] = mosaic.TLP(l)
		}
	}
	return m
}()

// TLPMarkingID returns the id of the TLP 2.0 marking definition of t, or ""
// if t is not a TLP level.
func TLPMarkingID(t mosaic.TLP) string { return tlp2ID[t] }

// TLPFromMarking returns the TLP level of a TLP 2.0 marking definition id
// or of one of the four TLP 1.0 ids (TLP:WHITE gives clear), in any case:
// a UUID's hex digits may be written in upper case (RFC 9562 §4), and an
// official id so written must not pass for an unknown marking.
func TLPFromMarking(id string) (mosaic.TLP, bool) {
	t, ok := markingTLP[id]
	if !ok {
		t, ok = markingTLP[strings.ToLower(id)]
	}
	return t, ok
}

// TLP2ExtensionID is the TLP 2.0 extension definition
// (oasis-open/cti-stix-common-objects): a marking definition that carries
// it declares its level in the extension's tlp_2_0.
const TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// tlpLabel reads a TLP level as people and tools write it: in any case,
// with or without "TLP:", TLP 1.0's WHITE for clear, AMBER+STRICT with
// '+', '-', '_' or nothing between the words, white space anywhere.
func tlpLabel(s string) (mosaic.TLP, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	if rest, ok := strings.CutPrefix(s, "tlp"); ok {
		s = strings.TrimLeft(rest, ":-_")
	}
	switch s {
	case "clear", "white":
		return mosaic.TLPClear, true
	case "green", "amber", "red":
		return mosaic.TLP(s), true
	case "amber+strict", "amber-strict", "amber_strict", "amberstrict":
		return mosaic.TLPAmberStrict, true
	}
	return "", false
}

// The ways a marking definition declares a TLP level by its content.
const (
	declTLP2    = "extensions." + TLP2ExtensionID + ".tlp_2_0"
	declTLP1    = "definition.tlp"
	declOpenCTI = "x_opencti_definition"
)

// declaredTLP calls f with each TLP level a marking definition's content
// declares, and the property that declares it: the TLP 2.0 extension, a
// TLP 1.0 definition, and OpenCTI's x_opencti_definition_type "TLP" with
// x_opencti_definition (how OpenCTI and its connectors write
// TLP:AMBER+STRICT and TLP:CLEAR, which TLP 1.0 lacks). level is "" where
// the value is not a TLP level.
func declaredTLP(props map[string]any, f func(prop string, v any, level mosaic.TLP)) {
	read := func(prop string, v any) {
		s, _ := v.(string)
		t, _ := tlpLabel(s)
		f(prop, v, t)
	}
	exts, _ := props["extensions"].(map[string]any)
	if e, ok := exts[TLP2ExtensionID].(map[string]any); ok {
		read(declTLP2, e["tlp_2_0"])
	}
	if dt, _ := props["definition_type"].(string); strings.EqualFold(dt, "tlp") {
		def, _ := props["definition"].(map[string]any)
		read(declTLP1, def["tlp"])
	}
	if dt, _ := props["x_opencti_definition_type"].(string); strings.EqualFold(dt, "tlp") {
		read(declOpenCTI, props["x_opencti_definition"])
	}
}

// MarkingTLP returns the TLP level a marking-definition object (as
// decoded, see Object.Props) declares by its content, whatever its id: in
// the TLP 2.0 extension's tlp_2_0, as a TLP 1.0 definition
// ({"definition_type": "tlp", "definition": {"tlp": "red"}}), or as
// OpenCTI writes it (x_opencti_definition_type "TLP"), the strictest when
// it declares more than one. ok is false for other objects and for a
// marking definition that declares none. The official ids' levels are
// TLPFromMarking's.
func MarkingTLP(props map[string]any) (level mosaic.TLP, ok bool) {
	if props["type"] != "marking-definition" {
		return "", false
	}
	declaredTLP(props, func(_ string, _ any, t mosaic.TLP) {
		if t != "" && (!ok || t.Rank() > level.Rank()) {
			level, ok = t, true
		}
	})
	return level, ok
}

// MarkingRefs returns the marking definitions the object refers to, in
// object_marking_refs and then in granular_markings, possibly more than
// once.
func (o *Object) MarkingRefs() iter.Seq[string] {
	return func(yield func(string) bool) {
		refs, _ := o.Props["object_marking_refs"].([]any)
		for _, r := range refs {
			if id, ok := r.(string); ok && !yield(id) {
				return
			}
		}
		gms, _ := o.Props["granular_markings"].([]any)
		for _, g := range gms {
			m, _ := g.(map[string]any)
			if id, ok := m["marking_ref"].(string); ok && !yield(id) {
				return
			}
		}
	}
}

// ResolveTLP sets TLP and HasTLP from all of the object's markings, object
// level and granular: the strictest among the official TLP marking
// definitions and the marking definitions level knows a TLP level of. The
// decoder sees one object and knows only the official ids; level is how
// the caller, who sees the batch and the store, tells it the others.
func (o *Object) ResolveTLP(level func(id string) (mosaic.TLP, bool)) {
	for id := range o.MarkingRefs() {
		t, ok := TLPFromMarking(id)
		if !ok {
			t, ok = level(id)
		}
		if ok && (!o.HasTLP || t.Rank() > o.TLP.Rank()) {
			o.TLP, o.HasTLP = t, true
		}
	}
}

// The official TLP 2.0 marking definitions, as published in
// oasis-open/cti-stix-common-objects; see testdata/README.md.
//
//go:embed testdata/tlp/tlp-clear.json
//go:embed testdata/tlp/marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb.json
//go:embed testdata/tlp/tlp-amber.json
//go:embed testdata/tlp/marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003.json
//go:embed testdata/tlp/marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1.json
var tlpFiles embed.FS

// tlpDefinitions decodes the embedded bundles once, with the same code as
// any submitted bundle, so what Mosaic exports is what it would accept.
var tlpDefinitions = sync.OnceValue(func() map[mosaic.TLP]json.RawMessage {
	files, err := tlpFiles.ReadDir("testdata/tlp")
	if err != nil {
		panic(err)
	}
	m := make(map[mosaic.TLP]json.RawMessage, len(files))
	for _, f := range files {
		b, err := tlpFiles.ReadFile("testdata/tlp/" + f.Name())
		if err != nil {
			panic(err)
		}
		objs, err := DecodeBundle(b, DefaultLimits())
		if err != nil {
			panic(fmt.Sprintf("stix: embedded %s: %v", f.Name(), err))
		}
		for _, o := range objs {
			if t, ok := TLPFromMarking(o.ID); ok && o.ID == tlp2ID[t] {
				m[t] = o.Canonical
			}
		}
	}
	for _, t := range mosaic.TLPLevels {
		if m[t] == nil {
			panic("stix: no embedded marking definition for " + t.Label())
		}
	}
	return m
})

// TLPMarkingDefinition returns the official TLP 2.0 marking-definition
// object of t in canonical form, or nil if t is not a TLP level. The
// caller may keep and change the slice.
func TLPMarkingDefinition(t mosaic.TLP) json.RawMessage {
	if !slices.Contains(mosaic.TLPLevels, t) {
		return nil
	}
	return slices.Clone(tlpDefinitions()[t])
}

// MarkTLP adds the TLP 2.0 marking of t to the object's object_marking_refs
// and updates Canonical, Hash, TLP and HasTLP. Mosaic marks objects that
// arrive without any TLP marking with the installation's default, so that
// the level they are handled under travels with them in standard STIX.
func (o *Object) MarkTLP(t mosaic.TLP) {
	refs, _ := o.Props["object_marking_refs"].([]any)
	o.Props["object_marking_refs"] = append(slices.Clone(refs), TLPMarkingID(t))
	o.Canonical = appendJSON(nil, o.Props)
	o.Hash = sha256.Sum256(o.Canonical)
	o.TLP, o.HasTLP = t, true
}
