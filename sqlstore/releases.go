package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mosaic"
	"mosaic/policy"
	"mosaic/stix"
)

// The limits on what recipients report, per organisation and release:
// every report is kept, and no recipient may fill the store.
const (
	maxReceipts  = 1000
	maxSightings = 10000
)

// releaseListMax bounds a page of releases or released objects, so that
// no request has the database read a whole collection at once.
const releaseListMax = mosaic.MaxReleasedPage

// deliveryRank orders the deliveries of one release that reached a viewer,
// its own addressing first (mosaic.Releases.Delivered); of two sectors
// that reached it, the first by name, so that the choice is the same
// every time.
const deliveryRank = `CASE d.kind WHEN 'user' THEN 0 WHEN 'org' THEN 1 WHEN 'sector' THEN 2 ELSE 3 END, d.recipient`

// drafting is the condition under which the organisation with the id
// given (twice) sees release r: as its drafter, or as an organisation
// asked once the release is no longer a draft on hold.
const drafting = `(r.drafter_org_id = ? OR (r.state <> 'draft' AND r.asked = 1 AND EXISTS (SELECT 1 FROM release_consents c WHERE c.release_seq = r.seq AND c.org_id = ?)))`

// reached is the condition under which delivery d reached a viewer whose
// organisation's and user's ids are given: public deliveries reach
// everyone.
const reached = `(d.kind = 'public' OR d.org_id = ? OR d.user_id = ?)`

func releaseNotFound(id string) error {
	return mosaic.Errorf(mosaic.CodeNotFound, "release %s not found", id)
}

// scopeIDs are a scope's organisations and user as ids. A name that is
// empty or names nobody is 0, which no row has, so that the same query
// serves every scope.
type scopeIDs struct{ draftOrg, org, user int64 }

func (s *Store) scopeIDs(ctx context.Context, q querier, sc mosaic.ReleaseScope) (scopeIDs, error) {
	var d, o, u sql.NullInt64
	err := q.QueryRowContext(ctx, s.q(`SELECT (SELECT id FROM orgs WHERE name = ?), (SELECT id FROM orgs WHERE name = ?), (SELECT id FROM users WHERE name = ?)`),
		sc.DraftOrg, sc.Org, sc.User).Scan(&d, &o, &u)
	if err != nil {
		return scopeIDs{}, mosaic.Internal(err, "resolve release scope")
	}
	return scopeIDs{d.Int64, o.Int64, u.Int64}, nil
}

// checkText refuses what PostgreSQL cannot keep in a text column (NUL,
// invalid UTF-8) and SQLite would, so that both stores take the same
// releases.
func checkText(what, s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return mosaic.Errorf(mosaic.CodeInvalid, "%s: not valid UTF-8 text, or it holds a NUL character", what)
	}
	return nil
}

func checkTLP(what string, t mosaic.TLP) error {
	if t.Rank() < 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "%s: TLP %q is not one of clear, green, amber, amber+strict, red", what, t)
	}
	return nil
}

// checkRelease checks what a draft's revision stores. Which items,
// recipients and consents a release may have is the policy's to say; the
// store refuses only what it could not keep as given.
func checkRelease(r *mosaic.Release) error {
	if r.State == "" {
		r.State = mosaic.ReleaseDraft
	}
	if r.State != mosaic.ReleaseDraft && r.State != mosaic.ReleaseAwaitingConsent {
		return mosaic.Errorf(mosaic.CodeInvalid, "a release is drafted as %s or %s, not %s", mosaic.ReleaseDraft, mosaic.ReleaseAwaitingConsent, r.State)
	}
	if r.Dangling != mosaic.DanglingRefuse && r.Dangling != mosaic.DanglingDrop {
		return mosaic.Errorf(mosaic.CodeInvalid, "dangling references: %q is not %s or %s", r.Dangling, mosaic.DanglingRefuse, mosaic.DanglingDrop)
	}
	if err := checkTLP("release", r.TLP); err != nil {
		return err
	}
	for what, v := range map[string]string{"title": r.Title, "advice": r.Advice, "advice_nl": r.AdviceNL, "supersedes": r.Supersedes} {
		if err := checkText(what, v); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, rc := range r.Recipients {
		p, err := mosaic.ParseRecipient(rc)
		if err != nil {
			return err
		}
		// Kept as written and joined by spaces: only the canonical form
		// can be, and it is the one seals and deliveries name.
		if p.String() != rc {
			return mosaic.Errorf(mosaic.CodeInvalid, "recipient %q: write it %q", rc, p.String())
		}
		if seen[rc] {
			return mosaic.Errorf(mosaic.CodeInvalid, "recipient %s is named twice", rc)
		}
		seen[rc] = true
	}
	for i, it := range r.Items {
		if it.Role != mosaic.ItemObject && it.Role != mosaic.ItemSource {
			return mosaic.Errorf(mosaic.CodeInvalid, "item %d (%s): role %q is not %s or %s", i, it.ID, it.Role, mosaic.ItemObject, mosaic.ItemSource)
		}
		if err := checkTLP("item "+it.ID, it.TLP); err != nil {
			return err
		}
		for what, v := range map[string]string{"id": it.ID, "type": it.Type, "modified": it.Modified, "legal basis": it.LegalBasis} {
			if err := checkText("item "+strconv.Itoa(i)+" "+what, v); err != nil {
				return err
			}
		}
	}
	asked := map[string]bool{}
	for _, c := range r.Consents {
		if asked[c.Org] {
			return mosaic.Errorf(mosaic.CodeInvalid, "organisation %s is asked twice", c.Org)
		}
		asked[c.Org] = true
	}
	return nil
}

// orgIDs resolves organisation names once per transaction: a release's
// items name few originators many times.
type orgIDs map[string]int64

func (s *Store) orgID(ctx context.Context, tx *sql.Tx, ids orgIDs, name string) (int64, error) {
	if id, ok := ids[name]; ok {
		return id, nil
	}
	o, err := s.org(ctx, tx, name)
	if err != nil {
		return 0, err
	}
	ids[name] = o.ID
	return o.ID, nil
}

// orBytes returns b, or no bytes rather than nil, for a NOT NULL column:
// drivers may take nil for NULL.
func orBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nullJSON returns NULL for absent or null JSON.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return []byte(b)
}

// putDraft stores a revision's items and the consents it asks for.
func (s *Store) putDraft(ctx context.Context, tx *sql.Tx, seq int64, r *mosaic.Release) error {
	ids := orgIDs{}
	items := make([][]any, len(r.Items))
	for i, it := range r.Items {
		org, err := s.orgID(ctx, tx, ids, it.Originator)
		if err != nil {
			return err
		}
		items[i] = []any{seq, i, it.Role, it.ID, it.Type, it.Modified, org, string(it.TLP), boolInt(it.ORCON), it.LegalBasis, orBytes(it.Object)}
	}
	if err := s.insertMany(ctx, tx, `INSERT INTO release_items (release_seq, pos, role, stix_id, type, modified, originator, tlp, orcon, legal_basis, object) VALUES `,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ``, len(items), func(a []any, i int) []any { return append(a, items[i]...) }); err != nil {
		return mosaic.Internal(err, "insert release items")
	}
	asked := make([]int64, len(r.Consents))
	for i, c := range r.Consents {
		org, err := s.orgID(ctx, tx, ids, c.Org)
		if err != nil {
			return err
		}
		asked[i] = org
	}
	if err := s.insertMany(ctx, tx, `INSERT INTO release_consents (release_seq, org_id, state) VALUES `, `(?, ?, 'pending')`, ``, len(asked),
		func(a []any, i int) []any { return append(a, seq, asked[i]) }); err != nil {
		return mosaic.Internal(err, "insert release consents")
	}
	return nil
}

