package web_test

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/benchdata"
	"mosaic/storetest"
	"mosaic/taxii"
	"mosaic/web"
)

// releasePages are the pages BenchmarkReleasePages measures, each read by
// one viewer: "analyst" (a partner analyst whose organisation drafted
// releases), "ncsc" (the NCSC's analyst, who reads every release's
// feedback), "liaison" (a partner's liaison with consents pending),
// "stakeholder" (a stakeholder user with hundreds of releases delivered),
// or "" (no sign-in). In a path, {big} is a published release of 50
// objects delivered to the stakeholder, {pending} one awaiting the
// liaison's consent, {draft} one the analyst's organisation holds as a
// draft, and {public} one released to the public. A new page is one more
// row.
var releasePages = []struct {
	name, viewer, path string
}{
	{"home-partner-analyst", "analyst", "/"},
	{"home-ncsc-analyst", "ncsc", "/"},
	{"home-liaison", "liaison", "/"},
	{"home-stakeholder", "stakeholder", "/"},
	{"releases", "stakeholder", "/releases"},
	{"release-50", "stakeholder", "/releases/{big}"},
	{"release-50-csv", "stakeholder", "/releases/{big}/export?format=csv"},
	{"consents", "liaison", "/consents"},
	{"consent", "liaison", "/consents/{pending}"},
	{"public-releases", "", "/public/releases"},
	{"public-release", "", "/public/releases/{public}"},
	{"builder-list", "analyst", "/outgoing"},
	{"builder", "analyst", "/outgoing/{draft}"},
	{"builder-preview", "analyst", "/outgoing/{draft}/preview"},
	{"builder-search-pick", "analyst", "/objects?q=ransomware"},
	{"collection", "stakeholder", "/collection"},
}

// BenchmarkReleasePages reads each of releasePages through the handler on
// the SQLite corpus of package benchdata (1,000,000 objects and 10,000
// releases; MOSAIC_BENCH_OBJECTS and MOSAIC_BENCH_RELEASES make them
// smaller), and reports the p50 and p99 server time. The goal is a p99
// under 50 ms for every page.
func BenchmarkReleasePages(b *testing.B) {
	s, _, rf, keys := benchdata.OpenSQLiteReleases(b, benchdata.SpecFromEnv(), benchdata.ReleaseSpecFromEnv())
	clock := storetest.NewClock(benchNow)
	svc := benchdata.ReleaseService(s, keys, clock)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := web.New(web.Options{
		Content: svc, Store: s.(web.Store), Clock: clock, Log: log, AnonymousPerMinute: 1 << 30,
		Collections: taxii.New(svc, s.(taxii.Store), taxii.Options{}, clock, log),
	})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	viewers := map[string]string{"analyst": rf.Analyst, "ncsc": rf.NCSCAnalyst, "liaison": rf.Liaison, "stakeholder": rf.Stakeholder}
	ids := strings.NewReplacer("{big}", rf.Big, "{pending}", rf.Pending, "{draft}", rf.Draft, "{public}", rf.Public)
	cookies := map[string]*http.Cookie{}
	for role, u := range viewers {
		secret := "bench-session-" + role + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		if _, err := s.(web.Store).CreateSession(context.Background(), sha256.Sum256([]byte(secret)), u, "csrf", time.Now().Add(time.Hour), mosaic.AuditEntry{User: u, Action: "bench"}); err != nil {
			b.Fatal(err)
		}
		cookies[role] = &http.Cookie{Name: "mosaic-session", Value: secret}
	}
	for _, pg := range releasePages {
		b.Run(pg.name, func(b *testing.B) {
			path := ids.Replace(pg.path)
			get := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", path, nil)
				if c := cookies[pg.viewer]; c != nil {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s as %q: status %d\n%.2000s", path, pg.viewer, rec.Code, rec.Body)
				}
				return rec
			}
			bytes := get().Body.Len()
			latencies(b, func(int) { get() })
			b.ReportMetric(float64(bytes), "page-bytes")
		})
	}
}
