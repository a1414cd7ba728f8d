package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"mosaic"
	"mosaic/pattern"
	"mosaic/stix"
)

// FromSTIX turns STIX 2.1 objects into one MISP event, returned as JSON
// with the {"Event": ...} wrapper, following misp-stix's STIX-to-MISP
// mapping for what ToSTIX writes:
//
//   - an indicator with a STIX pattern becomes an attribute with to_ids
//     set when its pattern is one observation of equalities that one
//     attribute type can hold (its misp:type label chooses between types
//     of one shape, such as url and link); any other pattern becomes a
//     stix2-pattern attribute holding it whole, as misp-stix imports
//     patterns it cannot take apart (an attachment or malware-sample
//     takes its value and content from the observed-data the indicator
//     is based on). yara, sigma, snort and suricata indicators become
//     attributes of those types;
//   - observed-data and the SCOs it refers to, and SCOs no observed-data
//     refers to, become attributes with to_ids unset (an observed-data with
//     an indicator based on it is that indicator's attribute);
//   - the report, if any, gives the event's uuid, info and date (info is
//     used when there is no report, or the report has no name), its labels
//     become tags; TLP marking references become one tlp:* tag, the
//     strictest, on the event; other labels become tags of the attribute;
//   - threat-actor, intrusion-set, malware, tool, attack-pattern and
//     course-of-action become galaxy clusters (the galaxy type from the
//     misp:galaxy-type label ToSTIX writes, else misp-stix's default for
//     the STIX type), with a misp-galaxy tag each; campaign and
//     vulnerability become campaign-name and vulnerability attributes,
//     notes text or comment attributes;
//   - sightings become sightings of the attribute they refer to;
//   - every attribute whose object is handled under another TLP than the
//     event (the strictest of all) carries that TLP as a tlp:* tag;
//   - the observed-data of a MISP object (misp:name label) becomes that
//     MISP object: the one ToSTIX converts to exactly it, its SCOs and
//     its indicator when there is one (rebuildObject), else one with its
//     file's properties or its SCOs' attributes, unless an indicator of
//     the same UUID already became it;
//   - a relationship between an attribute's object and a galaxy cluster's
//     puts the cluster and its tag on the attribute, and one from a MISP
//     object becomes one of its object references;
//   - attributes, objects, references, sightings and clusters keep the
//     order of the report's object_refs, and a report published at
//     another time than modified is a published event, so that ToSTIX
//     converts the event to the same report again.
//
// Everything else (other relationships, identities other than the
// report's creator and sighters, objects of other types) is listed in the
// returned skips. The error is for input that is not JSON objects.
func FromSTIX(objects []json.RawMessage, info string) ([]byte, []Skip, error) {
	in, err := parseObjects(objects)
	if err != nil {
		return nil, nil, err
	}
	f := in.event(in.order, info, nil)
	b, err := f.marshal()
	return b, append(in.skipped, f.skipped...), err
}

// stixInput is the objects FromSTIX and Events convert, by id.
type stixInput struct {
	byID    map[string]obj
	order   []string
	skipped []Skip
}

func parseObjects(objects []json.RawMessage) (*stixInput, error) {
	in := &stixInput{byID: map[string]obj{}}
	for i, raw := range objects {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var o obj
		if err := d.Decode(&o); err != nil {
			return nil, fmt.Errorf("objects[%d] is not a JSON object: %w", i, err)
		}
		id, _ := o["id"].(string)
		if id == "" {
			in.skipped = append(in.skipped, Skip{What: fmt.Sprintf("objects[%d]", i), Reason: "it has no id"})
			continue
		}
		if _, dup := in.byID[id]; dup {
			in.skipped = append(in.skipped, Skip{What: id, Reason: "a second version of an object already converted; the first one given is used"})
			continue
		}
		in.byID[id] = o
		in.order = append(in.order, id)
	}
	return in, nil
}

// event converts the objects ids name (in input order) into one event;
// tlp, when not nil, gives the TLP each object is handled under where it
// is stricter than its markings say.
func (in *stixInput) event(ids []string, info string, tlp map[string]mosaic.TLP) *fromSTIX {
	f := &fromSTIX{byID: make(map[string]obj, len(ids)), order: ids, attrByRef: map[string]*outAttr{},
		clusterTag: map[string]string{}, clusterOf: map[string]clusterIn{}, handling: tlp, byUUID: map[string]*outAttr{},
		objByRef: map[string]*outObject{}}
	for _, id := range ids {
		f.byID[id] = in.byID[id]
	}
	f.run(info)
	return f
}

// Events turns STIX objects into MISP events for export, in MISP's
// {"response": [{"Event": ...}, ...]} form: one event per report, from
// the report and the objects it refers to (with what those refer to, and
// the relationships and sightings among them), as FromSTIX converts them,
// and one more, named info, for the objects no report takes, when any of
// them maps. tlp gives the TLP each object is handled under (by id; nil
// for none) where it is stricter than the object's marking definitions:
// every attribute whose TLP differs from its event's carries a tlp:* tag
// of its own, and the event the strictest.
//
// An object is listed in the returned skips when no event took it, once,
// with the reason of the first event that left it out. The error is for
// input that is not JSON objects.
func Events(objects []json.RawMessage, tlp map[string]mosaic.TLP, info string) ([]byte, []Skip, error) {
	in, err := parseObjects(objects)
	if err != nil {
		return nil, nil, err
	}
	taken := map[string]bool{}
	var groups [][]string
	incoming, pos := in.incoming()
	for _, id := range in.order {
		if str(in.byID[id], "type") == "report" {
			g := in.closure(id, incoming, pos)
			for _, m := range g {
				taken[m] = true
			}
			groups = append(groups, g)
		}
	}
	var rest []string
	for _, id := range in.order {
		if !taken[id] {
			rest = append(rest, id)
		}
	}
	var events []json.RawMessage
	used := map[string]bool{}
	var skipped []Skip
	for i, g := range append(groups, rest) {
		if len(g) == 0 {
			continue
		}
		f := in.event(g, info, tlp)
		for id, ok := range f.used {
			used[id] = used[id] || ok
		}
		if i == len(groups) && len(f.attrs)+len(f.objs)+len(f.galaxies) == 0 {
			skipped = append(skipped, f.skipped...)
			continue // the objects outside reports, none of which maps
		}
		b, err := f.marshal()
		if err != nil {
			return nil, nil, err
		}
		// marshal names what MISP's definitions leave no place for.
		skipped = append(skipped, f.skipped...)
		events = append(events, b)
	}
	// Another contribution of an id an event took was not left out: the
	// event holds the id. Of an id no event took, the event's reason
	// tells more.
	skipped = append(skipped, in.skipped...)
	var out []Skip
	listed := map[string]bool{}
	for _, s := range skipped {
		if !used[s.What] && !listed[s.What] {
			listed[s.What] = true
			out = append(out, s)
		}
	}
	var b bytes.Buffer
	b.WriteString(`{"response": [`)
	for i, e := range events {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteByte('\n')
		b.Write(bytes.TrimSpace(e))
	}
	b.WriteString("\n]}\n")
	return b.Bytes(), out, nil
}

