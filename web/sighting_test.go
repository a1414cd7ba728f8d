package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/storetest"
)

// TestPortalSighting: a stakeholder reports a sighting of a release's
// indicator from its page, which the drafter then reads in the feedback;
// a sighting of an object not in the release is refused on the page with
// the form kept; a form without its token reports nothing; another
// stakeholder's report is the page of a release that does not exist; a
// withdrawn release offers no form and takes no sightings.
func TestPortalSighting(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r := e.publish(t, "Heron beacon advice", "Block it.", mosaic.TLPAmber, "org:sh",
		indicatorAt(750, "Heron beacon", "[ipv4-addr:value = '198.51.100.75']"))
	sh := e.signedIn(t, e.w.Stakeholder)
	// The release gives its objects ids of its own.
	var ind string
	for _, id := range e.releasedIDs(t, e.w.Stakeholder, r.ID) {
		if strings.HasPrefix(id, "indicator--") {
			ind = id
		}
	}
	if ind == "" {
		t.Fatal("the release holds no indicator")
	}
	feedback := func() mosaic.Feedback {
		t.Helper()
		fb, err := e.svc.Feedback(bg, e.w.A, r.ID, content.Access{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return fb
	}

	resp, body := sh.get("/releases/" + r.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("release: %d\n%s", resp.StatusCode, body)
	}
	now := e.w.Clock.Now().UTC().Format("2006-01-02T15:04")
	for _, want := range []string{
		`<h2 id="sighting-title">Report a sighting</h2>`,
		`<form class="sighting" method="post" action="/releases/` + r.ID + `/sighting">`,
		`<option value="` + ind + `">Heron beacon (indicator)</option>`,
		`<input id="sighting-seen" name="seen" type="datetime-local" value="` + now + `" required>`,
		`<input id="sighting-count" name="count" type="number" min="1" max="999999999" value="1" required>`,
		`<input id="sighting-where" name="where" type="text" maxlength="200" value="">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q\n%s", want, body)
		}
	}
	noInline(t, "/releases/"+r.ID, body)
	if _, nl := sh.get("/releases/"+r.ID, "Accept-Language", "nl"); !strings.Contains(nl, "Waarneming melden") || !strings.Contains(nl, "Wanneer (UTC)") {
		t.Errorf("the Dutch page:\n%s", nl)
	}

	// Without the form's token, nothing is reported.
	form := url.Values{"of": {ind}, "seen": {"2026-11-02T09:30"}, "count": {"3"}, "where": {"Ward 7 <proxy> & mail gateway"}}
	if resp, _ := sh.post("/releases/"+r.ID+"/sighting", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a sighting without a token: %d, want 403", resp.StatusCode)
	}
	form.Set("csrf", "forged")
	if resp, _ := sh.post("/releases/"+r.ID+"/sighting", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a sighting with a forged token: %d, want 403", resp.StatusCode)
	}
	if fb := feedback(); len(fb.Sightings) != 0 {
		t.Fatalf("sightings before reporting: %+v", fb.Sightings)
	}

	form.Set("csrf", csrf(t, body))
	resp, after := sh.post("/releases/"+r.ID+"/sighting", form)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/releases/"+r.ID ||
		!strings.Contains(after, `<p class="notice confirm" role="status" id="reported">Thank you: your sighting was sent to the cell.</p>`) {
		t.Errorf("after reporting: %d at %s\n%s", resp.StatusCode, resp.Request.URL, after)
	}
	fb := feedback()
	if len(fb.Sightings) != 1 {
		t.Fatalf("sightings: %+v", fb.Sightings)
	}
	got := fb.Sightings[0]
	if got.Org != "sh" || got.User != e.w.Stakeholder.User {
		t.Errorf("the sighting's reporter: %+v", got)
	}
	var sg map[string]any
	if err := json.Unmarshal(got.Sighting, &sg); err != nil {
		t.Fatal(err)
	}
	created, _ := sg["created"].(string)
	for k, want := range map[string]any{
		"type": "sighting", "spec_version": "2.1", "sighting_of_ref": ind, "count": 3.0,
		"description": "Ward 7 <proxy> & mail gateway", "first_seen": "2026-11-02T09:30:00.000Z", "last_seen": "2026-11-02T09:30:00.000Z",
		"modified": created,
	} {
		if sg[k] != want {
			t.Errorf("the sighting's %s: %v, want %v", k, sg[k], want)
		}
	}
	if id, _ := sg["id"].(string); !regexp.MustCompile(`^sighting--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("the sighting's id: %q", id)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(created) {
		t.Errorf("the sighting's created: %q", created)
	}

	entries, err := e.w.Store.AuditEntries(bg, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(x mosaic.AuditEntry) bool {
		return x.Action == "web.release.sighting" && x.User == e.w.Stakeholder.User && slices.Contains(x.ObjectIDs, r.ID)
	}) {
		t.Error("the audit trail lacks the sighting reported")
	}

	// A sighting of an object not in the release is refused, on the page,
	// with the form as it was filled in.
	other := "indicator--" + storetest.UUID(750) // the analysts' id, not the release's
	form.Set("of", other)
	form.Set("where", "Ward 9")
	resp, refused := sh.post("/releases/"+r.ID+"/sighting", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(refused, `id="sighting-error">Your sighting was not sent: `) ||
		!strings.Contains(refused, other+" is no object of this release") ||
		!strings.Contains(refused, `name="where" type="text" maxlength="200" value="Ward 9">`) ||
		!strings.Contains(refused, `value="2026-11-02T09:30" required>`) || !strings.Contains(refused, `value="3" required>`) {
		t.Errorf("a sighting of another object: %d\n%s", resp.StatusCode, refused)
	}
	// The refusal is audited under the page's action.
	if a := e.audit.actions(e.w.Stakeholder.User); !slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "web.release.sighting:") }) {
		t.Errorf("audit lacks web.release.sighting: %v", a)
	}
	// The form's own checks.
	form.Set("of", ind)
	for field, bad := range map[string]string{"count": "0", "seen": "yesterday", "where": strings.Repeat("x", 201)} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(field, bad)
		if resp, page := sh.post("/releases/"+r.ID+"/sighting", f); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="sighting-error"`) {
			t.Errorf("%s %q: %d\n%s", field, bad, resp.StatusCode, page)
		}
	}
	f := url.Values{"csrf": form["csrf"], "of": {ind}, "seen": {"2026-11-02T09:30"}, "count": {"1000000000"}}
	if resp, page := sh.post("/releases/"+r.ID+"/sighting", f); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "How many times, &#34;1000000000&#34;, is not a whole number from 1 to 999999999.") {
		t.Errorf("a count too large: %d\n%s", resp.StatusCode, page)
	}
	if fb := feedback(); len(fb.Sightings) != 1 {
		t.Errorf("sightings after the refusals: %+v", fb.Sightings)
	}

	// Another stakeholder's report is the page of a release that does
	// not exist.
	sh2 := e.signedIn(t, e.secondStakeholder(t))
	_, list := sh2.get("/releases")
	f = url.Values{"csrf": {csrf(t, list)}, "of": {ind}, "seen": {"2026-11-02T09:30"}, "count": {"1"}}
	if resp, page := sh2.post("/releases/"+r.ID+"/sighting", f); resp.StatusCode != http.StatusNotFound || strings.Contains(page, "Heron") {
		t.Errorf("another stakeholder's sighting: %d\n%s", resp.StatusCode, page)
	}
	if fb := feedback(); len(fb.Sightings) != 1 {
		t.Errorf("sightings after another stakeholder's: %+v", fb.Sightings)
	}

	// Withdrawn, the release offers no form, and takes no sightings.
	if _, err := e.svc.Withdraw(bg, e.w.A, r.ID, "Recalled.", content.Access{Action: "releases.withdraw"}); err != nil {
		t.Fatal(err)
	}
	if _, body := sh.get("/releases/" + r.ID); !strings.Contains(body, `id="withdrawn"`) || strings.Contains(body, `id="sighting"`) || strings.Contains(body, "/sighting") {
		t.Errorf("the withdrawn release's page offers a sighting:\n%s", body)
	}
	if resp, _ := sh.post("/releases/"+r.ID+"/sighting", form); resp.StatusCode != http.StatusConflict {
		t.Errorf("a sighting of a withdrawn release: %d, want 409", resp.StatusCode)
	}
	if fb := feedback(); len(fb.Sightings) != 1 {
		t.Errorf("sightings after the withdrawal: %+v", fb.Sightings)
	}
}
