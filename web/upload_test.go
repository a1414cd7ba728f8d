package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
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

// One who may not contribute (a stakeholder) is refused before a byte of
// the upload is read: it takes no reading turn and sends no body.
func TestUploadRefusedBeforeRead(t *testing.T) {
	e := newEnv(t)
	s := e.signedIn(t, e.w.Stakeholder)
	_, page := s.get("/")
	req, body := uploadRequest(t, e, s, "/contribute", csrf(t, page), bytes.Repeat([]byte("x"), 2<<20))
	rec := httptest.NewRecorder()
	e.web.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || body.read.Load() {
		t.Errorf("a stakeholder's upload: %d, body read %v; want 403 unread", rec.Code, body.read.Load())
	}
}

// An upload's file beyond what the form parser keeps in memory waits in a
// temporary file, which is removed when the request is done.
func TestUploadLeavesNoTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := newEnv(t)
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	big := `{"type":"bundle","id":"bundle--` + "5d0092c5-5f74-4287-9642-33f4c354e56d" + `","objects":[],"pad":"` + strings.Repeat("x", 2<<20) + `"}`
	req, _ := uploadRequest(t, e, a, "/contribute", csrf(t, page), []byte(big))
	rec := httptest.NewRecorder()
	e.web.Handler().ServeHTTP(rec, req)
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range left {
		if strings.HasPrefix(f.Name(), "multipart-") {
			names = append(names, f.Name())
		}
	}
	if len(names) > 0 {
		t.Errorf("an upload (answered %d) left temporary files: %v", rec.Code, names)
	}
}

// Signed-in requests count against the user's request rate, which every
// door shares.
func TestPagesAreRateLimited(t *testing.T) {
	var admitted atomic.Int32
	e := newEnv(t, func(o *web.Options) {
		o.Admit = func(mosaic.Viewer) error {
			if admitted.Add(1) > 3 {
				return mosaic.RateLimited(time.Second, "rate limit of %d requests per second exceeded", 3)
			}
			return nil
		}
	})
	a := e.signedIn(t, e.w.A)
	admitted.Store(0)
	for i := range 3 {
		if resp, _ := a.get("/objects"); resp.StatusCode != http.StatusOK {
			t.Fatalf("page %d within the rate: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := a.get("/objects"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a page beyond the rate: %d, want 429", resp.StatusCode)
	}
}

// Pages that read content take one of the user's listing turns: while
// they are all held, the user's next such page waits, and is refused.
func TestContentPagesTakeListingTurns(t *testing.T) {
	turns := gate.New(nil, nil, gate.Limits{ListingTurnsPerUser: 1, UserTurnWait: 10 * time.Millisecond}).Turns()
	e := newEnv(t, func(o *web.Options) { o.Turns = turns })
	a := e.signedIn(t, e.w.A)
	l, err := turns.List(bg, e.w.A)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/objects", "/objects/indicator--5d0092c5-5f74-4287-9642-33f4c354e56d", "/objects/indicator--5d0092c5-5f74-4287-9642-33f4c354e56d/raw"} {
		if resp, _ := a.get(path); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("%s while the user's turn is held: %d, want 429", path, resp.StatusCode)
		}
	}
	l.Done()
	if resp, _ := a.get("/objects"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the turn came back: %d", resp.StatusCode)
	}
}
