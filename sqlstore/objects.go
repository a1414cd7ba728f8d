package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"mosaic"
	"mosaic/policy"
	"mosaic/stix"
)

// An audience row is a visibility class: who besides the originator sees
// the records that point at it. Rows never change once written, so they are
// cached by id and by key.
type audience struct {
	id, originator int64
	cell           bool
	compartments   []string    // names, sorted
	key            audienceKey // set when the row was made or looked up by key
}

type audienceKey struct {
	originator   int64
	cell         bool
	compartments string // compartment ids, sorted, comma-separated
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ensureAudience returns the id of the audience row for (originator, a),
// creating it inside tx when needed. fresh is non-nil when the row is not yet
// known to be committed.
func (s *Store) ensureAudience(ctx context.Context, tx *sql.Tx, originator int64, a mosaic.Audience) (int64, *audience, error) {
	ids := make([]int64, 0, len(a.Compartments))
	if len(a.Compartments) > 0 {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM compartments WHERE name IN (`+placeholders(len(a.Compartments))+`)`), anys(a.Compartments)...)
		if err != nil {
			return 0, nil, mosaic.Internal(err, "query compartments")
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, nil, mosaic.Internal(err, "scan compartment")
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) != len(a.Compartments) {
			return 0, nil, mosaic.Errorf(mosaic.CodeInvalid, "audience %s names a compartment that does not exist", a)
		}
		slices.Sort(ids)
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = itoa(id)
	}
	key := audienceKey{originator, a.Cell, strings.Join(parts, ",")}
	s.mu.Lock()
	id, ok := s.byKey[key]
	s.mu.Unlock()
	if ok {
		return id, nil, nil
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audiences (originator, cell, compartments) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), originator, boolInt(a.Cell), key.compartments); err != nil {
		return 0, nil, mosaic.Internal(err, "insert audience")
	}
	if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM audiences WHERE originator = ? AND cell = ? AND compartments = ?`), originator, boolInt(a.Cell), key.compartments).Scan(&id); err != nil {
		return 0, nil, mosaic.Internal(err, "query audience")
	}
	for _, cid := range ids {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audience_compartments (audience_id, compartment_id) VALUES (?, ?) ON CONFLICT DO NOTHING`), id, cid); err != nil {
			return 0, nil, mosaic.Internal(err, "insert audience compartment")
		}
	}
	return id, &audience{id: id, originator: originator, cell: a.Cell, compartments: a.Compartments, key: key}, nil
}

func (s *Store) remember(auds ...audience) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range auds {
		s.audiences[a.id] = a
		if a.key.originator != 0 {
			s.byKey[a.key] = a.id
		}
	}
}

// audienceRows returns the audience rows with the given ids.
func (s *Store) audienceRows(ctx context.Context, ids []int64) (map[int64]audience, error) {
	out := make(map[int64]audience, len(ids))
	var missing []int64
	s.mu.Lock()
	for _, id := range ids {
		if a, ok := s.audiences[id]; ok {
			out[id] = a
		} else if !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT a.id, a.originator, a.cell, c.name FROM audiences a
		LEFT JOIN audience_compartments ac ON ac.audience_id = a.id LEFT JOIN compartments c ON c.id = ac.compartment_id
		WHERE a.id IN (`+placeholders(len(missing))+`) ORDER BY a.id, c.name`), anys(missing)...)
	if err != nil {
		return nil, mosaic.Internal(err, "query audiences")
	}
	defer rows.Close()
	var loaded []audience
	for rows.Next() {
		var a audience
		var cell int
		var comp sql.NullString
		if err := rows.Scan(&a.id, &a.originator, &cell, &comp); err != nil {
			return nil, mosaic.Internal(err, "scan audience")
		}
		if n := len(loaded); n == 0 || loaded[n-1].id != a.id {
			a.cell = cell == 1
			loaded = append(loaded, a)
		}
		if comp.Valid {
			loaded[len(loaded)-1].compartments = append(loaded[len(loaded)-1].compartments, comp.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "scan audiences")
	}
	s.remember(loaded...)
	for _, a := range loaded {
		out[a.id] = a
	}
	return out, nil
}

