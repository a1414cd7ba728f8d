package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/policy"
)

// RequestChange stores a pending change request.
func (s *Store) RequestChange(ctx context.Context, r *mosaic.ChangeRequest, a mosaic.AuditEntry) error {
	now := s.clock.Now().UTC()
	r.Requested, r.Expires, r.Status = now, now.Add(mosaic.RequestLifetime), mosaic.RequestPending
	change, err := json.Marshal(r.Change)
	if err != nil {
		return mosaic.Internal(err, "encode change")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var org sql.NullInt64
		if r.Org != "" {
			o, err := s.org(ctx, tx, r.Org)
			if err != nil {
				return err
			}
			org = sql.NullInt64{Int64: o.ID, Valid: true}
		}
		by, _, err := s.user(ctx, tx, r.RequestedBy)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO change_requests (kind, org_id, subject, change, summary, requested_by, requested, expires)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			string(r.Kind), org, r.Subject, string(change), r.Summary, by.ID, micros(now), micros(r.Expires)).Scan(&r.ID); err != nil {
			return mosaic.Internal(err, "insert change request")
		}
		for _, c := range r.Consents {
			o, err := s.org(ctx, tx, c.Org)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO change_request_consents (request_id, org_id) VALUES (?, ?)`), r.ID, o.ID); err != nil {
				return mosaic.Internal(err, "insert change request consent")
			}
		}
		a.Detail = strings.TrimSpace(a.Detail + " request " + strconv.FormatInt(r.ID, 10) + ": " + r.Summary)
		return s.appendAudit(ctx, tx, a)
	})
}

// withConsents fills in the Consents of rs, in one query.
func (s *Store) withConsents(ctx context.Context, q querier, rs []mosaic.ChangeRequest) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]any, len(rs))
	at := make(map[int64]int, len(rs))
	for i, r := range rs {
		ids[i], at[r.ID] = r.ID, i
	}
	rows, err := q.QueryContext(ctx, s.q(`SELECT c.request_id, o.name, COALESCE(u.name, ''), c.decided FROM change_request_consents c
		JOIN orgs o ON o.id = c.org_id LEFT JOIN users u ON u.id = c.decided_by
		WHERE c.request_id IN (`+placeholders(len(ids))+`) ORDER BY c.request_id, o.name`), ids...)
	if err != nil {
		return mosaic.Internal(err, "query change request consents")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c mosaic.Consent
		var decided sql.NullInt64
		if err := rows.Scan(&id, &c.Org, &c.DecidedBy, &decided); err != nil {
			return mosaic.Internal(err, "scan change request consent")
		}
		if decided.Valid {
			t := fromMicros(decided.Int64)
			c.Decided = &t
		}
		r := &rs[at[id]]
		r.Consents = append(r.Consents, c)
	}
	return rows.Err()
}

const requestColumns = `r.id, r.kind, COALESCE(o.name, ''), r.subject, r.change, r.summary, rb.name, r.requested, r.expires, r.status, COALESCE(db.name, ''), r.decided, r.reason`

const requestFrom = ` FROM change_requests r JOIN users rb ON rb.id = r.requested_by
	LEFT JOIN orgs o ON o.id = r.org_id LEFT JOIN users db ON db.id = r.decided_by`

func (s *Store) scanRequest(sc interface{ Scan(...any) error }) (mosaic.ChangeRequest, error) {
	var r mosaic.ChangeRequest
	var kind, change, status string
	var requested, expires int64
	var decided sql.NullInt64
	if err := sc.Scan(&r.ID, &kind, &r.Org, &r.Subject, &change, &r.Summary, &r.RequestedBy, &requested, &expires, &status, &r.DecidedBy, &decided, &r.Reason); err != nil {
		return r, err
	}
	r.Kind, r.Status = mosaic.ChangeKind(kind), mosaic.RequestStatus(status)
	r.Requested, r.Expires = fromMicros(requested), fromMicros(expires)
	if decided.Valid {
		t := fromMicros(decided.Int64)
		r.Decided = &t
	}
	if err := json.Unmarshal([]byte(change), &r.Change); err != nil {
		return r, err
	}
	return r, nil
}

// expire marks a pending request whose time has run out as expired, as
// readers see it.
func expire(r *mosaic.ChangeRequest, now time.Time) {
	if r.Status == mosaic.RequestPending && !now.Before(r.Expires) {
		r.Status = mosaic.RequestExpired
	}
}

// ChangeRequests lists change requests, newest first.
func (s *Store) ChangeRequests(ctx context.Context, f mosaic.RequestFilter) ([]mosaic.ChangeRequest, error) {
	var where []string
	var args []any
	if f.DecidableBy != "" {
		where = append(where, `(o.name = ? OR r.org_id IS NULL OR EXISTS (SELECT 1 FROM change_request_consents c JOIN orgs co ON co.id = c.org_id WHERE c.request_id = r.id AND co.name = ?))`)
		args = append(args, f.DecidableBy, f.DecidableBy)
	}
	if f.RequestedBy != "" {
		where = append(where, `rb.name = ?`)
		args = append(args, f.RequestedBy)
	}
	if f.Pending {
		where = append(where, `r.status = 'pending' AND r.expires > ?`)
		args = append(args, micros(f.Now))
	}
	query := `SELECT ` + requestColumns + requestFrom
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	query += ` ORDER BY r.id DESC LIMIT ` + strconv.Itoa(limit)
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query change requests")
	}
	defer rows.Close()
	now := s.clock.Now()
	out := []mosaic.ChangeRequest{}
	for rows.Next() {
		r, err := s.scanRequest(rows)
		if err != nil {
			return nil, mosaic.Internal(err, "scan change request")
		}
		expire(&r, now)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query change requests")
	}
	rows.Close()
	return out, s.withConsents(ctx, s.r, out)
}

// ChangeRequest returns one change request.
func (s *Store) ChangeRequest(ctx context.Context, id int64) (mosaic.ChangeRequest, error) {
	return s.changeRequest(ctx, s.r, id)
}

func (s *Store) changeRequest(ctx context.Context, q querier, id int64) (mosaic.ChangeRequest, error) {
	r, err := s.scanRequest(q.QueryRowContext(ctx, s.q(`SELECT `+requestColumns+requestFrom+` WHERE r.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, mosaic.Errorf(mosaic.CodeNotFound, "request %d not found", id)
	}
	if err != nil {
		return r, mosaic.Internal(err, "query change request")
	}
	expire(&r, s.clock.Now())
	rs := []mosaic.ChangeRequest{r}
	err = s.withConsents(ctx, q, rs)
	return rs[0], err
}

