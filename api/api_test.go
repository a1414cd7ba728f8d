package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/storetest"
)

// seed creates partners pa and pb with analysts, an admin, a stakeholder
// and an auditor, and compartment ops with pa.
func seed(t testing.TB, h *harness) {
	ctx := context.Background()
	a := mosaic.AuditEntry{Action: "setup"}
	for _, o := range []mosaic.Organisation{
		{Name: "pa", FullName: "A", Kind: mosaic.Partner, LegalRegime: "wpg"},
		{Name: "pb", FullName: "B", Kind: mosaic.Partner, LegalRegime: "wbni"},
		{Name: "sh", FullName: "S", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}},
		{Name: "ov", FullName: "O", Kind: mosaic.Oversight},
	} {
		if err := h.store.CreateOrg(ctx, &o, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []mosaic.User{
		{Name: "pa-analyst", Org: "pa", Role: mosaic.Analyst},
		{Name: "pb-analyst", Org: "pb", Role: mosaic.Analyst},
		{Name: "pa-admin", Org: "pa", Role: mosaic.Admin},
		{Name: "sh-user", Org: "sh", Role: mosaic.StakeholderViewer},
		{Name: "ov-auditor", Org: "ov", Role: mosaic.Auditor},
	} {
		if err := h.store.CreateUser(ctx, &u, "", a); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.CreateCompartment(ctx, &mosaic.Compartment{Name: "ops"}, a); err != nil {
		t.Fatal(err)
	}
	if err := h.store.AddMember(ctx, "ops", "pa", "", a); err != nil {
		t.Fatal(err)
	}
}

func ind(n int, extra string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"n%d","pattern":"[ipv4-addr:value = '10.0.0.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"%s}`,
		storetest.UUID(n), n, n%250, extra)
}

const redMarking = `,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`

func problem(t testing.TB, r response) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, r.body)
	}
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBundleErrors(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	deep := strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000)
	big := strings.Repeat("x", 10<<20)
	for _, tc := range []struct {
		name, user, ctype string
		q                 url.Values
		body              string
		status            int
		problem           string // a fragment of the detail or of a problem's reason
	}{
		{"no token", "", "application/json", nil, string(bundle(ind(1, ""))), 401, "Bearer"},
		{"stakeholder", "sh-user", "application/json", nil, string(bundle(ind(1, ""))), 403, "may not contribute"},
		{"admin", "pa-admin", "application/json", nil, string(bundle(ind(1, ""))), 403, "may not contribute"},
		{"auditor", "ov-auditor", "application/json", nil, string(bundle(ind(1, ""))), 403, "may not contribute"},
		{"wrong content type", "pa-analyst", "text/plain", nil, string(bundle(ind(1, ""))), 415, "application/stix+json"},
		{"stix 2.0 media type", "pa-analyst", "application/stix+json;version=2.0", nil, string(bundle(ind(1, ""))), 415, "version=2.1"},
		{"malformed json", "pa-analyst", "application/json", nil, `{"type":"bundle",`, 400, ""},
		{"not a bundle", "pa-analyst", "application/json", nil, `[1,2]`, 400, ""},
		{"wrong type", "pa-analyst", "application/json", nil, string(bundle(strings.Replace(ind(1, ""), `"name":"n1"`, `"name":5`, 1))), 400, "name"},
		{"unknown type", "pa-analyst", "application/json", nil, string(bundle(`{"type":"spaceship","spec_version":"2.1","id":"spaceship--` + storetest.UUID(1) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z"}`)), 400, "spaceship"},
		{"deep nesting", "pa-analyst", "application/json", nil, string(bundle(ind(1, `,"x_deep":`+deep))), 400, "deep"},
		{"10 MB string", "pa-analyst", "application/json", nil, string(bundle(ind(1, `,"description":"`+big+`"`))), 400, ""},
		{"same id and modified twice", "pa-analyst", "application/json", nil, string(bundle(ind(1, ""), strings.Replace(ind(1, ""), `"n1"`, `"other"`, 1))), 400, ""},
		{"timestamp out of range", "pa-analyst", "application/json", nil, string(bundle(strings.Replace(ind(1, ""), "2026-10-01T00:00:00.000Z", "2026-13-01T00:00:00.000Z", 2))), 400, "created"},
		{"red to the cell", "pa-analyst", "application/json", url.Values{"audience": {"cell"}}, string(bundle(ind(1, redMarking))), 400, "TLP:RED"},
		{"bad audience", "pa-analyst", "application/json", url.Values{"audience": {"everyone"}}, string(bundle(ind(1, ""))), 400, "everyone"},
		{"misspelt parameter", "pa-analyst", "application/json", url.Values{"audiance": {"cell"}}, string(bundle(ind(1, ""))), 400, "unknown query parameter"},
		{"unknown legal basis", "pa-analyst", "application/json", url.Values{"legal_basis": {"gdpr"}}, string(bundle(ind(1, ""))), 400, "gdpr"},
		{"review date in the past", "pa-analyst", "application/json", url.Values{"review_by": {"2020-01-01"}}, string(bundle(ind(1, ""))), 400, "past"},
		{"compartment not mine", "pb-analyst", "application/json", url.Values{"audience": {"compartment:ops"}}, string(bundle(ind(1, ""))), 400, "no such compartment among yours"},
		{"too large", "pa-analyst", "application/json", nil, `{"type":"bundle","id":"bundle--` + storetest.UUID(1) + `","objects":[` + strings.Repeat(`"`+strings.Repeat("x", 1<<20)+`",`, 17) + `1]}`, 413, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.user, "POST", "/api/v1/bundles", tc.q, tc.ctype, []byte(tc.body))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %.500s", r.status, tc.status, r.body)
			}
			p := problem(t, r)
			if p.Status != tc.status || !strings.HasPrefix(p.Type, api.ProblemTypeBase) {
				t.Errorf("problem %+v", p)
			}
			text := p.Detail
			for _, pr := range p.Problems {
				text += " | " + pr.Object + " " + pr.Property + " " + pr.Reason
			}
			if !strings.Contains(text, tc.problem) {
				t.Errorf("problem %q does not mention %q", text, tc.problem)
			}
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// Nothing of any of those was stored.
	var page api.ObjectPage
	h.get("pa-analyst", "/api/v1/objects", nil, &page)
	if len(page.Objects) != 0 {
		t.Errorf("%d objects stored by failed requests", len(page.Objects))
	}
}

func TestBundleAllOrNothing(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	// One invalid object among valid ones: 400 listing every problem.
	bad1 := strings.Replace(ind(2, ""), `"pattern_type":"stix"`, `"pattern_type":7`, 1)
	bad2 := strings.Replace(ind(3, ""), `"spec_version":"2.1"`, `"spec_version":"2.0"`, 1)
	r := h.post("pa-analyst", nil, ind(1, ""), bad1, bad2, ind(4, ""))
	if r.status != 400 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	p := problem(t, r)
	var objs []string
	for _, pr := range p.Problems {
		objs = append(objs, pr.Object)
	}
	if len(p.Problems) < 2 || !strings.Contains(strings.Join(objs, " "), storetest.UUID(2)) || !strings.Contains(strings.Join(objs, " "), storetest.UUID(3)) {
		t.Errorf("problems %+v do not name both bad objects", p.Problems)
	}
	var page api.ObjectPage
	h.get("pa-analyst", "/api/v1/objects", nil, &page)
	if len(page.Objects) != 0 {
		t.Fatalf("%d objects stored from a refused bundle", len(page.Objects))
	}
	// Counts of new, unchanged and new versions.
	var res mosaic.IngestResult
	r = h.post("pa-analyst", url.Values{"audience": {"cell"}}, ind(1, ""), ind(2, ""))
	json.Unmarshal(r.body, &res)
	if r.status != 201 || res.New != 2 || res.Unchanged != 0 || res.NewVersions != 0 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	v2 := strings.Replace(ind(1, ""), `"modified":"2026-10-01T00:00:00.000Z"`, `"modified":"2026-10-02T00:00:00.000Z"`, 1)
	r = h.post("pa-analyst", nil, ind(1, ""), ind(2, ""), v2, ind(3, ""))
	res = mosaic.IngestResult{}
	json.Unmarshal(r.body, &res)
	if r.status != 201 || res.New != 1 || res.Unchanged != 2 || res.NewVersions != 1 {
		t.Fatalf("second: %d %s", r.status, r.body)
	}
	// 409 for different content, naming the object; another partner's
	// identical key is not a conflict.
	changed := strings.Replace(ind(2, ""), `"n2"`, `"changed"`, 1)
	r = h.post("pa-analyst", nil, changed)
	if r.status != 409 || !strings.Contains(string(r.body), storetest.UUID(2)) {
		t.Errorf("conflict: %d %s", r.status, r.body)
	}
	if r = h.post("pb-analyst", nil, changed); r.status != 201 {
		t.Errorf("other partner: %d %s", r.status, r.body)
	}
}

func TestEnvelopeFromExtension(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	ext := func(props string) string {
		return `,"extensions":{"` + "extension-definition--" + strings.TrimPrefix(extID(t, h), "extension-definition--") + `":{"extension_type":"property-extension",` + props + `}}`
	}
	r := h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}},
		ind(1, ""),
		ind(2, ext(`"audience":["compartment:ops"],"orcon":false,"legal_basis":"wbni","review_by":"2030-01-01"`)),
		ind(3, redMarking),
	)
	if r.status != 400 || !strings.Contains(string(r.body), "TLP:RED") {
		t.Fatalf("RED with cell default: %d %s", r.status, r.body)
	}
	r = h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}},
		ind(1, ""),
		ind(2, ext(`"audience":["compartment:ops"],"orcon":false,"legal_basis":"wbni","review_by":"2030-01-01"`)),
		ind(3, redMarking+ext(`"audience":["originator"]`)),
	)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	env := func(n int) mosaic.Envelope {
		var o api.ObjectVersions
		if r := h.get("pa-analyst", "/api/v1/objects/indicator--"+storetest.UUID(n), nil, &o); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if strings.Contains(string(o.Object.Object), "extension-definition--") {
			t.Errorf("stored object keeps the envelope extension: %s", o.Object.Object)
		}
		return o.Object.Envelope
	}
	if e := env(1); !e.Audience.Cell || !e.ORCON || e.LegalBasis != "wpg" || e.TLP != mosaic.TLPAmber {
		t.Errorf("defaults: %+v", e)
	}
	if e := env(2); e.Audience.String() != "compartment:ops" || e.ORCON || e.LegalBasis != "wbni" || e.ReviewBy != "2030-01-01" {
		t.Errorf("extension: %+v", e)
	}
	if e := env(3); !e.Audience.IsOriginator() || e.TLP != mosaic.TLPRed {
		t.Errorf("red: %+v", e)
	}
	// The review date defaults by legal basis.
	if e := env(1); e.ReviewBy != storetest.Epoch.AddDate(1, 0, 0).Format(mosaic.DateLayout) {
		t.Errorf("default review date %s", e.ReviewBy)
	}
}

func extID(t testing.TB, h *harness) string {
	var b struct {
		Objects []struct{ ID, Type string }
	}
	if r := h.get("", "/api/v1/extension-definition", nil, &b); r.status != 200 {
		t.Fatalf("extension-definition: %d", r.status)
	}
	for _, o := range b.Objects {
		if o.Type == "extension-definition" {
			return o.ID
		}
	}
	t.Fatal("no extension-definition published")
	return ""
}

func TestReadErrors(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	for _, tc := range []struct {
		name, user, path string
		q                url.Values
		status           int
	}{
		{"no token", "", "/api/v1/objects", nil, 401},
		{"unknown parameter", "pa-analyst", "/api/v1/objects", url.Values{"colour": {"red"}}, 400},
		{"bad limit", "pa-analyst", "/api/v1/objects", url.Values{"limit": {"0"}}, 400},
		{"limit too large", "pa-analyst", "/api/v1/objects", url.Values{"limit": {"1001"}}, 400},
		{"bad cursor", "pa-analyst", "/api/v1/objects", url.Values{"cursor": {"abc"}}, 400},
		{"bad tlp", "pa-analyst", "/api/v1/objects", url.Values{"tlp": {"purple"}}, 400},
		{"bad time", "pa-analyst", "/api/v1/objects", url.Values{"created_after": {"yesterday"}}, 400},
		{"bad id", "pa-analyst", "/api/v1/objects/not-an-id", nil, 400},
		{"missing", "pa-analyst", "/api/v1/objects/indicator--" + storetest.UUID(77), nil, 404},
		{"no such endpoint", "pa-analyst", "/api/v1/nothing", nil, 404},
		{"admin only", "pa-analyst", "/api/v1/users", nil, 403},
		{"auditor only", "pa-admin", "/api/v1/audit", nil, 403},
		{"stakeholder list", "sh-user", "/api/v1/objects", nil, 200},
		{"date bound", "pa-analyst", "/api/v1/objects", url.Values{"created_after": {"2026-10-01"}}, 200},
		{"observable without value", "pa-analyst", "/api/v1/observables", nil, 400},
		{"observable of unknown type", "pa-analyst", "/api/v1/observables", url.Values{"type": {"colour"}, "value": {"red"}}, 400},
		{"not an observable", "pa-analyst", "/api/v1/observables", url.Values{"value": {"hello"}}, 400},
		{"not an address", "pa-analyst", "/api/v1/observables", url.Values{"type": {"ipv4"}, "value": {"evil.example.com"}}, 400},
		{"observable", "pa-analyst", "/api/v1/observables", url.Values{"type": {"domain-name"}, "value": {"EVIL.example.com."}}, 200},
		{"correlations of a missing object", "pa-analyst", "/api/v1/objects/indicator--" + storetest.UUID(77) + "/correlations", nil, 404},
		{"too many types", "pa-analyst", "/api/v1/objects", url.Values{"type": {strings.Repeat("indicator,", 60) + "x"}}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.get(tc.user, tc.path, tc.q, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.status >= 400 {
				problem(t, r)
			}
		})
	}
}

func TestTokenLifecycle(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	// An admin may not make a token that acts as another user.
	if r := h.do("pa-admin", "POST", "/api/v1/users/pb-analyst/tokens", nil, "application/json", []byte(`{"label":"feed","expires":"1h"}`)); r.status != 403 {
		t.Fatalf("admin making another user's token: %d %s", r.status, r.body)
	}
	if r := h.do("pa-admin", "POST", "/api/v1/users/pa-admin/tokens", nil, "application/json", []byte(`{"expires":"1h"}`)); r.status != 201 {
		t.Fatalf("admin making its own token: %d %s", r.status, r.body)
	}
	// Users make their own.
	var nt api.NewToken
	r := h.do("pb-analyst", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{"label":"feed","expires":"1h"}`))
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	json.Unmarshal(r.body, &nt)
	if r := h.do("pb-analyst", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{"expires":"400d"}`)); r.status != 400 {
		t.Errorf("a token for 400 days: %d", r.status)
	}
	// Any user, a stakeholder too, makes tokens: neither the body nor the
	// label may fill memory or the store.
	if r := h.do("sh-user", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{"label":"`+strings.Repeat("a", api.MaxJSONBytes)+`"}`)); r.status != 413 {
		t.Errorf("a token body over %d bytes: %d %.200s", api.MaxJSONBytes, r.status, r.body)
	}
	if r := h.do("sh-user", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{"label":"`+strings.Repeat("a", mosaic.MaxTokenLabel+1)+`"}`)); r.status != 400 {
		t.Errorf("a token label over %d bytes: %d %.200s", mosaic.MaxTokenLabel, r.status, r.body)
	}
	call := func() int {
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+nt.Secret)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := call(); s != 200 {
		t.Fatalf("new token: %d", s)
	}
	h.clock.Add(2 * time.Hour)
	if s := call(); s != 401 {
		t.Errorf("expired token: %d", s)
	}
	h.clock.Add(-2 * time.Hour)
	// Nobody revokes another user's token through /me; the owner and an
	// admin can.
	if r := h.do("pa-analyst", "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", nt.ID), nil, "", nil); r.status != 404 {
		t.Errorf("revoking someone else's token: %d", r.status)
	}
	if r := h.do("pb-analyst", "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", nt.ID), nil, "", nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if s := call(); s != 401 {
		t.Errorf("revoked token: %d", s)
	}
	if r := h.do("pa-admin", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", nt.ID), nil, "", nil); r.status != 404 {
		t.Errorf("revoking twice: %d", r.status)
	}
	// The secret is stored only as a hash.
	var tokens struct{ Tokens []map[string]any }
	h.get("pb-analyst", "/api/v1/me/tokens", nil, &tokens)
	if b, _ := json.Marshal(tokens); strings.Contains(string(b), nt.Secret) || len(tokens.Tokens) != 2 {
		t.Errorf("token listing %s", b)
	}

	// A read-only token reads, says so, and writes nothing: not even
	// another token.
	var ro api.NewToken
	r = h.do("pb-analyst", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{"label":"siem","expires":"90d","read_only":true}`))
	if err := json.Unmarshal(r.body, &ro); r.status != 201 || err != nil || !ro.ReadOnly || ro.Label != "siem" {
		t.Fatalf("read-only token: %d %s", r.status, r.body)
	}
	with := func(method, path, body string) response {
		req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ro.Secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{resp.StatusCode, resp.Header, b}
	}
	if r := with("GET", "/api/v1/me/tokens", ""); r.status != 200 || !strings.Contains(string(r.body), `"read_only":true`) {
		t.Errorf("listing with the read-only token: %d %s", r.status, r.body)
	}
	for _, body := range []string{`{"read_only":false}`, `{"read_only":true}`} {
		r := with("POST", "/api/v1/me/tokens", body)
		var p struct {
			Status int
			Detail string
		}
		if err := json.Unmarshal(r.body, &p); r.status != 403 || err != nil || r.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, "read-only") {
			t.Errorf("a read-only token making a token %s: %d %s", body, r.status, r.body)
		}
	}
	if r := with("DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", ro.ID), ""); r.status != 403 {
		t.Errorf("a read-only token revoking itself: %d %s", r.status, r.body)
	}
	h.get("pb-analyst", "/api/v1/me/tokens", nil, &tokens)
	if len(tokens.Tokens) != 3 {
		t.Errorf("tokens after the read-only token's attempts: %v", tokens.Tokens)
	}

	// A user holds mosaic.MaxLiveTokens live tokens at most.
	for i := 2; i < mosaic.MaxLiveTokens; i++ {
		if r := h.do("pb-analyst", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{}`)); r.status != 201 {
			t.Fatalf("live token %d: %d %s", i+1, r.status, r.body)
		}
	}
	if r := h.do("pb-analyst", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{}`)); r.status != 409 {
		t.Errorf("a token beyond %d live ones: %d %s", mosaic.MaxLiveTokens, r.status, r.body)
	}
}

