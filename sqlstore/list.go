package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"mosaic"
	"mosaic/policy"
	"mosaic/search"
)

// A listing is "the newest visible version of each (id, originator) that
// matches the filters, newest stored first, one page". Three plans answer
// it:
//
//   - walk: read the records in storage order and keep the matches. Cheap
//     when most of what is read matches: the page fills after about
//     limit × total / matching rows.
//   - merge: for each audience the viewer may see and the filters allow,
//     read that audience's newest records through the (audience_id, seq)
//     index, at most a page each, and merge. Cheap when the matches sit in
//     a few audiences, however far back in storage order they are.
//   - for text searches, the text index leads (see Dialect.TextSearch).
//
// The per-audience counts of record_counts tell the store which of the two
// reads fewer rows; database planners cannot know, as the visible audiences
// are a subquery to them. The visibility clause is in the SQL of every plan.
type listPlan int

const (
	planOwn listPlan = iota
	planWalk
	planMerge
)

// maxMergeAudiences bounds the branches of a merge; SQLite allows 500
// SELECTs in one compound statement.
const maxMergeAudiences = 400

// audienceFilter turns the originator and audience filters into a condition
// on the audience row va.
func (s *Store) audienceFilter(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter) (string, []any, error) {
	var extra []string
	var args []any
	if len(f.Originators) > 0 {
		extra = append(extra, `va.originator IN (SELECT id FROM orgs WHERE name IN (`+placeholders(len(f.Originators))+`))`)
		args = append(args, anys(f.Originators)...)
	}
	if f.Audience != "" {
		var cid int64
		if name, ok := strings.CutPrefix(f.Audience, "compartment:"); ok {
			err := s.r.QueryRowContext(ctx, s.q(`SELECT id FROM compartments WHERE name = ?`), name).Scan(&cid)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return "", nil, mosaic.Internal(err, "query compartment")
			}
		}
		cond, cargs, err := policy.AudienceFilterClause(v, f.Audience, cid)
		if err != nil {
			return "", nil, err
		}
		extra = append(extra, cond)
		args = append(args, cargs...)
	}
	return strings.Join(extra, " AND "), args, nil
}

// recordFilters returns the conditions on the record r besides visibility:
// type, TLP, time ranges, the cursor and "no newer visible version". col
// wraps the indexed columns when the plan must not use their indexes.
//
// extra is the audience filter's condition on the audience row va: versions
// are chosen among the records it allows, so that "the newest version" in
// a listing of one audience (a TAXII collection) is the newest there, not
// a newer one elsewhere that the listing leaves out.
func (s *Store) recordFilters(v mosaic.Viewer, f mosaic.ObjectFilter, order string, col func(string) string, extra string, extraArgs []any) ([]string, []any) {
	var where []string
	var args []any
	if len(f.Types) > 0 {
		where = append(where, col("r.type")+` IN (`+placeholders(len(f.Types))+`)`)
		args = append(args, anys(f.Types)...)
	}
	if len(f.TLPs) > 0 {
		where = append(where, col("r.tlp")+` IN (`+placeholders(len(f.TLPs))+`)`)
		args = append(args, anys(f.TLPs)...)
	}
	for _, b := range []struct{ col, op, val string }{
		{"created_key", ">", f.CreatedAfter}, {"created_key", "<", f.CreatedBefore},
		{"modified_key", ">", f.ModifiedAfter}, {"modified_key", "<", f.ModifiedBefore},
	} {
		if b.val != "" {
			// Objects without the timestamp (SCOs) fall outside every range.
			where = append(where, `r.`+b.col+` <> '' AND r.`+b.col+` `+b.op+` ?`)
			args = append(args, b.val)
		}
	}
	if f.Before > 0 && !f.Ascending {
		where = append(where, order+` < ?`)
		args = append(args, f.Before)
	}
	if f.After > 0 && f.Ascending {
		where = append(where, order+` > ?`)
		args = append(args, f.After)
	}
	if f.AddedAfter > 0 {
		where = append(where, `r.added > ?`)
		args = append(args, f.AddedAfter)
	}
	if len(f.IDs) > 0 {
		where = append(where, `r.stix_id IN (`+placeholders(len(f.IDs))+`)`)
		args = append(args, anys(f.IDs)...)
	}
	vw, vargs := versionFilter(v, f.Versions, extra, extraArgs)
	return append(where, vw), append(args, vargs...)
}

