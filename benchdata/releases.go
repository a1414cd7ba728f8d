package benchdata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
	"mosaic/stix"
)

// ReleaseSpec sizes the releases AddReleases makes on top of a corpus.
type ReleaseSpec struct {
	Releases     int
	Stakeholders int // stakeholder organisations, one user each, spread over StakeholderSectors
	Seed         uint64
}

// TenThousandReleases is the population of the release pages' goal:
// 10,000 releases over the 1,000,000-object corpus.
var TenThousandReleases = ReleaseSpec{Releases: 10_000, Stakeholders: 100, Seed: 1}

// StakeholderSectors are the sectors of the stakeholder organisations, in
// turn: stakeholder i is in StakeholderSectors[i%5].
var StakeholderSectors = []string{"energy", "healthcare", "financial-services", "telecommunications", "transportation"}

// NCSC is the partner organisation that drafts releases of what others
// shared, and reads every recipient's feedback (config's default
// release_feedback_readers).
const NCSC = "ncsc"

// ReleaseFixture describes what AddReleases made: the counts of the mix,
// and the users and releases the page benchmarks open.
type ReleaseFixture struct {
	Spec ReleaseSpec
	// The mix, by what became of each release.
	Published, Withdrawn, ToPublic, Awaiting, Held int
	Receipts, Sightings                            int
	Stakeholders                                   []string // one user per stakeholder organisation
	Liaisons                                       []string // partner organisation i's liaison at index i
	NCSCAnalyst, NCSCLiaison                       string

	// Stakeholder receives Big, a published release of 50 objects.
	Stakeholder, Big string
	// Liaison's organisation is asked to consent to Pending.
	Liaison, Pending string
	// Analyst's organisation holds Draft, not yet sent to anyone.
	Analyst, Draft string
	// Public is a release to the public.
	Public string
	// BuildTime is how long AddReleases took.
	BuildTime time.Duration
}

// Releases is how many releases the fixture holds.
func (r *ReleaseFixture) Releases() int {
	return r.Published + r.Withdrawn + r.ToPublic + r.Awaiting + r.Held
}

// ReleaseStart is when the first release is drafted; the rest follow over
// the corpus's last month, up to a day before the picture benchmark's now.
var ReleaseStart = time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC)

// ReleaseClock is the clock of the store and the content service while
// releases are made: it moves only when told, so that the releases spread
// over the corpus's last month. Until it is first set it is the system
// clock, which the corpus is built with.
type ReleaseClock struct{ t time.Time }

// Now returns the clock's time.
func (c *ReleaseClock) Now() time.Time {
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *ReleaseClock) add(d time.Duration) { c.t = c.t.Add(d) }

type discardAudit struct{}

func (discardAudit) Record(mosaic.AuditEntry) error { return nil }

// ReleaseService is a content service on s with releases signed by keys,
// configured as a server is by default (the NCSC reads all feedback).
func ReleaseService(s mosaic.Store, keys *release.Keys, clock mosaic.Clock) *content.Service {
	svc := content.New(s, IngestConfig, discardAudit{}, clock)
	svc.EnableReleases(s.(content.ReleaseStore), content.ReleaseConfig{Keys: keys, CellName: "Bench cell", FeedbackReaders: []string{NCSC}})
	return svc
}

// pool holds the objects one organisation may release, by how far they
// may go: CLEAR to the public, GREEN (and CLEAR) to sectors, any level to
// named organisations.
type pool struct {
	clear, green, any []content.Pin
	// What it shared with the cell, which other partners may pin too.
	cellClear, cellGreen []content.Pin
}

