package release

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"mosaic"
	"mosaic/stix"
)

func indicator(pattern string, extra string) string {
	return `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-10-01T08:15:00.000Z","modified":"2026-10-01T08:15:00.000Z",` +
		`"name":"C2 of MarshLock","description":"seen by our sensor at the ministry","pattern":` + mustJSON(pattern) + `,"pattern_type":"stix","valid_from":"2026-10-01T08:15:42.123Z"` + extra + `}`
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func props(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSanitise(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  string
		s    Sanitisation
		want map[string]any // properties of the result
		gone []string       // texts that must not be in it
	}{{
		name: "remove and rewrite",
		obj:  indicator("[ipv4-addr:value = '198.51.100.7']", ""),
		s:    Sanitisation{Remove: []string{"description"}, Rewrite: map[string]string{"name": "C2 server"}},
		want: map[string]any{"name": "C2 server"},
		gone: []string{"ministry", "MarshLock"},
	}, {
		name: "an address to its /24",
		obj:  indicator("[ipv4-addr:value = '198.51.100.7'] OR [ipv6-addr:value = '2001:db8:1234:5678::1'] OR [domain-name:resolves_to_refs[*].value = '203.0.113.77']", ""),
		s:    Sanitisation{Generalise: []Generalisation{GeneraliseAddresses}},
		want: map[string]any{"pattern": "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] OR [ipv6-addr:value ISSUBSET '2001:db8:1234::/48'] OR [domain-name:resolves_to_refs[*].value ISSUBSET '203.0.113.0/24']"},
		gone: []string{"198.51.100.7", "5678", "203.0.113.77"},
	}, {
		name: "a URL to its site",
		obj:  indicator("[url:value = 'https://Evil.example/drop/payload.bin?id=42']", ""),
		s:    Sanitisation{Generalise: []Generalisation{GeneraliseURLs}},
		want: map[string]any{"pattern": "[url:value LIKE 'https://evil.example/%']"},
		gone: []string{"payload", "id=42"},
	}, {
		name: "hashes and file names left out, the rest kept",
		obj:  indicator("[file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68' AND file:name = 'evil.exe' AND file:size > 1000] OR [domain-name:value = 'evil.example']", ""),
		s:    Sanitisation{Generalise: []Generalisation{GeneraliseHashes, GeneraliseFileNames}},
		want: map[string]any{"pattern": "[file:size > 1000] OR [domain-name:value = 'evil.example']"},
		gone: []string{"b3c4ae25", "evil.exe"},
	}, {
		name: "times to the day, in the pattern too",
		obj:  indicator("[ipv4-addr:value = '198.51.100.7'] START t'2026-10-01T08:00:00Z' STOP t'2026-10-01T09:00:00Z' OR [file:created = '2026-10-01T07:13:14Z']", `,"valid_until":"2026-12-01T17:30:00Z"`),
		s:    Sanitisation{Generalise: []Generalisation{GeneraliseTimes}},
		want: map[string]any{"valid_from": "2026-10-01T00:00:00Z", "valid_until": "2026-12-01T00:00:00Z", "created": "2026-10-01T08:15:00.000Z",
			"pattern": "[ipv4-addr:value = '198.51.100.7'] START t'2026-10-01T00:00:00Z' STOP t'2026-10-02T00:00:00Z' OR [file:created = '2026-10-01T00:00:00Z']"},
		gone: []string{"08:15:42", "17:30", "09:00", "07:13"},
	}, {
		name: "an SCO's value and id",
		obj:  `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`,
		s:    Sanitisation{Generalise: []Generalisation{GeneraliseAddresses}},
		want: map[string]any{"value": "198.51.100.0/24", "id": stix.SCOID("ipv4-addr", map[string]any{"value": "198.51.100.0/24"})},
		gone: []string{"198.51.100.3", "28bb3599"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Sanitise([]byte(tc.obj), tc.s)
			if err != nil {
				t.Fatal(err)
			}
			got := props(t, out)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			for _, g := range tc.gone {
				if strings.Contains(string(out), g) {
					t.Errorf("%q is still in %s", g, out)
				}
			}
		})
	}
}

func TestSanitiseRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, obj string
		s         Sanitisation
		want      string
	}{
		{"a protected property", indicator("[ipv4-addr:value = '198.51.100.7']", ""), Sanitisation{Remove: []string{"id"}}, "cannot be removed"},
		{"a property not there", indicator("[ipv4-addr:value = '198.51.100.7']", ""), Sanitisation{Remove: []string{"labels"}}, "no property labels"},
		{"a required property", indicator("[ipv4-addr:value = '198.51.100.7']", ""), Sanitisation{Remove: []string{"pattern"}}, "no valid STIX"},
		{"rewrite of no text", indicator("[ipv4-addr:value = '198.51.100.7']", `,"confidence":80`), Sanitisation{Rewrite: map[string]string{"confidence": "high"}}, "no text property"},
		{"an unknown generalisation", indicator("[ipv4-addr:value = '198.51.100.7']", ""), Sanitisation{Generalise: []Generalisation{"names"}}, "not a generalisation"},
		{"nothing left of the pattern", indicator("[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']", ""), Sanitisation{Generalise: []Generalisation{GeneraliseHashes}}, "nothing of the pattern"},
		{"a set of addresses", indicator("[ipv4-addr:value IN ('198.51.100.7', '198.51.100.8')]", ""), Sanitisation{Generalise: []Generalisation{GeneraliseAddresses}}, "cannot be generalised"},
		{"a file SCO's hashes", `{"type":"file","spec_version":"2.1","id":"file--5a27d487-c542-5f97-a131-a8866b477b46","name":"a.exe","hashes":{"MD5":"0749bae92ca336a02c83d126e04ec628"}}`, Sanitisation{Generalise: []Generalisation{GeneraliseHashes}}, "leave it out"},
		{"an SCO's value rewritten", `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`, Sanitisation{Rewrite: map[string]string{"value": "198.51.100.0/24"}}, "cannot be removed or rewritten"},
		{"a URL in a set", indicator("[url:value IN ('http://evil.example/secret/a', 'http://evil.example/secret/b')]", ""), Sanitisation{Generalise: []Generalisation{GeneraliseURLs}}, "only = on a URL"},
	} {
		if _, err := Sanitise([]byte(tc.obj), tc.s); mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want CodeInvalid naming %q", tc.name, err, tc.want)
		}
	}
}

