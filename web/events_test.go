package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/gate"
	"mosaic/storetest"
	"mosaic/web"
)

type event struct {
	id   string
	kind string
	data web.Event
}

// stream opens the event stream with the given headers (and the browser's
// cookies when b is not nil) and delivers its events until the test ends.
func (e *env) stream(t *testing.T, b *browser, header ...string) (*http.Response, <-chan event) {
	t.Helper()
	ctx, cancel := context.WithCancel(bg)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+web.EventsPath, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := http.DefaultClient
	if b != nil {
		client = b.c
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan event, 100)
	if resp.StatusCode != 200 {
		resp.Body.Close()
		close(ch)
		return resp, ch
	}
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && ev.kind == "object":
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data) != nil {
					t.Errorf("bad event data %s", line)
				}
			case line == "" && ev.id != "" && ev.kind != "object":
				// Only records: the other kinds have tests of their own.
				ev = event{}
			case line == "" && ev.id != "":
				ch <- ev
				ev = event{}
			}
		}
	}()
	return resp, ch
}

func objectName(ev event) string {
	var o struct{ ID, Name string }
	_ = json.Unmarshal(ev.data.Object, &o)
	return o.Name
}

// until reads the next event and fails unless it names want: a hidden
// object's event, or an old one, would come first.
func until(t *testing.T, ch <-chan event, want string) event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %q", want)
			}
			if name := objectName(ev); name != want {
				t.Fatalf("event about %q before %q: %s", name, want, ev.data.Object)
			}
			return ev
		case <-timeout:
			t.Fatalf("no event about %q", want)
		}
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	secret, hash := credential.NewToken()
	if _, err := e.w.Store.CreateToken(bg, e.w.C.User, hash, "soc", e.w.Clock.Now().Add(time.Hour), false, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	indicator := func(n int, name string) string {
		return storetest.Indicator(n, "2026-10-01T00:00:00.000Z", name, "[ipv4-addr:value = '198.51.100.7']")
	}
	own := mosaic.Envelope{}
	ops := mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}}
	// What was there before the stream opened does not come.
	e.w.Ingest(t, e.w.A, storetest.Record(t, indicator(1, "Old beacon"), cellEnv()))

	resp, token := e.stream(t, nil, "Authorization", "Bearer "+secret)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, cookie := e.stream(t, e.signedIn(t, e.w.C))
	if resp.StatusCode != 200 {
		t.Fatalf("stream with the session: %d", resp.StatusCode)
	}
	time.Sleep(100 * time.Millisecond) // both streams have started
	e.w.Ingest(t, e.w.A,
		storetest.Record(t, indicator(2, "Hidden own beacon"), own),
		storetest.Record(t, indicator(3, "Hidden ops beacon"), ops))
	e.w.Ingest(t, e.w.A, storetest.Record(t, indicator(4, "Live beacon"), cellEnv()))
	first := until(t, token, "Live beacon")
	until(t, cookie, "Live beacon")
	if first.data.Envelope.Originator != "pa" || !first.data.Envelope.Audience.Cell {
		t.Errorf("event envelope %+v", first.data.Envelope)
	}

	// Resuming after the first event brings what came later, and only what
	// the viewer may see.
	e.w.Ingest(t, e.w.A, storetest.Record(t, indicator(5, "Hidden again"), own), storetest.Record(t, indicator(6, "Second live beacon"), cellEnv()))
	_, resumed := e.stream(t, nil, "Authorization", "Bearer "+secret, "Last-Event-ID", first.id)
	if ev := until(t, resumed, "Second live beacon"); ev.id == first.id {
		t.Error("resumed stream repeated the last event")
	}

	for _, tc := range []struct {
		name   string
		b      *browser
		header []string
		status int
	}{
		{"no credentials", nil, nil, http.StatusUnauthorized},
		{"bad token", nil, []string{"Authorization", "Bearer nonsense"}, http.StatusUnauthorized},
		{"stakeholder", e.signedIn(t, e.w.Stakeholder), nil, http.StatusForbidden},
		{"bad Last-Event-ID", nil, []string{"Authorization", "Bearer " + secret, "Last-Event-ID", "forged"}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp, _ := e.stream(t, tc.b, tc.header...); resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if got := strings.Join(e.audit.actions(e.w.C.User), " "); !strings.Contains(got, "events.read:allow") {
		t.Errorf("events not audited: %s", got)
	}
	// The refusal is audited too.
	if got := strings.Join(e.audit.actions(e.w.Stakeholder.User), " "); !strings.Contains(got, "events.read:deny") {
		t.Errorf("a refused stream is not audited: %s", got)
	}
}

// ended fails unless the stream ends (after any events still on the way).
func ended(t *testing.T, ch <-chan event, why string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("the stream went on after %s", why)
		}
	}
}

