package gate

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"mosaic"
	"mosaic/middleware"
)

// The turns every door shares: how many request bodies are being read at
// once, and how many are being decoded and stored. An upload takes several
// times its size in memory while it is decoded.
const (
	MaxReading = 8
	MaxStoring = 2
	// LargeBody: a body larger than this takes every storing turn
	// (storingTurns).
	LargeBody = 16 << 20
	// MaxListing bounds the large listing pages being read and rendered at
	// once: one holds up to the store's page bytes two or three times
	// over while it is encoded. A page takes milliseconds, so on two
	// cores this costs no throughput.
	MaxListing = 8
	// MaxWriting bounds the listing pages held in memory, from the store
	// until their clients have them: a client that reads slowly holds
	// one until the pace cuts it off, so one user's slow clients hold at
	// most ListingTurnsPerUser of them.
	MaxWriting = 16
)

// Defaults of the per-user turns in Limits.
const (
	// DefaultReadingTurnsPerUser: two of a user's uploads are read at
	// once, so that one user needs four accounts' worth of slow
	// connections to hold every reading turn, each sending at the pace.
	DefaultReadingTurnsPerUser = 2
	// DefaultListingTurnsPerUser: two of a user's listings are read from
	// the store, rendered or written to the client at once.
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
	reading, listing, writing chan struct{}
	storing                   *semaphore.Weighted
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
		reading: make(chan struct{}, MaxReading), storing: semaphore.NewWeighted(MaxStoring), listing: make(chan struct{}, MaxListing),
		writing:        make(chan struct{}, MaxWriting),
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
	n := storingTurns(len(body))
	if err := t.storing.Acquire(ctx, n); err != nil {
		return nil, nil, turnEnded()
	}
	return body, func() { t.storing.Release(n) }, nil
}

// ReadUpload reads r's body, of at most limit bytes (limitName names the
// limit in the error), for v, and returns holding a storing turn as Read
// does, and one of v's reading turns (Upload). A body announced as larger than limit is
// refused at once: it would be refused unread anyway.
//
// v holds one of its user's reading turns from the start until done, so
// that one user's connections hold at most ReadingTurnsPerUser of the
// shared turns. The body must keep the pace throughout (a slower one is
// refused with 429), and the shared reading turn is taken only once
// FirstChunk of it has arrived: a client that sends its headers and then
// stalls holds none.
func (t *Turns) ReadUpload(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, limit int64, limitName string) (body []byte, up *Upload, err error) {
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
	// Waiting for a shared turn is the server's time: no deadline runs
	// while nothing is read (a body already whole would otherwise have
	// its request ended by the server's background read).
	b.Close()
	body, stored, err := t.Read(r.Context(), func() ([]byte, error) {
		// The client may have waited for the turn with its window
		// full, unread: that time is the server's.
		b.Restart()
		// One buffer the size the client announced, taken only now
		// that the body arrives: a body is held once, not grown by
		// doubling and copied. One of unknown length grows as it
		// arrives.
		var buf bytes.Buffer
		buf.Grow(max(int(r.ContentLength), 0) + 1) // +1: ReadFrom needs room to see the end
		buf.Write(first)
		if _, err := buf.ReadFrom(b); err != nil {
			return nil, err
		}
		// The body is in: waiting for a storing turn is the
		// server's time too, and a read deadline left behind would
		// end the request while it waits.
		b.Close()
		return buf.Bytes(), nil
	})
	if err != nil {
		return nil, nil, err
	}
	stored = sync.OnceFunc(stored)
	return body, &Upload{stored: stored, done: sync.OnceFunc(func() { stored(); mine() })}, nil
}

// An Upload holds the turns of a body ReadUpload has read: a storing turn
// while it is decoded and stored, and one of its user's reading turns
// until its answer is written, so that one user's unread answers (a TAXII
// status lists every object) hold at most that user's turns.
type Upload struct {
	stored, done func()
}

// Stored gives the storing turn back: the body is stored, or refused.
func (u *Upload) Stored() { u.stored() }

// Done gives every turn back; it may be called more than once.
func (u *Upload) Done() { u.done() }

// Store waits for a storing turn for a body read outside Read (a form the
// web UI parsed); done gives it back.
func (t *Turns) Store(ctx context.Context) (done func(), err error) {
	if err := t.storing.Acquire(ctx, 1); err != nil {
		return nil, turnEnded()
	}
	return func() { t.storing.Release(1) }, nil
}

// A Listing holds turns for one listing: one of its user's and one of
// the MaxWriting from the start until its answer is written (the page is
// in memory all that time), and one of the MaxListing only while the page
// is read from the store and rendered. A client that reads slowly, or not
// at all, holds a turn of its own user's and a writing turn, and those no
// longer than the pace allows.
type Listing struct {
	rendered, done func()
}

// List waits for one of v's listing turns, then for a writing turn and a
// shared listing turn.
func (t *Turns) List(ctx context.Context, v mosaic.Viewer) (*Listing, error) {
	mine, err := t.takeUser(ctx, userKind{user: v.UserID, listing: true}, t.listingPerUser, "listings being read or written")
	if err != nil {
		return nil, err
	}
	if err := acquire(ctx, t.writing); err != nil {
		mine()
		return nil, err
	}
	if err := acquire(ctx, t.listing); err != nil {
		<-t.writing
		mine()
		return nil, err
	}
	rendered := sync.OnceFunc(func() { <-t.listing })
	return &Listing{rendered: rendered, done: sync.OnceFunc(func() { rendered(); <-t.writing; mine() })}, nil
}

// Rendered gives the shared listing turn back: the page is in memory.
func (l *Listing) Rendered() { l.rendered() }

// Done gives every turn back; it may be called more than once.
func (l *Listing) Done() { l.done() }

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
			return nil, turnEnded()
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
		return turnEnded()
	}
}

func turnEnded() error {
	return mosaic.Errorf(mosaic.CodeUnavailable, "the request ended while waiting for its turn")
}

// storingTurns is how many of the MaxStoring turns a body of n bytes
// takes: a body larger than LargeBody is decoded and stored alone. A
// decoded bundle takes about ten times its size in memory (one of 32 MiB
// and 100,000 objects about 350 MB), so two of the largest at once would
// hold more than the rest of the server together.
func storingTurns(n int) int64 {
	if n > LargeBody {
		return MaxStoring
	}
	return 1
}
