package release

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"mosaic"
	"mosaic/stix"
)

// Origin says how a released object is made from its source.
type Origin struct {
	// IDKey derives released SDOs' and SROs' ids (Keys.IDKey).
	IDKey []byte
	// Cell is the cell's own STIX identity, the creator of what it
	// releases.
	Cell string
	// FirstPublished and Published are the released object's created
	// (the first release of this source so sanitised) and modified (this
	// release).
	FirstPublished, Published time.Time
	// TLPMarking is the marking definition of the release's TLP, the only
	// marking a released object carries.
	TLPMarking string
	// Ref maps the id of another object of the release to its released
	// id; false for one that is not released.
	Ref func(string) (string, bool)
	// Attribute keeps the source's external references and names
	// Creator (the originating organisation's STIX identity) as the
	// creator: the originator allowed recipients to see where the
	// information came from. By default they do not.
	Attribute bool
	Creator   string
}

// Protect makes the object a recipient receives from a source object and
// its sanitisation: sanitised (Sanitise), then stripped of what would tell
// where it came from. An SDO or SRO gets a derived id (DerivedID), the
// cell as its creator, the release's times and TLP marking, and loses its
// source's timestamps, markings, external references, properties STIX
// does not define for its type and extensions; every reference is mapped to the
// released id of its target. An SCO keeps its (value-based) id. A
// reference to an object not released is an error naming it: the caller
// drops or replaces such relationships first, as the drafter chose.
func Protect(src []byte, s Sanitisation, o Origin) ([]byte, error) {
	san, err := Sanitise(src, s)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(san))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, mosaic.Internal(err, "decode a sanitised object")
	}
	typ, _ := m["type"].(string)
	id, _ := m["id"].(string)
	sco := stix.IsSCOType(typ)
	for k := range m {
		// Custom properties say what the source chose to add, which
		// may be anything; granular markings are the source's.
		if !stix.DefinedProperty(typ, k) || k == "granular_markings" {
			delete(m, k)
		}
	}
	// Extensions go, STIX's own too: custom ones (Mosaic's envelope
	// among them) are the source's, and the predefined ones hold values
	// (a request's path, a binary's imphash) and references that the
	// generalisations and the reference mapping do not reach.
	delete(m, "extensions")
	if _, ok := m["objects"]; ok && typ == "observed-data" {
		// The deprecated objects property embeds observables under
		// the source's own keys and ids, beyond the reach of the
		// reference mapping.
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "%s: observed-data's deprecated objects property is not released; refer to the observables with object_refs", id)
	}
	// Below the top level too: a kill chain phase or a registry value
	// may carry custom properties and extensions of its own.
	for k, v := range m {
		if k != "hashes" {
			stripNested(v)
		}
	}
	if sco && hasRefs(m) {
		// network-traffic, email-message, process and their like derive
		// their ids from the objects they refer to: mapped references
		// under the old id would give the sources away.
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "%s: a %s refers to other objects, from which its id derives; it is not released yet, leave it out", id, typ)
	}
	if typ == "language-content" {
		// Its object_modified names the source's version.
		m["object_modified"] = stix.FormatTime(o.Published)
	}
	m["object_marking_refs"] = []any{o.TLPMarking}
	if sco {
		m["id"] = scoID(o.IDKey, typ, id, m, s)
	} else {
		m["id"] = DerivedID(o.IDKey, typ, id, s.Canonical())
		m["created"] = stix.FormatTime(o.FirstPublished)
		m["modified"] = stix.FormatTime(o.Published)
		// The creator is the cell's, or with attribution the
		// originator's own identity from the directory: never what the
		// source wrote, which may name a third party or anyone at all.
		m["created_by_ref"] = o.Cell
		if !o.Attribute {
			delete(m, "external_references")
		} else if o.Creator != "" {
			m["created_by_ref"] = o.Creator
		}
	}
	var unresolved []string
	mapRefs(m, true, o.Ref, &unresolved)
	if len(unresolved) > 0 {
		sort.Strings(unresolved)
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "%s refers to %s, which the release does not hold; drop or replace the reference", id, strings.Join(slices.Compact(unresolved), ", "))
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, mosaic.Internal(err, "encode a released object")
	}
	if _, probs := stix.DecodeObject(out, stix.DefaultLimits()); len(probs) > 0 {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "%s: released, it is no valid STIX: %s", id, probs[0].Reason)
	}
	return out, nil
}

// ReleasedID is the id the object src, so sanitised, is released under:
// an SDO's or SRO's derived from its source id (DerivedID); an SCO's the
// one STIX 2.1 derives from its (sanitised) values, or, for one whose
// type or values give none, derived like an SDO's, never its source's: a
// source may have given an observable a random id of its own, which
// would lead back to it.
func ReleasedID(idKey []byte, src []byte, s Sanitisation) (string, error) {
	h := stix.ReadHead(src)
	if !stix.IsSCOType(h.Type) {
		return DerivedID(idKey, h.Type, h.ID, s.Canonical()), nil
	}
	san, err := Sanitise(src, s)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(san))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return "", mosaic.Internal(err, "decode a sanitised object")
	}
	return scoID(idKey, h.Type, h.ID, m, s), nil
}

func scoID(idKey []byte, typ, sourceID string, m map[string]any, s Sanitisation) string {
	if id, ok := stix.DeterministicSCOID(typ, m); ok {
		return id
	}
	return DerivedID(idKey, typ, sourceID, s.Canonical())
}

// stripNested removes custom properties and extensions from the objects
// nested in v, at every depth.
func stripNested(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, w := range x {
			if strings.HasPrefix(k, "x_") || k == "extensions" {
				delete(x, k)
				continue
			}
			stripNested(w)
		}
	case []any:
		for _, w := range x {
			stripNested(w)
		}
	}
}

// mapRefs maps every reference in m, at every depth, to the released id
// of its target, and collects those the release does not hold. At the
// top level the object's own id, creator and markings are the release's.
func mapRefs(m map[string]any, top bool, ref func(string) (string, bool), unresolved *[]string) {
	for k, v := range m {
		if top && (k == "id" || k == "created_by_ref" || k == "object_marking_refs") {
			continue
		}
		switch {
		case strings.HasSuffix(k, "_ref"):
			if r, ok := v.(string); ok {
				if to, ok := ref(r); ok {
					m[k] = to
				} else {
					*unresolved = append(*unresolved, r)
				}
				continue
			}
		case strings.HasSuffix(k, "_refs"):
			if rs, ok := v.([]any); ok {
				for i, x := range rs {
					r, _ := x.(string)
					if to, ok := ref(r); ok {
						rs[i] = to
					} else {
						*unresolved = append(*unresolved, r)
					}
				}
				continue
			}
		}
		mapNested(v, ref, unresolved)
	}
}

func mapNested(v any, ref func(string) (string, bool), unresolved *[]string) {
	switch x := v.(type) {
	case map[string]any:
		mapRefs(x, false, ref, unresolved)
	case []any:
		for _, w := range x {
			mapNested(w, ref, unresolved)
		}
	}
}

// hasRefs reports whether an object holds a reference of its own.
func hasRefs(m map[string]any) bool {
	var refs []string
	mapRefs(m, true, func(string) (string, bool) { return "", false }, &refs)
	return len(refs) > 0
}
