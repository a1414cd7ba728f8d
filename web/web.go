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
// It is a door: every page reads and writes content through the content
// service (package content) with the signed-in viewer, so the visibility
// policy applies to every list, page, count and chart, and every read of
// content is audited as through every other door. The UI keeps only its
// own sign-in sessions (Store).
//
// Those who receive releases read what was delivered to them at /releases
// (portal.go), download its snapshot and exports, and report their status
// back to the cell; the public releases are at /public/releases
// (releases.go). At /collection (collection.go) they find their TAXII
// collection and make a read-only token for their SIEM.
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"mosaic"
	"mosaic/approval"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/ratelimit"
	"mosaic/seal"
	"mosaic/web/session"
)

// Store is what the web UI needs of the store besides content: its
// sign-in sessions, the users and passwords they are made from, the
// organisations and compartments its forms offer, and the key that seals
// its cursors.
type Store interface {
	session.Store
	User(ctx context.Context, name string) (mosaic.User, error)
	PasswordHash(ctx context.Context, user string) (string, error)
	Org(ctx context.Context, name string) (mosaic.Organisation, error)
	Orgs(ctx context.Context) ([]mosaic.Organisation, error)
	Memberships(ctx context.Context, v mosaic.Viewer) ([]string, error)
	// The signed-in user's API tokens, made and revoked as through the
	// API (/api/v1/me/tokens): the collection page makes its SIEM's.
	CreateToken(ctx context.Context, user string, hash [32]byte, label string, expires time.Time, readOnly bool, a mosaic.AuditEntry) (mosaic.Token, error)
	Tokens(ctx context.Context, user string) ([]mosaic.Token, error)
	RevokeToken(ctx context.Context, id int64, a mosaic.AuditEntry) error
	seal.Secrets
}

// Collections are the TAXII server's collections of released objects
// (package taxii's Server), which the collection page points a user's
// SIEM at.
type Collections interface {
	// Root is the path of the TAXII API root, such as /taxii2/api/.
	Root() string
	// ReleasedCollections lists the collections of released objects v
	// receives, and no other.
	ReleasedCollections(ctx context.Context, v mosaic.Viewer) ([]mosaic.ReleasedCollection, error)
}

// Options configure a Server. Content, Store and Log are required.
type Options struct {
	Content *content.Service
	Store   Store
	Clock   mosaic.Clock
	Log     *slog.Logger
	// Secure is set when Mosaic serves TLS: cookies are then Secure and the
	// session cookie takes the __Host- prefix, which browsers only accept
	// from a secure origin, for the whole host.
	Secure bool
	// SessionLifetime is how long a sign-in lasts (default 12 hours, a
	// working day).
	SessionLifetime time.Duration
	// FailuresPerMinute is P of the sign-in limits (limits.go): failed
	// sign-ins of one user name from one address a minute, with 10·P per
	// address and 20·P per name across addresses (default 10).
	FailuresPerMinute int
	// MaxUploadBytes bounds an uploaded file (default 32 MiB).
	MaxUploadBytes int64
	// Turns bound the uploads decoded at once, together with the other
	// doors' (default: turns of the UI's own).
	Turns *gate.Turns
	// Admit holds each signed-in user to the request rate every door
	// shares (gate.Gate.Admit); nil: no rate.
	Admit func(mosaic.Viewer) error
	// EventPoll is how often a live stream looks for new records and
	// checks that its session or token still holds (default one second).
	EventPoll time.Duration
	// MaxStreams and MaxStreamsPerUser bound the live streams open at once
	// (defaults the constants of the same names).
	MaxStreams, MaxStreamsPerUser int
	// Hits, when set, adds deconfliction hits to the live stream (package
	// deconflict's Handler); without it the stream carries records only.
	Hits HitSource
	// Approvals, when set, adds the four-eyes pages: the change requests
	// (/requests) and setting a password with a one-time code
	// (/password). The service keeps its own store, so that Store stays
	// what the UI itself reads.
	Approvals *approval.Service
	// FormReadTime bounds reading a form that is not an upload (default
	// FormReadTime): a sign-in or a decision is a few hundred bytes, and a
	// client that trickles them must not hold its connection for the
	// server's whole read timeout, which is sized for uploads.
	FormReadTime time.Duration
	// AnonymousPerMinute bounds the requests without a session to the
	// public pages of releases per client address (default
	// AnonymousPerMinute, all of them at once at most); beyond it the
	// answer is 429.
	AnonymousPerMinute int
	// Collections, when set, adds the page of the user's TAXII
	// collection (/collection), with its read-only tokens for a SIEM.
	Collections Collections
}

