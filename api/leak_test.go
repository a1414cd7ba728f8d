package api_test

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
	"mosaic/api"
	"mosaic/postgres"
	"mosaic/postgres/pgtest"
	"mosaic/sqlstore"
	"mosaic/stix"
	"mosaic/storetest"
)

// The leak test builds a random population and checks, for every user and
// every read endpoint, that the answer is exactly what a reference function
// says the user may see: nothing more, nothing less. The reference below is
// written from DESIGN §4.1 on its own; it must not call package policy.

type refOrg struct {
	name string
	kind mosaic.OrgKind
}

type refUser struct {
	name, org string
	role      mosaic.Role
	grant     bool
}

type refRecord struct {
	id, typ, originator, modified string // modified as submitted
	cell                          bool
	comps                         []string
	tlp                           mosaic.TLP
	word                          string // a search word only this record's name has
	name                          string
}

type world struct {
	orgs        map[string]refOrg
	users       []refUser
	comps       []string
	orgMembers  map[string][]string // compartment → orgs
	userMembers map[string][]string // compartment → users
	records     []refRecord
}

func (w *world) member(u refUser, comp string) bool {
	return slices.Contains(w.orgMembers[comp], u.org) || slices.Contains(w.userMembers[comp], u.name)
}

// refSees is the reference visibility rule.
func (w *world) refSees(u refUser, r refRecord) bool {
	if u.role == mosaic.Auditor {
		return u.grant && r.cell
	}
	if w.orgs[u.org].kind != mosaic.Partner || (u.role != mosaic.Analyst && u.role != mosaic.Liaison) {
		return false
	}
	if r.originator == u.org || r.cell {
		return true
	}
	for _, c := range r.comps {
		if w.member(u, c) {
			return true
		}
	}
	return false
}

// refLatest returns, for each (id, originator), the newest record u sees.
func (w *world) refLatest(u refUser) []refRecord {
	return w.refLatestAmong(u, func(refRecord) bool { return true })
}

