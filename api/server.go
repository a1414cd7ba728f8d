// Package api is Mosaic's REST API under /api/v1: JSON in and out, bearer
// tokens, RFC 9457 problem details for errors. It is a door: it reads and
// writes content through the content service (package content), which
// applies the visibility policy and audits every read, and it keeps the
// directory (organisations, users, tokens, compartments) for admins.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"mosaic"
	"mosaic/approval"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/problem"
	"mosaic/release"
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
	// ReleaseKeys are the public halves of the release signing keys,
	// published at GET /api/v1/releases/keys; nil when releases are off.
	ReleaseKeys []release.PublicKey
	// Gate, when set, authenticates and rate-limits in place of a gate
	// made from the rate fields above, so that other doors can share it.
	Gate *gate.Gate
}

// DefaultPageSize is the page size of a listing without limit.
const DefaultPageSize = 100

// Store is what the API needs of the store besides content: the directory
// for admins and for the caller's own tokens, its change requests
// (through package approval), the audit log for auditors, and the key that
// seals cursors.
type Store interface {
	mosaic.Directory
	mosaic.Approvals
	AuditEntries(ctx context.Context, after int64, limit int) ([]mosaic.AuditEntry, error)
	seal.Secrets
}

// Server serves the API.
type Server struct {
	content   *content.Service
	approvals *approval.Service
	store     Store
	limits    Limits
	clock     mosaic.Clock
	log       *slog.Logger

	gate *gate.Gate
	mux  *http.ServeMux

	cursors seal.Cursors
}

// New returns a Server.
func New(c *content.Service, store Store, limits Limits, clock mosaic.Clock, log *slog.Logger) *Server {
	s := &Server{
		content: c, store: store, limits: limits, clock: clock, log: log,
		approvals: approval.New(store, clock),
		gate:      limits.Gate,
		cursors:   seal.New(store, "cursor").Cursors(cursorPurpose),
		mux:       http.NewServeMux(),
	}
	if s.gate == nil {
		s.gate = gate.New(store, clock, gate.Limits{RatePerSecond: limits.RatePerSecond, RateBurst: limits.RateBurst, AuthFailuresPerMinute: limits.AuthFailures})
	}
	var paths []middleware.Route
	for _, rt := range s.routes() {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
		paths = append(paths, middleware.Route{Method: rt.method, Path: rt.path})
	}
	middleware.AllowMethods(s.mux, paths, s.plain)
	s.mux.Handle("/api/", s.plain(func(w http.ResponseWriter, r *http.Request) error {
		return mosaic.Errorf(mosaic.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	}))
	return s
}

// Handler returns the API's handler, to be mounted at the root.
func (s *Server) Handler() http.Handler { return s.mux }

// A cursor is the storage position a listing continues before, sealed
// (package seal): positions count every organisation's records.
const cursorPurpose = "mosaic cursor v1"

// route is one endpoint. The OpenAPI document lists exactly these.
type route struct {
	method, path string
	public       bool // no authentication
	h            func(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error
}

func (s *Server) routes() []route {
	return []route{
		{method: "GET", path: "/api/v1/openapi.json", public: true, h: s.openAPI},
		{method: "GET", path: "/api/v1/extension-definition", public: true, h: s.extensionDefinition},
		{method: "GET", path: "/api/v1/releases/keys", public: true, h: s.releaseKeys},
		{method: "GET", path: "/api/v1/recipients", h: s.recipients},
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
		{method: "POST", path: "/api/v1/users/{name}/password-reset", h: s.resetPassword},
		{method: "PUT", path: "/api/v1/users/{name}/approver", h: s.setApprover},
		{method: "DELETE", path: "/api/v1/users/{name}/approver", h: s.setApprover},
		{method: "DELETE", path: "/api/v1/tokens/{id}", h: s.revokeToken},
		{method: "GET", path: "/api/v1/compartments", h: s.listCompartments},
		{method: "POST", path: "/api/v1/compartments", h: s.createCompartment},
		{method: "GET", path: "/api/v1/compartments/{name}", h: s.getCompartment},
		{method: "PUT", path: "/api/v1/compartments/{name}/orgs/{org}", h: s.addCompartmentOrg},
		{method: "DELETE", path: "/api/v1/compartments/{name}/orgs/{org}", h: s.removeCompartmentOrg},
		{method: "PUT", path: "/api/v1/compartments/{name}/users/{user}", h: s.addCompartmentUser},
		{method: "DELETE", path: "/api/v1/compartments/{name}/users/{user}", h: s.removeCompartmentUser},
		{method: "GET", path: "/api/v1/requests", h: s.listRequests},
		{method: "GET", path: "/api/v1/requests/{id}", h: s.getRequest},
		{method: "POST", path: "/api/v1/requests/{id}/approve", h: s.approveRequest},
		{method: "POST", path: "/api/v1/requests/{id}/refuse", h: s.refuseRequest},
		{method: "POST", path: "/api/v1/password", public: true, h: s.setPassword},
		{method: "GET", path: "/api/v1/audit", h: s.listAudit},
	}
}

// plain serves h with the plumbing every door shares (package middleware),
// answering errors as problem details.
func (s *Server) plain(h middleware.Handler) http.Handler {
	return middleware.Wrap(middleware.Options{Log: s.log, WriteError: problem.WriteError, MaxBody: s.limits.MaxBodyBytes}, h)
}

// wrap adds authentication and the per-user rate limit to an endpoint
// that is not public.
func (s *Server) wrap(rt route) http.Handler {
	return s.plain(func(w http.ResponseWriter, r *http.Request) error {
		var v mosaic.Viewer
		if !rt.public {
			var err error
			if v, err = s.gate.Authenticate(r, gate.Bearer); err != nil {
				return err
			}
			middleware.SetUser(r.Context(), v.User)
			if err := s.gate.Admit(v); err != nil {
				return err
			}
		}
		return rt.h(w, r, v)
	})
}
