package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
)

var _ mosaic.FeedbackPictures = (*Store)(nil)

// recipientOrg is the organisation a delivery d reached: its own, or for
// a delivery to a user by name the user's (u, joined on d.user_id).
// Public deliveries reach no organisation in particular.
const recipientOrg = `COALESCE(d.org_id, u.org_id)`

// orgFilter is the condition, on the organisation name column col, under
// which f selects an organisation's feedback; "" when it selects every
// one.
func orgFilter(f mosaic.FeedbackFilter, col string) (string, []any) {
	var conds []string
	var args []any
	if f.Orgs != nil {
		if len(f.Orgs) == 0 {
			return `1 = 0`, nil
		}
		conds = append(conds, col+` IN (`+placeholders(len(f.Orgs))+`)`)
		args = append(args, anys(f.Orgs)...)
	}
	if len(f.Except) > 0 {
		conds = append(conds, col+` NOT IN (`+placeholders(len(f.Except))+`)`)
		args = append(args, anys(f.Except)...)
	}
	return strings.Join(conds, ` AND `), args
}

// feedbackSees is the condition under which sc reads the feedback of the
// organisation named by col on release r: every recipient's on a
// release of its own, those its filter selects on the others.
func feedbackSees(sc mosaic.FeedbackScope, drafter int64, col string) (string, []any) {
	cond, args := `r.drafter_org_id = ?`, []any{drafter}
	if !sc.Others {
		return `(` + cond + `)`, args
	}
	f, fargs := orgFilter(sc.Filter, col)
	if f == "" {
		return `(1 = 1)`, nil
	}
	return `(` + cond + ` OR (r.drafter_org_id <> ? AND ` + f + `))`, append(append(args, drafter), fargs...)
}

// releaseSees is the condition under which sc reads any feedback of
// release r, and so sees it in the picture: its own releases, and the
// others that reached an organisation whose feedback it reads (or the
// public, for a reader of every organisation but some). A release that
// reached only organisations whose feedback goes to other readers is not
// counted: its id and title are not for this reader.
func releaseSees(sc mosaic.FeedbackScope, drafter int64) (string, []any) {
	cond, args := `r.drafter_org_id = ?`, []any{drafter}
	if !sc.Others {
		return `(` + cond + `)`, args
	}
	f, fargs := orgFilter(sc.Filter, `o.name`)
	if f == "" {
		return `(1 = 1)`, nil
	}
	cond += ` OR EXISTS (SELECT 1 FROM release_deliveries d LEFT JOIN users u ON u.id = d.user_id JOIN orgs o ON o.id = ` + recipientOrg + `
		WHERE d.release_seq = r.seq AND ` + f + `)`
	args = append(args, fargs...)
	if sc.Filter.Orgs == nil {
		cond += ` OR EXISTS (SELECT 1 FROM release_deliveries d WHERE d.release_seq = r.seq AND d.kind = 'public')`
	}
	return `(` + cond + `)`, args
}

