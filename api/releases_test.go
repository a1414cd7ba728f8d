package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
	"mosaic/ingest"
	"mosaic/release"
	"mosaic/stix"
	"mosaic/storetest"
)

// The recipient directory names whom a release may reach, and nothing
// more about them; only those who draft releases may read it.
func TestRecipients(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	var got api.Recipients
	if r := h.get("pa-analyst", "/api/v1/recipients", nil, &got); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	want := []content.Recipient{
		{Recipient: "public", Kind: "public"},
		{Recipient: "sector:energy", Kind: "sector"},
		{Recipient: "org:pa", Name: "A", Kind: "partner"},
		{Recipient: "org:pb", Name: "B", Kind: "partner"},
		{Recipient: "org:sh", Name: "S", Kind: "stakeholder"},
	}
	if diff := cmp.Diff(want, got.Recipients); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	r := h.get("pa-analyst", "/api/v1/recipients", nil, nil)
	for _, o := range []string{"pa", "sh", "ov"} {
		org, err := h.store.Org(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(r.body), org.Identity) {
			t.Errorf("the directory shows %s's identity", o)
		}
	}
	if strings.Contains(string(r.body), "org:ov") || strings.Contains(string(r.body), `"O"`) {
		t.Error("the directory names the oversight body")
	}
	for _, user := range []string{"sh-user", "ov-auditor", "pa-admin"} {
		if r := h.get(user, "/api/v1/recipients", nil, nil); r.status != 403 || strings.Contains(string(r.body), "org:") {
			t.Errorf("%s: %d %s, want 403 and nothing of the directory", user, r.status, r.body)
		}
	}
	if r := h.get("pa-analyst", "/api/v1/recipients", map[string][]string{"kind": {"org"}}, nil); r.status != 400 {
		t.Errorf("a query parameter: %d", r.status)
	}
}

