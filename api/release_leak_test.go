package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/api"
	"mosaic/audit"
	"mosaic/content"
	"mosaic/ingest"
	"mosaic/release"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// The release leak test builds a random population of partners,
// stakeholders, an oversight body and their users, has the partners share
// objects full of values only they may know, and then runs random
// releases through the REST API: drafts by random partner analysts and
// liaisons, held or revised, consents (approvals, sanitised approvals,
// refusals), publications, withdrawals, receipts and sightings, and
// attempts of those who may not. Then, for every user and for nobody
// (no token), every door through which releases leave (the REST
// endpoints, the exports, the TAXII collections, the public endpoints)
// is compared with a reference model of docs/releases.md, written here
// on its own without package policy; and every byte that anyone outside
// the partners' analysts and liaisons receives is searched for what
// must never reach them: the partners' names, identities and user names,
// the legal bases, the source objects' ids and times, every value a
// sanitisation took away, and whatever was released to others.
//
// A failure prints its seed; MOSAIC_RELEASE_LEAK_SEED=N replays it.

const rlCellName = "Mosaic test cell"

var (
	rlPartnerPool = []struct{ name, full string }{
		{"kestrel", "Kestrel Signals Directorate"},
		{"osprey", "Osprey Police Intelligence Unit"},
		{"harrier", "Harrier Defence Cyber Command"},
		{"merlin", "Merlin Response Bureau"},
	}
	rlStakeholderPool = []struct{ name, full string }{
		{"gridnorth", "Grid North Operator"},
		{"watersouth", "Water South Utility"},
		{"carewest", "Care West Hospitals"},
	}
	rlBases   = []string{"wiv2017sigint", "wpgpolicebasis", "wbnincscbasis", "wjsgjudicial"}
	rlSectors = []string{"energy", "healthcare", "financial-services"}
	rlComps   = []string{"ringalpha", "ringbravo", "ringcharlie"}
	rlLevels  = []mosaic.TLP{mosaic.TLPClear, mosaic.TLPGreen, mosaic.TLPAmber, mosaic.TLPAmberStrict, mosaic.TLPRed}
)

// rlRank orders the TLP levels from the least to the most restrictive.
func rlRank(t mosaic.TLP) int { return slices.Index(rlLevels, t) }

// rlBreadth orders the kinds of recipient from the widest: public, a
// sector, an organisation, a user.
func rlBreadth(rc string) int {
	switch {
	case rc == "public":
		return 0
	case strings.HasPrefix(rc, "sector:"):
		return 1
	case strings.HasPrefix(rc, "org:"):
		return 2
	}
	return 3
}

// rlMayGo is the dissemination table of docs/releases.md: CLEAR to
// anyone, GREEN not to the public, AMBER and AMBER+STRICT to named
// organisations and users, RED to named users only; narrower is always
// allowed.
func rlMayGo(t mosaic.TLP, rc string) bool {
	widest := map[mosaic.TLP]int{mosaic.TLPClear: 0, mosaic.TLPGreen: 1, mosaic.TLPAmber: 2, mosaic.TLPAmberStrict: 2, mosaic.TLPRed: 3}
	return rlBreadth(rc) >= widest[t]
}

// What a sanitisation takes away: a secret of each kind is gone from a
// released object when the originator's sanitisation says so (always for
// the source's id, times, custom properties and external references).
type rlKind int

const (
	kAlways rlKind = iota
	kAddr
	kURL
	kHash
	kFile
	kTime
	kDesc
	kName
	kLabel
)

type rlSecret struct {
	kind  rlKind
	value string
}

// gone reports whether s is not in the released form of its object
// sanitised as san.
func (s rlSecret) gone(san release.Sanitisation) bool {
	gen := func(g release.Generalisation) bool { return slices.Contains(san.Generalise, g) }
	prop := func(p string) bool { _, rw := san.Rewrite[p]; return rw || slices.Contains(san.Remove, p) }
	switch s.kind {
	case kAlways:
		return true
	case kAddr:
		return gen(release.GeneraliseAddresses)
	case kURL:
		return gen(release.GeneraliseURLs)
	case kHash:
		return gen(release.GeneraliseHashes)
	case kFile:
		return gen(release.GeneraliseFileNames)
	case kTime:
		return gen(release.GeneraliseTimes)
	case kDesc:
		return prop("description")
	case kName:
		return prop("name")
	case kLabel:
		return prop("labels")
	}
	return false
}

// rlRec is one contribution: one originator's version of one object.
type rlRec struct {
	refRecord
	created string
	orcon   bool
	basis   string
	obj     string
	refs    []string
	secrets []rlSecret
}

func (r *rlRec) sco() bool { return r.typ == "ipv4-addr" }

func (r *rlRec) uuid() string { _, u, _ := strings.Cut(r.id, "--"); return u }

type rlConsent struct {
	org      string
	state    string // pending, approved or refused
	revision int
	san      map[string]content.ObjectSanitisation
	reason   string
	decided  time.Time
}

type rlFeedback struct{ org, user, token string }

type rlRelease struct {
	id             string
	seq            int
	drafter        refUser
	title, advice  string
	recipients     []string
	dangling       string
	hold           bool
	supersedes     string
	objects        []*rlRec
	sources        []*rlRec
	revision       int
	state          mosaic.ReleaseState
	consents       map[string]*rlConsent // the current revision's, by organisation
	everAsked      map[string]bool       // who was asked by a revision not on hold
	tlp            mosaic.TLP            // as drafted, then as published
	created        time.Time
	updated        time.Time
	everPublished  bool // a release never published is discarded by a withdrawal
	history        []string
	withdrawReason string
	withdrawnAt    time.Time
	bundle         []byte // as delivered, learned from its first recipient
	feedback       []rlFeedback
}

func (r *rlRelease) published() bool { return r.everPublished }

// discarded: withdrawn before it was ever published, its copies deleted.
func (r *rlRelease) discarded() bool { return r.state == mosaic.ReleaseWithdrawn && !r.everPublished }

func (r *rlRelease) items() []*rlRec { return append(slices.Clone(r.objects), r.sources...) }

func (r *rlRelease) role(x *rlRec) string {
	if slices.Contains(r.objects, x) {
		return "object"
	}
	return "source"
}

// asked is every organisation whose ORCON contribution the release holds
// or relies on, and the drafter's own, sorted.
func (r *rlRelease) asked() []string {
	out := []string{r.drafter.org}
	for _, x := range r.items() {
		if x.orcon && !slices.Contains(out, x.originator) {
			out = append(out, x.originator)
		}
	}
	sort.Strings(out)
	return out
}

// san is the sanitisation x's originator approved.
func (r *rlRelease) san(x *rlRec) content.ObjectSanitisation {
	if c := r.consents[x.originator]; c != nil && c.state == "approved" {
		return c.san[x.id]
	}
	return content.ObjectSanitisation{}
}

// kept are the objects released: with "drop", those whose references the
// release resolves (relationships are the only objects here that refer
// to others, and nothing refers to a relationship).
func (r *rlRelease) kept() []*rlRec {
	held := map[string]bool{}
	for _, x := range r.objects {
		held[x.id] = true
	}
	var out []*rlRec
	for _, x := range r.objects {
		if !slices.ContainsFunc(x.refs, func(ref string) bool { return !held[ref] }) {
			out = append(out, x)
		}
	}
	return out
}

// levelOf is x's level as drafted, or as published: as its originator
// set it in its consent.
func (r *rlRelease) levelOf(x *rlRec, published bool) mosaic.TLP {
	if s := r.san(x); published && s.TLP != "" {
		return s.TLP
	}
	return x.tlp
}

// level is the release's level: the most restrictive of its objects and
// sources (the advice carries what it paraphrases as far as the release
// goes), as drafted or as published.
func (r *rlRelease) level(published bool) mosaic.TLP {
	t := mosaic.TLPClear
	for _, x := range r.items() {
		if l := r.levelOf(x, published); rlRank(l) > rlRank(t) {
			t = l
		}
	}
	return t
}

// exposed are the secrets the released objects carry, and removed those
// its sanitisations took away.
func (r *rlRelease) exposed() (exposed, removed []string) {
	for _, x := range r.kept() {
		s := r.san(x)
		for _, sec := range x.secrets {
			if sec.gone(s.Sanitisation) {
				removed = append(removed, sec.value)
			} else {
				exposed = append(exposed, sec.value)
			}
		}
		for _, text := range s.Rewrite {
			exposed = append(exposed, text)
		}
	}
	return exposed, removed
}

type rlWorld struct {
	*world
	seed         uint64
	rng          *rand.Rand
	h            *harness
	keys         *release.Keys
	full         map[string]string   // organisation → full name
	sectors      map[string][]string // stakeholder → sectors
	identity     map[string]string   // organisation → its STIX identity
	regime       map[string]string   // partner → its legal basis by default
	partners     []string
	stakeholders []string
	readers      []string
	readersFor   map[string][]string
	recs         []*rlRec
	releases     []*rlRelease
	rewrites     []string            // every text a sanitisation rewrote to
	reasons      []string            // every refusal's reason
	served       map[string][][]byte // what outsiders were answered to their reports, for the search
	n            int                 // makes unique tokens
	times        map[string]bool     // the times of day stamps took
	at           time.Time           // the last stamp
}

// tok makes a token no other token holds: a fixed width and an end.
func (w *rlWorld) tok(prefix string) string {
	w.n++
	return fmt.Sprintf("%s%05dq", prefix, w.n)
}

func (w *rlWorld) uuid() string { return rlUUID(w.rng) }

func rlUUID(rng *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return stix.FormatUUID(b, 4)
}

// stamp makes a source timestamp, later than the last, in the months
// before the test clock starts, whose time of day no other stamp has,
// with milliseconds the test clock never shows.
func (w *rlWorld) stamp() string {
	for {
		if w.at.IsZero() {
			w.at = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
		}
		w.at = w.at.Add(time.Duration(1+w.rng.IntN(3*3600*1000)) * time.Millisecond)
		s := w.at.Format("2006-01-02T15:04:05.000Z")
		if tod := s[11:23]; w.at.Nanosecond() != 0 && !w.times[tod] {
			w.times[tod] = true
			return s
		}
	}
}

func (w *rlWorld) staff(u refUser) bool {
	return u.name != "" && w.orgs[u.org].kind == mosaic.Partner && (u.role == mosaic.Analyst || u.role == mosaic.Liaison)
}

// receiver: who receives what is delivered to its organisation or to it
// by name: a stakeholder's users and a partner's analysts and liaisons.
func (w *rlWorld) receiver(u refUser) bool {
	return w.staff(u) || (u.name != "" && w.orgs[u.org].kind == mosaic.Stakeholder && u.role == mosaic.StakeholderViewer)
}

// outsider: anyone who is no analyst or liaison of a partner, who sees
// nothing of the cell's side of a release.
func (w *rlWorld) outsider(u refUser) bool { return !w.staff(u) }

// seesCell: the drafting organisation sees its release, an organisation
// asked sees it (its own part) once it is no draft on hold.
func (w *rlWorld) seesCell(u refUser, r *rlRelease) bool {
	return w.staff(u) && (u.org == r.drafter.org || (r.state != mosaic.ReleaseDraft && slices.Contains(r.asked(), u.org) && r.everAsked[u.org]))
}

// shown is the state and time of r that u is shown: an organisation
// asked sees it awaiting consent until it is published, at the time of
// its own decision, so that it cannot watch the others decide.
func (w *rlWorld) shown(u refUser, r *rlRelease) (mosaic.ReleaseState, time.Time) {
	if !w.staff(u) || u.org == r.drafter.org || !w.seesCell(u, r) || (r.state != mosaic.ReleaseReady && r.state != mosaic.ReleaseAwaitingConsent) {
		return r.state, r.updated
	}
	at := r.created
	if c := r.consents[u.org]; c != nil && c.decided.After(at) {
		at = c.decided
	}
	return mosaic.ReleaseAwaitingConsent, at
}