// AddReleases makes spec.Releases releases on s, a corpus f that Populate
// made, through the content service as their users would: stakeholder
// organisations and their users, a liaison for every partner and the
// NCSC (an analyst and a liaison) are added first. Partner analysts and
// the NCSC's analyst draft releases of 5 to 50 objects they can see
// (every object is ORCON, so each release asks its originators); 75% are
// published with their consent to a sector or to one to three named
// stakeholders (11% with the objects of another partner, whose liaison
// approves), 5% are published and withdrawn, 8% go to the public (CLEAR
// objects only), 8% await the consent of another partner's liaison, and
// 4% are held as drafts. Half the published ones get receipts from
// one to three recipients, a fifth a sighting. s must have been opened
// with clock, which AddReleases moves from ReleaseStart on. progress is
// called with the number of releases made.
func AddReleases(ctx context.Context, s mosaic.Store, clock *ReleaseClock, f *Fixture, spec ReleaseSpec, keys *release.Keys, progress func(int)) (*ReleaseFixture, error) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(spec.Seed, 11))
	clock.t = ReleaseStart
	svc := ReleaseService(s, keys, clock)
	a := mosaic.AuditEntry{User: "bench", Action: "setup", Decision: mosaic.Allowed}
	rf := &ReleaseFixture{Spec: spec}

	user := func(name, org string, kind mosaic.OrgKind, role mosaic.Role) (mosaic.Viewer, error) {
		u := mosaic.User{Name: name, Org: org, Role: role}
		if err := s.CreateUser(ctx, &u, "", a); err != nil {
			return mosaic.Viewer{}, err
		}
		return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: u.OrgID, Org: org, OrgKind: kind, Role: role}, nil
	}
	ncsc := mosaic.Organisation{Name: NCSC, FullName: "National Cyber Security Centre", Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := s.CreateOrg(ctx, &ncsc, a); err != nil {
		return nil, err
	}
	ncscAnalyst, err := user(NCSC+"-analyst", NCSC, mosaic.Partner, mosaic.Analyst)
	if err != nil {
		return nil, err
	}
	ncscLiaison, err := user(NCSC+"-liaison", NCSC, mosaic.Partner, mosaic.Liaison)
	if err != nil {
		return nil, err
	}
	rf.NCSCAnalyst, rf.NCSCLiaison = ncscAnalyst.User, ncscLiaison.User

	var analysts, liaisons []mosaic.Viewer
	for i, name := range f.Users {
		u, err := s.User(ctx, name)
		if err != nil {
			return nil, err
		}
		analysts = append(analysts, mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: u.OrgID, Org: u.Org, OrgKind: mosaic.Partner, Role: u.Role})
		l, err := user(fmt.Sprintf("org%02d-liaison", i), u.Org, mosaic.Partner, mosaic.Liaison)
		if err != nil {
			return nil, err
		}
		liaisons = append(liaisons, l)
		rf.Liaisons = append(rf.Liaisons, l.User)
	}
	liaisonOf := map[string]mosaic.Viewer{NCSC: ncscLiaison}
	for _, l := range liaisons {
		liaisonOf[l.Org] = l
	}

	var stakeholders []mosaic.Viewer
	bySector := map[string][]mosaic.Viewer{}
	for i := range spec.Stakeholders {
		sector := StakeholderSectors[i%len(StakeholderSectors)]
		o := mosaic.Organisation{Name: fmt.Sprintf("sh%03d", i), FullName: fmt.Sprintf("Stakeholder %d", i), Kind: mosaic.Stakeholder, Sectors: []string{sector}}
		if err := s.CreateOrg(ctx, &o, a); err != nil {
			return nil, err
		}
		v, err := user(o.Name+"-user", o.Name, mosaic.Stakeholder, mosaic.StakeholderViewer)
		if err != nil {
			return nil, err
		}
		stakeholders = append(stakeholders, v)
		bySector[sector] = append(bySector[sector], v)
		rf.Stakeholders = append(rf.Stakeholders, v.User)
	}

	// Partners draft from what they contributed; in a corpus smaller than
	// the whole, some contributed nothing, and draft nothing.
	pools := make([]pool, len(analysts))
	var able []int
	for i, v := range analysts {
		if pools[i], err = poolOf(ctx, s, v); err != nil {
			return nil, err
		}
		if p := pools[i]; min(len(p.clear), len(p.green), len(p.any), len(p.cellClear), len(p.cellGreen)) >= 50 {
			able = append(able, i)
		}
	}
	if len(able) < 2 {
		return nil, fmt.Errorf("%d partners have objects enough to release (50 of each kind); releases need two: the corpus is too small", len(able))
	}

	// The releases the page benchmarks open are made last, so that they
	// are among the newest, where the lists start.
	benchAnalyst, benchLiaison := able[0], able[1] // the first partner drafts them, the second is asked
	const benchStakeholder = 0                     // sh000 (energy) receives Big
	rf.Analyst, rf.Liaison, rf.Stakeholder = analysts[benchAnalyst].User, liaisons[benchLiaison].User, stakeholders[benchStakeholder].User
	step := 30 * 24 * time.Hour / time.Duration(max(1, spec.Releases))
	access := func(action string) content.Access { return content.Access{Action: action, Detail: "bench"} }
	fail := func(n int, what string, err error) error {
		var probs []mosaic.Problem
		if me, ok := err.(*mosaic.Error); ok {
			probs = me.Problems
		}
		return fmt.Errorf("release %d, %s: %w %+v", n, what, err, probs)
	}

	one := func(n int) error {
		clock.t = ReleaseStart.Add(time.Duration(n) * step)
		kind := releaseKind(rng)
		drafterIx := -1 // the NCSC drafts one in 11
		if d := rng.IntN(len(able) + len(able)/10); d < len(able) {
			drafterIx = able[d]
		}
		count := 5 + rng.IntN(46)
		switch spec.Releases - 1 - n {
		case 0:
			kind, drafterIx, count = kindBig, benchAnalyst, 50
		case 1:
			kind, drafterIx = kindAwaiting, benchAnalyst
		case 2:
			kind, drafterIx = kindHeld, benchAnalyst
		case 3:
			kind = kindPublic
		}
		drafter, own := ncscAnalyst, (*pool)(nil)
		if drafterIx >= 0 {
			drafter, own = analysts[drafterIx], &pools[drafterIx]
		}
		// Another partner whose ORCON objects the release may hold.
		other := able[rng.IntN(len(able))]
		if other == drafterIx || n == spec.Releases-2 {
			other = benchLiaison
			if drafterIx == benchLiaison {
				other = benchAnalyst
			}
		}
		theirs := &pools[other]
		var pins []content.Pin
		var to []string
		switch kind {
		case kindPublic:
			if own == nil {
				pins = pick(rng, theirs.cellClear, count)
			} else {
				pins = pick(rng, own.clear, count)
			}
			to = []string{"public"}
		case kindSector, kindBig, kindCrossSector, kindWithdrawn:
			switch {
			case own == nil:
				pins = pick(rng, theirs.cellGreen, count)
			case kind == kindCrossSector:
				pins = append(pick(rng, own.green, count/2), pick(rng, theirs.cellGreen, count-count/2)...)
			default:
				pins = pick(rng, own.green, count)
			}
			sector := StakeholderSectors[rng.IntN(len(StakeholderSectors))]
			if kind == kindBig {
				sector = StakeholderSectors[benchStakeholder%len(StakeholderSectors)]
			}
			to = []string{"sector:" + sector}
		case kindOrgs, kindAwaiting, kindHeld:
			switch {
			case own == nil:
				pins = pick(rng, theirs.cellGreen, count)
			case kind == kindAwaiting:
				pins = append(pick(rng, own.any, count/2), pick(rng, theirs.cellGreen, count-count/2)...)
			default:
				pins = pick(rng, own.any, count)
			}
			for _, i := range rng.Perm(len(stakeholders))[:1+rng.IntN(3)] {
				to = append(to, "org:"+stakeholders[i].Org)
			}
		}
		d := content.Draft{
			Title:      fmt.Sprintf("Release %d: %s %s, block and hunt", n, vocabulary[rng.IntN(len(vocabulary))], vocabulary[rng.IntN(len(vocabulary))]),
			Advice:     "1. Block the addresses and domains in this release at your edge for a month.\n2. Search your firewall and DNS logs of the last month for them.\n3. Report a hit to the cell's liaison desk.",
			Recipients: to, Objects: pins, Hold: kind == kindHeld,
		}
		r, err := svc.DraftRelease(ctx, drafter, d, access("releases.draft"))
		if err != nil {
			return fail(n, "draft", err)
		}
		switch spec.Releases - 1 - n {
		case 0:
			rf.Big = r.ID
		case 1:
			rf.Pending = r.ID
		case 2:
			rf.Draft = r.ID
		case 3:
			rf.Public = r.ID
		}
		if kind == kindHeld {
			rf.Held++
			return nil
		}
		clock.add(time.Minute)
		for _, c := range r.Consents {
			if kind == kindAwaiting && c.Org != drafter.Org {
				continue // the other partner's liaison has not decided yet
			}
			if _, err := svc.Consent(ctx, liaisonOf[c.Org], r.ID, content.Consent{Revision: r.Revision, Decision: content.DecideApprove}, access("releases.consent")); err != nil {
				return fail(n, "consent of "+c.Org, err)
			}
		}
		if kind == kindAwaiting {
			rf.Awaiting++
			return nil
		}
		clock.add(time.Minute)
		if _, err := svc.Publish(ctx, drafter, r.ID, r.Revision, access("releases.publish")); err != nil {
			return fail(n, "publish", err)
		}
		if kind == kindPublic {
			rf.ToPublic++
			return nil
		}
		// Feedback comes from those who received it: the sector's
		// stakeholders or the organisations named.
		var recipients []mosaic.Viewer
		for _, rc := range to {
			kind, name, _ := strings.Cut(rc, ":")
			switch kind {
			case "sector":
				recipients = append(recipients, bySector[name]...)
			case "org":
				recipients = append(recipients, stakeholders[slices.IndexFunc(stakeholders, func(v mosaic.Viewer) bool { return v.Org == name })])
			}
		}
		if rng.IntN(2) == 0 {
			for _, i := range rng.Perm(len(recipients))[:min(len(recipients), 1+rng.IntN(3))] {
				clock.add(time.Minute)
				st := mosaic.ReceiptStatuses[rng.IntN(len(mosaic.ReceiptStatuses))]
				if err := svc.Receipt(ctx, recipients[i], r.ID, st, "Forwarded to our SOC; blocks set at the edge.", access("releases.receipt")); err != nil {
					return fail(n, "receipt", err)
				}
				rf.Receipts++
			}
		}
		if rng.IntN(5) == 0 {
			ok, err := sight(ctx, svc, clock, recipients[rng.IntN(len(recipients))], r.ID, 1+rng.IntN(50))
			if err != nil {
				return fail(n, "sighting", err)
			}
			if ok {
				rf.Sightings++
			}
		}
		if kind == kindWithdrawn {
			clock.add(time.Hour)
			if _, err := svc.Withdraw(ctx, drafter, r.ID, "Most of these addresses have moved on; remove the blocks set for this release.", access("releases.withdraw")); err != nil {
				return fail(n, "withdraw", err)
			}
			rf.Withdrawn++
			return nil
		}
		rf.Published++
		return nil
	}
	for n := range spec.Releases {
		if err := one(n); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(n + 1)
		}
	}
	rf.BuildTime = time.Since(start)
	return rf, nil
}

