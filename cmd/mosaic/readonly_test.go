package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/taxii"
)

// TestReadOnlyTokenCannotWrite runs the whole server, every door mounted
// as in production, and sends every operation of the OpenAPI document
// that is not GET or HEAD (REST, receipts and sightings, deconfliction)
// and TAXII's POST and DELETE with a read-only token of a partner analyst,
// an admin and a stakeholder: each is refused with 403 saying that the
// token is read-only, nothing is written, and the token can neither make
// another one nor be made read-write. The same tokens still read.
func TestReadOnlyTokenCannotWrite(t *testing.T) {
	ctx := context.Background()
	m := startServer(t, t.TempDir())
	setup := mosaic.AuditEntry{Time: time.Now(), User: "test", Action: "setup", Decision: mosaic.Allowed}
	for _, o := range []mosaic.Organisation{
		{Name: "pa", FullName: "Partner A", Kind: mosaic.Partner, LegalRegime: "wpg"},
		{Name: "hospital", FullName: "Hospital", Kind: mosaic.Stakeholder, Sectors: []string{"healthcare"}},
	} {
		if err := m.Store.CreateOrg(ctx, &o, setup); err != nil {
			t.Fatal(err)
		}
	}
	tokens := map[string]string{}
	for _, u := range []mosaic.User{
		{Name: "alice", Org: "pa", Role: mosaic.Analyst},
		{Name: "root", Org: "pa", Role: mosaic.Admin},
		{Name: "nurse", Org: "hospital", Role: mosaic.StakeholderViewer},
	} {
		if err := m.Store.CreateUser(ctx, &u, "", setup); err != nil {
			t.Fatal(err)
		}
		secret, hash := credential.NewToken()
		if _, err := m.Store.CreateToken(ctx, u.Name, hash, "siem", time.Now().Add(time.Hour), true, setup); err != nil {
			t.Fatal(err)
		}
		tokens[u.Name] = secret
	}

	type op struct{ method, path, body string }
	var ops []op
	b, err := os.ReadFile("../../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	for path, methods := range doc.Paths {
		for method := range methods {
			switch method {
			case "get", "head", "parameters", "summary", "description":
				continue
			}
			if path == "/api/v1/password" {
				// Taken without a token, with a one-time code: a token sent
				// along is not what lets it through.
				continue
			}
			ops = append(ops, op{strings.ToUpper(method), param.ReplaceAllString(path, "1"), "{}"})
		}
	}
	if len(ops) < 20 {
		t.Fatalf("only %d write operations found in the OpenAPI document", len(ops))
	}
	col := taxii.DiscoveryPath + "api/collections/00000000-0000-4000-8000-000000000000/"
	ops = append(ops,
		op{"POST", col + "objects/", `{"objects":[]}`},
		op{"DELETE", col + "objects/indicator--00000000-0000-4000-8000-000000000000/", ""},
		// A token that widens itself: a new read-write one, or a change of
		// its own.
		op{"POST", "/api/v1/me/tokens", `{"label":"wider","read_only":false}`},
		op{"PATCH", "/api/v1/me/tokens/1", `{"read_only":false}`},
		op{"PUT", "/api/v1/me/tokens/1", `{"read_only":false}`},
	)
	slices.SortFunc(ops, func(a, b op) int { return strings.Compare(a.method+a.path, b.method+b.path) })

	send := func(user, method, path, body string, basic bool) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if basic {
			req.SetBasicAuth(user, tokens[user])
		} else {
			req.Header.Set("Authorization", "Bearer "+tokens[user])
		}
		if strings.HasPrefix(path, taxii.DiscoveryPath) {
			req.Header.Set("Accept", taxii.MediaType)
			req.Header.Set("Content-Type", taxii.MediaType)
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp, string(got)
	}

	for _, o := range ops {
		for _, user := range []string{"alice", "root", "nurse"} {
			resp, body := send(user, o.method, o.path, o.body, false)
			if o.path == "/api/v1/me/tokens/1" && o.method != "DELETE" {
				// No such operation: whatever the answer, it must not be a
				// success, and the token stays read-only (below).
				if resp.StatusCode < 400 {
					t.Errorf("%s %s as %s: %d", o.method, o.path, user, resp.StatusCode)
				}
				continue
			}
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "read-only") {
				t.Errorf("%s %s as %s with a read-only token: %d %s", o.method, o.path, user, resp.StatusCode, body)
			}
			if !strings.HasPrefix(o.path, taxii.DiscoveryPath) && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s: Content-Type %q, want a problem", o.method, o.path, resp.Header.Get("Content-Type"))
			}
		}
	}
	// TAXII clients send the token as HTTP Basic's password.
	if resp, body := send("alice", "POST", col+"objects/", `{"objects":[]}`, true); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "read-only") {
		t.Errorf("TAXII POST with Basic: %d %s", resp.StatusCode, body)
	}

	for user, secret := range tokens {
		ts, err := m.Store.Tokens(ctx, user)
		if err != nil || len(ts) != 1 || !ts[0].ReadOnly || ts[0].Revoked != nil {
			t.Errorf("%s's tokens after the attempts: %+v, %v", user, ts, err)
		}
		v, err := m.Store.Authenticate(ctx, credential.HashToken(secret), time.Now())
		if err != nil || !v.ReadOnly {
			t.Errorf("%s's token after the attempts: %+v, %v", user, v, err)
		}
	}

	// Reading is what the token is for.
	for _, r := range []struct{ user, path string }{
		{"alice", "/api/v1/me/tokens"},
		{"alice", "/api/v1/objects"},
		{"root", "/api/v1/users"},
		{"nurse", "/api/v1/releases"},
		{"nurse", taxii.DiscoveryPath},
		{"nurse", taxii.DiscoveryPath + "api/collections/"},
	} {
		for _, basic := range []bool{false, strings.HasPrefix(r.path, taxii.DiscoveryPath)} {
			if resp, body := send(r.user, "GET", r.path, "", basic); resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s as %s with a read-only token: %d %s", r.path, r.user, resp.StatusCode, body)
			}
		}
	}
}
