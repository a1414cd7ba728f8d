package mosaic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Code classifies an error for the caller. The HTTP layer maps each code to
// one status and one problem type; every other layer only picks the code.
type Code string

// The error codes. Their string values appear in problem types and logs and
// must not change.
const (
	CodeInvalid     Code = "invalid"      // the request names a problem the caller can fix
	CodeNotFound    Code = "not-found"    // absent, or hidden from the caller: the two are never told apart
	CodeConflict    Code = "conflict"     // different content under a key the caller already holds
	CodeForbidden   Code = "forbidden"    // the caller's role may not do this
	CodeUnauth      Code = "unauthorized" // no valid credentials
	CodeTooLarge    Code = "too-large"    // a size or count limit was exceeded
	CodeMethod      Code = "method-not-allowed"
	CodeUnsupported Code = "unsupported-media-type"
	CodeRateLimited Code = "rate-limited"
	CodeUnavailable Code = "unavailable" // the server cannot serve now (for example the audit log cannot be written)
	CodeInternal    Code = "internal"
)

// Codes lists every error code.
var Codes = []Code{CodeInvalid, CodeNotFound, CodeConflict, CodeForbidden, CodeUnauth, CodeTooLarge,
	CodeMethod, CodeUnsupported, CodeRateLimited, CodeUnavailable, CodeInternal}

// Error is the one error type that crosses package boundaries. Message is
// safe to show to the caller; Err, the cause, is logged and never sent.
type Error struct {
	Code     Code
	Message  string
	Problems []Problem // for CodeInvalid and CodeConflict: every problem found, in input order
	// Wait is, for CodeRateLimited, how long the caller should wait before
	// trying again; HTTP sends it as Retry-After.
	Wait time.Duration
	Err  error
}

// Problem locates one problem in submitted content.
type Problem struct {
	Object   string `json:"object,omitempty"`   // STIX id, or "objects[N]" when the id itself is unusable
	Property string `json:"property,omitempty"` // JSON path inside the object, empty for the object as a whole
	Reason   string `json:"reason"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a message safe to show to the caller.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns a CodeRateLimited *Error that says how long to wait.
// The message ends with the wait in whole seconds.
func RateLimited(wait time.Duration, format string, args ...any) *Error {
	e := &Error{Code: CodeRateLimited, Wait: wait}
	e.Message = fmt.Sprintf(format, args...) + "; retry in " + e.RetryAfter() + " s"
	return e
}

// RetryAfter is the wait of a rate-limited error as HTTP's Retry-After
// writes it: whole seconds, at least one.
func (e *Error) RetryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.Wait.Seconds()))))
}

// ClientGone reports whether err ended a request because its client went
// away (its context was canceled): no server error, to be neither logged
// nor audited as one.
func ClientGone(err error) bool {
	return errors.Is(err, context.Canceled)
}

// Internal wraps an unexpected cause. The caller sees only a generic message.
func Internal(err error, context string) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: fmt.Errorf("%s: %w", context, err)}
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal
// for any other error and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message safe to show for err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "internal error"
}
