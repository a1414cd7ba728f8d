package api_test

// Attacks on the release workflow by insiders: reading what they may not,
// widening who sees something, and starving others. Each test states the
// defence it expects; one that fails shows a hole.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
	"mosaic/ingest"
	"mosaic/release"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
)

// harbour sets up the compartment of TestReleaseSanitisationOfHiddenObject:
// pb as a whole and pa-analyst by name are in it, pa-liaison is not; pb
// shares ind(2) there, under ORCON, with words that name its source.
func harbour(t *testing.T, h *harness) {
	t.Helper()
	a := mosaic.AuditEntry{Action: "setup"}
	ctx := context.Background()
	if err := h.store.CreateCompartment(ctx, &mosaic.Compartment{Name: "harbour"}, a); err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{{"pb", ""}, {"", "pa-analyst"}} {
		if err := h.store.AddMember(ctx, "harbour", m[0], m[1], a); err != nil {
			t.Fatal(err)
		}
	}
	q := url.Values{"audience": {"compartment:harbour"}, "orcon": {"true"}, "legal_basis": {"wiv2017"}}
	if r := h.post("pb-analyst", q, ind(2, `,"description":"the informant in Rotterdam"`)); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// READ. A colleague of the drafter who is not in the compartment an object
// was shared with sees neither the object nor its originator's consent in
// the release (cellView); the cell-side record of the published release
// must not tell it either: the source id, its originator, the legal basis
// it was provided under and the originator's sanitisation of it.
func TestAttackRecordShowsHiddenItemsToColleague(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	harbour(t, h)
	rel := draftRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(2), Modified: modified}}})
	path := "/api/v1/releases/" + rel.ID
	c := content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: map[string]content.ObjectSanitisation{
		indID(2): {Sanitisation: release.Sanitisation{Rewrite: map[string]string{"description": "a source near the port of Rotterdam"}}},
	}}
	if r := h.send("pb-liaison", "POST", path+"/consents", c, nil); r.status != 200 {
		t.Fatalf("pb consents: %d %s", r.status, r.body)
	}
	if r := h.send("pa-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("pa consents: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", path+"/publish", nil, nil); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	// The release itself shows pa-liaison nothing of it (the defence
	// that holds) ...
	if r := h.get("pa-liaison", path, nil, nil); r.status != 200 || strings.Contains(string(r.body), storetest.UUID(2)) || strings.Contains(string(r.body), "Rotterdam") {
		t.Fatalf("pa-liaison reads the release: %d %s", r.status, r.body)
	}
	// ... but the record does.
	r := h.get("pa-liaison", path+"/record", nil, nil)
	if r.status == 200 {
		for _, leak := range []string{storetest.UUID(2), `"pb"`, "wiv2017", "Rotterdam"} {
			if strings.Contains(string(r.body), leak) {
				t.Errorf("pa-liaison, not in the compartment, reads %s in the record: %s", leak, r.body)
			}
		}
	}
}