// FeedbackPicture returns the picture's feedback part as sc reads it. The
// counts are made per organisation in the database, under sc; only their
// sum per sector is made here, because an organisation's sectors are a
// list in one column.
func (s *Store) FeedbackPicture(ctx context.Context, sc mosaic.FeedbackScope, now time.Time) (mosaic.FeedbackPicture, error) {
	var out mosaic.FeedbackPicture
	var drafter sql.NullInt64
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT id FROM orgs WHERE name = ?`), sc.Drafter).Scan(&drafter); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return out, mosaic.Internal(err, "resolve the drafter")
	}
	me := drafter.Int64 // 0, which no organisation has, for none
	day, week, month := micros(now.Add(-24*time.Hour)), micros(now.Add(-7*24*time.Hour)), micros(now.Add(-30*24*time.Hour))
	end := micros(now)

	var drafted int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT 1 FROM releases WHERE drafter_org_id = ? AND published IS NOT NULL LIMIT 1) x`), me).Scan(&drafted); err != nil {
		return out, mosaic.Internal(err, "query drafted releases")
	}
	out.Drafted = drafted > 0

	rsees, rargs := releaseSees(sc, me)
	window := `r.published IS NOT NULL AND r.published >= ? AND r.published <= ?`
	args := append([]any{day, week, month, end}, rargs...)
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(CASE WHEN r.published >= ? THEN 1 END), COUNT(CASE WHEN r.published >= ? THEN 1 END), COUNT(*)
		FROM releases r WHERE `+window+` AND `+rsees), args...).Scan(&out.Published.Day, &out.Published.Week, &out.Published.Month); err != nil {
		return out, mosaic.Internal(err, "count releases")
	}

	if err := s.sectorFeedback(ctx, sc, me, month, end, &out); err != nil {
		return out, err
	}

	args = append([]any{month, end}, rargs...)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT r.seq, r.id, r.title, r.tlp, r.published, r.withdrawn FROM releases r
		WHERE `+window+` AND `+rsees+` ORDER BY r.published DESC, r.seq DESC LIMIT `+strconv.Itoa(mosaic.PictureReleases)), args...)
	if err != nil {
		return out, mosaic.Internal(err, "query releases")
	}
	var seqs []any
	bySeq := map[int64]int{}
	for rows.Next() {
		var rf mosaic.ReleaseFeedback
		var seq, published int64
		var tlp string
		var withdrawn sql.NullInt64
		if err := rows.Scan(&seq, &rf.ID, &rf.Title, &tlp, &published, &withdrawn); err != nil {
			rows.Close()
			return out, mosaic.Internal(err, "scan release")
		}
		rf.TLP, rf.Published, rf.Recipients = mosaic.TLP(tlp), fromMicros(published), []mosaic.RecipientFeedback{}
		if withdrawn.Valid {
			rf.Withdrawn = fromMicros(withdrawn.Int64)
		}
		bySeq[seq] = len(out.Releases)
		seqs = append(seqs, seq)
		out.Releases = append(out.Releases, rf)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return out, mosaic.Internal(err, "query releases")
	}
	if len(seqs) == 0 {
		return out, nil
	}
	return out, s.recipientFeedback(ctx, sc, me, seqs, bySeq, &out)
}

