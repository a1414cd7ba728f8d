package api_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
	"mosaic/storetest"
)

// TestAttackAdminEmptiesLiaisons: an admin alone, without any approver,
// disables one of pb's liaisons and demotes the other to analyst. pb then
// has no enabled liaison, which does not count as all away: pb's
// configured deputy still may not decide pb's consent, and each step is
// audited.
func TestAttackAdminEmptiesLiaisons(t *testing.T) {
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, stores["sqlite"], func(c *content.Service, s storetest.Store) {
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
		t.Fatalf("the deputy while pb's liaisons are present: %d %s", r.status, r.body)
	}
	if r := h.send("pa-admin", "PATCH", "/api/v1/users/pb-liaison", map[string]any{"disabled": true}, nil); r.status != 200 || strings.Contains(string(r.body), `"request"`) {
		t.Fatalf("the admin disables pb's liaison: %d %s", r.status, r.body)
	}
	if r := h.send("pa-admin", "PATCH", "/api/v1/users/pb-liaison2", map[string]any{"role": mosaic.Analyst}, nil); r.status != 200 || strings.Contains(string(r.body), `"request"`) {
		t.Fatalf("the admin demotes pb's other liaison: %d %s", r.status, r.body)
	}
	// With no liaison left nobody is away: the deputy still may not.
	if r := consent(); r.status != 403 {
		t.Fatalf("the deputy once pb has no liaison: %d %s", r.status, r.body)
	}
	entries, err := h.store.AuditEntries(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Action == "users.update" || e.Action == "releases.consent" {
			got = append(got, e.User+" "+e.Action+" "+string(e.Decision)+" "+e.Detail)
		}
	}
	want := []string{"pa-admin users.update allow user pb-liaison", "pa-admin users.update allow user pb-liaison2"}
	j := 0
	for _, g := range got {
		if j < len(want) && strings.HasPrefix(g, want[j]) {
			j++
		}
	}
	if j != len(want) {
		t.Errorf("audited as %q, want in order %q", got, want)
	}
}
