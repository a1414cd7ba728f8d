package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"mosaic"
	"mosaic/gate"
)

// ProblemTypeBase starts the stable type URI of each kind of problem (RFC
// 9457 §3.1.1). A tag URI (RFC 4151) names it without depending on where a
// Mosaic is deployed.
const ProblemTypeBase = "tag:mosaic,2026:problems/"

// MaxProblems caps the problems one answer lists, so that a hostile bundle
// cannot make the answer larger than the request.
const MaxProblems = 10_000

// Problem is an RFC 9457 problem details object. It carries no request id
// or time, so that the answer about a hidden object is byte-identical to the
// answer about a missing one; the request id travels in X-Request-Id.
type Problem struct {
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

// writeError answers with err as problem+json. It is the one place that maps
// error codes to HTTP; internal causes are logged and never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := mosaic.ErrorCode(err)
	m, ok := statusOf[code]
	if !ok {
		code, m = mosaic.CodeInternal, statusOf[mosaic.CodeInternal]
	}
	p := Problem{Type: ProblemTypeBase + string(code), Title: m.title, Status: m.status, Detail: mosaic.ErrorMessage(err)}
	var e *mosaic.Error
	if errors.As(err, &e) {
		p.Problems = e.Problems
		if n := len(p.Problems); n > MaxProblems {
			p.Problems = p.Problems[:MaxProblems]
			p.Detail += fmt.Sprintf(" (the first %d of %d problems are listed)", MaxProblems, n)
		}
	}
	if code == mosaic.CodeInternal {
		s.log.Error("internal error", slog.String("request_id", w.Header().Get("X-Request-Id")), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	switch code {
	case mosaic.CodeUnauth:
		// RFC 6750 §3.1: no error code when no credentials were sent.
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mosaic"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mosaic", error="invalid_token"`)
		}
	case mosaic.CodeRateLimited:
		wait := "1"
		var rl *gate.RateLimited
		if errors.As(err, &rl) {
			wait = rl.RetryAfter()
		}
		w.Header().Set("Retry-After", wait)
	case mosaic.CodeTooLarge:
		// The rest of an oversized body is not read: close the connection
		// rather than drain it.
		w.Header().Set("Connection", "close")
	}
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(m.status)
	_, _ = w.Write(body)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
