package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/feed"
	"mosaic/storetest"
)

// medallion is a TAXII 2.1 server that answers the objects endpoint as the
// OASIS reference server (medallion, its memory backend) does, on a
// collection in that backend's layout (testdata/medallion-collection.json):
//
//   - every object of one upload has the upload's date_added;
//   - added_after is strict: date_added > added_after;
//   - without match[version], only the latest version of each object that
//     the other filters leave;
//   - the first request of a paging session sets the rest of the answer
//     aside under a new next value, and every later page of the session
//     gives that same value again, until the last, which gives none; a
//     request with next must repeat the other parameters but limit;
//   - an answer without objects is {} without date headers.
type medallion struct {
	srv     *httptest.Server
	maxPage int

	coll struct {
		ID       string            `json:"id"`
		Objects  []json.RawMessage `json:"objects"`
		Manifest []struct {
			ID        string `json:"id"`
			DateAdded string `json:"date_added"`
			Version   string `json:"version"`
		} `json:"manifest"`
	}

	mu       sync.Mutex
	sessions map[string]*medallionSession // guarded by mu
	made     int                          // sessions made; guarded by mu
	queries  []url.Values                 // guarded by mu
}

type medallionSession struct {
	args url.Values // without next and limit
	rest []int      // records (indexes of coll.Objects) not yet served
}

func newMedallion(t *testing.T, maxPage int) *medallion {
	t.Helper()
	m := &medallion{maxPage: maxPage, sessions: map[string]*medallionSession{}}
	b, err := os.ReadFile(filepath.Join("testdata", "medallion-collection.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m.coll); err != nil || len(m.coll.Objects) != len(m.coll.Manifest) {
		t.Fatalf("medallion collection: %v", err)
	}
	m.srv = httptest.NewServer(http.HandlerFunc(m.objects))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *medallion) apiRoot() string { return m.srv.URL + "/api1/" }

// requests returns the query of each request so far.
func (m *medallion) requests() []url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.queries)
}

func (m *medallion) objects(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.URL.Path != "/api1/collections/"+m.coll.ID+"/objects/" {
		medallionError(w, http.StatusNotFound, "Collection not found")
		return
	}
	args := r.URL.Query()
	m.queries = append(m.queries, args)
	limit := m.maxPage
	if l := args.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			medallionError(w, http.StatusBadRequest, "The server did not understand the request or filter parameters")
			return
		}
		limit = min(n, m.maxPage)
	}
	var page []int
	more, next := false, ""
	if n := args.Get("next"); n != "" {
		s, ok := m.sessions[n]
		if !ok {
			medallionError(w, http.StatusBadRequest, "The server did not understand the request or filter parameters: 'next' not valid")
			return
		}
		if !sameArgs(s.args, args) {
			medallionError(w, http.StatusBadRequest, "The server did not understand the request or filter parameters: params changed over subsequent transaction")
			return
		}
		if len(s.rest) <= limit {
			page, s.rest = s.rest, nil
			delete(m.sessions, n)
		} else {
			page, s.rest = s.rest[:limit], s.rest[limit:]
			more, next = true, n
		}
	} else {
		match := m.filter(args)
		if len(match) > limit {
			m.made++
			next = fmt.Sprintf("2b8c1e4d-0000-4000-8000-%012d", m.made)
			m.sessions[next] = &medallionSession{args: args, rest: match[limit:]}
			page, more = match[:limit], true
		} else {
			page = match
		}
	}
	w.Header().Set("Content-Type", feed.MediaType)
	if len(page) == 0 {
		fmt.Fprint(w, "{}")
		return
	}
	w.Header()[feed.HeaderDateAddedFirst] = []string{m.coll.Manifest[page[0]].DateAdded}
	w.Header()[feed.HeaderDateAddedLast] = []string{m.coll.Manifest[page[len(page)-1]].DateAdded}
	env := map[string]any{"more": more}
	if next != "" {
		env["next"] = next
	}
	var objs []json.RawMessage
	for _, i := range page {
		objs = append(objs, m.coll.Objects[i])
	}
	env["objects"] = objs
	_ = json.NewEncoder(w).Encode(env)
}

// filter returns the records args select, sorted by date_added.
func (m *medallion) filter(args url.Values) []int {
	var after time.Time
	if a := args.Get("added_after"); a != "" {
		after, _ = time.Parse(time.RFC3339Nano, a)
	}
	types := strings.Split(args.Get("match[type]"), ",")
	var match []int
	for i, rec := range m.coll.Manifest {
		if args.Get("match[type]") != "" && !slices.Contains(types, strings.Split(rec.ID, "--")[0]) {
			continue
		}
		if added, _ := time.Parse(time.RFC3339Nano, rec.DateAdded); !after.IsZero() && !added.After(after) {
			continue
		}
		match = append(match, i)
	}
	// Each object's latest version of those left, unless all are asked.
	if v := args.Get("match[version]"); v != "all" {
		latest := map[string]int{}
		for _, i := range match {
			id := m.coll.Manifest[i].ID
			if j, ok := latest[id]; !ok || m.coll.Manifest[i].Version > m.coll.Manifest[j].Version {
				latest[id] = i
			}
		}
		match = slices.DeleteFunc(match, func(i int) bool { return latest[m.coll.Manifest[i].ID] != i })
	}
	sort.SliceStable(match, func(a, b int) bool {
		return m.coll.Manifest[match[a]].DateAdded < m.coll.Manifest[match[b]].DateAdded
	})
	return match
}

