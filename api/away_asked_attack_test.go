package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
)

// TestAttackReadOnlyTokenMarksAway: a liaison's read-only token (a SIEM's,
// say, or one stolen from it) must not mark the liaison away, which would
// hand its organisation's consents to the deputies, nor mark it back.
func TestAttackReadOnlyTokenMarksAway(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	var ro api.NewToken
	r := h.do("pb-liaison", "POST", "/api/v1/me/tokens", nil, "application/json", []byte(`{"label":"siem","expires":"90d","read_only":true}`))
	if err := json.Unmarshal(r.body, &ro); r.status != 201 || err != nil || !ro.ReadOnly {
		t.Fatalf("read-only token: %d %s", r.status, r.body)
	}
	with := func(method, body string) int {
		req, _ := http.NewRequest(method, h.srv.URL+"/api/v1/me/away", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ro.Secret)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	until := h.clock.Now().Add(48 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	if st := with("PUT", `{"until":"`+until+`"}`); st != 403 {
		t.Errorf("PUT /me/away with a read-only token: %d, want 403", st)
	}
	if st := with("GET", ""); st != 200 {
		t.Errorf("GET /me/away with a read-only token: %d, want 200", st)
	}
	ls, err := h.store.(interface {
		Liaisons(context.Context, string) ([]mosaic.LiaisonAway, error)
	}).Liaisons(context.Background(), "pb")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if !l.AwayUntil.IsZero() {
			t.Errorf("a read-only token marked %s away until %s", l.User, l.AwayUntil)
		}
	}
	// Marked away with a full token, the read-only one cannot mark it back.
	if r := h.send("pb-liaison", "PUT", "/api/v1/me/away", api.AwayRequest{Until: h.clock.Now().Add(48 * time.Hour)}, nil); r.status != 200 {
		t.Fatalf("away: %d %s", r.status, r.body)
	}
	if st := with("DELETE", ""); st != 403 {
		t.Errorf("DELETE /me/away with a read-only token: %d, want 403", st)
	}
}

// TestAttackAskedListing: the listing's consent, drafter_org and created,
// and asked=true, are the asked organisations' and the drafter's alone: a
// stakeholder addressed, a partner addressed but not asked, a feedback
// reader, an admin, an auditor and the public get none of them, before
// and after publication.
func TestAttackAskedListing(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	if r := h.post("pa-analyst", cell, ind(1, marking(mosaic.TLPGreen))); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := h.post("pb-analyst", cell, ind(2, marking(mosaic.TLPGreen))); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// pb is asked (its ORCON object); ncsc, a partner, is only addressed.
	rel := draftRelease(t, h, content.Draft{Title: "Marshlock", Advice: "Block it.", Recipients: []string{"org:sh", "org:ncsc"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}, {ID: indID(2), Modified: modified, Originator: "pb"}}})
	path := "/api/v1/releases/" + rel.ID

	check := func(stage string) {
		t.Helper()
		for _, u := range []string{"sh-user", "sh2-user", "ncsc-analyst", "pa-admin", "ov-auditor"} {
			for _, q := range []url.Values{{"asked": {"true"}}, {"asked": {"true"}, "state": {"awaiting-consent,ready,published"}}} {
				var page api.ReleasePage
				if r := h.get(u, "/api/v1/releases", q, &page); r.status != 200 || len(page.Releases) != 0 {
					t.Errorf("%s: %s lists with %s: %d %s", stage, u, q.Encode(), r.status, r.body)
				}
			}
			r := h.get(u, "/api/v1/releases", nil, nil)
			for _, leak := range []string{`"consent"`, `"drafter_org"`, `"created"`, `"deadline"`, `"pa"`, `"pb"`, "pa-liaison", "pb-liaison"} {
				if strings.Contains(string(r.body), leak) {
					t.Errorf("%s: %s's listing carries %s: %s", stage, u, leak, r.body)
				}
			}
		}
		// The public listing, with asked=true and a token sent along.
		for _, u := range []string{"", "pb-liaison"} {
			var r response
			if u == "" {
				resp, err := http.Get(h.srv.URL + "/api/v1/public/releases?asked=true")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = response{resp.StatusCode, resp.Header, b}
			} else {
				r = h.get(u, "/api/v1/public/releases", url.Values{"asked": {"true"}}, nil)
			}
			if strings.Contains(string(r.body), rel.ID) || strings.Contains(string(r.body), `"consent"`) {
				t.Errorf("%s: the public listing with asked=true (%q): %d %s", stage, u, r.status, r.body)
			}
		}
	}
	check("awaiting consent")

	// pb's liaison lists it with its own consent only.
	r := h.get("pb-liaison", "/api/v1/releases", url.Values{"asked": {"true"}}, nil)
	if r.status != 200 || !strings.Contains(string(r.body), rel.ID) || strings.Contains(string(r.body), `"org":"pa"`) {
		t.Errorf("pb's asked listing: %d %s", r.status, r.body)
	}
	if rr := h.send("pb-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); rr.status != 200 {
		t.Fatalf("pb consents: %d %s", rr.status, rr.body)
	}
	// pb does not learn pa's decision from pa's listing fields.
	if rr := h.send("pa-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); rr.status != 200 {
		t.Fatalf("pa consents: %d %s", rr.status, rr.body)
	}
	r = h.get("pb-liaison", "/api/v1/releases", url.Values{"asked": {"true"}}, nil)
	if strings.Contains(string(r.body), "pa-liaison") || strings.Contains(string(r.body), `"state":"ready"`) {
		t.Errorf("pb's asked listing shows pa's decision: %s", r.body)
	}
	if rr := h.send("pa-analyst", "POST", path+"/publish", api.PublishRequest{Revision: 1}, nil); rr.status != 200 {
		t.Fatalf("publish: %d %s", rr.status, rr.body)
	}
	check("published")
	for _, u := range []string{"sh-user", "ncsc-analyst"} {
		if r := h.get(u, "/api/v1/releases", nil, nil); !strings.Contains(string(r.body), rel.ID) {
			t.Errorf("%s does not list the release delivered to it, so the check above proves nothing: %s", u, r.body)
		}
	}
}
