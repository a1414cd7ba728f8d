package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/sqlstore"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// The leak test builds a random population and checks, for every user,
// every collection and every read endpoint, that the answer is exactly
// what a reference says the user may see: nothing more, nothing less, and
// a hidden object or collection answered exactly like a missing one. The
// reference is written from DESIGN §4.1 and the TAXII collections'
// definitions on its own; it must not call package policy.

type refUser struct {
	name, org string
	role      mosaic.Role
	partner   bool
	grant     bool
}

type refRecord struct {
	id, originator, modified string
	cell                     bool
	comps                    []string
	tlp                      mosaic.TLP
}

type refWorld struct {
	users       []refUser
	comps       []string
	orgMembers  map[string][]string // compartment → organisations
	userMembers map[string][]string // compartment → users
	records     []refRecord         // in the order they were added
}

func (w *refWorld) member(u refUser, comp string) bool {
	return slices.Contains(w.orgMembers[comp], u.org) || slices.Contains(w.userMembers[comp], u.name)
}

// readsContent: partners' analysts and liaisons; auditors with a grant,
// the cell's part only.
func (w *refWorld) readsContent(u refUser) bool {
	return (u.partner && (u.role == mosaic.Analyst || u.role == mosaic.Liaison)) || (u.role == mosaic.Auditor && u.grant)
}

func (w *refWorld) sees(u refUser, r refRecord) bool {
	switch {
	case !w.readsContent(u):
		return false
	case u.role == mosaic.Auditor:
		return r.cell
	case r.originator == u.org || r.cell:
		return true
	}
	for _, c := range r.comps {
		if w.member(u, c) {
			return true
		}
	}
	return false
}

// refCollection is one of a user's collections as the reference sees it.
type refCollection struct {
	title    string
	canWrite bool
	holds    func(r refRecord) bool
}

func (w *refWorld) collections(u refUser) []refCollection {
	if !w.readsContent(u) {
		return nil
	}
	contributes := u.role != mosaic.Auditor
	out := []refCollection{{"Cell", contributes, func(r refRecord) bool { return r.cell }}}
	if !contributes {
		return out
	}
	var mine []string
	for _, c := range w.comps {
		if w.member(u, c) {
			mine = append(mine, c)
		}
	}
	sort.Strings(mine)
	for _, c := range mine {
		out = append(out, refCollection{"Compartment " + c, true, func(r refRecord) bool { return slices.Contains(r.comps, c) }})
	}
	return append(out, refCollection{"Organisation " + u.org, true, func(r refRecord) bool { return r.originator == u.org }})
}

// versions returns the records of chain (id, originator) u sees, oldest
// version first.
func (w *refWorld) chain(u refUser, id, originator string) []refRecord {
	var out []refRecord
	for _, r := range w.records {
		if r.id == id && r.originator == originator && w.sees(u, r) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].modified < out[j].modified })
	return out
}

