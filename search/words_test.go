package search

import (
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestWords(t *testing.T) {
	long := strings.Repeat("a", MaxWordBytes+10)
	// 21 three-byte runes: the cut at 64 bytes falls inside the 22nd.
	longHan := strings.Repeat("漢", 22)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"punctuation only", `"'*:() -- !?`, nil},
		{"lower-cased", "Cobalt STRIKE beacon", []string{"cobalt", "strike", "beacon"}},
		{"deduplicated in first-seen order", "b a B c A", []string{"b", "a", "c"}},
		{"punctuation separates", "spear-phishing,C2;T1059.001", []string{"spear", "phishing", "c2", "t1059", "001"}},
		{"observables split into words", "evil.example.com 198.51.100.7", []string{"evil", "example", "com", "198", "51", "100", "7"}},
		{"unicode letters", "Straße ÉTÉ İstanbul ǅemal", []string{"straße", "été", "istanbul", "ǆemal"}},
		{"scripts without spaces stay one word", "勒索软件攻击", []string{"勒索软件攻击"}},
		{"digits of other scripts", "٣٤ १२", []string{"٣٤", "१२"}},
		{"combining marks separate", "e\u0301t\u0301e", []string{"e", "t"}},
		{"symbols and emoji separate", "a€b😀c", []string{"a", "b", "c"}},
		{"control characters and NUL separate", "a\x00b\x1bc\u200bd", []string{"a", "b", "c", "d"}},
		{"invalid UTF-8 separates", "ab\xffcd\xc3", []string{"ab", "cd"}},
		{"long word cut", long, []string{long[:MaxWordBytes]}},
		{"long words equal after the cut", long + " " + long + "b", []string{long[:MaxWordBytes]}},
		{"cut on a rune boundary", longHan, []string{longHan[:63]}},
		{"upper case cut after lowering", strings.Repeat("A", 100), []string{strings.Repeat("a", MaxWordBytes)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Words(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Words(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			for _, w := range got {
				if err := checkWord(w); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestWordsManyDistinct(t *testing.T) {
	// Past dedupLinearMax words Words switches to a map: the result must
	// not change.
	var in []string
	var want []string
	for i := range 100 {
		w := strings.Repeat(string(rune('a'+i%26)), 1+i/26)
		in = append(in, w, strings.ToUpper(w))
		want = append(want, w)
	}
	if diff := cmp.Diff(want, Words(strings.Join(in, " "))); diff != "" {
		t.Errorf("Words mismatch (-want +got):\n%s", diff)
	}
}

// TestLowerCaseClosed checks, for every rune, what Words relies on:
// lower-casing maps a letter or digit to a letter or digit that is its own
// lower case, so a word term is always lower-case letters and digits.
func TestLowerCaseClosed(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !isWordRune(r) {
			continue
		}
		l := unicode.ToLower(r)
		if !isWordRune(l) || unicode.ToLower(l) != l {
			t.Errorf("%U lower-cases to %U, not a lower-case letter or digit", r, l)
		}
	}
}