// addressing is how a published release reached u: by name, through its
// organisation, through a sector of its organisation (the first by
// name), or as one to the public; "" when it did not.
func (w *rlWorld) addressing(u refUser, r *rlRelease) string {
	if !r.published() {
		return ""
	}
	if slices.Equal(r.recipients, []string{"public"}) {
		return "public"
	}
	if !w.receiver(u) {
		return ""
	}
	best := ""
	for _, rc := range r.recipients {
		kind, name, _ := strings.Cut(rc, ":")
		switch {
		case kind == "user" && name == u.name:
			return rc
		case kind == "org" && name == u.org:
			best = rc
		case kind == "sector" && slices.Contains(w.sectors[u.org], name) && !strings.HasPrefix(best, "org:") && (best == "" || rc < best):
			best = rc
		}
	}
	return best
}

// itemsSeen is what of a release's items u is shown: an organisation
// asked its own; the drafting organisation those it can see itself;
// nobody anything of a release discarded.
func (w *rlWorld) itemsSeen(u refUser, r *rlRelease) []*rlRec {
	if r.discarded() {
		return nil
	}
	return w.itemsVisible(u, r)
}

// itemsVisible is what of a release's items u may see.
func (w *rlWorld) itemsVisible(u refUser, r *rlRelease) []*rlRec {
	var out []*rlRec
	for _, x := range r.items() {
		if u.org == r.drafter.org {
			if w.refSees(u, x.refRecord) {
				out = append(out, x)
			}
		} else if x.originator == u.org {
			out = append(out, x)
		}
	}
	return out
}

// levelShown is the release's level as u is shown it: a colleague of the
// drafter who cannot see every item is told the drafted level of those
// it sees, not one that says what the others are.
func (w *rlWorld) levelShown(u refUser, r *rlRelease) mosaic.TLP {
	if u.org != r.drafter.org || w.complete(u, r) {
		return r.tlp
	}
	t := mosaic.TLPClear
	for _, x := range w.itemsVisible(u, r) {
		if rlRank(x.tlp) > rlRank(t) {
			t = x.tlp
		}
	}
	return t
}

func (w *rlWorld) complete(u refUser, r *rlRelease) bool {
	return len(w.itemsVisible(u, r)) == len(r.items())
}

// consentsSeen: an organisation asked its own; the drafting organisation
// every one, but a colleague who cannot see every item only its own
// organisation's and those of the originators of the items it may see
// (that another was asked says it holds something in the release, even
// once the release is discarded). Another organisation's sanitisations
// are shown of the items shown only.
func (w *rlWorld) consentsSeen(u refUser, r *rlRelease) []string {
	shown := map[string]bool{}
	for _, x := range w.itemsSeen(u, r) {
		shown[strings.ToLower(x.id)] = true
	}
	orgs := map[string]bool{r.drafter.org: true, u.org: true}
	for _, x := range w.itemsVisible(u, r) {
		orgs[x.originator] = true
	}
	var out []string
	for _, org := range r.asked() {
		if u.org != r.drafter.org && org != u.org {
			continue
		}
		if u.org == r.drafter.org && !w.complete(u, r) && !orgs[org] {
			continue
		}
		c := r.consents[org]
		var keys []string
		for id := range c.san {
			if org == u.org || shown[strings.ToLower(id)] {
				keys = append(keys, strings.ToLower(id))
			}
		}
		sort.Strings(keys)
		out = append(out, fmt.Sprintf("%s %s %d %v", org, c.state, c.revision, keys))
	}
	return out
}

// feedbackOrgs says whose feedback u reads on r: the drafting
// organisation every recipient's; a feedback reader every recipient's
// but for the stakeholders that named readers without it; a reader a
// stakeholder named that stakeholder's; a recipient its own
// organisation's. ok is false for everyone else.
func (w *rlWorld) feedbackOrgs(u refUser, r *rlRelease) (func(org string) bool, bool) {
	if !r.published() {
		return nil, false
	}
	var reads []func(string) bool
	if w.staff(u) {
		switch {
		case u.org == r.drafter.org:
			return func(string) bool { return true }, true
		case slices.Contains(w.readers, u.org):
			reads = append(reads, func(org string) bool {
				named, ok := w.readersFor[org]
				return !ok || slices.Contains(named, u.org)
			})
		default:
			reads = append(reads, func(org string) bool { return slices.Contains(w.readersFor[org], u.org) })
			if !slices.ContainsFunc(w.stakeholders, func(s string) bool { return slices.Contains(w.readersFor[s], u.org) }) {
				reads = nil
			}
		}
	}
	if w.addressing(u, r) != "" {
		reads = append(reads, func(org string) bool { return org == u.org })
	}
	if len(reads) == 0 {
		return nil, false
	}
	return func(org string) bool {
		return slices.ContainsFunc(reads, func(f func(string) bool) bool { return f(org) })
	}, true
}

// collection is the key of a TAXII collection of released objects and
// whether r was delivered to it: the public one what went to the public,
// an organisation's what went to it or a sector of it, a user's what
// went to it by name.
func (w *rlWorld) inCollection(key string, r *rlRelease) bool {
	if !r.published() {
		return false
	}
	if key == "public" {
		return slices.Equal(r.recipients, []string{"public"})
	}
	kind, name, _ := strings.Cut(key, ":")
	for _, rc := range r.recipients {
		k, n, _ := strings.Cut(rc, ":")
		switch {
		case kind == "org" && k == "org" && n == name,
			kind == "org" && k == "sector" && slices.Contains(w.sectors[name], n),
			kind == "user" && k == "user" && n == name:
			return true
		}
	}
	return false
}

func (w *rlWorld) user(name string) refUser {
	for _, u := range w.users {
		if u.name == name {
			return u
		}
	}
	return refUser{}
}

func (w *rlWorld) liaison(org string) refUser {
	for _, u := range w.users {
		if u.org == org && u.role == mosaic.Liaison {
			return u
		}
	}
	w.h.t.Fatalf("no liaison of %s", org)
	return refUser{}
}

// newRLHarness is an API server and a TAXII server on one content
// service and store, with releases on.
func newRLHarness(t *testing.T, open storetest.Opener, readers []string, readersFor map[string][]string) (*harness, *release.Keys) {
	clock := storetest.NewClock(storetest.Epoch)
	s := open(t, clock)
	al := audit.New(s, 50*time.Millisecond, quietLog())
	t.Cleanup(func() { al.Close(context.Background()) })
	bases := map[string]time.Duration{}
	for _, b := range rlBases {
		bases[b] = 365 * 24 * time.Hour
	}
	c := content.New(s, ingest.Config{DefaultTLP: mosaic.TLPAmber, LegalBases: bases, Limits: stix.DefaultLimits()}, al, clock)
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := any(s).(content.ReleaseStore)
	if !ok {
		t.Fatalf("%T keeps no releases", s)
	}
	c.EnableReleases(rs, content.ReleaseConfig{Keys: keys, CellName: rlCellName, FeedbackReaders: readers, FeedbackReadersFor: readersFor})
	a := api.New(c, s, api.Limits{MaxBodyBytes: 16 << 20, MaxPageSize: 1000, RatePerSecond: 1e6, RateBurst: 1e6, AuthFailures: 1000, TokenLifetime: 24 * time.Hour}, clock, quietLog())
	tx := taxii.New(c, s, taxii.Options{MaxContentLength: 1 << 20, DefaultPageSize: 50, MaxPageSize: 100, RatePerSecond: 1e6, RateBurst: 1e6,
		AuthFailuresPerMinute: 1000, AnonymousPerMinute: 1e6}, clock, quietLog())
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	mux.Handle(taxii.DiscoveryPath, tx.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &harness{t: t, store: s, clock: clock, srv: srv, audit: al, tokens: map[string]string{}}, keys
}

func TestReleasesLeakNothing(t *testing.T) {
	// A fixed seed, and one that differs from run to run.
	seeds := []uint64{1, uint64(time.Now().UnixNano())}
	if s := os.Getenv("MOSAIC_RELEASE_LEAK_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MOSAIC_RELEASE_LEAK_SEED=%q: %v", s, err)
		}
		seeds = []uint64{n}
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			for _, seed := range seeds {
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
					defer func() {
						if t.Failed() {
							t.Logf("replay with MOSAIC_RELEASE_LEAK_SEED=%d", seed)
						}
					}()
					checkReleasesLeakNothing(t, stores[name], seed)
				})
			}
		})
	}
}

func checkReleasesLeakNothing(t *testing.T, open storetest.Opener, seed uint64) {
	w := &rlWorld{seed: seed, rng: rand.New(rand.NewPCG(seed, 7)), world: &world{orgs: map[string]refOrg{}, orgMembers: map[string][]string{}, userMembers: map[string][]string{}},
		times: map[string]bool{}, served: map[string][][]byte{}, full: map[string]string{}, sectors: map[string][]string{}, identity: map[string]string{}, regime: map[string]string{}, readersFor: map[string][]string{}}
	rng := w.rng
	for _, p := range rlPartnerPool[:3+rng.IntN(2)] {
		w.partners = append(w.partners, p.name)
		w.full[p.name] = p.full
	}
	for _, s := range rlStakeholderPool[:2+rng.IntN(2)] {
		w.stakeholders = append(w.stakeholders, s.name)
		w.full[s.name] = s.full
		for _, sec := range rlSectors {
			if rng.IntN(2) == 0 {
				w.sectors[s.name] = append(w.sectors[s.name], sec)
			}
		}
		if len(w.sectors[s.name]) == 0 {
			w.sectors[s.name] = []string{rlSectors[rng.IntN(len(rlSectors))]}
		}
	}
	// The default feedback reader is the last partner; a stakeholder may
	// name its own readers, or none (its feedback then goes to the
	// drafters only).
	w.readers = []string{w.partners[len(w.partners)-1]}
	if rng.IntN(2) == 0 {
		w.readersFor[w.stakeholders[0]] = []string{w.partners[rng.IntN(len(w.partners))]}
	}
	if rng.IntN(3) == 0 {
		w.readersFor[w.stakeholders[1]] = []string{}
	}
	h, keys := newRLHarness(t, open, w.readers, w.readersFor)
	w.h, w.keys = h, keys
	w.populate(t)
	w.share(t)
	w.run(t)
	if t.Failed() {
		return
	}
	c := &rlCheck{t: t, w: w, h: h, rng: rand.New(rand.NewPCG(seed, 99)), mu: &sync.Mutex{}, seen: map[string][][]byte{}, unknown: map[string]response{}, collectionIDs: map[string]string{}}
	c.checkBundles()
	viewers := append(slices.Clone(w.users), refUser{})
	for _, u := range w.users {
		h.token(u.name) // made before the viewers are checked in parallel
	}
	name := func(u refUser) string {
		if u.name == "" {
			return "nobody"
		}
		return u.name
	}
	// Every viewer, in parallel: each through every door, then another's
	// collections, once every collection is known, then the search.
	t.Run("doors", func(t *testing.T) {
		for i, u := range viewers {
			t.Run(name(u), func(t *testing.T) {
				t.Parallel()
				cc := c.forViewer(t, i)
				cc.checkREST(u)
				cc.checkTAXII(u)
			})
		}
	})
	t.Run("others", func(t *testing.T) {
		for i, u := range viewers {
			t.Run(name(u), func(t *testing.T) {
				t.Parallel()
				c.forViewer(t, i).checkOthersCollections(u)
			})
		}
	})
	t.Run("search", func(t *testing.T) {
		for i, u := range viewers {
			if w.outsider(u) {
				t.Run(name(u), func(t *testing.T) {
					t.Parallel()
					c.forViewer(t, i).search(u)
				})
			}
		}
	})
	if testing.Verbose() {
		count := map[string]int{}
		for _, r := range w.releases {
			count[string(r.state)]++
			if r.revision > 1 {
				count["revised"]++
			}
			if r.supersedes != "" {
				count["superseding"]++
			}
			if slices.Equal(r.recipients, []string{"public"}) && r.published() {
				count["public"]++
			}
			for _, cs := range r.consents {
				if len(cs.san) > 0 {
					count["sanitised consents"]++
				}
				if cs.state == "refused" {
					count["refusals"]++
				}
			}
			count["feedback"] += len(r.feedback)
			if r.published() {
				for _, u := range w.users {
					if w.outsider(u) && w.addressing(u, r) != "" {
						count["deliveries to outsiders"]++
					}
				}
			}
		}
		n := 0
		for _, b := range c.seen {
			n += len(b)
		}
		t.Logf("seed %d: %d records, %d releases %v; %d answers to outsiders searched", seed, len(w.recs), len(w.releases), count, n)
	}
	if t.Failed() {
		var summary []string
		for _, r := range w.releases {
			summary = append(summary, fmt.Sprintf("%s %s rev %d to %v by %s, %d objects %d sources; created %s, %v", r.id, r.state, r.revision, r.recipients, r.drafter.name, len(r.objects), len(r.sources),
				r.created.Format(time.TimeOnly), r.history))
		}
		t.Logf("population: partners %v, stakeholders %v %v, readers %v %v, %d records; releases:\n%s",
			w.partners, w.stakeholders, w.sectors, w.readers, w.readersFor, len(w.recs), strings.Join(summary, "\n"))
	}
}

