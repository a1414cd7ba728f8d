package misp

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/pattern"
	"mosaic/search"
	"mosaic/stix"
)

// Convert is the result of converting one MISP event.
type Convert struct {
	// Objects are STIX 2.1 objects (SDOs, SCOs, SROs), each valid for
	// stix.DecodeObject and together a valid bundle for stix.DecodeBundle.
	// When the event has a tlp:* tag, every object carries the TLP 2.0
	// marking definition's id in object_marking_refs; the marking
	// definition objects themselves are not included (Mosaic knows them).
	Objects []json.RawMessage
	// Skipped names every attribute, object, object reference, galaxy
	// cluster and sighting of the event that has no STIX object in
	// Objects, with the reason.
	Skipped []Skip
	// Mapped gives, for each attribute and MISP object of the event that
	// was converted (keyed by its UUID in lower case, as STIX ids carry
	// it), the ids of the STIX objects in Objects it became, the main one
	// first. A pe or pe-section object folded into its file's extension
	// has the file's ids.
	Mapped map[string][]string

	// mapped counts the parts of the event that have objects in Objects,
	// so that tests can check mapped + skipped against the input; dropped
	// counts the skipped attributes of objects that were converted, which
	// are not parts of their own.
	mapped, dropped int
}

// Skip is one part of the input that was not converted, and why.
type Skip struct {
	What   string `json:"what"`   // the part, e.g. `attribute 5a3c… (type: foo-bar)`
	Reason string `json:"reason"` // why it was not converted
}

// IsEvent reports whether doc is a MISP event, with or without the
// {"Event": ...} wrapper. It tells a MISP event from a STIX bundle or
// object by content: STIX JSON always has "type", a MISP event never.
func IsEvent(doc []byte) bool {
	_, err := unwrap(doc)
	return err == nil
}

// ToSTIX converts one MISP event (with or without the {"Event": ...}
// wrapper) to STIX 2.1 objects following the misp-stix mapping (see the
// package documentation). It returns an error only when doc is not a MISP
// event; everything in the event that cannot be mapped is listed in
// Convert.Skipped.
func ToSTIX(doc []byte) (*Convert, error) {
	raw, err := unwrap(doc)
	if err != nil {
		return nil, err
	}
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not a MISP event: %w", err)
	}
	c := newConverter(&ev)
	c.run()
	return &Convert{Objects: c.out, Skipped: c.skipped, Mapped: c.main, mapped: c.mapped, dropped: c.dropped}, nil
}

type obj = map[string]any

// converter holds the state of one event's conversion.
type converter struct {
	ev       *event
	uuid     string    // the event's UUID, or one derived from its content when it has none
	ts       time.Time // the event's timestamp, the fallback for every other time
	identity string    // created_by_ref: the identity of the event's Orgc
	tlp      mosaic.TLP
	labels   []string // the event's tags that are neither TLP nor galaxies

	out     []json.RawMessage
	byID    map[string]json.RawMessage
	refs    []string // the report's object_refs
	skipped []Skip
	mapped  int // parts of the event converted (see Convert.mapped)
	dropped int // attributes left out of objects that were converted
	// main maps a MISP attribute or object UUID to the STIX ids it became
	// (indicator first when there is one), for sightings and references.
	main map[string][]string
	// clusterValues maps each galaxy cluster UUID to the clusters that
	// use it, to tell whether it identifies one cluster.
	clusterValues map[string]map[string]bool
}

func newConverter(ev *event) *converter {
	c := &converter{ev: ev, byID: map[string]json.RawMessage{}, main: map[string][]string{}}
	c.uuid = normUUID(string(ev.UUID))
	if c.uuid == "" {
		c.uuid = uuid5(fmt.Sprintf("event - %s - %s - %s", ev.Info, ev.Date, ev.Timestamp))
	}
	if t, ok := epoch(ev.Timestamp); ok {
		c.ts = t
	} else if t, ok := isoTime(ev.Date); ok {
		c.ts = t
	} else {
		c.ts = time.Unix(0, 0).UTC()
	}
	c.tlp, c.labels = splitTags(ev.Tag, galaxyTagNames(ev.Galaxy))
	return c
}

