package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// objectsWorld is a harness with content: in the cell, pa's indicators 1
// (two versions) and 2 and SCO 3, and indicator 7 in three versions
// added out of order; pb's indicator 4 in compartment ops; pc's indicator
// 5 for pc alone.
type objectsWorld struct {
	*harness
	cell, ops, orgPC string
}

func newObjectsWorld(t *testing.T, open storetest.Opener) *objectsWorld {
	h := newHarness(t, open, testOptions)
	seed(t, h)
	w := &objectsWorld{harness: h, cell: h.collID("pa-analyst", "Cell"), ops: h.collID("pa-analyst", "Compartment ops"), orgPC: h.collID("pc-analyst", "Organisation pc")}
	h.mustPost("pa-analyst", w.cell, ind(1, day1), ind(2, day1), ip(3))
	h.mustPost("pa-analyst", w.cell, ind(1, day2))
	h.mustPost("pb-analyst", w.ops, ind(4, day1))
	h.mustPost("pc-analyst", w.orgPC, ind(5, day1))
	for _, d := range []string{day2, day3, day1} {
		h.mustPost("pa-analyst", w.cell, ind(7, d))
	}
	return w
}

func id(n int) string   { return "indicator--" + storetest.UUID(n) }
func ipID(n int) string { return "ipv4-addr--" + storetest.UUID(n) }

// list pages through GET objects of coll as user with q, page size n, and
// returns the objects' keys and the dates of each page.
func (h *harness) list(t *testing.T, user, path string, qv url.Values, n int) []string {
	t.Helper()
	qv = cloneValues(qv)
	qv.Set("limit", strconv.Itoa(n))
	var out []string
	for range 10000 {
		var env taxii.Envelope
		r := h.get(user, path, qv, &env)
		if r.status != 200 {
			t.Fatalf("GET %s as %s %v: %d %s", path, user, qv, r.status, r.body)
		}
		out = append(out, ids(t, env)...)
		// A limit of 1 may get a record and its handling object: the
		// record is useless without it.
		if len(env.Objects) > max(n, 2) || len(env.Objects) > n && !strings.Contains(string(env.Objects[0]), stix.HandlingType) {
			t.Fatalf("a page of %d objects for limit %d", len(env.Objects), n)
		}
		if !env.More {
			if env.Next != "" {
				t.Errorf("next without more")
			}
			return out
		}
		if env.Next == "" {
			t.Fatal("more without next")
		}
		qv.Set("next", env.Next)
	}
	t.Fatal("pagination does not end")
	return nil
}

