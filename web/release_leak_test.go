package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/release"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/web"
)

// TestReleasesLeaveTheStreamAndThePublicPagesAlone runs random releases
// (drafts, consents with and without sanitisations, publications,
// withdrawals, receipts and sightings) while partners keep sharing
// objects, with a live stream open for every user and for nobody. Then:
//   - only the partners' analysts and liaisons (and an auditor with a
//     grant, of the cell's part) have a stream at all; the others are
//     refused, and told nothing;
//   - each stream carried exactly the records its user may see (a
//     reference rule written here, without package policy), and nothing
//     of releases: no release, no released object, not the cell's
//     identity;
//   - the public pages (/public/releases and each release, its snapshot)
//     show, to nobody and to a signed-in stakeholder alike, the releases
//     to the public and nothing else: any other release answers as one
//     that does not exist, and no byte of any page holds a partner's name,
//     identity, users or legal bases, a source id, a value a sanitisation
//     took away, or anything of a release that was not public.
//
// A failure prints its seed; MOSAIC_RELEASE_LEAK_SEED=N replays it.
func TestReleasesLeaveTheStreamAndThePublicPagesAlone(t *testing.T) {
	seeds := []uint64{1, uint64(time.Now().UnixNano())}
	if s := os.Getenv("MOSAIC_RELEASE_LEAK_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MOSAIC_RELEASE_LEAK_SEED=%q: %v", s, err)
		}
		seeds = []uint64{n}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("replay with MOSAIC_RELEASE_LEAK_SEED=%d", seed)
				}
			}()
			checkStreamAndPublicPages(t, seed)
		})
	}
}

// wlRec is a record shared in the test: its audience, and the values a
// sanitisation may take away.
type wlRec struct {
	id, originator, modified string
	cell                     bool
	comps                    []string
	tlp                      mosaic.TLP
	orcon                    bool
	basis                    string
	ip, desc                 string // in its pattern and description
}

type wlRelease struct {
	id, title, advice string
	recipients        []string
	objects           []*wlRec
	published         bool
	withdrawn         bool
	sanitised         map[string]bool // ids whose address and description were taken away
}

func (r *wlRelease) public() bool {
	return r.published && slices.Equal(r.recipients, []string{"public"})
}

type wlWorld struct {
	t        *testing.T
	e        *env
	rng      *rand.Rand
	n        int
	viewers  map[string]mosaic.Viewer
	liaisons map[string]mosaic.Viewer
	recs     []*wlRec
	releases []*wlRelease
	started  int // records before the streams opened
	bases    []string
}

// sees is the reference rule for a record (DESIGN §4.1, for this World):
// the originator's analysts and liaisons, everyone's for the cell's part,
// and the members of a compartment it was shared with (ops: pa and
// pb-analyst; other: pc and pb-analyst); an auditor with a grant the
// cell's part only; nobody else anything.
func (w *wlWorld) sees(v mosaic.Viewer, r *wlRec) bool {
	switch {
	case v.Role == mosaic.Auditor:
		return v.ContentGrant && r.cell
	case v.OrgKind != mosaic.Partner || (v.Role != mosaic.Analyst && v.Role != mosaic.Liaison):
		return false
	case r.originator == v.Org || r.cell:
		return true
	}
	members := map[string][]string{"ops": {"pa", "pb-analyst"}, "other": {"pc", "pb-analyst"}}
	for _, c := range r.comps {
		if slices.Contains(members[c], v.Org) || slices.Contains(members[c], v.User) {
			return true
		}
	}
	return false
}

// streams says who has a stream: who sees any of the cell's content.
func (w *wlWorld) streams(v mosaic.Viewer) bool {
	return (v.OrgKind == mosaic.Partner && (v.Role == mosaic.Analyst || v.Role == mosaic.Liaison)) || (v.Role == mosaic.Auditor && v.ContentGrant)
}

func (w *wlWorld) tok(prefix string) string {
	w.n++
	return fmt.Sprintf("%s%05dq", prefix, w.n)
}

func (w *wlWorld) uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(w.rng.IntN(256))
	}
	return stix.FormatUUID(b, 4)
}

