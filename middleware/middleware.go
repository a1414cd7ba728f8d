// Package middleware is what every door of Mosaic (the REST API, TAXII,
// deconfliction, the live event stream, the web UI) puts around its
// handlers, so that each gets the same plumbing: a request id in
// X-Request-Id and in the log, answers kept out of caches and sniffers, a
// bound on the request body, recovery from a panic, and one place that
// logs the causes of internal errors before the door answers in its own
// form (problem details, a TAXII error, an HTML page). The HTTP status of
// each error code is package problem's.
package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
)

// Handler serves a request and returns the error to answer with, if any.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Options say how a door answers. Log and WriteError are required.
type Options struct {
	Log *slog.Logger
	// WriteError answers with err in the door's own form. Wrap has logged
	// the cause of an internal or unavailable error before it is called;
	// WriteError must send only the error's safe message.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// MaxBody bounds the request body: reading past it fails with an
	// *http.MaxBytesError (ReadBody turns that into CodeTooLarge). Zero
	// leaves the body as it is, for doors that read none.
	MaxBody int64
}

type state struct {
	id   string
	user string
}

type stateKey struct{}

// RequestID returns the id Wrap gave the request, "" outside Wrap.
func RequestID(ctx context.Context) string {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		return st.id
	}
	return ""
}

// SetUser names the authenticated user of the request, for the log lines
// Wrap writes about it.
func SetUser(ctx context.Context, user string) {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		st.user = user
	}
}

// NewRequestID returns a fresh id for a request. Answers carry it in
// X-Request-Id and the log carries it beside internal causes, so that an
// operator finds why a request failed while the answer says nothing of it.
func NewRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Wrap serves h with the plumbing every door shares.
func Wrap(o Options, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{id: NewRequestID()}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		hd := w.Header()
		hd.Set("X-Request-Id", st.id)
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		if o.MaxBody > 0 && r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, o.MaxBody)
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				o.Log.Error("panic", slog.String("request_id", st.id), slog.String("path", r.URL.Path), slog.Any("panic", p))
				o.WriteError(w, r, mosaic.Internal(errPanic, r.Method+" "+r.URL.Path))
			}
		}()
		if err := h(w, r); err != nil {
			Fail(o, w, r, err)
		}
	})
}

// Fail answers with err as o's door does, after logging the cause of an
// internal or unavailable error. Doors call it for errors they meet outside
// a handler Wrap serves, such as in the middle of a stream.
func Fail(o Options, w http.ResponseWriter, r *http.Request, err error) {
	gone := mosaic.ClientGone(err) && r.Context().Err() != nil
	if c := mosaic.ErrorCode(err); gone || c == mosaic.CodeInternal || c == mosaic.CodeUnavailable || !slices.Contains(mosaic.Codes, c) {
		attrs := []any{slog.String("request_id", RequestID(r.Context())), slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err)}
		if st, ok := r.Context().Value(stateKey{}).(*state); ok && st.user != "" {
			attrs = append(attrs, slog.String("user", st.user))
		}
		if gone {
			// A client that went away is no server error; the answer
			// below reaches nobody.
			o.Log.Info("client went away", attrs...)
		} else {
			o.Log.Error("request failed", attrs...)
		}
	}
	o.WriteError(w, r, err)
}

type panicError struct{}

func (panicError) Error() string { return "handler panicked" }

var errPanic = panicError{}

// Route is one endpoint of a door: a method and a ServeMux path.
type Route struct {
	Method, Path string
}

// AllowMethods registers, for each path of routes, a handler (made by
// wrap, so that it answers in the door's form) that answers a method the
// path does not have with 405 and an Allow header naming those it has
// (RFC 9110 §15.5.6). The door registers the routes themselves, with
// their methods, which ServeMux prefers.
func AllowMethods(mux *http.ServeMux, routes []Route, wrap func(Handler) http.Handler) {
	allow := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		if _, ok := allow[rt.Path]; !ok {
			paths = append(paths, rt.Path)
		}
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	for _, path := range paths {
		methods := strings.Join(allow[path], ", ")
		mux.Handle(path, wrap(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", methods)
			return mosaic.Errorf(mosaic.CodeMethod, "%s is not allowed here; use %s", r.Method, strings.Join(allow[path], " or "))
		}))
	}
}

// ReadBody reads a request body of at most limit bytes, within timeout
// when it is positive (a client trickling bytes must not hold its reader,
// and whatever turn the reader holds, for long). A body announced as
// larger is refused before a byte of it is read. limitName says in the
// error which limit was passed, such as "the limit" or TAXII's
// "max_content_length".
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, limitName string, timeout time.Duration) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, TooLarge(r.ContentLength, limit, limitName)
	}
	if timeout > 0 {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, mosaic.Errorf(mosaic.CodeTooLarge, "the body exceeds %s of %d bytes", limitName, limit)
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, mosaic.Errorf(mosaic.CodeInvalid, "the body did not arrive within %s", timeout)
		}
		if cause := context.Cause(r.Context()); cause != nil {
			// The server cancels a request whose connection failed:
			// the client went away in the middle of its body.
			return nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the body could not be read: the client went away", Err: fmt.Errorf("%w (%w)", cause, err)}
		}
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "the body could not be read")
	}
	return b, nil
}

// TooLarge is the error for a body announced as n bytes, over limit.
func TooLarge(n, limit int64, limitName string) error {
	return mosaic.Errorf(mosaic.CodeTooLarge, "the body of %d bytes exceeds %s of %d bytes", n, limitName, limit)
}

// WriteJSON answers with v encoded as JSON, as contentType.
func WriteJSON(w http.ResponseWriter, status int, v any, contentType string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return mosaic.Internal(err, "encode answer")
	}
	Write(w, status, body, contentType)
	return nil
}

// Write answers with body as contentType, with its length.
func Write(w http.ResponseWriter, status int, body []byte, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