// newReleaseHarness is a harness with releases on, signing with keys of
// its own, on the seed with liaisons of pa and pb, a feedback reader
// (ncsc, a partner), a second user of the stakeholder sh and a second
// stakeholder sh2 in sh's sector.
func newReleaseHarness(t *testing.T, open storetest.Opener) (*harness, *release.Keys) {
	t.Helper()
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, open, func(c *content.Service, s storetest.Store) {
		rs, ok := any(s).(content.ReleaseStore)
		if !ok {
			t.Fatalf("%T keeps no releases", s)
		}
		c.EnableReleases(rs, content.ReleaseConfig{Keys: keys, CellName: "Test cell", FeedbackReaders: []string{"ncsc"}})
	})
	seed(t, h)
	liaisons(t, h)
	ctx := context.Background()
	a := mosaic.AuditEntry{Action: "setup"}
	for _, o := range []mosaic.Organisation{
		{Name: "ncsc", FullName: "N", Kind: mosaic.Partner, LegalRegime: "wbni"},
		{Name: "sh2", FullName: "S2", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}},
	} {
		if err := h.store.CreateOrg(ctx, &o, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []mosaic.User{
		{Name: "ncsc-analyst", Org: "ncsc", Role: mosaic.Analyst},
		{Name: "sh-user2", Org: "sh", Role: mosaic.StakeholderViewer},
		{Name: "sh2-user", Org: "sh2", Role: mosaic.StakeholderViewer},
	} {
		if err := h.store.CreateUser(ctx, &u, "", a); err != nil {
			t.Fatal(err)
		}
	}
	return h, keys
}

// send sends body as JSON and decodes a 2xx answer into out.
func (h *harness) send(user, method, path string, body, out any) response {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := h.do(user, method, path, nil, "application/json", b)
	if out != nil && r.status/100 == 2 {
		if err := json.Unmarshal(r.body, out); err != nil {
			h.t.Fatalf("%s %s: %v\n%s", method, path, err, r.body)
		}
	}
	return r
}

const modified = "2026-10-01T00:00:00.000Z"

func marking(t mosaic.TLP) string {
	return `,"object_marking_refs":["` + stix.TLPMarkingID(t) + `"]`
}

func indID(n int) string { return "indicator--" + storetest.UUID(n) }

// draft drafts a release of pa-analyst's and checks the answer.
func draftRelease(t *testing.T, h *harness, d content.Draft) api.Release {
	t.Helper()
	var rel api.Release
	if r := h.send("pa-analyst", "POST", "/api/v1/releases", d, &rel); r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	return rel
}

// publishedRelease drafts d of pa-analyst's objects alone, has pa's
// liaison approve it and publishes it.
func publishedRelease(t *testing.T, h *harness, d content.Draft) string {
	t.Helper()
	rel := draftRelease(t, h, d)
	if r := h.send("pa-liaison", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: rel.Revision, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases/"+rel.ID+"/publish", api.PublishRequest{}, nil); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	return rel.ID
}

func publishedKeys(t *testing.T, h *harness) []release.PublicKey {
	t.Helper()
	var ks api.ReleaseKeys
	if r := h.get("", "/api/v1/releases/keys", nil, &ks); r.status != 200 || len(ks.Keys) == 0 {
		t.Fatalf("keys: %d %s", r.status, r.body)
	}
	return ks.Keys
}

// notFoundLike sends a request and checks that it gets the 404 a release
// that does not exist gets, but for the id.
func notFoundLike(t *testing.T, h *harness, user, method, path, id, ctype string, body []byte) {
	t.Helper()
	missing := "00000000-0000-4000-8000-00000000dead"
	r := h.do(user, method, path, nil, ctype, body)
	m := h.do(user, method, strings.Replace(path, id, missing, 1), nil, ctype, body)
	if r.status != 404 || m.status != 404 {
		t.Fatalf("%s %s as %s: %d %s (a missing release: %d)", method, path, user, r.status, r.body, m.status)
	}
	got, want := problem(t, r), problem(t, m)
	got.Detail = strings.ReplaceAll(got.Detail, id, missing)
	if got.Detail != want.Detail || got.Type != want.Type {
		t.Errorf("%s %s as %s: %q, a missing release %q", method, path, user, got.Detail, want.Detail)
	}
}

// The whole flow: an analyst drafts objects of two partners under ORCON,
// both liaisons consent (pb's sanitising its object and lowering its
// level, pa's as the drafter's organisation), the release is published,
// and the stakeholder addressed lists, reads, downloads, verifies,
// acknowledges and reports a sighting, whose feedback the drafter's
// organisation and the feedback reader read; another stakeholder finds
// nothing anywhere. Then it is withdrawn.
func TestReleaseFlow(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) { testReleaseFlow(t, open) })
	}
}

