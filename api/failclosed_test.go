package api_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/audit"
	"mosaic/content"
	"mosaic/ingest"
	"mosaic/stix"
	"mosaic/storetest"
)

// brokenAudit is a store whose audit log can be made to fail.
type brokenAudit struct {
	storetest.Store
	broken atomic.Bool
}

func (b *brokenAudit) AppendAudit(ctx context.Context, es []mosaic.AuditEntry) error {
	if b.broken.Load() {
		return errors.New("disk full")
	}
	return b.Store.AppendAudit(ctx, es)
}

// TestReadsFailClosed checks that reads are refused while their audit
// entries cannot be written, and served again once they can.
func TestReadsFailClosed(t *testing.T) {
	var wrapped *brokenAudit
	h := newHarness(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
		wrapped = &brokenAudit{Store: stores["sqlite"](t, clock)}
		return wrapped
	})
	seed(t, h)
	if r := h.post("pa-analyst", nil, ind(1, "")); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// A harness of its own, on the wrapped store, with an audit log that
	// the test flushes itself.
	al := audit.New(wrapped, time.Hour, quietLog())
	defer al.Close(context.Background())
	c := content.New(wrapped, ingest.Config{DefaultTLP: mosaic.TLPAmber, LegalBases: map[string]time.Duration{"wpg": time.Hour}, Limits: stix.DefaultLimits()}, al, h.clock)
	h2 := &harness{t: t, store: wrapped, clock: h.clock, tokens: h.tokens}
	h2.srv = newServer(t, api.New(c, wrapped, api.Limits{MaxBodyBytes: 1 << 20, MaxPageSize: 100, RatePerSecond: 1e6, RateBurst: 1e6, AuthFailures: 100, TokenLifetime: time.Hour}, h.clock, quietLog()))

	id := "/api/v1/objects/indicator--" + storetest.UUID(1)
	if r := h2.get("pa-analyst", id, nil, nil); r.status != 200 {
		t.Fatalf("healthy read: %d", r.status)
	}
	wrapped.broken.Store(true)
	if err := al.Flush(context.Background()); err == nil {
		t.Fatal("flush succeeded on a broken audit log")
	}
	for _, path := range []string{id, "/api/v1/objects", "/api/v1/stats"} {
		r := h2.get("pa-analyst", path, nil, nil)
		if r.status != 503 {
			t.Errorf("GET %s while the audit log fails: %d, want 503", path, r.status)
		}
		if p := problem(t, r); p.Type != api.ProblemTypeBase+"unavailable" {
			t.Errorf("problem type %s", p.Type)
		}
	}
	wrapped.broken.Store(false)
	if err := al.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := h2.get("pa-analyst", id, nil, nil); r.status != 200 {
		t.Errorf("read after recovery: %d", r.status)
	}
}
