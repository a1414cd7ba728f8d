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
	rc := http.NewResponseController(w)
	if timeout > 0 {
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		// Once the body is in, the server reads on in the background to
		// notice a client going away; a deadline left behind would cancel
		// the request while the handler still works on the body.
		defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, bodyError(r, err, limit, limitName, func() error {
			return mosaic.Errorf(mosaic.CodeInvalid, "the body did not arrive within %s", timeout)
		})
	}
	return b, nil
}

// bodyError is the error for err, met while reading r's body; slow makes
// the one for a read deadline that passed.
func bodyError(r *http.Request, err error, limit int64, limitName string, slow func() error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mosaic.Errorf(mosaic.CodeTooLarge, "the body exceeds %s of %d bytes", limitName, limit)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return slow()
	}
	if cause := context.Cause(r.Context()); cause != nil {
		// The server cancels a request whose connection failed:
		// the client went away in the middle of its body.
		return &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the body could not be read: the client went away", Err: fmt.Errorf("%w (%w)", cause, err)}
	}
	return mosaic.Errorf(mosaic.CodeInvalid, "the body could not be read")
}

// Pace is the slowest a client may send a body or read an answer: at
// least MinRate bytes a second, averaged over Window. A client that
// trickles bytes, or stops reading, must not keep a request, and whatever
// the request holds, for longer than its size at MinRate.
type Pace struct {
	MinRate int64 // bytes a second
	Window  time.Duration
}

// DefaultPace is 64 KiB/s over 10 seconds: a 32 MiB upload may take 8½
// minutes, while a client that stops sending is cut off after 10 seconds.
var DefaultPace = Pace{MinRate: 64 << 10, Window: 10 * time.Second}

func (p Pace) duration(n int64) time.Duration {
	return time.Duration(float64(n) / float64(p.MinRate) * float64(time.Second))
}

// Body reads a request body at its Pace, through read deadlines that each
// chunk extends by the time the chunk would take at MinRate, but never to
// more than Window ahead: credit for a fast start runs out after Window,
// so a client that sends quickly and then stalls is cut off as soon as one
// that stalls at once. Its errors are mosaic errors: a body that falls
// below the pace is CodeRateLimited.
type Body struct {
	r         *http.Request
	rc        *http.ResponseController
	body      io.Reader
	pace      Pace
	limit     int64
	limitName string
	deadline  time.Time
	n         int64
}

// NewBody starts reading r's body of at most limit bytes at pace; the
// client has Window from now to send its first bytes. Call Close when done
// reading.
func NewBody(w http.ResponseWriter, r *http.Request, limit int64, limitName string, pace Pace) *Body {
	b := &Body{r: r, rc: http.NewResponseController(w), body: http.MaxBytesReader(w, r.Body, limit), pace: pace, limit: limit, limitName: limitName}
	b.Restart()
	return b
}

// Restart gives the client Window from now again, after the server made it
// wait (by not reading) for reasons of its own.
func (b *Body) Restart() {
	b.deadline = time.Now().Add(b.pace.Window)
	_ = b.rc.SetReadDeadline(b.deadline)
}

func (b *Body) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.n += int64(n)
		b.deadline = b.deadline.Add(b.pace.duration(int64(n)))
		if most := time.Now().Add(b.pace.Window); b.deadline.After(most) {
			b.deadline = most
		}
		_ = b.rc.SetReadDeadline(b.deadline)
	}
	if err != nil && err != io.EOF {
		err = bodyError(b.r, err, b.limit, b.limitName, func() error {
			return mosaic.RateLimited(b.pace.Window, "the body arrived slower than %d KiB/s over %s (%d bytes had arrived); send it over a faster connection", b.pace.MinRate>>10, b.pace.Window, b.n)
		})
	}
	return n, err
}

// Close lifts the read deadline: once the body is in, the server reads on
// in the background to notice a client going away, and a deadline left
// behind would cancel the request while the handler still works on the
// body.
func (b *Body) Close() {
	_ = b.rc.SetReadDeadline(time.Time{})
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

// WritePaced answers as Write does, within a write deadline of Window plus
// the body's size at MinRate: a client that reads slowly, or not at all,
// cannot stretch it. Answers that may be large are rendered into memory
// first, so that nothing the server shares is held while the client reads.
func WritePaced(w http.ResponseWriter, status int, body []byte, contentType string, pace Pace) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(pace.Window + pace.duration(int64(len(body)))))
	Write(w, status, body, contentType)
	if rc.Flush() == nil {
		// All of it is with the kernel: the deadline must not outlive
		// this answer into the next request on the connection, which a
		// server without a WriteTimeout would not reset.
		_ = rc.SetWriteDeadline(time.Time{})
	}
}
