package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/audit"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/ingest"
	"mosaic/postgres/pgtest"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
)

// stores names the stores every API test runs on.
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

// harness is an API server on a store, with a token per user.
type harness struct {
	t      testing.TB
	store  mosaic.Store
	clock  *storetest.Clock
	srv    *httptest.Server
	audit  *audit.Log
	tokens map[string]string // user → token
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newHarness starts a harness on a store open makes; setup, when given,
// configures the content service before the server starts.
func newHarness(t testing.TB, open storetest.Opener, setup ...func(*content.Service, storetest.Store)) *harness {
	clock := storetest.NewClock(storetest.Epoch)
	s := open(t, clock)
	al := audit.New(s, 50*time.Millisecond, quietLog())
	c := content.New(s, ingest.Config{
		DefaultTLP: mosaic.TLPAmber,
		LegalBases: map[string]time.Duration{"wiv2017": 365 * 24 * time.Hour, "wpg": 365 * 24 * time.Hour, "wbni": 365 * 24 * time.Hour, "wjsg": 730 * 24 * time.Hour},
		Limits:     stix.DefaultLimits(),
	}, al, clock)
	for _, f := range setup {
		f(c, s)
	}
	a := api.New(c, s, api.Limits{MaxBodyBytes: 16 << 20, MaxPageSize: 1000, RatePerSecond: 1e6, RateBurst: 1e6, AuthFailures: 1000, TokenLifetime: 24 * time.Hour}, clock, quietLog())
	h := &harness{t: t, store: s, clock: clock, srv: newServer(t, a), audit: al, tokens: map[string]string{}}
	t.Cleanup(func() { al.Close(context.Background()) })
	return h
}

func newServer(t testing.TB, a *api.Server) *httptest.Server {
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv
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

func (h *harness) do(user, method, path string, q url.Values, ctype string, body []byte) response {
	h.t.Helper()
	u := h.srv.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+h.token(user))
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
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

func (h *harness) get(user, path string, q url.Values, out any) response {
	h.t.Helper()
	r := h.do(user, "GET", path, q, "", nil)
	if out != nil && r.status == 200 {
		if err := json.Unmarshal(r.body, out); err != nil {
			h.t.Fatalf("GET %s: %v\n%s", path, err, r.body)
		}
	}
	return r
}

func bundle(objs ...string) []byte {
	raw := make([]json.RawMessage, len(objs))
	for i, o := range objs {
		raw[i] = json.RawMessage(o)
	}
	b, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + storetest.UUID(len(objs)+7), "objects": raw})
	return b
}

func (h *harness) post(user string, q url.Values, objs ...string) response {
	h.t.Helper()
	return h.do(user, "POST", "/api/v1/bundles", q, "application/stix+json;version=2.1", bundle(objs...))
}
