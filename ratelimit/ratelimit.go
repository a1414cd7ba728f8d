// Package ratelimit keeps token buckets, one per key: the one rate limiter
// of Mosaic, behind every per-user request budget, every limit on failed
// authentications and sign-ins, and whatever else is counted per key.
//
// A bucket holds up to burst tokens and gains rate tokens a second. Keys
// whose buckets are full again carry no state worth keeping and are
// forgotten once there are many keys, so that a flood of addresses or names
// cannot grow the limiter without end.
package ratelimit

import (
	"sync"
	"time"
)

// MaxKeys is where the limiter starts forgetting full buckets.
const MaxKeys = 100_000

// Limiter is a set of token buckets. It is safe for concurrent use; a
// caller that must check several buckets and then take from them as one
// step holds a lock of its own around the calls.
type Limiter struct {
	rate, burst float64
	mu          sync.Mutex
	buckets     map[string]*bucket // guarded by mu
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a Limiter whose buckets gain rate tokens a second up to burst.
func New(rate, burst float64) *Limiter {
	return &Limiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// Burst is the most tokens a bucket holds.
func (l *Limiter) Burst() float64 { return l.burst }

// level returns key's bucket filled up to now. It must be called with mu
// held.
func (l *Limiter) level(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= MaxKeys {
			for k, o := range l.buckets {
				if o.tokens+now.Sub(o.at).Seconds()*l.rate >= l.burst {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	// A clock that steps back must not take tokens away, nor give any.
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
		b.at = now
	}
	return b
}

// wait says how long b needs until it holds need tokens.
func (l *Limiter) wait(b *bucket, need float64) time.Duration {
	if b.tokens >= need {
		return 0
	}
	return time.Duration((need - b.tokens) / l.rate * float64(time.Second))
}

// Allow takes a token from key's bucket, or says how long until one is
// there.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.level(key, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, l.wait(b, 1)
}

// Wait says how long until key's bucket holds need tokens, taking none.
func (l *Limiter) Wait(key string, now time.Time, need float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(l.level(key, now), need)
}

// Take takes a token from key's bucket whether or not it has one; a bucket
// never goes below empty.
func (l *Limiter) Take(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.level(key, now)
	b.tokens = max(0, b.tokens-1)
}

// Has reports whether key's bucket holds at least one token.
func (l *Limiter) Has(key string, now time.Time) bool {
	return l.Wait(key, now, 1) == 0
}

// Give puts a token back into key's bucket, up to the burst.
func (l *Limiter) Give(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.level(key, now)
	b.tokens = min(l.burst, b.tokens+1)
}
