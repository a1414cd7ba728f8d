package taxii_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic/storetest"
	"mosaic/taxii"
)

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

var taxiiTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func TestDiscoveryAndAPIRoot(t *testing.T) {
	h := newHarness(t, stores["sqlite"], testOptions)
	seed(t, h)
	for _, tc := range []struct{ user, path, want string }{
		{"pa-analyst", "/taxii2/", `{"title":"Mosaic test","description":"A test server","contact":"soc@example.org","default":"/taxii2/api/","api_roots":["/taxii2/api/"]}`},
		{"sh-user", "/taxii2/", `{"title":"Mosaic test","description":"A test server","contact":"soc@example.org","default":"/taxii2/api/","api_roots":["/taxii2/api/"]}`},
		{"pa-analyst", "/taxii2/api/", `{"title":"Cell","description":"The cell's collections","versions":["application/taxii+json;version=2.1"],"max_content_length":1048576}`},
	} {
		r := h.get(tc.user, tc.path, nil, nil)
		if r.status != 200 || string(r.body) != tc.want {
			t.Errorf("GET %s as %s: %d %s\nwant %s", tc.path, tc.user, r.status, r.body, tc.want)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/taxii+json;version=2.1" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	// Optional properties are left out when not configured.
	h2 := newHarnessOn(t, h.store, h.clock, taxii.Options{})
	h2.tokens = h.tokens
	if r := h2.get("pa-analyst", "/taxii2/", nil, nil); string(r.body) != `{"title":"Mosaic","default":"/taxii2/api/","api_roots":["/taxii2/api/"]}` {
		t.Errorf("defaults: %s", r.body)
	}
	if r := h2.get("pa-analyst", "/taxii2/api/", nil, nil); string(r.body) != `{"title":"Mosaic","versions":["application/taxii+json;version=2.1"],"max_content_length":33554432}` {
		t.Errorf("defaults: %s", r.body)
	}
}

func TestCollections(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open, testOptions)
		seed(t, h)
		type coll struct {
			Title    string
			CanWrite bool
		}
		for _, tc := range []struct {
			user string
			want []coll
		}{
			{"pa-analyst", []coll{{"Cell", true}, {"Compartment ops", true}, {"Organisation pa", true}}},
			{"pa-liaison", []coll{{"Cell", true}, {"Compartment ops", true}, {"Organisation pa", true}}},
			{"pb-analyst", []coll{{"Cell", true}, {"Compartment ops", true}, {"Organisation pb", true}}},
			{"pc-analyst", []coll{{"Cell", true}, {"Compartment other", true}, {"Organisation pc", true}}},
			{"ov-granted", []coll{{"Cell", false}}},
			{"ov-auditor", nil},
			{"sh-user", nil},
			{"pa-admin", nil},
		} {
			r := h.get(tc.user, root+"collections/", nil, nil)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", tc.user, r.status, r.body)
			}
			if tc.want == nil {
				if string(r.body) != "{}" {
					t.Errorf("%s: %s, want {}", tc.user, r.body)
				}
				continue
			}
			var cs taxii.Collections
			if err := json.Unmarshal(r.body, &cs); err != nil {
				t.Fatal(err)
			}
			var got []coll
			for _, c := range cs.Collections {
				got = append(got, coll{c.Title, c.CanWrite})
				if !uuid4.MatchString(c.ID) || !c.CanRead || !slices.Equal(c.MediaTypes, []string{"application/stix+json;version=2.1"}) || c.Description == "" {
					t.Errorf("%s: collection %+v", tc.user, c)
				}
				// The collection endpoint answers with the same resource.
				want, _ := json.Marshal(c)
				if r := h.get(tc.user, collPath(c.ID), nil, nil); r.status != 200 || !bytes.Equal(r.body, want) {
					t.Errorf("%s: GET collection %s: %d %s, want %s", tc.user, c.Title, r.status, r.body, want)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: collections (-want +got):\n%s", tc.user, diff)
			}
		}
		// The exact resource.
		cell := h.collections("pa-analyst")["Cell"]
		want := fmt.Sprintf(`{"id":%q,"title":"Cell","description":"STIX objects shared with the whole cell, from every partner. Objects added here are shared with the cell.","can_read":true,"can_write":true,"media_types":["application/stix+json;version=2.1"]}`, cell.ID)
		if r := h.get("pa-analyst", collPath(cell.ID), nil, nil); string(r.body) != want {
			t.Errorf("cell collection:\n%s\nwant\n%s", r.body, want)
		}
		// Ids are the same for every user and survive a restart; each
		// audience has its own.
		ops := h.collID("pa-analyst", "Compartment ops")
		if h.collID("pb-analyst", "Cell") != cell.ID || h.collID("ov-granted", "Cell") != cell.ID || h.collID("pb-analyst", "Compartment ops") != ops {
			t.Error("collection ids differ between users")
		}
		h2 := newHarnessOn(t, h.store, h.clock, testOptions)
		h2.tokens = h.tokens
		if h2.collID("pa-analyst", "Cell") != cell.ID || h2.collID("pa-analyst", "Compartment ops") != ops {
			t.Error("collection ids change with a restart")
		}
		all := map[string]bool{}
		for _, u := range []string{"pa-analyst", "pb-analyst", "pc-analyst"} {
			for _, c := range h.collections(u) {
				all[c.ID] = true
			}
		}
		if len(all) != 6 {
			t.Errorf("%d distinct collection ids, want 6 (cell, ops, other, pa, pb, pc)", len(all))
		}
		// A collection one may not use is exactly an unknown one.
		unknown := h.get("pa-analyst", collPath(storetest.UUID(77)), nil, nil)
		if unknown.status != 404 {
			t.Fatalf("unknown collection: %d", unknown.status)
		}
		taxiiError(t, unknown)
		for _, tc := range []struct{ user, id string }{
			{"sh-user", cell.ID}, {"pa-admin", cell.ID}, {"ov-auditor", cell.ID}, {"pc-analyst", ops},
			{"ov-granted", ops}, {"pb-analyst", h.collID("pa-analyst", "Organisation pa")},
		} {
			for _, sub := range []string{"", "objects/", "manifest/", "objects/indicator--" + storetest.UUID(1) + "/", "objects/indicator--" + storetest.UUID(1) + "/versions/"} {
				r := h.get(tc.user, collPath(tc.id)+sub, nil, nil)
				u := h.get(tc.user, collPath(storetest.UUID(77))+sub, nil, nil)
				if r.status != 404 || !bytes.Equal(r.body, u.body) {
					t.Errorf("%s on another's collection %s: %d %s, unknown: %d %s", tc.user, sub, r.status, r.body, u.status, u.body)
				}
			}
		}
	})
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t, stores["sqlite"], testOptions)
	seed(t, h)
	path := root + "collections/"
	basic := func(user, token string) map[string]string {
		return map[string]string{"Authorization": "Basic " + b64(user+":"+token)}
	}
	for _, tc := range []struct {
		name   string
		rq     request
		status int
	}{
		{"basic", request{path: path, user: "pa-analyst"}, 200},
		{"bearer", request{path: path, user: "pa-analyst", bearer: true}, 200},
		{"none", request{path: path}, 401},
		{"none, unknown path", request{path: "/taxii2/nowhere/"}, 401},
		{"none, discovery", request{path: "/taxii2/"}, 401},
		{"basic, another user's token", request{path: path, header: basic("pa-analyst", h.token("pb-analyst"))}, 401},
		{"basic, unknown user", request{path: path, header: basic("nobody", h.token("pb-analyst"))}, 401},
		{"basic, bad token", request{path: path, header: basic("pa-analyst", "mosaic_nonsense")}, 401},
		{"basic, no password", request{path: path, header: basic("pa-analyst", "")}, 401},
		{"basic, not base64", request{path: path, header: map[string]string{"Authorization": "Basic %%%"}}, 401},
		{"bearer, bad token", request{path: path, header: map[string]string{"Authorization": "Bearer mosaic_nonsense"}}, 401},
		{"other scheme", request{path: path, header: map[string]string{"Authorization": "Digest x"}}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.rq)
			if r.status != tc.status {
				t.Fatalf("%d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 401 {
				if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="mosaic", Bearer realm="mosaic"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
				if e := taxiiError(t, r); e.ErrorCode != "unauthorized" {
					t.Errorf("error %+v", e)
				}
			}
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestContentNegotiation(t *testing.T) {
	h := newHarness(t, stores["sqlite"], testOptions)
	seed(t, h)
	cell := h.collID("pa-analyst", "Cell")
	for _, tc := range []struct {
		accept string
		status int
	}{
		{"application/taxii+json;version=2.1", 200},
		{"application/taxii+json", 200},
		{"application/taxii+json; version=2.1", 200},
		{`application/taxii+json;version="2.1"`, 200},
		{"application/taxii+json;version=2.1,application/stix+json;version=2.1", 200},
		{"application/taxii+json;version=2.0, application/taxii+json;version=2.1", 200},
		{"*/*", 200},
		{"application/*", 200},
		{"", 200}, // no Accept header: any media type
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200},
		{"application/json", 406},
		{"application/taxii+json;version=2.0", 406},
		{"application/stix+json;version=2.1", 406},
		{"text/html, */*;q=0", 406},
		{"*/*, application/taxii+json;q=0", 406},
		{"application/taxii+json;q=0", 406},
		{"nonsense", 406},
	} {
		for _, path := range []string{"/taxii2/", root, root + "collections/", collPath(cell) + "objects/", collPath(cell) + "manifest/"} {
			r := h.do(request{path: path, user: "pa-analyst", header: map[string]string{"Accept": tc.accept}})
			if r.status != tc.status {
				t.Errorf("Accept %q on %s: %d, want %d", tc.accept, path, r.status, tc.status)
			}
			if tc.status == 406 {
				if e := taxiiError(t, r); e.ErrorCode != "not-acceptable" {
					t.Errorf("error %+v", e)
				}
			}
		}
	}
	for i, tc := range []struct {
		ctype  string
		status int
	}{
		{"application/taxii+json;version=2.1", 202},
		{"application/taxii+json", 202},
		{"application/taxii+json; charset=utf-8; version=2.1", 202},
		{"application/json", 415},
		{"application/stix+json;version=2.1", 415},
		{"application/taxii+json;version=2.0", 415},
		{"application/taxii+json;charset=latin1", 415},
		{"", 415},
	} {
		r := h.do(request{method: "POST", path: collPath(cell) + "objects/", user: "pa-analyst", body: envelope(ind(100+i, day1)), header: map[string]string{"Content-Type": tc.ctype}})
		if r.status != tc.status {
			t.Errorf("Content-Type %q: %d, want %d: %s", tc.ctype, r.status, tc.status, r.body)
		}
		if tc.status == 415 {
			taxiiError(t, r)
		}
	}
	// A POST is negotiated too.
	r := h.do(request{method: "POST", path: collPath(cell) + "objects/", user: "pa-analyst", body: envelope(ind(120, day1)), header: map[string]string{"Accept": "application/json"}})
	if r.status != 406 {
		t.Errorf("POST with Accept application/json: %d", r.status)
	}
}

func TestPathsAndMethods(t *testing.T) {
	h := newHarness(t, stores["sqlite"], testOptions)
	seed(t, h)
	cell := h.collID("pa-analyst", "Cell")
	obj := collPath(cell) + "objects/indicator--" + storetest.UUID(1) + "/"
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", collPath(cell) + "objects/", 405, "GET, POST"},
		{"POST", collPath(cell) + "manifest/", 405, "GET"},
		{"POST", obj, 405, "GET, DELETE"},
		{"DELETE", root, 405, "GET"},
		{"POST", "/taxii2/", 405, "GET"},
		{"GET", root + "collections", 404, ""},
		{"GET", collPath(cell) + "objects", 404, ""},
		{"GET", "/taxii2/other/", 404, ""},
		{"GET", root + "channels/", 404, ""},
		{"GET", collPath(cell) + "objects/not-an-id/", 400, ""},
	} {
		r := h.do(request{method: tc.method, path: tc.path, user: "pa-analyst"})
		if r.status != tc.status || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want %d %q: %s", tc.method, tc.path, r.status, r.header.Get("Allow"), tc.status, tc.allow, r.body)
		}
		e := taxiiError(t, r)
		if strings.HasSuffix(tc.path, "objects") && !strings.Contains(e.Description, "slash") {
			t.Errorf("no word of the trailing slash: %+v", e)
		}
	}
	// HEAD answers like GET, without a body.
	h.mustPost("pa-analyst", cell, ind(1, day1))
	get := h.get("pa-analyst", collPath(cell)+"objects/", nil, nil)
	if r := h.do(request{method: "HEAD", path: collPath(cell) + "objects/", user: "pa-analyst"}); r.status != 200 || len(r.body) != 0 ||
		r.header.Get(taxii.HeaderDateAddedLast) == "" || r.header.Get(taxii.HeaderDateAddedLast) != get.header.Get(taxii.HeaderDateAddedLast) {
		t.Errorf("HEAD: %d %q %v", r.status, r.body, r.header)
	}
}