// insertRows is how many rows one multi-row INSERT carries: fewer
// statements for the same work, well inside both databases' limits on
// parameters.
const insertRows = 100

// insertMany runs head, n rows and tail as INSERT statements of insertRows
// rows each, a row's VALUES tuple being row; args(a, i) appends row i's
// arguments to a.
// The statement for a full chunk is prepared once: SQLite would otherwise
// compile the same statement of hundreds of placeholders for every chunk,
// which cost about a tenth of an ingest.
func (s *Store) insertMany(ctx context.Context, tx *sql.Tx, head, row, tail string, n int, args func(a []any, i int) []any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for lo := 0; lo < n; lo += insertRows {
		hi := min(lo+insertRows, n)
		a := make([]any, 0, (hi-lo)*strings.Count(row, "?"))
		for i := lo; i < hi; i++ {
			a = args(a, i)
		}
		query := s.q(head + strings.TrimSuffix(strings.Repeat(row+", ", hi-lo), ", ") + tail)
		var err error
		switch {
		case hi-lo < insertRows:
			_, err = tx.ExecContext(ctx, query, a...)
		case full == nil:
			if full, err = tx.PrepareContext(ctx, query); err == nil {
				_, err = full.ExecContext(ctx, a...)
			}
		default:
			_, err = full.ExecContext(ctx, a...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Ingest stores a batch for v's organisation, all or nothing.
//
// It works in two steps: planIngest plans the batch in memory, against the
// chains it touches read in a few queries, and the writer applies the plan
// with multi-row statements. The caller's records are left as they are.
func (s *Store) Ingest(ctx context.Context, v mosaic.Viewer, recs []mosaic.Record, a mosaic.AuditEntry) (mosaic.IngestResult, error) {
	if err := policy.MayContribute(v); err != nil {
		return mosaic.IngestResult{}, err
	}
	var res mosaic.IngestResult
	var fresh []audience
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		res, fresh, err = s.writeBatch(ctx, tx, v, recs, a)
		return err
	})
	if err != nil {
		return mosaic.IngestResult{}, err
	}
	s.remember(fresh...)
	s.mu.Lock()
	if s.heads >= 0 {
		s.heads += int64(res.New)
	}
	s.ingested += int64(res.New + res.NewVersions)
	s.mu.Unlock()
	s.refreshStatistics()
	return res, nil
}

// writeBatch is Ingest's writer, inside tx. fresh are the audience rows it
// made, to remember once tx is committed.
func (s *Store) writeBatch(ctx context.Context, tx *sql.Tx, v mosaic.Viewer, recs []mosaic.Record, a mosaic.AuditEntry) (res mosaic.IngestResult, fresh []audience, err error) {
	if err := s.d.LockOriginator(ctx, tx, v.OrgID); err != nil {
		return res, nil, mosaic.Internal(err, "lock originator")
	}
	memberships, err := s.memberships(ctx, tx, v)
	if err != nil {
		return res, nil, err
	}
	auds, fresh, err := s.batchAudiences(ctx, tx, v, recs, memberships)
	if err != nil {
		return res, nil, err
	}
	if err := s.checkReshare(ctx, tx, v, recs); err != nil {
		return res, nil, err
	}
	stored, err := s.chains(ctx, tx, v.OrgID, recs)
	if err != nil {
		return res, nil, err
	}
	p := planIngest(recs, auds, stored)
	if len(p.problems) > 0 {
		return res, nil, &mosaic.Error{Code: mosaic.CodeConflict, Message: fmt.Sprintf("%d objects conflict with objects your organisation already holds", len(p.problems)), Problems: p.problems}
	}
	for _, c := range p.chains {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE records SET superseded = 1 WHERE stix_id = ? AND originator = ? AND modified_key < ? AND superseded = 0`), c.id, v.OrgID, c.head); err != nil {
			return res, nil, mosaic.Internal(err, "mark superseded")
		}
		if c.multi {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE records SET multi = 1 WHERE stix_id = ? AND originator = ? AND multi = 0`), c.id, v.OrgID); err != nil {
				return res, nil, mosaic.Internal(err, "mark multi")
			}
		}
	}
	seq, added, err := s.reserve(ctx, tx, len(p.rows))
	if err != nil {
		return res, nil, err
	}
	const recordRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	err = s.insertMany(ctx, tx, "INSERT INTO records (seq, stix_id, type, originator, audience_id, modified_key, created_key, tlp, orcon, legal_basis, review_by, added, hash, object, superseded, multi) VALUES ", recordRow, "", len(p.rows), func(args []any, i int) []any {
		row := &p.rows[i]
		r := &recs[row.rec]
		e := &r.Envelope
		return append(args, seq+int64(i), r.ID, r.Type, v.OrgID, row.audience, r.ModifiedKey, r.CreatedKey, string(e.TLP), boolInt(e.ORCON), e.LegalBasis, e.ReviewBy,
			added, r.Hash[:], []byte(r.Object), boolInt(row.superseded), boolInt(row.multi))
	})
	if err != nil {
		return res, nil, mosaic.Internal(err, "insert records")
	}
	for k, n := range p.deltas {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO record_counts (audience_id, type, tlp, n) VALUES (?, ?, ?, ?)
			ON CONFLICT (audience_id, type, tlp) DO UPDATE SET n = record_counts.n + excluded.n`), k.audience, k.typ, k.tlp, n); err != nil {
			return res, nil, mosaic.Internal(err, "update counts")
		}
	}
	if err := s.countPicture(ctx, tx, recs, auds, p.firsts); err != nil {
		return res, nil, err
	}
	if err := s.appendAudit(ctx, tx, a); err != nil {
		return res, nil, err
	}
	// The text index comes last. On SQLite every statement that may
	// need a statement journal makes FTS5 flush its pending terms into
	// a new segment, and merging thousands of one-record segments
	// would cost more than the rest of the batch together.
	columns, textRow := s.d.TextRow()
	err = s.insertMany(ctx, tx, "INSERT INTO record_text ("+columns+") VALUES ", textRow, "", len(p.rows), func(args []any, i int) []any {
		r := &recs[p.rows[i].rec]
		words, obs := r.Words, r.Observables
		if r.Terms != nil {
			words, obs = r.Terms()
		}
		return append(args, s.d.TextArgs(TextRow{Seq: seq + int64(i), Words: words, Observables: obs})...)
	})
	if err != nil {
		return res, nil, mosaic.Internal(err, "index records")
	}
	return p.res, fresh, nil
}

// batchAudiences checks the envelopes of a batch v submits, v being a
// member of memberships, and returns the audience row of each record
// (auds[i] for recs[i]), making inside tx the rows that do not exist yet;
// fresh are those it made.
func (s *Store) batchAudiences(ctx context.Context, tx *sql.Tx, v mosaic.Viewer, recs []mosaic.Record, memberships []string) (auds []int64, fresh []audience, err error) {
	auds = make([]int64, len(recs))
	byText := map[string]int64{}
	var problems []mosaic.Problem
	last := -1 // the last record whose audience row is known: batches mostly share one audience
	for i := range recs {
		// The envelope is checked as it will be stored, with its
		// originator, on a copy: the caller's record stays as it is.
		e := recs[i].Envelope
		e.Originator = v.Org
		if err := policy.CheckEnvelope(e); err != nil {
			problems = append(problems, mosaic.Problem{Object: recs[i].ID, Reason: mosaic.ErrorMessage(err)})
			continue
		}
		if last >= 0 && e.Audience.Equal(recs[last].Envelope.Audience) {
			auds[i], last = auds[last], i
			continue
		}
		key := e.Audience.String()
		if id, ok := byText[key]; ok {
			auds[i], last = id, i
			continue
		}
		if err := policy.MayShareWith(v, e.Audience, memberships); err != nil {
			return nil, nil, err
		}
		id, f, err := s.ensureAudience(ctx, tx, v.OrgID, e.Audience)
		if err != nil {
			return nil, nil, err
		}
		if f != nil {
			fresh = append(fresh, *f)
		}
		byText[key], auds[i], last = id, id, i
	}
	if len(problems) > 0 {
		return nil, nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the batch breaks a handling rule", Problems: problems}
	}
	return auds, fresh, nil
}

// reserve numbers n records in commit order (see migration 0003): it
// returns the first of n consecutive sequence numbers and the batch's added
// time, in microseconds. Every record of a batch has the same added time:
// stamps a microsecond apart would let a reader who sees two records of a
// batch count the records between them that they may not see, and a
// counter pushed ahead of the clock by a large hidden batch would show its
// size. Added times still never go back, and each commit's is later than
// the one before, even when clocks of several processes differ. The lock on
// the counter row is held until the transaction ends.
func (s *Store) reserve(ctx context.Context, tx *sql.Tx, n int) (seq, added int64, err error) {
	if n == 0 {
		return 0, 0, nil
	}
	now := micros(s.clock.Now())
	err = tx.QueryRowContext(ctx, s.q(`UPDATE counters SET value = value + CAST(? AS BIGINT), added = CASE WHEN added >= CAST(? AS BIGINT) THEN added + 1 ELSE CAST(? AS BIGINT) END
		WHERE name = 'records' RETURNING value, added`), n, now, now).Scan(&seq, &added)
	if err != nil {
		return 0, 0, mosaic.Internal(err, "number records")
	}
	return seq - int64(n) + 1, added, nil
}

// chainQueryIDs is how many ids one chain query asks for.
const chainQueryIDs = 500

// chains reads the stored versions of the batch's (id, originator) chains,
// by id; ids with no stored version are absent.
func (s *Store) chains(ctx context.Context, tx *sql.Tx, originator int64, recs []mosaic.Record) (map[string][]chainRow, error) {
	out := map[string][]chainRow{}
	ids := make([]any, 0, len(recs))
	seen := make(map[string]bool, len(recs))
	for i := range recs {
		if id := recs[i].ID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for lo := 0; lo < len(ids); lo += chainQueryIDs {
		part := ids[lo:min(lo+chainQueryIDs, len(ids))]
		rows, err := tx.QueryContext(ctx, s.q(`SELECT stix_id, modified_key, audience_id, tlp, hash, orcon, legal_basis, review_by, multi FROM records
			WHERE originator = ? AND stix_id IN (`+placeholders(len(part))+`)`), append([]any{originator}, part...)...)
		if err != nil {
			return nil, mosaic.Internal(err, "query chains")
		}
		for rows.Next() {
			var id string
			var orcon, multi int
			var c chainRow
			if err := rows.Scan(&id, &c.modKey, &c.audience, &c.tlp, &c.hash, &orcon, &c.legal, &c.revBy, &multi); err != nil {
				rows.Close()
				return nil, mosaic.Internal(err, "scan chain")
			}
			c.orcon, c.multi = orcon == 1, multi == 1
			out[id] = append(out[id], c)
		}
		if err := rows.Close(); err != nil {
			return nil, mosaic.Internal(err, "scan chains")
		}
	}
	return out, nil
}

// MaxPageBytes bounds the STIX content of one page: a page ends early, with
// a cursor to go on, once its objects pass this size, so that a page of a
// thousand large objects is not held in memory whole. A page is held until
// its client has read it (up to gate.MaxWriting of them, each two or three
// times over while it is rendered), so this bounds the server's memory as
// much as the clients' pages: 4 MiB is four thousand typical indicators.
const MaxPageBytes = 4 << 20

// Objects lists the newest visible version of each (id, originator).
func (s *Store) Objects(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter) (mosaic.ObjectPage, error) {
	var page mosaic.ObjectPage
	if f.Limit <= 0 {
		return page, mosaic.Errorf(mosaic.CodeInvalid, "limit must be positive")
	}
	if !policy.SeesContent(v) {
		page.Objects = []mosaic.StoredObject{}
		return page, nil
	}
	if err := s.seekAdded(ctx, &f); err != nil {
		return page, err
	}
	query, args, err := s.listQuery(ctx, v, f)
	if err != nil {
		return page, err
	}
	page.Objects, page.Next, err = s.scanObjects(ctx, v, f.Limit, s.q(query), args...)
	return page, err
}

// Object returns visible versions of id, newest first (mosaic.Objects).
// It reads which versions there are first, without their content, and
// then only the versions it returns.
func (s *Store) Object(ctx context.Context, v mosaic.Viewer, id string, all bool) ([]mosaic.StoredObject, error) {
	vis, args := policy.VisibleClause(v, "r.audience_id", "")
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT r.seq, r.originator, length(r.object) FROM records r
		JOIN orgs o ON o.id = r.originator WHERE r.stix_id = ? AND `+vis+` ORDER BY r.modified_key DESC, o.name`), append([]any{id}, args...)...)
	if err != nil {
		return nil, mosaic.Internal(err, "query versions")
	}
	var pick []any
	seen := map[int64]bool{}
	more, size := 0, 0
	for rows.Next() {
		var seq, originator int64
		var n int
		if err := rows.Scan(&seq, &originator, &n); err != nil {
			rows.Close()
			return nil, mosaic.Internal(err, "scan versions")
		}
		switch {
		case !seen[originator]:
			seen[originator] = true
		case all && more < mosaic.MaxVersions && size+n <= mosaic.MaxVersionBytes:
			more++
		default:
			continue
		}
		size += n
		pick = append(pick, seq)
	}
	if err := rows.Close(); err != nil {
		return nil, mosaic.Internal(err, "scan versions")
	}
	if len(pick) == 0 {
		return nil, mosaic.Errorf(mosaic.CodeNotFound, "object %s not found", id)
	}
	// The visibility clause again: what was visible a moment ago is read
	// only if it still is.
	query := `SELECT ` + listColumns + `, ` + originatorColumns + ` FROM records r
		JOIN orgs o ON o.id = r.originator WHERE r.seq IN (` + placeholders(len(pick)) + `) AND ` + vis + ` ORDER BY r.modified_key DESC, o.name`
	objs, _, err := s.scanObjects(ctx, v, 0, s.q(query), append(pick, args...)...)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, mosaic.Errorf(mosaic.CodeNotFound, "object %s not found", id)
	}
	return objs, nil
}