// closure returns the objects of a report's event: the report, what it
// refers to, what those refer to (but not marking definitions, which
// become tags), and the relationships and sightings among them, in input
// order. incoming maps ids to the relationships and sightings that refer
// to them; pos gives each id's place in the input.
func (in *stixInput) closure(report string, incoming map[string][]string, pos map[string]int) []string {
	set := map[string]bool{}
	queue := []string{report}
	add := func(id string) {
		if _, ok := in.byID[id]; ok && !set[id] {
			set[id] = true
			queue = append(queue, id)
		}
	}
	set[report] = true
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for k, v := range in.byID[id] {
			switch {
			case k == "object_marking_refs":
			case strings.HasSuffix(k, "_ref"):
				s, _ := v.(string)
				add(s)
			case strings.HasSuffix(k, "_refs"):
				l, _ := v.([]any)
				for _, e := range l {
					s, _ := e.(string)
					add(s)
				}
			}
		}
		for _, r := range incoming[id] {
			o := in.byID[r]
			if str(o, "type") == "sighting" || set[str(o, "source_ref")] && set[str(o, "target_ref")] {
				add(r)
			}
		}
	}
	out := slices.Collect(maps.Keys(set))
	slices.SortFunc(out, func(a, b string) int { return pos[a] - pos[b] })
	return out
}

// incoming maps each id to the relationships and sightings that refer to
// it, and gives each id's place in the input.
func (in *stixInput) incoming() (map[string][]string, map[string]int) {
	inc := map[string][]string{}
	pos := make(map[string]int, len(in.order))
	for i, id := range in.order {
		pos[id] = i
		o := in.byID[id]
		switch str(o, "type") {
		case "relationship":
			inc[str(o, "source_ref")] = append(inc[str(o, "source_ref")], id)
			inc[str(o, "target_ref")] = append(inc[str(o, "target_ref")], id)
		case "sighting":
			inc[str(o, "sighting_of_ref")] = append(inc[str(o, "sighting_of_ref")], id)
		}
	}
	return inc, pos
}

type outAttr struct {
	UUID      string       `json:"uuid"`
	Type      string       `json:"type"`
	Category  string       `json:"category"`
	Value     string       `json:"value"`
	ToIDs     bool         `json:"to_ids"`
	Timestamp string       `json:"timestamp"`
	Comment   string       `json:"comment,omitempty"`
	Data      string       `json:"data,omitempty"` // attachment and malware-sample content, base64
	FirstSeen string       `json:"first_seen,omitempty"`
	LastSeen  string       `json:"last_seen,omitempty"`
	Relation  string       `json:"object_relation,omitempty"`
	Tag       []outTag     `json:"Tag,omitempty"`
	Galaxy    []*outGalaxy `json:"Galaxy,omitempty"`
	Sighting  []outSight   `json:"Sighting,omitempty"`

	tlp      mosaic.TLP // the TLP of the STIX object it came from
	pos      int        // its place in the event (see fromSTIX.position)
	clusters []attached // the galaxy clusters attached to it, for Galaxy
}

type attached struct {
	in  clusterIn
	pos int // the place of the relationship that attached it
}

func (a *outAttr) attachCluster(in clusterIn, pos int) {
	if in.cl != nil && !slices.ContainsFunc(a.clusters, func(x attached) bool { return x.in.cl == in.cl }) {
		a.clusters = append(a.clusters, attached{in, pos})
	}
}

type outTag struct {
	Name string `json:"name"`
}

type outSight struct {
	UUID         string  `json:"uuid"`
	Type         string  `json:"type"`
	DateSighting string  `json:"date_sighting"`
	Source       string  `json:"source,omitempty"`
	Organisation *outOrg `json:"Organisation,omitempty"`

	pos int
}

type outOrg struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

type outObject struct {
	UUID            string     `json:"uuid"`
	Name            string     `json:"name"`
	MetaCategory    string     `json:"meta-category"`
	Timestamp       string     `json:"timestamp"`
	Comment         string     `json:"comment,omitempty"`
	FirstSeen       string     `json:"first_seen,omitempty"`
	LastSeen        string     `json:"last_seen,omitempty"`
	Attribute       []*outAttr `json:"Attribute"`
	ObjectReference []outRef   `json:"ObjectReference,omitempty"`

	pos    int
	partOf *outObject // the file a pe or pe-section object is folded into
}

type outRef struct {
	UUID             string `json:"uuid"`
	ReferencedUUID   string `json:"referenced_uuid"`
	RelationshipType string `json:"relationship_type"`

	pos int
}

type outCluster struct {
	UUID        string         `json:"uuid"`
	Type        string         `json:"type"`
	Value       string         `json:"value"`
	Description string         `json:"description,omitempty"`
	TagName     string         `json:"tag_name"`
	Meta        map[string]any `json:"meta,omitempty"`

	pos int
}

type outGalaxy struct {
	UUID          string        `json:"uuid,omitempty"`
	Type          string        `json:"type"`
	Name          string        `json:"name"`
	GalaxyCluster []*outCluster `json:"GalaxyCluster"`
}

type clusterIn struct {
	cl *outCluster
	g  *outGalaxy
}

type fromSTIX struct {
	byID    map[string]obj
	order   []string
	used    map[string]bool
	skipped []Skip

	ev        map[string]any
	attrs     []*outAttr
	objs      []*outObject
	galaxies  []*outGalaxy
	tags      []string
	tlp       mosaic.TLP
	attrByRef map[string]*outAttr // STIX id -> the attribute it became
	// clusterTag maps the STIX id of each object that became a galaxy
	// cluster to the cluster's tag, clusterOf to the cluster and its
	// galaxy.
	clusterTag map[string]string
	clusterOf  map[string]clusterIn
	// handling gives TLPs stricter than objects' markings (Events).
	handling map[string]mosaic.TLP
	// byUUID maps the UUID of each indicator that became an attribute or
	// a MISP object to that attribute (the object's first): ToSTIX names
	// the indicator and observed-data of one MISP object alike.
	byUUID map[string]*outAttr
	// objByRef maps STIX ids to the MISP object they became.
	objByRef map[string]*outObject
	// places gives each id its place in the event: in the report's
	// object_refs, else after them in input order.
	places map[string]int
	// basedOnIndex maps indicators to the based-on relationships from them.
	basedOnIndex map[string][]string
}

// basedOnFrom returns the based-on relationships from an indicator, in
// input order.
func (f *fromSTIX) basedOnFrom(id string) []string {
	if f.basedOnIndex == nil {
		f.basedOnIndex = map[string][]string{}
		for _, rid := range f.order {
			if r := f.byID[rid]; str(r, "type") == "relationship" && str(r, "relationship_type") == "based-on" {
				f.basedOnIndex[str(r, "source_ref")] = append(f.basedOnIndex[str(r, "source_ref")], rid)
			}
		}
	}
	return f.basedOnIndex[id]
}

// position is the place of a STIX id in the event (see places).
func (f *fromSTIX) position(id string) int {
	if p, ok := f.places[id]; ok {
		return p
	}
	return len(f.places)
}

// setPlaces fills places from the report (nil when there is none).
func (f *fromSTIX) setPlaces(report obj) {
	f.places = map[string]int{}
	refs, _ := report["object_refs"].([]any)
	for _, r := range refs {
		if s, ok := r.(string); ok {
			if _, dup := f.places[s]; !dup {
				f.places[s] = len(f.places)
			}
		}
	}
	for _, id := range f.order {
		if _, ok := f.places[id]; !ok {
			f.places[id] = len(f.places)
		}
	}
}