func cloneValues(qv url.Values) url.Values {
	out := url.Values{}
	for k, v := range qv {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestGetObjects(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		w := newObjectsWorld(t, open)
		objects := collPath(w.cell) + "objects/"
		pa := func(n int, v string) string { return id(n) + "@pa@" + v }
		sco := ipID(3) + "@pa@"
		for _, tc := range []struct {
			name string
			user string
			path string
			q    url.Values
			want []string
		}{
			// Oldest added first; the newest version of each object.
			{"all", "pc-analyst", objects, nil, []string{pa(2, day1), sco, pa(1, day2), pa(7, day3)}},
			{"type", "pc-analyst", objects, q("match[type]", "ipv4-addr"), []string{sco}},
			{"types", "pc-analyst", objects, q("match[type]", "ipv4-addr,indicator"), []string{pa(2, day1), sco, pa(1, day2), pa(7, day3)}},
			{"unknown type", "pc-analyst", objects, q("match[type]", "x-spaceship"), nil},
			{"id", "pc-analyst", objects, q("match[id]", id(1)), []string{pa(1, day2)}},
			{"ids", "pc-analyst", objects, q("match[id]", id(2)+","+ipID(3)), []string{pa(2, day1), sco}},
			{"id and type", "pc-analyst", objects, q("match[id]", id(2), "match[type]", "ipv4-addr"), nil},
			{"spec_version 2.1", "pc-analyst", objects, q("match[spec_version]", "2.1"), []string{pa(2, day1), sco, pa(1, day2), pa(7, day3)}},
			{"spec_version 2.0", "pc-analyst", objects, q("match[spec_version]", "2.0"), nil},
			{"spec_version 2.0 or 2.1", "pc-analyst", objects, q("match[spec_version]", "2.0,2.1"), []string{pa(2, day1), sco, pa(1, day2), pa(7, day3)}},
			{"version all", "pc-analyst", objects, q("match[version]", "all"), []string{pa(1, day1), pa(2, day1), sco, pa(1, day2), pa(7, day2), pa(7, day3), pa(7, day1)}},
			{"version first", "pc-analyst", objects, q("match[version]", "first"), []string{pa(1, day1), pa(2, day1), sco, pa(7, day1)}},
			{"version first, objects that have one version", "pc-analyst", objects, q("match[version]", "first", "match[id]", id(1)+","+id(2)), []string{pa(1, day1), pa(2, day1)}},
			{"version first and last", "pc-analyst", objects, q("match[version]", "first,last", "match[id]", id(7)), []string{pa(7, day3), pa(7, day1)}},
			{"version timestamp", "pc-analyst", objects, q("match[version]", day2), []string{pa(1, day2), pa(7, day2)}},
			{"version timestamp, other precision", "pc-analyst", objects, q("match[version]", "2026-10-02T00:00:00Z"), []string{pa(1, day2), pa(7, day2)}},
			{"version timestamps", "pc-analyst", objects, q("match[version]", day2+","+day3, "match[id]", id(7)), []string{pa(7, day2), pa(7, day3)}},
			{"version first and a timestamp", "pc-analyst", objects, q("match[version]", "first,"+day2, "match[id]", id(7)), []string{pa(7, day2), pa(7, day1)}},
			{"version nobody has", "pc-analyst", objects, q("match[version]", "2020-01-01T00:00:00.000Z"), nil},
			{"unknown match field ignored", "pc-analyst", objects, q("match[x_color]", "red", "foo", "bar"), []string{pa(2, day1), sco, pa(1, day2), pa(7, day3)}},
			// Collections are audiences.
			{"ops for pb", "pb-analyst", collPath(w.ops) + "objects/", nil, []string{id(4) + "@pb@" + day1}},
			{"ops for pa", "pa-analyst", collPath(w.ops) + "objects/", nil, []string{id(4) + "@pb@" + day1}},
			{"own organisation", "pc-analyst", collPath(w.orgPC) + "objects/", nil, []string{id(5) + "@pc@" + day1}},
			{"own organisation, pa", "pa-analyst", collPath(w.collID("pa-analyst", "Organisation pa")) + "objects/", nil, []string{pa(2, day1), sco, pa(1, day2), pa(7, day3)}},
			{"granted auditor", "ov-granted", objects, nil, []string{pa(2, day1), sco, pa(1, day2), pa(7, day3)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, n := range []int{1, 2, 100} {
					got := w.list(t, tc.user, tc.path, tc.q, n)
					if diff := cmp.Diff(tc.want, got); diff != "" {
						t.Errorf("page size %d (-want +got):\n%s", n, diff)
					}
				}
			})
		}
	})
}

