package search

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseQuery(t *testing.T) {
	longURL := "https://evil.example.com/" + strings.Repeat("a", 300)
	longSum := sha256.Sum256([]byte(longURL))
	var many []string
	var first32 []string
	for i := range 40 {
		w := fmt.Sprintf("w%d", i)
		many = append(many, w)
		if i < MaxQueryTerms {
			first32 = append(first32, w)
		}
	}

	tests := []struct {
		name string
		q    string
		want Query
	}{
		{"empty", "", Query{}},
		{"white space", " \t\n\u00a0\u3000", Query{}},
		{"punctuation", `"'*:() -- !? ::: ...`, Query{}},
		{"words", "Cobalt Strike", Query{Words: []string{"cobalt", "strike"}}},
		{"duplicates", "Evil evil EVIL", Query{Words: []string{"evil"}}},
		{"punctuation inside a chunk separates words", "spear-phishing T1059.001", Query{Words: []string{"spear", "phishing", "t1059", "001"}}},
		{"observables", "198.51.100.7 Evil.Example.com", Query{Observables: []string{"198.51.100.7", "evil.example.com"}}},
		{"observables and words", "(see 198.51.100.7), “evil.example.com”; Cobalt",
			Query{Words: []string{"see", "cobalt"}, Observables: []string{"198.51.100.7", "evil.example.com"}}},
		{"IDNA", "Bücher.example", Query{Observables: []string{"xn--bcher-kva.example"}}},
		{"IPv6 compressed", "2001:DB8:0:0:0:0:0:1, [::1]", Query{Observables: []string{"2001:db8::1", "::1"}}},
		{"URL default port", "HTTPS://Evil.Example.com:443/Gate?x=1#f.", Query{Observables: []string{"https://evil.example.com/Gate?x=1#f"}}},
		{"URL in brackets", "(http://w.example/wiki/A_(b)).", Query{Observables: []string{"http://w.example/wiki/A_(b)"}}},
		{"upper-case hash", "D41D8CD98F00B204E9800998ECF8427E", Query{Observables: []string{"d41d8cd98f00b204e9800998ecf8427e"}}},
		{"e-mail", "<Bad@Phish.Example>", Query{Observables: []string{"bad@phish.example"}}},
		{"e-mail starting with trimmed punctuation", "!@Phish.Example", Query{Observables: []string{"!@phish.example"}}},
		{"long URL hashed", longURL, Query{Observables: []string{"#" + hex.EncodeToString(longSum[:])}}},
		{"long word cut", strings.Repeat("x", 1000), Query{Words: []string{strings.Repeat("x", MaxWordBytes)}}},
		{"cap", strings.Join(many, " "), Query{Words: first32}},
		{"cap counts observables", strings.Join(many[:31], " ") + " 198.51.100.7 w99 198.51.100.8",
			Query{Words: many[:31], Observables: []string{"198.51.100.7"}}},

		// Hostile input: syntax of the stores' query languages, SQL,
		// control characters, invalid UTF-8. None of it is syntax here.
		{"FTS5 syntax", `"evil" AND NOT (beacon OR c2) NEAR(a b, 5) col:x ^start mimi* {a b}:c + -`,
			Query{Words: []string{"evil", "and", "not", "beacon", "or", "c2", "near", "a", "b", "5", "col", "x", "start", "mimi", "c"}}},
		{"tsquery syntax", `a & !b | c:* <-> d <2> 'e f':AB`,
			Query{Words: []string{"a", "b", "c", "d", "2", "e", "f", "ab"}}},
		{"SQL", `'; DROP TABLE objects; --`, Query{Words: []string{"drop", "table", "objects"}}},
		{"LIKE wildcards", `%evil_`, Query{Words: []string{"evil"}}},
		{"NUL and control characters", "ev\x00il \x1b[31mred\x7f", Query{Words: []string{"ev", "il", "31mred"}}},
		{"invalid UTF-8", "ab\xff\xfecd \xc3", Query{Words: []string{"ab", "cd"}}},
		{"format characters", "a\u200bb \u202eevil", Query{Words: []string{"a", "b", "evil"}}},
		{"backslashes", `C:\Windows\System32 \\server\share`, Query{Words: []string{"c", "windows", "system32", "server", "share"}}},
		{"only a dot", ".", Query{}},
		{"query of stars", "*** * *", Query{}},
		{"NUL only", "\x00\x00", Query{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseQuery(tt.q)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseQuery(%q) mismatch (-want +got):\n%s", tt.q, diff)
			}
			if got.Empty() != (len(tt.want.Words)+len(tt.want.Observables) == 0) {
				t.Errorf("ParseQuery(%q).Empty() = %v", tt.q, got.Empty())
			}
			checkQuery(t, got)
		})
	}
}

