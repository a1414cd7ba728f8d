package taxii_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"mosaic"
	"mosaic/jcs"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// TestReleasedFit reads the collections of released objects as a TAXII
// 2.1 client would, with the checks the fit tests make of the cell's
// collections: the organisation's and the user's (as sh's user, who
// receives them), and the public one (without a token, and as users of
// other organisations). A real mix is released: indicators, a malware, a
// relationship and observables, to the organisation twice (a second
// version of an indicator), to the user at TLP:RED, to the public at
// TLP:CLEAR; and the first release is withdrawn, adding revoked versions.
// For each collection:
//
//   - media types: every answer, errors too, is application/taxii+json;
//     version=2.1, and Accept is negotiated as on every endpoint (§1.6.8);
//   - envelopes: at every page size the pages hold at most the limit,
//     more is true exactly when next is given, following next gives every
//     version once and in order, and X-TAXII-Date-Added-First/-Last bracket
//     each page and never go back (§3.2, §3.7);
//   - the manifest has one record per version, with its version, date
//     added and the STIX media type, in the order of the objects (§5.3.1);
//   - an object's versions endpoint and get-an-object endpoint agree with
//     the manifest (§5.6, §5.8); added_after, match[type] and match[id]
//     select what they should;
//   - the objects served are the released objects, byte for byte in
//     canonical form, each valid STIX 2.1;
//   - errors are TAXII error messages: 404 for an object the collection
//     does not hold and for a collection the reader has none of, 401 with
//     a challenge without valid credentials (anything but the public
//     collection), 403 for a write (the collections are read-only), 406
//     for an Accept it cannot answer.
func TestReleasedFit(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		opts := testOptions
		opts.AnonymousPerMinute = 1_000_000
		h := newReleaseHarness(t, open, opts)
		mal := fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--%s","created":%q,"modified":%q,"name":"Marshlock","is_family":true,"malware_types":["backdoor"]}`, storetest.UUID(50), day1, day1)
		rel := fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":%q,"modified":%q,"relationship_type":"indicates","source_ref":%q,"target_ref":"malware--%s"}`,
			storetest.UUID(51), day1, day1, id(1), storetest.UUID(50))
		dom := fmt.Sprintf(`{"type":"domain-name","spec_version":"2.1","id":%q,"value":"c2.marshlock.example"}`, stix.SCOID("domain-name", map[string]any{"value": "c2.marshlock.example"}))
		h.mustPost("pa-analyst", h.cell, ind(1, day1), ind(2, day1), ind(3, day1), ind(4, day1), mal, rel, sco(5), sco(6), dom,
			withTLP(ind(7, day1), mosaic.TLPClear), withTLP(sco(8), mosaic.TLPClear))
		h.mustPost("pa-analyst", h.cell, ind(1, day2))
		first := h.publish([]string{"org:sh"}, "", ind(1, day1), ind(2, day1), mal, rel, sco(5), sco(6), dom)
		h.publish([]string{"org:sh"}, "", ind(1, day2), ind(3, day1))
		h.publish([]string{"user:sh-user"}, mosaic.TLPRed, ind(4, day1))
		h.publish([]string{"public"}, "", withTLP(ind(7, day1), mosaic.TLPClear), withTLP(sco(8), mosaic.TLPClear))
		h.withdraw(first)

		released := map[string]string{} // canonical form of every released version by id@version
		for _, rid := range h.releaseIDs("sh-user") {
			h.bundleVersions(rid, released)
		}
		for _, tc := range []struct {
			title   string
			readers []string // "" reads without a token
		}{
			{"Releases to sh", []string{"sh-user", "sh-colleague"}},
			{"Releases to sh-user", []string{"sh-user"}},
			{"Public releases", []string{"", "sh2-user", "pa-analyst"}},
		} {
			coll := h.collID(tc.readers[len(tc.readers)-1], tc.title)
			for _, user := range tc.readers {
				t.Run(tc.title+" as "+cmpName(user), func(t *testing.T) {
					fit := &releasedFit{t: t, h: h, user: user, coll: collPath(coll)}
					fit.collection(tc.title)
					all := fit.everything(released)
					fit.paging(all)
					fit.manifest(all)
					fit.objectEndpoints(all)
					fit.filters(all)
					fit.negotiation(all[0].ID)
					fit.errors(all[0].ID)
				})
			}
		}
	})
}

func cmpName(user string) string {
	if user == "" {
		return "anonymous"
	}
	return user
}

