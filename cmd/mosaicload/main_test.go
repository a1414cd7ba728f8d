package main

import (
	"context"
	"io"
	"testing"
)

// The load program runs end to end at a sixteenth of its sizes: every
// upload is stored and every stalled listing was answered, so that the
// figures in BENCHMARKS.md come from a load that did what it says.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and loads a server process")
	}
	r, err := Run(context.Background(), Config{Scale: 16}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploads != uploads || r.Listings != listings {
		t.Fatalf("%d of %d uploads stored, %d of %d listings answered", r.Uploads, uploads, r.Listings, listings)
	}
	if r.PeakMB <= 0 || r.PeakMB < r.IdleMB || len(r.Timeline) == 0 {
		t.Fatalf("peak %.0f MB, idle %.0f MB, %d samples: the server's memory was not read", r.PeakMB, r.IdleMB, len(r.Timeline))
	}
}
