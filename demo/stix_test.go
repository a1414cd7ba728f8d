package demo

import (
	"errors"
	"testing"

	"mosaic"
	"mosaic/stix"
)

// TestBatchesDecode runs every batch through the decoder the ingest path
// uses, so that the demo cannot drift from what Mosaic accepts.
func TestBatchesDecode(t *testing.T) {
	for i, b := range Batches(testNow) {
		objs, err := stix.DecodeBundle(b.Bundle, stix.DefaultLimits())
		if err != nil {
			var problems []mosaic.Problem
			if e := (*mosaic.Error)(nil); errors.As(err, &e) {
				problems = e.Problems
			}
			t.Errorf("batch %d (%s, %s): %v %v", i, b.User, b.Audience, err, problems)
			continue
		}
		if len(objs) == 0 {
			t.Errorf("batch %d (%s): no objects decoded", i, b.User)
		}
	}
}