// releaseIDs lists the ids of the releases user receives (and the public
// ones).
func (h *releaseHarness) releaseIDs(user string) []string {
	h.t.Helper()
	page, err := h.in.ReleaseList(h.t.Context(), h.viewer(user), mosaic.ReleaseFilter{Limit: 100}, releaseAccess)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range page {
		out = append(out, r.ID)
	}
	return out
}

// bundleVersions notes the canonical form of every object of release id's
// bundle, as user sh-user receives it, by id@version.
func (h *releaseHarness) bundleVersions(rid string, into map[string]string) {
	h.t.Helper()
	rv, err := h.in.Release(h.t.Context(), h.viewer("sh-user"), rid, releaseAccess)
	if err != nil || rv.Delivery == nil {
		h.t.Fatalf("release %s: %v", rid, err)
	}
	var b struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(rv.Delivery.Bundle, &b); err != nil {
		h.t.Fatal(err)
	}
	for _, o := range b.Objects {
		hd := stix.ReadHead(o)
		c, err := jcs.Canonical(o)
		if err != nil {
			h.t.Fatal(err)
		}
		into[hd.ID+"@"+hd.Modified] = string(c)
	}
}

// releasedFit reads one collection as one reader.
type releasedFit struct {
	t    *testing.T
	h    *releaseHarness
	user string
	coll string // the collection's path
}

// version is one version of an object as a collection lists it.
type fitVersion struct {
	ID, Version, DateAdded string
	Revoked                bool
	Raw                    json.RawMessage
}

func (f *releasedFit) get(path string, q url.Values) response {
	f.t.Helper()
	r := f.h.do(request{path: path, query: q, user: f.user})
	if r.status == 200 || r.status == 406 || r.status >= 400 {
		if ct := r.header.Get("Content-Type"); ct != taxii.MediaType && len(r.body) > 0 {
			f.t.Errorf("GET %s?%s: %d with Content-Type %q, want %s", path, q.Encode(), r.status, ct, taxii.MediaType)
		}
	}
	return r
}