// versionFilter selects the versions of each (id, originator) chain a
// listing returns, among those the viewer may see and extra (a condition
// on the audience row va, or "") allows.
func versionFilter(v mosaic.Viewer, versions []string, extra string, extraArgs []any) (string, []any) {
	if len(versions) == 0 {
		versions = []string{mosaic.VersionLast}
	}
	var alts []string
	var args []any
	var keys []any
	for _, ver := range versions {
		switch ver {
		case mosaic.VersionAll:
			return "1 = 1", nil
		case mosaic.VersionLast:
			// A record nothing newer has superseded is its chain's newest;
			// otherwise look for a newer version the viewer may see.
			vis, vargs := policy.VisibleClause(v, "n.audience_id", extra, extraArgs...)
			alts = append(alts, `(r.superseded = 0 OR NOT EXISTS (SELECT 1 FROM records n WHERE n.stix_id = r.stix_id AND n.originator = r.originator AND n.modified_key > r.modified_key AND `+vis+`))`)
			args = append(args, vargs...)
		case mosaic.VersionFirst:
			vis, vargs := policy.VisibleClause(v, "n.audience_id", extra, extraArgs...)
			alts = append(alts, `NOT EXISTS (SELECT 1 FROM records n WHERE n.stix_id = r.stix_id AND n.originator = r.originator AND n.modified_key < r.modified_key AND `+vis+`)`)
			args = append(args, vargs...)
		default:
			keys = append(keys, ver)
		}
	}
	if len(keys) > 0 {
		alts = append(alts, `r.modified_key IN (`+placeholders(len(keys))+`)`)
		args = append(args, keys...)
	}
	return "(" + strings.Join(alts, " OR ") + ")", args
}

const listColumns = `r.seq, r.object, r.originator, r.tlp, r.audience_id, r.orcon, r.legal_basis, r.review_by, r.added`

// originatorColumns follow listColumns in every query scanObjects reads:
// the originator's name and STIX identity, from orgs o.
const originatorColumns = `o.name, o.identity`

// listQuery builds the SELECT for Objects; its columns are those scanObjects
// reads.
func (s *Store) listQuery(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter) (string, []any, error) {
	extra, extraArgs, err := s.audienceFilter(ctx, v, f)
	if err != nil {
		return "", nil, err
	}
	textual := f.Query != "" || len(f.AnyObservable) > 0
	plan, auds, bound := planOwn, []int64(nil), int64(0)
	switch {
	case textual:
	case len(f.IDs) > 0 && s.forced == planOwn:
		// The id index leads a listing by ids whatever the audiences
		// hold; reading their counts cost more than reading its rows (a
		// release's page reads its objects' versions this way, once per
		// release in a liaison's inbox). A walk keeps the planner off
		// the audience index.
		plan = planWalk
	default:
		if plan, auds, bound, err = s.plan(ctx, v, f, extra, extraArgs); err != nil {
			return "", nil, err
		}
	}
	if s.forced != planOwn && !textual {
		plan = s.forced
		if plan == planMerge && len(auds) == 0 {
			auds = []int64{0} // a merge over nothing still runs its SQL
		}
	}
	col := func(expr string) string { return expr }
	if plan != planOwn {
		col = s.d.Unindexed
	}
	vis, args := policy.VisibleClause(v, col("r.audience_id"), extra, extraArgs...)
	if plan == planMerge {
		if query, margs, ok := s.mergeQuery(v, f, auds, bound, vis, args, extra, extraArgs); ok {
			return query, margs, nil
		}
	}
	tp := TextPlan{Order: "r.seq"}
	where := []string{vis}
	if textual {
		// A text query and an observable set may not come together: the
		// text index answers one question at a time.
		q, anyTerm := search.ParseQuery(f.Query), false
		if len(f.AnyObservable) > 0 {
			if f.Query != "" {
				return "", nil, mosaic.Errorf(mosaic.CodeInvalid, "a text query and an observable search do not combine")
			}
			q, anyTerm = search.Query{Observables: f.AnyObservable}, true
		}
		if q.Empty() {
			where = append(where, "1 = 0")
		} else {
			if tp, err = s.d.TextSearch(ctx, s.r, q, anyTerm); err != nil {
				return "", nil, mosaic.Internal(err, "plan text search")
			}
			where = append(where, tp.Where)
			args = append(args, tp.Args...)
		}
	}
	if f.NotID != "" {
		where = append(where, `r.stix_id <> ?`)
		args = append(args, f.NotID)
	}
	fw, fargs := s.recordFilters(v, f, tp.Order, col, extra, extraArgs)
	where = append(where, fw...)
	args = append(args, fargs...)
	query := tp.With + `SELECT ` + listColumns + `, ` + originatorColumns + ` FROM records r ` + tp.Join + ` JOIN orgs o ON o.id = r.originator WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY ` + tp.Order + direction(f) + ` LIMIT ?`
	return query, append(append(tp.WithArgs, args...), f.Limit+1), nil
}

func direction(f mosaic.ObjectFilter) string {
	if f.Ascending {
		return " ASC"
	}
	return " DESC"
}

// maxParams bounds the parameters of one statement, under SQLite's 32,766
// and PostgreSQL's 65,535.
const maxParams = 30_000

