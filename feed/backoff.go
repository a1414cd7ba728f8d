package feed

import (
	"errors"
	"time"
)

// Backoff is how long a feed waits after failures polls that failed in a
// row: Min doubled for each failure after the first, up to Max, less up to
// a fifth at random, so that feeds that failed together (the remote was
// down) do not all come back at the same moment. A server's Retry-After
// counts when it asks for longer.
type Backoff struct {
	Min, Max time.Duration
	// Jitter returns a number in [0, 1); nil means no jitter.
	Jitter func() float64
}

// DefaultBackoff starts at a minute and stops growing at an hour.
var DefaultBackoff = Backoff{Min: time.Minute, Max: time.Hour}

// Delay returns the wait after failures failed polls (at least one) whose
// last ended with err.
func (b Backoff) Delay(failures int, err error) time.Duration {
	d := b.Min
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter != nil {
		d -= time.Duration(float64(d) / 5 * b.Jitter())
	}
	var re *RemoteError
	if errors.As(err, &re) && re.RetryAfter > d {
		d = re.RetryAfter
	}
	return d
}
