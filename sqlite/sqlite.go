// Package sqlite opens Mosaic's embedded store: a SQLite database in the
// data directory, through the pure-Go modernc.org/sqlite driver.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// transaction is on disk (the WAL fsynced) before Commit returns, and an
// acknowledged write survives a crash or a power loss. Writes go through one
// connection (BEGIN IMMEDIATE, so a writer never has to upgrade a read lock
// and deadlock), reads through a pool that WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"mosaic"
	"mosaic/search"
	"mosaic/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database's file name inside the data directory.
const FileName = "mosaic.db"

// Open opens (creating when needed) the store in directory dir.
func Open(ctx context.Context, dir string, clock mosaic.Clock) (*sqlstore.Store, error) {
	if strings.ContainsAny(dir, "?#") {
		return nil, fmt.Errorf("data directory %q: the name may not contain ? or #", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// SQLite gives the WAL and shared-memory files the database file's mode:
	// creating it 0600 first keeps token and password hashes private.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("database file: %w", err)
	}
	f.Close()
	common := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	w, err := sql.Open("sqlite", common+"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	// The writer's first connection sets WAL mode before any reader opens.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", common+"&_pragma=query_only(1)&_pragma=cache_size(-16384)")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s, err := sqlstore.New(ctx, w, r, Dialect{}, clock)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	return s, nil
}

// Dialect is SQLite's sqlstore.Dialect.
type Dialect struct{}

// Name returns "sqlite".
func (Dialect) Name() string { return "sqlite" }

// Rebind keeps ? placeholders, which SQLite understands.
func (Dialect) Rebind(q string) string { return q }

// IsUnique reports a unique or primary-key violation.
func (Dialect) IsUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// Migrations returns the embedded schema migrations.
func (Dialect) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// LockMigrations does nothing: the single write connection and BEGIN
// IMMEDIATE already serialise writers.
func (Dialect) LockMigrations(context.Context, *sql.Tx) error { return nil }

// LockOriginator does nothing: BEGIN IMMEDIATE already lets one writer in
// at a time.
func (Dialect) LockOriginator(context.Context, *sql.Tx, int64) error { return nil }

// observableMark starts the FTS5 token of an observable.
const observableMark = "§"

func observableToken(o string) string { return observableMark + hex.EncodeToString([]byte(o)) }

// InsertTexts adds records' terms to the FTS5 index under their seq.
// TextRow inserts a record's terms as one space-separated column.
func (Dialect) TextRow() (columns, values string) { return "rowid, terms", "(?, ?)" }

// TextArgs joins the words and the observables' tokens.
func (Dialect) TextArgs(r sqlstore.TextRow) []any {
	var b strings.Builder
	for _, w := range r.Words {
		b.WriteString(w)
		b.WriteByte(' ')
	}
	for _, o := range r.Observables {
		b.WriteString(observableToken(o))
		b.WriteByte(' ')
	}
	return []any{r.Seq, b.String()}
}

// TextSearch matches every word (of at least sqlstore.MinPrefix letters) as
// a prefix and every observable exactly. The query string is built from
// search terms only: words are letters and digits, observables a mark and
// hex, so nothing a user types reaches FTS5's syntax. FTS5 leads the plan
// and yields its matches newest first, so a page is read in order whether
// the terms are rare or common.
func (Dialect) TextSearch(_ context.Context, _ *sql.DB, q search.Query, anyTerm bool) (sqlstore.TextPlan, error) {
	var parts []string
	for _, w := range q.Words {
		if sqlstore.PrefixWord(w) {
			parts = append(parts, `"`+w+`"*`)
		} else {
			parts = append(parts, `"`+w+`"`)
		}
	}
	for _, o := range q.Observables {
		parts = append(parts, `"`+observableToken(o)+`"`)
	}
	op := " AND "
	if anyTerm {
		op = " OR "
	}
	return sqlstore.TextPlan{Join: `JOIN record_text t ON t.rowid = r.seq`, Where: `record_text MATCH ?`, Order: `t.rowid`, Args: []any{strings.Join(parts, op)}}, nil
}

// Unindexed puts SQLite's unary plus before expr, which keeps the planner
// from using an index on it.
func (Dialect) Unindexed(expr string) string { return "+" + expr }

// Optimize runs PRAGMA optimize, which analyses the tables whose statistics
// have gone stale, within a bounded amount of work.
func (Dialect) Optimize(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002`)
	return err
}