func testReleaseFlow(t *testing.T, open storetest.Opener) {
	h, _ := newReleaseHarness(t, open)
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	if r := h.post("pa-analyst", cell, ind(1, marking(mosaic.TLPGreen))); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := h.post("pb-analyst", cell, ind(2, "")); r.status != 201 { // AMBER, the default
		t.Fatalf("%d %s", r.status, r.body)
	}
	d := content.Draft{
		Title: "Marshlock beacons", Advice: "Block the beacons' network at your edge.", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}, {ID: indID(2), Modified: modified, Originator: "pb"}},
	}
	b, _ := json.Marshal(d)
	r := h.do("pa-analyst", "POST", "/api/v1/releases", nil, "application/json", b)
	var rel api.Release
	if r.status != 201 || json.Unmarshal(r.body, &rel) != nil {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	if rel.Revision != 1 || rel.State != mosaic.ReleaseAwaitingConsent || rel.TLP != mosaic.TLPAmber || len(rel.Items) != 2 {
		t.Fatalf("draft: %s", r.body)
	}
	if diff := cmp.Diff([]string{"pa pending", "pb pending"}, consentStates(rel.Release)); diff != "" {
		t.Errorf("consents asked (-want +got):\n%s", diff)
	}
	if strings.Contains(string(r.body), `"object":{`) || strings.Contains(string(r.body), "10.0.0.2'") {
		t.Errorf("the draft's answer carries the objects: %s", r.body)
	}
	id, path := rel.ID, "/api/v1/releases/"+rel.ID

	// pb's liaison sees its own part only: nothing of pa's object.
	var lv api.Release
	if r := h.get("pb-liaison", path, nil, &lv); r.status != 200 || len(lv.Items) != 1 || lv.Items[0].ID != indID(2) || len(lv.Items[0].Object) == 0 ||
		strings.Contains(string(r.body), storetest.UUID(1)) || lv.Revision != 1 {
		t.Fatalf("pb's liaison reads: %d %s", r.status, r.body)
	}
	// Nothing is published before every consent is in.
	r = h.send("pa-analyst", "POST", path+"/publish", api.PublishRequest{Revision: 1}, nil)
	if p := problem(t, r); r.status != 409 || !strings.Contains(p.Detail, "pa (pending)") || !strings.Contains(p.Detail, "pb (pending)") {
		t.Fatalf("publish before the consents: %d %s", r.status, r.body)
	}
	san := content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: map[string]content.ObjectSanitisation{
		indID(2): {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses}}, TLP: mosaic.TLPGreen},
	}}
	if r := h.send("pb-liaison", "POST", path+"/consents", san, &lv); r.status != 200 || lv.State != mosaic.ReleaseAwaitingConsent || lv.Revision != 1 {
		t.Fatalf("pb consents: %d %s", r.status, r.body)
	}
	r = h.send("pa-analyst", "POST", path+"/publish", nil, nil)
	if p := problem(t, r); r.status != 409 || !strings.Contains(p.Detail, "pa (pending)") || strings.Contains(p.Detail, "pb") {
		t.Fatalf("publish with pa's consent pending: %d %s", r.status, r.body)
	}
	if r := h.send("pa-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, &lv); r.status != 200 || lv.State != mosaic.ReleaseReady {
		t.Fatalf("pa consents: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", path+"/publish", api.PublishRequest{Revision: 1}, &rel); r.status != 200 || rel.State != mosaic.ReleasePublished || rel.Digest == "" || rel.Revision != 1 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}

	// The stakeholder addressed lists and reads it, as delivered.
	var page api.ReleasePage
	if r := h.get("sh-user", "/api/v1/releases", nil, &page); r.status != 200 || len(page.Releases) != 1 || page.Releases[0].ID != id ||
		page.Releases[0].Recipient != "org:sh" || page.Releases[0].Revision != 0 {
		t.Fatalf("the stakeholder's listing: %d %s", r.status, r.body)
	}
	r = h.get("sh-user", path, nil, nil)
	var got map[string]json.RawMessage
	if r.status != 200 || json.Unmarshal(r.body, &got) != nil {
		t.Fatalf("the stakeholder reads: %d %s", r.status, r.body)
	}
	for _, k := range []string{"id", "title", "advice", "tlp", "recipient", "published", "bundle", "digest", "key_id", "signature"} {
		if got[k] == nil {
			t.Errorf("the delivery has no %s: %s", k, r.body)
		}
	}
	for _, k := range []string{"revision", "consents", "items", "drafter", "drafter_org", "recipients"} {
		if got[k] != nil {
			t.Errorf("the delivery shows the cell's %s", k)
		}
	}
	var dl api.Delivery
	json.Unmarshal(r.body, &dl)
	if dl.TLP != mosaic.TLPGreen || dl.Recipient != "org:sh" {
		t.Errorf("delivered at %s to %s, want green to org:sh", dl.TLP, dl.Recipient)
	}
	for _, leak := range []string{storetest.UUID(1), storetest.UUID(2), "10.0.0.2'", `"pa"`, `"pb"`, "pa-analyst"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("the delivery holds %s", leak)
		}
	}
	if !strings.Contains(string(dl.Bundle), "10.0.0.0/24") {
		t.Errorf("pb's sanitisation is not in the bundle: %s", dl.Bundle)
	}
	// The sealed snapshot verifies with the published keys.
	r = h.get("sh-user", path+"/snapshot", nil, nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("snapshot: %d %v %s", r.status, r.header, r.body)
	}
	sealed, err := release.Verify(r.body, publishedKeys(t, h))
	if err != nil || sealed.Digest != dl.Digest {
		t.Fatalf("the snapshot does not verify: %v (digest %s, delivery says %s)", err, sealed.Digest, dl.Digest)
	}
	// The drafter sees the cell's side and, delivered to nobody at pa,
	// no delivery.
	var cellView api.Release
	if r := h.get("pa-analyst", path, nil, &cellView); r.status != 200 || cellView.Revision != 1 || len(cellView.Items) != 2 || len(cellView.Items[0].Object) == 0 || cellView.Delivery != nil {
		t.Fatalf("the drafter reads: %d %s", r.status, r.body)
	}

	// Feedback: a receipt and a sighting of the released indicator.
	if r := h.send("sh-user", "POST", path+"/receipts", api.ReceiptRequest{Status: mosaic.ReceiptReceived, Comment: "blocking"}, nil); r.status != 201 {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	released := releasedIndicator(t, dl.Bundle, "10.0.0.0/24")
	sighting := `{"type":"sighting","spec_version":"2.1","id":"sighting--` + storetest.UUID(50) + `","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","sighting_of_ref":"` + released + `","count":3}`
	var sr api.SightingsResult
	r = h.do("sh-user", "POST", path+"/sightings", nil, "application/stix+json;version=2.1", bundle(sighting))
	if r.status != 201 || json.Unmarshal(r.body, &sr) != nil || sr.Sightings != 1 {
		t.Fatalf("sightings: %d %s", r.status, r.body)
	}
	for _, user := range []string{"pa-analyst", "ncsc-analyst", "sh-user"} {
		var fb mosaic.Feedback
		if r := h.get(user, path+"/feedback", nil, &fb); r.status != 200 || len(fb.Receipts) != 1 || len(fb.Sightings) != 1 || fb.Receipts[0].Status != mosaic.ReceiptReceived {
			t.Errorf("%s reads the feedback: %d %s", user, r.status, r.body)
		}
	}
	var rec map[string]any
	if r := h.get("pa-analyst", path+"/record", nil, &rec); r.status != 200 || !strings.Contains(string(r.body), indID(2)) || !strings.Contains(string(r.body), released) {
		t.Errorf("the record: %d %s", r.status, r.body)
	}
	for _, f := range []string{"csv", "stix", "ip"} {
		r := h.get("sh-user", path+"/export", url.Values{"format": {f}}, nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") || strings.Contains(string(r.body), "10.0.0.2\n") {
			t.Errorf("export %s: %d %s", f, r.status, r.body)
		}
		if f != "ip" && !strings.Contains(string(r.body), released) {
			t.Errorf("export %s does not hold %s: %s", f, released, r.body)
		}
	}

	// Whoever it was not released to finds nothing, as if there were no
	// such release: another stakeholder of the same sector, pb's analyst
	// (its part consented, but nothing delivered to pb), pb's liaison for
	// the cell's record.
	if r := h.get("sh2-user", "/api/v1/releases", nil, &page); r.status != 200 || len(page.Releases) != 0 {
		t.Errorf("sh2's listing: %d %s", r.status, r.body)
	}
	for _, c := range []struct{ user, method, path, ctype string }{
		{"sh2-user", "GET", path, ""},
		{"sh2-user", "GET", path + "/snapshot", ""},
		{"sh2-user", "GET", path + "/withdrawal", ""},
		{"sh2-user", "GET", path + "/feedback", ""},
		{"sh2-user", "GET", path + "/export", ""},
		{"sh2-user", "GET", path + "/record", ""},
		{"sh2-user", "POST", path + "/receipts", "application/json"},
		{"sh2-user", "POST", path + "/sightings", "application/json"},
		{"pb-analyst", "GET", path + "/feedback", ""},
		{"pb-analyst", "GET", path + "/snapshot", ""},
		{"pb-liaison", "GET", path + "/record", ""},
		{"ncsc-analyst", "GET", path + "/record", ""},
		{"sh-user", "GET", path + "/record", ""},
	} {
		var body []byte
		switch {
		case strings.HasSuffix(c.path, "/receipts"):
			body, _ = json.Marshal(api.ReceiptRequest{Status: mosaic.ReceiptReceived})
		case strings.HasSuffix(c.path, "/sightings"):
			body = bundle(sighting)
		}
		notFoundLike(t, h, c.user, c.method, c.path, id, c.ctype, body)
	}

	// Withdrawn: the recipient reads why, and the signed entry verifies.
	if r := h.get("sh-user", path+"/withdrawal", nil, nil); r.status != 404 {
		t.Errorf("the withdrawal entry of a release not withdrawn: %d", r.status)
	}
	if r := h.send("pa-analyst", "POST", path+"/withdraw", api.WithdrawRequest{Reason: "the beacons were a sinkhole"}, &rel); r.status != 200 || rel.State != mosaic.ReleaseWithdrawn {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if r := h.get("sh-user", path, nil, &dl); r.status != 200 || dl.Withdrawn.IsZero() || dl.WithdrawReason != "the beacons were a sinkhole" {
		t.Errorf("the recipient reads the withdrawn release: %d %s", r.status, r.body)
	}
	if r := h.get("sh-user", "/api/v1/releases", nil, &page); len(page.Releases) != 1 || page.Releases[0].State != mosaic.ReleaseWithdrawn {
		t.Errorf("the recipient's listing after the withdrawal: %d %s", r.status, r.body)
	}
	r = h.get("sh-user", path+"/withdrawal", nil, nil)
	w, err := release.VerifyWithdrawal(r.body, publishedKeys(t, h))
	if r.status != 200 || err != nil || w.Release != id {
		t.Fatalf("the withdrawal entry: %d %v %s", r.status, err, r.body)
	}
	if r := h.get("sh-user", path+"/export", nil, nil); r.status != 409 {
		t.Errorf("an export of a withdrawn release: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", path+"/withdraw", api.WithdrawRequest{Reason: "again"}, nil); r.status != 409 {
		t.Errorf("withdrawing twice: %d %s", r.status, r.body)
	}

	// Every request named its action in the audit log.
	if err := h.audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ap api.AuditPage
	if r := h.get("ov-auditor", "/api/v1/audit", url.Values{"limit": {"1000"}}, &ap); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	actions := map[string]bool{}
	for _, e := range ap.Entries {
		actions[e.Action] = true
	}
	for _, a := range []string{"releases.draft", "releases.list", "releases.read", "releases.consent", "releases.publish", "releases.withdraw",
		"releases.receipt", "releases.sightings", "releases.feedback", "releases.record", "releases.snapshot", "releases.withdrawal", "releases.export"} {
		if !actions[a] {
			t.Errorf("no audit entry for %s", a)
		}
	}
}

func consentStates(r mosaic.Release) []string {
	var out []string
	for _, c := range r.Consents {
		out = append(out, c.Org+" "+string(c.State))
	}
	return out
}

// releasedIndicator is the id of the indicator of a released bundle
// whose pattern holds value.
func releasedIndicator(t *testing.T, b json.RawMessage, value string) string {
	t.Helper()
	var bu struct {
		Objects []struct{ ID, Type, Pattern string }
	}
	if err := json.Unmarshal(b, &bu); err != nil {
		t.Fatal(err)
	}
	for _, o := range bu.Objects {
		if o.Type == "indicator" && strings.Contains(o.Pattern, value) {
			return o.ID
		}
	}
	t.Fatalf("no indicator of %s in %s", value, b)
	return ""
}

// A consent names the revision it decides on: after a change, one for
// the old revision is a 409, and so is a change of an old revision.
func TestReleaseConsentReplay(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	if r := h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}}, ind(1, "")); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	d := content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(1), Modified: modified}}}
	rel := draftRelease(t, h, d)
	path := "/api/v1/releases/" + rel.ID
	d.Revision, d.Title = 1, "t, again"
	var revised api.Release
	if r := h.send("pa-analyst", "PUT", path, d, &revised); r.status != 200 || revised.Revision != 2 || revised.Title != "t, again" || len(revised.Items) != 1 {
		t.Fatalf("revise: %d %s", r.status, r.body)
	}
	if r := h.send("pa-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 409 {
		t.Errorf("a consent for revision 1 of revision 2: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "PUT", path, d, nil); r.status != 409 {
		t.Errorf("a change of revision 1 of revision 2: %d %s", r.status, r.body)
	}
	d.Revision = 0
	if r := h.send("pa-analyst", "PUT", path, d, nil); r.status != 400 {
		t.Errorf("a change naming no revision: %d %s", r.status, r.body)
	}
	var lv api.Release
	if r := h.send("pa-liaison", "POST", path+"/consents", content.Consent{Revision: 2, Decision: content.DecideApprove}, &lv); r.status != 200 || lv.State != mosaic.ReleaseReady || lv.Revision != 2 {
		t.Fatalf("a consent for revision 2: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", path+"/publish", api.PublishRequest{Revision: 1}, nil); r.status != 409 {
		t.Errorf("publishing revision 1 of revision 2: %d %s", r.status, r.body)
	}
	if r := h.send("sh-user", "POST", path+"/consents", content.Consent{Revision: 2, Decision: content.DecideApprove}, nil); r.status != 403 {
		t.Errorf("a stakeholder consents: %d %s", r.status, r.body)
	}
	if r := h.post("pa-analyst", url.Values{"audience": {"originator"}}, ind(2, "")); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	d.Objects = []content.Pin{{ID: indID(2), Modified: modified}}
	if r := h.send("pb-analyst", "POST", "/api/v1/releases", d, nil); r.status != 400 || !strings.Contains(string(r.body), "no such version that you can see") {
		t.Errorf("pb drafts pa's object it cannot see: %d %s", r.status, r.body)
	}
}

// A liaison that sanitises another organisation's object in a release
// gets the answer it would get for an object that is not there: it
// learns nothing of what else the release holds.
func TestReleaseSanitiseOthersObject(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	h.post("pa-analyst", cell, ind(1, ""))
	h.post("pb-analyst", cell, ind(2, ""))
	rel := draftRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}, {ID: indID(2), Modified: modified}}})
	try := func(id string) (int, api.Problem) {
		c := content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: map[string]content.ObjectSanitisation{
			id: {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses}}},
		}}
		r := h.send("pb-liaison", "POST", "/api/v1/releases/"+rel.ID+"/consents", c, nil)
		p := problem(t, r)
		for i := range p.Problems {
			p.Problems[i].Object = strings.ReplaceAll(p.Problems[i].Object, id, "ID")
			p.Problems[i].Reason = strings.ReplaceAll(p.Problems[i].Reason, id, "ID")
		}
		p.Detail = strings.ReplaceAll(p.Detail, id, "ID")
		return r.status, p
	}
	status, others := try(indID(1))
	mStatus, missing := try(indID(99))
	if status != 400 || status != mStatus {
		t.Fatalf("status %d, for an object not there %d", status, mStatus)
	}
	if diff := cmp.Diff(missing, others); diff != "" {
		t.Errorf("another's object answers differently from one not there (-missing +other's):\n%s", diff)
	}
}