// WIDEN. A release that supersedes another may go only to recipients of
// the other, or they learn of it (drafted checks it). A revision that
// names other recipients and leaves supersedes out is not checked, and
// the store keeps the supersedes of the first revision: a recipient that
// never got the superseded release is told its id.
func TestAttackRevisionKeepsSupersedesForNewRecipients(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}}, ind(1, ""), ind(3, ""))
	old := publishedRelease(t, h, content.Draft{Title: "old", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(1), Modified: modified}}})
	d := content.Draft{Title: "new", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(3), Modified: modified}}, Supersedes: old}
	rel := draftRelease(t, h, d)
	// The check holds for a draft naming it ...
	d.Revision, d.Recipients = 1, []string{"org:sh2"}
	if r := h.send("pa-analyst", "PUT", "/api/v1/releases/"+rel.ID, d, nil); r.status != 400 {
		t.Fatalf("a revision to sh2 naming the superseded release: %d %s", r.status, r.body)
	}
	// ... and for one that leaves it out: a revision keeps it.
	d.Supersedes = ""
	var revised api.Release
	if r := h.send("pa-analyst", "PUT", "/api/v1/releases/"+rel.ID, d, &revised); r.status != 200 {
		if r.status == 400 {
			return // refused: the defence holds
		}
		t.Fatalf("revise: %d %s", r.status, r.body)
	}
	if revised.Supersedes != "" {
		t.Errorf("revision 2, drafted without supersedes, supersedes %s", revised.Supersedes)
	}
	if r := h.send("pa-liaison", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: 2, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases/"+rel.ID+"/publish", nil, nil); r.status != 200 {
		return // refused: the defence holds
	}
	if r := h.get("sh2-user", "/api/v1/releases/"+old, nil, nil); r.status != 404 {
		t.Fatalf("sh2 reads the old release: %d", r.status)
	}
	var dl api.Delivery
	h.get("sh2-user", "/api/v1/releases/"+rel.ID, nil, &dl)
	snap := h.get("sh2-user", "/api/v1/releases/"+rel.ID+"/snapshot", nil, nil)
	if dl.Supersedes == old || strings.Contains(string(snap.body), old) {
		t.Errorf("sh2, which never received release %s, is told of it: delivery supersedes %q", old, dl.Supersedes)
	}
}

// WIDEN. What the advice relies on or paraphrases is pinned as a source.
// A TLP:RED source, shared without ORCON, bounds nothing: a
// release to the public that relies on it is drafted and published, and
// its originator is never asked.
func TestAttackRedSourceReleasedToPublic(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	a := mosaic.AuditEntry{Action: "setup"}
	ctx := context.Background()
	if err := h.store.CreateCompartment(ctx, &mosaic.Compartment{Name: "redroom"}, a); err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{{"pb", ""}, {"", "pa-analyst"}} {
		if err := h.store.AddMember(ctx, "redroom", m[0], m[1], a); err != nil {
			t.Fatal(err)
		}
	}
	// RED, shared with pb and pa-analyst by name, without ORCON.
	if r := h.post("pb-analyst", url.Values{"audience": {"compartment:redroom"}, "orcon": {"false"}}, ind(7, redMarking+`,"description":"the C2 of the ministry breach"`)); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	d := content.Draft{Title: "Ministry breach", Advice: "Block 10.0.0.7: it is the C2 of the ministry breach.", Recipients: []string{"public"},
		Sources: []content.Pin{{ID: indID(7), Modified: modified}}}
	var rel api.Release
	r := h.send("pa-analyst", "POST", "/api/v1/releases", d, &rel)
	if r.status == 400 {
		return // the dissemination rules hold
	}
	if r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	if len(rel.Items) != 1 || rel.Items[0].TLP != mosaic.TLPRed || rel.Items[0].Role != mosaic.ItemSource {
		t.Fatalf("the draft's items: %s", r.body)
	}
	t.Errorf("a release to the public relying on a TLP:RED source is drafted at %s; consent asked of %v", rel.TLP, consentStates(rel.Release))
	if r := h.send("pa-liaison", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases/"+rel.ID+"/publish", nil, nil); r.status == 200 {
		t.Errorf("and published to the public without pb, whose TLP:RED information it relies on, being asked")
	}
}

