// Package taxii is Mosaic's TAXII 2.1 server (OASIS TAXII Version 2.1,
// OASIS Standard, 10 June 2021): discovery at /taxii2/, one API root, and
// for each user the collections that match the audiences they may see: the
// cell, each compartment they belong to, and their own organisation. Beside
// them, read-only collections of released objects: those released to the
// user's organisation and to the user by name, for whoever receives
// releases, and those released to the public, for everyone, without
// credentials too.
//
// It is a door: every read and write goes through the content service
// (package content) with the caller's viewer, which applies the visibility
// policy inside the database query and audits the read; this package never
// filters objects itself (of released objects it selects the versions
// match[version] asks for, among what the service returned). A collection
// the caller may not use does not exist for them: it answers exactly like
// an unknown one.
package taxii

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"mosaic"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/ratelimit"
	"mosaic/seal"
)

// MediaType is the TAXII 2.1 media type, the Content-Type of every answer.
const MediaType = "application/taxii+json;version=2.1"

// STIXMediaType is the media type of the objects the collections hold.
const STIXMediaType = "application/stix+json;version=2.1"

// DiscoveryPath is where the discovery endpoint lives; TAXII 2.1 §8.2.1
// fixes it at the root of the server. The caller mounts Handler there.
const DiscoveryPath = "/taxii2/"

// Options configure a Server. Zero fields take the defaults named.
type Options struct {
	// Title, Description and Contact describe the server in the discovery
	// resource. Title defaults to "Mosaic".
	Title, Description, Contact string
	// APIRoot is the path segment of the one API root under /taxii2/
	// (default "api", so the root is /taxii2/api/): lower-case letters,
	// digits and hyphens.
	APIRoot string
	// APIRootTitle and APIRootDescription describe the API root. The title
	// defaults to Title.
	APIRootTitle, APIRootDescription string
	// MaxContentLength is the largest request body in bytes, announced as
	// the API root's max_content_length (default 32 MiB). Larger bodies get
	// 413 before they are read.
	MaxContentLength int64
	// DefaultPageSize is the page size without a limit parameter (default
	// 100); MaxPageSize the largest page (default 1000): a larger limit is
	// served with MaxPageSize objects and "more", as TAXII §3.4 allows.
	DefaultPageSize, MaxPageSize int
	// RatePerSecond and RateBurst limit each user's requests (defaults 50
	// and 200); beyond them the answer is 429 with Retry-After.
	RatePerSecond float64
	RateBurst     int
	// AuthFailuresPerMinute bounds failed authentications per client
	// address (default 30); beyond it the answer is 429.
	AuthFailuresPerMinute int
	// AnonymousPerMinute bounds the requests without credentials (for
	// the public releases) per client address (default 60, all of them
	// at once at most); beyond it the answer is 429.
	AnonymousPerMinute int
	// Gate, when set, authenticates and rate-limits in place of a gate
	// made from the three fields above, so that the REST API and TAXII
	// share one budget per user.
	Gate *gate.Gate
}

func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = "Mosaic"
	}
	if o.APIRoot == "" {
		o.APIRoot = "api"
	}
	if o.APIRootTitle == "" {
		o.APIRootTitle = o.Title
	}
	if o.MaxContentLength <= 0 {
		o.MaxContentLength = 32 << 20
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 1000
	}
	if o.DefaultPageSize <= 0 {
		o.DefaultPageSize = min(100, o.MaxPageSize)
	}
	o.DefaultPageSize = min(o.DefaultPageSize, o.MaxPageSize)
	if o.AnonymousPerMinute <= 0 {
		o.AnonymousPerMinute = 60
	}
	return o
}

// Store is what TAXII needs of the store besides content: the caller's
// compartments (each is a collection), the statuses of uploads, and the
// keys that seal cursors and derive collection ids.
type Store interface {
	gate.Authenticator
	Memberships(ctx context.Context, v mosaic.Viewer) ([]string, error)
	PutStatus(ctx context.Context, st mosaic.UploadStatus) error
	Status(ctx context.Context, id, user string) (mosaic.UploadStatus, error)
	seal.Secrets
}

// Server serves TAXII 2.1.
type Server struct {
	content *content.Service
	store   Store
	opts    Options
	clock   mosaic.Clock
	log     *slog.Logger
	root    string // the API root's path, "/taxii2/api/"

	gate *gate.Gate
	// anonymous counts the requests without credentials per client
	// address; the gate's budgets are per user.
	anonymous *ratelimit.Addresses
	mux       *http.ServeMux
	// notFound answers for paths that are no endpoint.
	notFound http.Handler

	cursors *seal.Sealer
	keyMu   sync.Mutex
	collKey []byte // guarded by keyMu; nil until first used

	idCacheMu sync.Mutex
	idCache   map[string]string // guarded by idCacheMu; collection key → id
}

