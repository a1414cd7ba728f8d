package feed_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mosaic"
	"mosaic/feed"
	"mosaic/storetest"
)

// serveOne answers every request with one page holding objs.
func serveOne(t *testing.T, objs ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", feed.MediaType)
		w.Header()[feed.HeaderDateAddedFirst] = []string{"2026-11-01T08:00:00.000001Z"}
		w.Header()[feed.HeaderDateAddedLast] = []string{"2026-11-01T08:00:00.000009Z"}
		fmt.Fprintf(w, `{"more":false,"objects":[%s]}`, strings.Join(objs, ","))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

func indicator(n int, name, extra string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":%q,"pattern":"[ipv4-addr:value = '192.0.2.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"%s}`,
		storetest.UUID(n), name, n, extra)
}

const red = `,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`

// TestRefusedObjects: objects the store refuses (a handling rule, a
// conflict with what the organisation holds) are left out of the page and
// reported; the rest of the page is stored and the feed moves on.
func TestRefusedObjects(t *testing.T) { forEachStore(t, testRefusedObjects) }

func testRefusedObjects(t *testing.T, open opener) {
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocalOn(t, open, clock)
	// pb already holds indicator 3 with other content under the same
	// version.
	if _, _, err := l.in.Contribute(bg, l.viewer(t), []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[`+indicator(3, "ours", "")+`]}`), ingestParams(), testAccess); err != nil {
		t.Fatal(err)
	}
	api := serveOne(t, indicator(1, "fine", ""), indicator(2, "red for the cell", red), indicator(3, "theirs", ""), indicator(4, "fine too", ""), indicator(4, "fine too", ""))
	cell := mosaic.Audience{Cell: true}
	f := l.addFeed(t, mosaic.Feed{Name: "mixed", URL: api, Collection: "c", Audience: &cell})
	res, err := l.poller(0, 100).Poll(bg, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Result.New != 2 || res.Rejected != 2 || !res.Complete {
		t.Errorf("result %+v, want 2 new and 2 refused", res)
	}
	st := l.feed(t, "mixed").State
	for _, w := range []string{"2 objects refused", "indicator--" + storetest.UUID(2) + " object_marking_refs: TLP:RED", "indicator--" + storetest.UUID(3) + ": "} {
		if !strings.Contains(st.LastRejection, w) {
			t.Errorf("last rejection %q lacks %q", st.LastRejection, w)
		}
	}
	if st.AddedAfter != "2026-11-01T08:00:00.000009Z" || st.Rejected != 2 || st.Imported != 2 {
		t.Errorf("state %+v", st)
	}
	if o := l.object(t, "indicator--"+storetest.UUID(3)); !strings.Contains(string(o.Object), `"ours"`) {
		t.Errorf("the organisation's own record was changed: %s", o.Object)
	}
}

// TestFeedProblems: what is wrong with the feed itself fails the poll and
// leaves the position where it was, so that nothing is skipped once it is
// fixed.
func TestFeedProblems(t *testing.T) {
	api := serveOne(t, indicator(1, "fine", ""))
	for _, tc := range []struct {
		name string
		f    func(f *mosaic.Feed, l *local)
		want string
	}{
		{"legal basis", func(f *mosaic.Feed, _ *local) { b := "gdpr"; f.LegalBasis = &b }, `legal basis "gdpr" is not one of`},
		{"review date past", func(f *mosaic.Feed, _ *local) { d := "2026-01-01"; f.ReviewBy = &d }, "review date 2026-01-01 is in the past"},
		{"compartment", func(f *mosaic.Feed, _ *local) { f.Audience = &mosaic.Audience{Compartments: []string{"elsewhere"}} }, "no such compartment among yours"},
		{"disabled user", func(_ *mosaic.Feed, l *local) {
			u, _ := l.store.User(bg, "pb-analyst")
			u.Disabled = true
			if err := l.store.UpdateUser(bg, u, nil, mosaic.AuditEntry{Action: "setup"}); err != nil {
				panic(err)
			}
		}, "local user pb-analyst is disabled"},
		{"token file", func(f *mosaic.Feed, _ *local) { f.TokenFile = "/nonexistent/token" }, "token file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := storetest.NewClock(storetest.Epoch)
			l := newLocal(t, clock)
			f := mosaic.Feed{Name: "bad", URL: api, Collection: "c"}
			tc.f(&f, l)
			f = l.addFeed(t, f)
			if _, err := l.poller(0, 100).Poll(bg, f, nil); err == nil {
				t.Fatal("no error")
			}
			st := l.feed(t, "bad").State
			if !strings.Contains(st.LastError, tc.want) || st.AddedAfter != "" || st.Failures != 1 {
				t.Errorf("state %+v, want a failure with %q", st, tc.want)
			}
		})
	}
}

// TestProtocolGuards: answers a poll cannot go on from fail it, instead of
// looping or moving the feed to a place it cannot use.
func TestProtocolGuards(t *testing.T) {
	for _, tc := range []struct {
		name, body, last, want string
	}{
		{"the same page again", `{"more":true,"next":"again","objects":[%s]}`, "2026-11-01T08:00:00.000001Z", "the server's next goes round in a circle"},
		{"the same page again by date", `{"more":true,"objects":[%s]}`, "2026-11-01T08:00:00.000001Z", "without next the feed cannot get past them without losing some"},
		{"more without a way on", `{"more":true,"objects":[%s]}`, "", "neither next nor an X-TAXII-Date-Added-Last"},
		{"bad date", `{"more":false,"objects":[%s]}`, "yesterday", `X-TAXII-Date-Added-Last "yesterday" is not a timestamp`},
		{"not an object", `{"more":false,"objects":[%s,42]}`, "2026-11-01T08:00:00.000001Z", "objects[1] is not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", feed.MediaType)
				if tc.last != "" {
					w.Header()[feed.HeaderDateAddedLast] = []string{tc.last}
				}
				fmt.Fprintf(w, tc.body, indicator(1, "one", ""))
			}))
			t.Cleanup(srv.Close)
			l := newLocal(t, storetest.NewClock(storetest.Epoch))
			f := l.addFeed(t, mosaic.Feed{Name: "odd", URL: srv.URL + "/api/", Collection: "c"})
			_, err := l.poller(0, 100).Poll(bg, f, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestNoDowngrade: a redirect from https to http is not followed, so the
// credentials do not cross the network in clear.
func TestNoDowngrade(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("credentials sent in clear: %q", r.Header.Get("Authorization"))
	}))
	t.Cleanup(plain.Close)
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(tls.Close)
	c := feed.NewClient(0, nil)
	c.HTTP.Transport = tls.Client().Transport
	_, err := c.Collections(bg, feed.Auth{Secret: "tok"}, tls.URL+"/api/")
	if err == nil || !strings.Contains(err.Error(), "refused a redirect from https") {
		t.Errorf("error %v", err)
	}
}
