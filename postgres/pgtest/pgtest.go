// Package pgtest gives tests a PostgreSQL store of their own: a fresh
// schema in the database named by MOSAIC_TEST_POSTGRES, dropped when the
// test ends. Without that variable the tests skip.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"mosaic"
	"mosaic/postgres"
	"mosaic/sqlstore"
)

// EnvVar names the DSN of the test database.
const EnvVar = "MOSAIC_TEST_POSTGRES"

// DSN returns a DSN for a new schema and a function that drops it, or skips
// t when no test database is configured.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(EnvVar + " is not set: PostgreSQL tests skipped (.ci/run sets it)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", EnvVar, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a store in a new schema.
func Open(t testing.TB, clock mosaic.Clock) *sqlstore.Store {
	t.Helper()
	return OpenDialect(t, clock, postgres.Dialect{})
}

// OpenDialect returns a store in a new schema with dialect settings d.
func OpenDialect(t testing.TB, clock mosaic.Clock, d postgres.Dialect) *sqlstore.Store {
	t.Helper()
	s, err := postgres.OpenDialect(context.Background(), DSN(t), clock, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
