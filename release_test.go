package mosaic_test

import (
	"strings"
	"testing"

	"mosaic"
)

func TestParseRecipient(t *testing.T) {
	for _, s := range []string{"public", "sector:healthcare", "org:lindeveld", "user:ncsc-analyst"} {
		r, err := mosaic.ParseRecipient(s)
		if err != nil || r.String() != s {
			t.Errorf("%q: %v, %v", s, r, err)
		}
	}
	for s, want := range map[string]string{
		"everyone":         "is not public",
		"public:x":         "is not public",
		"sector:hospitals": "not a sector",
		"org:Bad Name":     "not a valid name",
		"user:":            "not a valid name",
		"group:x":          "is not public",
	} {
		if _, err := mosaic.ParseRecipient(s); mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want CodeInvalid naming %q", s, err, want)
		}
	}
}
