package sqlstore

import (
	"crypto/sha256"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"mosaic"
)

// The planner's tests need no database: a batch, its audience rows and the
// stored chains are all planIngest reads.

const (
	audCell int64 = 1 // audience rows of the tests
	audOps  int64 = 2
)

// rec is a record of an indicator with content, version mod and TLP tlp.
func rec(id, mod string, tlp mosaic.TLP, content string) mosaic.Record {
	return mosaic.Record{ID: id, Type: "indicator", CreatedKey: "20261001000000", ModifiedKey: mod,
		Envelope: mosaic.Envelope{TLP: tlp, Audience: mosaic.Audience{Cell: true}, ORCON: true, LegalBasis: "wbni", ReviewBy: "2027-11-01"},
		Object:   []byte(content), Hash: sha256.Sum256([]byte(content))}
}

// storedRow is the stored version of r in audience aud.
func storedRow(r mosaic.Record, aud int64, multi bool) chainRow {
	h := r.Hash
	return chainRow{modKey: r.ModifiedKey, audience: aud, tlp: string(r.Envelope.TLP), hash: h[:], orcon: r.Envelope.ORCON,
		legal: r.Envelope.LegalBasis, revBy: r.Envelope.ReviewBy, multi: multi}
}

var planCmp = []cmp.Option{
	cmp.AllowUnexported(ingestPlan{}, planRow{}, chainUpdate{}, countKey{}, chainRow{}),
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(mosaic.Record{}, "Terms"),
}

