package api

import (
	"net/http"

	"mosaic/middleware"
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

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	return middleware.WriteJSON(w, status, v, "application/json")
}