// FormReadTime is how long the body of a form that is not an upload may
// take to arrive.
const FormReadTime = 10 * time.Second

// Server serves the web UI.
type Server struct {
	content     *content.Service
	store       Store
	clock       mosaic.Clock
	log         *slog.Logger
	secure      bool
	life        time.Duration
	assets      *assets
	pages       map[string]*template.Template
	mux         *http.ServeMux
	limits      *signInLimits
	hashing     chan struct{}
	maxUpload   int64
	formRead    time.Duration
	turns       *gate.Turns // bound the uploads decoded at once
	admit       func(mosaic.Viewer) error
	poll        time.Duration
	hits        HitSource         // nil when deconfliction is off
	approvals   *approval.Service // nil when the four-eyes pages are off
	collections Collections       // nil when the collection page is off
	// codeLimits limit failed one-time codes as limits do failed
	// sign-ins, apart, so that mistyping one does not keep its user from
	// signing in, nor the other way round.
	codeLimits *signInLimits
	// anonymous counts the requests without a session to the public
	// pages, per client address.
	anonymous          *ratelimit.Addresses
	anonymousPerMinute int

	streamMu          sync.Mutex
	streams           int           // guarded by streamMu: live streams open
	streamsOf         map[int64]int // guarded by streamMu: by user id
	maxStreams        int
	maxStreamsPerUser int

	cursors seal.Cursors
	// eventIDs seal the live stream's event ids; see eventID.
	eventIDs *seal.Sealer
}

// MaxConcurrentSignIns bounds the password checks that run at once: each
// takes 64 MiB and most of a core for a moment (argon2id).
const MaxConcurrentSignIns = 2

