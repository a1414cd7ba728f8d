package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/policy"
	"mosaic/stix"
)

func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, entries ...mosaic.AuditEntry) error {
	for _, e := range entries {
		var uid any
		if e.UserID != 0 {
			uid = e.UserID
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit (time, user_id, user_name, org, action, object_ids, decision, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			micros(e.Time), uid, e.User, e.Org, e.Action, strings.Join(e.ObjectIDs, " "), string(e.Decision), e.Detail); err != nil {
			return mosaic.Internal(err, "append audit")
		}
	}
	return nil
}

// AppendAudit appends entries in one transaction.
func (s *Store) AppendAudit(ctx context.Context, entries []mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, entries...) })
}

// AuditEntries returns up to limit entries after seq, oldest first.
func (s *Store) AuditEntries(ctx context.Context, after int64, limit int) ([]mosaic.AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT seq, time, user_name, org, action, object_ids, decision, detail FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`), after, limit)
	if err != nil {
		return nil, mosaic.Internal(err, "query audit")
	}
	defer rows.Close()
	var out []mosaic.AuditEntry
	for rows.Next() {
		var e mosaic.AuditEntry
		var t int64
		var ids, dec string
		if err := rows.Scan(&e.Seq, &t, &e.User, &e.Org, &e.Action, &ids, &dec, &e.Detail); err != nil {
			return nil, mosaic.Internal(err, "scan audit")
		}
		e.Time, e.Decision = fromMicros(t), mosaic.Decision(dec)
		if ids != "" {
			e.ObjectIDs = strings.Split(ids, " ")
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func checkOrg(o mosaic.Organisation) error {
	if !mosaic.ValidName(o.Name) {
		return mosaic.Errorf(mosaic.CodeInvalid, "organisation name %q: use 2 to 63 lower-case letters, digits and hyphens, starting with a letter", o.Name)
	}
	if _, err := mosaic.ParseOrgKind(string(o.Kind)); err != nil {
		return err
	}
	if o.Kind == mosaic.Partner && o.LegalRegime == "" {
		return mosaic.Errorf(mosaic.CodeInvalid, "partner organisation %s needs a legal regime", o.Name)
	}
	if o.Kind != mosaic.Partner && o.LegalRegime != "" {
		return mosaic.Errorf(mosaic.CodeInvalid, "only partner organisations have a legal regime")
	}
	if o.Kind == mosaic.Stakeholder && len(o.Sectors) == 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "stakeholder organisation %s needs at least one sector", o.Name)
	}
	if o.Kind != mosaic.Stakeholder && len(o.Sectors) > 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "only stakeholder organisations have sectors")
	}
	for _, sec := range o.Sectors {
		if !mosaic.ValidSector(sec) {
			return mosaic.Errorf(mosaic.CodeInvalid, "sector %q is not in the STIX industry-sector vocabulary", sec)
		}
	}
	if o.Kind != mosaic.Partner && !o.DefaultAudience.IsOriginator() {
		return mosaic.Errorf(mosaic.CodeInvalid, "only partner organisations contribute, so only they have a default audience")
	}
	return nil
}

// checkDefaultCompartments refuses a default audience with a compartment
// the organisation is not a member of: every contribution under it would
// be refused.
func (s *Store) checkDefaultCompartments(ctx context.Context, tx *sql.Tx, o mosaic.Organisation) error {
	for _, c := range o.DefaultAudience.Compartments {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM compartments c JOIN compartment_members m ON m.compartment_id = c.id WHERE c.name = ? AND m.org_id = ?`), c, o.ID).Scan(&n); err != nil {
			return mosaic.Internal(err, "query membership")
		}
		if n == 0 {
			return mosaic.Errorf(mosaic.CodeInvalid, "default audience compartment:%s: organisation %s is not a member of such a compartment", c, o.Name)
		}
	}
	return nil
}

