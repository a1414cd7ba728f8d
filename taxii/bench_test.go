package taxii_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"mosaic"
	"mosaic/audit"
	"mosaic/benchdata"
	"mosaic/content"
	"mosaic/taxii"
)

// discardAudit is the benchmark corpus's store with its audit log
// discarded: the corpus is kept between runs, and a benchmark must not
// grow it. Recording an entry (a queue append) is still measured.
type discardAudit struct{ mosaic.Store }

func (discardAudit) AppendAudit(context.Context, []mosaic.AuditEntry) error { return nil }

// BenchmarkTAXIIPage reads pages of 1,000 objects of the cell collection
// over loopback HTTP, as a TAXII client does, on the corpus of package
// benchdata (1,000,000 objects, half of them shared with the cell;
// MOSAIC_BENCH_OBJECTS makes it smaller). "page" walks the collection from
// its start with next; "object" gets single objects; "poll-cold" and
// "poll" ask for what was added after a time (see below). Each reports p50
// and p99 latency.
func BenchmarkTAXIIPage(b *testing.B) {
	s, f := benchdata.OpenSQLite(b, benchdata.SpecFromEnv())
	store := discardAudit{s}
	al := audit.New(store, time.Second, quietLog())
	b.Cleanup(func() { al.Close(context.Background()) })
	in := content.New(store, benchdata.IngestConfig, al, mosaic.SystemClock{})
	mux := http.NewServeMux()
	mux.Handle(taxii.DiscoveryPath, taxii.New(in, store, taxii.Options{MaxPageSize: 1000, RatePerSecond: 1e9, RateBurst: 1e9}, mosaic.SystemClock{}, quietLog()).Handler())
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	user := f.Users[0]
	get := func(path string, qv url.Values) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path+"?"+qv.Encode(), nil)
		req.SetBasicAuth(user, f.Tokens[user])
		req.Header.Set("Accept", taxii.MediaType)
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%s: %d %.300s", path, resp.StatusCode, body)
		}
		return resp, body
	}
	_, body := get(root+"collections/", nil)
	var cs taxii.Collections
	if err := json.Unmarshal(body, &cs); err != nil || len(cs.Collections) == 0 || cs.Collections[0].Title != "Cell" {
		b.Fatalf("collections: %s", body)
	}
	objects := collPath(cs.Collections[0].ID) + "objects/"

	b.Run("page", func(b *testing.B) {
		next := ""
		latencies(b, func() ([]byte, time.Duration) {
			qv := url.Values{"limit": {"1000"}}
			if next != "" {
				qv.Set("next", next)
			}
			start := time.Now()
			_, body := get(objects, qv)
			return body, time.Since(start)
		}, func(env taxii.Envelope) {
			next = env.Next // from the start again after the last page
		})
	})
	// A client getting objects one by one.
	b.Run("object", func(b *testing.B) {
		_, body := get(collPath(cs.Collections[0].ID)+"manifest/", url.Values{"limit": {"1000"}})
		var m taxii.Manifest
		if err := json.Unmarshal(body, &m); err != nil || len(m.Objects) == 0 {
			b.Fatalf("manifest: %.300s", body)
		}
		i := 0
		latencies(b, func() ([]byte, time.Duration) {
			i++
			start := time.Now()
			_, body := get(objects+m.Objects[(i*7919)%len(m.Objects)].ID+"/", nil)
			return body, time.Since(start)
		}, func(taxii.Envelope) {})
	})
	// A client polling with added_after: "poll-cold" with a time of its
	// own near the end of the collection (the last upload's records were
	// added a microsecond apart, so this leaves about 1,500 of them),
	// "poll" keeping up, with the X-TAXII-Date-Added-Last of its previous
	// answer.
	after := lastAdded(b, s, f).Add(-1500 * time.Microsecond).UTC().Format("2006-01-02T15:04:05.000000Z")
	b.Run("poll-cold", func(b *testing.B) {
		latencies(b, func() ([]byte, time.Duration) {
			start := time.Now()
			_, body := get(objects, url.Values{"limit": {"1000"}, "added_after": {after}})
			return body, time.Since(start)
		}, func(taxii.Envelope) {})
	})
	b.Run("poll", func(b *testing.B) {
		last := after
		latencies(b, func() ([]byte, time.Duration) {
			start := time.Now()
			resp, body := get(objects, url.Values{"limit": {"1000"}, "added_after": {last}})
			d := time.Since(start)
			last = resp.Header.Get(taxii.HeaderDateAddedLast)
			return body, d
		}, func(taxii.Envelope) {})
	})
}

// lastAdded returns when the corpus's last record was added.
func lastAdded(b *testing.B, s mosaic.Store, f *benchdata.Fixture) time.Time {
	u, err := s.User(context.Background(), f.Users[0])
	if err != nil {
		b.Fatal(err)
	}
	o, err := s.Org(context.Background(), u.Org)
	if err != nil {
		b.Fatal(err)
	}
	v := mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
	p, err := s.Objects(context.Background(), v, mosaic.ObjectFilter{Limit: 1})
	if err != nil || len(p.Objects) == 0 {
		b.Fatalf("newest record: %v", err)
	}
	return p.Objects[0].Envelope.Added
}

// latencies runs op b.N times and reports the p50 and p99 of the time op
// says its request took, in milliseconds, and the objects per answer; then
// gives each answer to then. The client's decoding of the answer is not
// timed: it is the client's work, not the server's.
func latencies(b *testing.B, op func() ([]byte, time.Duration), then func(taxii.Envelope)) {
	times := make([]time.Duration, 0, b.N)
	objs := 0
	b.ResetTimer()
	for range b.N {
		body, d := op()
		times = append(times, d)
		b.StopTimer()
		var env taxii.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			b.Fatal(err)
		}
		objs += len(env.Objects)
		then(env)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(objs)/float64(b.N), "objects/op")
}
