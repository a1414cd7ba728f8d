package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mosaic"
)

// matchChunk is how many tokens one matching query names: well inside
// both databases' limits on bound parameters, and large enough that a batch
// of a thousand tokens takes two round trips.
const matchChunk = 500

// PublishEpoch keeps rec unless it is already kept.
func (s *Store) PublishEpoch(ctx context.Context, rec mosaic.EpochRecord, a mosaic.AuditEntry) (bool, error) {
	added := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		var pub []byte
		err := tx.QueryRowContext(ctx, s.q(`SELECT public_key FROM deconfliction_epochs WHERE epoch = ?`), rec.Epoch).Scan(&pub)
		if err == nil {
			if !bytes.Equal(pub, rec.PublicKey) {
				return mosaic.Errorf(mosaic.CodeConflict, "epoch %d already has another public key; a new key needs a new epoch", rec.Epoch)
			}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return mosaic.Internal(err, "read epoch")
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO deconfliction_epochs (epoch, suite, public_key, not_before, signer, signature, published) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			rec.Epoch, rec.Suite, rec.PublicKey, micros(rec.NotBefore), rec.Signer, rec.Signature, micros(s.clock.Now())); err != nil {
			if s.d.IsUnique(err) {
				return mosaic.Errorf(mosaic.CodeConflict, "epoch %d was published at the same time by another process; try again", rec.Epoch)
			}
			return mosaic.Internal(err, "insert epoch")
		}
		added = true
		return s.appendAudit(ctx, tx, a)
	})
	return added, err
}

