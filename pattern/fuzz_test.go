package pattern

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics, that its errors point into the
// pattern, and that what it accepts has a canonical form that reads back
// to the same pattern.
func FuzzParse(f *testing.F) {
	for _, tt := range validPatterns {
		f.Add(tt.in)
	}
	for _, tt := range invalidPatterns {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): %T %v, want a *SyntaxError", s, err, err)
			}
			if se.Offset < 0 || se.Offset > len(s) || se.Reason == "" {
				t.Fatalf("Parse(%q): offset %d of %d bytes, reason %q", s, se.Offset, len(s), se.Reason)
			}
			if p != nil {
				t.Fatalf("Parse(%q) returned a pattern with its error", s)
			}
			return
		}
		text := p.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) succeeds, but its String %q does not: %v", s, text, err)
		}
		if got := again.String(); got != text {
			t.Fatalf("String of %q is %q, but reads back as %q", s, text, got)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("%q and its String %q parse differently (-first +again):\n%s", s, text, diff)
		}
		p.Equalities()
	})
}
