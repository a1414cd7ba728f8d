package storetest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"mosaic"
)

// cloneRecords copies recs deeply, down to the bytes and strings of every
// slice a store could write into.
func cloneRecords(recs []mosaic.Record) []mosaic.Record {
	out := slices.Clone(recs)
	for i := range out {
		r := &out[i]
		r.Object = slices.Clone(r.Object)
		r.Words = slices.Clone(r.Words)
		r.Observables = slices.Clone(r.Observables)
		r.Envelope.Audience.Compartments = slices.Clone(r.Envelope.Audience.Compartments)
	}
	return out
}

// sameRecords fails the test when recs differ from before in anything but
// Terms, a func, of which it checks only that it is still set where it was.
func sameRecords(t *testing.T, what string, before, recs []mosaic.Record) {
	t.Helper()
	if diff := cmp.Diff(before, recs, cmpopts.IgnoreFields(mosaic.Record{}, "Terms")); diff != "" {
		t.Errorf("%s changed the caller's records (-before +after):\n%s", what, diff)
	}
	for i := range min(len(before), len(recs)) {
		if (before[i].Terms == nil) != (recs[i].Terms == nil) {
			t.Errorf("%s changed the Terms of record %d", what, i)
		}
	}
}

// testIngestLeavesRecords checks that Ingest changes nothing in the batch
// its caller hands in, whether the batch is stored or refused: the store
// sets the originator and works out the rest on copies of its own.
func testIngestLeavesRecords(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	ingest := func(recs []mosaic.Record) error {
		t.Helper()
		before := cloneRecords(recs)
		_, err := s.Ingest(bg, w.A, recs, mosaic.NewAuditEntry(w.A, w.Clock.Now(), "objects.ingest"))
		sameRecords(t, "Ingest", before, recs)
		return err
	}
	r1 := Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "one", "[ipv4-addr:value = '198.51.100.1']"), env(cell))
	r2 := Record(t, Indicator(2, "2026-10-01T00:00:00.000Z", "two", "[domain-name:value = 'two.example']"), env(ops))
	// Ingest hands Terms in for search terms it works out meanwhile.
	words, obs := r2.Words, r2.Observables
	r2.Words, r2.Observables = nil, nil
	r2.Terms = func() ([]string, []string) { return words, obs }
	ip := Record(t, `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--`+UUID(3)+`","value":"198.51.100.3"}`, env(originator))
	if err := ingest([]mosaic.Record{r1, r2, ip}); err != nil {
		t.Fatal(err)
	}
	// New versions, one of them in another audience, a resubmission, and
	// two versions of one id in the same batch.
	r1v2 := Record(t, Indicator(1, "2026-10-02T00:00:00.000Z", "one v2", "[ipv4-addr:value = '198.51.100.1']"), env(ops))
	r4 := Record(t, Indicator(4, "2026-10-01T00:00:00.000Z", "four", "[ipv4-addr:value = '198.51.100.4']"), env(cell))
	r4v2 := Record(t, Indicator(4, "2026-10-02T00:00:00.000Z", "four v2", "[ipv4-addr:value = '198.51.100.4']"), env(cell))
	if err := ingest([]mosaic.Record{r1v2, r2, r4v2, r4, ip}); err != nil {
		t.Fatal(err)
	}
	// A batch refused for a conflict, and one for a handling rule.
	changed := Record(t, Indicator(2, "2026-10-01T00:00:00.000Z", "two, changed", "[domain-name:value = 'two.example']"), env(ops))
	wantCode(t, ingest([]mosaic.Record{changed}), mosaic.CodeConflict)
	red := Record(t, Indicator(5, "2026-10-01T00:00:00.000Z", "red", "[ipv4-addr:value = '198.51.100.5']"), env(cell))
	red.Envelope.TLP = mosaic.TLPRed
	wantCode(t, ingest([]mosaic.Record{r4, red}), mosaic.CodeInvalid)
	// The store's copies have the originator the caller's records lack.
	for _, r := range []mosaic.Record{r1v2, r2, ip} {
		got, err := s.Object(bg, w.A, r.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Envelope.Originator != "pa" || string(got[0].Object) != string(r.Object) {
			t.Errorf("stored %s: originator %q, object %s", r.ID, got[0].Envelope.Originator, got[0].Object)
		}
	}
	// The search terms came from Terms.
	if got := w.IDs(t, w.A, mosaic.ObjectFilter{Query: "two.example"}, 10); !slices.Equal(got, []string{r2.ID + "@pa"}) {
		t.Errorf("search for the terms of Terms: %v", got)
	}
}
