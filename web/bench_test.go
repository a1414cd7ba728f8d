package web_test

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"mosaic"
	"mosaic/benchdata"
	"mosaic/content"
	"mosaic/storetest"
	"mosaic/web"
)

type discard struct{}

func (discard) Record(mosaic.AuditEntry) error { return nil }

// benchNow puts the picture's 30 days over the last month of the benchmark
// corpus, whose objects are created from January to October 2026.
var benchNow = time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC)

var benchStores = []struct {
	name string
	open func(testing.TB, benchdata.Spec) (mosaic.Store, *benchdata.Fixture)
}{{"sqlite", benchdata.OpenSQLite}, {"postgres", benchdata.OpenPostgres}}

// BenchmarkPicturePage renders the situational picture, the whole page
// through the handler, for each user of the corpus of package benchdata
// (1,000,000 objects; MOSAIC_BENCH_OBJECTS makes it smaller), and reports
// the p50 and p99 server time.
func BenchmarkPicturePage(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s, f := st.open(b, benchdata.SpecFromEnv())
			clock := storetest.NewClock(benchNow)
			srv, err := web.New(web.Options{Content: content.New(s, benchdata.IngestConfig, discard{}, clock), Store: s.(web.Store), Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			var cookies []*http.Cookie
			for i, u := range f.Users {
				secret := "bench-session-" + strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
				if _, err := s.(web.Store).CreateSession(context.Background(), sha256.Sum256([]byte(secret)), u, "csrf", time.Now().Add(time.Hour), mosaic.AuditEntry{User: u, Action: "bench"}); err != nil {
					b.Fatal(err)
				}
				cookies = append(cookies, &http.Cookie{Name: "mosaic-session", Value: secret})
			}
			h := srv.Handler()
			bytes := 0
			latencies(b, func(i int) {
				req := httptest.NewRequest("GET", "/", nil)
				req.AddCookie(cookies[i%len(cookies)])
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d\n%s", rec.Code, rec.Body)
				}
				bytes = max(bytes, rec.Body.Len())
			})
			b.ReportMetric(float64(bytes), "page-bytes")
		})
	}
}

// BenchmarkPictureStore is the store's share of the page: the aggregates,
// and "new since your last visit" counted from 20,000 records back.
func BenchmarkPictureStore(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s, f := st.open(b, benchdata.SpecFromEnv())
			var vs []mosaic.Viewer
			for _, name := range f.Users {
				u, err := s.User(context.Background(), name)
				if err != nil {
					b.Fatal(err)
				}
				vs = append(vs, mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: u.OrgID, Org: u.Org, OrgKind: mosaic.Partner, Role: u.Role})
			}
			since := int64(f.Objects - 20_000)
			latencies(b, func(i int) {
				if _, err := s.Picture(context.Background(), vs[i%len(vs)], benchNow, since); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// latencies runs op b.N times and reports the p50 and p99 in milliseconds.
func latencies(b *testing.B, op func(i int)) {
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		op(i)
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
