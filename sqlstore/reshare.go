package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"mosaic"
	"mosaic/policy"
	"mosaic/stix"
)

// checkReshare refuses the records of a batch that would widen who reads,
// lower the TLP of, or drop the originator control of another
// organisation's contribution of the same id that v can see
// (policy.MayReshare), inside the batch's transaction so that the check
// holds at submit time. It looks only at records v can see. Exempt are
// value-derived SCOs (a standard SCO type under a version 5 UUID: two
// partners who see the same IP address hold the same id). A copy of a
// third party's object (MITRE's, a vendor's: a held contribution whose
// created_by_ref names neither a Mosaic organisation nor nobody, when the
// new record names the same creator) may go as far as the least
// restricted of those contributions (policy.MayReshareCopy). Which
// contributions are a third party's is judged from what is held, not from
// what the submitter writes.
func (s *Store) checkReshare(ctx context.Context, tx *sql.Tx, v mosaic.Viewer, recs []mosaic.Record) error {
	var ids []any
	seen := map[string]bool{}
	for _, r := range recs {
		key := strings.ToLower(r.ID)
		if seen[key] || valueDerived(r) {
			continue
		}
		seen[key] = true
		ids = append(ids, key)
	}
	if len(ids) == 0 {
		return nil
	}
	held, comps, err := s.heldElsewhere(ctx, tx, v, ids)
	if err != nil || len(held) == 0 {
		return err
	}
	identities, err := s.orgIdentities(ctx, tx)
	if err != nil {
		return err
	}
	members, err := s.compartmentMembers(ctx, tx, comps, recs)
	if err != nil {
		return err
	}
	var problems []mosaic.Problem
	for _, r := range recs {
		var hs, copies []policy.Held
		for _, x := range held[strings.ToLower(r.ID)] {
			h := policy.Held{Originator: x.originator, Reach: policy.ReachOf(x.originator, x.audience, members), TLP: x.tlp, ORCON: x.orcon}
			if thirdParty(x.createdBy, identities) && strings.EqualFold(x.createdBy, r.CreatedBy) {
				copies = append(copies, h)
			} else {
				hs = append(hs, h)
			}
		}
		reach := policy.ReachOf(v.Org, r.Envelope.Audience, members)
		err := policy.MayReshare(reach, r.Envelope.TLP, r.Envelope.ORCON, hs)
		if err == nil && len(copies) > 0 {
			err = policy.MayReshareCopy(reach, r.Envelope.TLP, r.Envelope.ORCON, copies)
		}
		if err != nil {
			problems = append(problems, mosaic.Problem{Object: r.ID, Reason: mosaic.ErrorMessage(err)})
		}
	}
	if len(problems) > 0 {
		return &mosaic.Error{Code: mosaic.CodeInvalid, Message: fmt.Sprintf("%d objects would re-share another organisation's contribution; nothing was stored", len(problems)), Problems: problems}
	}
	return nil
}

// valueDerived reports whether r is an SCO of a type STIX 2.1 defines
// under a version 5 UUID, the kind of id STIX derives from an
// observable's values (§2.9). Another id says nothing of the values, so it
// is checked like an SDO's.
func valueDerived(r mosaic.Record) bool {
	return stix.IsSCOType(r.Type) && len(r.ID) > 36 && r.ID[len(r.ID)-36+14] == '5'
}

// thirdParty reports whether createdBy names a creator outside Mosaic.
func thirdParty(createdBy string, identities map[string]bool) bool {
	return createdBy != "" && !identities[strings.ToLower(createdBy)]
}

