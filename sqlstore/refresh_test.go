package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"testing"
	"time"
)

// optimizer is a Dialect whose Optimize blocks until it is released or its
// context ends; nothing else of it is used.
type optimizer struct {
	Dialect
	started chan context.Context
	release chan struct{}

	mu   sync.Mutex
	errs []error // what each Optimize returned
}

func (o *optimizer) Optimize(ctx context.Context, _ *sql.DB) error {
	o.started <- ctx
	var err error
	select {
	case <-o.release:
	case <-ctx.Done():
		err = ctx.Err()
	}
	o.mu.Lock()
	o.errs = append(o.errs, err)
	o.mu.Unlock()
	return err
}

// noDB is a database/sql driver that never connects: the refresh tests
// need pools only to close them.
type noDB struct{}

func (noDB) Open(string) (driver.Conn, error) { return nil, errors.New("no database") }

func init() { sql.Register("sqlstore-nodb", noDB{}) }

func TestRefreshStatistics(t *testing.T) {
	d := &optimizer{started: make(chan context.Context, 4), release: make(chan struct{})}
	db, err := sql.Open("sqlstore-nodb", "")
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{w: db, r: db, d: d}
	s.bgCtx, s.bgStop = context.WithCancel(context.Background())
	started := func() context.Context {
		t.Helper()
		select {
		case ctx := <-d.started:
			return ctx
		case <-time.After(10 * time.Second):
			t.Fatal("no refresh started")
			return nil
		}
	}
	state := func() (refreshing bool, ingested int64) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.refreshing, s.ingested
	}
	trigger := func(n int64) {
		s.mu.Lock()
		s.ingested += n
		s.mu.Unlock()
		s.refreshStatistics()
	}

	trigger(optimizeEvery - 1)
	if refreshing, _ := state(); refreshing {
		t.Fatal("a refresh started before optimizeEvery records")
	}
	trigger(1)
	ctx := started()
	if _, ok := ctx.Deadline(); !ok {
		t.Error("the refresh runs without a timeout")
	}
	// A second trigger while one runs starts nothing; its records count
	// towards the next refresh.
	trigger(optimizeEvery)
	if refreshing, ingested := state(); len(d.started) != 0 || !refreshing || ingested != optimizeEvery {
		t.Fatalf("second trigger: %d started, refreshing %v, ingested %d", len(d.started), refreshing, ingested)
	}
	d.release <- struct{}{}
	s.bg.Wait()
	trigger(0)
	started()
	// Close stops the running refresh and waits for it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	errs := d.errs
	d.mu.Unlock()
	if len(errs) != 2 || errs[0] != nil || !errors.Is(errs[1], context.Canceled) {
		t.Errorf("Optimize returned %v, want nil then context.Canceled", errs)
	}
	// Nothing starts once the store is closed.
	trigger(optimizeEvery)
	if refreshing, _ := state(); refreshing || len(d.started) != 0 {
		t.Error("a refresh started after Close")
	}
}
