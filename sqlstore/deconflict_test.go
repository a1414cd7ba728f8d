package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"mosaic"
	"mosaic/postgres"
	"mosaic/postgres/pgtest"
	"mosaic/sqlite"
	"mosaic/sqlstore"
	"mosaic/storetest"
)

// hitNumbersMigration is the migration that numbers each organisation's
// hits.
const hitNumbersMigration = 11

// before gives a dialect's migrations up to, not including, version.
type before struct {
	sqlstore.Dialect
	version int
}

func (b before) Migrations() fs.FS {
	all := b.Dialect.Migrations()
	names, err := fs.Glob(all, "*.sql")
	if err != nil {
		panic(err)
	}
	out := fstest.MapFS{}
	for _, name := range names {
		if v, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0]); v >= b.version {
			continue
		}
		body, err := fs.ReadFile(all, name)
		if err != nil {
			panic(err)
		}
		out[name] = &fstest.MapFile{Data: body}
	}
	return out
}

// TestHitNumbersMigration stores hits under the schema before the
// migration, when they had only global ids, and checks that the migration
// numbers each organisation's hits 1, 2, 3, … in id order, and that new
// hits carry on from there.
func TestHitNumbersMigration(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			ctx := context.Background()
			clock := storetest.NewClock(storetest.Epoch)
			var old *sqlstore.Store
			var reopen func() *sqlstore.Store
			if store == "sqlite" {
				dir := t.TempDir()
				db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=foreign_keys(1)&_txlock=immediate")
				if err != nil {
					t.Fatal(err)
				}
				db.SetMaxOpenConns(1)
				if old, err = sqlstore.New(ctx, db, db, before{sqlite.Dialect{}, hitNumbersMigration}, clock); err != nil {
					t.Fatal(err)
				}
				reopen = func() *sqlstore.Store {
					s, err := sqlite.Open(ctx, dir, clock)
					if err != nil {
						t.Fatal(err)
					}
					return s
				}
			} else {
				dsn := pgtest.DSN(t)
				db, err := sql.Open("pgx", dsn)
				if err != nil {
					t.Fatal(err)
				}
				if old, err = sqlstore.New(ctx, db, db, before{postgres.Dialect{}, hitNumbersMigration}, clock); err != nil {
					t.Fatal(err)
				}
				reopen = func() *sqlstore.Store {
					s, err := postgres.Open(ctx, dsn, clock)
					if err != nil {
						t.Fatal(err)
					}
					return s
				}
			}
			// Written in SQL, not through the store, whose methods follow
			// the newest schema.
			exec := func(q string, args ...any) {
				t.Helper()
				if store == "postgres" {
					for i := 1; strings.Contains(q, "?"); i++ {
						q = strings.Replace(q, "?", fmt.Sprint("$", i), 1)
					}
				}
				if _, err := old.DB().ExecContext(ctx, q, args...); err != nil {
					t.Fatal(err)
				}
			}
			orgs := map[string]int64{"pa": 1, "pb": 2, "pc": 3}
			for name, id := range orgs {
				exec(`INSERT INTO orgs (id, name, full_name, kind, created) VALUES (?, ?, ?, 'partner', 0)`, id, name, name)
			}
			// Submitter and holder of each hit, in the order they were
			// stored (their ids).
			pairs := [][2]string{{"pa", "pb"}, {"pc", "pa"}, {"pb", "pc"}, {"pa", "pc"}, {"pb", "pa"}, {"pc", "pb"}}
			for i, p := range pairs {
				exec(`INSERT INTO deconfliction_hits (created, epoch, selector_type, kind, org_id, ref, holder_org_id, holder_ref) VALUES (?, 1, 'ipv4', 'check', ?, ?, ?, ?)`,
					storetest.Epoch.UnixMicro()+int64(i), orgs[p[0]], fmt.Sprint("ref-", i), orgs[p[1]], fmt.Sprint("held-", i))
			}
			if err := old.Close(); err != nil {
				t.Fatal(err)
			}

			s := reopen()
			defer s.Close()
			want := map[string]string{
				// hit (by ref) → the organisation's number for it
				"pa": "ref-0:1 ref-1:2 ref-3:3 ref-4:4",
				"pb": "ref-0:1 ref-2:2 ref-4:3 ref-5:4",
				"pc": "ref-1:1 ref-2:2 ref-3:3 ref-5:4",
			}
			numbered := func(org string) string {
				t.Helper()
				hs, err := s.HitsAfter(ctx, org, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, h := range hs {
					out = append(out, fmt.Sprintf("%s:%d", h.Ref, h.Number(org)))
				}
				return strings.Join(out, " ")
			}
			for org, w := range want {
				if got := numbered(org); got != w {
					t.Errorf("%s's hits after the migration: %s, want %s", org, got, w)
				}
			}
			// A new hit takes each side's next number.
			a := mosaic.AuditEntry{Time: storetest.Epoch, User: "test", Action: "test", Decision: mosaic.Allowed}
			v := mosaic.Viewer{User: "pb-analyst", OrgID: orgs["pb"], Org: "pb", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
			u := mosaic.Viewer{User: "pa-analyst", OrgID: orgs["pa"], Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
			tok := mosaic.DeconflictionToken{Type: "ipv4", Token: []byte(strings.Repeat("t", 32))}
			if _, err := s.Submit(ctx, u, mosaic.Submission{RequestID: "r1", Epoch: 1, Ref: "A", Expires: storetest.Epoch.Add(time.Hour), Tokens: []mosaic.DeconflictionToken{tok}}, a); err != nil {
				t.Fatal(err)
			}
			res, err := s.Submit(ctx, v, mosaic.Submission{RequestID: "r2", Epoch: 1, Check: true, Tokens: []mosaic.DeconflictionToken{tok}}, a)
			if err != nil || len(res.Hits) != 1 {
				t.Fatalf("Submit: %+v, %v", res, err)
			}
			if h := res.Hits[0]; h.OrgSeq != 5 || h.HolderSeq != 5 {
				t.Errorf("the first hit after the migration: pb's number %d, pa's %d; want 5 and 5", h.OrgSeq, h.HolderSeq)
			}
		})
	}
}
