package taxii_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"mosaic"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

func TestAddObjectsAndStatus(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open, testOptions)
		seed(t, h)
		cell := h.collID("pa-analyst", "Cell")
		st, r := h.post("pa-analyst", cell, ind(20, day1), ip(21))
		if r.status != 202 || r.header.Get("Content-Type") != taxii.MediaType {
			t.Fatalf("POST: %d %s", r.status, r.body)
		}
		checkStatus(t, st, 2, 2)
		// The SCO's version is its date_added, as in the manifest.
		man := manifest(t, h, "pa-analyst", cell, q("match[id]", ipID(21)))
		want := fmt.Sprintf(`{"id":%q,"status":"complete","request_timestamp":"2026-11-01T09:00:00.000000Z","total_count":2,"success_count":2,`+
			`"successes":[{"id":%q,"version":"2026-10-01T00:00:00.000Z"},{"id":%q,"version":%q}],"failure_count":0,"pending_count":0}`,
			st.ID, id(20), ipID(21), man[0].DateAdded)
		if string(r.body) != want {
			t.Errorf("status\n%s\nwant\n%s", r.body, want)
		}
		// The status is kept for the user who made the upload.
		statusPath := root + "status/" + st.ID + "/"
		if g := h.get("pa-analyst", statusPath, nil, nil); g.status != 200 || string(g.body) != want {
			t.Errorf("GET status: %d %s", g.status, g.body)
		}
		unknown := h.get("pa-analyst", root+"status/"+storetest.UUID(5)+"/", nil, nil)
		if unknown.status != 404 {
			t.Errorf("unknown status: %d", unknown.status)
		}
		taxiiError(t, unknown)
		for _, u := range []string{"pa-liaison", "pb-analyst", "sh-user", "ov-granted"} {
			g := h.get(u, statusPath, nil, nil)
			other := h.get(u, root+"status/"+storetest.UUID(5)+"/", nil, nil)
			if g.status != 404 || !bytes.Equal(g.body, other.body) {
				t.Errorf("%s reads another's status: %d %s", u, g.status, g.body)
			}
		}
		if g := h.get("pa-analyst", root+"status/not-a-uuid/", nil, nil); g.status != 404 {
			t.Errorf("malformed status id: %d", g.status)
		}
		// Stored and visible in the cell to every partner.
		if got := h.list(t, "pc-analyst", collPath(h.collID("pc-analyst", "Cell"))+"objects/", nil, 10); len(got) != 2 {
			t.Errorf("pc sees %v", got)
		}
		// An exact duplicate is no error (TAXII §5.5).
		st, _ = h.post("pa-analyst", cell, ind(20, day1), ip(21), ind(20, day1))
		checkStatus(t, st, 3, 3)
	})
}

func TestAddObjectsRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open, testOptions)
		seed(t, h)
		cell := h.collID("pa-analyst", "Cell")
		h.mustPost("pa-analyst", cell, ind(30, day1))
		noPattern := strings.Replace(ind(31, day1), `"pattern":"[ipv4-addr:value = '10.0.0.31']",`, "", 1)
		red := strings.Replace(ind(32, day1), `"name"`, `"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"],"name"`, 1)
		for _, tc := range []struct {
			name string
			objs []string
			// want maps each object's id to a fragment of its failure
			// message.
			want []string
		}{
			{"an invalid object", []string{ind(33, day1), noPattern, ip(34)},
				[]string{"not stored: Mosaic stores an upload all or nothing", "pattern", "not stored"}},
			{"not an object", []string{ind(33, day1), `42`}, []string{"not stored", ""}},
			{"different content for a version already held", []string{strings.Replace(ind(30, day1), `"n30"`, `"changed"`, 1), ind(33, day1)},
				[]string{"", "not stored"}},
			{"TLP:RED to the cell", []string{red, ind(33, day1)}, []string{"TLP:RED", "not stored"}},
			{"same version twice, different content", []string{ind(33, day1), strings.Replace(ind(33, day1), `"n33"`, `"other"`, 1)},
				[]string{"not stored", "same id and version"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				st, r := h.post("pa-analyst", cell, tc.objs...)
				if r.status != 202 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				checkStatus(t, st, len(tc.objs), 0)
				for i, f := range st.Failures {
					if f.ID == "" || f.Version == "" || f.Message == "" || !strings.Contains(f.Message, tc.want[i]) {
						t.Errorf("failure %d: %+v, want a message with %q", i, f, tc.want[i])
					}
				}
				// Nothing of it is stored.
				if got := h.list(t, "pa-analyst", collPath(cell)+"objects/", nil, 50); len(got) != 1 {
					t.Errorf("stored: %v", got)
				}
				if g := h.get("pa-analyst", root+"status/"+st.ID+"/", nil, nil); g.status != 200 || !bytes.Equal(g.body, r.body) {
					t.Errorf("status of a refused upload: %d %s", g.status, g.body)
				}
			})
		}
	})
}