func (f *releasedFit) getJSON(path string, q url.Values, out any) response {
	f.t.Helper()
	r := f.get(path, q)
	if r.status != 200 {
		f.t.Fatalf("GET %s?%s as %q: %d %s", path, q.Encode(), f.user, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		f.t.Fatalf("GET %s: %v\n%s", path, err, r.body)
	}
	return r
}

// collection checks the collection resource: readable, read-only, STIX.
func (f *releasedFit) collection(title string) {
	var c taxii.Collection
	f.getJSON(f.coll, nil, &c)
	if c.Title != title || !c.CanRead || c.CanWrite || !slices.Equal(c.MediaTypes, []string{taxii.STIXMediaType}) || !uuid4.MatchString(c.ID) || c.Description == "" {
		f.t.Errorf("collection %+v", c)
	}
}

// everything reads every version of the collection in one page, with the
// manifest's dates, and checks each object against the release it came
// from.
func (f *releasedFit) everything(released map[string]string) []fitVersion {
	f.t.Helper()
	var env taxii.Envelope
	q := url.Values{"match[version]": {"all"}, "limit": {"100"}}
	f.getJSON(f.coll+"objects/", q, &env)
	var man taxii.Manifest
	f.getJSON(f.coll+"manifest/", q, &man)
	if env.More || env.Next != "" || man.More || man.Next != "" || len(env.Objects) == 0 || len(env.Objects) != len(man.Objects) {
		f.t.Fatalf("%d objects (more %v, next %q), %d manifest records (more %v)", len(env.Objects), env.More, env.Next, len(man.Objects), man.More)
	}
	var out []fitVersion
	revoked := 0
	for i, raw := range env.Objects {
		if _, probs := stix.DecodeObject(raw, stix.DefaultLimits()); len(probs) > 0 {
			f.t.Errorf("not valid STIX 2.1: %v\n%s", probs, raw)
		}
		var o struct {
			ID, Modified, Created string
			Revoked               bool
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			f.t.Fatal(err)
		}
		rec := man.Objects[i]
		v := fitVersion{ID: o.ID, Version: o.Modified, DateAdded: rec.DateAdded, Revoked: o.Revoked, Raw: raw}
		if v.Version == "" {
			v.Version = o.Created
		}
		if v.Version == "" {
			v.Version = rec.DateAdded // an observable: TAXII §3.4.1 versions it by date_added
		}
		if o.Revoked {
			revoked++
		} else if c := canonical(f.t, raw); released[o.ID+"@"+o.Modified] != c {
			f.t.Errorf("%s@%s is served otherwise than it was released:\n%s\nreleased:\n%s", o.ID, o.Modified, c, released[o.ID+"@"+o.Modified])
		}
		out = append(out, v)
	}
	if strings.Contains(f.coll, f.h.collID("sh-user", "Releases to sh")) && revoked != 4 {
		f.t.Errorf("%d revoked versions in the organisation's collection, want 4 (2 indicators, a malware, a relationship)", revoked)
	}
	return out
}

// paging pages through objects and manifest at several limits.
func (f *releasedFit) paging(all []fitVersion) {
	f.t.Helper()
	for _, ep := range []string{"objects/", "manifest/"} {
		for _, limit := range []int{1, 2, 3, 5, len(all)} {
			q := url.Values{"match[version]": {"all"}, "limit": {fmt.Sprint(limit)}}
			var got []string
			lastDate := ""
			for n := 0; ; n++ {
				if n > len(all)+1 {
					f.t.Fatalf("%s at limit %d: no end to the pages", ep, limit)
				}
				var page struct {
					More    *bool             `json:"more"`
					Next    string            `json:"next"`
					Objects []json.RawMessage `json:"objects"`
				}
				r := f.getJSON(f.coll+ep, q, &page)
				more := page.More != nil && *page.More
				if len(page.Objects) > limit {
					f.t.Errorf("%s: a page of %d at limit %d", ep, len(page.Objects), limit)
				}
				if more != (page.Next != "") {
					f.t.Errorf("%s at limit %d: more %v with next %q", ep, limit, more, page.Next)
				}
				if len(page.Objects) > 0 && page.More == nil {
					f.t.Errorf("%s: a page with objects that does not say more: %s", ep, r.body)
				}
				first, last := r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast)
				if len(page.Objects) > 0 {
					if !taxiiTime.MatchString(first) || !taxiiTime.MatchString(last) || first > last || first < lastDate {
						f.t.Errorf("%s at limit %d: X-TAXII-Date-Added-First %q, -Last %q after a page that ended %q", ep, limit, first, last, lastDate)
					}
					lastDate = last
				}
				for _, o := range page.Objects {
					var x struct{ ID, Modified, Version, Created, DateAdded string }
					json.Unmarshal(o, &x)
					got = append(got, x.ID)
				}
				if !more {
					break
				}
				q.Set("next", page.Next)
			}
			var want []string
			for _, v := range all {
				want = append(want, v.ID)
			}
			if !slices.Equal(got, want) {
				f.t.Errorf("%s at limit %d: %v, want %v", ep, limit, got, want)
			}
		}
	}
}

// manifest checks the manifest's records against the objects.
func (f *releasedFit) manifest(all []fitVersion) {
	f.t.Helper()
	var man taxii.Manifest
	r := f.getJSON(f.coll+"manifest/", url.Values{"match[version]": {"all"}}, &man)
	for i, rec := range man.Objects {
		v := all[i]
		if rec.ID != v.ID || rec.Version != v.Version || rec.MediaType != taxii.STIXMediaType || !taxiiTime.MatchString(rec.DateAdded) {
			f.t.Errorf("manifest record %+v for %s version %s", rec, v.ID, v.Version)
		}
		if i > 0 && rec.DateAdded < man.Objects[i-1].DateAdded {
			f.t.Errorf("manifest records out of date_added order: %s after %s", rec.DateAdded, man.Objects[i-1].DateAdded)
		}
	}
	if r.header.Get(taxii.HeaderDateAddedFirst) != man.Objects[0].DateAdded || r.header.Get(taxii.HeaderDateAddedLast) != man.Objects[len(man.Objects)-1].DateAdded {
		f.t.Errorf("the manifest's date headers %q, %q; its records from %s to %s", r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast),
			man.Objects[0].DateAdded, man.Objects[len(man.Objects)-1].DateAdded)
	}
	// The default: each object once, at its last version.
	man = taxii.Manifest{}
	f.getJSON(f.coll+"manifest/", nil, &man)
	lastOf := map[string]fitVersion{}
	for _, v := range all {
		if p, ok := lastOf[v.ID]; !ok || v.Version > p.Version {
			lastOf[v.ID] = v
		}
	}
	if len(man.Objects) != len(lastOf) {
		f.t.Errorf("the manifest of the last versions has %d records for %d objects", len(man.Objects), len(lastOf))
	}
	for _, rec := range man.Objects {
		if rec.Version != lastOf[rec.ID].Version {
			f.t.Errorf("the manifest names version %s of %s, its last is %s", rec.Version, rec.ID, lastOf[rec.ID].Version)
		}
	}
}