// refLatestAmong returns, for each (id, originator), the newest record u
// sees among those in: an audience filter chooses the versions among the
// records it allows.
func (w *world) refLatestAmong(u refUser, in func(refRecord) bool) []refRecord {
	best := map[string]refRecord{}
	for _, r := range w.records {
		if !w.refSees(u, r) || !in(r) {
			continue
		}
		k := r.id + "@" + r.originator
		if b, ok := best[k]; !ok || r.modified > b.modified {
			best[k] = r
		}
	}
	out := make([]refRecord, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	return out
}

func (w *world) shownComps(u refUser, r refRecord) []string {
	if r.cell {
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

func audienceOf(cell bool, comps []string) mosaic.Audience {
	return mosaic.Audience{Cell: cell, Compartments: comps}
}

// key identifies a returned or expected record with the envelope fields the
// viewer may learn.
func key(id, originator, modified string, tlp mosaic.TLP, aud mosaic.Audience) string {
	return fmt.Sprintf("%s@%s@%s %s %s", id, originator, modified, tlp, aud)
}

func (w *world) refKey(u refUser, r refRecord) string {
	return key(r.id, r.originator, r.modified, r.tlp, audienceOf(r.cell, w.shownComps(u, r)))
}

func gotKey(t testing.TB, o api.Object) string {
	var head struct{ ID, Modified string }
	if err := json.Unmarshal(o.Object, &head); err != nil {
		t.Fatal(err)
	}
	return key(head.ID, o.Envelope.Originator, head.Modified, o.Envelope.TLP, o.Envelope.Audience)
}

var tlpWords = map[mosaic.TLP]string{mosaic.TLPClear: "clear", mosaic.TLPGreen: "green", mosaic.TLPAmber: "amber", mosaic.TLPAmberStrict: "strict", mosaic.TLPRed: "red"}

func buildWorld(t *testing.T, h *harness, rng *rand.Rand) *world {
	ctx := context.Background()
	setup := mosaic.AuditEntry{Action: "setup"}
	w := &world{orgs: map[string]refOrg{}, orgMembers: map[string][]string{}, userMembers: map[string][]string{}}
	addOrg := func(o mosaic.Organisation) {
		if err := h.store.CreateOrg(ctx, &o, setup); err != nil {
			t.Fatal(err)
		}
		w.orgs[o.Name] = refOrg{o.Name, o.Kind}
	}
	addUser := func(u refUser) {
		if err := h.store.CreateUser(ctx, &mosaic.User{Name: u.name, Org: u.org, Role: u.role, ContentGrant: u.grant}, "", setup); err != nil {
			t.Fatal(err)
		}
		w.users = append(w.users, u)
	}
	partners := 3 + rng.IntN(3)
	var partnerNames []string
	for i := range partners {
		n := fmt.Sprintf("p%d", i)
		partnerNames = append(partnerNames, n)
		addOrg(mosaic.Organisation{Name: n, FullName: n, Kind: mosaic.Partner, LegalRegime: "wbni"})
		addUser(refUser{name: n + "-analyst", org: n, role: mosaic.Analyst})
		addUser(refUser{name: n + "-liaison", org: n, role: mosaic.Liaison})
		if rng.IntN(2) == 0 {
			addUser(refUser{name: n + "-analyst2", org: n, role: mosaic.Analyst})
		}
		if i == 0 {
			addUser(refUser{name: n + "-admin", org: n, role: mosaic.Admin})
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
		for _, p := range partnerNames {
			if rng.IntN(3) == 0 {
				if err := h.store.AddMember(ctx, c, p, "", setup); err != nil {
					t.Fatal(err)
				}
				w.orgMembers[c] = append(w.orgMembers[c], p)
			}
		}
		for _, u := range w.users {
			if w.orgs[u.org].kind == mosaic.Partner && (u.role == mosaic.Analyst || u.role == mosaic.Liaison) && !slices.Contains(w.orgMembers[c], u.org) && rng.IntN(4) == 0 {
				if err := h.store.AddMember(ctx, c, "", u.name, setup); err != nil {
					t.Fatal(err)
				}
				w.userMembers[c] = append(w.userMembers[c], u.name)
			}
		}
	}

	// Contributions: ids are shared between originators, with different
	// content, and chains have versions whose audiences differ.
	types := []string{"indicator", "malware", "note"}
	tlps := []mosaic.TLP{mosaic.TLPClear, mosaic.TLPGreen, mosaic.TLPAmber, mosaic.TLPAmberStrict, mosaic.TLPRed}
	type batchKey struct{ user, audience string }
	batches := map[batchKey][]int{} // indexes into w.records
	var order []batchKey
	seq := 0
	for n := range 30 + rng.IntN(20) {
		typ := types[n%len(types)]
		id := typ + "--" + storetest.UUID(1000+n)
		holders := 1 + rng.IntN(3)
		for _, orig := range rng.Perm(len(partnerNames))[:min(holders, len(partnerNames))] {
			org := partnerNames[orig]
			var authors []refUser
			for _, u := range w.users {
				if u.org == org && (u.role == mosaic.Analyst || u.role == mosaic.Liaison) {
					authors = append(authors, u)
				}
			}
			for v := range 1 + rng.IntN(3) {
				author := authors[rng.IntN(len(authors))]
				var mine []string
				for _, c := range w.comps {
					if w.member(author, c) {
						mine = append(mine, c)
					}
				}
				r := refRecord{id: id, typ: typ, originator: org, tlp: tlps[rng.IntN(len(tlps))],
					modified: fmt.Sprintf("2026-10-%02dT00:00:00.%03dZ", 1+v, rng.IntN(1000))}
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
				seq++
				r.word = fmt.Sprintf("zq%dx", seq)
				r.name = r.word + " " + tlpWords[r.tlp] + " shared"
				w.records = append(w.records, r)
				k := batchKey{author.name, audienceOf(r.cell, r.comps).String()}
				if _, ok := batches[k]; !ok {
					order = append(order, k)
				}
				batches[k] = append(batches[k], len(w.records)-1)
			}
		}
	}
	// A random contribution may widen or lower another organisation's
	// contribution of the same id; the re-share rule refuses it. Such
	// objects leave the batch and the reference, and the rest is posted.
	refused := map[int]bool{}
	for _, k := range order {
		for {
			var objs []string
			for _, i := range batches[k] {
				objs = append(objs, stixObject(w.records[i]))
			}
			if len(objs) == 0 {
				break
			}
			resp := h.post(k.user, url.Values{"audience": {k.audience}}, objs...)
			if resp.status == 201 {
				break
			}
			ids := reshareRefusals(t, resp)
			if resp.status != 400 || len(ids) == 0 {
				t.Fatalf("POST as %s to %s: %d %s", k.user, k.audience, resp.status, resp.body)
			}
			kept := batches[k][:0]
			for _, i := range batches[k] {
				if ids[w.records[i].id] {
					refused[i] = true
				} else {
					kept = append(kept, i)
				}
			}
			batches[k] = kept
		}
	}
	var stored []refRecord
	for i, r := range w.records {
		if !refused[i] {
			stored = append(stored, r)
		}
	}
	w.records = stored
	return w
}

// reshareRefusals returns the ids a 400 answer refuses under the re-share
// rule, and nothing when it refuses anything else.
func reshareRefusals(t *testing.T, resp response) map[string]bool {
	var p struct {
		Problems []mosaic.Problem `json:"problems"`
	}
	if err := json.Unmarshal(resp.body, &p); err != nil {
		return nil
	}
	ids := map[string]bool{}
	for _, pr := range p.Problems {
		if !strings.Contains(pr.Reason, "a contribution of the same id may not") {
			return nil
		}
		ids[pr.Object] = true
	}
	return ids
}

func stixObject(r refRecord) string {
	marking := stix.TLPMarkingID(r.tlp)
	switch r.typ {
	case "indicator":
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-09-01T00:00:00.000Z","modified":%q,"name":%q,"pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-09-01T00:00:00Z","object_marking_refs":[%q]}`,
			r.id, r.modified, r.name, marking)
	case "malware":
		return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":"2026-09-01T00:00:00.000Z","modified":%q,"name":%q,"is_family":true,"object_marking_refs":[%q]}`,
			r.id, r.modified, r.name, marking)
	}
	return fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":%q,"created":"2026-09-01T00:00:00.000Z","modified":%q,"abstract":%q,"content":"c","object_refs":["malware--%s"],"object_marking_refs":[%q]}`,
		r.id, r.modified, r.name, storetest.UUID(1), marking)
}

// list pages through GET /api/v1/objects with q and returns the keys.
func (h *harness) list(t *testing.T, user string, q url.Values, pageSize int) []string {
	q = cloneValues(q)
	q.Set("limit", fmt.Sprint(pageSize))
	var out []string
	for range 10000 {
		var page api.ObjectPage
		if r := h.get(user, "/api/v1/objects", q, &page); r.status != 200 {
			t.Fatalf("list as %s %v: %d %s", user, q, r.status, r.body)
		}
		for _, o := range page.Objects {
			out = append(out, gotKey(t, o))
		}
		if page.Next == "" {
			sort.Strings(out)
			return out
		}
		q.Set("cursor", page.Next)
	}
	t.Fatal("pagination does not end")
	return nil
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
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
	openers["postgres-common-text"] = func(t testing.TB, clock mosaic.Clock) storetest.Store {
		return pgtest.OpenDialect(t, clock, postgres.Dialect{RareMatches: -1})
	}
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(3) {
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
					checkNoLeaks(t, open, seed)
				})
			}
		})
	}
}