// share has v share a new indicator with a random audience and level.
func (w *wlWorld) share(v mosaic.Viewer) *wlRec {
	t, rng := w.t, w.rng
	w.n++
	r := &wlRec{id: "indicator--" + w.uuid(), originator: v.Org, orcon: rng.IntN(3) > 0,
		modified: fmt.Sprintf("2026-09-%02dT%02d:%02d:%02d.%03dZ", 1+w.n%28, rng.IntN(24), rng.IntN(60), rng.IntN(60), 1+w.n%998),
		tlp:      []mosaic.TLP{mosaic.TLPClear, mosaic.TLPClear, mosaic.TLPGreen, mosaic.TLPAmber, mosaic.TLPRed}[rng.IntN(5)],
		ip:       fmt.Sprintf("10.%d.%d.%d", w.n/250, w.n%250, 100+rng.IntN(150)), desc: w.tok("informant"), basis: w.bases[rng.IntN(len(w.bases))]}
	mine := map[string][]string{"pa": {"ops"}, "pb": {"ops", "other"}, "pc": {"other"}}[v.Org]
	if v.Role == mosaic.Liaison && v.Org == "pb" {
		mine = nil // compartments take pb's analyst by name only
	}
	switch k := rng.IntN(3); {
	case k == 0 && r.tlp != mosaic.TLPRed:
		r.cell = true
	case k == 1 && len(mine) > 0:
		r.comps = []string{mine[rng.IntN(len(mine))]}
	}
	obj := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":%q,"description":%q,"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-09-01T00:00:00Z","object_marking_refs":[%q],"x_source_note":%q}`,
		r.id, r.modified, r.modified, w.tok("name"), r.desc, r.ip, stix.TLPMarkingID(r.tlp), w.tok("xnote"))
	w.e.w.Ingest(t, v, storetest.Record(t, obj, mosaic.Envelope{Audience: mosaic.Audience{Cell: r.cell, Compartments: r.comps}, ORCON: r.orcon, LegalBasis: r.basis}))
	w.recs = append(w.recs, r)
	return r
}

var wlAccess = content.Access{Action: "test.release"}

// mayGo is the dissemination table of docs/releases.md.
func wlMayGo(t mosaic.TLP, rc string) bool {
	breadth := map[string]int{"public": 0, "sector": 1, "org": 2, "user": 3}
	kind, _, _ := strings.Cut(rc, ":")
	widest := map[mosaic.TLP]int{mosaic.TLPClear: 0, mosaic.TLPGreen: 1, mosaic.TLPAmber: 2, mosaic.TLPAmberStrict: 2, mosaic.TLPRed: 3}
	return breadth[kind] >= widest[t]
}

// release drafts a release of what v sees to recipients the level
// allows, has every organisation asked consent (sanitising now and then),
// publishes it most of the time and withdraws some.
func (w *wlWorld) release(v mosaic.Viewer) {
	t, rng, svc := w.t, w.rng, w.e.svc
	var objs []*wlRec
	for _, i := range rng.Perm(len(w.recs)) {
		if w.sees(v, w.recs[i]) && len(objs) < 1+rng.IntN(3) {
			objs = append(objs, w.recs[i])
		}
	}
	if len(objs) == 0 {
		return
	}
	level := mosaic.TLPClear
	for _, x := range objs {
		if x.tlp.Rank() > level.Rank() {
			level = x.tlp
		}
	}
	r := &wlRelease{title: w.tok("title"), advice: w.tok("advice"), objects: objs, sanitised: map[string]bool{}}
	all := []string{"public", "sector:healthcare", "sector:energy", "org:sh", "org:sh2", "org:pb", "user:sh-user", "user:sh2-user", "user:pc-analyst"}
	if wlMayGo(level, "public") && rng.IntN(2) == 0 {
		r.recipients = []string{"public"}
	} else {
		for _, i := range rng.Perm(len(all)) {
			if all[i] != "public" && wlMayGo(level, all[i]) && len(r.recipients) < 1+rng.IntN(2) {
				r.recipients = append(r.recipients, all[i])
			}
		}
	}
	d := content.Draft{Title: r.title, Advice: r.advice, Recipients: r.recipients}
	for _, x := range objs {
		d.Objects = append(d.Objects, content.Pin{ID: x.id, Modified: x.modified})
	}
	rel, err := svc.DraftRelease(bg, v, d, wlAccess)
	if err != nil {
		t.Fatalf("%s drafts %+v: %v", v.User, d, err)
	}
	r.id = rel.ID
	w.releases = append(w.releases, r)
	w.e.w.Clock.Add(time.Second)
	for _, c := range rel.Consents {
		consent := content.Consent{Revision: rel.Revision, Decision: content.DecideApprove}
		for _, x := range objs {
			if x.originator == c.Org && rng.IntN(2) == 0 {
				if consent.Sanitise == nil {
					consent.Decision, consent.Sanitise = content.DecideApproveSanitised, map[string]content.ObjectSanitisation{}
				}
				consent.Sanitise[x.id] = content.ObjectSanitisation{Sanitisation: release.Sanitisation{
					Generalise: []release.Generalisation{release.GeneraliseAddresses}, Remove: []string{"description"}}}
				r.sanitised[x.id] = true
			}
		}
		if rng.IntN(12) == 0 {
			consent = content.Consent{Revision: rel.Revision, Decision: content.DecideRefuse, Reason: w.tok("refusal")}
		}
		if _, err := svc.Consent(bg, w.liaisons[c.Org], r.id, consent, wlAccess); err != nil {
			t.Fatalf("consent of %s: %v", c.Org, err)
		}
		if consent.Decision == content.DecideRefuse {
			return
		}
	}
	if rng.IntN(6) == 0 {
		return
	}
	if _, err := svc.Publish(bg, v, r.id, rel.Revision, wlAccess); err != nil {
		t.Fatalf("publish %s: %v", r.id, err)
	}
	r.published = true
	w.e.w.Clock.Add(time.Second)
	// The recipients report, and the release is withdrawn now and then.
	for _, u := range []mosaic.Viewer{w.viewers["sh-user"], w.viewers["sh2-user"]} {
		if err := svc.Receipt(bg, u, r.id, mosaic.ReceiptReceived, w.tok("comment"), wlAccess); err != nil && mosaic.ErrorCode(err) != mosaic.CodeNotFound {
			t.Fatalf("%s's receipt: %v", u.User, err)
		}
	}
	if rng.IntN(3) == 0 {
		if _, err := svc.Withdraw(bg, v, r.id, w.tok("withdrawn"), wlAccess); err != nil {
			t.Fatalf("withdraw %s: %v", r.id, err)
		}
		r.withdrawn = true
	}
	w.e.w.Clock.Add(time.Second)
}