// populate makes the organisations, users and compartments.
func (w *rlWorld) populate(t *testing.T) {
	ctx := context.Background()
	setup := mosaic.AuditEntry{Action: "setup"}
	s := w.h.store
	addOrg := func(o mosaic.Organisation) {
		if err := s.CreateOrg(ctx, &o, setup); err != nil {
			t.Fatal(err)
		}
		got, err := s.Org(ctx, o.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.orgs[o.Name] = refOrg{o.Name, o.Kind}
		w.identity[o.Name] = got.Identity
	}
	addUser := func(u refUser) {
		if err := s.CreateUser(ctx, &mosaic.User{Name: u.name, Org: u.org, Role: u.role, ContentGrant: u.grant}, "", setup); err != nil {
			t.Fatal(err)
		}
		w.users = append(w.users, u)
	}
	for i, p := range w.partners {
		w.regime[p] = rlBases[i%len(rlBases)]
		addOrg(mosaic.Organisation{Name: p, FullName: w.full[p], Kind: mosaic.Partner, LegalRegime: w.regime[p]})
		addUser(refUser{name: p + "-analyst", org: p, role: mosaic.Analyst})
		addUser(refUser{name: p + "-liaison", org: p, role: mosaic.Liaison})
		if w.rng.IntN(2) == 0 {
			addUser(refUser{name: p + "-analyst2", org: p, role: mosaic.Analyst})
		}
		if i == 0 {
			addUser(refUser{name: p + "-admin", org: p, role: mosaic.Admin})
		}
	}
	for _, sh := range w.stakeholders {
		addOrg(mosaic.Organisation{Name: sh, FullName: w.full[sh], Kind: mosaic.Stakeholder, Sectors: w.sectors[sh]})
		for i := range 1 + w.rng.IntN(2) {
			addUser(refUser{name: fmt.Sprintf("%s-u%d", sh, i+1), org: sh, role: mosaic.StakeholderViewer})
		}
	}
	w.full["auditbody"] = "Audit Body"
	addOrg(mosaic.Organisation{Name: "auditbody", FullName: w.full["auditbody"], Kind: mosaic.Oversight})
	addUser(refUser{name: "auditbody-auditor", org: "auditbody", role: mosaic.Auditor})
	addUser(refUser{name: "auditbody-granted", org: "auditbody", role: mosaic.Auditor, grant: true})
	for _, c := range rlComps[:2+w.rng.IntN(2)] {
		w.comps = append(w.comps, c)
		if err := s.CreateCompartment(ctx, &mosaic.Compartment{Name: c}, setup); err != nil {
			t.Fatal(err)
		}
		for _, p := range w.partners {
			if w.rng.IntN(3) == 0 {
				if err := s.AddMember(ctx, c, p, "", setup); err != nil {
					t.Fatal(err)
				}
				w.orgMembers[c] = append(w.orgMembers[c], p)
			}
		}
		for _, u := range w.users {
			if w.staff(u) && !slices.Contains(w.orgMembers[c], u.org) && w.rng.IntN(3) == 0 {
				if err := s.AddMember(ctx, c, "", u.name, setup); err != nil {
					t.Fatal(err)
				}
				w.userMembers[c] = append(w.userMembers[c], u.name)
			}
		}
	}
}

// share has each partner's analysts and liaisons share indicators,
// malware, an address and a relationship, some in two versions, each
// version with its own audience, level, ORCON and legal basis and its
// own values.
func (w *rlWorld) share(t *testing.T) {
	rng := w.rng
	for _, p := range w.partners {
		var authors []refUser
		for _, u := range w.users {
			if u.org == p && w.staff(u) {
				authors = append(authors, u)
			}
		}
		post := func(r *rlRec) {
			t.Helper()
			author := authors[rng.IntN(len(authors))]
			var mine []string
			for _, c := range w.comps {
				if w.member(author, c) {
					mine = append(mine, c)
				}
			}
			switch k := rng.IntN(10); {
			case k < 4 && r.tlp != mosaic.TLPRed:
				r.cell = true
			case k < 7 && len(mine) > 0:
				for _, c := range mine {
					if rng.IntN(2) == 0 || len(r.comps) == 0 {
						r.comps = append(r.comps, c)
					}
				}
				sort.Strings(r.comps)
			}
			r.orcon = rng.IntN(10) < 7
			r.basis = w.regime[p]
			q := url.Values{"audience": {audienceOf(r.cell, r.comps).String()}, "orcon": {strconv.FormatBool(r.orcon)}}
			if rng.IntN(3) == 0 {
				r.basis = rlBases[rng.IntN(len(rlBases))]
				q.Set("legal_basis", r.basis)
			}
			if resp := w.h.post(author.name, q, r.obj); resp.status != 201 {
				t.Fatalf("POST as %s %v: %d %s\n%s", author.name, q, resp.status, resp.body, r.obj)
			}
			w.recs = append(w.recs, r)
		}
		var indicators, malware []string
		for range 2 + rng.IntN(2) {
			id, created := "indicator--"+w.uuid(), ""
			indicators = append(indicators, id)
			for range 1 + rng.IntN(2) {
				r := w.indicator(p, id, &created)
				post(r)
			}
		}
		id, created := "malware--"+w.uuid(), ""
		malware = append(malware, id)
		for range 1 + rng.IntN(2) {
			post(w.malware(p, id, &created))
		}
		if rng.IntN(10) < 7 {
			post(w.address(p))
		}
		if rng.IntN(10) < 7 {
			post(w.relationship(p, indicators[rng.IntN(len(indicators))], malware[0]))
		}
	}
}

// level picks a level, the less restrictive more often: releases of
// what may go further reach more recipients.
func (w *rlWorld) level() mosaic.TLP {
	switch k := w.rng.IntN(20); {
	case k < 6:
		return mosaic.TLPClear
	case k < 12:
		return mosaic.TLPGreen
	case k < 16:
		return mosaic.TLPAmber
	case k < 18:
		return mosaic.TLPAmberStrict
	}
	return mosaic.TLPRed
}

// common are the properties every shared SDO and SRO has: times, level,
// a creator (sometimes), a custom property and an external reference.
func (w *rlWorld) common(p string, r *rlRec, created *string) map[string]any {
	r.modified = w.stamp()
	if *created == "" {
		*created = r.modified
	}
	r.created = *created
	r.tlp = w.level()
	note, ref, path := w.tok("xnote"), w.tok("extref"), w.tok("case")
	r.secrets = append(r.secrets, rlSecret{kAlways, r.id}, rlSecret{kAlways, r.uuid()}, rlSecret{kAlways, r.created}, rlSecret{kAlways, r.modified},
		rlSecret{kAlways, note}, rlSecret{kAlways, ref}, rlSecret{kAlways, path})
	m := map[string]any{
		"type": r.typ, "spec_version": "2.1", "id": r.id, "created": r.created, "modified": r.modified,
		"object_marking_refs": []string{stix.TLPMarkingID(r.tlp)}, "x_source_note": note,
		"external_references": []map[string]string{{"source_name": ref, "url": "https://intranet.example/" + path}},
	}
	if w.rng.IntN(2) == 0 {
		m["created_by_ref"] = w.identity[p]
	}
	return m
}

func (w *rlWorld) ip() string {
	w.n++
	return fmt.Sprintf("10.%d.%d.%d", w.n/250, w.n%250, 100+w.rng.IntN(150))
}

func (w *rlWorld) indicator(p, id string, created *string) *rlRec {
	r := &rlRec{refRecord: refRecord{id: id, typ: "indicator", originator: p}}
	m := w.common(p, r, created)
	ip, path, file := w.ip(), w.tok("cellar"), w.tok("dropper")+".exe"
	hash := fmt.Sprintf("%016x%016x%016x%016x", w.rng.Uint64(), w.rng.Uint64(), w.rng.Uint64(), w.rng.Uint64())
	validFrom := w.stamp()
	name, desc, label := w.tok("codename"), w.tok("informant"), w.tok("label")
	m["name"], m["description"], m["labels"] = name, desc, []string{label}
	m["pattern"] = fmt.Sprintf("[ipv4-addr:value = '%s'] OR [url:value = 'http://relay%d.example/%s'] OR [file:hashes.'SHA-256' = '%s' AND file:name = '%s']",
		ip, w.rng.IntN(100), path, hash, file)
	m["pattern_type"], m["valid_from"] = "stix", validFrom
	_, timeOfDay, _ := strings.Cut(validFrom, "T")
	r.secrets = append(r.secrets, rlSecret{kAddr, ip}, rlSecret{kURL, path}, rlSecret{kHash, hash}, rlSecret{kFile, file},
		rlSecret{kTime, strings.TrimSuffix(timeOfDay, "Z")}, rlSecret{kName, name}, rlSecret{kDesc, desc}, rlSecret{kLabel, label})
	r.obj = mustJSON(m)
	return r
}

func (w *rlWorld) malware(p, id string, created *string) *rlRec {
	r := &rlRec{refRecord: refRecord{id: id, typ: "malware", originator: p}}
	m := w.common(p, r, created)
	name, desc := w.tok("codename"), w.tok("informant")
	m["name"], m["description"], m["is_family"] = name, desc, false
	r.secrets = append(r.secrets, rlSecret{kName, name}, rlSecret{kDesc, desc})
	r.obj = mustJSON(m)
	return r
}

// address is an observable under an id of the originator's own, not the
// one STIX derives from its value.
func (w *rlWorld) address(p string) *rlRec {
	r := &rlRec{refRecord: refRecord{id: "ipv4-addr--" + w.uuid(), typ: "ipv4-addr", originator: p, tlp: w.level()}}
	ip := w.ip()
	r.secrets = []rlSecret{{kAlways, r.id}, {kAlways, r.uuid()}, {kAddr, ip}, {kAddr, stix.SCOID("ipv4-addr", map[string]any{"value": ip})}}
	r.obj = mustJSON(map[string]any{"type": "ipv4-addr", "spec_version": "2.1", "id": r.id, "value": ip, "object_marking_refs": []string{stix.TLPMarkingID(r.tlp)}})
	return r
}

func (w *rlWorld) relationship(p, from, to string) *rlRec {
	r := &rlRec{refRecord: refRecord{id: "relationship--" + w.uuid(), typ: "relationship", originator: p}, refs: []string{from, to}}
	created := ""
	m := w.common(p, r, &created)
	desc := w.tok("informant")
	m["relationship_type"], m["source_ref"], m["target_ref"], m["description"] = "indicates", from, to, desc
	r.secrets = append(r.secrets, rlSecret{kDesc, desc})
	r.obj = mustJSON(m)
	return r
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (w *rlWorld) tick() { w.h.clock.Add(time.Duration(1+w.rng.IntN(120)) * time.Second) }

// run drafts, revises, consents to, publishes and withdraws random
// releases, and has random users report on them, through the REST API;
// every answer is what the model says.
func (w *rlWorld) run(t *testing.T) {
	rng := w.rng
	var drafters []refUser
	for _, u := range w.users {
		if w.staff(u) {
			drafters = append(drafters, u)
		}
	}
	for range 14 + rng.IntN(5) {
		r := w.draft(t, drafters[rng.IntN(len(drafters))])
		if r == nil {
			continue
		}
		if r.hold && rng.IntN(10) < 6 {
			r.hold = false
			w.revise(t, r)
		}
		w.consentRound(t, r)
		if r.state != mosaic.ReleaseDraft && rng.IntN(4) == 0 {
			w.revise(t, r)
			w.consentRound(t, r)
		}
		w.publish(t, r)
		// A release never published is discarded now and then.
		if !r.published() && rng.IntN(6) == 0 {
			w.withdraw(t, r)
		}
	}
	w.feedbackRound(t)
	for _, r := range w.releases {
		if r.state == mosaic.ReleasePublished && rng.IntN(10) < 3 {
			w.withdraw(t, r)
		}
	}
	w.feedbackRound(t)
}

// pinOf pins x; the originator is named or left out at random, which
// here takes the same contribution (an id is one originator's).
func (w *rlWorld) pinOf(x *rlRec) content.Pin {
	p := content.Pin{ID: x.id, Modified: x.modified}
	if w.rng.IntN(2) == 0 {
		p.Originator = x.originator
	}
	return p
}

func (w *rlWorld) draftOf(r *rlRelease) content.Draft {
	d := content.Draft{Title: r.title, Advice: r.advice, Recipients: r.recipients, Dangling: r.dangling, Hold: r.hold, Supersedes: r.supersedes}
	for _, x := range r.objects {
		d.Objects = append(d.Objects, w.pinOf(x))
	}
	for _, x := range r.sources {
		d.Sources = append(d.Sources, w.pinOf(x))
	}
	return d
}

// pick chooses the objects and sources of a release among what the
// drafter sees, one version of an object at most.
func (w *rlWorld) pick(u refUser) (objects, sources []*rlRec) {
	var visible []*rlRec
	for _, x := range w.recs {
		if w.refSees(u, x.refRecord) {
			visible = append(visible, x)
		}
	}
	used := map[string]bool{}
	for _, i := range w.rng.Perm(len(visible)) {
		x := visible[i]
		if used[x.id] {
			continue
		}
		switch {
		case len(objects) < 1+w.rng.IntN(4):
			objects = append(objects, x)
		case len(sources) < w.rng.IntN(3):
			sources = append(sources, x)
		default:
			continue
		}
		used[x.id] = true
	}
	// A relationship's ends join it now and then, so that it resolves.
	for _, x := range slices.Clone(objects) {
		for _, ref := range x.refs {
			if used[ref] || w.rng.IntN(2) == 0 {
				continue
			}
			for _, y := range visible {
				if y.id == ref && !used[ref] {
					objects = append(objects, y)
					used[ref] = true
				}
			}
		}
	}
	return objects, sources
}

// recipientsFor chooses recipients level t allows (or, when wide, one it
// does not), from a stakeholder's or partner's organisation or user, a
// sector with stakeholders in it, or the public.
func (w *rlWorld) recipientsFor(t mosaic.TLP, wide bool) []string {
	var all []string
	for _, s := range rlSectors {
		if slices.ContainsFunc(w.stakeholders, func(o string) bool { return slices.Contains(w.sectors[o], s) }) {
			all = append(all, "sector:"+s)
		}
	}
	for _, o := range append(slices.Clone(w.stakeholders), w.partners...) {
		all = append(all, "org:"+o)
	}
	for _, u := range w.users {
		if w.receiver(u) {
			all = append(all, "user:"+u.name)
		}
	}
	if wide {
		if !rlMayGo(t, "public") && w.rng.IntN(2) == 0 {
			return []string{"public"}
		}
		var refused []string
		for _, rc := range all {
			if !rlMayGo(t, rc) {
				refused = append(refused, rc)
			}
		}
		if len(refused) > 0 {
			return []string{refused[w.rng.IntN(len(refused))]}
		}
	}
	if rlMayGo(t, "public") && w.rng.IntN(4) == 0 {
		return []string{"public"}
	}
	// Stakeholders, whom releases are for, are named more often.
	var out []string
	for _, i := range w.rng.Perm(len(all)) {
		rc := all[i]
		_, name, _ := strings.Cut(rc, ":")
		outside := strings.HasPrefix(rc, "sector:") || slices.Contains(w.stakeholders, name) || !w.staff(w.user(name)) && strings.HasPrefix(rc, "user:")
		if rlMayGo(t, rc) && len(out) < 1+w.rng.IntN(3) && (outside || w.rng.IntN(3) == 0) {
			out = append(out, rc)
		}
	}
	if len(out) == 0 {
		for _, rc := range all {
			if rlMayGo(t, rc) {
				return []string{rc}
			}
		}
	}
	return out
}

func (w *rlWorld) draft(t *testing.T, u refUser) *rlRelease {
	t.Helper()
	rng := w.rng
	objects, sources := w.pick(u)
	if len(objects) == 0 {
		return nil
	}
	r := &rlRelease{drafter: u, everAsked: map[string]bool{}, title: w.tok("title"), advice: w.tok("advice"), objects: objects, sources: sources,
		dangling: []string{"", "refuse", "drop"}[rng.IntN(3)], hold: rng.IntN(5) == 0, revision: 1, consents: map[string]*rlConsent{}}
	r.tlp = r.level(false)
	wide := rng.IntN(8) == 0
	r.recipients = w.recipientsFor(r.tlp, wide)
	// Now and then it supersedes a published release of the drafter's
	// organisation, to recipients that release went to.
	if rng.IntN(5) == 0 {
		for _, old := range w.releases {
			if !old.published() || old.drafter.org != u.org {
				continue
			}
			var rs []string
			for _, rc := range old.recipients {
				if rlMayGo(r.tlp, rc) {
					rs = append(rs, rc)
				}
			}
			if len(rs) > 0 {
				r.supersedes, r.recipients = old.id, rs
				break
			}
		}
	}
	var rel api.Release
	resp := w.h.send(u.name, "POST", "/api/v1/releases", w.draftOf(r), &rel)
	dangles := r.dangling != "drop" && len(r.kept()) < len(r.objects)
	refused := slices.ContainsFunc(r.recipients, func(rc string) bool { return !rlMayGo(r.tlp, rc) })
	if refused || dangles {
		if resp.status != 400 {
			t.Fatalf("draft of %s to %v at %s (dangling %v): %d %s, want 400", u.name, r.recipients, r.tlp, dangles, resp.status, resp.body)
		}
		w.tick()
		return nil
	}
	if resp.status != 201 {
		t.Fatalf("draft of %s to %v: %d %s", u.name, r.recipients, resp.status, resp.body)
	}
	r.id, r.seq = rel.ID, len(w.releases)
	r.created, r.updated = w.h.clock.Now(), w.h.clock.Now()
	r.state = mosaic.ReleaseAwaitingConsent
	if r.hold {
		r.state = mosaic.ReleaseDraft
	}
	w.ask(r)
	w.releases = append(w.releases, r)
	if rel.State != r.state || rel.Revision != 1 || rel.TLP != r.tlp || !slices.Equal(rlConsentOrgs(rel.Consents), r.asked()) {
		t.Errorf("drafted %s: %s rev %d %s asking %v; want %s %s asking %v", r.id, rel.State, rel.Revision, rel.TLP, rlConsentOrgs(rel.Consents), r.state, r.tlp, r.asked())
	}
	w.tick()
	return r
}

func rlConsentOrgs(cs []mosaic.ReleaseConsent) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Org)
	}
	return out
}

