package stix

import (
	"strings"
	"testing"
)

// TestIndicatorPatterns checks that an indicator's STIX pattern is parsed,
// and that other pattern languages are left to their own tools.
func TestIndicatorPatterns(t *testing.T) {
	ind := func(pattern, typ string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z",` +
			`"pattern":` + quote(pattern) + `,"pattern_type":"` + typ + `","valid_from":"2026-10-01T00:00:00Z"}`
	}
	for _, tc := range []struct{ pattern, typ, want string }{
		{"[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'x.example'] WITHIN 300 SECONDS", "stix", ""},
		{"[ipv4-addr:value = '198.51.100.1'", "stix", "offset 33: expected AND, OR or ']'"},
		{"[file:hashes.SHA-256 = 'aa']", "stix", "must be quoted"},
		{"ipv4-addr:value = '198.51.100.1'", "stix", "not a valid STIX pattern"},
		{"rule x { condition: true }", "yara", ""},
	} {
		_, probs := DecodeObject([]byte(ind(tc.pattern, tc.typ)), DefaultLimits())
		var got string
		for _, p := range probs {
			if p.Property == "pattern" {
				got = p.Reason
			}
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s pattern %q: problem %q, want one with %q", tc.typ, tc.pattern, got, tc.want)
		}
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
