package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"mosaic"
	"mosaic/credential"
)

// maxFormBytes bounds the body of a form post; Mosaic's forms are small.
const maxFormBytes = 64 << 10

func (s *Server) sessionCookie() string {
	if s.secure {
		return "__Host-mosaic-session"
	}
	return "mosaic-session"
}

func (s *Server) loginCookie() string {
	if s.secure {
		return "__Host-mosaic-login"
	}
	return "mosaic-login"
}

// setCookie sets a cookie for the whole site, or removes it when value is
// empty.
func (s *Server) setCookie(w http.ResponseWriter, name, value string) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadSession finds the request's session. An unknown or expired one is no
// error: the request is simply not signed in.
func (s *Server) loadSession(r *http.Request, q *request) error {
	c, err := r.Cookie(s.sessionCookie())
	if err != nil || c.Value == "" {
		return nil
	}
	q.cookie = sha256.Sum256([]byte(c.Value))
	ws, v, err := s.store.Session(r.Context(), q.cookie, s.clock.Now())
	if mosaic.ErrorCode(err) == mosaic.CodeUnauth {
		return nil
	}
	if err != nil {
		return err
	}
	q.session, q.viewer = ws, v
	return nil
}

func equalTokens(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// checkCSRF requires a signed-in user's form to carry the session's token.
func (s *Server) checkCSRF(r *http.Request, q *request) error {
	if !equalTokens(q.session.CSRF, r.PostFormValue("csrf")) {
		return mosaic.Errorf(mosaic.CodeForbidden, "the form has expired; reload the page and try again")
	}
	return nil
}

type loginView struct {
	User, Next, CSRF, Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, q *request) error {
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = "/"
	}
	if q.viewer.User != "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	s.renderLogin(w, q, http.StatusOK, loginView{Next: next}, r)
	return nil
}

// renderLogin shows the sign-in form with a fresh token: sign-in has no
// session yet, so the form's token is checked against a cookie of its own.
func (s *Server) renderLogin(w http.ResponseWriter, q *request, status int, v loginView, r *http.Request) {
	token := ""
	if c, err := r.Cookie(s.loginCookie()); err == nil && c.Value != "" && len(c.Value) < 100 {
		token = c.Value
	} else {
		token = randomToken()
		s.setCookie(w, s.loginCookie(), token)
	}
	v.CSRF = token
	p := s.newPage(q, "login")
	p.Title = p.T("login.title")
	p.Data = v
	s.render(w, status, "login", p)
}