// ask voids every consent: each organisation asked is pending.
func (w *rlWorld) ask(r *rlRelease) {
	r.consents = map[string]*rlConsent{}
	if r.everAsked == nil {
		r.everAsked = map[string]bool{}
	}
	for _, org := range r.asked() {
		r.consents[org] = &rlConsent{org: org, state: "pending"}
		if !r.hold {
			r.everAsked[org] = true
		}
	}
}

// revise makes the next revision: a new title, now and then fewer
// objects; every consent is void, and one for the old revision is a 409.
func (w *rlWorld) revise(t *testing.T, r *rlRelease) {
	t.Helper()
	old := r.revision
	r.title = w.tok("title")
	if len(r.objects) > 1 && w.rng.IntN(2) == 0 {
		r.objects = r.objects[:len(r.objects)-1]
	}
	if r.dangling != "drop" && len(r.kept()) < len(r.objects) {
		r.dangling = "drop"
	}
	// New recipients now and then. A revision keeps what its release
	// supersedes, whose recipients each of its own must be: one to
	// another is refused, whether it names what it supersedes or not.
	if w.rng.IntN(3) == 0 {
		rs := w.recipientsFor(r.level(false), false)
		if i := slices.IndexFunc(w.releases, func(x *rlRelease) bool { return x.id == r.supersedes }); i >= 0 &&
			slices.ContainsFunc(rs, func(rc string) bool { return !slices.Contains(w.releases[i].recipients, rc) }) {
			d := w.draftOf(r)
			d.Revision, d.Recipients = old, rs
			if w.rng.IntN(2) == 0 {
				d.Supersedes = ""
			}
			if resp := w.h.send(r.drafter.name, "PUT", "/api/v1/releases/"+r.id, d, nil); resp.status != 400 {
				t.Errorf("a revision of %s, superseding %s, to %v, which did not get it: %d %s", r.id, r.supersedes, rs, resp.status, resp.body)
			}
		} else {
			r.recipients = rs
		}
	}
	// Back on hold now and then: those asked no longer see it.
	if !r.hold && w.rng.IntN(8) == 0 {
		r.hold = true
	}
	d := w.draftOf(r)
	d.Revision = old
	var rel api.Release
	if resp := w.h.send(r.drafter.name, "PUT", "/api/v1/releases/"+r.id, d, &rel); resp.status != 200 {
		t.Fatalf("revise %s: %d %s", r.id, resp.status, resp.body)
	}
	r.revision++
	r.tlp = r.level(false)
	r.updated = w.h.clock.Now()
	r.history = append(r.history, "revised "+r.updated.Format(time.TimeOnly))
	r.state = mosaic.ReleaseAwaitingConsent
	if r.hold {
		r.state = mosaic.ReleaseDraft
	}
	w.ask(r)
	if rel.Revision != r.revision || rel.State != r.state {
		t.Errorf("revised %s: rev %d %s, want %d %s", r.id, rel.Revision, rel.State, r.revision, r.state)
	}
	w.tick()
	if r.state == mosaic.ReleaseAwaitingConsent {
		org := r.asked()[w.rng.IntN(len(r.asked()))]
		resp := w.h.send(w.liaison(org).name, "POST", "/api/v1/releases/"+r.id+"/consents", content.Consent{Revision: old, Decision: content.DecideApprove}, nil)
		if resp.status != 409 {
			t.Errorf("a consent of %s to revision %d of %s at %d: %d %s", org, old, r.id, r.revision, resp.status, resp.body)
		}
	}
}

// sanitisation makes a random sanitisation of x: generalisations that
// fit its type, properties removed or rewritten, its level lowered.
func (w *rlWorld) sanitisation(x *rlRec) (content.ObjectSanitisation, bool) {
	rng := w.rng
	var s content.ObjectSanitisation
	switch x.typ {
	case "indicator":
		for _, g := range []release.Generalisation{release.GeneraliseAddresses, release.GeneraliseURLs, release.GeneraliseHashes, release.GeneraliseFileNames, release.GeneraliseTimes} {
			if rng.IntN(5) < 2 {
				s.Generalise = append(s.Generalise, g)
			}
		}
	case "ipv4-addr":
		if rng.IntN(2) == 0 {
			s.Generalise = []release.Generalisation{release.GeneraliseAddresses}
		}
	}
	if !x.sco() {
		props := map[string][]string{"indicator": {"description", "labels", "name"}, "malware": {"description", "name"}, "relationship": {"description"}}[x.typ]
		for _, p := range props {
			switch k := rng.IntN(8); {
			case k < 2:
				s.Remove = append(s.Remove, p)
			case k < 3 && p != "labels":
				if s.Rewrite == nil {
					s.Rewrite = map[string]string{}
				}
				s.Rewrite[p] = w.tok("rewritten")
				w.rewrites = append(w.rewrites, s.Rewrite[p])
			}
		}
	}
	if rlRank(x.tlp) > 0 && rng.IntN(3) == 0 {
		s.TLP = rlLevels[rng.IntN(rlRank(x.tlp))]
	}
	return s, len(s.Generalise)+len(s.Remove)+len(s.Rewrite) > 0 || s.TLP != ""
}

