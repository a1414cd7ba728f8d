// Package correlation measures the correlation index against the figures
// of DESIGN issue 3 §3: under 100 bytes of index per indexed observable
// occurrence, and correlating a new object against 10,000,000 indexed
// occurrences in under 1 ms. It holds benchmarks only.
//
//	go test ./correlation -run XXX -bench . -benchtime 500x -timeout 120m
//
// MOSAIC_BENCH_OCCURRENCES sets the size of the SQLite corpus (default
// 1,000,000 occurrences; 10,000,000 for the goal), built on first use
// through the normal ingest path into $MOSAIC_BENCH_DIR (default the
// temporary directory) and kept for later runs.
package correlation

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"mosaic"
	"mosaic/ingest"
	"mosaic/search"
	"mosaic/sqlite"
	"mosaic/stix"
)

// perObject is the number of addresses each indicator's pattern names: a
// realistic indicator of a C2 cluster, and ten times fewer objects to
// ingest for the same number of occurrences.
const perObject = 10

func occurrences(tb testing.TB) int {
	n := 1_000_000
	if s := os.Getenv("MOSAIC_BENCH_OCCURRENCES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < perObject {
			tb.Fatalf("MOSAIC_BENCH_OCCURRENCES=%q: want a number of at least %d", s, perObject)
		}
		n = v
	}
	return n - n%perObject
}

// address is the k-th indexed address of the corpus, all distinct.
func address(k int) string {
	return fmt.Sprintf("10.%d.%d.%d", (k>>16)&255, (k>>8)&255, k&255)
}

// indicator is the n-th object of the corpus.
func indicator(n int) json.RawMessage {
	var cmps []string
	for k := range perObject {
		cmps = append(cmps, fmt.Sprintf("[ipv4-addr:value = '%s']", address(n*perObject+k)))
	}
	ts := fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+n%10, 1+n%28, n%24, n%60, (n/60)%60, n%1000)
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-%012x","created":%q,"modified":%q,"name":"C2 cluster %d","pattern":%q,"pattern_type":"stix","valid_from":%q}`,
		n, n, ts, ts, n, strings.Join(cmps, " OR "), ts))
}

// corpus opens the SQLite corpus of occ occurrences, building it on first
// use, and returns the store and the viewer who contributed it.
func corpus(b *testing.B, occ int) (mosaic.Store, mosaic.Viewer, *sql.DB) {
	b.Helper()
	base := os.Getenv("MOSAIC_BENCH_DIR")
	if base == "" {
		base = os.TempDir()
	}
	dir := filepath.Join(base, fmt.Sprintf("mosaic-corr-%d", occ))
	ctx := context.Background()
	var v mosaic.Viewer
	if raw, err := os.ReadFile(filepath.Join(dir, "viewer.json")); err == nil && json.Unmarshal(raw, &v) == nil {
		s, err := sqlite.Open(ctx, dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s, v, s.DB()
	}
	os.RemoveAll(dir)
	s, err := sqlite.Open(ctx, dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	a := mosaic.AuditEntry{User: "bench", Action: "setup", Decision: mosaic.Allowed}
	o := mosaic.Organisation{Name: "ncsc", FullName: "NCSC", Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := s.CreateOrg(ctx, &o, a); err != nil {
		b.Fatal(err)
	}
	u := mosaic.User{Name: "analyst", Org: o.Name, Role: mosaic.Analyst}
	if err := s.CreateUser(ctx, &u, "", a); err != nil {
		b.Fatal(err)
	}
	v = mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
	in := ingest.New(s, ingest.Config{DefaultTLP: mosaic.TLPAmber, LegalBases: map[string]time.Duration{"wbni": 365 * 24 * time.Hour}, Limits: stix.DefaultLimits()}, mosaic.SystemClock{})
	start := time.Now()
	const batch = 5_000
	objects := occ / perObject
	for first := 0; first < objects; first += batch {
		var body strings.Builder
		fmt.Fprintf(&body, `{"type":"bundle","id":"bundle--%08x-0000-4000-8000-000000000000","objects":[`, first)
		for n := first; n < min(first+batch, objects); n++ {
			if n > first {
				body.WriteByte(',')
			}
			body.Write(indicator(n))
		}
		body.WriteString("]}")
		if _, _, err := in.Bundle(ctx, v, []byte(body.String()), mosaic.EnvelopeDefaults{}); err != nil {
			b.Fatalf("batch at %d: %v", first, err)
		}
		if first%(20*batch) == 0 {
			b.Logf("corpus: %d of %d objects after %s", first+batch, objects, time.Since(start).Round(time.Second))
		}
	}
	raw, _ := json.Marshal(v)
	if err := os.WriteFile(filepath.Join(dir, "viewer.json"), raw, 0o600); err != nil {
		b.Fatal(err)
	}
	return s, v, s.DB()
}

// ftsBytes sums the pages of the FTS5 tables whose names start with
// prefix.
func ftsBytes(b *testing.B, db *sql.DB, prefix string) int64 {
	b.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(`SELECT SUM(pgsize) FROM dbstat WHERE name LIKE ?`, prefix+"%").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n.Int64
}

// BenchmarkCorrelationIndex reports, for the corpus, the bytes of the
// whole full-text index (record_text: every word of every object and
// every observable) per indexed observable occurrence, and of an index of
// the same kind holding the observables alone; then it correlates new
// objects of five addresses, three of them in the corpus, against it,
// as GET /api/v1/objects/{id}/correlations does, and reports the p50 and
// p99 latency.
func BenchmarkCorrelationIndex(b *testing.B) {
	occ := occurrences(b)
	s, v, db := corpus(b, occ)
	fts, obsIndex := ftsBytes(b, db, "record_text"), observableIndexBytes(b, occ)

	rng := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	ctx := context.Background()
	for b.Loop() {
		obs := []string{
			address(rng.IntN(occ)), address(rng.IntN(occ)), address(rng.IntN(occ)),
			fmt.Sprintf("192.0.2.%d", rng.IntN(256)), fmt.Sprintf("198.51.100.%d", rng.IntN(256)),
		}
		t0 := time.Now()
		page, err := s.Objects(ctx, v, mosaic.ObjectFilter{AnyObservable: obs, Limit: 100})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Objects) != 3 {
			b.Fatalf("%d objects share %v, want 3", len(page.Objects), obs)
		}
	}
	// After the loop: b.Loop resets what was reported before it.
	b.ReportMetric(float64(fts)/float64(occ), "fts-B/occurrence")
	b.ReportMetric(float64(obsIndex)/float64(occ), "observable-index-B/occurrence")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// observableIndexBytes builds, in a scratch database, an FTS5 table
// defined as Mosaic's record_text holding only the observable terms of
// the corpus (one row per object, as Mosaic writes them), and returns its
// size: the part of the index correlation reads.
func observableIndexBytes(b *testing.B, occ int) int64 {
	b.Helper()
	db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), "observables.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA journal_mode = WAL; CREATE VIRTUAL TABLE obs USING fts5 (terms, content = '', contentless_delete = 1, tokenize = 'ascii', detail = 'none')`); err != nil {
		b.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO obs (rowid, terms) VALUES (?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for n := range occ / perObject {
		var props map[string]any
		if err := json.Unmarshal(indicator(n), &props); err != nil {
			b.Fatal(err)
		}
		_, observables := search.ObjectTerms("indicator", props)
		var terms strings.Builder
		for _, o := range observables {
			fmt.Fprintf(&terms, "§%x ", o)
		}
		if _, err := ins.Exec(n+1, terms.String()); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	var n sql.NullInt64
	if err := db.QueryRow(`SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'obs%'`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n.Int64
}
