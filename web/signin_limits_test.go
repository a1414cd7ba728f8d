package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/web"
)

// refusedSignIns returns the audit entries of refused sign-ins whose
// detail holds what.
func (e *env) refusedSignIns(what string) []mosaic.AuditEntry {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	var out []mosaic.AuditEntry
	for _, x := range e.audit.entries {
		if x.Action == "web.sign-in" && x.Decision == mosaic.Denied && strings.Contains(x.Detail, "attempts refused") && strings.Contains(x.Detail, what) {
			out = append(out, x)
		}
	}
	return out
}

// wantLimited fails unless rec is a 429 with Retry-After that names the
// limit with message and starts no session.
func wantLimited(t *testing.T, what string, rec *httptest.ResponseRecorder, message string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), message) {
		t.Errorf("%s: %d, Retry-After %q, want 429 saying %q\n%s", what, rec.Code, rec.Header().Get("Retry-After"), message, rec.Body.String())
	}
	for _, c := range rec.Result().Cookies() {
		if strings.Contains(c.Name, "session") && c.Value != "" {
			t.Errorf("%s: a session cookie was set", what)
		}
	}
}

// Users behind one address (an organisation's NAT or proxy) do not lock
// each other out: failures with one name refuse only that name there.
func TestSignInColleagueBehindSameAddress(t *testing.T) {
	e := newEnv(t) // 3 failures a minute
	const nat = "192.0.2.50"
	for i := range 12 {
		rec := e.signInFrom(t, nat+":1", "nobody", "wrong", "/")
		switch {
		case i < 3 && rec.Code != http.StatusUnauthorized:
			t.Fatalf("failure %d: %d", i, rec.Code)
		case i >= 3:
			wantLimited(t, fmt.Sprint("failure ", i), rec, "Too many failed sign-ins with this user name from your address.")
		}
	}
	if rec := e.signInFrom(t, nat+":2", e.w.C.User, password(e.w.C.User), "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("a colleague with the right password from the same address: %d, want 303", rec.Code)
	}
	if rec := e.signInFrom(t, nat+":3", e.w.A.User, "mistyped", "/"); rec.Code != http.StatusUnauthorized {
		t.Errorf("a colleague's first mistake from the same address: %d, want 401", rec.Code)
	}
	if got := e.refusedSignIns("of this user name from this address"); len(got) != 1 || !strings.HasPrefix(got[0].Detail, "1 sign-in attempts refused") {
		t.Errorf("audit of the refusals: %+v, want one entry", got)
	}
}

// One address spraying guesses over many names is refused once the
// address's budget, ten times a name's, is used up, and then refuses
// everyone there.
func TestSignInSprayFromOneAddress(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.FailuresPerMinute = 1 }) // an address: 10 failures, 2 a minute
	const spray = "192.0.2.60"
	for i := range 10 {
		if rec := e.signInFrom(t, spray+":1", fmt.Sprint("user-", i), "Winter2026!", "/"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d within the address's budget: %d, want 401", i, rec.Code)
		}
	}
	for i := 10; i < 15; i++ {
		wantLimited(t, fmt.Sprint("guess ", i), e.signInFrom(t, spray+":1", fmt.Sprint("user-", i), "Winter2026!", "/"), "Too many failed sign-ins from your address, with many user names.")
	}
	wantLimited(t, "the right password from the spraying address", e.signInFrom(t, spray+":2", e.w.C.User, password(e.w.C.User), "/"), "from your address, with many user names")
	if rec := e.signInFrom(t, "198.51.100.60:1", e.w.C.User, password(e.w.C.User), "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("the right password from another address: %d, want 303", rec.Code)
	}
	// Refusals of many names cost one audit entry a minute per address.
	if got := e.refusedSignIns("of many user names from this address"); len(got) != 1 {
		t.Errorf("audit of the refusals: %+v, want one entry", got)
	}
	// The budget refills at 2 a minute.
	e.w.Clock.Add(30 * time.Second)
	if rec := e.signInFrom(t, spray+":1", "user-20", "Winter2026!", "/"); rec.Code != http.StatusUnauthorized {
		t.Errorf("a guess after the refill: %d, want 401", rec.Code)
	}
	wantLimited(t, "the next guess", e.signInFrom(t, spray+":1", "user-21", "Winter2026!", "/"), "with many user names")
}