// consentRound has each organisation asked decide, through its liaison,
// most of the time; now and then someone who may not tries.
func (w *rlWorld) consentRound(t *testing.T, r *rlRelease) {
	t.Helper()
	rng := w.rng
	if r.state == mosaic.ReleaseDraft {
		return
	}
	for _, org := range r.asked() {
		if rng.IntN(20) == 0 {
			continue
		}
		c := content.Consent{Revision: r.revision, Decision: content.DecideApprove}
		mc := &rlConsent{org: org, state: "approved", revision: r.revision}
		switch k := rng.IntN(20); {
		case k < 2:
			c.Decision, c.Reason = content.DecideRefuse, w.tok("refusal")
			mc.state, mc.reason = "refused", c.Reason
			w.reasons = append(w.reasons, c.Reason)
		case k < 12:
			for _, x := range r.items() {
				if x.originator != org || rng.IntN(10) < 3 {
					continue
				}
				if s, ok := w.sanitisation(x); ok {
					if r.role(x) == "source" {
						// A source is not released: only its level is set.
						s = content.ObjectSanitisation{TLP: s.TLP}
						if s.TLP == "" {
							continue
						}
					}
					if c.Sanitise == nil {
						c.Sanitise, mc.san = map[string]content.ObjectSanitisation{}, map[string]content.ObjectSanitisation{}
					}
					c.Sanitise[x.id], mc.san[x.id] = s, s
				}
			}
			if len(c.Sanitise) > 0 {
				c.Decision = content.DecideApproveSanitised
			}
		}
		var rel api.Release
		liaison := w.liaison(org)
		resp := w.h.send(liaison.name, "POST", "/api/v1/releases/"+r.id+"/consents", c, &rel)
		if resp.status != 200 {
			t.Fatalf("consent of %s to %s: %d %s\n%+v", liaison.name, r.id, resp.status, resp.body, c)
		}
		mc.decided, r.updated = w.h.clock.Now(), w.h.clock.Now()
		r.history = append(r.history, org+" decided "+r.updated.Format(time.TimeOnly))
		r.consents[org] = mc
		r.state = mosaic.ReleaseReady
		for _, c := range r.consents {
			if c.state != "approved" {
				r.state = mosaic.ReleaseAwaitingConsent
			}
		}
		if state, _ := w.shown(liaison, r); rel.State != state || rel.Revision != r.revision {
			var full api.Release
			w.h.get(r.drafter.name, "/api/v1/releases/"+r.id, nil, &full)
			state, _ := w.shown(liaison, r)
			t.Errorf("after %s's consent %s is %s at %d, want %s at %d; consents %+v", org, r.id, rel.State, rel.Revision, state, r.revision, full.Consents)
		}
		w.tick()
	}
	// A liaison of an organisation not asked, and a stakeholder.
	for _, p := range w.partners {
		if !slices.Contains(r.asked(), p) && rng.IntN(3) == 0 {
			w.notFoundLike(t, w.liaison(p).name, "POST", "/api/v1/releases/"+r.id+"/consents", r.id, content.Consent{Revision: r.revision, Decision: content.DecideApprove})
			break
		}
	}
}

// keep keeps what an outsider was answered, with the id it sent masked,
// for the search.
func (w *rlWorld) keep(u refUser, r response, mask string) {
	if w.outsider(u) {
		var hd bytes.Buffer
		r.header.Write(&hd)
		w.served[u.name] = append(w.served[u.name], bytes.ReplaceAll(append(hd.Bytes(), r.body...), []byte(mask), []byte("ID")))
	}
}

// notFoundLike sends a JSON request and fails unless it is answered as
// one about a release that does not exist.
func (w *rlWorld) notFoundLike(t *testing.T, user, method, path, id string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	ctype := "application/json"
	if strings.HasSuffix(path, "/sightings") {
		ctype = "application/stix+json;version=2.1"
	}
	missing := "00000000-0000-4000-8000-00000000dead"
	got := w.h.do(user, method, path, nil, ctype, b)
	want := w.h.do(user, method, strings.Replace(path, id, missing, 1), nil, ctype, b)
	w.keep(w.user(user), got, id)
	if got.status != 404 || want.status != 404 || !bytes.Equal(bytes.ReplaceAll(got.body, []byte(id), []byte(missing)), want.body) {
		t.Errorf("%s %s as %s: %d %s\na release that does not exist: %d %s", method, path, user, got.status, got.body, want.status, want.body)
	}
}

func (w *rlWorld) publish(t *testing.T, r *rlRelease) {
	t.Helper()
	rng := w.rng
	path := "/api/v1/releases/" + r.id + "/publish"
	// Someone of another organisation finds nothing to publish; a
	// colleague of the drafter who cannot see every item may not.
	for _, u := range w.users {
		if w.staff(u) && u.org != r.drafter.org && rng.IntN(6) == 0 {
			resp := w.h.send(u.name, "POST", path, api.PublishRequest{}, nil)
			if resp.status != 404 {
				t.Errorf("%s publishes %s of %s: %d %s", u.name, r.id, r.drafter.org, resp.status, resp.body)
			}
		}
		if w.staff(u) && u.org == r.drafter.org && !w.complete(u, r) {
			if resp := w.h.send(u.name, "POST", path, api.PublishRequest{}, nil); resp.status != 403 {
				t.Errorf("%s, who cannot see every item of %s, publishes it: %d %s", u.name, r.id, resp.status, resp.body)
			}
		}
	}
	if r.state != mosaic.ReleaseReady {
		if rng.IntN(2) == 0 {
			if resp := w.h.send(r.drafter.name, "POST", path, api.PublishRequest{}, nil); resp.status != 409 {
				t.Errorf("publish of %s, %s: %d %s", r.id, r.state, resp.status, resp.body)
			}
		}
		return
	}
	if rng.IntN(8) == 0 {
		return // ready, and kept so
	}
	var rel api.Release
	resp := w.h.send(r.drafter.name, "POST", path, api.PublishRequest{Revision: r.revision}, &rel)
	if resp.status != 200 {
		t.Fatalf("publish %s: %d %s", r.id, resp.status, resp.body)
	}
	r.state, r.tlp, r.everPublished, r.updated = mosaic.ReleasePublished, r.level(true), true, w.h.clock.Now()
	if rel.State != r.state || rel.TLP != r.tlp {
		t.Errorf("published %s: %s %s, want %s %s", r.id, rel.State, rel.TLP, r.state, r.tlp)
	}
	w.tick()
}

func (w *rlWorld) withdraw(t *testing.T, r *rlRelease) {
	t.Helper()
	r.withdrawReason = w.tok("withdrawn")
	var rel api.Release
	if resp := w.h.send(r.drafter.name, "POST", "/api/v1/releases/"+r.id+"/withdraw", api.WithdrawRequest{Reason: r.withdrawReason}, &rel); resp.status != 200 {
		t.Fatalf("withdraw %s: %d %s", r.id, resp.status, resp.body)
	}
	r.state, r.withdrawnAt, r.updated = mosaic.ReleaseWithdrawn, w.h.clock.Now(), w.h.clock.Now()
	w.tick()
}

// releasedObjects are the objects of a published release's bundle that
// a sighting may name.
func (w *rlWorld) bundleOf(t *testing.T, r *rlRelease) []struct{ ID, Type string } {
	t.Helper()
	if r.bundle == nil {
		for _, u := range w.users {
			if w.addressing(u, r) == "" {
				continue
			}
			var d api.Delivery
			if resp := w.h.get(u.name, "/api/v1/releases/"+r.id, nil, &d); resp.status != 200 {
				t.Fatalf("%s reads %s: %d %s", u.name, r.id, resp.status, resp.body)
			}
			if d.Bundle == nil { // the cell's side with its delivery
				var rel api.Release
				json.Unmarshal(w.h.get(u.name, "/api/v1/releases/"+r.id, nil, nil).body, &rel)
				d = *rel.Delivery
			}
			r.bundle = d.Bundle
			break
		}
	}
	var b struct{ Objects []struct{ ID, Type string } }
	if err := json.Unmarshal(r.bundle, &b); err != nil {
		t.Fatalf("bundle of %s: %v", r.id, err)
	}
	return b.Objects
}

// feedbackRound has random users report receipts and sightings on
// published releases: the recipients' are taken (a withdrawn release's
// are a 409), anyone else's answered as for a release that does not
// exist.
func (w *rlWorld) feedbackRound(t *testing.T) {
	t.Helper()
	rng := w.rng
	for _, r := range w.releases {
		if !r.published() {
			continue
		}
		var objs []string // what a sighting may name: an SDO of the release
		for _, o := range w.bundleOf(t, r) {
			if o.Type == "indicator" || o.Type == "malware" {
				objs = append(objs, o.ID)
			}
		}
		for _, u := range w.users {
			if !w.receiver(u) || rng.IntN(3) > 0 {
				continue
			}
			path := "/api/v1/releases/" + r.id
			comment := w.tok("comment")
			receipt := api.ReceiptRequest{Status: mosaic.ReceiptStatuses[rng.IntN(len(mosaic.ReceiptStatuses))], Comment: comment}
			sid, of := "sighting--"+w.uuid(), "indicator--5eed0000-0000-4000-8000-00000000beef"
			if len(objs) > 0 {
				of = objs[rng.IntN(len(objs))]
			}
			sighting := bundle(fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":%q,"created":"2026-11-20T00:00:00.000Z","modified":"2026-11-20T00:00:00.000Z","sighting_of_ref":%q,"count":%d}`,
				sid, of, 1+rng.IntN(9)))
			switch {
			case w.addressing(u, r) == "":
				w.notFoundLike(t, u.name, "POST", path+"/receipts", r.id, receipt)
				w.notFoundLike(t, u.name, "POST", path+"/sightings", r.id, json.RawMessage(sighting))
			case r.state == mosaic.ReleaseWithdrawn:
				resp := w.h.send(u.name, "POST", path+"/receipts", receipt, nil)
				if w.keep(u, resp, ""); resp.status != 409 {
					t.Errorf("%s reports on withdrawn %s: %d %s", u.name, r.id, resp.status, resp.body)
				}
			default:
				resp := w.h.send(u.name, "POST", path+"/receipts", receipt, nil)
				if w.keep(u, resp, ""); resp.status != 201 {
					t.Fatalf("%s's receipt of %s: %d %s", u.name, r.id, resp.status, resp.body)
				}
				r.feedback = append(r.feedback, rlFeedback{u.org, u.name, comment})
				if len(objs) > 0 && rng.IntN(2) == 0 {
					resp := w.h.do(u.name, "POST", path+"/sightings", nil, "application/stix+json;version=2.1", sighting)
					if w.keep(u, resp, ""); resp.status != 201 {
						t.Fatalf("%s's sighting of %s: %d %s", u.name, r.id, resp.status, resp.body)
					}
					r.feedback = append(r.feedback, rlFeedback{u.org, u.name, sid})
				}
				w.tick()
			}
		}
		// Who receives nothing reports nothing either.
		for _, u := range w.users {
			if !w.receiver(u) && rng.IntN(4) == 0 {
				resp := w.h.send(u.name, "POST", "/api/v1/releases/"+r.id+"/receipts", api.ReceiptRequest{Status: mosaic.ReceiptReceived}, nil)
				if w.keep(u, resp, r.id); resp.status != 403 {
					t.Errorf("%s, who receives no releases, reports: %d %s", u.name, resp.status, resp.body)
				}
			}
		}
	}
}

