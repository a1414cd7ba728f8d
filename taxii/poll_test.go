package taxii_test

import (
	"encoding/json"
	"net/url"
	"sync"
	"testing"

	"mosaic/storetest"
	"mosaic/taxii"
)

// TestPollingWhileWriting pages and polls the cell collection while two
// organisations keep adding objects to it: one reader follows next and,
// when there is no more, polls with added_after set to the last
// X-TAXII-Date-Added-Last; another polls with added_after only. Each must
// see every object exactly once.
func TestPollingWhileWriting(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open, testOptions)
		seed(t, h)
		cell := h.collID("pa-analyst", "Cell")
		for _, u := range []string{"pa-analyst", "pb-analyst", "pc-analyst"} {
			h.token(u) // before the goroutines: the token map is not shared safely
		}
		const batches, per = 15, 20
		var wg sync.WaitGroup
		for g, user := range []string{"pa-analyst", "pb-analyst"} {
			wg.Go(func() {
				for b := range batches {
					var objs []string
					for i := range per {
						objs = append(objs, ind(10_000+(g*batches+b)*per+i, day1))
					}
					r := h.do(request{method: "POST", path: collPath(cell) + "objects/", user: user, body: envelope(objs...)})
					var st taxii.Status
					if r.status != 202 || json.Unmarshal(r.body, &st) != nil || st.SuccessCount != per {
						t.Errorf("POST: %d %s", r.status, r.body)
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()

		objects := collPath(cell) + "objects/"
		// poller keeps one client's position.
		type poller struct {
			useNext bool
			q       url.Values
			seen    map[string]int
		}
		step := func(p *poller) (progressed bool) {
			var env taxii.Envelope
			r := h.get("pc-analyst", objects, p.q, &env)
			if r.status != 200 {
				t.Fatalf("poll: %d %s", r.status, r.body)
			}
			for _, k := range ids(t, env) {
				p.seen[k]++
			}
			last := r.header.Get(taxii.HeaderDateAddedLast)
			if p.useNext && env.More {
				p.q.Set("next", env.Next)
			} else {
				p.q.Del("next")
				p.q.Set("added_after", last)
			}
			return len(env.Objects) > 0
		}
		pollers := []*poller{
			{useNext: true, q: q("limit", "7"), seen: map[string]int{}},
			{useNext: false, q: q("limit", "5"), seen: map[string]int{}},
		}
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			for _, p := range pollers {
				step(p)
			}
		}
		// Drain what was committed last.
		for _, p := range pollers {
			for step(p) {
			}
		}
		for i, p := range pollers {
			if len(p.seen) != 2*batches*per {
				t.Errorf("poller %d saw %d objects of %d", i, len(p.seen), 2*batches*per)
			}
			for k, n := range p.seen {
				if n != 1 {
					t.Errorf("poller %d saw %s %d times", i, k, n)
				}
			}
		}
	})
}