func TestParseQueryHuge(t *testing.T) {
	tests := []struct {
		name string
		q    string
		want Query
	}{
		{"1 MB of one word", strings.Repeat("evil ", 1<<20/5), Query{Words: []string{"evil"}}},
		{"1 MB without white space", strings.Repeat("a.", 1<<19), Query{Words: []string{"a"}}},
		{"1 MB of brackets", strings.Repeat(")", 1<<20), Query{}},
		{"1 MB of colons", strings.Repeat(":", 1<<20), Query{}},
		{"1 MB URL", "http://evil.example.com/" + strings.Repeat("a", 1<<20),
			Query{Observables: []string{ObservableTerm("http://evil.example.com/" + strings.Repeat("a", 1<<20))}}},
		{"1 MB of NUL", strings.Repeat("\x00", 1<<20), Query{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseQuery(tt.q)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			checkQuery(t, got)
		})
	}
}

// TestParseQueryFindsObservable checks that pasting an observable value
// finds the object that holds it, however the value is written.
func TestParseQueryFindsObservable(t *testing.T) {
	tests := []struct {
		name, object, q string
	}{
		{"domain", `{"type": "domain-name", "value": "bücher.example"}`, "XN--BCHER-KVA.EXAMPLE."},
		{"IPv6", `{"type": "ipv6-addr", "value": "2001:db8::1"}`, "2001:0DB8:0000:0000:0000:0000:0000:0001"},
		{"URL", `{"type": "url", "value": "http://evil.example.com:80"}`, "http://EVIL.example.com/"},
		{"URL ending in a dot", `{"type": "url", "value": "http://evil.example.com/x."}`, "http://evil.example.com/x."},
		{"domain in a URL", `{"type": "url", "value": "http://evil.example.com/x"}`, "evil.example.com"},
		{"hash", `{"type": "file", "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"}}`, "D41D8CD98F00B204E9800998ECF8427E"},
		{"MAC", `{"type": "mac-addr", "value": "00:1a:2b:3c:4d:5e"}`, "00-1A-2B-3C-4D-5E"},
		{"e-mail starting with punctuation", `{"type": "email-addr", "value": "!@0.A"}`, "!@0.A"}, // found by FuzzParseQuery
		{"pattern", `{"type": "indicator", "pattern": "[ipv4-addr:value = '198.51.100.7']"}`, "198.51.100.7"},
		{"ATT&CK id", `{"type": "attack-pattern", "external_references": [{"external_id": "T1059.001"}]}`, "T1059.001"},
		{"ATT&CK id prefix", `{"type": "attack-pattern", "external_references": [{"external_id": "T1059.001"}]}`, "t1059"},
		{"word prefix", `{"type": "malware", "name": "Mimikatz"}`, "mimi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := decodeObject(t, tt.object)
			words, observables := ObjectTerms(props["type"].(string), props)
			if q := ParseQuery(tt.q); q.Empty() || !matches(q, words, observables) {
				t.Errorf("ParseQuery(%q) = %+v does not match words %q, observables %q", tt.q, q, words, observables)
			}
		})
	}
}

// checkQuery checks the package invariant, the cap, and that observables
// are normalised: GuessObservable leaves them as they are.
func checkQuery(t *testing.T, q Query) {
	t.Helper()
	if n := len(q.Words) + len(q.Observables); n > MaxQueryTerms {
		t.Errorf("%d terms, more than %d", n, MaxQueryTerms)
	}
	for _, w := range q.Words {
		if err := checkWord(w); err != nil {
			t.Error(err)
		}
	}
	for _, o := range q.Observables {
		if err := checkObservable(o); err != nil {
			t.Error(err)
		}
		if strings.HasPrefix(o, "#") {
			continue
		}
		if _, v, ok := GuessObservable(o); !ok || v != o {
			t.Errorf("observable %q not normalised: GuessObservable gives %q, %v", o, v, ok)
		}
	}
}