// maxUserName is the longest user name a failed sign-in records.
const maxUserName = 64

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, q *request) error {
	name := strings.TrimSpace(r.PostFormValue("user"))
	password := r.PostFormValue("password")
	next := r.PostFormValue("next")
	if !localPath(next) {
		next = "/"
	}
	view := loginView{User: name, Next: next}
	c, err := r.Cookie(s.loginCookie())
	if err != nil || !equalTokens(c.Value, r.PostFormValue("csrf")) {
		view.Error = "login.expired"
		s.renderLogin(w, q, http.StatusForbidden, view, r)
		return nil
	}
	if len(name) > maxUserName {
		name = name[:maxUserName]
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	now := s.clock.Now()
	deny := func(detail string) error {
		e := mosaic.AuditEntry{Time: now, User: name, Action: "web.sign-in", Decision: mosaic.Denied, Detail: detail + " from " + host}
		return s.audit.Record(e)
	}
	if wait := max(s.byAddr.wait(host, now), s.byName.wait(name, now)); wait > 0 {
		if err := deny("too many failed sign-ins"); err != nil {
			return err
		}
		view.Error = "login.limited"
		w.Header().Set("Retry-After", (&rateLimited{wait}).retryAfter())
		s.renderLogin(w, q, http.StatusTooManyRequests, view, r)
		return nil
	}
	u, ok, err := s.checkPassword(r, name, password)
	if err != nil {
		return err
	}
	if !ok {
		s.byAddr.take(host, now)
		s.byName.take(name, now)
		if err := deny("wrong user name or password"); err != nil {
			return err
		}
		view.Error = "login.failed"
		s.renderLogin(w, q, http.StatusUnauthorized, view, r)
		return nil
	}
	secret := randomToken()
	hash := sha256.Sum256([]byte(secret))
	e := mosaic.AuditEntry{Time: now, UserID: u.ID, User: u.Name, Org: u.Org, Action: "web.sign-in", Decision: mosaic.Allowed, Detail: "from " + host}
	_, err = s.store.CreateSession(r.Context(), hash, u.Name, randomToken(), now.Add(s.life), e)
	if err != nil {
		return err
	}
	// A browser-session cookie: the store ends the session at ws.Expires,
	// and the cookie goes when the browser closes, whichever comes first.
	s.setCookie(w, s.sessionCookie(), secret)
	s.setCookie(w, s.loginCookie(), "")
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// checkPassword reports whether name and password belong together. It
// spends the same argon2id work whether or not the user exists, so that the
// answer's timing does not tell which user names are taken.
func (s *Server) checkPassword(r *http.Request, name, password string) (mosaic.User, bool, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-r.Context().Done():
		return mosaic.User{}, false, mosaic.Errorf(mosaic.CodeUnavailable, "the request ended while waiting for its turn")
	}
	defer func() { <-s.hashing }()
	dummyOnce.Do(func() { dummyHash = credential.HashPassword(randomToken()) })
	u, err := s.store.User(r.Context(), name)
	hash := ""
	switch mosaic.ErrorCode(err) {
	case "":
		if hash, err = s.store.PasswordHash(r.Context(), name); err != nil {
			return mosaic.User{}, false, err
		}
	case mosaic.CodeNotFound:
	default:
		return mosaic.User{}, false, err
	}
	if hash == "" || u.Disabled {
		credential.CheckPassword(dummyHash, password)
		return mosaic.User{}, false, nil
	}
	return u, credential.CheckPassword(hash, password), nil
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, q *request) error {
	e := mosaic.NewAuditEntry(q.viewer, s.clock.Now(), "web.sign-out")
	if err := s.store.DeleteSession(r.Context(), q.cookie, e); err != nil {
		return err
	}
	s.setCookie(w, s.sessionCookie(), "")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// rateLimited is a CodeRateLimited error that knows when to come back.
type rateLimited struct{ wait time.Duration }

func (e *rateLimited) Error() string { return "too many failed sign-ins" }

func (e *rateLimited) Unwrap() error {
	return mosaic.Errorf(mosaic.CodeRateLimited, "too many failed sign-ins; try again in %s seconds", e.retryAfter())
}

func (e *rateLimited) retryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.wait.Seconds()))))
}

// limiter counts failures per key in token buckets: each failure takes a
// token, tokens come back at rate per second up to burst, and a key
// without tokens must wait.
type limiter struct {
	rate, burst float64
	mu          sync.Mutex
	keys        map[string]*bucket // guarded by mu
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(rate, burst float64) *limiter {
	return &limiter{rate: rate, burst: burst, keys: map[string]*bucket{}}
}

// maxKeys is where the limiter forgets keys whose buckets are full again,
// so that a flood of names or addresses cannot grow it without end.
const maxKeys = 100_000

// level returns key's bucket filled up to now; mu must be held.
func (l *limiter) level(key string, now time.Time) *bucket {
	b := l.keys[key]
	if b == nil {
		if len(l.keys) >= maxKeys {
			for k, o := range l.keys {
				if o.tokens+now.Sub(o.at).Seconds()*l.rate >= l.burst {
					delete(l.keys, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.keys[key] = b
	}
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
		b.at = now
	}
	return b
}

// wait says how long key must wait before its next attempt.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.level(key, now); b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	return 0
}

// take counts one failure against key.
func (l *limiter) take(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.level(key, now)
	b.tokens = max(0, b.tokens-1)
}