// New returns a Server, with its templates parsed and its assets hashed.
func New(o Options) (*Server, error) {
	if o.Content == nil || o.Store == nil || o.Log == nil {
		return nil, errors.New("web: Content, Store and Log are required")
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
	if o.MaxStreams <= 0 {
		o.MaxStreams = MaxStreams
	}
	if o.MaxStreamsPerUser <= 0 {
		o.MaxStreamsPerUser = MaxStreamsPerUser
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 32 << 20
	}
	if o.Turns == nil {
		o.Turns = gate.NewTurns()
	}
	if o.FormReadTime <= 0 {
		o.FormReadTime = FormReadTime
	}
	if o.AnonymousPerMinute <= 0 {
		o.AnonymousPerMinute = AnonymousPerMinute
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	sealer := seal.New(o.Store, "web-cursor")
	s := &Server{
		content: o.Content, store: o.Store, clock: o.Clock, log: o.Log, secure: o.Secure, life: o.SessionLifetime,
		assets:    a,
		cursors:   sealer.Cursors(cursorPurpose),
		eventIDs:  sealer,
		mux:       http.NewServeMux(),
		limits:    newSignInLimits(o.FailuresPerMinute),
		hashing:   make(chan struct{}, MaxConcurrentSignIns),
		maxUpload: o.MaxUploadBytes,
		formRead:  o.FormReadTime,
		turns:     o.Turns,
		admit:     o.Admit,
		poll:      o.EventPoll,
		hits:      o.Hits,
		streamsOf: map[int64]int{}, maxStreams: o.MaxStreams, maxStreamsPerUser: o.MaxStreamsPerUser,
		approvals: o.Approvals, codeLimits: newSignInLimits(o.FailuresPerMinute),
		collections:        o.Collections,
		anonymous:          ratelimit.NewAddresses(float64(o.AnonymousPerMinute)/60, float64(o.AnonymousPerMinute)),
		anonymousPerMinute: o.AnonymousPerMinute,
	}
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.Handle("GET /assets/{name}", http.HandlerFunc(s.serveAsset))
	s.mux.Handle("GET /favicon.ico", http.HandlerFunc(s.serveFavicon))
	s.mux.Handle("GET /login", s.public(s.loginPage))
	s.mux.Handle("POST /login", s.public(s.signIn))
	s.mux.Handle("GET /language", s.public(s.setLanguage))
	s.mux.Handle("POST /logout", s.private(s.signOut))
	s.mux.Handle("GET /{$}", s.private(s.home))
	s.mux.Handle("GET /objects", s.private(s.listed(s.objects)))
	s.mux.Handle("GET /objects/{id}", s.private(s.listed(s.object)))
	s.mux.Handle("GET /objects/{id}/raw", s.private(s.listed(s.objectRaw)))
	s.mux.Handle("GET /sectors", s.private(s.gotoSector))
	s.mux.Handle("GET /sectors/{sector}", s.private(s.sectorPage))
	s.mux.Handle("POST /sectors/{sector}/level", s.private(s.setThreatLevel))
	s.mux.Handle("GET /contribute", s.private(s.contributePage))
	s.mux.Handle("POST /contribute", s.upload(s.contribute, contributeFile))
	s.mux.Handle("GET /releases", s.private(s.listed(s.portalReleases)))
	s.mux.Handle("GET /releases/{id}", s.private(s.listed(s.portalRelease)))
	s.mux.Handle("GET /releases/{id}/snapshot", s.private(s.listed(s.portalSnapshot)))
	s.mux.Handle("GET /releases/{id}/export", s.private(s.listed(s.portalExport)))
	s.mux.Handle("POST /releases/{id}/receipt", s.private(s.portalReceipt))
	s.mux.Handle("POST /releases/{id}/sighting", s.private(s.listed(s.portalSighting)))
	s.mux.Handle("GET /consents", s.private(s.listed(s.consentsPage)))
	s.mux.Handle("GET /consents/{id}", s.private(s.listed(s.consentPage)))
	s.mux.Handle("POST /consents/{id}", s.private(s.listed(s.decideConsent)))
	s.mux.Handle("GET /outgoing", s.private(s.listed(s.outgoing)))
	s.mux.Handle("GET /outgoing/new", s.private(s.listed(s.newRelease)))
	s.mux.Handle("POST /outgoing/new", s.private(s.listed(s.createRelease)))
	s.mux.Handle("POST /outgoing/add", s.private(s.listed(s.addToRelease)))
	s.mux.Handle("GET /outgoing/{id}", s.private(s.listed(s.releaseBuilder)))
	s.mux.Handle("POST /outgoing/{id}", s.private(s.listed(s.reviseRelease)))
	s.mux.Handle("GET /outgoing/{id}/preview", s.private(s.listed(s.previewRelease)))
	s.mux.Handle("POST /outgoing/{id}/publish", s.private(s.listed(s.publishRelease)))
	s.mux.Handle("POST /outgoing/{id}/withdraw", s.private(s.listed(s.withdrawRelease)))
	s.mux.Handle("POST /consents/away", s.private(s.listed(s.markAway)))
	s.mux.Handle("GET /public/releases", s.publicPage(s.publicReleases))
	s.mux.Handle("GET /public/releases/{id}", s.publicPage(s.publicRelease))
	s.mux.Handle("GET /public/releases/{id}/snapshot", s.publicPage(s.publicSnapshot))
	if s.collections != nil {
		s.mux.Handle("GET /collection", s.private(s.listed(s.collectionPage)))
		s.mux.Handle("POST /collection/tokens", s.private(s.listed(s.makeSIEMToken)))
		s.mux.Handle("POST /collection/tokens/{id}/revoke", s.private(s.revokeSIEMToken))
	}
	if s.approvals != nil {
		s.mux.Handle("GET /requests", s.private(s.requestsPage))
		s.mux.Handle("POST /requests/{id}/approve", s.private(s.approveRequest))
		s.mux.Handle("POST /requests/{id}/refuse", s.private(s.refuseRequest))
		s.mux.Handle("GET /password", s.public(s.passwordPage))
		s.mux.Handle("POST /password", s.public(s.setPassword))
	}
	s.mux.Handle("/", s.public(func(w http.ResponseWriter, r *http.Request, q *request) error {
		return uiErr(mosaic.CodeNotFound, "error.nopage", r.URL.Path)
	}))
}

// Handler returns the UI's handler, to be mounted at the root of the
// server's mux (more specific patterns such as /api/ go elsewhere).
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &request{id: middleware.NewRequestID(), lang: pickLanguage(r), path: "/"}
		w.Header().Set("X-Request-Id", q.id)
		s.fail(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, q)), uiErr(mosaic.CodeForbidden, "error.crossorigin"))
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
	session session.Session
	cookie  [32]byte // the session secret's hash
	// file is an upload form's file, read in a reading turn while the
	// request holds a storing turn; nil when the form had none.
	file []byte
	// listing holds the request's listing turns (listed), nil if none.
	listing *gate.Listing
	// consents says the viewer decides its organisation's consents now,
	// and deputy that it does so as a deputy of its liaisons, who are
	// all away; read once a request, after the session.
	consents, deputy bool
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, q *request) error

