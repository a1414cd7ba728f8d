package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mosaic"
	"mosaic/audit"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/ingest"
	"mosaic/jcs"
	"mosaic/postgres/pgtest"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// stores names the stores every TAXII test runs on; PostgreSQL skips
// without MOSAIC_TEST_POSTGRES.
var stores = map[string]storetest.Opener{
	"sqlite": func(t testing.TB, clock mosaic.Clock) storetest.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t testing.TB, clock mosaic.Clock) storetest.Store { return pgtest.Open(t, clock) },
}

// forEachStore runs f as a subtest on each store.
func forEachStore(t *testing.T, f func(t *testing.T, open storetest.Opener)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { f(t, stores[name]) })
	}
}

// harness is a TAXII server on a store, mounted at /taxii2/ as the binary
// mounts it, with a token per user.
type harness struct {
	t      testing.TB
	store  mosaic.Store
	clock  *storetest.Clock
	srv    *httptest.Server
	audit  *audit.Log
	in     *content.Service
	tokens map[string]string // user → token
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var testOptions = taxii.Options{
	Title: "Mosaic test", Description: "A test server", Contact: "soc@example.org",
	APIRootTitle: "Cell", APIRootDescription: "The cell's collections",
	MaxContentLength: 1 << 20, DefaultPageSize: 50, MaxPageSize: 100,
	RatePerSecond: 1e6, RateBurst: 1e6, AuthFailuresPerMinute: 1000,
}

func ingestConfig() ingest.Config {
	year := 365 * 24 * time.Hour
	return ingest.Config{
		DefaultTLP: mosaic.TLPAmber,
		LegalBases: map[string]time.Duration{"wiv2017": year, "wpg": year, "wbni": year, "wjsg": 2 * year},
		Limits:     stix.DefaultLimits(),
	}
}

func newHarness(t testing.TB, open storetest.Opener, opts taxii.Options) *harness {
	clock := storetest.NewClock(storetest.Epoch)
	s := open(t, clock)
	return newHarnessOn(t, s, clock, opts)
}

// newHarnessOn starts a server on s; cfg, when given, replaces the
// ingest configuration.
func newHarnessOn(t testing.TB, s mosaic.Store, clock *storetest.Clock, opts taxii.Options, cfg ...ingest.Config) *harness {
	al := audit.New(s, 50*time.Millisecond, quietLog())
	t.Cleanup(func() { al.Close(context.Background()) })
	c := ingestConfig()
	if len(cfg) > 0 {
		c = cfg[0]
	}
	in := content.New(s, c, al, clock)
	mux := http.NewServeMux()
	mux.Handle(taxii.DiscoveryPath, taxii.New(in, s, opts, clock, quietLog()).Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &harness{t: t, store: s, clock: clock, srv: srv, audit: al, in: in, tokens: map[string]string{}}
}

// token gives user an API token.
func (h *harness) token(user string) string {
	if tok, ok := h.tokens[user]; ok {
		return tok
	}
	secret, hash := credential.NewToken()
	if _, err := h.store.CreateToken(context.Background(), user, hash, "test", h.clock.Now().Add(365*24*time.Hour), false, mosaic.AuditEntry{Action: "setup"}); err != nil {
		h.t.Fatal(err)
	}
	h.tokens[user] = secret
	return secret
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// request is one HTTP request; by default it authenticates user with HTTP
// Basic and accepts the TAXII 2.1 media type.
type request struct {
	method, path string
	query        url.Values
	user         string
	bearer       bool              // authenticate with a bearer token instead
	header       map[string]string // set after the defaults; "" deletes
	body         []byte
}

func (h *harness) do(rq request) response {
	h.t.Helper()
	u := h.srv.URL + rq.path
	if len(rq.query) > 0 {
		u += "?" + rq.query.Encode()
	}
	if rq.method == "" {
		rq.method = "GET"
	}
	req, err := http.NewRequest(rq.method, u, bytes.NewReader(rq.body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Accept", taxii.MediaType)
	if rq.body != nil {
		req.Header.Set("Content-Type", taxii.MediaType)
	}
	if rq.user != "" {
		if rq.bearer {
			req.Header.Set("Authorization", "Bearer "+h.token(rq.user))
		} else {
			req.SetBasicAuth(rq.user, h.token(rq.user))
		}
	}
	for k, v := range rq.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// get GETs path as user and decodes a 200 answer into out.
func (h *harness) get(user, path string, q url.Values, out any) response {
	h.t.Helper()
	r := h.do(request{path: path, query: q, user: user})
	if out != nil && r.status == 200 {
		if err := json.Unmarshal(r.body, out); err != nil {
			h.t.Fatalf("GET %s: %v\n%s", path, err, r.body)
		}
	}
	return r
}

// envelope wraps objects in a TAXII envelope.
func envelope(objs ...string) []byte {
	return []byte(`{"objects":[` + strings.Join(objs, ",") + `]}`)
}

// post adds objects to a collection as user and returns the status.
func (h *harness) post(user, coll string, objs ...string) (taxii.Status, response) {
	h.t.Helper()
	r := h.do(request{method: "POST", path: collPath(coll) + "objects/", user: user, body: envelope(objs...)})
	var st taxii.Status
	if r.status == 202 {
		if err := json.Unmarshal(r.body, &st); err != nil {
			h.t.Fatal(err)
		}
	}
	return st, r
}

// mustPost adds objects and fails the test unless all succeed.
func (h *harness) mustPost(user, coll string, objs ...string) taxii.Status {
	h.t.Helper()
	st, r := h.post(user, coll, objs...)
	if r.status != 202 || st.FailureCount != 0 {
		h.t.Fatalf("POST as %s: %d %.2000s", user, r.status, r.body)
	}
	return st
}

const root = "/taxii2/api/"

func collPath(id string) string { return root + "collections/" + id + "/" }

// collections returns user's collections by title.
func (h *harness) collections(user string) map[string]taxii.Collection {
	h.t.Helper()
	var cs taxii.Collections
	if r := h.get(user, root+"collections/", nil, &cs); r.status != 200 {
		h.t.Fatalf("collections of %s: %d %s", user, r.status, r.body)
	}
	out := map[string]taxii.Collection{}
	for _, c := range cs.Collections {
		out[c.Title] = c
	}
	return out
}

// collID returns the id of user's collection with title.
func (h *harness) collID(user, title string) string {
	h.t.Helper()
	c, ok := h.collections(user)[title]
	if !ok {
		h.t.Fatalf("%s has no collection %q", user, title)
	}
	return c.ID
}

// seed creates partners pa, pb and pc with analysts (pa also a liaison and
// an admin), a stakeholder, an auditor without and one with a content
// grant; compartment ops with organisation pa and pb's analyst by name,
// compartment other with pc.
func seed(t testing.TB, h *harness) {
	ctx := context.Background()
	a := mosaic.AuditEntry{Action: "setup"}
	for _, o := range []mosaic.Organisation{
		{Name: "pa", FullName: "A", Kind: mosaic.Partner, LegalRegime: "wpg"},
		{Name: "pb", FullName: "B", Kind: mosaic.Partner, LegalRegime: "wbni"},
		{Name: "pc", FullName: "C", Kind: mosaic.Partner, LegalRegime: "wbni"},
		{Name: "sh", FullName: "S", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}},
		{Name: "ov", FullName: "O", Kind: mosaic.Oversight},
	} {
		if err := h.store.CreateOrg(ctx, &o, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []mosaic.User{
		{Name: "pa-analyst", Org: "pa", Role: mosaic.Analyst},
		{Name: "pa-liaison", Org: "pa", Role: mosaic.Liaison},
		{Name: "pb-analyst", Org: "pb", Role: mosaic.Analyst},
		{Name: "pc-analyst", Org: "pc", Role: mosaic.Analyst},
		{Name: "pa-admin", Org: "pa", Role: mosaic.Admin},
		{Name: "sh-user", Org: "sh", Role: mosaic.StakeholderViewer},
		{Name: "ov-auditor", Org: "ov", Role: mosaic.Auditor},
		{Name: "ov-granted", Org: "ov", Role: mosaic.Auditor, ContentGrant: true},
	} {
		if err := h.store.CreateUser(ctx, &u, "", a); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"ops", "other"} {
		if err := h.store.CreateCompartment(ctx, &mosaic.Compartment{Name: c}, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct{ comp, org, user string }{{"ops", "pa", ""}, {"ops", "", "pb-analyst"}, {"other", "pc", ""}} {
		if err := h.store.AddMember(ctx, m.comp, m.org, m.user, a); err != nil {
			t.Fatal(err)
		}
	}
}

// ind returns an indicator: n makes the id, modified the version.
func ind(n int, modified string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":%q,"name":"n%d","pattern":"[ipv4-addr:value = '10.0.0.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`,
		storetest.UUID(n), modified, n, n%250)
}

// ip returns an ipv4-addr SCO.
func ip(n int) string {
	return fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%s","value":"192.0.2.%d"}`, storetest.UUID(n), n%250)
}

const day1, day2, day3 = "2026-10-01T00:00:00.000Z", "2026-10-02T00:00:00.000Z", "2026-10-03T00:00:00.000Z"

// taxiiError decodes a TAXII error message and checks its media type and
// status.
func taxiiError(t testing.TB, r response) taxii.Error {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != taxii.MediaType {
		t.Errorf("error Content-Type %q, want %s", ct, taxii.MediaType)
	}
	var e taxii.Error
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body: %v\n%s", err, r.body)
	}
	if e.HTTPStatus != fmt.Sprint(r.status) || e.Title == "" {
		t.Errorf("error message %+v for status %d", e, r.status)
	}
	return e
}

// ids returns the "id@originator@version" of each object of an envelope.
func ids(t testing.TB, env taxii.Envelope) []string {
	t.Helper()
	var out []string
	for _, o := range served(t, env) {
		out = append(out, o.ID+"@"+o.Originator+"@"+o.Modified)
	}
	return out
}

// servedObject is a record as a page serves it, with the handling it
// carries in Mosaic's envelope extension or is given by the handling
// object before it.
type servedObject struct {
	ID, Modified string
	Originator   string
	TLP          mosaic.TLP
	Audience     []string
	// Handled says the handling came from a handling object; the object
	// is then as it was stored.
	Handled bool
	Raw     json.RawMessage
}

// served reads a page's records, checking that each either carries its
// envelope or is named by the handling object before it.
func served(t testing.TB, env taxii.Envelope) []servedObject {
	t.Helper()
	type handling struct {
		Originator string
		TLP        mosaic.TLP
		Audience   []string
	}
	var out []servedObject
	// handled maps the versions the last handling object names to it.
	var handled map[string]handling
	for _, o := range env.Objects {
		var h struct {
			Type, ID, Modified, Created string
			handling
			ObjectVersions []struct{ ID, Modified, Created string } `json:"object_versions"`
			Extensions     map[string]handling
		}
		if err := json.Unmarshal(o, &h); err != nil {
			t.Fatal(err)
		}
		if h.Type == stix.HandlingType {
			handled = map[string]handling{}
			for _, n := range h.ObjectVersions {
				handled[n.ID+"|"+n.Modified+n.Created] = h.handling
			}
			continue
		}
		e, ok := h.Extensions[stix.ExtensionID]
		if !ok {
			version := h.Modified
			if version == "" {
				version = h.Created
			}
			if e, ok = handled[h.ID+"|"+version]; !ok {
				t.Errorf("%s %s is served with neither its envelope nor a handling object before it", h.ID, version)
			}
		}
		out = append(out, servedObject{ID: h.ID, Modified: h.Modified, Originator: e.Originator, TLP: e.TLP, Audience: e.Audience, Handled: !ok, Raw: o})
	}
	return out
}

// brokenAudit is a store whose audit log can be made to fail.
type brokenAudit struct {
	storetest.Store
	broken atomic.Bool
}

func (b *brokenAudit) AppendAudit(ctx context.Context, es []mosaic.AuditEntry) error {
	if b.broken.Load() {
		return errors.New("disk full")
	}
	return b.Store.AppendAudit(ctx, es)
}

// canonical returns raw in RFC 8785 canonical form.
func canonical(t testing.TB, raw []byte) string {
	t.Helper()
	c, err := jcs.Canonical(raw)
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}
