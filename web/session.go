package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"unicode"

	"mosaic"
	"mosaic/content"
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
		return uiErr(mosaic.CodeForbidden, "error.expired")
	}
	return nil
}

type loginView struct {
	User, Next, CSRF, Error string
	// Codes links the page where a one-time code sets a password, when
	// the server offers it.
	Codes bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, q *request) error {
	next, ok := localPath(r.URL.Query().Get("next"))
	if !ok {
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
	v.CSRF = s.loginToken(w, r)
	v.Codes = s.approvals != nil
	p := s.newPage(q, "login")
	p.Title = p.T("login.title")
	p.PublicLink = s.content.ReleasesOn()
	p.Data = v
	s.render(w, status, "login", p)
}

// loginToken returns the token of a form that needs no session (sign-in,
// setting a password with a one-time code), from its cookie, which it
// sets when there is none yet.
func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.loginCookie()); err == nil && c.Value != "" && len(c.Value) < 100 {
		return c.Value
	}
	token := randomToken()
	s.setCookie(w, s.loginCookie(), token)
	return token
}

// maxUserName is the longest user name a failed sign-in records.
const maxUserName = 64

// auditName makes what was typed as a user name fit for the audit log: at
// most maxUserName bytes of printable text, since anyone can type anything
// there (a password typed into the wrong field included, which is why a
// name that matches no user is not recorded whole).
func auditName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, name)
	if len(name) > maxUserName {
		name = strings.ToValidUTF8(name[:maxUserName], "")
	}
	return name
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, q *request) error {
	name := strings.TrimSpace(r.PostFormValue("user"))
	password := r.PostFormValue("password")
	next, ok := localPath(r.PostFormValue("next"))
	if !ok {
		next = "/"
	}
	view := loginView{User: name, Next: next}
	c, err := r.Cookie(s.loginCookie())
	if err != nil || !equalTokens(c.Value, r.PostFormValue("csrf")) {
		view.Error = "login.expired"
		s.renderLogin(w, q, http.StatusForbidden, view, r)
		return nil
	}
	if len(name) > 200 {
		// No user name is this long; limiting on it whole would let one
		// client make keys of any size.
		name = name[:200]
	}
	host := clientHost(r)
	// The attempt is counted before the password is checked, so that
	// parallel attempts cannot all pass the limits before the first of them
	// is counted; see signInLimits.
	now := s.clock.Now()
	res, wait, why := s.limits.reserveSignIn(host, name, now)
	if wait > 0 {
		if n := s.limits.refusedBy(host, name, why, now); n > 0 {
			a := content.Access{Action: "web.sign-in", Detail: fmt.Sprintf("%d sign-in attempts refused for %s (the last from %s) since the previous such entry", n, why.reason(), host)}
			if err := s.content.Audit(mosaic.Viewer{User: auditName(name)}, a, nil, mosaic.Denied); err != nil {
				return err
			}
		}
		view.Error = limitMessages[why]
		w.Header().Set("Retry-After", mosaic.RateLimited(wait, "%s", why.reason()).RetryAfter())
		s.renderLogin(w, q, http.StatusTooManyRequests, view, r)
		return nil
	}
	u, ok, err := s.checkPassword(r, name, password)
	if err != nil {
		// Nothing was learnt about the password.
		res.release(s.clock.Now())
		return err
	}
	now = s.clock.Now()
	if !ok {
		res.failed(now)
		a := content.Access{Action: "web.sign-in", Detail: "wrong user name or password from " + host}
		if err := s.content.Audit(mosaic.Viewer{User: auditName(name)}, a, nil, mosaic.Denied); err != nil {
			return err
		}
		view.Error = "login.failed"
		s.renderLogin(w, q, http.StatusUnauthorized, view, r)
		return nil
	}
	res.succeeded(now)
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
		return mosaic.User{}, false, uiErr(mosaic.CodeUnavailable, "error.turn")
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
