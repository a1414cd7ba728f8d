package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"mosaic"
)

// SetAway marks user away until until, or back when until is zero. Only
// an enabled liaison of a partner is ever away: the rule that lets a
// deputy act reads the liaisons alone, and a mark on anyone else would
// mean nothing, or something once the user became a liaison.
func (s *Store) SetAway(ctx context.Context, user string, until time.Time, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		u, kind, err := s.user(ctx, tx, user)
		if err != nil {
			return err
		}
		if kind != mosaic.Partner || u.Role != mosaic.Liaison || u.Disabled {
			return mosaic.Errorf(mosaic.CodeInvalid, "user %s is not an enabled liaison of a partner: only liaisons are away", user)
		}
		if until.IsZero() {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM liaison_away WHERE user_id = ?`), u.ID); err != nil {
				return mosaic.Internal(err, "clear away")
			}
		} else if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO liaison_away (user_id, away_until, marked) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET away_until = excluded.away_until, marked = excluded.marked`),
			u.ID, micros(until), micros(s.clock.Now())); err != nil {
			return mosaic.Internal(err, "mark away")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// Liaisons lists org's enabled liaisons with until when each is away.
func (s *Store) Liaisons(ctx context.Context, org string) ([]mosaic.LiaisonAway, error) {
	if _, err := s.Org(ctx, org); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT u.name, COALESCE(a.away_until, 0) FROM users u JOIN orgs o ON o.id = u.org_id
		LEFT JOIN liaison_away a ON a.user_id = u.id
		WHERE o.name = ? AND u.role = 'liaison' AND u.disabled = 0 ORDER BY u.name`), org)
	if err != nil {
		return nil, mosaic.Internal(err, "query liaisons")
	}
	defer rows.Close()
	out := []mosaic.LiaisonAway{}
	for rows.Next() {
		var l mosaic.LiaisonAway
		var until int64
		if err := rows.Scan(&l.User, &until); err != nil {
			return nil, mosaic.Internal(err, "scan liaison")
		}
		if until != 0 {
			l.AwayUntil = fromMicros(until)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query liaisons")
	}
	return out, nil
}