func TestEnvelopeShape(t *testing.T) {
	w := newObjectsWorld(t, stores["sqlite"])
	objects := collPath(w.cell) + "objects/"
	r := w.get("pc-analyst", objects, q("match[id]", id(2)), nil)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || string(m["more"]) != "false" {
		t.Errorf("envelope %s", r.body)
	}
	// A third party's object (it names no creator) is served exactly as
	// it came in, after the handling object that gives its handling.
	var objs []json.RawMessage
	if err := json.Unmarshal(m["objects"], &objs); err != nil || len(objs) != 2 {
		t.Fatalf("objects %s", m["objects"])
	}
	if got, want := canonical(t, objs[1]), canonical(t, []byte(ind(2, day1))); got != want {
		t.Errorf("a third party's object is served changed:\n%s\nwant\n%s", got, want)
	}
	var h map[string]any
	if err := json.Unmarshal(objs[0], &h); err != nil {
		t.Fatal(err)
	}
	wantH := map[string]any{"type": stix.HandlingType, "originator": "pa", "tlp": "amber", "audience": []any{"cell"}, "orcon": true, "legal_basis": "wpg", "review_by": "2027-11-01",
		"object_versions": []any{map[string]any{"id": id(2), "modified": day1}}, "object_marking_refs": []any{stix.TLPMarkingID("amber")}}
	for k, v := range wantH {
		if diff := cmp.Diff(v, h[k]); diff != "" {
			t.Errorf("handling object's %s (-want +got):\n%s", k, diff)
		}
	}
	for _, raw := range objs {
		if _, probs := stix.DecodeObject(raw, stix.DefaultLimits()); len(probs) > 0 {
			t.Errorf("not valid STIX: %v", probs)
		}
	}

	// Pages: more and next while there is more, X-TAXII-Date-Added-First
	// and -Last bracketing each page, and the last page without next.
	man := manifest(t, w.harness, "pc-analyst", w.cell, nil)
	if len(man) != 4 {
		t.Fatalf("manifest %v", man)
	}
	// Three objects: a handling object and the two records it names.
	r = w.get("pc-analyst", objects, q("limit", "3"), nil)
	var env taxii.Envelope
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatal(err)
	}
	if !env.More || env.Next == "" || len(env.Objects) != 3 {
		t.Fatalf("first page: %s", r.body)
	}
	if f, l := r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast); f != man[0].DateAdded || l != man[1].DateAdded || !taxiiTime.MatchString(f) || f > l {
		t.Errorf("headers %s %s, want %s %s", f, l, man[0].DateAdded, man[1].DateAdded)
	}
	r = w.get("pc-analyst", objects, q("limit", "3", "next", env.Next), nil)
	var last map[string]json.RawMessage
	_ = json.Unmarshal(r.body, &last)
	if _, ok := last["next"]; ok || string(last["more"]) != "false" || r.header.Get(taxii.HeaderDateAddedLast) != man[3].DateAdded {
		t.Errorf("last page: %s %v", r.body, r.header)
	}
	// added_after with the last date of a page continues after it.
	r = w.get("pc-analyst", objects, q("added_after", man[1].DateAdded), &env)
	if got := ids(t, env); len(got) != 2 || r.header.Get(taxii.HeaderDateAddedFirst) != man[2].DateAdded {
		t.Errorf("added after the second: %v", got)
	}
	// An empty page is an empty object, with the dates it was asked for.
	r = w.get("pc-analyst", objects, q("added_after", man[3].DateAdded), nil)
	if string(r.body) != "{}" || r.header.Get(taxii.HeaderDateAddedFirst) != man[3].DateAdded || r.header.Get(taxii.HeaderDateAddedLast) != man[3].DateAdded {
		t.Errorf("nothing added after the last: %s %v", r.body, r.header)
	}
	// Without added_after it has no date to give, and gives none.
	r = w.get("pc-analyst", objects, q("match[type]", "x-nothing"), nil)
	if string(r.body) != "{}" || len(r.header.Values(taxii.HeaderDateAddedFirst)) > 0 || len(r.header.Values(taxii.HeaderDateAddedLast)) > 0 {
		t.Errorf("nothing at all: %s %v", r.body, r.header)
	}
	// A limit above the server's is served with the server's page size:
	// on pages of one upload, since a page that would end inside an upload
	// after the end of an earlier one ends with the earlier one.
	var many []string
	for n := range 120 {
		many = append(many, ind(1000+n, day1))
	}
	w.mustPost("pa-analyst", w.cell, many...)
	r = w.get("pc-analyst", objects, q("limit", "100000", "added_after", man[3].DateAdded), &env)
	if len(env.Objects) != testOptions.MaxPageSize || !env.More {
		t.Errorf("limit above the maximum: %d objects, more %v", len(env.Objects), env.More)
	}
	r = w.get("pc-analyst", objects, q("added_after", man[3].DateAdded), &env)
	if len(env.Objects) != testOptions.DefaultPageSize || !env.More {
		t.Errorf("no limit: %d objects, more %v", len(env.Objects), env.More)
	}
}

