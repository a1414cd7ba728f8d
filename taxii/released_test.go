package taxii_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// releaseHarness is a harness with releases on: pa's analyst drafts and
// publishes, pa's liaison consents; sh (energy) receives, with two users;
// sh2 (another sector) is told nothing.
type releaseHarness struct {
	*harness
	cell string // pa's cell collection, where the sources are shared
}

func newReleaseHarness(t *testing.T, open storetest.Opener, opts taxii.Options) *releaseHarness {
	t.Helper()
	h := newHarness(t, open, opts)
	seed(t, h)
	ctx := t.Context()
	a := mosaic.AuditEntry{Action: "setup"}
	sh2 := mosaic.Organisation{Name: "sh2", FullName: "S2", Kind: mosaic.Stakeholder, Sectors: []string{"healthcare"}}
	if err := h.store.CreateOrg(ctx, &sh2, a); err != nil {
		t.Fatal(err)
	}
	for _, u := range []mosaic.User{
		{Name: "sh-colleague", Org: "sh", Role: mosaic.StakeholderViewer},
		{Name: "sh2-user", Org: "sh2", Role: mosaic.StakeholderViewer},
	} {
		if err := h.store.CreateUser(ctx, &u, "", a); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := h.store.(content.ReleaseStore)
	if !ok {
		t.Fatal("the store keeps no releases")
	}
	h.in.EnableReleases(rs, content.ReleaseConfig{Keys: keys, CellName: "Test cell"})
	return &releaseHarness{harness: h, cell: h.collID("pa-analyst", "Cell")}
}

// viewer returns the viewer of user name, as the gate would make it.
func (h *releaseHarness) viewer(name string) mosaic.Viewer {
	h.t.Helper()
	u, err := h.store.User(h.t.Context(), name)
	if err != nil {
		h.t.Fatal(err)
	}
	o, err := h.store.Org(h.t.Context(), u.Org)
	if err != nil {
		h.t.Fatal(err)
	}
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
}

var releaseAccess = content.Access{Action: "test.release"}

// publish releases objs, which pa shares with the cell, to recipients;
// pa's liaison consents, at level tlp when it is set. It returns the
// release's id.
func (h *releaseHarness) publish(recipients []string, tlp mosaic.TLP, objs ...string) string {
	h.t.Helper()
	ctx := h.t.Context()
	var pins []content.Pin
	san := map[string]content.ObjectSanitisation{}
	for _, o := range objs {
		head := stix.ReadHead([]byte(o))
		pins = append(pins, content.Pin{ID: head.ID, Modified: head.Modified})
		san[head.ID] = content.ObjectSanitisation{TLP: tlp}
	}
	pa := h.viewer("pa-analyst")
	r, err := h.in.DraftRelease(ctx, pa, content.Draft{Title: "Act on these", Advice: "Block them.", Recipients: recipients, Objects: pins}, releaseAccess)
	if err != nil {
		h.t.Fatalf("draft: %v", err)
	}
	c := content.Consent{Revision: r.Revision, Decision: content.DecideApprove}
	if tlp != "" {
		c.Decision, c.Sanitise = content.DecideApproveSanitised, san
	}
	if _, err := h.in.Consent(ctx, h.viewer("pa-liaison"), r.ID, c, releaseAccess); err != nil {
		h.t.Fatalf("consent: %v", err)
	}
	if _, err := h.in.Publish(ctx, pa, r.ID, r.Revision, releaseAccess); err != nil {
		h.t.Fatalf("publish: %v", err)
	}
	h.clock.Add(time.Minute)
	return r.ID
}

func (h *releaseHarness) withdraw(id string) {
	h.t.Helper()
	if _, err := h.in.Withdraw(h.t.Context(), h.viewer("pa-analyst"), id, "the addresses were reassigned", releaseAccess); err != nil {
		h.t.Fatalf("withdraw: %v", err)
	}
	h.clock.Add(time.Minute)
}

// delivered returns the ids of the objects release id delivered to user
// (its snapshot's bundle), but for the cell's identity and the TLP
// marking definitions the bundle holds beside them.
func (h *releaseHarness) delivered(user, id string) []string {
	h.t.Helper()
	rv, err := h.in.Release(h.t.Context(), h.viewer(user), id, releaseAccess)
	if err != nil || rv.Delivery == nil {
		h.t.Fatalf("%s receives %s: %v", user, id, err)
	}
	var b struct{ Objects []struct{ ID, Type string } }
	if err := json.Unmarshal(rv.Delivery.Bundle, &b); err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, o := range b.Objects {
		if o.Type != "identity" && o.Type != "marking-definition" {
			out = append(out, o.ID)
		}
	}
	slices.Sort(out)
	return out
}

// releasedObject is a released object as a collection serves it.
type releasedObject struct {
	ID, Type, Modified string
	Revoked            bool
	CreatedBy          string   `json:"created_by_ref"`
	Markings           []string `json:"object_marking_refs"`
	Raw                json.RawMessage
}

// released GETs path (a collection's objects, or one object's) as user,
// "" for no credentials, and returns the envelope's objects.
func (h *releaseHarness) released(user, path string, q url.Values) ([]releasedObject, taxii.Envelope, response) {
	h.t.Helper()
	var env taxii.Envelope
	r := h.get(user, path, q, &env)
	if r.status != 200 {
		h.t.Fatalf("GET %s?%s as %q: %d %s", path, q.Encode(), user, r.status, r.body)
	}
	var out []releasedObject
	for _, raw := range env.Objects {
		var o releasedObject
		if err := json.Unmarshal(raw, &o); err != nil {
			h.t.Fatal(err)
		}
		o.Raw = raw
		out = append(out, o)
	}
	return out, env, r
}

// releasedIDs lists the released objects' ids, without what every
// release holds beside them (the cell's identity, the TLP definitions;
// TestReleasedReferencesResolve checks those).
func releasedIDs(objs []releasedObject) []string {
	var out []string
	for _, o := range objs {
		if o.Type != "identity" && o.Type != "marking-definition" {
			out = append(out, o.ID)
		}
	}
	slices.Sort(out)
	return out
}

// withTLP marks a test object at level l.
func withTLP(obj string, l mosaic.TLP) string {
	return strings.Replace(obj, `"spec_version"`, fmt.Sprintf(`"object_marking_refs":[%q],"spec_version"`, stix.TLPMarkingID(l)), 1)
}

// sco returns an ipv4-addr with the id STIX 2.1 derives from its value.
func sco(n int) string {
	v := fmt.Sprintf("192.0.2.%d", n)
	return fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":%q}`, stix.SCOID("ipv4-addr", map[string]any{"value": v}), v)
}

func TestReleasedCollections(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newReleaseHarness(t, open, testOptions)
		orgObjs := []string{ind(1, day1), ind(2, day1), sco(3)}
		red, public, sector := ind(4, day1), withTLP(ind(5, day1), mosaic.TLPClear), withTLP(ind(6, day1), mosaic.TLPGreen)
		h.mustPost("pa-analyst", h.cell, append(orgObjs, red, public, sector)...)
		toOrg := h.publish([]string{"org:sh"}, "", orgObjs...)
		toSector := h.publish([]string{"sector:energy"}, "", sector)
		toUser := h.publish([]string{"user:sh-user"}, mosaic.TLPRed, red)
		toPublic := h.publish([]string{"public"}, "", public)

		// Every viewer's collections: the cell's content as before, then
		// what it receives.
		type coll struct {
			Title    string
			CanWrite bool
		}
		var publicID string
		for user, want := range map[string][]coll{
			"sh-user":      {{"Releases to sh", false}, {"Releases to sh-user", false}, {"Public releases", false}},
			"sh-colleague": {{"Releases to sh", false}, {"Releases to sh-colleague", false}, {"Public releases", false}},
			"sh2-user":     {{"Releases to sh2", false}, {"Releases to sh2-user", false}, {"Public releases", false}},
			"pa-analyst":   {{"Cell", true}, {"Compartment ops", true}, {"Organisation pa", true}, {"Releases to pa", false}, {"Releases to pa-analyst", false}, {"Public releases", false}},
			"pa-admin":     {{"Public releases", false}},
			"ov-granted":   {{"Cell", false}, {"Public releases", false}},
			"":             {{"Public releases", false}},
		} {
			var cs taxii.Collections
			if r := h.get(user, root+"collections/", nil, &cs); r.status != 200 {
				t.Fatalf("collections of %q: %d %s", user, r.status, r.body)
			}
			var got []coll
			for _, c := range cs.Collections {
				got = append(got, coll{c.Title, c.CanWrite})
				if !c.CanRead || !slices.Equal(c.MediaTypes, []string{taxii.STIXMediaType}) || !uuid4.MatchString(c.ID) {
					t.Errorf("%q: collection %+v", user, c)
				}
				if c.Title == "Public releases" {
					if publicID != "" && publicID != c.ID {
						t.Errorf("the public collection is %s to %q and %s to another", c.ID, user, publicID)
					}
					publicID = c.ID
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("collections of %q: %v, want %v", user, got, want)
			}
		}
		orgID, userID := h.collID("sh-user", "Releases to sh"), h.collID("sh-user", "Releases to sh-user")
		if h.collID("sh-colleague", "Releases to sh") != orgID {
			t.Error("an organisation's collection has a different id for each of its users")
		}

		// The organisation's collection holds what was delivered to it,
		// under released ids, with nothing of the sources.
		objs, _, r := h.released("sh-user", collPath(orgID)+"objects/", nil)
		want := slices.Sorted(slices.Values(append(h.delivered("sh-user", toOrg), h.delivered("sh-user", toSector)...)))
		if got := releasedIDs(objs); !slices.Equal(got, want) || len(got) != 4 {
			t.Errorf("the organisation's collection holds %v, want %v", got, want)
		}
		for _, secret := range []string{storetest.UUID(1), storetest.UUID(2), storetest.UUID(4), `"pa"`, "pa-analyst", stix.ExtensionID, stix.HandlingType, "x-mosaic"} {
			if bytes.Contains(r.body, []byte(secret)) {
				t.Errorf("the organisation's collection holds %q:\n%s", secret, r.body)
			}
		}
		for _, o := range objs {
			if o.Type == "indicator" && (o.CreatedBy == "" || len(o.Markings) != 1 || o.Markings[0] == stix.TLPMarkingID(mosaic.TLPRed)) {
				t.Errorf("released %s by %q marked %v", o.ID, o.CreatedBy, o.Markings)
			}
		}
		// The other stakeholder, in another sector, received nothing.
		for _, title := range []string{"Releases to sh2", "Releases to sh2-user"} {
			if got, _, _ := h.released("sh2-user", collPath(h.collID("sh2-user", title))+"objects/", nil); len(got) != 0 {
				t.Errorf("%s holds %v", title, releasedIDs(got))
			}
		}
		colleague, _, _ := h.released("sh-colleague", collPath(orgID)+"objects/", nil)
		if !slices.Equal(releasedIDs(colleague), releasedIDs(objs)) {
			t.Errorf("a colleague reads %v of the organisation's collection, the user %v", releasedIDs(colleague), releasedIDs(objs))
		}

		// TLP:RED goes to the user by name, never to its organisation.
		redIDs := h.delivered("sh-user", toUser)
		mine, _, _ := h.released("sh-user", collPath(userID)+"objects/", url.Values{"match[type]": {"indicator"}})
		if got := releasedIDs(mine); !slices.Equal(got, redIDs) || len(got) != 1 || !slices.Equal(mine[0].Markings, []string{stix.TLPMarkingID(mosaic.TLPRed)}) {
			t.Errorf("the user's collection holds %v %v, want %v at RED", got, mine, redIDs)
		}
		if slices.Contains(releasedIDs(objs), redIDs[0]) {
			t.Error("a RED object is in the organisation's collection")
		}
		if r := h.get("sh-user", collPath(orgID)+"objects/"+redIDs[0]+"/", nil, nil); r.status != 404 {
			t.Errorf("the RED object in the organisation's collection: %d", r.status)
		}
		if r := h.get("sh-colleague", collPath(userID)+"objects/", nil, nil); r.status != 404 {
			t.Errorf("a colleague reads the user's collection: %d", r.status)
		}
		colleagueOwn, _, _ := h.released("sh-colleague", collPath(h.collID("sh-colleague", "Releases to sh-colleague"))+"objects/", nil)
		if len(colleagueOwn) != 0 {
			t.Errorf("a colleague's own collection holds %v", releasedIDs(colleagueOwn))
		}

		// The public collection: what was released to the public, to
		// anyone, without credentials too.
		pubIDs := h.delivered("sh-user", toPublic)
		for _, user := range []string{"", "sh2-user", "pa-admin", "sh-user"} {
			got, _, _ := h.released(user, collPath(publicID)+"objects/", nil)
			if !slices.Equal(releasedIDs(got), pubIDs) || len(pubIDs) != 1 {
				t.Errorf("the public collection to %q: %v, want %v", user, releasedIDs(got), pubIDs)
			}
		}
		var pc taxii.Collection
		if r := h.get("", collPath(publicID), nil, &pc); r.status != 200 || pc.Title != "Public releases" || pc.CanWrite || !pc.CanRead {
			t.Errorf("the public collection without credentials: %d %s", r.status, r.body)
		}
		for _, path := range []string{"/taxii2/", root} {
			if r := h.get("", path, nil, nil); r.status != 200 {
				t.Errorf("GET %s without credentials: %d %s", path, r.status, r.body)
			}
		}
		for _, p := range []string{"manifest/", "objects/" + pubIDs[0] + "/", "objects/" + pubIDs[0] + "/versions/"} {
			if r := h.get("", collPath(publicID)+p, nil, nil); r.status != 200 || !bytes.Contains(r.body, []byte(`"more":false`)) {
				t.Errorf("GET %s of the public collection without credentials: %d %s", p, r.status, r.body)
			}
		}

		// Without credentials, nothing else: any other collection is a
		// 401, whether it exists or not, and so is every write.
		for _, rq := range []request{
			{path: collPath(orgID)},
			{path: collPath(orgID) + "objects/"},
			{path: collPath(storetest.UUID(77)) + "objects/"},
			{path: collPath(h.cell) + "objects/"},
			{path: root + "status/" + storetest.UUID(1) + "/"},
			{method: "POST", path: collPath(publicID) + "objects/", body: envelope(ind(9, day1))},
			{method: "DELETE", path: collPath(publicID) + "objects/" + pubIDs[0] + "/"},
			{path: collPath(publicID) + "objects/", header: map[string]string{"Authorization": "Bearer mosaic_nonsense"}},
		} {
			if r := h.do(rq); r.status != 401 {
				t.Errorf("%s %s without valid credentials: %d %s", rq.method, rq.path, r.status, r.body)
			}
		}
		// Read-only for everyone else too (TAXII §5.5, §5.7).
		for _, coll := range []string{orgID, userID, publicID} {
			if _, r := h.post("sh-user", coll, ind(9, day1)); r.status != 403 {
				t.Errorf("POST to a collection of released objects: %d %s", r.status, r.body)
			}
			if r := h.do(request{method: "DELETE", path: collPath(coll) + "objects/" + pubIDs[0] + "/", user: "sh-user"}); r.status != 403 {
				t.Errorf("DELETE in a collection of released objects: %d %s", r.status, r.body)
			}
		}

		// Another stakeholder learns nothing: sh's collections answer
		// exactly as an id that is nobody's does, at every endpoint.
		obj := objs[0].ID
		for _, p := range []string{"", "objects/", "manifest/", "objects/" + obj + "/", "objects/" + obj + "/versions/"} {
			for _, user := range []string{"sh2-user", "pa-analyst", "sh-colleague"} {
				nobody := h.get(user, collPath(storetest.UUID(99))+p, nil, nil)
				for _, coll := range []string{orgID, userID} {
					if user == "sh-colleague" && coll == orgID {
						continue
					}
					got := h.get(user, collPath(coll)+p, nil, nil)
					if got.status != 404 || nobody.status != 404 || !bytes.Equal(got.body, nobody.body) {
						t.Errorf("%s GETs %s of another's collection: %d %s\nnobody's: %d %s", user, p, got.status, got.body, nobody.status, nobody.body)
					}
				}
			}
		}
		for _, coll := range []string{orgID, userID} {
			_, got := h.post("sh2-user", coll, ind(9, day1))
			_, nobody := h.post("sh2-user", storetest.UUID(99), ind(9, day1))
			if got.status != 404 || !bytes.Equal(got.body, nobody.body) {
				t.Errorf("sh2 POSTs to another's collection: %d %s", got.status, got.body)
			}
		}

		// Reads are audited with the collection.
		if err := h.audit.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		entries, err := h.store.AuditEntries(t.Context(), 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, e := range entries {
			if e.Action == "taxii.objects" {
				details = append(details, e.User+" "+e.Detail)
			}
		}
		for _, want := range []string{"sh-user org:sh", "sh-user user:sh-user match%5Btype%5D=indicator", " public"} {
			if !slices.Contains(details, want) {
				t.Errorf("no audit entry %q among %q", want, details)
			}
		}
	})
}

func TestReleasedWithoutReleases(t *testing.T) {
	h := newHarness(t, stores["sqlite"], testOptions)
	seed(t, h)
	// Without releases nothing is told without credentials, and nobody
	// has a collection of released objects.
	for _, path := range []string{"/taxii2/", root, root + "collections/"} {
		if r := h.get("", path, nil, nil); r.status != 401 {
			t.Errorf("GET %s without credentials: %d", path, r.status)
		}
	}
	if r := h.get("sh-user", root+"collections/", nil, nil); r.status != 200 || string(r.body) != "{}" {
		t.Errorf("a stakeholder's collections without releases: %d %s", r.status, r.body)
	}
}

func TestReleasedVersions(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newReleaseHarness(t, open, testOptions)
		src := ind(1, day1)
		h.mustPost("pa-analyst", h.cell, src, ind(2, day1))
		first := h.publish([]string{"org:sh"}, "", src)
		second := h.publish([]string{"org:sh"}, "", src, ind(2, day1))
		coll := collPath(h.collID("sh-user", "Releases to sh"))
		ids := h.delivered("sh-user", first)
		if len(ids) != 1 || !slices.Contains(h.delivered("sh-user", second), ids[0]) {
			t.Fatalf("the same source, sanitised alike, released under %v and %v", ids, h.delivered("sh-user", second))
		}
		id := ids[0]
		objPath := coll + "objects/" + id + "/"

		versions := func(q url.Values) []releasedObject {
			t.Helper()
			q.Set("match[id]", id)
			objs, _, _ := h.released("sh-user", coll+"objects/", q)
			return objs
		}
		all := versions(url.Values{"match[version]": {"all"}})
		if len(all) != 2 || all[0].Modified >= all[1].Modified || all[0].Revoked || all[1].Revoked {
			t.Fatalf("two releases make versions %+v", all)
		}
		if last := versions(url.Values{}); len(last) != 1 || last[0].Modified != all[1].Modified {
			t.Errorf("the last version: %+v", last)
		}

		// A withdrawal adds a revoked version of what the release held:
		// the last one now.
		h.withdraw(second)
		all = versions(url.Values{"match[version]": {"all"}})
		if len(all) != 3 || !all[2].Revoked || all[2].Modified <= all[1].Modified || all[0].Revoked || all[1].Revoked {
			t.Fatalf("after the withdrawal, versions %+v", all)
		}
		for _, tc := range []struct {
			version string
			want    []int
		}{
			{"", []int{2}},
			{"last", []int{2}},
			{"first", []int{0}},
			{"first,last", []int{0, 2}},
			{all[1].Modified, []int{1}},
			{all[0].Modified + "," + all[2].Modified, []int{0, 2}},
			{"2020-01-01T00:00:00.000Z", nil},
		} {
			q := url.Values{}
			if tc.version != "" {
				q.Set("match[version]", tc.version)
			}
			var want []string
			for _, i := range tc.want {
				want = append(want, all[i].Modified)
			}
			for _, path := range []string{coll + "objects/", objPath} {
				qq := url.Values{}
				for k, v := range q {
					qq[k] = v
				}
				if path == coll+"objects/" {
					qq.Set("match[id]", id)
				}
				objs, _, _ := h.released("sh-user", path, qq)
				var got []string
				for _, o := range objs {
					got = append(got, o.Modified)
				}
				if !slices.Equal(got, want) {
					t.Errorf("GET %s match[version]=%s: %v, want %v", path, tc.version, got, want)
				}
			}
		}
		// The other object of the withdrawn release is revoked too; the
		// default listing holds each object once, at its last version.
		last, _, _ := h.released("sh-user", coll+"objects/", url.Values{"match[type]": {"indicator"}})
		if len(last) != 2 || !last[0].Revoked || !last[1].Revoked {
			t.Errorf("the last versions after the withdrawal: %+v", last)
		}

		var vs taxii.Versions
		if r := h.get("sh-user", objPath+"versions/", nil, &vs); r.status != 200 || !slices.Equal(vs.Versions, []string{all[0].Modified, all[1].Modified, all[2].Modified}) {
			t.Errorf("versions: %d %s", r.status, r.body)
		}
		var m taxii.Manifest
		if r := h.get("sh-user", coll+"manifest/", url.Values{"match[id]": {id}, "match[version]": {"all"}}, &m); r.status != 200 || len(m.Objects) != 3 {
			t.Fatalf("manifest: %d %s", r.status, r.body)
		}
		for i, rec := range m.Objects {
			if rec.ID != id || rec.Version != all[i].Modified || rec.MediaType != taxii.STIXMediaType || !taxiiTime.MatchString(rec.DateAdded) {
				t.Errorf("manifest record %+v", rec)
			}
		}
		if r := h.get("sh-user", coll+"manifest/", url.Values{"match[type]": {"indicator"}}, &m); r.status != 200 || len(m.Objects) != 2 {
			t.Errorf("manifest of the last versions: %d %s", r.status, r.body)
		}
		// An object the collection does not hold is a 404; one whose
		// versions the filters leave out is an empty answer.
		if r := h.get("sh-user", coll+"objects/indicator--"+storetest.UUID(1)+"/", nil, nil); r.status != 404 {
			t.Errorf("a source id in the collection: %d %s", r.status, r.body)
		}
		if r := h.get("sh-user", objPath, url.Values{"match[spec_version]": {"2.0"}}, nil); r.status != 200 || string(r.body) != "{}" {
			t.Errorf("a spec version nothing has: %d %s", r.status, r.body)
		}
		if r := h.get("sh-user", coll+"objects/indicator--"+storetest.UUID(1)+"/", url.Values{"match[spec_version]": {"2.0"}}, nil); r.status != 404 {
			t.Errorf("a source id in the collection, spec version 2.0: %d %s", r.status, r.body)
		}
	})
}

func TestReleasedPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newReleaseHarness(t, open, testOptions)
		// Three releases of 40 objects each, the last two of the
		// previous one's objects again: each a batch of its own, and
		// versions of one object across them.
		var rounds [][]string
		for r := range 3 {
			var objs []string
			for i := range 40 {
				objs = append(objs, ind(1+r*20+i, day1))
			}
			rounds = append(rounds, objs)
		}
		h.mustPost("pa-analyst", h.cell, rounds[0]...)
		h.mustPost("pa-analyst", h.cell, rounds[2]...) // rounds[1] is in both
		for _, objs := range rounds {
			h.publish([]string{"org:sh"}, "", objs...)
		}
		coll := collPath(h.collID("sh-user", "Releases to sh"))

		for _, version := range []string{"all", "last", "first"} {
			for _, limit := range []int{7, 40, 100} {
				var got []string
				var addedLast []string
				q := url.Values{"limit": {fmt.Sprint(limit)}, "match[version]": {version}}
				for n := 0; ; n++ {
					if n > 200 {
						t.Fatal("no end to the pages")
					}
					objs, env, r := h.released("sh-user", coll+"objects/", q)
					if len(objs) > limit {
						t.Errorf("a page of %d at limit %d", len(objs), limit)
					}
					for _, o := range objs {
						got = append(got, o.ID+"@"+o.Modified)
					}
					if len(objs) > 0 {
						addedLast = append(addedLast, r.header.Get(taxii.HeaderDateAddedLast))
					}
					if !env.More {
						if env.Next != "" {
							t.Errorf("next %q without more", env.Next)
						}
						break
					}
					q.Set("next", env.Next)
				}
				// Every version, or each object once; and the cell's
				// identity and the TLP definition, once for all releases.
				want := 120 + 2
				if version != "all" {
					want = 80 + 2
				}
				if len(got) != want || len(slices.Compact(slices.Sorted(slices.Values(got)))) != want {
					t.Errorf("match[version]=%s, limit %d: %d objects, %d of them distinct; want %d", version, limit, len(got), len(slices.Compact(slices.Sorted(slices.Values(got)))), want)
				}
				if !slices.IsSorted(addedLast) {
					t.Errorf("match[version]=%s, limit %d: X-TAXII-Date-Added-Last goes back: %v", version, limit, addedLast)
				}
			}
		}

		// A client that polls with X-TAXII-Date-Added-Last as added_after
		// loses nothing, though its pages would end inside a release: they
		// end before it instead (a release larger than a page is passed
		// by following next, as every batch is).
		seen := map[string]bool{}
		q := url.Values{"limit": {"50"}, "match[version]": {"all"}}
		for n := 0; ; n++ {
			if n > 200 {
				t.Fatal("no end to the polls")
			}
			objs, _, r := h.released("sh-user", coll+"objects/", q)
			if len(objs) == 0 {
				break
			}
			for _, o := range objs {
				seen[o.ID+"@"+o.Modified] = true
			}
			q.Set("added_after", r.header.Get(taxii.HeaderDateAddedLast))
		}
		if len(seen) != 122 {
			t.Errorf("polling got %d versions, want 122", len(seen))
		}

		// A cursor belongs to its query.
		_, env, _ := h.released("sh-user", coll+"objects/", url.Values{"limit": {"7"}})
		if r := h.get("sh-user", coll+"manifest/", url.Values{"limit": {"7"}, "next": {env.Next}}, nil); r.status != 400 {
			t.Errorf("an objects cursor on the manifest: %d", r.status)
		}
	})
}

