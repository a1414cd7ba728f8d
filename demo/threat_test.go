package demo

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/ingest"
	"mosaic/policy"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
)

func TestThreatLevelStories(t *testing.T) {
	levels := ThreatLevels(testNow)
	if !reflect.DeepEqual(levels, ThreatLevels(testNow)) {
		t.Fatal("two calls with the same now returned different threat levels")
	}
	users := usersByName()
	bySector := map[string][]ThreatLevel{}
	for i, l := range levels {
		u, ok := users[l.User]
		switch {
		case !ok:
			t.Errorf("%d: no demo user %s", i, l.User)
		case !slices.Contains([]mosaic.Role{mosaic.Analyst, mosaic.Liaison}, u.Role):
			t.Errorf("%d: %s is a %s, who may not set threat levels", i, l.User, u.Role)
		}
		if !mosaic.ValidSector(l.Sector) || !slices.Contains(mosaic.ThreatLevels, l.Level) || l.Reason == "" || len(l.Reason) > mosaic.MaxThreatReason {
			t.Errorf("%d: %+v", i, l)
		}
		if !l.At.Before(testNow) || l.At.Before(testNow.Add(-60*day)) || l.At.Second() != 0 {
			t.Errorf("%d: set at %s, not a whole minute in the 60 days before %s", i, l.At, testNow)
		}
		if i > 0 && !levels[i-1].At.Before(l.At) {
			t.Errorf("%d: set at %s, not after the one before", i, l.At)
		}
		bySector[l.Sector] = append(bySector[l.Sector], l)
	}
	// A few sectors, each with a history in which the level changes.
	if len(bySector) < 3 {
		t.Errorf("threat levels for %d sectors, want at least 3", len(bySector))
	}
	for sector, hist := range bySector {
		changes := 0
		for i := 1; i < len(hist); i++ {
			if hist[i].Level != hist[i-1].Level {
				changes++
			}
		}
		if len(hist) < 2 || changes == 0 {
			t.Errorf("%s: %d settings, %d changes of level; want a history with changes", sector, len(hist), changes)
		}
	}
}

// TestThreatLevelsThroughTheContentService sets the demo's threat levels
// as the demo command and the web UI's sector page do, each at its time,
// and reads each sector's history back.
func TestThreatLevelsThroughTheContentService(t *testing.T) {
	ctx := context.Background()
	levels := ThreatLevels(testNow)
	clock := storetest.NewClock(levels[0].At.Add(-day))
	store, err := sqlite.Open(ctx, t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := content.New(store, ingest.Config{DefaultTLP: mosaic.TLPAmber, Limits: stix.DefaultLimits()}, nopRecorder{}, clock)
	setup := mosaic.AuditEntry{Time: clock.Now(), User: "test", Action: "setup", Decision: mosaic.Allowed}
	orgs := map[string]mosaic.Organisation{}
	for _, o := range Organisations() {
		if err := store.CreateOrg(ctx, &o, setup); err != nil {
			t.Fatal(err)
		}
		orgs[o.Name] = o
	}
	viewers := map[string]mosaic.Viewer{}
	for _, u := range Users() {
		mu := mosaic.User{Name: u.Name, Org: u.Org, Role: u.Role, DisplayName: u.DisplayName, Email: u.Email, ContentGrant: u.ContentGrant}
		if err := store.CreateUser(ctx, &mu, "", setup); err != nil {
			t.Fatal(err)
		}
		o := orgs[u.Org]
		viewers[u.Name] = mosaic.Viewer{UserID: mu.ID, User: mu.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: mu.Role, ContentGrant: mu.ContentGrant}
	}
	for _, l := range levels {
		clock.Add(l.At.Sub(clock.Now()))
		if err := svc.SetThreatLevel(ctx, viewers[l.User], l.Sector, l.Level, l.Reason); err != nil {
			t.Fatalf("%s sets %s to %s: %v", l.User, l.Sector, l.Level, err)
		}
	}
	reader := viewers["ncsc-analyst"]
	if !policy.SeesContent(reader) {
		t.Fatal("ncsc-analyst sees no content")
	}
	for _, sector := range mosaic.Sectors {
		var want []mosaic.SectorThreat
		for _, l := range levels {
			if l.Sector == sector {
				want = append([]mosaic.SectorThreat{{Sector: sector, Level: l.Level, Reason: l.Reason, User: l.User, Org: viewers[l.User].Org, Set: l.At}}, want...)
			}
		}
		got, err := svc.ThreatLevels(ctx, reader, sector, 100, content.Access{Action: "threat-levels.read", Detail: sector})
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i].Set = got[i].Set.UTC()
		}
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: history\n%+v\nwant\n%+v", sector, got, want)
		}
	}
}

type nopRecorder struct{}

func (nopRecorder) Record(mosaic.AuditEntry) error { return nil }