func (c *converter) reportID() string { return "report--" + c.uuid }

func (c *converter) run() {
	c.addIdentity()
	for i := range c.ev.Attribute {
		c.attribute(&c.ev.Attribute[i])
	}
	c.objects()
	for _, g := range c.ev.Galaxy {
		for i := range g.GalaxyCluster {
			c.cluster(&g, &g.GalaxyCluster[i], nil)
		}
	}
	c.report()
}

// addIdentity adds the event's creator organisation (Orgc) as an identity,
// which every object names as created_by_ref.
func (c *converter) addIdentity() {
	o := c.ev.Orgc
	if o == nil || strings.TrimSpace(string(o.Name)) == "" {
		return
	}
	u := normUUID(string(o.UUID))
	if u == "" {
		u = uuid5("organisation - " + string(o.Name))
	}
	id := "identity--" + u
	ts := stamp(c.ts)
	ident := obj{"type": "identity", "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
		"name": string(o.Name), "identity_class": "organization"}
	c.identity = id
	if !c.commit("event creator "+string(o.Name), []obj{ident}) {
		c.identity = ""
	}
}

// sightingIdentity adds the identity of an organisation that sighted
// something, and returns its id.
func (c *converter) sightingIdentity(o *org) []obj {
	if o == nil || strings.TrimSpace(string(o.Name)) == "" {
		return nil
	}
	u := normUUID(string(o.UUID))
	if u == "" {
		u = uuid5("organisation - " + string(o.Name))
	}
	ts := stamp(c.ts)
	return []obj{{"type": "identity", "spec_version": "2.1", "id": "identity--" + u, "created": ts, "modified": ts,
		"name": string(o.Name), "identity_class": "organization"}}
}

// report adds the event itself as a report that refers to every object.
func (c *converter) report() {
	ts := stamp(c.ts)
	published := ts
	if c.ev.Published {
		if t, ok := epoch(c.ev.PublishTimestamp); ok && t.Unix() > 0 {
			published = stamp(t)
		}
	}
	name := strings.TrimSpace(string(c.ev.Info))
	if name == "" {
		name = "MISP event " + c.uuid
	}
	labels := append([]string{"Threat-Report", `misp:tool="MISP-STIX-Converter"`}, c.labels...)
	if len(c.refs) == 0 {
		// A report must refer to something (STIX 2.1 §4.14); misp-stix
		// adds this note to an empty event for the same reason.
		note := obj{"type": "note", "spec_version": "2.1", "id": "note--" + c.uuid, "created": ts, "modified": ts,
			"content":     emptyEventNote,
			"object_refs": []any{c.reportID()}}
		c.commit("event "+c.uuid+" (empty)", []obj{note})
	}
	refs := make([]any, len(c.refs))
	for i, r := range c.refs {
		refs[i] = r
	}
	r := obj{"type": "report", "spec_version": "2.1", "id": c.reportID(), "created": ts, "modified": ts,
		"name": name, "published": published, "report_types": []any{"threat-report"},
		"labels": toAny(labels), "object_refs": refs}
	if !c.commit("event "+c.uuid, []obj{r}) {
		// A report that does not validate (say, a name the validator
		// refuses) loses the event's name and labels only: retry bare.
		r["name"] = "MISP event " + c.uuid
		delete(r, "labels")
		c.commit("event "+c.uuid, []obj{r})
	}
}

// emptyEventNote is the content of the note misp-stix gives an empty event.
const emptyEventNote = "This MISP Event is empty and contains no attribute, object or galaxy."

// commit validates the objects of one mapped MISP part and adds them all,
// or none and a Skip naming what and why. It adds created_by_ref and the
// TLP marking first. It reports whether the part was added.
func (c *converter) commit(what string, objs []obj) bool {
	return c.commitTLP(what, objs, c.tlp)
}

