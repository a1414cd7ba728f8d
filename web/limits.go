package web

import (
	"net/netip"
	"sync"
	"time"
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
	mu       sync.Mutex
	addr     buckets
	pair     buckets
	name     buckets
	refusals map[string]*refusal // guarded by mu: audit entries of refused attempts
	window   time.Duration
}

// nameCeiling is how many times the per-address burst the per-name
// bucket holds.
const nameCeiling = 10

func newSignInLimits(perMinute int) *signInLimits {
	rate, burst := float64(perMinute)/60, float64(perMinute)
	return &signInLimits{
		addr:     buckets{rate: rate, burst: burst, keys: map[string]*bucket{}},
		pair:     buckets{rate: rate, burst: burst, keys: map[string]*bucket{}},
		name:     buckets{rate: rate * nameCeiling, burst: burst * nameCeiling, keys: map[string]*bucket{}},
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
	a, p, n := l.addr.level(ak, now), l.pair.level(pk, now), l.name.level(name, now)
	need := 1.0
	if n.tokens < 1 {
		need = l.pair.burst
	}
	if wait := max(l.addr.wait(a, 1), l.pair.wait(p, need)); wait > 0 {
		return nil, wait
	}
	a.tokens--
	p.tokens--
	n.tokens = max(0, n.tokens-1)
	return &reservation{l: l, addr: ak, pair: pk, name: name}, 0
}

// release gives a reservation's tokens back.
func (r *reservation) release(now time.Time) {
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range []struct {
		b   *buckets
		key string
	}{{&l.addr, r.addr}, {&l.pair, r.pair}, {&l.name, r.name}} {
		b := x.b.level(x.key, now)
		b.tokens = min(x.b.burst, b.tokens+1)
	}
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
		if len(l.refusals) >= maxKeys {
			for k, o := range l.refusals {
				if !now.Before(o.next) {
					delete(l.refusals, k)
				}
			}
			if len(l.refusals) >= maxKeys {
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

// buckets count failures per key in token buckets: each failure takes a
// token, tokens come back at rate per second up to burst, and a key
// without tokens must wait. The owner's lock guards them.
type buckets struct {
	rate, burst float64
	keys        map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxKeys is where the limits forget keys whose buckets are full again,
// so that a flood of names or addresses cannot grow them without end.
const maxKeys = 100_000

// level returns key's bucket filled up to now.
func (l *buckets) level(key string, now time.Time) *bucket {
	b := l.keys[key]
	if b == nil {
		if len(l.keys) >= maxKeys {
			for k, o := range l.keys {
				if o.tokens+now.Sub(o.at).Seconds()*l.rate >= l.burst {
					delete(l.keys, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.keys[key] = b
	}
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
		b.at = now
	}
	return b
}

// wait says how long b must wait until it holds need tokens.
func (l *buckets) wait(b *bucket, need float64) time.Duration {
	if b.tokens >= need {
		return 0
	}
	return time.Duration((need - b.tokens) / l.rate * float64(time.Second))
}