func TestPlanIngest(t *testing.T) {
	const (
		id1 = "indicator--00000001-0000-4000-8000-000000000001"
		id2 = "indicator--00000002-0000-4000-8000-000000000002"
		id3 = "indicator--00000003-0000-4000-8000-000000000003"
		t1  = "20261001000000"
		t2  = "20261002000000"
		t3  = "20261003000000"
	)
	amber, green := mosaic.TLPAmber, mosaic.TLPGreen
	v1 := rec(id1, t1, amber, "one v1")
	v2 := rec(id1, t2, green, "one v2")
	v3 := rec(id1, t3, amber, "one v3")
	changed := rec(id1, t1, amber, "one v1, changed")
	explicitORCON := v1
	explicitORCON.Envelope.ORCON, explicitORCON.Explicit.ORCON = false, true
	defaultORCON := v1
	defaultORCON.Envelope.ORCON = false
	defaultAudience := v1 // another audience, by default: see auds below
	explicitAudience := v1
	explicitAudience.Explicit.Audience = true
	// The audience of explicitAudience and defaultAudience is ops; their
	// stored version's is the cell.
	count := func(aud int64, tlp mosaic.TLP) countKey { return countKey{aud, "indicator", string(tlp)} }

	for _, tc := range []struct {
		name   string
		recs   []mosaic.Record
		auds   []int64 // the records' audience rows; the cell when nil
		stored map[string][]chainRow
		want   ingestPlan
	}{{
		name: "new record",
		recs: []mosaic.Record{v1},
		want: ingestPlan{res: mosaic.IngestResult{New: 1}, rows: []planRow{{rec: 0, audience: audCell}},
			deltas: map[countKey]int64{count(audCell, amber): 1}, firsts: []int{0}},
	}, {
		name:   "identical resubmission",
		recs:   []mosaic.Record{v1},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want:   ingestPlan{res: mosaic.IngestResult{Unchanged: 1}},
	}, {
		name:   "different content under the same key",
		recs:   []mosaic.Record{changed},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want: ingestPlan{problems: []mosaic.Problem{{Object: id1,
			Reason: "your organisation already holds different content under this id and modified timestamp; submit a new version with a later modified"}}},
	}, {
		name:   "explicit orcon differs",
		recs:   []mosaic.Record{explicitORCON},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want:   ingestPlan{problems: []mosaic.Problem{{Object: id1, Reason: "your organisation already holds this object with another orcon setting"}}},
	}, {
		name:   "explicit audience differs",
		recs:   []mosaic.Record{explicitAudience},
		auds:   []int64{audOps},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want: ingestPlan{problems: []mosaic.Problem{{Object: id1,
			Reason: "your organisation already holds this object with another audience; the audience of a stored record does not change"}}},
	}, {
		name:   "default orcon differs",
		recs:   []mosaic.Record{defaultORCON},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want:   ingestPlan{res: mosaic.IngestResult{Unchanged: 1}},
	}, {
		name:   "default audience differs",
		recs:   []mosaic.Record{defaultAudience},
		auds:   []int64{audOps},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want:   ingestPlan{res: mosaic.IngestResult{Unchanged: 1}},
	}, {
		name:   "newer version in the same audience",
		recs:   []mosaic.Record{v2},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want: ingestPlan{res: mosaic.IngestResult{NewVersions: 1}, rows: []planRow{{rec: 0, audience: audCell}},
			chains: []chainUpdate{{id: id1, head: t2}},
			deltas: map[countKey]int64{count(audCell, amber): -1, count(audCell, green): 1}},
	}, {
		name:   "newer version of the same TLP",
		recs:   []mosaic.Record{v3},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want: ingestPlan{res: mosaic.IngestResult{NewVersions: 1}, rows: []planRow{{rec: 0, audience: audCell}},
			chains: []chainUpdate{{id: id1, head: t3}}},
	}, {
		name:   "older version after a newer one",
		recs:   []mosaic.Record{v1},
		stored: map[string][]chainRow{id1: {storedRow(v2, audCell, false)}},
		want: ingestPlan{res: mosaic.IngestResult{NewVersions: 1}, rows: []planRow{{rec: 0, audience: audCell, superseded: true}},
			chains: []chainUpdate{{id: id1, head: t2}}},
	}, {
		name:   "version in another audience",
		recs:   []mosaic.Record{v2},
		auds:   []int64{audOps},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want: ingestPlan{res: mosaic.IngestResult{NewVersions: 1}, rows: []planRow{{rec: 0, audience: audOps, multi: true}},
			chains: []chainUpdate{{id: id1, head: t2, multi: true}},
			deltas: map[countKey]int64{count(audCell, amber): -1}},
	}, {
		name:   "version of a chain that spans audiences already",
		recs:   []mosaic.Record{v3},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, true), storedRow(v2, audOps, true)}},
		want: ingestPlan{res: mosaic.IngestResult{NewVersions: 1}, rows: []planRow{{rec: 0, audience: audCell, multi: true}},
			chains: []chainUpdate{{id: id1, head: t3}}},
	}, {
		name: "two versions of one id in the batch",
		recs: []mosaic.Record{v1, v2},
		want: ingestPlan{res: mosaic.IngestResult{New: 1, NewVersions: 1},
			rows:   []planRow{{rec: 0, audience: audCell, superseded: true}, {rec: 1, audience: audCell}},
			deltas: map[countKey]int64{count(audCell, green): 1}, firsts: []int{0}},
	}, {
		name: "two versions of one id in the batch, newest first",
		recs: []mosaic.Record{v2, v1},
		want: ingestPlan{res: mosaic.IngestResult{New: 1, NewVersions: 1},
			rows:   []planRow{{rec: 0, audience: audCell}, {rec: 1, audience: audCell, superseded: true}},
			deltas: map[countKey]int64{count(audCell, green): 1}, firsts: []int{0}},
	}, {
		name: "two versions of one id in the batch, in two audiences",
		recs: []mosaic.Record{v1, v2},
		auds: []int64{audCell, audOps},
		want: ingestPlan{res: mosaic.IngestResult{New: 1, NewVersions: 1},
			rows:   []planRow{{rec: 0, audience: audCell, superseded: true, multi: true}, {rec: 1, audience: audOps, multi: true}},
			firsts: []int{0}},
	}, {
		name:   "two versions of a stored chain in the batch",
		recs:   []mosaic.Record{v3, v2},
		stored: map[string][]chainRow{id1: {storedRow(v1, audCell, false)}},
		want: ingestPlan{res: mosaic.IngestResult{NewVersions: 2},
			rows:   []planRow{{rec: 0, audience: audCell}, {rec: 1, audience: audCell, superseded: true}},
			chains: []chainUpdate{{id: id1, head: t3}}},
	}, {
		name: "the same record twice in the batch",
		recs: []mosaic.Record{v1, v1},
		want: ingestPlan{res: mosaic.IngestResult{New: 1, Unchanged: 1}, rows: []planRow{{rec: 0, audience: audCell}},
			deltas: map[countKey]int64{count(audCell, amber): 1}, firsts: []int{0}},
	}, {
		name: "several ids",
		recs: []mosaic.Record{rec(id2, t1, amber, "two"), v2, rec(id3, "", green, "three"), changed, rec(id2, t2, amber, "two v2")},
		auds: []int64{audOps, audCell, audCell, audCell, audOps},
		stored: map[string][]chainRow{
			id1: {storedRow(v1, audCell, false)},
			id3: {storedRow(rec(id3, "", green, "three"), audCell, false)},
		},
		want: ingestPlan{res: mosaic.IngestResult{New: 1, NewVersions: 2, Unchanged: 1},
			problems: []mosaic.Problem{{Object: id1,
				Reason: "your organisation already holds different content under this id and modified timestamp; submit a new version with a later modified"}},
			rows:   []planRow{{rec: 0, audience: audOps, superseded: true}, {rec: 1, audience: audCell}, {rec: 4, audience: audOps}},
			chains: []chainUpdate{{id: id1, head: t2}},
			deltas: map[countKey]int64{count(audOps, amber): 1, count(audCell, amber): -1, count(audCell, green): 1},
			firsts: []int{0}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			auds := tc.auds
			if auds == nil {
				auds = make([]int64, len(tc.recs))
				for i := range auds {
					auds[i] = audCell
				}
			}
			recs := make([]mosaic.Record, len(tc.recs))
			copy(recs, tc.recs)
			stored := map[string][]chainRow{}
			for id, chain := range tc.stored {
				stored[id] = append([]chainRow(nil), chain...)
			}
			got := planIngest(recs, auds, stored)
			if diff := cmp.Diff(tc.want, got, planCmp...); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			// Planning changes none of its arguments.
			if diff := cmp.Diff(tc.recs, recs, planCmp...); diff != "" {
				t.Errorf("records changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(tc.stored, stored, planCmp...); diff != "" {
				t.Errorf("stored chains changed (-before +after):\n%s", diff)
			}
		})
	}
}
