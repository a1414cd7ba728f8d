package web

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"mosaic/ratelimit"
)

// signInLimits slow password guessing without letting anyone lock a user
// out by knowing their name, and without letting an organisation's users
// behind one address (a NAT or proxy) lock each other out.
//
// With P the failures per minute (Options.FailuresPerMinute), token buckets
// count failed attempts:
//
//   - per (user name, client address), P failures, refilling at P a
//     minute: one client cannot guess at one name, and its failures refuse
//     only that name from that address, never the rightful user elsewhere
//     nor a colleague behind the same address;
//   - per client address, for all names together, addrCeiling·P failures,
//     refilling at addrRate·P a minute: one client cannot spray guesses
//     over many names, while the failures of a whole organisation behind
//     one address fit;
//   - per user name, from all addresses together, nameCeiling·P failures,
//     refilling at P a minute. Past namePressure·P recent failures, every
//     address must wait for a full (name, address) bucket before each
//     attempt, which slows each guessing address to one attempt per
//     refill while an address without failures (the rightful user's) is
//     let through; once the bucket is empty, attempts at that name are
//     refused, so a guess from many addresses gets P attempts a minute in
//     all. Neither applies from an address the user signed in from within
//     familiarFor, so that the rightful user keeps getting in from where
//     they work however many addresses guess at their name.
//
// A client address is an IPv4 /32 or an IPv6 /64, since one IPv6 host
// usually holds a whole /64.
//
// Sign-ins that succeed are counted apart, per user name:
// successesPerMinute a minute, so that someone who knows their own
// password cannot keep the cores busy with argon2id, nor make sessions
// without end, by signing in again and again.
//
// An attempt takes its tokens before its password is checked, so that
// attempts running in parallel are all counted: a failure keeps its
// failure tokens and gives the success token back, a success keeps the
// success token and gives the failure tokens back.
type signInLimits struct {
	// mu makes take's look at the buckets and its taking from them one
	// step, so that attempts running in parallel are all counted.
	mu        sync.Mutex
	addr      *ratelimit.Limiter
	pair      *ratelimit.Limiter
	name      *ratelimit.Limiter
	successes *ratelimit.Limiter
	pressure  float64              // name tokens at or below which an address needs a full pair bucket
	familiar  map[string]time.Time // guarded by mu: (name, address) of a sign-in, until when
	refusals  map[string]*refusal  // guarded by mu: audit entries of refused attempts
	window    time.Duration
}

const (
	// addrCeiling and addrRate are how many times P the per-address
	// bucket holds and gains a minute.
	addrCeiling = 10
	addrRate    = 2
	// nameCeiling is how many times P the per-name bucket holds, and
	// namePressure after how many times P recent failures each address
	// must wait for a full (name, address) bucket.
	nameCeiling  = 20
	namePressure = 10
	// successesPerMinute bounds the sign-ins of one user name a minute;
	// the message login.limited.successes (i18n.go) names the figure.
	successesPerMinute = 10
	// familiarFor is how long an address where a user signed in is let
	// past the limits of its name.
	familiarFor = 30 * 24 * time.Hour
)

func newSignInLimits(perMinute int) *signInLimits {
	p := float64(perMinute)
	rate := p / 60
	return &signInLimits{
		addr:      ratelimit.New(rate*addrRate, p*addrCeiling),
		pair:      ratelimit.New(rate, p),
		name:      ratelimit.New(rate, p*nameCeiling),
		successes: ratelimit.New(successesPerMinute/60.0, successesPerMinute),
		pressure:  p * (nameCeiling - namePressure),
		familiar:  map[string]time.Time{},
		refusals:  map[string]*refusal{},
		window:    time.Minute,
	}
}

// limit names what refused an attempt.
type limit int

const (
	limitPair    limit = iota + 1 // failures of this name from this address
	limitName                     // failures of this name from many addresses
	limitAddr                     // failures of many names from this address
	limitSuccess                  // sign-ins of this name
)

// messages of the sign-in page, one per limit. They are kept here, beside
// the limits they name, and join the UI's messages at start.
var limitMessages = map[limit]string{
	limitPair:    "login.limited.pair",
	limitName:    "login.limited.name",
	limitAddr:    "login.limited.address",
	limitSuccess: "login.limited.successes",
}

// reason says in the audit log and in Retry-After's error what a limit
// counts.
func (k limit) reason() string {
	switch k {
	case limitName:
		return "too many failures of this user name from many addresses"
	case limitAddr:
		return "too many failures of many user names from this address"
	case limitSuccess:
		return fmt.Sprintf("more than %d sign-ins of this user name a minute", successesPerMinute)
	}
	return "too many failures of this user name from this address"
}

// addrKey groups client addresses the way they are handed out: an IPv6
// host can choose any address in its /64.
func addrKey(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}

// reservation is one attempt's tokens.
type reservation struct {
	l                *signInLimits
	addr, pair, name string
	// tookName and success say whether a token was taken from the
	// name's bucket, which may be empty when the limits let an attempt
	// past it, and from the successes.
	tookName, success bool
}

