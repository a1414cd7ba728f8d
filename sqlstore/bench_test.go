package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"mosaic"
	"mosaic/benchdata"
)

// The read benchmarks run on the corpus of package benchdata: 1,000,000
// objects from 50 organisations with 20 compartments (MOSAIC_BENCH_OBJECTS
// makes it smaller). Each reports the p50 and p99 latency of a page of 100.

type opener func(testing.TB, benchdata.Spec) (mosaic.Store, *benchdata.Fixture)

var benchStores = []struct {
	name string
	open opener
}{{"sqlite", benchdata.OpenSQLite}, {"postgres", benchdata.OpenPostgres}}

func viewers(t testing.TB, s mosaic.Store, f *benchdata.Fixture) []mosaic.Viewer {
	var out []mosaic.Viewer
	for _, name := range f.Users {
		u, err := s.User(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Org(context.Background(), u.Org)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role})
	}
	return out
}

// latencies runs query b.N times and reports p50 and p99.
func latencies(b *testing.B, query func(i int) int) {
	times := make([]time.Duration, 0, b.N)
	rows := 0
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		rows += query(i)
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}

// BenchmarkList lists a page of 100 for rotating viewers under each filter
// (none, a common type, a rare type, a TLP, an originator, an audience, a
// time range) and under all of them in turn ("mixed").
func BenchmarkList(b *testing.B) {
	filters := []struct {
		name string
		f    mosaic.ObjectFilter
	}{
		{"none", mosaic.ObjectFilter{}},
		{"type-indicator", mosaic.ObjectFilter{Types: []string{"indicator"}}},
		{"type-campaign", mosaic.ObjectFilter{Types: []string{"campaign"}}},
		{"tlp", mosaic.ObjectFilter{TLPs: []mosaic.TLP{mosaic.TLPAmberStrict}}},
		{"originator", mosaic.ObjectFilter{Originators: []string{"org07"}}},
		{"audience-cell", mosaic.ObjectFilter{Audience: "cell"}},
		{"audience-originator", mosaic.ObjectFilter{Audience: "originator"}},
		{"modified-after", mosaic.ObjectFilter{ModifiedAfter: "20260601"}},
	}
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s, f := st.open(b, benchdata.SpecFromEnv())
			vs := viewers(b, s, f)
			list := func(v mosaic.Viewer, flt mosaic.ObjectFilter) int {
				flt.Limit = 100
				page, err := s.Objects(context.Background(), v, flt)
				if err != nil {
					b.Fatal(err)
				}
				return len(page.Objects)
			}
			for _, fl := range filters {
				b.Run(fl.name, func(b *testing.B) {
					latencies(b, func(i int) int { return list(vs[i%len(vs)], fl.f) })
				})
			}
			b.Run("mixed", func(b *testing.B) {
				latencies(b, func(i int) int { return list(vs[i%len(vs)], filters[i%len(filters)].f) })
			})
		})
	}
}

// BenchmarkSearch runs text searches: selective terms (a word in about 20
// objects, an IP address) and a word in 10% of the corpus.
func BenchmarkSearch(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s, f := st.open(b, benchdata.SpecFromEnv())
			vs := viewers(b, s, f)
			run := func(name string, q func(i int) string) {
				b.Run(name, func(b *testing.B) {
					latencies(b, func(i int) int {
						page, err := s.Objects(context.Background(), vs[i%len(vs)], mosaic.ObjectFilter{Query: q(i), Limit: 100})
						if err != nil {
							b.Fatal(err)
						}
						return len(page.Objects)
					})
				})
			}
			run("selective", func(i int) string {
				if i%2 == 0 {
					return f.Rare[i%len(f.Rare)]
				}
				return fmt.Sprintf("10.0.%d.%d", (i*7)%256, (i*13)%256)
			})
			run("common10pct", func(int) string { return f.Common })
			run("prefix", func(i int) string { return []string{"ranso", "hosp", "exfil", "cred"}[i%4] })
		})
	}
}

// BenchmarkCorrelate looks for the objects that share any of five
// observables with a new object, as GET /api/v1/objects/{id}/correlations
// does, on the corpus (every indicator and IPv4 SCO names an address).
func BenchmarkCorrelate(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s, f := st.open(b, benchdata.SpecFromEnv())
			vs := viewers(b, s, f)
			latencies(b, func(i int) int {
				var obs []string
				for k := range 5 {
					n := (i*7919 + k*104729) % f.Objects
					obs = append(obs, fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255))
				}
				page, err := s.Objects(context.Background(), vs[i%len(vs)], mosaic.ObjectFilter{AnyObservable: obs, Limit: 100})
				if err != nil {
					b.Fatal(err)
				}
				return len(page.Objects)
			})
		})
	}
}
