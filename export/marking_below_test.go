package export_test

import (
	"strings"
	"testing"

	"mosaic"
	"mosaic/stix"
)

// TestMarkingBelowHandling: ingest takes the strictest of a handling
// object's TLP and the object's own marking, so a record Mosaic handles as
// TLP:RED can hold an object marked TLP:CLEAR. The export writes it with
// its CLEAR marking and the RED only in the handling object, so it warns:
// a STIX tool that does not know x-mosaic-handling reads TLP:CLEAR.
func TestMarkingBelowHandling(t *testing.T) {
	clear := `,"object_marking_refs":["` + stix.TLPMarkingID(mosaic.TLPClear) + `"]`
	o := stored(indicator(1, "[ipv4-addr:value = '198.51.100.1']", clear), mosaic.TLPRed, "pa")
	o.Envelope.Audience = mosaic.Audience{Compartments: []string{"ops"}}
	out, summary := write(t, "stix", o)
	if strings.Contains(out, stix.TLPMarkingID(mosaic.TLPClear)) && !strings.Contains(summary, "lower than the level they are handled under") {
		t.Errorf("a TLP:RED record leaves marked TLP:CLEAR without a warning; summary %q", summary)
	}
	// Its originator's own object the same: marking CLEAR, extension RED.
	o.ByOriginator = true
	out, summary = write(t, "stix", o)
	if strings.Contains(out, stix.TLPMarkingID(mosaic.TLPClear)) && !strings.Contains(summary, "lower than the level they are handled under") {
		t.Errorf("own object: a TLP:RED record leaves marked TLP:CLEAR without a warning; summary %q", summary)
	}
}