// What becomes of a release.
const (
	kindSector      = iota // published to a sector, the drafter's own objects
	kindOrgs               // published to named stakeholders
	kindCrossSector        // published to a sector, with another partner's objects
	kindWithdrawn          // published to a sector, then withdrawn
	kindPublic             // published to the public
	kindAwaiting           // awaiting another partner's consent
	kindHeld               // a draft held by its drafters
	kindBig                // the page benchmarks' release of 50 objects
)

func releaseKind(rng *rand.Rand) int {
	switch p := rng.IntN(100); {
	case p < 34:
		return kindSector
	case p < 64:
		return kindOrgs
	case p < 75:
		return kindCrossSector
	case p < 80:
		return kindWithdrawn
	case p < 88:
		return kindPublic
	case p < 96:
		return kindAwaiting
	}
	return kindHeld
}

// pick returns n pins of from, none twice.
func pick(rng *rand.Rand, from []content.Pin, n int) []content.Pin {
	out := make([]content.Pin, 0, n)
	for _, i := range rng.Perm(len(from))[:min(n, len(from))] {
		out = append(out, from[i])
	}
	return out
}

// poolOf reads the objects v's organisation contributed that a release
// may hold (reports are left out: their references point outside the
// corpus), and what it shared with the cell.
func poolOf(ctx context.Context, s mosaic.Store, v mosaic.Viewer) (pool, error) {
	var p pool
	types := []string{"indicator", "ipv4-addr", "domain-name", "malware"}
	read := func(tlps []mosaic.TLP, audience string) ([]content.Pin, error) {
		page, err := s.Objects(ctx, v, mosaic.ObjectFilter{Originators: []string{v.Org}, Types: types, TLPs: tlps, Audience: audience, Limit: 500})
		if err != nil {
			return nil, err
		}
		var out []content.Pin
		for _, o := range page.Objects {
			h := stix.ReadHead(o.Object)
			out = append(out, content.Pin{ID: h.ID, Modified: h.Modified, Originator: o.Envelope.Originator})
		}
		return out, nil
	}
	var err error
	if p.clear, err = read([]mosaic.TLP{mosaic.TLPClear}, ""); err != nil {
		return p, err
	}
	if p.green, err = read([]mosaic.TLP{mosaic.TLPClear, mosaic.TLPGreen}, ""); err != nil {
		return p, err
	}
	if p.any, err = read(nil, ""); err != nil {
		return p, err
	}
	if p.cellClear, err = read([]mosaic.TLP{mosaic.TLPClear}, "cell"); err != nil {
		return p, err
	}
	p.cellGreen, err = read([]mosaic.TLP{mosaic.TLPClear, mosaic.TLPGreen}, "cell")
	return p, err
}

