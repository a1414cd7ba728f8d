package gate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/credential"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// tokens is an Authenticator with one token per user name.
type tokens map[[32]byte]mosaic.Viewer

func (ts tokens) Authenticate(_ context.Context, h [32]byte, _ time.Time) (mosaic.Viewer, error) {
	if v, ok := ts[h]; ok {
		return v, nil
	}
	return mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "invalid or expired token")
}

func setup() (*Gate, *clock) {
	c := &clock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	ts := tokens{
		credential.HashToken("tok-ann"):  {UserID: 1, User: "ann"},
		credential.HashToken("tok-bob"):  {UserID: 2, User: "bob"},
		credential.HashToken("tok-siem"): {UserID: 1, User: "ann", ReadOnly: true},
	}
	return New(ts, c, Limits{RatePerSecond: 2, RateBurst: 3, AuthFailuresPerMinute: 2}), c
}

func TestAuthenticate(t *testing.T) {
	g, _ := setup()
	cases := []struct {
		name   string
		accept Credentials
		set    func(h map[string][]string)
		user   string // "" when it must fail with CodeUnauth
	}{
		{"bearer", Bearer, func(h map[string][]string) { h["Authorization"] = []string{"Bearer tok-ann"} }, "ann"},
		{"bearer lower-case scheme", Bearer, func(h map[string][]string) { h["Authorization"] = []string{"bearer  tok-bob "} }, "bob"},
		{"unknown token", Bearer, func(h map[string][]string) { h["Authorization"] = []string{"Bearer nope"} }, ""},
		{"nothing", BearerOrBasic, func(map[string][]string) {}, ""},
		{"basic refused where only bearer is taken", Bearer, func(h map[string][]string) { h["Authorization"] = []string{basic("ann", "tok-ann")} }, ""},
		{"basic", BearerOrBasic, func(h map[string][]string) { h["Authorization"] = []string{basic("ann", "tok-ann")} }, "ann"},
		{"basic with another user's token", BearerOrBasic, func(h map[string][]string) { h["Authorization"] = []string{basic("ann", "tok-bob")} }, ""},
		{"basic without password", BearerOrBasic, func(h map[string][]string) { h["Authorization"] = []string{basic("ann", "")} }, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			// A distinct address per case keeps the failure limit out of it.
			r.RemoteAddr = "192.0.2." + string(rune('1'+i)) + ":1234"
			tc.set(r.Header)
			v, err := g.Authenticate(r, tc.accept)
			if tc.user == "" {
				if mosaic.ErrorCode(err) != mosaic.CodeUnauth {
					t.Fatalf("got %v, %v; want an authentication error", v, err)
				}
				return
			}
			if err != nil || v.User != tc.user {
				t.Fatalf("got %v, %v; want %s", v, err, tc.user)
			}
		})
	}
}

// TestReadOnlyTokens: a read-only token reads, through either form of
// credentials, and is refused anything else with a 403 that says why;
// refusals are no failed authentications, which would lock its address
// out.
func TestReadOnlyTokens(t *testing.T) {
	g, _ := setup()
	for _, m := range []string{"GET", "HEAD"} {
		r := httptest.NewRequest(m, "/", nil)
		r.SetBasicAuth("ann", "tok-siem")
		if v, err := g.Authenticate(r, BearerOrBasic); err != nil || !v.ReadOnly {
			t.Errorf("%s: %+v, %v", m, v, err)
		}
	}
	for range 5 {
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			r := httptest.NewRequest(m, "/", nil)
			r.Header.Set("Authorization", "Bearer tok-siem")
			if _, err := g.Authenticate(r, Bearer); mosaic.ErrorCode(err) != mosaic.CodeForbidden || !strings.Contains(mosaic.ErrorMessage(err), "read-only") {
				t.Fatalf("%s: %v", m, err)
			}
		}
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Authorization", "Bearer tok-ann")
	if v, err := g.Authenticate(r, Bearer); err != nil || v.User != "ann" || v.ReadOnly {
		t.Errorf("a read-write token of the same user: %+v, %v", v, err)
	}
}