// rlCheck compares what every door serves with the model, and keeps
// every byte served to outsiders for the search.
type rlCheck struct {
	t   *testing.T
	w   *rlWorld
	h   *harness
	rng *rand.Rand // the viewer's own: viewers are checked in parallel
	mu  *sync.Mutex
	// seen is what each user ("" for nobody) was served, the ids it sent
	// masked; unknown what a request for an unknown id gets, by user and
	// path; collectionIDs the collections of released objects by key, as
	// their receivers list them.
	seen          map[string][][]byte
	unknown       map[string]response
	collectionIDs map[string]string
}

// forViewer is c for checking u in the subtest t.
func (c *rlCheck) forViewer(t *testing.T, i int) *rlCheck {
	cc := *c
	cc.t, cc.rng = t, rand.New(rand.NewPCG(c.w.seed, uint64(100+i)))
	return &cc
}

// do sends a request as user ("" for none) with the headers given and
// keeps, for an outsider, what it was served, with mask (the id the
// request names) masked.
func (c *rlCheck) do(u refUser, method, path string, q url.Values, header map[string]string, body []byte, mask string) response {
	c.t.Helper()
	target := c.h.srv.URL + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if u.name != "" {
		req.Header.Set("Authorization", "Bearer "+c.h.token(u.name))
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.h.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	out := response{resp.StatusCode, resp.Header, b}
	if c.w.outsider(u) {
		var hd bytes.Buffer
		resp.Header.Write(&hd)
		kept := append(hd.Bytes(), b...)
		if mask != "" {
			kept = bytes.ReplaceAll(kept, []byte(mask), []byte("ID"))
		}
		c.mu.Lock()
		c.seen[u.name] = append(c.seen[u.name], kept)
		c.mu.Unlock()
	}
	return out
}

func (c *rlCheck) get(u refUser, path string, q url.Values, mask string, out any) response {
	c.t.Helper()
	r := c.do(u, "GET", path, q, nil, nil, mask)
	if out != nil && r.status == 200 {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.t.Fatalf("GET %s as %q: %v\n%s", path, u.name, err, r.body)
		}
	}
	return r
}

// normalised is an answer as it must be the same for a hidden release and
// one that does not exist: its status, headers (but for the request's id,
// the date and the length, which the id's may change) and body, with the
// id masked.
func normalised(r response, id string) string {
	h := r.header.Clone()
	h.Del("Date")
	h.Del("X-Request-Id")
	h.Del("Content-Length")
	var hd bytes.Buffer
	h.Write(&hd)
	return fmt.Sprintf("%d\n%s\n%s", r.status, hd.String(), bytes.ReplaceAll(r.body, []byte(id), []byte("ID")))
}

// hidden fails unless GET path, which names id, is answered exactly as
// it is for an id nothing has.
func (c *rlCheck) hidden(u refUser, path, id string, q url.Values) {
	c.t.Helper()
	got := c.get(u, path, q, id, nil)
	other := strings.Replace(path, id, c.unknownID(), 1)
	key := u.name + " " + other + "?" + q.Encode()
	c.mu.Lock()
	want, ok := c.unknown[key]
	c.mu.Unlock()
	if !ok {
		want = c.get(u, other, q, c.unknownID(), nil)
		c.mu.Lock()
		c.unknown[key] = want
		c.mu.Unlock()
	}
	if normalised(got, id) != normalised(want, c.unknownID()) {
		c.t.Errorf("%q: GET %s is not answered as for an id nothing has:\n%s\n--- an unknown id:\n%s", u.name, path, normalised(got, id), normalised(want, c.unknownID()))
	}
}

func (c *rlCheck) unknownID() string { return "5eed0000-0000-4000-8000-000000000404" }

// base is where u reads releases: without a token the public paths.
func rlBase(u refUser) string {
	if u.name == "" {
		return "/api/v1/public/releases"
	}
	return "/api/v1/releases"
}

func (c *rlCheck) checkREST(u refUser) {
	t, w := c.t, c.w
	// The listing: exactly what u sees, newest first, in pages.
	var want []string
	for _, r := range slices.Backward(w.releases) {
		cell, addr := w.seesCell(u, r), w.addressing(u, r)
		if !cell && addr == "" {
			continue
		}
		rev := 0
		if cell {
			rev = r.revision
		}
		state, updated := w.shown(u, r)
		want = append(want, fmt.Sprintf("%s %s %s %s rev %d to %q at %s", r.id, r.title, state, r.tlp, rev, addr, updated.UTC().Format(time.RFC3339)))
	}
	got := c.list(u, rlBase(u), nil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%q lists (-model +got):\n%s", u.name, diff)
	}
	states := []mosaic.ReleaseState{mosaic.ReleaseDraft, mosaic.ReleaseAwaitingConsent, mosaic.ReleaseReady, mosaic.ReleasePublished, mosaic.ReleaseWithdrawn}
	// With a filter on the states, as the viewer is shown them: an
	// organisation asked cannot pick out the releases that are ready.
	pick := slices.Compact([]string{string(states[c.rng.IntN(len(states))]), string(states[c.rng.IntN(len(states))])})
	var wantF []string
	for _, line := range want {
		if slices.ContainsFunc(pick, func(st string) bool { return strings.Contains(line, " "+st+" ") }) {
			wantF = append(wantF, line)
		}
	}
	if diff := cmp.Diff(wantF, c.list(u, rlBase(u), url.Values{"state": {strings.Join(pick, ",")}})); diff != "" {
		t.Errorf("%q lists state=%v (-model +got):\n%s", u.name, pick, diff)
	}
	// The public paths with a token serve what they serve without one.
	if u.name != "" && c.rng.IntN(4) == 0 {
		pub := c.list(refUser{}, "/api/v1/public/releases", nil)
		if diff := cmp.Diff(pub, c.list(u, "/api/v1/public/releases", nil)); diff != "" {
			t.Errorf("%q lists the public path (-without a token +with):\n%s", u.name, diff)
		}
	}

	formats := []string{"stix", "misp", "csv", "ip", "domain", "url", "hash"}
	for _, r := range w.releases {
		path := rlBase(u) + "/" + r.id
		cell, addr := w.seesCell(u, r), w.addressing(u, r)
		switch {
		case !cell && addr == "":
			c.hidden(u, path, r.id, nil)
		case cell:
			c.checkCell(u, r, path)
		default:
			var d api.Delivery
			if resp := c.get(u, path, nil, "", &d); resp.status != 200 {
				t.Errorf("%q reads %s: %d %s", u.name, r.id, resp.status, resp.body)
				continue
			}
			c.checkDelivery(u, r, d)
		}
		// The sealed snapshot, for its recipients only.
		if addr == "" {
			c.hidden(u, path+"/snapshot", r.id, nil)
		} else {
			resp := c.get(u, path+"/snapshot", nil, "", nil)
			sealed, err := release.Verify(resp.body, w.keys.PublicKeys())
			var snap struct{ ID, Recipient, Title string }
			if resp.status != 200 || err != nil || json.Unmarshal(sealed.Snapshot, &snap) != nil || snap.ID != r.id || snap.Recipient != addr || snap.Title != r.title {
				t.Errorf("%q's snapshot of %s: %d %v %+v, want to %s", u.name, r.id, resp.status, err, snap, addr)
			}
		}
		if u.name == "" {
			continue // nothing else is served without a token
		}
		// The withdrawal entry.
		switch {
		case addr == "":
			c.hidden(u, path+"/withdrawal", r.id, nil)
		case r.state == mosaic.ReleaseWithdrawn:
			resp := c.get(u, path+"/withdrawal", nil, "", nil)
			if wd, err := release.VerifyWithdrawal(resp.body, w.keys.PublicKeys()); resp.status != 200 || err != nil || wd.Release != r.id {
				t.Errorf("%q's withdrawal entry of %s: %d %v", u.name, r.id, resp.status, err)
			}
		default:
			if resp := c.get(u, path+"/withdrawal", nil, "", nil); resp.status != 404 {
				t.Errorf("%q's withdrawal entry of %s, not withdrawn: %d", u.name, r.id, resp.status)
			}
		}
		// Feedback: exactly whose the model says.
		if reads, ok := w.feedbackOrgs(u, r); !ok {
			c.hidden(u, path+"/feedback", r.id, nil)
		} else {
			var fb mosaic.Feedback
			resp := c.get(u, path+"/feedback", nil, "", &fb)
			var want, got []string
			for _, f := range r.feedback {
				if reads(f.org) {
					want = append(want, f.org+" "+f.user+" "+f.token)
				}
			}
			for _, rc := range fb.Receipts {
				got = append(got, rc.Org+" "+rc.User+" "+rc.Comment)
			}
			for _, s := range fb.Sightings {
				var o struct{ ID string }
				json.Unmarshal(s.Sighting, &o)
				got = append(got, s.Org+" "+s.User+" "+o.ID)
			}
			sort.Strings(want)
			sort.Strings(got)
			if resp.status != 200 {
				t.Errorf("%q reads the feedback on %s: %d %s", u.name, r.id, resp.status, resp.body)
			} else if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%q reads the feedback on %s (-model +got):\n%s", u.name, r.id, diff)
			}
		}
		// The cell-side record: the drafting organisation's, once
		// published, for who sees every item (as publishing is); anyone
		// else is answered as for a release that does not exist.
		if w.staff(u) && u.org == r.drafter.org && r.published() && w.complete(u, r) {
			c.checkRecord(u, r, path)
		} else {
			c.hidden(u, path+"/record", r.id, nil)
		}
		// Exports: what was delivered, as long as it is not withdrawn.
		fs := []string{formats[c.rng.IntN(len(formats))]}
		if addr != "" && r.state == mosaic.ReleasePublished {
			fs = []string{"stix"}
			if c.rng.IntN(3) == 0 {
				fs = append(fs, formats[1+c.rng.IntN(len(formats)-1)])
			}
		}
		for _, f := range fs {
			q := url.Values{"format": {f}}
			switch {
			case addr == "":
				c.hidden(u, path+"/export", r.id, q)
			case r.state == mosaic.ReleaseWithdrawn:
				if resp := c.get(u, path+"/export", q, "", nil); resp.status != 409 {
					t.Errorf("%q exports withdrawn %s: %d", u.name, r.id, resp.status)
				}
			default:
				resp := c.get(u, path+"/export", q, "", nil)
				if resp.status != 200 {
					t.Errorf("%q exports %s as %s: %d %s", u.name, r.id, f, resp.status, resp.body)
				}
				if f == "stix" {
					for _, o := range w.bundleOf(t, r) {
						if o.Type != "marking-definition" && !bytes.Contains(resp.body, []byte(o.ID)) {
							t.Errorf("%q's STIX export of %s lacks %s", u.name, r.id, o.ID)
						}
					}
				}
			}
		}
	}
	// Ids nobody has: answered alike, whatever the id.
	for range 2 {
		id := rlUUID(c.rng)
		a, b := c.get(u, rlBase(u)+"/"+id, nil, id, nil), c.get(u, rlBase(u)+"/"+c.unknownID(), nil, c.unknownID(), nil)
		if normalised(a, id) != normalised(b, c.unknownID()) || a.status != 404 {
			t.Errorf("%q: two unknown ids answered differently:\n%s\n%s", u.name, normalised(a, id), normalised(b, c.unknownID()))
		}
	}
}