// DecideChange approves or refuses a pending request, applying an approved
// change in the same transaction.
func (s *Store) DecideChange(ctx context.Context, id int64, decider string, approve bool, reason string, codeHash [32]byte, a mosaic.AuditEntry) (mosaic.ChangeRequest, bool, error) {
	var out mosaic.ChangeRequest
	var coded bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := s.changeRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status != mosaic.RequestPending {
			return mosaic.Errorf(mosaic.CodeConflict, "request %d is %s and can no longer be decided", id, r.Status)
		}
		by, _, err := s.user(ctx, tx, decider)
		if err != nil {
			return err
		}
		now := s.clock.Now().UTC()
		if approve && r.Kind == mosaic.ChangeMemberAdd {
			if err := s.refreshConsents(ctx, tx, &r); err != nil {
				return err
			}
		}
		if approve && len(r.Consents) > 0 {
			last, err := s.consent(ctx, tx, &r, by, now)
			if err != nil {
				return err
			}
			if !last {
				a.Detail = strings.TrimSpace(a.Detail + " request " + strconv.FormatInt(id, 10) + " agreed by " + by.Org + ", waiting for the others: " + r.Summary)
				out = r
				return s.appendAudit(ctx, tx, a)
			}
		}
		status := mosaic.RequestRefused
		if approve {
			status = mosaic.RequestApproved
		}
		// The request is claimed before the change is made: of two
		// deciders at once, the second waits for the first's row lock and
		// then finds the request decided (PostgreSQL reads committed rows
		// afresh for an UPDATE's condition).
		res, err := tx.ExecContext(ctx, s.q(`UPDATE change_requests SET status = ?, decided_by = ?, decided = ?, reason = ? WHERE id = ? AND status = ?`),
			string(status), by.ID, micros(now), reason, id, string(mosaic.RequestPending))
		if err != nil {
			return mosaic.Internal(err, "decide change request")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return mosaic.Errorf(mosaic.CodeConflict, "request %d was decided by someone else meanwhile", id)
		}
		if approve {
			if coded, err = s.apply(ctx, tx, r, codeHash, now); err != nil {
				return err
			}
		}
		r.Status, r.DecidedBy, r.Decided, r.Reason = status, decider, &now, reason
		a.Detail = strings.TrimSpace(a.Detail + " request " + strconv.FormatInt(id, 10) + " " + string(status) + ": " + r.Summary)
		if reason != "" {
			a.Detail += " (" + reason + ")"
		}
		out = r
		return s.appendAudit(ctx, tx, a)
	})
	if err != nil {
		return mosaic.ChangeRequest{}, false, err
	}
	return out, coded, nil
}

