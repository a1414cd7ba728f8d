package audit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"mosaic"
)

type fakeStore struct {
	mu      sync.Mutex
	entries []mosaic.AuditEntry
	fail    bool
}

func (f *fakeStore) AppendAudit(_ context.Context, es []mosaic.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("disk full")
	}
	f.entries = append(f.entries, es...)
	return nil
}

func (f *fakeStore) AuditEntries(context.Context, int64, int) ([]mosaic.AuditEntry, error) {
	return nil, nil
}

func (f *fakeStore) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.entries)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestFlushedOnClose(t *testing.T) {
	st := &fakeStore{}
	l := New(st, time.Hour, quiet())
	for i := range 10 {
		if err := l.Record(mosaic.AuditEntry{Action: "objects.list", Detail: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := st.len(); got != 10 {
		t.Errorf("after Close %d entries are stored, want 10", got)
	}
	if err := l.Record(mosaic.AuditEntry{}); mosaic.ErrorCode(err) != mosaic.CodeUnavailable {
		t.Errorf("Record after Close = %v, want CodeUnavailable", err)
	}
}

func TestFlushedWithinInterval(t *testing.T) {
	st := &fakeStore{}
	l := New(st, 20*time.Millisecond, quiet())
	defer l.Close(context.Background())
	if err := l.Record(mosaic.AuditEntry{Action: "objects.get"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("entry not written by the background writer")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFailsClosed(t *testing.T) {
	st := &fakeStore{fail: true}
	l := New(st, time.Hour, quiet())
	defer l.Close(context.Background())
	if err := l.Record(mosaic.AuditEntry{Action: "objects.list"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(context.Background()); err == nil {
		t.Fatal("Flush succeeded on a failing store")
	}
	if err := l.Record(mosaic.AuditEntry{Action: "objects.list"}); mosaic.ErrorCode(err) != mosaic.CodeUnavailable {
		t.Fatalf("Record while the log is failing = %v, want CodeUnavailable", err)
	}
	st.mu.Lock()
	st.fail = false
	st.mu.Unlock()
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := st.len(); got != 1 {
		t.Errorf("after recovery %d entries stored, want the 1 kept from the failed write", got)
	}
	if err := l.Record(mosaic.AuditEntry{Action: "objects.list"}); err != nil {
		t.Errorf("Record after recovery: %v", err)
	}
}
