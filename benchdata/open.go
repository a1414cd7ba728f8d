package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"mosaic"
	"mosaic/ingest"
	"mosaic/postgres"
	"mosaic/sqlite"
	"mosaic/stix"
)

// EnvObjects overrides the size of the benchmark corpus (default
// 1,000,000); EnvDir where the SQLite corpus is kept between runs.
const (
	EnvObjects = "MOSAIC_BENCH_OBJECTS"
	EnvDir     = "MOSAIC_BENCH_DIR"
	EnvPG      = "MOSAIC_TEST_POSTGRES"
)

// SpecFromEnv returns Million, sized by MOSAIC_BENCH_OBJECTS when set.
func SpecFromEnv() Spec {
	s := Million
	if n, err := strconv.Atoi(os.Getenv(EnvObjects)); err == nil && n > 0 {
		s.Objects = n
	}
	return s
}

// IngestConfig is the ingest configuration benchmarks use.
var IngestConfig = ingest.Config{
	DefaultTLP: mosaic.TLPAmber,
	LegalBases: map[string]time.Duration{"wbni": 365 * 24 * time.Hour},
	Limits:     stix.DefaultLimits(),
}

// Dir is the data directory of the SQLite corpus for spec.
func Dir(spec Spec) string {
	base := os.Getenv(EnvDir)
	if base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, fmt.Sprintf("mosaic-bench-%d", spec.Objects))
}

// OpenSQLite opens the SQLite corpus for spec, building it on first use
// (about a minute per 100,000 objects on two cores).
func OpenSQLite(tb testing.TB, spec Spec) (mosaic.Store, *Fixture) {
	tb.Helper()
	return openSQLite(tb, spec, nil)
}

// openSQLite is OpenSQLite with the store's clock (nil: the system's).
func openSQLite(tb testing.TB, spec Spec, clock mosaic.Clock) (mosaic.Store, *Fixture) {
	tb.Helper()
	dir := Dir(spec)
	if f, err := Load(dir); err == nil && f.Objects == spec.Objects {
		s, err := sqlite.Open(context.Background(), dir, clock)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s, f
	}
	os.RemoveAll(dir)
	s, err := sqlite.Open(context.Background(), dir, clock)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, build(tb, s, spec, dir)
}

// OpenPostgres opens the PostgreSQL corpus for spec in its own schema of the
// test database, building it on first use; it skips without a database.
func OpenPostgres(tb testing.TB, spec Spec) (mosaic.Store, *Fixture) {
	tb.Helper()
	base := os.Getenv(EnvPG)
	if base == "" {
		tb.Skip(EnvPG + " is not set: PostgreSQL benchmarks skipped")
	}
	schema := fmt.Sprintf("bench_%d", spec.Objects)
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var fixture string
	_ = db.QueryRow(`SELECT obj_description(oid) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&fixture)
	dsn := base + "&search_path=" + schema
	if fixture != "" {
		s, err := postgres.Open(context.Background(), dsn, nil)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		f, err := decodeFixture([]byte(fixture))
		if err != nil {
			tb.Fatal(err)
		}
		return s, f
	}
	if _, err := db.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE; CREATE SCHEMA ` + schema); err != nil {
		tb.Fatal(err)
	}
	s, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	f := build(tb, s, spec, "")
	b, _ := encodeFixture(f)
	// The fixture is kept as the schema's comment, so a half-built corpus
	// is never taken for a whole one.
	if _, err := db.Exec(`COMMENT ON SCHEMA ` + schema + ` IS ` + quote(string(b))); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	return s, f
}

func quote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

func build(tb testing.TB, s mosaic.Store, spec Spec, dir string) *Fixture {
	tb.Logf("building a corpus of %d objects (once; kept for later runs)", spec.Objects)
	start := time.Now()
	in := ingest.New(s, IngestConfig, mosaic.SystemClock{})
	f, err := Populate(context.Background(), s, in, spec, func(n int) {
		if n%100_000 == 0 {
			fmt.Fprintf(os.Stderr, "benchdata: %d objects stored, %.0f objects/s\n", n, float64(n)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	if dir != "" {
		if err := f.Save(dir); err != nil {
			tb.Fatal(err)
		}
	}
	return f
}