// sortByPlace puts attributes, objects, their references, sightings and
// galaxy clusters in the order of the report's object_refs, which is the
// order ToSTIX converted them in: converting the event again then writes
// the same report.
func (f *fromSTIX) sortByPlace() {
	attrPos, objPos := map[*outAttr]int{}, map[*outObject]int{}
	for id, a := range f.attrByRef {
		if p, ok := attrPos[a]; !ok || f.position(id) < p {
			attrPos[a] = f.position(id)
		}
	}
	for id, o := range f.objByRef {
		if p, ok := objPos[o]; !ok || f.position(id) < p {
			objPos[o] = f.position(id)
		}
	}
	for a, p := range attrPos {
		a.pos = p
	}
	for o, p := range objPos {
		o.pos = p
	}
	for _, o := range f.objs {
		if o.partOf != nil {
			o.pos = o.partOf.pos
		}
	}
	byPos := func(x, y int) int { return x - y }
	slices.SortStableFunc(f.attrs, func(a, b *outAttr) int { return byPos(a.pos, b.pos) })
	slices.SortStableFunc(f.objs, func(a, b *outObject) int { return byPos(a.pos, b.pos) })
	all := slices.Clone(f.attrs)
	for _, o := range f.objs {
		slices.SortStableFunc(o.ObjectReference, func(a, b outRef) int { return byPos(a.pos, b.pos) })
		all = append(all, o.Attribute...)
	}
	for _, a := range all {
		slices.SortStableFunc(a.Sighting, func(x, y outSight) int { return byPos(x.pos, y.pos) })
		slices.SortStableFunc(a.clusters, func(x, y attached) int { return byPos(x.pos, y.pos) })
		a.Galaxy = groupClusters(a.clusters)
	}
	var clusters []attached
	for _, g := range f.galaxies {
		for _, cl := range g.GalaxyCluster {
			clusters = append(clusters, attached{clusterIn{cl, g}, cl.pos})
		}
	}
	slices.SortStableFunc(clusters, func(x, y attached) int { return byPos(x.pos, y.pos) })
	f.galaxies = groupClusters(clusters)
}

// groupClusters lists clusters under their galaxies, in order: a cluster
// of another galaxy than the one before starts a galaxy entry.
func groupClusters(cls []attached) []*outGalaxy {
	var out []*outGalaxy
	for _, c := range cls {
		if n := len(out); n > 0 && out[n-1].Type == c.in.g.Type && out[n-1].Name == c.in.g.Name {
			out[n-1].GalaxyCluster = append(out[n-1].GalaxyCluster, c.in.cl)
			continue
		}
		out = append(out, &outGalaxy{UUID: c.in.g.UUID, Type: c.in.g.Type, Name: c.in.g.Name, GalaxyCluster: []*outCluster{c.in.cl}})
	}
	return out
}

func (f *fromSTIX) skip(what, why string) {
	f.skipped = append(f.skipped, Skip{What: what, Reason: why})
}

func str(o obj, k string) string { s, _ := o[k].(string); return s }

func idUUID(id string) string {
	_, u, _ := strings.Cut(id, "--")
	return normUUID(u)
}

// epochOf turns a STIX timestamp into MISP's Unix seconds.
func epochOf(ts string) string {
	if k, err := stix.TimeKey(ts); err == nil {
		if t, err := stix.KeyTime(k); err == nil {
			return strconv.FormatInt(t.Unix(), 10)
		}
	}
	return "0"
}

func isoOf(ts string) string {
	if k, err := stix.TimeKey(ts); err == nil {
		if t, err := stix.KeyTime(k); err == nil {
			return t.UTC().Format("2006-01-02T15:04:05.000000+00:00")
		}
	}
	return ""
}

func labelsOf(o obj) (misp map[string]string, other []string) {
	misp = map[string]string{}
	l, _ := o["labels"].([]any)
	for _, v := range l {
		s, _ := v.(string)
		if k, val, ok := strings.Cut(s, "="); ok && strings.HasPrefix(k, "misp:") {
			if uq, err := strconv.Unquote(val); err == nil {
				misp[strings.TrimPrefix(k, "misp:")] = uq
				continue
			}
		}
		if s != "" && s != "Threat-Report" {
			other = append(other, s)
		}
	}
	return misp, other
}

// tlpOf is the TLP an object is handled under: the strictest of its TLP
// marking definitions (object and granular) and of what f.handling says.
func (f *fromSTIX) tlpOf(id string, o obj) mosaic.TLP {
	refs, _ := o["object_marking_refs"].([]any)
	refs = slices.Clip(refs) // appended to below, never into the object
	gm, _ := o["granular_markings"].([]any)
	for _, g := range gm {
		if m, ok := g.(obj); ok {
			refs = append(refs, m["marking_ref"])
		}
	}
	t := f.handling[id]
	for _, r := range refs {
		if s, ok := r.(string); ok {
			if l, ok := stix.TLPFromMarking(s); ok {
				t = stricter(t, l)
			}
		}
	}
	return t
}

