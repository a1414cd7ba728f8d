package feed_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/feed"
	"mosaic/stix"
	"mosaic/storetest"
)

// pages routes the recorded pages by added_after and next.
func pages(r *http.Request) string {
	q := r.URL.Query()
	switch q.Get("added_after") + "|" + q.Get("next") {
	case "|":
		return "page1.http"
	case "|cursor-2":
		return "page2.http"
	case "2026-11-01T08:00:00.000002Z|":
		return "overlap.http"
	case "2026-11-01T08:00:00.000003Z|":
		return "page3.http"
	case "2026-11-01T08:00:00.000005Z|":
		return "empty.http"
	}
	return "notfound.http"
}

func TestRecordedPagination(t *testing.T) { forEachStore(t, testRecordedPagination) }

func testRecordedPagination(t *testing.T, open opener) {
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocalOn(t, open, clock)
	rp := newReplay(t, pages)
	cell, orcon, legal, review := mosaic.Audience{Cell: true}, false, "wpg", "2027-05-01"
	f := l.addFeed(t, mosaic.Feed{Name: "hvi", URL: rp.apiRoot(), Collection: remoteCollection, RemoteUser: "mosaic-b", TokenFile: tokenFile(t, "s3cret"),
		Audience: &cell, ORCON: &orcon, LegalBasis: &legal, ReviewBy: &review, Interval: 30 * time.Minute})
	p := l.poller(0, 2)

	var progress []feed.Progress
	res, err := p.Poll(bg, f, func(pr feed.Progress) { progress = append(progress, pr) })
	if err != nil {
		t.Fatal(err)
	}
	// What a page repeats of an earlier one is not stored again.
	want := feed.Result{Pages: 4, Objects: 5, Result: mosaic.IngestResult{New: 4}, Rejected: 1, Complete: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("first poll (-want +got):\n%s", diff)
	}
	// While there is more, the feed stands just before the page's last
	// date: the page may have ended among objects that share it.
	var after []string
	for _, pr := range progress {
		after = append(after, pr.AddedAfter)
	}
	if diff := cmp.Diff([]string{"2026-11-01T08:00:00.000001Z", "2026-11-01T08:00:00.000002Z", "2026-11-01T08:00:00.000003Z", "2026-11-01T08:00:00.000005Z"}, after); diff != "" {
		t.Errorf("position after each page (-want +got):\n%s", diff)
	}
	// The requests: TAXII's media type, Basic authentication with the
	// token from the file, the page size, every version, and next with
	// the query of the first page; more without next goes on from just
	// before the last date.
	var queries []string
	for _, r := range rp.requests() {
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		if got := r.Header.Get("Accept"); got != feed.MediaType {
			t.Errorf("Accept %q", got)
		}
		if u, pw, ok := r.BasicAuth(); !ok || u != "mosaic-b" || pw != "s3cret" {
			t.Errorf("authorization %q", r.Header.Get("Authorization"))
		}
	}
	coll := "/taxii2/api/collections/" + remoteCollection + "/objects/"
	all := "&match%5Bversion%5D=all"
	if diff := cmp.Diff([]string{coll + "?limit=2" + all, coll + "?limit=2" + all + "&next=cursor-2", coll + "?added_after=2026-11-01T08%3A00%3A00.000002Z&limit=2" + all,
		coll + "?added_after=2026-11-01T08%3A00%3A00.000003Z&limit=2" + all}, queries); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	st := l.feed(t, "hvi").State
	if st.AddedAfter != "2026-11-01T08:00:00.000005Z" || st.Imported != 4 || st.Rejected != 1 || st.Failures != 0 || st.LastError != "" ||
		!st.NextPoll.Equal(clock.Now().Add(30*time.Minute)) || !st.LastSuccess.Equal(clock.Now()) {
		t.Errorf("state after the first poll: %+v", st)
	}
	// The invalid object is refused and named, the valid one beside it
	// stored.
	if !strings.Contains(st.LastRejection, "1 object refused: indicator--00000004-0000-4000-8000-000000000004 pattern") {
		t.Errorf("last rejection %q", st.LastRejection)
	}
	l.object(t, "indicator--00000005-0000-4000-8000-000000000005")

	// The feed's envelope governs, not the remote Mosaic's extension
	// (another originator, another audience, a past review date and a
	// property this Mosaic does not know); the TLP travels in the markings.
	got := l.object(t, "indicator--00000002-0000-4000-8000-000000000002")
	wantEnv := mosaic.Envelope{Originator: "pb", TLP: mosaic.TLPGreen, Audience: cell, ORCON: false, LegalBasis: "wpg", ReviewBy: "2027-05-01", Added: got.Envelope.Added}
	if diff := cmp.Diff(wantEnv, got.Envelope); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	if strings.Contains(string(got.Object), stix.ExtensionID) || strings.Contains(string(got.Object), "elsewhere") {
		t.Errorf("the remote envelope is stored: %s", got.Object)
	}
	// Other extensions stay.
	if m := l.object(t, "malware--00000003-0000-4000-8000-000000000003"); !strings.Contains(string(m.Object), `"extension-definition--9c59f0c5-1a3a-4b4e-9c1e-6f3d2a7b8c90":{"extension_type":"property-extension","score":7}`) {
		t.Errorf("other extension lost: %s", m.Object)
	}
	// An object without a TLP marking gets the default one.
	if o := l.object(t, "indicator--00000001-0000-4000-8000-000000000001"); o.Envelope.TLP != mosaic.TLPAmber {
		t.Errorf("default TLP: %+v", o.Envelope)
	}

	// The poll is audited as the feed's user, beside the records' entries.
	entries, err := l.store.AuditEntries(bg, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var polls []string
	for _, e := range entries {
		if e.Action == "feeds.poll" {
			polls = append(polls, e.User+" "+string(e.Decision)+" "+e.Detail)
		}
	}
	if len(polls) != 1 || !strings.HasPrefix(polls[0], "pb-analyst allow feed hvi collection "+rp.apiRoot()+remoteCollection+": 4 pages, 4 new, 0 new versions, 0 unchanged, 1 refused") {
		t.Errorf("poll audit entries %q", polls)
	}

	// The next poll asks for what was added after the last page: nothing.
	clock.Add(30 * time.Minute)
	n := len(rp.requests())
	res, err = p.Poll(bg, l.feed(t, "hvi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(feed.Result{Pages: 1, Complete: true}, res); diff != "" {
		t.Errorf("second poll (-want +got):\n%s", diff)
	}
	if reqs := rp.requests(); len(reqs) != n+1 || reqs[n].URL.Query().Get("added_after") != "2026-11-01T08:00:00.000005Z" {
		t.Errorf("second poll asked %v", reqs[n:])
	}
}

func TestRecordedErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		maxBody    int64
		want       []string
		wait       time.Duration
	}{
		{"rate limited", "ratelimited.http", 0, []string{"HTTP 429 Too Many Requests", "slow down: 50 requests per second per user", "retry after 10m0s"}, 10 * time.Minute},
		{"unauthorized", "unauthorized.http", 0, []string{"HTTP 401 Unauthorized: Not authenticated: the token has expired (check the remote user and the token file)"}, time.Minute},
		{"TAXII error", "error.http", 0, []string{"HTTP 503 Service Unavailable: Service unavailable: the collection is being re-indexed; back in ten minutes"}, time.Minute},
		{"not found", "notfound.http", 0, []string{"HTTP 404", "no such collection (check the API root URL and the collection id)"}, time.Minute},
		{"malformed", "malformed.http", 0, []string{"the answer is not the TAXII resource expected", "JSON"}, time.Minute},
		{"not TAXII", "signin.http", 0, []string{"the answer is text/html, not application/taxii+json;version=2.1"}, time.Minute},
		{"oversized", "page1.http", 1000, []string{"the answer is 1041 bytes long, more than the limit of 1000 bytes"}, time.Minute},
		{"oversized without length", "page1.http+chunked", 1000, []string{"the answer is longer than the limit of 1000 bytes"}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := storetest.NewClock(storetest.Epoch)
			l := newLocal(t, clock)
			rp := newReplay(t, func(*http.Request) string { return tc.file })
			f := l.addFeed(t, mosaic.Feed{Name: "remote", URL: rp.apiRoot(), Collection: remoteCollection, TokenFile: tokenFile(t, "tok")})
			_, err := l.poller(tc.maxBody, 100).Poll(bg, f, nil)
			if err == nil {
				t.Fatal("no error")
			}
			st := l.feed(t, "remote").State
			for _, w := range tc.want {
				if !strings.Contains(st.LastError, w) {
					t.Errorf("last error %q lacks %q", st.LastError, w)
				}
			}
			if strings.ContainsAny(st.LastError, "\n\a") {
				t.Errorf("control characters in %q", st.LastError)
			}
			if st.Failures != 1 || st.AddedAfter != "" || st.Imported != 0 || !st.NextPoll.Equal(clock.Now().Add(tc.wait)) {
				t.Errorf("state %+v, want one failure, nothing read, next poll in %s", st, tc.wait)
			}
			// Bearer, since no remote user is given.
			if r := rp.requests()[0]; r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("authorization %q", r.Header.Get("Authorization"))
			}
			stats, _ := l.store.Stats(bg, l.viewer(t))
			if stats.Total != 0 {
				t.Errorf("%d objects stored from a failed page", stats.Total)
			}
		})
	}
}

