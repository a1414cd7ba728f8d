package web

import (
	"net/netip"
	"sync"
	"time"

	"mosaic/ratelimit"
)

// signInLimits slow password guessing without letting anyone lock a user
// out by knowing their name.
//
// Three token buckets count failed sign-ins, each refilling at the same
// rate per minute:
//
//   - per client address (IPv4 /32, IPv6 /64, since one IPv6 host
//     usually holds a whole /64): one client cannot guess at many names;
//   - per (user name, client address): one client cannot guess at one
//     name, and its failures refuse only itself, never the rightful user
//     elsewhere;
//   - per user name, with a burst far above what one person mistypes
//     (pressure): when many addresses guess at one name, it never refuses
//     anyone by itself. It only makes every address wait for a full
//     (name, address) bucket before each attempt, which slows a
//     distributed guess to one attempt per address per refill, while an
//     address with no recent failures (the rightful user's) is always let
//     through to have its password checked.
//
// An attempt takes a token from each bucket before its password is
// checked, so that attempts running in parallel are all counted; a right
// password gives the tokens back.
type signInLimits struct {
	// mu makes reserve's look at three buckets and its taking from them
	// one step, so that attempts running in parallel are all counted.
	mu       sync.Mutex
	addr     *ratelimit.Limiter
	pair     *ratelimit.Limiter
	name     *ratelimit.Limiter
	refusals map[string]*refusal // guarded by mu: audit entries of refused attempts
	window   time.Duration
}

// nameCeiling is how many times the per-address burst the per-name
// bucket holds.
const nameCeiling = 10

func newSignInLimits(perMinute int) *signInLimits {
	rate, burst := float64(perMinute)/60, float64(perMinute)
	return &signInLimits{
		addr:     ratelimit.New(rate, burst),
		pair:     ratelimit.New(rate, burst),
		name:     ratelimit.New(rate*nameCeiling, burst*nameCeiling),
		refusals: map[string]*refusal{},
		window:   time.Minute,
	}
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

// reservation is one attempt's tokens, given back when the password was
// right.
type reservation struct {
	l                *signInLimits
	addr, pair, name string
}

// reserve counts one attempt of name from host, or says how long it must
// wait.
func (l *signInLimits) reserve(host, name string, now time.Time) (*reservation, time.Duration) {
	ak := addrKey(host)
	pk := name + "\x00" + ak
	l.mu.Lock()
	defer l.mu.Unlock()
	need := 1.0
	if !l.name.Has(name, now) {
		need = l.pair.Burst()
	}
	if wait := max(l.addr.Wait(ak, now, 1), l.pair.Wait(pk, now, need)); wait > 0 {
		return nil, wait
	}
	l.addr.Take(ak, now)
	l.pair.Take(pk, now)
	l.name.Take(name, now)
	return &reservation{l: l, addr: ak, pair: pk, name: name}, 0
}

// release gives a reservation's tokens back.
func (r *reservation) release(now time.Time) {
	r.l.addr.Give(r.addr, now)
	r.l.pair.Give(r.pair, now)
	r.l.name.Give(r.name, now)
}

// refusal counts refused attempts of one (name, address) since their
// last audit entry.
type refusal struct {
	next  time.Time // no entry before then
	count int
}

// refused counts a refused attempt and says how many to write in an audit
// entry now: the refused attempts since the last entry, once a window per
// (name, address), and 0 in between. A flood of refused attempts thus
// costs the audit log one entry a minute, not one each.
func (l *signInLimits) refused(host, name string, now time.Time) int {
	k := name + "\x00" + addrKey(host)
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