// WIDEN. A user named as a recipient must be able to receive when drafted;
// one disabled since (having left the stakeholder, say) still gets the
// delivery at publish: "a recipient that no longer resolves refuses the
// publish".
func TestAttackDisabledUserStillReceives(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	h.post("pa-analyst", url.Values{"orcon": {"true"}}, ind(3, redMarking))
	rel := draftRelease(t, h, content.Draft{Title: "red", Advice: "for you only", Recipients: []string{"user:sh-user"}, Objects: []content.Pin{{ID: indID(3), Modified: modified}}})
	if r := h.send("pa-liaison", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	ctx := context.Background()
	u, err := h.store.User(ctx, "sh-user")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := h.store.UpdateUser(ctx, u, nil, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	// A draft to the disabled user is refused ...
	if r := h.send("pa-analyst", "POST", "/api/v1/releases", content.Draft{Title: "t", Advice: "a", Recipients: []string{"user:sh-user"}}, nil); r.status != 400 {
		t.Fatalf("a draft to a disabled user: %d %s", r.status, r.body)
	}
	// ... its publish is not.
	if r := h.send("pa-analyst", "POST", "/api/v1/releases/"+rel.ID+"/publish", nil, nil); r.status == 200 {
		t.Errorf("a TLP:RED release is published to user:sh-user, disabled since the draft: %s", r.body)
	}
}

// READ. An auditor sees no cell content; the audit log it reads holds the
// title of every release drafted, a draft on hold of another
// organisation's included.
func TestAttackAuditorReadsDraftTitles(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	title := "Hanzebank payment gateway compromised by ministry-breach actor"
	if r := h.send("pa-analyst", "POST", "/api/v1/releases", content.Draft{Title: title, Advice: "a", Recipients: []string{"org:sh"}, Hold: true}, nil); r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	if err := h.audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := h.get("ov-auditor", "/api/v1/audit", url.Values{"limit": {"1000"}}, nil)
	if r.status != 200 {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "Hanzebank payment gateway") {
		t.Errorf("the auditor reads the title of pa's held draft in the audit log")
	}
}

// READ. An organisation asked sees of other originators nothing, not even
// their number. Its view must not change when another organisation
// decides: the drafter's organisation has decided already, so a change
// says that a third organisation is asked, and when it decided.
func TestAttackAskedOrgSeesOthersDecide(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	if err := h.store.CreateUser(context.Background(), &mosaic.User{Name: "ncsc-liaison", Org: "ncsc", Role: mosaic.Liaison, Approver: true}, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	h.post("pa-analyst", cell, ind(1, ""))
	h.post("pb-analyst", cell, ind(2, ""))
	h.post("ncsc-analyst", cell, ind(3, ""))
	rel := draftRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}, {ID: indID(2), Modified: modified}, {ID: indID(3), Modified: modified}}})
	path := "/api/v1/releases/" + rel.ID
	for _, u := range []string{"pa-liaison", "pb-liaison"} {
		if r := h.send(u, "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
			t.Fatalf("%s consents: %d %s", u, r.status, r.body)
		}
	}
	before := h.get("pb-liaison", path, nil, nil)
	h.clock.Add(time.Minute)
	if r := h.send("ncsc-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("ncsc consents: %d %s", r.status, r.body)
	}
	after := h.get("pb-liaison", path, nil, nil)
	if string(before.body) != string(after.body) {
		var b, a map[string]any
		json.Unmarshal(before.body, &b)
		json.Unmarshal(after.body, &a)
		for k := range a {
			if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
				t.Errorf("pb's view changed when ncsc, which pb cannot know of, decided: %s %v → %v", k, b[k], a[k])
			}
		}
	}
}

// STARVE. A recipient reports sightings on a release: at most 10,000 per
// organisation, but each up to the 4 MiB of an object, so one stakeholder
// may store 40 GiB per release it received (every public one included),
// and the feedback is answered whole, unpaged, to the drafter and the
// feedback readers. Here: 36 MiB in three requests, all kept.
func TestAttackSightingsFillStoreAndFeedback(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}}, ind(1, ""))
	id := publishedRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(1), Modified: modified}}})
	var dl api.Delivery
	if r := h.get("sh-user", "/api/v1/releases/"+id, nil, &dl); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	of := releasedIndicator(t, dl.Bundle, "10.0.0.1")
	pad := strings.Repeat("x", 1<<20-64)
	const budget = 16 << 20 // one request body
	stored := 0
	n := 100
	for range 3 {
		var objs []string
		for range 3 {
			n++
			objs = append(objs, fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":"sighting--%s","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","sighting_of_ref":%q,"description":%q,"x_a":%q,"x_b":%q}`,
				storetest.UUID(n), of, pad, pad, pad))
		}
		b := bundle(objs...)
		r := h.do("sh-user", "POST", "/api/v1/releases/"+id+"/sightings", nil, "application/stix+json;version=2.1", b)
		if r.status != 201 {
			break
		}
		stored += len(b)
	}
	if stored > budget {
		t.Errorf("one stakeholder stored %d MiB of sightings on one release; the limits allow 10,000 × 4 MiB", stored>>20)
	}
	r := h.get("pa-analyst", "/api/v1/releases/"+id+"/feedback", nil, nil)
	if r.status != 200 {
		t.Fatalf("feedback: %d", r.status)
	}
	if len(r.body) > budget {
		t.Errorf("the feedback is answered whole: %d MiB in one answer, no paging", len(r.body)>>20)
	}
}

