package storetest

import (
	"strings"
	"testing"

	"mosaic"
)

// testByOriginator: a record says whether its object names its
// originator's own identity as its creator, for every reader and on every
// read path; an object that names another identity, or none, or holds the
// identity elsewhere than in created_by_ref, is a third party's.
func testByOriginator(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	pa, pb := w.Orgs["pa"].Identity, w.Orgs["pb"].Identity
	if pa == "" || pb == "" {
		t.Fatalf("identities %q, %q", pa, pb)
	}
	withCreator := func(n int, by, name string) string {
		o := Indicator(n, "2026-10-01T00:00:00.000Z", name, "[ipv4-addr:value = '198.51.100.1']")
		if by == "" {
			return o
		}
		return strings.Replace(o, `"created":`, `"created_by_ref":"`+by+`","created":`, 1)
	}
	want := map[string]bool{}
	for n, tc := range []struct {
		by, name string
		own      bool
	}{
		{pa, "pa's own", true},
		{pb, "pb's identity, from pa", false},
		{"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5", "a third party's", false},
		{"", "nobody's " + pa, false},
	} {
		r := Record(t, withCreator(n+1, tc.by, tc.name), env(cell))
		w.Ingest(t, w.A, r)
		want[r.ID] = tc.own
	}
	for _, v := range []mosaic.Viewer{w.A, w.B} {
		page, err := w.Store.Objects(bg, v, mosaic.ObjectFilter{Limit: 10})
		if err != nil || len(page.Objects) != len(want) {
			t.Fatalf("%s: %d objects, %v", v.User, len(page.Objects), err)
		}
		for _, o := range page.Objects {
			id := objectID(o.Object)
			if o.ByOriginator != want[id] {
				t.Errorf("%s lists %s with ByOriginator %v", v.User, id, o.ByOriginator)
			}
			got, err := w.Store.Object(bg, v, id, true)
			if err != nil || got[0].ByOriginator != want[id] {
				t.Errorf("%s gets %s with ByOriginator %v (%v)", v.User, id, got[0].ByOriginator, err)
			}
		}
	}
}