// objectEndpoints checks the get-an-object and versions endpoints of each
// object against the listing.
func (f *releasedFit) objectEndpoints(all []fitVersion) {
	f.t.Helper()
	byID := map[string][]fitVersion{}
	var ids []string
	for _, v := range all {
		if byID[v.ID] == nil {
			ids = append(ids, v.ID)
		}
		byID[v.ID] = append(byID[v.ID], v)
	}
	for _, id := range ids {
		vs := byID[id]
		var versions taxii.Versions
		r := f.getJSON(f.coll+"objects/"+id+"/versions/", nil, &versions)
		var want []string
		for _, v := range vs {
			want = append(want, v.Version)
		}
		if !slices.Equal(versions.Versions, want) || versions.More || !bytes.Contains(r.body, []byte(`"more":false`)) {
			f.t.Errorf("%s: versions %s, want %v", id, r.body, want)
		}
		if !slices.IsSorted(versions.Versions) {
			f.t.Errorf("%s: versions not in ascending order: %v", id, versions.Versions)
		}
		if r.header.Get(taxii.HeaderDateAddedFirst) != vs[0].DateAdded || r.header.Get(taxii.HeaderDateAddedLast) != vs[len(vs)-1].DateAdded {
			f.t.Errorf("%s: versions' date headers %q %q, want %s %s", id, r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast), vs[0].DateAdded, vs[len(vs)-1].DateAdded)
		}
		var env taxii.Envelope
		f.getJSON(f.coll+"objects/"+id+"/", nil, &env)
		if len(env.Objects) != 1 || canonical(f.t, env.Objects[0]) != canonical(f.t, vs[len(vs)-1].Raw) {
			f.t.Errorf("%s: the object endpoint gives %d objects, not its last version", id, len(env.Objects))
		}
		env = taxii.Envelope{}
		f.getJSON(f.coll+"objects/"+id+"/", url.Values{"match[version]": {"all"}}, &env)
		if len(env.Objects) != len(vs) {
			f.t.Errorf("%s: %d versions by the object endpoint, %d in the listing", id, len(env.Objects), len(vs))
		}
		if last := vs[len(vs)-1]; strings.Contains(f.coll, f.h.collID("sh-user", "Releases to sh")) && !stix.IsSCOType(strings.Split(id, "--")[0]) &&
			!strings.HasPrefix(id, "identity--") && !strings.HasPrefix(id, "marking-definition--") && id != idOfSecond(all) && !last.Revoked {
			f.t.Errorf("%s: its last version is not revoked after the withdrawal", id)
		}
	}
}

// idOfSecond returns the id of the indicator only the second release to
// the organisation holds (ind(3)): never withdrawn. It is the indicator
// with a single version whose name is n3.
func idOfSecond(all []fitVersion) string {
	for _, v := range all {
		if bytes.Contains(v.Raw, []byte(`"name":"n3"`)) {
			return v.ID
		}
	}
	return ""
}

// filters checks added_after, match[type] and match[id].
func (f *releasedFit) filters(all []fitVersion) {
	f.t.Helper()
	q := url.Values{"match[version]": {"all"}, "added_after": {all[0].DateAdded}}
	var env taxii.Envelope
	r := f.get(f.coll+"objects/", q)
	if r.status != 200 {
		f.t.Fatalf("added_after: %d %s", r.status, r.body)
	}
	json.Unmarshal(r.body, &env)
	want := 0
	for _, v := range all {
		if v.DateAdded > all[0].DateAdded {
			want++
		}
	}
	if len(env.Objects) != want {
		f.t.Errorf("added_after %s: %d objects, want %d", all[0].DateAdded, len(env.Objects), want)
	}
	if want == 0 && (string(r.body) != "{}" || r.header.Get(taxii.HeaderDateAddedFirst) == "") {
		f.t.Errorf("an empty page: %s %v", r.body, r.header)
	}
	for _, typ := range []string{"indicator", "marking-definition", "ipv4-addr"} {
		env = taxii.Envelope{}
		f.getJSON(f.coll+"objects/", url.Values{"match[type]": {typ}, "match[version]": {"all"}}, &env)
		n := 0
		for _, v := range all {
			if strings.HasPrefix(v.ID, typ+"--") {
				n++
			}
		}
		if len(env.Objects) != n {
			f.t.Errorf("match[type]=%s: %d objects, want %d", typ, len(env.Objects), n)
		}
		for _, o := range env.Objects {
			if stix.ReadHead(o).Type != typ {
				f.t.Errorf("match[type]=%s gives a %s", typ, stix.ReadHead(o).Type)
			}
		}
	}
	env = taxii.Envelope{}
	f.getJSON(f.coll+"objects/", url.Values{"match[id]": {all[0].ID + "," + all[len(all)-1].ID}}, &env)
	if len(env.Objects) != 2 && all[0].ID != all[len(all)-1].ID {
		f.t.Errorf("match[id] of two objects: %d", len(env.Objects))
	}
	if r := f.get(f.coll+"objects/", url.Values{"match[type]": {"x-nothing"}}); r.status != 200 || string(r.body) != "{}" {
		f.t.Errorf("nothing matched: %d %s", r.status, r.body)
	}
}