// sectorFeedback counts, per stakeholder organisation whose feedback sc
// reads, the deliveries of the last 30 days and what came of them, and
// the sightings it reported, and sums them per sector.
func (s *Store) sectorFeedback(ctx context.Context, sc mosaic.FeedbackScope, me, since, end int64, out *mosaic.FeedbackPicture) error {
	type counts struct{ deliveries, acknowledged, applied, sightings int64 }
	byOrg := map[int64]*counts{}
	of := func(id int64) *counts {
		c := byOrg[id]
		if c == nil {
			c = &counts{}
			byOrg[id] = c
		}
		return c
	}
	sees, sargs := feedbackSees(sc, me, `o.name`)
	// A release that reached an organisation twice (by name and by its
	// sector) is one delivery.
	// What sc may read is decided inside the pairs, so that a partner
	// that reads only its own releases' feedback walks only those
	// (releases_drafter_org), not every delivery of the month; each
	// pair's latest receipt is found once, from the receipts' own
	// grouping, rather than by a lookup per pair.
	rows, err := s.r.QueryContext(ctx, s.q(`WITH p AS (SELECT DISTINCT d.release_seq AS rs, o.id AS org_id
			FROM release_deliveries d JOIN releases r ON r.seq = d.release_seq LEFT JOIN users u ON u.id = d.user_id
			JOIN orgs o ON o.id = `+recipientOrg+`
			WHERE d.kind <> 'public' AND r.published >= ? AND r.published <= ? AND o.kind = 'stakeholder' AND `+sees+`),
		rc AS (SELECT x.release_seq, x.org_id, MAX(x.seq) AS last FROM release_receipts x
			WHERE x.release_seq IN (SELECT rs FROM p) GROUP BY x.release_seq, x.org_id)
		SELECT p.org_id, COUNT(*), COUNT(rc.last), COUNT(CASE WHEN lx.status = 'applied' THEN 1 END)
		FROM p LEFT JOIN rc ON rc.release_seq = p.rs AND rc.org_id = p.org_id LEFT JOIN release_receipts lx ON lx.seq = rc.last
		GROUP BY p.org_id`), append([]any{since, end}, sargs...)...)
	if err != nil {
		return mosaic.Internal(err, "count deliveries")
	}
	for rows.Next() {
		var id int64
		var c counts
		if err := rows.Scan(&id, &c.deliveries, &c.acknowledged, &c.applied); err != nil {
			rows.Close()
			return mosaic.Internal(err, "scan deliveries")
		}
		x := of(id)
		x.deliveries, x.acknowledged, x.applied = c.deliveries, c.acknowledged, c.applied
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return mosaic.Internal(err, "count deliveries")
	}
	rows, err = s.r.QueryContext(ctx, s.q(`SELECT x.org_id, COUNT(*) FROM release_sightings x JOIN releases r ON r.seq = x.release_seq JOIN orgs o ON o.id = x.org_id
		WHERE x.time >= ? AND x.time <= ? AND o.kind = 'stakeholder' AND `+sees+` GROUP BY x.org_id`), append([]any{since, end}, sargs...)...)
	if err != nil {
		return mosaic.Internal(err, "count sightings")
	}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return mosaic.Internal(err, "scan sightings")
		}
		of(id).sightings = n
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return mosaic.Internal(err, "count sightings")
	}
	if len(byOrg) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(byOrg))
	for id := range byOrg {
		ids = append(ids, id)
	}
	rows, err = s.r.QueryContext(ctx, s.q(`SELECT id, sectors FROM orgs WHERE id IN (`+placeholders(len(ids))+`)`), anys(ids)...)
	if err != nil {
		return mosaic.Internal(err, "query sectors")
	}
	defer rows.Close()
	bySector := map[string]*mosaic.SectorFeedback{}
	for rows.Next() {
		var id int64
		var sectors string
		if err := rows.Scan(&id, &sectors); err != nil {
			return mosaic.Internal(err, "scan sectors")
		}
		if sectors == "" {
			continue
		}
		c := byOrg[id]
		for _, name := range strings.Split(sectors, ",") {
			sf := bySector[name]
			if sf == nil {
				sf = &mosaic.SectorFeedback{Sector: name}
				bySector[name] = sf
			}
			sf.Deliveries += c.deliveries
			sf.Acknowledged += c.acknowledged
			sf.Applied += c.applied
			sf.Sightings += c.sightings
		}
	}
	if err := rows.Err(); err != nil {
		return mosaic.Internal(err, "query sectors")
	}
	for _, sf := range bySector {
		out.Sectors = append(out.Sectors, *sf)
	}
	slices.SortFunc(out.Sectors, func(a, b mosaic.SectorFeedback) int { return strings.Compare(a.Sector, b.Sector) })
	return nil
}

