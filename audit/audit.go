// Package audit records reads in the audit log without making readers wait
// for the database writer.
//
// A change is audited by the store in the same transaction as the change.
// A read cannot be: on SQLite that would queue every reader behind the one
// writer. Instead a read's entry goes into a queue that is written in one
// transaction per interval (group commit), at most Interval behind, and on
// Close. While the log cannot be written, Record refuses, and the read it
// belongs to must fail: Mosaic fails closed rather than serve reads nobody
// can account for.
package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"mosaic"
)

// MaxQueue is how many entries may wait before reads are refused, and
// MaxQueueBytes how large they may be together.
const (
	MaxQueue      = 100_000
	MaxQueueBytes = 64 << 20
)

// MaxDetail is the longest detail an entry keeps; a longer one is cut.
const MaxDetail = 2048

// flushTimeout is how long one write may take before the log counts as
// failing: a database that hangs must not let reads go on unaccounted.
const flushTimeout = 30 * time.Second

// flushAt is the queue length that triggers a write before the interval.
const flushAt = 5_000

// Log batches read audit entries into a store.
type Log struct {
	store    mosaic.AuditLog
	interval time.Duration
	log      *slog.Logger

	// writing is held for the whole of a write, so that Flush returns only
	// after every entry queued before it is stored, including those a
	// concurrent periodic write took from the queue.
	writing sync.Mutex

	mu     sync.Mutex
	queue  []mosaic.AuditEntry // guarded by mu
	bytes  int                 // guarded by mu; the approximate size of queue
	broken bool                // guarded by mu; the last write failed
	closed bool                // guarded by mu

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// New starts a Log that writes to store at least every interval.
func New(store mosaic.AuditLog, interval time.Duration, log *slog.Logger) *Log {
	l := &Log{store: store, interval: interval, log: log, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	return l
}

var errUnavailable = mosaic.Errorf(mosaic.CodeUnavailable, "the audit log cannot be written; reads are refused until it can")

// Record queues e. It returns a CodeUnavailable error, and the caller must
// not serve the read, when the log is failing, full or closed.
func (l *Log) Record(e mosaic.AuditEntry) error {
	if len(e.Detail) > MaxDetail {
		e.Detail = e.Detail[:MaxDetail] + "…"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken || l.closed || len(l.queue) >= MaxQueue || l.bytes >= MaxQueueBytes {
		return errUnavailable
	}
	l.queue = append(l.queue, e)
	l.bytes += size(e)
	if len(l.queue) >= flushAt {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Healthy reports whether the last write succeeded.
func (l *Log) Healthy() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.broken
}

func (l *Log) run() {
	defer close(l.done)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		case <-l.wake:
		}
		_ = l.Flush(context.Background())
	}
}

func size(e mosaic.AuditEntry) int {
	n := 128 + len(e.User) + len(e.Org) + len(e.Action) + len(e.Detail)
	for _, id := range e.ObjectIDs {
		n += len(id) + 1
	}
	return n
}

// Flush writes what is queued now.
func (l *Log) Flush(ctx context.Context) error {
	l.writing.Lock()
	defer l.writing.Unlock()
	l.mu.Lock()
	batch, bytes := l.queue, l.bytes
	l.queue, l.bytes = nil, 0
	l.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	err := l.store.AppendAudit(ctx, batch)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		// Keep the entries, in order, for the next attempt.
		l.queue = append(batch, l.queue...)
		l.bytes += bytes
		if !l.broken {
			l.log.Error("audit log write failed; refusing reads until it succeeds", slog.Any("err", err), slog.Int("queued", len(l.queue)))
		}
		l.broken = true
		return err
	}
	if l.broken {
		l.log.Info("audit log writable again")
	}
	l.broken = false
	return nil
}

// Close stops the background writer and writes what is left.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return l.Flush(ctx)
}
