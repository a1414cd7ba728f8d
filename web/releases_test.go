package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
	"mosaic/storetest"
	"mosaic/web"
)

// newReleaseEnv is newEnv with releases on, signed with keys made for
// the test.
func newReleaseEnv(t *testing.T, opts ...func(*web.Options)) (*env, *release.Keys) {
	t.Helper()
	var keys *release.Keys
	enable := func(o *web.Options) {
		var err error
		if keys, err = release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch); err != nil {
			t.Fatal(err)
		}
		rs, ok := o.Store.(content.ReleaseStore)
		if !ok {
			t.Fatal("the store keeps no releases")
		}
		o.Content.EnableReleases(rs, content.ReleaseConfig{Keys: keys})
	}
	return newEnv(t, append([]func(*web.Options){enable}, opts...)...), keys
}

// indicatorAt is an indicator of pa's, n naming its id.
func indicatorAt(n int, name, pattern string) string {
	return `{"type":"indicator","spec_version":"2.1","id":"indicator--` + storetest.UUID(n) + `","created":"2026-10-01T08:15:42.123Z","modified":"2026-10-01T08:15:42.123Z","name":"` + name + `","pattern":"` + pattern + `","pattern_type":"stix","valid_from":"2026-10-01T08:15:42Z"}`
}

// publish has pa's analyst ingest objs at tlp, draft a release of them to
// one recipient, pa's liaison consent, and the analyst publish it.
func (e *env) publish(t *testing.T, title, advice string, tlp mosaic.TLP, to string, objs ...string) mosaic.Release {
	t.Helper()
	var pins []content.Pin
	for _, o := range objs {
		e.w.Ingest(t, e.w.A, storetest.Record(t, o, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: tlp}))
		var h struct{ ID, Modified string }
		if err := json.Unmarshal([]byte(o), &h); err != nil {
			t.Fatal(err)
		}
		pins = append(pins, content.Pin{ID: h.ID, Modified: h.Modified})
	}
	r, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: title, Advice: advice, Recipients: []string{to}, Objects: pins}, content.Access{Action: "releases.draft"})
	if err != nil {
		t.Fatalf("draft %q: %v", title, err)
	}
	if _, err := e.svc.Consent(bg, e.w.ALiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, content.Access{Action: "releases.consent"}); err != nil {
		t.Fatalf("consent to %q: %v", title, err)
	}
	if r, err = e.svc.Publish(bg, e.w.A, r.ID, 1, content.Access{Action: "releases.publish"}); err != nil {
		t.Fatalf("publish %q: %v", title, err)
	}
	return r
}

