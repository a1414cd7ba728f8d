package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/credential"
	"mosaic/gate"
	"mosaic/storetest"
	"mosaic/taxii"
	"mosaic/web"
)

// collectionEnv is a release env whose server also mounts the REST API
// and TAXII, behind one gate as in production, and whose UI finds the
// collections of that TAXII server.
type collectionEnv struct {
	*env
	taxii *taxii.Server
}

func newCollectionEnv(t *testing.T) *collectionEnv {
	t.Helper()
	var tx *taxii.Server
	var a *api.Server
	e, _ := newReleaseEnv(t, func(o *web.Options) {
		st, ok := o.Store.(storetest.Store)
		if !ok {
			t.Fatalf("%T is no full store", o.Store)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		g := gate.New(st, o.Clock, gate.Limits{RatePerSecond: 1e6, RateBurst: 1e6, AuthFailuresPerMinute: 1000})
		tx = taxii.New(o.Content, st, taxii.Options{Gate: g, AnonymousPerMinute: 1e6}, o.Clock, log)
		a = api.New(o.Content, st, api.Limits{MaxBodyBytes: 1 << 20, MaxPageSize: 100, RatePerSecond: 1e6, RateBurst: 1e6, AuthFailures: 1000, TokenLifetime: time.Hour, Gate: g}, o.Clock, log)
		o.Collections = tx
	})
	ui := e.srv.Config.Handler
	mux := http.NewServeMux()
	mux.Handle("/api/", a.Handler())
	mux.Handle("GET "+web.EventsPath, ui)
	mux.Handle(taxii.DiscoveryPath, tx.Handler())
	mux.Handle("/", ui)
	e.srv.Config.Handler = mux
	return &collectionEnv{env: e, taxii: tx}
}

// collections are the ids of the collections of released objects v
// receives, by the content service's names for them.
func (e *collectionEnv) collections(t *testing.T, v mosaic.Viewer) map[string]string {
	t.Helper()
	cs, err := e.taxii.ReleasedCollections(bg, v)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		out[c.Key] = c.ID
	}
	return out
}

