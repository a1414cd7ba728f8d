package web_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"mosaic"
	"mosaic/web"
)

// signInFrom signs in through the handler as a browser at addr would.
func (e *env) signInFrom(t *testing.T, addr, user, pw, next string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "/login", nil)
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	e.web.Handler().ServeHTTP(rec, req)
	token := csrf(t, rec.Body.String())
	login := rec.Result().Cookies()[0]
	form := url.Values{"csrf": {token}, "user": {user}, "password": {pw}, "next": {next}}
	req = httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	req.AddCookie(login)
	rec = httptest.NewRecorder()
	e.web.Handler().ServeHTTP(rec, req)
	return rec
}

func TestRedirectsStayOnSite(t *testing.T) {
	e := newEnv(t)
	for _, next := range []string{"/\t/evil.example/", "//evil.example/", "/\\evil.example/", "/\t\\evil.example/"} {
		rec := e.signInFrom(t, "192.0.2.1:1", e.w.A.User, password(e.w.A.User), next)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Errorf("sign-in with next %q: %d to %q, want /", next, rec.Code, rec.Header().Get("Location"))
		}
		req := httptest.NewRequest("GET", "/language?lang=nl&back="+url.QueryEscape(next), nil)
		rec = httptest.NewRecorder()
		e.web.Handler().ServeHTTP(rec, req)
		if rec.Header().Get("Location") != "/" {
			t.Errorf("language with back %q: to %q, want /", next, rec.Header().Get("Location"))
		}
	}
	rec := e.signInFrom(t, "192.0.2.1:1", e.w.A.User, password(e.w.A.User), "/objects?q=a b")
	if got := rec.Header().Get("Location"); got != "/objects?q=a%20b" {
		t.Errorf("sign-in with a local next: to %q", got)
	}
}

// Attempts that arrive together are all counted before any password is
// checked: with 3 failures a minute, at most 3 of 120 are checked.
func TestParallelSignInsAreCounted(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 120 {
		wg.Go(func() {
			rec := e.signInFrom(t, "192.0.2.7:1", e.w.C.User, "wrong", "/")
			mu.Lock()
			codes[rec.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[http.StatusUnauthorized] > 3 || codes[http.StatusUnauthorized]+codes[http.StatusTooManyRequests] != 120 {
		t.Errorf("120 parallel wrong passwords answered %v; want at most 3 checked, the rest refused", codes)
	}
}

// Someone who knows a user name cannot keep that user out: failures count
// against the address they come from, and a name under attack from many
// addresses only slows each of them.
func TestSignInLimitsDoNotLockOut(t *testing.T) {
	e := newEnv(t) // 3 failures a minute
	user, pw := e.w.C.User, password(e.w.C.User)
	for range 3 {
		if rec := e.signInFrom(t, "192.0.2.1:1", user, "wrong", "/"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure: %d", rec.Code)
		}
	}
	if rec := e.signInFrom(t, "192.0.2.1:2", user, pw, "/"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("right password from the guessing address: %d, want 429", rec.Code)
	}
	if rec := e.signInFrom(t, "198.51.100.9:1", user, pw, "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("right password from another address: %d, want 303", rec.Code)
	}

	// An IPv6 client is one /64.
	for range 3 {
		e.signInFrom(t, "[2001:db8::1]:1", e.w.A.User, "wrong", "/")
	}
	if rec := e.signInFrom(t, "[2001:db8::2]:1", e.w.A.User, password(e.w.A.User), "/"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("right password from the same /64: %d, want 429", rec.Code)
	}
	if rec := e.signInFrom(t, "[2001:db8:0:1::1]:1", e.w.A.User, password(e.w.A.User), "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("right password from another /64: %d, want 303", rec.Code)
	}

	// Many addresses guessing at one name: the rightful user, from an
	// address without failures, still gets in; a guessing address gets one
	// attempt per full refill.
	e.w.Clock.Add(time.Minute)
	for i := range 30 {
		if rec := e.signInFrom(t, "10.0.0."+string(rune('0'+i/10))+string(rune('0'+i%10))+":1", user, "wrong", "/"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("distributed failure %d: %d", i, rec.Code)
		}
	}
	if rec := e.signInFrom(t, "203.0.113.5:1", user, pw, "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("right password from a clean address under attack: %d, want 303", rec.Code)
	}
	if rec := e.signInFrom(t, "10.1.0.1:1", user, "wrong", "/"); rec.Code != http.StatusUnauthorized {
		t.Errorf("first guess from a new address under attack: %d, want 401", rec.Code)
	}
	if rec := e.signInFrom(t, "10.1.0.1:1", user, "wrong", "/"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("second guess from that address under attack: %d, want 429", rec.Code)
	}
}

// Refused attempts cost the audit log one entry per window, with a count;
// what was typed as a user name is cut and cleaned.
func TestRefusedSignInsAuditedOncePerWindow(t *testing.T) {
	e := newEnv(t)
	name := "\x1b[31mpc-analyst\u202e" + strings.Repeat("x", 300)
	for range 3 {
		e.signInFrom(t, "192.0.2.9:1", name, "wrong", "/")
	}
	for range 20 {
		if rec := e.signInFrom(t, "192.0.2.9:1", name, "hunter2", "/"); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("refused attempt: %d", rec.Code)
		}
	}
	denied := func() []mosaic.AuditEntry {
		var out []mosaic.AuditEntry
		for _, x := range e.audit.entries {
			if x.Action == "web.sign-in" && x.Decision == mosaic.Denied {
				out = append(out, x)
			}
		}
		return out
	}
	got := denied()
	if len(got) != 4 || !strings.HasPrefix(got[3].Detail, "1 sign-in attempts refused") {
		t.Fatalf("denied entries %+v, want 3 failures and one entry for the refusals", got)
	}
	// The next window's first refusal writes the next entry, with the
	// refusals since the last one.
	e.w.Clock.Add(61 * time.Second)
	for range 3 {
		e.signInFrom(t, "192.0.2.9:1", name, "wrong", "/")
	}
	if rec := e.signInFrom(t, "192.0.2.9:1", name, "wrong", "/"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("refused attempt: %d", rec.Code)
	}
	got = denied()
	if len(got) != 8 || !strings.HasPrefix(got[7].Detail, "20 sign-in attempts refused") {
		t.Fatalf("denied entries %+v, want one more entry for 20 refusals", got[4:])
	}
	for _, x := range got {
		if len(x.User) > 64 || strings.IndexFunc(x.User, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 || strings.Contains(x.Detail, "hunter2") {
			t.Errorf("audit entry keeps %q / %q", x.User, x.Detail)
		}
	}
}

// TestSlowSignInBody: a client that trickles the body of a sign-in form
// does not hold its connection for the server's read timeout, which is
// sized for uploads: the form's read time ends it with an answer.
func TestSlowSignInBody(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.FormReadTime = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: mosaic\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60\r\n\r\nuser=")
	// The rest never comes. Without a bound the server would wait as long
	// as the client likes; the deadline here is only the test's patience.
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled sign-in body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("a stalled sign-in body answered %d, want a client error", resp.StatusCode)
	}
}
