package content_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
	"mosaic/storetest"
)

// newBenchReleaseEnv is a release environment for benchmarks: the World
// of the tests, with stakeholder organisations grid-0 to grid-(orgs-1) in
// the energy sector, each with one user.
func newBenchReleaseEnv(tb testing.TB, orgs int) (*releaseEnv, []mosaic.Viewer) {
	e := newEnv(tb)
	keys, err := release.CreateKeys(filepath.Join(tb.TempDir(), "release.key"), e.w.Clock.Now())
	if err != nil {
		tb.Fatal(err)
	}
	e.svc.EnableReleases(e.w.Store.(content.ReleaseStore), content.ReleaseConfig{Keys: keys})
	a := mosaic.AuditEntry{Time: storetest.Epoch, User: "bench", Action: "setup", Decision: mosaic.Allowed}
	var users []mosaic.Viewer
	for i := range orgs {
		o := mosaic.Organisation{Name: fmt.Sprintf("grid-%d", i), FullName: fmt.Sprintf("Grid operator %d", i), Kind: mosaic.Stakeholder, Sectors: []string{"energy"}}
		if err := e.w.Store.CreateOrg(bg, &o, a); err != nil {
			tb.Fatal(err)
		}
		u := mosaic.User{Name: fmt.Sprintf("grid-%d-user", i), Org: o.Name, Role: mosaic.StakeholderViewer}
		if err := e.w.Store.CreateUser(bg, &u, "", a); err != nil {
			tb.Fatal(err)
		}
		users = append(users, mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role})
	}
	return &releaseEnv{env: e, keys: keys, paLiaison: e.w.ALiaison}, users
}

// seedIndicators has pa share n indicators with the cell, ORCON, and
// returns their pins.
func seedIndicators(tb testing.TB, e *releaseEnv, first, n int) []content.Pin {
	var pins []content.Pin
	for chunk := range slices.Chunk(makeRange(first, n), 5000) {
		var recs []mosaic.Record
		for _, i := range chunk {
			obj := storetest.Indicator(i, "2026-10-01T00:00:00.000Z", "Beacon", fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d']", i>>16&255, i>>8&255, i&255))
			recs = append(recs, storetest.Record(tb, obj, cell))
			pins = append(pins, content.Pin{ID: "indicator--" + storetest.UUID(i), Modified: "2026-10-01T00:00:00.000Z"})
		}
		e.w.Ingest(tb, e.w.A, recs...)
	}
	return pins
}

func makeRange(first, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = first + i
	}
	return out
}

// BenchmarkPublish publishes a release of 10,000 indicators to 500
// stakeholder organisations, named one by one: the goal is under 5 s on
// SQLite. Drafting and consenting are outside the timer, and measured
// by BenchmarkReleaseCycle.
func BenchmarkPublish(b *testing.B) {
	e, users := newBenchReleaseEnv(b, 500)
	pins := seedIndicators(b, e, 1, 10000)
	var to []string
	for _, u := range users {
		to = append(to, "org:"+u.Org)
	}
	for b.Loop() {
		b.StopTimer()
		r, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Block", Advice: "Block these.", Recipients: to, Objects: pins}, draftAccess)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Consent(bg, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, consentAccess); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReleaseCycle is BenchmarkPublish with the draft (reading the
// 10,000 pinned contributions) and the consent inside the timer.
func BenchmarkReleaseCycle(b *testing.B) {
	e, users := newBenchReleaseEnv(b, 500)
	pins := seedIndicators(b, e, 1, 10000)
	var to []string
	for _, u := range users {
		to = append(to, "org:"+u.Org)
	}
	for b.Loop() {
		r, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Block", Advice: "Block these.", Recipients: to, Objects: pins}, draftAccess)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Consent(bg, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, consentAccess); err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStakeholderReleases stores 10,000 published releases (each of
// a few indicators, to one of 50 grid operators, to the energy sector or
// to the public) and measures what a stakeholder does: list its newest
// releases, and open one. The goal is a p99 under 20 ms for each.
func BenchmarkStakeholderReleases(b *testing.B) {
	const releases = 10000
	e, users := newBenchReleaseEnv(b, 50)
	pins := seedIndicators(b, e, 1, 3*releases)
	rng := rand.New(rand.NewPCG(1, 2))
	byUser := map[string][]string{}
	for i := range releases {
		var to []string
		switch rng.IntN(10) {
		case 0:
			to = []string{"sector:energy"}
		default:
			to = []string{"org:" + users[rng.IntN(len(users))].Org, "org:" + users[rng.IntN(len(users))].Org}
			if to[0] == to[1] {
				to = to[:1]
			}
		}
		r, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: fmt.Sprintf("Release %d", i), Advice: "Block these.", Recipients: to, Objects: pins[3*i : 3*i+3]}, draftAccess)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Consent(bg, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, consentAccess); err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
			b.Fatal(err)
		}
		for _, u := range users {
			if slices.Contains(to, "org:"+u.Org) || to[0] == "sector:energy" {
				byUser[u.User] = append(byUser[u.User], r.ID)
			}
		}
		e.log.take()
	}
	var list, open []time.Duration
	for b.Loop() {
		u := users[rng.IntN(len(users))]
		start := time.Now()
		got, err := e.svc.ReleaseList(bg, u, mosaic.ReleaseFilter{Limit: 50}, readAccess)
		list = append(list, time.Since(start))
		if err != nil || len(got) == 0 {
			b.Fatalf("%s lists %d: %v", u.User, len(got), err)
		}
		ids := byUser[u.User]
		start = time.Now()
		if _, err := e.svc.Release(bg, u, ids[rng.IntN(len(ids))], readAccess); err != nil {
			b.Fatal(err)
		}
		open = append(open, time.Since(start))
		e.log.take()
	}
	b.ReportMetric(percentile(list, 0.99), "list-p99-ms")
	b.ReportMetric(percentile(open, 0.99), "open-p99-ms")
}

func percentile(ds []time.Duration, p float64) float64 {
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(float64(len(ds))*p))]) / float64(time.Millisecond)
}