// pendingConsents returns the consents of r as a new revision asks for
// them: pending, nothing decided.
func pendingConsents(cs []mosaic.ReleaseConsent) []mosaic.ReleaseConsent {
	out := make([]mosaic.ReleaseConsent, len(cs))
	for i, c := range cs {
		out[i] = mosaic.ReleaseConsent{Org: c.Org, State: mosaic.ConsentPending}
	}
	return out
}

// CreateRelease stores a new release at revision 1.
func (s *Store) CreateRelease(ctx context.Context, r *mosaic.Release, a mosaic.AuditEntry) error {
	if err := checkRelease(r); err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	id := stix.NewUUID()
	var drafterOrg string
	err := s.write(ctx, func(tx *sql.Tx) error {
		u, _, err := s.user(ctx, tx, r.Drafter)
		if err != nil {
			return err
		}
		drafterOrg = r.DrafterOrg
		if drafterOrg == "" {
			drafterOrg = u.Org
		}
		if drafterOrg != u.Org {
			return mosaic.Errorf(mosaic.CodeInvalid, "drafter %s is not of organisation %s", u.Name, drafterOrg)
		}
		if err := s.checkOpen(ctx, tx, u.OrgID, 0, r.Items); err != nil {
			return err
		}
		var seq int64
		asked := 0
		if r.State != mosaic.ReleaseDraft {
			asked = 1
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO releases (id, revision, state, title, advice, advice_nl, recipients, dangling, tlp, drafter_id, drafter_org_id, supersedes, deadline, created, updated, asked)
			VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`),
			id, string(r.State), r.Title, r.Advice, r.AdviceNL, strings.Join(r.Recipients, " "), r.Dangling, string(r.TLP), u.ID, u.OrgID, r.Supersedes, deadlineMicros(r.Deadline), micros(now), micros(now), asked).Scan(&seq); err != nil {
			return mosaic.Internal(err, "insert release")
		}
		if err := s.putDraft(ctx, tx, seq, r); err != nil {
			return err
		}
		a.Detail = strings.TrimSpace(a.Detail + " release " + id)
		return s.appendAudit(ctx, tx, a)
	})
	if err != nil {
		return err
	}
	r.ID, r.Revision, r.DrafterOrg, r.Created, r.Updated = id, 1, drafterOrg, now, now
	r.Consents = pendingConsents(r.Consents)
	return nil
}

// checkOpen refuses a draft of items that would take organisation org's
// unpublished releases (but for release except) beyond
// mosaic.MaxOpenReleases, MaxOpenReleaseItems or MaxOpenReleaseBytes.
func (s *Store) checkOpen(ctx context.Context, tx *sql.Tx, org, except int64, items []mosaic.ReleaseItem) error {
	var releases, held, size int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(DISTINCT r.seq), COUNT(i.release_seq), COALESCE(SUM(LENGTH(i.object)), 0)
		FROM releases r LEFT JOIN release_items i ON i.release_seq = r.seq
		WHERE r.drafter_org_id = ? AND r.state IN ('draft', 'awaiting-consent', 'ready') AND r.seq <> ?`), org, except).Scan(&releases, &held, &size); err != nil {
		return mosaic.Internal(err, "count open releases")
	}
	for _, it := range items {
		size += int64(len(it.Object))
	}
	switch {
	case except == 0 && releases >= mosaic.MaxOpenReleases:
		return mosaic.Errorf(mosaic.CodeTooLarge, "an organisation has at most %d releases unpublished; publish some, or discard them (withdraw)", mosaic.MaxOpenReleases)
	case held+int64(len(items)) > mosaic.MaxOpenReleaseItems:
		return mosaic.Errorf(mosaic.CodeTooLarge, "an organisation's unpublished releases hold at most %d objects and sources together, and %d are held", mosaic.MaxOpenReleaseItems, held)
	case size > mosaic.MaxOpenReleaseBytes:
		return mosaic.Errorf(mosaic.CodeTooLarge, "an organisation's unpublished releases hold at most %d MiB of objects together; publish some, or discard them (withdraw)", mosaic.MaxOpenReleaseBytes>>20)
	}
	return nil
}

// storedRelease is a release's row: the release without items and
// consents, and what the queries need of it.
type storedRelease struct {
	mosaic.Release
	seq   int64
	orgID int64 // the drafter's organisation
}

const releaseColumns = `r.seq, r.id, r.revision, r.state, r.title, r.advice, r.advice_nl, r.recipients, r.dangling, r.tlp, du.name, dorg.name, r.drafter_org_id,
	r.supersedes, r.deadline, r.created, r.updated, r.published, r.digest, r.withdrawn, r.withdraw_reason`

const releaseFrom = ` FROM releases r JOIN users du ON du.id = r.drafter_id JOIN orgs dorg ON dorg.id = r.drafter_org_id`

func scanRelease(sc interface{ Scan(...any) error }) (storedRelease, error) {
	var r storedRelease
	var state, recipients, tlp string
	var deadline, created, updated int64
	var published, withdrawn sql.NullInt64
	if err := sc.Scan(&r.seq, &r.ID, &r.Revision, &state, &r.Title, &r.Advice, &r.AdviceNL, &recipients, &r.Dangling, &tlp, &r.Drafter, &r.DrafterOrg, &r.orgID,
		&r.Supersedes, &deadline, &created, &updated, &published, &r.Digest, &withdrawn, &r.WithdrawReason); err != nil {
		return r, err
	}
	r.State, r.TLP, r.Recipients = mosaic.ReleaseState(state), mosaic.TLP(tlp), strings.Fields(recipients)
	r.Deadline = deadlineTime(deadline)
	r.Created, r.Updated = fromMicros(created), fromMicros(updated)
	if published.Valid {
		r.Published = fromMicros(published.Int64)
	}
	if withdrawn.Valid {
		r.Withdrawn = fromMicros(withdrawn.Int64)
	}
	return r, nil
}

// lockRelease reads release id inside tx after locking its row, so that
// of two changes at once the second sees the first's (PostgreSQL reads
// committed rows afresh after the lock; SQLite has one writer).
func (s *Store) lockRelease(ctx context.Context, tx *sql.Tx, id string) (storedRelease, error) {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET state = state WHERE id = ?`), id); err != nil {
		return storedRelease{}, mosaic.Internal(err, "lock release")
	}
	r, err := scanRelease(tx.QueryRowContext(ctx, s.q(`SELECT `+releaseColumns+releaseFrom+` WHERE r.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, releaseNotFound(id)
	}
	if err != nil {
		return r, mosaic.Internal(err, "query release")
	}
	return r, nil
}

// drafts reports whether sc drafts r: only its drafting organisation
// changes, publishes or withdraws it.
func drafts(sc mosaic.ReleaseScope, r storedRelease) bool {
	return sc.DraftOrg != "" && sc.DraftOrg == r.DrafterOrg
}

// ReviseRelease stores the next revision of a draft.
func (s *Store) ReviseRelease(ctx context.Context, sc mosaic.ReleaseScope, r *mosaic.Release, a mosaic.AuditEntry) error {
	if err := checkRelease(r); err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	var cur storedRelease
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if cur, err = s.lockRelease(ctx, tx, r.ID); err != nil {
			return err
		}
		if !drafts(sc, cur) {
			return releaseNotFound(r.ID)
		}
		if cur.State == mosaic.ReleasePublished || cur.State == mosaic.ReleaseWithdrawn {
			return mosaic.Errorf(mosaic.CodeConflict, "release %s is %s and can no longer be revised", r.ID, cur.State)
		}
		if r.Revision != cur.Revision {
			return mosaic.Errorf(mosaic.CodeConflict, "revision %d is not the current one (%d)", r.Revision, cur.Revision)
		}
		if err := s.checkOpen(ctx, tx, cur.orgID, cur.seq, r.Items); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET revision = ?, state = ?, title = ?, advice = ?, advice_nl = ?, recipients = ?, dangling = ?, tlp = ?, deadline = ?, updated = ?,
			asked = CASE WHEN ? THEN 1 ELSE asked END WHERE seq = ?`),
			cur.Revision+1, string(r.State), r.Title, r.Advice, r.AdviceNL, strings.Join(r.Recipients, " "), r.Dangling, string(r.TLP), deadlineMicros(r.Deadline), micros(now), r.State != mosaic.ReleaseDraft, cur.seq); err != nil {
			return mosaic.Internal(err, "revise release")
		}
		for _, table := range []string{"release_items", "release_consents"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE release_seq = ?`), cur.seq); err != nil {
				return mosaic.Internal(err, "replace "+table)
			}
		}
		if err := s.putDraft(ctx, tx, cur.seq, r); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
	if err != nil {
		return err
	}
	r.Revision, r.Updated = cur.Revision+1, now
	r.Drafter, r.DrafterOrg, r.Supersedes, r.Created = cur.Drafter, cur.DrafterOrg, cur.Supersedes, cur.Created
	r.Consents = pendingConsents(r.Consents)
	return nil
}

