// Package sqlstore implements mosaic.Store on database/sql for both SQLite
// and PostgreSQL. The SQL is written once, with ? placeholders, in the
// subset both databases share; a Dialect supplies the rest (placeholders,
// error codes, the text index, migrations). Packages sqlite and postgres
// open the connections and pick the dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mosaic"
	"mosaic/search"
)

// Dialect is what differs between the databases.
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// Rebind rewrites ? placeholders into the database's own.
	Rebind(query string) string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique(err error) bool
	// Migrations holds the numbered schema migrations, NNNN_name.sql.
	Migrations() fs.FS
	// LockMigrations serialises migrations between processes sharing the
	// database, inside tx.
	LockMigrations(ctx context.Context, tx *sql.Tx) error
	// LockOriginator serialises ingests of one originating organisation,
	// inside tx: Ingest plans a batch from the chains it reads, and two
	// batches planned side by side would each miss the other's versions.
	LockOriginator(ctx context.Context, tx *sql.Tx, org int64) error
	// TextRow returns the columns and one row's VALUES tuple of an INSERT
	// into the text index (with ? placeholders), and a row's arguments for
	// it, so that the store can insert rows many to a statement.
	TextRow() (columns, values string)
	TextArgs(row TextRow) []any
	// TextSearch returns what a listing adds for a text query, with ?
	// placeholders; the records table is aliased r. Every term must match,
	// or with anyTerm at least one. It may ask the database how common the
	// terms are to choose its form.
	TextSearch(ctx context.Context, db *sql.DB, q search.Query, anyTerm bool) (TextPlan, error)
	// Unindexed returns expr so that the planner does not use an index for
	// it, where the database takes such hints.
	Unindexed(expr string) string
	// Optimize refreshes the planner's statistics when they are stale.
	Optimize(ctx context.Context, db *sql.DB) error
}

// TextPlan is what a listing adds for a text query.
type TextPlan struct {
	With     string // a WITH clause to put before the SELECT, or ""
	WithArgs []any
	Join     string // a join with the text index
	Where    string // a condition
	Args     []any  // for Where
	// Order is the expression to order and page by; for SQLite's FTS5 it
	// must be the index's own rowid, to walk the index in order.
	Order string
}

// TextRow is one record's search terms.
type TextRow struct {
	Seq                int64
	Words, Observables []string
}

// Store is a mosaic.Store on a SQL database.
type Store struct {
	w, r  *sql.DB // writes go to w (a single connection on SQLite), reads to r
	d     Dialect
	clock mosaic.Clock

	forced listPlan // see ForcePlan

	mu         sync.Mutex
	audiences  map[int64]audience    // guarded by mu; only rows known to be committed
	byKey      map[audienceKey]int64 // guarded by mu
	heads      int64                 // guarded by mu; chain heads counted in record_counts, -1 until read
	ingested   int64                 // guarded by mu; records stored since the statistics were refreshed
	refreshing bool                  // guarded by mu; a statistics refresh runs
	closing    bool                  // guarded by mu; Close has begun
	// counted holds the object counts of released collections, each under
	// the newest released object it was counted at (see ReleasedCount).
	counted map[string]int // guarded by mu

	// The statistics refresh runs in the background (refreshStatistics)
	// under bgCtx, which Close cancels before it waits for bg.
	bgCtx  context.Context
	bgStop context.CancelFunc
	bg     sync.WaitGroup
}

var _ mosaic.Store = (*Store)(nil)

// New returns a store on w (writes) and r (reads), which may be the same
// pool, after applying the dialect's migrations.
func New(ctx context.Context, w, r *sql.DB, d Dialect, clock mosaic.Clock) (*Store, error) {
	if clock == nil {
		clock = mosaic.SystemClock{}
	}
	s := &Store{w: w, r: r, d: d, clock: clock, audiences: map[int64]audience{}, byKey: map[audienceKey]int64{}, heads: -1}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := d.Optimize(ctx, w); err != nil {
		return nil, mosaic.Internal(err, "optimize")
	}
	s.bgCtx, s.bgStop = context.WithCancel(context.Background())
	return s, nil
}

// optimizeEvery is how many stored records make the planner's statistics
// worth refreshing.
const optimizeEvery = 100_000

// optimizeTimeout bounds one statistics refresh. On SQLite it holds the
// single write connection, so writers wait for it.
const optimizeTimeout = time.Minute

// refreshStatistics starts a refresh of the planner's statistics in the
// background once optimizeEvery records have been stored since the last
// one. At most one runs at a time: the records stored meanwhile count
// towards the next. It runs under the store's own context, never a
// request's, which Close cancels.
func (s *Store) refreshStatistics() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ingested < optimizeEvery || s.refreshing || s.closing {
		return
	}
	s.ingested, s.refreshing = 0, true
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(s.bgCtx, optimizeTimeout)
		defer cancel()
		// Statistics only guide plans, and the batches that called for
		// the refresh are committed whatever happens here: an error is
		// nobody's to handle. The store has no logger to report it to, so
		// it is dropped.
		_ = s.d.Optimize(ctx, s.w)
		s.mu.Lock()
		s.refreshing = false
		s.mu.Unlock()
	})
}

// Close stops a statistics refresh that runs, waits for it to end and
// closes both pools.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	if s.bgStop != nil {
		s.bgStop()
	}
	s.bg.Wait()
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// DB returns the write pool, for tests and tools that inspect the database.
func (s *Store) DB() *sql.DB { return s.w }

// q returns query with the dialect's placeholders. It keeps no cache:
// listings build a different text for every combination of filters, and
// rewriting is cheap next to a round trip.
func (s *Store) q(query string) string { return s.d.Rebind(query) }

// write runs fn in a write transaction and commits it when fn succeeds.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mosaic.Internal(err, "begin")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mosaic.Internal(err, "commit")
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	files, err := fs.Glob(s.d.Migrations(), "*.sql")
	if err != nil {
		return mosaic.Internal(err, "list migrations")
	}
	sort.Strings(files)
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		return mosaic.Internal(err, "create schema_migrations")
	}
	for _, name := range files {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		body, err := fs.ReadFile(s.d.Migrations(), name)
		if err != nil {
			return mosaic.Internal(err, "read migration")
		}
		err = s.write(ctx, func(tx *sql.Tx) error {
			if err := s.d.LockMigrations(ctx, tx); err != nil {
				return mosaic.Internal(err, "lock migrations")
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
				return mosaic.Internal(err, "read schema_migrations")
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return mosaic.Internal(err, "migration "+name)
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`), version, micros(s.clock.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MinPrefix is the shortest query word that also matches as a prefix.
// Shorter words ("c2", "a") match whole words only: as prefixes they would
// select much of the corpus for little meaning, on both stores alike.
const MinPrefix = 3

// PrefixWord reports whether a query word matches as a prefix.
func PrefixWord(w string) bool { return utf8.RuneCountInString(w) >= MinPrefix }