func TestQueryErrors(t *testing.T) {
	w := newObjectsWorld(t, stores["sqlite"])
	objects := collPath(w.cell) + "objects/"
	var env taxii.Envelope
	w.get("pc-analyst", objects, q("limit", "1"), &env)
	var manEnv taxii.Manifest
	w.get("pc-analyst", collPath(w.cell)+"manifest/", q("limit", "1"), &manEnv)
	for _, tc := range []struct {
		name, path string
		q          url.Values
		fragment   string
	}{
		{"limit zero", objects, q("limit", "0"), "limit"},
		{"limit negative", objects, q("limit", "-3"), "limit"},
		{"limit not a number", objects, q("limit", "ten"), "limit"},
		{"limit twice", objects, q("limit", "1", "limit", "2"), "more than once"},
		{"added_after a date", objects, q("added_after", "2026-11-01"), "timestamp"},
		{"added_after with offset", objects, q("added_after", "2026-11-01T00:00:00+01:00"), "timestamp"},
		{"added_after twice", objects, q("added_after", day1, "added_after", day2), "more than once"},
		{"version all with others", objects, q("match[version]", "all,last"), "all"},
		{"version twice", objects, q("match[version]", "last,last"), "twice"},
		{"version same instant twice", objects, q("match[version]", "2026-10-01T00:00:00Z,"+day1), "same version"},
		{"version not a timestamp", objects, q("match[version]", "latest"), "latest"},
		{"match field twice", objects, q("match[type]", "indicator", "match[type]", "malware"), "more than once"},
		{"empty value", objects, q("match[type]", "indicator,,malware"), "empty"},
		{"spaces", objects, q("match[type]", "indicator, malware"), "spaces"},
		{"not an id", objects, q("match[id]", "indicator-1"), "STIX identifier"},
		{"spec_version malformed", objects, q("match[spec_version]", "two"), "specification version"},
		{"next not a cursor", objects, q("next", "abc"), "next"},
		{"next of another endpoint", objects, q("next", manEnv.Next), "next"},
		{"next of another query", objects, q("next", env.Next, "match[type]", "indicator"), "next"},
		{"next of another collection", collPath(w.collID("pc-analyst", "Organisation pc")) + "objects/", q("next", env.Next), "next"},
		{"version on versions endpoint is ignored, limit is not", collPath(w.cell) + "objects/" + id(7) + "/versions/", q("match[version]", "nonsense", "limit", "x"), "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.get("pc-analyst", tc.path, tc.q, nil)
			if r.status != 400 {
				t.Fatalf("%d, want 400: %s", r.status, r.body)
			}
			e := taxiiError(t, r)
			text := e.Description
			if e.Details != nil {
				for _, p := range e.Details.Problems {
					text += " | " + p.Property + ": " + p.Reason
				}
			}
			if e.ErrorCode != "invalid" || !strings.Contains(text, tc.fragment) {
				t.Errorf("error %s does not mention %q", text, tc.fragment)
			}
		})
	}
	// The same query with its cursor goes on, whatever the limit.
	if r := w.get("pc-analyst", objects, q("limit", "3", "next", env.Next), nil); r.status != 200 {
		t.Errorf("next with another limit: %d %s", r.status, r.body)
	}
}

func manifest(t *testing.T, h *harness, user, coll string, qv url.Values) []taxii.ManifestRecord {
	t.Helper()
	var m taxii.Manifest
	if r := h.get(user, collPath(coll)+"manifest/", qv, &m); r.status != 200 {
		t.Fatalf("manifest: %d %s", r.status, r.body)
	}
	return m.Objects
}