func TestAddObjectsErrors(t *testing.T) {
	opts := testOptions
	opts.MaxContentLength = 64 << 10
	h := newHarness(t, stores["sqlite"], opts)
	seed(t, h)
	cell := h.collID("pa-analyst", "Cell")
	big := envelope(strings.Replace(ind(1, day1), `"name":"n1"`, `"name":"n1","description":"`+strings.Repeat("x", 70<<10)+`"`, 1))
	for _, tc := range []struct {
		name, user, coll string
		body             string
		status           int
		fragment         string
	}{
		{"not JSON", "pa-analyst", cell, `{"objects":[`, 422, "not JSON"},
		{"a list", "pa-analyst", cell, `[1,2]`, 422, "envelope"},
		{"no objects", "pa-analyst", cell, `{"more":false}`, 422, "no objects"},
		{"objects not a list", "pa-analyst", cell, `{"objects":{}}`, 422, "no objects"},
		{"empty objects", "pa-analyst", cell, `{"objects":[]}`, 422, "empty"},
		{"objects twice", "pa-analyst", cell, `{"objects":[` + ind(1, day1) + `],"objects":[]}`, 422, "twice"},
		{"too large", "pa-analyst", cell, string(big), 413, "max_content_length"},
		{"granted auditor", "ov-granted", cell, string(envelope(ind(1, day1))), 403, "may not add"},
		{"stakeholder", "sh-user", cell, string(envelope(ind(1, day1))), 404, "no such collection"},
		{"admin", "pa-admin", cell, string(envelope(ind(1, day1))), 404, "no such collection"},
		{"not a member", "pc-analyst", h.collID("pa-analyst", "Compartment ops"), string(envelope(ind(1, day1))), 404, "no such collection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(request{method: "POST", path: collPath(tc.coll) + "objects/", user: tc.user, body: []byte(tc.body)})
			if r.status != tc.status {
				t.Fatalf("%d, want %d: %s", r.status, tc.status, r.body)
			}
			if e := taxiiError(t, r); !strings.Contains(e.Description, tc.fragment) {
				t.Errorf("error %+v does not mention %q", e, tc.fragment)
			}
		})
	}
	// More objects than ingest takes at once: not 413, which TAXII
	// reserves for bodies over max_content_length.
	cfg := ingestConfig()
	cfg.Limits.MaxObjects = 2
	h3 := newHarnessOn(t, h.store, h.clock, opts, cfg)
	h3.tokens = h.tokens
	if _, r := h3.post("pa-analyst", cell, ind(50, day1), ind(51, day1), ind(52, day1)); r.status != 422 || !strings.Contains(taxiiError(t, r).Description, "more than 2 objects") {
		t.Errorf("too many objects: %d %s", r.status, r.body)
	}
	if st, r := h3.post("pa-analyst", cell, ind(50, day1), ind(51, day1)); r.status != 202 || st.SuccessCount != 2 {
		t.Errorf("as many objects as allowed: %d %s", r.status, r.body)
	}
	// Other members of an envelope are ignored, and so is a bundle's
	// type and id: the objects list is what counts.
	if _, r := h.post("pa-analyst", cell); r.status != 422 {
		t.Errorf("empty envelope: %d", r.status)
	}
	r := h.do(request{method: "POST", path: collPath(cell) + "objects/", user: "pa-analyst",
		body: []byte(`{"type":"bundle","id":"bundle--` + storetest.UUID(9) + `","more":false,"x_example_com_note":{"a":[1,"]"]},"objects":[` + ind(2, day1) + `]}`)})
	if r.status != 202 {
		t.Errorf("envelope with other members: %d %s", r.status, r.body)
	}
}