func checkNoLeaks(t *testing.T, open storetest.Opener, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	h := newHarness(t, open)
	w := buildWorld(t, h, rng)
	missingBody := func(user, id string) []byte {
		r := h.get(user, "/api/v1/objects/"+id, nil, nil)
		return bytes.ReplaceAll(r.body, []byte(id), []byte("ID"))
	}
	var ids []string
	for _, r := range w.records {
		if !slices.Contains(ids, r.id) {
			ids = append(ids, r.id)
		}
	}
	for _, u := range w.users {
		visible := w.refLatest(u)
		expect := func(keep func(refRecord) bool) []string {
			var out []string
			for _, r := range visible {
				if keep(r) {
					out = append(out, w.refKey(u, r))
				}
			}
			sort.Strings(out)
			return out
		}
		check := func(what string, q url.Values, keep func(refRecord) bool) {
			t.Helper()
			want := expect(keep)
			got := h.list(t, u.name, q, 1+rng.IntN(7))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: list %s (-reference +got):\n%s", u.name, what, diff)
			}
		}
		all := func(refRecord) bool { return true }
		check("all", nil, all)
		for _, typ := range []string{"indicator", "malware", "note"} {
			check("type="+typ, url.Values{"type": {typ}}, func(r refRecord) bool { return r.typ == typ })
		}
		for _, o := range []string{"p0", "p1", "sh"} {
			check("originator="+o, url.Values{"originator": {o}}, func(r refRecord) bool { return r.originator == o })
		}
		for tlp, word := range tlpWords {
			check("tlp="+string(tlp), url.Values{"tlp": {string(tlp)}}, func(r refRecord) bool { return r.tlp == tlp })
			check("q="+word, url.Values{"q": {word}}, func(r refRecord) bool { return r.tlp == tlp })
		}
		// An audience filter picks the newest version among the records of
		// that audience.
		checkAudience := func(what string, q url.Values, in func(refRecord) bool) {
			t.Helper()
			var want []string
			for _, r := range w.refLatestAmong(u, in) {
				want = append(want, w.refKey(u, r))
			}
			sort.Strings(want)
			got := h.list(t, u.name, q, 1+rng.IntN(7))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: list %s (-reference +got):\n%s", u.name, what, diff)
			}
		}
		checkAudience("audience=cell", url.Values{"audience": {"cell"}}, func(r refRecord) bool { return r.cell })
		checkAudience("audience=originator", url.Values{"audience": {"originator"}}, func(r refRecord) bool { return !r.cell && len(r.comps) == 0 })
		for _, c := range append(slices.Clone(w.comps), "nonexistent") {
			checkAudience("audience=compartment:"+c, url.Values{"audience": {"compartment:" + c}}, func(r refRecord) bool {
				return slices.Contains(r.comps, c) && (r.originator == u.org || w.member(u, c))
			})
		}
		// Every record's own word: found exactly when it is the newest the
		// user sees of its chain.
		for _, r := range w.records[:min(len(w.records), 12)] {
			check("q="+r.word, url.Values{"q": {r.word}}, func(x refRecord) bool { return x.word == r.word })
		}
		check("q=shared", url.Values{"q": {"shared"}}, all)

		// Single objects: a hidden one answers exactly like a missing one.
		for _, id := range ids {
			var want []refRecord
			for _, r := range w.records {
				if r.id == id && w.refSees(u, r) {
					want = append(want, r)
				}
			}
			sort.Slice(want, func(i, j int) bool {
				if want[i].modified != want[j].modified {
					return want[i].modified > want[j].modified
				}
				return want[i].originator < want[j].originator
			})
			var got api.ObjectVersions
			resp := h.get(u.name, "/api/v1/objects/"+id, url.Values{"versions": {"all"}}, &got)
			if len(want) == 0 {
				if resp.status != 404 {
					t.Errorf("%s: GET %s = %d, want 404", u.name, id, resp.status)
				}
				hidden := bytes.ReplaceAll(resp.body, []byte(id), []byte("ID"))
				if missing := missingBody(u.name, "indicator--"+storetest.UUID(999999)); !bytes.Equal(hidden, missing) {
					t.Errorf("%s: hidden and missing differ:\n%s\n%s", u.name, hidden, missing)
				}
				continue
			}
			if resp.status != 200 {
				t.Errorf("%s: GET %s = %d %s", u.name, id, resp.status, resp.body)
				continue
			}
			var wantKeys, gotKeys []string
			for _, r := range want {
				wantKeys = append(wantKeys, w.refKey(u, r))
			}
			for _, o := range got.Versions {
				gotKeys = append(gotKeys, gotKey(t, o))
			}
			if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
				t.Errorf("%s: versions of %s (-reference +got):\n%s", u.name, id, diff)
			}
			if k := gotKey(t, got.Object); k != wantKeys[0] {
				t.Errorf("%s: latest of %s = %s, want %s", u.name, id, k, wantKeys[0])
			}
		}

		// Correlations and occurrences: every indicator names 192.0.2.1.
		var wantInd []string
		for _, r := range visible {
			if r.typ == "indicator" {
				wantInd = append(wantInd, w.refKey(u, r))
			}
		}
		sort.Strings(wantInd)
		var occ api.Occurrences
		if r := h.get(u.name, "/api/v1/observables", url.Values{"value": {"192.0.2.1"}, "limit": {"1000"}}, &occ); r.status != 200 {
			t.Fatalf("observables: %d %s", r.status, r.body)
		}
		var gotOcc []string
		for _, o := range occ.Objects {
			gotOcc = append(gotOcc, gotKey(t, o))
		}
		sort.Strings(gotOcc)
		if diff := cmp.Diff(wantInd, gotOcc); diff != "" {
			t.Errorf("%s: occurrences of 192.0.2.1 (-reference +got):\n%s", u.name, diff)
		}
		for _, id := range ids {
			if !strings.HasPrefix(id, "indicator--") {
				continue
			}
			var cp api.CorrelationPage
			resp := h.get(u.name, "/api/v1/objects/"+id+"/correlations", url.Values{"limit": {"1000"}}, &cp)
			seen := false
			for _, r := range visible {
				seen = seen || r.id == id
			}
			if !seen {
				if resp.status != 404 {
					t.Errorf("%s: correlations of hidden %s: %d", u.name, id, resp.status)
				}
				hidden := bytes.ReplaceAll(resp.body, []byte(id), []byte("ID"))
				missing := h.get(u.name, "/api/v1/objects/indicator--"+storetest.UUID(999999)+"/correlations", nil, nil)
				if !bytes.Equal(hidden, bytes.ReplaceAll(missing.body, []byte("indicator--"+storetest.UUID(999999)), []byte("ID"))) {
					t.Errorf("%s: correlations of a hidden and a missing object differ", u.name)
				}
				continue
			}
			var want, got []string
			for _, k := range wantInd {
				if !strings.HasPrefix(k, id+"@") {
					want = append(want, k)
				}
			}
			for _, o := range cp.Objects {
				got = append(got, gotKey(t, o.Object))
				if len(o.Shared) != 1 || o.Shared[0] != "192.0.2.1" {
					t.Errorf("%s: shared %v", u.name, o.Shared)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: correlations of %s (-reference +got):\n%s", u.name, id, diff)
			}
			break // one indicator per user is enough: they all share the one address
		}

		// Counts.
		var st mosaic.Stats
		if r := h.get(u.name, "/api/v1/stats", nil, &st); r.status != 200 {
			t.Fatalf("stats: %d %s", r.status, r.body)
		}
		wantSt := mosaic.Stats{ByType: map[string]int64{}, ByTLP: map[mosaic.TLP]int64{}, ByOriginator: map[string]int64{}}
		for _, r := range visible {
			wantSt.Total++
			wantSt.ByType[r.typ]++
			wantSt.ByTLP[r.tlp]++
			wantSt.ByOriginator[r.originator]++
		}
		if diff := cmp.Diff(wantSt, st); diff != "" {
			t.Errorf("%s: stats (-reference +got):\n%s", u.name, diff)
		}
	}
	if t.Failed() {
		t.Logf("population: %d users, %d compartments %v / %v, %d records", len(w.users), len(w.comps), w.orgMembers, w.userMembers, len(w.records))
	}
}
