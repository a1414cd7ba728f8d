package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"mosaic"
	"mosaic/middleware"
	"mosaic/problem"
)

// Error is a TAXII error message (TAXII §3.6.1), the body of every answer
// with an error status. It carries no request id or time, so that the
// answer about a hidden object or collection is byte-identical to the one
// about a missing one; the request id travels in X-Request-Id.
type Error struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// ErrorCode is Mosaic's error code, such as "not-found"; it is stable
	// across Mosaic's interfaces, not across TAXII servers.
	ErrorCode  string `json:"error_code,omitempty"`
	HTTPStatus string `json:"http_status,omitempty"`
	// Details holds, for refused content, every problem found.
	Details *ErrorDetails `json:"details,omitempty"`
}

// ErrorDetails are the details of an Error.
type ErrorDetails struct {
	Problems []mosaic.Problem `json:"problems,omitempty"`
}

// MaxProblems caps the problems one answer lists, so that a hostile upload
// cannot make the answer larger than the request.
const MaxProblems = problem.MaxProblems

// statusError is an error with a status that Mosaic's codes do not name:
// 406 for content negotiation and 422 for an upload that is not a TAXII
// envelope, both TAXII's own.
type statusError struct {
	status      int
	code, title string
	msg         string
}

func (e *statusError) Error() string { return e.msg }

var errNotAcceptable = &statusError{http.StatusNotAcceptable, "not-acceptable", "Not acceptable",
	"this server answers in " + MediaType + "; send it (or application/taxii+json) in the Accept header"}

func unprocessable(format string, args ...any) error {
	return &statusError{http.StatusUnprocessableEntity, "unprocessable", "Unprocessable content", fmt.Sprintf(format, args...)}
}

// challenge is the WWW-Authenticate header of a 401: both schemes the
// server takes.
const challenge = `Basic realm="mosaic", Bearer realm="mosaic"`

// writeError answers with err as a TAXII error message, with the status
// and headers package problem gives its code. Internal causes are logged
// by package middleware and never sent.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var body Error
	var status int
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
		body = Error{Title: se.title, Description: se.msg, ErrorCode: se.code}
	} else {
		// The status, title and the capped list of problems are the REST
		// API's; only the resource differs.
		d := problem.Of(err)
		status = d.Status
		body = Error{Title: d.Title, Description: d.Detail, ErrorCode: strings.TrimPrefix(d.Type, problem.TypeBase)}
		if len(d.Problems) > 0 {
			body.Details = &ErrorDetails{Problems: d.Problems}
		}
		problem.SetHeaders(w.Header(), r, err, challenge)
	}
	body.HTTPStatus = strconv.Itoa(status)
	b, _ := json.Marshal(body)
	writeBody(w, status, b)
}

// writeJSON answers with v as a TAXII resource.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	return middleware.WriteJSON(w, status, v, MediaType)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	middleware.Write(w, status, b, MediaType)
}
