package feed

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RemoteError is an error answer of the remote server, with what its TAXII
// error message (TAXII §3.6.1) says.
type RemoteError struct {
	URL    string
	Status int
	// Title, Description and ErrorCode are from the TAXII error message,
	// cleaned of control characters and shortened; empty when the body
	// was none.
	Title, Description, ErrorCode string
	// RetryAfter is what the Retry-After header asks for, zero without one.
	RetryAfter time.Duration
}

func (e *RemoteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d %s", redact(e.URL), e.Status, http.StatusText(e.Status))
	if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	switch e.Status {
	case http.StatusUnauthorized:
		b.WriteString(" (check the remote user and the token file)")
	case http.StatusForbidden:
		b.WriteString(" (the remote user may not read this collection)")
	case http.StatusNotFound:
		b.WriteString(" (check the API root URL and the collection id)")
	case http.StatusNotAcceptable, http.StatusUnsupportedMediaType:
		b.WriteString(" (the server does not speak TAXII 2.1)")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	return b.String()
}

// ProtocolError is an answer that is not what TAXII 2.1 promises, or no
// answer at all.
type ProtocolError struct {
	URL    string
	Reason string
	// TooLarge marks an answer over the client's size limit.
	TooLarge bool
}

func (e *ProtocolError) Error() string { return redact(e.URL) + ": " + e.Reason }

// redact leaves the next cursor out of a URL shown in logs and feed state:
// it is long and means nothing to a reader.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	if q.Has("next") {
		q.Set("next", "…")
		p.RawQuery = q.Encode()
	}
	return p.String()
}