// reserve counts one attempt of name from host under the limits of
// failures, or says how long it must wait. It is for attempts other than
// sign-ins (one-time codes): without the limit of successes, and with no
// refusal only because many addresses failed at the name, since a guess
// at a random code is hopeless anyway and the rightful user must get in.
func (l *signInLimits) reserve(host, name string, now time.Time) (*reservation, time.Duration) {
	res, wait, _ := l.take(host, name, now, false)
	return res, wait
}

// reserveSignIn counts one sign-in of name from host, or says how long it
// must wait and which limit refused it.
func (l *signInLimits) reserveSignIn(host, name string, now time.Time) (*reservation, time.Duration, limit) {
	return l.take(host, name, now, true)
}

func (l *signInLimits) take(host, name string, now time.Time, signIn bool) (*reservation, time.Duration, limit) {
	ak := addrKey(host)
	pk := name + "\x00" + ak
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	var why limit
	consider := func(w time.Duration, k limit) {
		if w > wait {
			wait, why = w, k
		}
	}
	consider(l.pair.Wait(pk, now, 1), limitPair)
	if until, ok := l.familiar[pk]; !ok || !now.Before(until) {
		if l.name.Wait(name, now, l.pressure+1) > 0 {
			consider(l.pair.Wait(pk, now, l.pair.Burst()), limitName)
		}
		if signIn {
			consider(l.name.Wait(name, now, 1), limitName)
		}
	}
	consider(l.addr.Wait(ak, now, 1), limitAddr)
	if signIn {
		consider(l.successes.Wait(name, now, 1), limitSuccess)
	}
	if wait > 0 {
		return nil, wait, why
	}
	res := &reservation{l: l, addr: ak, pair: pk, name: name, tookName: l.name.Has(name, now), success: signIn}
	l.addr.Take(ak, now)
	l.pair.Take(pk, now)
	l.name.Take(name, now)
	if signIn {
		l.successes.Take(name, now)
	}
	return res, 0, 0
}

// giveFailures gives a reservation's failure tokens back.
func (r *reservation) giveFailures(now time.Time) {
	r.l.addr.Give(r.addr, now)
	r.l.pair.Give(r.pair, now)
	if r.tookName {
		// A token not taken is not given, or each sign-in from a
		// familiar address would give a guess at the name.
		r.l.name.Give(r.name, now)
	}
}

// release gives every token of a reservation back: the attempt succeeded
// (a one-time code), or nothing was learnt from it.
func (r *reservation) release(now time.Time) {
	r.giveFailures(now)
	if r.success {
		r.l.successes.Give(r.name, now)
	}
}

// failed ends a reservation whose password was wrong: it keeps its
// failure tokens and gives its success token back, so that failures never
// use up the rightful user's sign-ins.
func (r *reservation) failed(now time.Time) {
	if r.success {
		r.l.successes.Give(r.name, now)
	}
}

// succeeded ends a reservation whose password was right: it gives its
// failure tokens back and keeps its success token, and its address is
// familiar to the name from now on.
func (r *reservation) succeeded(now time.Time) {
	r.giveFailures(now)
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.familiar[r.pair]; !ok && len(l.familiar) >= ratelimit.MaxKeys {
		for k, until := range l.familiar {
			if !now.Before(until) {
				delete(l.familiar, k)
			}
		}
		// Still full: forget one at random rather than grow without
		// bound, so that the newest sign-ins are always remembered.
		for k := range l.familiar {
			if len(l.familiar) < ratelimit.MaxKeys {
				break
			}
			delete(l.familiar, k)
		}
	}
	l.familiar[r.pair] = now.Add(familiarFor)
}

// refusal counts refused attempts of one key since their last audit
// entry.
type refusal struct {
	next  time.Time // no entry before then
	count int
}

// refused counts a refused attempt of name from host under the limit of
// failures per (name, address) and says how many to write in an audit
// entry now; see refusedBy.
func (l *signInLimits) refused(host, name string, now time.Time) int {
	return l.refusedBy(host, name, limitPair, now)
}

// refusedBy counts a refused attempt and says how many to write in an
// audit entry now: the refused attempts since the last entry, once a
// window per what the limit counts (a user name for the limits of a name,
// an address for the limit of an address, both for the limit of a name at
// an address), and 0 in between. A flood of refused attempts thus costs
// the audit log one entry a minute, not one each.
func (l *signInLimits) refusedBy(host, name string, why limit, now time.Time) int {
	var k string
	switch why {
	case limitName, limitSuccess:
		k = name
	case limitAddr:
		k = addrKey(host)
	default:
		k = name + "\x00" + addrKey(host)
	}
	k = fmt.Sprint(int(why)) + "\x00" + k
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.refusals[k]
	if r == nil {
		if len(l.refusals) >= ratelimit.MaxKeys {
			for k, o := range l.refusals {
				if !now.Before(o.next) {
					delete(l.refusals, k)
				}
			}
			if len(l.refusals) >= ratelimit.MaxKeys {
				// Too many to remember: count this one on its own rather
				// than grow without bound.
				return 1
			}
		}
		r = &refusal{}
		l.refusals[k] = r
	}
	r.count++
	if now.Before(r.next) {
		return 0
	}
	n := r.count
	r.count, r.next = 0, now.Add(l.window)
	return n
}