func TestEventsEndWithTheCredentials(t *testing.T) {
	e := newEnv(t)
	newToken := func(user string) (string, mosaic.Token) {
		secret, hash := credential.NewToken()
		tok, err := e.w.Store.CreateToken(bg, user, hash, "soc", e.w.Clock.Now().Add(time.Hour), false, mosaic.AuditEntry{Action: "setup"})
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok
	}
	open := func(b *browser, header ...string) <-chan event {
		t.Helper()
		resp, ch := e.stream(t, b, header...)
		if resp.StatusCode != 200 {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		return ch
	}

	// Signing out.
	b := e.signedIn(t, e.w.C)
	ch := open(b)
	_, body := b.get("/")
	b.post("/logout", url.Values{"csrf": {csrf(t, body)}})
	ended(t, ch, "sign-out")

	// A revoked token.
	secret, tok := newToken(e.w.C.User)
	ch = open(nil, "Authorization", "Bearer "+secret)
	if err := e.w.Store.RevokeToken(bg, tok.ID, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	ended(t, ch, "the token was revoked")

	// An expired session, on the server's clock.
	ch = open(e.signedIn(t, e.w.C))
	e.w.Clock.Add(13 * time.Hour)
	ended(t, ch, "the session expired")

	// A disabled user, through a session and a token.
	secret, _ = newToken(e.w.A.User)
	byToken := open(nil, "Authorization", "Bearer "+secret)
	bySession := open(e.signedIn(t, e.w.A))
	u, err := e.w.Store.User(bg, e.w.A.User)
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := e.w.Store.UpdateUser(bg, u, nil, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	ended(t, byToken, "the user was disabled")
	ended(t, bySession, "the user was disabled")
}

func TestLiveStreamsAreBounded(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.MaxStreams = 4 })
	secret, hash := credential.NewToken()
	if _, err := e.w.Store.CreateToken(bg, e.w.C.User, hash, "soc", e.w.Clock.Now().Add(time.Hour), false, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(t, e.w.C)
	for i := range web.MaxStreamsPerUser {
		var resp *http.Response
		if i == 0 {
			resp, _ = e.stream(t, b)
		} else {
			resp, _ = e.stream(t, nil, "Authorization", "Bearer "+secret)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i, resp.StatusCode)
		}
	}
	for _, c := range []*browser{b, nil} {
		header := []string{"Authorization", "Bearer " + secret}
		if c != nil {
			header = nil
		}
		if resp, _ := e.stream(t, c, header...); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("one stream too many for the user: %d", resp.StatusCode)
		}
	}
	a := e.signedIn(t, e.w.A)
	if resp, _ := e.stream(t, a); resp.StatusCode != 200 {
		t.Errorf("another user's stream: %d", resp.StatusCode)
	}
	if resp, _ := e.stream(t, e.signedIn(t, e.w.A)); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("one stream too many on the server: %d", resp.StatusCode)
	}
}

// A stream opened with the session's cookie counts against the user's
// request rate, as one opened with a token does.
func TestCookieStreamsAreRateLimited(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(bg)
	mux := http.NewServeMux()
	mux.Handle("GET "+web.EventsPath, e.web.Events(ctx, gate.New(e.w.Store, e.w.Clock, gate.Limits{RatePerSecond: 0.001, RateBurst: 1})))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	b := e.signedIn(t, e.w.C)
	cookies := b.c.Jar.Cookies(mustURL(t, e.srv.URL))
	open := func() int {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+web.EventsPath, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
		return resp.StatusCode
	}
	if got := open(); got != 200 {
		t.Fatalf("first stream: %d", got)
	}
	if got := open(); got != http.StatusTooManyRequests {
		t.Errorf("second stream beyond the rate: %d, want 429", got)
	}
}