// listed serves a page that reads content, which may be large, in one of
// the user's listing turns, as the API's listings are (gate.Turns.List):
// the page is rendered in a shared turn, which render gives back before it
// writes the page at the pace.
func (s *Server) listed(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, q *request) error {
		l, err := s.turns.List(r.Context(), q.viewer)
		if err != nil {
			return err
		}
		defer l.Done()
		q.listing = l
		return h(w, r, q)
	}
}

// public serves a page that needs no session, but knows it when there is
// one.
func (s *Server) public(h handlerFunc) http.Handler {
	return s.wrap(h, false, nil, maxFormBytes)
}

// private serves a page only to a signed-in user; others are sent to the
// sign-in page, which brings them back.
func (s *Server) private(h handlerFunc) http.Handler {
	return s.wrap(h, true, nil, maxFormBytes)
}

// upload serves a signed-in user's form that carries a file, up to the
// upload limit. The form is parsed in one of the reading turns every door
// shares, and the handler runs holding a storing turn, so that uploads
// through the UI count against the same bound on bodies held in memory as
// the API's. file names the form's file field that the handler reads,
// from the form's other fields ("" for none): a form may offer several and
// use one.
func (s *Server) upload(h handlerFunc, file func(*http.Request) string) http.Handler {
	return s.wrap(h, true, file, s.maxUpload)
}

// maxFormMemory is how much of a multipart form is held in memory while
// it is parsed; the rest of a file waits in a temporary file until the
// handler reads it in its turn.
const maxFormMemory = 1 << 20

// tooLarge says the body went over its limit, in a unit that fits it.
func tooLarge(limit int64) error {
	if limit >= 1<<20 {
		return uiErr(mosaic.CodeTooLarge, "error.toolarge.mib", limit>>20)
	}
	return uiErr(mosaic.CodeTooLarge, "error.toolarge.kib", limit>>10)
}

// parseForm reads a form's body, telling a body over the limit from a
// broken one: either would otherwise look like a form without its CSRF
// token.
func parseForm(r *http.Request, limit int64, multipart bool) error {
	var err error
	if multipart {
		err = r.ParseMultipartForm(maxFormMemory)
		if errors.Is(err, http.ErrNotMultipart) {
			err = r.ParseForm()
		}
	} else {
		err = r.ParseForm()
	}
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return tooLarge(limit)
	default:
		return uiErr(mosaic.CodeInvalid, "error.form")
	}
}

// readUpload parses an upload form and reads the file of the field file
// names, in a reading turn, and returns holding a storing turn that done
// gives back.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, q *request, limit int64, file func(*http.Request) string) (done func(), err error) {
	// The body is read as the API's and TAXII's are (gate.Turns.ReadUpload):
	// within the user's own reading turns, at the minimum rate, and taking
	// a shared turn only once its first chunk has come; the form is then
	// parsed from memory.
	body, up, err := s.turns.ReadUpload(w, r, q.viewer, limit, "the upload limit")
	if err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeTooLarge {
			return nil, tooLarge(limit)
		}
		return nil, err
	}
	done = up.Done
	defer func() {
		if err != nil {
			done()
			done = nil
		}
	}()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := parseForm(r, limit, true); err != nil {
		return nil, err
	}
	name := file(r)
	if name == "" {
		return done, nil
	}
	f, _, ferr := r.FormFile(name)
	if ferr != nil {
		return done, nil // the handler says the file is missing
	}
	defer f.Close()
	if q.file, err = io.ReadAll(io.LimitReader(f, limit)); err != nil {
		return nil, uiErr(mosaic.CodeInvalid, "error.form")
	}
	return done, nil
}

