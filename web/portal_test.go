package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/release"
	"mosaic/storetest"
	"mosaic/web"
)

// secondStakeholder adds organisation sh2, a stakeholder of another
// sector, and its user with a password.
func (e *env) secondStakeholder(t *testing.T) mosaic.Viewer {
	t.Helper()
	setup := mosaic.AuditEntry{Action: "setup"}
	o := mosaic.Organisation{Name: "sh2", FullName: "Second Stakeholder", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}}
	if err := e.w.Store.CreateOrg(bg, &o, setup); err != nil {
		t.Fatal(err)
	}
	u := mosaic.User{Name: "sh2-user", Org: "sh2", Role: mosaic.StakeholderViewer}
	if err := e.w.Store.CreateUser(bg, &u, credential.HashPassword(password(u.Name)), setup); err != nil {
		t.Fatal(err)
	}
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
}

// TestStakeholderPortal: a stakeholder finds a release delivered to its
// organisation on its home page and in its list, reads it (TLP banner,
// escaped advice, objects), downloads its snapshot and exports, and
// reports its status, which the drafter then reads; a form without its
// token changes nothing.
func TestStakeholderPortal(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r := e.publish(t, "Ward <b>beacon</b> advice", hostileAdvice, mosaic.TLPAmber, "org:sh",
		indicatorAt(720, "Ward beacon", "[ipv4-addr:value = '198.51.100.20']"))
	sh := e.signedIn(t, e.w.Stakeholder)

	_, home := sh.get("/")
	for _, want := range []string{
		`<li><a href="/releases">Releases</a></li>`,
		`<a href="/releases/` + r.ID + `">Ward &lt;b&gt;beacon&lt;/b&gt; advice</a>`,
		`<a href="/releases">All releases to you</a>`,
	} {
		if !strings.Contains(home, want) {
			t.Errorf("home lacks %q\n%s", want, home)
		}
	}
	if strings.Contains(home, "Nothing has been released to you yet") {
		t.Error("the home page says nothing was released")
	}

	resp, list := sh.get("/releases")
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d\n%s", resp.StatusCode, list)
	}
	for _, want := range []string{
		`<a href="/releases" aria-current="page">Releases</a>`,
		`<a href="/releases/` + r.ID + `">Ward &lt;b&gt;beacon&lt;/b&gt; advice</a>`,
		`<span class="tlp-tag tlp-amber">TLP:AMBER</span>`,
		"<td>your organisation (sh)</td>",
		"<td>" + storetest.Epoch.UTC().Format("2006-01-02 15:04 UTC") + "</td>",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q\n%s", want, list)
		}
	}
	noInline(t, "/releases", list)

	resp, body := sh.get("/releases/" + r.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("release: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<div class="tlp-banner tlp-amber" role="note"`, `<strong class="tlp-label">TLP:AMBER</strong>`,
		"only on a need-to-know basis within their organisation and its clients.",
		"<h1>Ward &lt;b&gt;beacon&lt;/b&gt; advice</h1>",
		`<div class="text advice">Block the address at the edge.` + "\n\n  1. &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; is no instruction;\n  2. neither is &lt;b&gt;this&lt;/b&gt; &amp; that.</div>",
		"<td>indicator</td>", "<td>Ward beacon</td>", "<code>[ipv4-addr:value = &#39;198.51.100.20&#39;]</code>",
		`<a href="/releases/` + r.ID + `/snapshot" download="release-` + r.ID + `.json">`,
		`<a href="/releases/` + r.ID + `/export?format=ip">`,
		`<form class="receipt" method="post" action="/releases/` + r.ID + `/receipt">`,
		`<option value="need-help">Need help</option>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q\n%s", want, body)
		}
	}
	for _, bad := range []string{"<script>alert", "<b>this</b>", `id="reach"`, `id="withdrawn"`, `id="reported"`} {
		if strings.Contains(body, bad) {
			t.Errorf("release page holds %q", bad)
		}
	}
	if strings.Index(body, "advice-title") > strings.Index(body, "objects-title") {
		t.Error("the objects come before the advice")
	}
	noInline(t, "/releases/"+r.ID, body)
	if _, nl := sh.get("/releases/"+r.ID, "Accept-Language", "nl"); !strings.Contains(nl, "Meld uw stand van zaken") {
		t.Errorf("the Dutch page:\n%s", nl)
	}

	resp, file := sh.get("/releases/" + r.ID + "/snapshot")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="release-`+r.ID+`.json"` {
		t.Fatalf("snapshot: %d %v", resp.StatusCode, resp.Header)
	}
	sealed, err := release.Verify([]byte(file), e.svc.ReleaseKeys())
	if err != nil {
		t.Fatalf("the snapshot does not verify with the published keys: %v", err)
	}
	if !strings.Contains(string(sealed.Snapshot), "198.51.100.20") || !strings.Contains(string(sealed.Snapshot), `"recipient":"org:sh"`) {
		t.Errorf("snapshot:\n%s", sealed.Snapshot)
	}

	resp, ips := sh.get("/releases/" + r.ID + "/export?format=ip")
	if resp.StatusCode != 200 || !strings.Contains(ips, "198.51.100.20") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("ip export: %d %v\n%s", resp.StatusCode, resp.Header, ips)
	}
	resp, bundle := sh.get("/releases/" + r.ID + "/export?format=stix")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/stix+json;version=2.1" || !strings.Contains(bundle, "Ward beacon") {
		t.Errorf("stix export: %d %v\n%s", resp.StatusCode, resp.Header, bundle)
	}
	if resp, _ := sh.get("/releases/" + r.ID + "/export?format=pdf"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown format: %d", resp.StatusCode)
	}

	// Without the form's token, nothing is reported.
	form := url.Values{"status": {"applied"}, "comment": {"Patched\r\nall <wards> & more"}}
	if resp, _ := sh.post("/releases/"+r.ID+"/receipt", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a receipt without a token: %d, want 403", resp.StatusCode)
	}
	form.Set("csrf", "forged")
	if resp, _ := sh.post("/releases/"+r.ID+"/receipt", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a receipt with a forged token: %d, want 403", resp.StatusCode)
	}
	fb, err := e.svc.Feedback(bg, e.w.A, r.ID, content.Access{Action: "test"})
	if err != nil || len(fb.Receipts) != 0 {
		t.Fatalf("feedback before reporting: %+v %v", fb, err)
	}
	form.Set("csrf", csrf(t, body))
	resp, body = sh.post("/releases/"+r.ID+"/receipt", form)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/releases/"+r.ID ||
		!strings.Contains(body, `<p class="notice confirm" role="status" id="reported">Thank you: your report (Applied) was sent to the cell.</p>`) {
		t.Errorf("after reporting: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	fb, err = e.svc.Feedback(bg, e.w.A, r.ID, content.Access{Action: "test"})
	if err != nil || len(fb.Receipts) != 1 {
		t.Fatalf("feedback: %+v %v", fb, err)
	}
	if got := fb.Receipts[0]; got.User != e.w.Stakeholder.User || got.Org != "sh" || got.Status != mosaic.ReceiptApplied || got.Comment != "Patched\nall <wards> & more" {
		t.Errorf("receipt: %+v", got)
	}
	form.Set("status", "done-and-dusted")
	if resp, _ := sh.post("/releases/"+r.ID+"/receipt", form); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown status: %d", resp.StatusCode)
	}

	got := e.audit.actions(e.w.Stakeholder.User)
	for _, want := range []string{"web.releases:allow", "web.release:allow", "web.release.snapshot:allow", "web.release.export:allow"} {
		if !slices.Contains(got, want) {
			t.Errorf("audit lacks %s: %v", want, got)
		}
	}

	// Withdrawn, the release says so, and its objects are not exported.
	if _, err := e.svc.Withdraw(bg, e.w.A, r.ID, "Recalled: the <address> was a sinkhole.", content.Access{Action: "releases.withdraw"}); err != nil {
		t.Fatal(err)
	}
	if _, body := sh.get("/releases/" + r.ID); !strings.Contains(body, `id="withdrawn"`) || !strings.Contains(body, "Recalled: the &lt;address&gt; was a sinkhole.") || strings.Contains(body, "/export?format=") {
		t.Errorf("the withdrawn release's page:\n%s", body)
	}
	if _, list := sh.get("/releases"); !strings.Contains(list, `<span class="badge withdrawn">withdrawn `) {
		t.Errorf("the list does not mark the withdrawn release:\n%s", list)
	}
	if resp, _ := sh.get("/releases/" + r.ID + "/export?format=csv"); resp.StatusCode != http.StatusConflict {
		t.Errorf("export of a withdrawn release: %d", resp.StatusCode)
	}
}

