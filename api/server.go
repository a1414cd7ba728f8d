// Package api is Mosaic's REST API under /api/v1: JSON in and out, bearer
// tokens, RFC 9457 problem details for errors. Every handler reads and
// writes through the store with the caller's viewer, so the visibility policy
// applies to everything it returns.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"mosaic"
	"mosaic/audit"
	"mosaic/gate"
	"mosaic/ingest"
	"mosaic/problem"
	"mosaic/seal"
)

// Limits are the API's size and rate limits.
type Limits struct {
	MaxBodyBytes  int64   // request bodies; larger ones get 413 unread
	MaxPageSize   int     // the largest limit of a listing
	RatePerSecond float64 // sustained requests per user
	RateBurst     int
	AuthFailures  int // failed authentications per minute per client address
	TokenLifetime time.Duration
	// Gate, when set, authenticates and rate-limits in place of a gate
	// made from the rate fields above, so that other doors can share it.
	Gate *gate.Gate
}

// DefaultPageSize is the page size of a listing without limit.
const DefaultPageSize = 100

// Server serves the API.
type Server struct {
	store  mosaic.Store
	ingest *ingest.Ingester
	audit  *audit.Log
	limits Limits
	clock  mosaic.Clock
	log    *slog.Logger

	gate *gate.Gate
	mux  *http.ServeMux

	cursors *seal.Sealer
}

// New returns a Server.
func New(store mosaic.Store, in *ingest.Ingester, al *audit.Log, limits Limits, clock mosaic.Clock, log *slog.Logger) *Server {
	s := &Server{
		store: store, ingest: in, audit: al, limits: limits, clock: clock, log: log,
		gate:    limits.Gate,
		cursors: seal.New(store, "cursor"),
		mux:     http.NewServeMux(),
	}
	if s.gate == nil {
		s.gate = gate.New(store, clock, gate.Limits{RatePerSecond: limits.RatePerSecond, RateBurst: limits.RateBurst, AuthFailuresPerMinute: limits.AuthFailures})
	}
	allow := map[string][]string{}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern(), s.wrap(rt))
		allow[rt.path] = append(allow[rt.path], rt.method)
	}
	// A known path with another method is a 405 naming the methods it has.
	for path, methods := range allow {
		s.mux.Handle(path, s.wrap(route{public: true, h: func(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			return mosaic.Errorf(mosaic.CodeMethod, "%s is not allowed here; use %s", r.Method, strings.Join(methods, " or "))
		}}))
	}
	s.mux.Handle("/api/", s.wrap(route{public: true, h: func(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
		return mosaic.Errorf(mosaic.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	}}))
	return s
}

// Handler returns the API's handler, to be mounted at the root.
func (s *Server) Handler() http.Handler { return s.mux }

// route is one endpoint. The OpenAPI document lists exactly these.
type route struct {
	method, path string
	public       bool // no authentication
	h            func(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

func (s *Server) routes() []route {
	return []route{
		{method: "GET", path: "/api/v1/openapi.json", public: true, h: s.openAPI},
		{method: "GET", path: "/api/v1/extension-definition", public: true, h: s.extensionDefinition},
		{method: "GET", path: "/api/v1/me", h: s.me},
		{method: "GET", path: "/api/v1/me/tokens", h: s.listMyTokens},
		{method: "POST", path: "/api/v1/me/tokens", h: s.createMyToken},
		{method: "DELETE", path: "/api/v1/me/tokens/{id}", h: s.revokeMyToken},
		{method: "POST", path: "/api/v1/bundles", h: s.postBundle},
		{method: "POST", path: "/api/v1/misp/events", h: s.postMISPEvent},
		{method: "GET", path: "/api/v1/objects", h: s.listObjects},
		{method: "GET", path: "/api/v1/objects/{id}", h: s.getObject},
		{method: "GET", path: "/api/v1/objects/{id}/correlations", h: s.correlations},
		{method: "GET", path: "/api/v1/observables", h: s.observables},
		{method: "GET", path: "/api/v1/stats", h: s.stats},
		{method: "GET", path: "/api/v1/orgs", h: s.listOrgs},
		{method: "POST", path: "/api/v1/orgs", h: s.createOrg},
		{method: "GET", path: "/api/v1/orgs/{name}", h: s.getOrg},
		{method: "PATCH", path: "/api/v1/orgs/{name}", h: s.updateOrg},
		{method: "GET", path: "/api/v1/users", h: s.listUsers},
		{method: "POST", path: "/api/v1/users", h: s.createUser},
		{method: "GET", path: "/api/v1/users/{name}", h: s.getUser},
		{method: "PATCH", path: "/api/v1/users/{name}", h: s.updateUser},
		{method: "GET", path: "/api/v1/users/{name}/tokens", h: s.listTokens},
		{method: "POST", path: "/api/v1/users/{name}/tokens", h: s.createToken},
		{method: "DELETE", path: "/api/v1/tokens/{id}", h: s.revokeToken},
		{method: "GET", path: "/api/v1/compartments", h: s.listCompartments},
		{method: "POST", path: "/api/v1/compartments", h: s.createCompartment},
		{method: "GET", path: "/api/v1/compartments/{name}", h: s.getCompartment},
		{method: "PUT", path: "/api/v1/compartments/{name}/orgs/{org}", h: s.addCompartmentOrg},
		{method: "DELETE", path: "/api/v1/compartments/{name}/orgs/{org}", h: s.removeCompartmentOrg},
		{method: "PUT", path: "/api/v1/compartments/{name}/users/{user}", h: s.addCompartmentUser},
		{method: "DELETE", path: "/api/v1/compartments/{name}/users/{user}", h: s.removeCompartmentUser},
		{method: "GET", path: "/api/v1/audit", h: s.listAudit},
	}
}

// wrap adds what every endpoint needs: a request id, headers that keep
// answers out of caches and sniffers, authentication, the per-user rate
// limit, and recovery from a panic.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := problem.NewRequestID()
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", slog.String("request_id", id), slog.Any("panic", p))
				s.writeError(w, r, mosaic.Internal(errPanic, rt.pattern()))
			}
		}()
		var v mosaic.Viewer
		if !rt.public {
			var err error
			if v, err = s.gate.Authenticate(r, gate.Bearer); err != nil {
				s.writeError(w, r, err)
				return
			}
			if err := s.gate.Admit(v); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if err := rt.h(w, r, v); err != nil {
			s.writeError(w, r, err)
		}
	})
}

type panicError struct{}

func (panicError) Error() string { return "handler panicked" }

var errPanic = panicError{}

// recordRead audits a read. When the audit log cannot take it the read
// fails: the caller must not send what it read.
func (s *Server) recordRead(v mosaic.Viewer, action string, ids []string, d mosaic.Decision, detail string) error {
	e := mosaic.NewAuditEntry(v, s.clock.Now(), action)
	e.ObjectIDs, e.Decision, e.Detail = ids, d, detail
	return s.audit.Record(e)
}
