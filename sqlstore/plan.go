package sqlstore

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"mosaic"
)

// chainRow is one version in an (id, originator) chain, stored or about to
// be.
type chainRow struct {
	modKey       string
	audience     int64
	tlp          string
	hash         []byte
	orcon        bool
	legal, revBy string
	multi        bool
}

type countKey struct {
	audience int64
	typ, tlp string
}

// ingestPlan is what Ingest writes for a batch. planIngest works it out in
// memory; Ingest's writer applies it.
type ingestPlan struct {
	res mosaic.IngestResult
	// problems are the records that conflict with versions held under the
	// same key. A plan with problems is not written at all.
	problems []mosaic.Problem
	// rows are the records to insert, in batch order.
	rows []planRow
	// chains are the stored chains that get a new version, in batch order.
	chains []chainUpdate
	// deltas are the changes to record_counts; none is zero.
	deltas map[countKey]int64
	// firsts are the batch indexes of the records that start a chain, for
	// the situational picture (see countPicture).
	firsts []int
}

// planRow is a record to insert.
type planRow struct {
	rec        int   // index in the batch
	audience   int64 // its audience row
	superseded bool  // its chain has a newer version, stored or in the batch
	multi      bool  // its chain spans audiences
}

// chainUpdate is what changes for the stored versions of a chain.
type chainUpdate struct {
	id string
	// head is the modified key of the chain's newest version: the stored
	// versions older than it are superseded.
	head string
	// multi is set when the chain spans audiences from this batch on: its
	// stored versions become multi.
	multi bool
}

// planIngest plans the ingest of recs, whose audience rows are auds
// (auds[i] for recs[i]), into the chains stored holds: the stored versions
// of the batch's (id, originator) chains, by id, all of one originator. It
// reads nothing but its arguments and changes none of them.
//
// Next to the records the plan keeps two things up to date that make reads
// cheap: superseded marks every version with a newer one in its chain, so
// "newest visible version" needs a look at older chains only; and
// record_counts counts chain heads per audience for chains whose versions
// all share one audience (multi = 0). Chains that span audiences
// (multi = 1) are rare and counted exactly at read time.
func planIngest(recs []mosaic.Record, auds []int64, stored map[string][]chainRow) ingestPlan {
	p := ingestPlan{rows: make([]planRow, 0, len(recs)), deltas: map[countKey]int64{}}
	// The batch's chains as they grow: the stored versions, copied when the
	// batch adds to them, then the batch's.
	chains := make(map[string][]chainRow, len(recs))
	var grown []string // stored chains that get a new version, in batch order
	for i := range recs {
		r, aud := &recs[i], auds[i]
		chain, planned := chains[r.ID]
		if !planned {
			chain = stored[r.ID]
		}
		head, same := -1, -1
		for j := range chain {
			c := &chain[j]
			if c.modKey == r.ModifiedKey {
				same = j
			}
			if head < 0 || c.modKey > chain[head].modKey {
				head = j
			}
		}
		if same >= 0 {
			if reason := sameKeyProblem(chain[same], r, aud); reason != "" {
				p.problems = append(p.problems, mosaic.Problem{Object: r.ID, Reason: reason})
			} else {
				p.res.Unchanged++
			}
			continue
		}
		if !planned && len(chain) > 0 {
			chain = append(make([]chainRow, 0, len(chain)+1), chain...)
			grown = append(grown, r.ID)
		}
		e := &r.Envelope
		newest := head < 0 || r.ModifiedKey > chain[head].modKey
		multi := false
		switch {
		case head < 0:
			p.deltas[countKey{aud, r.Type, string(e.TLP)}]++
			p.firsts = append(p.firsts, i)
			p.res.New++
		case chain[head].multi:
			multi = true
			p.res.NewVersions++
		case chain[head].audience != aud:
			// The chain now spans audiences: from here on it is counted at
			// read time.
			p.deltas[countKey{chain[head].audience, r.Type, chain[head].tlp}]--
			for j := range chain {
				chain[j].multi = true
			}
			multi = true
			p.res.NewVersions++
		default:
			if newest {
				p.deltas[countKey{aud, r.Type, chain[head].tlp}]--
				p.deltas[countKey{aud, r.Type, string(e.TLP)}]++
			}
			p.res.NewVersions++
		}
		chains[r.ID] = append(chain, chainRow{modKey: r.ModifiedKey, audience: aud, tlp: string(e.TLP), hash: r.Hash[:], orcon: e.ORCON, legal: e.LegalBasis, revBy: e.ReviewBy, multi: multi})
		p.rows = append(p.rows, planRow{rec: i, audience: aud})
	}
	// The flags of a row are known once the whole batch is planned: a later
	// record may be a newer version, or move the chain to another audience.
	for k := range p.rows {
		row := &p.rows[k]
		r := &recs[row.rec]
		chain := chains[r.ID]
		row.superseded, row.multi = r.ModifiedKey < headKey(chain), chain[0].multi
	}
	for _, id := range grown {
		chain := chains[id]
		p.chains = append(p.chains, chainUpdate{id: id, head: headKey(chain),
			multi: chain[0].multi && slices.ContainsFunc(stored[id], func(c chainRow) bool { return !c.multi })})
	}
	for k, n := range p.deltas {
		if n == 0 {
			delete(p.deltas, k)
		}
	}
	return p
}

func headKey(chain []chainRow) string {
	h := ""
	for _, c := range chain {
		h = max(h, c.modKey)
	}
	return h
}

// sameKeyProblem compares a submitted record, of audience row aud, with the
// stored one under the same key. Only fields the submitter set explicitly
// can conflict: a default that differs from what was chosen before is not a
// request to change it.
func sameKeyProblem(stored chainRow, r *mosaic.Record, aud int64) string {
	e, x := &r.Envelope, r.Explicit
	switch {
	case !bytes.Equal(stored.hash, r.Hash[:]):
		return "your organisation already holds different content under this id and modified timestamp; submit a new version with a later modified"
	case x.TLP && stored.tlp != string(e.TLP):
		return fmt.Sprintf("your organisation already holds this object under TLP:%s; the TLP of a stored record does not change", strings.ToUpper(stored.tlp))
	case x.Audience && stored.audience != aud:
		return "your organisation already holds this object with another audience; the audience of a stored record does not change"
	case x.ORCON && stored.orcon != e.ORCON:
		return "your organisation already holds this object with another orcon setting"
	case x.LegalBasis && stored.legal != e.LegalBasis:
		return fmt.Sprintf("your organisation already holds this object under legal basis %s", stored.legal)
	case x.ReviewBy && stored.revBy != e.ReviewBy:
		return fmt.Sprintf("your organisation already holds this object with review date %s", stored.revBy)
	}
	return ""
}