// negotiation checks Accept on every endpoint of the collection.
func (f *releasedFit) negotiation(obj string) {
	f.t.Helper()
	for _, tc := range []struct {
		accept string
		status int
	}{
		{"application/taxii+json;version=2.1", 200},
		{"application/taxii+json", 200},
		{"application/taxii+json; version=2.1", 200},
		{"*/*", 200},
		{"", 200},
		{"application/json", 406},
		{"application/stix+json;version=2.1", 406},
		{"application/taxii+json;version=2.0", 406},
		{"text/html, */*;q=0", 406},
	} {
		for _, p := range []string{"", "objects/", "manifest/", "objects/" + obj + "/", "objects/" + obj + "/versions/"} {
			r := f.h.do(request{path: f.coll + p, user: f.user, header: map[string]string{"Accept": tc.accept}})
			if r.status != tc.status {
				f.t.Errorf("Accept %q on %s: %d, want %d", tc.accept, p, r.status, tc.status)
				continue
			}
			if ct := r.header.Get("Content-Type"); ct != taxii.MediaType {
				f.t.Errorf("Accept %q on %s: Content-Type %q", tc.accept, p, ct)
			}
			if tc.status == 406 {
				if e := taxiiError(f.t, r); e.ErrorCode != "not-acceptable" {
					f.t.Errorf("Accept %q: error %+v", tc.accept, e)
				}
			}
		}
	}
}

// errors checks the 404, 401 and 403 answers.
func (f *releasedFit) errors(obj string) {
	f.t.Helper()
	missing := "indicator--" + storetest.UUID(999)
	for _, p := range []string{"objects/" + missing + "/", "objects/" + missing + "/versions/"} {
		r := f.get(f.coll+p, nil)
		if r.status != 404 {
			f.t.Errorf("GET %s: %d %s", p, r.status, r.body)
			continue
		}
		if e := taxiiError(f.t, r); e.ErrorCode != "not-found" {
			f.t.Errorf("GET %s: %+v", p, e)
		}
	}
	// A collection the reader has none of: 404 to a user, 401 without
	// credentials (which may read the public collection only).
	other := collPath(storetest.UUID(77))
	r := f.get(other+"objects/", nil)
	want := 404
	if f.user == "" {
		want = 401
	}
	if r.status != want {
		f.t.Errorf("GET another collection: %d, want %d: %s", r.status, want, r.body)
	} else if e := taxiiError(f.t, r); f.user == "" && (e.ErrorCode != "unauthorized" || r.header.Get("WWW-Authenticate") == "") {
		f.t.Errorf("401 without a challenge: %+v %v", e, r.header)
	}
	// A wrong token is refused, not read as no token.
	r = f.h.do(request{path: f.coll + "objects/", header: map[string]string{"Authorization": "Bearer mosaic_nonsense"}})
	if r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		f.t.Errorf("a wrong token: %d %v", r.status, r.header)
	} else if e := taxiiError(f.t, r); e.ErrorCode != "unauthorized" {
		f.t.Errorf("a wrong token: %+v", e)
	}
	// Read-only: writes are 403 (401 without credentials).
	want = 403
	if f.user == "" {
		want = 401
	}
	for _, rq := range []request{
		{method: "POST", path: f.coll + "objects/", user: f.user, body: envelope(ind(9, day1))},
		{method: "DELETE", path: f.coll + "objects/" + obj + "/", user: f.user},
	} {
		r := f.h.do(rq)
		if r.status != want {
			f.t.Errorf("%s %s: %d, want %d: %s", rq.method, rq.path, r.status, want, r.body)
			continue
		}
		taxiiError(f.t, r)
	}
}
