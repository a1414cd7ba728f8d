package feed_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/feed"
	"mosaic/storetest"
)

// pollerWith returns a poller without jitter that reads at most maxPages
// pages per poll.
func (l *local) pollerWith(pageSize, maxPages int) *feed.Poller {
	return feed.NewPoller(l.store, l.in, feed.NewClient(0, l.clock), l.clock, quietLog(),
		feed.Options{PageSize: pageSize, MaxPages: maxPages, Backoff: feed.Backoff{Min: time.Minute, Max: time.Hour}})
}

// indicatorAt is indicator n in the version modified on day of October.
func indicatorAt(n, day int, name string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-%02dT00:00:00.000Z","name":%q,"pattern":"[ipv4-addr:value = '192.0.2.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`,
		storetest.UUID(n), day, name, n)
}

// TestEscapedEnvelope: a remote that writes Mosaic's extension id with a
// JSON escape does not set the handling here; the feed's envelope governs.
func TestEscapedEnvelope(t *testing.T) {
	escaped := `"extension-definition--3563eda5-0a4b-47ab-83d8-9bed7d51ee4\u0031"`
	ext := `,"extensions":{` + escaped + `:{"extension_type":"property-extension","audience":["cell"],"orcon":true,"legal_basis":"wiv2017","review_by":"2030-01-01"}}`
	api := serveOne(t, indicator(1, "escaped", ext))
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocal(t, clock)
	intake, orcon, legal, review := mosaic.Audience{Compartments: []string{"intake"}}, false, "wpg", "2027-03-01"
	f := l.addFeed(t, mosaic.Feed{Name: "esc", URL: api, Collection: "c", Audience: &intake, ORCON: &orcon, LegalBasis: &legal, ReviewBy: &review})
	res, err := l.poller(0, 100).Poll(bg, f, nil)
	if err != nil || res.Result.New != 1 || res.Rejected != 0 {
		t.Fatalf("poll: %+v, %v", res, err)
	}
	got := l.object(t, "indicator--"+storetest.UUID(1))
	want := mosaic.Envelope{Originator: "pb", TLP: mosaic.TLPAmber, Audience: intake, ORCON: false, LegalBasis: "wpg", ReviewBy: "2027-03-01", Added: got.Envelope.Added}
	if diff := cmp.Diff(want, got.Envelope); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	if strings.Contains(string(got.Object), "extensions") {
		t.Errorf("the remote envelope is stored: %s", got.Object)
	}
}

// TestGoodVersionBesideBadOne: a problem names an object's id, not its
// version; a good version in the page is stored though another version of
// the same id is refused, whichever comes first.
func TestGoodVersionBesideBadOne(t *testing.T) { forEachStore(t, testGoodVersionBesideBadOne) }