// recipientFeedback adds to each release of out the organisations it
// reached, and those that read or reported on it (a public release
// reaches no organisation by name), whose feedback sc reads.
func (s *Store) recipientFeedback(ctx context.Context, sc mosaic.FeedbackScope, me int64, seqs []any, bySeq map[int64]int, out *mosaic.FeedbackPicture) error {
	in := `(` + placeholders(len(seqs)) + `)`
	sees, sargs := feedbackSees(sc, me, `o.name`)
	args := slices.Concat(seqs, seqs, seqs, seqs, sargs)
	rows, err := s.r.QueryContext(ctx, s.q(`WITH w AS (
			SELECT d.release_seq AS rs, `+recipientOrg+` AS org_id FROM release_deliveries d LEFT JOIN users u ON u.id = d.user_id
				WHERE d.release_seq IN `+in+` AND d.kind <> 'public'
			UNION SELECT release_seq, org_id FROM release_receipts WHERE release_seq IN `+in+`
			UNION SELECT release_seq, org_id FROM release_sightings WHERE release_seq IN `+in+`
			UNION SELECT release_seq, org_id FROM release_reads WHERE release_seq IN `+in+`)
		SELECT w.rs, o.name, r.published,
			(SELECT MIN(x.first_read) FROM release_reads x WHERE x.release_seq = w.rs AND x.org_id = w.org_id),
			(SELECT x.status FROM release_receipts x WHERE x.release_seq = w.rs AND x.org_id = w.org_id ORDER BY x.seq DESC LIMIT 1),
			(SELECT x.time FROM release_receipts x WHERE x.release_seq = w.rs AND x.org_id = w.org_id ORDER BY x.seq DESC LIMIT 1),
			(SELECT COUNT(*) FROM release_sightings x WHERE x.release_seq = w.rs AND x.org_id = w.org_id)
		FROM w JOIN releases r ON r.seq = w.rs JOIN orgs o ON o.id = w.org_id
		WHERE `+sees+` ORDER BY w.rs, o.name`), args...)
	if err != nil {
		return mosaic.Internal(err, "query recipients")
	}
	defer rows.Close()
	for rows.Next() {
		var seq, published int64
		var rf mosaic.RecipientFeedback
		var read, at sql.NullInt64
		var status sql.NullString
		if err := rows.Scan(&seq, &rf.Org, &published, &read, &status, &at, &rf.Sightings); err != nil {
			return mosaic.Internal(err, "scan recipient")
		}
		rf.Delivered = fromMicros(published)
		if read.Valid {
			rf.Read = fromMicros(read.Int64)
		}
		if status.Valid {
			rf.Status, rf.StatusAt = mosaic.ReceiptStatus(status.String), fromMicros(at.Int64)
		}
		i := bySeq[seq]
		out.Releases[i].Recipients = append(out.Releases[i].Recipients, rf)
	}
	if err := rows.Err(); err != nil {
		return mosaic.Internal(err, "query recipients")
	}
	return nil
}

// NoteRead records org's (or user's) first read of release id. Reads are
// many and first reads few: the row is looked for before a write is
// taken, and the insert keeps the first of two racing reads.
func (s *Store) NoteRead(ctx context.Context, id, org, user string, at time.Time) error {
	var seq, orgID int64
	var userID sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT r.seq, o.id, (SELECT u.id FROM users u WHERE u.name = ? AND u.org_id = o.id)
		FROM releases r, orgs o WHERE r.id = ? AND r.published IS NOT NULL AND o.name = ?`), user, id, org).Scan(&seq, &orgID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return releaseNotFound(id)
	}
	if err != nil {
		return mosaic.Internal(err, "resolve a read")
	}
	if user != "" && !userID.Valid {
		return mosaic.Errorf(mosaic.CodeNotFound, "user %s of %s not found", user, org)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM release_reads WHERE release_seq = ? AND org_id = ? AND COALESCE(user_id, 0) = ?`),
		seq, orgID, userID.Int64).Scan(&n); err != nil {
		return mosaic.Internal(err, "query reads")
	}
	if n > 0 {
		return nil
	}
	var u any
	if userID.Valid {
		u = userID.Int64
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO release_reads (release_seq, org_id, user_id, first_read) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			seq, orgID, u, micros(at)); err != nil {
			return mosaic.Internal(err, "insert read")
		}
		return nil
	})
}