func TestReleasedAnonymousRate(t *testing.T) {
	opts := testOptions
	opts.AnonymousPerMinute = 3
	h := newReleaseHarness(t, stores["sqlite"], opts)
	for i := range 3 {
		if r := h.get("", "/taxii2/", nil, nil); r.status != 200 {
			t.Fatalf("request %d without credentials: %d %s", i, r.status, r.body)
		}
	}
	r := h.get("", root+"collections/", nil, nil)
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Errorf("the fourth request without credentials in a minute: %d %s", r.status, r.body)
	}
	// A user is counted apart.
	if r := h.get("sh-user", root+"collections/", nil, nil); r.status != 200 {
		t.Errorf("a user behind the same address: %d %s", r.status, r.body)
	}
	h.clock.Add(time.Minute)
	if r := h.get("", root+"collections/", nil, nil); r.status != 200 {
		t.Errorf("a minute later: %d %s", r.status, r.body)
	}
}

// TestReleasedReferencesResolve checks that a collection holds what its
// released objects refer to: the cell's identity that made them and the
// definition of the TLP they are marked with, once, however many
// releases hold them.
func TestReleasedReferencesResolve(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newReleaseHarness(t, open, testOptions)
		h.mustPost("pa-analyst", h.cell, ind(1, day1), ind(2, day1))
		h.publish([]string{"org:sh"}, "", ind(1, day1))
		h.publish([]string{"org:sh"}, "", ind(2, day1))
		objs, _, _ := h.released("sh-user", collPath(h.collID("sh-user", "Releases to sh"))+"objects/", nil)
		held := map[string]int{}
		for _, o := range objs {
			held[o.ID]++
		}
		for _, o := range objs {
			if held[o.ID] != 1 {
				t.Errorf("%s is listed %d times", o.ID, held[o.ID])
			}
			if o.CreatedBy != "" && held[o.CreatedBy] == 0 {
				t.Errorf("%s: its creator %s is not in the collection", o.ID, o.CreatedBy)
			}
			for _, m := range o.Markings {
				if held[m] == 0 {
					t.Errorf("%s: its marking %s is not in the collection", o.ID, m)
				}
			}
		}
	})
}
