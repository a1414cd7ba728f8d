package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/approval"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/gate"
	"mosaic/ingest"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/web"
)

var bg = context.Background()

var ingestConfig = ingest.Config{
	DefaultTLP: mosaic.TLPAmber,
	LegalBases: map[string]time.Duration{"wiv2017": 365 * 24 * time.Hour, "wpg": 365 * 24 * time.Hour, "wbni": 365 * 24 * time.Hour},
	Limits:     stix.DefaultLimits(),
}

// auditLog keeps the entries of reads, as package audit would queue them.
type auditLog struct {
	mu      sync.Mutex
	entries []mosaic.AuditEntry
}

func (a *auditLog) Record(e mosaic.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

func (a *auditLog) actions(user string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.entries {
		if e.User == user {
			out = append(out, e.Action+":"+string(e.Decision))
		}
	}
	return out
}

// env is a web UI on a storetest World in SQLite, with passwords for the
// World's analysts of pa and pc, the stakeholder and the admin.
type env struct {
	w         *storetest.World
	audit     *auditLog
	srv       *httptest.Server
	web       *web.Server
	approvals *approval.Service
	svc       *content.Service
}

func password(user string) string { return "pw of " + user }

func newEnv(t *testing.T, opts ...func(*web.Options)) *env {
	t.Helper()
	w := storetest.NewWorld(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
		s, err := sqlite.Open(bg, t.TempDir(), clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
	for _, v := range []mosaic.Viewer{w.A, w.C, w.Stakeholder, w.Admin} {
		if err := w.Store.SetPassword(bg, v.User, credential.HashPassword(password(v.User)), mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{w: w, audit: &auditLog{}, approvals: approval.New(w.Store, w.Clock)}
	o := web.Options{Content: content.New(w.Store, ingestConfig, e.audit, w.Clock), Store: w.Store, Clock: w.Clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		FailuresPerMinute: 3, EventPoll: 20 * time.Millisecond, Approvals: e.approvals}
	for _, f := range opts {
		f(&o)
	}
	e.svc = o.Content
	var err error
	if e.web, err = web.New(o); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	mux := http.NewServeMux()
	mux.Handle("/", e.web.Handler())
	mux.Handle("GET "+web.EventsPath, e.web.Events(ctx, gate.New(w.Store, w.Clock, gate.Limits{})))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		e.srv.Close()
	})
	return e
}

// browser is a client with its own cookies, as one browser would be.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.srv.URL, c: &http.Client{Jar: jar}}
}

func (b *browser) get(path string, header ...string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the token of the first form on a page.
func csrf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in:\n%s", body)
	}
	return m[1]
}

// signIn signs in through the form and returns the page it lands on.
func (b *browser) signIn(user, pw string) (*http.Response, string) {
	b.t.Helper()
	_, body := b.get("/login")
	return b.post("/login", url.Values{"csrf": {csrf(b.t, body)}, "user": {user}, "password": {pw}, "next": {"/"}})
}

func (e *env) signedIn(t *testing.T, v mosaic.Viewer) *browser {
	t.Helper()
	b := e.browser(t)
	resp, body := b.signIn(v.User, password(v.User))
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" {
		t.Fatalf("sign-in of %s: %d at %s\n%s", v.User, resp.StatusCode, resp.Request.URL, body)
	}
	return b
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)

	// Anyone not signed in is sent to the sign-in page, and back after it.
	resp, body := b.get("/objects?type=indicator")
	if resp.Request.URL.Path != "/login" || !strings.Contains(body, `name="next" value="/objects?type=indicator"`) {
		t.Fatalf("not signed in: landed on %s\n%s", resp.Request.URL, body)
	}
	form := url.Values{"csrf": {csrf(t, body)}, "user": {e.w.A.User}, "password": {"wrong"}, "next": {"/objects?type=indicator"}}
	resp, body = b.post("/login", form)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The user name or the password is wrong.") {
		t.Errorf("wrong password: %d\n%s", resp.StatusCode, body)
	}
	// An unknown user gets the same answer.
	form.Set("user", "nobody")
	if resp, body2 := b.post("/login", form); resp.StatusCode != http.StatusUnauthorized || strings.Replace(body2, "nobody", e.w.A.User, 1) != body {
		t.Errorf("unknown user answered differently: %d", resp.StatusCode)
	}
	// Without the form's token nothing is checked.
	form.Set("csrf", "forged")
	if resp, _ := b.post("/login", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged sign-in token: %d, want 403", resp.StatusCode)
	}
	// Nor from another site.
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(url.Values{"user": {"x"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d, want 403", resp.StatusCode)
	}

	form.Set("csrf", csrf(t, body))
	form.Set("user", e.w.A.User)
	form.Set("password", password(e.w.A.User))
	resp, body = b.post("/login", form)
	if resp.StatusCode != 200 || resp.Request.URL.String() != e.srv.URL+"/objects?type=indicator" {
		t.Fatalf("sign-in: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	u, _ := url.Parse(e.srv.URL)
	var session *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "mosaic-session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}

	// Signing out takes the session's token.
	if resp, _ := b.post("/logout", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without the token: %d, want 403", resp.StatusCode)
	}
	resp, _ = b.post("/logout", url.Values{"csrf": {csrf(t, body)}})
	if resp.Request.URL.Path != "/login" {
		t.Errorf("after sign-out at %s", resp.Request.URL)
	}
	// The old cookie is worth nothing now.
	req, _ = http.NewRequest("GET", e.srv.URL+"/objects", nil)
	req.AddCookie(session)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("old session after sign-out: %d, want a redirect to sign in", resp.StatusCode)
	}

	got := strings.Join(e.audit.actions(e.w.A.User), " ")
	if !strings.Contains(got, "web.sign-in:deny") || !strings.Contains(got, "objects.list:allow") {
		t.Errorf("audit of %s: %s", e.w.A.User, got)
	}
	entries, err := e.w.Store.AuditEntries(bg, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for _, x := range entries {
		if strings.HasPrefix(x.Action, "web.") {
			stored = append(stored, x.User+" "+x.Action+" "+string(x.Decision))
		}
	}
	if want := []string{"pa-analyst web.sign-in allow", "pa-analyst web.sign-out allow"}; strings.Join(stored, ",") != strings.Join(want, ",") {
		t.Errorf("stored audit %v, want %v", stored, want)
	}
}

func TestFailedSignInsAreLimited(t *testing.T) {
	e := newEnv(t) // 3 failures a minute
	b := e.browser(t)
	for i := range 3 {
		if resp, _ := b.signIn(e.w.C.User, "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	// Now even the right password waits.
	resp, body := b.signIn(e.w.C.User, password(e.w.C.User))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("after 3 failures: %d %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	e.w.Clock.Add(60_000_000_000) // a minute
	if resp, _ := b.signIn(e.w.C.User, password(e.w.C.User)); resp.StatusCode != 200 {
		t.Errorf("a minute later: %d", resp.StatusCode)
	}
}

func TestCookiesAndHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprint("secure=", secure), func(t *testing.T) {
			e := newEnv(t, func(o *web.Options) { o.Secure = secure })
			rec := httptest.NewRecorder()
			e.web.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
			token := csrf(t, rec.Body.String())
			login := rec.Result().Cookies()[0]
			form := url.Values{"csrf": {token}, "user": {e.w.A.User}, "password": {password(e.w.A.User)}}
			req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(login)
			rec = httptest.NewRecorder()
			e.web.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("sign-in: %d\n%s", rec.Code, rec.Body)
			}
			var session *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if strings.HasSuffix(c.Name, "mosaic-session") {
					session = c
				}
			}
			wantName := map[bool]string{false: "mosaic-session", true: "__Host-mosaic-session"}[secure]
			if session == nil || session.Name != wantName || !session.HttpOnly || session.Secure != secure || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
				t.Errorf("session cookie %+v, want %s, HttpOnly, SameSite=Lax, Secure=%v", session, wantName, secure)
			}
			h := rec.Header()
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP %q", csp)
			}
			if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", h)
			}
		})
	}
}

