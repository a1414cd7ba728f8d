package stix

import (
	"testing"

	"mosaic"
)

func TestMarkTLP(t *testing.T) {
	raw := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`
	o, probs := DecodeObject([]byte(raw), DefaultLimits())
	if len(probs) > 0 || o.HasTLP {
		t.Fatalf("%v %v", probs, o.HasTLP)
	}
	o.MarkTLP(mosaic.TLPAmber)
	again, probs := DecodeObject(o.Canonical, DefaultLimits())
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if !again.HasTLP || again.TLP != mosaic.TLPAmber || string(again.Canonical) != string(o.Canonical) || again.Hash != o.Hash {
		t.Errorf("marked object decodes to TLP %v (%v), canonical %s", again.TLP, again.HasTLP, again.Canonical)
	}
}
