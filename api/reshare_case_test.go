package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"mosaic"
)

// TestReshareMixedCase: pa holds a TLP:RED note in ops under an id whose
// UUID mixes cases (RFC 9562 reads UUIDs in any case). pb-analyst, a
// member of ops by name, reads it and may not submit the same object
// under its id in lower case to the whole cell.
func TestReshareMixedCase(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			h := insiderHarness(t, open)
			if err := h.store.AddMember(context.Background(), "ops", "", "pb-analyst", mosaic.AuditEntry{Action: "setup"}); err != nil {
				t.Fatal(err)
			}
			const mixed = "note--aBcDeF01-0000-4000-8000-00000000abcd"
			note := func(id, modified, extra string) string {
				return `{"type":"note","spec_version":"2.1","id":"` + id + `","created":"2026-10-01T00:00:00.000Z","modified":"` + modified + `","content":"Source X says Y.","object_refs":["indicator--00000001-0000-4000-8000-000000000001"]` + extra + `}`
			}
			if r := h.post("pa-analyst", url.Values{"audience": {"compartment:ops"}}, note(mixed, "2026-10-01T00:00:00.000Z", redMarking)); r.status/100 != 2 {
				t.Fatalf("pa: %d %s", r.status, r.body)
			}
			if s := h.do("pb-analyst", "GET", "/api/v1/objects/"+mixed, nil, "", nil).status; s != 200 {
				t.Fatalf("pb-analyst reads pa's note: %d", s)
			}
			// Same spelling: refused, as designed.
			if r := h.post("pb-analyst", url.Values{"audience": {"cell"}}, note(mixed, "2026-10-02T00:00:00.000Z", "")); r.status != 400 {
				t.Errorf("same spelling to the cell: %d %s", r.status, r.body)
			}
			lower := strings.ToLower(mixed)
			r := h.post("pb-analyst", url.Values{"audience": {"cell"}}, note(lower, "2026-10-02T00:00:00.000Z", ""))
			if r.status != 400 {
				t.Errorf("pa's RED ops note re-shared with the whole cell at AMBER under its id in lower case: %d %s", r.status, r.body)
			}
		})
	}
}
