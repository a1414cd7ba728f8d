// Package web is Mosaic's browser interface: server-rendered HTML from
// html/template, a stylesheet embedded and served at a content-hashed URL,
// no JavaScript. Reading works in any current browser without plugins.
//
// People sign in with their user name and password (argon2id, package
// credential); the session lives in the store, behind an HttpOnly,
// SameSite=Lax cookie that is Secure (and __Host- prefixed) under TLS.
// Forms that change state carry a per-session CSRF token, and
// http.CrossOriginProtection refuses cross-origin state changes before they
// reach a handler. The Content-Security-Policy allows no script at all and
// styles from the stylesheet only, so charts are inline SVG styled by class.
//
// Every page reads through the store with the signed-in viewer, so the
// visibility policy applies to every list, page, count and chart, and every
// read of content is audited as the REST API audits it.
package web

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"mosaic"
	"mosaic/gate"
	"mosaic/ingest"
)

// Auditor takes the audit entries of reads (package audit's Log). Record
// fails when the log cannot take the entry; the read must then fail too.
type Auditor interface {
	Record(e mosaic.AuditEntry) error
}

// Options configure a Server. Store, Audit and Log are required.
type Options struct {
	Store mosaic.Store
	Audit Auditor
	Clock mosaic.Clock
	Log   *slog.Logger
	// Secure is set when Mosaic serves TLS: cookies are then Secure and the
	// session cookie takes the __Host- prefix, which browsers only accept
	// from a secure origin, for the whole host.
	Secure bool
	// SessionLifetime is how long a sign-in lasts (default 12 hours, a
	// working day).
	SessionLifetime time.Duration
	// FailuresPerMinute bounds failed sign-ins per client address and per
	// user name (default 10).
	FailuresPerMinute int
	// Ingester stores contributions; without it the contribute pages are
	// not offered.
	Ingester *ingest.Ingester
	// MaxUploadBytes bounds an uploaded file (default 32 MiB).
	MaxUploadBytes int64
	// Turns bound the uploads decoded at once, together with the other
	// doors' (default: turns of the UI's own).
	Turns *gate.Turns
	// EventPoll is how often a live stream looks for new records (default
	// one second).
	EventPoll time.Duration
}

// Server serves the web UI.
type Server struct {
	store     mosaic.Store
	audit     Auditor
	clock     mosaic.Clock
	log       *slog.Logger
	secure    bool
	life      time.Duration
	assets    *assets
	pages     map[string]*template.Template
	mux       *http.ServeMux
	byAddr    *limiter // failed sign-ins per client address
	byName    *limiter // failed sign-ins per user name
	hashing   chan struct{}
	ingest    *ingest.Ingester
	maxUpload int64
	turns     *gate.Turns // bound the uploads decoded at once
	poll      time.Duration

	cursorMu sync.Mutex
	cursor   cipher.AEAD // guarded by cursorMu; nil until first used
}

// MaxConcurrentSignIns bounds the password checks that run at once: each
// takes 64 MiB and most of a core for a moment (argon2id).
const MaxConcurrentSignIns = 2

// New returns a Server, with its templates parsed and its assets hashed.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Audit == nil || o.Log == nil {
		return nil, errors.New("web: Store, Audit and Log are required")
	}
	if o.Clock == nil {
		o.Clock = mosaic.SystemClock{}
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	if o.FailuresPerMinute <= 0 {
		o.FailuresPerMinute = 10
	}
	if o.EventPoll <= 0 {
		o.EventPoll = time.Second
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 32 << 20
	}
	if o.Turns == nil {
		o.Turns = gate.NewTurns()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &Server{
		store: o.Store, audit: o.Audit, clock: o.Clock, log: o.Log, secure: o.Secure, life: o.SessionLifetime,
		assets:  a,
		mux:     http.NewServeMux(),
		byAddr:  newLimiter(float64(o.FailuresPerMinute)/60, float64(o.FailuresPerMinute)),
		byName:  newLimiter(float64(o.FailuresPerMinute)/60, float64(o.FailuresPerMinute)),
		hashing: make(chan struct{}, MaxConcurrentSignIns),
		ingest:  o.Ingester, maxUpload: o.MaxUploadBytes,
		turns: o.Turns,
		poll:  o.EventPoll,
	}
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.Handle("GET /assets/{name}", http.HandlerFunc(s.serveAsset))
	s.mux.Handle("GET /login", s.public(s.loginPage))
	s.mux.Handle("POST /login", s.public(s.signIn))
	s.mux.Handle("GET /language", s.public(s.setLanguage))
	s.mux.Handle("POST /logout", s.private(s.signOut))
	s.mux.Handle("GET /{$}", s.private(s.home))
	s.mux.Handle("GET /objects", s.private(s.objects))
	s.mux.Handle("GET /objects/{id}", s.private(s.object))
	s.mux.Handle("GET /sectors", s.private(s.gotoSector))
	s.mux.Handle("GET /sectors/{sector}", s.private(s.sectorPage))
	s.mux.Handle("POST /sectors/{sector}/level", s.private(s.setThreatLevel))
	if s.ingest != nil {
		s.mux.Handle("GET /contribute", s.private(s.contributePage))
		s.mux.Handle("POST /contribute/bundle", s.upload(s.contributeBundle))
		s.mux.Handle("POST /contribute/indicator", s.private(s.contributeIndicator))
		s.mux.Handle("POST /contribute/note", s.private(s.contributeNote))
	}
	s.mux.Handle("/", s.public(func(w http.ResponseWriter, r *http.Request, q *request) error {
		return mosaic.Errorf(mosaic.CodeNotFound, "there is no page at %s", r.URL.Path)
	}))
}

// Handler returns the UI's handler, to be mounted at the root of the
// server's mux (more specific patterns such as /api/ go elsewhere).
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &request{lang: pickLanguage(r), path: "/"}, mosaic.Errorf(mosaic.CodeForbidden, "cross-origin request refused"))
	}))
	return securityHeaders(cop.Handler(s.mux))
}