// STARVE. A draft copies every contribution it pins (up to 10,000, each
// up to 4 MiB), whatever happens to the record later; nothing bounds how
// many drafts an organisation holds, and the same pins are copied again
// each time. A partner analyst repeating one small request fills the disk.
func TestAttackDraftCopiesFillStore(t *testing.T) {
	dir := t.TempDir()
	h, _ := newReleaseHarness(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
		s, err := sqlite.Open(context.Background(), dir, clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
	pad := strings.Repeat("y", 100<<10)
	var objs []string
	var pins []content.Pin
	for i := range 40 {
		objs = append(objs, ind(200+i, `,"description":"`+pad+`"`))
		pins = append(pins, content.Pin{ID: indID(200 + i), Modified: modified})
	}
	if r := h.post("pa-analyst", url.Values{"audience": {"originator"}}, objs...); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	size := func() int64 {
		var n int64
		filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				n += fi.Size()
			}
			return nil
		})
		return n
	}
	d := content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: pins, Hold: true}
	body, _ := json.Marshal(d)
	base := size()
	refused := 0
	var first int64
	const drafts = 40
	for i := range drafts {
		if r := h.send("pa-analyst", "POST", "/api/v1/releases", d, nil); r.status != 201 {
			refused++
		}
		if i == 0 {
			first = size() - base
		}
	}
	grown := size() - base
	if refused == 0 && grown > 5*max(first, 1) {
		t.Errorf("%d drafts of the same %d pins (%d bytes a request) grew the store by %d MiB (the first by %d KiB); none was refused",
			drafts, len(pins), len(body), grown>>20, first>>10)
	}
}