// CreateOrg stores o.
func (s *Store) CreateOrg(ctx context.Context, o *mosaic.Organisation, a mosaic.AuditEntry) error {
	if err := checkOrg(*o); err != nil {
		return err
	}
	if o.Created.IsZero() {
		o.Created = s.clock.Now().UTC()
	}
	if len(o.DefaultAudience.Compartments) > 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "a new organisation is in no compartment yet: add it to one, then make that its default audience")
	}
	// The organisation's STIX identity is Mosaic's to give, never the
	// caller's: objects that name it as their creator are accepted from
	// this organisation only.
	o.Identity = stix.NewID("identity")
	return s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO orgs (name, full_name, kind, legal_regime, sectors, contact, default_audience, identity, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			o.Name, o.FullName, string(o.Kind), o.LegalRegime, strings.Join(o.Sectors, ","), o.Contact, o.DefaultAudience.String(), o.Identity, micros(o.Created)).Scan(&o.ID)
		if s.d.IsUnique(err) {
			return mosaic.Errorf(mosaic.CodeConflict, "organisation %s already exists", o.Name)
		}
		if err != nil {
			return mosaic.Internal(err, "insert org")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// UpdateOrg changes an organisation's mutable fields.
func (s *Store) UpdateOrg(ctx context.Context, o mosaic.Organisation, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.updateOrg(ctx, tx, o); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
}

func (s *Store) updateOrg(ctx context.Context, tx *sql.Tx, o mosaic.Organisation) error {
	cur, err := s.org(ctx, tx, o.Name)
	if err != nil {
		return err
	}
	o.ID, o.Kind, o.LegalRegime = cur.ID, cur.Kind, cur.LegalRegime
	if err := checkOrg(o); err != nil {
		return err
	}
	if err := s.checkDefaultCompartments(ctx, tx, o); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE orgs SET full_name = ?, sectors = ?, contact = ?, default_audience = ? WHERE id = ?`),
		o.FullName, strings.Join(o.Sectors, ","), o.Contact, o.DefaultAudience.String(), cur.ID); err != nil {
		return mosaic.Internal(err, "update org")
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const orgColumns = `id, name, full_name, kind, legal_regime, sectors, contact, default_audience, identity, created`

func scanOrg(sc interface{ Scan(...any) error }) (mosaic.Organisation, error) {
	var o mosaic.Organisation
	var kind, sectors, aud string
	var created int64
	if err := sc.Scan(&o.ID, &o.Name, &o.FullName, &kind, &o.LegalRegime, &sectors, &o.Contact, &aud, &o.Identity, &created); err != nil {
		return o, err
	}
	o.Kind, o.Created = mosaic.OrgKind(kind), fromMicros(created)
	if sectors != "" {
		o.Sectors = strings.Split(sectors, ",")
	}
	a, err := mosaic.ParseAudience(aud)
	if err != nil {
		return o, err
	}
	o.DefaultAudience = a
	return o, nil
}

func (s *Store) org(ctx context.Context, q querier, name string) (mosaic.Organisation, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, s.q(`SELECT `+orgColumns+` FROM orgs WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return o, mosaic.Errorf(mosaic.CodeNotFound, "organisation %s not found", name)
	}
	if err != nil {
		return o, mosaic.Internal(err, "query org")
	}
	return o, nil
}

// Org returns the organisation with the short name.
func (s *Store) Org(ctx context.Context, name string) (mosaic.Organisation, error) {
	return s.org(ctx, s.r, name)
}

// Orgs lists all organisations by name.
func (s *Store) Orgs(ctx context.Context) ([]mosaic.Organisation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, mosaic.Internal(err, "query orgs")
	}
	defer rows.Close()
	var out []mosaic.Organisation
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, mosaic.Internal(err, "scan org")
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

const userColumns = `u.id, u.name, u.org_id, o.name, o.kind, u.role, u.display_name, u.email, u.content_grant, u.approver, u.disabled, u.created`

func scanUser(sc interface{ Scan(...any) error }) (mosaic.User, mosaic.OrgKind, error) {
	var u mosaic.User
	var role, kind string
	var grant, approver, disabled int
	var created int64
	err := sc.Scan(&u.ID, &u.Name, &u.OrgID, &u.Org, &kind, &role, &u.DisplayName, &u.Email, &grant, &approver, &disabled, &created)
	u.Role, u.ContentGrant, u.Approver, u.Disabled, u.Created = mosaic.Role(role), grant == 1, approver == 1, disabled == 1, fromMicros(created)
	return u, mosaic.OrgKind(kind), err
}

func checkUser(u mosaic.User, kind mosaic.OrgKind) error {
	if !mosaic.ValidName(u.Name) {
		return mosaic.Errorf(mosaic.CodeInvalid, "user name %q: use 2 to 63 lower-case letters, digits and hyphens, starting with a letter", u.Name)
	}
	if _, err := mosaic.ParseRole(string(u.Role)); err != nil {
		return err
	}
	if !mosaic.RoleFits(u.Role, kind) {
		return mosaic.Errorf(mosaic.CodeInvalid, "role %s does not fit a %s organisation: partners have analysts, liaisons and admins; stakeholders stakeholder users; oversight bodies auditors", u.Role, kind)
	}
	if u.ContentGrant {
		if err := policy.MayHoldContentGrant(u.Role); err != nil {
			return err
		}
	}
	if u.Approver {
		return policy.MayHoldApprover(kind, u.Role)
	}
	return nil
}