// Release returns a release as sc sees it.
func (s *Store) Release(ctx context.Context, sc mosaic.ReleaseScope, id string) (mosaic.Release, error) {
	ids, err := s.scopeIDs(ctx, s.r, sc)
	if err != nil {
		return mosaic.Release{}, err
	}
	r, err := scanRelease(s.r.QueryRowContext(ctx, s.q(`SELECT `+releaseColumns+releaseFrom+` WHERE r.id = ? AND `+drafting), id, ids.draftOrg, ids.draftOrg))
	if errors.Is(err, sql.ErrNoRows) {
		return mosaic.Release{}, releaseNotFound(id)
	}
	if err != nil {
		return mosaic.Release{}, mosaic.Internal(err, "query release")
	}
	// An organisation asked sees its own part only: of other originators'
	// items not even their number.
	var only int64
	if r.orgID != ids.draftOrg {
		only = ids.draftOrg
	}
	if r.Items, err = s.releaseItems(ctx, r.seq, only); err != nil {
		return mosaic.Release{}, err
	}
	if r.Consents, err = s.releaseConsents(ctx, s.r, r.seq, only); err != nil {
		return mosaic.Release{}, err
	}
	return r.Release, nil
}

// releaseItems returns a release's items in the drafter's order, only
// those of originator org when org is not 0.
func (s *Store) releaseItems(ctx context.Context, seq, org int64) ([]mosaic.ReleaseItem, error) {
	query, args := `SELECT i.role, i.stix_id, i.type, i.modified, o.name, i.tlp, i.orcon, i.legal_basis, i.object
		FROM release_items i JOIN orgs o ON o.id = i.originator WHERE i.release_seq = ?`, []any{seq}
	if org != 0 {
		query += ` AND i.originator = ?`
		args = append(args, org)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` ORDER BY i.pos`), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query release items")
	}
	defer rows.Close()
	var out []mosaic.ReleaseItem
	for rows.Next() {
		var it mosaic.ReleaseItem
		var tlp string
		var orcon int
		var obj []byte
		if err := rows.Scan(&it.Role, &it.ID, &it.Type, &it.Modified, &it.Originator, &tlp, &orcon, &it.LegalBasis, &obj); err != nil {
			return nil, mosaic.Internal(err, "scan release item")
		}
		it.TLP, it.ORCON, it.Object = mosaic.TLP(tlp), orcon != 0, obj
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query release items")
	}
	return out, nil
}

