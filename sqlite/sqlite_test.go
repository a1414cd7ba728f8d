package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/sqlite"
	"mosaic/sqlstore"
	"mosaic/storetest"
)

func open(t testing.TB, clock mosaic.Clock) storetest.Store {
	s, err := sqlite.Open(context.Background(), t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// TestConformancePlans runs the suite with each listing plan forced, so
// that both are checked on data too small for the store to choose them.
func TestConformancePlans(t *testing.T) {
	for _, plan := range []string{"walk", "merge"} {
		t.Run(plan, func(t *testing.T) {
			storetest.Run(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
				s := open(t, clock).(*sqlstore.Store)
				s.ForcePlan(plan)
				return s
			})
		})
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := mosaic.Organisation{Name: "pa", FullName: "A", Kind: mosaic.Partner, LegalRegime: "wpg"}
	if err := s.CreateOrg(ctx, &o, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Migrations apply once; the data is still there.
	s, err = sqlite.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Org(ctx, "pa"); err != nil {
		t.Fatal(err)
	}
}

// TestColdConcurrentReads reopens a store, so that nothing is cached, and
// runs more readers than the read pool has connections, each leaving rows
// of its page unread: they must all finish (a reader that asked for a
// second connection while holding its first would starve the pool).
func TestColdConcurrentReads(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := storetest.NewWorld(t, func(testing.TB, mosaic.Clock) storetest.Store { return s })
	var recs []mosaic.Record
	for n := range 20 {
		aud := mosaic.Audience{Cell: n%2 == 0, Compartments: map[bool][]string{true: nil, false: {"ops"}}[n%2 == 0]}
		recs = append(recs, storetest.Record(t, storetest.Indicator(n, "2026-10-01T00:00:00.000Z", "cold", "[ipv4-addr:value = '10.0.0.1']"), mosaic.Envelope{Audience: aud}))
	}
	w.Ingest(t, w.A, recs...)
	s.Close()
	s, err = sqlite.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				if _, err := s.Objects(context.Background(), w.A, mosaic.ObjectFilter{Limit: 1}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("readers did not finish: the read pool starves")
	}
}