// list pages through a listing of releases, in pages of random size.
func (c *rlCheck) list(u refUser, path string, q url.Values) []string {
	c.t.Helper()
	q = cloneValues(q)
	q.Set("limit", fmt.Sprint(1+c.rng.IntN(5)))
	var out []string
	for range 1000 {
		var page api.ReleasePage
		if r := c.get(u, path, q, "", &page); r.status != 200 {
			c.t.Fatalf("%q lists %s %v: %d %s", u.name, path, q, r.status, r.body)
		}
		for _, s := range page.Releases {
			out = append(out, fmt.Sprintf("%s %s %s %s rev %d to %q at %s", s.ID, s.Title, s.State, s.TLP, s.Revision, s.Recipient, s.Updated.UTC().Format(time.RFC3339)))
		}
		if page.Next == "" {
			return out
		}
		q.Set("cursor", page.Next)
	}
	c.t.Fatal("the listing does not end")
	return nil
}

// checkCell checks the cell's side of a release as u is shown it: its
// items and consents as the model says, nothing of the items it may not
// see, and what was delivered to it.
func (c *rlCheck) checkCell(u refUser, r *rlRelease, path string) {
	t, w := c.t, c.w
	var rel api.Release
	resp := c.get(u, path, nil, "", &rel)
	if resp.status != 200 {
		t.Errorf("%q reads %s: %d %s", u.name, r.id, resp.status, resp.body)
		return
	}
	state, updated := w.shown(u, r)
	tlp := w.levelShown(u, r)
	if rel.Revision != r.revision || rel.State != state || !rel.Updated.Equal(updated) || rel.TLP != tlp || rel.Title != r.title || rel.Advice != r.advice ||
		rel.DrafterOrg != r.drafter.org || !slices.Equal(rel.Recipients, r.recipients) || rel.Supersedes != r.supersedes {
		t.Errorf("%q reads %s: rev %d %s at %s %s %q %q by %s to %v superseding %q; want rev %d %s at %s %s %q %q by %s to %v superseding %q", u.name, r.id,
			rel.Revision, rel.State, rel.Updated, rel.TLP, rel.Title, rel.Advice, rel.DrafterOrg, rel.Recipients, rel.Supersedes,
			r.revision, state, updated, tlp, r.title, r.advice, r.drafter.org, r.recipients, r.supersedes)
	}
	seen := w.itemsSeen(u, r)
	var want, got []string
	for _, x := range seen {
		want = append(want, fmt.Sprintf("%s %s@%s@%s", r.role(x), x.id, x.originator, x.modified))
	}
	for _, it := range rel.Items {
		got = append(got, fmt.Sprintf("%s %s@%s@%s", it.Role, it.ID, it.Originator, it.Modified))
		if len(it.Object) == 0 {
			t.Errorf("%q reads %s: item %s without its object", u.name, r.id, it.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%q reads the items of %s (-model +got):\n%s", u.name, r.id, diff)
	}
	var gotC []string
	for _, cs := range rel.Consents {
		var keys []string
		var m map[string]json.RawMessage
		json.Unmarshal(cs.Sanitise, &m)
		for k := range m {
			keys = append(keys, strings.ToLower(k))
		}
		sort.Strings(keys)
		gotC = append(gotC, fmt.Sprintf("%s %s %d %v", cs.Org, cs.State, cs.Revision, keys))
	}
	if diff := cmp.Diff(w.consentsSeen(u, r), gotC); diff != "" {
		t.Errorf("%q reads the consents of %s (-model +got):\n%s", u.name, r.id, diff)
	}
	addr := w.addressing(u, r)
	switch {
	case addr == "" && rel.Delivery != nil:
		t.Errorf("%q reads %s as delivered to %s", u.name, r.id, rel.Delivery.Recipient)
	case addr != "" && rel.Delivery == nil:
		t.Errorf("%q reads %s without its delivery to %s", u.name, r.id, addr)
	case addr != "":
		c.checkDelivery(u, r, *rel.Delivery)
	}
	// Nothing of what it may not see: not the items, not their values,
	// not others' reasons and rewrites, outside what was delivered to it.
	var m map[string]json.RawMessage
	json.Unmarshal(resp.body, &m)
	delete(m, "delivery")
	cellSide := mustJSON(m)
	var secrets []string
	visible := w.itemsVisible(u, r) // of a release discarded too
	for _, x := range r.items() {
		if slices.Contains(visible, x) {
			continue
		}
		secrets = append(secrets, x.uuid())
		for _, s := range x.secrets {
			secrets = append(secrets, s.value)
		}
	}
	for _, org := range r.asked() {
		cs := r.consents[org]
		if slices.ContainsFunc(w.consentsSeen(u, r), func(s string) bool { return strings.HasPrefix(s, org+" ") }) {
			for id, s := range cs.san {
				if org == u.org || slices.ContainsFunc(visible, func(x *rlRec) bool { return x.id == id }) {
					continue
				}
				secrets = append(secrets, slices.Collect(maps.Values(s.Rewrite))...)
			}
			continue
		}
		if cs.reason != "" {
			secrets = append(secrets, cs.reason)
		}
		for _, s := range cs.san {
			secrets = append(secrets, slices.Collect(maps.Values(s.Rewrite))...)
		}
	}
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(cellSide), strings.ToLower(s)) && !w.shownAnyway(visible, s) {
			t.Errorf("LEAK: %q reads %q in %s, which it may not see:\n%s", u.name, s, r.id, cellSide)
		}
	}
}

// shownAnyway reports whether s is in one of the objects seen, which
// the viewer reads anyway: a relationship it sees names its ends, seen
// or not.
func (w *rlWorld) shownAnyway(seen []*rlRec, s string) bool {
	// (A relationship's ends are the only such values here.)
	return slices.ContainsFunc(seen, func(x *rlRec) bool { return strings.Contains(strings.ToLower(x.obj), strings.ToLower(s)) })
}

// checkDelivery checks a release as delivered to u.
func (c *rlCheck) checkDelivery(u refUser, r *rlRelease, d api.Delivery) {
	t, w := c.t, c.w
	if d.ID != r.id || d.Title != r.title || d.Advice != r.advice || d.TLP != r.tlp || d.Recipient != w.addressing(u, r) || d.Supersedes != r.supersedes ||
		d.Withdrawn.IsZero() != (r.state != mosaic.ReleaseWithdrawn) || d.WithdrawReason != r.withdrawReason || d.Digest == "" || len(d.Signature) == 0 {
		t.Errorf("%q receives %s: %q %q %s to %s superseding %q, withdrawn %q; want %q %q %s to %s superseding %q, withdrawn %q", u.name, r.id,
			d.Title, d.Advice, d.TLP, d.Recipient, d.Supersedes, d.WithdrawReason, r.title, r.advice, r.tlp, w.addressing(u, r), r.supersedes, r.withdrawReason)
	}
	w.bundleOf(t, r)
	if !bytes.Equal(d.Bundle, r.bundle) {
		t.Errorf("%q receives another bundle of %s than another recipient", u.name, r.id)
	}
}

// checkBundles checks each published release's bundle against the
// model: the cell's identity, a TLP definition per level used, and one
// released object per object kept, carrying exactly the values its
// sanitisation kept, and nothing of its sources.
func (c *rlCheck) checkBundles() {
	t, w := c.t, c.w
	for _, r := range w.releases {
		if !r.published() {
			continue
		}
		objs := w.bundleOf(t, r)
		levels := map[mosaic.TLP]bool{}
		for _, x := range r.kept() {
			levels[r.levelOf(x, true)] = true
		}
		count := map[string]int{}
		for _, o := range objs {
			count[o.Type]++
		}
		if count["identity"] != 1 || count["marking-definition"] != len(levels) || len(objs) != 1+len(levels)+len(r.kept()) {
			t.Errorf("the bundle of %s holds %v, want the cell, %d levels and %d objects", r.id, count, len(levels), len(r.kept()))
		}
		exposed, removed := r.exposed()
		text := strings.ToLower(string(r.bundle))
		for _, s := range exposed {
			if !strings.Contains(text, strings.ToLower(s)) {
				t.Errorf("the bundle of %s lacks %q, which no sanitisation took away: the test data is not what it seems", r.id, s)
			}
		}
		for _, s := range append(removed, w.always()...) {
			if strings.Contains(text, strings.ToLower(s)) {
				t.Errorf("LEAK: the bundle of %s holds %q", r.id, s)
			}
		}
	}
}

// always is what no released bundle holds: the partners' names,
// identities and users, the legal bases, the source ids of every object
// and source, the reasons of refusals.
func (w *rlWorld) always() []string {
	out := []string{"x_source_note", "external_references"}
	for _, p := range w.partners {
		out = append(out, p, w.full[p], w.identity[p])
	}
	out = append(out, rlBases...)
	for _, x := range w.recs {
		out = append(out, x.uuid())
	}
	out = append(out, w.reasons...)
	return out
}

type rlRecord struct {
	Release    string              `json:"release"`
	Revision   int                 `json:"revision"`
	Digest     string              `json:"digest"`
	LegalBases map[string][]string `json:"legal_bases"`
	Approvals  []struct {
		Org   string `json:"org"`
		State string `json:"state"`
	} `json:"approvals"`
	Sources []rlRecordEntry `json:"sources"`
	Relied  []rlRecordEntry `json:"relied_on"`
}

type rlRecordEntry struct {
	Released    string   `json:"released"`
	Source      string   `json:"source"`
	Modified    string   `json:"modified"`
	Originators []string `json:"originators"`
}

// checkRecord checks the cell-side record against the model: what was
// released of which source, what the release relied on, the legal bases
// and approvals, and each released object against its source.
func (c *rlCheck) checkRecord(u refUser, r *rlRelease, path string) {
	t := c.t
	var rec rlRecord
	if resp := c.get(u, path+"/record", nil, "", &rec); resp.status != 200 {
		t.Errorf("%q reads the record of %s: %d %s", u.name, r.id, resp.status, resp.body)
		return
	}
	var want, got []string
	for _, x := range r.kept() {
		want = append(want, fmt.Sprintf("%s %s [%s]", x.id, x.modified, x.originator))
	}
	released := map[string]string{}
	for _, s := range rec.Sources {
		got = append(got, fmt.Sprintf("%s %s %v", s.Source, s.Modified, s.Originators))
		released[s.Released] = s.Source
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the record of %s maps (-model +got):\n%s", r.id, diff)
	}
	want, got = nil, nil
	for _, x := range r.sources {
		want = append(want, fmt.Sprintf("%s [%s]", x.id, x.originator))
	}
	for _, s := range rec.Relied {
		got = append(got, fmt.Sprintf("%s %v", s.Source, s.Originators))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the record of %s relies on (-model +got):\n%s", r.id, diff)
	}
	bases := map[string][]string{}
	for _, x := range r.items() {
		if !slices.Contains(bases[x.originator], x.basis) {
			bases[x.originator] = append(bases[x.originator], x.basis)
		}
	}
	for _, b := range rec.LegalBases {
		sort.Strings(b)
	}
	for _, b := range bases {
		sort.Strings(b)
	}
	if diff := cmp.Diff(bases, rec.LegalBases); diff != "" {
		t.Errorf("the legal bases of %s (-model +got):\n%s", r.id, diff)
	}
	var approvals []string
	for _, a := range rec.Approvals {
		approvals = append(approvals, a.Org+" "+a.State)
	}
	var wantA []string
	for _, org := range r.asked() {
		wantA = append(wantA, org+" approved")
	}
	if !slices.Equal(approvals, wantA) {
		t.Errorf("the approvals of %s: %v, want %v", r.id, approvals, wantA)
	}
	// Each released object: its source's level, and exactly the values
	// its sanitisation kept.
	var b struct{ Objects []json.RawMessage }
	json.Unmarshal(r.bundle, &b)
	bySource := map[string]*rlRec{}
	for _, x := range r.kept() {
		bySource[x.id] = x
	}
	for _, raw := range b.Objects {
		var o struct {
			ID, Type     string
			CreatedBy    string   `json:"created_by_ref"`
			Markings     []string `json:"object_marking_refs"`
			Extensions   map[string]any
			XSource      any `json:"x_source_note"`
			ExternalRefs any `json:"external_references"`
		}
		json.Unmarshal(raw, &o)
		if o.Type == "identity" || o.Type == "marking-definition" {
			continue
		}
		x := bySource[released[o.ID]]
		if x == nil {
			t.Errorf("the bundle of %s holds %s, which the record maps to no object kept", r.id, o.ID)
			continue
		}
		if o.ID == x.id || !slices.Equal(o.Markings, []string{stix.TLPMarkingID(r.levelOf(x, true))}) || (!x.sco() && o.CreatedBy == "") || o.Extensions != nil || o.XSource != nil || o.ExternalRefs != nil {
			t.Errorf("%s of %s released as %s", x.id, r.id, raw)
		}
		s := r.san(x)
		for _, sec := range x.secrets {
			if in := bytes.Contains(raw, []byte(sec.value)); in == sec.gone(s.Sanitisation) {
				t.Errorf("%s of %s sanitised %+v: %q is there %v: %s", x.id, r.id, s, sec.value, in, raw)
			}
		}
	}
}