// releaseConsents returns a release's consents by organisation, only
// org's when org is not 0.
func (s *Store) releaseConsents(ctx context.Context, q querier, seq, org int64) ([]mosaic.ReleaseConsent, error) {
	query, args := `SELECT o.name, c.state, c.revision, c.reason, c.sanitise, c.attribute, COALESCE(u.name, ''), c.deputy, c.decided
		FROM release_consents c JOIN orgs o ON o.id = c.org_id LEFT JOIN users u ON u.id = c.decided_by WHERE c.release_seq = ?`, []any{seq}
	if org != 0 {
		query += ` AND c.org_id = ?`
		args = append(args, org)
	}
	rows, err := q.QueryContext(ctx, s.q(query+` ORDER BY o.name`), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query release consents")
	}
	defer rows.Close()
	out := []mosaic.ReleaseConsent{}
	for rows.Next() {
		var c mosaic.ReleaseConsent
		var state string
		var sanitise []byte
		var attribute, deputy int
		var decided sql.NullInt64
		if err := rows.Scan(&c.Org, &state, &c.Revision, &c.Reason, &sanitise, &attribute, &c.DecidedBy, &deputy, &decided); err != nil {
			return nil, mosaic.Internal(err, "scan release consent")
		}
		c.State, c.Attribute, c.Deputy = mosaic.ConsentState(state), attribute != 0, deputy != 0
		if sanitise != nil {
			c.Sanitise = sanitise
		}
		if decided.Valid {
			c.Decided = fromMicros(decided.Int64)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query release consents")
	}
	return out, nil
}

// sameConsents reports whether two lists of consents (by organisation)
// hold the same decisions.
func sameConsents(a, b []mosaic.ReleaseConsent) bool {
	if len(a) != len(b) {
		return false
	}
	byOrg := map[string]mosaic.ReleaseConsent{}
	for _, c := range b {
		byOrg[c.Org] = c
	}
	for _, c := range a {
		d, ok := byOrg[c.Org]
		if !ok || c.State != d.State || c.Revision != d.Revision || c.Attribute != d.Attribute ||
			!bytes.Equal(c.Sanitise, d.Sanitise) || !c.Decided.Equal(d.Decided) {
			return false
		}
	}
	return true
}

// Decide records an organisation's consent to the current revision.
func (s *Store) Decide(ctx context.Context, sc mosaic.ReleaseScope, id string, c mosaic.ReleaseConsent, a mosaic.AuditEntry) error {
	if c.State != mosaic.ConsentApproved && c.State != mosaic.ConsentRefused {
		return mosaic.Errorf(mosaic.CodeInvalid, "a consent is %s or %s, not %q", mosaic.ConsentApproved, mosaic.ConsentRefused, c.State)
	}
	if err := checkText("reason", c.Reason); err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	decided := c.Decided
	if decided.IsZero() {
		decided = now
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		r, err := s.lockRelease(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Org == "" || c.Org != sc.DraftOrg {
			return releaseNotFound(id)
		}
		var org int64
		err = tx.QueryRowContext(ctx, s.q(`SELECT c.org_id FROM release_consents c JOIN orgs o ON o.id = c.org_id WHERE c.release_seq = ? AND o.name = ?`), r.seq, c.Org).Scan(&org)
		if errors.Is(err, sql.ErrNoRows) {
			return releaseNotFound(id)
		}
		if err != nil {
			return mosaic.Internal(err, "query release consent")
		}
		// A draft on hold asks nobody: to those asked it does not exist
		// yet, unless they drafted it.
		if r.State == mosaic.ReleaseDraft && !drafts(sc, r) {
			return releaseNotFound(id)
		}
		if r.State != mosaic.ReleaseAwaitingConsent && r.State != mosaic.ReleaseReady {
			return mosaic.Errorf(mosaic.CodeConflict, "release %s is %s and takes no consent", id, r.State)
		}
		if c.Revision != r.Revision {
			return mosaic.Errorf(mosaic.CodeConflict, "consent for revision %d, the release is at revision %d", c.Revision, r.Revision)
		}
		by, _, err := s.user(ctx, tx, c.DecidedBy)
		if err != nil {
			return err
		}
		if by.Org != c.Org {
			return mosaic.Errorf(mosaic.CodeInvalid, "user %s does not decide for organisation %s", by.Name, c.Org)
		}
		if c.Deputy {
			// The service let the deputy decide because every liaison was
			// away; checked again in the transaction that records it, so
			// that a liaison back in between takes the decision back.
			var liaisons, away int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COUNT(CASE WHEN a.away_until > ? THEN 1 END) FROM users u
				LEFT JOIN liaison_away a ON a.user_id = u.id WHERE u.org_id = ? AND u.role = 'liaison' AND u.disabled = 0`), micros(now), by.OrgID).Scan(&liaisons, &away); err != nil {
				return mosaic.Internal(err, "count liaisons away")
			}
			if liaisons == 0 || away < liaisons {
				return mosaic.Errorf(mosaic.CodeForbidden, "a deputy decides %s's consents only while all its liaisons are away, and one is present or it has none", c.Org)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE release_consents SET state = ?, revision = ?, reason = ?, sanitise = ?, attribute = ?, decided_by = ?, deputy = ?, decided = ?
			WHERE release_seq = ? AND org_id = ?`),
			string(c.State), c.Revision, c.Reason, nullJSON(c.Sanitise), boolInt(c.Attribute), by.ID, boolInt(c.Deputy), micros(decided), r.seq, org); err != nil {
			return mosaic.Internal(err, "record release consent")
		}
		// A refusal keeps the release waiting: the drafter revises it, and
		// a revision asks everyone again.
		var left int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM release_consents WHERE release_seq = ? AND state <> 'approved'`), r.seq).Scan(&left); err != nil {
			return mosaic.Internal(err, "count release consents")
		}
		state := mosaic.ReleaseReady
		if left > 0 {
			state = mosaic.ReleaseAwaitingConsent
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET state = ?, updated = ? WHERE seq = ?`), string(state), micros(now), r.seq); err != nil {
			return mosaic.Internal(err, "update release state")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// pending says which consents a release that is not ready lacks.
func (s *Store) pending(ctx context.Context, tx *sql.Tx, r storedRelease) (string, error) {
	cs, err := s.releaseConsents(ctx, tx, r.seq, 0)
	if err != nil {
		return "", err
	}
	var waiting, refused []string
	for _, c := range cs {
		switch {
		case c.State == mosaic.ConsentRefused:
			refused = append(refused, c.Org)
		case c.State != mosaic.ConsentApproved || c.Revision != r.Revision:
			waiting = append(waiting, c.Org)
		}
	}
	var parts []string
	if len(waiting) > 0 {
		parts = append(parts, "consent pending from "+strings.Join(waiting, ", "))
	}
	if len(refused) > 0 {
		parts = append(parts, "refused by "+strings.Join(refused, ", "))
	}
	if len(parts) == 0 {
		parts = append(parts, "it awaits consent")
	}
	return strings.Join(parts, "; "), nil
}

// delivery is one row of release_deliveries.
type delivery struct {
	kind, recipient string
	org, user       any // an id, or nil
}

// deliveries resolves a release's recipients as they stand now. A
// recipient that no longer resolves is named, and nothing is published:
// a release that reaches fewer than its drafter and those asked agreed on
// is not the one they agreed on.
func (s *Store) deliveries(ctx context.Context, tx *sql.Tx, recipients []string) ([]delivery, error) {
	if len(recipients) == 0 {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "the release names no recipient")
	}
	var out []delivery
	for _, rc := range recipients {
		p, err := mosaic.ParseRecipient(rc)
		if err != nil {
			return nil, err
		}
		gone := func(why string) error {
			return mosaic.Errorf(mosaic.CodeInvalid, "recipient %s no longer resolves: %s", rc, why)
		}
		switch p.Kind {
		case mosaic.RecipientPublic:
			out = append(out, delivery{kind: string(p.Kind), recipient: rc})
		case mosaic.RecipientOrg:
			o, err := s.org(ctx, tx, p.Name)
			if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
				return nil, gone("no such organisation")
			}
			if err != nil {
				return nil, err
			}
			if !policy.MayReceiveReleases(o.Kind) {
				return nil, gone("an oversight body receives no releases")
			}
			out = append(out, delivery{kind: string(p.Kind), recipient: rc, org: o.ID})
		case mosaic.RecipientSector:
			// Sectors are kept joined by commas, none of which a sector's
			// name holds, nor a LIKE wildcard.
			rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM orgs WHERE kind = 'stakeholder' AND ',' || sectors || ',' LIKE ? ORDER BY id`), "%,"+p.Name+",%")
			if err != nil {
				return nil, mosaic.Internal(err, "query sector")
			}
			n := 0
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return nil, mosaic.Internal(err, "scan sector")
				}
				out = append(out, delivery{kind: string(p.Kind), recipient: rc, org: id})
				n++
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, mosaic.Internal(err, "query sector")
			}
			if n == 0 {
				return nil, gone("no stakeholder organisation is in the sector")
			}
		case mosaic.RecipientUser:
			u, kind, err := s.user(ctx, tx, p.Name)
			if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
				return nil, gone("no such user")
			}
			if err != nil {
				return nil, err
			}
			// The rule the draft was checked by holds at publish too: a
			// user disabled, or moved to a role that receives nothing,
			// since the draft gets nothing.
			if u.Disabled || policy.ReleaseScopeOf(mosaic.Viewer{User: u.Name, Org: u.Org, OrgKind: kind, Role: u.Role}).User == "" {
				return nil, gone("the user may not receive releases")
			}
			out = append(out, delivery{kind: string(p.Kind), recipient: rc, user: u.ID})
		}
	}
	return out, nil
}

// checkSupersedes refuses a publication that would tell a recipient of a
// release it never got: every snapshot names the release it supersedes,
// and an organisation that joined a sector since, say, got nothing then.
func (s *Store) checkSupersedes(ctx context.Context, tx *sql.Tx, supersedes string, ds []delivery) error {
	if supersedes == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT d.kind, COALESCE(d.org_id, 0), COALESCE(d.user_id, 0) FROM release_deliveries d
		JOIN releases r ON r.seq = d.release_seq WHERE r.id = ?`), supersedes)
	if err != nil {
		return mosaic.Internal(err, "query superseded deliveries")
	}
	defer rows.Close()
	public, orgs, users := false, map[int64]bool{}, map[int64]bool{}
	for rows.Next() {
		var kind string
		var org, user int64
		if err := rows.Scan(&kind, &org, &user); err != nil {
			return mosaic.Internal(err, "scan superseded delivery")
		}
		public = public || kind == string(mosaic.RecipientPublic)
		orgs[org], users[user] = orgs[org] || org != 0, users[user] || user != 0
	}
	if err := rows.Err(); err != nil {
		return mosaic.Internal(err, "query superseded deliveries")
	}
	for _, d := range ds {
		got := public
		switch id := d.org.(type) {
		case int64:
			got = got || orgs[id]
		}
		switch id := d.user.(type) {
		case int64:
			got = got || users[id]
		}
		if d.kind == string(mosaic.RecipientPublic) {
			got = public
		}
		if !got {
			return mosaic.Errorf(mosaic.CodeConflict, "recipient %s reaches an organisation or user that did not receive %s, which this release supersedes and names; draft it without supersedes", d.recipient, supersedes)
		}
	}
	return nil
}

// checkSeals requires one seal for each recipient and none for anyone
// else: each recipient is served the snapshot sealed for it.
func checkSeals(recipients []string, seals []mosaic.ReleaseSeal) error {
	want := map[string]bool{}
	for _, rc := range recipients {
		want[rc] = true
	}
	got := map[string]bool{}
	for _, se := range seals {
		if !want[se.Recipient] {
			return mosaic.Errorf(mosaic.CodeInvalid, "a seal for %q, which the release does not name", se.Recipient)
		}
		if got[se.Recipient] {
			return mosaic.Errorf(mosaic.CodeInvalid, "two seals for %s", se.Recipient)
		}
		got[se.Recipient] = true
		if err := checkText("seal digest", se.Digest); err != nil {
			return err
		}
		if err := checkText("seal key id", se.KeyID); err != nil {
			return err
		}
	}
	for _, rc := range recipients {
		if !got[rc] {
			return mosaic.Errorf(mosaic.CodeInvalid, "no seal for recipient %s", rc)
		}
	}
	return nil
}

