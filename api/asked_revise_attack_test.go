package api_test

import (
	"net/url"
	"strings"
	"testing"

	"mosaic"
	"mosaic/content"
)

// TestAttackAskedAfterRevision: pa drafts a release with pb's object under
// originator control (pb asked), then revises it without pb's object and
// with a new title. pb is no longer asked: neither its asked listing, nor
// its listing, nor the release door shows it the revised release.
func TestAttackAskedAfterRevision(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	if r := h.post("pa-analyst", cell, ind(1, marking(mosaic.TLPGreen))); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := h.post("pb-analyst", cell, ind(2, marking(mosaic.TLPGreen))); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rel := draftRelease(t, h, content.Draft{Title: "First", Advice: "Block it.", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}, {ID: indID(2), Modified: modified, Originator: "pb"}}})
	path := "/api/v1/releases/" + rel.ID
	if r := h.get("pb-liaison", "/api/v1/releases", url.Values{"asked": {"true"}}, nil); !strings.Contains(string(r.body), rel.ID) {
		t.Fatalf("pb is not asked to start with: %s", r.body)
	}
	if r := h.send("pa-analyst", "PUT", path, content.Draft{Revision: rel.Revision, Title: "Kept from pb now", Advice: "Block it.", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}}}, nil); r.status != 200 {
		t.Fatalf("revise: %d %s", r.status, r.body)
	}
	for _, u := range []string{"pb-liaison", "pb-analyst"} {
		for _, q := range []url.Values{{"asked": {"true"}}, nil} {
			if r := h.get(u, "/api/v1/releases", q, nil); strings.Contains(string(r.body), rel.ID) || strings.Contains(string(r.body), "Kept from pb") {
				t.Errorf("LEAK: %s lists the release pb is no longer asked about (%s): %s", u, q.Encode(), r.body)
			}
		}
		if r := h.get(u, path, nil, nil); r.status != 404 || strings.Contains(string(r.body), "Kept from pb") {
			t.Errorf("LEAK: %s reads the release pb is no longer asked about: %d %s", u, r.status, r.body)
		}
	}
}
