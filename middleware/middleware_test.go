package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
)

// recorder is a door's error writer that keeps what it was asked to write.
type recorder struct{ errs []error }

func (rec *recorder) write(w http.ResponseWriter, _ *http.Request, err error) {
	rec.errs = append(rec.errs, err)
	w.WriteHeader(599)
}

func options(logs *bytes.Buffer, rec *recorder, maxBody int64) Options {
	return Options{Log: slog.New(slog.NewTextHandler(logs, nil)), WriteError: rec.write, MaxBody: maxBody}
}

func TestWrap(t *testing.T) {
	var logs bytes.Buffer
	rec := &recorder{}
	var seen string
	h := Wrap(options(&logs, rec, 0), func(w http.ResponseWriter, r *http.Request) error {
		seen = RequestID(r.Context())
		SetUser(r.Context(), "pa-analyst")
		return mosaic.Internal(errors.New("disk on fire"), "read")
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	id := w.Header().Get("X-Request-Id")
	if len(id) != 16 || id != seen {
		t.Errorf("X-Request-Id %q, handler saw %q", id, seen)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", w.Header())
	}
	if len(rec.errs) != 1 || mosaic.ErrorCode(rec.errs[0]) != mosaic.CodeInternal {
		t.Errorf("errors written: %v", rec.errs)
	}
	// The cause goes to the log with the request id and the user, never
	// to the door's answer (which gets the error to write as it may).
	if l := logs.String(); !strings.Contains(l, "disk on fire") || !strings.Contains(l, id) || !strings.Contains(l, "pa-analyst") {
		t.Errorf("log %q", l)
	}

	// A refusal the caller can fix is not logged.
	logs.Reset()
	h = Wrap(options(&logs, rec, 0), func(w http.ResponseWriter, r *http.Request) error {
		return mosaic.Errorf(mosaic.CodeNotFound, "no such thing")
	})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	if logs.Len() != 0 {
		t.Errorf("a not-found was logged: %s", logs.String())
	}
	if RequestID(httptest.NewRequest("GET", "/", nil).Context()) != "" {
		t.Error("a request id outside Wrap")
	}
}

func TestPanicIsAnInternalError(t *testing.T) {
	var logs bytes.Buffer
	rec := &recorder{}
	h := Wrap(options(&logs, rec, 0), func(w http.ResponseWriter, r *http.Request) error {
		panic("boom")
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != 599 || len(rec.errs) != 1 || mosaic.ErrorCode(rec.errs[0]) != mosaic.CodeInternal || strings.Contains(mosaic.ErrorMessage(rec.errs[0]), "boom") {
		t.Errorf("a panic answered %d with %v", w.Code, rec.errs)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic is not in the log: %s", logs.String())
	}
	// http.ErrAbortHandler is how a handler ends a connection on purpose:
	// it goes on up.
	h = Wrap(options(&logs, rec, 0), func(w http.ResponseWriter, r *http.Request) error { panic(http.ErrAbortHandler) })
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
}

func TestBodyLimits(t *testing.T) {
	var logs bytes.Buffer
	rec := &recorder{}
	var got []byte
	h := Wrap(options(&logs, rec, 10), func(w http.ResponseWriter, r *http.Request) error {
		var err error
		got, err = ReadBody(w, r, 1<<20, "the limit", 0)
		return err
	})
	for _, tc := range []struct {
		body      string
		announced bool
		want      mosaic.Code
	}{
		{"0123456789", true, ""},
		{"0123456789x", true, mosaic.CodeTooLarge},  // refused by its Content-Length, unread
		{"0123456789x", false, mosaic.CodeTooLarge}, // refused as it is read
	} {
		rec.errs = nil
		r := httptest.NewRequest("POST", "/x", strings.NewReader(tc.body))
		if !tc.announced {
			r.ContentLength = -1
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		var code mosaic.Code
		if len(rec.errs) > 0 {
			code = mosaic.ErrorCode(rec.errs[0])
		}
		if code != tc.want || (code == "" && string(got) != tc.body) {
			t.Errorf("body %q (announced %v): code %q, read %q", tc.body, tc.announced, code, got)
		}
	}
	r := httptest.NewRequest("POST", "/x", strings.NewReader(strings.Repeat("x", 100)))
	if _, err := ReadBody(httptest.NewRecorder(), r, 50, "the max_content_length", 0); mosaic.ErrorCode(err) != mosaic.CodeTooLarge || !strings.Contains(err.Error(), "max_content_length of 50 bytes") {
		t.Errorf("ReadBody over its own limit: %v", err)
	}
}

func TestAllowMethods(t *testing.T) {
	var logs bytes.Buffer
	rec := &recorder{}
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) {}
	mux.HandleFunc("GET /a", ok)
	mux.HandleFunc("POST /a", ok)
	mux.HandleFunc("DELETE /b/{id}", ok)
	AllowMethods(mux, []Route{{"GET", "/a"}, {"POST", "/a"}, {"DELETE", "/b/{id}"}}, func(h Handler) http.Handler {
		return Wrap(options(&logs, rec, 0), h)
	})
	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/a", "GET, POST"},
		{"GET", "/b/7", "DELETE"},
	} {
		rec.errs = nil
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Header().Get("Allow") != tc.allow || len(rec.errs) != 1 || mosaic.ErrorCode(rec.errs[0]) != mosaic.CodeMethod {
			t.Errorf("%s %s: Allow %q, errors %v", tc.method, tc.path, w.Header().Get("Allow"), rec.errs)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	if err := WriteJSON(w, 201, map[string]int{"n": 1}, "application/taxii+json;version=2.1"); err != nil {
		t.Fatal(err)
	}
	if w.Code != 201 || w.Body.String() != `{"n":1}` || w.Header().Get("Content-Length") != "7" || w.Header().Get("Content-Type") != "application/taxii+json;version=2.1" {
		t.Errorf("%d %q %v", w.Code, w.Body, w.Header())
	}
	if err := WriteJSON(httptest.NewRecorder(), 200, func() {}, "application/json"); mosaic.ErrorCode(err) != mosaic.CodeInternal {
		t.Errorf("an answer that cannot be encoded: %v", err)
	}
}

// TestClientGone: a client that goes away in the middle of its body is no
// server error: the handler's error says so (mosaic.ClientGone), and it
// is logged as information, not as a failed request.
func TestClientGone(t *testing.T) {
	var logs syncBuffer
	rec := &recorder{}
	done := make(chan error, 1)
	h := Wrap(Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), WriteError: rec.write, MaxBody: 1 << 20}, func(w http.ResponseWriter, r *http.Request) error {
		_, err := ReadBody(w, r, 1<<20, "the limit", 0)
		done <- err
		return err
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npart of it")
	time.Sleep(50 * time.Millisecond) // let the handler start reading
	conn.Close()
	if err := <-done; !mosaic.ClientGone(err) || mosaic.ErrorCode(err) == mosaic.CodeInternal {
		t.Errorf("the body's error: %v, want the client gone", err)
	}
	srv.Close() // waits for the handler, and so for its log line
	if out := logs.String(); strings.Contains(out, "level=ERROR") || !strings.Contains(out, "client went away") {
		t.Errorf("logged: %s", out)
	}
}

// syncBuffer is a bytes.Buffer that a server's goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