// CreateUser stores u.
func (s *Store) CreateUser(ctx context.Context, u *mosaic.User, passwordHash string, a mosaic.AuditEntry) error {
	if u.Created.IsZero() {
		u.Created = s.clock.Now().UTC()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.createUser(ctx, tx, u, passwordHash); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
}

func (s *Store) createUser(ctx context.Context, tx *sql.Tx, u *mosaic.User, passwordHash string) error {
	o, err := s.org(ctx, tx, u.Org)
	if err != nil {
		return err
	}
	if err := checkUser(*u, o.Kind); err != nil {
		return err
	}
	u.OrgID = o.ID
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO users (name, org_id, role, display_name, email, content_grant, approver, disabled, password_hash, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		u.Name, o.ID, string(u.Role), u.DisplayName, u.Email, boolInt(u.ContentGrant), boolInt(u.Approver), boolInt(u.Disabled), passwordHash, micros(u.Created)).Scan(&u.ID)
	if s.d.IsUnique(err) {
		return mosaic.Errorf(mosaic.CodeConflict, "user %s already exists", u.Name)
	}
	if err != nil {
		return mosaic.Internal(err, "insert user")
	}
	return nil
}

// UpdateUser changes a user's mutable fields.
func (s *Store) UpdateUser(ctx context.Context, u mosaic.User, passwordHash *string, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if passwordHash != nil {
			a.Detail = strings.TrimSpace(a.Detail + " with a new password")
		}
		if err := s.updateUser(ctx, tx, u, passwordHash); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
}

func (s *Store) updateUser(ctx context.Context, tx *sql.Tx, u mosaic.User, passwordHash *string) error {
	cur, kind, err := s.user(ctx, tx, u.Name)
	if err != nil {
		return err
	}
	u.Org = cur.Org
	if u.Approver && policy.MayHoldApprover(kind, u.Role) != nil {
		// The right to approve goes with the role that may hold it.
		u.Approver = false
	}
	if err := checkUser(u, kind); err != nil {
		return err
	}
	if u.Role != cur.Role && policy.MayJoinCompartment(u.Name, kind, u.Role) != nil {
		// A user whose new role may not be a compartment member keeps no
		// memberships by name.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM compartment_members WHERE user_id = ?`), cur.ID); err != nil {
			return mosaic.Internal(err, "drop memberships")
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET role = ?, display_name = ?, email = ?, content_grant = ?, approver = ?, disabled = ? WHERE id = ?`),
		string(u.Role), u.DisplayName, u.Email, boolInt(u.ContentGrant), boolInt(u.Approver), boolInt(u.Disabled), cur.ID); err != nil {
		return mosaic.Internal(err, "update user")
	}
	if passwordHash != nil {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE id = ?`), *passwordHash, cur.ID); err != nil {
			return mosaic.Internal(err, "set password")
		}
	}
	// A reset password, a disabling or a new role is the moment to throw
	// out whoever holds a session: a session deleted now cannot come back
	// when the user is enabled again.
	if passwordHash != nil || u.Disabled != cur.Disabled || u.Role != cur.Role {
		if err := s.endSessions(ctx, tx, cur.ID); err != nil {
			return err
		}
	}
	return nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, user, hash string, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE name = ?`), hash, user)
		if err != nil {
			return mosaic.Internal(err, "set password")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return mosaic.Errorf(mosaic.CodeNotFound, "user %s not found", user)
		}
		// A new password is often set because the old one leaked: sessions
		// signed in with it end with it.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)`), user); err != nil {
			return mosaic.Internal(err, "end sessions")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

func (s *Store) endSessions(ctx context.Context, tx *sql.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE user_id = ?`), userID); err != nil {
		return mosaic.Internal(err, "end sessions")
	}
	return nil
}

// PasswordHash returns a user's password hash.
func (s *Store) PasswordHash(ctx context.Context, user string) (string, error) {
	var h string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT password_hash FROM users WHERE name = ?`), user).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", mosaic.Errorf(mosaic.CodeNotFound, "user %s not found", user)
	}
	if err != nil {
		return "", mosaic.Internal(err, "query password")
	}
	return h, nil
}

