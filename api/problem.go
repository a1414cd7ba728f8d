package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"mosaic"
	"mosaic/problem"
)

// ProblemTypeBase, MaxProblems and Problem are package problem's, under
// the names the API's clients know.
const (
	ProblemTypeBase = problem.TypeBase
	MaxProblems     = problem.MaxProblems
)

// Problem is an RFC 9457 problem details object.
type Problem = problem.Details

// writeError answers with err as problem+json; internal causes are logged
// and never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if problem.Code(err) == mosaic.CodeInternal {
		s.log.Error("internal error", slog.String("request_id", w.Header().Get("X-Request-Id")), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	problem.Write(w, r, err)
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