// selected returns what u gets from collection c: the records c holds
// that u sees, all of them or, for "last" and "first", those that are the
// newest or oldest of their chain among the versions u sees in c (TAXII
// §3.5.1: the latest version of each object in the collection; a version
// u cannot see does not count, nor does one outside c).
func (w *refWorld) selected(u refUser, c refCollection, version string, keep func(refRecord) bool) []refRecord {
	var out []refRecord
	for _, r := range w.records {
		if !w.sees(u, r) || !c.holds(r) || !keep(r) {
			continue
		}
		var ch []refRecord
		for _, x := range w.chain(u, r.id, r.originator) {
			if c.holds(x) {
				ch = append(ch, x)
			}
		}
		switch version {
		case "last":
			if ch[len(ch)-1].modified != r.modified {
				continue
			}
		case "first":
			if ch[0].modified != r.modified {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

func (w *refWorld) shownComps(u refUser, r refRecord) []string {
	if r.cell || len(r.comps) == 0 {
		return nil
	}
	var out []string
	for _, c := range r.comps {
		if r.originator == u.org || w.member(u, c) {
			out = append(out, c)
		}
	}
	return out
}

// key is what the reference and the answers are compared by: the object's
// id and version, and the envelope fields the user may learn.
func (w *refWorld) key(u refUser, r refRecord) string {
	aud := mosaic.Audience{Cell: r.cell, Compartments: w.shownComps(u, r)}
	return fmt.Sprintf("%s@%s@%s %s %s", r.id, r.originator, r.modified, r.tlp, aud)
}

func gotKey(t testing.TB, o servedObject) string {
	aud, err := mosaic.ParseAudienceList(o.Audience)
	if err != nil {
		t.Fatalf("audience %v: %v", o.Audience, err)
	}
	return fmt.Sprintf("%s@%s@%s %s %s", o.ID, o.Originator, o.Modified, o.TLP, aud)
}

func buildRefWorld(t *testing.T, h *harness, rng *rand.Rand) *refWorld {
	ctx := context.Background()
	setup := mosaic.AuditEntry{Action: "setup"}
	w := &refWorld{orgMembers: map[string][]string{}, userMembers: map[string][]string{}}
	addOrg := func(o mosaic.Organisation) {
		if err := h.store.CreateOrg(ctx, &o, setup); err != nil {
			t.Fatal(err)
		}
	}
	addUser := func(u refUser) {
		if err := h.store.CreateUser(ctx, &mosaic.User{Name: u.name, Org: u.org, Role: u.role, ContentGrant: u.grant}, "", setup); err != nil {
			t.Fatal(err)
		}
		w.users = append(w.users, u)
	}
	var partners []string
	for i := range 3 + rng.IntN(3) {
		n := fmt.Sprintf("p%d", i)
		partners = append(partners, n)
		addOrg(mosaic.Organisation{Name: n, FullName: n, Kind: mosaic.Partner, LegalRegime: "wbni"})
		addUser(refUser{name: n + "-analyst", org: n, role: mosaic.Analyst, partner: true})
		addUser(refUser{name: n + "-liaison", org: n, role: mosaic.Liaison, partner: true})
		if rng.IntN(2) == 0 {
			addUser(refUser{name: n + "-analyst2", org: n, role: mosaic.Analyst, partner: true})
		}
		if i == 0 {
			addUser(refUser{name: n + "-admin", org: n, role: mosaic.Admin, partner: true})
		}
	}
	addOrg(mosaic.Organisation{Name: "sh", FullName: "sh", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}})
	addUser(refUser{name: "sh-user", org: "sh", role: mosaic.StakeholderViewer})
	addOrg(mosaic.Organisation{Name: "ov", FullName: "ov", Kind: mosaic.Oversight})
	addUser(refUser{name: "ov-auditor", org: "ov", role: mosaic.Auditor})
	addUser(refUser{name: "ov-granted", org: "ov", role: mosaic.Auditor, grant: true})

	for i := range 3 + rng.IntN(2) {
		c := fmt.Sprintf("comp%d", i)
		w.comps = append(w.comps, c)
		if err := h.store.CreateCompartment(ctx, &mosaic.Compartment{Name: c}, setup); err != nil {
			t.Fatal(err)
		}
		for _, p := range partners {
			if rng.IntN(3) == 0 {
				if err := h.store.AddMember(ctx, c, p, "", setup); err != nil {
					t.Fatal(err)
				}
				w.orgMembers[c] = append(w.orgMembers[c], p)
			}
		}
		for _, u := range w.users {
			if u.partner && (u.role == mosaic.Analyst || u.role == mosaic.Liaison) && !slices.Contains(w.orgMembers[c], u.org) && rng.IntN(4) == 0 {
				if err := h.store.AddMember(ctx, c, "", u.name, setup); err != nil {
					t.Fatal(err)
				}
				w.userMembers[c] = append(w.userMembers[c], u.name)
			}
		}
	}

	// Contributions: ids shared between originators, chains whose versions
	// have different audiences, some SCOs. Each author's objects go, in
	// one upload, to its organisation's collection, each with its audience
	// in Mosaic's envelope extension.
	tlps := []mosaic.TLP{mosaic.TLPClear, mosaic.TLPGreen, mosaic.TLPAmber, mosaic.TLPAmberStrict, mosaic.TLPRed}
	uploads := map[string][]int{} // author → indexes into w.records
	var authorsInOrder []string
	for n := range 25 + rng.IntN(15) {
		oid := "indicator--" + storetest.UUID(1000+n)
		if n%5 == 4 {
			oid = "ipv4-addr--" + storetest.UUID(1000+n)
		}
		for _, oi := range rng.Perm(len(partners))[:1+rng.IntN(min(3, len(partners)))] {
			org := partners[oi]
			var authors []refUser
			for _, u := range w.users {
				if u.org == org && (u.role == mosaic.Analyst || u.role == mosaic.Liaison) {
					authors = append(authors, u)
				}
			}
			versions := 1 + rng.IntN(3)
			if strings.HasPrefix(oid, "ipv4-addr") {
				versions = 1 // an SCO has one version per originator
			}
			for v := range versions {
				author := authors[rng.IntN(len(authors))]
				var mine []string
				for _, c := range w.comps {
					if w.member(author, c) {
						mine = append(mine, c)
					}
				}
				r := refRecord{id: oid, originator: org, tlp: tlps[rng.IntN(len(tlps))]}
				if !strings.HasPrefix(oid, "ipv4-addr") {
					r.modified = fmt.Sprintf("2026-10-%02dT00:00:00.%03dZ", 1+v, rng.IntN(1000))
				}
				switch k := rng.IntN(3); {
				case k == 0 && r.tlp != mosaic.TLPRed:
					r.cell = true
				case k == 1 && len(mine) > 0:
					for _, c := range mine {
						if rng.IntN(2) == 0 || len(r.comps) == 0 {
							r.comps = append(r.comps, c)
						}
					}
					sort.Strings(r.comps)
				}
				w.records = append(w.records, r)
				if _, ok := uploads[author.name]; !ok {
					authorsInOrder = append(authorsInOrder, author.name)
				}
				uploads[author.name] = append(uploads[author.name], len(w.records)-1)
			}
		}
	}
	// The reference's order is the order of adding: upload by upload. A
	// random contribution may widen or lower another organisation's
	// contribution of the same id; the re-share rule refuses it, and such
	// objects leave the upload and the reference.
	var ordered []refRecord
	for _, a := range authorsInOrder {
		org := w.records[uploads[a][0]].originator
		for {
			var objs []string
			for _, i := range uploads[a] {
				objs = append(objs, refObject(w.records[i]))
			}
			if len(objs) == 0 {
				break
			}
			st, r := h.post(a, h.collID(a, "Organisation "+org), objs...)
			if r.status == 202 && st.FailureCount == 0 {
				break
			}
			refused := map[string]bool{}
			for _, f := range st.Failures {
				if strings.Contains(f.Message, "a contribution of the same id may not") {
					refused[f.ID+" "+f.Version] = true
					refused[f.ID] = true
				}
			}
			if r.status != 202 || len(refused) == 0 {
				t.Fatalf("POST as %s: %d %.2000s", a, r.status, r.body)
			}
			kept := uploads[a][:0]
			for _, i := range uploads[a] {
				rec := w.records[i]
				if refused[rec.id+" "+rec.modified] || (rec.modified == "" && refused[rec.id]) {
					continue
				}
				kept = append(kept, i)
			}
			if len(kept) == len(objs) {
				t.Fatalf("POST as %s refused objects not in the upload: %.2000s", a, r.body)
			}
			uploads[a] = kept
		}
		for _, i := range uploads[a] {
			ordered = append(ordered, w.records[i])
		}
	}
	w.records = ordered
	return w
}

func refObject(r refRecord) string {
	aud, _ := json.Marshal(mosaic.Audience{Cell: r.cell, Compartments: r.comps}.List())
	ext := fmt.Sprintf(`"extensions":{%q:{"extension_type":"property-extension","audience":%s}}`, stix.ExtensionID, aud)
	marking := fmt.Sprintf(`"object_marking_refs":[%q]`, stix.TLPMarkingID(r.tlp))
	if strings.HasPrefix(r.id, "ipv4-addr") {
		return fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":"198.51.100.%d",%s,%s}`, r.id, 1+int(r.originator[1]-'0'), marking, ext)
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-09-01T00:00:00.000Z","modified":%q,"name":"%s by %s","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-09-01T00:00:00Z",%s,%s}`,
		r.id, r.modified, r.tlp, r.originator, marking, ext)
}

func TestNoLeaks(t *testing.T) {
	openers := maps.Clone(stores)
	// Both listing plans of the SQLite store, which small data would not
	// choose by itself.
	for _, plan := range []string{"walk", "merge"} {
		openers["sqlite-"+plan] = func(t testing.TB, clock mosaic.Clock) storetest.Store {
			s := stores["sqlite"](t, clock).(*sqlstore.Store)
			s.ForcePlan(plan)
			return s
		}
	}
	seeds := uint64(3)
	if testing.Short() {
		seeds = 1
	}
	for _, name := range slices.Sorted(maps.Keys(openers)) {
		t.Run(name, func(t *testing.T) {
			for seed := range seeds {
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
					checkNoLeaks(t, openers[name], seed)
				})
			}
		})
	}
}

func checkNoLeaks(t *testing.T, open storetest.Opener, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 21))
	h := newHarness(t, open, testOptions)
	w := buildRefWorld(t, h, rng)
	var allIDs []string
	for _, r := range w.records {
		if !slices.Contains(allIDs, r.id) {
			allIDs = append(allIDs, r.id)
		}
	}
	missingID := "indicator--" + storetest.UUID(999_999)
	// Every collection id anyone has, to try as everyone else.
	everyColl := map[string]string{} // id → title
	for _, u := range w.users {
		for _, c := range h.collections(u.name) {
			everyColl[c.ID] = c.Title
		}
	}
	for _, u := range w.users {
		got := h.collections(u.name)
		want := w.collections(u)
		var wantTitles, gotTitles []string
		for _, c := range want {
			wantTitles = append(wantTitles, fmt.Sprintf("%s %v", c.title, c.canWrite))
			if g, ok := got[c.title]; ok {
				gotTitles = append(gotTitles, fmt.Sprintf("%s %v", g.Title, g.CanWrite))
			}
		}
		if diff := cmp.Diff(wantTitles, gotTitles); diff != "" || len(got) != len(want) {
			t.Errorf("%s: collections (-reference +got):\n%s%v", u.name, diff, got)
		}
		unknownColl := collPath(storetest.UUID(888_888))
		for cid, title := range everyColl {
			if _, mine := got[title]; mine && got[title].ID == cid {
				continue
			}
			for _, sub := range []string{"", "objects/", "objects/" + allIDs[0] + "/versions/"} {
				r := h.get(u.name, collPath(cid)+sub, nil, nil)
				m := h.get(u.name, unknownColl+sub, nil, nil)
				if r.status != 404 || !bytes.Equal(r.body, m.body) {
					t.Errorf("%s: %s of %s: %d %s, unknown: %s", u.name, sub, title, r.status, r.body, m.body)
				}
			}
		}
		for _, c := range want {
			cid := got[c.title].ID
			objects := collPath(cid) + "objects/"
			keys := func(rs []refRecord) []string {
				out := []string{}
				for _, r := range rs {
					out = append(out, w.key(u, r))
				}
				sort.Strings(out)
				return out
			}
			all := func(refRecord) bool { return true }
			versions := []string{"last", "all"}
			if rng.IntN(3) == 0 {
				versions = append(versions, "first")
			}
			for _, version := range versions {
				wantKeys := keys(w.selected(u, c, version, all))
				gotKeys := h.listKeys(t, u.name, objects, q("match[version]", version), pageSize(rng))
				if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
					t.Errorf("%s: %s objects, version %s (-reference +got):\n%s", u.name, c.title, version, diff)
				}
				// The manifest lists the same, oldest added first.
				var wantMan []string
				for _, r := range w.selected(u, c, version, all) {
					wantMan = append(wantMan, r.id+"@"+r.modified)
				}
				gotMan := h.manifestKeys(t, u.name, collPath(cid)+"manifest/", q("match[version]", version), pageSize(rng))
				if diff := cmp.Diff(sortedCopy(wantMan), sortedCopy(gotMan)); diff != "" {
					t.Errorf("%s: %s manifest, version %s (-reference +got):\n%s", u.name, c.title, version, diff)
				}
			}
			// Objects by id, and their versions: a sample, each user's
			// own, since every request costs.
			sample := slices.Clone(allIDs)
			rng.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
			for _, oid := range append(sample[:min(len(sample), 5)], missingID) {
				isID := func(r refRecord) bool { return r.id == oid }
				there := len(w.selected(u, c, "all", isID)) > 0
				path := objects + oid + "/"
				if !there {
					for _, sub := range []string{"", "versions/"} {
						r := h.get(u.name, path+sub, nil, nil)
						m := h.get(u.name, objects+missingID+"/"+sub, nil, nil)
						if r.status != 404 || !bytes.Equal(bytes.ReplaceAll(r.body, []byte(oid), []byte("ID")), bytes.ReplaceAll(m.body, []byte(missingID), []byte("ID"))) {
							t.Errorf("%s: %s%s in %s: %d %s; missing: %s", u.name, oid, sub, c.title, r.status, r.body, m.body)
						}
					}
					continue
				}
				for _, version := range []string{"last", "all"} {
					wantKeys := keys(w.selected(u, c, version, isID))
					gotKeys := h.listKeys(t, u.name, path, q("match[version]", version), pageSize(rng))
					if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
						t.Errorf("%s: %s in %s, version %s (-reference +got):\n%s", u.name, oid, c.title, version, diff)
					}
				}
				var wantVersions []string
				for _, r := range w.selected(u, c, "all", isID) {
					wantVersions = append(wantVersions, r.modified)
				}
				gotVersions := h.versionList(t, u.name, path+"versions/", pageSize(rng))
				if strings.HasPrefix(oid, "ipv4-addr") {
					// An SCO's version is its date_added, which the
					// reference does not know; count them.
					if len(gotVersions) != len(wantVersions) {
						t.Errorf("%s: versions of %s in %s: %v, want %d", u.name, oid, c.title, gotVersions, len(wantVersions))
					}
					continue
				}
				if diff := cmp.Diff(sortedCopy(wantVersions), sortedCopy(gotVersions)); diff != "" {
					t.Errorf("%s: versions of %s in %s (-reference +got):\n%s", u.name, oid, c.title, diff)
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("population: %d users, compartments %v / %v, %d records", len(w.users), w.orgMembers, w.userMembers, len(w.records))
	}
}

