package feed_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/feed"
	"mosaic/ingest"
	"mosaic/postgres"
	"mosaic/postgres/pgtest"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
)

var bg = context.Background()

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// noAudit takes audit entries and keeps none.
type noAudit struct{}

func (noAudit) Record(mosaic.AuditEntry) error { return nil }

// testAccess names the tests' own contributions for the audit log.
var testAccess = content.Access{Action: "test"}

func ingestConfig() ingest.Config {
	year := 365 * 24 * time.Hour
	return ingest.Config{
		DefaultTLP: mosaic.TLPAmber,
		LegalBases: map[string]time.Duration{"wiv2017": year, "wpg": year, "wbni": year},
		Limits:     stix.DefaultLimits(),
	}
}

// local is the Mosaic that polls: partner pb with analyst pb-analyst, a
// member of compartment intake.
type local struct {
	open  func() mosaic.Store // opens the same database again
	store mosaic.Store
	clock *storetest.Clock
	in    *content.Service
}

// opener returns a function that opens one database, the same each time.
type opener func(t *testing.T, clock mosaic.Clock) func() mosaic.Store

var backends = map[string]opener{
	"sqlite": func(t *testing.T, clock mosaic.Clock) func() mosaic.Store {
		dir := t.TempDir()
		return func() mosaic.Store {
			s, err := sqlite.Open(bg, dir, clock)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	},
	"postgres": func(t *testing.T, clock mosaic.Clock) func() mosaic.Store {
		dsn := pgtest.DSN(t)
		return func() mosaic.Store {
			s, err := postgres.Open(bg, dsn, clock)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	},
}

// forEachStore runs f on each store; PostgreSQL skips without
// MOSAIC_TEST_POSTGRES.
func forEachStore(t *testing.T, f func(t *testing.T, open opener)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { f(t, backends[name]) })
	}
}

// newLocal opens a new, seeded local Mosaic on SQLite.
func newLocal(t *testing.T, clock *storetest.Clock) *local {
	return newLocalOn(t, backends["sqlite"], clock)
}

// newLocalOn opens a new, seeded local Mosaic.
func newLocalOn(t *testing.T, o opener, clock *storetest.Clock) *local {
	t.Helper()
	l := (&local{open: o(t, clock), clock: clock}).reopen()
	s := l.store
	a := mosaic.AuditEntry{Action: "setup"}
	if err := s.CreateOrg(bg, &mosaic.Organisation{Name: "pb", FullName: "B", Kind: mosaic.Partner, LegalRegime: "wbni"}, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(bg, &mosaic.User{Name: "pb-analyst", Org: "pb", Role: mosaic.Analyst}, "", a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCompartment(bg, &mosaic.Compartment{Name: "intake"}, a); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(bg, "intake", "pb", "", a); err != nil {
		t.Fatal(err)
	}
	return l
}

// reopen returns the local Mosaic on its database opened again, as after
// a restart.
func (l *local) reopen() *local {
	s := l.open()
	return &local{open: l.open, store: s, clock: l.clock, in: content.New(s, ingestConfig(), noAudit{}, l.clock)}
}

func (l *local) viewer(t *testing.T) mosaic.Viewer {
	t.Helper()
	u, err := l.store.User(bg, "pb-analyst")
	if err != nil {
		t.Fatal(err)
	}
	o, _ := l.store.Org(bg, u.Org)
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
}

// object returns the newest version of id as pb-analyst sees it.
func (l *local) object(t *testing.T, id string) mosaic.StoredObject {
	t.Helper()
	objs, err := l.store.Object(bg, l.viewer(t), id, false)
	if err != nil {
		t.Fatalf("object %s: %v", id, err)
	}
	return objs[0]
}

func (l *local) feed(t *testing.T, name string) mosaic.Feed {
	t.Helper()
	f, err := l.store.Feed(bg, name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (l *local) addFeed(t *testing.T, f mosaic.Feed) mosaic.Feed {
	t.Helper()
	if f.Interval == 0 {
		f.Interval = 15 * time.Minute
	}
	if f.User == "" {
		f.User = "pb-analyst"
	}
	if err := l.store.CreateFeed(bg, &f, mosaic.AuditEntry{Time: l.clock.Now(), User: "test", Action: "feeds.create", Decision: mosaic.Allowed}); err != nil {
		t.Fatal(err)
	}
	return f
}

// poller returns a poller without jitter, so that waits can be checked.
func (l *local) poller(maxBody int64, pageSize int) *feed.Poller {
	return feed.NewPoller(l.store, l.in, feed.NewClient(maxBody, l.clock), l.clock, quietLog(),
		feed.Options{PageSize: pageSize, Backoff: feed.Backoff{Min: time.Minute, Max: time.Hour}})
}

// tokenFile writes secret to a file only its owner may read.
func tokenFile(t *testing.T, secret string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// replay is a TAXII server that answers with recorded responses from
// testdata, chosen by route.
type replay struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	route func(r *http.Request) string // guarded by mu
	reqs  []*http.Request              // guarded by mu
}

func newReplay(t *testing.T, route func(r *http.Request) string) *replay {
	rp := &replay{t: t, route: route}
	rp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.mu.Lock()
		rp.reqs = append(rp.reqs, r.Clone(context.Background()))
		name := rp.route(r)
		rp.mu.Unlock()
		name, chunked := strings.CutSuffix(name, "+chunked")
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Errorf("replay: %v", err)
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		resp, err := http.ReadResponse(bufio.NewReader(f), r)
		if err != nil {
			t.Errorf("replay %s: %v", name, err)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Errorf("replay %s: %v", name, err)
			return
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(resp.StatusCode)
		if chunked {
			// Sent before the body: the length is not known.
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(rp.srv.Close)
	return rp
}

func (rp *replay) setRoute(route func(r *http.Request) string) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.route = route
}

func (rp *replay) requests() []*http.Request {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return append([]*http.Request(nil), rp.reqs...)
}

// apiRoot is the replay server's API root URL.
func (rp *replay) apiRoot() string { return rp.srv.URL + "/taxii2/api/" }

const remoteCollection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

func ingestParams() mosaic.EnvelopeDefaults { return mosaic.EnvelopeDefaults{} }
