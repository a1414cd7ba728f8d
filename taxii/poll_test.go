package taxii_test

import (
	"encoding/json"
	"net/url"
	"slices"
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
				// An empty answer without added_after has no date.
				if last != "" {
					p.q.Set("added_after", last)
				}
			}
			return len(env.Objects) > 0
		}
		// The second poller's pages are larger than a batch (a batch's
		// objects share one date_added): a client that ignores next must
		// never lose any, and makes progress as long as a page holds more
		// than a batch.
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
// and a page that is all one batch and ends inside it is dated one
// microsecond earlier, in both headers, so that polling with its
// X-TAXII-Date-Added-Last gets the rest of the batch.
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
	if first, last := r.header.Get(taxii.HeaderDateAddedFirst), r.header.Get(taxii.HeaderDateAddedLast); first != before || last != before || !env.More {
		t.Errorf("inside the batch: first %s last %s more %v; want %s, %s, true", first, last, env.More, before, before)
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

// datePage is one page of a listing as a client sees it: the keys of its
// records and its date headers.
type datePage struct {
	keys        []string
	first, last string
	hasDates    bool
}

// pageThrough follows next through a listing endpoint and returns its
// pages; keys reads a page's records from the body.
func (h *harness) pageThrough(t *testing.T, user, path string, qv url.Values, keys func([]byte) ([]string, bool, string)) []datePage {
	t.Helper()
	qv = cloneValues(qv)
	var out []datePage
	for range 100 {
		r := h.get(user, path, qv, nil)
		if r.status != 200 {
			t.Fatalf("GET %s %v: %d %s", path, qv, r.status, r.body)
		}
		k, more, next := keys(r.body)
		p := datePage{keys: k, first: r.header.Get(taxii.HeaderDateAddedFirst), last: r.header.Get(taxii.HeaderDateAddedLast)}
		p.hasDates = len(r.header.Values(taxii.HeaderDateAddedLast)) > 0
		out = append(out, p)
		if !more {
			return out
		}
		qv.Set("next", next)
	}
	t.Fatal("pagination does not end")
	return nil
}

// TestDateHeadersOfOnePage: X-TAXII-Date-Added-Last is never before
// -First, on pages of one record inside an upload as on any other, on the
// objects, manifest and versions endpoints; a page that holds an earlier
// upload and the start of a later one ends before the later one, so that
// its -Last is the date_added of its last record; a client that polls
// with added_after set to any page's -Last gets every record of the pages
// after it; and an answer without objects gives no date it made up.
func TestDateHeadersOfOnePage(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storetest.Opener) {
		h := newHarness(t, open, testOptions)
		seed(t, h)
		cell := h.collID("pa-analyst", "Cell")
		malware := `{"type":"malware","spec_version":"2.1","id":"malware--` + storetest.UUID(42) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"m","is_family":false}`
		h.mustPost("pa-analyst", cell, ind(40, day1))
		h.mustPost("pa-analyst", cell, ind(41, day1), malware, ind(43, day1), ind(44, day1), ind(44, day2), ind(44, day3))
		var whole taxii.Manifest
		h.get("pa-analyst", collPath(cell)+"manifest/", q("match[version]", "all", "limit", "100"), &whole)
		added := map[string]string{} // id@version to date_added
		for _, m := range whole.Objects {
			added[m.ID+"@"+m.Version] = m.DateAdded
		}
		if len(whole.Objects) != 7 || whole.Objects[0].DateAdded == whole.Objects[1].DateAdded || whole.Objects[1].DateAdded != whole.Objects[6].DateAdded {
			t.Fatalf("want an upload of one and one of six: %+v", whole.Objects)
		}

		envelopeKeys := func(b []byte) ([]string, bool, string) {
			var env taxii.Envelope
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatal(err)
			}
			var k []string
			for _, o := range served(t, env) {
				k = append(k, o.ID+"@"+o.Modified)
			}
			return k, env.More, env.Next
		}
		manifestKeys := func(b []byte) ([]string, bool, string) {
			var m taxii.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			var k []string
			for _, r := range m.Objects {
				k = append(k, r.ID+"@"+r.Version)
			}
			return k, m.More, m.Next
		}
		versionKeys := func(b []byte) ([]string, bool, string) {
			var vs taxii.Versions
			if err := json.Unmarshal(b, &vs); err != nil {
				t.Fatal(err)
			}
			var k []string
			for _, v := range vs.Versions {
				k = append(k, id(44)+"@"+v)
			}
			return k, vs.More, vs.Next
		}
		both := q("match[type]", "indicator,malware", "match[version]", "all")
		for _, ep := range []struct {
			name, path string
			qv         url.Values
			keys       func([]byte) ([]string, bool, string)
		}{
			{"objects", collPath(cell) + "objects/", q("match[type]", "indicator,malware"), envelopeKeys},
			{"objects, all versions", collPath(cell) + "objects/", both, envelopeKeys},
			{"manifest", collPath(cell) + "manifest/", both, manifestKeys},
			{"versions", collPath(cell) + "objects/" + id(44) + "/versions/", nil, versionKeys},
		} {
			for _, limit := range []string{"1", "2", "3"} {
				qv := cloneValues(ep.qv)
				qv.Set("limit", limit)
				pages := h.pageThrough(t, "pa-analyst", ep.path, qv, ep.keys)
				var all []string
				for i, p := range pages {
					all = append(all, p.keys...)
					if !p.hasDates || !taxiiTime.MatchString(p.first) || !taxiiTime.MatchString(p.last) || p.last < p.first {
						t.Errorf("%s, limit %s, page %d %v: first %q, last %q", ep.name, limit, i+1, p.keys, p.first, p.last)
					}
					if i > 0 && p.first < pages[i-1].last {
						t.Errorf("%s, limit %s, page %d starts at %s, before the last page's end %s", ep.name, limit, i+1, p.first, pages[i-1].last)
					}
					// A page of two uploads ends with the earlier one.
					if n := len(p.keys); n > 1 && added[p.keys[0]] != added[p.keys[n-1]] && p.last != added[p.keys[n-1]] {
						t.Errorf("%s, limit %s, page %d %v: last %s, not the date_added of its last record", ep.name, limit, i+1, p.keys, p.last)
					}
				}
				if whole, _, _ := ep.keys(mustGet(t, h, ep.path, ep.qv)); len(all) != len(whole) {
					t.Errorf("%s, limit %s: %d records paged, want %d", ep.name, limit, len(all), len(whole))
				}
				// Polling from any page's last date loses nothing after it.
				seen := 0
				for i, p := range pages {
					seen += len(p.keys)
					rest := cloneValues(ep.qv)
					rest.Set("added_after", p.last)
					rest.Set("limit", "100")
					got, _, _ := ep.keys(mustGet(t, h, ep.path, rest))
					for _, k := range all[seen:] {
						if !slices.Contains(got, k) {
							t.Errorf("%s, limit %s: polling with the last date of page %d (%s) loses %s", ep.name, limit, i+1, p.last, k)
						}
					}
				}
			}
		}

		// Nothing to list: no dates, or the one asked with.
		for _, path := range []string{collPath(cell) + "objects/", collPath(cell) + "manifest/"} {
			r := h.get("pa-analyst", path, q("match[type]", "x-nothing"), nil)
			if string(r.body) != "{}" || len(r.header.Values(taxii.HeaderDateAddedFirst)) > 0 || len(r.header.Values(taxii.HeaderDateAddedLast)) > 0 {
				t.Errorf("%s of nothing: %s, headers %v", path, r.body, r.header)
			}
			at := whole.Objects[6].DateAdded
			r = h.get("pa-analyst", path, q("added_after", at), nil)
			if string(r.body) != "{}" || r.header.Get(taxii.HeaderDateAddedFirst) != at || r.header.Get(taxii.HeaderDateAddedLast) != at {
				t.Errorf("%s added after the last: %s, headers %v", path, r.body, r.header)
			}
		}
	})
}

// mustGet GETs path as pa-analyst and returns the body.
func mustGet(t *testing.T, h *harness, path string, qv url.Values) []byte {
	t.Helper()
	r := h.get("pa-analyst", path, qv, nil)
	if r.status != 200 {
		t.Fatalf("GET %s %v: %d %s", path, qv, r.status, r.body)
	}
	return r.body
}
