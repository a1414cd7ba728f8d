package stix

import (
	"encoding/json"
	"regexp"
	"testing"
)

func TestNewIDAndBundle(t *testing.T) {
	v4 := regexp.MustCompile(`^indicator--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if a, b := NewID("indicator"), NewID("indicator"); !v4.MatchString(a) || a == b {
		t.Errorf("ids %s, %s", a, b)
	}
	objs := []json.RawMessage{json.RawMessage(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`)}
	got, err := DecodeBundle(Bundle(objs), DefaultLimits())
	if err != nil || len(got) != 1 || got[0].ID != "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd" {
		t.Errorf("bundle: %v %v", got, err)
	}
	if _, err := DecodeBundle(Bundle(nil), DefaultLimits()); err != nil {
		t.Errorf("empty bundle: %v", err)
	}
}
