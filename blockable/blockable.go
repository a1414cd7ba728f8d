// Package blockable finds the values in a STIX object that a defender can
// block: the observables an indicator's STIX pattern names by equality,
// and an SCO's value and hashes, each normalised. Text that merely
// mentions an address is no such value, and neither is what a pattern
// compares otherwise (!=, LIKE, MATCHES): blocking it would block the
// wrong thing. The blocklist and CSV exports write these values, and
// ingest checks them against the warning lists.
package blockable

import (
	"maps"
	"slices"
	"strings"

	"mosaic/pattern"
	"mosaic/search"
)

// Value is one blockable value with its kind: ip, domain, url or hash
// (Alg then names the algorithm, as the object writes it).
type Value struct{ Kind, Alg, Value string }

// Values returns the blockable values of an object of type typ: for an
// indicator whose pattern_type is "stix", what its pattern names by
// equality; for an SCO, its value and its hashes (in the order of their
// algorithms' names, so that every export lists them alike). Each value
// once.
func Values(typ, patternType, pat, value string, hashes map[string]string) []Value {
	var out []Value
	add := func(typ, path, value string) {
		if v, ok := classify(typ, path, value); ok && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	switch {
	case typ == "indicator" && patternType == "stix":
		if p, err := pattern.Parse(pat); err == nil {
			for _, eq := range p.Equalities() {
				add(eq.Type, eq.Path, eq.Value)
			}
		}
	case value != "":
		add(typ, "value", value)
	}
	for _, alg := range slices.Sorted(maps.Keys(hashes)) {
		add(typ, "hashes."+alg, hashes[alg])
	}
	return out
}

// FromProps returns the blockable values of a decoded object (Values).
func FromProps(props map[string]any) []Value {
	str := func(k string) string { s, _ := props[k].(string); return s }
	var hashes map[string]string
	if h, ok := props["hashes"].(map[string]any); ok {
		hashes = make(map[string]string, len(h))
		for alg, v := range h {
			hashes[alg], _ = v.(string)
		}
	}
	return Values(str("type"), str("pattern_type"), str("pattern"), str("value"), hashes)
}

// valueKinds are the SCO types whose value is a blocklist entry, and the
// kind search normalises it as.
var valueKinds = map[string]search.Kind{"ipv4-addr": search.KindCIDR, "ipv6-addr": search.KindCIDR, "domain-name": search.KindDomain, "url": search.KindURL}

// kindNames name the blocklist each kind of valueKinds goes into.
var kindNames = map[search.Kind]string{search.KindCIDR: "ip", search.KindDomain: "domain", search.KindURL: "url"}

// hashKinds are tried in turn to normalise a hash; a value none of them
// takes (another algorithm) is kept in lower case.
var hashKinds = []search.Kind{search.KindMD5, search.KindSHA1, search.KindSHA256, search.KindSHA512}

// classify sorts a (type, path, value) into a blocklist kind, normalised.
func classify(typ, path, value string) (Value, bool) {
	if k, ok := valueKinds[typ]; ok && path == "value" {
		norm, ok := search.NormalizeObservable(k, value)
		return Value{Kind: kindNames[k], Value: norm}, ok
	}
	if alg, ok := strings.CutPrefix(path, "hashes."); ok && (typ == "file" || typ == "artifact" || typ == "x509-certificate") {
		alg = strings.Trim(alg, "'")
		norm := strings.ToLower(strings.TrimSpace(value))
		for _, k := range hashKinds {
			if n, ok := search.NormalizeObservable(k, value); ok {
				norm = n
				break
			}
		}
		return Value{Kind: "hash", Alg: alg, Value: norm}, norm != ""
	}
	return Value{}, false
}
