package search

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestObjectTerms(t *testing.T) {
	longURL := "https://evil.example.com/" + strings.Repeat("a", 300)
	longSum := sha256.Sum256([]byte(longURL))

	tests := []struct {
		name            string
		object          string
		wantWords       []string
		wantObservables []string
	}{
		{
			name: "indicator",
			object: `{"type": "indicator", "name": "Evil C2 domain",
				"description": "Beacons to evil.example.com (see 198.51.100.7).",
				"labels": ["c2"], "indicator_types": ["malicious-activity"],
				"pattern": "[domain-name:value = 'Evil.Example.com'] OR [url:value = 'http://evil.example.com:80/gate.php']"}`,
			wantWords: []string{"100", "198", "51", "7", "80", "beacons", "c2", "com", "domain", "evil", "example",
				"gate", "http", "name", "or", "php", "see", "to", "url", "value"},
			wantObservables: []string{"198.51.100.7", "evil.example.com", "http://evil.example.com/gate.php"},
		},
		{
			name: "indicator with a CIDR and a hash",
			object: `{"type": "indicator",
				"pattern": "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] AND [file:hashes.'SHA-256'='E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']"}`,
			wantWords: []string{"0", "100", "198", "24", "256", "51", "addr", "and", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
				"file", "hashes", "ipv4", "issubset", "sha", "value"},
			wantObservables: []string{"198.51.100.0/24", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		},
		{
			name:            "domain-name",
			object:          `{"type": "domain-name", "value": "Bücher.Example."}`,
			wantObservables: []string{"xn--bcher-kva.example"},
		},
		{
			name:            "invalid domain-name",
			object:          `{"type": "domain-name", "value": "localhost"}`,
			wantObservables: nil,
		},
		{
			name:            "ipv4-addr block",
			object:          `{"type": "ipv4-addr", "value": "198.51.100.0/24"}`,
			wantObservables: []string{"198.51.100.0/24"},
		},
		{
			name:            "ipv6-addr",
			object:          `{"type": "ipv6-addr", "value": "2001:DB8:0:0:0:0:0:1"}`,
			wantObservables: []string{"2001:db8::1"},
		},
		{
			name:            "email-addr with its domain",
			object:          `{"type": "email-addr", "value": "Bad@Phish.Example", "display_name": "Bad Guy"}`,
			wantObservables: []string{"bad@phish.example", "phish.example"},
		},
		{
			name:            "mac-addr",
			object:          `{"type": "mac-addr", "value": "00:1A:2B:3C:4D:5E"}`,
			wantObservables: []string{"00:1a:2b:3c:4d:5e"},
		},
		{
			name:            "url with its host",
			object:          `{"type": "url", "value": "HTTP://198.51.100.7:80"}`,
			wantObservables: []string{"198.51.100.7", "http://198.51.100.7/"},
		},
		{
			name:            "url ending in punctuation, also as a query would give it",
			object:          `{"type": "url", "value": "http://evil.example.com/x."}`,
			wantObservables: []string{"evil.example.com", "http://evil.example.com/x", "http://evil.example.com/x."},
		},
		{
			name:            "long url hashed",
			object:          `{"type": "url", "value": "` + longURL + `"}`,
			wantObservables: []string{"#" + hex.EncodeToString(longSum[:]), "evil.example.com"},
		},
		{
			name: "file with hashes",
			object: `{"type": "file", "name": "Invoice.PDF.exe", "size": 1024, "hashes": {
				"MD5": "D41D8CD98F00B204E9800998ECF8427E",
				"SHA-256": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
				"sha1": "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
				"SSDEEP": " 3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C ",
				"SHA-512": "too short",
				"x_custom": "ABCDEF",
				"x_spaced": "a b"}}`,
			wantWords: []string{"exe", "invoice", "pdf"},
			wantObservables: []string{
				"3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
				"abcdef",
				"d41d8cd98f00b204e9800998ecf8427e",
				"da39a3ee5e6b4b0d3255bfef95601890afd80709",
				"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
				"invoice.pdf.exe", // file names look like domains; queries agree
			},
		},
		{
			name: "note",
			object: `{"type": "note", "abstract": "Phishing wave",
				"content": "Mails from Bad@Phish.Example link to https://phish.example/login?u=1 ; block it.",
				"object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}`,
			wantWords: []string{"1", "bad", "block", "example", "from", "https", "it", "link", "login", "mails",
				"phish", "phishing", "to", "u", "wave"},
			wantObservables: []string{"bad@phish.example", "https://phish.example/login?u=1", "phish.example"},
		},
		{
			name: "attack-pattern from ATT&CK",
			object: `{"type": "attack-pattern", "name": "PowerShell",
				"description": "Adversaries may abuse PowerShell.",
				"x_mitre_aliases": ["PS"],
				"external_references": [
					{"source_name": "mitre-attack", "external_id": "T1059.001", "url": "https://attack.mitre.org/techniques/T1059/001"},
					{"source_name": "capec", "external_id": "CAPEC-242"}]}`,
			wantWords: []string{"001", "242", "abuse", "adversaries", "capec", "may", "powershell", "ps", "t1059"},
		},
		{
			name:      "opinion: explanation only",
			object:    `{"type": "opinion", "opinion": "agree", "explanation": "Confirmed", "content": "not indexed"}`,
			wantWords: []string{"confirmed"},
		},
		{
			name:      "malware-analysis: result",
			object:    `{"type": "malware-analysis", "product": "sandbox", "result": "malicious", "abstract": "not indexed"}`,
			wantWords: []string{"malicious"},
		},
		{
			name:      "aliases and labels",
			object:    `{"type": "intrusion-set", "name": "APT-X", "aliases": ["Harbour Lights", "HL"], "labels": ["espionage"]}`,
			wantWords: []string{"apt", "espionage", "harbour", "hl", "lights", "x"},
		},
		{
			name: "observables joined to other text",
			object: `{"type": "report", "description": ` + jsonString(`C:\Temp\dropper.exe host=198.51.100.7 evil.example.org:8080 `+
				`href="http://evil.example.com/x" [2001:db8::1]:443 mailto:bad@phish.example ip=10.0.0.0/8 (http://w.example/wiki/A_(b)).`) + `}`,
			wantWords: []string{"0", "1", "10", "100", "198", "2001", "443", "51", "7", "8", "8080", "a", "b", "bad", "c", "com",
				"db8", "dropper", "evil", "example", "exe", "host", "href", "http", "ip", "mailto", "org", "phish",
				"temp", "w", "wiki", "x"},
			wantObservables: []string{"10.0.0.0/8", "198.51.100.7", "2001:db8::1", "bad@phish.example", "dropper.exe",
				"evil.example.com", "evil.example.org", "http://evil.example.com/x", "http://w.example/wiki/A_(b)",
				"phish.example", "w.example"},
		},
		{
			name: "properties of unexpected JSON types ignored",
			object: `{"type": "indicator", "name": 3, "labels": "x", "description": ["a"], "aliases": [1, null],
				"pattern": {"a": "b"}, "external_references": [3, {"external_id": 5}], "value": "198.51.100.7"}`,
		},
		{
			name:   "SCO value of an unexpected JSON type ignored",
			object: `{"type": "ipv4-addr", "value": 3232235777}`,
		},
		{
			name:   "hashes of an unexpected JSON type ignored",
			object: `{"type": "file", "hashes": {"MD5": 5, "SHA-1": null}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := decodeObject(t, tt.object)
			typ, _ := props["type"].(string)
			words, observables := ObjectTerms(typ, props)
			if diff := cmp.Diff(tt.wantWords, words); diff != "" {
				t.Errorf("words mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantObservables, observables); diff != "" {
				t.Errorf("observables mismatch (-want +got):\n%s", diff)
			}
			checkTerms(t, words, observables)
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestObjectTermsWordCap(t *testing.T) {
	// Each word twice, so that duplicates do not count against the cap,
	// then an observable past the cap, which is still indexed.
	var text, want []string
	for i := range MaxObjectWords + 500 {
		w := fmt.Sprintf("w%d", i)
		text = append(text, w, strings.ToUpper(w))
		if i < MaxObjectWords {
			want = append(want, w)
		}
	}
	text = append(text, "198.51.100.7")
	slices.Sort(want)
	words, observables := ObjectTerms("report", map[string]any{"description": strings.Join(text, " ")})
	if diff := cmp.Diff(want, words); diff != "" {
		t.Errorf("words mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"198.51.100.7"}, observables); diff != "" {
		t.Errorf("observables mismatch (-want +got):\n%s", diff)
	}
}

// TestObjectTermsExamples runs the STIX 2.1 example bundles (package
// stix's test data, from OASIS) through ObjectTerms and checks the
// invariant, and that every object is found by its own name.
func TestObjectTermsExamples(t *testing.T) {
	files, _ := filepath.Glob("../stix/testdata/stix21-examples/*.json")
	if len(files) == 0 {
		t.Fatal("the STIX 2.1 examples are missing from stix/testdata")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var bundle struct{ Objects []json.RawMessage }
			if err := json.Unmarshal(data, &bundle); err != nil {
				t.Fatal(err)
			}
			for _, raw := range bundle.Objects {
				props := decodeObject(t, string(raw))
				typ, _ := props["type"].(string)
				words, observables := ObjectTerms(typ, props)
				checkTerms(t, words, observables)
				if name, ok := props["name"].(string); ok {
					if q := ParseQuery(name); !matches(q, words, observables) {
						t.Errorf("%s: ParseQuery(%q) = %+v does not match its own object", props["id"], name, q)
					}
				}
			}
		})
	}
}

// checkTerms checks the package invariant and that terms are sorted without
// duplicates.
func checkTerms(t *testing.T, words, observables []string) {
	t.Helper()
	for _, list := range [][]string{words, observables} {
		if !slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list) {
			t.Errorf("terms not sorted or duplicated: %q", list)
		}
	}
	if len(words) > MaxObjectWords {
		t.Errorf("%d words, more than %d", len(words), MaxObjectWords)
	}
	for _, w := range words {
		if err := checkWord(w); err != nil {
			t.Error(err)
		}
	}
	for _, o := range observables {
		if err := checkObservable(o); err != nil {
			t.Error(err)
		}
	}
}

// matches is what both stores do: every query word a prefix of some word
// term, every query observable equal to some observable term.
func matches(q Query, words, observables []string) bool {
	for _, qw := range q.Words {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, qw) }) {
			return false
		}
	}
	for _, qo := range q.Observables {
		if _, found := slices.BinarySearch(observables, qo); !found {
			return false
		}
	}
	return true
}

// TestObjectTermsHuge feeds quarter-megabyte hostile texts to every field.
// Work that grows faster than the input would make it time out: a quadratic
// scan of the first of these took minutes before it was fixed.
func TestObjectTermsHuge(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for _, s := range []string{
		strings.Repeat("=a://", 1<<16),
		strings.Repeat("a://", 1<<16),
		strings.Repeat("a=", 1<<17),
		strings.Repeat("a:", 1<<17),
		strings.Repeat(":/", 1<<17),
		strings.Repeat("'a' ", 1<<16),
		strings.Repeat(" '", 1<<17),
		strings.Repeat("(", 1<<18),
		strings.Repeat("[", 1<<17) + strings.Repeat("]", 1<<17),
		strings.Repeat("a.", 1<<17),
		strings.Repeat("a@", 1<<17),
		strings.Repeat("ü.", 1<<17),
		strings.Repeat("1.", 1<<17),
		strings.Repeat("::", 1<<17),
		strings.Repeat("aé", 1<<17),
		strings.Repeat("\x00", 1<<18),
	} {
		t.Run(jsonString(s[:8]), func(t *testing.T) {
			for _, typ := range []string{"indicator", "url", "domain-name", "email-addr"} {
				words, observables := ObjectTerms(typ, map[string]any{"description": s, "pattern": s, "value": s})
				checkTerms(t, words, observables)
			}
			checkQuery(t, ParseQuery(s))
		})
	}
}

func TestObservablesCapped(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "10.%d.%d.1 ", i/256, i%256)
	}
	props := map[string]any{"name": "many", "description": b.String(), "pattern": "[ipv4-addr:value = '192.0.2.77']"}
	_, obs := ObjectTerms("indicator", props)
	if len(obs) != MaxObjectObservables {
		t.Fatalf("%d observables, want the cap %d", len(obs), MaxObjectObservables)
	}
	if !slices.Contains(obs, "192.0.2.77") {
		t.Error("the pattern's constant was dropped for the description's addresses")
	}
}