func (c *converter) commitTLP(what string, objs []obj, tlp mosaic.TLP) bool {
	raws, ids, probs := c.prepare(objs, tlp)
	if len(probs) > 0 {
		c.skip(what, probs[0].msg)
		return false
	}
	for i, raw := range raws {
		if prev, ok := c.byID[ids[i]]; ok && !bytes.Equal(prev, raw) {
			c.skip(what, "its STIX id "+ids[i]+" is already used by a different object (a MISP UUID used twice)")
			return false
		}
	}
	for i, raw := range raws {
		if _, ok := c.byID[ids[i]]; ok {
			continue // the same object again, e.g. an identity or a galaxy cluster used twice
		}
		c.byID[ids[i]] = raw
		c.out = append(c.out, raw)
		if ids[i] != c.identity {
			c.refs = append(c.refs, ids[i])
		}
	}
	return true
}

// prepare adds created_by_ref and the TLP marking to the objects of one
// mapped MISP part, encodes them and lists every way in which they would
// not be valid STIX.
func (c *converter) prepare(objs []obj, tlp mosaic.TLP) ([]json.RawMessage, []string, []problem) {
	raws := make([]json.RawMessage, 0, len(objs))
	ids := make([]string, 0, len(objs))
	var probs []problem
	add := func(key, msg string) { probs = append(probs, problem{key, msg}) }
	for _, o := range objs {
		typ, _ := o["type"].(string)
		_, versioned := o["created"]
		if versioned && c.identity != "" && typ != "identity" {
			o["created_by_ref"] = c.identity
		}
		if tlp != "" {
			o["object_marking_refs"] = []any{stix.TLPMarkingID(tlp)}
		}
		raw, err := marshal(o)
		if err != nil {
			msg := "it gives no valid JSON: " + err.Error()
			add(msg, msg)
			continue
		}
		if _, ps := stix.DecodeObject(raw, stix.DefaultLimits()); len(ps) > 0 {
			for _, p := range ps {
				where := p.Object
				if p.Property != "" {
					where += " " + p.Property
				}
				msg := fmt.Sprintf("its STIX %s would be invalid (%s: %s)", typ, strings.TrimSpace(where), p.Reason)
				add(msg, msg)
			}
		} else if reasons := valueProblems(typ, o); len(reasons) > 0 {
			for _, r := range reasons {
				msg := "its STIX " + typ + " would be invalid: " + r
				add(msg, msg)
			}
		} else if typ == "indicator" && o["pattern_type"] == "stix" {
			if _, err := pattern.Parse(o["pattern"].(string)); err != nil {
				// The error names a place in the pattern, which moves
				// as comparisons come and go: one key for them all.
				add("pattern "+o["id"].(string), "its STIX pattern would be invalid: "+err.Error())
			}
		}
		raws = append(raws, raw)
		ids = append(ids, o["id"].(string))
	}
	return raws, ids, probs
}

func (c *converter) skip(what, why string) {
	c.skipped = append(c.skipped, Skip{What: what, Reason: why})
}

// marshal encodes a STIX object without HTML escaping, so that patterns
// and values read as written.
func marshal(o obj) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSpace(b.Bytes())), nil
}

// stamp formats a time as a STIX timestamp with milliseconds.
func stamp(t time.Time) string { return stix.FormatTime(t) }

// tlpTags maps the MISP tlp taxonomy's values to TLP 2.0. TLP:WHITE became
// TLP:CLEAR in TLP 2.0; ex:chr and unclear are not TLP levels.
var tlpTags = map[string]mosaic.TLP{
	"tlp:white": mosaic.TLPClear, "tlp:clear": mosaic.TLPClear, "tlp:green": mosaic.TLPGreen,
	"tlp:amber": mosaic.TLPAmber, "tlp:amber+strict": mosaic.TLPAmberStrict, "tlp:red": mosaic.TLPRed,
}

