package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"mosaic"
	"mosaic/sqlite"
	"mosaic/sqlstore"
)

// The re-share check looks up each contributed id among other
// organisations' records. Where the statistics SQLite samples (a thousand
// rows) say that an audience holds a record or two, while every record of
// the cell shares one audience, the planner must still read the records
// through the id index, not every record of the audience: that plan took
// 0.6 s per 500 ids instead of 10 ms in a store of a million records, and
// an upload of 100,000 objects many minutes.
func TestHeldElsewhereUsesIDIndex(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for _, st := range [][2]string{
		{"records_stix_id_lower", "201000 1"},
		{"records_audience", "201000 2 1"},
		{"records_type", "201000 1001 1"},
		{"sqlite_autoindex_records_1", "201000 1 1 1"},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('records', ?, ?)`, st[0], st[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('audiences', 'sqlite_autoindex_audiences_1', '1 1 1 1'), ('orgs', 'sqlite_autoindex_orgs_1', '1 1')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE sqlite_schema`); err != nil { // loads them
		t.Fatal(err)
	}
	ids := make([]any, 500)
	for i := range ids {
		ids[i] = fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i)
	}
	v := mosaic.Viewer{UserID: 3, OrgID: 1, Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	q, args := sqlstore.HeldElsewhereQuery(v, ids)
	rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) == 0 || !strings.Contains(plan[0], "records_stix_id_lower") {
		t.Fatalf("the plan does not begin with the id index:\n%s", strings.Join(plan, "\n"))
	}
}

// A listing by ids (a release's objects, read once per release in a
// liaison's inbox) is led by the id index, and reads no per-audience
// counts to choose a plan: on a million records they cost more than
// reading its rows.
func TestListByIDsUsesIDIndex(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	// Statistics that make the audience index look selective.
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('records', 'records_audience', '1000000 2 1'), ('records', 'sqlite_autoindex_records_1', '1000000 1 1 1')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE sqlite_schema`); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 50 {
		ids = append(ids, fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i))
	}
	v := mosaic.Viewer{UserID: 3, OrgID: 1, Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Liaison}
	f := mosaic.ObjectFilter{IDs: ids, Versions: []string{mosaic.VersionAll}, Limit: 1000}
	q, args, err := s.ListQuery(ctx, v, f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if len(plan) == 0 || !strings.Contains(plan[0], "(stix_id=?)") {
		t.Fatalf("the plan does not begin with the id index:\n%s", strings.Join(plan, "\n"))
	}
	// Without the counts, a listing by ids still answers; one that needs
	// them does not.
	if _, err := db.ExecContext(ctx, `ALTER TABLE record_counts RENAME TO record_counts_gone`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Objects(ctx, v, f); err != nil {
		t.Errorf("a listing by ids read the counts: %v", err)
	}
	if _, err := s.Objects(ctx, v, mosaic.ObjectFilter{Limit: 10}); err == nil {
		t.Error("a listing read no counts: the test no longer tells")
	}
}