// A colleague of the drafter who is not in the compartment an object was
// shared with reads neither the object nor what its originator's
// sanitisation says of it.
func TestReleaseSanitisationOfHiddenObject(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
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
	if r := h.post("pb-analyst", url.Values{"audience": {"compartment:harbour"}, "orcon": {"true"}}, ind(2, `,"description":"the informant in Rotterdam"`)); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rel := draftRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(2), Modified: modified}}})
	path := "/api/v1/releases/" + rel.ID
	c := content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: map[string]content.ObjectSanitisation{
		indID(2): {Sanitisation: release.Sanitisation{Rewrite: map[string]string{"description": "a source near the port of Rotterdam"}}},
	}}
	if r := h.send("pb-liaison", "POST", path+"/consents", c, nil); r.status != 200 || !strings.Contains(string(r.body), "port of Rotterdam") {
		t.Fatalf("pb's consent, as pb reads it: %d %s", r.status, r.body)
	}
	if r := h.get("pa-analyst", path, nil, nil); r.status != 200 || !strings.Contains(string(r.body), "port of Rotterdam") {
		t.Errorf("the drafter, in the compartment: %d %s", r.status, r.body)
	}
	for _, r := range []response{
		h.get("pa-liaison", path, nil, nil),
		h.send("pa-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil),
	} {
		if r.status != 200 || strings.Contains(string(r.body), "Rotterdam") || strings.Contains(string(r.body), storetest.UUID(2)) || strings.Contains(string(r.body), `"pb"`) {
			t.Errorf("pa's liaison, not in the compartment: %d %s", r.status, r.body)
		}
	}
	// Nor does it publish what it has not seen; the drafter does.
	if r := h.send("pa-liaison", "POST", path+"/publish", nil, nil); r.status != 403 || strings.Contains(string(r.body), "Rotterdam") || strings.Contains(string(r.body), `pb`) {
		t.Errorf("pa's liaison publishes: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", path+"/publish", nil, nil); r.status != 200 {
		t.Errorf("the drafter publishes: %d %s", r.status, r.body)
	}
}

// A RED release reaches the user it names, and nobody else of its
// organisation; it cannot go to the organisation.
func TestReleaseRed(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	if r := h.post("pa-analyst", url.Values{"orcon": {"true"}}, ind(3, redMarking)); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	d := content.Draft{Title: "red", Advice: "for you only", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(3), Modified: modified}}}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases", d, nil); r.status != 400 || !strings.Contains(string(r.body), "TLP:RED may go to named users only") {
		t.Fatalf("RED to an organisation: %d %s", r.status, r.body)
	}
	d.Recipients = []string{"user:sh-user"}
	id := publishedRelease(t, h, d)
	var dl api.Delivery
	if r := h.get("sh-user", "/api/v1/releases/"+id, nil, &dl); r.status != 200 || dl.TLP != mosaic.TLPRed || dl.Recipient != "user:sh-user" {
		t.Fatalf("the user named: %d %s", r.status, r.body)
	}
	var page api.ReleasePage
	if r := h.get("sh-user2", "/api/v1/releases", nil, &page); r.status != 200 || len(page.Releases) != 0 {
		t.Errorf("another user of sh lists: %d %s", r.status, r.body)
	}
	for _, p := range []string{"", "/snapshot", "/export"} {
		notFoundLike(t, h, "sh-user2", "GET", "/api/v1/releases/"+id+p, id, "", nil)
	}
}