// releasedIDs are the ids of the objects delivered to v in release id.
func (e *env) releasedIDs(t *testing.T, v mosaic.Viewer, id string) []string {
	t.Helper()
	got, err := e.svc.Release(bg, v, id, content.Access{Action: "test"})
	if err != nil || got.Delivery == nil {
		t.Fatalf("%s reads release %s: %v", v.User, id, err)
	}
	var b struct {
		Objects []struct{ ID string } `json:"objects"`
	}
	if err := json.Unmarshal(got.Delivery.Bundle, &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range b.Objects {
		out = append(out, o.ID)
	}
	return out
}

const hostileAdvice = "Block the address at the edge.\n\n  1. <script>alert(\"x\")</script> is no instruction;\n  2. neither is <b>this</b> & that."

func TestPublicReleasePage(t *testing.T) {
	e, keys := newReleaseEnv(t)
	r := e.publish(t, "Beacon <i>of</i> the week", hostileAdvice, mosaic.TLPClear, "public",
		indicatorAt(700, "Public beacon", "[ipv4-addr:value = '203.0.113.9']"))
	b := e.browser(t)

	resp, body := b.get("/public/releases")
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"<h1>Public releases</h1>",
		`<a href="/public/releases/` + r.ID + `">Beacon &lt;i&gt;of&lt;/i&gt; the week</a>`,
		`<span class="tlp-tag tlp-clear">TLP:CLEAR</span>`,
		"<td>" + storetest.Epoch.UTC().Format("2006-01-02 15:04 UTC") + "</td>",
		"These pages show only what the cell released to the public.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q\n%s", want, body)
		}
	}
	if strings.Contains(body, "Everything here is confidential") || strings.Contains(body, "<i>of</i>") {
		t.Errorf("list page:\n%s", body)
	}
	noInline(t, "/public/releases", body)

	resp, body = b.get("/public/releases/" + r.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("release: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<div class="tlp-banner tlp-clear" role="note"`, `<strong class="tlp-label">TLP:CLEAR</strong>`, "Recipients may share this without restriction.",
		"<h1>Beacon &lt;i&gt;of&lt;/i&gt; the week</h1>",
		// Escaped, every line break and indentation kept.
		`<div class="text advice">Block the address at the edge.` + "\n\n  1. &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; is no instruction;\n  2. neither is &lt;b&gt;this&lt;/b&gt; &amp; that.</div>",
		"<td>indicator</td>", "<td>Public beacon</td>", "<code>[ipv4-addr:value = &#39;203.0.113.9&#39;]</code>",
		`<a href="/public/releases/` + r.ID + `/snapshot" download="release-` + r.ID + `.json">`,
		"mosaic release pin --key-id ID", "mosaic release verify release-" + r.ID + ".json",
		`<a href="/api/v1/releases/keys">`, "<code>" + keys.Current().ID + "</code>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q\n%s", want, body)
		}
	}
	for _, bad := range []string{"<script>alert", "<b>this</b>", "<i>of</i>", `id="withdrawn"`, "indicator--" + storetest.UUID(700)} {
		if strings.Contains(body, bad) {
			t.Errorf("release page holds %q", bad)
		}
	}
	noInline(t, "/public/releases/"+r.ID, body)
	if _, nl := b.get("/public/releases/"+r.ID, "Accept-Language", "nl"); !strings.Contains(nl, "<h2 id=\"advice-title\">Handelingsperspectief</h2>") || !strings.Contains(nl, "Ondertekende momentopname") {
		t.Errorf("the Dutch release page:\n%s", nl)
	}

	resp, file := b.get("/public/releases/" + r.ID + "/snapshot")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="release-`+r.ID+`.json"` {
		t.Fatalf("snapshot: %d %v", resp.StatusCode, resp.Header)
	}
	sealed, err := release.Verify([]byte(file), e.svc.ReleaseKeys())
	if err != nil {
		t.Fatalf("the downloaded snapshot does not verify with the published keys: %v", err)
	}
	if !strings.Contains(string(sealed.Snapshot), "203.0.113.9") || !strings.Contains(string(sealed.Snapshot), `"recipient":"public"`) {
		t.Errorf("snapshot:\n%s", sealed.Snapshot)
	}

	// None of it asked for a session, nor made one.
	for _, c := range b.c.Jar.Cookies(resp.Request.URL) {
		t.Errorf("the public pages set cookie %s", c.Name)
	}
	var reads []string
	for _, a := range e.audit.actions("") {
		if strings.HasPrefix(a, "web.release") {
			reads = append(reads, a)
		}
	}
	if got := strings.Join(reads, " "); got != "web.releases.public:allow web.release.public:allow web.release.public:allow web.release.public:allow" {
		t.Errorf("audit of the anonymous reads: %s", got)
	}

	// Signed in, the pages are the same, the signed-in parts aside.
	sh := e.signedIn(t, e.w.Stakeholder)
	if _, body := sh.get("/public/releases/" + r.ID); !strings.Contains(body, hostileAdvice[:20]) || !strings.Contains(body, "Public beacon") {
		t.Errorf("a signed-in stakeholder's release page:\n%s", body)
	}

	// The sign-in page links the public releases.
	if _, body := e.browser(t).get("/login"); !strings.Contains(body, `<a href="/public/releases">Public releases of the cell</a>`) {
		t.Errorf("the sign-in page does not link the public releases:\n%s", body)
	}
}

// TestNonPublicReleasesLeaveNoTrace publishes a GREEN release to the
// stakeholders' sector and an AMBER one to the stakeholder organisation:
// the public list stays byte for byte the same, for anyone and for the
// stakeholder that received them, and their pages are the page of a
// release that does not exist.
func TestNonPublicReleasesLeaveNoTrace(t *testing.T) {
	e, _ := newReleaseEnv(t)
	e.publish(t, "Open advice", "Patch now.", mosaic.TLPClear, "public", indicatorAt(710, "Open beacon", "[domain-name:value = 'open.example']"))
	anon := e.browser(t)
	sh := e.signedIn(t, e.w.Stakeholder)
	list := func(b *browser) string {
		resp, body := b.get("/public/releases")
		if resp.StatusCode != 200 {
			t.Fatalf("list: %d", resp.StatusCode)
		}
		return body
	}
	before, shBefore := list(anon), list(sh)

	green := e.publish(t, "Greenlit sector secret", "Tell the sector.", mosaic.TLPGreen, "sector:healthcare",
		indicatorAt(711, "Green beacon", "[domain-name:value = 'green.example']"))
	amber := e.publish(t, "Amberwave org secret", "Tell the hospital.", mosaic.TLPAmber, "org:sh",
		indicatorAt(712, "Amber beacon", "[domain-name:value = 'amber.example']"))

	if after := list(anon); after != before {
		t.Errorf("the public list changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	shAfter := list(sh)
	if shAfter != shBefore {
		t.Errorf("the stakeholder's public list changed:\nbefore:\n%s\nafter:\n%s", shBefore, shAfter)
	}
	missing := "0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0fff"
	notFound := func(b *browser, path, id string) string {
		t.Helper()
		resp, body := b.get(path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
		return requestIDLine.ReplaceAllString(strings.ReplaceAll(body, id, "ID"), "")
	}
	for _, r := range []mosaic.Release{green, amber} {
		// The stakeholder did receive it, so its ids are really there.
		secrets := append([]string{r.ID, r.Title, strings.SplitN(r.Title, " ", 2)[0]}, e.releasedIDs(t, e.w.Stakeholder, r.ID)...)
		for _, page := range []string{before, shAfter} {
			for _, s := range secrets {
				if strings.Contains(page, s) {
					t.Errorf("the public list names %q", s)
				}
			}
		}
		for _, b := range []*browser{anon, sh} {
			for _, suffix := range []string{"", "/snapshot"} {
				hidden := notFound(b, "/public/releases/"+r.ID+suffix, r.ID)
				absent := notFound(b, "/public/releases/"+missing+suffix, missing)
				if hidden != absent {
					t.Errorf("the public page of a %s release differs from a missing one's:\n%s\n---\n%s", r.TLP, hidden, absent)
				}
				if strings.Contains(hidden, r.Title) || strings.Contains(hidden, "beacon") {
					t.Errorf("the 404 page names the release")
				}
			}
		}
	}
}

// TestPublicReleasesPaged lists more public releases than a page holds,
// newest first, each once, and marks a withdrawn one.
func TestPublicReleasesPaged(t *testing.T) {
	e, _ := newReleaseEnv(t)
	n := web.PageSize + 7
	var ids []string
	for i := range n {
		e.w.Clock.Add(time.Minute)
		ids = append(ids, e.publish(t, fmt.Sprintf("Advice %02d", i), "Patch.", mosaic.TLPClear, "public").ID)
	}
	withdrawn := ids[3]
	reason := "The vendor's patch\n  was recalled & <replaced>."
	if _, err := e.svc.Withdraw(bg, e.w.A, withdrawn, reason, content.Access{Action: "releases.withdraw"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	link := regexp.MustCompile(`<a href="/public/releases/([0-9a-f-]+)">`)
	var seen []string
	path := "/public/releases"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		resp, body := b.get(path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", path, resp.StatusCode, body)
		}
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			seen = append(seen, m[1])
		}
		if strings.Contains(body, withdrawn) != strings.Contains(body, `<span class="badge withdrawn">withdrawn `) {
			t.Errorf("%s marks the withdrawn release wrongly:\n%s", path, body)
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

	_, body := b.get("/public/releases/" + withdrawn)
	if !strings.Contains(body, `<div class="alert" role="note" id="withdrawn">`) ||
		!strings.Contains(body, `<div class="text">The vendor&#39;s patch`+"\n  was recalled &amp; &lt;replaced&gt;.</div>") {
		t.Errorf("the withdrawn release's page:\n%s", body)
	}
	if _, body := b.get("/public/releases/" + ids[4]); strings.Contains(body, `id="withdrawn"`) {
		t.Error("a release not withdrawn says it is")
	}
	if resp, body := b.get("/public/releases?cursor=abc"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "page link is not valid") {
		t.Errorf("bad cursor: %d", resp.StatusCode)
	}
}