var rootName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// New returns a Server. It panics when opts.APIRoot is not a valid path
// segment, a programming error.
func New(c *content.Service, store Store, opts Options, clock mosaic.Clock, log *slog.Logger) *Server {
	opts = opts.withDefaults()
	if !rootName.MatchString(opts.APIRoot) {
		panic(fmt.Sprintf("taxii: API root %q is not a path segment of lower-case letters, digits and hyphens", opts.APIRoot))
	}
	s := &Server{
		content: c, store: store, opts: opts, clock: clock, log: log,
		root:      DiscoveryPath + opts.APIRoot + "/",
		gate:      opts.Gate,
		cursors:   seal.New(store, "taxii-cursor"),
		mux:       http.NewServeMux(),
		idCache:   map[string]string{},
		anonymous: ratelimit.NewAddresses(float64(opts.AnonymousPerMinute)/60, float64(opts.AnonymousPerMinute)),
	}
	if s.gate == nil {
		s.gate = gate.New(store, clock, gate.Limits{RatePerSecond: opts.RatePerSecond, RateBurst: opts.RateBurst, AuthFailuresPerMinute: opts.AuthFailuresPerMinute})
	}
	var paths []middleware.Route
	for _, rt := range s.routes() {
		s.mux.Handle(rt.method+" "+rt.path, s.wrapRoute(rt.h, rt.anonymous))
		paths = append(paths, middleware.Route{Method: rt.method, Path: rt.path})
	}
	// A known endpoint with another method is a 405 naming the methods it
	// has, as a TAXII error message rather than the mux's plain text.
	middleware.AllowMethods(s.mux, paths, func(h middleware.Handler) http.Handler {
		return s.wrap(func(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error { return h(w, r) })
	})
	s.notFound = s.wrap(func(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
		if !strings.HasSuffix(r.URL.Path, "/") {
			// TAXII §3.1: every endpoint path ends in a slash.
			return mosaic.Errorf(mosaic.CodeNotFound, "no such endpoint: %s; TAXII endpoint paths end with a slash", r.URL.Path)
		}
		return mosaic.Errorf(mosaic.CodeNotFound, "no such endpoint: %s", r.URL.Path)
	})
	s.mux.Handle(DiscoveryPath, s.notFound)
	return s
}

// Handler returns the TAXII handler. Mount it at /taxii2/ on the server's
// root mux, without stripping the prefix: it routes on the full path.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux would redirect a path without its trailing slash to the
		// endpoint, and a client would follow a redirected POST as a GET
		// and take the listing for an answer to its upload.
		if !strings.HasSuffix(r.URL.Path, "/") {
			s.notFound.ServeHTTP(w, r)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

type handler func(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error

type route struct {
	method, path string
	h            handler
	// anonymous says whether a request without credentials is served,
	// as the anonymous viewer; nil for never.
	anonymous func(r *http.Request) (bool, error)
}

func (s *Server) routes() []route {
	c := s.root + "collections/{id}/"
	return []route{
		{"GET", DiscoveryPath + "{$}", s.discovery, s.anonymousRoot},
		{"GET", s.root + "{$}", s.apiRoot, s.anonymousRoot},
		{"GET", s.root + "status/{status}/{$}", s.getStatus, nil},
		{"GET", s.root + "collections/{$}", s.listCollections, s.anonymousRoot},
		{"GET", c + "{$}", s.getCollection, s.anonymousPublic},
		{"GET", c + "manifest/{$}", s.getManifest, s.anonymousPublic},
		{"GET", c + "objects/{$}", s.getObjects, s.anonymousPublic},
		{"POST", c + "objects/{$}", s.addObjects, nil},
		{"GET", c + "objects/{object}/{$}", s.getObject, s.anonymousPublic},
		{"DELETE", c + "objects/{object}/{$}", s.deleteObject, nil},
		{"GET", c + "objects/{object}/versions/{$}", s.getVersions, s.anonymousPublic},
	}
}

// wrap adds what every endpoint needs beyond the plumbing every door
// shares (package middleware): authentication, the per-user rate limit and
// content negotiation. Authentication comes first, so that nothing about
// the server, not even which paths exist, is told to a client without
// credentials.
func (s *Server) wrap(h handler) http.Handler { return s.wrapRoute(h, nil) }

// wrapRoute is wrap for a route that anonymous may let a request without
// credentials through: it is then served as the anonymous viewer, which
// the policy gives the public releases and nothing else, under the budget
// of its client address. The listings of every anonymous client share
// one user's turns (the zero viewer's), so that they cannot hold more of
// the turns every user shares than one user can.
func (s *Server) wrapRoute(h handler, anonymous func(r *http.Request) (bool, error)) http.Handler {
	return middleware.Wrap(middleware.Options{Log: s.log, WriteError: writeError, MaxBody: s.opts.MaxContentLength}, func(w http.ResponseWriter, r *http.Request) error {
		var v mosaic.Viewer
		anon := false
		if anonymous != nil && !hasCredentials(r) {
			var err error
			if anon, err = anonymous(r); err != nil {
				return err
			}
		}
		if anon {
			if err := s.admitAnonymous(r); err != nil {
				return err
			}
		} else {
			// TAXII §1.6.9 suggests HTTP Basic; the password is an API token.
			var err error
			if v, err = s.gate.Authenticate(r, gate.BearerOrBasic); err != nil {
				return err
			}
			middleware.SetUser(r.Context(), v.User)
			if err := s.gate.Admit(v); err != nil {
				return err
			}
		}
		if !acceptable(r.Header.Values("Accept")) {
			return errNotAcceptable
		}
		return h(w, r, v)
	})
}
