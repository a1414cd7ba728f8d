package gate

import (
	"context"
	"net/http"
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
	// MaxListing bounds the large listing pages being read and written at
	// once: one holds up to the store's page bytes (16 MiB) two or three
	// times over while it is encoded. A page takes milliseconds, so on two
	// cores this costs no throughput.
	MaxListing = 8
)

// Turns bound the upload bodies held in memory, whichever door (REST,
// TAXII, the web UI) they come through.
type Turns struct {
	reading, storing, listing chan struct{}
}

// NewTurns returns turns of their own, for a door used without a gate.
func NewTurns() *Turns {
	return &Turns{reading: make(chan struct{}, MaxReading), storing: make(chan struct{}, MaxStoring), listing: make(chan struct{}, MaxListing)}
}

// Turns returns the gate's upload turns.
func (g *Gate) Turns() *Turns { return g.turns }

// Read calls read, which reads a request body, in a reading turn, and then
// waits for a storing turn before it gives the reading turn back: a body
// once read is counted until it has been stored, so at most MaxReading +
// MaxStoring bodies are held at once, not as many as clients send while
// two are being stored. done gives the storing turn back; it is nil when
// err is not.
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

// UploadReadTime is how long reading one upload's body may take, so that
// a client trickling bytes cannot hold a reading turn for long.
const UploadReadTime = 2 * time.Minute

// ReadUpload reads r's body, of at most limit bytes (limitName names the
// limit in the error), within UploadReadTime, in a reading turn, and waits
// for a storing turn as Read does; done gives it back. A body announced as
// larger than limit is refused at once, without waiting for a turn: it
// would be refused unread anyway.
func (t *Turns) ReadUpload(w http.ResponseWriter, r *http.Request, limit int64, limitName string) (body []byte, done func(), err error) {
	if r.ContentLength > limit {
		return nil, nil, middleware.TooLarge(r.ContentLength, limit, limitName)
	}
	return t.Read(r.Context(), func() ([]byte, error) {
		return middleware.ReadBody(w, r, limit, limitName, UploadReadTime)
	})
}

// Store waits for a storing turn for a body read outside Read (a form the
// web UI parsed); done gives it back.
func (t *Turns) Store(ctx context.Context) (done func(), err error) {
	if err := acquire(ctx, t.storing); err != nil {
		return nil, err
	}
	return func() { <-t.storing }, nil
}

// List waits for a listing turn, to be held while a page is read and
// written; done gives it back.
func (t *Turns) List(ctx context.Context) (done func(), err error) {
	if err := acquire(ctx, t.listing); err != nil {
		return nil, err
	}
	return func() { <-t.listing }, nil
}

func acquire(ctx context.Context, slots chan struct{}) error {
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return mosaic.Errorf(mosaic.CodeUnavailable, "the request ended while waiting for its turn")
	}
}
