package stix

import (
	"testing"

	"mosaic"
)

// FuzzHandling: whatever decodes as a handling object names at most
// MaxHandlingNames versions, and the handling object Mosaic writes for it
// decodes again.
func FuzzHandling(f *testing.F) {
	f.Add([]byte(`{"type":"x-mosaic-handling","spec_version":"2.1","id":"x-mosaic-handling--6b1b2a4e-0000-4000-8000-000000000009","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","extensions":{"` + HandlingExtensionID + `":{"extension_type":"new-sdo"}},"object_versions":[{"id":"indicator--6b1b2a4e-0000-4000-8000-000000000001","modified":"2026-10-01T00:00:00.000Z"},{"id":"ipv4-addr--6b1b2a4e-0000-4000-8000-000000000001"},{"id":"marking-definition--6b1b2a4e-0000-4000-8000-000000000001","created":"2016-12-31T23:59:60.123456789Z"}],"tlp":"red","audience":["compartment:ops"],"orcon":true,"legal_basis":"x","review_by":"2030-01-01","originator":"pa"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, probs := DecodeObject(raw, Limits{})
		if len(probs) > 0 || o.Handling == nil {
			return
		}
		if len(o.Handling.Names) > MaxHandlingNames {
			t.Fatal("too many names")
		}
		// What Mosaic writes for stored objects named alike reads back.
		h := HandlingObject([]mosaic.StoredObject{{Object: o.Canonical, Envelope: mosaic.Envelope{TLP: mosaic.TLPRed}}})
		if _, probs := DecodeObject(h, Limits{}); len(probs) > 0 {
			t.Fatalf("%v\n%s", probs, h)
		}
	})
}
