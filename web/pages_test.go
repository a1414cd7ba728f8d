package web_test

import (
	"net/http"
	"strings"
	"testing"

	"mosaic"
	"mosaic/storetest"
)

func TestPages(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	campaign := "campaign--" + storetest.UUID(901)
	indicator := "indicator--" + storetest.UUID(903)
	browsers := map[string]*browser{}
	for _, v := range []mosaic.Viewer{e.w.A, e.w.C, e.w.Stakeholder, e.w.Admin} {
		browsers[v.User] = e.signedIn(t, v)
	}
	for _, tc := range []struct {
		name, user, path string
		header           []string
		status           int
		want, notWant    []string
	}{
		{"picture", e.w.C.User, "/", nil, 200,
			[]string{"<h1>Situational picture</h1>", `<svg class="bars"`, "<title id=\"types-chart-title\">Objects created in the last 30 days: Incidents 0, Campaigns 1, Intrusion sets 0, Malware 0, Indicators 1",
				"<th scope=\"row\">Healthcare</th>", "Ward Sweep", "This is your first visit",
				`<option value="financial-services">Financial services</option>`}, []string{">healthcare<"}},
		{"picture in Dutch", e.w.C.User, "/", []string{"Accept-Language", "nl-NL,nl;q=0.9,en;q=0.8"}, 200,
			[]string{`<html lang="nl">`, "<h1>Situationeel beeld</h1>", "Campagnes 1", "<th scope=\"row\">Zorg</th>", "Zorg 1",
				`<option value="financial-services">Financiële dienstverlening</option>`, `<option value="energy">Energie</option>`},
			[]string{"Campaigns", ">healthcare<", ">Healthcare<", ">financial-services<"}},
		{"sector page in Dutch", e.w.C.User, "/sectors/financial-services", []string{"Accept-Language", "nl"}, 200,
			[]string{"<h1>Sector: Financiële dienstverlening</h1>", `action="/sectors/financial-services/level"`}, nil},
		{"stakeholder home", e.w.Stakeholder.User, "/", nil, 200,
			[]string{"Nothing has been released to you yet", "Sectors: Healthcare."}, []string{"Ward Sweep", "Objects"}},
		{"stakeholder sees no objects", e.w.Stakeholder.User, "/objects", nil, 200, []string{"No objects match."}, []string{"Ward Sweep"}},
		{"admin home", e.w.Admin.User, "/", nil, 200, []string{"No cell content for your role", "(admin)"}, []string{"Ward Sweep"}},
		{"list", e.w.C.User, "/objects", nil, 200, []string{"Ward Sweep", "Marshlock C2", "Healthcare sector", `<span class="tlp-tag tlp-amber">TLP:AMBER</span>`}, nil},
		{"list by type", e.w.C.User, "/objects?type=indicator", nil, 200, []string{"Marshlock C2"}, []string{"Ward Sweep"}},
		{"list by TLP", e.w.C.User, "/objects?tlp=amber&originator=pa", nil, 200, []string{"Marshlock C2"}, nil},
		{"search", e.w.C.User, "/objects?q=hospitals", nil, 200, []string{"Search: hospitals", "Ward Sweep"}, []string{"Marshlock C2"}},
		{"search an observable", e.w.C.User, "/objects?q=198.51.100.7", nil, 200, []string{"Marshlock C2"}, nil},
		{"bad filter", e.w.C.User, "/objects?tlp=purple", nil, 400, []string{"Invalid request", "purple"}, nil},
		{"bad cursor", e.w.C.User, "/objects?cursor=abc", nil, 400, []string{"page link is not valid"}, nil},
		{"object", e.w.C.User, "/objects/" + campaign, nil, 200,
			[]string{`<div class="tlp-banner tlp-amber"`, "<strong class=\"tlp-label\">TLP:AMBER</strong>", "<dd>pa</dd>", "<dd>cell</dd>", "<dd>wbni</dd>",
				"Ransomware against hospitals.", "<summary>Raw JSON</summary>", "<em>targets</em> <a href=\"/objects/identity--", "<em>indicates</em> this object",
				"first version"}, nil},
		{"object with correlations", e.w.A.User, "/objects/" + indicator, nil, 200, []string{"Marshlock C2", "pattern"}, nil},
		{"missing object", e.w.C.User, "/objects/campaign--" + storetest.UUID(999), nil, 404, []string{"Not found"}, nil},
		{"not an id", e.w.C.User, "/objects/nonsense", nil, 400, []string{"not a STIX identifier"}, nil},
		{"no such page", e.w.C.User, "/nowhere", nil, 404, []string{"Not found"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := browsers[tc.user].get(tc.path, tc.header...)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d\n%s", resp.StatusCode, tc.status, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q\n%s", w, body)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("page has %q", w)
				}
			}
			if resp.StatusCode == 200 && resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			noInline(t, tc.path, body)
		})
	}
	got := strings.Join(e.audit.actions(e.w.C.User), " ")
	for _, want := range []string{"picture.read:allow", "objects.search:allow", "objects.get:allow", "objects.get:not-found"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit of %s lacks %s: %s", e.w.C.User, want, got)
		}
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	var recs []mosaic.Record
	for i := range 120 {
		recs = append(recs, storetest.Record(t, storetest.Indicator(i, "2026-10-01T00:00:00.000Z", "Beacon "+string(rune('A'+i%26)), "[ipv4-addr:value = '10.0.0.1']"), cellEnv()))
	}
	e.w.Ingest(t, e.w.A, recs...)
	b := e.signedIn(t, e.w.C)
	seen := map[string]bool{}
	path := "/objects?type=indicator"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		resp, body := b.get(path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, m := range objectLink.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("%s listed twice", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != 120 {
		t.Errorf("%d objects over all pages, want 120", len(seen))
	}
}

func TestLanguageChoice(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	if _, body := b.get("/login", "Accept-Language", "nl"); !strings.Contains(body, "<h1 id=\"login-title\">Aanmelden</h1>") {
		t.Errorf("Dutch browser:\n%s", body)
	}
	if _, body := b.get("/login", "Accept-Language", "de-DE, en;q=0.5, nl;q=0.3"); !strings.Contains(body, "<h1 id=\"login-title\">Sign in</h1>") {
		t.Errorf("English preferred over Dutch:\n%s", body)
	}
	// A choice overrides the browser and returns to the page.
	resp, body := b.get("/language?lang=nl&back=%2Flogin", "Accept-Language", "en")
	if resp.Request.URL.Path != "/login" || !strings.Contains(body, "Aanmelden") {
		t.Errorf("after choosing Dutch: %s\n%s", resp.Request.URL, body)
	}
	if resp, _ := b.get("/language?lang=nl&back=//evil.example"); resp.Request.URL.Host != strings.TrimPrefix(e.srv.URL, "http://") {
		t.Errorf("language switch redirected off site to %s", resp.Request.URL)
	}
	if resp, _ := b.get("/language?lang=xx"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown language: %d", resp.StatusCode)
	}
}

// A contributor can make an object as large as the upload limit; its page
// stays small and links to the whole JSON.
func TestLargeObjectPage(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("Marshlock beacon seen again. ", 20_000) // about 580 KB
	id := "indicator--" + storetest.UUID(990)
	e.w.Ingest(t, e.w.A, storetest.Record(t, `{"type":"indicator","spec_version":"2.1","id":"`+id+`","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Long","description":"`+long+`","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`, mosaic.Envelope{}))
	a := e.signedIn(t, e.w.A)
	resp, body := a.get("/objects/" + id)
	if resp.StatusCode != 200 || len(body) > 100<<10 || !strings.Contains(body, `<a href="/objects/`+id+`/raw">`) {
		t.Fatalf("large object page: %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, raw := a.get("/objects/" + id + "/raw")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(raw, long) {
		t.Errorf("raw JSON: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(raw))
	}
	// pc may not see it: its raw JSON is as missing as a missing object's.
	c := e.signedIn(t, e.w.C)
	hidden, _ := c.get("/objects/" + id + "/raw")
	missing, _ := c.get("/objects/indicator--" + storetest.UUID(991) + "/raw")
	if hidden.StatusCode != http.StatusNotFound || missing.StatusCode != http.StatusNotFound {
		t.Errorf("hidden raw JSON: %d, missing: %d", hidden.StatusCode, missing.StatusCode)
	}
}

// An object several organisations contributed says whose version the page
// shows, judged only from the versions the viewer can see.
func TestObjectPageNamesContributions(t *testing.T) {
	e := newEnv(t)
	id := "indicator--" + storetest.UUID(980)
	obj := func(modified, name string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-10-01T00:00:00.000Z","modified":"` + modified + `","name":"` + name + `","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`
	}
	e.w.Ingest(t, e.w.A, storetest.Record(t, obj("2026-10-01T00:00:00.000Z", "Pa's"), cellEnv()))
	e.w.Ingest(t, e.w.C, storetest.Record(t, obj("2026-10-02T00:00:00.000Z", "Pc's"), mosaic.Envelope{}))
	_, body := e.signedIn(t, e.w.C).get("/objects/" + id)
	if !strings.Contains(body, "2 organisations contributed this object") || !strings.Contains(body, "<strong>pc</strong>") || !strings.Contains(body, "<strong>pa</strong>") {
		t.Errorf("pc's page does not name both contributions")
	}
	// pa cannot see pc's own version: one contribution, no notice.
	_, body = e.signedIn(t, e.w.A).get("/objects/" + id)
	if strings.Contains(body, "organisations contributed") || strings.Contains(body, "<strong>pc</strong>") {
		t.Errorf("pa's page tells of pc's hidden version")
	}
}

// TestObjectPageNeverBlock: an object that names a value no blocklist may
// hold says so on its page, and one that names none does not.
func TestObjectPageNeverBlock(t *testing.T) {
	e := newEnv(t)
	obj := func(n int, value string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--` + storetest.UUID(n) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"n","pattern":"[ipv4-addr:value = '` + value + `']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`
	}
	e.w.Ingest(t, e.w.A, storetest.Record(t, obj(981, "8.8.8.8"), cellEnv()))
	e.w.Ingest(t, e.w.A, storetest.Record(t, obj(982, "45.77.1.2"), cellEnv()))
	b := e.signedIn(t, e.w.A)
	if _, body := b.get("/objects/indicator--" + storetest.UUID(981)); !strings.Contains(body, `id="never-block"`) || !strings.Contains(body, "8.8.8.8 must never be blocked (public resolver") {
		t.Errorf("the page of an indicator of 8.8.8.8 does not say it is never blocked")
	}
	if _, body := b.get("/objects/indicator--" + storetest.UUID(982)); strings.Contains(body, `id="never-block"`) {
		t.Errorf("the page of an ordinary indicator warns")
	}
}
