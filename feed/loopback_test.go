package feed_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/audit"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/feed"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// remote is another Mosaic, serving TAXII 2.1 on loopback: partner pa, whose
// analyst the feed reads as.
type remote struct {
	store mosaic.Store
	in    *content.Service
	v     mosaic.Viewer
	srv   *httptest.Server
	token string
	clock *storetest.Clock
}

func newRemote(t *testing.T) *remote {
	t.Helper()
	clock := storetest.NewClock(storetest.Epoch)
	s, err := sqlite.Open(bg, t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a := mosaic.AuditEntry{Action: "setup"}
	o := mosaic.Organisation{Name: "pa", FullName: "A", Kind: mosaic.Partner, LegalRegime: "wiv2017"}
	if err := s.CreateOrg(bg, &o, a); err != nil {
		t.Fatal(err)
	}
	u := mosaic.User{Name: "pa-analyst", Org: "pa", Role: mosaic.Analyst}
	if err := s.CreateUser(bg, &u, "", a); err != nil {
		t.Fatal(err)
	}
	secret, hash := credential.NewToken()
	if _, err := s.CreateToken(bg, "pa-analyst", hash, "feed", clock.Now().Add(24*time.Hour), false, a); err != nil {
		t.Fatal(err)
	}
	al := audit.New(s, 50*time.Millisecond, quietLog())
	in := content.New(s, ingestConfig(), al, clock)
	t.Cleanup(func() { al.Close(context.Background()) })
	mux := http.NewServeMux()
	opts := taxii.Options{MaxPageSize: 10, RatePerSecond: 1e6, RateBurst: 1e6, AuthFailuresPerMinute: 1000}
	mux.Handle(taxii.DiscoveryPath, taxii.New(in, s, opts, clock, quietLog()).Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	v := mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
	return &remote{store: s, in: in, v: v, srv: srv, token: secret, clock: clock}
}

// add stores indicators from and to n (modified on day) with audience aud.
func (r *remote) add(t *testing.T, from, to, day int, aud string) {
	t.Helper()
	var objs []string
	for n := from; n <= to; n++ {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-%02dT00:00:00.000Z","name":"Remote beacon %d","pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`,
			storetest.UUID(n), day, n, n))
	}
	a, err := mosaic.ParseAudience(aud)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"type":"bundle","id":"bundle--` + storetest.UUID(1) + `","objects":[` + strings.Join(objs, ",") + `]}`
	if _, _, err := r.in.Contribute(bg, r.v, []byte(body), mosaic.EnvelopeDefaults{Audience: &a}, testAccess); err != nil {
		t.Fatal(err)
	}
}

func (r *remote) apiRoot() string { return r.srv.URL + taxii.DiscoveryPath + "api/" }

// TestLoopback feeds the cell collection of one Mosaic into another, over
// TAXII 2.1 on loopback: what is there arrives, a restart in the middle of
// a poll resumes where it stopped, later polls bring only what is new, and
// the feed's envelope replaces the remote one.
func TestLoopback(t *testing.T) { forEachStore(t, testLoopback) }

func testLoopback(t *testing.T, open opener) {
	r := newRemote(t)
	r.add(t, 1, 25, 1, "cell")
	r.add(t, 100, 100, 1, "originator") // not in the cell collection

	clock := storetest.NewClock(storetest.Epoch)
	l := newLocalOn(t, open, clock)
	auth := feed.Auth{User: "pa-analyst", Secret: r.token}
	coll, err := feed.Resolve(bg, feed.NewClient(0, clock), auth, r.apiRoot(), "Cell")
	if err != nil {
		t.Fatal(err)
	}
	intake, orcon, legal, review := mosaic.Audience{Compartments: []string{"intake"}}, false, "wpg", "2027-03-01"
	f := l.addFeed(t, mosaic.Feed{Name: "pa-cell", URL: r.apiRoot(), Collection: coll.ID, RemoteUser: "pa-analyst", TokenFile: tokenFile(t, r.token),
		Audience: &intake, ORCON: &orcon, LegalBasis: &legal, ReviewBy: &review, Interval: time.Hour})
	if err := feed.CheckLocal(bg, l.store, l.in.LegalBases(), f, clock.Now()); err != nil {
		t.Fatal(err)
	}

	// The process stops after the first page of ten is stored.
	ctx, cancel := context.WithCancel(bg)
	res, err := l.poller(0, 10).Poll(ctx, f, func(feed.Progress) { cancel() })
	// A page of ten holds nine records and their handling object.
	if err != context.Canceled || res.Pages != 1 || res.Result.New != 9 {
		t.Fatalf("interrupted poll: %+v, %v", res, err)
	}
	st := l.feed(t, "pa-cell").State
	if st.AddedAfter == "" || st.Imported != 9 || st.Failures != 0 || st.LastError != "" {
		t.Errorf("state after the interruption: %+v (shutdown is no failure)", st)
	}

	// Restart: the store and the poller are opened again, and the poll
	// takes up where the first page ended. The 25 were one upload, which
	// the remote gives one date_added, and the page ended inside it: the
	// poll reads the upload again from its start, and what it has counts
	// as unchanged.
	l.store.Close()
	l = l.reopen()
	p := l.poller(0, 10)
	res, err = p.Poll(bg, l.feed(t, "pa-cell"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(feed.Result{Pages: 3, Objects: 25, Result: mosaic.IngestResult{New: 16, Unchanged: 9}, Complete: true}, res); diff != "" {
		t.Errorf("poll after the restart (-want +got):\n%s", diff)
	}

	// Nothing new: nothing comes.
	clock.Add(time.Hour)
	res, err = p.Poll(bg, l.feed(t, "pa-cell"), nil)
	if err != nil || res.Objects != 0 {
		t.Errorf("poll without news: %+v, %v", res, err)
	}

	// New objects and a new version arrive with the next poll, and only
	// they.
	r.add(t, 26, 28, 1, "cell")
	r.add(t, 1, 1, 5, "cell")
	clock.Add(time.Hour)
	if _, err := p.PollDue(bg); err != nil {
		t.Fatal(err)
	}
	st = l.feed(t, "pa-cell").State
	if st.Imported != 29 || st.Unchanged != 9 || st.Rejected != 0 || st.LastError != "" {
		t.Errorf("state after the news: %+v", st)
	}
	stats, err := l.store.Stats(bg, l.viewer(t))
	if err != nil || stats.Total != 28 || stats.ByOriginator["pb"] != 28 {
		t.Errorf("pb sees %+v (%v), want the 28 cell objects as its own", stats, err)
	}

	// The remote served its handling (originator pa, audience cell, its
	// legal basis) in a handling object; the record here carries the
	// feed's.
	page, err := feed.NewClient(0, clock).Objects(bg, auth, feed.ObjectsRequest{APIRoot: r.apiRoot(), Collection: coll.ID, Limit: 1})
	if err != nil || len(page.Objects) != 2 || !strings.Contains(string(page.Objects[0]), stix.HandlingType) || !strings.Contains(string(page.Objects[0]), `"originator":"pa"`) {
		t.Fatalf("the remote does not send its envelope: %v %s", err, page.Objects)
	}
	got := l.object(t, "indicator--"+storetest.UUID(1))
	want := mosaic.Envelope{Originator: "pb", TLP: mosaic.TLPAmber, Audience: intake, ORCON: false, LegalBasis: "wpg", ReviewBy: "2027-03-01", Added: got.Envelope.Added}
	if diff := cmp.Diff(want, got.Envelope); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(got.Object), `"modified":"2026-10-05T00:00:00.000Z"`) {
		t.Errorf("the newest version is not the new one: %s", got.Object)
	}
	if _, err := l.store.Object(bg, l.viewer(t), "indicator--"+storetest.UUID(100), false); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("an object outside the collection arrived: %v", err)
	}
}

// TestRunStops checks that Run returns when its context ends.
func TestRunStops(t *testing.T) {
	l := newLocal(t, storetest.NewClock(storetest.Epoch))
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.poller(0, 10).Run(ctx)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run does not stop")
	}
}

// TestWrongToken: a remote that refuses the token fails the poll with its
// own words and a hint.
func TestWrongToken(t *testing.T) {
	r := newRemote(t)
	l := newLocal(t, storetest.NewClock(storetest.Epoch))
	f := l.addFeed(t, mosaic.Feed{Name: "wrong", URL: r.apiRoot(), Collection: "x", RemoteUser: "pa-analyst", TokenFile: tokenFile(t, "mosaic_nope")})
	_, err := l.poller(0, 10).Poll(bg, f, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "check the remote user and the token file") {
		t.Errorf("error %v", err)
	}
}

// TestRemoteHandlingTLP: a third party's object that a remote Mosaic
// serves as it came in, without a TLP marking of its own, keeps the level
// the remote's handling object gives it; the rest of the remote's
// handling (originator, audience, legal basis) does not travel.
func TestRemoteHandlingTLP(t *testing.T) {
	r := newRemote(t)
	red := `{"type":"x-mosaic-handling","spec_version":"2.1","id":"x-mosaic-handling--` + storetest.UUID(9) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z",` +
		`"extensions":{"` + stix.HandlingExtensionID + `":{"extension_type":"new-sdo"}},"object_versions":[{"id":"indicator--` + storetest.UUID(300) + `","modified":"2026-10-01T00:00:00.000Z"}],"tlp":"amber+strict","audience":["cell"]}`
	obj := `{"type":"indicator","spec_version":"2.1","id":"indicator--` + storetest.UUID(300) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Remote red","pattern":"[ipv4-addr:value = '203.0.113.30']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`
	if _, _, err := r.in.Contribute(bg, r.v, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(2)+`","objects":[`+red+`,`+obj+`]}`), mosaic.EnvelopeDefaults{}, testAccess); err != nil {
		var e *mosaic.Error
		errors.As(err, &e)
		t.Fatalf("%v %+v", err, e.Problems)
	}
	clock := storetest.NewClock(storetest.Epoch)
	l := newLocal(t, clock)
	auth := feed.Auth{User: "pa-analyst", Secret: r.token}
	coll, err := feed.Resolve(bg, feed.NewClient(0, clock), auth, r.apiRoot(), "Cell")
	if err != nil {
		t.Fatal(err)
	}
	f := l.addFeed(t, mosaic.Feed{Name: "pa-cell", URL: r.apiRoot(), Collection: coll.ID, RemoteUser: "pa-analyst", TokenFile: tokenFile(t, r.token), Interval: time.Hour})
	res, err := l.poller(0, 10).Poll(bg, f, nil)
	if err != nil || res.Objects != 1 || res.Result.New != 1 {
		t.Fatalf("poll: %+v, %v", res, err)
	}
	got := l.object(t, "indicator--"+storetest.UUID(300))
	if got.Envelope.TLP != mosaic.TLPAmberStrict || got.Envelope.Originator != "pb" || got.Envelope.LegalBasis == "wiv2017" {
		t.Errorf("envelope here %+v, want TLP:AMBER+STRICT from the remote's handling, the feed's originator and legal basis", got.Envelope)
	}
}
