package pattern

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEqualities(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Equality
	}{
		{"one", `[ipv4-addr:value = '198.51.100.1']`, []Equality{{"ipv4-addr", "value", "198.51.100.1"}}},
		{"== is =", `[domain-name:value == 'example.com']`, []Equality{{"domain-name", "value", "example.com"}}},
		{"quoted key keeps its quotes", `[file:hashes.'SHA-256' = 'aec0']`, []Equality{{"file", "hashes.'SHA-256'", "aec0"}}},
		{"needless quotes go", `[file:hashes.'MD5' = 'cead']`, []Equality{{"file", "hashes.MD5", "cead"}}},
		{"escapes resolved", `[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar\'s']`,
			[]Equality{{"windows-registry-key", "key", `HKEY_LOCAL_MACHINE\foo\bar's`}}},
		{"list index and reference", `[domain-name:resolves_to_refs[*].value = '198.51.100.1/32' AND domain-name:resolves_to_refs[0].value = '198.51.100.2']`,
			[]Equality{{"domain-name", "resolves_to_refs[*].value", "198.51.100.1/32"}, {"domain-name", "resolves_to_refs[0].value", "198.51.100.2"}}},
		{"in pattern order across observations and qualifiers",
			`([url:value = 'http://a.example/'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.1' OR ipv6-addr:value = '2001:db8::1']) WITHIN 60 SECONDS OR [file:name = 'x.exe'] REPEATS 2 TIMES`,
			[]Equality{{"url", "value", "http://a.example/"}, {"ipv4-addr", "value", "203.0.113.1"}, {"ipv6-addr", "value", "2001:db8::1"}, {"file", "name", "x.exe"}}},
		{"IN members", `[ipv4-addr:value IN ('203.0.113.1', '203.0.113.2')]`,
			[]Equality{{"ipv4-addr", "value", "203.0.113.1"}, {"ipv4-addr", "value", "203.0.113.2"}}},
		{"duplicates once", `[ipv4-addr:value = '203.0.113.1'] AND [ipv4-addr:value IN ('203.0.113.2', '203.0.113.1')] OR [ipv4-addr:value = '203.0.113.2']`,
			[]Equality{{"ipv4-addr", "value", "203.0.113.1"}, {"ipv4-addr", "value", "203.0.113.2"}}},
		{"same value, other path", `[file:name = 'a' OR file:x_alias = 'a']`, []Equality{{"file", "name", "a"}, {"file", "x_alias", "a"}}},
		{"negations left out", `[file:name NOT = 'a' AND file:size != 4 OR file:name NOT IN ('b') OR file:name != 'c' OR file:name = 'd']`,
			[]Equality{{"file", "name", "d"}}},
		{"other operators left out", `[file:name LIKE 'a%' OR file:name MATCHES '^b' OR file:name > 'c' OR EXISTS file:name]`, nil},
		{"ipv4 subnet by ISSUBSET left out", `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, nil},
		{"non-string constants left out", `[file:size = 4 AND file:magic_number_hex = h'ffd8' AND file:created = t'2014-01-13T07:03:17Z' OR artifact:payload_bin = b'AA==' OR email-message:is_multipart = true]`, nil},
		{"non-string set members left out", `[file:size IN (1, 2)]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Equalities()); diff != "" {
				t.Errorf("Equalities of %s (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestEqualitiesMany checks the duplicate removal of a pattern that names
// many observables, as some feeds write one pattern for a whole list.
func TestEqualitiesMany(t *testing.T) {
	var b strings.Builder
	var want []Equality
	for i := range 300 {
		if i > 0 {
			b.WriteString(" OR ")
		}
		v := fmt.Sprintf("198.51.100.%d", i%150)
		fmt.Fprintf(&b, "[ipv4-addr:value = '%s']", v)
		if i < 150 {
			want = append(want, Equality{"ipv4-addr", "value", v})
		}
	}
	p, err := Parse(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, p.Equalities()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