// TestPortalHidesOthersReleases: another stakeholder's list stays byte for
// byte the same when a release is delivered to sh, and every page of it
// is the page of a release that does not exist.
func TestPortalHidesOthersReleases(t *testing.T) {
	e, _ := newReleaseEnv(t)
	sh2 := e.signedIn(t, e.secondStakeholder(t))
	_, before := sh2.get("/releases")
	r := e.publish(t, "Quokka hospital advice", "Patch the wards.", mosaic.TLPAmber, "org:sh",
		indicatorAt(730, "Quokka beacon", "[domain-name:value = 'quokka.example']"))
	resp, after := sh2.get("/releases")
	if resp.StatusCode != 200 || after != before {
		t.Errorf("the other stakeholder's list changed: %d\nbefore:\n%s\nafter:\n%s", resp.StatusCode, before, after)
	}
	secrets := append([]string{r.ID, r.Title, "Quokka", "quokka"}, e.releasedIDs(t, e.w.Stakeholder, r.ID)...)
	for _, s := range secrets {
		if strings.Contains(after, s) {
			t.Errorf("the other stakeholder's list names %q", s)
		}
	}
	if _, home := sh2.get("/"); strings.Contains(home, r.ID) || strings.Contains(home, "Quokka") {
		t.Error("the other stakeholder's home names the release")
	}
	missing := "0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0fff"
	page := func(path, id string) string {
		t.Helper()
		resp, body := sh2.get(path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
		return requestIDLine.ReplaceAllString(strings.ReplaceAll(body, id, "ID"), "")
	}
	for _, suffix := range []string{"", "/snapshot", "/export?format=stix"} {
		hidden, absent := page("/releases/"+r.ID+suffix, r.ID), page("/releases/"+missing+suffix, missing)
		if hidden != absent {
			t.Errorf("%s: the page of another's release differs from a missing one's:\n%s\n---\n%s", suffix, hidden, absent)
		}
		for _, s := range secrets[1:] {
			if strings.Contains(hidden, s) {
				t.Errorf("%s: the 404 page names %q", suffix, s)
			}
		}
	}
	_, body := sh2.get("/releases")
	form := url.Values{"csrf": {csrf(t, body)}, "status": {"received"}}
	if resp, _ := sh2.post("/releases/"+r.ID+"/receipt", form); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a receipt on another's release: %d, want 404", resp.StatusCode)
	}
	if fb, err := e.svc.Feedback(bg, e.w.A, r.ID, content.Access{Action: "test"}); err != nil || len(fb.Receipts) != 0 {
		t.Errorf("feedback: %+v %v", fb, err)
	}

	// Those who receive no releases have no portal, nor a link to it.
	admin := e.signedIn(t, e.w.Admin)
	if resp, _ := admin.get("/releases"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an admin's /releases: %d", resp.StatusCode)
	}
	if _, home := admin.get("/"); strings.Contains(home, `href="/releases"`) {
		t.Error("an admin's navigation links /releases")
	}
}