// The same changes in another order are the same sanitisation, for the
// ids derived from it.
func TestCanonicalSanitisation(t *testing.T) {
	a := Sanitisation{Remove: []string{"description", "labels"}, Generalise: []Generalisation{GeneraliseTimes, GeneraliseAddresses}, Rewrite: map[string]string{"name": "x", "b": "y"}}
	b := Sanitisation{Remove: []string{"labels", "description", "labels"}, Generalise: []Generalisation{GeneraliseAddresses, GeneraliseTimes}, Rewrite: map[string]string{"b": "y", "name": "x"}}
	if string(a.Canonical()) != string(b.Canonical()) {
		t.Errorf("%s != %s", a.Canonical(), b.Canonical())
	}
}

// Property: whatever indicator, after every generalisation and the
// description left out, none of the precise values it held appears in the
// result, nor in what a release digests (the result and the canonical
// sanitisation), and the result is valid STIX.
func TestSanitiseLeavesNothingBehind(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	all := Sanitisation{Remove: []string{"description"}, Generalise: generalisations}
	for i := range 500 {
		var obs, secrets []string
		for range 1 + rng.IntN(4) {
			switch rng.IntN(4) {
			case 0:
				ip := fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
				obs = append(obs, fmt.Sprintf("[ipv4-addr:value = '%s']", ip))
				secrets = append(secrets, "'"+ip+"'")
			case 1:
				path := fmt.Sprintf("secret-path-%d", rng.IntN(1e6))
				obs = append(obs, fmt.Sprintf("[url:value = 'http://host%d.example/%s']", rng.IntN(100), path))
				secrets = append(secrets, path)
			case 2:
				h := fmt.Sprintf("%064x", rng.Uint64())
				name := fmt.Sprintf("secret-file-%d.exe", rng.IntN(1e6))
				obs = append(obs, fmt.Sprintf("[file:hashes.'SHA-256' = '%s' AND file:name = '%s' AND file:size > %d]", h, name, rng.IntN(1e6)))
				secrets = append(secrets, h, name)
			case 3:
				obs = append(obs, fmt.Sprintf("[domain-name:value = 'host%d.example']", rng.IntN(100)))
			}
		}
		minute := fmt.Sprintf("T%02d:%02d:17", rng.IntN(24), rng.IntN(60))
		obj := strings.Replace(indicator(strings.Join(obs, " OR "), ""), "T08:15:42", minute, 1)
		secrets = append(secrets, minute, "ministry")
		out, err := Sanitise([]byte(obj), all)
		if err != nil {
			t.Fatalf("round %d: %v\n%s", i, err, obj)
		}
		if _, probs := stix.DecodeObject(out, stix.DefaultLimits()); len(probs) > 0 {
			t.Fatalf("round %d: invalid: %v\n%s", i, probs, out)
		}
		digested := string(out) + string(all.Canonical())
		for _, s := range secrets {
			if strings.Contains(digested, s) {
				t.Fatalf("round %d: %q is still there:\n%s", i, s, out)
			}
		}
	}
}