// Epochs lists the published epochs, oldest first.
func (s *Store) Epochs(ctx context.Context) ([]mosaic.EpochRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT epoch, suite, public_key, not_before, signer, signature, published FROM deconfliction_epochs ORDER BY epoch`)
	if err != nil {
		return nil, mosaic.Internal(err, "query epochs")
	}
	defer rows.Close()
	var out []mosaic.EpochRecord
	for rows.Next() {
		var r mosaic.EpochRecord
		var nb, pub int64
		if err := rows.Scan(&r.Epoch, &r.Suite, &r.PublicKey, &nb, &r.Signer, &r.Signature, &pub); err != nil {
			return nil, mosaic.Internal(err, "scan epoch")
		}
		r.NotBefore, r.Published = fromMicros(nb), fromMicros(pub)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query epochs")
	}
	return out, nil
}

func budgetDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// SpendBudget takes n from the day's pool of v's organisation.
func (s *Store) SpendBudget(ctx context.Context, v mosaic.Viewer, pool mosaic.BudgetPool, n, limit int, a mosaic.AuditEntry) (mosaic.EvaluationBudget, error) {
	var b mosaic.EvaluationBudget
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if b, err = s.spend(ctx, tx, v.OrgID, pool, n, limit); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
	return b, s.refused(ctx, err, a)
}

// refused audits a as a denial when err is a spent budget.
func (s *Store) refused(ctx context.Context, err error, a mosaic.AuditEntry) error {
	if mosaic.ErrorCode(err) != mosaic.CodeRateLimited {
		return err
	}
	a.Decision, a.Detail = mosaic.Denied, a.Detail+": "+mosaic.ErrorMessage(err)
	return errors.Join(err, s.AppendAudit(ctx, []mosaic.AuditEntry{a}))
}

// spend takes n from a pool inside tx, or returns CodeRateLimited.
func (s *Store) spend(ctx context.Context, tx *sql.Tx, org int64, pool mosaic.BudgetPool, n, limit int) (mosaic.EvaluationBudget, error) {
	b := mosaic.EvaluationBudget{Pool: pool, Day: budgetDay(s.clock.Now()), Limit: limit}
	// The upsert takes the row's lock on PostgreSQL before the read, so two
	// replicas spending at once cannot both see the old count.
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO deconfliction_budgets (org_id, pool, day, used) VALUES (?, ?, ?, 0) ON CONFLICT (org_id, pool, day) DO UPDATE SET used = deconfliction_budgets.used`),
		org, string(pool), b.Day); err != nil {
		return b, mosaic.Internal(err, "lock budget")
	}
	if err := tx.QueryRowContext(ctx, s.q(`SELECT used FROM deconfliction_budgets WHERE org_id = ? AND pool = ? AND day = ?`), org, string(pool), b.Day).Scan(&b.Used); err != nil {
		return b, mosaic.Internal(err, "read budget")
	}
	if n < 0 || b.Used+n > limit {
		what := "evaluations"
		if pool == mosaic.PoolSubmit {
			what = "submitted tokens"
		}
		return b, mosaic.Errorf(mosaic.CodeRateLimited, "the daily budget of %d %s is spent (%d used, %d asked) until the end of the UTC day", limit, what, b.Used, n)
	}
	b.Used += n
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE deconfliction_budgets SET used = ? WHERE org_id = ? AND pool = ? AND day = ?`), b.Used, org, string(pool), b.Day); err != nil {
		return b, mosaic.Internal(err, "spend budget")
	}
	return b, nil
}

// Budget returns the day's pool of v's organisation.
func (s *Store) Budget(ctx context.Context, v mosaic.Viewer, pool mosaic.BudgetPool, limit int) (mosaic.EvaluationBudget, error) {
	b := mosaic.EvaluationBudget{Pool: pool, Day: budgetDay(s.clock.Now()), Limit: limit}
	err := s.r.QueryRowContext(ctx, s.q(`SELECT used FROM deconfliction_budgets WHERE org_id = ? AND pool = ? AND day = ?`), v.OrgID, string(pool), b.Day).Scan(&b.Used)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return b, mosaic.Internal(err, "read budget")
	}
	return b, nil
}

type heldToken struct {
	org     int64
	orgName string
	ref     string
}

// Submit registers or checks a batch.
func (s *Store) Submit(ctx context.Context, v mosaic.Viewer, sub mosaic.Submission, a mosaic.AuditEntry) (mosaic.SubmissionResult, error) {
	var res mosaic.SubmissionResult
	now := s.clock.Now()
	if sub.RequestID == "" {
		return res, mosaic.Errorf(mosaic.CodeInvalid, "a request id is needed")
	}
	if !sub.Check {
		if sub.Ref == "" {
			return res, mosaic.Errorf(mosaic.CodeInvalid, "a registration needs a reference")
		}
		if !sub.Expires.After(now) {
			return res, mosaic.Errorf(mosaic.CodeInvalid, "the expiry must be in the future")
		}
	}
	kind := "register"
	if sub.Check {
		kind = "check"
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res = mosaic.SubmissionResult{}
		if sub.Limit > 0 {
			if _, err := s.spend(ctx, tx, v.OrgID, mosaic.PoolSubmit, len(sub.Tokens), sub.Limit); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO deconfliction_requests (request_id, org_id, created) VALUES (?, ?, ?)`), sub.RequestID, v.OrgID, micros(now)); err != nil {
			if s.d.IsUnique(err) {
				return mosaic.Errorf(mosaic.CodeConflict, "this request was already made; a replayed request is refused")
			}
			return mosaic.Internal(err, "insert request id")
		}
		// Expired registrations go: they can never match again, and a
		// token kept is a token someone with the key could one day invert.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM deconfliction_registrations WHERE expires <= ?`), micros(now)); err != nil {
			return mosaic.Internal(err, "purge expired registrations")
		}
		// A token twice in one submission is one interest, one hit.
		seen := map[string]bool{}
		var holders []int64 // the holder organisation of each hit
		for start := 0; start < len(sub.Tokens); start += matchChunk {
			chunk := sub.Tokens[start:min(start+matchChunk, len(sub.Tokens))]
			held, err := s.heldBy(ctx, tx, v.OrgID, sub.Epoch, chunk, now)
			if err != nil {
				return err
			}
			var own map[string]bool
			if !sub.Check {
				if own, err = s.ownLive(ctx, tx, v.OrgID, sub.Epoch, sub.Ref, chunk, now); err != nil {
					return err
				}
				if err := s.upsertRegistrations(ctx, tx, v.OrgID, sub, chunk, now); err != nil {
					return err
				}
			}
			for i, t := range chunk {
				if own[string(t.Token)] || seen[string(t.Token)] {
					continue
				}
				seen[string(t.Token)] = true
				for _, h := range held[string(t.Token)] {
					res.Hits = append(res.Hits, mosaic.Hit{Time: now, Epoch: sub.Epoch, Type: t.Type, Kind: kind, Org: v.Org, Ref: sub.Ref,
						HolderOrg: h.orgName, HolderRef: h.ref, Index: start + i})
					holders = append(holders, h.org)
				}
			}
			res.Accepted += len(chunk)
		}
		if err := s.insertHits(ctx, tx, v, res.Hits, holders); err != nil {
			return err
		}
		entries := make([]mosaic.AuditEntry, 0, 1+len(res.Hits))
		entries = append(entries, a)
		for _, h := range res.Hits {
			// The auditor sees every hit, so the global id tells it
			// nothing new; the sides' own numbers are what each was shown.
			entries = append(entries, mosaic.AuditEntry{Time: now, UserID: a.UserID, User: a.User, Org: a.Org, Action: "deconfliction.hit", Decision: mosaic.Allowed,
				Detail: fmt.Sprintf("global hit id %d (%s's hit %d, %s's hit %d): %s selector in epoch %d, %s of %s (ref %q) and registration of %s (ref %q)",
					h.ID, h.Org, h.OrgSeq, h.HolderOrg, h.HolderSeq, h.Type, h.Epoch, h.Kind, h.Org, h.Ref, h.HolderOrg, h.HolderRef)})
		}
		return s.appendAuditBatch(ctx, tx, entries)
	})
	return res, s.refused(ctx, err, a)
}

