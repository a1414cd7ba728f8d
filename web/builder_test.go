package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/release"
	"mosaic/storetest"
)

var builderPath = regexp.MustCompile(`/outgoing/([0-9a-f-]{36})`)

// TestReleaseBuilder: pc's analyst finds objects in a search, adds two to
// a new release from the list, sees the rules checked with the offending
// object named, drafts it, sees pa asked with the deadline, previews it
// as the recipient once pa's liaison approved it sanitised, publishes it
// and reads the stakeholder's receipt; the Dutch advice reaches a Dutch
// reader.
func TestReleaseBuilder(t *testing.T) {
	e, _ := newReleaseEnv(t)
	if err := e.w.Store.SetPassword(bg, e.w.ALiaison.User, credential.HashPassword(password(e.w.ALiaison.User)), mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	pa := indicatorAt(811, "Ward beacon", "[ipv4-addr:value = '198.51.100.20']")
	pc := indicatorAt(812, "Ward lure", "[ipv4-addr:value = '203.0.113.77']")
	strict := indicatorAt(813, "Ward strict", "[ipv4-addr:value = '203.0.113.78']")
	e.w.Ingest(t, e.w.A, storetest.Record(t, pa, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPAmber, ORCON: true}))
	e.w.Ingest(t, e.w.C, storetest.Record(t, pc, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen}))
	e.w.Ingest(t, e.w.C, storetest.Record(t, strict, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPAmberStrict}))
	paID, pcID, strictID := "indicator--"+storetest.UUID(811), "indicator--"+storetest.UUID(812), "indicator--"+storetest.UUID(813)
	const mod = "2026-10-01T08:15:42.123Z"

	an := e.signedIn(t, e.w.C)
	resp, list := an.get("/objects?q=ward")
	if resp.StatusCode != 200 || !strings.Contains(list, `<a href="/outgoing">Release builder</a>`) || !strings.Contains(list, `id="add-to-release"`) {
		t.Fatalf("search results offer no \"add to release\": %d\n%s", resp.StatusCode, list)
	}
	for _, id := range []string{paID, pcID, strictID} {
		if !strings.Contains(list, `value="`+id+`@`+mod+`#`) {
			t.Errorf("the results offer no pin of %s", id)
		}
	}
	token := csrf(t, list)
	resp, form := an.post("/outgoing/add", url.Values{"csrf": {token}, "release": {"new"},
		"object": {paID + "@" + mod + "#pa", strictID + "@" + mod + "#pc"}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/outgoing/new" {
		t.Fatalf("add to a new release: %d at %s\n%s", resp.StatusCode, resp.Request.URL, form)
	}
	for _, want := range []string{"Ward beacon", "Ward strict", `value="org:sh"`, `value="sector:healthcare"`, `value="public"`} {
		if !strings.Contains(form, want) {
			t.Errorf("the new release's form lacks %q", want)
		}
	}
	noInline(t, "/outgoing/new", form)

	// The live check names the object a recipient may not get.
	draft := url.Values{"csrf": {token}, "title": {"Ward <b>beacons</b>"}, "advice": {"Block both."}, "advice_nl": {"Blokkeer beide."},
		"recipient": {"sector:healthcare"}, "object": {paID + "@" + mod + "#pa", strictID + "@" + mod + "#pc"}, "dangling": {"refuse"},
		"deadline": {storetest.Epoch.Add(48 * 3600e9).UTC().Format("2006-01-02T15:04")}, "action": {"check"}}
	resp, checked := an.post("/outgoing/new", draft)
	if resp.StatusCode != 200 || !strings.Contains(checked, `id="rules-broken"`) || !strings.Contains(checked, "<code>"+strictID+"</code>") {
		t.Errorf("the check does not name the AMBER+STRICT object: %d\n%s", resp.StatusCode, checked)
	}
	if n := e.releases(t, e.w.C); n != 0 {
		t.Fatalf("a check stored %d releases", n)
	}
	// Saving the broken draft stores nothing and says why.
	draft.Set("action", "save")
	if resp, body := an.post("/outgoing/new", draft); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, strictID) {
		t.Errorf("a broken draft saved: %d\n%s", resp.StatusCode, body)
	}
	draft["object"] = []string{paID + "@" + mod + "#pa"}
	draft.Set("recipient", "org:sh")
	draft.Set("more_objects", pcID+"@"+mod+"#pc\n")
	draft.Set("action", "check")
	if _, ok := an.post("/outgoing/new", draft); !strings.Contains(ok, `id="rules-ok"`) || !strings.Contains(ok, "<code>pa</code>") {
		t.Errorf("a good draft's check:\n%s", ok)
	}
	draft.Set("action", "save")
	resp, page := an.post("/outgoing/new", draft)
	m := builderPath.FindStringSubmatch(resp.Request.URL.Path)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("draft: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	id := m[1]
	for _, want := range []string{"<h1>Ward &lt;b&gt;beacons&lt;/b&gt;</h1>", "awaiting consent", `<tr data-org="pa">`, "pending", `id="deadline"`, `id="publish-wait"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the release's page lacks %q\n%s", want, page)
		}
	}

	// pa's liaison reads both languages of the advice its consent covers.
	if _, req := e.signedIn(t, e.w.ALiaison).get("/consents/" + id); !strings.Contains(req, `<div class="text advice" lang="nl" id="advice-nl">Blokkeer beide.</div>`) {
		t.Errorf("the request does not show the Dutch advice:\n%s", req)
	}
	// pa's liaison approves, generalising the address.
	if _, err := e.svc.Consent(bg, e.w.ALiaison, id, content.Consent{Revision: 1, Decision: content.DecideApproveSanitised,
		Sanitise: map[string]content.ObjectSanitisation{paID: {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses}}}}}, content.Access{Action: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Consent(bg, e.liaisonOf(t, "pc"), id, content.Consent{Revision: 1, Decision: content.DecideApprove}, content.Access{Action: "t"}); err != nil {
		t.Fatal(err)
	}
	resp, prev := an.get("/outgoing/" + id + "/preview?recipient=org:sh")
	if resp.StatusCode != 200 || !strings.Contains(prev, `id="preview"`) || !strings.Contains(prev, "Ward beacon") || !strings.Contains(prev, "Block both.") ||
		!strings.Contains(prev, "198.51.100.0/24") || strings.Contains(prev, "198.51.100.20") {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, prev)
	}
	for _, bad := range []string{paID, pcID, `"pa"`, "Partner A"} {
		if strings.Contains(prev, bad) {
			t.Errorf("the preview shows %q, which the recipient does not get", bad)
		}
	}
	if _, nl := an.get("/outgoing/"+id+"/preview?recipient=org:sh", "Accept-Language", "nl"); !strings.Contains(nl, "Blokkeer beide.") {
		t.Errorf("the Dutch preview reads the English advice")
	}
	if resp, _ := an.get("/outgoing/" + id + "/preview?recipient=org:pb"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a preview as one who is no recipient: %d", resp.StatusCode)
	}

	_, page = an.get("/outgoing/" + id)
	if !strings.Contains(page, `id="publish-form"`) {
		t.Fatalf("a ready release offers no publish:\n%s", page)
	}
	resp, page = an.post("/outgoing/"+id+"/publish", url.Values{"csrf": {csrf(t, page)}, "revision": {"1"}})
	if resp.StatusCode != 200 || !strings.Contains(page, `id="published"`) || !strings.Contains(page, `id="feedback"`) {
		t.Fatalf("publish: %d\n%s", resp.StatusCode, page)
	}
	if err := e.svc.Receipt(bg, e.w.Stakeholder, id, mosaic.ReceiptApplied, "Blocked at the edge.", content.Access{Action: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, page = an.get("/outgoing/" + id); !strings.Contains(page, "Blocked at the edge.") {
		t.Errorf("the receipt is not on the release's page:\n%s", page)
	}
	sh := e.signedIn(t, e.w.Stakeholder)
	if _, got := sh.get("/releases/"+id, "Accept-Language", "nl"); !strings.Contains(got, "Blokkeer beide.") {
		t.Errorf("the Dutch stakeholder reads:\n%s", got)
	}
	if _, list := an.get("/outgoing"); !strings.Contains(list, `<a href="/outgoing/`+id+`">Ward &lt;b&gt;beacons&lt;/b&gt;</a>`) {
		t.Errorf("the list of releases:\n%s", list)
	}
}

// releases counts the releases v's organisation drafted.
func (e *env) releases(t *testing.T, v mosaic.Viewer) int {
	t.Helper()
	l, err := e.svc.ReleaseList(bg, v, mosaic.ReleaseFilter{}, content.Access{Action: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return len(l)
}

// TestReleaseBuilderInsiders: another partner's analyst, the liaison asked
// and a stakeholder learn nothing of a release through the builder's
// pages, cannot add to it, preview it, publish or withdraw it; an
// analyst cannot put into a release what they cannot see.
func TestReleaseBuilderInsiders(t *testing.T) {
	e, _ := newReleaseEnv(t)
	if err := e.w.Store.SetPassword(bg, e.w.ALiaison.User, credential.HashPassword(password(e.w.ALiaison.User)), mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	r, paID, _ := e.consentRequest(t)
	hidden := indicatorAt(821, "Only ops sees", "[ipv4-addr:value = '192.0.2.99']")
	e.w.Ingest(t, e.w.A, storetest.Record(t, hidden, mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}, TLP: mosaic.TLPGreen}))
	hiddenID := "indicator--" + storetest.UUID(821)

	nonexistent := "00000000-0000-4000-8000-000000000000"
	for _, v := range []mosaic.Viewer{e.w.A, e.w.ALiaison, e.w.Stakeholder} {
		b := e.signedIn(t, v)
		_, home := b.get("/")
		token := csrf(t, home)
		var pages []string
		for _, path := range []string{"/outgoing/" + r.ID, "/outgoing/" + r.ID + "/preview?recipient=org:sh", "/outgoing"} {
			resp, body := b.get(path)
			if path != "/outgoing" && resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %s answers %d", v.User, path, resp.StatusCode)
			}
			pages = append(pages, body)
		}
		_, missing := b.get("/outgoing/" + nonexistent)
		_, same := b.get("/outgoing/" + r.ID)
		if volatile(strings.ReplaceAll(missing, nonexistent, "ID")) != volatile(strings.ReplaceAll(same, r.ID, "ID")) {
			t.Errorf("%s tells a release of pc from one that does not exist:\n%s\n---\n%s", v.User, missing, same)
		}
		for _, req := range []struct {
			path string
			form url.Values
		}{
			{"/outgoing/" + r.ID + "/publish", url.Values{"revision": {"1"}}},
			{"/outgoing/" + r.ID + "/withdraw", url.Values{"reason": {"mine now"}}},
			{"/outgoing/" + r.ID, url.Values{"revision": {"1"}, "title": {"taken"}, "advice": {"x"}, "recipient": {"public"}}},
			{"/outgoing/add", url.Values{"release": {r.ID}, "object": {paID}}},
		} {
			req.form.Set("csrf", token)
			resp, body := b.post(req.path, req.form)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: POST %s answers %d", v.User, req.path, resp.StatusCode)
			}
			pages = append(pages, body)
		}
		for i, body := range pages {
			for _, bad := range []string{"Beacon &lt;i&gt;advice&lt;/i&gt;", "Pc secret lure", "Block both", "203.0.113.77"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s: page %d shows %q", v.User, i, bad)
				}
			}
		}
	}
	got, err := e.svc.Release(bg, e.w.C, r.ID, content.Access{Action: "t"})
	if err != nil || got.Release.Title != r.Title || got.Release.Revision != 1 || got.Release.State != mosaic.ReleaseAwaitingConsent {
		t.Errorf("the release changed: %+v, %v", got.Release, err)
	}

	// pc's analyst is not in compartment ops: an object of it is refused
	// as one that does not exist, and nothing is drafted.
	an := e.signedIn(t, e.w.C)
	_, home := an.get("/")
	resp, body := an.post("/outgoing/new", url.Values{"csrf": {csrf(t, home)}, "title": {"x"}, "advice": {"y"}, "recipient": {"org:sh"},
		"object": {hiddenID + "@2026-10-01T08:15:42.123Z"}, "action": {"save"}})
	if resp.StatusCode == 200 && builderPath.MatchString(resp.Request.URL.Path) {
		t.Fatal("a release of an object its drafter cannot see was drafted")
	}
	if strings.Contains(body, "Only ops sees") || strings.Contains(body, "192.0.2.99") {
		t.Error("the refusal shows the hidden object")
	}
	if _, s := an.get("/outgoing/new?object=" + url.QueryEscape(hiddenID)); strings.Contains(s, "Only ops sees") {
		t.Error("the form shows the hidden object")
	}
	// The stakeholder has no builder at all.
	sh := e.signedIn(t, e.w.Stakeholder)
	if resp, _ := sh.get("/outgoing"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the stakeholder's /outgoing: %d", resp.StatusCode)
	}
	if _, objs := sh.get("/"); strings.Contains(objs, "Release builder") {
		t.Error("the stakeholder's navigation links the builder")
	}
}

var volatileParts = regexp.MustCompile(`Request id: <code>[0-9a-f]+</code>|name="csrf" value="[^"]+"`)

// volatile blanks what differs between two answers to the same request.
func volatile(page string) string { return volatileParts.ReplaceAllString(page, "") }

// liaisonOf makes a liaison of org.
func (e *env) liaisonOf(t *testing.T, org string) mosaic.Viewer {
	t.Helper()
	u := mosaic.User{Name: org + "-liaison", Org: org, Role: mosaic.Liaison}
	if err := e.w.Store.CreateUser(bg, &u, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	o := e.w.Orgs[org]
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: mosaic.Liaison}
}
