package export

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"mosaic/pattern"
	"mosaic/search"
)

// flat is what the flat formats, CSV and the blocklists, read from an
// object.
type flat struct {
	ID, Type, Name, Created, Modified, ValidUntil string
	Revoked                                       bool
	Labels                                        []string
	observables                                   []observable
}

// observable is a value a defender can block, with its kind: ip, domain,
// url or hash (then alg names the algorithm).
type observable struct{ kind, alg, value string }

// readFlat takes an object apart for the flat formats: the observables an
// indicator's STIX pattern names by equality, or an SCO's value and
// hashes. Text that merely mentions an address is no blocklist entry, and
// neither is what a pattern compares otherwise (!=, LIKE, MATCHES), since
// blocking it would block the wrong thing.
func readFlat(raw []byte) (flat, error) {
	var p struct {
		ID, Type, Name, Created, Modified, Pattern, Value string
		PatternType                                       string            `json:"pattern_type"`
		ValidUntil                                        string            `json:"valid_until"`
		Revoked                                           bool              `json:"revoked"`
		Labels                                            []string          `json:"labels"`
		Hashes                                            map[string]string `json:"hashes"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return flat{}, err
	}
	x := flat{ID: p.ID, Type: p.Type, Name: p.Name, Created: p.Created, Modified: p.Modified, ValidUntil: p.ValidUntil, Revoked: p.Revoked, Labels: p.Labels}
	add := func(typ, path, value string) {
		if o, ok := classify(typ, path, value); ok && !slices.Contains(x.observables, o) {
			x.observables = append(x.observables, o)
		}
	}
	switch {
	case p.Type == "indicator" && p.PatternType == "stix":
		if pat, err := pattern.Parse(p.Pattern); err == nil {
			for _, eq := range pat.Equalities() {
				add(eq.Type, eq.Path, eq.Value)
			}
		}
	case p.Value != "":
		add(p.Type, "value", p.Value)
	}
	// Sorted, so that an object's CSV rows come in the same order in every
	// export and two exports can be compared line by line.
	for _, alg := range slices.Sorted(maps.Keys(p.Hashes)) {
		add(p.Type, "hashes."+alg, p.Hashes[alg])
	}
	return x, nil
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
func classify(typ, path, value string) (observable, bool) {
	if k, ok := valueKinds[typ]; ok && path == "value" {
		norm, ok := search.NormalizeObservable(k, value)
		return observable{kind: kindNames[k], value: norm}, ok
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
		return observable{kind: "hash", alg: alg, value: norm}, norm != ""
	}
	return observable{}, false
}