// hitRows is how many hits or audit entries one INSERT writes: a batch of
// a thousand tokens can make thousands of hits, and one round trip each
// would make PostgreSQL the slow store for no reason.
const hitRows = 100

// insertHits stores hits and sets their ids and both sides' numbers, in
// commit order. Ids are handed out in the order of the VALUES list on both
// databases; the returned ids are sorted rather than trusting RETURNING's
// row order, which neither promises. Each side's numbers are handed out in
// the same order, so an organisation's numbers and the ids agree.
func (s *Store) insertHits(ctx context.Context, tx *sql.Tx, v mosaic.Viewer, hits []mosaic.Hit, holders []int64) error {
	if len(hits) == 0 {
		return nil
	}
	if s.d.Name() == "postgres" {
		// An identity column hands out ids when rows are inserted, not when
		// they commit: without the lock a hit numbered 10 could commit
		// after one numbered 11, and a live stream that had read up to 11
		// would never show it. The same holds for each organisation's
		// numbers, which are read from the committed hits below (a fresh
		// snapshot per statement, READ COMMITTED) and so must not change
		// until this transaction commits: the lock, held to the end of the
		// transaction, keeps every other writer of hits out and leaves
		// plain reads alone. SQLite has one writer.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE deconfliction_hits IN EXCLUSIVE MODE`); err != nil {
			return mosaic.Internal(err, "lock hits")
		}
	}
	last, err := s.lastHitNumbers(ctx, tx, append([]int64{v.OrgID}, holders...))
	if err != nil {
		return err
	}
	for i := range hits {
		last[v.OrgID]++
		last[holders[i]]++
		hits[i].OrgSeq, hits[i].HolderSeq = last[v.OrgID], last[holders[i]]
	}
	for start := 0; start < len(hits); start += hitRows {
		part := hits[start:min(start+hitRows, len(hits))]
		args := make([]any, 0, 10*len(part))
		for i, h := range part {
			args = append(args, micros(h.Time), h.Epoch, h.Type, h.Kind, v.OrgID, h.Ref, holders[start+i], h.HolderRef, h.OrgSeq, h.HolderSeq)
		}
		rows, err := tx.QueryContext(ctx, s.q(`INSERT INTO deconfliction_hits (created, epoch, selector_type, kind, org_id, ref, holder_org_id, holder_ref, org_seq, holder_seq) VALUES `+
			valuesList(10, len(part))+` RETURNING id`), args...)
		if err != nil {
			return mosaic.Internal(err, "insert hits")
		}
		ids := make([]int64, 0, len(part))
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return mosaic.Internal(err, "insert hits")
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) != len(part) {
			return mosaic.Internal(fmt.Errorf("%d ids for %d hits: %v", len(ids), len(part), err), "insert hits")
		}
		slices.Sort(ids)
		for i := range part {
			part[i].ID = ids[i]
		}
	}
	return nil
}