// rlCollection is one of u's TAXII collections of released objects.
type rlCollection struct {
	key, id, title string
}

func (c *rlCheck) taxii(u refUser, path string, q url.Values, mask string, out any) response {
	c.t.Helper()
	r := c.do(u, "GET", path, q, map[string]string{"Accept": taxii.MediaType}, nil, mask)
	if out != nil && r.status == 200 {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.t.Fatalf("GET %s as %q: %v\n%s", path, u.name, err, r.body)
		}
	}
	return r
}

const rlRoot = "/taxii2/api/"

// checkTAXII checks u's collections of released objects: which there
// are, and that each holds exactly the versions the releases delivered
// to it hold (a withdrawal's revoked versions too), listed once where
// they first arrived; another's collection and an object a collection
// does not hold are answered as ones that do not exist.
func (c *rlCheck) checkTAXII(u refUser) {
	t, w := c.t, c.w
	for _, p := range []string{"/taxii2/", rlRoot} {
		if r := c.taxii(u, p, nil, "", nil); r.status != 200 {
			t.Errorf("%q: GET %s: %d %s", u.name, p, r.status, r.body)
		}
	}
	var cs taxii.Collections
	if r := c.taxii(u, rlRoot+"collections/", nil, "", &cs); r.status != 200 {
		t.Fatalf("%q's collections: %d %s", u.name, r.status, r.body)
	}
	var want []rlCollection
	if w.receiver(u) {
		want = append(want, rlCollection{key: "org:" + u.org, title: "Releases to " + u.org}, rlCollection{key: "user:" + u.name, title: "Releases to " + u.name})
	}
	want = append(want, rlCollection{key: "public", title: "Public releases"})
	var titles, all []string
	var got []rlCollection
	for _, col := range cs.Collections {
		all = append(all, col.Title)
		if col.Title == "Public releases" || strings.HasPrefix(col.Title, "Releases to ") {
			titles = append(titles, col.Title)
			for _, x := range want {
				if x.title == col.Title {
					x.id = col.ID
					got = append(got, x)
				}
			}
			if col.CanWrite {
				t.Errorf("%q may write to %s", u.name, col.Title)
			}
		}
	}
	var wantTitles []string
	for _, x := range want {
		wantTitles = append(wantTitles, x.title)
	}
	if !slices.Equal(titles, wantTitles) {
		t.Errorf("%q's collections of released objects: %v, want %v", u.name, titles, wantTitles)
	}
	if w.outsider(u) {
		wantAll := wantTitles
		if u.role == mosaic.Auditor && u.grant {
			wantAll = append([]string{"Cell"}, wantAll...)
		}
		if !slices.Equal(all, wantAll) {
			t.Errorf("%q's collections: %v, want %v", u.name, all, wantAll)
		}
	}
	var everyID []string
	for _, r := range w.releases {
		if r.published() {
			for _, o := range w.bundleOf(t, r) {
				everyID = append(everyID, o.ID)
			}
		}
	}
	for _, col := range got {
		c.mu.Lock()
		c.collectionIDs[col.key] = col.id
		c.mu.Unlock()
		path := rlRoot + "collections/" + col.id + "/"
		// The versions the model says, each once.
		model := map[string]json.RawMessage{}
		for _, r := range w.releases {
			if !w.inCollection(col.key, r) {
				continue
			}
			var b struct{ Objects []json.RawMessage }
			json.Unmarshal(r.bundle, &b)
			for _, raw := range b.Objects {
				h := stix.ReadHead(raw)
				k := rlVersionKey(h.ID, h.Modified, h.Created, false)
				if _, ok := model[k]; !ok {
					model[k] = raw
				}
				if r.state == mosaic.ReleaseWithdrawn && h.Modified != "" && h.Type != "identity" && h.Type != "marking-definition" {
					model[rlVersionKey(h.ID, stix.FormatTime(r.withdrawnAt.UTC()), "", true)] = nil
				}
			}
		}
		objs := c.pageTAXII(u, path+"objects/", url.Values{"match[version]": {"all"}}, "objects")
		gotKeys := map[string]bool{}
		for _, raw := range objs {
			var h struct {
				ID, Modified, Created string
				Revoked               bool
			}
			json.Unmarshal(raw, &h)
			k := rlVersionKey(h.ID, h.Modified, h.Created, h.Revoked)
			if gotKeys[k] {
				t.Errorf("%q's %s lists %s twice", u.name, col.title, k)
			}
			gotKeys[k] = true
			if m, ok := model[k]; ok && m != nil && canonicalJSON(t, m) != canonicalJSON(t, raw) {
				t.Errorf("%q's %s serves %s otherwise than released:\n%s\n%s", u.name, col.title, k, raw, m)
			}
		}
		if diff := cmp.Diff(slices.Sorted(maps.Keys(model)), slices.Sorted(maps.Keys(gotKeys))); diff != "" {
			t.Errorf("%q's %s holds (-model +got):\n%s", u.name, col.title, diff)
		}
		var wantM, gotM []string
		for k := range model {
			id, _, _ := strings.Cut(k, "|")
			if strings.HasPrefix(id, "ipv4-addr--") {
				wantM = append(wantM, id)
			} else {
				wantM = append(wantM, strings.TrimSuffix(strings.TrimSuffix(k, "|revoked"), "|"))
			}
		}
		for _, raw := range c.pageTAXII(u, path+"manifest/", url.Values{"match[version]": {"all"}}, "manifest") {
			var m taxii.ManifestRecord
			json.Unmarshal(raw, &m)
			if strings.HasPrefix(m.ID, "ipv4-addr--") {
				gotM = append(gotM, m.ID)
			} else {
				gotM = append(gotM, m.ID+"|"+m.Version)
			}
		}
		sort.Strings(wantM)
		sort.Strings(gotM)
		if diff := cmp.Diff(wantM, gotM); diff != "" {
			t.Errorf("%q's %s manifest (-model +got):\n%s", u.name, col.title, diff)
		}
		// A few objects it does not hold, answered as one nobody has.
		held := map[string]bool{}
		for k := range model {
			id, _, _ := strings.Cut(k, "|")
			held[id] = true
		}
		missing := "indicator--" + c.unknownID()
		none := c.taxii(u, path+"objects/"+missing+"/", nil, missing, nil)
		for _, i := range c.rng.Perm(len(everyID))[:min(4, len(everyID))] {
			id := everyID[i]
			r := c.taxii(u, path+"objects/"+id+"/", nil, id, nil)
			switch {
			case held[id] && r.status != 200:
				t.Errorf("%q's %s does not serve %s: %d %s", u.name, col.title, id, r.status, r.body)
			case !held[id] && normalised(r, id) != normalised(none, missing):
				t.Errorf("%q's %s answers for %s, which it does not hold:\n%s\nfor one nobody has:\n%s", u.name, col.title, id, normalised(r, id), normalised(none, missing))
			}
		}
	}
}

// checkOthersCollections checks that every collection of released
// objects u does not receive is answered as one that does not exist.
func (c *rlCheck) checkOthersCollections(u refUser) {
	t, w := c.t, c.w
	mine := map[string]bool{"public": true}
	if w.receiver(u) {
		mine["org:"+u.org], mine["user:"+u.name] = true, true
	}
	nobody := c.unknownID()
	for _, p := range []string{"", "objects/", "manifest/"} {
		want := c.taxii(u, rlRoot+"collections/"+nobody+"/"+p, nil, nobody, nil)
		for _, key := range slices.Sorted(maps.Keys(c.collectionIDs)) {
			id := c.collectionIDs[key]
			if mine[key] {
				continue
			}
			got := c.taxii(u, rlRoot+"collections/"+id+"/"+p, nil, id, nil)
			if normalised(got, id) != normalised(want, nobody) {
				t.Errorf("%q reads %s's collection %s:\n%s\none nobody has:\n%s", u.name, key, p, normalised(got, id), normalised(want, nobody))
			}
		}
	}
}

func rlVersionKey(id, modified, created string, revoked bool) string {
	v := modified
	if v == "" {
		v = created
	}
	k := id + "|" + v
	if revoked {
		k += "|revoked"
	}
	return k
}

func canonicalJSON(t *testing.T, raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return mustJSON(v)
}

// pageTAXII pages through a TAXII listing in pages of random size.
func (c *rlCheck) pageTAXII(u refUser, path string, q url.Values, what string) []json.RawMessage {
	c.t.Helper()
	q = cloneValues(q)
	q.Set("limit", fmt.Sprint(3+c.rng.IntN(10)))
	var out []json.RawMessage
	for range 1000 {
		var page struct {
			More    bool              `json:"more"`
			Next    string            `json:"next"`
			Objects []json.RawMessage `json:"objects"`
		}
		if r := c.taxii(u, path, q, "", &page); r.status != 200 {
			c.t.Fatalf("%q: GET %s %v: %d %s", u.name, path, q, r.status, r.body)
		}
		out = append(out, page.Objects...)
		if !page.More {
			return out
		}
		q.Set("next", page.Next)
	}
	c.t.Fatalf("the %s of %s do not end", what, path)
	return nil
}

// search looks for what u may never be served in everything it was.
func (c *rlCheck) search(u refUser) {
	w := c.w
	// What was delivered to u may show what its sanitisations kept.
	allowed := map[string]bool{}
	for _, r := range w.releases {
		if w.addressing(u, r) != "" {
			exposed, _ := r.exposed()
			for _, s := range exposed {
				allowed[s] = true
			}
		}
	}
	var forbidden []string
	add := func(ss ...string) {
		for _, s := range ss {
			if s == "" {
				c.t.Fatalf("an empty string to search for")
			}
			if !allowed[s] {
				forbidden = append(forbidden, s)
			}
		}
	}
	add(w.always()...)
	for _, x := range w.recs {
		for _, s := range x.secrets {
			add(s.value)
		}
	}
	add(w.rewrites...)
	for _, o := range append(slices.Clone(w.stakeholders), "auditbody") {
		if o != u.org {
			add(o, w.full[o], "org:"+o)
		}
	}
	add(w.comps...)
	for _, v := range w.users {
		if v.org != u.org || w.orgs[v.org].kind == mosaic.Partner {
			add(v.name)
		}
	}
	for _, s := range rlSectors {
		if !slices.Contains(w.sectors[u.org], s) {
			add("sector:" + s)
		}
	}
	for _, r := range w.releases {
		if w.addressing(u, r) == "" {
			add(r.id, r.title, r.advice)
			if r.withdrawReason != "" {
				add(r.withdrawReason)
			}
		}
		for _, f := range r.feedback {
			if f.org != u.org {
				add(f.token)
			}
		}
	}
	var all bytes.Buffer
	seen := map[string]bool{}
	for _, b := range append(c.seen[u.name], w.served[u.name]...) {
		if !seen[string(b)] {
			seen[string(b)] = true
			all.Write(bytes.ToLower(b))
			all.WriteByte(0)
		}
	}
	for _, s := range forbidden {
		if i := bytes.Index(all.Bytes(), []byte(strings.ToLower(s))); i >= 0 {
			from, to := max(0, i-300), min(all.Len(), i+300)
			c.t.Errorf("LEAK: %q was served %q:\n…%s…", u.name, s, all.Bytes()[from:to])
		}
	}
}
