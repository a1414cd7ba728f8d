package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"mosaic"
)

var _ mosaic.Outbox = (*Store)(nil)

// maxNotificationError bounds the reason kept of a failed delivery.
const maxNotificationError = 500

// notifyAddressed writes, in the transaction that publishes release seq
// (id), a notification to every enabled user of each organisation it
// reached and to each user it reached by name. A public release notifies
// nobody: it reached no one by name.
func (s *Store) notifyAddressed(ctx context.Context, tx *sql.Tx, seq int64, id string, now time.Time) error {
	// Two joins, each on one key, rather than one on either: a join on
	// an OR compares every delivery with every user.
	rows, err := tx.QueryContext(ctx, s.q(`SELECT u.id, u.name FROM release_deliveries d JOIN users u ON u.org_id = d.org_id
			WHERE d.release_seq = ? AND d.org_id IS NOT NULL AND u.disabled = 0
		UNION SELECT u.id, u.name FROM release_deliveries d JOIN users u ON u.id = d.user_id
			WHERE d.release_seq = ? AND u.disabled = 0
		ORDER BY 1`), seq, seq)
	if err != nil {
		return mosaic.Internal(err, "query the users a release reached")
	}
	type user struct {
		id   int64
		name string
	}
	var us []user
	for rows.Next() {
		var u user
		if err := rows.Scan(&u.id, &u.name); err != nil {
			rows.Close()
			return mosaic.Internal(err, "scan a user a release reached")
		}
		us = append(us, u)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return mosaic.Internal(err, "query the users a release reached")
	}
	at := micros(now)
	return s.insertMany(ctx, tx, `INSERT INTO notifications (id, kind, channel, user_id, subject, state, next_attempt, created) VALUES `, `(?, ?, 'email', ?, ?, 'pending', ?, ?)`,
		` ON CONFLICT (id) DO NOTHING`, len(us), func(a []any, i int) []any {
			// The event and the recipient make the id: the same
			// publication never notifies one user twice.
			nid := string(mosaic.NotifyReleaseAddressed) + "." + id + "." + us[i].name
			return append(a, nid, string(mosaic.NotifyReleaseAddressed), us[i].id, id, at, at)
		})
}

const notificationColumns = `n.id, n.kind, n.channel, u.name, n.subject, n.state, n.attempts, n.next_attempt, n.last_error, n.created, n.sent`

func scanNotification(sc interface{ Scan(...any) error }) (mosaic.Notification, error) {
	var n mosaic.Notification
	var kind, state string
	var next, created int64
	var sent sql.NullInt64
	if err := sc.Scan(&n.ID, &kind, &n.Channel, &n.User, &n.Subject, &state, &n.Attempts, &next, &n.LastError, &created, &sent); err != nil {
		return n, err
	}
	n.Kind, n.State, n.NextAttempt, n.Created = mosaic.NotificationKind(kind), mosaic.NotificationState(state), fromMicros(next), fromMicros(created)
	if sent.Valid {
		n.Sent = fromMicros(sent.Int64)
	}
	return n, nil
}

// ClaimNotifications leases due notifications to worker. The lease is
// set by one UPDATE whose WHERE clause holds the claim's conditions, so
// that of two replicas claiming at once each row goes to one: PostgreSQL
// evaluates them again on the row it locked, SQLite has one writer.
func (s *Store) ClaimNotifications(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]mosaic.Notification, error) {
	if worker == "" || lease <= 0 || limit <= 0 {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "a claim names its worker, a lease and a limit")
	}
	at, until := micros(now), micros(now.Add(lease))
	due := `state = 'pending' AND next_attempt <= ? AND lease_until <= ?`
	var ids []string
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE notifications SET claimed_by = ?, lease_until = ?
			WHERE seq IN (SELECT seq FROM notifications WHERE `+due+` ORDER BY seq LIMIT `+strconv.Itoa(limit)+`) AND `+due+` RETURNING id`),
			worker, until, at, at, at, at)
		if err != nil {
			return mosaic.Internal(err, "claim notifications")
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return mosaic.Internal(err, "scan a claimed notification")
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+notificationColumns+` FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.id IN (`+placeholders(len(ids))+`) ORDER BY n.seq`), anys(ids)...)
	if err != nil {
		return nil, mosaic.Internal(err, "read claimed notifications")
	}
	defer rows.Close()
	var out []mosaic.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, mosaic.Internal(err, "scan a notification")
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// settle changes a notification that worker still holds.
func (s *Store) settle(ctx context.Context, id, worker, set string, args ...any) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE notifications SET `+set+`, claimed_by = '', lease_until = 0 WHERE id = ? AND claimed_by = ? AND state = 'pending'`),
			append(args, id, worker)...)
		if err != nil {
			return mosaic.Internal(err, "settle a notification")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return mosaic.Errorf(mosaic.CodeConflict, "notification %s is not held by %s", id, worker)
		}
		return nil
	})
}

// NotificationSent records a delivery.
func (s *Store) NotificationSent(ctx context.Context, id, worker string, at time.Time) error {
	return s.settle(ctx, id, worker, `state = 'sent', attempts = attempts + 1, sent = ?`, micros(at))
}

// NotificationFailed records a failed delivery, to retry or dead.
func (s *Store) NotificationFailed(ctx context.Context, id, worker string, at time.Time, why string, retry time.Time, dead bool) error {
	state := mosaic.NotificationPending
	if dead {
		state = mosaic.NotificationDead
	}
	why = strings.ToValidUTF8(why, "?")
	if len(why) > maxNotificationError {
		why = why[:maxNotificationError]
	}
	return s.settle(ctx, id, worker, `state = ?, attempts = attempts + 1, next_attempt = ?, last_error = ?`, string(state), micros(retry), why)
}

// Notifications lists notifications for the delivery log.
func (s *Store) Notifications(ctx context.Context, state mosaic.NotificationState, limit int) ([]mosaic.Notification, error) {
	query, args := `SELECT `+notificationColumns+` FROM notifications n JOIN users u ON u.id = n.user_id`, []any{}
	if state != "" {
		query += ` WHERE n.state = ?`
		args = append(args, string(state))
	}
	query += ` ORDER BY n.seq DESC LIMIT ` + strconv.Itoa(listLimit(limit))
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query notifications")
	}
	defer rows.Close()
	out := []mosaic.Notification{}
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, mosaic.Internal(err, "scan a notification")
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