// A release to the public is read without a token; one to a sector is
// not, and neither is anything else without a token.
func TestReleasePublic(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	h.post("pa-analyst", cell, ind(4, marking(mosaic.TLPClear)), ind(5, marking(mosaic.TLPGreen)))
	d := content.Draft{Title: "green", Advice: "sector", Recipients: []string{"public"}, Objects: []content.Pin{{ID: indID(5), Modified: modified}}}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases", d, nil); r.status != 400 {
		t.Fatalf("GREEN to the public: %d %s", r.status, r.body)
	}
	d.Recipients = []string{"sector:energy"}
	green := publishedRelease(t, h, d)
	public := publishedRelease(t, h, content.Draft{Title: "clear", Advice: "everyone", Recipients: []string{"public"}, Objects: []content.Pin{{ID: indID(4), Modified: modified}}})

	var page api.ReleasePage
	if r := h.get("", "/api/v1/public/releases", nil, &page); r.status != 200 || len(page.Releases) != 1 || page.Releases[0].ID != public {
		t.Fatalf("the public listing: %d %s", r.status, r.body)
	}
	var dl api.Delivery
	if r := h.get("", "/api/v1/public/releases/"+public, nil, &dl); r.status != 200 || dl.Recipient != "public" || dl.TLP != mosaic.TLPClear {
		t.Fatalf("the public release: %d %s", r.status, r.body)
	}
	r := h.get("", "/api/v1/public/releases/"+public+"/snapshot", nil, nil)
	if _, err := release.Verify(r.body, publishedKeys(t, h)); r.status != 200 || err != nil {
		t.Fatalf("the public snapshot: %d %v", r.status, err)
	}
	for _, p := range []string{"/api/v1/public/releases/" + green, "/api/v1/public/releases/" + green + "/snapshot"} {
		notFoundLike(t, h, "", "GET", p, green, "", nil)
	}
	// A token changes nothing on the public paths: sh-user, who received
	// the green release, reads it only on its own.
	if r := h.get("sh-user", "/api/v1/public/releases/"+green, nil, nil); r.status != 404 {
		t.Errorf("the green release on the public path with a token: %d", r.status)
	}
	if r := h.get("sh-user", "/api/v1/releases", nil, &page); len(page.Releases) != 2 {
		t.Errorf("sh-user lists the public and the sector's releases: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/api/v1/releases", "/api/v1/releases/" + public, "/api/v1/releases/" + public + "/snapshot"} {
		if r := h.get("", p, nil, nil); r.status != 401 {
			t.Errorf("GET %s without a token: %d", p, r.status)
		}
	}
}

