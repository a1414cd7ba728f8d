package taxii_test

import (
	"encoding/json"
	"net/url"
	"sync"
	"testing"
	"time"

	"mosaic/storetest"
	"mosaic/taxii"
)

// TestPollingWhileWriting pages and polls the cell collection while two
// organisations keep adding objects to it: one reader follows next and,
// when there is no more, polls with added_after set to the last
// X-TAXII-Date-Added-Last; another polls with added_after only. The first
// must see every object exactly once, the second every object at least
// once.
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
		// The second poller's pages are larger than a batch (a batch's
		// objects share one date_added): a client that ignores next gets parts of
		// a batch twice, but must never lose any, and makes progress as
		// long as a page holds more than a batch.
		pollers := []*poller{
			{useNext: true, q: q("limit", "7"), seen: map[string]int{}},
			{useNext: false, q: q("limit", "45"), seen: map[string]int{}},
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
			if !p.useNext {
				continue
			}
			for k, n := range p.seen {
				if n != 1 {
					t.Errorf("poller %d saw %s %d times", i, k, n)
				}
			}
		}
	})
}

// TestDateAddedOfABatch: the objects of one upload share their date_added,
// and a page that ends inside the batch says so by an
// X-TAXII-Date-Added-Last one microsecond earlier, so that polling with it
// gets the rest of the batch.
func TestDateAddedOfABatch(t *testing.T) {
	h := newHarness(t, stores["sqlite"], testOptions)
	seed(t, h)
	cell := h.collID("pa-analyst", "Cell")
	var objs []string
	for i := range 10 {
		objs = append(objs, ind(20_000+i, day1))
	}
	if r := h.do(request{method: "POST", path: collPath(cell) + "objects/", user: "pa-analyst", body: envelope(objs...)}); r.status != 202 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	objects := collPath(cell) + "objects/"
	var whole taxii.Manifest
	h.get("pb-analyst", collPath(cell)+"manifest/", q("limit", "100"), &whole)
	if len(whole.Objects) != 10 {
		t.Fatalf("manifest: %d objects", len(whole.Objects))
	}
	added := whole.Objects[0].DateAdded
	for _, m := range whole.Objects {
		if m.DateAdded != added {
			t.Fatalf("one batch, two dates: %s and %s", added, m.DateAdded)
		}
	}
	at, err := time.Parse(time.RFC3339Nano, added)
	if err != nil {
		t.Fatal(err)
	}
	before := at.Add(-time.Microsecond).UTC().Format("2006-01-02T15:04:05.000000Z")

	var env taxii.Envelope
	r := h.get("pb-analyst", objects, q("limit", "4"), &env)
	if first, last := r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast); first != added || last != before || !env.More {
		t.Errorf("inside the batch: first %s last %s more %v; want %s, %s, true", first, last, env.More, added, before)
	}
	// Polling with it gets the whole batch again.
	r = h.get("pb-analyst", objects, q("limit", "100", "added_after", r.header.Get(taxii.HeaderDateAddedLast)), &env)
	if n := len(ids(t, env)); n != 10 || r.header.Get(taxii.HeaderDateAddedLast) != added || env.More {
		t.Errorf("poll after a split page: %d objects, last %s, more %v", n, r.header.Get(taxii.HeaderDateAddedLast), env.More)
	}
	// A page that ends with the batch ends with its date: ten records
	// and the one handling object they share.
	r = h.get("pb-analyst", objects, q("limit", "11"), &env)
	if last := r.header.Get(taxii.HeaderDateAddedLast); last != added {
		t.Errorf("page ending with the batch: last %s, want %s", last, added)
	}
}
