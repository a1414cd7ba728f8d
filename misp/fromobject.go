package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"mosaic"
	"mosaic/pattern"
	"mosaic/stix"
)

// This file reads back the MISP objects ToSTIX wrote. FromSTIX's general
// mapping of observed-data and indicators loses what only the object
// knew: the UUIDs of its attributes (in the ids of the SCOs made from
// them), its relations without a STIX property, its pe and pe-section
// objects, which of its attributes had to_ids. Mosaic's own MISP export
// must import back unchanged, so an object is rebuilt from the template
// ToSTIX used, and kept only when ToSTIX converts it to exactly the STIX
// objects it came from.

// rebuildObject returns the MISP object (and the pe and pe-section objects
// folded into it) that ToSTIX converts to exactly the observed-data id,
// its SCOs and, when there is one, the indicator of the same UUID based
// on it, with the ids of those STIX objects; nil when it finds none, as
// for STIX from elsewhere or a template it does not read back.
func (f *fromSTIX) rebuildObject(id string, od obj) (*outObject, []*outObject, []string) {
	u := idUUID(id)
	ml, other := labelsOf(od)
	t, ok := scoTemplates[ml["name"]]
	if u == "" || !ok {
		return nil, nil, nil
	}
	ids := []string{id}
	var scos []obj
	refs, _ := od["object_refs"].([]any)
	for _, r := range refs {
		s, _ := r.(string)
		so, ok := f.byID[s]
		if !ok {
			return nil, nil, nil
		}
		scos = append(scos, so)
		ids = append(ids, s)
	}
	if len(scos) == 0 || str(scos[0], "id") != t.typ+"--"+u {
		return nil, nil, nil
	}
	main := scos[0]
	indID := "indicator--" + u
	ind, hasInd := f.byID[indID]
	if hasInd {
		rel := f.basedOn(indID, id)
		if rel == "" {
			return nil, nil, nil
		}
		ids = append(ids, indID, rel)
	}
	ts := str(od, "modified")
	o := &outObject{UUID: u, Name: ml["name"], MetaCategory: ml["category"], Timestamp: epochOf(ts), Comment: str(ind, "description")}
	if fo := str(od, "first_observed"); fo != ts {
		o.FirstSeen = isoOf(fo)
	}
	if lo := str(od, "last_observed"); lo != str(od, "first_observed") {
		o.LastSeen = isoOf(lo)
	}
	r := &reader{f: f, scos: scos}
	o.Attribute = r.fields(main, t.fields)
	parts := r.special(o, main, scos)
	if r.failed {
		return nil, nil, nil
	}
	o.Attribute = append(o.Attribute, r.rest(main, o.Name)...)
	all := append([]*outObject{o}, parts...)
	for _, x := range all {
		seen := map[string]int{}
		for _, a := range x.Attribute {
			a.Timestamp, a.tlp = o.Timestamp, f.tlpOf(id, od)
			if a.Category == "" {
				a.Category = defaultCategory(a.Type)
			}
			if a.UUID == "" {
				// STIX keeps no UUID for it: one from what it is, and
				// its place among equal ones, so that MISP gets no UUID
				// twice.
				seed := x.UUID + " - " + a.Relation + " - " + a.Value
				if n := seen[seed]; n > 0 {
					seed += fmt.Sprintf(" - %d", n)
				}
				seen[x.UUID+" - "+a.Relation+" - "+a.Value]++
				a.UUID = uuid5(seed)
			}
		}
	}
	if len(o.Attribute) == 0 {
		return nil, nil, nil
	}
	if hasInd && !setToIDs(all, t, str(ind, "pattern")) {
		return nil, nil, nil
	}
	// The labels other than the template's are the attributes' tags, in
	// order: one that an attribute has already goes on the next.
	i := 0
	for _, l := range other {
		for i < len(o.Attribute) && slices.Contains(o.Attribute[i].Tag, outTag{l}) {
			i++
		}
		if i == len(o.Attribute) {
			return nil, nil, nil
		}
		o.Attribute[i].Tag = append(o.Attribute[i].Tag, outTag{l})
	}
	tlp, _ := markingTLP(od)
	if !f.convertsTo(o, parts, str(od, "created_by_ref"), tlp, ids) {
		return nil, nil, nil
	}
	return o, parts, ids
}