// refreshConsents adds to a membership request the organisations
// concerned since it was made (joined the compartment, or shared with it):
// each must agree too, since what it shared there would go to the new
// member. The request's
// row is locked first, so that the consents counted after are the ones
// added here.
func (s *Store) refreshConsents(ctx context.Context, tx *sql.Tx, r *mosaic.ChangeRequest) error {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE change_requests SET status = status WHERE id = ? AND status = ?`), r.ID, string(mosaic.RequestPending))
	if err != nil {
		return mosaic.Internal(err, "lock change request")
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return mosaic.Errorf(mosaic.CodeConflict, "request %d was decided by someone else meanwhile", r.ID)
	}
	concerned, err := s.compartmentOrgs(ctx, tx, r.Change.Compartment)
	if err != nil {
		return err
	}
	for _, org := range policy.MemberApproval(r.Org, concerned).Consents {
		if _, ok := r.Consent(org); ok {
			continue
		}
		o, err := s.org(ctx, tx, org)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO change_request_consents (request_id, org_id) VALUES (?, ?)`), r.ID, o.ID); err != nil {
			return mosaic.Internal(err, "insert change request consent")
		}
		r.Consents = append(r.Consents, mosaic.Consent{Org: org})
	}
	slices.SortFunc(r.Consents, func(a, b mosaic.Consent) int { return strings.Compare(a.Org, b.Org) })
	return nil
}

// consent records the agreement of by's organisation to r, which needs
// several, and reports whether it was the last one missing. The request's
// row is locked first, so that of consents given at once the last one
// counted sees the others and makes the change (on PostgreSQL the second
// waits for the first's commit).
func (s *Store) consent(ctx context.Context, tx *sql.Tx, r *mosaic.ChangeRequest, by mosaic.User, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE change_requests SET status = status WHERE id = ? AND status = ?`), r.ID, string(mosaic.RequestPending))
	if err != nil {
		return false, mosaic.Internal(err, "lock change request")
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, mosaic.Errorf(mosaic.CodeConflict, "request %d was decided by someone else meanwhile", r.ID)
	}
	o, err := s.org(ctx, tx, by.Org)
	if err != nil {
		return false, err
	}
	res, err = tx.ExecContext(ctx, s.q(`UPDATE change_request_consents SET decided_by = ?, decided = ? WHERE request_id = ? AND org_id = ? AND decided_by IS NULL`),
		by.ID, micros(now), r.ID, o.ID)
	if err != nil {
		return false, mosaic.Internal(err, "record consent")
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, mosaic.Errorf(mosaic.CodeConflict, "%s agreed to request %d already, or is not asked to", by.Org, r.ID)
	}
	var left int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM change_request_consents WHERE request_id = ? AND decided_by IS NULL`), r.ID).Scan(&left); err != nil {
		return false, mosaic.Internal(err, "count consents")
	}
	for i := range r.Consents {
		if r.Consents[i].Org == by.Org {
			r.Consents[i].DecidedBy, r.Consents[i].Decided = by.Name, &now
		}
	}
	return left == 0, nil
}

