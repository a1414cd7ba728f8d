package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/storetest"
)

// consentRequest has pa's analyst share an ORCON indicator with the cell
// and pc's analyst draft a release of it and of pc's own indicator, which
// asks pa's consent; pa's liaison gets a password.
func (e *env) consentRequest(t *testing.T) (mosaic.Release, string, string) {
	t.Helper()
	if err := e.w.Store.SetPassword(bg, e.w.ALiaison.User, credential.HashPassword(password(e.w.ALiaison.User)), mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	pa := strings.Replace(indicatorAt(801, "Pa beacon", "[ipv4-addr:value = '198.51.100.20']"), `"name":`, `"description":"Seen at the ward","name":`, 1)
	pc := indicatorAt(802, "Pc secret lure", "[ipv4-addr:value = '203.0.113.77']")
	e.w.Ingest(t, e.w.A, storetest.Record(t, pa, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPAmber, ORCON: true}))
	e.w.Ingest(t, e.w.C, storetest.Record(t, pc, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPAmber}))
	paID, pcID := "indicator--"+storetest.UUID(801), "indicator--"+storetest.UUID(802)
	pins := []content.Pin{{ID: paID, Modified: "2026-10-01T08:15:42.123Z"}, {ID: pcID, Modified: "2026-10-01T08:15:42.123Z"}}
	r, err := e.svc.DraftRelease(bg, e.w.C, content.Draft{Title: "Beacon <i>advice</i>", Advice: "Block both.\n\n<script>x</script> line two", Recipients: []string{"org:sh"}, Objects: pins}, content.Access{Action: "releases.draft"})
	if err != nil {
		t.Fatal(err)
	}
	return r, paID, pcID
}

