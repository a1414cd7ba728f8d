package stix

import (
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
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
// or of one of the four TLP 1.0 ids (TLP:WHITE gives clear).
func TLPFromMarking(id string) (mosaic.TLP, bool) {
	t, ok := markingTLP[id]
	return t, ok
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
