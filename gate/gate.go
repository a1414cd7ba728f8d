// Package gate decides who comes in: it resolves API credentials to a
// viewer, answers clients that keep failing to authenticate with 429, holds
// each user to a request rate, and bounds the upload bodies in memory. The
// REST API, the TAXII server and the web UI share one Gate, so that a
// user's budget is one budget whichever door they use.
package gate

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/middleware"
	"mosaic/policy"
	"mosaic/ratelimit"
)

// Limits bound what a client may do. Zero fields take the defaults named.
type Limits struct {
	// RatePerSecond and RateBurst limit each user's requests (defaults 50
	// and 200).
	RatePerSecond float64
	RateBurst     int
	// AuthFailuresPerMinute bounds failed authentications per client
	// address (default 30).
	AuthFailuresPerMinute int

	// ReadingTurnsPerUser bounds a user's uploads being read at once, of
	// the MaxReading every door shares (default 2), and
	// ListingTurnsPerUser its listings being read and rendered, of the
	// MaxListing (default 2). A request waits up to UserTurnWait (default
	// 10s) for one of its user's turns to come back, and is then refused
	// with 429.
	ReadingTurnsPerUser int
	ListingTurnsPerUser int
	UserTurnWait        time.Duration
	// MinTransferRate and TransferWindow are the slowest an upload may
	// arrive and a listing may be read: at least MinTransferRate bytes a
	// second (default 64 KiB), averaged over TransferWindow (default
	// 10s). A slower upload is refused with 429; a slower reader is cut
	// off.
	MinTransferRate int64
	TransferWindow  time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.RatePerSecond <= 0 {
		l.RatePerSecond = 50
	}
	if l.RateBurst <= 0 {
		l.RateBurst = 200
	}
	if l.AuthFailuresPerMinute <= 0 {
		l.AuthFailuresPerMinute = 30
	}
	if l.ReadingTurnsPerUser <= 0 {
		l.ReadingTurnsPerUser = DefaultReadingTurnsPerUser
	}
	if l.ListingTurnsPerUser <= 0 {
		l.ListingTurnsPerUser = DefaultListingTurnsPerUser
	}
	// More than every user shares would mean nothing more.
	l.ReadingTurnsPerUser = min(l.ReadingTurnsPerUser, MaxReading)
	l.ListingTurnsPerUser = min(l.ListingTurnsPerUser, MaxListing)
	if l.UserTurnWait <= 0 {
		l.UserTurnWait = DefaultUserTurnWait
	}
	if l.MinTransferRate <= 0 {
		l.MinTransferRate = middleware.DefaultPace.MinRate
	}
	if l.TransferWindow <= 0 {
		l.TransferWindow = middleware.DefaultPace.Window
	}
	return l
}

// Authenticator is the part of the store the gate needs.
type Authenticator interface {
	Authenticate(ctx context.Context, tokenHash [32]byte, now time.Time) (mosaic.Viewer, error)
}

// Gate authenticates requests and limits their rate.
type Gate struct {
	store    Authenticator
	clock    mosaic.Clock
	limits   Limits
	users    *ratelimit.Limiter // requests per user
	failures *ratelimit.Limiter // failed authentications per client address
	turns    *Turns
}

// New returns a Gate in front of store.
func New(store Authenticator, clock mosaic.Clock, l Limits) *Gate {
	l = l.withDefaults()
	return &Gate{
		store: store, clock: clock, limits: l,
		users:    ratelimit.New(l.RatePerSecond, float64(l.RateBurst)),
		failures: ratelimit.New(float64(l.AuthFailuresPerMinute)/60, float64(l.AuthFailuresPerMinute)),
		turns:    newTurns(l),
	}
}

// Credentials say which forms of credentials a door accepts.
type Credentials int

