package stix

import (
	"encoding/json"
	"testing"
)

// The ids below are those the STIX 2.1 specification's examples and
// python-stix2 (the OASIS reference library) give these observables.
func TestDeterministicSCOID(t *testing.T) {
	for _, c := range []struct{ obj, want string }{
		{`{"type":"ipv4-addr","value":"198.51.100.3"}`, "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.obj), &m); err != nil {
			t.Fatal(err)
		}
		got, ok := DeterministicSCOID(m["type"].(string), m)
		if !ok || got != c.want {
			t.Errorf("%s: %s %v, want %s", c.obj, got, ok, c.want)
		}
	}
	if _, ok := DeterministicSCOID("process", map[string]any{"pid": 1}); ok {
		t.Error("a process got a deterministic id")
	}
	if _, ok := DeterministicSCOID("file", map[string]any{"size": 1}); ok {
		t.Error("a file without contributing properties got a deterministic id")
	}
	// One hash contributes, MD5 before SHA-256, whatever else is there.
	a, _ := DeterministicSCOID("file", map[string]any{"hashes": map[string]any{"MD5": "d41d8cd98f00b204e9800998ecf8427e", "SHA-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}})
	b, _ := DeterministicSCOID("file", map[string]any{"hashes": map[string]any{"MD5": "d41d8cd98f00b204e9800998ecf8427e"}})
	if a != b {
		t.Errorf("the SHA-256 beside the MD5 changed the id: %s, %s", a, b)
	}
}