// TestAddObjectsAudiences checks that an object added to a collection is
// shared with the collection's audience, unless it says otherwise.
func TestAddObjectsAudiences(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open, testOptions)
		seed(t, h)
		ownAudience := strings.Replace(ind(43, day1), `"name"`, `"extensions":{"`+stix.ExtensionID+`":{"extension_type":"property-extension","audience":["originator"]}},"name"`, 1)
		h.mustPost("pa-analyst", h.collID("pa-analyst", "Cell"), ind(40, day1), ownAudience)
		h.mustPost("pa-analyst", h.collID("pa-analyst", "Compartment ops"), ind(41, day1))
		h.mustPost("pa-analyst", h.collID("pa-analyst", "Organisation pa"), ind(42, day1))
		sees := func(user string) []string {
			var out []string
			for _, title := range []string{"Cell", "Compartment ops", "Compartment other", "Organisation pa", "Organisation pb", "Organisation pc"} {
				c, ok := h.collections(user)[title]
				if !ok {
					continue
				}
				for _, k := range h.list(t, user, collPath(c.ID)+"objects/", nil, 10) {
					var n int
					fmt.Sscanf(k[len("indicator--")+24:len("indicator--")+36], "%x", &n)
					out = append(out, fmt.Sprintf("%s:%d", title, n))
				}
			}
			return out
		}
		for _, tc := range []struct {
			user string
			want string
		}{
			{"pa-analyst", "[Cell:40 Compartment ops:41 Organisation pa:40 Organisation pa:43 Organisation pa:41 Organisation pa:42]"},
			{"pa-liaison", "[Cell:40 Compartment ops:41 Organisation pa:40 Organisation pa:43 Organisation pa:41 Organisation pa:42]"},
			{"pb-analyst", "[Cell:40 Compartment ops:41]"},
			{"pc-analyst", "[Cell:40]"},
			{"ov-granted", "[Cell:40]"},
		} {
			if got := fmt.Sprint(sees(tc.user)); got != tc.want {
				t.Errorf("%s sees %s, want %s", tc.user, got, tc.want)
			}
		}
		// The envelope says so.
		var env taxii.Envelope
		h.get("pb-analyst", collPath(h.collID("pb-analyst", "Compartment ops"))+"objects/", nil, &env)
		if objs := served(t, env); len(objs) != 1 || fmt.Sprint(objs[0].Audience) != "[compartment:ops]" {
			t.Errorf("audience in ops: %s", env.Objects)
		}
	})
}

// TestReadsFailClosed checks that reads are refused while their audit
// entries cannot be written.
func TestReadsFailClosed(t *testing.T) {
	var wrapped *brokenAudit
	h := newHarness(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
		wrapped = &brokenAudit{Store: stores["sqlite"](t, clock)}
		return wrapped
	}, testOptions)
	seed(t, h)
	cell := h.collID("pa-analyst", "Cell")
	st := h.mustPost("pa-analyst", cell, ind(1, day1))
	paths := []string{
		collPath(cell) + "objects/", collPath(cell) + "manifest/", collPath(cell) + "objects/" + id(1) + "/",
		collPath(cell) + "objects/" + id(1) + "/versions/", root + "status/" + st.ID + "/",
	}
	for _, p := range paths {
		if r := h.get("pa-analyst", p, nil, nil); r.status != 200 {
			t.Fatalf("healthy %s: %d", p, r.status)
		}
	}
	wrapped.broken.Store(true)
	if err := h.audit.Flush(t.Context()); err == nil {
		t.Fatal("flush succeeded on a broken audit log")
	}
	for _, p := range paths {
		r := h.get("pa-analyst", p, nil, nil)
		if r.status != 503 {
			t.Errorf("%s while the audit log fails: %d", p, r.status)
		}
		if e := taxiiError(t, r); e.ErrorCode != "unavailable" {
			t.Errorf("error %+v", e)
		}
	}
	wrapped.broken.Store(false)
	if err := h.audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := h.get("pa-analyst", paths[0], nil, nil); r.status != 200 {
		t.Errorf("after recovery: %d", r.status)
	}
	// Every read left its entry, with the ids it returned.
	entries, err := h.store.AuditEntries(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string][]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "taxii.") {
			actions[e.Action] = e.ObjectIDs
		}
	}
	for _, a := range []string{"taxii.objects", "taxii.manifest", "taxii.object", "taxii.versions"} {
		if got := actions[a]; len(got) != 1 || got[0] != id(1) {
			t.Errorf("audit of %s: %v", a, got)
		}
	}
	if _, ok := actions["taxii.status"]; !ok {
		t.Error("status read not audited")
	}
}