const (
	// Bearer accepts Authorization: Bearer TOKEN only.
	Bearer Credentials = iota
	// BearerOrBasic also accepts HTTP Basic with the user name and an API
	// token as the password, which TAXII clients commonly send (TAXII 2.1
	// §1.6.9).
	BearerOrBasic
)

// Authenticate resolves the request's credentials to the viewer they
// belong to, and refuses a read-only token a request that is not safe
// (policy.MayRequest) with CodeForbidden. Failed attempts count against the client's address and are
// answered with a CodeRateLimited error beyond the limit. Only failures count
// and only failures are refused: a client that keeps sending bad tokens
// must not lock out the valid ones of others behind the same address. So
// the limit does not make guessing slower (a right guess still gets in);
// it keeps a flood of bad credentials visible and cheap to answer. Tokens
// carry 256 random bits: guessing one is hopeless at any rate.
func (g *Gate) Authenticate(r *http.Request, accept Credentials) (mosaic.Viewer, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	now := g.clock.Now()
	fail := func(err error) (mosaic.Viewer, error) {
		if wait := g.failures.Wait(host, now, 1); wait > 0 {
			return mosaic.Viewer{}, mosaic.RateLimited(wait, "too many failed authentications from this address")
		}
		g.failures.Take(host, now)
		return mosaic.Viewer{}, err
	}
	var user, token string
	basic := false
	if u, p, ok := r.BasicAuth(); ok && accept == BearerOrBasic {
		user, token, basic = u, p, true
		if user == "" || token == "" {
			return fail(mosaic.Errorf(mosaic.CodeUnauth, "HTTP Basic credentials need your user name and an API token as the password"))
		}
	} else {
		scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(t) == "" {
			if accept == BearerOrBasic {
				return fail(mosaic.Errorf(mosaic.CodeUnauth, "authenticate with HTTP Basic (your user name and an API token as the password) or Authorization: Bearer TOKEN"))
			}
			return fail(mosaic.Errorf(mosaic.CodeUnauth, "send an API token as Authorization: Bearer TOKEN"))
		}
		token = strings.TrimSpace(t)
	}
	v, err := g.store.Authenticate(r.Context(), credential.HashToken(token), now)
	if err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeUnauth {
			return fail(err)
		}
		return mosaic.Viewer{}, err
	}
	if basic && v.User != user {
		// A token acts as its own user only; the name must say which.
		return fail(mosaic.Errorf(mosaic.CodeUnauth, "the user name and the API token do not belong together"))
	}
	// Asked here, where every door that takes a token comes in, rather
	// than by each handler that writes: a door added later is covered.
	if err := policy.MayRequest(v, r.Method); err != nil {
		return mosaic.Viewer{}, err
	}
	return v, nil
}

// Attempt runs try, an unauthenticated attempt with a secret (such as a
// one-time password code), under the same limit of failures per client
// address as Authenticate: beyond it the attempt is refused with a
// CodeRateLimited error and try is not run; a CodeUnauth error from try
// counts as a failure.
func (g *Gate) Attempt(r *http.Request, try func() error) error {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	now := g.clock.Now()
	if wait := g.failures.Wait(host, now, 1); wait > 0 {
		return mosaic.RateLimited(wait, "too many failed attempts from this address")
	}
	// Counted before it runs, so that attempts running side by side are all
	// counted; one that did not fail gives its token back.
	g.failures.Take(host, now)
	err = try()
	if mosaic.ErrorCode(err) != mosaic.CodeUnauth {
		g.failures.Give(host, g.clock.Now())
	}
	return err
}

// Admit takes one request from v's budget, or returns a CodeRateLimited
// error saying when to come back.
func (g *Gate) Admit(v mosaic.Viewer) error {
	if ok, wait := g.users.Allow("u"+strconv.FormatInt(v.UserID, 10), g.clock.Now()); !ok {
		return mosaic.RateLimited(wait, "rate limit of %s requests per second exceeded", strconv.FormatFloat(g.limits.RatePerSecond, 'g', -1, 64))
	}
	return nil
}