// apply makes an approved change inside tx, and reports whether it kept
// codeHash as a one-time password code.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, r mosaic.ChangeRequest, codeHash [32]byte, now time.Time) (bool, error) {
	c := r.Change
	switch r.Kind {
	case mosaic.ChangeUserCreate:
		if c.User == nil {
			break
		}
		u := *c.User
		u.Created = now
		if err := s.createUser(ctx, tx, &u, ""); err != nil {
			return false, err
		}
		return true, s.putCode(ctx, tx, u.ID, codeHash, now)
	case mosaic.ChangeUserUpdate, mosaic.ChangeUserApprover:
		if c.User == nil {
			break
		}
		u, kind, err := s.user(ctx, tx, c.User.Name)
		if err != nil {
			return false, err
		}
		before := u
		for _, f := range c.Fields {
			switch f {
			case "role":
				u.Role = c.User.Role
			case "content_grant":
				u.ContentGrant = c.User.ContentGrant
			case "email":
				u.Email = c.User.Email
			case "approver":
				u.Approver = c.User.Approver
			case "disabled":
				u.Disabled = c.User.Disabled
			default:
				return false, mosaic.Errorf(mosaic.CodeInvalid, "request %d sets an unknown field %q", r.ID, f)
			}
		}
		if !policy.FreshCredentials(kind, before, u) {
			return false, s.updateUser(ctx, tx, u, nil)
		}
		none := ""
		if err := s.updateUser(ctx, tx, u, &none); err != nil {
			return false, err
		}
		if err := s.endCredentials(ctx, tx, u.ID); err != nil {
			return false, err
		}
		return true, s.putCode(ctx, tx, u.ID, codeHash, now)
	case mosaic.ChangePasswordReset:
		if c.User == nil {
			break
		}
		u, _, err := s.user(ctx, tx, c.User.Name)
		if err != nil {
			return false, err
		}
		return true, s.putCode(ctx, tx, u.ID, codeHash, now)
	case mosaic.ChangeMemberAdd:
		err := s.addMember(ctx, tx, c.Compartment, c.MemberOrg, c.MemberUser)
		if mosaic.ErrorCode(err) == mosaic.CodeConflict {
			err = nil // a member already: what was asked holds
		}
		return false, err
	case mosaic.ChangeOrgUpdate:
		if c.Org == nil {
			break
		}
		o, err := s.org(ctx, tx, c.Org.Name)
		if err != nil {
			return false, err
		}
		o.DefaultAudience = c.Org.DefaultAudience
		return false, s.updateOrg(ctx, tx, o)
	}
	return false, mosaic.Errorf(mosaic.CodeInvalid, "request %d has no change of kind %s that can be made", r.ID, r.Kind)
}

