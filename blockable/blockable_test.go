package blockable_test

import (
	"encoding/json"
	"testing"

	"mosaic/blockable"
	"mosaic/warninglist"
)

// TestWarnings follows what ingest does with an upload: each blockable
// value of an object goes to warninglist.Reason, and one that must never
// be blocked is named under warnings. An IPv4-mapped block as broad as
// 16.0.0.0/4 or 11.0.0.0/8, a URL that is a whole top site, a public
// suffix and a resolver's name are such values, in a pattern or an SCO.
func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		object string
		want   []blockable.Value
	}{{
		`{"type":"indicator","pattern_type":"stix","pattern":"[ipv6-addr:value = '::ffff:16.0.0.0/100'] OR [url:value = 'http://google.com/*'] OR [domain-name:value = 'co.uk'] OR [domain-name:value = 'dns.google']"}`,
		[]blockable.Value{{Kind: "ip", Value: "::ffff:16.0.0.0/100"}, {Kind: "url", Value: "http://google.com/*"}, {Kind: "domain", Value: "co.uk"}, {Kind: "domain", Value: "dns.google"}},
	}, {
		`{"type":"ipv6-addr","value":"::ffff:11.0.0.0/104"}`,
		[]blockable.Value{{Kind: "ip", Value: "::ffff:11.0.0.0/104"}},
	}, {
		`{"type":"domain-name","value":"GitHub.io"}`,
		[]blockable.Value{{Kind: "domain", Value: "github.io"}},
	}, {
		`{"type":"url","value":"http://google.com//"}`,
		[]blockable.Value{{Kind: "url", Value: "http://google.com//"}},
	}} {
		var props map[string]any
		if err := json.Unmarshal([]byte(tc.object), &props); err != nil {
			t.Fatal(err)
		}
		got := blockable.FromProps(props)
		if len(got) != len(tc.want) {
			t.Errorf("%s: values %+v, want %+v", tc.object, got, tc.want)
			continue
		}
		for i, v := range got {
			if v != tc.want[i] {
				t.Errorf("%s: value %+v, want %+v", tc.object, v, tc.want[i])
			}
			if _, ok := warninglist.Reason(v.Kind, v.Value); !ok {
				t.Errorf("%s: %s %s gets no warning", tc.object, v.Kind, v.Value)
			}
		}
	}
}