// TestPortalReach: AMBER+STRICT and RED deliveries say in a sentence how
// far they may go.
func TestPortalReach(t *testing.T) {
	e, _ := newReleaseEnv(t)
	strict := e.publish(t, "Strict advice", "Keep it in.", mosaic.TLPAmberStrict, "org:sh",
		indicatorAt(740, "Strict beacon", "[domain-name:value = 'strict.example']"))
	// RED is never shared with the whole cell: pa shares it with its
	// compartment.
	e.w.Ingest(t, e.w.A, storetest.Record(t, indicatorAt(741, "Red beacon", "[domain-name:value = 'red.example']"),
		mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}, TLP: mosaic.TLPRed}))
	red, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Red advice", Advice: "For you alone.", Recipients: []string{"user:" + e.w.Stakeholder.User},
		Objects: []content.Pin{{ID: "indicator--" + storetest.UUID(741), Modified: "2026-10-01T08:15:42.123Z"}}}, content.Access{Action: "releases.draft"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Consent(bg, e.w.ALiaison, red.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, content.Access{Action: "releases.consent"}); err != nil {
		t.Fatal(err)
	}
	if red, err = e.svc.Publish(bg, e.w.A, red.ID, 1, content.Access{Action: "releases.publish"}); err != nil {
		t.Fatal(err)
	}
	sh := e.signedIn(t, e.w.Stakeholder)
	_, body := sh.get("/releases/" + strict.ID)
	if !strings.Contains(body, `<strong class="tlp-label">TLP:AMBER&#43;STRICT</strong>`) ||
		!strings.Contains(body, `<p class="reach" id="reach">Share this only within your own organisation`) {
		t.Errorf("the AMBER+STRICT page:\n%s", body)
	}
	_, body = sh.get("/releases/" + red.ID)
	if !strings.Contains(body, `<strong class="tlp-label">TLP:RED</strong>`) ||
		!strings.Contains(body, `<p class="reach" id="reach">This is for you only: do not share it with anyone, not even your colleagues.</p>`) {
		t.Errorf("the RED page:\n%s", body)
	}
	if _, list := sh.get("/releases"); !strings.Contains(list, "<td>you personally (sh-user)</td>") || !strings.Contains(list, "<td>your organisation (sh)</td>") {
		t.Errorf("the list's addressing:\n%s", list)
	}
}