// sameArgs compares two requests' parameters but next and limit, each
// value as a set, as medallion does.
func sameArgs(a, b url.Values) bool {
	norm := func(v url.Values) map[string][]string {
		out := map[string][]string{}
		for k, vs := range v {
			if k == "next" || k == "limit" {
				continue
			}
			var parts []string
			for _, s := range vs {
				parts = append(parts, strings.Split(s, ",")...)
			}
			sort.Strings(parts)
			out[k] = parts
		}
		return out
	}
	return cmp.Equal(norm(a), norm(b))
}

func medallionError(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", feed.MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "http_status": strconv.Itoa(status)})
}

// The collection's three uploads, as testdata/medallion-collection.json
// dates them.
const (
	medallionUpload1 = "2026-11-01T07:00:00.000000Z" // six objects
	medallionUpload2 = "2026-11-01T07:05:00.000000Z" // indicator 107 twice, indicator 108
	medallionUpload3 = "2026-11-01T07:10:00.000000Z" // indicator 107's third version
)

// medallionVersions are the versions of each object in the collection.
var medallionVersions = map[string][]string{
	"indicator--00000101-0000-4000-8000-000000000101": {"2026-10-01T00:00:00.000Z"},
	"indicator--00000102-0000-4000-8000-000000000102": {"2026-10-01T00:00:00.000Z"},
	"malware--00000103-0000-4000-8000-000000000103":   {"2026-10-01T00:00:00.000Z"},
	"indicator--00000104-0000-4000-8000-000000000104": {"2026-10-01T00:00:00.000Z"},
	"indicator--00000105-0000-4000-8000-000000000105": {"2026-10-01T00:00:00.000Z"},
	"malware--00000106-0000-4000-8000-000000000106":   {"2026-10-01T00:00:00.000Z"},
	"indicator--00000107-0000-4000-8000-000000000107": {"2026-10-01T00:00:00.000Z", "2026-10-02T00:00:00.000Z", "2026-10-03T00:00:00.000Z"},
	"indicator--00000108-0000-4000-8000-000000000108": {"2026-10-01T00:00:00.000Z"},
}

// checkAllVersions checks that pb holds every version of every object of
// the collection.
func checkAllVersions(t *testing.T, l *local) {
	t.Helper()
	for id, want := range medallionVersions {
		objs, err := l.store.Object(bg, l.viewer(t), id, true)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		var got []string
		for _, o := range objs {
			var v struct{ Modified string }
			_ = json.Unmarshal(o.Object, &v)
			got = append(got, v.Modified)
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: versions %v, want %v", id, got, want)
		}
	}
}

// TestMedallion polls a server that pages as the OASIS reference server
// does, in pages of two: the same next on every page of a paging session,
// one date_added per upload, strict added_after, only the latest version
// of each object unless all are asked for. Every object and every version
// arrives, the feed stands after the last upload, and the next poll brings
// nothing and ends.
func TestMedallion(t *testing.T) { forEachStore(t, testMedallion) }