func (f *fromSTIX) run(info string) {
	f.used = map[string]bool{}
	f.ev = map[string]any{"info": info, "published": false, "analysis": "0", "threat_level_id": "4"}
	var reportTS string
	var report obj
	for _, id := range f.order {
		o := f.byID[id]
		f.tlp = stricter(f.tlp, f.tlpOf(id, o))
		if str(o, "type") != "report" || reportTS != "" {
			continue
		}
		f.used[id] = true
		report = o
		if u := idUUID(id); u != "" {
			f.ev["uuid"] = u
		}
		if n := str(o, "name"); n != "" && !strings.HasPrefix(n, "MISP event ") {
			f.ev["info"] = n
		}
		reportTS = str(o, "modified")
		if p := str(o, "published"); p != "" {
			f.ev["date"] = isoOf(p)[:10]
			// ToSTIX writes a published event's publish_timestamp as
			// published, else its timestamp: a report published at
			// another time than modified is a published event.
			if epochOf(p) != epochOf(str(o, "modified")) {
				f.ev["published"], f.ev["publish_timestamp"] = true, epochOf(p)
			}
		}
		_, other := labelsOf(o)
		for _, l := range other {
			if l != `misp:tool="MISP-STIX-Converter"` {
				f.tags = append(f.tags, l)
			}
		}
		if cb := str(o, "created_by_ref"); cb != "" {
			if ident, ok := f.byID[cb]; ok {
				f.ev["Orgc"] = outOrg{UUID: idUUID(cb), Name: str(ident, "name")}
				f.used[cb] = true
			}
		}
	}
	f.setPlaces(report)
	if f.ev["info"] == "" {
		f.ev["info"] = "STIX 2.1 import"
	}
	if reportTS == "" {
		for _, id := range f.order {
			if m := str(f.byID[id], "modified"); m != "" && m > reportTS {
				reportTS = m
			}
		}
	}
	f.ev["timestamp"] = epochOf(reportTS)
	if _, ok := f.ev["date"]; !ok {
		if iso := isoOf(reportTS); iso != "" {
			f.ev["date"] = iso[:10]
		}
	}
	if _, ok := f.ev["uuid"]; !ok {
		f.ev["uuid"] = uuid5("event - " + fmt.Sprint(f.ev["info"]) + " - " + reportTS)
	}
	// The MISP objects ToSTIX wrote become those objects again.
	for _, id := range f.order {
		if o := f.byID[id]; str(o, "type") == "observed-data" && !f.used[id] {
			f.knownObject(id, o)
		}
	}
	// Indicators first, so an observed-data they are based on is known.
	for _, id := range f.order {
		if o := f.byID[id]; str(o, "type") == "indicator" && !f.used[id] {
			f.indicator(id, o)
		}
	}
	for _, id := range f.order {
		if o := f.byID[id]; str(o, "type") == "observed-data" && !f.used[id] {
			f.observedData(id, o)
		}
	}
	for _, id := range f.order {
		o := f.byID[id]
		if f.used[id] {
			continue
		}
		switch t := str(o, "type"); t {
		case "threat-actor", "intrusion-set", "malware", "tool", "attack-pattern", "course-of-action":
			f.cluster(id, o)
		case "note":
			if id == "note--"+normUUID(fmt.Sprint(f.ev["uuid"])) && str(o, "content") == emptyEventNote {
				f.used[id] = true // ToSTIX's note on an empty event, which it writes again
				continue
			}
			f.sdoAttribute(id, o)
		case "campaign", "vulnerability":
			f.sdoAttribute(id, o)
		case "relationship":
			if str(o, "relationship_type") == "based-on" && f.used[str(o, "source_ref")] && f.used[str(o, "target_ref")] {
				f.used[id] = true
			}
		case "marking-definition":
			if _, ok := stix.TLPFromMarking(id); ok {
				f.used[id] = true
			}
		}
	}
	// A relationship between an attribute's object and a galaxy
	// cluster's is the cluster attached to the attribute, as ToSTIX
	// writes it: the cluster and its tag go on the attribute, where
	// ToSTIX reads them to write the relationship again.
	for _, id := range f.order {
		o := f.byID[id]
		if f.used[id] || str(o, "type") != "relationship" {
			continue
		}
		src, dst := str(o, "source_ref"), str(o, "target_ref")
		a, tag := f.attrByRef[src], f.clusterTag[dst]
		if a == nil {
			a, tag = f.attrByRef[dst], f.clusterTag[src]
		}
		if a != nil && tag != "" {
			if !slices.Contains(a.Tag, outTag{tag}) {
				a.Tag = append(a.Tag, outTag{tag})
			}
			in := f.clusterOf[dst]
			if in.cl == nil {
				in = f.clusterOf[src]
			}
			a.attachCluster(in, f.position(id))
			f.used[id] = true
			continue
		}
		// A relationship from a MISP object is one of its object
		// references, as ToSTIX reads them.
		from := f.objByRef[src]
		target := ""
		if to := f.objByRef[dst]; to != nil {
			target = to.UUID
		} else if to := f.attrByRef[dst]; to != nil {
			target = to.UUID
		}
		if from != nil && target != "" && str(o, "relationship_type") != "" {
			from.ObjectReference = append(from.ObjectReference, outRef{UUID: orNew(idUUID(id), id), ReferencedUUID: target, RelationshipType: str(o, "relationship_type"), pos: f.position(id)})
			f.used[id] = true
		}
	}
	for _, id := range f.order {
		if o := f.byID[id]; str(o, "type") == "sighting" {
			f.sighting(id, o)
		}
	}
	// SCOs no observed-data took are attributes of their own.
	for _, id := range f.order {
		o := f.byID[id]
		if f.used[id] || str(o, "created") != "" || strings.HasPrefix(id, "relationship--") || strings.HasPrefix(id, "sighting--") {
			continue
		}
		if a := f.scoAttribute(o, nil); a != nil {
			a.tlp = f.tlpOf(id, o)
			f.used[id] = true
			f.attrByRef[id] = a
			a.UUID = orNew(idUUID(id), id)
			a.Timestamp = f.ev["timestamp"].(string)
			f.attrs = append(f.attrs, a)
		}
	}
	for _, id := range f.order {
		if f.used[id] {
			continue
		}
		switch str(f.byID[id], "type") {
		case "relationship":
			f.skip(id, "MISP event JSON holds relationships only from MISP objects and between attributes and galaxy clusters, and this one is neither")
		case "identity":
			f.skip(id, "MISP event JSON holds identities only as the event's creator and as sighters")
		default:
			f.skip(id, "misp-stix's mapping has no MISP equivalent for it that Mosaic exports")
		}
	}
	if f.tlp != "" {
		f.tags = append([]string{"tlp:" + string(f.tlp)}, f.tags...)
	}
	f.sortByPlace()
}

// knownObject adds the MISP object that ToSTIX converts to the
// observed-data id and what goes with it (see rebuildObject), if any.
func (f *fromSTIX) knownObject(id string, od obj) {
	o, parts, ids := f.rebuildObject(id, od)
	if o == nil {
		return
	}
	for _, x := range ids {
		f.used[x] = true
	}
	f.objs = append(f.objs, o)
	for _, p := range parts {
		p.partOf = o
		f.objs = append(f.objs, p)
	}
	first := o.Attribute[0]
	f.byUUID[o.UUID] = first
	for _, x := range []string{id, "indicator--" + o.UUID} {
		if slices.Contains(ids, x) {
			f.attrByRef[x] = first
			f.objByRef[x] = o
		}
	}
}

func orNew(u, seed string) string {
	if u != "" {
		return u
	}
	return uuid5("attribute - " + seed)
}

// newAttr starts the attribute of a STIX SDO, from its labels and times.
func (f *fromSTIX) newAttr(id string, o obj) (*outAttr, map[string]string) {
	ml, other := labelsOf(o)
	a := &outAttr{UUID: orNew(idUUID(id), id), Type: ml["type"], Category: ml["category"],
		Timestamp: epochOf(str(o, "modified")), Comment: str(o, "description"), tlp: f.tlpOf(id, o)}
	for _, t := range other {
		a.Tag = append(a.Tag, outTag{t})
	}
	return a, ml
}

func (f *fromSTIX) indicator(id string, o obj) {
	a, ml := f.newAttr(id, o)
	a.ToIDs = true
	if vf := str(o, "valid_from"); vf != "" && epochOf(vf) != a.Timestamp {
		a.FirstSeen = isoOf(vf)
	}
	if vu := str(o, "valid_until"); vu != "" {
		a.LastSeen = isoOf(vu)
	}
	pat, pt := str(o, "pattern"), str(o, "pattern_type")
	switch pt {
	case "yara", "sigma", "snort", "suricata":
		a.Type, a.Value = pt, pat
	case "stix":
		cmps := equalities(pat)
		if v, data, ok := f.sample(id, a.Type); ok {
			// The pattern holds the content as binary, which no
			// equality reads back; the observed-data has it.
			a.Value, a.Data = v, data
		} else if v, t, ok := attributeFromCmps(cmps, a.Type); ok {
			a.Type, a.Value = t, v
		} else if obj := objectFromCmps(cmps, ml["name"]); obj != nil {
			obj.UUID, obj.Timestamp, obj.Comment = a.UUID, a.Timestamp, a.Comment
			for _, oa := range obj.Attribute {
				oa.ToIDs, oa.Timestamp, oa.tlp = true, a.Timestamp, a.tlp
				oa.UUID = uuid5(a.UUID + " - " + oa.Relation + " - " + oa.Value)
			}
			f.objs = append(f.objs, obj)
			f.used[id] = true
			f.attrByRef[id] = obj.Attribute[0]
			f.byUUID[a.UUID] = obj.Attribute[0]
			f.objByRef[id] = obj
			f.useBasedOn(id, obj.Attribute[0])
			return
		} else {
			a.Type, a.Value = "stix2-pattern", pat
		}
	default:
		// Not used: the reason must reach the summary, which leaves out
		// the skips of ids an event took.
		f.skip(id, fmt.Sprintf("pattern_type %q has no MISP attribute type", pt))
		return
	}
	if a.Category == "" {
		a.Category = defaultCategory(a.Type)
	}
	f.used[id] = true
	f.attrs = append(f.attrs, a)
	f.attrByRef[id] = a
	f.byUUID[a.UUID] = a
	f.useBasedOn(id, a)
}