// TestPublicReleasesLimited: requests without a session are limited per
// client address; a signed-in reader is held to its own budget instead.
func TestPublicReleasesLimited(t *testing.T) {
	e, _ := newReleaseEnv(t, func(o *web.Options) { o.AnonymousPerMinute = 3 })
	anon := e.browser(t)
	for i := range 3 {
		if resp, _ := anon.get("/public/releases"); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := anon.get("/public/releases/" + storetest.UUID(1))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "20" || !strings.Contains(body, "Too many requests; try again in 20 seconds.") {
		t.Errorf("a fourth request: %d %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Another client at the same address is refused as well; one signed
	// in is not.
	if resp, _ := e.browser(t).get("/public/releases"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("another anonymous client: %d", resp.StatusCode)
	}
	if resp, _ := e.signedIn(t, e.w.Stakeholder).get("/public/releases"); resp.StatusCode != 200 {
		t.Errorf("a signed-in reader: %d", resp.StatusCode)
	}
	e.w.Clock.Add(20 * time.Second)
	if resp, _ := anon.get("/public/releases"); resp.StatusCode != 200 {
		t.Errorf("20 seconds later: %d", resp.StatusCode)
	}
}

// Without releases there are no public pages, and nothing links them.
func TestNoPublicReleasesWithoutReleases(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	if resp, _ := b.get("/public/releases"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("list without releases: %d", resp.StatusCode)
	}
	if _, body := b.get("/login"); strings.Contains(body, "/public/releases") {
		t.Error("the sign-in page links public releases the server does not make")
	}
}