func basic(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestFailuresAreLimitedPerAddress(t *testing.T) {
	g, c := setup()
	try := func(addr, token string) error {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		r.Header.Set("Authorization", "Bearer "+token)
		_, err := g.Authenticate(r, Bearer)
		return err
	}
	for range 2 {
		if err := try("198.51.100.1:1", "bad"); mosaic.ErrorCode(err) != mosaic.CodeUnauth {
			t.Fatalf("failure within the limit: %v", err)
		}
	}
	err := try("198.51.100.1:1", "bad")
	var rl *mosaic.Error
	if !errors.As(err, &rl) || mosaic.ErrorCode(err) != mosaic.CodeRateLimited || rl.RetryAfter() != "30" {
		t.Fatalf("third failure in a minute: %v (%+v)", err, rl)
	}
	// Good credentials from the same address still work: only failures
	// are refused.
	if err := try("198.51.100.1:2", "tok-ann"); err != nil {
		t.Fatalf("good token behind a failing address: %v", err)
	}
	// Another address is not affected.
	if err := try("198.51.100.2:1", "bad"); mosaic.ErrorCode(err) != mosaic.CodeUnauth {
		t.Fatalf("other address: %v", err)
	}
	c.t = c.t.Add(30 * time.Second)
	if err := try("198.51.100.1:1", "bad"); mosaic.ErrorCode(err) != mosaic.CodeUnauth {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestAdmit(t *testing.T) {
	g, c := setup()
	ann, bob := mosaic.Viewer{UserID: 1}, mosaic.Viewer{UserID: 2}
	for i := range 3 {
		if err := g.Admit(ann); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	err := g.Admit(ann)
	var rl *mosaic.Error
	if !errors.As(err, &rl) || rl.Wait != 500*time.Millisecond || rl.RetryAfter() != "1" {
		t.Fatalf("beyond the burst: %v", err)
	}
	if err := g.Admit(bob); err != nil {
		t.Fatalf("another user's budget: %v", err)
	}
	// A clock stepping back takes nothing away, and gives nothing either.
	c.t = c.t.Add(-time.Hour)
	if err := g.Admit(ann); err == nil {
		t.Fatal("a clock stepping back refilled the bucket")
	}
	c.t = c.t.Add(time.Hour + 500*time.Millisecond)
	if err := g.Admit(ann); err != nil {
		t.Fatalf("after refill: %v", err)
	}
}

// TestTurnsBoundHeldBodies: a body once read keeps its reading turn until
// it gets a storing turn, so no more than MaxReading+MaxStoring bodies are
// ever held, however many clients send.
func TestTurnsBoundHeldBodies(t *testing.T) {
	turns := NewTurns()
	ctx := context.Background()
	var dones []func()
	for range MaxStoring {
		_, done, err := turns.Read(ctx, func() ([]byte, error) { return []byte("x"), nil })
		if err != nil {
			t.Fatal(err)
		}
		dones = append(dones, done)
	}
	read := make(chan struct{}, MaxReading)
	finished := make(chan error, MaxReading)
	for range MaxReading {
		go func() {
			_, done, err := turns.Read(ctx, func() ([]byte, error) { read <- struct{}{}; return []byte("x"), nil })
			if err == nil {
				done()
			}
			finished <- err
		}()
	}
	for range MaxReading {
		<-read // every reading turn now holds a body waiting to be stored
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err := turns.Read(cancelled, func() ([]byte, error) {
		t.Error("a body was read while every turn held one")
		return nil, nil
	})
	if mosaic.ErrorCode(err) != mosaic.CodeUnavailable {
		t.Fatalf("reading beyond the turns: %v", err)
	}
	for _, done := range dones {
		done()
	}
	for range MaxReading {
		if err := <-finished; err != nil {
			t.Error(err)
		}
	}
}

func TestListingTurns(t *testing.T) {
	turns := NewTurns()
	var held []*Listing
	for range MaxListing {
		l, err := turns.List(context.Background(), mosaic.Viewer{UserID: int64(len(held))})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := turns.List(cancelled, mosaic.Viewer{UserID: 100}); mosaic.ErrorCode(err) != mosaic.CodeUnavailable {
		t.Fatalf("a listing beyond the turns: %v", err)
	}
	held[0].Done()
	l, err := turns.List(cancelled, mosaic.Viewer{UserID: 100})
	if err != nil {
		// Both cases of the select may be ready; either answer is right,
		// but a free turn must be taken when the context is live.
		l, err = turns.List(context.Background(), mosaic.Viewer{UserID: int64(len(held))})
	}
	if err != nil {
		t.Fatalf("after a turn came back: %v", err)
	}
	l.Done()
	for _, l := range held {
		l.Done()
	}
}

// Pages being written hold a writing turn each, not a listing turn: more
// listings than MaxListing may be written at once, up to MaxWriting, and
// no more, so that slow readers hold a bounded number of pages in memory.
func TestWritingTurns(t *testing.T) {
	turns := NewTurns()
	ctx := context.Background()
	var writing []*Listing
	for i := range MaxWriting {
		l, err := turns.List(ctx, mosaic.Viewer{UserID: int64(i)})
		if err != nil {
			t.Fatalf("listing %d: %v", i, err)
		}
		l.Rendered()
		l.Rendered() // a second call gives nothing back twice
		writing = append(writing, l)
	}
	waiting, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := turns.List(waiting, mosaic.Viewer{UserID: 100}); mosaic.ErrorCode(err) != mosaic.CodeUnavailable {
		t.Fatalf("a listing while %d pages are being written: %v, want to wait", MaxWriting, err)
	}
	writing[0].Done()
	writing[0].Done()
	l, err := turns.List(ctx, mosaic.Viewer{UserID: 100})
	if err != nil {
		t.Fatalf("after one page was written: %v", err)
	}
	l.Done()
	for _, l := range writing[1:] {
		l.Done()
	}
	if len(turns.listing) != 0 || len(turns.writing) != 0 || len(turns.users) != 0 {
		t.Fatalf("turns left taken: %d listing, %d writing, users %v", len(turns.listing), len(turns.writing), turns.users)
	}
}

// A user's listing turn is held until the page is written, not only
// rendered: one user's unread answers hold at most its own turns.
func TestListingTurnHeldWhileWriting(t *testing.T) {
	c := &clock{t: time.Now()}
	turns := New(tokens{}, c, Limits{ListingTurnsPerUser: 2, UserTurnWait: 10 * time.Millisecond}).Turns()
	ann := mosaic.Viewer{UserID: 1}
	var held []*Listing
	for range 2 {
		l, err := turns.List(context.Background(), ann)
		if err != nil {
			t.Fatal(err)
		}
		l.Rendered()
		held = append(held, l)
	}
	if _, err := turns.List(context.Background(), ann); mosaic.ErrorCode(err) != mosaic.CodeRateLimited {
		t.Fatalf("a third listing while two are being written: %v, want CodeRateLimited", err)
	}
	for _, l := range held {
		l.Done()
	}
}

// An upload announced as too large is refused at once, even while every
// reading turn is taken: waiting for a turn to refuse it unread would only
// park it.
func TestReadUploadRefusesAnnouncedSizeAtOnce(t *testing.T) {
	turns := NewTurns()
	release := make(chan struct{})
	defer close(release)
	held := make(chan struct{})
	for range MaxReading {
		go turns.Read(context.Background(), func() ([]byte, error) {
			held <- struct{}{}
			<-release
			return nil, nil
		})
	}
	for range MaxReading {
		<-held
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader("x"))
	r.ContentLength = 40 << 20
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	_, _, err := turns.ReadUpload(httptest.NewRecorder(), r.WithContext(ctx), mosaic.Viewer{UserID: 1}, 32<<20, "the limit")
	if mosaic.ErrorCode(err) != mosaic.CodeTooLarge {
		t.Fatalf("an announced 40 MiB body: %v, want CodeTooLarge", err)
	}
}

// Attempts with a secret (a one-time code) count their failures against
// the address, as failed authentications do, and beyond the limit are
// refused without being tried.
func TestAttempt(t *testing.T) {
	g, c := setup() // two failures a minute
	r := httptest.NewRequest("POST", "/", nil)
	r.RemoteAddr = "198.51.100.9:1"
	tries := 0
	fail := func() error { tries++; return mosaic.Errorf(mosaic.CodeUnauth, "wrong code") }
	succeed := func() error { tries++; return nil }
	if err := g.Attempt(r, succeed); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := g.Attempt(r, fail); mosaic.ErrorCode(err) != mosaic.CodeUnauth {
			t.Fatalf("failure %d within the limit: %v", i, err)
		}
	}
	before := tries
	if err := g.Attempt(r, succeed); mosaic.ErrorCode(err) != mosaic.CodeRateLimited || tries != before {
		t.Fatalf("beyond the limit: %v, tried %d times more", err, tries-before)
	}
	// The failures count for Authenticate too: one budget per address.
	r.Header.Set("Authorization", "Bearer tok-ann")
	if _, err := g.Authenticate(r, Bearer); err != nil {
		t.Errorf("a good token behind failed attempts: %v", err)
	}
	r.Header.Set("Authorization", "Bearer bad")
	if _, err := g.Authenticate(r, Bearer); mosaic.ErrorCode(err) != mosaic.CodeRateLimited {
		t.Errorf("a bad token after failed attempts: %v", err)
	}
	c.t = c.t.Add(time.Minute)
	if err := g.Attempt(r, succeed); err != nil {
		t.Errorf("after the wait: %v", err)
	}
}

// A user holds at most its own listing turns: beyond them it waits, and
// is refused once the wait is over, while another user gets a turn.
func TestListingTurnsPerUser(t *testing.T) {
	c := &clock{t: time.Now()}
	turns := New(tokens{}, c, Limits{ListingTurnsPerUser: 2, UserTurnWait: 10 * time.Millisecond}).Turns()
	ann, bob := mosaic.Viewer{UserID: 1}, mosaic.Viewer{UserID: 2}
	ctx := context.Background()
	var dones []*Listing
	for range 2 {
		l, err := turns.List(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		dones = append(dones, l)
	}
	if _, err := turns.List(ctx, ann); mosaic.ErrorCode(err) != mosaic.CodeRateLimited {
		t.Fatalf("a third listing of one user's: %v, want CodeRateLimited", err)
	}
	l, err := turns.List(ctx, bob)
	if err != nil {
		t.Fatalf("another user's listing: %v", err)
	}
	l.Done()
	// A turn that comes back while the user waits is taken.
	got := make(chan error, 1)
	slow := New(tokens{}, c, Limits{ListingTurnsPerUser: 2, UserTurnWait: time.Hour}).Turns()
	var held []*Listing
	for range 2 {
		l, _ := slow.List(ctx, ann)
		held = append(held, l)
	}
	go func() {
		l, err := slow.List(ctx, ann)
		if err == nil {
			l.Done()
		}
		got <- err
	}()
	held[0].Done()
	if err := <-got; err != nil {
		t.Fatalf("after one of the user's turns came back: %v", err)
	}
	held[1].Done()
	for _, l := range dones {
		l.Done()
	}
}

// A body that has arrived whole waits for a storing turn as long as the
// server makes it: the pace's read deadline ends with the body, so that
// waiting behind other uploads does not end the request.
func TestReadUploadWaitsForStoringTurn(t *testing.T) {
	const window = 100 * time.Millisecond
	turns := New(tokens{}, &clock{t: time.Now()}, Limits{TransferWindow: window}).Turns()
	var held []func()
	for range MaxStoring {
		done, err := turns.Store(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, done)
	}
	body := strings.Repeat("x", FirstChunk*3)
	got := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, up, err := turns.ReadUpload(w, r, mosaic.Viewer{UserID: 1}, 1<<20, "the limit")
		if err == nil {
			up.Done()
			if string(b) != body {
				err = errors.New("the body came back changed")
			}
		}
		got <- err
	}))
	defer srv.Close()
	go func() {
		resp, err := http.Post(srv.URL, "text/plain", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(10 * window) // the body is in long before this
	for _, done := range held {
		done()
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("an upload that waited for a storing turn: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the upload did not get a storing turn")
	}
}

// A body that arrived whole in its first chunk waits for a shared reading
// turn as long as the server makes it, as it waits for a storing turn:
// no read deadline runs while the server reads nothing.
func TestReadUploadWaitsForReadingTurn(t *testing.T) {
	const window = 100 * time.Millisecond
	turns := New(tokens{}, &clock{t: time.Now()}, Limits{TransferWindow: window}).Turns()
	release := make(chan struct{})
	held := make(chan struct{})
	for range MaxReading {
		go turns.Read(context.Background(), func() ([]byte, error) {
			held <- struct{}{}
			<-release
			return nil, errors.New("released")
		})
	}
	for range MaxReading {
		<-held
	}
	got := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, up, err := turns.ReadUpload(w, r, mosaic.Viewer{UserID: 1}, 1<<20, "the limit")
		if err == nil {
			up.Done()
		}
		got <- err
	}))
	defer srv.Close()
	go func() {
		resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("a small body"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(10 * window)
	close(release)
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("a small upload that waited for a reading turn: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the upload did not get a reading turn")
	}
}

// An upload gives its storing turn back when it is stored, before its
// answer is written, and its user's turn only when it is done.
func TestUploadTurns(t *testing.T) {
	turns := New(tokens{}, &clock{t: time.Now()}, Limits{ReadingTurnsPerUser: 1, UserTurnWait: 10 * time.Millisecond}).Turns()
	got := make(chan *Upload, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, up, err := turns.ReadUpload(w, r, mosaic.Viewer{UserID: 1}, 1<<20, "the limit")
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		got <- up
	}))
	defer srv.Close()
	go http.Post(srv.URL, "text/plain", strings.NewReader("body"))
	up := <-got
	if up == nil {
		t.FailNow()
	}
	if n := storingTurns(4); n != 1 || turns.storing.TryAcquire(MaxStoring) {
		t.Fatalf("while stored: the storing turn is free (%d)", n)
	}
	up.Stored()
	if !turns.storing.TryAcquire(MaxStoring) {
		t.Fatal("after Stored: the storing turn is still held")
	}
	turns.storing.Release(MaxStoring)
	if _, err := turns.takeUser(context.Background(), userKind{user: 1}, 1, "uploads"); mosaic.ErrorCode(err) != mosaic.CodeRateLimited {
		t.Fatalf("after Stored, before Done: the user's turn is free (%v)", err)
	}
	up.Done()
	up.Done()
	mine, err := turns.takeUser(context.Background(), userKind{user: 1}, 1, "uploads")
	if err != nil {
		t.Fatalf("after Done: %v", err)
	}
	mine()
}

// A body above LargeBody takes every storing turn.
func TestLargeBodyStoredAlone(t *testing.T) {
	if storingTurns(LargeBody) != 1 || storingTurns(LargeBody+1) != MaxStoring {
		t.Fatalf("storingTurns: %d at LargeBody, %d above", storingTurns(LargeBody), storingTurns(LargeBody+1))
	}
}
