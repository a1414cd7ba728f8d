// Package api is Mosaic's REST API under /api/v1: JSON in and out, bearer
// tokens, RFC 9457 problem details for errors. It is a door: it reads and
// writes content through the content service (package content), which
// applies the visibility policy and audits every read, and it keeps the
// directory (organisations, users, tokens, compartments) for admins.
package api

import (
	"context"
	"hash/fnv"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/approval"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/problem"
	"mosaic/ratelimit"
	"mosaic/seal"
)

// Limits are the API's size and rate limits.
type Limits struct {
	MaxBodyBytes  int64   // request bodies; larger ones get 413 unread
	MaxPageSize   int     // the largest limit of a listing
	RatePerSecond float64 // sustained requests per user, and per client address without a token
	RateBurst     int
	AuthFailures  int // failed authentications per minute per client address
	TokenLifetime time.Duration
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
	// anonymous limits the requests without a token, per client address.
	anonymous *ratelimit.Addresses

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
	rate, burst := limits.RatePerSecond, limits.RateBurst
	if rate <= 0 || burst <= 0 {
		rate, burst = defaultAnonymousRate, defaultAnonymousBurst
	}
	s.anonymous = ratelimit.NewAddresses(rate, float64(burst))
	var paths, beside []middleware.Route
	for _, rt := range s.routes() {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
		if rt.path == releaseKeysPath {
			beside = append(beside, middleware.Route{Method: rt.method, Path: rt.path})
			continue
		}
		paths = append(paths, middleware.Route{Method: rt.method, Path: rt.path})
	}
	middleware.AllowMethods(s.mux, paths, s.plain)
	s.allowMethodsBeside(beside)
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
	// anonymous serves content without authentication, for the zero
	// viewer (what was released to the public), at the per-user rate per
	// client address.
	anonymous bool
	h         func(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error
}

// The rate of requests without a token per client address, when Limits
// names none: the gate's defaults per user.
const (
	defaultAnonymousRate  = 50
	defaultAnonymousBurst = 200
)

func (s *Server) routes() []route {
	return []route{
		{method: "GET", path: "/api/v1/openapi.json", public: true, h: s.openAPI},
		{method: "GET", path: "/api/v1/extension-definition", public: true, h: s.extensionDefinition},
		{method: "GET", path: releaseKeysPath, public: true, h: s.releaseKeys},
		{method: "GET", path: "/api/v1/recipients", h: s.recipients},
		{method: "GET", path: "/api/v1/releases", h: s.listReleases},
		{method: "POST", path: "/api/v1/releases", h: s.draftRelease},
		{method: "GET", path: "/api/v1/releases/{id}", h: s.getRelease},
		{method: "PUT", path: "/api/v1/releases/{id}", h: s.reviseRelease},
		{method: "GET", path: "/api/v1/releases/{id}/snapshot", h: s.releaseSnapshot},
		{method: "GET", path: "/api/v1/releases/{id}/withdrawal", h: s.releaseWithdrawal},
		{method: "GET", path: "/api/v1/releases/{id}/export", h: s.exportRelease},
		{method: "POST", path: "/api/v1/releases/{id}/consents", h: s.consentRelease},
		{method: "POST", path: "/api/v1/releases/{id}/publish", h: s.publishRelease},
		{method: "POST", path: "/api/v1/releases/{id}/withdraw", h: s.withdrawRelease},
		{method: "POST", path: "/api/v1/releases/{id}/receipts", h: s.releaseReceipt},
		{method: "POST", path: "/api/v1/releases/{id}/sightings", h: s.releaseSightings},
		{method: "GET", path: "/api/v1/releases/{id}/feedback", h: s.releaseFeedback},
		{method: "GET", path: "/api/v1/releases/{id}/record", h: s.releaseRecord},
		{method: "GET", path: "/api/v1/public/releases", anonymous: true, h: s.listReleases},
		{method: "GET", path: "/api/v1/public/releases/{id}", anonymous: true, h: s.getRelease},
		{method: "GET", path: "/api/v1/public/releases/{id}/snapshot", anonymous: true, h: s.releaseSnapshot},
		{method: "GET", path: "/api/v1/me", h: s.me},
		{method: "GET", path: "/api/v1/me/tokens", h: s.listMyTokens},
		{method: "POST", path: "/api/v1/me/tokens", h: s.createMyToken},
		{method: "DELETE", path: "/api/v1/me/tokens/{id}", h: s.revokeMyToken},
		{method: "GET", path: "/api/v1/me/away", h: s.getAway},
		{method: "PUT", path: "/api/v1/me/away", h: s.setAway},
		{method: "DELETE", path: "/api/v1/me/away", h: s.setAway},
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

// releaseKeysPath is a path beside a pattern: GET /api/v1/releases/{id}
// matches it too.
const releaseKeysPath = "/api/v1/releases/keys"

// allowMethodsBeside answers the other methods of routes whose paths a
// pattern of another route matches too, as middleware.AllowMethods does
// for the rest, but a method at a time: a pattern of every method on such
// a path would conflict with the other route's (net/http), matching more
// methods but fewer paths.
func (s *Server) allowMethodsBeside(routes []middleware.Route) {
	allow := map[string][]string{}
	for _, rt := range routes {
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	for path, methods := range allow {
		list := strings.Join(methods, ", ")
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
			if slices.Contains(methods, m) || (m == "GET" && slices.Contains(methods, "HEAD")) {
				continue
			}
			s.mux.Handle(m+" "+path, s.plain(func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set("Allow", list)
				return mosaic.Errorf(mosaic.CodeMethod, "%s is not allowed here; use %s", r.Method, strings.Join(methods, " or "))
			}))
		}
	}
}

// plain serves h with the plumbing every door shares (package middleware),
// answering errors as problem details.
func (s *Server) plain(h middleware.Handler) http.Handler {
	return middleware.Wrap(middleware.Options{Log: s.log, WriteError: problem.WriteError, MaxBody: s.limits.MaxBodyBytes}, h)
}

// wrap adds authentication and the per-user rate limit to an endpoint
// that is not public, and the per-address rate limit to an anonymous one.
func (s *Server) wrap(rt route) http.Handler {
	return s.plain(func(w http.ResponseWriter, r *http.Request) error {
		var v mosaic.Viewer
		if rt.anonymous {
			// A token sent along changes nothing: the answer is the
			// public's, whoever asks.
			if ok, wait := s.anonymous.Allow(r.RemoteAddr, s.clock.Now()); !ok {
				return mosaic.RateLimited(wait, "rate limit of requests without a token from this address exceeded")
			}
			return rt.h(w, r, v)
		}
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

// clientKey names the client address a request without a token counts
// against: an IPv6 client by its /64, which one subscriber commonly holds
// whole and could otherwise spread its requests over.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// anonymousTurns is the viewer whose listing turns an anonymous request
// takes: one per client key, so that one address's unread answers hold
// its own turns and not every anonymous client's. It is never shown to
// the content service, which serves anonymous requests as the zero
// viewer.
func anonymousTurns(r *http.Request) mosaic.Viewer {
	h := fnv.New64a()
	h.Write([]byte(clientKey(r)))
	// Negative ids are no user's.
	return mosaic.Viewer{UserID: -int64(h.Sum64()>>1) - 1}
}