// byOriginator reports whether a stored object names identity, its
// originator's, as its creator. Most objects do not hold the identity at
// all, which is cheaper to see than where a created_by_ref is.
func byOriginator(obj []byte, identity string) bool {
	if identity == "" {
		return false
	}
	// A UUID may be written in upper case (RFC 9562 §4). Most objects hold
	// the identity in neither spelling, which a byte search tells faster
	// than reading the object; one that mixes cases counts as a third
	// party's, served as it came in.
	if !bytes.Contains(obj, []byte(identity)) && !bytes.Contains(obj, []byte(upperUUID(identity))) {
		return false
	}
	return strings.EqualFold(stix.ReadHead(obj).CreatedBy, identity)
}

// upperUUID returns a STIX id with its UUID in upper case.
func upperUUID(id string) string {
	if i := strings.Index(id, "--"); i >= 0 {
		return id[:i] + strings.ToUpper(id[i:])
	}
	return id
}

// scanObjects reads the records a query selects, in its order. With limit
// above zero it reads at most limit records or MaxPageBytes of content and
// returns the position to continue before when there are more.
//
// The viewer's memberships are read before the records: a record the
// query returns through a compartment the viewer joined in between is
// dropped rather than shown with an audience that names none of its
// compartments. policy.ShownAudience makes that decision for each record.
func (s *Store) scanObjects(ctx context.Context, v mosaic.Viewer, limit int, query string, args ...any) ([]mosaic.StoredObject, int64, error) {
	memberships, err := s.memberships(ctx, s.r, v)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, mosaic.Internal(err, "query objects")
	}
	defer rows.Close()
	out := []mosaic.StoredObject{}
	var auds []int64
	var next, last int64
	read, size := 0, 0
	for rows.Next() {
		if limit > 0 && (read == limit || size >= MaxPageBytes) {
			next = last // there is more after the last record read
			break
		}
		var o mosaic.StoredObject
		var obj []byte
		var tlp, identity string
		var originator, aud, added int64
		var orcon int
		if err := rows.Scan(&o.Seq, &obj, &originator, &tlp, &aud, &orcon, &o.Envelope.LegalBasis, &o.Envelope.ReviewBy, &added, &o.Envelope.Originator, &identity); err != nil {
			return nil, 0, mosaic.Internal(err, "scan object")
		}
		o.Object, o.Envelope.TLP, o.Envelope.ORCON, o.Envelope.Added = obj, mosaic.TLP(tlp), orcon == 1, fromMicros(added)
		o.ByOriginator = byOriginator(obj, identity)
		out = append(out, o)
		auds = append(auds, aud)
		read, size, last = read+1, size+len(obj), o.Seq
	}
	if err := rows.Err(); err != nil {
		return nil, 0, mosaic.Internal(err, "scan objects")
	}
	// Release the connection before asking for another: a page that ends
	// early leaves rows unread, and readers each holding one connection
	// while waiting for a second would starve the pool.
	if err := rows.Close(); err != nil {
		return nil, 0, mosaic.Internal(err, "scan objects")
	}
	if len(out) == 0 {
		return out, next, nil
	}
	rowsByID, err := s.audienceRows(ctx, auds)
	if err != nil {
		return nil, 0, err
	}
	kept := out[:0]
	for i, o := range out {
		a := rowsByID[auds[i]]
		shown, ok := policy.ShownAudience(v, o.Envelope.Originator, mosaic.Audience{Cell: a.cell, Compartments: a.compartments}, memberships)
		if !ok {
			continue
		}
		o.Envelope.Audience = shown
		kept = append(kept, o)
	}
	return kept, next, nil
}

