package web_test

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/release"
	"mosaic/storetest"
	"mosaic/web"
)

// TestAttackPictureCacheScopes: the per-scope picture cache must never
// answer one scope's picture to another. pb and pd are configured alike
// (both read sh2's feedback, which sh2 named them for) but pb drafted a
// release to sh; pc reads everyone's but sh2's; pa drafted the rest.
// Pictures are asked for in the same minute at the same version, in an
// order that would surface a key that is too coarse, twice over (cache
// hits), and each must hold exactly what its scope reads.
func TestAttackPictureCacheScopes(t *testing.T) {
	e := newEnv(t, func(o *web.Options) {
		keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		o.Content.EnableReleases(o.Store.(content.ReleaseStore), content.ReleaseConfig{Keys: keys,
			FeedbackReaders: []string{"pc"}, FeedbackReadersFor: map[string][]string{"sh2": {"pb", "pd"}}})
	})
	sh2 := e.secondStakeholder(t)
	setup := mosaic.AuditEntry{Action: "setup"}
	pd := mosaic.Organisation{Name: "pd", FullName: "Partner D", Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := e.w.Store.CreateOrg(bg, &pd, setup); err != nil {
		t.Fatal(err)
	}
	mk := func(name, org string, kind mosaic.OrgKind, role mosaic.Role) mosaic.Viewer {
		u := mosaic.User{Name: name, Org: org, Role: role}
		if err := e.w.Store.CreateUser(bg, &u, credential.HashPassword(password(name)), setup); err != nil {
			t.Fatal(err)
		}
		return mosaic.Viewer{UserID: u.ID, User: name, OrgID: u.OrgID, Org: org, OrgKind: kind, Role: role}
	}
	pdAnalyst := mk("pd-analyst", "pd", mosaic.Partner, mosaic.Analyst)
	pbLiaison := mk("pb-liaison", "pb", mosaic.Partner, mosaic.Liaison)

	r1 := e.publish(t, "pa to sh", "Block one.", mosaic.TLPAmber, "org:sh", indicatorAt(830, "one", "[ipv4-addr:value = '198.51.100.31']"))
	r2 := e.publish(t, "pa to sh2", "Block two.", mosaic.TLPAmber, "org:sh2", indicatorAt(831, "two", "[ipv4-addr:value = '198.51.100.32']"))
	// pb drafts r3 to sh.
	obj := indicatorAt(832, "three", "[ipv4-addr:value = '198.51.100.33']")
	e.w.Ingest(t, e.w.B, storetest.Record(t, obj, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPAmber}))
	r3, err := e.svc.DraftRelease(bg, e.w.B, content.Draft{Title: "pb to sh", Advice: "Block three.", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: "indicator--" + storetest.UUID(832), Modified: "2026-10-01T08:15:42.123Z"}}}, content.Access{Action: "releases.draft"})
	if err != nil {
		t.Fatalf("pb drafts: %v", err)
	}
	if _, err := e.svc.Consent(bg, pbLiaison, r3.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, content.Access{Action: "releases.consent"}); err != nil {
		t.Fatal(err)
	}
	if r3, err = e.svc.Publish(bg, e.w.B, r3.ID, 1, content.Access{Action: "releases.publish"}); err != nil {
		t.Fatal(err)
	}
	for _, rc := range []struct {
		v  mosaic.Viewer
		id string
	}{{e.w.Stakeholder, r1.ID}, {e.w.Stakeholder, r3.ID}, {sh2, r2.ID}} {
		if err := e.svc.Receipt(bg, rc.v, rc.id, mosaic.ReceiptApplied, "", fbAccess); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]map[string][]string{
		"pa": {r1.ID: {"sh"}, r2.ID: {"sh2"}},
		"pb": {r2.ID: {"sh2"}, r3.ID: {"sh"}},
		"pd": {r2.ID: {"sh2"}},
		"pc": {r1.ID: {"sh"}, r3.ID: {"sh"}},
	}
	sectors := map[string][]string{"pa": {"energy", "healthcare"}, "pb": {"energy", "healthcare"}, "pd": {"energy"}, "pc": {"healthcare"}}
	now := e.w.Clock.Now()
	for _, v := range []mosaic.Viewer{e.w.C, e.w.B, pdAnalyst, e.w.A, pdAnalyst, e.w.B, e.w.C, e.w.A, pdAnalyst} {
		pic, err := e.svc.FeedbackPicture(bg, v, now, fbAccess)
		if err != nil {
			t.Fatalf("%s's picture: %v", v.User, err)
		}
		got := map[string][]string{}
		for _, r := range pic.Releases {
			for _, rf := range r.Recipients {
				got[r.ID] = append(got[r.ID], rf.Org)
			}
			if _, ok := got[r.ID]; !ok {
				got[r.ID] = []string{}
			}
		}
		for id, orgs := range got {
			sort.Strings(orgs)
			if !slices.Equal(orgs, want[v.Org][id]) {
				t.Errorf("LEAK: %s's picture shows release %s with %v, want %v", v.User, id, orgs, want[v.Org][id])
			}
		}
		if len(got) != len(want[v.Org]) {
			t.Errorf("%s's picture holds %v, want %v", v.User, got, want[v.Org])
		}
		var ss []string
		for _, s := range pic.Sectors {
			ss = append(ss, s.Sector)
		}
		sort.Strings(ss)
		if !slices.Equal(ss, sectors[v.Org]) {
			t.Errorf("LEAK: %s's picture counts sectors %v, want %v", v.User, ss, sectors[v.Org])
		}
	}
	// Nobody else reads a picture, whatever was cached.
	for _, v := range []mosaic.Viewer{e.w.Stakeholder, sh2, e.w.Auditor, e.w.Admin, e.w.Granted, e.w.ALiaison} {
		pic, err := e.svc.FeedbackPicture(bg, v, now, fbAccess)
		switch {
		case v.Org == "pa" && v.Role == mosaic.Liaison:
			if err != nil || len(pic.Releases) != 2 {
				t.Errorf("pa's liaison: %d releases, %v", len(pic.Releases), err)
			}
		case v == e.w.Granted:
			// A content grant is no feedback right beyond its organisation's.
			for _, r := range pic.Releases {
				if _, ok := want[v.Org][r.ID]; !ok && strings.TrimSpace(r.ID) != "" && v.OrgKind == mosaic.Partner {
					if want[v.Org] == nil {
						t.Errorf("LEAK: %s (%s) reads release %s's feedback", v.User, v.Org, r.ID)
					}
				}
			}
		default:
			if err == nil {
				t.Errorf("LEAK: %s (%s %s) reads a picture of %d releases", v.User, v.Org, v.Role, len(pic.Releases))
			}
		}
	}
}