// requestKey keys the request's *request in its context, where the error
// page finds it.
type requestKey struct{}

// requestOf returns what the UI knows about r.
func requestOf(r *http.Request) *request {
	if q, ok := r.Context().Value(requestKey{}).(*request); ok {
		return q
	}
	return &request{lang: pickLanguage(r), path: r.URL.RequestURI()}
}

// wrap serves a page with the plumbing every door shares (package
// middleware), the session, the form's body under maxBody, and its CSRF
// token; errors become the UI's error page. file is set for an upload
// form, see upload.
func (s *Server) wrap(h handlerFunc, private bool, file func(*http.Request) string, maxBody int64) http.Handler {
	inner := middleware.Wrap(middleware.Options{Log: s.log, WriteError: s.fail, MaxBody: maxBody}, func(w http.ResponseWriter, r *http.Request) error {
		q := requestOf(r)
		q.id = middleware.RequestID(r.Context())
		if err := s.loadSession(r, q); err != nil {
			return err
		}
		middleware.SetUser(r.Context(), q.viewer.User)
		if q.viewer.User != "" && s.content.ReleasesOn() {
			// Anyone who may not decides nothing, and a store that cannot
			// say whether the liaisons are away shows no inbox to a deputy:
			// the inbox is a way in, not the rule, which content applies.
			deputy, err := s.content.MayConsent(r.Context(), q.viewer)
			q.consents, q.deputy = err == nil, deputy
		}
		if q.viewer.User != "" && s.admit != nil {
			// One budget of requests per user, whichever door.
			if err := s.admit(q.viewer); err != nil {
				return err
			}
		}
		if private && q.viewer.User == "" {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return nil
			}
			return uiErr(mosaic.CodeUnauth, "error.session")
		}
		if r.Method == http.MethodPost {
			if r.ContentLength > maxBody {
				return tooLarge(maxBody)
			}
			if file != nil {
				// An upload is a contribution: one who may not make one
				// takes no turn and sends no body.
				if err := s.content.MayContribute(q.viewer, ingestAccess); err != nil {
					return err
				}
				done, err := s.readUpload(w, r, q, maxBody, file)
				if err != nil {
					return err
				}
				defer done()
				defer func() {
					if r.MultipartForm != nil {
						_ = r.MultipartForm.RemoveAll()
					}
				}()
			} else {
				// Signed in or not: a sign-in page's POST comes from anyone.
				// The deadline is the network's, so wall time, whatever clock the
				// server runs on.
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.formRead))
				if err := parseForm(r, maxBody, false); err != nil {
					return err
				}
			}
			if q.viewer.User != "" {
				if err := s.checkCSRF(r, q); err != nil {
					return err
				}
			}
		}
		return h(w, r, q)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &request{lang: pickLanguage(r), path: r.URL.RequestURI()}
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, q)))
	})
}

// localPath returns p as a path on this site that a redirect may go to,
// re-encoded from its parse, and false when it is not one. Browsers drop
// tabs and newlines from URLs and read a backslash as a slash, so
// "/\t/evil.example/" would go to another host: any control character or
// backslash is refused outright rather than cleaned.
func localPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
		return "", false
	}
	for _, r := range p {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", false
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	out := u.EscapedPath()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "", false
	}
	if u.RawQuery != "" {
		out += "?" + escapeQuery(u.RawQuery)
	}
	return out, true
}

// escapeQuery percent-encodes what may not stand in a URL's query as it is
// (spaces, quotes, non-ASCII), keeping the rest, escapes included, so that
// the query means what it meant.
func escapeQuery(q string) string {
	const keep = "-._~!$&'()*+,;=:@/?%"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
