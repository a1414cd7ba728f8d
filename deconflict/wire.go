package deconflict

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/problem"
)

// The requests and answers of the HTTP API (see Handler) and of oprfd.

// EvaluateRequest asks for evaluations of blinded elements under epoch.
type EvaluateRequest struct {
	Epoch    int      `json:"epoch"`
	Elements [][]byte `json:"elements"` // base64 in JSON
}

// EvaluateResponse is an evaluation and what is left of the day's budget.
type EvaluateResponse struct {
	Evaluation
	Budget mosaic.EvaluationBudget `json:"budget"`
}

// SubmitRequest registers or checks tokens. Org and RequestID bind the
// request to the organisation it was made for and to one use.
type SubmitRequest struct {
	Org       string                      `json:"org"`
	RequestID string                      `json:"request_id"`
	Epoch     int                         `json:"epoch"`
	Ref       string                      `json:"ref,omitempty"`
	Expires   time.Time                   `json:"expires,omitzero"`
	Tokens    []mosaic.DeconflictionToken `json:"tokens"`
}

// SubmitResponse says how many tokens were taken and which made hits.
type SubmitResponse struct {
	Accepted int `json:"accepted"`
	// Hits carry the submitting organisation's own numbers, the ids GET
	// hits lists them under for it.
	Hits []HitView `json:"hits"`
	// Coordinated is true when hits go to the cell's coordinator only:
	// then Hits is always empty.
	Coordinated bool `json:"coordinated,omitempty"`
}

// HitView and HitSide are declared in package mosaic, for the live event
// stream.
type (
	HitView = mosaic.HitView
	HitSide = mosaic.HitSide
)

// BudgetResponse is the organisation's two budgets today.
type BudgetResponse struct {
	Evaluate mosaic.EvaluationBudget `json:"evaluate"`
	Submit   mosaic.EvaluationBudget `json:"submit"`
}

// RemoveResponse says how many registrations were removed.
type RemoveResponse struct {
	Removed int `json:"removed"`
}

// ProblemTypeBase and Problem are package problem's: a client reads the
// answers of deconfliction and of the REST API alike.
const ProblemTypeBase = problem.TypeBase

// Problem is an RFC 9457 problem details object.
type Problem = problem.Details

// writeProblem answers with err as problem+json and returns the status.
// Only an error's safe message is sent; the caller logs internal causes.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) int {
	return problem.Write(w, r, err)
}

func writeJSON(w http.ResponseWriter, status int, v any, ctype string) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readJSON decodes a JSON request body of at most limit bytes into v.
// Decoding errors name the position, never the content: the body is
// tokens and blinded elements, but a client that sent a selector by
// mistake must not see it come back in an error, nor in a log.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return mosaic.Errorf(mosaic.CodeUnsupported, "send application/json")
		}
	}
	if r.ContentLength > limit {
		return mosaic.Errorf(mosaic.CodeTooLarge, "the body is larger than %d bytes; send smaller batches", limit)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return mosaic.Errorf(mosaic.CodeTooLarge, "the body is larger than %d bytes; send smaller batches", limit)
		}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return mosaic.Errorf(mosaic.CodeInvalid, "malformed JSON at byte %d", se.Offset)
		case errors.As(err, &te):
			return mosaic.Errorf(mosaic.CodeInvalid, "field %q has the wrong type", te.Field)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return mosaic.Errorf(mosaic.CodeInvalid, "the body is empty or cut short")
		}
		// Other decoding errors (unknown fields, bad base64) quote no
		// value; the field name comes from our own types.
		return mosaic.Errorf(mosaic.CodeInvalid, "the body does not decode: %s", safeDecodeMessage(err))
	}
	if dec.More() {
		return mosaic.Errorf(mosaic.CodeInvalid, "trailing data after the JSON object")
	}
	return nil
}

func safeDecodeMessage(err error) string {
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		return "bad base64"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return "an unknown field"
	}
	return "bad value"
}

// untilNextDay is how long until the next UTC day, when a spent budget
// comes back.
func untilNextDay(now time.Time) time.Duration {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	return next.Sub(now)
}

func budgetError(err error, now time.Time) error {
	if mosaic.ErrorCode(err) != mosaic.CodeRateLimited {
		return err
	}
	return mosaic.RateLimited(untilNextDay(now), "%s", mosaic.ErrorMessage(err))
}