func TestAssets(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	_, body := b.get("/login")
	m := regexp.MustCompile(`href="(/assets/style\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hashed stylesheet in\n%s", body)
	}
	resp, css := b.get(m[1])
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(css, ".tlp-banner") {
		t.Errorf("stylesheet: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := b.get("/assets/style.000000000000.css"); resp.StatusCode != 404 {
		t.Errorf("unknown asset: %d", resp.StatusCode)
	}
}

// Every page links its icon, and /favicon.ico, which clients ask for
// unbidden, answers with it rather than a page-not-found.
func TestFavicon(t *testing.T) {
	e := newEnv(t)
	for _, b := range []*browser{e.browser(t), e.signedIn(t, e.w.C)} {
		_, body := b.get("/")
		m := regexp.MustCompile(`<link rel="icon" href="(/assets/favicon\.[0-9a-f]{12}\.svg)" type="image/svg\+xml">`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no icon linked from\n%s", body)
		}
		resp, linked := b.get(m[1])
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(linked, "<svg ") {
			t.Errorf("linked icon: %d %v", resp.StatusCode, resp.Header)
		}
		resp, ico := b.get("/favicon.ico")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || ico != linked || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("/favicon.ico: %d %v\n%s", resp.StatusCode, resp.Header, ico)
		}
	}
}

// noInline fails when a page carries inline script or style, which the CSP
// would block: scripts come only from the hashed asset files.
func noInline(t *testing.T, path, body string) {
	t.Helper()
	lower := strings.ToLower(body)
	for _, bad := range []string{" style=", "<style", "javascript:", " onclick", " onload", " onerror"} {
		if strings.Contains(lower, bad) {
			t.Errorf("%s contains %q", path, bad)
		}
	}
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(lower, -1) {
		if !regexp.MustCompile(`^<script src="/assets/(live|builder)\.[0-9a-f]{12}\.js" defer>$`).MatchString(m) {
			t.Errorf("%s has a script that is not an asset file: %s", path, m)
		}
	}
}

func cellEnv() mosaic.Envelope { return mosaic.Envelope{Audience: mosaic.Audience{Cell: true}} }

// seed stores a small story: a cell-wide campaign against healthcare with
// an indicator, as pa.
func seed(t *testing.T, e *env) {
	t.Helper()
	now := e.w.Clock.Now()
	ts := func(hours int) string {
		return now.Add(-time.Duration(hours) * time.Hour).Format("2006-01-02T15:04:05.000Z")
	}
	e.w.Ingest(t, e.w.A,
		storetest.Record(t, `{"type":"identity","spec_version":"2.1","id":"identity--`+storetest.UUID(900)+`","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Healthcare sector","identity_class":"class","sectors":["healthcare"]}`, cellEnv()),
		storetest.Record(t, `{"type":"campaign","spec_version":"2.1","id":"campaign--`+storetest.UUID(901)+`","created":"`+ts(3)+`","modified":"`+ts(3)+`","name":"Ward Sweep","description":"Ransomware against hospitals."}`, cellEnv()),
		storetest.Record(t, `{"type":"relationship","spec_version":"2.1","id":"relationship--`+storetest.UUID(902)+`","created":"`+ts(3)+`","modified":"`+ts(3)+`","relationship_type":"targets","source_ref":"campaign--`+storetest.UUID(901)+`","target_ref":"identity--`+storetest.UUID(900)+`"}`, cellEnv()),
		storetest.Record(t, `{"type":"indicator","spec_version":"2.1","id":"indicator--`+storetest.UUID(903)+`","created":"`+ts(30)+`","modified":"`+ts(30)+`","name":"Marshlock C2","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`, cellEnv()),
		storetest.Record(t, `{"type":"relationship","spec_version":"2.1","id":"relationship--`+storetest.UUID(904)+`","created":"`+ts(30)+`","modified":"`+ts(30)+`","relationship_type":"indicates","source_ref":"indicator--`+storetest.UUID(903)+`","target_ref":"campaign--`+storetest.UUID(901)+`"}`, cellEnv()),
	)
}

var (
	objectLink = regexp.MustCompile(`<td><a href="/objects/([^"]+)">`)
	nextLink   = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)
