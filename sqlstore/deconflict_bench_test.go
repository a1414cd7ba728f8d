package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/postgres/pgtest"
	"mosaic/sqlite"
	"mosaic/sqlstore"
)

func benchToken(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	return sum[:]
}

// BenchmarkMatch checks a batch of 100,000 tokens (a tenth of them
// registered) against MOSAIC_BENCH_REGISTRATIONS registered ones (default
// 1,000,000), the way the API does: requests of 1,000 tokens, each
// matched, its hits recorded and audited in one transaction. It reports
// the time for the whole batch, the Go heap it takes, and the database's
// size per registration.
func BenchmarkMatch(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("MOSAIC_BENCH_REGISTRATIONS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run(fmt.Sprintf("%s/%d", store, n), func(b *testing.B) {
			var s *sqlstore.Store
			dir := b.TempDir()
			if store == "sqlite" {
				var err error
				if s, err = sqlite.Open(context.Background(), dir, nil); err != nil {
					b.Fatal(err)
				}
				defer s.Close()
			} else {
				s = pgtest.Open(b, nil)
			}
			ctx := context.Background()
			a := mosaic.AuditEntry{Time: time.Now(), User: "bench", Action: "setup", Decision: mosaic.Allowed}
			var vs []mosaic.Viewer
			for _, name := range []string{"pa", "pb"} {
				o := mosaic.Organisation{Name: name, FullName: name, Kind: mosaic.Partner, LegalRegime: "wbni"}
				if err := s.CreateOrg(ctx, &o, a); err != nil {
					b.Fatal(err)
				}
				vs = append(vs, mosaic.Viewer{UserID: 0, User: name + "-analyst", OrgID: o.ID, Org: name, OrgKind: mosaic.Partner, Role: mosaic.Analyst})
			}
			start := time.Now()
			populate(b, s, vs[0].OrgID, n)
			b.Logf("%d registrations stored in %s", n, time.Since(start).Round(time.Second))
			// As autovacuum would after a load this size.
			if store == "postgres" {
				if _, err := s.DB().Exec("ANALYZE deconfliction_registrations"); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			peak := uint64(0)
			req := 0
			b.ResetTimer()
			for range b.N {
				hits := 0
				for first := 0; first < 100_000; first += 1000 {
					toks := make([]mosaic.DeconflictionToken, 1000)
					for i := range toks {
						// Every tenth token is registered.
						k := n + first + i
						if i%10 == 0 {
							k = (first + i) * 7 % n
						}
						toks[i] = mosaic.DeconflictionToken{Type: "ipv4", Token: benchToken(k)}
					}
					req++
					res, err := s.Submit(ctx, vs[1], mosaic.Submission{RequestID: fmt.Sprintf("%032x", req), Epoch: 1, Check: true, Tokens: toks},
						mosaic.NewAuditEntry(vs[1], time.Now(), "deconfliction.check"))
					if err != nil {
						b.Fatal(err)
					}
					hits += len(res.Hits)
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
				if hits != 10_000 {
					b.Fatalf("%d hits, want 10,000", hits)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(peak-min(peak, before.HeapInuse))/(1<<20), "heap-MiB")
			if store == "sqlite" {
				st, err := os.Stat(filepath.Join(dir, "mosaic.db"))
				if err == nil {
					b.ReportMetric(float64(st.Size())/float64(n), "db-bytes/registration")
				}
			}
		})
	}
}

// populate stores n registrations of org directly, in large transactions:
// going through Submit would take the benchmark's whole budget in setup.
func populate(b *testing.B, s *sqlstore.Store, org int64, n int) {
	db := s.DB()
	const rows = 100
	ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", 7), ", ") + ")"
	stmt := "INSERT INTO deconfliction_registrations (org_id, epoch, token, selector_type, ref, created, expires) VALUES " +
		strings.TrimSuffix(strings.Repeat(ph+", ", rows), ", ")
	stmt = s.Dialect().Rebind(stmt)
	exp := time.Now().Add(365 * 24 * time.Hour).UnixMicro()
	for first := 0; first < n; first += 50_000 {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for i := first; i < min(n, first+50_000); i += rows {
			args := make([]any, 0, 7*rows)
			for k := i; k < i+rows; k++ {
				args = append(args, org, 1, benchToken(k%n), "ipv4", "REF-"+strconv.Itoa(k/100_000), time.Now().UnixMicro(), exp)
			}
			if _, err := tx.Exec(stmt, args...); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