// call sends a request to the server with a token: as HTTP Basic's
// password when user is set, else as a Bearer token.
func (e *collectionEnv) call(t *testing.T, method, path, user, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, token)
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if strings.HasPrefix(path, taxii.DiscoveryPath) {
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var secretOnPage = regexp.MustCompile(`<code class="secret">(mosaic_[A-Za-z0-9_-]{43})</code>`)

// TestCollectionPage: a stakeholder's page names its organisation's
// collection (id, title, size, URLs, examples) and no byte of another
// organisation's; the token it makes there is read-only, shown once,
// reads the collection through TAXII and is refused a receipt through
// REST, and stops working once revoked from the page.
func TestCollectionPage(t *testing.T) {
	e := newCollectionEnv(t)
	sh2 := e.secondStakeholder(t)
	mine := e.publish(t, "Ward beacon advice", "Block it.", mosaic.TLPAmber, "org:sh",
		indicatorAt(720, "Ward beacon", "[ipv4-addr:value = '198.51.100.20']"))
	other := e.publish(t, "Grid outage advice", "Patch it.", mosaic.TLPAmber, "org:sh2",
		indicatorAt(721, "Grid wiper", "[ipv4-addr:value = '203.0.113.77']"))
	own, theirs := e.collections(t, e.w.Stakeholder), e.collections(t, sh2)
	if own["org:sh"] == "" || theirs["org:sh2"] == "" || own["org:sh"] == theirs["org:sh2"] {
		t.Fatalf("collections: %v and %v", own, theirs)
	}

	sh := e.signedIn(t, e.w.Stakeholder)
	resp, page := sh.get("/collection")
	if resp.StatusCode != 200 {
		t.Fatalf("/collection: %d\n%s", resp.StatusCode, page)
	}
	root := e.srv.URL + "/taxii2/api/"
	for _, want := range []string{
		`<a href="/collection" aria-current="page">TAXII feed</a>`,
		"<dd><code>" + e.srv.URL + "/taxii2/</code></dd>", "<dd><code>" + root + "</code></dd>",
		`<th scope="row">Releases to sh</th>`, "<td><code>" + own["org:sh"] + "</code></td>",
		"<td><code>" + root + "collections/" + own["org:sh"] + "/objects/</code></td>",
		"<td><code>" + own["public"] + "</code></td>",
		"curl -u 'sh-user:TOKEN' -H 'Accept: application/taxii+json;version=2.1' " + e.srv.URL + "/taxii2/\n",
		"curl -H 'Authorization: Bearer TOKEN' -H 'Accept: application/taxii+json;version=2.1' '" + root + "collections/" + own["org:sh"] + "/objects/?limit=100'",
		"Microsoft Sentinel", "OpenCTI",
		`<form class="token" method="post" action="/collection/tokens">`,
		`<input id="token-days" name="days" type="number" min="1" max="365" value="90" required>`,
		"<button type=\"submit\">Make a read-only token for our SIEM</button>",
		"You have no API tokens.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q\n%s", want, page)
		}
	}
	// The form's CSRF token is random text that could hold anything short.
	bare := csrfField.ReplaceAllString(page, "")
	for _, bad := range []string{theirs["org:sh2"], theirs["user:sh2-user"], "sh2", "Second Stakeholder", other.ID, "Grid", "203.0.113.77", `id="secret"`} {
		if bad != "" && strings.Contains(bare, bad) {
			t.Errorf("the stakeholder's page holds %q", bad)
		}
	}
	noInline(t, "/collection", page)
	if _, nl := sh.get("/collection", "Accept-Language", "nl"); !strings.Contains(nl, "<h1>Uw TAXII-collectie</h1>") || !strings.Contains(nl, "Maak een alleen-lezentoken voor onze SIEM") {
		t.Errorf("the Dutch page:\n%s", nl)
	}
	_, other2 := e.signedIn(t, sh2).get("/collection")
	if strings.Contains(other2, own["org:sh"]) || strings.Contains(other2, "Releases to sh<") || !strings.Contains(other2, theirs["org:sh2"]) {
		t.Errorf("sh2's page:\n%s", other2)
	}

	// Made from the page: shown once, never again.
	resp, made := sh.post("/collection/tokens", url.Values{"csrf": {csrf(t, page)}, "label": {"Splunk"}, "days": {"30"}})
	m := secretOnPage.FindStringSubmatch(made)
	if resp.StatusCode != http.StatusCreated || m == nil || !strings.Contains(made, "it is shown only this once") {
		t.Fatalf("make a token: %d\n%s", resp.StatusCode, made)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the secret: Cache-Control %q", cc)
	}
	secret := m[1]
	ts, err := e.w.Store.Tokens(bg, e.w.Stakeholder.User)
	if err != nil || len(ts) != 1 || !ts[0].ReadOnly || ts[0].Label != "Splunk" || !ts[0].Expires.Equal(e.w.Clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("tokens: %+v, %v", ts, err)
	}
	_, page = sh.get("/collection")
	if strings.Contains(page, secret) || strings.Contains(page, `id="secret"`) {
		t.Error("the secret is shown again")
	}
	for _, want := range []string{"<td>Splunk</td>", "<td>read-only</td>", "<td>valid</td>", `action="/collection/tokens/` + strconv.FormatInt(ts[0].ID, 10) + `/revoke"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the token list lacks %q\n%s", want, page)
		}
	}

	// It reads the organisation's collection, as many objects as the page
	// said, and nothing of sh2's.
	resp, body := e.call(t, "GET", "/taxii2/api/collections/"+own["org:sh"]+"/objects/", "sh-user", secret, "")
	var env struct {
		Objects []struct{ ID string } `json:"objects"`
	}
	if err := json.Unmarshal([]byte(body), &env); resp.StatusCode != 200 || err != nil {
		t.Fatalf("TAXII with the token: %d %v\n%s", resp.StatusCode, err, body)
	}
	ids := map[string]bool{}
	for _, o := range env.Objects {
		ids[o.ID] = true
	}
	if !strings.Contains(page, "<td>"+strconv.Itoa(len(ids))+"</td>") || !strings.Contains(body, "198.51.100.20") {
		t.Errorf("the page does not count the %d objects TAXII serves\n%s\n%s", len(ids), page, body)
	}
	if resp, _ := e.call(t, "GET", "/taxii2/api/collections/"+theirs["org:sh2"]+"/objects/", "", secret, ""); resp.StatusCode != 404 {
		t.Errorf("sh2's collection with sh's token: %d", resp.StatusCode)
	}
	// It writes nothing: a receipt is refused for the token, not for the
	// user, whose read-write token reports it.
	resp, body = e.call(t, "POST", "/api/v1/releases/"+mine.ID+"/receipts", "", secret, `{"status":"applied"}`)
	if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, "read-only") {
		t.Errorf("a receipt with the read-only token: %d %s", resp.StatusCode, body)
	}
	rw, hash := credential.NewToken()
	if _, err := e.w.Store.CreateToken(bg, e.w.Stakeholder.User, hash, "laptop", e.w.Clock.Now().Add(time.Hour), false, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.call(t, "POST", "/api/v1/releases/"+mine.ID+"/receipts", "", rw, `{"status":"applied"}`); resp.StatusCode >= 300 {
		t.Errorf("a receipt with a read-write token: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.call(t, "POST", "/taxii2/api/collections/"+own["org:sh"]+"/objects/", "sh-user", secret, `{"objects":[]}`); resp.StatusCode != 403 || !strings.Contains(body, "read-only") {
		t.Errorf("a TAXII POST with the read-only token: %d %s", resp.StatusCode, body)
	}

	// Revoked from the page, it stops working.
	_, page = sh.get("/collection")
	resp, page = sh.post("/collection/tokens/"+strconv.FormatInt(ts[0].ID, 10)+"/revoke", url.Values{"csrf": {csrf(t, page)}})
	if resp.StatusCode != 200 || resp.Request.URL.RequestURI() != "/collection?revoked=1" || !strings.Contains(page, "The token is revoked") || !strings.Contains(page, "<td>revoked</td>") {
		t.Fatalf("revoke: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	if resp, _ := e.call(t, "GET", "/taxii2/api/collections/"+own["org:sh"]+"/objects/", "sh-user", secret, ""); resp.StatusCode != 401 {
		t.Errorf("TAXII with the revoked token: %d", resp.StatusCode)
	}
}

// TestCollectionForms: the forms take nothing without their CSRF token,
// bound the lifetime and the live tokens, and revoke only the user's own
// tokens.
func TestCollectionForms(t *testing.T) {
	e := newCollectionEnv(t)
	sh2 := e.secondStakeholder(t)
	sh := e.signedIn(t, e.w.Stakeholder)
	_, page := sh.get("/collection")
	token := csrf(t, page)
	count := func(user string) int {
		ts, err := e.w.Store.Tokens(bg, user)
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}

	if resp, _ := sh.post("/collection/tokens", url.Values{"label": {"SIEM"}, "days": {"90"}}); resp.StatusCode != 403 || count("sh-user") != 0 {
		t.Errorf("a form without its CSRF token: %d, %d tokens", resp.StatusCode, count("sh-user"))
	}
	if resp, _ := sh.post("/collection/tokens", url.Values{"csrf": {"x" + token}, "label": {"SIEM"}, "days": {"90"}}); resp.StatusCode != 403 || count("sh-user") != 0 {
		t.Errorf("a form with a wrong CSRF token: %d, %d tokens", resp.StatusCode, count("sh-user"))
	}
	for _, tc := range []struct{ label, days, want string }{
		{"SIEM", "366", "from 1 to 365"},
		{"SIEM", "0", "from 1 to 365"},
		{"SIEM", "ninety", "from 1 to 365"},
		{strings.Repeat("a", mosaic.MaxTokenLabel+1), "90", "at most 200 bytes"},
	} {
		resp, body := sh.post("/collection/tokens", url.Values{"csrf": {token}, "label": {tc.label}, "days": {tc.days}})
		if resp.StatusCode != 400 || !strings.Contains(body, tc.want) || !strings.Contains(body, `value="`+tc.days+`"`) || secretOnPage.MatchString(body) || count("sh-user") != 0 {
			t.Errorf("label %.20q, %q days: %d, %d tokens\n%s", tc.label, tc.days, resp.StatusCode, count("sh-user"), body)
		}
	}

	// Another user's token is not there to revoke.
	_, hash := credential.NewToken()
	other, err := e.w.Store.CreateToken(bg, sh2.User, hash, "theirs", e.w.Clock.Now().Add(time.Hour), true, mosaic.AuditEntry{Action: "setup"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{strconv.FormatInt(other.ID, 10), "0", "x"} {
		if resp, _ := sh.post("/collection/tokens/"+id+"/revoke", url.Values{"csrf": {token}}); resp.StatusCode != 404 {
			t.Errorf("revoke token %s of another user: %d", id, resp.StatusCode)
		}
	}
	if ts, _ := e.w.Store.Tokens(bg, sh2.User); ts[0].Revoked != nil {
		t.Error("another user's token was revoked")
	}
	if resp, _ := sh.post("/collection/tokens/"+strconv.FormatInt(other.ID, 10)+"/revoke", nil); resp.StatusCode != 403 {
		t.Errorf("a revoke without its CSRF token: %d", resp.StatusCode)
	}

	// The bound of live tokens.
	for i := range mosaic.MaxLiveTokens {
		if resp, body := sh.post("/collection/tokens", url.Values{"csrf": {token}, "label": {"SIEM"}, "days": {"90"}}); resp.StatusCode != 201 {
			t.Fatalf("token %d: %d\n%s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := sh.post("/collection/tokens", url.Values{"csrf": {token}, "label": {"SIEM"}, "days": {"90"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "You hold 20 live tokens") || count("sh-user") != mosaic.MaxLiveTokens {
		t.Errorf("a token beyond the bound: %d, %d tokens\n%s", resp.StatusCode, count("sh-user"), body)
	}
}

// TestCollectionPageIsForRecipients: a partner analyst, who receives
// releases too, finds its organisation's collection; an admin, who
// receives none, finds neither the page nor the link.
func TestCollectionPageIsForRecipients(t *testing.T) {
	e := newCollectionEnv(t)
	pa := e.signedIn(t, e.w.A)
	resp, page := pa.get("/collection")
	if resp.StatusCode != 200 || !strings.Contains(page, `<th scope="row">Releases to pa</th>`) || !strings.Contains(page, e.collections(t, e.w.A)["org:pa"]) || strings.Contains(page, "Releases to sh") {
		t.Errorf("a partner analyst's page: %d\n%s", resp.StatusCode, page)
	}
	admin := e.signedIn(t, e.w.Admin)
	if resp, _ := admin.get("/collection"); resp.StatusCode != 404 {
		t.Errorf("an admin's page: %d", resp.StatusCode)
	}
	if resp, _ := admin.post("/collection/tokens", url.Values{"label": {"SIEM"}, "days": {"90"}}); resp.StatusCode < 400 {
		t.Errorf("an admin's token form: %d", resp.StatusCode)
	}
	if _, home := admin.get("/"); strings.Contains(home, `href="/collection"`) {
		t.Errorf("an admin's navigation links the collection page:\n%s", home)
	}
	if _, home := e.signedIn(t, e.w.Stakeholder).get("/"); !strings.Contains(home, `<li><a href="/collection">TAXII feed</a></li>`) {
		t.Errorf("a stakeholder's navigation lacks the collection page:\n%s", home)
	}
}