// csp allows the page's own stylesheet and script file and nothing else:
// no inline script or style, no frames, forms only to Mosaic itself, and
// connections only back to Mosaic (the live stream).
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// request is what a handler knows about the request beyond net/http.
type request struct {
	id      string
	lang    string
	path    string        // the request URI, for links back to this page
	viewer  mosaic.Viewer // zero when not signed in
	session mosaic.WebSession
	cookie  [32]byte // the session secret's hash
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, q *request) error

// public serves a page that needs no session, but knows it when there is
// one.
func (s *Server) public(h handlerFunc) http.Handler {
	return s.wrap(h, false, maxFormBytes)
}

// private serves a page only to a signed-in user; others are sent to the
// sign-in page, which brings them back.
func (s *Server) private(h handlerFunc) http.Handler {
	return s.wrap(h, true, maxFormBytes)
}

// upload serves a signed-in user's form that carries a file, up to the
// upload limit.
func (s *Server) upload(h handlerFunc) http.Handler {
	return s.wrap(h, true, s.maxUpload)
}

func (s *Server) wrap(h handlerFunc, private bool, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &request{id: requestID(), lang: pickLanguage(r), path: r.URL.RequestURI()}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Request-Id", q.id)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", slog.String("request_id", q.id), slog.Any("panic", p))
				s.fail(w, r, q, mosaic.Internal(errors.New("handler panicked"), r.URL.Path))
			}
		}()
		if err := s.loadSession(r, q); err != nil {
			s.fail(w, r, q, err)
			return
		}
		if private && q.viewer.User == "" {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, q, mosaic.Errorf(mosaic.CodeUnauth, "your session has ended; sign in again"))
			return
		}
		if r.Method == http.MethodPost && r.ContentLength > maxBody {
			s.fail(w, r, q, mosaic.Errorf(mosaic.CodeTooLarge, "the upload is larger than the limit of %d MiB", maxBody>>20))
			return
		}
		if r.Method == http.MethodPost && q.viewer.User != "" {
			if err := s.checkCSRF(r, q); err != nil {
				s.fail(w, r, q, err)
				return
			}
		}
		if err := h(w, r, q); err != nil {
			s.fail(w, r, q, err)
		}
	})
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var statusOf = map[mosaic.Code]int{
	mosaic.CodeInvalid:     http.StatusBadRequest,
	mosaic.CodeUnauth:      http.StatusUnauthorized,
	mosaic.CodeForbidden:   http.StatusForbidden,
	mosaic.CodeNotFound:    http.StatusNotFound,
	mosaic.CodeConflict:    http.StatusConflict,
	mosaic.CodeTooLarge:    http.StatusRequestEntityTooLarge,
	mosaic.CodeMethod:      http.StatusMethodNotAllowed,
	mosaic.CodeRateLimited: http.StatusTooManyRequests,
	mosaic.CodeUnavailable: http.StatusServiceUnavailable,
	mosaic.CodeInternal:    http.StatusInternalServerError,
}

// fail renders err as an error page. It is the one place that maps error
// codes to HTTP statuses; internal causes are logged and never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, q *request, err error) {
	code := mosaic.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		code, status = mosaic.CodeInternal, http.StatusInternalServerError
	}
	if code == mosaic.CodeInternal || code == mosaic.CodeUnavailable {
		s.log.Error("web request failed", slog.String("request_id", q.id), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", rl.retryAfter())
	}
	p := s.newPage(q, "error")
	p.Title = p.T("error.title." + string(code))
	p.Data = errorView{Code: string(code), Message: mosaic.ErrorMessage(err), RequestID: q.id}
	s.render(w, status, "error", p)
}

type errorView struct {
	Code, Message, RequestID string
}

// localPath reports whether p is a path on this site that a redirect may
// go to: it must not name another host ("//evil", "/\evil").
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") && !strings.ContainsAny(p, "\r\n")
}