func TestManifest(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		w := newObjectsWorld(t, open)
		r := w.get("pc-analyst", collPath(w.cell)+"manifest/", q("match[version]", "all", "match[id]", id(7)+","+ipID(3)), nil)
		var m taxii.Manifest
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Objects) != 4 {
			t.Fatalf("manifest %s", r.body)
		}
		// The SCO's version is when it was added.
		want := `{"more":false,"objects":[` +
			`{"id":"` + ipID(3) + `","date_added":"` + m.Objects[0].DateAdded + `","version":"` + m.Objects[0].DateAdded + `","media_type":"application/stix+json;version=2.1"},` +
			`{"id":"` + id(7) + `","date_added":"` + m.Objects[1].DateAdded + `","version":"2026-10-02T00:00:00.000Z","media_type":"application/stix+json;version=2.1"},` +
			`{"id":"` + id(7) + `","date_added":"` + m.Objects[2].DateAdded + `","version":"2026-10-03T00:00:00.000Z","media_type":"application/stix+json;version=2.1"},` +
			`{"id":"` + id(7) + `","date_added":"` + m.Objects[3].DateAdded + `","version":"2026-10-01T00:00:00.000Z","media_type":"application/stix+json;version=2.1"}]}`
		if string(r.body) != want {
			t.Errorf("manifest\n%s\nwant\n%s", r.body, want)
		}
		for i, rec := range m.Objects {
			if !taxiiTime.MatchString(rec.DateAdded) || (i > 0 && rec.DateAdded <= m.Objects[i-1].DateAdded) {
				t.Errorf("date_added %s out of order", rec.DateAdded)
			}
		}
		if f, l := r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast); f != m.Objects[0].DateAdded || l != m.Objects[3].DateAdded {
			t.Errorf("headers %s %s", f, l)
		}
		// The manifest lists what the objects endpoint returns.
		for _, qv := range []url.Values{nil, q("match[version]", "first"), q("match[type]", "ipv4-addr"), q("added_after", m.Objects[1].DateAdded)} {
			var env taxii.Envelope
			w.get("pc-analyst", collPath(w.cell)+"objects/", qv, &env)
			var fromObjects, fromManifest []string
			for _, k := range ids(t, env) {
				fromObjects = append(fromObjects, strings.SplitN(k, "@", 2)[0])
			}
			for _, rec := range manifest(t, w.harness, "pc-analyst", w.cell, qv) {
				fromManifest = append(fromManifest, rec.ID)
			}
			if diff := cmp.Diff(fromObjects, fromManifest); diff != "" {
				t.Errorf("%v: manifest and objects differ:\n%s", qv, diff)
			}
		}
		if r := w.get("pc-analyst", collPath(w.cell)+"manifest/", q("match[type]", "x-nothing"), nil); string(r.body) != "{}" {
			t.Errorf("empty manifest %s", r.body)
		}
	})
}

