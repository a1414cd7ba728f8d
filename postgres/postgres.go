// Package postgres opens Mosaic's scale-out store: a PostgreSQL database
// reached through jackc/pgx. Several mosaic serve processes may share one.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"mosaic"
	"mosaic/search"
	"mosaic/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open connects to the database at dsn (postgres://...) and applies the
// migrations.
func Open(ctx context.Context, dsn string, clock mosaic.Clock) (*sqlstore.Store, error) {
	return OpenDialect(ctx, dsn, clock, Dialect{})
}

// OpenDialect is Open with a dialect of the caller's settings.
func OpenDialect(ctx context.Context, dsn string, clock mosaic.Clock, d Dialect) (*sqlstore.Store, error) {
	dsn, err := withoutJIT(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s, err := sqlstore.New(ctx, db, db, d, clock)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// withoutJIT turns off PostgreSQL's JIT compilation for Mosaic's sessions
// unless the DSN says otherwise: its queries are short, and compiling a
// plan whose cost estimate is high took 15 ms of a 40 ms correlation that
// runs in 3 ms without it.
func withoutJIT(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("postgres: the DSN is not a URL: %w", err)
	}
	q := u.Query()
	if !q.Has("jit") {
		q.Set("jit", "off")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// Dialect is PostgreSQL's sqlstore.Dialect.
type Dialect struct {
	// RareMatches is how many matches make a text search rare enough to
	// collect all its matches first (see TextSearch); 0 means 5,000, and a
	// negative number treats every search as common.
	RareMatches int
}

// Name returns "postgres".
func (Dialect) Name() string { return "postgres" }

// Rebind numbers the ? placeholders $1, $2, ... outside string literals.
func (Dialect) Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// IsUnique reports a unique violation (SQLSTATE 23505).
func (Dialect) IsUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Migrations returns the embedded schema migrations.
func (Dialect) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// LockMigrations takes a transaction-scoped advisory lock, so replicas that
// start together migrate one after the other.
func (Dialect) LockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7418880)`)
	return err
}

const observablePrefix = "="

// LockOriginator takes a transaction-scoped advisory lock on the
// organisation: its batches are planned and stored one after the other, in
// every process sharing the database. Other organisations' batches are
// planned beside them (their chains, audiences and counts are disjoint) and
// wait only for the numbering of records, which goes in commit order
// (migration 0003).
func (Dialect) LockOriginator(ctx context.Context, tx *sql.Tx, org int64) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7418881, $1)`, int32(org))
	return err
}

// InsertTexts stores records' terms as tsvectors.
// TextRow makes a record's tsvector from its terms as they are, without
// a text search configuration's stemming.
func (Dialect) TextRow() (columns, values string) {
	return "seq, terms", "(?, array_to_tsvector(?::text[]))"
}

// TextArgs gives the words and the marked observables as one array.
func (Dialect) TextArgs(r sqlstore.TextRow) []any {
	terms := make([]string, 0, len(r.Words)+len(r.Observables))
	terms = append(terms, r.Words...)
	for _, o := range r.Observables {
		terms = append(terms, observablePrefix+o)
	}
	return []any{r.Seq, terms}
}

// TextSearch matches every word (of at least sqlstore.MinPrefix letters) as
// a prefix and every observable exactly, with a tsquery written lexeme by
// lexeme (never parsed from user text). PostgreSQL cannot estimate how many
// records a prefix matches, and a wrong guess either walks the whole table
// for a rare term or sorts a tenth of it for a common one; so the store asks
// the GIN index first, up to RareMatches, and collects the matches of a rare
// term before ordering them, leaving common terms to an ordered walk.
func (d Dialect) TextSearch(ctx context.Context, db *sql.DB, q search.Query, anyTerm bool) (sqlstore.TextPlan, error) {
	var parts []string
	for _, w := range q.Words {
		if sqlstore.PrefixWord(w) {
			parts = append(parts, quoteLexeme(w)+":*")
		} else {
			parts = append(parts, quoteLexeme(w))
		}
	}
	for _, o := range q.Observables {
		parts = append(parts, quoteLexeme(observablePrefix+o))
	}
	op := " & "
	if anyTerm {
		op = " | "
	}
	tsq := strings.Join(parts, op)
	rare := d.RareMatches
	if rare == 0 {
		rare = 5000
	}
	n := 0
	if rare > 0 {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM record_text WHERE terms @@ CAST($1 AS tsquery) LIMIT $2) m`, tsq, rare).Scan(&n); err != nil {
			return sqlstore.TextPlan{}, err
		}
	}
	if rare > 0 && n < rare {
		return sqlstore.TextPlan{
			With:     `WITH m AS MATERIALIZED (SELECT seq FROM record_text WHERE terms @@ CAST(? AS tsquery)) `,
			WithArgs: []any{tsq},
			Join:     `JOIN m ON m.seq = r.seq`,
			Where:    `1 = 1`,
			Order:    `r.seq`,
		}, nil
	}
	return sqlstore.TextPlan{Join: `JOIN record_text t ON t.seq = r.seq`, Where: `t.terms @@ CAST(? AS tsquery)`, Order: `r.seq`, Args: []any{tsq}}, nil
}

// quoteLexeme quotes a lexeme for tsquery input: inside single quotes a quote
// is doubled and a backslash escaped.
func quoteLexeme(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Unindexed returns expr: PostgreSQL takes no planner hints.
func (Dialect) Unindexed(expr string) string { return expr }

// Optimize does nothing: autovacuum keeps PostgreSQL's statistics.
func (Dialect) Optimize(context.Context, *sql.DB) error { return nil }