// putObjects adds released objects to a release, as added at added.
func (s *Store) putObjects(ctx context.Context, tx *sql.Tx, seq int64, objs []mosaic.ReleasedObject, revoked bool, added int64) error {
	for _, o := range objs {
		for what, v := range map[string]string{"id": o.ID, "type": o.Type, "modified": o.Modified} {
			if err := checkText("released object "+what, v); err != nil {
				return err
			}
		}
	}
	if err := s.insertMany(ctx, tx, `INSERT INTO released_objects (release_seq, stix_id, type, modified, object, revoked, added) VALUES `, `(?, ?, ?, ?, ?, ?, ?)`, ``, len(objs),
		func(a []any, i int) []any {
			o := objs[i]
			return append(a, seq, o.ID, o.Type, o.Modified, orBytes(o.Object), boolInt(revoked), added)
		}); err != nil {
		return mosaic.Internal(err, "insert released objects")
	}
	return nil
}

// Publish stores a ready release's publication, all or nothing.
func (s *Store) Publish(ctx context.Context, sc mosaic.ReleaseScope, id string, p mosaic.Publication, a mosaic.AuditEntry) error {
	if err := checkTLP("publication", p.TLP); err != nil {
		return err
	}
	if err := checkText("digest", p.Digest); err != nil {
		return err
	}
	published := p.Published.UTC()
	if p.Published.IsZero() {
		published = s.clock.Now().UTC()
	}
	firsts := make([]string, 0, len(p.FirstPublished))
	for fid := range p.FirstPublished {
		if err := checkText("first published id", fid); err != nil {
			return err
		}
		firsts = append(firsts, fid)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		r, err := s.lockRelease(ctx, tx, id)
		if err != nil {
			return err
		}
		if !drafts(sc, r) {
			return releaseNotFound(id)
		}
		switch r.State {
		case mosaic.ReleaseReady:
		case mosaic.ReleaseAwaitingConsent:
			why, err := s.pending(ctx, tx, r)
			if err != nil {
				return err
			}
			return mosaic.Errorf(mosaic.CodeConflict, "release %s is not ready: %s", id, why)
		default:
			return mosaic.Errorf(mosaic.CodeConflict, "release %s is %s, not ready to publish", id, r.State)
		}
		if p.Revision != r.Revision {
			return mosaic.Errorf(mosaic.CodeConflict, "publication of revision %d, the release is at revision %d", p.Revision, r.Revision)
		}
		// The publication was sealed from the consents as they were read
		// before this transaction; a liaison who decided again since
		// (another sanitisation, attribution withdrawn) must be heard.
		stored, err := s.releaseConsents(ctx, tx, r.seq, 0)
		if err != nil {
			return err
		}
		if !sameConsents(stored, p.Consents) {
			return mosaic.Errorf(mosaic.CodeConflict, "a consent to release %s was decided again while it was being published; publish again", id)
		}
		ds, err := s.deliveries(ctx, tx, r.Recipients)
		if err != nil {
			return err
		}
		if err := s.checkSupersedes(ctx, tx, r.Supersedes, ds); err != nil {
			return err
		}
		if err := checkSeals(r.Recipients, p.Seals); err != nil {
			return err
		}
		at := micros(published)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET state = 'published', tlp = ?, published = ?, digest = ?, bundle = ?, record = ?, updated = ? WHERE seq = ?`),
			string(p.TLP), at, p.Digest, orBytes(p.Bundle), orBytes(p.Record), at, r.seq); err != nil {
			return mosaic.Internal(err, "publish release")
		}
		if err := s.insertMany(ctx, tx, `INSERT INTO release_seals (release_seq, recipient, digest, key_id, signature) VALUES `, `(?, ?, ?, ?, ?)`, ``, len(p.Seals),
			func(a []any, i int) []any {
				se := p.Seals[i]
				return append(a, r.seq, se.Recipient, se.Digest, se.KeyID, orBytes(se.Signature))
			}); err != nil {
			return mosaic.Internal(err, "insert release seals")
		}
		if err := s.putObjects(ctx, tx, r.seq, p.Objects, false, at); err != nil {
			return err
		}
		// An id released before keeps its first time: created stays what
		// recipients were first told.
		if err := s.insertMany(ctx, tx, `INSERT INTO released_ids (id, first_published) VALUES `, `(?, ?)`, ` ON CONFLICT (id) DO NOTHING`, len(firsts),
			func(a []any, i int) []any { return append(a, firsts[i], micros(p.FirstPublished[firsts[i]])) }); err != nil {
			return mosaic.Internal(err, "insert first publications")
		}
		if err := s.insertMany(ctx, tx, `INSERT INTO release_deliveries (release_seq, kind, recipient, org_id, user_id) VALUES `, `(?, ?, ?, ?, ?)`, ``, len(ds),
			func(a []any, i int) []any {
				return append(a, r.seq, ds[i].kind, ds[i].recipient, ds[i].org, ds[i].user)
			}); err != nil {
			return mosaic.Internal(err, "insert release deliveries")
		}
		// The recipients are told in the transaction that publishes: a
		// publication that rolls back tells nobody.
		if err := s.notifyAddressed(ctx, tx, r.seq, id, s.clock.Now()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// firstPublishedIDs is how many ids one query of FirstPublished asks for.
const firstPublishedIDs = 500

// FirstPublished returns when each of ids was first published.
func (s *Store) FirstPublished(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for lo := 0; lo < len(ids); lo += firstPublishedIDs {
		part := ids[lo:min(lo+firstPublishedIDs, len(ids))]
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, first_published FROM released_ids WHERE id IN (`+placeholders(len(part))+`)`), anys(part)...)
		if err != nil {
			return nil, mosaic.Internal(err, "query first publications")
		}
		for rows.Next() {
			var id string
			var at int64
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return nil, mosaic.Internal(err, "scan first publication")
			}
			out[id] = fromMicros(at)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, mosaic.Internal(err, "query first publications")
		}
	}
	return out, nil
}

