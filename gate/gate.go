// Package gate decides who comes in: it resolves API credentials to a
// viewer, answers clients that keep failing to authenticate with 429, holds
// each user to a request rate, and bounds the upload bodies in memory. The
// REST API, the TAXII server and the web UI share one Gate, so that a
// user's budget is one budget whichever door they use.
package gate

import (
	"context"
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

// Limits bound what a client may do. Zero fields take the defaults named.
type Limits struct {
	// RatePerSecond and RateBurst limit each user's requests (defaults 50
	// and 200).
	RatePerSecond float64
	RateBurst     int
	// AuthFailuresPerMinute bounds failed authentications per client
	// address (default 30).
	AuthFailuresPerMinute int
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
	users    *limiter // requests per user
	failures *limiter // failed authentications per client address
	turns    *Turns
}

// New returns a Gate in front of store.
func New(store Authenticator, clock mosaic.Clock, l Limits) *Gate {
	if l.RatePerSecond <= 0 {
		l.RatePerSecond = 50
	}
	if l.RateBurst <= 0 {
		l.RateBurst = 200
	}
	if l.AuthFailuresPerMinute <= 0 {
		l.AuthFailuresPerMinute = 30
	}
	return &Gate{
		store: store, clock: clock, limits: l,
		users:    newLimiter(l.RatePerSecond, float64(l.RateBurst)),
		failures: newLimiter(float64(l.AuthFailuresPerMinute)/60, float64(l.AuthFailuresPerMinute)),
		turns:    NewTurns(),
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
// belong to. Failed attempts count against the client's address and are
// answered with a *RateLimited error beyond the limit. Only failures count
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
		if wait := g.failures.wait(host, now); wait > 0 {
			return mosaic.Viewer{}, &RateLimited{Wait: wait, Msg: "too many failed authentications from this address"}
		}
		g.failures.allow(host, now)
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
	return v, nil
}

// Admit takes one request from v's budget, or returns a *RateLimited error
// saying when to come back.
func (g *Gate) Admit(v mosaic.Viewer) error {
	if ok, wait := g.users.allow("u"+strconv.FormatInt(v.UserID, 10), g.clock.Now()); !ok {
		return &RateLimited{Wait: wait, Msg: "rate limit of " + strconv.FormatFloat(g.limits.RatePerSecond, 'g', -1, 64) + " requests per second exceeded"}
	}
	return nil
}

// RateLimited is a CodeRateLimited error that knows when to come back.
type RateLimited struct {
	Wait time.Duration
	Msg  string
}

func (e *RateLimited) Error() string { return e.Msg }

func (e *RateLimited) Unwrap() error {
	return mosaic.Errorf(mosaic.CodeRateLimited, "%s; retry in %s s", e.Msg, e.RetryAfter())
}

// RetryAfter is the value of the Retry-After header: whole seconds, at
// least one.
func (e *RateLimited) RetryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.Wait.Seconds()))))
}

// limiter is a set of token buckets, one per key.
type limiter struct {
	rate, burst float64
	mu          sync.Mutex
	buckets     map[string]*bucket // guarded by mu
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64) *limiter {
	return &limiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// maxBuckets is where idle buckets start being dropped.
const maxBuckets = 100_000

// refill returns key's bucket topped up to now. It must be called with mu
// held.
func (l *limiter) refill(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			// Full buckets carry no state worth keeping; dropping them
			// keeps a flood of addresses from growing the map without end.
			for k, b := range l.buckets {
				if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	// A clock that steps back must not take tokens away.
	if now.After(b.last) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
		b.last = now
	}
	return b
}

// allow takes a token for key, or says how long until one is available.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// wait says how long until key has a token, without taking one.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.refill(key, now); b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	return 0
}