func (s *Store) user(ctx context.Context, q querier, name string) (mosaic.User, mosaic.OrgKind, error) {
	u, kind, err := scanUser(q.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, kind, mosaic.Errorf(mosaic.CodeNotFound, "user %s not found", name)
	}
	if err != nil {
		return u, kind, mosaic.Internal(err, "query user")
	}
	return u, kind, nil
}

// User returns the user with the sign-in name.
func (s *Store) User(ctx context.Context, name string) (mosaic.User, error) {
	u, _, err := s.user(ctx, s.r, name)
	return u, err
}

// Users lists users by name.
func (s *Store) Users(ctx context.Context, org string) ([]mosaic.User, error) {
	query, args := `SELECT `+userColumns+` FROM users u JOIN orgs o ON o.id = u.org_id`, []any{}
	if org != "" {
		if _, err := s.Org(ctx, org); err != nil {
			return nil, err
		}
		query += ` WHERE o.name = ?`
		args = append(args, org)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` ORDER BY u.name`), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query users")
	}
	defer rows.Close()
	var out []mosaic.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, mosaic.Internal(err, "scan user")
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateToken stores a token by the hash of its secret.
func (s *Store) CreateToken(ctx context.Context, user string, hash [32]byte, label string, expires time.Time, readOnly bool, a mosaic.AuditEntry) (mosaic.Token, error) {
	t := mosaic.Token{User: user, Label: label, Created: s.clock.Now().UTC(), Expires: expires.UTC(), ReadOnly: readOnly}
	if !expires.After(t.Created) {
		return t, mosaic.Errorf(mosaic.CodeInvalid, "a token must expire in the future")
	}
	if err := mosaic.CheckTokenLabel(label); err != nil {
		return t, err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		u, _, err := s.user(ctx, tx, user)
		if err != nil {
			return err
		}
		// Counted in the transaction that adds one, so that requests side
		// by side cannot each find room for the last.
		var live int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tokens WHERE user_id = ? AND revoked IS NULL AND expires > ?`),
			u.ID, micros(t.Created)).Scan(&live); err != nil {
			return mosaic.Internal(err, "count tokens")
		}
		if live >= mosaic.MaxLiveTokens {
			return mosaic.Errorf(mosaic.CodeConflict, "%s holds %d live tokens, the most a user may; revoke one first", user, live)
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO tokens (user_id, hash, label, created, expires, read_only) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			u.ID, hash[:], label, micros(t.Created), micros(t.Expires), boolInt(readOnly)).Scan(&t.ID); err != nil {
			return mosaic.Internal(err, "insert token")
		}
		a.Detail = strings.TrimSpace(a.Detail + " token " + itoa(t.ID))
		if readOnly {
			a.Detail += " read-only"
		}
		return s.appendAudit(ctx, tx, a)
	})
	return t, err
}

// Tokens lists a user's tokens.
func (s *Store) Tokens(ctx context.Context, user string) ([]mosaic.Token, error) {
	if _, err := s.User(ctx, user); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT t.id, t.label, t.created, t.expires, t.read_only, t.revoked FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.name = ? ORDER BY t.id`), user)
	if err != nil {
		return nil, mosaic.Internal(err, "query tokens")
	}
	defer rows.Close()
	var out []mosaic.Token
	for rows.Next() {
		t := mosaic.Token{User: user}
		var created, expires int64
		var readOnly int
		var revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Label, &created, &expires, &readOnly, &revoked); err != nil {
			return nil, mosaic.Internal(err, "scan token")
		}
		t.Created, t.Expires, t.ReadOnly = fromMicros(created), fromMicros(expires), readOnly == 1
		if revoked.Valid {
			r := fromMicros(revoked.Int64)
			t.Revoked = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token.
func (s *Store) RevokeToken(ctx context.Context, id int64, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL`), micros(s.clock.Now()), id)
		if err != nil {
			return mosaic.Internal(err, "revoke token")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return mosaic.Errorf(mosaic.CodeNotFound, "token %d not found or already revoked", id)
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// Authenticate returns the viewer of a valid token.
func (s *Store) Authenticate(ctx context.Context, hash [32]byte, now time.Time) (mosaic.Viewer, error) {
	var v mosaic.Viewer
	var kind, role string
	var grant, approver, disabled, readOnly int
	var expires int64
	var revoked sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT u.id, u.name, o.id, o.name, o.kind, u.role, u.content_grant, u.approver, u.disabled, t.expires, t.revoked, t.read_only
		FROM tokens t JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = u.org_id WHERE t.hash = ?`), hash[:]).
		Scan(&v.UserID, &v.User, &v.OrgID, &v.Org, &kind, &role, &grant, &approver, &disabled, &expires, &revoked, &readOnly)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return v, mosaic.Errorf(mosaic.CodeUnauth, "the token is not valid")
	case err != nil:
		return v, mosaic.Internal(err, "query token")
	case revoked.Valid:
		return mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "the token has been revoked")
	case !now.Before(fromMicros(expires)):
		return mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "the token has expired")
	case disabled == 1:
		return mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "the user is disabled")
	}
	v.OrgKind, v.Role, v.ContentGrant, v.Approver = mosaic.OrgKind(kind), mosaic.Role(role), grant == 1, approver == 1
	v.ReadOnly = readOnly == 1
	return v, nil
}

