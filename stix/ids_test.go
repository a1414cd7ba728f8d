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

func TestIsID(t *testing.T) {
	for s, want := range map[string]bool{
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":      true,
		"indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F":      true, // as the schemas accept it
		"x-custom-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f": true,
		"indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":       false,
		"indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f":          false,
		"Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":      false,
		"": false,
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/x": false,
	} {
		if got := IsID(s); got != want {
			t.Errorf("IsID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestReadHead(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want Head
	}{
		{`{"type":"indicator","id":"indicator--1","created":"2026-01-01T00:00:00Z","modified":"2026-01-02T00:00:00Z","name":"x"}`,
			Head{ID: "indicator--1", Type: "indicator", Created: "2026-01-01T00:00:00Z", Modified: "2026-01-02T00:00:00Z"}},
		// Nested members of the same names are not the object's.
		{`{"extensions":{"x":{"id":"no","modified":"no"}},"id":"ipv4-addr--2","type":"ipv4-addr","value":"198.51.100.7"}`,
			Head{ID: "ipv4-addr--2", Type: "ipv4-addr"}},
		{`{"id":"a\u002db","type":7}`, Head{ID: "a-b"}},
		{`not json`, Head{}},
	} {
		if got := ReadHead([]byte(tc.raw)); got != tc.want {
			t.Errorf("ReadHead(%s) = %+v, want %+v", tc.raw, got, tc.want)
		}
	}
}