// lastHitNumbers returns, for each of orgs, the number of its newest hit
// (0 for none): the larger of its numbers as submitter and as holder. Each
// is two lookups at the end of an index, whatever the number of hits.
func (s *Store) lastHitNumbers(ctx context.Context, tx *sql.Tx, orgs []int64) (map[int64]int64, error) {
	last := map[int64]int64{}
	for _, org := range orgs {
		if _, ok := last[org]; ok {
			continue
		}
		var n int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(n), 0) FROM (
			SELECT MAX(org_seq) AS n FROM deconfliction_hits WHERE org_id = ?
			UNION ALL
			SELECT MAX(holder_seq) FROM deconfliction_hits WHERE holder_org_id = ?) m`), org, org).Scan(&n); err != nil {
			return nil, mosaic.Internal(err, "read hit numbers")
		}
		last[org] = n
	}
	return last, nil
}

// appendAuditBatch appends entries with multi-row INSERTs, as
// appendAudit does one by one.
func (s *Store) appendAuditBatch(ctx context.Context, tx *sql.Tx, entries []mosaic.AuditEntry) error {
	for start := 0; start < len(entries); start += hitRows {
		part := entries[start:min(start+hitRows, len(entries))]
		args := make([]any, 0, 8*len(part))
		for _, e := range part {
			var uid any
			if e.UserID != 0 {
				uid = e.UserID
			}
			args = append(args, micros(e.Time), uid, e.User, e.Org, e.Action, strings.Join(e.ObjectIDs, " "), string(e.Decision), e.Detail)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit (time, user_id, user_name, org, action, object_ids, decision, detail) VALUES `+valuesList(8, len(part))), args...); err != nil {
			return mosaic.Internal(err, "append audit")
		}
	}
	return nil
}

// valuesList returns n rows of width placeholders: "(?, ?), (?, ?)".
func valuesList(width, n int) string {
	row := "(" + placeholders(width) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// heldBy returns, for each token of chunk, the live registrations of
// organisations other than org in epoch.
func (s *Store) heldBy(ctx context.Context, tx *sql.Tx, org int64, epoch int, chunk []mosaic.DeconflictionToken, now time.Time) (map[string][]heldToken, error) {
	args := make([]any, 0, len(chunk)+3)
	args = append(args, epoch)
	for _, t := range chunk {
		args = append(args, t.Token)
	}
	args = append(args, micros(now), org)
	rows, err := tx.QueryContext(ctx, s.q(`SELECT r.token, r.org_id, o.name, r.ref FROM deconfliction_registrations r JOIN orgs o ON o.id = r.org_id
		WHERE r.epoch = ? AND r.token IN (`+placeholders(len(chunk))+`) AND r.expires > ? AND r.org_id <> ? ORDER BY o.name, r.ref`), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "match tokens")
	}
	defer rows.Close()
	out := map[string][]heldToken{}
	for rows.Next() {
		var tok []byte
		var h heldToken
		if err := rows.Scan(&tok, &h.org, &h.orgName, &h.ref); err != nil {
			return nil, mosaic.Internal(err, "scan match")
		}
		out[string(tok)] = append(out[string(tok)], h)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "match tokens")
	}
	return out, nil
}