func TestGetObject(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		w := newObjectsWorld(t, open)
		obj := func(coll, oid string) string { return collPath(coll) + "objects/" + oid + "/" }
		pa := func(n int, v string) string { return id(n) + "@pa@" + v }
		for _, tc := range []struct {
			name string
			path string
			q    url.Values
			want []string
		}{
			{"last", obj(w.cell, id(7)), nil, []string{pa(7, day3)}},
			{"all", obj(w.cell, id(7)), q("match[version]", "all"), []string{pa(7, day2), pa(7, day3), pa(7, day1)}},
			{"first", obj(w.cell, id(7)), q("match[version]", "first"), []string{pa(7, day1)}},
			{"timestamp", obj(w.cell, id(7)), q("match[version]", day2), []string{pa(7, day2)}},
			{"first and last", obj(w.cell, id(7)), q("match[version]", "last,first"), []string{pa(7, day3), pa(7, day1)}},
			{"SCO", obj(w.cell, ipID(3)), nil, []string{ipID(3) + "@pa@"}},
			{"spec_version", obj(w.cell, id(7)), q("match[spec_version]", "2.1"), []string{pa(7, day3)}},
			{"type match ignored here", obj(w.cell, id(7)), q("match[type]", "malware"), []string{pa(7, day3)}},
			// There, with no version that matches: an empty envelope.
			{"no such version", obj(w.cell, id(7)), q("match[version]", "2020-01-01T00:00:00.000Z"), nil},
			{"spec_version 2.0", obj(w.cell, id(7)), q("match[spec_version]", "2.0"), nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, n := range []int{1, 10} {
					if diff := cmp.Diff(tc.want, w.list(t, "pc-analyst", tc.path, tc.q, n)); diff != "" {
						t.Errorf("page size %d (-want +got):\n%s", n, diff)
					}
				}
			})
		}
		r := w.get("pc-analyst", obj(w.cell, id(7)), q("match[version]", "2020-01-01T00:00:00.000Z"), nil)
		if r.status != 200 || string(r.body) != "{}" || len(r.header.Values(taxii.HeaderDateAddedFirst)) > 0 {
			t.Errorf("no such version: %d %s %v", r.status, r.body, r.header)
		}
		// Missing, hidden, and in another collection: one answer.
		missing := w.get("pc-analyst", obj(w.cell, id(999)), nil, nil)
		if missing.status != 404 {
			t.Fatalf("missing: %d", missing.status)
		}
		taxiiError(t, missing)
		for _, tc := range []struct {
			name, user, path string
			oid              string
		}{
			{"another organisation's own", "pa-analyst", obj(w.cell, id(5)), id(5)},
			{"in a compartment, asked in the cell", "pb-analyst", obj(w.cell, id(4)), id(4)},
			{"own, asked in the cell", "pc-analyst", obj(w.cell, id(5)), id(5)},
			{"in the cell, asked in own organisation's", "pc-analyst", obj(w.orgPC, id(7)), id(7)},
		} {
			for _, sub := range []string{"", "versions/"} {
				r := w.get(tc.user, tc.path+sub, nil, nil)
				m := w.get(tc.user, strings.Replace(tc.path, tc.oid, id(999), 1)+sub, nil, nil)
				if r.status != 404 || !bytes.Equal(bytes.ReplaceAll(r.body, []byte(tc.oid), []byte("ID")), bytes.ReplaceAll(m.body, []byte(id(999)), []byte("ID"))) {
					t.Errorf("%s %s: %d %s; missing: %s", tc.name, sub, r.status, r.body, m.body)
				}
			}
		}
	})
}

func TestVersionsEndpoint(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		w := newObjectsWorld(t, open)
		versions := collPath(w.cell) + "objects/" + id(7) + "/versions/"
		r := w.get("pc-analyst", versions, nil, nil)
		// In the order the versions were added.
		if want := `{"more":false,"versions":["2026-10-02T00:00:00.000Z","2026-10-03T00:00:00.000Z","2026-10-01T00:00:00.000Z"]}`; r.status != 200 || string(r.body) != want {
			t.Errorf("versions %d %s, want %s", r.status, r.body, want)
		}
		man := manifest(t, w.harness, "pc-analyst", w.cell, q("match[id]", id(7), "match[version]", "all"))
		if f, l := r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast); f != man[0].DateAdded || l != man[2].DateAdded {
			t.Errorf("headers %s %s", f, l)
		}
		// Pages of one.
		var got []string
		qv := q("limit", "1")
		for range 10 {
			var vs taxii.Versions
			if r := w.get("pc-analyst", versions, qv, &vs); r.status != 200 || len(vs.Versions) != 1 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			got = append(got, vs.Versions...)
			if !vs.More {
				break
			}
			qv.Set("next", vs.Next)
		}
		if len(got) != 3 {
			t.Errorf("paged versions %v", got)
		}
		// added_after and spec_version filter; an object with nothing left
		// is an empty object.
		var vs taxii.Versions
		w.get("pc-analyst", versions, q("added_after", man[0].DateAdded), &vs)
		if len(vs.Versions) != 2 {
			t.Errorf("added after the first: %v", vs.Versions)
		}
		if r := w.get("pc-analyst", versions, q("match[spec_version]", "2.0"), nil); r.status != 200 || string(r.body) != "{}" {
			t.Errorf("spec_version 2.0: %d %s", r.status, r.body)
		}
		// An SCO's version is when it was added.
		scoMan := manifest(t, w.harness, "pc-analyst", w.cell, q("match[id]", ipID(3)))
		w.get("pc-analyst", collPath(w.cell)+"objects/"+ipID(3)+"/versions/", nil, &vs)
		if len(vs.Versions) != 1 || vs.Versions[0] != scoMan[0].DateAdded {
			t.Errorf("SCO versions %v, manifest %v", vs.Versions, scoMan)
		}
	})
}