// Withdraw withdraws a published release.
func (s *Store) Withdraw(ctx context.Context, sc mosaic.ReleaseScope, id string, w mosaic.Withdrawal, a mosaic.AuditEntry) error {
	if err := checkText("reason", w.Reason); err != nil {
		return err
	}
	withdrawn := w.Withdrawn.UTC()
	if w.Withdrawn.IsZero() {
		withdrawn = s.clock.Now().UTC()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		r, err := s.lockRelease(ctx, tx, id)
		if err != nil {
			return err
		}
		if !drafts(sc, r) {
			return releaseNotFound(id)
		}
		at := micros(withdrawn)
		switch r.State {
		case mosaic.ReleasePublished:
		case mosaic.ReleaseDraft, mosaic.ReleaseAwaitingConsent, mosaic.ReleaseReady:
			// Never published, it is discarded: its copies of what it
			// pinned go, and nobody received anything to revoke.
			if len(w.Entry) > 0 || len(w.Revoked) > 0 {
				return mosaic.Errorf(mosaic.CodeInvalid, "release %s was never published: there is nothing to revoke", id)
			}
			// The copies' content goes; which contributions they were
			// stays, so that each viewer is still shown only what it
			// may see of the consents. Whether it ever asked anyone
			// (asked) keeps a draft discarded on hold to its drafters.
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE release_items SET object = ? WHERE release_seq = ?`), []byte{}, r.seq); err != nil {
				return mosaic.Internal(err, "discard release items")
			}

			if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET state = 'withdrawn', withdrawn = ?, withdraw_reason = ?, updated = ? WHERE seq = ?`),
				at, w.Reason, at, r.seq); err != nil {
				return mosaic.Internal(err, "discard release")
			}
			return s.appendAudit(ctx, tx, a)
		default:
			return mosaic.Errorf(mosaic.CodeConflict, "release %s is %s", id, r.State)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET state = 'withdrawn', withdrawn = ?, withdraw_reason = ?, withdrawal = ?, updated = ? WHERE seq = ?`),
			at, w.Reason, orBytes(w.Entry), at, r.seq); err != nil {
			return mosaic.Internal(err, "withdraw release")
		}
		if err := s.putObjects(ctx, tx, r.seq, w.Revoked, true, at); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// deadlineMicros stores a deadline, 0 for none.
func deadlineMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func deadlineTime(m int64) time.Time {
	if m == 0 {
		return time.Time{}
	}
	return fromMicros(m)
}

// listLimit returns a listing's limit: 100 unless asked, at most
// releaseListMax.
func listLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, releaseListMax)
}

// ReleaseList lists what sc sees, newest created first. Whom a release
// reached is decided in the query, so that a page holds what sc sees and
// nothing else.
func (s *Store) ReleaseList(ctx context.Context, sc mosaic.ReleaseScope, f mosaic.ReleaseFilter) ([]mosaic.ReleaseSummary, error) {
	ids, err := s.scopeIDs(ctx, s.r, sc)
	if err != nil {
		return nil, err
	}
	// An organisation asked, not the drafter's, sees a release that is
	// ready as awaiting consent, and at the time of its own decision: it
	// must not watch the others decide, by the state, the time or the
	// filter.
	shown := `CASE WHEN r.drafter_org_id = ? OR r.state <> 'ready' THEN r.state ELSE 'awaiting-consent' END`
	query := `SELECT r.seq, r.id, r.title, ` + shown + `, r.tlp, r.revision, r.updated, r.published, r.withdrawn,
		CASE WHEN ` + drafting + ` THEN 1 ELSE 0 END,
		COALESCE((SELECT d.recipient FROM release_deliveries d WHERE d.release_seq = r.seq AND ` + reached + ` ORDER BY ` + deliveryRank + ` LIMIT 1), ''),
		CASE WHEN r.drafter_org_id = ? THEN 1 ELSE 0 END, r.created,
		COALESCE(mc.decided, 0),
		CASE WHEN ` + drafting + ` THEN r.deadline ELSE 0 END,
		CASE WHEN ` + drafting + ` THEN dorg.name ELSE '' END,
		COALESCE(mc.state, ''), COALESCE(mc.revision, 0), COALESCE(mu.name, ''), COALESCE(mc.deputy, 0)
		FROM releases r JOIN orgs dorg ON dorg.id = r.drafter_org_id
		LEFT JOIN release_consents mc ON mc.release_seq = r.seq AND mc.org_id = ? AND (r.drafter_org_id = ? OR (r.state <> 'draft' AND r.asked = 1))
		LEFT JOIN users mu ON mu.id = mc.decided_by
		WHERE (` + drafting + ` OR EXISTS (SELECT 1 FROM release_deliveries d WHERE d.release_seq = r.seq AND ` + reached + `))`
	// The arguments in the order of the placeholders: the columns, the
	// joins, the WHERE clause.
	args := []any{ids.draftOrg, ids.draftOrg, ids.draftOrg, ids.org, ids.user, ids.draftOrg, ids.draftOrg, ids.draftOrg, ids.draftOrg, ids.draftOrg,
		ids.draftOrg, ids.draftOrg,
		ids.draftOrg, ids.draftOrg, ids.org, ids.user}
	if f.Asked || f.Pending {
		// Led by the organisation's consents (release_consents_org), not
		// by every release it sees.
		query = strings.Replace(query, `LEFT JOIN release_consents mc`, `JOIN release_consents mc`, 1)
	}
	if f.Pending {
		query += ` AND mc.state = 'pending'`
	}
	if len(f.States) > 0 {
		query += ` AND ` + shown + ` IN (` + placeholders(len(f.States)) + `)`
		args = append(args, ids.draftOrg)
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if f.Before > 0 {
		query += ` AND r.seq < ?`
		args = append(args, f.Before)
	}
	query += ` ORDER BY r.seq DESC LIMIT ` + strconv.Itoa(listLimit(f.Limit))
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query releases")
	}
	defer rows.Close()
	out := []mosaic.ReleaseSummary{}
	for rows.Next() {
		var e mosaic.ReleaseSummary
		var state, tlp string
		var updated int64
		var published, withdrawn sql.NullInt64
		var cell, own int
		var created, decided, deadline int64
		var cstate, decidedBy string
		var crev, deputy int
		if err := rows.Scan(&e.Seq, &e.ID, &e.Title, &state, &tlp, &e.Revision, &updated, &published, &withdrawn, &cell, &e.Recipient, &own, &created, &decided, &deadline,
			&e.DrafterOrg, &cstate, &crev, &decidedBy, &deputy); err != nil {
			return nil, mosaic.Internal(err, "scan release")
		}
		e.State, e.TLP, e.Updated = mosaic.ReleaseState(state), mosaic.TLP(tlp), fromMicros(updated)
		e.Deadline = deadlineTime(deadline)
		if cell == 1 {
			e.Created = fromMicros(created)
		}
		if cstate != "" {
			// The viewer's own consent, as its organisation's view of the
			// release shows it.
			e.Consent = &mosaic.ReleaseConsent{Org: sc.DraftOrg, State: mosaic.ConsentState(cstate), Revision: crev, DecidedBy: decidedBy, Deputy: deputy != 0}
			if decided > 0 {
				e.Consent.Decided = fromMicros(decided)
			}
		}
		if own == 0 && e.State == mosaic.ReleaseAwaitingConsent {
			e.Updated = fromMicros(max(created, decided))
		}
		if published.Valid {
			e.Published = fromMicros(published.Int64)
		}
		if withdrawn.Valid {
			e.Withdrawn = fromMicros(withdrawn.Int64)
		}
		// Revisions are the cell's business: a recipient gets the release
		// as published.
		if cell == 0 {
			e.Revision = 0
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query releases")
	}
	return out, nil
}

// Delivered returns the release as delivered to sc.
func (s *Store) Delivered(ctx context.Context, sc mosaic.ReleaseScope, id string) (mosaic.Delivery, error) {
	ids, err := s.scopeIDs(ctx, s.r, sc)
	if err != nil {
		return mosaic.Delivery{}, err
	}
	var d mosaic.Delivery
	var tlp string
	var published, withdrawn sql.NullInt64
	var bundle, entry []byte
	err = s.r.QueryRowContext(ctx, s.q(`SELECT d.recipient, r.id, r.title, r.advice, r.advice_nl, r.tlp, r.published, r.supersedes, r.bundle, r.withdrawn, r.withdraw_reason, r.withdrawal,
			COALESCE(se.digest, ''), COALESCE(se.key_id, ''), se.signature
		FROM release_deliveries d JOIN releases r ON r.seq = d.release_seq
		LEFT JOIN release_seals se ON se.release_seq = d.release_seq AND se.recipient = d.recipient
		WHERE r.id = ? AND `+reached+` ORDER BY `+deliveryRank+` LIMIT 1`), id, ids.org, ids.user).
		Scan(&d.Recipient, &d.ID, &d.Title, &d.Advice, &d.AdviceNL, &tlp, &published, &d.Supersedes, &bundle, &withdrawn, &d.WithdrawReason, &entry,
			&d.Seal.Digest, &d.Seal.KeyID, &d.Seal.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		return mosaic.Delivery{}, releaseNotFound(id)
	}
	if err != nil {
		return mosaic.Delivery{}, mosaic.Internal(err, "query delivery")
	}
	d.TLP, d.Bundle, d.Seal.Recipient = mosaic.TLP(tlp), bundle, d.Recipient
	if published.Valid {
		d.Published = fromMicros(published.Int64)
	}
	if withdrawn.Valid {
		d.Withdrawn, d.Withdrawal = fromMicros(withdrawn.Int64), entry
	}
	return d, nil
}

// ReleaseRecord returns the cell-side record of a published release.
func (s *Store) ReleaseRecord(ctx context.Context, sc mosaic.ReleaseScope, id string) (json.RawMessage, error) {
	var rec []byte
	err := s.r.QueryRowContext(ctx, s.q(`SELECT r.record FROM releases r JOIN orgs o ON o.id = r.drafter_org_id
		WHERE r.id = ? AND o.name = ? AND r.published IS NOT NULL`), id, sc.DraftOrg).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, releaseNotFound(id)
	}
	if err != nil {
		return nil, mosaic.Internal(err, "query release record")
	}
	return rec, nil
}

// deliveredTo locks release id and returns its row if it was delivered to
// sc, for feedback.
func (s *Store) deliveredTo(ctx context.Context, tx *sql.Tx, sc mosaic.ReleaseScope, id string) (storedRelease, error) {
	r, err := s.lockRelease(ctx, tx, id)
	if err != nil {
		return r, err
	}
	ids, err := s.scopeIDs(ctx, tx, sc)
	if err != nil {
		return r, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM release_deliveries d WHERE d.release_seq = ? AND `+reached), r.seq, ids.org, ids.user).Scan(&n); err != nil {
		return r, mosaic.Internal(err, "query delivery")
	}
	if n == 0 {
		return r, releaseNotFound(id)
	}
	if r.State != mosaic.ReleasePublished {
		return r, mosaic.Errorf(mosaic.CodeConflict, "release %s is %s and takes no more feedback", id, r.State)
	}
	return r, nil
}