// sample returns the value and content of an attachment or malware-sample
// attribute (typ, from the indicator's misp:type label) from the SCOs of
// the observed-data the indicator is based on.
func (f *fromSTIX) sample(id, typ string) (value, data string, ok bool) {
	if typ != "attachment" && typ != "malware-sample" {
		return "", "", false
	}
	for _, rid := range f.basedOnFrom(id) {
		r := f.byID[rid]
		refs, _ := f.byID[str(r, "target_ref")]["object_refs"].([]any)
		var scos []obj
		for _, ref := range refs {
			if s, ok := f.byID[fmt.Sprint(ref)]; ok {
				scos = append(scos, s)
				if str(s, "type") == "artifact" {
					data = str(s, "payload_bin")
				}
			}
		}
		if v, ok := valueFor(typ, scos); ok {
			return v, data, true
		}
	}
	return "", "", false
}

// useBasedOn marks the observed-data an indicator is based on (and its
// SCOs) as converted with the indicator: ToSTIX writes both for one
// attribute with to_ids.
func (f *fromSTIX) useBasedOn(id string, a *outAttr) {
	for _, rid := range f.basedOnFrom(id) {
		r := f.byID[rid]
		od := str(r, "target_ref")
		if o, ok := f.byID[od]; ok && str(o, "type") == "observed-data" {
			f.used[od], f.used[rid] = true, true
			f.attrByRef[od] = a
			refs, _ := o["object_refs"].([]any)
			for _, ref := range refs {
				if s, ok := ref.(string); ok {
					if _, ok := f.byID[s]; ok {
						f.used[s] = true
					}
				}
			}
		}
	}
}

// equalities returns the comparisons of a pattern that is one observation
// of equalities joined by AND, or nil.
func equalities(s string) []cmp {
	p, err := pattern.Parse(s)
	if err != nil {
		return nil
	}
	ob, ok := p.Expr.(*pattern.Observation)
	if !ok {
		return nil
	}
	var out []cmp
	all := eachAnded(ob.Expr, func(x *pattern.Comparison) bool {
		if x.Not || x.Op != pattern.Equal {
			return false
		}
		var v string
		switch c := x.Value.(type) {
		case pattern.String:
			v = string(c)
		case pattern.Int:
			v = strconv.FormatInt(int64(c), 10)
		default:
			return false
		}
		out = append(out, cmp{x.Path.String(), v})
		return true
	})
	if !all {
		return nil
	}
	return out
}

// eachAnded calls f on every comparison of e, and reports whether e joins
// its comparisons by AND alone and f took each of them.
func eachAnded(e pattern.ComparisonExpr, f func(*pattern.Comparison) bool) bool {
	switch x := e.(type) {
	case *pattern.Comparison:
		return f(x)
	case *pattern.BooleanExpr:
		if x.Op != pattern.And {
			return false
		}
		for _, o := range x.Operands {
			if !eachAnded(o, f) {
				return false
			}
		}
		return true
	}
	return false
}

// attributeFromCmps finds the one attribute a set of equalities describes,
// preferring the type the misp:type label names.
func attributeFromCmps(cmps []cmp, want string) (value, typ string, ok bool) {
	if len(cmps) == 0 {
		return "", "", false
	}
	m := map[string]string{}
	for _, c := range cmps {
		if _, dup := m[c.path]; dup {
			return "", "", false
		}
		m[c.path] = c.val.(string)
	}
	candidates := attributeShapes(m)
	for _, cd := range candidates {
		if cd.typ == want {
			return cd.value, cd.typ, true
		}
	}
	if len(candidates) > 0 && (want == "" || want == "stix2-pattern") {
		return candidates[0].value, candidates[0].typ, true
	}
	if len(candidates) > 0 {
		// The label names a type of another shape: trust the pattern.
		return candidates[0].value, candidates[0].typ, true
	}
	return "", "", false
}

type shape struct{ typ, value string }

// attributeShapes lists the attribute types whose ToSTIX pattern has
// exactly the paths of m, with the value each would have.
func attributeShapes(m map[string]string) []shape {
	only := func(paths ...string) bool {
		if len(m) != len(paths) {
			return false
		}
		for _, p := range paths {
			if _, ok := m[p]; !ok {
				return false
			}
		}
		return true
	}
	var out []shape
	for typ, k := range hashKeys {
		if only("file:hashes." + comp(k)) {
			out = append(out, shape{typ, m["file:hashes."+comp(k)]})
		}
		if only("file:name", "file:hashes."+comp(k)) {
			out = append(out, shape{"filename|" + typ, m["file:name"] + "|" + m["file:hashes."+comp(k)]})
		}
	}
	slices.SortFunc(out, func(a, b shape) int { return strings.Compare(a.typ, b.typ) })
	for _, side := range []string{"dst", "src"} {
		ref := "network-traffic:" + side + "_ref"
		if only(ref+".type", ref+".value") || only(ref+".value") {
			out = append(out, shape{"ip-" + side, m[ref+".value"]})
		}
		if only(ref+".type", ref+".value", "network-traffic:"+side+"_port") {
			out = append(out, shape{"ip-" + side + "|port", m[ref+".value"] + "|" + m["network-traffic:"+side+"_port"]})
		}
	}
	if only("network-traffic:dst_ref.type", "network-traffic:dst_ref.value", "network-traffic:dst_port") && m["network-traffic:dst_ref.type"] == "domain-name" {
		out = append([]shape{{"hostname|port", m["network-traffic:dst_ref.value"] + "|" + m["network-traffic:dst_port"]}}, out...)
	}
	single := map[string][]string{
		"domain-name:value": {"domain", "hostname"}, "url:value": {"url", "link", "uri"},
		"email-addr:value": {"email"}, "ipv4-addr:value": {"ip-dst"}, "ipv6-addr:value": {"ip-dst"},
		"mutex:name": {"mutex"}, "mac-addr:value": {"mac-address"}, "autonomous-system:number": {"AS"},
		"windows-registry-key:key": {"regkey"}, "file:name": {"filename"},
		"email-message:subject": {"email-subject"}, "email-message:from_ref.value": {"email-src"},
		"email-message:to_refs[*].value": {"email-dst"}, "email-message:body": {"email-body"},
		"email-message:message_id": {"email-message-id"}, "email-message:received_lines[*]": {"email-header"},
		"email-message:additional_header_fields.'Reply-To'": {"email-reply-to"},
		"email-message:additional_header_fields.'X-Mailer'": {"email-x-mailer"},
		"email-message:body_multipart[*].body_raw_ref.name": {"email-attachment"},
		"x509-certificate:hashes.MD5":                       {"x509-fingerprint-md5"}, "x509-certificate:hashes.'SHA-1'": {"x509-fingerprint-sha1"},
		"x509-certificate:hashes.'SHA-256'": {"x509-fingerprint-sha256"},
		"network-traffic:dst_port":          {"port"}, "file:size": {"size-in-bytes"},
		"network-traffic:extensions.'http-request-ext'.request_method":              {"http-method"},
		"network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'": {"user-agent"},
	}
	for p, types := range single {
		if only(p) {
			for _, t := range types {
				out = append(out, shape{t, m[p]})
			}
		}
	}
	if only("domain-name:value", "domain-name:resolves_to_refs[*].value") {
		out = append(out, shape{"domain|ip", m["domain-name:value"] + "|" + m["domain-name:resolves_to_refs[*].value"]})
	}
	if only("windows-registry-key:key", "windows-registry-key:values[*].data") {
		out = append(out, shape{"regkey|value", m["windows-registry-key:key"] + "|" + m["windows-registry-key:values[*].data"]})
	}
	if only("user-account:account_type", "user-account:account_login") && m["user-account:account_type"] == "github" {
		out = append(out, shape{"github-username", m["user-account:account_login"]})
	}
	return out
}