type wlStream struct {
	v      mosaic.Viewer
	name   string
	status int
	body   string
	events <-chan event
}

func checkStreamAndPublicPages(t *testing.T, seed uint64) {
	var keys *release.Keys
	e := newEnv(t, func(o *web.Options) {
		var err error
		if keys, err = release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch); err != nil {
			t.Fatal(err)
		}
		rs, ok := o.Store.(content.ReleaseStore)
		if !ok {
			t.Fatal("the store keeps no releases")
		}
		o.Content.EnableReleases(rs, content.ReleaseConfig{Keys: keys, CellName: "Leak test cell", FeedbackReaders: []string{"pc"}})
		o.AnonymousPerMinute = 1 << 20
	})
	w := &wlWorld{t: t, e: e, rng: rand.New(rand.NewPCG(seed, 11)), viewers: map[string]mosaic.Viewer{}, liaisons: map[string]mosaic.Viewer{},
		bases: []string{"wiv2017sigintbasis", "wpgpolicebasis", "wbnincscbasis"}}
	setup := mosaic.AuditEntry{Action: "setup"}
	sh2 := mosaic.Organisation{Name: "sh2", FullName: "Second Stakeholder", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}}
	if err := e.w.Store.CreateOrg(bg, &sh2, setup); err != nil {
		t.Fatal(err)
	}
	for _, u := range []mosaic.User{
		{Name: "pb-liaison", Org: "pb", Role: mosaic.Liaison}, {Name: "pc-liaison", Org: "pc", Role: mosaic.Liaison},
		{Name: "sh-user2", Org: "sh", Role: mosaic.StakeholderViewer}, {Name: "sh2-user", Org: "sh2", Role: mosaic.StakeholderViewer},
	} {
		if err := e.w.Store.CreateUser(bg, &u, "", setup); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"pa-analyst", "pa-liaison", "pb-analyst", "pb-liaison", "pc-analyst", "pc-liaison", "pc-admin", "sh-user", "sh-user2", "sh2-user", "ov-auditor", "ov-granted"} {
		user, err := e.w.Store.User(bg, u)
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.w.Store.Org(bg, user.Org)
		if err != nil {
			t.Fatal(err)
		}
		w.viewers[u] = mosaic.Viewer{UserID: user.ID, User: user.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: user.Role, ContentGrant: user.ContentGrant}
		if user.Role == mosaic.Liaison {
			w.liaisons[user.Org] = w.viewers[u]
		}
	}
	var sharers []mosaic.Viewer
	for _, u := range []string{"pa-analyst", "pa-liaison", "pb-analyst", "pb-liaison", "pc-analyst", "pc-liaison"} {
		sharers = append(sharers, w.viewers[u])
	}
	for range 6 {
		w.share(sharers[w.rng.IntN(len(sharers))])
	}
	w.started = len(w.recs)

	// A stream for every user, with a token, and for nobody; with the
	// session's cookie for a stakeholder.
	var streams []*wlStream
	refusal := func(b *browser, header ...string) string {
		req, _ := http.NewRequest("GET", e.srv.URL+web.EventsPath, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		if b == nil {
			b = e.browser(t)
		}
		_, body := b.do(req)
		return body
	}
	for _, name := range slices.Sorted(maps.Keys(w.viewers)) {
		v := w.viewers[name]
		secret, hash := credential.NewToken()
		if _, err := e.w.Store.CreateToken(bg, name, hash, "leak", e.w.Clock.Now().Add(24*time.Hour), false, setup); err != nil {
			t.Fatal(err)
		}
		resp, ch := e.stream(t, nil, "Authorization", "Bearer "+secret)
		s := &wlStream{v: v, name: name + " (token)", status: resp.StatusCode, events: ch}
		if s.status != 200 {
			s.body = refusal(nil, "Authorization", "Bearer "+secret)
		}
		streams = append(streams, s)
	}
	// A sign-in takes long (its password hash is made to), so one does.
	signed := e.signedIn(t, e.w.Stakeholder)
	resp, ch := e.stream(t, signed)
	streams = append(streams, &wlStream{v: w.viewers["sh-user"], name: "sh-user (session)", status: resp.StatusCode, events: ch, body: refusal(signed)})
	resp, ch = e.stream(t, nil)
	streams = append(streams, &wlStream{name: "nobody", status: resp.StatusCode, events: ch, body: refusal(nil)})
	time.Sleep(100 * time.Millisecond) // every stream has started

	// Releases, while the partners share more.
	var drafters []mosaic.Viewer
	for _, u := range []string{"pa-analyst", "pa-liaison", "pb-analyst", "pc-analyst"} {
		drafters = append(drafters, w.viewers[u])
	}
	for range 10 + w.rng.IntN(4) {
		for range w.rng.IntN(3) {
			w.share(sharers[w.rng.IntN(len(sharers))])
		}
		w.release(drafters[w.rng.IntN(len(drafters))])
	}
	marker := "indicator--" + w.uuid()
	e.w.Ingest(t, e.w.A, storetest.Record(t, `{"type":"indicator","spec_version":"2.1","id":"`+marker+`","created":"2026-09-30T00:00:00.000Z","modified":"2026-09-30T00:00:00.000Z","name":"stream-marker","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-09-01T00:00:00Z"}`, cellEnv()))

	// What every release put out, which no stream may carry: its id,
	// title and advice, its released objects, the cell's identity.
	releaseWords := []string{"Leak test cell"}
	for _, r := range w.releases {
		releaseWords = append(releaseWords, r.id, r.title, r.advice)
		if !r.published {
			continue
		}
		file, err := e.svc.SnapshotFile(bg, w.viewers["sh-user"], r.id, wlAccess)
		if err != nil {
			file, err = e.svc.SnapshotFile(bg, w.viewers["sh2-user"], r.id, wlAccess)
		}
		if err != nil {
			file, err = e.svc.SnapshotFile(bg, w.viewers["pc-analyst"], r.id, wlAccess)
		}
		if err != nil {
			file, err = e.svc.SnapshotFile(bg, w.viewers["pb-analyst"], r.id, wlAccess)
		}
		if err != nil {
			t.Fatalf("nobody received %s (to %v): %v", r.id, r.recipients, err)
		}
		var sealed struct {
			Snapshot struct {
				Bundle struct{ Objects []struct{ ID string } }
			}
		}
		if err := json.Unmarshal(file, &sealed); err != nil {
			t.Fatal(err)
		}
		for _, o := range sealed.Snapshot.Bundle.Objects {
			if !strings.HasPrefix(o.ID, "marking-definition--") {
				releaseWords = append(releaseWords, o.ID)
			}
		}
	}
	for _, s := range streams {
		want := w.streams(s.v) && s.v.User != ""
		if (s.status == 200) != want {
			t.Errorf("%s: stream %d, want one: %v", s.name, s.status, want)
		}
		if s.status != 200 {
			continue
		}
		var got []string
		timeout := time.After(10 * time.Second)
	read:
		for {
			select {
			case ev, ok := <-s.events:
				if !ok {
					t.Errorf("%s: the stream ended before the marker", s.name)
					break read
				}
				var h struct{ ID, Type, Modified string }
				if err := json.Unmarshal(ev.data.Object, &h); err != nil {
					t.Fatal(err)
				}
				if h.ID == marker {
					break read
				}
				got = append(got, h.ID+"@"+ev.data.Envelope.Originator+"@"+h.Modified)
				for _, word := range releaseWords {
					if bytes.Contains(ev.data.Object, []byte(word)) {
						t.Errorf("LEAK: %s's stream carries %q of a release: %s", s.name, word, ev.data.Object)
					}
				}
				if h.Type != "indicator" {
					t.Errorf("LEAK: %s's stream carries a %s: %s", s.name, h.Type, ev.data.Object)
				}
			case <-timeout:
				t.Errorf("%s: no marker on the stream", s.name)
				break read
			}
		}
		var wantIDs []string
		for _, r := range w.recs[w.started:] {
			if w.sees(s.v, r) {
				wantIDs = append(wantIDs, r.id+"@"+r.originator+"@"+r.modified)
			}
		}
		sort.Strings(got)
		sort.Strings(wantIDs)
		if testing.Verbose() {
			t.Logf("%s: %d events", s.name, len(got))
		}
		if diff := cmp.Diff(wantIDs, got); diff != "" {
			t.Errorf("%s's stream (-reference +got):\n%s", s.name, diff)
		}
	}

	// The public pages, to nobody and to a stakeholder signed in.
	anon := e.browser(t)
	var served []string
	get := func(b *browser, path, id string) (int, string) {
		resp, body := b.get(path)
		body = requestIDLine.ReplaceAllString(body, "<code>ID</code>")
		if id != "" {
			body = strings.ReplaceAll(body, id, "RELEASE")
		}
		served = append(served, body+"\n"+resp.Header.Get("Content-Disposition"))
		return resp.StatusCode, body
	}
	for _, b := range []*browser{anon, signed} {
		_, list := get(b, "/public/releases", "")
		for _, r := range w.releases {
			if r.public() != strings.Contains(list, r.id) {
				t.Errorf("the public listing shows %s (%v to %v): %v", r.id, r.published, r.recipients, !r.public())
			}
		}
		missing := "5eed0000-0000-4000-8000-000000000404"
		_, none := get(b, "/public/releases/"+missing, missing)
		_, noneFile := get(b, "/public/releases/"+missing+"/snapshot", missing)
		for _, r := range w.releases {
			status, page := get(b, "/public/releases/"+r.id, r.id)
			fstatus, file := get(b, "/public/releases/"+r.id+"/snapshot", r.id)
			switch {
			case r.public() && (status != 200 || fstatus != 200 || !strings.Contains(page, r.title)):
				t.Errorf("public release %s: %d, snapshot %d", r.id, status, fstatus)
			case r.public():
				if _, err := release.Verify([]byte(strings.ReplaceAll(file, "RELEASE", r.id)), keys.PublicKeys()); err != nil {
					t.Errorf("the public snapshot of %s: %v", r.id, err)
				}
			case page != none || file != noneFile:
				t.Errorf("release %s (to %v), not public, is told apart from one that does not exist:\n%s\n---\n%s", r.id, r.recipients, page, none)
			}
		}
	}

	// No byte of any refusal or page holds what the public may not know.
	var forbidden []string
	for _, o := range []string{"pa", "pb", "pc"} {
		org := e.w.Orgs[o]
		forbidden = append(forbidden, org.FullName, org.Identity)
	}
	for name, v := range w.viewers {
		if v.OrgKind == mosaic.Partner || v.Org == "sh2" || v.Org == "ov" {
			forbidden = append(forbidden, name)
		}
	}
	forbidden = append(forbidden, w.bases...)
	for _, x := range w.recs {
		_, u, _ := strings.Cut(x.id, "--")
		forbidden = append(forbidden, u, x.modified)
		if !slices.ContainsFunc(w.releases, func(r *wlRelease) bool { return r.public() && slices.Contains(r.objects, x) && !r.sanitised[x.id] }) {
			forbidden = append(forbidden, x.ip, x.desc)
		}
	}
	for _, r := range w.releases {
		if !r.public() {
			forbidden = append(forbidden, r.title, r.advice)
		}
	}
	var all strings.Builder
	for _, s := range streams {
		all.WriteString(s.body)
	}
	for _, s := range served {
		all.WriteString(s)
	}
	text := strings.ToLower(all.String())
	for _, s := range forbidden {
		if i := strings.Index(text, strings.ToLower(s)); i >= 0 {
			t.Errorf("LEAK: the public is served %q: …%s…", s, text[max(0, i-200):min(len(text), i+200)])
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("%d records, %d answers of the public pages searched for %d strings", len(w.recs), len(served), len(forbidden))
		for _, r := range w.releases {
			t.Logf("release %s to %v: published %v, withdrawn %v, %d objects", r.id, r.recipients, r.published, r.withdrawn, len(r.objects))
		}
	}
}