// CreateCompartment stores c.
func (s *Store) CreateCompartment(ctx context.Context, c *mosaic.Compartment, a mosaic.AuditEntry) error {
	if !mosaic.ValidName(c.Name) {
		return mosaic.Errorf(mosaic.CodeInvalid, "compartment name %q: use 2 to 63 lower-case letters, digits and hyphens, starting with a letter", c.Name)
	}
	if c.Created.IsZero() {
		c.Created = s.clock.Now().UTC()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO compartments (name, description, created) VALUES (?, ?, ?) RETURNING id`), c.Name, c.Description, micros(c.Created)).Scan(&c.ID)
		if s.d.IsUnique(err) {
			return mosaic.Errorf(mosaic.CodeConflict, "compartment %s already exists", c.Name)
		}
		if err != nil {
			return mosaic.Internal(err, "insert compartment")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// Compartment returns a compartment with its members.
func (s *Store) Compartment(ctx context.Context, name string) (mosaic.Compartment, error) {
	cs, err := s.compartments(ctx, name)
	if err != nil {
		return mosaic.Compartment{}, err
	}
	if len(cs) == 0 {
		return mosaic.Compartment{}, mosaic.Errorf(mosaic.CodeNotFound, "compartment %s not found", name)
	}
	return cs[0], nil
}

// Compartments lists compartments with their members.
func (s *Store) Compartments(ctx context.Context) ([]mosaic.Compartment, error) {
	return s.compartments(ctx, "")
}

func (s *Store) compartments(ctx context.Context, name string) ([]mosaic.Compartment, error) {
	query := `SELECT c.id, c.name, c.description, c.created, o.name, u.name FROM compartments c
		LEFT JOIN compartment_members m ON m.compartment_id = c.id
		LEFT JOIN orgs o ON o.id = m.org_id LEFT JOIN users u ON u.id = m.user_id`
	var args []any
	if name != "" {
		query += ` WHERE c.name = ?`
		args = append(args, name)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` ORDER BY c.name, o.name, u.name`), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query compartments")
	}
	defer rows.Close()
	var out []mosaic.Compartment
	for rows.Next() {
		var c mosaic.Compartment
		var created int64
		var org, user sql.NullString
		if err := rows.Scan(&c.ID, &c.Name, &c.Description, &created, &org, &user); err != nil {
			return nil, mosaic.Internal(err, "scan compartment")
		}
		if n := len(out); n == 0 || out[n-1].ID != c.ID {
			c.Created, c.Orgs, c.Users = fromMicros(created), []string{}, []string{}
			out = append(out, c)
		}
		last := &out[len(out)-1]
		if org.Valid {
			last.Orgs = append(last.Orgs, org.String)
		}
		if user.Valid {
			last.Users = append(last.Users, user.String)
		}
	}
	return out, rows.Err()
}

// member resolves a compartment and a member (an organisation or a user).
func (s *Store) member(ctx context.Context, tx *sql.Tx, compartment, org, user string) (cid int64, col string, id int64, err error) {
	if (org == "") == (user == "") {
		return 0, "", 0, mosaic.Errorf(mosaic.CodeInvalid, "name either an organisation or a user as the member")
	}
	if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM compartments WHERE name = ?`), compartment).Scan(&cid); errors.Is(err, sql.ErrNoRows) {
		return 0, "", 0, mosaic.Errorf(mosaic.CodeNotFound, "compartment %s not found", compartment)
	} else if err != nil {
		return 0, "", 0, mosaic.Internal(err, "query compartment")
	}
	if org != "" {
		o, err := s.org(ctx, tx, org)
		if err != nil {
			return 0, "", 0, err
		}
		if err := policy.MayJoinCompartmentAsOrg(org, o.Kind); err != nil {
			return 0, "", 0, err
		}
		return cid, "org_id", o.ID, nil
	}
	u, kind, err := s.user(ctx, tx, user)
	if err != nil {
		return 0, "", 0, err
	}
	if err := policy.MayJoinCompartment(user, kind, u.Role); err != nil {
		return 0, "", 0, err
	}
	return cid, "user_id", u.ID, nil
}