// pageSize is a page size for a listing: small ones often, to cross many
// page boundaries, a whole page sometimes.
func pageSize(rng *rand.Rand) int {
	if rng.IntN(2) == 0 {
		return 100
	}
	return 1 + rng.IntN(8)
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// listKeys pages through an objects endpoint and returns the sorted keys,
// checking that each page is in the order objects were added.
func (h *harness) listKeys(t *testing.T, user, path string, qv url.Values, n int) []string {
	t.Helper()
	qv = cloneValues(qv)
	qv.Set("limit", fmt.Sprint(n))
	out := []string{}
	prevLast := ""
	for range 10000 {
		var env taxii.Envelope
		r := h.get(user, path, qv, &env)
		if r.status != 200 {
			t.Fatalf("%s %v as %s: %d %s", path, qv, user, r.status, r.body)
		}
		for _, o := range served(t, env) {
			out = append(out, gotKey(t, o))
		}
		// Pages inside one batch may share their dates; they never go back.
		if f := r.header.Get(taxii.HeaderDateAddedFirst); len(env.Objects) > 0 && f < prevLast {
			t.Errorf("page starts at %s, before the last page's end %s", f, prevLast)
		}
		if len(env.Objects) > 0 {
			prevLast = r.header.Get(taxii.HeaderDateAddedLast)
		}
		if !env.More {
			sort.Strings(out)
			return out
		}
		qv.Set("next", env.Next)
	}
	t.Fatal("pagination does not end")
	return nil
}

// manifestKeys pages through a manifest and returns id@version of each
// record, checking that date_added only grows.
func (h *harness) manifestKeys(t *testing.T, user, path string, qv url.Values, n int) []string {
	t.Helper()
	qv = cloneValues(qv)
	qv.Set("limit", fmt.Sprint(n))
	var out []string
	prev := ""
	for range 10000 {
		var m taxii.Manifest
		if r := h.get(user, path, qv, &m); r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		for _, rec := range m.Objects {
			// A batch's records share their date_added.
			if rec.DateAdded < prev {
				t.Errorf("date_added %s after %s", rec.DateAdded, prev)
			}
			prev = rec.DateAdded
			v := rec.Version
			if strings.HasPrefix(rec.ID, "ipv4-addr") {
				if v != rec.DateAdded {
					t.Errorf("SCO version %s, date_added %s", v, rec.DateAdded)
				}
				v = ""
			}
			out = append(out, rec.ID+"@"+v)
		}
		if !m.More {
			return out
		}
		qv.Set("next", m.Next)
	}
	t.Fatal("pagination does not end")
	return nil
}

func (h *harness) versionList(t *testing.T, user, path string, n int) []string {
	t.Helper()
	qv := q("limit", fmt.Sprint(n))
	var out []string
	for range 10000 {
		var vs taxii.Versions
		if r := h.get(user, path, qv, &vs); r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		out = append(out, vs.Versions...)
		if !vs.More {
			return out
		}
		qv.Set("next", vs.Next)
	}
	t.Fatal("pagination does not end")
	return nil
}
