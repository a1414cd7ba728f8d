package web_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
)

// TestCollectionAttackTokenRace: a user holding one token short of the
// bound posts the token form ten times at once: at most one more token
// is made, every one read-only, none living past the form's maximum.
func TestCollectionAttackTokenRace(t *testing.T) {
	e := newCollectionEnv(t)
	sh := e.signedIn(t, e.w.Stakeholder)
	_, page := sh.get("/collection")
	token := csrf(t, page)
	for range mosaic.MaxLiveTokens - 1 {
		_, hash := credential.NewToken()
		if _, err := e.w.Store.CreateToken(bg, e.w.Stakeholder.User, hash, "old", e.w.Clock.Now().Add(time.Hour), true, mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			sh.post("/collection/tokens", url.Values{"csrf": {token}, "label": {"SIEM"}, "days": {"365"}})
		})
	}
	wg.Wait()
	ts, err := e.w.Store.Tokens(bg, e.w.Stakeholder.User)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) > mosaic.MaxLiveTokens {
		t.Errorf("the race made %d tokens, past the bound of %d", len(ts), mosaic.MaxLiveTokens)
	}
	for _, tk := range ts {
		if !tk.ReadOnly || tk.Expires.After(e.w.Clock.Now().Add(366*24*time.Hour)) {
			t.Errorf("token %d: read-only %v, expires %s", tk.ID, tk.ReadOnly, tk.Expires)
		}
	}
}

// TestCollectionAttackReadOnlyTokenWrites: the read-only token the page
// makes cannot write through the API (a new token, a receipt), nor act
// on the web UI's forms, which take a session and its CSRF token only.
func TestCollectionAttackReadOnlyTokenWrites(t *testing.T) {
	e := newCollectionEnv(t)
	r := e.publish(t, "Ro release", "Block.", mosaic.TLPGreen, "org:sh", indicatorAt(951, "Ro beacon", "[ipv4-addr:value = '198.51.100.51']"))
	sh := e.signedIn(t, e.w.Stakeholder)
	_, page := sh.get("/collection")
	resp, page := sh.post("/collection/tokens", url.Values{"csrf": {csrf(t, page)}, "label": {"SIEM"}, "days": {"90"}})
	m := secretOnPage.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("make a token: %d", resp.StatusCode)
	}
	ro := m[1]
	before, _ := e.w.Store.Tokens(bg, e.w.Stakeholder.User)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/me/tokens", `{"label":"wider"}`},
		{"POST", "/api/v1/me/tokens", `{"label":"wider","read_only":false}`},
		{"DELETE", "/api/v1/me/tokens/1", ""},
		{"POST", "/api/v1/releases/" + r.ID + "/receipts", `{"status":"applied"}`},
		{"POST", "/api/v1/releases/" + r.ID + "/sightings", `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[]}`},
		{"POST", "/api/v1/releases", `{"title":"x","advice":"y","recipients":["org:sh"],"objects":[]}`},
		{"PATCH", "/api/v1/me", `{}`},
		{"OPTIONS", "/api/v1/me/tokens", ""},
	} {
		for _, user := range []string{"", e.w.Stakeholder.User} {
			if resp, _ := e.call(t, c.method, c.path, user, ro, c.body); resp.StatusCode < 400 {
				t.Errorf("%s %s with the read-only token (basic %v): %d", c.method, c.path, user != "", resp.StatusCode)
			}
		}
	}
	// The web UI's forms with the token and no session.
	for _, p := range []string{"/collection/tokens", "/releases/" + r.ID + "/receipt", "/outgoing/new"} {
		resp, _ := e.call(t, "POST", p, "", ro, "label=x&days=90")
		if resp.StatusCode < 400 && resp.Request.URL.Path != "/login" {
			t.Errorf("POST %s with the token: %d at %s", p, resp.StatusCode, resp.Request.URL)
		}
	}
	after, _ := e.w.Store.Tokens(bg, e.w.Stakeholder.User)
	if len(after) != len(before) {
		t.Errorf("the read-only token made or revoked tokens: %d before, %d after", len(before), len(after))
	}
	fb, err := e.svc.Feedback(bg, e.w.A, r.ID, content.Access{Action: "t"})
	if err != nil || len(fb.Receipts) != 0 {
		t.Errorf("a receipt was filed with the read-only token: %+v %v", fb.Receipts, err)
	}
}
