package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/policy"
	"mosaic/web/session"
)

// CreateSession stores a web session and remembers the sign-in as the
// user's last visit.
func (s *Store) CreateSession(ctx context.Context, hash [32]byte, user, csrf string, expires time.Time, a mosaic.AuditEntry) (session.Session, error) {
	now := s.clock.Now().UTC()
	ws := session.Session{User: user, CSRF: csrf, Created: now, Expires: expires.UTC()}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var uid int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM users WHERE name = ?`), user).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return mosaic.Errorf(mosaic.CodeNotFound, "user %s not found", user)
		}
		if err != nil {
			return mosaic.Internal(err, "query user")
		}
		var visited int64
		err = tx.QueryRowContext(ctx, s.q(`SELECT visited, seq FROM web_visits WHERE user_id = ?`), uid).Scan(&visited, &ws.SinceSeq)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return mosaic.Internal(err, "query visit")
		default:
			ws.PreviousVisit = fromMicros(visited)
		}
		var seq int64
		if err := tx.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'records'`).Scan(&seq); err != nil {
			return mosaic.Internal(err, "read records counter")
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO web_sessions (hash, user_id, csrf, created, expires, previous_visit, since_seq) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			hash[:], uid, csrf, micros(now), micros(ws.Expires), visitMicros(ws.PreviousVisit), ws.SinceSeq); err != nil {
			return mosaic.Internal(err, "insert session")
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO web_visits (user_id, visited, seq) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET visited = excluded.visited, seq = excluded.seq`), uid, micros(now), seq); err != nil {
			return mosaic.Internal(err, "record visit")
		}
		// Expired sessions are useless; sign-ins clear them away so that the
		// table does not grow without end.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE expires <= ?`), micros(now)); err != nil {
			return mosaic.Internal(err, "delete expired sessions")
		}
		return s.appendAudit(ctx, tx, a)
	})
	if err != nil {
		return session.Session{}, err
	}
	return ws, nil
}

func visitMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// Session returns a live session and its user's viewer.
func (s *Store) Session(ctx context.Context, hash [32]byte, now time.Time) (session.Session, mosaic.Viewer, error) {
	var ws session.Session
	var v mosaic.Viewer
	var kind, role string
	var grant, approver, disabled int
	var created, expires, previous int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT u.id, u.name, o.id, o.name, o.kind, u.role, u.content_grant, u.approver, u.disabled,
		w.csrf, w.created, w.expires, w.previous_visit, w.since_seq
		FROM web_sessions w JOIN users u ON u.id = w.user_id JOIN orgs o ON o.id = u.org_id WHERE w.hash = ?`), hash[:]).
		Scan(&v.UserID, &v.User, &v.OrgID, &v.Org, &kind, &role, &grant, &approver, &disabled, &ws.CSRF, &created, &expires, &previous, &ws.SinceSeq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return session.Session{}, mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "the session is not valid")
	case err != nil:
		return session.Session{}, mosaic.Viewer{}, mosaic.Internal(err, "query session")
	case !now.Before(fromMicros(expires)):
		return session.Session{}, mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "the session has expired")
	case disabled == 1:
		return session.Session{}, mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "the user is disabled")
	}
	v.OrgKind, v.Role, v.ContentGrant, v.Approver = mosaic.OrgKind(kind), mosaic.Role(role), grant == 1, approver == 1
	ws.User, ws.Created, ws.Expires = v.User, fromMicros(created), fromMicros(expires)
	if previous != 0 {
		ws.PreviousVisit = fromMicros(previous)
	}
	return ws, v, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, hash [32]byte, a mosaic.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE hash = ?`), hash[:]); err != nil {
			return mosaic.Internal(err, "delete session")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// pictureKey is one row of picture_counts.
type pictureKey struct {
	audience int64
	hour     int64
	typ      string
	sector   string
}

// sectorSources are the types whose relationships to identities place them
// in a sector; incidents by any relationship ("concerns"), the others by
// "targets".
var sectorSources = []string{"incident", "campaign", "intrusion-set", "malware"}

// exploiters are the types whose "targets" relationship to a vulnerability
// makes it an exploited one.
var exploiters = []string{"campaign", "intrusion-set", "threat-actor", "malware"}

// countPicture updates the situational picture's aggregates inside Ingest's
// transaction. recs is the whole batch and auds its records' audience rows
// (auds[i] for recs[i]); firsts are the indexes of the records that start
// an (id, originator) chain.
//
// A chain counts once, in the audience of its first version: later versions
// keep their type and created time in practice, and a chain that moves to
// another audience stays counted where everyone who sees its first version
// can see it. Viewers of the new audience alone miss it, which undercounts
// and never reveals.
//
// A sector is taken from an identity only when everyone who may see the
// relationship may see that identity (policy.SeenWith: it is shared with the
// cell, or has the relationship's own audience), so that a count never shows
// a sector from an identity the viewer could not read.
func (s *Store) countPicture(ctx context.Context, tx *sql.Tx, recs []mosaic.Record, auds []int64, firsts []int) error {
	deltas := map[pictureKey]int64{}
	// A link is (source, target identity) for a sector count, or (the
	// vulnerability, "") for an exploited one.
	type link struct {
		audience       int64
		hour           int64
		source, target string
	}
	var links []link
	var targets []any
	refs := map[[2]string]bool{} // (ref, relationship id) for web_refs
	for _, i := range firsts {
		r := &recs[i]
		hour, ok := createdHour(r.CreatedKey)
		if ok && slices.Contains(mosaic.PictureTypes, r.Type) {
			deltas[pictureKey{auds[i], hour, r.Type, ""}]++
		}
		if r.Type != "relationship" {
			continue
		}
		var rel struct {
			Type   string `json:"relationship_type"`
			Source string `json:"source_ref"`
			Target string `json:"target_ref"`
		}
		if json.Unmarshal(r.Object, &rel) != nil {
			continue
		}
		refs[[2]string{rel.Source, r.ID}] = true
		refs[[2]string{rel.Target, r.ID}] = true
		st, _, _ := strings.Cut(rel.Source, "--")
		if ok && strings.HasPrefix(rel.Target, "vulnerability--") &&
			((rel.Type == "targets" && slices.Contains(exploiters, st)) || (rel.Type == "exploits" && st == "malware")) {
			// Counted once per vulnerability and audience, as a link
			// without a sector.
			links = append(links, link{auds[i], hour, rel.Target, ""})
			continue
		}
		if !strings.HasPrefix(rel.Target, "identity--") {
			continue
		}
		if !slices.Contains(sectorSources, st) || (rel.Type != "targets" && st != "incident") {
			continue
		}
		if ok {
			links = append(links, link{auds[i], hour, rel.Source, rel.Target})
		}
		targets = append(targets, rel.Target)
	}
	if len(links) > 0 {
		sectors, err := s.identitySectors(ctx, tx, recs, auds, targets)
		if err != nil {
			return err
		}
		for _, l := range links {
			// A link to an identity counts its source in the identity's
			// sectors; one without a target is an exploited vulnerability.
			secs, typ := []string{""}, mosaic.PictureExploited
			if l.target != "" {
				secs = sectors.of(l.target, l.audience)
				typ, _, _ = strings.Cut(l.source, "--")
			}
			for _, sec := range secs {
				res, err := tx.ExecContext(ctx, s.q(`INSERT INTO picture_links (audience_id, source_id, sector) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), l.audience, l.source, sec)
				if err != nil {
					return mosaic.Internal(err, "insert picture link")
				}
				if n, err := res.RowsAffected(); err == nil && n == 1 {
					deltas[pictureKey{l.audience, l.hour, typ, sec}]++
				}
			}
		}
	}
	// Multi-row statements, as for the records: a batch of indicators
	// spread over many hours touches many rows.
	var rows [][]any
	for k := range refs {
		rows = append(rows, []any{k[0], k[1]})
	}
	if err := s.insertRowsOf(ctx, tx, `INSERT INTO web_refs (ref, stix_id) VALUES `, ` ON CONFLICT DO NOTHING`, rows); err != nil {
		return mosaic.Internal(err, "insert relationship refs")
	}
	rows = rows[:0]
	for k, n := range deltas {
		rows = append(rows, []any{k.audience, k.hour, k.typ, k.sector, n})
	}
	if err := s.insertRowsOf(ctx, tx, `INSERT INTO picture_counts (audience_id, hour, type, sector, n) VALUES `,
		` ON CONFLICT (audience_id, hour, type, sector) DO UPDATE SET n = picture_counts.n + excluded.n`, rows); err != nil {
		return mosaic.Internal(err, "update picture counts")
	}
	return nil
}

// insertRowsOf inserts rows, all of the same width, with insertMany.
func (s *Store) insertRowsOf(ctx context.Context, tx *sql.Tx, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return s.insertMany(ctx, tx, head, "("+placeholders(len(rows[0]))+")", tail, len(rows), func(a []any, i int) []any { return append(a, rows[i]...) })
}

// createdHour reads the hour, in Unix hours, of a created key
// (stix.TimeKey: YYYYMMDDHHMMSS...).
func createdHour(key string) (int64, bool) {
	if len(key) < 10 {
		return 0, false
	}
	t, err := time.Parse("2006010215", key[:10])
	if err != nil {
		return 0, false
	}
	return t.Unix() / 3600, true
}

// identityVersion is one stored or arriving version of an identity.
type identityVersion struct {
	audience int64
	cell     bool
	modKey   string
	sectors  []string
}

type identityIndex map[string][]identityVersion

// of returns the sectors of the newest version of identity id that every
// viewer of audience aud may see (policy.SeenWith).
func (x identityIndex) of(id string, aud int64) []string {
	var best *identityVersion
	for i, v := range x[id] {
		if policy.SeenWith(v.audience, v.cell, aud) && (best == nil || v.modKey > best.modKey) {
			best = &x[id][i]
		}
	}
	if best == nil {
		return nil
	}
	return best.sectors
}

// sectorsOf returns the sectors an identity names from the STIX
// industry-sector vocabulary, each once. The property is whatever the
// contributor wrote: taking it as it is would let one identity with a
// million made-up sectors add a million aggregate rows to every
// relationship that points at it, and put its text into links. The
// vocabulary bounds both, so an identity counts in at most
// len(mosaic.Sectors) sectors.
func sectorsOf(obj []byte) []string {
	var id struct {
		Sectors []json.RawMessage `json:"sectors"`
	}
	_ = json.Unmarshal(obj, &id)
	var out []string
	for _, raw := range id.Sectors {
		var sector string
		if json.Unmarshal(raw, &sector) == nil && mosaic.ValidSector(sector) && !slices.Contains(out, sector) {
			out = append(out, sector)
		}
	}
	return out
}

// identitySectors gathers the versions of the target identities from the
// batch (recs, of audience rows auds) and from the store.
func (s *Store) identitySectors(ctx context.Context, tx *sql.Tx, recs []mosaic.Record, auds []int64, targets []any) (identityIndex, error) {
	x := identityIndex{}
	for i := range recs {
		if r := &recs[i]; r.Type == "identity" {
			x[r.ID] = append(x[r.ID], identityVersion{auds[i], r.Envelope.Audience.Cell, r.ModifiedKey, sectorsOf(r.Object)})
		}
	}
	slices.SortFunc(targets, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	targets = slices.Compact(targets)
	for lo := 0; lo < len(targets); lo += chainQueryIDs {
		part := targets[lo:min(lo+chainQueryIDs, len(targets))]
		// The records lead, as in heldElsewhereQuery.
		rows, err := tx.QueryContext(ctx, s.q(`SELECT r.stix_id, r.audience_id, a.cell, r.modified_key, r.object FROM records r CROSS JOIN audiences a
			WHERE a.id = r.audience_id AND r.stix_id IN (`+placeholders(len(part))+`)`), part...)
		if err != nil {
			return nil, mosaic.Internal(err, "query identities")
		}
		for rows.Next() {
			var id string
			var v identityVersion
			var cell int
			var obj []byte
			if err := rows.Scan(&id, &v.audience, &cell, &v.modKey, &obj); err != nil {
				rows.Close()
				return nil, mosaic.Internal(err, "scan identity")
			}
			v.cell, v.sectors = cell == 1, sectorsOf(obj)
			x[id] = append(x[id], v)
		}
		if err := rows.Close(); err != nil {
			return nil, mosaic.Internal(err, "scan identities")
		}
	}
	return x, nil
}

// Picture counts what v can see from the picture's aggregates: at most
// PictureDays × 24 hours of rows per visible audience, type and sector,
// however many objects there are.
func (s *Store) Picture(ctx context.Context, v mosaic.Viewer, now time.Time, since int64) (mosaic.Picture, error) {
	p := mosaic.Picture{ByType: map[string]mosaic.PictureCount{}, BySector: map[string]map[string]mosaic.PictureCount{}, Daily: map[string][]int64{}}
	for _, t := range mosaic.PictureTypes {
		p.ByType[t] = mosaic.PictureCount{}
		p.Daily[t] = make([]int64, mosaic.PictureDays)
	}
	if !policy.SeesContent(v) {
		return p, nil
	}
	hour := now.Unix() / 3600
	vis, args := policy.VisibleClause(v, "c.audience_id", "")
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT x.type, x.sector, x.day, SUM(x.n) FROM (SELECT c.type, c.sector, (CAST(? AS BIGINT) - c.hour) / 24 AS day, c.n
		FROM picture_counts c WHERE c.hour > CAST(? AS BIGINT) AND c.hour <= CAST(? AS BIGINT) AND `+vis+`) x
		GROUP BY x.type, x.sector, x.day`),
		append([]any{hour, hour - 24*mosaic.PictureDays, hour}, args...)...)
	if err != nil {
		return p, mosaic.Internal(err, "query picture")
	}
	defer rows.Close()
	for rows.Next() {
		var typ, sector string
		var day, n int64
		if err := rows.Scan(&typ, &sector, &day, &n); err != nil {
			return p, mosaic.Internal(err, "scan picture")
		}
		if day < 0 || day >= mosaic.PictureDays || n == 0 {
			continue
		}
		add := func(c mosaic.PictureCount) mosaic.PictureCount {
			c.Month += n
			if day < 7 {
				c.Week += n
			}
			if day == 0 {
				c.Day += n
			}
			return c
		}
		if sector == "" {
			p.ByType[typ] = add(p.ByType[typ])
			if d, ok := p.Daily[typ]; ok {
				d[mosaic.PictureDays-1-day] += n
			}
			continue
		}
		if p.BySector[sector] == nil {
			p.BySector[sector] = map[string]mosaic.PictureCount{}
		}
		p.BySector[sector][typ] = add(p.BySector[sector][typ])
	}
	if err := rows.Err(); err != nil {
		return p, mosaic.Internal(err, "scan picture")
	}
	if since > 0 {
		rvis, rargs := policy.VisibleClause(v, "r.audience_id", "")
		var n int64
		err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT 1 FROM records r WHERE r.seq > ? AND `+rvis+` LIMIT ?) x`),
			append(append([]any{since}, rargs...), mosaic.PictureNewCap+1)...).Scan(&n)
		if err != nil {
			return p, mosaic.Internal(err, "count new records")
		}
		p.New, p.NewCapped = min(n, mosaic.PictureNewCap), n > mosaic.PictureNewCap
	}
	return p, nil
}

// Relationships returns the newest visible version of each relationship
// that points at id, newest stored first, at most limit.
func (s *Store) Relationships(ctx context.Context, v mosaic.Viewer, id string, limit int) ([]mosaic.StoredObject, error) {
	if !policy.SeesContent(v) {
		return []mosaic.StoredObject{}, nil
	}
	vis, args := policy.VisibleClause(v, "r.audience_id", "")
	vf, vargs := versionFilter(v, nil, "", nil)
	query := `SELECT ` + listColumns + `, ` + originatorColumns + ` FROM records r JOIN orgs o ON o.id = r.originator
		WHERE r.stix_id IN (SELECT x.stix_id FROM web_refs x WHERE x.ref = ?) AND ` + vis + ` AND ` + vf + ` ORDER BY r.seq DESC LIMIT ?`
	objs, _, err := s.scanObjects(ctx, v, limit, s.q(query), append(append(append([]any{id}, args...), vargs...), limit+1)...)
	return objs, err
}

// SetThreatLevel records a sector's threat level.
func (s *Store) SetThreatLevel(ctx context.Context, v mosaic.Viewer, sector string, level mosaic.ThreatLevel, reason string, a mosaic.AuditEntry) error {
	if err := policy.MayContribute(v); err != nil {
		return err
	}
	var problems []mosaic.Problem
	if !mosaic.ValidSector(sector) {
		problems = append(problems, mosaic.Problem{Property: "sector", Reason: "not a sector of the STIX industry-sector vocabulary"})
	}
	if !slices.Contains(mosaic.ThreatLevels, level) {
		problems = append(problems, mosaic.Problem{Property: "level", Reason: "not one of low, moderate, substantial, high, critical"})
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		problems = append(problems, mosaic.Problem{Property: "reason", Reason: "say why the level is what it is"})
	case len(reason) > mosaic.MaxThreatReason:
		problems = append(problems, mosaic.Problem{Property: "reason", Reason: "longer than 4,000 bytes"})
	}
	if len(problems) > 0 {
		return &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the threat level was not set", Problems: problems}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO threat_levels (sector, level, reason, user_id, org, set_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			sector, string(level), reason, v.UserID, v.Org, micros(s.clock.Now())).Scan(&id); err != nil {
			return mosaic.Internal(err, "insert threat level")
		}
		// The current level of each sector is kept as it is set, so that
		// the picture reads one row per sector, not the whole history.
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO threat_current (sector, threat_id) VALUES (?, ?)
			ON CONFLICT (sector) DO UPDATE SET threat_id = excluded.threat_id`), sector, id); err != nil {
			return mosaic.Internal(err, "set current threat level")
		}
		return s.appendAudit(ctx, tx, a)
	})
}