// sight has v report a sighting of the first indicator of release id, as
// the portal's form sends it; false if the release holds none.
func sight(ctx context.Context, svc *content.Service, clock *ReleaseClock, v mosaic.Viewer, id string, count int) (bool, error) {
	d, err := svc.Delivered(ctx, v, id, content.Access{Action: "releases.export", Detail: "bench"})
	if err != nil {
		return false, err
	}
	var b struct {
		Objects []struct{ ID, Type string } `json:"objects"`
	}
	if err := json.Unmarshal(d.Bundle, &b); err != nil {
		return false, err
	}
	i := slices.IndexFunc(b.Objects, func(o struct{ ID, Type string }) bool { return o.Type == "indicator" })
	if i < 0 {
		return false, nil
	}
	of := b.Objects[i].ID
	clock.add(time.Minute)
	now := clock.Now()
	sighting := map[string]any{
		"type": "sighting", "spec_version": "2.1", "id": "sighting--" + stix.NewUUID(),
		"created": stix.FormatTime(now), "modified": stix.FormatTime(now),
		"first_seen": stix.FormatTime(now.Add(-time.Hour)), "last_seen": stix.FormatTime(now),
		"count": count, "sighting_of_ref": of, "description": "Blocked at the edge.",
	}
	bundle, err := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + stix.NewUUID(), "objects": []any{sighting}})
	if err != nil {
		return false, err
	}
	_, err = svc.ReportSightings(ctx, v, id, bundle, content.Access{Action: "releases.sightings", Detail: "bench"})
	return err == nil, err
}

