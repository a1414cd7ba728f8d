package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mosaic"
	"mosaic/gate"
	"mosaic/web"
	"mosaic/web/session"
)

// countingReader notes whether anyone read from it.
type countingReader struct {
	r    io.Reader
	read atomic.Bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.read.Store(true)
	return c.r.Read(p)
}

// uploadRequest builds a signed-in upload of a bundle file to path through
// the handler, with the session of b.
func uploadRequest(t *testing.T, e *env, b *browser, path, token string, file []byte) (*http.Request, *countingReader) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", token)
	mw.WriteField("kind", "bundle")
	fw, _ := mw.CreateFormFile("bundle-file", "bundle.json")
	fw.Write(file)
	mw.Close()
	body := &countingReader{r: &buf}
	req := httptest.NewRequest("POST", path, body)
	req.ContentLength = -1 // sent in chunks: the size is not known ahead
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for _, c := range b.c.Jar.Cookies(mustURL(t, e.srv.URL)) {
		req.AddCookie(c)
	}
	return req, body
}

// sessionHook calls after once a request's session has been looked up.
type sessionHook struct {
	web.Store
	after atomic.Pointer[func()]
}

func (h *sessionHook) Session(ctx context.Context, hash [32]byte, now time.Time) (session.Session, mosaic.Viewer, error) {
	ws, v, err := h.Store.Session(ctx, hash, now)
	if f := h.after.Swap(nil); f != nil {
		(*f)()
	}
	return ws, v, err
}

// TestUploadsWaitForAReadingTurn: a web upload waits for a shared reading
// turn like the API's, after its first chunk.
func TestUploadsWaitForAReadingTurn(t *testing.T) {
	turns := gate.NewTurns()
	hook := &sessionHook{}
	e := newEnv(t, func(o *web.Options) {
		o.Turns = turns
		hook.Store = o.Store
		o.Store = hook
	})
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	token := csrf(t, page)

	// Other doors hold every reading turn.
	release := make(chan struct{})
	held := make(chan struct{})
	for range gate.MaxReading {
		go turns.Read(bg, func() ([]byte, error) {
			held <- struct{}{}
			<-release
			return nil, nil
		})
	}
	for range gate.MaxReading {
		<-held
	}
	defer close(release)
	req, body := uploadRequest(t, e, a, "/contribute", token, []byte(`{"type":"bundle"}`))
	ctx, cancel := context.WithCancel(bg)
	// The client gives up once it is signed in, while it waits.
	f := func() { cancel() }
	hook.after.Store(&f)
	rec := httptest.NewRecorder()
	e.web.Handler().ServeHTTP(rec, req.WithContext(ctx))
	// Its first chunk (here the whole small body) is read before it waits
	// for a shared turn, so that a sender who stalls holds none; then it
	// waits, and gives up.
	if rec.Code != http.StatusServiceUnavailable || !body.read.Load() {
		t.Errorf("upload without a reading turn: %d, body read %v; want 503 after its first chunk", rec.Code, body.read.Load())
	}
}

func TestUploadTooLarge(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.MaxUploadBytes = 4 << 10 })
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	req, _ := uploadRequest(t, e, a, "/contribute", csrf(t, page), bytes.Repeat([]byte("x"), 64<<10))
	rec := httptest.NewRecorder()
	e.web.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "too large") || strings.Contains(rec.Body.String(), "expired") {
		t.Errorf("an upload over the limit: %d\n%s", rec.Code, rec.Body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