// ThreatLevels returns the current levels, or one sector's history.
func (s *Store) ThreatLevels(ctx context.Context, v mosaic.Viewer, sector string, limit int) ([]mosaic.SectorThreat, error) {
	out := []mosaic.SectorThreat{}
	if !policy.SeesContent(v) {
		return out, nil
	}
	query := `SELECT t.sector, t.level, t.reason, u.name, t.org, t.set_at FROM threat_levels t JOIN users u ON u.id = t.user_id `
	var args []any
	if sector == "" {
		query = `SELECT t.sector, t.level, t.reason, u.name, t.org, t.set_at FROM threat_current c
			JOIN threat_levels t ON t.id = c.threat_id JOIN users u ON u.id = t.user_id ORDER BY c.sector`
	} else {
		query += `WHERE t.sector = ? ORDER BY t.id DESC LIMIT ?`
		args = []any{sector, limit}
	}
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query threat levels")
	}
	defer rows.Close()
	for rows.Next() {
		var t mosaic.SectorThreat
		var level string
		var set int64
		if err := rows.Scan(&t.Sector, &level, &t.Reason, &t.User, &t.Org, &set); err != nil {
			return nil, mosaic.Internal(err, "scan threat level")
		}
		t.Level, t.Set = mosaic.ThreatLevel(level), fromMicros(set)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, mosaic.Internal(err, "scan threat levels")
	}
	return out, nil
}