// TestPortalPaged lists more releases than a page holds, newest first,
// each once, and none delivered to another organisation.
func TestPortalPaged(t *testing.T) {
	e, _ := newReleaseEnv(t)
	e.secondStakeholder(t)
	n := web.PageSize + 3
	var ids []string
	for i := range n {
		e.w.Clock.Add(time.Minute)
		ids = append(ids, e.publish(t, fmt.Sprintf("Advice %02d", i), "Patch.", mosaic.TLPAmber, "org:sh").ID)
		if i%10 == 0 {
			e.publish(t, fmt.Sprintf("Elsewhere %02d", i), "Patch.", mosaic.TLPAmber, "org:sh2")
		}
	}
	sh := e.signedIn(t, e.w.Stakeholder)
	link := regexp.MustCompile(`<a href="/releases/([0-9a-f-]+)">`)
	var seen []string
	path := "/releases"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		resp, body := sh.get(path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", path, resp.StatusCode, body)
		}
		if strings.Contains(body, "Elsewhere") {
			t.Errorf("%s lists another organisation's release", path)
		}
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			seen = append(seen, m[1])
		}
		path = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != n {
		t.Fatalf("%d releases over all pages, want %d", len(seen), n)
	}
	for i, id := range seen {
		if id != ids[n-1-i] {
			t.Fatalf("entry %d is %s, want %s: not newest first", i, id, ids[n-1-i])
		}
	}
	// The home page lists the newest five.
	_, home := sh.get("/")
	if got := link.FindAllStringSubmatch(home, -1); len(got) != web.HomeReleases || got[0][1] != ids[n-1] {
		t.Errorf("home lists %d releases", len(got))
	}
}