// splitTags returns the strictest TLP among tags and the other tags, less
// those that name a galaxy cluster the event carries (misp-stix exports
// such a cluster as an object, not as a label).
func splitTags(tags []tag, skip map[string]bool) (mosaic.TLP, []string) {
	var tlp mosaic.TLP
	var labels []string
	for _, t := range tags {
		name := strings.TrimSpace(string(t.Name))
		if name == "" || skip[name] {
			continue
		}
		if l, ok := tlpTags[strings.ToLower(name)]; ok {
			if tlp == "" || l.Rank() > tlp.Rank() {
				tlp = l
			}
			continue
		}
		if !slices.Contains(labels, name) {
			labels = append(labels, name)
		}
	}
	return tlp, labels
}

func galaxyTagNames(gs []galaxy) map[string]bool {
	m := map[string]bool{}
	for _, g := range gs {
		for _, cl := range g.GalaxyCluster {
			if cl.TagName != "" {
				m[string(cl.TagName)] = true
			}
			m[fmt.Sprintf("misp-galaxy:%s=%q", g.Type, cl.Value)] = true
		}
	}
	return m
}

func stricter(a, b mosaic.TLP) mosaic.TLP {
	if a == "" || (b != "" && b.Rank() > a.Rank()) {
		return b
	}
	return a
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// normUUID returns s in the lower-case 8-4-4-4-12 form STIX ids need, or
// "" when s is not a UUID. STIX 2.1 §2.9 wants an RFC 4122 variant; MISP
// UUIDs are version 4, and ids built from other UUIDs are refused by the
// validator, which reports the attribute rather than dropping it.
func normUUID(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != 36 {
		return ""
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return ""
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
				return ""
			}
		}
	}
	return s
}

// uuidNamespace is misp-stix's namespace for the version 5 UUIDs it derives
// (misp_stix_converter/abstract.py), so relationship ids match its output.
var uuidNamespace = [16]byte{0x76, 0xbe, 0xed, 0x5f, 0x72, 0x51, 0x45, 0x7e, 0x8c, 0x2a, 0xb4, 0x5f, 0x7b, 0x58, 0x9d, 0x3d}

// uuid5 derives an RFC 4122 version 5 UUID from name.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(uuidNamespace[:])
	h.Write([]byte(name))
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// relationship links two STIX objects, with misp-stix's id for it.
func relationship(src, typ, dst string, ts time.Time) obj {
	return obj{"type": "relationship", "spec_version": "2.1",
		"id":      "relationship--" + uuid5(src+" - "+typ+" - "+dst),
		"created": stamp(ts), "modified": stamp(ts), "relationship_type": typ, "source_ref": src, "target_ref": dst}
}

// valueProblems checks what STIX asks of SCO values beyond the shape of
// the JSON: a URL is absolute (RFC 3986), a hash of a known algorithm has
// its length in hex. It lists every value that fails, in a fixed order.
func valueProblems(typ string, o obj) []string {
	var out []string
	switch typ {
	case "url":
		if v, _ := o["value"].(string); v != "" {
			if _, ok := search.NormalizeObservable(search.KindURL, v); !ok {
				out = append(out, fmt.Sprintf("%q is not an absolute URL", v))
			}
		}
	case "file", "artifact", "x509-certificate":
		hashes, _ := o["hashes"].(map[string]any)
		for _, alg := range slices.Sorted(maps.Keys(hashes)) {
			kind, known := map[string]search.Kind{"MD5": search.KindMD5, "SHA-1": search.KindSHA1, "SHA-256": search.KindSHA256, "SHA-512": search.KindSHA512}[alg]
			if s, _ := hashes[alg].(string); known {
				if _, ok := search.NormalizeObservable(kind, s); !ok {
					out = append(out, fmt.Sprintf("%q is not a %s hash", s, alg))
				}
			}
		}
	}
	return out
}