// mergeQuery reads each audience's newest matching records through the
// (audience_id, seq) index, a page at most from each, and merges them. It
// reports false when the statement would take too many parameters; the
// caller then walks.
//
// The audiences were listed by an earlier statement, which cannot know of
// an audience whose first records commit after it: the merge would pass
// over them and a cursor or added_after taken from its page would leave
// them behind for good. So it reads only records numbered up to bound,
// the last number committed before the audiences were listed; records are
// numbered in commit order, so every later one is numbered above it and
// is found by the next page or poll.
func (s *Store) mergeQuery(v mosaic.Viewer, f mosaic.ObjectFilter, auds []int64, bound int64, vis string, visArgs []any, extra string, extraArgs []any) (string, []any, bool) {
	fw, fargs := s.recordFilters(v, f, "r.seq", s.d.Unindexed, extra, extraArgs)
	fw = append(fw, `r.seq <= ?`)
	fargs = append(fargs, bound)
	if (2+len(visArgs)+len(fargs))*len(auds) > maxParams {
		return "", nil, false
	}
	branch := `SELECT * FROM (SELECT ` + listColumns + ` FROM records r WHERE r.audience_id = ? AND ` + vis + ` AND ` +
		strings.Join(fw, " AND ") + ` ORDER BY r.seq` + direction(f) + ` LIMIT ?) b`
	branches := make([]string, len(auds))
	var args []any
	for i, a := range auds {
		branches[i] = branch
		args = append(args, a)
		args = append(args, visArgs...)
		args = append(args, fargs...)
		args = append(args, f.Limit+1)
	}
	query := `SELECT m.*, ` + originatorColumns + ` FROM (` + strings.Join(branches, " UNION ALL ") + `) m JOIN orgs o ON o.id = m.originator ORDER BY m.seq` + direction(f) + ` LIMIT ?`
	return query, append(args, f.Limit+1), true
}

// plan picks walk or merge from the per-audience counts of the audiences v
// may see through the filters (see listPlan).
//
// It also returns the last record number committed before the audiences
// were listed (see mergeQuery).
func (s *Store) plan(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter, extra string, extraArgs []any) (listPlan, []int64, int64, error) {
	total, err := s.headCount(ctx)
	if err != nil {
		return planOwn, nil, 0, err
	}
	var bound int64
	if err := s.r.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'records'`).Scan(&bound); err != nil {
		return planOwn, nil, 0, mosaic.Internal(err, "read record counter")
	}
	vis, args := policy.VisibleClause(v, "a.id", extra, extraArgs...)
	match, margs := "1 = 1", []any{}
	if len(f.Types) > 0 {
		match += ` AND c.type IN (` + placeholders(len(f.Types)) + `)`
		margs = append(margs, anys(f.Types)...)
	}
	if len(f.TLPs) > 0 {
		match += ` AND c.tlp IN (` + placeholders(len(f.TLPs)) + `)`
		margs = append(margs, anys(f.TLPs)...)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT a.id, COALESCE(SUM(c.n), 0), COALESCE(SUM(CASE WHEN `+match+` THEN c.n ELSE 0 END), 0)
		FROM audiences a LEFT JOIN record_counts c ON c.audience_id = a.id WHERE `+vis+` GROUP BY a.id`), append(margs, args...)...)
	if err != nil {
		return planOwn, nil, 0, mosaic.Internal(err, "plan listing")
	}
	defer rows.Close()
	var auds []int64
	var matching, mergeCost int64
	k := int64(f.Limit + 1)
	for rows.Next() {
		var id, n, m int64
		if err := rows.Scan(&id, &n, &m); err != nil {
			return planOwn, nil, 0, mosaic.Internal(err, "scan plan")
		}
		auds = append(auds, id)
		matching += m
		// Reading an audience until a page of matches is found, or to its
		// end.
		if m > 0 {
			mergeCost += min(n, k*n/m)
		} else {
			mergeCost += n
		}
	}
	if err := rows.Err(); err != nil {
		return planOwn, nil, 0, mosaic.Internal(err, "scan plan")
	}
	if s.forced == planMerge && len(auds) <= maxMergeAudiences {
		return planMerge, auds, bound, nil
	}
	if len(auds) == 0 || len(auds) > maxMergeAudiences {
		return planWalk, nil, 0, nil
	}
	walkCost := k * total / max(matching, 1)
	// Each merge branch costs a statement's worth of work besides its rows.
	if mergeCost+int64(len(auds))*k/4 < walkCost {
		return planMerge, auds, bound, nil
	}
	return planWalk, nil, 0, nil
}

// headCount returns the number of chain heads in record_counts, read once
// and then kept up to date by Ingest. It only guides plans, so a count that
// drifts with other processes' writes is good enough.
func (s *Store) headCount(ctx context.Context) (int64, error) {
	s.mu.Lock()
	n := s.heads
	s.mu.Unlock()
	if n >= 0 {
		return n, nil
	}
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM record_counts`).Scan(&n); err != nil {
		return 0, mosaic.Internal(err, "count records")
	}
	s.mu.Lock()
	s.heads = n
	s.mu.Unlock()
	return n, nil
}

// ForcePlan makes listings use one plan, "walk" or "merge", where the
// store would choose ("" restores the choice), so that tests cover every
// plan on small data. Call it before the store is used.
func (s *Store) ForcePlan(name string) {
	s.forced = map[string]listPlan{"walk": planWalk, "merge": planMerge}[name]
}