// orgIdentities returns the STIX identities of the organisations, in lower
// case.
func (s *Store) orgIdentities(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT identity FROM orgs`)
	if err != nil {
		return nil, mosaic.Internal(err, "query identities")
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, mosaic.Internal(err, "scan identity")
		}
		out[strings.ToLower(id)] = true
	}
	return out, rows.Err()
}

// heldRecord is another organisation's newest visible contribution of an
// object.
type heldRecord struct {
	originator string
	audience   mosaic.Audience
	tlp        mosaic.TLP
	orcon      bool
	createdBy  string
}

// heldElsewhere returns, by id in lower case, the newest version of each
// other organisation's chain of ids that v can see, and the compartments
// their audiences name. The ids are given in lower case and match a
// stored id in any spelling (RFC 9562 reads a UUID in any case).
func (s *Store) heldElsewhere(ctx context.Context, tx *sql.Tx, v mosaic.Viewer, ids []any) (map[string][]heldRecord, []string, error) {
	out := map[string][]heldRecord{}
	var comps []string
	for lo := 0; lo < len(ids); lo += chainQueryIDs {
		part := ids[lo:min(lo+chainQueryIDs, len(ids))]
		q, args := heldElsewhereQuery(v, part)
		rows, err := tx.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return nil, nil, mosaic.Internal(err, "query held contributions")
		}
		type key struct{ id, org string }
		newest := map[key]string{}
		for rows.Next() {
			var id, org, tlp, comp, mod string
			var object []byte
			var cell, orcon int
			if err := rows.Scan(&id, &org, &tlp, &orcon, &object, &cell, &comp, &mod); err != nil {
				rows.Close()
				return nil, nil, mosaic.Internal(err, "scan held contribution")
			}
			id = strings.ToLower(id)
			k := key{id, org}
			if m, ok := newest[k]; ok && m != mod {
				continue // an older version of a chain already read
			}
			if _, ok := newest[k]; !ok {
				newest[k] = mod
				out[id] = append(out[id], heldRecord{originator: org, tlp: mosaic.TLP(tlp), orcon: orcon == 1,
					audience: mosaic.Audience{Cell: cell == 1}, createdBy: stix.ReadHead(object).CreatedBy})
			}
			if comp != "" {
				h := &out[id][len(out[id])-1]
				h.audience.Compartments = append(h.audience.Compartments, comp)
				comps = append(comps, comp)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, nil, mosaic.Internal(err, "scan held contributions")
		}
	}
	return out, comps, nil
}

// heldElsewhereQuery selects the contributions of other organisations' to
// ids that v can see. The records lead (CROSS JOIN, and a unary + on the
// audience column): every record of the cell shares one audience, and
// where the statistics SQLite samples say an audience holds a record or
// two, its planner would otherwise read every record of an audience for
// each chunk of ids, 0.6 s where the id index takes 10 ms.
func heldElsewhereQuery(v mosaic.Viewer, ids []any) (string, []any) {
	vis, vargs := policy.VisibleClause(v, "+r.audience_id", "")
	return `SELECT r.stix_id, o.name, r.tlp, r.orcon, r.object, a.cell, COALESCE(c.name, ''), r.modified_key
			FROM records r CROSS JOIN orgs o CROSS JOIN audiences a
			LEFT JOIN audience_compartments ac ON ac.audience_id = a.id LEFT JOIN compartments c ON c.id = ac.compartment_id
			WHERE o.id = r.originator AND a.id = r.audience_id AND r.originator <> ? AND lower(r.stix_id) IN (` + placeholders(len(ids)) + `) AND ` + vis + `
			ORDER BY lower(r.stix_id), o.name, r.modified_key DESC`, append(append([]any{v.OrgID}, ids...), vargs...)
}

// compartmentMembers returns the members of the compartments named, and
// of those the batch's records are shared with.
func (s *Store) compartmentMembers(ctx context.Context, tx *sql.Tx, comps []string, recs []mosaic.Record) (map[string]policy.Members, error) {
	names := map[string]bool{}
	for _, c := range comps {
		names[c] = true
	}
	for _, r := range recs {
		for _, c := range r.Envelope.Audience.Compartments {
			names[c] = true
		}
	}
	out := map[string]policy.Members{}
	if len(names) == 0 {
		return out, nil
	}
	var args []any
	for n := range names {
		args = append(args, n)
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT c.name, COALESCE(mo.name, ''), COALESCE(u.name, ''), COALESCE(uo.name, '')
		FROM compartments c JOIN compartment_members m ON m.compartment_id = c.id
		LEFT JOIN orgs mo ON mo.id = m.org_id LEFT JOIN users u ON u.id = m.user_id LEFT JOIN orgs uo ON uo.id = u.org_id
		WHERE c.name IN (`+placeholders(len(args))+`)`), args...)
	if err != nil {
		return nil, mosaic.Internal(err, "query members")
	}
	defer rows.Close()
	for rows.Next() {
		var c, org, user, userOrg string
		if err := rows.Scan(&c, &org, &user, &userOrg); err != nil {
			return nil, mosaic.Internal(err, "scan member")
		}
		m := out[c]
		if m.Users == nil {
			m.Users = map[string]string{}
		}
		if org != "" {
			m.Orgs = append(m.Orgs, org)
		}
		if user != "" {
			m.Users[user] = userOrg
		}
		out[c] = m
	}
	return out, rows.Err()
}