// One name guessed at from many addresses: each address is slowed to one
// guess per refill, and once the name's budget is used up every address
// is refused but those where the user signed in before.
func TestSignInOneNameFromManyAddresses(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.FailuresPerMinute = 1 }) // a name: 20 failures, 1 a minute
	user, pw := e.w.C.User, password(e.w.C.User)
	const office = "198.51.100.1:1"
	if rec := e.signInFrom(t, office, user, pw, "/"); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-in from the office: %d", rec.Code)
	}
	for i := range 20 {
		if rec := e.signInFrom(t, fmt.Sprintf("10.0.0.%d:1", i), user, "wrong", "/"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d from a new address: %d, want 401", i, rec.Code)
		}
	}
	const message = "Too many failed sign-ins with this user name from many addresses."
	wantLimited(t, "a guess from yet another address", e.signInFrom(t, "10.0.1.1:1", user, "wrong", "/"), message)
	wantLimited(t, "the right password from an address never used", e.signInFrom(t, "203.0.113.5:1", user, pw, "/"), message)
	if rec := e.signInFrom(t, office, user, pw, "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("the right password from the office: %d, want 303", rec.Code)
	}
	if rec := e.signInFrom(t, office, e.w.A.User, password(e.w.A.User), "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("another user: %d, want 303", rec.Code)
	}
	// Refusals of one name from many addresses cost one audit entry a
	// minute for the name.
	if got := e.refusedSignIns("of this user name from many addresses"); len(got) != 1 || got[0].User != user {
		t.Errorf("audit of the refusals: %+v, want one entry", got)
	}
	// The name's budget refills at 1 a minute, for all addresses together.
	e.w.Clock.Add(time.Minute)
	if rec := e.signInFrom(t, "10.0.2.1:1", user, "wrong", "/"); rec.Code != http.StatusUnauthorized {
		t.Errorf("a guess a minute later: %d, want 401", rec.Code)
	}
	wantLimited(t, "the next guess from another address", e.signInFrom(t, "10.0.2.2:1", user, "wrong", "/"), message)
}

// Sign-ins that succeed are limited per user, so that a loop on one's own
// password cannot keep the password hashing busy nor make sessions without
// end; failures, someone else's included, do not use them up.
func TestSignInSuccessesAreLimited(t *testing.T) {
	e := newEnv(t) // 3 failures a minute; 10 sign-ins a minute
	user, pw := e.w.A.User, password(e.w.A.User)
	for range 2 {
		if rec := e.signInFrom(t, "203.0.113.9:1", user, "wrong", "/"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure: %d", rec.Code)
		}
	}
	for i := range 10 {
		if rec := e.signInFrom(t, "192.0.2.70:1", user, pw, "/"); rec.Code != http.StatusSeeOther {
			t.Fatalf("sign-in %d: %d, want 303", i, rec.Code)
		}
	}
	const message = "Too many sign-ins with this user name: at most 10 a minute."
	wantLimited(t, "sign-in 11", e.signInFrom(t, "192.0.2.70:1", user, pw, "/"), message)
	wantLimited(t, "sign-in 11 from another address", e.signInFrom(t, "198.51.100.70:1", user, pw, "/"), message)
	if rec := e.signInFrom(t, "192.0.2.70:1", e.w.C.User, password(e.w.C.User), "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("another user from the same address: %d, want 303", rec.Code)
	}
	if got := e.refusedSignIns("sign-ins of this user name a minute"); len(got) != 1 {
		t.Errorf("audit of the refusals: %+v, want one entry", got)
	}
	e.w.Clock.Add(6 * time.Second)
	if rec := e.signInFrom(t, "192.0.2.70:1", user, pw, "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("a sign-in 6 seconds later: %d, want 303", rec.Code)
	}
	wantLimited(t, "the next one", e.signInFrom(t, "192.0.2.70:1", user, pw, "/"), message)
}

// Sign-ins that arrive together are all counted before any password is
// checked: of 30 right passwords at once, from 30 addresses, at most 10
// are checked and let in.
func TestParallelSignInSuccessesAreCounted(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 30 {
		wg.Go(func() {
			rec := e.signInFrom(t, fmt.Sprintf("10.3.0.%d:1", i), e.w.A.User, password(e.w.A.User), "/")
			mu.Lock()
			codes[rec.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[http.StatusSeeOther] != 10 || codes[http.StatusTooManyRequests] != 20 {
		t.Errorf("30 parallel sign-ins answered %v; want 10 let in, 20 refused", codes)
	}
}
