package search

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPatternLiterals(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"none", "[x-foo:bar = 3]", nil},
		{"one", "[ipv4-addr:value = '198.51.100.7']", []string{"198.51.100.7"}},
		{"in order", "[domain-name:value = 'b.example'] OR [domain-name:value='a.example']", []string{"b.example", "a.example"}},
		{"escapes", `[file:name = 'it\'s a \\ path \n']`, []string{`it's a \ path \n`}},
		{"escaped quote at the end", `[file:name = 'a\'']`, []string{"a'"}},
		{"quoted path component skipped", "[file:hashes.'SHA-256' = 'ab12']", []string{"ab12"}},
		{"quoted first path component skipped", "[x-foo:'bar' = 'baz']", []string{"baz"}},
		{"typed constants skipped", "[file:size = 3 AND artifact:payload_bin = b'QUJD' AND x:h = h'ff00'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'", nil},
		{"keyword before a constant", "[file:name MATCHES'^evil' AND file:name LIKE'a%']", []string{"^evil", "a%"}},
		{"set", "[ipv4-addr:value IN ('198.51.100.7', '198.51.100.8')]", []string{"198.51.100.7", "198.51.100.8"}},
		{"empty string", "[file:name = '']", []string{""}},
		{"unterminated", "[file:name = 'a'] AND [file:name = 'b", []string{"a"}},
		{"only a quote", "'", nil},
		{"not a pattern", "no quotes at all", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PatternLiterals(tt.pattern)); diff != "" {
				t.Errorf("PatternLiterals(%q) mismatch (-want +got):\n%s", tt.pattern, diff)
			}
		})
	}
}