// objectFromCmps makes a MISP file, domain-ip or ip-port object of a
// pattern on one object type whose paths all map to the template's
// relations, as misp-stix imports such patterns; nil otherwise.
func objectFromCmps(cmps []cmp, name string) *outObject {
	if len(cmps) == 0 {
		return nil
	}
	typ, _, _ := strings.Cut(cmps[0].path, ":")
	var o *outObject
	add := func(rel, attrType, v string) {
		o.Attribute = append(o.Attribute, &outAttr{Type: attrType, Relation: rel, Value: v, Category: defaultCategory(attrType)})
	}
	switch typ {
	case "file":
		o = &outObject{Name: "file", MetaCategory: "file"}
		for _, c := range cmps {
			v := c.val.(string)
			switch {
			case c.path == "file:name":
				add("filename", "filename", v)
			case c.path == "file:size":
				add("size-in-bytes", "size-in-bytes", v)
			default:
				found := false
				for t, k := range hashKeys {
					if c.path == "file:hashes."+comp(k) && !strings.Contains(t, "/") {
						add(t, t, v)
						found = true
						break
					}
				}
				if !found {
					return nil
				}
			}
		}
	case "domain-name":
		o = &outObject{Name: "domain-ip", MetaCategory: "network"}
		for _, c := range cmps {
			switch c.path {
			case "domain-name:value":
				add("domain", "domain", c.val.(string))
			case "domain-name:resolves_to_refs[*].value":
				add("ip", "ip-dst", c.val.(string))
			default:
				return nil
			}
		}
	case "network-traffic":
		o = &outObject{Name: "ip-port", MetaCategory: "network"}
		// misp-stix writes each reference's type before its value; a
		// domain name is the template's domain, not an IP address.
		refType := map[string]string{}
		for _, c := range cmps {
			switch c.path {
			case "network-traffic:dst_ref.value", "network-traffic:src_ref.value":
				side := c.path[len("network-traffic:") : len("network-traffic:")+3]
				if refType[side] == "domain-name" {
					add("domain", "domain", c.val.(string))
				} else {
					add("ip-"+side, "ip-"+side, c.val.(string))
				}
			case "network-traffic:dst_port":
				add("dst-port", "port", c.val.(string))
			case "network-traffic:src_port":
				add("src-port", "port", c.val.(string))
			case "network-traffic:dst_ref.type", "network-traffic:src_ref.type":
				refType[c.path[len("network-traffic:"):len("network-traffic:")+3]] = c.val.(string)
			default:
				return nil
			}
		}
	default:
		return nil
	}
	if name != "" && name != o.Name {
		return nil
	}
	if len(o.Attribute) == 0 {
		return nil
	}
	return o
}

// observedData converts an observed-data (no indicator based on it) into
// the attribute its misp:type label names, or one attribute per SCO.
func (f *fromSTIX) observedData(id string, o obj) {
	refs, _ := o["object_refs"].([]any)
	var scos []obj
	for _, r := range refs {
		s, _ := r.(string)
		if so, ok := f.byID[s]; ok {
			scos = append(scos, so)
		}
	}
	if len(scos) == 0 {
		return
	}
	a, ml := f.newAttr(id, o)
	if ml["name"] != "" {
		f.objectData(id, a, ml, scos)
		return
	}
	if fo := str(o, "first_observed"); fo != "" && epochOf(fo) != a.Timestamp {
		a.FirstSeen = isoOf(fo)
	}
	if lo := str(o, "last_observed"); lo != "" && epochOf(lo) != a.Timestamp {
		a.LastSeen = isoOf(lo)
	}
	// The attribute is the one whose SCOs these are: try the main SCO
	// with the others as its references.
	var main *outAttr
	for _, s := range scos {
		if main = f.scoAttribute(s, scos); main != nil {
			break
		}
	}
	if main == nil {
		return
	}
	if a.Type != "" {
		if v, ok := valueFor(a.Type, scos); ok {
			main.Type, main.Value = a.Type, v
		} else if sameShape[a.Type] == main.Type {
			main.Type = a.Type
		}
	}
	main.UUID, main.Timestamp, main.FirstSeen, main.LastSeen, main.Tag, main.tlp = a.UUID, a.Timestamp, a.FirstSeen, a.LastSeen, a.Tag, a.tlp
	if a.Category != "" {
		main.Category = a.Category
	}
	if main.Type == "attachment" || main.Type == "malware-sample" {
		// The content travels in the attribute, as MISP keeps it.
		for _, s := range scos {
			if p := str(s, "payload_bin"); p != "" && str(s, "type") == "artifact" {
				main.Data = p
			}
		}
	}
	f.used[id] = true
	for _, s := range scos {
		f.used[str(s, "id")] = true
	}
	f.attrs = append(f.attrs, main)
	f.attrByRef[id] = main
}

// objectData converts the observed-data of a MISP object (its misp:name
// label names the template): it is the object an indicator of the same
// UUID already became, or a MISP object of that name whose attributes are
// its SCOs' properties.
func (f *fromSTIX) objectData(id string, a *outAttr, ml map[string]string, scos []obj) {
	done := func(first *outAttr) {
		f.used[id] = true
		for _, s := range scos {
			f.used[str(s, "id")] = true
		}
		f.attrByRef[id] = first
	}
	if first := f.byUUID[a.UUID]; first != nil {
		done(first)
		for _, x := range f.objs {
			if x.UUID == a.UUID {
				f.objByRef[id] = x
			}
		}
		return
	}
	o := &outObject{UUID: a.UUID, Name: ml["name"], MetaCategory: ml["category"], Timestamp: a.Timestamp, Comment: a.Comment}
	add := func(rel, typ, v string) {
		if v != "" {
			o.Attribute = append(o.Attribute, &outAttr{Type: typ, Relation: rel, Value: v, Category: defaultCategory(typ)})
		}
	}
	for _, s := range scos {
		if str(s, "type") != "file" {
			if sa := f.scoAttribute(s, scos); sa != nil {
				add(sa.Type, sa.Type, sa.Value)
			}
			continue
		}
		add("filename", "filename", str(s, "name"))
		h, _ := s["hashes"].(obj)
		for _, typ := range slices.Sorted(maps.Keys(hashKeys)) {
			if v, ok := h[hashKeys[typ]].(string); ok && !strings.Contains(typ, "/") {
				add(typ, typ, v)
			}
		}
		if n, ok := s["size"].(json.Number); ok {
			add("size-in-bytes", "size-in-bytes", n.String())
		}
		add("mimetype", "mime-type", str(s, "mime_type"))
		// Relations the mapping has no property for went into
		// x_misp_<relation> properties (ToSTIX), here and in the PE
		// extension.
		props := []obj{s}
		if ext, ok := s["extensions"].(obj); ok {
			if pe, ok := ext["windows-pebinary-ext"].(obj); ok {
				props = append(props, pe)
			}
		}
		for _, p := range props {
			for _, k := range slices.Sorted(maps.Keys(p)) {
				if rel, ok := strings.CutPrefix(k, "x_misp_"); ok {
					if v, ok := p[k].(string); ok {
						add(strings.ReplaceAll(rel, "_", "-"), "text", v)
					}
				}
			}
		}
	}
	if len(o.Attribute) == 0 {
		return // left to the per-SCO pass
	}
	if o.MetaCategory == "" {
		o.MetaCategory = "misc"
	}
	for _, oa := range o.Attribute {
		oa.Timestamp, oa.tlp = a.Timestamp, a.tlp
		oa.UUID = uuid5(o.UUID + " - " + oa.Relation + " - " + oa.Value)
	}
	f.objs = append(f.objs, o)
	done(o.Attribute[0])
	f.objByRef[id] = o
}