// TestAttackPublicReadsAttributed: a release to the public reaches no
// organisation by name, yet a signed-in reader's first read of it is
// noted under its organisation and shown, with the time, in the drafter's
// and the feedback readers' picture: which partner (here pb, the police,
// say) and which stakeholder read the public advice, and when.
func TestAttackPublicReadsAttributed(t *testing.T) {
	fw := newFeedbackWorld(t)
	e := fw.e
	pub := e.publish(t, "Public advice", "Patch now.", mosaic.TLPClear, "public", indicatorAt(840, "pub", "[ipv4-addr:value = '198.51.100.40']"))
	for _, v := range []mosaic.Viewer{e.w.B, e.w.Stakeholder} {
		if _, err := e.svc.Release(bg, v, pub.ID, content.Access{Action: "releases.read"}); err != nil {
			t.Fatalf("%s reads the public release: %v", v.User, err)
		}
	}
	for _, v := range []mosaic.Viewer{e.w.A, e.w.C} {
		pic, err := e.svc.FeedbackPicture(bg, v, e.w.Clock.Now(), fbAccess)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range pic.Releases {
			if r.ID != pub.ID {
				continue
			}
			for _, rf := range r.Recipients {
				if !rf.Read.IsZero() {
					t.Logf("%s's picture: %s read the public release at %s", v.User, rf.Org, rf.Read)
					if rf.Org == "pb" {
						t.Errorf("a partner's read of a public release is shown to %s: %+v", v.User, rf)
					}
				}
			}
		}
	}
}

// TestAttackPictureCacheStale: the picture cached for a minute follows a
// withdrawal and a new publication at once, including one of a release
// that holds no object (released_objects, which FeedbackVersion reads,
// then gains nothing).
func TestAttackPictureCacheStale(t *testing.T) {
	fw := newFeedbackWorld(t)
	e := fw.e
	now := e.w.Clock.Now()
	pic := func() mosaic.FeedbackPicture {
		t.Helper()
		p, err := e.svc.FeedbackPicture(bg, e.w.C, now, fbAccess)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pic()
	if _, err := e.svc.Withdraw(bg, e.w.A, fw.r1.ID, "Wrong advice.", content.Access{Action: "releases.withdraw"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range pic().Releases {
		if r.ID == fw.r1.ID && r.Withdrawn.IsZero() {
			t.Errorf("the cached picture still shows %s as not withdrawn", r.ID)
		}
	}
	d, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Advice only", Advice: "Patch.", Recipients: []string{"org:sh"}}, content.Access{Action: "releases.draft"})
	if err != nil {
		t.Logf("a release without objects is refused (%v): nothing more to check", err)
		return
	}
	if _, err := e.svc.Consent(bg, e.w.ALiaison, d.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, content.Access{Action: "releases.consent"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Publish(bg, e.w.A, d.ID, 1, content.Access{Action: "releases.publish"}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range pic().Releases {
		found = found || r.ID == d.ID
	}
	if !found {
		t.Errorf("the cached picture misses %s, published without objects", d.ID)
	}
}