// Stats counts what v can see: the per-audience counts of single-audience
// chains, plus an exact count of the chains that span audiences.
func (s *Store) Stats(ctx context.Context, v mosaic.Viewer) (mosaic.Stats, error) {
	st := mosaic.Stats{ByType: map[string]int64{}, ByTLP: map[mosaic.TLP]int64{}, ByOriginator: map[string]int64{}}
	if !policy.SeesContent(v) {
		return st, nil
	}
	vis, args := policy.VisibleClause(v, "c.audience_id", "")
	rvis, rargs := policy.VisibleClause(v, "r.audience_id", "")
	nvis, nargs := policy.VisibleClause(v, "n.audience_id", "")
	query := `SELECT o.name, c.type, c.tlp, SUM(c.n) FROM record_counts c JOIN audiences a ON a.id = c.audience_id JOIN orgs o ON o.id = a.originator
		WHERE ` + vis + ` GROUP BY o.name, c.type, c.tlp
		UNION ALL
		SELECT o.name, r.type, r.tlp, COUNT(*) FROM records r JOIN orgs o ON o.id = r.originator
		WHERE r.multi = 1 AND ` + rvis + ` AND (r.superseded = 0 OR NOT EXISTS (SELECT 1 FROM records n WHERE n.stix_id = r.stix_id AND n.originator = r.originator AND n.modified_key > r.modified_key AND ` + nvis + `))
		GROUP BY o.name, r.type, r.tlp`
	all := append(append(args, rargs...), nargs...)
	rows, err := s.r.QueryContext(ctx, s.q(query), all...)
	if err != nil {
		return st, mosaic.Internal(err, "query stats")
	}
	defer rows.Close()
	for rows.Next() {
		var org, typ, tlp string
		var n int64
		if err := rows.Scan(&org, &typ, &tlp, &n); err != nil {
			return st, mosaic.Internal(err, "scan stats")
		}
		if n == 0 {
			continue
		}
		st.Total += n
		st.ByType[typ] += n
		st.ByTLP[mosaic.TLP(tlp)] += n
		st.ByOriginator[org] += n
	}
	return st, rows.Err()
}