// FeedbackAfter returns the feedback events sc reads after the position.
// Each table is read up to its newest row as the query starts, so that
// the next position passes over what sc does not read.
func (s *Store) FeedbackAfter(ctx context.Context, sc mosaic.FeedbackScope, after mosaic.FeedbackPosition, limit int) ([]mosaic.FeedbackEvent, mosaic.FeedbackPosition, error) {
	next := after
	top, err := s.LastFeedback(ctx)
	if err != nil {
		return nil, next, err
	}
	var me sql.NullInt64
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT id FROM orgs WHERE name = ?`), sc.Drafter).Scan(&me); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, next, mosaic.Internal(err, "resolve the drafter")
	}
	sees, sargs := feedbackSees(sc, me.Int64, `o.name`)
	limit = max(1, min(limit, releaseListMax))
	var out []mosaic.FeedbackEvent
	read := func(kind, query string, from, to int64) (int64, error) {
		rows, err := s.r.QueryContext(ctx, s.q(query), append([]any{from, to}, sargs...)...)
		if err != nil {
			return from, mosaic.Internal(err, "query feedback")
		}
		defer rows.Close()
		n, last := 0, from
		for rows.Next() {
			var e mosaic.FeedbackEvent
			var at int64
			if err := rows.Scan(&last, &e.Release, &e.Org, &at); err != nil {
				return from, mosaic.Internal(err, "scan feedback")
			}
			e.Kind, e.Time = kind, fromMicros(at)
			out = append(out, e)
			n++
		}
		if err := rows.Err(); err != nil {
			return from, mosaic.Internal(err, "query feedback")
		}
		if n < limit {
			return to, nil
		}
		return last, nil
	}
	if next.Receipt, err = read(mosaic.FeedbackReceipt, `SELECT x.seq, r.id, o.name, x.time FROM release_receipts x
		JOIN releases r ON r.seq = x.release_seq JOIN orgs o ON o.id = x.org_id
		WHERE x.seq > ? AND x.seq <= ? AND `+sees+` ORDER BY x.seq LIMIT `+strconv.Itoa(limit), after.Receipt, max(after.Receipt, top.Receipt)); err != nil {
		return nil, after, err
	}
	// The sightings of one report are one event: a report holds up to a
	// thousand, and the stream says that feedback came, not how much.
	if next.Sighting, err = read(mosaic.FeedbackSighting, `SELECT MAX(x.seq), r.id, o.name, x.time FROM release_sightings x
		JOIN releases r ON r.seq = x.release_seq JOIN orgs o ON o.id = x.org_id
		WHERE x.seq > ? AND x.seq <= ? AND `+sees+` GROUP BY r.id, o.name, x.time ORDER BY MAX(x.seq) LIMIT `+strconv.Itoa(limit), after.Sighting, max(after.Sighting, top.Sighting)); err != nil {
		return nil, after, err
	}
	return out, next, nil
}

// LastFeedback returns the newest receipt's and sighting's positions.
func (s *Store) LastFeedback(ctx context.Context) (mosaic.FeedbackPosition, error) {
	var p mosaic.FeedbackPosition
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM release_receipts), 0), COALESCE((SELECT MAX(seq) FROM release_sightings), 0)`).
		Scan(&p.Receipt, &p.Sighting); err != nil {
		return p, mosaic.Internal(err, "query feedback positions")
	}
	return p, nil
}

// FeedbackVersion reads the newest of everything the picture counts, each
// from a primary key or a small index, never the releases' rows (they
// hold the bundles): receipts and sightings by their sequence, first
// reads by their number, and publications and withdrawals by the newest
// released object, since both add some.
func (s *Store) FeedbackVersion(ctx context.Context) (string, error) {
	var receipts, sightings, reads, released int64
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(MAX(seq), 0) FROM release_receipts),
		(SELECT COALESCE(MAX(seq), 0) FROM release_sightings),
		(SELECT COUNT(*) FROM release_reads),
		(SELECT COALESCE(MAX(seq), 0) FROM released_objects)`).Scan(&receipts, &sightings, &reads, &released)
	if err != nil {
		return "", mosaic.Internal(err, "read the feedback version")
	}
	return strconv.FormatInt(receipts, 10) + "." + strconv.FormatInt(sightings, 10) + "." + strconv.FormatInt(reads, 10) + "." +
		strconv.FormatInt(released, 10), nil
}
