package policy

import (
	"fmt"
	"runtime"
	"testing"

	"mosaic"
)

// STARVE. A draft of 10,000 TLP:RED objects to many organisations breaks
// the rules once per object and recipient. The levels are checked once
// each, but a problem is built for every pair, though an answer lists at
// most 10,000 (problem.MaxProblems): one request of a partner analyst has
// the server allocate for millions. Here 10,000 objects and 250
// organisations (the draft limits allow 1,000): 2.5 million problems.
func TestAttackReleaseProblemsMemory(t *testing.T) {
	objs := make([]Released, 10000)
	for i := range objs {
		objs[i] = Released{ID: fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i), TLP: mosaic.TLPRed}
	}
	rs := make([]mosaic.Recipient, 250)
	for i := range rs {
		rs[i] = mosaic.Recipient{Kind: mosaic.RecipientOrg, Name: fmt.Sprintf("org-%d", i)}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	probs := ReleaseProblems(objs, rs)
	runtime.ReadMemStats(&after)
	if len(probs) == 0 {
		t.Fatal("no problems")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("%d problems, %d MiB allocated for an answer that lists 10,000; at 1,000 recipients four times as much", len(probs), alloc>>20)
	}
}
