package api_test

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
	"mosaic/release"
	"mosaic/storetest"
)

// TestDeputyThroughAPI: pb's liaisons mark themselves away and back
// through /api/v1/me/away; pb's deputy decides pb's consent only while
// both are away, and the drafter reads that a deputy decided it.
func TestDeputyThroughAPI(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) { testDeputyThroughAPI(t, open) })
	}
}

func testDeputyThroughAPI(t *testing.T, open storetest.Opener) {
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, open, func(c *content.Service, s storetest.Store) {
		c.EnableReleases(any(s).(content.ReleaseStore), content.ReleaseConfig{Keys: keys, Deputies: map[string][]string{"pb": {"pb-analyst"}}})
	})
	seed(t, h)
	liaisons(t, h)
	if r := h.post("pb-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}}, ind(2, "")); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rel := draftRelease(t, h, content.Draft{Title: "Block", Advice: "Block it.", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(2), Modified: modified}}})
	consent := func() response {
		return h.send("pb-analyst", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: rel.Revision, Decision: content.DecideApprove}, nil)
	}
	if r := consent(); r.status != 403 {
		t.Fatalf("the deputy while both liaisons are present: %d %s", r.status, r.body)
	}
	until := h.clock.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	var w content.Away
	if r := h.send("pb-liaison", "PUT", "/api/v1/me/away", api.AwayRequest{Until: until}, &w); r.status != 200 || !w.Until.Equal(until) {
		t.Fatalf("away: %d %s", r.status, r.body)
	}
	if r := consent(); r.status != 403 {
		t.Fatalf("the deputy while one liaison is present: %d %s", r.status, r.body)
	}
	if r := h.send("pb-liaison2", "PUT", "/api/v1/me/away", api.AwayRequest{Until: until}, nil); r.status != 200 {
		t.Fatalf("away: %d %s", r.status, r.body)
	}
	var got api.Release
	if r := h.send("pb-analyst", "POST", "/api/v1/releases/"+rel.ID+"/consents", content.Consent{Revision: rel.Revision, Decision: content.DecideApprove}, &got); r.status != 200 {
		t.Fatalf("the deputy while both liaisons are away: %d %s", r.status, r.body)
	}
	var drafter api.Release
	if r := h.get("pa-analyst", "/api/v1/releases/"+rel.ID, nil, &drafter); r.status != 200 || !strings.Contains(string(r.body), `"decided_by":"pb-analyst","deputy":true`) {
		t.Errorf("the drafter reads %d %s", r.status, r.body)
	}

	if r := h.get("pb-liaison", "/api/v1/me/away", nil, &w); r.status != 200 || !w.Until.Equal(until) {
		t.Errorf("GET away: %d %s", r.status, r.body)
	}
	for _, c := range []struct {
		user, method, path string
		body               any
		status             int
	}{
		{"pb-analyst", "GET", "/api/v1/me/away", nil, 403},
		{"pb-analyst", "PUT", "/api/v1/me/away", api.AwayRequest{Until: until}, 403},
		{"pa-admin", "PUT", "/api/v1/me/away", api.AwayRequest{Until: until}, 403},
		{"pb-liaison", "PUT", "/api/v1/me/away", api.AwayRequest{Until: h.clock.Now().Add(mosaic.MaxAway + time.Hour)}, 400},
		{"pb-liaison", "PUT", "/api/v1/me/away", map[string]any{}, 400},
		{"pb-liaison", "PUT", "/api/v1/me/away", map[string]any{"until": until, "user": "pa-liaison"}, 400},
		{"pb-liaison", "PUT", "/api/v1/me/away?user=pa-liaison", api.AwayRequest{Until: until}, 400},
		{"pb-liaison", "DELETE", "/api/v1/me/away?user=pa-liaison", nil, 400},
	} {
		if r := h.send(c.user, c.method, c.path, c.body, nil); r.status != c.status {
			t.Errorf("%s %s as %s: %d %s, want %d", c.method, c.path, c.user, r.status, r.body, c.status)
		}
	}
	if r := h.send("pb-liaison", "DELETE", "/api/v1/me/away", nil, nil); r.status != 200 || string(r.body) != "{}" {
		t.Errorf("back: %d %s", r.status, r.body)
	}
	ls, err := h.store.Liaisons(context.Background(), "pb")
	if err != nil || len(ls) != 2 || !ls[0].AwayUntil.IsZero() || !ls[1].AwayUntil.Equal(until) {
		t.Errorf("pb's liaisons: %+v, %v", ls, err)
	}
	entries, err := h.store.AuditEntries(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var marks []string
	for _, e := range entries {
		if e.Action == "me.away" {
			marks = append(marks, e.User+" "+string(e.Decision)+" "+e.Detail)
		}
	}
	want := []string{"pb-liaison allow away until " + until.Format(time.RFC3339), "pb-liaison2 allow away until " + until.Format(time.RFC3339)}
	// Refusals reach the audit log by another path than the changes, so
	// only the changes' order is checked.
	if len(marks) < 3 || marks[0] != want[0] || marks[1] != want[1] || !slices.Contains(marks[2:], "pb-liaison allow back") {
		t.Errorf("away audited as %q", marks)
	}
}