// STARVE. Requests without a token are limited per client address, an
// IPv6 client by its /64; one subscriber commonly holds a /48 (65,536
// /64s), and each request is audited. Here 300 requests from one /48,
// at a limit of 2 a client, are all served and all written to the
// audit log.
func TestAttackAnonymousFloodFromOneSubscriber(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	c := content.New(h.store, ingest.Config{DefaultTLP: mosaic.TLPAmber, LegalBases: map[string]time.Duration{"wpg": time.Hour}, Limits: stix.DefaultLimits()}, h.audit, h.clock)
	c.EnableReleases(any(h.store).(content.ReleaseStore), content.ReleaseConfig{Keys: keys})
	srv := api.New(c, h.store, api.Limits{MaxBodyBytes: 1 << 20, MaxPageSize: 100, RatePerSecond: 1, RateBurst: 2, AuthFailures: 100, TokenLifetime: time.Hour}, h.clock, quietLog())
	served := 0
	const requests = 300
	for i := range requests {
		req := httptest.NewRequest("GET", "/api/v1/public/releases", nil)
		req.RemoteAddr = fmt.Sprintf("[2001:db8:77:%x::1]:40000", i)
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		if w.Code == http.StatusOK {
			served++
		}
	}
	if err := h.audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, err := h.store.AuditEntries(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range entries {
		if e.Action == "releases.list" {
			audited++
		}
	}
	if served > 50 {
		t.Errorf("one /48 made %d of %d requests without a token at a limit of 2 a client, and %d audit entries", served, requests, audited)
	}
}

// SOURCE PROTECTION, end to end: observed-data's "objects" (deprecated,
// still defined) reaches the recipient as the source wrote it, with the
// id the source gave the observable, its custom properties and its
// extensions (see release.TestAttackProtectObservedDataObjects).
func TestAttackObservedDataReachesRecipient(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	od := `{"type":"observed-data","spec_version":"2.1","id":"observed-data--` + storetest.UUID(9) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z",` +
		`"first_observed":"2026-10-01T00:00:00Z","last_observed":"2026-10-01T00:00:00Z","number_observed":1,` +
		`"objects":{"0":{"type":"ipv4-addr","id":"ipv4-addr--5e1b5f3a-0d7c-4c2e-9c1a-2b3c4d5e6f70","value":"10.0.0.1","x_source_case":"OP-NIGHTJAR","extensions":{"x-handler-ext":{"handler":"Jan in room 4"}}}}}`
	if r := h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}}, od); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rel := draftRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: "observed-data--" + storetest.UUID(9), Modified: modified}}})
	if r := h.send("pa-liaison", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases/"+rel.ID+"/publish", nil, nil); r.status != 200 {
		return // refused: the defence holds
	}
	r := h.get("sh-user", "/api/v1/releases/"+rel.ID+"/snapshot", nil, nil)
	if r.status != 200 {
		t.Fatalf("snapshot: %d %s", r.status, r.body)
	}
	for _, leak := range []string{"5e1b5f3a-0d7c", "NIGHTJAR", "room 4"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("the recipient's snapshot holds %q", leak)
		}
	}
}

// WIDEN. The same check compares the recipients as written, not whom
// they reach: a stakeholder that joined the sector after the superseded
// release went out gets the new one, which names the old.
func TestAttackSupersedesToSectorGrown(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	ctx := context.Background()
	a := mosaic.AuditEntry{Action: "setup"}
	sh3 := mosaic.Organisation{Name: "sh3", FullName: "S3", Kind: mosaic.Stakeholder, Sectors: []string{"financial-services"}}
	if err := h.store.CreateOrg(ctx, &sh3, a); err != nil {
		t.Fatal(err)
	}
	if err := h.store.CreateUser(ctx, &mosaic.User{Name: "sh3-user", Org: "sh3", Role: mosaic.StakeholderViewer}, "", a); err != nil {
		t.Fatal(err)
	}
	h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}}, ind(1, marking(mosaic.TLPGreen)), ind(3, marking(mosaic.TLPGreen)))
	old := publishedRelease(t, h, content.Draft{Title: "old", Advice: "a", Recipients: []string{"sector:energy"}, Objects: []content.Pin{{ID: indID(1), Modified: modified}}})
	sh3.Sectors = []string{"energy"}
	if err := h.store.UpdateOrg(ctx, sh3, a); err != nil {
		t.Fatal(err)
	}
	if r := h.get("sh3-user", "/api/v1/releases/"+old, nil, nil); r.status != 404 {
		t.Fatalf("sh3 reads the old release: %d", r.status)
	}
	rel := draftRelease(t, h, content.Draft{Title: "new", Advice: "a", Recipients: []string{"sector:energy"}, Objects: []content.Pin{{ID: indID(3), Modified: modified}}, Supersedes: old})
	if r := h.send("pa-liaison", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: rel.Revision, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases/"+rel.ID+"/publish", api.PublishRequest{}, nil); r.status == 409 {
		return // refused: the defence holds
	}
	id := rel.ID
	var dl api.Delivery
	if r := h.get("sh3-user", "/api/v1/releases/"+id, nil, &dl); r.status != 200 {
		t.Fatalf("sh3 reads the new release: %d %s", r.status, r.body)
	}
	if dl.Supersedes == old {
		t.Errorf("sh3, which never received release %s, is told of it", old)
	}
}