// ownLive returns the tokens of chunk org already holds, live, under ref.
func (s *Store) ownLive(ctx context.Context, tx *sql.Tx, org int64, epoch int, ref string, chunk []mosaic.DeconflictionToken, now time.Time) (map[string]bool, error) {
	args := make([]any, 0, len(chunk)+4)
	args = append(args, org, epoch, ref)
	for _, t := range chunk {
		args = append(args, t.Token)
	}
	args = append(args, micros(now))
	rows, err := tx.QueryContext(ctx, s.q(`SELECT token FROM deconfliction_registrations WHERE org_id = ? AND epoch = ? AND ref = ? AND token IN (`+placeholders(len(chunk))+`) AND expires > ?`), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "read own registrations")
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var tok []byte
		if err := rows.Scan(&tok); err != nil {
			return nil, mosaic.Internal(err, "scan own registration")
		}
		out[string(tok)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "read own registrations")
	}
	return out, nil
}

func (s *Store) upsertRegistrations(ctx context.Context, tx *sql.Tx, org int64, sub mosaic.Submission, chunk []mosaic.DeconflictionToken, now time.Time) error {
	// A token twice in one statement would make the upsert touch a row
	// twice, which PostgreSQL refuses.
	seen := map[string]bool{}
	args := make([]any, 0, 7*len(chunk))
	n := 0
	for _, t := range chunk {
		if seen[string(t.Token)] {
			continue
		}
		seen[string(t.Token)] = true
		args = append(args, org, sub.Epoch, t.Token, t.Type, sub.Ref, micros(now), micros(sub.Expires))
		n++
	}
	if n == 0 {
		return nil
	}
	vals := valuesList(7, n)
	// A renewed registration keeps its token and reference; a dead one
	// (expired) comes back to life as if new.
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO deconfliction_registrations (org_id, epoch, token, selector_type, ref, created, expires) VALUES `+vals+`
		ON CONFLICT (org_id, epoch, token, ref) DO UPDATE SET expires = excluded.expires, selector_type = excluded.selector_type,
		created = CASE WHEN deconfliction_registrations.expires > excluded.created THEN deconfliction_registrations.created ELSE excluded.created END`), args...); err != nil {
		return mosaic.Internal(err, "insert registrations")
	}
	return nil
}

// Registrations lists v's organisation's live registrations.
func (s *Store) Registrations(ctx context.Context, v mosaic.Viewer) ([]mosaic.RegistrationGroup, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT ref, epoch, selector_type, COUNT(*), MAX(created), MAX(expires) FROM deconfliction_registrations
		WHERE org_id = ? AND expires > ? GROUP BY ref, epoch, selector_type ORDER BY ref, epoch, selector_type`), v.OrgID, micros(s.clock.Now()))
	if err != nil {
		return nil, mosaic.Internal(err, "query registrations")
	}
	defer rows.Close()
	out := []mosaic.RegistrationGroup{}
	for rows.Next() {
		var g mosaic.RegistrationGroup
		var c, e int64
		if err := rows.Scan(&g.Ref, &g.Epoch, &g.Type, &g.Count, &c, &e); err != nil {
			return nil, mosaic.Internal(err, "scan registrations")
		}
		g.Registered, g.Expires = fromMicros(c), fromMicros(e)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query registrations")
	}
	return out, nil
}