// TestConsentInbox: pa's liaison finds the request pending, sees only its
// own organisation's object, previews a sanitisation without deciding,
// cannot refuse without a reason, decide on an old revision or post
// without the form's token, and approves sanitised, which the drafter
// reads.
func TestConsentInbox(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, paID, pcID := e.consentRequest(t)
	li := e.signedIn(t, e.w.ALiaison)

	resp, list := li.get("/consents")
	if resp.StatusCode != 200 {
		t.Fatalf("inbox: %d\n%s", resp.StatusCode, list)
	}
	for _, want := range []string{
		`<a href="/consents" aria-current="page">Consents <span class="count">1</span></a>`,
		`<a href="/consents/` + r.ID + `">Beacon &lt;i&gt;advice&lt;/i&gt;</a>`,
		"<td>pc</td>", "<td>pending</td>", `<span class="tlp-tag tlp-amber">TLP:AMBER</span>`,
	} {
		if !strings.Contains(list, want) {
			t.Errorf("inbox lacks %q\n%s", want, list)
		}
	}
	noInline(t, "/consents", list)
	if _, home := li.get("/"); !strings.Contains(home, `<a href="/consents">Consents <span class="count">1</span></a>`) {
		t.Errorf("the liaison's home does not count the pending consent:\n%s", home)
	}

	resp, body := li.get("/consents/" + r.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("request: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"<h1>Beacon &lt;i&gt;advice&lt;/i&gt;</h1>",
		`<div class="text advice">Block both.` + "\n\n&lt;script&gt;x&lt;/script&gt; line two</div>",
		"<code>org:sh</code>", "Pa beacon", "<code>[ipv4-addr:value = &#39;198.51.100.20&#39;]</code>",
		"Your organisation&#39;s consent: pending.",
		`<input type="hidden" name="revision" value="1">`,
		`name="gen:` + paID + `" value="addresses"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("request lacks %q\n%s", want, body)
		}
	}
	for _, bad := range []string{pcID, "Pc secret lure", "203.0.113.77", "<script>x"} {
		if strings.Contains(body, bad) {
			t.Errorf("the request page holds %q", bad)
		}
	}
	noInline(t, "/consents/"+r.ID, body)
	if _, nl := li.get("/consents/"+r.ID, "Accept-Language", "nl"); !strings.Contains(nl, "Geschoond goedkeuren") {
		t.Errorf("the Dutch page:\n%s", nl)
	}
	token := csrf(t, body)

	// Preview: the generalised value, nothing decided.
	form := url.Values{"csrf": {token}, "revision": {"1"}, "action": {"preview"}, "gen:" + paID: {"addresses"}, "desc:" + paID: {"A beacon of a <b>crew</b>."}}
	resp, prev := li.post("/consents/"+r.ID, form)
	if resp.StatusCode != 200 || !strings.Contains(prev, `id="preview"`) || !strings.Contains(prev, "198.51.100.0/24") {
		t.Errorf("preview: %d\n%s", resp.StatusCode, prev)
	}
	if strings.Contains(prev, pcID) || strings.Contains(prev, "Pc secret lure") {
		t.Error("the preview shows the other originator's object")
	}
	if e.consentOf(t, r.ID).State != mosaic.ConsentPending {
		t.Error("the preview decided")
	}

	// A refusal without a reason is refused.
	resp, ref := li.post("/consents/"+r.ID, url.Values{"csrf": {token}, "revision": {"1"}, "action": {"refuse"}, "reason": {"  "}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(ref, "A refusal needs a reason") {
		t.Errorf("refusal without a reason: %d\n%s", resp.StatusCode, ref)
	}
	// A stale revision comes back asking to read again.
	resp, stale := li.post("/consents/"+r.ID, url.Values{"csrf": {token}, "revision": {"7"}, "action": {"approve"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(stale, "Read the request again") {
		t.Errorf("stale revision: %d\n%s", resp.StatusCode, stale)
	}
	// Without the form's token nothing is decided.
	if resp, _ := li.post("/consents/"+r.ID, url.Values{"revision": {"1"}, "action": {"approve"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a decision without a token: %d, want 403", resp.StatusCode)
	}
	if e.consentOf(t, r.ID).State != mosaic.ConsentPending {
		t.Fatal("a refused form decided")
	}

	form.Set("action", "approve-sanitised")
	resp, done := li.post("/consents/"+r.ID, form)
	if resp.StatusCode != 200 || !strings.Contains(done, "Your decision was recorded: approved.") {
		t.Fatalf("approve sanitised: %d\n%s", resp.StatusCode, done)
	}
	c := e.consentOf(t, r.ID)
	var san map[string]content.ObjectSanitisation
	if err := json.Unmarshal(c.Sanitise, &san); err != nil {
		t.Fatal(err)
	}
	if c.State != mosaic.ConsentApproved || c.Attribute || len(san) != 1 || len(san[paID].Generalise) != 1 || san[paID].Generalise[0] != "addresses" ||
		san[paID].Rewrite["description"] != "A beacon of a <b>crew</b>." {
		t.Errorf("the drafter reads the consent %+v, sanitisation %+v", c, san)
	}
	if _, list := li.get("/consents"); !strings.Contains(list, "<td>approved</td>") || strings.Contains(list, `<span class="count">`) {
		t.Errorf("inbox after deciding:\n%s", list)
	}
	got := e.audit.actions(e.w.ALiaison.User)
	for _, want := range []string{"web.consents:allow", "web.consent:allow", "web.consent.decide:allow"} {
		if !contains(got, want) {
			t.Errorf("audit %v lacks %s", got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// consentOf is pa's consent to release id, as its drafter (pc) reads it.
func (e *env) consentOf(t *testing.T, id string) mosaic.ReleaseConsent {
	t.Helper()
	v, err := e.svc.Release(bg, e.w.C, id, content.Access{Action: "test"})
	if err != nil || v.Release == nil {
		t.Fatalf("the drafter reads %s: %v", id, err)
	}
	for _, c := range v.Release.Consents {
		if c.Org == "pa" {
			return c
		}
	}
	t.Fatalf("no consent of pa in %+v", v.Release.Consents)
	return mosaic.ReleaseConsent{}
}

// TestConsentInboxOnlyLiaisons: an analyst and a stakeholder have no
// inbox: no link, and the page of one that does not exist.
func TestConsentInboxOnlyLiaisons(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, _, _ := e.consentRequest(t)
	for _, v := range []mosaic.Viewer{e.w.A, e.w.Stakeholder} {
		b := e.signedIn(t, v)
		if _, home := b.get("/"); strings.Contains(home, `href="/consents"`) {
			t.Errorf("%s's home links the inbox", v.User)
		}
		for _, path := range []string{"/consents", "/consents/" + r.ID} {
			if resp, body := b.get(path); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Beacon") {
				t.Errorf("%s GET %s: %d\n%s", v.User, path, resp.StatusCode, body)
			}
		}
	}
}
