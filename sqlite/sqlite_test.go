package sqlite_test

import (
	"context"
	"testing"

	"mosaic"
	"mosaic/sqlite"
	"mosaic/sqlstore"
	"mosaic/storetest"
)

func open(t testing.TB, clock mosaic.Clock) mosaic.Store {
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
			storetest.Run(t, func(t testing.TB, clock mosaic.Clock) mosaic.Store {
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
