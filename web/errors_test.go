package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The UI's own error messages come in the reader's language.
func TestErrorPagesInDutch(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, e.w.A)
	for path, want := range map[string]string{
		"/no/such/page":        "Er is geen pagina op /no/such/page.",
		"/sectors/not-one":     "Er is geen sector &#34;not-one&#34;.",
		"/objects?type=BAD!":   "&#34;BAD!&#34; is geen STIX-typenaam.",
		"/objects?cursor=junk": "De paginalink is niet geldig",
	} {
		_, body := b.get(path, "Accept-Language", "nl")
		if !strings.Contains(body, want) {
			t.Errorf("%s in Dutch lacks %q:\n%s", path, want, body)
		}
	}
	resp, body := b.post("/logout", url.Values{"csrf": {"forged"}, "pad": {strings.Repeat("x", 100<<10)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "The form is too large: the limit is 64 KiB.") {
		t.Errorf("a form over the limit: %d\n%s", resp.StatusCode, body)
	}
}
