// Package correlation finds what an object has in common with others:
// the normalised observables (addresses, domains, URLs, hashes, ...) it
// holds, and which of them another object shares. The stores index the same
// observables as search terms (package search), so "the objects that share
// an observable with this one" is one indexed query under the viewer's
// policy (mosaic.ObjectFilter.AnyObservable); this package says what to ask
// for and explains the answer. The content service uses it for every door.
//
// The package also holds the benchmarks of the correlation index against
// its goals (bench_test.go).
package correlation

import (
	"bytes"
	"encoding/json"
	"slices"

	"mosaic/search"
)

// MaxTerms is how many of an object's observables a correlation looks for;
// a report listing thousands of addresses correlates on its first ones,
// which keeps the query's size bounded whatever was contributed.
const MaxTerms = 500

// Observables returns the normalised observable terms of a STIX object
// given as JSON, at most MaxTerms, in the order package search gives them.
func Observables(obj []byte) []string {
	props := Props(obj)
	typ, _ := props["type"].(string)
	return ObservablesOf(typ, props)
}

// ObservablesOf is Observables for an object already decoded, as by Props.
func ObservablesOf(typ string, props map[string]any) []string {
	_, obs := search.ObjectTerms(typ, props)
	if len(obs) > MaxTerms {
		obs = obs[:MaxTerms]
	}
	return obs
}

// Props decodes a STIX object's top-level properties, numbers as
// json.Number (as package search expects them); nil when obj is not a JSON
// object.
func Props(obj []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

// Shared returns the terms of obs that other, a STIX object as JSON, holds
// too, in other's order: why the two correlate.
func Shared(obs []string, other []byte) []string {
	var out []string
	for _, x := range Observables(other) {
		if slices.Contains(obs, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