func TestBackoffGrowsAndResets(t *testing.T) { forEachStore(t, testBackoffGrowsAndResets) }

func testBackoffGrowsAndResets(t *testing.T, open opener) {
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocalOn(t, open, clock)
	rp := newReplay(t, func(*http.Request) string { return "error.http" })
	l.addFeed(t, mosaic.Feed{Name: "flaky", URL: rp.apiRoot(), Collection: remoteCollection, Interval: 20 * time.Minute})
	p := l.poller(0, 100)
	var waits []time.Duration
	for range 4 {
		if _, err := p.PollDue(bg); err != nil {
			t.Fatal(err)
		}
		st := l.feed(t, "flaky").State
		waits = append(waits, st.NextPoll.Sub(clock.Now()))
		// Not due yet: nothing is asked.
		n := len(rp.requests())
		clock.Add(st.NextPoll.Sub(clock.Now()) - time.Second)
		if _, err := p.PollDue(bg); err != nil {
			t.Fatal(err)
		}
		if len(rp.requests()) != n {
			t.Fatalf("polled %s before it was due", st.NextPoll.Sub(clock.Now()))
		}
		clock.Add(time.Second)
	}
	if diff := cmp.Diff([]time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if st := l.feed(t, "flaky").State; st.Failures != 4 {
		t.Errorf("failures %d", st.Failures)
	}
	rp.setRoute(pages)
	if _, err := p.PollDue(bg); err != nil {
		t.Fatal(err)
	}
	st := l.feed(t, "flaky").State
	if st.Failures != 0 || st.LastError != "" || !st.NextPoll.Equal(clock.Now().Add(20*time.Minute)) || st.Imported != 4 {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := feed.Backoff{Min: time.Minute, Max: time.Hour}
	var got []time.Duration
	for n := 1; n <= 9; n++ {
		got = append(got, b.Delay(n, nil))
	}
	m := time.Minute
	if diff := cmp.Diff([]time.Duration{m, 2 * m, 4 * m, 8 * m, 16 * m, 32 * m, time.Hour, time.Hour, time.Hour}, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if d := b.Delay(1000, nil); d != time.Hour {
		t.Errorf("after 1000 failures: %s", d)
	}
	b.Jitter = func() float64 { return 0.5 }
	if d := b.Delay(3, nil); d != 4*m-4*m/10 {
		t.Errorf("with jitter: %s", d)
	}
	if d := b.Delay(1, &feed.RemoteError{Status: 429, RetryAfter: 3 * time.Hour}); d != 3*time.Hour {
		t.Errorf("Retry-After longer than the backoff: %s", d)
	}
	if d := b.Delay(7, &feed.RemoteError{Status: 503, RetryAfter: time.Second}); d != time.Hour-6*m {
		t.Errorf("Retry-After shorter than the backoff: %s", d)
	}
}

func TestResolve(t *testing.T) {
	rp := newReplay(t, func(r *http.Request) string {
		switch r.URL.Path {
		case "/taxii2/api/collections/":
			return "collections.http"
		case "/taxii2/api/collections/" + remoteCollection + "/":
			return "collection.http"
		case "/taxii2/api/collections/" + remoteCollection + "/objects/":
			return "page1.http"
		}
		return "notfound.http"
	})
	c := feed.NewClient(0, nil)
	for _, tc := range []struct{ name, want, err string }{
		{remoteCollection, remoteCollection, ""},
		{"High Value Indicators", remoteCollection, ""},
		{"high value indicators", remoteCollection, ""},
		{"Submissions", "", "can_read is false"},
		{"Nothing", "", `no collection with id or title "Nothing"; the remote user sees "High Value Indicators" (91a7b528`},
	} {
		coll, err := feed.Resolve(bg, c, feed.Auth{}, rp.apiRoot(), tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve(%q): %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || coll.ID != tc.want {
			t.Errorf("Resolve(%q) = %+v, %v", tc.name, coll, err)
		}
	}
}
