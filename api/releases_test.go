package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic/api"
)

// The recipient directory names whom a release may reach, and nothing
// more about them; only those who draft releases may read it.
func TestRecipients(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	var got api.Recipients
	if r := h.get("pa-analyst", "/api/v1/recipients", nil, &got); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	want := []api.Recipient{
		{Recipient: "public", Kind: "public"},
		{Recipient: "sector:energy", Kind: "sector"},
		{Recipient: "org:pa", Name: "A", Kind: "partner"},
		{Recipient: "org:pb", Name: "B", Kind: "partner"},
		{Recipient: "org:sh", Name: "S", Kind: "stakeholder"},
	}
	if diff := cmp.Diff(want, got.Recipients); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	r := h.get("pa-analyst", "/api/v1/recipients", nil, nil)
	for _, o := range []string{"pa", "sh", "ov"} {
		org, err := h.store.Org(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(r.body), org.Identity) {
			t.Errorf("the directory shows %s's identity", o)
		}
	}
	if strings.Contains(string(r.body), "org:ov") || strings.Contains(string(r.body), `"O"`) {
		t.Error("the directory names the oversight body")
	}
	for _, user := range []string{"sh-user", "ov-auditor", "pa-admin"} {
		if r := h.get(user, "/api/v1/recipients", nil, nil); r.status != 403 || strings.Contains(string(r.body), "org:") {
			t.Errorf("%s: %d %s, want 403 and nothing of the directory", user, r.status, r.body)
		}
	}
	if r := h.get("pa-analyst", "/api/v1/recipients", map[string][]string{"kind": {"org"}}, nil); r.status != 400 {
		t.Errorf("a query parameter: %d", r.status)
	}
}
