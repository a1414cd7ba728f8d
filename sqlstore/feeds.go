package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"mosaic"
	"mosaic/stix"
)

// CreateFeed stores a feed, due at once, with nothing read.
func (s *Store) CreateFeed(ctx context.Context, f *mosaic.Feed, a mosaic.AuditEntry) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.Created.IsZero() {
		f.Created = s.clock.Now().UTC()
	}
	f.State = mosaic.FeedState{}
	var aud, legal, review any
	var orcon any
	if f.Audience != nil {
		aud = f.Audience.String()
	}
	if f.ORCON != nil {
		orcon = boolInt(*f.ORCON)
	}
	if f.LegalBasis != nil {
		legal = *f.LegalBasis
	}
	if f.ReviewBy != nil {
		review = *f.ReviewBy
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		u, _, err := s.user(ctx, tx, f.User)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO feeds (name, url, collection, user_id, remote_user, token_file, audience, orcon, legal_basis, review_by, interval_us, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			f.Name, f.URL, f.Collection, u.ID, f.RemoteUser, f.TokenFile, aud, orcon, legal, review, f.Interval.Microseconds(), micros(f.Created)).Scan(&f.ID)
		if s.d.IsUnique(err) {
			return mosaic.Errorf(mosaic.CodeConflict, "feed %s already exists", f.Name)
		}
		if err != nil {
			return mosaic.Internal(err, "insert feed")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

const feedColumns = `f.id, f.name, f.url, f.collection, u.name, f.remote_user, f.token_file, f.audience, f.orcon, f.legal_basis, f.review_by, f.interval_us, f.created,
	f.added_after, f.last_poll, f.last_success, f.last_error, f.failures, f.next_poll, f.imported, f.unchanged, f.rejected, f.last_rejection`

func scanFeed(sc interface{ Scan(...any) error }) (mosaic.Feed, error) {
	var f mosaic.Feed
	var aud, legal, review sql.NullString
	var orcon sql.NullInt64
	var interval, created, lastPoll, lastSuccess, nextPoll int64
	st := &f.State
	err := sc.Scan(&f.ID, &f.Name, &f.URL, &f.Collection, &f.User, &f.RemoteUser, &f.TokenFile, &aud, &orcon, &legal, &review, &interval, &created,
		&st.AddedAfter, &lastPoll, &lastSuccess, &st.LastError, &st.Failures, &nextPoll, &st.Imported, &st.Unchanged, &st.Rejected, &st.LastRejection)
	if err != nil {
		return f, err
	}
	if aud.Valid {
		a, err := mosaic.ParseAudience(aud.String)
		if err != nil {
			return f, err
		}
		f.Audience = &a
	}
	if orcon.Valid {
		b := orcon.Int64 == 1
		f.ORCON = &b
	}
	if legal.Valid {
		f.LegalBasis = &legal.String
	}
	if review.Valid {
		f.ReviewBy = &review.String
	}
	f.Interval = time.Duration(interval) * time.Microsecond
	f.Created = fromMicros(created)
	st.LastPoll, st.LastSuccess, st.NextPoll = optMicros(lastPoll), optMicros(lastSuccess), optMicros(nextPoll)
	return f, nil
}

// optMicros reads a time where 0 stands for never.
func optMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

// toOptMicros writes a time where the zero time is stored as 0.
func toOptMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// Feed returns the feed with name.
func (s *Store) Feed(ctx context.Context, name string) (mosaic.Feed, error) {
	f, err := scanFeed(s.r.QueryRowContext(ctx, s.q(`SELECT `+feedColumns+` FROM feeds f JOIN users u ON u.id = f.user_id WHERE f.name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return f, mosaic.Errorf(mosaic.CodeNotFound, "feed %s not found", name)
	}
	if err != nil {
		return f, mosaic.Internal(err, "query feed")
	}
	return f, nil
}

// Feeds lists every feed by name.
func (s *Store) Feeds(ctx context.Context) ([]mosaic.Feed, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+feedColumns+` FROM feeds f JOIN users u ON u.id = f.user_id ORDER BY f.name`)
	if err != nil {
		return nil, mosaic.Internal(err, "query feeds")
	}
	defer rows.Close()
	var out []mosaic.Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, mosaic.Internal(err, "scan feed")
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// DeleteFeed removes a feed.
func (s *Store) DeleteFeed(ctx context.Context, name string, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM feeds WHERE name = ?`), name)
		if err != nil {
			return mosaic.Internal(err, "delete feed")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return mosaic.Errorf(mosaic.CodeNotFound, "feed %s not found", name)
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// SaveFeedState replaces a feed's state, but never moves its position
// back.
//
// Two processes may poll one feed at once (two servers on one PostgreSQL,
// or mosaic feed poll next to mosaic serve); the one that is behind must
// not set the feed back to where it is, or the next poll reads again what
// is stored. The positions are the remote's timestamps as it wrote them,
// which compare in time only as stix.TimeKey keys, not as text, so the
// comparison is made here and the update is made on the condition that the
// position is still the one compared with.
func (s *Store) SaveFeedState(ctx context.Context, id int64, st mosaic.FeedState) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		// Each round sees what another writer committed since the last
		// (PostgreSQL reads committed data at every statement; SQLite has
		// one writer, so the first round is the last).
		for range 10 {
			var cur string
			err := tx.QueryRowContext(ctx, s.q(`SELECT added_after FROM feeds WHERE id = ?`), id).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				return mosaic.Errorf(mosaic.CodeNotFound, "feed %d not found", id)
			}
			if err != nil {
				return mosaic.Internal(err, "read feed position")
			}
			pos := st.AddedAfter
			if positionAfter(cur, pos) {
				pos = cur
			}
			res, err := tx.ExecContext(ctx, s.q(`UPDATE feeds SET added_after = ?, last_poll = ?, last_success = ?, last_error = ?, failures = ?, next_poll = ?,
				imported = ?, unchanged = ?, rejected = ?, last_rejection = ? WHERE id = ? AND added_after = ?`),
				pos, toOptMicros(st.LastPoll), toOptMicros(st.LastSuccess), st.LastError, st.Failures, toOptMicros(st.NextPoll),
				st.Imported, st.Unchanged, st.Rejected, st.LastRejection, id, cur)
			if err != nil {
				return mosaic.Internal(err, "save feed state")
			}
			if n, _ := res.RowsAffected(); n > 0 {
				return nil
			}
		}
		return mosaic.Internal(errors.New("the position keeps changing"), "save feed state")
	})
}

// positionAfter reports whether feed position a is later than b. A
// position that is not a timestamp (none yet) is earlier than any that is.
func positionAfter(a, b string) bool {
	ka, err := stix.TimeKey(a)
	if err != nil {
		return false
	}
	kb, err := stix.TimeKey(b)
	return err != nil || ka > kb
}
