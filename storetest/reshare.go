package storetest

import (
	"strings"
	"testing"

	"mosaic"
)

// testReshare: a contribution of an id another organisation shared may
// neither reach more readers nor lower the TLP of that contribution, as
// far as the contributor can see it, nor drop its ORCON; value-derived
// SCOs and copies of third parties' objects are exempt, and what the
// contributor cannot see does not count.
func testReshare(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	note := func(modified, extra string) string {
		return `{"type":"note","spec_version":"2.1","id":"note--` + UUID(1) + `","created":"2026-10-01T00:00:00.000Z","modified":"` + modified + `","content":"Source X says Y."` + extra + `,"object_refs":["indicator--` + UUID(2) + `"]}`
	}
	red := `,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`
	ops := mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}}
	// pa shares a RED note with compartment ops: pa's staff, and
	// pb-analyst by name.
	w.Ingest(t, w.A, Record(t, note("2026-10-01T00:00:00.000Z", red), ops))

	refuse := func(name string, v mosaic.Viewer, rec mosaic.Record, why string) {
		t.Helper()
		_, err := w.Store.Ingest(bg, v, []mosaic.Record{rec}, setup())
		if mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), "re-share") {
			t.Errorf("%s: %v, want it refused", name, err)
			return
		}
		var e *mosaic.Error
		if me, ok := err.(*mosaic.Error); ok {
			e = me
		}
		if e == nil || len(e.Problems) != 1 || !strings.Contains(e.Problems[0].Reason, why) {
			t.Errorf("%s: problems %v, want one naming %q", name, e, why)
		}
	}
	// pb-analyst reads it through ops, but pb's staff do not.
	refuse("as pb's own", w.B, Record(t, note("2026-10-01T00:00:00.000Z", red), mosaic.Envelope{}), "fewer readers")
	refuse("into ops as pb's (all of pb would read it)", w.B, Record(t, note("2026-10-01T00:00:00.000Z", red), ops), "fewer readers")
	refuse("into another compartment", w.B, Record(t, note("2026-10-01T00:00:00.000Z", red), mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"other"}}}), "fewer readers")
	// Marking dropped, modified bumped, shared with the cell at AMBER.
	refuse("to the cell at AMBER", w.B, Record(t, note("2026-10-02T00:00:00.000Z", ""), mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}), "fewer readers")

	// pc cannot see pa's note: the same id is pc's to share, and nothing
	// in the answer tells pc that pa holds it.
	if _, err := w.Store.Ingest(bg, w.C, []mosaic.Record{Record(t, note("2026-10-01T00:00:00.000Z", ""), mosaic.Envelope{Audience: mosaic.Audience{Cell: true}})}, setup()); err != nil {
		t.Errorf("pc, who cannot see pa's note: %v", err)
	}
	// Once pc shared its own with the cell, pb sees it too, and may share
	// pc's reach (the cell) at pc's TLP, but pa's RED contribution still
	// binds it.
	refuse("to the cell while pa's RED one is visible", w.B, Record(t, note("2026-10-03T00:00:00.000Z", ""), mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}), "fewer readers")

	// A copy of a third party's object (MITRE's) may go as far as the
	// least restricted contribution of it, no further: one held only in
	// ops is not widened by copying it; once pc (who cannot see pa's)
	// shares it with the cell, pb may too.
	mitre := `{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--` + UUID(3) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Phishing","created_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"}`
	w.Ingest(t, w.A, Record(t, mitre, ops))
	refuse("MITRE's object held only in ops, to the cell", w.B, Record(t, mitre, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}), "fewer readers")
	w.Ingest(t, w.C, Record(t, mitre, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}))
	w.Ingest(t, w.B, Record(t, mitre, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}))
	// Naming some other creator does not make pa's note a third party's,
	// nor naming that creator's identity in upper case; and a copy of
	// MITRE's object must name MITRE, not another outsider.
	refuse("pa's note, naming an outsider as creator", w.B, Record(t, note("2026-10-02T00:00:00.000Z", `,"created_by_ref":"identity--0badc0de-0000-4000-8000-000000000001"`), mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}), "fewer readers")
	refuse("MITRE's object, naming another creator", w.B, Record(t, strings.Replace(mitre, "c78cb6e5", "0badc0de", 1), mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}), "fewer readers")
	// The same id in upper case is the same object (RFC 4122 reads UUIDs
	// in either case).
	upper := strings.Replace(note("2026-10-02T00:00:00.000Z", ""), UUID(1), strings.ToUpper(UUID(1)), 1)
	refuse("pa's note under its id in upper case", w.B, Record(t, upper, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}), "fewer readers")
	// So is an SCO whose id STIX derives from its value (UUID version 5).
	ip := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53","value":"198.51.100.7"}`
	w.Ingest(t, w.A, Record(t, ip, mosaic.Envelope{TLP: mosaic.TLPRed, Audience: mosaic.Audience{Compartments: []string{"ops"}}}))
	w.Ingest(t, w.B, Record(t, ip, mosaic.Envelope{TLP: mosaic.TLPGreen, Audience: mosaic.Audience{Cell: true}}))
	// An SCO under a random id says nothing of its value: it is checked.
	mail := `{"type":"email-message","spec_version":"2.1","id":"email-message--` + UUID(6) + `","is_multipart":false,"body":"the operation starts at dawn"}`
	w.Ingest(t, w.A, Record(t, mail, mosaic.Envelope{TLP: mosaic.TLPRed, Audience: mosaic.Audience{Compartments: []string{"ops"}}}))
	refuse("an SCO under a random id", w.B, Record(t, mail, mosaic.Envelope{TLP: mosaic.TLPClear, Audience: mosaic.Audience{Cell: true}}), "fewer readers")
	// Originator control held may not be dropped by a copy that reaches
	// no further.
	cellNote := `{"type":"note","spec_version":"2.1","id":"note--` + UUID(7) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","content":"ORCON","object_refs":["indicator--` + UUID(2) + `"]}`
	w.Ingest(t, w.A, Record(t, cellNote, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, ORCON: true}))
	refuse("dropping ORCON", w.B, Record(t, cellNote, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, ORCON: false}), "ORCON")
	w.Ingest(t, w.B, Record(t, cellNote, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, ORCON: true}))
	// An object naming a Mosaic organisation's identity as its creator is
	// not a third party's.
	pa, err := w.Store.Org(bg, "pa")
	if err != nil {
		t.Fatal(err)
	}
	ours := `{"type":"malware","spec_version":"2.1","id":"malware--` + UUID(5) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"M","is_family":true,"created_by_ref":"` + pa.Identity + `"}`
	w.Ingest(t, w.A, Record(t, ours, ops))
	refuse("an object created by pa", w.B, Record(t, ours, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}), "fewer readers")
	// pa itself may do with its own what it likes.
	w.Ingest(t, w.A, Record(t, note("2026-10-04T00:00:00.000Z", red), mosaic.Envelope{}))
}
