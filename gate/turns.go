package gate

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"mosaic"
	"mosaic/middleware"
)

// The turns every door shares: how many request bodies are being read at
// once, and how many are being decoded and stored. An upload takes several
// times its size in memory while it is decoded.
const (
	MaxReading = 8
	MaxStoring = 2
	// MaxListing bounds the large listing pages being read and rendered at
	// once: one holds up to the store's page bytes (16 MiB) two or three
	// times over while it is encoded. A page takes milliseconds, so on two
	// cores this costs no throughput.
	MaxListing = 8
)

// Defaults of the per-user turns in Limits.
const (
	// DefaultReadingTurnsPerUser: two of a user's uploads are read at
	// once, so that one user needs four accounts' worth of slow
	// connections to hold every reading turn, each sending at the pace.
	DefaultReadingTurnsPerUser = 2
	// DefaultListingTurnsPerUser: two of a user's listings are read from
	// the store at once.
	DefaultListingTurnsPerUser = 2
	// DefaultUserTurnWait is how long a request waits for one of its
	// user's turns before it is refused with 429.
	DefaultUserTurnWait = 10 * time.Second
)

// FirstChunk is how much of an upload's body must have arrived before it
// waits for one of the reading turns every user shares (a smaller body
// must have arrived whole): a connection that sends its headers and then
// trickles holds only a turn of its own user's.
const FirstChunk = 64 << 10

// Turns bound the upload bodies held in memory and the listing pages
// rendered at once, whichever door (REST, TAXII, the web UI) they come
// through, and how many of them one user holds.
type Turns struct {
	reading, storing, listing chan struct{}
	pace                      middleware.Pace
	readingPerUser            int
	listingPerUser            int
	userWait                  time.Duration

	mu    sync.Mutex
	users map[userKind]int // turns held per user and kind
	given chan struct{}    // closed when one of them comes back
}

type userKind struct {
	user    int64
	listing bool
}

// NewTurns returns turns of their own, with the default limits, for a door
// used without a gate.
func NewTurns() *Turns { return newTurns(Limits{}.withDefaults()) }

func newTurns(l Limits) *Turns {
	return &Turns{
		reading: make(chan struct{}, MaxReading), storing: make(chan struct{}, MaxStoring), listing: make(chan struct{}, MaxListing),
		pace:           middleware.Pace{MinRate: l.MinTransferRate, Window: l.TransferWindow},
		readingPerUser: l.ReadingTurnsPerUser, listingPerUser: l.ListingTurnsPerUser, userWait: l.UserTurnWait,
		users: map[userKind]int{}, given: make(chan struct{}),
	}
}

// Turns returns the gate's upload turns.
func (g *Gate) Turns() *Turns { return g.turns }

// Pace is the slowest a client may send an upload or read a listing.
func (t *Turns) Pace() middleware.Pace { return t.pace }

// Read calls read, which reads a request body, in a reading turn, and then
// waits for a storing turn before it gives the reading turn back: a body
// once read is counted until it has been stored, so at most MaxReading +
// MaxStoring bodies are held at once, not as many as clients send while
// two are being stored. done gives the storing turn back; it is nil when
// err is not. Read knows neither the user nor the pace: ReadUpload does.
func (t *Turns) Read(ctx context.Context, read func() ([]byte, error)) (body []byte, done func(), err error) {
	if err := acquire(ctx, t.reading); err != nil {
		return nil, nil, err
	}
	defer func() { <-t.reading }()
	if body, err = read(); err != nil {
		return nil, nil, err
	}
	if err := acquire(ctx, t.storing); err != nil {
		return nil, nil, err
	}
	return body, func() { <-t.storing }, nil
}

// ReadUpload reads r's body, of at most limit bytes (limitName names the
// limit in the error), for v, and returns holding a storing turn as Read
// does; done gives it back. A body announced as larger than limit is
// refused at once: it would be refused unread anyway.
//
// v holds one of its user's reading turns from the start until done, so
// that one user's connections hold at most ReadingTurnsPerUser of the
// shared turns. The body must keep the pace throughout (a slower one is
// refused with 429), and the shared reading turn is taken only once
// FirstChunk of it has arrived: a client that sends its headers and then
// stalls holds none.
func (t *Turns) ReadUpload(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, limit int64, limitName string) (body []byte, done func(), err error) {
	if r.ContentLength > limit {
		return nil, nil, middleware.TooLarge(r.ContentLength, limit, limitName)
	}
	mine, err := t.takeUser(r.Context(), userKind{user: v.UserID}, t.readingPerUser, "uploads being read")
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			mine()
		}
	}()
	b := middleware.NewBody(w, r, limit, limitName, t.pace)
	defer b.Close()
	n := int64(FirstChunk)
	if r.ContentLength >= 0 {
		n = min(n, r.ContentLength)
	}
	first := make([]byte, n)
	if k, err := io.ReadFull(b, first); err == io.EOF || err == io.ErrUnexpectedEOF {
		first = first[:k]
	} else if err != nil {
		return nil, nil, err
	}
	body, stored, err := t.Read(r.Context(), func() ([]byte, error) {
		// The client may have waited for the turn with its window
		// full, unread: that time is the server's.
		b.Restart()
		rest, err := io.ReadAll(b)
		if err != nil {
			return nil, err
		}
		return append(first, rest...), nil
	})
	if err != nil {
		return nil, nil, err
	}
	return body, func() { stored(); mine() }, nil
}

// Store waits for a storing turn for a body read outside Read (a form the
// web UI parsed); done gives it back.
func (t *Turns) Store(ctx context.Context) (done func(), err error) {
	if err := acquire(ctx, t.storing); err != nil {
		return nil, err
	}
	return func() { <-t.storing }, nil
}

// List waits for one of v's listing turns and then for a shared one, to
// be held while a page is read from the store and rendered into memory,
// not while it is written: a client that does not read its answer must
// not hold a turn; done gives both back.
func (t *Turns) List(ctx context.Context, v mosaic.Viewer) (done func(), err error) {
	mine, err := t.takeUser(ctx, userKind{user: v.UserID, listing: true}, t.listingPerUser, "listings being read")
	if err != nil {
		return nil, err
	}
	if err := acquire(ctx, t.listing); err != nil {
		mine()
		return nil, err
	}
	return func() { <-t.listing; mine() }, nil
}

// takeUser takes one of k's turns, of which there are most, waiting up to
// userWait for one to come back; what names them in the refusal.
func (t *Turns) takeUser(ctx context.Context, k userKind, most int, what string) (done func(), err error) {
	var wait <-chan time.Time
	for {
		t.mu.Lock()
		if t.users[k] < most {
			t.users[k]++
			t.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { t.give(k) }) }, nil
		}
		given := t.given
		t.mu.Unlock()
		if wait == nil {
			timer := time.NewTimer(t.userWait)
			defer timer.Stop()
			wait = timer.C
		}
		select {
		case <-given:
		case <-wait:
			return nil, mosaic.RateLimited(time.Second, "you have %d %s already; send one after another", most, what)
		case <-ctx.Done():
			return nil, mosaic.Errorf(mosaic.CodeUnavailable, "the request ended while waiting for its turn")
		}
	}
}

func (t *Turns) give(k userKind) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.users[k]--; t.users[k] <= 0 {
		delete(t.users, k)
	}
	// Every waiter looks again: turns come back rarely next to what
	// they take to use, so a queue per user would buy nothing.
	close(t.given)
	t.given = make(chan struct{})
}

func acquire(ctx context.Context, slots chan struct{}) error {
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return mosaic.Errorf(mosaic.CodeUnavailable, "the request ended while waiting for its turn")
	}
}