// Only the public paths are served without a token; every other release
// path asks for one, whether releases are on or not.
func TestReleasePathsNeedToken(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	id := storetest.UUID(1)
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/releases"}, {"POST", "/api/v1/releases"}, {"GET", "/api/v1/releases/" + id}, {"PUT", "/api/v1/releases/" + id},
		{"GET", "/api/v1/releases/" + id + "/snapshot"}, {"GET", "/api/v1/releases/" + id + "/withdrawal"}, {"GET", "/api/v1/releases/" + id + "/export"},
		{"POST", "/api/v1/releases/" + id + "/consents"}, {"POST", "/api/v1/releases/" + id + "/publish"}, {"POST", "/api/v1/releases/" + id + "/withdraw"},
		{"POST", "/api/v1/releases/" + id + "/receipts"}, {"POST", "/api/v1/releases/" + id + "/sightings"},
		{"GET", "/api/v1/releases/" + id + "/feedback"}, {"GET", "/api/v1/releases/" + id + "/record"},
	} {
		if r := h.do("", c.method, c.path, nil, "application/json", []byte("{}")); r.status != 401 {
			t.Errorf("%s %s without a token: %d", c.method, c.path, r.status)
		}
	}
	for _, p := range []string{"/api/v1/public/releases", "/api/v1/public/releases/" + id, "/api/v1/public/releases/" + id + "/snapshot"} {
		if r := h.get("", p, nil, nil); r.status == 401 {
			t.Errorf("GET %s without a token: 401", p)
		}
	}
	// The keys' path sits beside a release's, and answers other methods
	// as every path does.
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if r := h.do("pa-analyst", m, "/api/v1/releases/keys", nil, "application/json", []byte("{}")); r.status != 405 || r.header.Get("Allow") != "GET" {
			t.Errorf("%s /api/v1/releases/keys: %d, Allow %q", m, r.status, r.header.Get("Allow"))
		}
	}
	if r := h.do("pa-analyst", "DELETE", "/api/v1/releases/"+id, nil, "", nil); r.status != 405 || r.header.Get("Allow") != "GET, PUT" {
		t.Errorf("DELETE a release: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
}

// Requests without a token are limited per client address.
func TestReleasePublicRateLimit(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	c := content.New(h.store, ingest.Config{DefaultTLP: mosaic.TLPAmber, LegalBases: map[string]time.Duration{"wpg": time.Hour}, Limits: stix.DefaultLimits()}, h.audit, h.clock)
	h.srv = newServer(t, api.New(c, h.store, api.Limits{MaxBodyBytes: 1 << 20, MaxPageSize: 100, RatePerSecond: 1, RateBurst: 2, AuthFailures: 100, TokenLifetime: time.Hour}, h.clock, quietLog()))
	for i := range 2 {
		if r := h.get("", "/api/v1/public/releases", nil, nil); r.status == 429 {
			t.Fatalf("request %d within the burst: 429", i)
		}
	}
	r := h.get("", "/api/v1/public/releases", nil, nil)
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Errorf("beyond the burst: %d %v", r.status, r.header)
	}
}