func TestDelete(t *testing.T) {
	w := newObjectsWorld(t, stores["sqlite"])
	del := func(user, coll, oid string) response {
		return w.do(request{method: "DELETE", path: collPath(coll) + "objects/" + oid + "/", user: user})
	}
	// Readable and writable, the object there: 403, and it stays.
	r := del("pc-analyst", w.cell, id(7))
	if r.status != 403 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if e := taxiiError(t, r); !strings.Contains(e.Description, "retention") {
		t.Errorf("refusal %+v", e)
	}
	if got := w.list(t, "pc-analyst", collPath(w.cell)+"objects/", q("match[id]", id(7)), 10); len(got) != 1 {
		t.Errorf("after delete: %v", got)
	}
	// With a version filter too.
	if r := w.do(request{method: "DELETE", path: collPath(w.cell) + "objects/" + id(7) + "/", query: q("match[version]", day1), user: "pa-analyst"}); r.status != 403 {
		t.Errorf("delete a version: %d", r.status)
	}
	// Not there for the caller: 404, hidden like missing.
	hidden, missing := del("pa-analyst", w.cell, id(5)), del("pa-analyst", w.cell, id(999))
	if hidden.status != 404 || !bytes.Equal(bytes.ReplaceAll(hidden.body, []byte(id(5)), []byte("X")), bytes.ReplaceAll(missing.body, []byte(id(999)), []byte("X"))) {
		t.Errorf("hidden %d %s, missing %d %s", hidden.status, hidden.body, missing.status, missing.body)
	}
	// Readable, not writable: 403 (TAXII §5.7), there or not.
	for _, oid := range []string{id(7), id(999)} {
		if r := del("ov-granted", w.cell, oid); r.status != 403 {
			t.Errorf("auditor deletes %s: %d", oid, r.status)
		}
	}
	// Neither: 404.
	if r := del("sh-user", w.cell, id(7)); r.status != 404 {
		t.Errorf("stakeholder deletes: %d", r.status)
	}
	if r := w.do(request{method: "DELETE", path: collPath(w.cell) + "objects/" + id(7) + "/", query: q("match[version]", "all,first"), user: "pa-analyst"}); r.status != 400 {
		t.Errorf("malformed filter: %d", r.status)
	}
}

// TestOwnObjectEnvelope: an object an organisation made itself (its
// identity as creator) is completed at ingest and served with its TLP
// marking and its handling in Mosaic's envelope extension.
func TestOwnObjectEnvelope(t *testing.T) {
	w := newObjectsWorld(t, stores["sqlite"])
	objects := collPath(w.cell) + "objects/"
	org, err := w.store.Org(context.Background(), "pa")
	if err != nil {
		t.Fatal(err)
	}
	own := strings.Replace(ind(30, day1), `"created":`, `"created_by_ref":"`+org.Identity+`","created":`, 1)
	w.mustPost("pa-analyst", w.cell, own)
	r := w.get("pc-analyst", objects, q("match[id]", id(30)), nil)
	var env0 taxii.Envelope
	var o map[string]any
	if err := json.Unmarshal(r.body, &env0); err != nil || len(env0.Objects) != 1 || json.Unmarshal(env0.Objects[0], &o) != nil {
		t.Fatalf("own object: %s", r.body)
	}
	ext := o["extensions"].(map[string]any)[stix.ExtensionID].(map[string]any)
	want := map[string]any{"extension_type": "property-extension", "originator": "pa", "tlp": "amber", "audience": []any{"cell"}, "orcon": true, "legal_basis": "wpg", "review_by": "2027-11-01"}
	if diff := cmp.Diff(want, ext); diff != "" {
		t.Errorf("envelope extension (-want +got):\n%s", diff)
	}
	if o["object_marking_refs"].([]any)[0] != stix.TLPMarkingID("amber") {
		t.Errorf("object %v", o)
	}
	if _, probs := stix.DecodeObject(env0.Objects[0], stix.DefaultLimits()); len(probs) > 0 {
		t.Errorf("not valid STIX: %v", probs)
	}

}