// EnvReleases overrides the number of releases (default 10,000).
const EnvReleases = "MOSAIC_BENCH_RELEASES"

// ReleaseSpecFromEnv returns TenThousandReleases, sized by
// MOSAIC_BENCH_RELEASES when set.
func ReleaseSpecFromEnv() ReleaseSpec {
	s := TenThousandReleases
	if n, err := strconv.Atoi(os.Getenv(EnvReleases)); err == nil && n > 0 {
		s.Releases = n
	}
	return s
}

// The files beside a corpus that say its releases are there, or that
// making them was begun and never finished.
const (
	releasesFile    = "bench-releases.json"
	releasesPartial = "bench-releases.partial"
	releaseKeyFile  = "release.key"
)

// OpenSQLiteReleases opens the SQLite corpus for spec with the releases
// of rs added, making them on first use (a few minutes for 10,000; the
// corpus first if it is not there). The releases are kept in the
// corpus's own database, so a corpus whose releases were begun and never
// finished is built again from nothing. The keys are those the releases
// were signed with.
func OpenSQLiteReleases(tb testing.TB, spec Spec, rs ReleaseSpec) (mosaic.Store, *Fixture, *ReleaseFixture, *release.Keys) {
	tb.Helper()
	dir := Dir(spec)
	_, partial := os.Stat(filepath.Join(dir, releasesPartial))
	_, made := os.Stat(filepath.Join(dir, releasesFile))
	// Releases without their corpus would outlive the corpus built anew.
	corpus, err := Load(dir)
	orphaned := made == nil && (err != nil || corpus.Objects != spec.Objects)
	if partial == nil || orphaned {
		tb.Logf("%s: its releases were begun and never finished, or its corpus is gone; building it again", dir)
		if err := os.RemoveAll(dir); err != nil {
			tb.Fatal(err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, releasesFile)); err == nil {
		var have ReleaseFixture
		if err := json.Unmarshal(b, &have); err != nil {
			tb.Fatal(err)
		}
		if have.Spec != rs {
			tb.Fatalf("%s holds the releases of %+v, not %+v: remove it to build it again", dir, have.Spec, rs)
		}
		s, f := OpenSQLite(tb, spec)
		keys, err := release.LoadKeys(filepath.Join(dir, releaseKeyFile))
		if err != nil {
			tb.Fatal(err)
		}
		return s, f, &have, keys
	} else if !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
	// The store stamps releases with its own clock.
	clock := &ReleaseClock{}
	s, f := openSQLite(tb, spec, clock)
	keys, _, err := release.OpenKeys(filepath.Join(dir, releaseKeyFile), ReleaseStart)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, releasesPartial), nil, 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("adding %d releases to the corpus of %d objects (once; kept for later runs)", rs.Releases, f.Objects)
	start := time.Now()
	r, err := AddReleases(context.Background(), s, clock, f, rs, keys, func(n int) {
		if n%1000 == 0 {
			fmt.Fprintf(os.Stderr, "benchdata: %d of %d releases made, %.0f releases/s\n", n, rs.Releases, float64(n)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, releasesFile), b, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, releasesPartial)); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%d releases made in %s: %d published, %d withdrawn, %d public, %d awaiting consent, %d held; %d receipts, %d sightings",
		r.Releases(), r.BuildTime.Round(time.Second), r.Published, r.Withdrawn, r.ToPublic, r.Awaiting, r.Held, r.Receipts, r.Sightings)
	return s, f, r, keys
}