func testGoodVersionBesideBadOne(t *testing.T, open opener) {
	l := newLocalOn(t, open, storetest.NewClock(storetest.Epoch))
	// pb holds indicator 3 of 1 October; the remote has other content
	// under that version, and a good version of 2 October.
	if _, _, err := l.in.Contribute(bg, l.viewer(t), []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[`+indicatorAt(3, 1, "ours")+`]}`), ingestParams(), testAccess); err != nil {
		t.Fatal(err)
	}
	api := serveOne(t, indicatorAt(3, 2, "new version"), indicatorAt(3, 1, "theirs"), indicatorAt(4, 1, "other"))
	f := l.addFeed(t, mosaic.Feed{Name: "versions", URL: api, Collection: "c"})
	res, err := l.poller(0, 100).Poll(bg, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Result.New != 1 || res.Result.NewVersions != 1 || res.Result.Unchanged != 0 || res.Rejected != 1 {
		t.Errorf("result %+v, want 1 new, 1 new version, 1 refused", res)
	}
	if o := l.object(t, "indicator--"+storetest.UUID(3)); !strings.Contains(string(o.Object), `"new version"`) {
		t.Errorf("the good version was not stored: %s", o.Object)
	}
	if st := l.feed(t, "versions").State; st.Rejected != 1 || !strings.Contains(st.LastRejection, "1 object refused: indicator--"+storetest.UUID(3)) {
		t.Errorf("state %+v", st)
	}
}

// endless is a server that always says there is more, with a next from
// nextOf(n) and the objects from objsOf(n) for its n-th answer (from 0).
func endless(t *testing.T, nextOf func(n int64) string, last string, objsOf func(n int64) []string) (api string, requests *atomic.Int64) {
	t.Helper()
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := count.Add(1) - 1
		w.Header().Set("Content-Type", feed.MediaType)
		w.Header()[feed.HeaderDateAddedLast] = []string{last}
		fmt.Fprintf(w, `{"more":true,"next":%q,"objects":[%s]}`, nextOf(n), strings.Join(objsOf(n), ","))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/", &count
}

// TestNoEndlessPolls: a server that says there is more for ever fails the
// poll (with backoff) instead of being asked again and again: at once
// when a page brings only objects the poll had, after 100 pages without
// objects, and at the page limit when the feed's position does not move.
// A next given again is no fault by itself: the OASIS reference server
// gives the same one on every page.
func TestNoEndlessPolls(t *testing.T) {
	const last = "2026-11-01T08:00:00.000001Z"
	fresh := func(n int64) string { return fmt.Sprintf("cursor-%d", n) }
	none := func(int64) []string { return nil }
	one := func(int64) []string { return []string{indicator(1, "one", "")} }
	for _, tc := range []struct {
		name     string
		nextOf   func(int64) string
		objsOf   func(int64) []string
		maxPages int
		want     string
		requests int64
	}{
		{"empty pages with fresh next", fresh, none, 500, "100 pages in a row without objects", 100},
		{"the same objects with next in a cycle", func(n int64) string { return []string{"a", "b"}[n%2] }, one, 50, "the server's next goes round in a circle", 2},
		{"the same objects with the same next", func(int64) string { return "again" }, one, 50, "the server's next goes round in a circle", 2},
		{"the same objects with fresh next", fresh, one, 50, "the server's next goes round in a circle", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, reqs := endless(t, tc.nextOf, last, tc.objsOf)
			clock := storetest.NewClock(storetest.Epoch)
			l := newLocal(t, clock)
			f := l.addFeed(t, mosaic.Feed{Name: "endless", URL: api, Collection: "c"})
			_, err := l.pollerWith(100, tc.maxPages).Poll(bg, f, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
			if n := reqs.Load(); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if st := l.feed(t, "endless").State; st.Failures != 1 || !st.NextPoll.Equal(clock.Now().Add(time.Minute)) {
				t.Errorf("state %+v, want a failure with a minute's backoff", st)
			}
		})
	}

	// New objects on every page, all of one date: the first poll moves
	// the position to just before it and stops at MaxPages, due again at
	// once; the next cannot move it and fails.
	api, reqs := endless(t, func(int64) string { return "again" }, last, func(n int64) []string { return []string{indicator(int(n)+1, "one of many", "")} })
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocal(t, clock)
	f := l.addFeed(t, mosaic.Feed{Name: "endless", URL: api, Collection: "c"})
	p := l.pollerWith(100, 5)
	res, err := p.Poll(bg, f, nil)
	st := l.feed(t, "endless").State
	if err != nil || res.Pages != 5 || res.Objects != 5 || res.Complete || st.AddedAfter != "2026-11-01T08:00:00.000000Z" || st.Failures != 0 || !st.NextPoll.Equal(clock.Now()) {
		t.Fatalf("first poll: %+v, %v, state %+v", res, err, st)
	}
	_, err = p.Poll(bg, l.feed(t, "endless"), nil)
	if err == nil || !strings.Contains(err.Error(), "5 pages read without the position moving on from 2026-11-01T08:00:00.000000Z") {
		t.Errorf("second poll: %v", err)
	}
	if st := l.feed(t, "endless").State; st.Failures != 1 || !st.NextPoll.Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("state %+v, want a failure with a minute's backoff", st)
	}
	if n := reqs.Load(); n != 10 {
		t.Errorf("%d requests, want 10", n)
	}
}

// TestFutureDateAddedLast: a date far ahead of the clock here would hold
// the feed there, importing nothing; the poll fails and says so. A little
// ahead is a clock's skew and is taken.
func TestFutureDateAddedLast(t *testing.T) {
	for _, tc := range []struct {
		last, want string
	}{
		{"2027-01-01T00:00:00Z", "X-TAXII-Date-Added-Last 2027-01-01T00:00:00Z is more than 1h0m0s ahead of the clock here"},
		{"2026-11-01T09:59:00Z", ""},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", feed.MediaType)
			w.Header()[feed.HeaderDateAddedLast] = []string{tc.last}
			fmt.Fprintf(w, `{"more":false,"objects":[%s]}`, indicator(1, "one", ""))
		}))
		t.Cleanup(srv.Close)
		l := newLocal(t, storetest.NewClock(storetest.Epoch))
		f := l.addFeed(t, mosaic.Feed{Name: "ahead", URL: srv.URL + "/api/", Collection: "c"})
		_, err := l.poller(0, 100).Poll(bg, f, nil)
		st := l.feed(t, "ahead").State
		if tc.want == "" {
			if err != nil || st.AddedAfter != tc.last {
				t.Errorf("%s: %v, state %+v", tc.last, err, st)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.last, err, tc.want)
		}
		if st.AddedAfter != "" || st.Failures != 1 || st.Imported != 0 {
			t.Errorf("%s: state %+v", tc.last, st)
		}
	}
}

// TestRedirectToOtherHost: a redirect is followed on the same scheme, host
// and port only, so that the credentials go to no other server.
func TestRedirectToOtherHost(t *testing.T) {
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent to another host, authorization %q", r.Header.Get("Authorization"))
	}))
	t.Cleanup(other.Close)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away/collections/":
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
		case "/moved/collections/":
			http.Redirect(w, r, "/api/collections/", http.StatusMovedPermanently)
		case "/api/collections/":
			if r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("authorization %q", r.Header.Get("Authorization"))
			}
			w.Header().Set("Content-Type", feed.MediaType)
			fmt.Fprint(w, `{"collections":[{"id":"c1","title":"One","can_read":true}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	c := feed.NewClient(0, nil)
	c.HTTP.Transport = srv.Client().Transport
	_, err := c.Collections(bg, feed.Auth{Secret: "tok"}, srv.URL+"/away/")
	if err == nil || !strings.Contains(err.Error(), "refused a redirect from "+srv.URL+" to "+other.URL) {
		t.Errorf("error %v", err)
	}
	if colls, err := c.Collections(bg, feed.Auth{Secret: "tok"}, srv.URL+"/moved/"); err != nil || len(colls) != 1 {
		t.Errorf("redirect on the same server: %v, %v", colls, err)
	}
}

// TestBatchLargerThanPage: the remote Mosaic gives all the records of one
// upload one date_added, and a page that ends inside such a batch a date
// just before it; the feed stands before the last page's date while
// there is more. So a poll that stops at MaxPages inside a batch is no
// failure: the next reads the batch again from its start and gets past
// it, and what it reads again counts as unchanged.
func TestBatchLargerThanPage(t *testing.T) {
	r := newRemote(t)
	r.add(t, 1, 25, 1, "cell")
	r.clock.Add(time.Second)
	r.add(t, 26, 50, 1, "cell")
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocal(t, clock)
	coll, err := feed.Resolve(bg, feed.NewClient(0, clock), feed.Auth{User: "pa-analyst", Secret: r.token}, r.apiRoot(), "Cell")
	if err != nil {
		t.Fatal(err)
	}
	f := l.addFeed(t, mosaic.Feed{Name: "batches", URL: r.apiRoot(), Collection: coll.ID, RemoteUser: "pa-analyst", TokenFile: tokenFile(t, r.token)})
	p := l.pollerWith(10, 4)
	res, err := p.Poll(bg, f, nil)
	// A page of ten holds nine records and their handling object, and the
	// remote ends the third page with the first batch: 9, 9, 7, 9.
	if diff := cmp.Diff(feed.Result{Pages: 4, Objects: 34, Result: mosaic.IngestResult{New: 34}}, res); diff != "" || err != nil {
		t.Errorf("first poll (-want +got): %v\n%s", err, diff)
	}
	st := l.feed(t, "batches").State
	if st.Failures != 0 || !st.NextPoll.Equal(clock.Now()) {
		t.Errorf("state after the first poll %+v, want due at once", st)
	}
	res, err = p.Poll(bg, l.feed(t, "batches"), nil)
	if diff := cmp.Diff(feed.Result{Pages: 3, Objects: 25, Result: mosaic.IngestResult{New: 16, Unchanged: 9}, Complete: true}, res); diff != "" || err != nil {
		t.Errorf("second poll (-want +got): %v\n%s", err, diff)
	}
	if st := l.feed(t, "batches").State; st.Failures != 0 || st.Imported != 50 || st.Unchanged != 9 {
		t.Errorf("state after the second poll %+v", st)
	}
}