func TestAdminAPI(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	liaisons(t, h)
	for _, tc := range []struct {
		user, method, path, body string
		status                   int
	}{
		{"pa-admin", "POST", "/api/v1/orgs", `{"name":"pc","full_name":"C","kind":"partner","legal_regime":"wbni"}`, 201},
		{"pa-admin", "POST", "/api/v1/orgs", `{"name":"pc","full_name":"C","kind":"partner","legal_regime":"wbni"}`, 409},
		{"pa-admin", "POST", "/api/v1/orgs", `{"name":"pd","kind":"partner","legal_regime":"wbni","colour":"red"}`, 400},
		{"pa-admin", "PATCH", "/api/v1/orgs/pc", `{"contact":"desk@pc.example"}`, 200},
		{"pa-admin", "PATCH", "/api/v1/orgs/pc", `{"kind":"stakeholder"}`, 400},
		{"pa-admin", "GET", "/api/v1/orgs/nowhere", ``, 404},
		// An admin never sets a password, and a user who reads content
		// waits for an approver of its organisation.
		{"pa-admin", "POST", "/api/v1/users", `{"name":"pc-analyst","org":"pc","role":"analyst","password":"correct horse battery"}`, 400},
		{"pa-admin", "POST", "/api/v1/users", `{"name":"pc-analyst","org":"pc","role":"analyst"}`, 202},
		{"pa-admin", "POST", "/api/v1/users", `{"name":"pc-x","org":"pc","role":"stakeholder"}`, 400},
		{"pa-admin", "GET", "/api/v1/users/pc-analyst", ``, 404},
		// Nobody changes their own role.
		{"pa-admin", "PATCH", "/api/v1/users/pa-admin", `{"role":"analyst"}`, 403},
		{"pa-admin", "PATCH", "/api/v1/users/pa-analyst", `{"password":"correct horse battery"}`, 400},
		{"pa-admin", "PATCH", "/api/v1/users/pa-analyst", `{"display_name":"Ann"}`, 200},
		{"pa-admin", "POST", "/api/v1/compartments", `{"name":"c2","description":"x"}`, 201},
		{"pa-admin", "PUT", "/api/v1/compartments/c2/orgs/pb", ``, 202},
		{"pa-admin", "PUT", "/api/v1/compartments/c2/orgs/sh", ``, 400},
		{"pa-admin", "PUT", "/api/v1/compartments/c2/users/pa-analyst", ``, 202},
		{"pa-admin", "GET", "/api/v1/compartments/c2", ``, 200},
		// Requests are decided by approvers only.
		{"pa-analyst", "GET", "/api/v1/requests", ``, 200},
		{"pa-admin", "POST", "/api/v1/requests/1/approve", ``, 403},
	} {
		t.Run(tc.user+" "+tc.method+" "+tc.path, func(t *testing.T) {
			ctype := ""
			if tc.body != "" {
				ctype = "application/json"
			}
			r := h.do(tc.user, tc.method, tc.path, nil, ctype, []byte(tc.body))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	// The admin sees no content.
	var page api.ObjectPage
	h.get("pa-admin", "/api/v1/objects", nil, &page)
	if len(page.Objects) != 0 {
		t.Error("admin sees content")
	}
	// Changes are audited.
	if err := h.audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ap api.AuditPage
	if r := h.get("ov-auditor", "/api/v1/audit", url.Values{"limit": {"1000"}}, &ap); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	actions := map[string]int{}
	for _, e := range ap.Entries {
		actions[e.Action]++
	}
	for _, a := range []string{"orgs.create", "orgs.update", "users.update", "compartments.create", "requests.create"} {
		if actions[a] == 0 {
			t.Errorf("no audit entry for %s (have %v)", a, actions)
		}
	}
}

// liaisons adds an approving liaison to pa and pb, as the operator's
// break-glass command line does, and a liaison of pb who may not approve.
func liaisons(t testing.TB, h *harness) {
	for _, u := range []mosaic.User{
		{Name: "pa-liaison", Org: "pa", Role: mosaic.Liaison, Approver: true},
		{Name: "pb-liaison", Org: "pb", Role: mosaic.Liaison, Approver: true},
		{Name: "pb-liaison2", Org: "pb", Role: mosaic.Liaison},
	} {
		if err := h.store.CreateUser(context.Background(), &u, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	// Failed authentications from one address are limited.
	limited := false
	for range 1100 {
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer wrong")
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 429 {
			limited = resp.Header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Error("failed authentications are not rate-limited with Retry-After")
	}
	// A valid token from the same address still works.
	if r := h.get("pa-analyst", "/api/v1/me", nil, nil); r.status != 200 {
		t.Errorf("valid token after the limit: %d", r.status)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	r := h.do("pa-analyst", "DELETE", "/api/v1/objects", nil, "", nil)
	if r.status != 405 || r.header.Get("Allow") != "GET" {
		t.Errorf("DELETE /api/v1/objects: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	problem(t, r)
	r = h.do("pa-analyst", "GET", "/api/v1/bundles", nil, "", nil)
	if r.status != 405 || r.header.Get("Allow") != "POST" {
		t.Errorf("GET /api/v1/bundles: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
}

// TestCursorSealed checks that a cursor tells nothing of the storage
// position (which counts every organisation's records) and that a forged
// one is refused.
func TestCursorSealed(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	for n := 1; n <= 3; n++ {
		if r := h.post("pa-analyst", nil, ind(n, "")); r.status != 201 {
			t.Fatal(r.status)
		}
	}
	var p1, p2 api.ObjectPage
	h.get("pa-analyst", "/api/v1/objects", url.Values{"limit": {"1"}}, &p1)
	h.get("pa-analyst", "/api/v1/objects", url.Values{"limit": {"1"}}, &p2)
	if p1.Next == "" || p1.Next == p2.Next {
		t.Fatalf("cursors %q and %q for the same position", p1.Next, p2.Next)
	}
	var rest api.ObjectPage
	if r := h.get("pa-analyst", "/api/v1/objects", url.Values{"limit": {"5"}, "cursor": {p2.Next}}, &rest); r.status != 200 || len(rest.Objects) != 2 {
		t.Fatalf("continuing: %d, %d objects", r.status, len(rest.Objects))
	}
	forged := []byte(p1.Next)
	forged[len(forged)-3] ^= 1
	for _, c := range []string{string(forged), "YzE6Mw", "c1:3"} {
		if r := h.get("pa-analyst", "/api/v1/objects", url.Values{"cursor": {c}}, nil); r.status != 400 {
			t.Errorf("cursor %q: %d, want 400", c, r.status)
		}
	}
}

func TestMISPEvent(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	event, err := os.ReadFile("../misp/testdata/events/57c4445b-c548-4654-af0b-4be3950d210f.json")
	if err != nil {
		t.Fatal(err)
	}
	r := h.do("pa-analyst", "POST", "/api/v1/misp/events", url.Values{"audience": {"cell"}}, "application/json", event)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var res api.MISPResult
	json.Unmarshal(r.body, &res)
	if res.New == 0 || res.Skipped == nil {
		t.Errorf("result %+v", res)
	}
	// The event is a report; pb sees it through the cell.
	var page api.ObjectPage
	h.get("pb-analyst", "/api/v1/objects", url.Values{"type": {"report"}}, &page)
	if len(page.Objects) != 1 {
		t.Errorf("pb sees %d reports", len(page.Objects))
	}
	// Again: nothing new. A STIX bundle is not a MISP event.
	r = h.do("pa-analyst", "POST", "/api/v1/misp/events", nil, "application/json", event)
	json.Unmarshal(r.body, &res)
	if r.status != 201 || res.New != 0 || res.NewVersions != 0 {
		t.Errorf("resubmitted event: %d %s", r.status, r.body)
	}
	if r := h.do("pa-analyst", "POST", "/api/v1/misp/events", nil, "application/json", bundle(ind(1, ""))); r.status != 400 {
		t.Errorf("a bundle as a MISP event: %d", r.status)
	}
	if r := h.do("sh-user", "POST", "/api/v1/misp/events", nil, "application/json", event); r.status != 403 {
		t.Errorf("stakeholder: %d", r.status)
	}
}

// TestContributions: where a viewer sees several organisations' versions
// of one id, the answer says whose version it shows, judged only from the
// records the viewer can see.
func TestContributions(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	id := "indicator--" + storetest.UUID(7)
	later := strings.Replace(ind(7, ""), `"modified":"2026-10-01T00:00:00.000Z"`, `"modified":"2026-10-02T00:00:00.000Z"`, 1)
	if r := h.post("pa-analyst", url.Values{"audience": {"cell"}}, ind(7, "")); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// pb's later version is pb's own: pa does not see it.
	if r := h.post("pb-analyst", url.Values{"audience": {"originator"}}, later); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		user string
		want []string
	}{
		{"pa-analyst", []string{"pa:2026-10-01T00:00:00.000Z:shown"}},
		{"pb-analyst", []string{"pb:2026-10-02T00:00:00.000Z:shown", "pa:2026-10-01T00:00:00.000Z:"}},
	} {
		var o api.ObjectVersions
		if r := h.get(tc.user, "/api/v1/objects/"+id, nil, &o); r.status != 200 {
			t.Fatalf("%s: %d %s", tc.user, r.status, r.body)
		}
		var got []string
		for _, c := range o.Contributions {
			shown := ""
			if c.Shown {
				shown = "shown"
			}
			got = append(got, c.Originator+":"+c.Modified+":"+shown)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s sees contributions %v, want %v", tc.user, got, tc.want)
		}
	}
}

// An answer names at most MaxSkipped of an event's unmapped parts and
// counts them all: an event of many unmappable attributes must not make
// an answer larger than itself.
func TestMISPSkippedBounded(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	var attrs []string
	for i := range api.MaxSkipped + 50 {
		attrs = append(attrs, fmt.Sprintf(`{"uuid":"%s","type":"port","category":"Network activity","value":"%d","to_ids":false}`, storetest.UUID(i+1), 1000+i))
	}
	event := []byte(`{"Event":{"uuid":"` + storetest.UUID(99999) + `","info":"ports","date":"2026-10-01","timestamp":"1790000000","Attribute":[` + strings.Join(attrs, ",") + `]}}`)
	r := h.do("pa-analyst", "POST", "/api/v1/misp/events", nil, "application/json", event)
	if r.status != 201 {
		t.Fatalf("%d %.300s", r.status, r.body)
	}
	var res api.MISPResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != api.MaxSkipped || res.SkippedCount < api.MaxSkipped+50 {
		t.Fatalf("%d skipped named, %d counted; want %d named and at least %d counted", len(res.Skipped), res.SkippedCount, api.MaxSkipped, api.MaxSkipped+50)
	}
}
