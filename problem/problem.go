// Package problem writes errors as RFC 9457 problem details: the one place
// that says which HTTP status and headers each of Mosaic's error codes
// gets, for every JSON door (the REST API, deconfliction, the live stream).
// TAXII answers with its own error resource but takes statuses and headers
// from here too.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"mosaic"
)

// TypeBase starts the stable type URI of each kind of problem (RFC 9457
// §3.1.1). A tag URI (RFC 4151) names it without depending on where a
// Mosaic is deployed.
const TypeBase = "tag:mosaic,2026:problems/"

// MaxProblems caps the problems one answer lists, so that a hostile upload
// cannot make the answer larger than the request.
const MaxProblems = 10_000

// Details is an RFC 9457 problem details object. It carries no request id
// or time, so that the answer about a hidden object is byte-identical to
// the answer about a missing one; the request id travels in X-Request-Id.
type Details struct {
	Type     string           `json:"type"`
	Title    string           `json:"title"`
	Status   int              `json:"status"`
	Detail   string           `json:"detail,omitempty"`
	Problems []mosaic.Problem `json:"problems,omitempty"`
}

var statusOf = map[mosaic.Code]struct {
	status int
	title  string
}{
	mosaic.CodeInvalid:     {http.StatusBadRequest, "Invalid request"},
	mosaic.CodeUnauth:      {http.StatusUnauthorized, "Not authenticated"},
	mosaic.CodeForbidden:   {http.StatusForbidden, "Not allowed"},
	mosaic.CodeNotFound:    {http.StatusNotFound, "Not found"},
	mosaic.CodeConflict:    {http.StatusConflict, "Conflict"},
	mosaic.CodeTooLarge:    {http.StatusRequestEntityTooLarge, "Too large"},
	mosaic.CodeMethod:      {http.StatusMethodNotAllowed, "Method not allowed"},
	mosaic.CodeUnsupported: {http.StatusUnsupportedMediaType, "Unsupported media type"},
	mosaic.CodeRateLimited: {http.StatusTooManyRequests, "Too many requests"},
	mosaic.CodeUnavailable: {http.StatusServiceUnavailable, "Unavailable"},
	mosaic.CodeInternal:    {http.StatusInternalServerError, "Internal error"},
}

// Code returns err's code, CodeInternal for an error without a known one.
func Code(err error) mosaic.Code {
	code := mosaic.ErrorCode(err)
	if _, ok := statusOf[code]; !ok {
		return mosaic.CodeInternal
	}
	return code
}

// Status returns the HTTP status and title of a code.
func Status(code mosaic.Code) (int, string) {
	m, ok := statusOf[code]
	if !ok {
		m = statusOf[mosaic.CodeInternal]
	}
	return m.status, m.title
}

// Of returns the problem details of err: only its safe message, and at most
// MaxProblems of its problems.
func Of(err error) Details {
	code := Code(err)
	status, title := Status(code)
	d := Details{Type: TypeBase + string(code), Title: title, Status: status, Detail: mosaic.ErrorMessage(err)}
	var e *mosaic.Error
	if errors.As(err, &e) {
		d.Problems = e.Problems
		if n := len(d.Problems); n > MaxProblems {
			d.Problems = d.Problems[:MaxProblems]
			d.Detail += fmt.Sprintf(" (the first %d of %d problems are listed)", MaxProblems, n)
		}
	}
	return d
}

// SetHeaders sets the headers an error's status calls for: the challenge
// of a 401, Retry-After of a 429, and closing the connection after a 413,
// whose rest of a body is not read. challenge "" is the bearer challenge
// of RFC 6750 §3.1, with no error code when no credentials were sent.
func SetHeaders(h http.Header, r *http.Request, err error, challenge string) {
	switch Code(err) {
	case mosaic.CodeUnauth:
		switch {
		case challenge != "":
			h.Set("WWW-Authenticate", challenge)
		case r.Header.Get("Authorization") == "":
			h.Set("WWW-Authenticate", `Bearer realm="mosaic"`)
		default:
			h.Set("WWW-Authenticate", `Bearer realm="mosaic", error="invalid_token"`)
		}
	case mosaic.CodeRateLimited:
		wait := "1"
		var e *mosaic.Error
		if errors.As(err, &e) {
			wait = e.RetryAfter()
		}
		h.Set("Retry-After", wait)
	case mosaic.CodeTooLarge:
		h.Set("Connection", "close")
	}
}

// Write answers with err as application/problem+json and returns the
// status. The caller logs internal causes; they are never sent.
func Write(w http.ResponseWriter, r *http.Request, err error) int {
	d := Of(err)
	SetHeaders(w.Header(), r, err, "")
	body, _ := json.Marshal(d)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(d.Status)
	_, _ = w.Write(body)
	return d.Status
}

// WriteError is Write for doors that need not know the status.
func WriteError(w http.ResponseWriter, r *http.Request, err error) { Write(w, r, err) }