// AddMember adds an organisation or a user to a compartment.
func (s *Store) AddMember(ctx context.Context, compartment, org, user string, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.addMember(ctx, tx, compartment, org, user); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
}

func (s *Store) addMember(ctx context.Context, tx *sql.Tx, compartment, org, user string) error {
	cid, col, id, err := s.member(ctx, tx, compartment, org, user)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM compartment_members WHERE compartment_id = ? AND `+col+` = ?`), cid, id).Scan(&n); err != nil {
		return mosaic.Internal(err, "query member")
	}
	if n > 0 {
		return mosaic.Errorf(mosaic.CodeConflict, "already a member of compartment %s", compartment)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO compartment_members (compartment_id, `+col+`) VALUES (?, ?)`), cid, id); err != nil {
		return mosaic.Internal(err, "insert member")
	}
	return nil
}

// RemoveMember removes an organisation or a user from a compartment.
func (s *Store) RemoveMember(ctx context.Context, compartment, org, user string, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		cid, col, id, err := s.member(ctx, tx, compartment, org, user)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM compartment_members WHERE compartment_id = ? AND `+col+` = ?`), cid, id)
		if err != nil {
			return mosaic.Internal(err, "delete member")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return mosaic.Errorf(mosaic.CodeNotFound, "not a member of compartment %s", compartment)
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// Memberships lists the compartments v belongs to.
func (s *Store) Memberships(ctx context.Context, v mosaic.Viewer) ([]string, error) {
	return s.memberships(ctx, s.r, v)
}

func (s *Store) memberships(ctx context.Context, q querier, v mosaic.Viewer) ([]string, error) {
	member, args, ok := policy.MembershipClause(v, "m")
	if !ok {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, s.q(`SELECT DISTINCT c.name FROM compartments c JOIN compartment_members m ON m.compartment_id = c.id WHERE `+member), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query memberships")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, mosaic.Internal(err, "scan membership")
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, rows.Err()
}

// Secret returns the secret kept under name, making it on first use.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.r.QueryRowContext(ctx, s.q(`SELECT value FROM secrets WHERE name = ?`), name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, mosaic.Internal(err, "query secret")
	}
	v = make([]byte, 32)
	if _, err := rand.Read(v); err != nil {
		return nil, mosaic.Internal(err, "make secret")
	}
	// Another process may make it at the same time: the first one stays.
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING`), name, v); err != nil {
			return mosaic.Internal(err, "insert secret")
		}
		return tx.QueryRowContext(ctx, s.q(`SELECT value FROM secrets WHERE name = ?`), name).Scan(&v)
	})
	return v, err
}

// PutStatus keeps an upload's status.
func (s *Store) PutStatus(ctx context.Context, st mosaic.UploadStatus) error {
	body, err := json.Marshal(st)
	if err != nil {
		return mosaic.Internal(err, "encode status")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO upload_statuses (id, user_name, created, body) VALUES (?, ?, ?, ?)`), st.ID, st.User, micros(st.Created), body)
		if err != nil {
			return mosaic.Internal(err, "insert status")
		}
		return nil
	})
}

// Status returns an upload's status for the user who made it.
func (s *Store) Status(ctx context.Context, id, user string) (mosaic.UploadStatus, error) {
	var st mosaic.UploadStatus
	var body []byte
	err := s.r.QueryRowContext(ctx, s.q(`SELECT body FROM upload_statuses WHERE id = ? AND user_name = ?`), id, user).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return st, mosaic.Errorf(mosaic.CodeNotFound, "status %s not found", id)
	}
	if err != nil {
		return st, mosaic.Internal(err, "query status")
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, mosaic.Internal(err, "decode status")
	}
	st.User = user
	return st, nil
}