// sameShape maps attribute types to the type whose SCO they share, which
// their misp:type label tells apart.
var sameShape = map[string]string{"hostname": "domain", "uri": "url", "link": "url", "email-attachment": "filename", "attachment": "filename"}

// valueFor rebuilds the value of an attribute of type typ from the SCOs
// ToSTIX made of it.
func valueFor(typ string, scos []obj) (string, bool) {
	first := func(t string) obj {
		for _, s := range scos {
			if str(s, "type") == t {
				return s
			}
		}
		return nil
	}
	ip := func() string {
		if s := first("ipv4-addr"); s != nil {
			return str(s, "value")
		}
		if s := first("ipv6-addr"); s != nil {
			return str(s, "value")
		}
		return ""
	}
	num := func(o obj, k string) string {
		if o == nil {
			return ""
		}
		if n, ok := o[k].(json.Number); ok {
			return n.String()
		}
		return ""
	}
	var v string
	switch {
	case hashKeys[typ] != "":
		if f := first("file"); f != nil {
			h, _ := f["hashes"].(obj)
			v, _ = h[hashKeys[typ]].(string)
		}
	case strings.HasPrefix(typ, "filename|") && hashKeys[strings.TrimPrefix(typ, "filename|")] != "":
		if f := first("file"); f != nil {
			h, _ := f["hashes"].(obj)
			hv, _ := h[hashKeys[strings.TrimPrefix(typ, "filename|")]].(string)
			if hv != "" && str(f, "name") != "" {
				v = str(f, "name") + "|" + hv
			}
		}
	case typ == "domain|ip":
		if d := first("domain-name"); d != nil && ip() != "" {
			v = str(d, "value") + "|" + ip()
		}
	case typ == "ip-dst|port" || typ == "ip-src|port":
		side := typ[3:6]
		if p := num(first("network-traffic"), side+"_port"); p != "" && ip() != "" {
			v = ip() + "|" + p
		}
	case typ == "hostname|port":
		if d := first("domain-name"); d != nil {
			if p := num(first("network-traffic"), "dst_port"); p != "" {
				v = str(d, "value") + "|" + p
			}
		}
	case typ == "regkey|value":
		if k := first("windows-registry-key"); k != nil {
			vals, _ := k["values"].([]any)
			if len(vals) > 0 {
				if m, ok := vals[0].(obj); ok {
					v = str(k, "key") + "|" + str(m, "data")
				}
			}
		}
	case typ == "attachment":
		if f := first("file"); f != nil {
			v = str(f, "name")
		}
	case typ == "malware-sample":
		if f := first("file"); f != nil {
			h, _ := f["hashes"].(obj)
			md5, _ := h["MD5"].(string)
			v = str(f, "name") + "|" + md5
		}
	}
	return v, v != ""
}

