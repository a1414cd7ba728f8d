package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mosaic"
	"mosaic/blockable"
	"mosaic/content"
	"mosaic/middleware"
	"mosaic/policy"
	"mosaic/stix"
	"mosaic/warninglist"
)

// PageSize is how many objects a list page shows.
const PageSize = 50

// listTypes are the types the list's filter offers; the filter accepts any
// STIX type name in the URL.
var listTypes = []string{
	"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
	"infrastructure", "intrusion-set", "location", "malware", "note", "observed-data", "opinion",
	"report", "threat-actor", "tool", "vulnerability", "relationship", "sighting",
	"domain-name", "email-addr", "file", "ipv4-addr", "ipv6-addr", "url",
}

var (
	typeName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}$`)
)

// objectRow is one line of an object table.
type objectRow struct {
	ID, Type, Name, Originator, Modified string
	Pin                                  string // as "add to release" names this contribution
	TLP                                  mosaic.TLP
	New                                  bool
}

type listView struct {
	Q, Type, TLP, Originator string
	Types                    []string
	TLPs                     []mosaic.TLP
	Originators              []string
	Rows                     []objectRow
	First, Next              string // links to the first and the next page
	Live                     bool   // the first page of everything: new records go on top
	LiveMax                  int    // how many rows the live table keeps
}

// props reads an object's top-level properties.
func props(obj []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	var m map[string]any
	_ = dec.Decode(&m)
	return m
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// displayName is what a person calls an object: its name, an SCO's value,
// a note's abstract or the start of its content, a relationship's
// sentence, or its id.
func displayName(m map[string]any) string {
	for _, k := range []string{"name", "value", "abstract", "content", "opinion", "hashes"} {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				return shorten(v, maxNameRunes)
			}
		case map[string]any:
			for _, alg := range []string{"SHA-256", "SHA-1", "MD5"} {
				if h, ok := v[alg].(string); ok {
					return alg + " " + h
				}
			}
		}
	}
	refType := func(ref string) string {
		t, _, _ := strings.Cut(ref, "--")
		return t
	}
	switch str(m, "type") {
	case "relationship":
		return refType(str(m, "source_ref")) + " " + str(m, "relationship_type") + " " + refType(str(m, "target_ref"))
	case "sighting":
		return "sighting of " + refType(str(m, "sighting_of_ref"))
	}
	return str(m, "id")
}

// maxNameRunes is how much of a long text names an object in a list.
const maxNameRunes = 100

func shorten(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// when shows a STIX timestamp to people, to the minute.
func when(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ts
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func rowOf(o mosaic.StoredObject, since int64) objectRow {
	m := props(o.Object)
	mod := str(m, "modified")
	if mod == "" {
		mod = str(m, "created")
	}
	return objectRow{ID: str(m, "id"), Type: str(m, "type"), Name: displayName(m), Originator: o.Envelope.Originator,
		Modified: when(mod), TLP: o.Envelope.TLP, New: since > 0 && o.Seq > since,
		Pin: content.Pin{ID: str(m, "id"), Modified: str(m, "modified"), Originator: o.Envelope.Originator}.String()}
}

func (s *Server) objects(w http.ResponseWriter, r *http.Request, q *request) error {
	qs := r.URL.Query()
	v := listView{Q: strings.TrimSpace(qs.Get("q")), Type: qs.Get("type"), TLP: qs.Get("tlp"), Originator: qs.Get("originator"),
		Types: listTypes, TLPs: mosaic.TLPLevels}
	f := mosaic.ObjectFilter{Query: v.Q, Limit: PageSize}
	if v.Type != "" {
		if !typeName.MatchString(v.Type) {
			return uiErr(mosaic.CodeInvalid, "error.type", v.Type)
		}
		f.Types = []string{v.Type}
	}
	if v.TLP != "" {
		t, err := mosaic.ParseTLP(v.TLP)
		if err != nil {
			return err
		}
		f.TLPs = []mosaic.TLP{t}
	}
	if v.Originator != "" {
		if !mosaic.ValidName(v.Originator) {
			return uiErr(mosaic.CodeInvalid, "error.org", v.Originator)
		}
		f.Originators = []string{v.Originator}
	}
	var err error
	if f.Before, err = s.cursorParam(r, qs.Get("cursor")); err != nil {
		return err
	}
	orgs, err := s.store.Orgs(r.Context())
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if o.Kind == mosaic.Partner {
			v.Originators = append(v.Originators, o.Name)
		}
	}
	action := "objects.list"
	if f.Query != "" {
		action = "objects.search"
	}
	page, err := s.content.List(r.Context(), q.viewer, f, access(action, r.URL.RawQuery))
	if err != nil {
		return err
	}
	for _, o := range page.Objects {
		v.Rows = append(v.Rows, rowOf(o, q.session.SinceSeq))
	}
	base := url.Values{}
	for k, val := range map[string]string{"q": v.Q, "type": v.Type, "tlp": v.TLP, "originator": v.Originator} {
		if val != "" {
			base.Set(k, val)
		}
	}
	if f.Before > 0 {
		v.First = "/objects?" + base.Encode()
	}
	v.Live = len(base) == 0 && f.Before == 0 && policy.SeesContent(q.viewer)
	v.LiveMax = PageSize
	if page.Next > 0 {
		c, err := s.cursors.Seal(r.Context(), page.Next)
		if err != nil {
			return err
		}
		base.Set("cursor", c)
		v.Next = "/objects?" + base.Encode()
	}
	p := s.newPage(q, "objects")
	if len(v.Rows) > 0 {
		if err := s.offerPick(r, q, p, ""); err != nil {
			return err
		}
	}
	p.Title = p.T("objects.title")
	if v.Q != "" {
		p.Title = p.T("objects.results", v.Q)
	}
	p.Data = v
	s.render(w, http.StatusOK, "objects", p)
	return nil
}

// prop is one STIX property shown on an object's page.
type prop struct {
	Key, Value string
	Refs       []string // ids to link to
	Block      bool     // Value is indented JSON
	Cut        bool     // Value or Refs is only the start; the raw JSON has it all
}

// Bounds on an object's page, which a contributor can make as large as the
// upload limit: a property shows its first maxPropValue bytes or maxRefs
// references, and the raw JSON is inline only up to maxInlineRaw; beyond
// that the page links to it.
const (
	maxPropValue = 4 << 10
	maxRefs      = 100
	maxInlineRaw = 64 << 10
)

// cut shortens p to the page's bounds.
func (p *prop) cut() {
	if len(p.Value) > maxPropValue {
		n := maxPropValue
		for n > 0 && !utf8.RuneStart(p.Value[n]) {
			n--
		}
		p.Value, p.Cut = p.Value[:n]+"…", true
	}
	if len(p.Refs) > maxRefs {
		p.Refs, p.Cut = p.Refs[:maxRefs], true
	}
}

type relRow struct {
	ID, Kind, Other string
	OtherName       string // "" when the viewer cannot see the other object
	Outgoing        bool   // this object is the source
}

type diffLine struct {
	Kind, Key, Value string // Kind: added, removed, changed
}

type versionRow struct {
	Modified, Originator string
	TLP                  mosaic.TLP
	Diff                 []diffLine
}

type correlatedRow struct {
	objectRow
	Shared []string
}

type objectView struct {
	ID, Type, Name string
	Env            mosaic.Envelope
	// Contributions names whose version of the object the viewer sees
	// from each organisation that contributed one; the page shows the
	// newest, and says so when there are several.
	Contributions []content.Contribution
	Audience      string
	Props         []prop
	Raw           string // "" when it is too large to show inline
	RawSize       int
	Relationships []relRow
	Graph         graph
	Correlations  []correlatedRow
	Versions      []versionRow
	// NeverBlock says why values of the object must never be blocked
	// (package warninglist): blocklists leave them out.
	NeverBlock []string
}

// MaxRelationships and MaxCorrelations bound the lists of an object's
// page; MaxCorrelationTerms the observables a correlation looks for, as in
// the REST API.
const (
	MaxRelationships    = 100
	MaxCorrelations     = 50
	MaxCorrelationTerms = 500
)

func (s *Server) object(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	if !stix.IsID(id) {
		return uiErr(mosaic.CodeInvalid, "error.id", id)
	}
	view, err := s.content.View(r.Context(), q.viewer, id, MaxRelationships, MaxCorrelations, access("objects.get", ""))
	if err != nil {
		return err
	}
	objs := view.Versions
	head := objs[0]
	m := props(head.Object)
	v := objectView{ID: id, Type: str(m, "type"), Name: displayName(m), Env: head.Envelope, Audience: head.Envelope.Audience.String()}
	v.Props = readable(m)
	for _, val := range blockable.FromProps(m) {
		if why, ok := warninglist.Reason(val.Kind, val.Value); ok {
			v.NeverBlock = append(v.NeverBlock, why)
		}
	}
	v.RawSize = len(head.Object)
	if len(head.Object) <= maxInlineRaw {
		var raw bytes.Buffer
		_ = json.Indent(&raw, head.Object, "", "  ")
		v.Raw = raw.String()
	}
	for _, o := range view.Relationships {
		rm := props(o.Object)
		row := relRow{ID: str(rm, "id"), Kind: str(rm, "relationship_type"), Other: str(rm, "target_ref"), Outgoing: true}
		if row.Other == id {
			row.Other, row.Outgoing = str(rm, "source_ref"), false
		}
		if end, ok := view.Ends[row.Other]; ok {
			row.OtherName = displayName(props(end.Object))
		}
		v.Relationships = append(v.Relationships, row)
	}
	v.Graph = relationshipGraph(shorten(v.Name, maxGraphLabel), v.Relationships, q.t("object.graph", len(v.Relationships)))
	for _, c := range view.Correlations {
		v.Correlations = append(v.Correlations, correlatedRow{objectRow: rowOf(c.StoredObject, 0), Shared: c.Shared})
	}
	v.Versions = versions(objs)
	v.Contributions = content.Contributions(objs)
	p := s.newPage(q, "objects")
	if err := s.offerPick(r, q, p, content.Pin{ID: id, Modified: str(m, "modified"), Originator: head.Envelope.Originator}.String()); err != nil {
		return err
	}
	p.Title = v.Name
	p.Data = v
	s.render(w, http.StatusOK, "object", p)
	return nil
}

// objectRaw serves the newest visible version of an object as its STIX
// JSON, whole: the object's page links here when it shows only part.
func (s *Server) objectRaw(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	if !stix.IsID(id) {
		return uiErr(mosaic.CodeInvalid, "error.id", id)
	}
	objs, err := s.content.Get(r.Context(), q.viewer, id, false, access("objects.get", ""))
	if err != nil {
		return err
	}
	q.listing.Rendered()
	middleware.WritePaced(w, http.StatusOK, objs[0].Object, "application/json", s.turns.Pace())
	return nil
}

// readable lists an object's properties for people: references as links,
// lists of words joined, anything nested as indented JSON.
func readable(m map[string]any) []prop {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "type" && k != "id" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []prop
	for _, k := range keys {
		p := prop{Key: k}
		switch val := m[k].(type) {
		case string:
			if strings.HasSuffix(k, "_ref") && stix.IsID(val) {
				p.Refs = []string{val}
			} else {
				p.Value = val
			}
		case []any:
			var words []string
			for _, x := range val {
				if s, ok := x.(string); ok {
					words = append(words, s)
				}
			}
			switch {
			case len(words) < len(val):
				p.Value, p.Block = indent(val), true
			case strings.HasSuffix(k, "_refs"):
				p.Refs = words
			default:
				p.Value = strings.Join(words, ", ")
			}
		case map[string]any:
			p.Value, p.Block = indent(val), true
		default:
			p.Value = fmt.Sprint(val)
		}
		p.cut()
		out = append(out, p)
	}
	return out
}

func indent(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// versions lists the visible versions, newest first, each with what
// changed since the same originator's version before it.
func versions(objs []mosaic.StoredObject) []versionRow {
	out := make([]versionRow, len(objs))
	for i, o := range objs {
		m := props(o.Object)
		mod := str(m, "modified")
		if mod == "" {
			mod = str(m, "created")
		}
		out[i] = versionRow{Modified: when(mod), Originator: o.Envelope.Originator, TLP: o.Envelope.TLP}
		for _, older := range objs[i+1:] {
			if older.Envelope.Originator == o.Envelope.Originator {
				out[i].Diff = diff(props(older.Object), m)
				if out[i].Diff == nil {
					out[i].Diff = []diffLine{}
				}
				break
			}
		}
	}
	return out
}

// maxDiffValue is how much of a changed value a diff line shows.
const maxDiffValue = 200

func diff(old, cur map[string]any) []diffLine {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	var out []diffLine
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		a, inOld := old[k]
		b, inCur := cur[k]
		short := func(v any) string {
			s := fmt.Sprint(v)
			if x, ok := v.(string); ok {
				s = x
			} else if bs, err := json.Marshal(v); err == nil {
				s = string(bs)
			}
			if len(s) > maxDiffValue {
				s = s[:maxDiffValue] + "…"
			}
			return s
		}
		switch {
		case !inOld:
			out = append(out, diffLine{"added", k, short(b)})
		case !inCur:
			out = append(out, diffLine{"removed", k, ""})
		case short(a) != short(b) || indent(a) != indent(b):
			out = append(out, diffLine{"changed", k, short(b)})
		}
	}
	return out
}

// A cursor is the storage position a listing continues before, sealed
// (package seal): positions count every organisation's records, so they
// must not be readable.
const cursorPurpose = "mosaic web cursor v1"

// cursorParam opens a listing's cursor: zero for the first page.
func (s *Server) cursorParam(r *http.Request, c string) (int64, error) {
	seq, ok, err := s.cursors.Open(r.Context(), c)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, uiErr(mosaic.CodeInvalid, "error.cursor")
	}
	return seq, nil
}

// access names a read of the UI for the audit log; its detail says it came
// through the UI.
func access(action, detail string) content.Access {
	if detail == "" {
		return content.Access{Action: action, Detail: "web"}
	}
	return content.Access{Action: action, Detail: "web " + detail}
}