func testMedallion(t *testing.T, open opener) {
	m := newMedallion(t, 100)
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocalOn(t, open, clock)
	f := l.addFeed(t, mosaic.Feed{Name: "medallion", URL: m.apiRoot(), Collection: m.coll.ID, Interval: 30 * time.Minute})
	p := l.poller(0, 2)

	var after []string
	res, err := p.Poll(bg, f, func(pr feed.Progress) { after = append(after, pr.AddedAfter) })
	if err != nil {
		t.Fatal(err)
	}
	// 107 arrives first as new, then twice as a new version.
	if diff := cmp.Diff(feed.Result{Pages: 5, Objects: 10, Result: mosaic.IngestResult{New: 8, NewVersions: 2}, Complete: true}, res); diff != "" {
		t.Errorf("first poll (-want +got):\n%s", diff)
	}
	checkAllVersions(t, l)
	// While there is more, the feed stands just before the last page's
	// date: the page may have ended inside that upload.
	before := func(s string) string {
		at, _ := time.Parse(time.RFC3339Nano, s)
		return at.Add(-time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
	}
	if diff := cmp.Diff([]string{before(medallionUpload1), before(medallionUpload1), before(medallionUpload1), before(medallionUpload2), medallionUpload3}, after); diff != "" {
		t.Errorf("position after each page (-want +got):\n%s", diff)
	}
	// Every request asks for all versions; those of one paging session
	// give its next with the first request's parameters.
	reqs := m.requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests: %v", len(reqs), reqs)
	}
	for i, q := range reqs {
		want := url.Values{"limit": {"2"}, "match[version]": {"all"}}
		if i > 0 {
			want.Set("next", reqs[1].Get("next"))
		}
		if diff := cmp.Diff(want, q); diff != "" {
			t.Errorf("request %d (-want +got):\n%s", i+1, diff)
		}
	}
	st := l.feed(t, "medallion").State
	if st.AddedAfter != medallionUpload3 || st.Imported != 10 || st.Unchanged != 0 || st.Failures != 0 || st.LastError != "" ||
		!st.LastSuccess.Equal(clock.Now()) || !st.NextPoll.Equal(clock.Now().Add(30*time.Minute)) {
		t.Errorf("state after the first poll: %+v", st)
	}

	// The next poll asks for what was added after the last upload: nothing.
	clock.Add(30 * time.Minute)
	res, err = p.Poll(bg, l.feed(t, "medallion"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(feed.Result{Pages: 1, Complete: true}, res); diff != "" {
		t.Errorf("second poll (-want +got):\n%s", diff)
	}
	if reqs := m.requests(); len(reqs) != 6 || reqs[5].Get("added_after") != medallionUpload3 || reqs[5].Get("match[version]") != "all" {
		t.Errorf("second poll asked %v", reqs[5:])
	}
	if st := l.feed(t, "medallion").State; st.AddedAfter != medallionUpload3 || st.Imported != 10 || st.Failures != 0 || !st.LastSuccess.Equal(clock.Now()) {
		t.Errorf("state after the second poll: %+v", st)
	}
}

// TestMedallionResume: a poll that stops inside an upload, because the
// process stops or the poll reaches its page limit, leaves the feed just
// before that upload's date, and the next poll reads the upload again
// from its start: nothing of it is lost, and what is stored already
// counts as unchanged.
func TestMedallionResume(t *testing.T) {
	t.Run("interrupted", func(t *testing.T) {
		m := newMedallion(t, 100)
		l := newLocal(t, storetest.NewClock(storetest.Epoch))
		f := l.addFeed(t, mosaic.Feed{Name: "medallion", URL: m.apiRoot(), Collection: m.coll.ID})
		ctx, cancel := context.WithCancel(bg)
		res, err := l.poller(0, 2).Poll(ctx, f, func(feed.Progress) { cancel() })
		if err != context.Canceled || res.Pages != 1 || res.Result.New != 2 {
			t.Fatalf("interrupted poll: %+v, %v", res, err)
		}
		if st := l.feed(t, "medallion").State; st.AddedAfter != "2026-11-01T06:59:59.999999Z" || st.Imported != 2 {
			t.Errorf("state after the interruption: %+v", st)
		}
		res, err = l.poller(0, 2).Poll(bg, l.feed(t, "medallion"), nil)
		if diff := cmp.Diff(feed.Result{Pages: 5, Objects: 10, Result: mosaic.IngestResult{New: 6, NewVersions: 2, Unchanged: 2}, Complete: true}, res); diff != "" || err != nil {
			t.Errorf("poll after the interruption (-want +got): %v\n%s", err, diff)
		}
		checkAllVersions(t, l)
	})
	t.Run("page limit", func(t *testing.T) {
		m := newMedallion(t, 100)
		clock := storetest.NewClock(storetest.Epoch)
		l := newLocal(t, clock)
		f := l.addFeed(t, mosaic.Feed{Name: "medallion", URL: m.apiRoot(), Collection: m.coll.ID})
		p := l.pollerWith(2, 4)
		res, err := p.Poll(bg, f, nil)
		if diff := cmp.Diff(feed.Result{Pages: 4, Objects: 8, Result: mosaic.IngestResult{New: 7, NewVersions: 1}}, res); diff != "" || err != nil {
			t.Errorf("first poll (-want +got): %v\n%s", err, diff)
		}
		// The fourth page ended inside the second upload.
		if st := l.feed(t, "medallion").State; st.AddedAfter != "2026-11-01T07:04:59.999999Z" || st.Failures != 0 || !st.NextPoll.Equal(clock.Now()) {
			t.Errorf("state after the first poll %+v, want due at once", st)
		}
		res, err = p.Poll(bg, l.feed(t, "medallion"), nil)
		if diff := cmp.Diff(feed.Result{Pages: 2, Objects: 4, Result: mosaic.IngestResult{New: 1, NewVersions: 1, Unchanged: 2}, Complete: true}, res); diff != "" || err != nil {
			t.Errorf("second poll (-want +got): %v\n%s", err, diff)
		}
		if st := l.feed(t, "medallion").State; st.AddedAfter != medallionUpload3 || st.Imported != 10 || st.Failures != 0 {
			t.Errorf("state after the second poll %+v", st)
		}
		checkAllVersions(t, l)
	})
}