// endCredentials revokes every token of a user and ends its sessions.
func (s *Store) endCredentials(ctx context.Context, tx *sql.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE tokens SET revoked = ? WHERE user_id = ? AND revoked IS NULL`), micros(s.clock.Now()), userID); err != nil {
		return mosaic.Internal(err, "revoke tokens")
	}
	return s.endSessions(ctx, tx, userID)
}

// putCode keeps a user's one-time password code, replacing an earlier one.
func (s *Store) putCode(ctx context.Context, tx *sql.Tx, userID int64, codeHash [32]byte, now time.Time) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM password_codes WHERE user_id = ?`), userID); err != nil {
		return mosaic.Internal(err, "replace password code")
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO password_codes (user_id, hash, expires) VALUES (?, ?, ?)`),
		userID, codeHash[:], micros(now.Add(mosaic.PasswordCodeLifetime))); err != nil {
		return mosaic.Internal(err, "insert password code")
	}
	return nil
}

// SetPasswordCode keeps a one-time code for a user who reads no content.
func (s *Store) SetPasswordCode(ctx context.Context, user string, codeHash [32]byte, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		u, _, err := s.user(ctx, tx, user)
		if err != nil {
			return err
		}
		if err := s.putCode(ctx, tx, u.ID, codeHash, s.clock.Now().UTC()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
}

var errBadCode = mosaic.Errorf(mosaic.CodeUnauth, "the user name or the one-time code is not valid, or the code has expired")

// CheckPasswordCode checks a one-time code without using it up.
func (s *Store) CheckPasswordCode(ctx context.Context, user string, codeHash [32]byte) error {
	_, err := s.checkCode(ctx, s.r, user, codeHash)
	return err
}

// checkCode returns the user whose unexpired code codeHash is.
func (s *Store) checkCode(ctx context.Context, q querier, user string, codeHash [32]byte) (mosaic.User, error) {
	u, _, err := s.user(ctx, q, user)
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		return u, errBadCode
	}
	if err != nil {
		return u, err
	}
	var hash []byte
	var expires int64
	err = q.QueryRowContext(ctx, s.q(`SELECT hash, expires FROM password_codes WHERE user_id = ?`), u.ID).Scan(&hash, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return u, errBadCode
	case err != nil:
		return u, mosaic.Internal(err, "query password code")
	case !s.clock.Now().Before(fromMicros(expires)) || !equalHash(hash, codeHash):
		return u, errBadCode
	}
	return u, nil
}

// RedeemPasswordCode sets a password with a one-time code.
func (s *Store) RedeemPasswordCode(ctx context.Context, user string, codeHash [32]byte, passwordHash string, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		u, err := s.checkCode(ctx, tx, user, codeHash)
		if err != nil {
			return err
		}
		// Only the one redemption that deletes the code sets the password:
		// two at once both pass the check above on PostgreSQL.
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM password_codes WHERE user_id = ? AND hash = ?`), u.ID, codeHash[:])
		if err != nil {
			return mosaic.Internal(err, "use up password code")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errBadCode
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE id = ?`), passwordHash, u.ID); err != nil {
			return mosaic.Internal(err, "set password")
		}
		if err := s.endSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		a.UserID, a.User, a.Org = u.ID, u.Name, u.Org
		return s.appendAudit(ctx, tx, a)
	})
}

// SetApprover gives or takes the right to approve.
func (s *Store) SetApprover(ctx context.Context, user string, approver bool, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		u, kind, err := s.user(ctx, tx, user)
		if err != nil {
			return err
		}
		if approver {
			if err := policy.MayHoldApprover(kind, u.Role); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET approver = ? WHERE id = ?`), boolInt(approver), u.ID); err != nil {
			return mosaic.Internal(err, "set approver")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

func equalHash(stored []byte, h [32]byte) bool {
	return subtle.ConstantTimeCompare(stored, h[:]) == 1
}

// CompartmentOrgs returns the organisations concerned by a new member of
// compartment name: its members, through themselves or their users, and
// those that shared records with it, members still or not.
func (s *Store) CompartmentOrgs(ctx context.Context, name string) ([]string, error) {
	return s.compartmentOrgs(ctx, s.r, name)
}

func (s *Store) compartmentOrgs(ctx context.Context, q querier, name string) ([]string, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT COALESCE(mo.name, uo.name) FROM compartments c
		JOIN compartment_members m ON m.compartment_id = c.id
		LEFT JOIN orgs mo ON mo.id = m.org_id LEFT JOIN users u ON u.id = m.user_id LEFT JOIN orgs uo ON uo.id = u.org_id
		WHERE c.name = ?
		UNION
		SELECT o.name FROM orgs o WHERE o.id IN (SELECT r.originator FROM records r WHERE r.audience_id IN
			(SELECT ac.audience_id FROM audience_compartments ac JOIN compartments c ON c.id = ac.compartment_id WHERE c.name = ?))`), name, name)
	if err != nil {
		return nil, mosaic.Internal(err, "query organisations of a compartment")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var org sql.NullString
		if err := rows.Scan(&org); err != nil {
			return nil, mosaic.Internal(err, "scan organisation of a compartment")
		}
		if org.Valid {
			out = append(out, org.String)
		}
	}
	return out, rows.Err()
}