// RemoveRegistrations removes v's organisation's registrations under ref.
func (s *Store) RemoveRegistrations(ctx context.Context, v mosaic.Viewer, ref string, a mosaic.AuditEntry) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, s.q(`DELETE FROM deconfliction_registrations WHERE org_id = ? AND ref = ?`), v.OrgID, ref)
		if err != nil {
			return mosaic.Internal(err, "remove registrations")
		}
		if n, err = r.RowsAffected(); err != nil {
			return mosaic.Internal(err, "remove registrations")
		}
		if n == 0 {
			return mosaic.Errorf(mosaic.CodeNotFound, "no registrations under reference %q", ref)
		}
		a.Detail = fmt.Sprintf("%s (%d registrations)", a.Detail, n)
		return s.appendAudit(ctx, tx, a)
	})
	return int(n), err
}

// Hits lists the hits org was a side of, or all.
func (s *Store) Hits(ctx context.Context, org string, limit int) ([]mosaic.Hit, error) {
	return s.queryHits(ctx, org, 0, limit, "DESC")
}

// HitsAfter lists the hits org was a side of with org's numbers above
// after, or all with ids above after, oldest first.
func (s *Store) HitsAfter(ctx context.Context, org string, after int64, limit int) ([]mosaic.Hit, error) {
	return s.queryHits(ctx, org, after, limit, "ASC")
}

// queryHits lists hits numbered above after, in order ("ASC" or "DESC") of
// their numbers: org's own when org is named, the ids otherwise. Every
// direction walks an index: a live stream asks from just behind the
// newest hit, so it reads only what arrived since.
func (s *Store) queryHits(ctx context.Context, org string, after int64, limit int, order string) ([]mosaic.Hit, error) {
	out := []mosaic.Hit{}
	if limit <= 0 {
		return out, nil
	}
	q := `SELECT h.id, h.org_seq, h.holder_seq, h.created, h.epoch, h.selector_type, h.kind, o.name, h.ref, ho.name, h.holder_ref FROM deconfliction_hits h
		JOIN orgs o ON o.id = h.org_id JOIN orgs ho ON ho.id = h.holder_org_id`
	var args []any
	if org == "" {
		q += ` WHERE h.id > ? ORDER BY h.id ` + order + ` LIMIT ?`
		args = append(args, after, limit)
	} else {
		var id int64
		err := s.r.QueryRowContext(ctx, s.q(`SELECT id FROM orgs WHERE name = ?`), org).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, mosaic.Internal(err, "query hits")
		}
		// An organisation is never both sides of one hit, so each hit
		// matches one of the terms, each of which an index answers.
		q += ` WHERE (h.org_id = ? AND h.org_seq > ?) OR (h.holder_org_id = ? AND h.holder_seq > ?)
			ORDER BY CASE WHEN h.org_id = ? THEN h.org_seq ELSE h.holder_seq END ` + order + ` LIMIT ?`
		args = append(args, id, after, id, after, id, limit)
	}
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query hits")
	}
	defer rows.Close()
	for rows.Next() {
		var h mosaic.Hit
		var t int64
		if err := rows.Scan(&h.ID, &h.OrgSeq, &h.HolderSeq, &t, &h.Epoch, &h.Type, &h.Kind, &h.Org, &h.Ref, &h.HolderOrg, &h.HolderRef); err != nil {
			return nil, mosaic.Internal(err, "scan hit")
		}
		h.Time = fromMicros(t)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query hits")
	}
	return out, nil
}

// EndEpochs ends registrations of epochs before epoch at at.
func (s *Store) EndEpochs(ctx context.Context, epoch int, at time.Time, a mosaic.AuditEntry) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, s.q(`UPDATE deconfliction_registrations SET expires = ? WHERE epoch < ? AND expires > ?`), micros(at), epoch, micros(at))
		if err != nil {
			return mosaic.Internal(err, "end epochs")
		}
		if n, err = r.RowsAffected(); err != nil {
			return mosaic.Internal(err, "end epochs")
		}
		if n == 0 {
			return nil
		}
		a.Detail = fmt.Sprintf("registrations of epochs before %d end at %s (%d changed)", epoch, at.UTC().Format(time.RFC3339), n)
		return s.appendAudit(ctx, tx, a)
	})
	return int(n), err
}
