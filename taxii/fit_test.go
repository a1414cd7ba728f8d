package taxii_test

import (
	"context"
	"slices"
	"testing"

	"mosaic/stix"
)

// TestFitPaging: third parties' records whose handling alternates (a
// handling object each) mixed with records their originator made (none):
// at every limit the pages hold no more objects than the limit (a record
// and its handling object at a limit of 1) and give every record once, in
// order.
func TestFitPaging(t *testing.T) {
	h := newHarness(t, stores["sqlite"], testOptions)
	seed(t, h)
	cell := h.collID("pa-analyst", "Cell")
	pa, err := h.store.Org(context.Background(), "pa")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for n := 1; n <= 23; n++ {
		o := ind(n, day1)
		switch n % 3 {
		case 0:
			o = o[:len(o)-1] + `,"object_marking_refs":["` + stix.TLPMarkingID("green") + `"]}`
		case 1:
			o = o[:len(o)-1] + `,"created_by_ref":"` + pa.Identity + `"}`
		}
		h.mustPost("pa-analyst", cell, o)
		want = append(want, id(n)+"@pa@"+day1)
	}
	for limit := 1; limit <= 7; limit++ {
		if got := h.list(t, "pc-analyst", collPath(cell)+"objects/", nil, limit); !slices.Equal(got, want) {
			t.Errorf("limit %d: %d records %v", limit, len(got), got)
		}
	}
}
