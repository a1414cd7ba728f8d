package taxii

import (
	"encoding/json"
	"testing"
)

// The parsers of outside input: the Accept header, the upload envelope
// and the reading of an object's id and versions.

func FuzzAcceptable(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/taxii+json;version=2.1", `application/taxii+json;version="2.1";q=0.5, text/html`, "a/b;q=x", `"`, ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		got := acceptable([]string{accept})
		// Adding the exact media type with full weight always admits it,
		// unless something as specific refuses it.
		if !acceptable([]string{accept, MediaType}) && got {
			t.Errorf("adding %s to %q refuses what was admitted", MediaType, accept)
		}
	})
}

func FuzzSplitEnvelope(f *testing.F) {
	for _, s := range []string{`{"objects":[{"a":1},2,"x"]}`, `{"more":true,"objects":[]}`, `[1]`, `{"objects":[{"b":"]"}],"x":{"objects":1}}`, `{"\u006fbjects":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		objs, err := splitEnvelope(body, 1000)
		if err != nil {
			return
		}
		var env struct {
			Objects []json.RawMessage `json:"objects"`
		}
		// encoding/json matches keys without regard to case; compare only
		// where that cannot matter.
		var top map[string]json.RawMessage
		if json.Unmarshal(body, &top) != nil || len(top) != 1 {
			return
		}
		if _, ok := top["objects"]; !ok {
			return
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("split %q, which encoding/json refuses: %v", body, err)
		}
		if len(env.Objects) != len(objs) {
			t.Fatalf("%d objects, encoding/json finds %d in %q", len(objs), len(env.Objects), body)
		}
		for i := range objs {
			var a, b any
			if json.Unmarshal(objs[i], &a) != nil || json.Unmarshal(env.Objects[i], &b) != nil {
				t.Fatalf("object %d: %q / %q", i, objs[i], env.Objects[i])
			}
		}
	})
}