// reporter resolves who reports feedback: the user, and the organisation
// named, or else the user's own.
func (s *Store) reporter(ctx context.Context, tx *sql.Tx, orgs orgIDs, org, user string) (orgID, userID int64, err error) {
	if user == "" {
		return 0, 0, mosaic.Errorf(mosaic.CodeInvalid, "feedback names the user who reports it")
	}
	u, _, err := s.user(ctx, tx, user)
	if err != nil {
		return 0, 0, err
	}
	if org == "" || org == u.Org {
		return u.OrgID, u.ID, nil
	}
	id, err := s.orgID(ctx, tx, orgs, org)
	return id, u.ID, err
}

// AddReceipt stores a recipient's receipt.
func (s *Store) AddReceipt(ctx context.Context, sc mosaic.ReleaseScope, id string, rc mosaic.Receipt, a mosaic.AuditEntry) error {
	known := false
	for _, st := range mosaic.ReceiptStatuses {
		known = known || st == rc.Status
	}
	if !known {
		return mosaic.Errorf(mosaic.CodeInvalid, "receipt status %q is not one of received, in-progress, applied, not-affected, need-help", rc.Status)
	}
	if err := checkText("comment", rc.Comment); err != nil {
		return err
	}
	at := rc.Time
	if at.IsZero() {
		at = s.clock.Now()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		r, err := s.deliveredTo(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		org, user, err := s.reporter(ctx, tx, orgIDs{}, rc.Org, rc.User)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM release_receipts WHERE release_seq = ? AND org_id = ?`), r.seq, org).Scan(&n); err != nil {
			return mosaic.Internal(err, "count receipts")
		}
		if n >= maxReceipts {
			return mosaic.Errorf(mosaic.CodeTooLarge, "an organisation reports at most %d receipts on a release", maxReceipts)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO release_receipts (release_seq, org_id, user_id, status, comment, time) VALUES (?, ?, ?, ?, ?, ?)`),
			r.seq, org, user, string(rc.Status), rc.Comment, micros(at)); err != nil {
			return mosaic.Internal(err, "insert receipt")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// AddSightings stores sightings a recipient reported.
func (s *Store) AddSightings(ctx context.Context, sc mosaic.ReleaseScope, id string, ss []mosaic.ReportedSighting, a mosaic.AuditEntry) error {
	if len(ss) > maxSightings {
		return mosaic.Errorf(mosaic.CodeTooLarge, "an organisation reports at most %d sightings on a release", maxSightings)
	}
	for i, x := range ss {
		if len(x.Sighting) == 0 {
			return mosaic.Errorf(mosaic.CodeInvalid, "sighting %d is empty", i)
		}
	}
	now := s.clock.Now()
	return s.write(ctx, func(tx *sql.Tx) error {
		r, err := s.deliveredTo(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		orgs := orgIDs{}
		type who struct{ org, user int64 }
		users := map[[2]string]who{}
		rows := make([]who, len(ss))
		added := map[int64]int{}
		for i, x := range ss {
			k := [2]string{x.Org, x.User}
			w, ok := users[k]
			if !ok {
				if w.org, w.user, err = s.reporter(ctx, tx, orgs, x.Org, x.User); err != nil {
					return err
				}
				users[k] = w
			}
			rows[i] = w
			added[w.org]++
		}
		for org, n := range added {
			var had int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM release_sightings WHERE release_seq = ? AND org_id = ?`), r.seq, org).Scan(&had); err != nil {
				return mosaic.Internal(err, "count sightings")
			}
			if had+n > maxSightings {
				return mosaic.Errorf(mosaic.CodeTooLarge, "an organisation reports at most %d sightings on a release", maxSightings)
			}
		}
		if err := s.insertMany(ctx, tx, `INSERT INTO release_sightings (release_seq, org_id, user_id, sighting, time) VALUES `, `(?, ?, ?, ?, ?)`, ``, len(ss),
			func(a []any, i int) []any {
				at := ss[i].Time
				if at.IsZero() {
					at = now
				}
				return append(a, r.seq, rows[i].org, rows[i].user, []byte(ss[i].Sighting), micros(at))
			}); err != nil {
			return mosaic.Internal(err, "insert sightings")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// Feedback returns what recipients reported on a published release.
func (s *Store) Feedback(ctx context.Context, id string, f mosaic.FeedbackFilter) (mosaic.Feedback, error) {
	fb := mosaic.Feedback{Receipts: []mosaic.Receipt{}, Sightings: []mosaic.ReportedSighting{}}
	var seq int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT seq FROM releases WHERE id = ? AND published IS NOT NULL`), id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fb, releaseNotFound(id)
	}
	if err != nil {
		return fb, mosaic.Internal(err, "query release")
	}
	only, args := ``, []any{seq}
	if f.Orgs != nil {
		if len(f.Orgs) == 0 {
			return fb, nil
		}
		only += ` AND o.name IN (` + placeholders(len(f.Orgs)) + `)`
		args = append(args, anys(f.Orgs)...)
	}
	if len(f.Except) > 0 {
		only += ` AND o.name NOT IN (` + placeholders(len(f.Except)) + `)`
		args = append(args, anys(f.Except)...)
	}
	// The newest MaxFeedback of each, in the order they came in.
	limit := ` ORDER BY x.seq DESC LIMIT ` + strconv.Itoa(mosaic.MaxFeedback+1)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT o.name, u.name, x.status, x.comment, x.time FROM release_receipts x
		JOIN orgs o ON o.id = x.org_id JOIN users u ON u.id = x.user_id WHERE x.release_seq = ?`+only+limit), args...)
	if err != nil {
		return fb, mosaic.Internal(err, "query receipts")
	}
	for rows.Next() {
		var rc mosaic.Receipt
		var status string
		var at int64
		if err := rows.Scan(&rc.Org, &rc.User, &status, &rc.Comment, &at); err != nil {
			rows.Close()
			return fb, mosaic.Internal(err, "scan receipt")
		}
		rc.Status, rc.Time = mosaic.ReceiptStatus(status), fromMicros(at)
		fb.Receipts = append(fb.Receipts, rc)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fb, mosaic.Internal(err, "query receipts")
	}
	rows, err = s.r.QueryContext(ctx, s.q(`SELECT o.name, u.name, x.sighting, x.time FROM release_sightings x
		JOIN orgs o ON o.id = x.org_id JOIN users u ON u.id = x.user_id WHERE x.release_seq = ?`+only+limit), args...)
	if err != nil {
		return fb, mosaic.Internal(err, "query sightings")
	}
	defer rows.Close()
	for rows.Next() {
		var x mosaic.ReportedSighting
		var sighting []byte
		var at int64
		if err := rows.Scan(&x.Org, &x.User, &sighting, &at); err != nil {
			return fb, mosaic.Internal(err, "scan sighting")
		}
		x.Sighting, x.Time = sighting, fromMicros(at)
		fb.Sightings = append(fb.Sightings, x)
	}
	if err := rows.Err(); err != nil {
		return fb, mosaic.Internal(err, "query sightings")
	}
	if len(fb.Receipts) > mosaic.MaxFeedback {
		fb.Receipts, fb.Truncated = fb.Receipts[:mosaic.MaxFeedback], true
	}
	if len(fb.Sightings) > mosaic.MaxFeedback {
		fb.Sightings, fb.Truncated = fb.Sightings[:mosaic.MaxFeedback], true
	}
	slices.Reverse(fb.Receipts)
	slices.Reverse(fb.Sightings)
	return fb, nil
}

// Released lists a collection's released objects, oldest first. A
// release that reached the collection twice (by organisation and by
// sector) lists its objects once.
func (s *Store) Released(ctx context.Context, sc mosaic.ReleaseScope, f mosaic.ReleasedFilter) ([]mosaic.ReleasedEntry, error) {
	to, args, err := releasedTo(sc, f.Collection)
	if err != nil {
		return nil, err
	}
	// A version two releases hold (the cell's identity, a TLP
	// definition, an observable, the same sanitised object again) is
	// listed once, where it first reached the collection.
	query := `SELECT o.seq, r.id, o.stix_id, o.type, o.modified, o.object, o.revoked, o.added
		FROM released_objects o JOIN releases r ON r.seq = o.release_seq
		WHERE o.release_seq IN (SELECT d.release_seq FROM release_deliveries d WHERE ` + to + `) AND o.seq > ?
		AND NOT EXISTS (SELECT 1 FROM released_objects p WHERE p.stix_id = o.stix_id AND p.modified = o.modified AND p.seq < o.seq
			AND p.release_seq IN (SELECT d.release_seq FROM release_deliveries d WHERE ` + to + `))`
	args = append(append(args, f.After), args...)
	if len(f.IDs) > 0 {
		query += ` AND o.stix_id IN (` + placeholders(len(f.IDs)) + `)`
		args = append(args, anys(f.IDs)...)
	}
	if len(f.Types) > 0 {
		query += ` AND o.type IN (` + placeholders(len(f.Types)) + `)`
		args = append(args, anys(f.Types)...)
	}
	if !f.AddedAfter.IsZero() {
		query += ` AND o.added > ?`
		args = append(args, micros(f.AddedAfter))
	}
	query += ` ORDER BY o.seq LIMIT ` + strconv.Itoa(listLimit(f.Limit))
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query released objects")
	}
	defer rows.Close()
	out := []mosaic.ReleasedEntry{}
	for rows.Next() {
		var e mosaic.ReleasedEntry
		var obj []byte
		var revoked int
		var added int64
		if err := rows.Scan(&e.Seq, &e.Release, &e.ID, &e.Type, &e.Modified, &obj, &revoked, &added); err != nil {
			return nil, mosaic.Internal(err, "scan released object")
		}
		e.Object, e.Revoked, e.Added = obj, revoked != 0, fromMicros(added)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query released objects")
	}
	return out, nil
}

// releasedTo returns the condition on release_deliveries (alias d), with
// its arguments, that selects the deliveries of a collection sc receives.
func releasedTo(sc mosaic.ReleaseScope, collection string) (string, []any, error) {
	kind, name, _ := strings.Cut(collection, ":")
	switch {
	case collection == string(mosaic.RecipientPublic):
		return `d.kind = 'public'`, nil, nil
	case kind == string(mosaic.RecipientOrg) && name != "" && name == sc.Org:
		return `d.org_id = (SELECT id FROM orgs WHERE name = ?)`, []any{name}, nil
	case kind == string(mosaic.RecipientUser) && name != "" && name == sc.User:
		return `d.user_id = (SELECT id FROM users WHERE name = ?)`, []any{name}, nil
	}
	return "", nil, mosaic.Errorf(mosaic.CodeNotFound, "collection %s not found", collection)
}

// ReleasedCount counts the objects of a collection of released objects.
func (s *Store) ReleasedCount(ctx context.Context, sc mosaic.ReleaseScope, collection string) (int, error) {
	to, args, err := releasedTo(sc, collection)
	if err != nil {
		return 0, err
	}
	// A collection changes only when objects are released into it (a
	// publication, a withdrawal's revoked versions): its count is kept
	// under the newest released object, and made again after one.
	var newest int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM released_objects`).Scan(&newest); err != nil {
		return 0, mosaic.Internal(err, "read the newest released object")
	}
	key := strconv.FormatInt(newest, 10) + " " + collection
	s.mu.Lock()
	n, ok := s.counted[key]
	s.mu.Unlock()
	if ok {
		return n, nil
	}
	// From the index on (release_seq, stix_id) alone; a DISTINCT in a
	// subquery is cheaper than COUNT(DISTINCT) on SQLite.
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT DISTINCT o.stix_id FROM released_objects o
		WHERE o.release_seq IN (SELECT d.release_seq FROM release_deliveries d WHERE `+to+`)) x`), args...).Scan(&n); err != nil {
		return 0, mosaic.Internal(err, "count released objects")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// One entry per collection in use, of the newest state only.
	if s.counted == nil || len(s.counted) >= 4096 {
		s.counted = map[string]int{}
	}
	s.counted[key] = n
	return n, nil
}

// PublishedObjects returns the objects a published or withdrawn release
// of the drafting organisation sc.DraftOrg holds, in the order they were
// added, revoked versions last.
func (s *Store) PublishedObjects(ctx context.Context, sc mosaic.ReleaseScope, id string) ([]mosaic.ReleasedObject, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT r.seq FROM releases r JOIN orgs o ON o.id = r.drafter_org_id
		WHERE r.id = ? AND o.name = ? AND r.state IN ('published', 'withdrawn')`), id, sc.DraftOrg).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, releaseNotFound(id)
	}
	if err != nil {
		return nil, mosaic.Internal(err, "query release")
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT stix_id, type, modified, object, revoked FROM released_objects WHERE release_seq = ? ORDER BY seq`), seq)
	if err != nil {
		return nil, mosaic.Internal(err, "query released objects")
	}
	defer rows.Close()
	out := []mosaic.ReleasedObject{}
	for rows.Next() {
		var o mosaic.ReleasedObject
		var obj []byte
		var revoked int
		if err := rows.Scan(&o.ID, &o.Type, &o.Modified, &obj, &revoked); err != nil {
			return nil, mosaic.Internal(err, "scan released object")
		}
		o.Object, o.Revoked = obj, revoked != 0
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "query released objects")
	}
	return out, nil
}

// ReleaseOrigin returns the drafting organisation and state of a
// published or withdrawn release, for the policy to decide who reads its
// feedback.
func (s *Store) ReleaseOrigin(ctx context.Context, id string) (string, mosaic.ReleaseState, error) {
	var org, state string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT o.name, r.state FROM releases r JOIN orgs o ON o.id = r.drafter_org_id
		WHERE r.id = ? AND r.state IN ('published', 'withdrawn')`), id).Scan(&org, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", releaseNotFound(id)
	}
	if err != nil {
		return "", "", mosaic.Internal(err, "query release")
	}
	return org, mosaic.ReleaseState(state), nil
}