// basedOn returns the id of the based-on relationship from ind to od.
func (f *fromSTIX) basedOn(ind, od string) string {
	for _, rid := range f.basedOnFrom(ind) {
		if str(f.byID[rid], "target_ref") == od {
			return rid
		}
	}
	return ""
}

// markingTLP is the TLP of an object's TLP marking, when it has exactly
// the one ToSTIX writes.
func markingTLP(o obj) (mosaic.TLP, bool) {
	refs, _ := o["object_marking_refs"].([]any)
	if len(refs) == 0 {
		return "", true
	}
	if len(refs) != 1 {
		return "", false
	}
	s, _ := refs[0].(string)
	return stix.TLPFromMarking(s)
}

// reader reads a template's attributes back from the STIX objects.
type reader struct {
	f      *fromSTIX
	scos   []obj
	failed bool
}

func attr(rel, typ, v string) *outAttr {
	return &outAttr{Type: typ, Relation: rel, Value: v}
}

// sco returns the SCO of id among the object's, and its UUID.
func (r *reader) sco(id any) (obj, string) {
	s, _ := id.(string)
	for _, o := range r.scos {
		if str(o, "id") == s {
			return o, idUUID(s)
		}
	}
	r.failed = true
	return nil, ""
}

// lookup returns the value at a dotted property path.
func lookup(o obj, path string) (any, bool) {
	var cur any = o
	for _, p := range splitPath(path) {
		m, ok := cur.(obj)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// valueText is a property value as the MISP attribute value ToSTIX reads
// it from.
func valueText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// hashType is the MISP attribute type of a STIX hashes key.
func hashType(k string) string {
	for _, t := range slices.Sorted(maps.Keys(hashKeys)) {
		if hashKeys[t] == k && !strings.Contains(t, "/") {
			return t
		}
	}
	return ""
}

// fieldTypes are MISP attribute types of template relations, where the
// relation is not itself the type. ToSTIX reads an object's attributes by
// relation; the type is for MISP.
var fieldTypes = map[string]string{"mimetype": "mime-type", "path": "text", "username": "text", "user-id": "text",
	"display-name": "text", "first-seen": "datetime", "last-seen": "datetime", "first-packet-seen": "datetime",
	"command-line": "text", "current-directory": "text", "asn": "AS", "FileName": "filename", "FileSize": "size-in-bytes",
	"key": "regkey", "issuer": "text", "subject": "text", "url": "url", "dst-port": "port", "src-port": "port",
	"pid": "text", "name": "text", "password": "text", "cpe": "cpe", "description": "text"}

// fieldType is the MISP attribute type for a template field.
func fieldType(fd field) string {
	if t, ok := fieldTypes[fd.rel]; ok {
		return t
	}
	switch fd.rel {
	case "filename", "size-in-bytes", "domain", "hostname", "ip-src", "ip-dst", "mutex", "imphash":
		return fd.rel
	}
	switch fd.kind {
	case 't':
		return "datetime"
	case 'b':
		return "boolean"
	case 'f':
		return "float"
	case 'i':
		return "counter"
	}
	return "text"
}

// fields reads the template's fields (objBuilder.apply) back.
func (r *reader) fields(main obj, fields []field) []*outAttr {
	var out []*outAttr
	for _, fd := range fields {
		if fd.path == "hashes" {
			typ := fd.rel
			if _, ok := hashKeys[strings.TrimPrefix(typ, "x509-fingerprint-")]; !ok {
				typ = strings.ToLower(strings.ReplaceAll(fd.rel, "-", ""))
			}
			h, _ := main["hashes"].(obj)
			if v, ok := h[hashKeys[strings.TrimPrefix(typ, "x509-fingerprint-")]].(string); ok {
				out = append(out, attr(fd.rel, typ, v))
			}
			continue
		}
		v, ok := lookup(main, fd.path)
		if !ok {
			continue
		}
		typ := fieldType(fd)
		if fd.kind == 'l' || fd.kind == 'g' {
			l, _ := v.([]any)
			for _, e := range l {
				if s, ok := valueText(e); ok {
					out = append(out, attr(fd.rel, typ, s))
				}
			}
			continue
		}
		if s, ok := valueText(v); ok {
			out = append(out, attr(fd.rel, typ, s))
		}
	}
	return out
}

// rest reads back the relations ToSTIX kept as x_misp_<relation>
// properties (objBuilder.rest).
func (r *reader) rest(p obj, name string) []*outAttr {
	var out []*outAttr
	for _, k := range slices.Sorted(maps.Keys(p)) {
		rel, ok := strings.CutPrefix(k, "x_misp_")
		if !ok || rel == "" {
			continue
		}
		if _, isExt := p[k].(obj); isExt && k == "x_misp_pe" && name == "file" {
			continue // the pe object's, read by special
		}
		vals, list := p[k].([]any)
		if !list {
			vals = []any{p[k]}
		}
		for _, v := range vals {
			switch x := v.(type) {
			case string:
				out = append(out, attr(rel, "text", x))
			case obj:
				a := attr(rel, "attachment", str(x, "value"))
				a.Data = str(x, "data")
				out = append(out, a)
			default:
				r.failed = true
			}
		}
	}
	return out
}

// special reads back what objBuilder.special wrote, adding to o's
// attributes, and returns the pe and pe-section objects of a file.
func (r *reader) special(o *outObject, main obj, scos []obj) []*outObject {
	add := func(a *outAttr, uuid string) {
		a.UUID = uuid
		o.Attribute = append(o.Attribute, a)
	}
	switch o.Name {
	case "domain-ip":
		ips, _ := main["resolves_to_refs"].([]any)
		for _, ref := range ips {
			if ip, u := r.sco(ref); ip != nil {
				add(attr("ip", "ip-dst", str(ip, "value")), u)
			}
		}
		for _, s := range scos[1:] {
			if str(s, "type") == "domain-name" {
				add(attr("domain", "domain", str(s, "value")), idUUID(str(s, "id")))
			}
		}
	case "ip-port", "network-connection", "network-socket", "netflow", "http-request":
		for _, side := range []string{"src", "dst"} {
			if ref, ok := main[side+"_ref"]; ok {
				if ip, u := r.sco(ref); ip != nil {
					add(attr("ip-"+side, "ip-"+side, str(ip, "value")), u)
				}
			}
		}
		protocols, _ := main["protocols"].([]any)
		def := []any{"tcp"}
		switch o.Name {
		case "ip-port":
			def = []any{"ipv4"}
		case "http-request":
			def = protocols
		}
		if !reflect.DeepEqual(protocols, def) {
			for _, p := range protocols {
				add(attr("protocol", "text", fmt.Sprint(p)), "")
			}
		}
		ext, _ := main["extensions"].(obj)
		if h, ok := ext["http-request-ext"].(obj); ok {
			add(attr("method", "http-method", str(h, "request_method")), "")
			add(attr("uri", "uri", str(h, "request_value")), "")
			hdr, _ := h["request_header"].(obj)
			for _, k := range []struct{ name, rel, typ string }{{"User-Agent", "user-agent", "user-agent"}, {"Content-Type", "content-type", "other"}} {
				if l, _ := hdr[k.name].([]any); len(l) == 1 {
					add(attr(k.rel, k.typ, fmt.Sprint(l[0])), "")
				}
			}
		}
		if s, ok := ext["socket-ext"].(obj); ok {
			for _, k := range []struct{ prop, rel string }{{"address_family", "address-family"}, {"socket_type", "socket-type"}} {
				if v := str(s, k.prop); v != "" {
					add(attr(k.rel, "text", v), "")
				}
			}
			if s["is_listening"] == true {
				add(attr("state", "text", "listening"), "")
			}
		}
	case "process":
		if ref, ok := main["image_ref"]; ok {
			if img, u := r.sco(ref); img != nil {
				add(attr("image", "filename", str(img, "name")), u)
			}
		}
		pid := func(rel string, ref any) {
			if p, u := r.sco(ref); p != nil {
				v, _ := valueText(p["pid"])
				add(attr(rel, "text", v), u)
			}
		}
		if ref, ok := main["parent_ref"]; ok {
			pid("parent-pid", ref)
		}
		children, _ := main["child_refs"].([]any)
		for _, ref := range children {
			pid("child-pid", ref)
		}
	case "registry-key":
		if vals, _ := main["values"].([]any); len(vals) == 1 {
			v, _ := vals[0].(obj)
			for _, k := range []struct{ prop, rel string }{{"name", "name"}, {"data", "data"}, {"data_type", "data-type"}} {
				if s, ok := v[k.prop].(string); ok {
					add(attr(k.rel, "text", s), "")
				}
			}
		}
	case "file":
		for _, a := range r.hashes(main) {
			add(a, "")
		}
		if ref, ok := main["parent_directory_ref"]; ok {
			if d, u := r.sco(ref); d != nil {
				add(attr("path", "text", str(d, "path")), u)
			}
		}
		if ref, ok := main["content_ref"]; ok {
			if art, u := r.sco(ref); art != nil {
				ah, _ := art["hashes"].(obj)
				a := attr("malware-sample", "malware-sample", str(art, "x_misp_filename")+"|"+fmt.Sprint(ah["MD5"]))
				a.Data = str(art, "payload_bin")
				add(a, u)
			}
		}
		ext, _ := main["extensions"].(obj)
		if pe, ok := ext["windows-pebinary-ext"].(obj); ok {
			return r.pe(o, pe, true)
		}
		if pe, ok := main["x_misp_pe"].(obj); ok {
			return r.pe(o, pe, false)
		}
	}
	return nil
}

// hashes reads an object's hashes back into attributes, in the order of
// their names; a hash MISP has no type for fails the rebuild.
func (r *reader) hashes(o obj) []*outAttr {
	h, _ := o["hashes"].(obj)
	var out []*outAttr
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v, ok := h[k].(string)
		typ := hashType(k)
		if !ok || typ == "" {
			r.failed = true
			continue
		}
		out = append(out, attr(typ, typ, v))
	}
	return out
}

// pe reads the windows-pebinary-ext of a file back into the pe object and
// the pe-section objects it includes (objBuilder.pe).
func (r *reader) pe(file *outObject, ext obj, typed bool) []*outObject {
	peObj := &outObject{UUID: uuid5(file.UUID + " - pe"), Name: "pe", MetaCategory: "file", Timestamp: file.Timestamp}
	fields := peFields
	if !typed {
		fields = peFields[1:] // no pe_type: ToSTIX kept the data as x_misp_pe
	}
	peObj.Attribute = append(r.fields(ext, fields), r.rest(ext, "pe")...)
	file.ObjectReference = append(file.ObjectReference, outRef{UUID: uuid5(file.UUID + " - includes - " + peObj.UUID), ReferencedUUID: peObj.UUID, RelationshipType: "includes"})
	out := []*outObject{peObj}
	sections, _ := ext["sections"].([]any)
	for i, s := range sections {
		sec, _ := s.(obj)
		so := &outObject{UUID: uuid5(fmt.Sprintf("%s - pe-section - %d", file.UUID, i)), Name: "pe-section", MetaCategory: "file", Timestamp: file.Timestamp}
		for _, a := range r.fields(sec, sectionFields) {
			if a.Relation != "name" || a.Value != "" {
				so.Attribute = append(so.Attribute, a)
			}
		}
		so.Attribute = append(so.Attribute, r.hashes(sec)...)
		so.Attribute = append(so.Attribute, r.rest(sec, "pe-section")...)
		peObj.ObjectReference = append(peObj.ObjectReference, outRef{UUID: uuid5(peObj.UUID + " - includes - " + so.UUID), ReferencedUUID: so.UUID, RelationshipType: "includes"})
		out = append(out, so)
	}
	return out
}

// inObject is the MISP object ToSTIX reads for a rebuilt one.
func inObject(o *outObject) *object {
	in := &object{UUID: text(o.UUID), Name: text(o.Name), MetaCategory: text(o.MetaCategory), Comment: text(o.Comment),
		Timestamp: text(o.Timestamp), FirstSeen: text(o.FirstSeen), LastSeen: text(o.LastSeen)}
	for _, a := range o.Attribute {
		x := attribute{UUID: text(a.UUID), Type: text(a.Type), Category: text(a.Category), Value: text(a.Value),
			ToIDs: flag(a.ToIDs), Timestamp: text(a.Timestamp), Data: text(a.Data), ObjectRelation: text(a.Relation)}
		for _, t := range a.Tag {
			x.Tag = append(x.Tag, tag{Name: text(t.Name)})
		}
		in.Attribute = append(in.Attribute, x)
	}
	for _, r := range o.ObjectReference {
		in.ObjectReference = append(in.ObjectReference, reference{UUID: text(r.UUID), ReferencedUUID: text(r.ReferencedUUID), RelationshipType: text(r.RelationshipType)})
	}
	return in
}

func inObjects(os []*outObject) []*object {
	out := make([]*object, len(os))
	for i, o := range os {
		out[i] = inObject(o)
	}
	return out
}

// setToIDs sets to_ids on the attributes whose comparisons the pattern
// of the object's indicator holds, and orders them as the pattern does
// (within each object, in the places of the attributes with to_ids), so
// that ToSTIX writes the same pattern. It reports whether every
// comparison of the pattern is some attribute's.
func setToIDs(all []*outObject, t scoTemplate, pat string) bool {
	want := comparisons(pat)
	if want == nil {
		return false
	}
	place := map[string]int{}
	for i, c := range want {
		if _, ok := place[c]; !ok {
			place[c] = i
		}
	}
	covered := map[string]bool{}
	for k, v := range t.fixed {
		for _, c := range comparisons(buildPattern([]cmp{{t.typ + ":" + k, v}})) {
			covered[c] = true
		}
	}
	pos := map[*outAttr]int{}
	for _, x := range all {
		for _, a := range x.Attribute {
			a.ToIDs = true
			ins := inObjects(all)
			a.ToIDs = false
			c := newConverter(&event{})
			b := c.buildSCO(ins[0], ins[1:], t, all[0].UUID)
			if len(b.cmps) == 0 {
				continue
			}
			first := len(want)
			ok := true
			for _, cm := range b.cmps {
				cs := comparisons(buildPattern([]cmp{cm}))
				if len(cs) != 1 {
					ok = false
					break
				}
				p, in := place[cs[0]]
				if !in {
					ok = false
					break
				}
				first = min(first, p)
			}
			if ok {
				pos[a] = first
				for _, cm := range b.cmps {
					for _, c := range comparisons(buildPattern([]cmp{cm})) {
						covered[c] = true
					}
				}
			}
		}
	}
	for _, c := range want {
		if !covered[c] {
			return false
		}
	}
	for _, x := range all {
		var slots []int
		var ids []*outAttr
		for i, a := range x.Attribute {
			if _, ok := pos[a]; ok {
				a.ToIDs = true
				slots = append(slots, i)
				ids = append(ids, a)
			}
		}
		slices.SortStableFunc(ids, func(a, b *outAttr) int { return pos[a] - pos[b] })
		for i, s := range slots {
			x.Attribute[s] = ids[i]
		}
	}
	return true
}

// comparisons lists the equality comparisons of a pattern that is one
// observation expression of comparisons joined by AND, each written
// "path = constant" (one for each member of an IN set), as pattern writes
// them; nil for any other pattern.
func comparisons(s string) []string {
	p, err := pattern.Parse(s)
	if err != nil {
		return nil
	}
	var out []string
	walk := func(e pattern.ComparisonExpr) bool {
		return eachAnded(e, func(x *pattern.Comparison) bool {
			if x.Not {
				return false
			}
			switch x.Op {
			case pattern.Equal:
				out = append(out, x.Path.String()+" = "+x.Value.String())
			case pattern.In:
				set, ok := x.Value.(pattern.Set)
				if !ok {
					return false
				}
				for _, v := range set {
					out = append(out, x.Path.String()+" = "+v.String())
				}
			default:
				return false
			}
			return true
		})
	}
	var obs func(e pattern.ObservationExpr) bool
	obs = func(e pattern.ObservationExpr) bool {
		switch x := e.(type) {
		case *pattern.Observation:
			return walk(x.Expr)
		case *pattern.CompoundObservation:
			if x.Op != pattern.And {
				return false
			}
			for _, o := range x.Operands {
				if !obs(o) {
					return false
				}
			}
			return true
		}
		return false
	}
	if !obs(p.Expr) {
		return nil
	}
	return out
}

// convertsTo reports whether ToSTIX converts the object (with its parts)
// to exactly the STIX objects ids, as they are in the input.
func (f *fromSTIX) convertsTo(o *outObject, parts []*outObject, identity string, tlp mosaic.TLP, ids []string) bool {
	c := newConverter(&event{})
	c.identity, c.tlp = identity, tlp
	ins := inObjects(append([]*outObject{o}, parts...))
	if !c.object(ins[0], ins[1:]) || len(c.out) != len(ids) {
		return false
	}
	for _, raw := range c.out {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var got obj
		if err := d.Decode(&got); err != nil {
			return false
		}
		id := str(got, "id")
		if !slices.Contains(ids, id) || !reflect.DeepEqual(got, f.byID[id]) {
			return false
		}
	}
	return true
}