func TestRateLimits(t *testing.T) {
	opts := testOptions
	opts.RatePerSecond, opts.RateBurst, opts.AuthFailuresPerMinute = 1, 3, 2
	h := newHarness(t, stores["sqlite"], opts)
	seed(t, h)
	var last response
	for range 4 {
		last = h.do(request{path: "/taxii2/", user: "pa-analyst"})
	}
	if last.status != 429 || last.header.Get("Retry-After") != "1" {
		t.Errorf("fourth request in a burst of 3: %d Retry-After %q", last.status, last.header.Get("Retry-After"))
	}
	taxiiError(t, last)
	// Another user has a bucket of its own.
	if r := h.do(request{path: "/taxii2/", user: "pb-analyst"}); r.status != 200 {
		t.Errorf("another user: %d", r.status)
	}
	for range 2 {
		h.do(request{path: "/taxii2/", header: map[string]string{"Authorization": "Bearer bad"}})
	}
	if r := h.do(request{path: "/taxii2/", header: map[string]string{"Authorization": "Bearer bad"}}); r.status != 429 {
		t.Errorf("third failed authentication: %d", r.status)
	}
	h.clock.Add(2 * time.Second)
	if r := h.do(request{path: "/taxii2/", user: "pa-analyst"}); r.status != 200 {
		t.Errorf("after waiting: %d", r.status)
	}
}

// post returns the status of a POST that must succeed, and checks the
// status resource is complete and whole.
func checkStatus(t testing.TB, st taxii.Status, total, success int) {
	t.Helper()
	if !uuid4.MatchString(st.ID) || st.Status != "complete" || !taxiiTime.MatchString(st.RequestTimestamp) || st.TotalCount != total ||
		st.SuccessCount != success || len(st.Successes) != success || st.FailureCount != total-success || len(st.Failures) != total-success || st.PendingCount != 0 {
		t.Errorf("status %+v, want %d of %d successes", st, success, total)
	}
}

func q(kv ...string) url.Values {
	out := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Add(kv[i], kv[i+1])
	}
	return out
}