// scoAttribute maps one SCO to the attribute misp-stix imports it as;
// others are the SCOs beside it (for references), or nil.
func (f *fromSTIX) scoAttribute(s obj, others []obj) *outAttr {
	find := func(id string) obj {
		for _, o := range others {
			if str(o, "id") == id {
				return o
			}
		}
		return f.byID[id]
	}
	a := &outAttr{}
	switch str(s, "type") {
	case "file":
		h, _ := s["hashes"].(obj)
		var keys []string
		for k := range h {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		hashType := ""
		if len(keys) > 0 {
			for t, k := range hashKeys {
				if k == keys[0] && !strings.Contains(t, "/") {
					hashType = t
				}
			}
		}
		switch name := str(s, "name"); {
		case hashType != "" && name != "":
			a.Type, a.Value = "filename|"+hashType, name+"|"+fmt.Sprint(h[keys[0]])
		case hashType != "":
			a.Type, a.Value = hashType, fmt.Sprint(h[keys[0]])
		case name != "":
			a.Type, a.Value = "filename", name
		}
	case "domain-name":
		a.Type, a.Value = "domain", str(s, "value")
		if r, _ := s["resolves_to_refs"].([]any); len(r) == 1 {
			if ipo := find(fmt.Sprint(r[0])); ipo != nil && str(ipo, "value") != "" {
				a.Type, a.Value = "domain|ip", a.Value+"|"+str(ipo, "value")
			}
		}
	case "ipv4-addr", "ipv6-addr":
		a.Type, a.Value = "ip-dst", str(s, "value")
	case "network-traffic":
		for _, side := range []string{"dst", "src"} {
			if ref := str(s, side+"_ref"); ref != "" {
				if ipo := find(ref); ipo != nil && strings.HasPrefix(ref, "ipv") {
					a.Type, a.Value = "ip-"+side, str(ipo, "value")
					if p, ok := s[side+"_port"].(json.Number); ok {
						a.Type, a.Value = a.Type+"|port", a.Value+"|"+p.String()
					}
					break
				}
			}
		}
	case "url":
		a.Type, a.Value = "url", str(s, "value")
	case "email-addr":
		a.Type, a.Value = "email", str(s, "value")
	case "mutex":
		a.Type, a.Value = "mutex", str(s, "name")
	case "mac-addr":
		a.Type, a.Value = "mac-address", str(s, "value")
	case "autonomous-system":
		if n, ok := s["number"].(json.Number); ok {
			a.Type, a.Value = "AS", n.String()
		}
	case "windows-registry-key":
		a.Type, a.Value = "regkey", str(s, "key")
	case "x509-certificate":
		h, _ := s["hashes"].(obj)
		for _, t := range []string{"sha256", "sha1", "md5"} {
			if v, ok := h[hashKeys[t]].(string); ok {
				a.Type, a.Value = "x509-fingerprint-"+t, v
				break
			}
		}
	case "email-message":
		switch {
		case str(s, "subject") != "":
			a.Type, a.Value = "email-subject", str(s, "subject")
		case str(s, "from_ref") != "":
			if e := find(str(s, "from_ref")); e != nil {
				a.Type, a.Value = "email-src", str(e, "value")
			}
		case str(s, "message_id") != "":
			a.Type, a.Value = "email-message-id", str(s, "message_id")
		case str(s, "body") != "":
			a.Type, a.Value = "email-body", str(s, "body")
		case s["additional_header_fields"] != nil:
			h, _ := s["additional_header_fields"].(obj)
			if v := str(h, "Reply-To"); v != "" {
				a.Type, a.Value = "email-reply-to", v
			} else if v := str(h, "X-Mailer"); v != "" {
				a.Type, a.Value = "email-x-mailer", v
			}
		case s["received_lines"] != nil:
			if l, _ := s["received_lines"].([]any); len(l) > 0 {
				a.Type, a.Value = "email-header", fmt.Sprint(l[0])
			}
		default:
			if to, _ := s["to_refs"].([]any); len(to) > 0 {
				if e := find(fmt.Sprint(to[0])); e != nil {
					a.Type, a.Value = "email-dst", str(e, "value")
				}
			}
		}
	case "user-account":
		if str(s, "account_type") == "github" && str(s, "account_login") != "" {
			a.Type, a.Value = "github-username", str(s, "account_login")
		}
	}
	if a.Type == "" || a.Value == "" {
		return nil
	}
	a.Category = defaultCategory(a.Type)
	return a
}

// defaultCategory is the MISP category for an attribute without one, as
// MISP's describeTypes sane defaults give it.
func defaultCategory(typ string) string {
	switch {
	case typ == "comment" || typ == "text" || typ == "other":
		return "Other"
	case typ == "vulnerability":
		return "External analysis"
	case typ == "campaign-name":
		return "Attribution"
	case typ == "regkey" || typ == "regkey|value" || typ == "mutex":
		return "Persistence mechanism"
	case typ == "link":
		return "External analysis"
	case strings.HasPrefix(typ, "email"), typ == "filename", hashKeys[typ] != "", strings.HasPrefix(typ, "filename|"),
		typ == "malware-sample", typ == "attachment", typ == "mac-address", strings.HasPrefix(typ, "x509"):
		return "Payload delivery"
	case typ == "yara" || typ == "sigma" || typ == "snort" || typ == "suricata" || typ == "stix2-pattern":
		return "Artifacts dropped"
	case typ == "github-username":
		return "Social network"
	}
	return "Network activity"
}

// galaxyDefaults is misp-stix's galaxy type for STIX objects that do not
// say which galaxy they came from.
var galaxyDefaults = map[string]string{"threat-actor": "threat-actor", "intrusion-set": "mitre-intrusion-set",
	"malware": "mitre-malware", "tool": "mitre-tool", "attack-pattern": "mitre-attack-pattern",
	"course-of-action": "mitre-course-of-action"}

func (f *fromSTIX) cluster(id string, o obj) {
	ml, _ := labelsOf(o)
	gt := ml["galaxy-type"]
	if galaxySDO[gt] != str(o, "type") {
		gt = galaxyDefaults[str(o, "type")]
	}
	name := str(o, "name")
	if name == "" {
		f.skip(id, "it has no name to make a galaxy cluster value of")
		f.used[id] = true
		return
	}
	cl := &outCluster{UUID: orNew(idUUID(id), id), Type: gt, Value: name, Description: str(o, "description"), Meta: map[string]any{}}
	if al, ok := o["aliases"].([]any); ok && len(al) > 0 {
		cl.Meta["synonyms"] = al
	}
	refs, _ := o["external_references"].([]any)
	var urls []any
	for _, r := range refs {
		m, _ := r.(obj)
		if eid := str(m, "external_id"); eid != "" && cl.Meta["external_id"] == nil {
			cl.Meta["external_id"] = []any{eid}
			if strings.HasPrefix(gt, "mitre-") {
				cl.Value = name + " - " + eid
			}
		}
		if u := str(m, "url"); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) > 0 {
		cl.Meta["refs"] = urls
	}
	if kc, ok := o["kill_chain_phases"].([]any); ok {
		var phases []any
		for _, p := range kc {
			m, _ := p.(obj)
			phases = append(phases, str(m, "kill_chain_name")+":"+str(m, "phase_name"))
		}
		cl.Meta["kill_chain"] = phases
	}
	// What ToSTIX kept of the cluster's other meta as custom properties
	// goes back into meta.
	for k, v := range o {
		if key, ok := strings.CutPrefix(k, "x_misp_"); ok && key != "" {
			cl.Meta[key] = v
		}
	}
	cl.TagName = fmt.Sprintf("misp-galaxy:%s=%q", gt, cl.Value)
	var g *outGalaxy
	for _, x := range f.galaxies {
		if x.Type == gt {
			g = x
		}
	}
	if g == nil {
		g = &outGalaxy{Type: gt, Name: ml["galaxy-name"]}
		if g.Name == "" {
			g.Name = gt
		}
		f.galaxies = append(f.galaxies, g)
	}
	g.GalaxyCluster = append(g.GalaxyCluster, cl)
	f.tags = append(f.tags, cl.TagName)
	f.clusterTag[id] = cl.TagName
	f.clusterOf[id] = clusterIn{cl, g}
	cl.pos = f.position(id)
	f.used[id] = true
}

func (f *fromSTIX) sdoAttribute(id string, o obj) {
	a, _ := f.newAttr(id, o)
	switch str(o, "type") {
	case "campaign":
		a.Type, a.Value = "campaign-name", str(o, "name")
	case "vulnerability":
		a.Type, a.Value = "vulnerability", str(o, "name")
	case "note":
		if a.Type != "comment" {
			a.Type = "text"
		}
		a.Value, a.Comment = str(o, "content"), str(o, "abstract")
	}
	if a.Value == "" {
		return
	}
	if a.Category == "" {
		a.Category = defaultCategory(a.Type)
	}
	f.used[id] = true
	f.attrs = append(f.attrs, a)
	f.attrByRef[id] = a
}

func (f *fromSTIX) sighting(id string, o obj) {
	a := f.attrByRef[str(o, "sighting_of_ref")]
	if a == nil {
		f.skip(id, "it refers to "+str(o, "sighting_of_ref")+", which did not become an attribute")
		f.used[id] = true
		return
	}
	when := str(o, "first_seen")
	if when == "" {
		when = str(o, "created")
	}
	s := outSight{UUID: orNew(idUUID(id), id), Type: "0", DateSighting: epochOf(when), Source: str(o, "description"), pos: f.position(id)}
	if w, _ := o["where_sighted_refs"].([]any); len(w) > 0 {
		if ident, ok := f.byID[fmt.Sprint(w[0])]; ok {
			s.Organisation = &outOrg{UUID: idUUID(fmt.Sprint(w[0])), Name: str(ident, "name")}
			f.used[fmt.Sprint(w[0])] = true
		}
	}
	a.Sighting = append(a.Sighting, s)
	f.used[id] = true
}

func (f *fromSTIX) marshal() ([]byte, error) {
	f.conform()
	// An attribute handled under another TLP than the event says so
	// itself; MISP reads the attribute's tag before the event's.
	tagTLP := func(a *outAttr) {
		if a.tlp != "" && a.tlp != f.tlp {
			a.Tag = append([]outTag{{"tlp:" + string(a.tlp)}}, a.Tag...)
		}
	}
	for _, a := range f.attrs {
		tagTLP(a)
	}
	for _, o := range f.objs {
		for _, a := range o.Attribute {
			tagTLP(a)
		}
	}
	ev := f.ev
	ev["Attribute"] = nonNil(f.attrs)
	ev["Object"] = nonNil(f.objs)
	ev["Galaxy"] = nonNil(f.galaxies)
	tags := []outTag{}
	seen := map[string]bool{}
	for _, t := range f.tags {
		if !seen[t] {
			seen[t] = true
			tags = append(tags, outTag{t})
		}
	}
	ev["Tag"] = tags
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"Event": ev}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
